/* x87 rounding control x precision control: fadd fsub fmul fdiv and fsqrt
 * on finite operands (incl. denormals and results that overflow, underflow
 * or land on the tininess boundary), every RC, PC = 24, 53, 64 bits. */
#include "fpu.h"

#define R2(name, insn) FT(name, "fldt B\n\tfldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
R2(d8add, "fadd %st(1), %st")
R2(d8mul, "fmul %st(1), %st")
R2(d8sub, "fsub %st(1), %st")
R2(d8div, "fdiv %st(1), %st")
FT(fsqrt_, "fldt A\n\tfsqrt\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")

struct op {
	const char *nm;
	tfn f;
};
static const struct op d8[] = {
	{"fadd", d8add}, {"fsub", d8sub}, {"fmul", d8mul}, {"fdiv", d8div},
};

static void run(tfn f)
{
	memset(&R0, 0x5a, sizeof R0);
	f();
}

static const int FIN[] = {3, 4, 5, 6, 8, 9, 10, 20};

/* operand pairs whose products/quotients sit on the underflow boundary */
static const f80 EDGE[][2] = {
	{{0x00000000, 0xffffffff, 0x3fff - 8191}, {0x80000000, 0x80000000, 0x3fff - 8192}},
	{{0x00000000, 0xffffffe0, 0x3fff - 8191}, {0x00000000, 0x80000010, 0x3fff - 8192}},
	{{0x00001000, 0x80000000, 0x3fff - 8192}, {0x00000000, 0x80000000, 0x3fff - 8192}},
	{{0x00000800, 0x80000000, 0x3fff - 8192}, {0x00000000, 0x80000000, 0x3fff - 8192}},
	{{0x00000801, 0x80000000, 0x3fff - 8192}, {0x00000000, 0x80000000, 0x3fff - 8192}},
	{{0x00000000, 0xffffffff, 0x3fff - 8191}, {0x00000000, 0x80000001, 0x3fff - 8192}},
	{{0xffffffff, 0xffffffff, 0x7ffe}, {0x00000001, 0x80000000, 0x3fff}},
};

int main(void)
{
	/* rounding x precision */
	static const int pcs[] = {0, 2, 3};
	for (int rc = 0; rc < 4; rc++)
		for (int p = 0; p < 3; p++) {
			CW = mkcw(rc, pcs[p]);
			for (int i = 0; i < N(FIN); i++)
				for (int j = 0; j < N(FIN); j++) {
					A = VALS[FIN[i]];
					B = VALS[FIN[j]];
					for (int o = 0; o < N(d8); o += 1) {
												run(d8[o].f);
						ps(d8[o].nm);
						sp();
						ps(VNAMES[FIN[i]]);
						sp();
						ps(VNAMES[FIN[j]]);
						sp();
						ps(rcname(rc));
						ps(" pc");
						pu(pcs[p]);
						ps(" -> ");
						pf80(&R0);
						psw();
						nl();
					}
				}
		}
	/* fsqrt */
	for (int rc = 0; rc < 4; rc++)
		for (int p = 0; p < 3; p++) {
			CW = mkcw(rc, pcs[p]);
			for (int i = 0; i < NVALS; i++) {
				A = VALS[i];
				run(fsqrt_);
				ps("fsqrt ");
				ps(VNAMES[i]);
				sp();
				ps(rcname(rc));
				ps(" pc");
				pu(pcs[p]);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
		}
	for (int rc = 0; rc < 4; rc++)
		for (int p = 0; p < 3; p++) {
			CW = mkcw(rc, pcs[p]);
			for (int k = 0; k < N(EDGE); k++) {
				A = EDGE[k][0];
				B = EDGE[k][1];
				run(d8mul);
				ps("edge fmul ");
				pu(k);
				sp();
				ps(rcname(rc));
				ps(" pc");
				pu(pcs[p]);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
		}
	return 0;
}
