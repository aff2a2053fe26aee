/* SSE/SSE2 conversions between int32, single and double: cvtps2dq
 * cvttps2dq cvtdq2ps cvtps2pd cvtpd2ps cvtpd2dq cvttpd2dq cvtdq2pd cvtss2sd
 * cvtsd2ss cvtsi2ss cvtsi2sd cvtss2si cvttss2si cvtsd2si cvttsd2si, register
 * and memory forms, on boundary values (halfway cases, +-2^31, the integer
 * indefinite 0x80000000, NaN payloads, denormals, overflow/underflow of
 * double->single incl. the tininess-after-rounding cases) in every rounding
 * mode, printed in full; DAZ/FTZ modes as hashes. */
#include "simd.h"

static const u32 F[32] = {
    0x00000000, 0x80000000, 0x3f000000, 0xbf000000, 0x3fc00000, 0xbfc00000,
    0x40200000, 0xc0200000, 0x3effffff, 0xbf000001, 0x4effffff, 0x4f000000,
    0xcf000000, 0xcf000001, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
    0x7fa00001, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x4b7fffff,
    0x4b800001, 0x3f7fffff, 0x5f000000, 0x42f6e979, 0xc2f6e979, 0x3eaaaaab,
    0x4e800001, 0xceffffff,
};

static const u32 D[32][2] = {
    {0, 0},
    {0, 0x80000000},
    {0, 0x3fe00000},          /* 0.5 */
    {0, 0xbfe00000},          /* -0.5 */
    {0, 0x3ff80000},          /* 1.5 */
    {0, 0xc0040000},          /* -2.5 */
    {0xffc00000, 0x41dfffff}, /* 2^31 - 1 */
    {0xffe00000, 0x41dfffff}, /* 2^31 - 0.5 */
    {0, 0x41e00000},          /* 2^31 */
    {0, 0xc1e00000},          /* -2^31 */
    {0x00100000, 0xc1e00000}, /* -2^31 - 0.5 */
    {0x00200000, 0xc1e00000}, /* -2^31 - 1 */
    {0, 0x7ff00000},
    {0, 0xfff00000},
    {0, 0x7ff80000},
    {0x12345678, 0xfff80000},
    {1, 0x7ff00000},
    {0x89abcdef, 0x7ff01234}, /* snan, payload */
    {1, 0},                   /* min denormal */
    {0xffffffff, 0x800fffff},
    {0xe0000000, 0x47efffff}, /* FLT_MAX + half ulp */
    {0xdfffffff, 0x47efffff}, /* just below */
    {0xe0000000, 0x380fffff}, /* 0x1.fffffe p-127: tiny after rounding */
    {0xc0000000, 0x380fffff}, /* 0x1.ffffffc p-127: rounds to 2^-126 */
    {0, 0x36a00000},          /* 2^-149 */
    {0, 0x36900000},          /* 2^-150: halfway to zero */
    {1, 0x36900000},          /* just above */
    {0x55555555, 0x3fd55555}, /* 1/3 */
    {0xffffffff, 0x7fefffff}, /* DBL_MAX */
    {0x20000000, 0x3ff00000}, /* 1 + 2^-24 + 2^-?: single halfway-ish */
    {0x10000000, 0x3ff00000},
    {0x30000000, 0x3ff00000},
};

static const u32 N[16] = {
    0,          1,          0xffffffff, 0x7fffffff, 0x80000000, 0x80000001,
    0x01000001, 0xfefffffe, 0x00ffffff, 0x01000003, 0x7fffffc0, 0x7fffffbf,
    12345678,   0x0badf00d, 0xc0000001, 0x00000040,
};

