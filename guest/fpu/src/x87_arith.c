/* x87 arithmetic: fadd fsub fsubr fmul fdiv fdivr in every encoding
 * (st0,st(i) / st(i),st0 / pop / m32 m64 m16int m32int), fsqrt; every pair
 * of interesting operands (zeros, denormals, pseudo-denormals, unnormals,
 * infinities, NaNs, the indefinite, extremes); unmasked exceptions
 * (result and status word). Rounding and precision control: x87_round. */
#include "fpu.h"

/* D8 forms: st0 = st0 op st1 with st0 = A, st1 = B */
#define R2(name, insn) FT(name, "fldt B\n\tfldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
R2(d8add, "fadd %st(1), %st")
R2(d8mul, "fmul %st(1), %st")
R2(d8sub, "fsub %st(1), %st")
R2(d8subr, "fsubr %st(1), %st")
R2(d8div, "fdiv %st(1), %st")
R2(d8divr, "fdivr %st(1), %st")
/* DC forms: st1 = st1 op st0 (Intel operand order), raw bytes */
#define R3(name, b) FT(name, "fldt B\n\tfldt A\n\t.byte 0xdc," b "\n\tfnstsw SW\n\tfnclex\n\tfstp %st(0)\n\tfstpt R0")
R3(dcadd, "0xc1")
R3(dcmul, "0xc9")
R3(dcsubr, "0xe1")
R3(dcsub, "0xe9")
R3(dcdivr, "0xf1")
R3(dcdiv, "0xf9")
/* DE forms: st1 = st1 op st0, pop */
#define R4(name, b) FT(name, "fldt B\n\tfldt A\n\t.byte 0xde," b "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
R4(deadd, "0xc1")
R4(demul, "0xc9")
R4(desubr, "0xe1")
R4(desub, "0xe9")
R4(dedivr, "0xf1")
R4(dediv, "0xf9")
/* st0 op st0 */
R2(d8add0, "fadd %st(0), %st")
R2(d8sub0, "fsub %st(0), %st")
/* memory forms, st0 = A op M */
#define RM(name, insn) FT(name, "fldt A\n\t" insn " M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
RM(madd32, "fadds")
RM(msub32, "fsubs")
RM(msubr32, "fsubrs")
RM(mmul32, "fmuls")
RM(mdiv32, "fdivs")
RM(mdivr32, "fdivrs")
RM(madd64, "faddl")
RM(msub64, "fsubl")
RM(msubr64, "fsubrl")
RM(mmul64, "fmull")
RM(mdiv64, "fdivl")
RM(mdivr64, "fdivrl")
RM(miadd16, "fiadds")
RM(misub16, "fisubs")
RM(misubr16, "fisubrs")
RM(mimul16, "fimuls")
RM(midiv16, "fidivs")
RM(midivr16, "fidivrs")
RM(miadd32, "fiaddl")
RM(misub32, "fisubl")
RM(misubr32, "fisubrl")
RM(mimul32, "fimull")
RM(midiv32, "fidivl")
RM(midivr32, "fidivrl")
FT(fsqrt_, "fldt A\n\tfsqrt\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
/* empty operand: stack underflow (masked and not) */
FT(under1, "fldt A\n\tfadd %st(3), %st\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(under2, "fldt A\n\tfstp %st(0)\n\tfldz\n\tfstp %st(0)\n\t.byte 0xd9,0xf7\n\tfmul %st(1), %st\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(under3, "fldt A\n\t.byte 0xde,0xc2\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")

struct op {
	const char *nm;
	tfn f;
};
static const struct op d8[] = {
	{"fadd", d8add}, {"fsub", d8sub}, {"fsubr", d8subr},
	{"fmul", d8mul}, {"fdiv", d8div}, {"fdivr", d8divr},
};
static const struct op dcde[] = {
	{"dc:fadd", dcadd}, {"dc:fmul", dcmul}, {"dc:fsubr", dcsubr},
	{"dc:fsub", dcsub}, {"dc:fdivr", dcdivr}, {"dc:fdiv", dcdiv},
	{"de:faddp", deadd}, {"de:fmulp", demul}, {"de:fsubrp", desubr},
	{"de:fsubp", desub}, {"de:fdivrp", dedivr}, {"de:fdivp", dediv},
};

static void line(const char *nm, const char *a, const char *b)
{
	ps(nm);
	sp();
	ps(a);
	sp();
	ps(b);
	sp();
	ps(rcname(0));
	ps(" -> ");
	pf80(&R0);
	psw();
	nl();
}

static void run(tfn f)
{
	memset(&R0, 0x5a, sizeof R0);
	f();
}

/* finite operands for the rounding/precision matrix */

/* memory operands */
static const u32 F32[] = {0x3f800000, 0xbfc00000, 0x00000001, 0x807fffff,
			  0x7f7fffff, 0x7f800000, 0x7fc00001, 0x7f800001,
			  0x00000000, 0x80000000, 0x3eaaaaab, 0x4b7fffff};
static const u32 F64[][2] = {
	{0x00000000, 0x3ff00000}, {0x00000001, 0x00000000},
	{0xffffffff, 0x800fffff}, {0x55555555, 0x3fd55555},
	{0x00000000, 0x7ff00000}, {0x00000001, 0x7ff00000},
	{0x00000000, 0x7ff80000}, {0xffffffff, 0x7fefffff},
	{0x00000000, 0x80000000}, {0x54442d18, 0x400921fb},
};
static const u32 I16V[] = {0, 1, 0xffff, 0x7fff, 0x8000, 3, 10};
static const u32 I32VS[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 3, 1000000007};

static void memtests(void)
{
	static const struct op m32[] = {
		{"fadds", madd32}, {"fsubs", msub32}, {"fsubrs", msubr32},
		{"fmuls", mmul32}, {"fdivs", mdiv32}, {"fdivrs", mdivr32}};
	static const struct op m64[] = {
		{"faddl", madd64}, {"fsubl", msub64}, {"fsubrl", msubr64},
		{"fmull", mmul64}, {"fdivl", mdiv64}, {"fdivrl", mdivr64}};
	static const struct op i16[] = {
		{"fiadds", miadd16}, {"fisubs", misub16}, {"fisubrs", misubr16},
		{"fimuls", mimul16}, {"fidivs", midiv16}, {"fidivrs", midivr16}};
	static const struct op i32[] = {
		{"fiaddl", miadd32}, {"fisubl", misub32}, {"fisubrl", misubr32},
		{"fimull", mimul32}, {"fidivl", midiv32}, {"fidivrl", midivr32}};
	static const int av[] = {2, 4, 10, 13, 15, 16};
	CW = 0x37f;
	for (int k = 0; k < N(av); k++) {
		A = VALS[av[k]];
		for (int o = 0; o < 6; o++) {
			for (int j = 0; j < N(F32); j++) {
				M[0] = F32[j];
				run(m32[o].f);
				ps(m32[o].nm);
				sp();
				ps(VNAMES[av[k]]);
				sp();
				px(F32[j], 8);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
			for (int j = 0; j < N(F64); j++) {
				M[0] = F64[j][0];
				M[1] = F64[j][1];
				run(m64[o].f);
				ps(m64[o].nm);
				sp();
				ps(VNAMES[av[k]]);
				sp();
				px(F64[j][1], 8);
				px(F64[j][0], 8);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
			for (int j = 0; j < N(I16V); j++) {
				M[0] = I16V[j];
				run(i16[o].f);
				ps(i16[o].nm);
				sp();
				ps(VNAMES[av[k]]);
				sp();
				px(I16V[j], 4);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
			for (int j = 0; j < N(I32VS); j++) {
				M[0] = I32VS[j];
				run(i32[o].f);
				ps(i32[o].nm);
				sp();
				ps(VNAMES[av[k]]);
				sp();
				px(I32VS[j], 8);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
		}
	}
}

/* unmasked exceptions: control word, op, operands */
static void unmasked(void)
{
	static const struct {
		u16 cw;
		int op, a, b;
	} U[] = {
		{0x37e, 0, 13, 14},  /* IE: inf + -inf */
		{0x37e, 3, 0, 13},   /* IE: 0 * inf */
		{0x37e, 0, 16, 2},   /* IE: snan */
		{0x37e, 0, 18, 2},   /* IE: unnormal */
		{0x37b, 4, 2, 0},    /* ZE: 1/0 */
		{0x37d, 0, 10, 2},   /* DE */
		{0x37d, 3, 11, 9},   /* DE */
		{0x377, 3, 8, 8},    /* OE: max*max */
		{0x377, 4, 8, 9},    /* OE */
		{0x36f, 3, 9, 5},    /* UE: minn/3 */
		{0x36f, 3, 20, 20},  /* UE */
		{0x36f, 0, 9, 11},   /* UE exact: denormal result */
		{0x35f, 4, 2, 5},    /* PE */
		{0x340, 4, 2, 0},    /* all unmasked: ZE */
		{0x340, 3, 8, 8},    /* all unmasked: OE */
		{0x340, 3, 9, 5},    /* all unmasked: UE */
		{0x340, 0, 10, 2},   /* all unmasked: DE */
	};
	for (int k = 0; k < N(U); k++) {
		CW = U[k].cw;
		A = VALS[U[k].a];
		B = VALS[U[k].b];
		run(d8[U[k].op].f);
		ps("unmasked cw=");
		px(CW, 4);
		sp();
		line(d8[U[k].op].nm, VNAMES[U[k].a], VNAMES[U[k].b]);
		run(fsqrt_);
		ps("unmasked fsqrt cw=");
		px(CW, 4);
		sp();
		ps(VNAMES[U[k].a]);
		ps(" -> ");
		pf80(&R0);
		psw();
		nl();
	}
	static const u16 ucw[] = {0x37f, 0x37e};
	for (int k = 0; k < 2; k++) {
		CW = ucw[k];
		A = VALS[4];
		run(under1);
		ps("underflow fadd st3 cw=");
		px(CW, 4);
		ps(" -> ");
		pf80(&R0);
		psw();
		nl();
		run(under2);
		ps("underflow fmul st1 cw=");
		px(CW, 4);
		ps(" -> ");
		pf80(&R0);
		psw();
		nl();
		run(under3);
		ps("underflow faddp st2 cw=");
		px(CW, 4);
		ps(" -> ");
		pf80(&R0);
		psw();
		nl();
	}
}

int main(void)
{
	/* every pair, every D8 op, default control word */
	CW = 0x37f;
	for (int i = 0; i < NVALS; i++)
		for (int j = 0; j < NVALS; j++) {
			A = VALS[i];
			B = VALS[j];
			for (int o = 0; o < N(d8); o++) {
				run(d8[o].f);
				line(d8[o].nm, VNAMES[i], VNAMES[j]);
			}
		}
	/* other encodings on a few pairs */
	static const int pa[] = {2, 4, 13, 15, 0, 10, 8};
	static const int pb[] = {3, 5, 2, 16, 1, 9, 8};
	for (int k = 0; k < N(pa); k++) {
		A = VALS[pa[k]];
		B = VALS[pb[k]];
		for (int o = 0; o < N(dcde); o++) {
			run(dcde[o].f);
			line(dcde[o].nm, VNAMES[pa[k]], VNAMES[pb[k]]);
		}
		run(d8add0);
		line("fadd-st0", VNAMES[pa[k]], VNAMES[pb[k]]);
		run(d8sub0);
		line("fsub-st0", VNAMES[pa[k]], VNAMES[pb[k]]);
	}
	memtests();
	unmasked();
	return 0;
}
