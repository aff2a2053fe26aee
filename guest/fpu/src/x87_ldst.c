/* x87 loads and stores: fld/fst/fstp m32 m64 m80 (denormals, NaN payloads,
 * SNaNs, overflow/underflow to single and double, every rounding mode),
 * fild/fist/fistp/fisttp 16/32/64 (rounding, range, the integer
 * indefinite), fbld/fbstp, the constants under every rounding mode, and
 * stack overflow on a push. */
#include "fpu.h"

FT(ld32, "flds M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ld64, "fldl M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ld80, "fldt A\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ldi16, "filds M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ldi32, "fildl M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ldi64, "fildll M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(ldbcd, "fbld M\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
FT(st32, "fldt A\n\tfsts M\n\tfnstsw SW\n\tfnclex")
FT(st64, "fldt A\n\tfstl M\n\tfnstsw SW\n\tfnclex")
FT(stp32, "fldt A\n\tfstps M\n\tfnstsw SW\n\tfnclex")
FT(stp80, "fldt A\n\tfstpt M\n\tfnstsw SW\n\tfnclex")
FT(sti16, "fldt A\n\tfists M\n\tfnstsw SW\n\tfnclex")
FT(sti32, "fldt A\n\tfistl M\n\tfnstsw SW\n\tfnclex")
FT(stpi64, "fldt A\n\tfistpll M\n\tfnstsw SW\n\tfnclex")
FT(sttp16, "fldt A\n\tfisttps M\n\tfnstsw SW\n\tfnclex")
FT(sttp32, "fldt A\n\tfisttpl M\n\tfnstsw SW\n\tfnclex")
FT(sttp64, "fldt A\n\tfisttpll M\n\tfnstsw SW\n\tfnclex")
FT(stpbcd, "fldt A\n\tfbstp M\n\tfnstsw SW\n\tfnclex")
FT(k1, "fld1\n\tfnstsw SW\n\tfstpt R0")
FT(kl2t, "fldl2t\n\tfnstsw SW\n\tfstpt R0")
FT(kl2e, "fldl2e\n\tfnstsw SW\n\tfstpt R0")
FT(kpi, "fldpi\n\tfnstsw SW\n\tfstpt R0")
FT(klg2, "fldlg2\n\tfnstsw SW\n\tfstpt R0")
FT(kln2, "fldln2\n\tfnstsw SW\n\tfstpt R0")
FT(kz, "fldz\n\tfnstsw SW\n\tfstpt R0")
/* 9 pushes: the 9th overflows (masked: indefinite) */
FT(over9, "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfnstsw SW\n\tfldpi\n\tfnstsw CW2\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
/* fst to empty st0 (underflow), fst st(i) forms */
FT(stempty, "fsts M\n\tfnstsw SW\n\tfnclex")
FT(fstsi, "fldt B\n\tfldt A\n\tfst %st(1)\n\tfnstsw SW\n\tfstpt R0\n\tfstpt R1")
FT(fstpsi, "fldt B\n\tfldt A\n\tfldz\n\tfstp %st(2)\n\tfnstsw SW\n\tfstpt R0\n\tfstpt R1")
FT(fldsi, "fldt B\n\tfldt A\n\tfld %st(1)\n\tfnstsw SW\n\tfstpt R0\n\tfstpt R1\n\tfstp %st(0)")

#define V(se, hi, lo) {lo, hi, se}
static const f80 INTV[] = {
	V(0x4000, 0xa0000000, 0x00000000), /* 5/2 */
	V(0xc000, 0xa0000000, 0x00000000), /* -5/2 */
	V(0x4000, 0xe0000000, 0x00000000), /* 7/2 */
	V(0x3ffe, 0x80000000, 0x00000000), /* 1/2 */
	V(0xbffe, 0x80000000, 0x00000000), /* -1/2 */
	V(0x400d, 0xffff0000, 0x00000000), /* 65535/2 */
	V(0xc00e, 0x80008000, 0x00000000), /* -65537/2 */
	V(0x400e, 0x80000000, 0x00000000), /* 32768 */
	V(0xc00e, 0x80000000, 0x00000000), /* -32768 */
	V(0x401d, 0xffffffff, 0x00000000), /* 4294967295/2 */
	V(0xc01e, 0x80000000, 0x80000000), /* -4294967297/2 */
	V(0x401e, 0x80000000, 0x00000000), /* 2147483648 */
	V(0xc01e, 0x80000000, 0x00000000), /* -2147483648 */
	V(0x403e, 0x80000000, 0x00000000), /* 2^63 */
	V(0xc03e, 0x80000000, 0x00000000), /* -2^63 */
	V(0x403d, 0xffffffff, 0xfffffffe), /* 2^63-1 */
	V(0x403a, 0xde0b6b3a, 0x76400000), /* 10^18 */
	V(0x403a, 0xde0b6b3a, 0x763ffff0), /* 10^18-1 */
	V(0x403a, 0xde0b6b3a, 0x763ffff8), /* 10^18-1/2 */
	V(0xc03a, 0xde0b6b3a, 0x763ffff0), /* -(10^18-1) */
	V(0x3ffe, 0xc0000000, 0x00000000), /* 3/4 */
	V(0x4019, 0xeb79a2a0, 0x00000000), /* 123456789 */
};

static const u32 F32[] = {0x3f800000, 0xbfc00000, 0x00000001, 0x807fffff,
			  0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000,
			  0x7fc00001, 0x7f800001, 0xffbfffff, 0x00000000,
			  0x80000000, 0x3eaaaaab};
static const u32 F64[][2] = {
	{0x00000000, 0x3ff00000}, {0x00000001, 0x00000000},
	{0xffffffff, 0x800fffff}, {0x00000000, 0x00100000},
	{0x55555555, 0x3fd55555}, {0x00000000, 0x7ff00000},
	{0x00000001, 0x7ff00000}, {0xffffffff, 0xfff7ffff},
	{0x00000000, 0x7ff80000}, {0xffffffff, 0x7fefffff},
	{0x00000000, 0x80000000}, {0x54442d18, 0x400921fb},
};
static const u32 I16V[] = {0, 1, 0xffff, 0x7fff, 0x8000, 12345};
static const u32 I32VS[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 123456789};
static const u32 I64V[][2] = {{0, 0}, {1, 0}, {0xffffffff, 0xffffffff},
			      {0xffffffff, 0x7fffffff}, {0, 0x80000000},
			      {0x89abcdef, 0x01234567}, {0xfffffff, 0x00200000}};
static const u32 BCDV[][3] = {
	{0x00000000, 0x00000000, 0x0000}, {0x00000001, 0x00000000, 0x8000},
	{0x89012345, 0x67, 0x0000},       {0x99999999, 0x99999999, 0x0099},
	{0x99999999, 0x99999999, 0x8099}, {0x00000000, 0x00000000, 0x8000},
	{0x0000000a, 0x00000000, 0x0000}, {0x000000ff, 0x00000000, 0x0000},
};

static void rline(const char *nm, const char *a)
{
	ps(nm);
	sp();
	ps(a);
	ps(" -> ");
	pf80(&R0);
	psw();
	nl();
}

static void mline(const char *nm, const char *a, int rc, int n)
{
	ps(nm);
	sp();
	ps(a);
	sp();
	ps(rcname(rc));
	ps(" -> ");
	for (int i = n - 1; i >= 0; i--)
		px(((u8 *)M)[i], 2);
	psw();
	nl();
}

static void stores(const f80 *v, const char *name)
{
	static const struct {
		const char *nm;
		tfn f;
		int n;
	} S[] = {
		{"fsts", st32, 4},     {"fstl", st64, 8},
		{"fstps", stp32, 4},   {"fstpt", stp80, 10},
		{"fists", sti16, 2},   {"fistl", sti32, 4},
		{"fistpll", stpi64, 8}, {"fisttps", sttp16, 2},
		{"fisttpl", sttp32, 4}, {"fisttpll", sttp64, 8},
		{"fbstp", stpbcd, 10},
	};
	A = *v;
	for (int rc = 0; rc < 4; rc++) {
		CW = mkcw(rc, 3);
		for (int k = 0; k < N(S); k++) {
			memset(M, 0xa5, 16);
			S[k].f();
			mline(S[k].nm, name, rc, S[k].n);
		}
	}
}

int main(void)
{
	char nm[16];
	CW = 0x37f;
	for (int i = 0; i < N(F32); i++) {
		M[0] = F32[i];
		ld32();
		px(F32[i], 8);
		rline(" flds", "");
	}
	for (int i = 0; i < N(F64); i++) {
		M[0] = F64[i][0];
		M[1] = F64[i][1];
		ld64();
		px(F64[i][1], 8);
		px(F64[i][0], 8);
		rline(" fldl", "");
	}
	for (int i = 0; i < NVALS; i++) {
		A = VALS[i];
		ld80();
		rline("fldt", VNAMES[i]);
	}
	for (int i = 0; i < N(I16V); i++) {
		M[0] = I16V[i];
		ldi16();
		px(I16V[i], 4);
		rline(" filds", "");
	}
	for (int i = 0; i < N(I32VS); i++) {
		M[0] = I32VS[i];
		ldi32();
		px(I32VS[i], 8);
		rline(" fildl", "");
	}
	for (int i = 0; i < N(I64V); i++) {
		M[0] = I64V[i][0];
		M[1] = I64V[i][1];
		ldi64();
		px(I64V[i][1], 8);
		px(I64V[i][0], 8);
		rline(" fildll", "");
	}
	for (int i = 0; i < N(BCDV); i++) {
		M[0] = BCDV[i][0];
		M[1] = BCDV[i][1];
		M[2] = BCDV[i][2];
		ldbcd();
		px(BCDV[i][2], 4);
		px(BCDV[i][1], 8);
		px(BCDV[i][0], 8);
		rline(" fbld", "");
	}
	for (int i = 0; i < NVALS; i++)
		stores(&VALS[i], VNAMES[i]);
	for (int i = 0; i < N(INTV); i++) {
		nm[0] = 'i';
		nm[1] = 'a' + i;
		nm[2] = 0;
		stores(&INTV[i], nm);
	}
	static const struct {
		const char *nm;
		tfn f;
	} K[] = {{"fld1", k1},   {"fldl2t", kl2t}, {"fldl2e", kl2e},
		 {"fldpi", kpi}, {"fldlg2", klg2}, {"fldln2", kln2},
		 {"fldz", kz}};
	for (int rc = 0; rc < 4; rc++)
		for (int pc = 0; pc < 4; pc++) {
			CW = mkcw(rc, pc);
			for (int k = 0; k < N(K); k++) {
				K[k].f();
				ps(K[k].nm);
				sp();
				ps(rcname(rc));
				ps(" pc");
				pu(pc);
				ps(" -> ");
				pf80(&R0);
				psw();
				nl();
			}
		}
	static const u16 cws[] = {0x37f, 0x37e};
	for (int k = 0; k < 2; k++) {
		CW = cws[k];
		memset(&R1, 0, sizeof R1);
		over9();
		ps("overflow cw=");
		px(CW, 4);
		ps(" before");
		psw();
		ps(" after=");
		px(CW2, 4);
		ps(" st0=");
		pf80(&R0);
		ps(" st1=");
		pf80(&R1);
		nl();
		memset(M, 0xa5, 8);
		stempty();
		ps("fsts empty cw=");
		px(CW, 4);
		ps(" -> ");
		px(M[0], 8);
		psw();
		nl();
	}
	CW = 0x37f;
	A = VALS[4];
	B = VALS[5];
	fstsi();
	ps("fst st1 -> ");
	pf80(&R0);
	sp();
	pf80(&R1);
	psw();
	nl();
	fstpsi();
	ps("fstp st2 -> ");
	pf80(&R0);
	sp();
	pf80(&R1);
	psw();
	nl();
	fldsi();
	ps("fld st1 -> ");
	pf80(&R0);
	sp();
	pf80(&R1);
	psw();
	nl();
	return 0;
}
