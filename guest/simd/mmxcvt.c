/* The SSE/SSE2 conversions with an MMX register operand: cvtpi2ps
 * cvtpi2pd (mm and m64 sources), cvtps2pi cvttps2pi cvtpd2pi cvttpd2pi
 * (xmm and memory sources), in every rounding mode; the x87 tag word and
 * TOP after each (MMX state: TOP = 0, all tags valid) via fnstenv. */
#include "simd.h"

u32 MA[2] __attribute__((aligned(8))), MR[2] __attribute__((aligned(8)));
u32 ENV[7];

#define M(name, body)                                                          \
	I(name, "fninit\n\tmovq MA, %mm0\n\t" body                             \
		"\n\tmovq %mm0, MR\n\tfnstenv ENV\n\temms")
M(cvtpi2ps_r, "cvtpi2ps %mm0, %xmm0")
M(cvtpi2ps_m, "cvtpi2ps XB, %xmm0")
M(cvtpi2pd_r, "cvtpi2pd %mm0, %xmm0")
M(cvtpi2pd_m, "cvtpi2pd XB, %xmm0")
M(cvtps2pi_r, "cvtps2pi %xmm1, %mm0")
M(cvtps2pi_m, "cvtps2pi XB, %mm0")
M(cvttps2pi_r, "cvttps2pi %xmm1, %mm0")
M(cvttps2pi_m, "cvttps2pi XB, %mm0")
M(cvtpd2pi_r, "cvtpd2pi %xmm1, %mm0")
M(cvtpd2pi_m, "cvtpd2pi XB, %mm0")
M(cvttpd2pi_r, "cvttpd2pi %xmm1, %mm0")
M(cvttpd2pi_m, "cvttpd2pi XB, %mm0")
/* fnstenv without any MMX use, for comparison */
I(x87_idle, "fninit\n\tcvtpi2ps XB, %xmm0\n\tfnstenv ENV")

static const u32 IN[8][4] = {
    {1, 0xffffffff, 0x7fffffff, 0x80000000},
    {0x01000001, 0xfefffffe, 3, 5},
    {0x3fc00000, 0xc0200000, 0x4f000000, 0x7fc00000},
    {0x3f000001, 0xbf7fffff, 0x00000001, 0xcf000000},
    {0, 0x41e00000, 0xffc00000, 0xc1e00000},       /* 2^31, -2^31 */
    {0x00200000, 0xc1e00000, 0, 0x3ff80000},      /* -2^31-1, 1.5 */
    {0xffe00000, 0x41dfffff, 0, 0xbfe00000},      /* 2^31-0.5, -0.5 */
    {0, 0x7ff00000, 1, 0x7ff00000},               /* inf, snan */
};

struct op {
	const char *name;
	tfn f;
};
#define E(x) {#x, x}
static const struct op OPS[] = {
    E(cvtpi2ps_r),  E(cvtpi2ps_m),  E(cvtpi2pd_r),  E(cvtpi2pd_m),
    E(cvtps2pi_r),  E(cvtps2pi_m),  E(cvttps2pi_r), E(cvttps2pi_m),
    E(cvtpd2pi_r),  E(cvtpd2pi_m),  E(cvttpd2pi_r), E(cvttpd2pi_m),
};

int main(void)
{
	for (u32 k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
		for (int v = 0; v < 8; v++)
			for (int m = 0; m < 4; m++) {
				set4(&XA, 0x11111111, 0x22222222, 0x33333333,
				     0x44444444);
				set4(&XB, IN[v][0], IN[v][1], IN[v][2], IN[v][3]);
				MA[0] = IN[v][0];
				MA[1] = IN[v][1];
				MXI = MODES[m];
				OPS[k].f();
				ps(OPS[k].name);
				sp();
				pmode(MODES[m]);
				ps(" in#");
				pu(v);
				ps(" r=");
				p128(&XR);
				ps(" mm=");
				p64(MR[0], MR[1]);
				pmx();
				ps(" tw=");
				px(ENV[2] & 0xffff, 4);
				ps(" sw=");
				px(ENV[1] & 0xffff, 4);
				nl();
			}
	x87_idle();
	ps("no mmx: tw=");
	px(ENV[2] & 0xffff, 4);
	nl();
	flush();
	return 0;
}