#define X(op) I(op##_r, #op " %xmm1, %xmm0") I(op##_m, #op " XB, %xmm0")
X(cvtps2dq)
X(cvttps2dq)
X(cvtdq2ps)
X(cvtps2pd)
X(cvtpd2ps)
X(cvtpd2dq)
X(cvttpd2dq)
X(cvtdq2pd)
X(cvtss2sd)
X(cvtsd2ss)
#define G(op) I(op##_r, #op " %xmm1, %eax") I(op##_m, #op " XB, %eax")
G(cvtss2si)
G(cvttss2si)
G(cvtsd2si)
G(cvttsd2si)
I(cvtsi2ss_r, "cvtsi2ss %ecx, %xmm0")
I(cvtsi2ss_m, "cvtsi2ss XB, %xmm0")
I(cvtsi2sd_r, "cvtsi2sd %ecx, %xmm0")
I(cvtsi2sd_m, "cvtsi2sd XB, %xmm0")

enum { SRC_F, SRC_D, SRC_I };

/* Load inputs k.. into XB (and GB); XA gets a marker so that pass-through
 * lanes are visible. */
static int load(int src, int k)
{
	set4(&XA, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
	if (src == SRC_F) {
		for (int l = 0; l < 4; l++)
			XB.w[l] = F[(k + l) & 31];
		GB = F[k & 31];
		return 32;
	}
	if (src == SRC_D) {
		for (int l = 0; l < 2; l++) {
			XB.w[2 * l] = D[(k + l) & 31][0];
			XB.w[2 * l + 1] = D[(k + l) & 31][1];
		}
		return 32;
	}
	for (int l = 0; l < 4; l++)
		XB.w[l] = N[(k + l) & 15];
	GB = N[k & 15];
	return 16;
}

/* step: inputs consumed per instruction; gpr: print GR instead of XR */
static void conv(const char *name, tfn fr, tfn fm, int src, int step, int gpr)
{
	int n = load(src, 0);
	for (int m = 0; m < NMODES; m++) {
		hinit();
		for (int k = 0; k < n; k += step) {
			load(src, k);
			MXI = MODES[m];
			GA = 0x5a5a5a5a;
			fr();
			if (m < 4) {
				ps(name);
				sp();
				pmode(MODES[m]);
				ps(" b=");
				p128(&XB);
				ps(" r=");
				if (gpr)
					px(GR, 8);
				else
					p128(&XR);
				pmx();
				nl();
			}
			for (int l = 0; l < 4; l++)
				hword(XR.w[l]);
			hword(GR);
			hword(MXO);
		}
		if (m >= 4) {
			ps(name);
			sp();
			pmode(MODES[m]);
			ps(" hash=");
			px(hget(), 8);
			nl();
		}
	}
	for (int k = 0; k < 3; k++) {
		load(src, 5 * k + 1);
		MXI = 0x1f80;
		fm();
		ps(name);
		ps("(m) b=");
		p128(&XB);
		ps(" r=");
		if (gpr)
			px(GR, 8);
		else
			p128(&XR);
		pmx();
		nl();
	}
}

#define C(op, src, step, gpr) conv(#op, op##_r, op##_m, src, step, gpr)

int main(void)
{
	C(cvtps2dq, SRC_F, 4, 0);
	C(cvttps2dq, SRC_F, 4, 0);
	C(cvtdq2ps, SRC_I, 4, 0);
	C(cvtps2pd, SRC_F, 2, 0);
	C(cvtpd2ps, SRC_D, 2, 0);
	C(cvtpd2dq, SRC_D, 2, 0);
	C(cvttpd2dq, SRC_D, 2, 0);
	C(cvtdq2pd, SRC_I, 2, 0);
	C(cvtss2sd, SRC_F, 1, 0);
	C(cvtsd2ss, SRC_D, 1, 0);
	C(cvtss2si, SRC_F, 1, 1);
	C(cvttss2si, SRC_F, 1, 1);
	C(cvtsd2si, SRC_D, 1, 1);
	C(cvttsd2si, SRC_D, 1, 1);
	C(cvtsi2ss, SRC_I, 1, 0);
	C(cvtsi2sd, SRC_I, 1, 0);
	flush();
	return 0;
}
