/* Helpers for the SIMD guest programs; see simd.h. */
#include "simd.h"

v128 XA, XB, XR;
u8 XM[64] __attribute__((aligned(64)));
u32 MXI = 0x1f80, MXO, GA, GB, GR, FLO, FLI = 0x202;

void p128(const v128 *v)
{
	px(v->w[3], 8);
	pc('_');
	px(v->w[2], 8);
	pc('_');
	px(v->w[1], 8);
	pc('_');
	px(v->w[0], 8);
}

void p64(u32 lo, u32 hi)
{
	px(hi, 8);
	px(lo, 8);
}

void pmx(void)
{
	ps(" mx=");
	px(MXO, 8);
}

void set4(v128 *v, u32 a, u32 b, u32 c, u32 d)
{
	v->w[0] = a;
	v->w[1] = b;
	v->w[2] = c;
	v->w[3] = d;
}

void set2(v128 *v, u32 lo0, u32 hi0, u32 lo1, u32 hi1)
{
	set4(v, lo0, hi0, lo1, hi1);
}

static u32 h;

void hinit(void)
{
	h = 0x811c9dc5;
}

void hword(u32 w)
{
	for (int i = 0; i < 4; i++) {
		h ^= w & 0xff;
		h *= 0x01000193;
		w >>= 8;
	}
}

u32 hget(void)
{
	return h;
}

/* Every rounding mode x DAZ x FTZ; the first is the default.  The last
 * is the default with PE already set (emu has a fast path for it). */
const u32 MODES[NMODES] = {
    0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x3fc0, 0x5fc0, 0x7fc0,
    0x9f80, 0xbf80, 0xdf80, 0xff80, 0x9fc0, 0xbfc0, 0xdfc0, 0xffc0, 0x1fa0,
};

void pmode(u32 mx)
{
	static const char *rc[4] = {"rn", "rd", "ru", "rz"};
	ps(rc[(mx >> 13) & 3]);
	ps(mx & 0x40 ? "+daz" : "");
	ps(mx & 0x8000 ? "+ftz" : "");
	ps(mx & 0x20 ? "+pe" : "");
}
