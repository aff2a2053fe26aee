#include "fpu.h"

f80 A, B, C, R0, R1;
u16 CW, SW, CW2;
u32 EFL;
u32 I32V;
u8 BUF[1024] __attribute__((aligned(16)));

void pf80(const f80 *v)
{
	px(v->se, 4);
	pc(':');
	px(v->hi, 8);
	px(v->lo, 8);
}

void psw(void)
{
	ps(" sw=");
	px(SW, 4);
}

void setf(f80 *d, u16 se, u32 hi, u32 lo)
{
	d->se = se;
	d->hi = hi;
	d->lo = lo;
}

const char *rcname(int rc)
{
	static const char *const n[4] = {"rn", "rd", "ru", "rz"};
	return n[rc & 3];
}

u16 mkcw(int rc, int pc)
{
	/* no shifts in the glue: table lookups */
	static const u16 rcb[4] = {0x000, 0x400, 0x800, 0xc00};
	static const u16 pcb[4] = {0x000, 0x100, 0x200, 0x300};
	return 0x7f | rcb[rc & 3] | pcb[pc & 3];
}

#define V(se, hi, lo) {lo, hi, se}
const f80 VALS[] = {
	V(0x0000, 0x00000000, 0x00000000), /* +0 */
	V(0x8000, 0x00000000, 0x00000000), /* -0 */
	V(0x3fff, 0x80000000, 0x00000000), /* 1 */
	V(0xbfff, 0xc0000000, 0x00000000), /* -1.5 */
	V(0x4000, 0xc90fdaa2, 0x2168c235), /* pi */
	V(0x3ffd, 0xaaaaaaaa, 0xaaaaaaab), /* 1/3 */
	V(0x3fff, 0x80000000, 0x00000001), /* 1 + 2^-63 */
	V(0xc03e, 0xffffffff, 0xffffffff), /* -(2^64 - 1) */
	V(0x7ffe, 0xffffffff, 0xffffffff), /* max */
	V(0x0001, 0x80000000, 0x00000000), /* min normal */
	V(0x0000, 0x00000000, 0x00000001), /* min denormal */
	V(0x8000, 0x40000000, 0x00000000), /* -denormal */
	V(0x0000, 0x80000000, 0x00000001), /* pseudo-denormal */
	V(0x7fff, 0x80000000, 0x00000000), /* +inf */
	V(0xffff, 0x80000000, 0x00000000), /* -inf */
	V(0x7fff, 0xc0000000, 0x00001234), /* qnan */
	V(0xffff, 0xa0000000, 0x00000555), /* snan */
	V(0xffff, 0xc0000000, 0x00000000), /* indefinite */
	V(0x3fff, 0x40000000, 0x00000000), /* unnormal */
	V(0x5f3f, 0x9abcdef0, 0x12345678), /* 2^8000 * 1.2.. */
	V(0x2000, 0xfedcba98, 0x76543210), /* 2^-8191 * 1.99.. */
	V(0x7fff, 0x00000000, 0x00000001), /* pseudo-nan */
	V(0x4002, 0xa0000000, 0x00000000), /* 10 */
	V(0x3ffe, 0xb504f333, 0xf9de6484), /* sqrt(1/2) */
};
const char *const VNAMES[] = {
	"+0", "-0", "1", "-1.5", "pi", "1/3", "1+u", "-2^64", "max",
	"minn", "mind", "-den", "pden", "+inf", "-inf", "qnan", "snan",
	"indef", "unnorm", "big", "tiny", "pnan", "10", "sqrth",
};
const int NVALS = N(VALS);
