/* x87: fchs fabs frndint fscale fxtract fprem fprem1 (complete and partial
 * remainders, quotient bits), fxch ffree ffreep fincstp fdecstp fnop,
 * fldcw (unmasking a pending exception), fnclex, fninit, fnstsw ax,
 * fnstenv/fldenv (32- and 16-bit), fnsave/frstor, fxsave/fxrstor layouts,
 * tag words. */
#include "fpu.h"

#define U1(name, insn) FT(name, "fldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
U1(fchs_, "fchs")
U1(fabs_, "fabs")
U1(frndint_, "frndint")
#define U2(name, insn) FT(name, "fldt B\n\tfldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
U2(fscale_, "fscale")
U2(fprem_, "fprem")
U2(fprem1_, "fprem1")
FT(fxtract_, "fldt A\n\tfxtract\n\tfnstsw SW\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
/* fprem until complete: count iterations in EFL */
FT(fprem_loop, "fldt B\n\tfldt A\n\tmovl $0, EFL\n1:\n\tincl EFL\n\tfprem\n\tfnstsw %ax\n\ttestb $4, %ah\n\tjnz 1b\n\tfnstsw SW\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
FT(fprem1_loop, "fldt B\n\tfldt A\n\tmovl $0, EFL\n1:\n\tincl EFL\n\tfprem1\n\tfnstsw %ax\n\ttestb $4, %ah\n\tjnz 1b\n\tfnstsw SW\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
/* stack manipulation: results via fnstenv */
FT(stk1, "fldt A\n\tfldt B\n\tfxch %st(1)\n\tfnstsw SW\n\tfstpt R0\n\tfstpt R1")
FT(stk2, "fldt A\n\tfldt B\n\tfldz\n\tffree %st(1)\n\tfnstenv BUF\n\tfldenv BUF")
FT(stk3, "fldt A\n\tfldt B\n\tfldz\n\t.byte 0xdf,0xc1\n\tfnstenv BUF\n\tfldenv BUF")
FT(stk4, "fldt A\n\tfincstp\n\tfincstp\n\tfnstsw SW\n\tfdecstp\n\tfnstenv BUF\n\tfldenv BUF")
FT(stk5, "fldt A\n\tfxch %st(3)\n\tfnstenv BUF\n\tfldenv BUF\n\tfnstsw SW")
FT(stk6, "fldt A\n\tfnop\n\tfnstenv BUF\n\tfldenv BUF")
/* environment and state */
FT(env32, "fldt A\n\tfldt B\n\tfaddl M\n\tfldz\n\tfld1\n\tfnstenv BUF\n\tfnstcw CW2\n\tfldenv BUF")
FT(env16, "fldt A\n\tfldt B\n\tfmul %st(1), %st\n\tdata16 fnstenv BUF\n\tdata16 fldenv BUF\n\tfnstenv BUF+32")
FT(save32, "fldt A\n\tfldt B\n\tfld1\n\tfdivs M\n\tfnsave BUF\n\tfnstsw SW\n\tfnstcw CW2\n\tfrstor BUF\n\tfnstenv BUF+200\n\tfstpt R0\n\tfstpt R1")
FT(save16, "fldt A\n\tfldt B\n\tdata16 fnsave BUF\n\tdata16 frstor BUF\n\tfnstenv BUF+200")
FT(fxsv, "fldt A\n\tfldt B\n\tfldpi\n\tffree %st(1)\n\tfxsave BUF\n\tfninit\n\tfxrstor BUF\n\tfnstenv BUF+300\n\tfxsave BUF+512")
FT(fxsv_pend, "fldz\n\tfld1\n\tfdivp\n\tfxsave BUF\n\tfnclex")
FT(axsw, "fldt A\n\tfldz\n\tfcomp %st(1)\n\tmovl $0xa5a5a5a5, %eax\n\tfnstsw %ax\n\tmovl %eax, EFL")
/* a pending exception survives non-waiting instructions; fnclex clears it */
FT(pend1, "fldz\n\tfld1\n\tfdivp\n\tfnstsw SW\n\tfnstcw CW2\n\tfnstenv BUF\n\tfnclex\n\tfnstsw CW2")
/* fldcw unmasking an already-set flag raises ES/B */
FT(pend2, "fldz\n\tfld1\n\tfdivp\n\tfnstsw SW\n\tfldcw CW2\n\tfnstsw CW2\n\tfnclex")
FT(init1, "fld1\n\tfdivs M\n\tfninit\n\tfnstsw SW\n\tfnstcw CW2\n\tfnstenv BUF")
/* FOP/FDP after an unmasked exception with a memory operand, then more
 * (exception-free) register and memory instructions; FCS/FDS */
FT(ptr1, "fld1\n\tfdivs M\n\tfnclex\n\tfld1\n\tfadd %st(0)\n\tfadds M+4\n\t"
	 "fnstenv BUF\n\tfxsave BUF+512")
/* then an unmasked exception on registers only */
FT(ptr2, "fld1\n\tfdivs M\n\tfnclex\n\tfldz\n\tfld1\n\tfdiv %st(1), %st\n\t"
	 "fnstenv BUF")
/* pointers and selectors loaded by fldenv / fxrstor, then an instruction */
FT(ptr3, "fldenv BUF\n\tfld1\n\tfnstenv BUF+32\n\tfxsave BUF+512")
FT(ptr4, "fxrstor BUF+512\n\tfnstenv BUF\n\tfldz\n\tfnstenv BUF+32")

static void res1(const char *nm, const char *a)
{
	ps(nm);
	sp();
	ps(a);
	ps(" -> ");
	pf80(&R0);
	psw();
	nl();
}

static void res2(const char *nm, const char *a, const char *b)
{
	ps(nm);
	sp();
	ps(a);
	sp();
	ps(b);
	ps(" -> ");
	pf80(&R0);
	sp();
	pf80(&R1);
	psw();
	nl();
}

static void dump(const char *nm, int off, int n)
{
	ps(nm);
	pc(':');
	for (int i = 0; i < n; i++) {
		if ((i & 3) == 0)
			sp();
		px(BUF[off + i], 2);
	}
	nl();
}

#define V(se, hi, lo) {lo, hi, se}
static const f80 PR[][2] = {
	{V(0x4001, 0xe0000000, 0), V(0x4000, 0x80000000, 0)},  /* 7, 2 */
	{V(0xc001, 0xb0000000, 0), V(0x4000, 0x80000000, 0)},  /* -5.5, 2 */
	{V(0x3ffe, 0xc0000000, 0), V(0x3fff, 0x80000000, 0)},  /* 0.75, 1 */
	{V(0x3ffe, 0x80000000, 0), V(0x3fff, 0x80000000, 0)},  /* 0.5, 1 */
	{V(0x3fff, 0xc0000000, 0), V(0x3fff, 0x80000000, 0)},  /* 1.5, 1 */
	{V(0x4000, 0xa0000000, 0), V(0x3fff, 0x80000000, 0)},  /* 2.5, 1 */
	{V(0x403e, 0xf1234567, 0x89abcdef), V(0x4000, 0xc90fdaa2, 0x2168c235)},
	{V(0x403f, 0xf1234567, 0x89abcdef), V(0x4000, 0xc90fdaa2, 0x2168c235)},
	{V(0x405f, 0xf1234567, 0x89abcdef), V(0x4000, 0xc90fdaa2, 0x2168c235)},
	{V(0x43e7, 0xf1234567, 0x89abcdef), V(0x4000, 0xc90fdaa2, 0x2168c235)},
	{V(0x7ffe, 0xffffffff, 0xffffffff), V(0x0000, 0x00000000, 0x00000003)},
	{V(0x0000, 0x00000000, 0x00000007), V(0x0000, 0x00000000, 0x00000002)},
	{V(0x0001, 0x80000000, 0x00000000), V(0x0000, 0x00000000, 0x00000003)},
	{V(0x3fff, 0x80000000, 0), V(0x3fff, 0x80000000, 0)},  /* 1, 1 */
	{V(0xbfff, 0x80000000, 0), V(0x3ffe, 0xc0000000, 0)},  /* -1, 0.75 */
};

int main(void)
{
	CW = 0x37f;
	for (int i = 0; i < NVALS; i++) {
		A = VALS[i];
		fchs_();
		res1("fchs", VNAMES[i]);
		fabs_();
		res1("fabs", VNAMES[i]);
		for (int rc = 0; rc < 4; rc++) {
			CW = mkcw(rc, 3);
			frndint_();
			ps(rcname(rc));
			sp();
			res1("frndint", VNAMES[i]);
		}
		CW = 0x37f;
		fxtract_();
		res2("fxtract", VNAMES[i], "");
	}
	static const int sc[] = {0, 1, 2, 3, 5, 9, 10, 13, 14, 15, 16, 18, 19, 20, 22};
	for (int i = 0; i < N(sc); i++)
		for (int j = 0; j < N(sc); j++) {
			A = VALS[sc[i]];
			B = VALS[sc[j]];
			fscale_();
			res2("fscale", VNAMES[sc[i]], VNAMES[sc[j]]);
			fprem_();
			res2("fprem", VNAMES[sc[i]], VNAMES[sc[j]]);
			fprem1_();
			res2("fprem1", VNAMES[sc[i]], VNAMES[sc[j]]);
		}
	for (int k = 0; k < N(PR); k++) {
		A = PR[k][0];
		B = PR[k][1];
		fprem_();
		ps("pr");
		pu(k);
		res2(" fprem", "", "");
		fprem1_();
		ps("pr");
		pu(k);
		res2(" fprem1", "", "");
		fprem_loop();
		ps("pr");
		pu(k);
		ps(" iterations=");
		pu(EFL);
		res2(" fprem-loop", "", "");
		fprem1_loop();
		ps("pr");
		pu(k);
		ps(" iterations=");
		pu(EFL);
		res2(" fprem1-loop", "", "");
	}
	/* fscale with large/small counts and rounding */
	static const f80 SCL[] = {V(0x400c, 0x80000000, 0), V(0xc00c, 0x80000000, 0),
				  V(0x4020, 0x80000000, 0), V(0xc020, 0x80000000, 0),
				  V(0xc00c, 0x80140000, 0), V(0x3ffe, 0xffffffff, 0)};
	for (int rc = 0; rc < 4; rc++) {
		CW = mkcw(rc, 3);
		for (int k = 0; k < N(SCL); k++) {
			A = VALS[5];
			B = SCL[k];
			fscale_();
			ps(rcname(rc));
			ps(" scl");
			pu(k);
			res2(" fscale", "1/3", "");
		}
	}
	CW = 0x37f;
	A = VALS[4];
	B = VALS[5];
	stk1();
	res2("fxch", "", "");
	stk2();
	dump("ffree env", 0, 28);
	stk3();
	dump("ffreep env", 0, 28);
	stk4();
	psw();
	dump(" fincstp env", 0, 28);
	stk5();
	dump("fxch-empty env", 0, 28);
	stk6();
	dump("fnop env", 0, 28);
	M[0] = 0x3f800000;
	env32();
	ps("fnstenv cw2=");
	px(CW2, 4);
	dump(" env32", 0, 28);
	env16();
	dump("env16", 0, 14);
	dump("env16 reloaded", 32, 28);
	M[0] = 0x40400000;
	save32();
	ps("fnsave after sw=");
	px(SW, 4);
	ps(" cw=");
	px(CW2, 4);
	nl();
	dump("save32", 0, 108);
	dump("save32 restored env", 200, 28);
	res2("save32 regs", "", "");
	save16();
	dump("save16", 0, 94);
	dump("save16 restored env", 200, 28);
	memset(BUF, 0xcc, sizeof BUF);
	fxsv();
	dump("fxsave", 0, 288);
	dump("fxsave tail", 288, 32);
	dump("fxrstor env", 300, 28);
	dump("fxsave2", 512, 160);
	fxsv_pend();
	dump("fxsave pending", 0, 32);
	axsw();
	ps("fnstsw ax eax=");
	px(EFL, 8);
	nl();
	CW = 0x37b;
	pend1();
	ps("pending sw=");
	px(SW, 4);
	ps(" after fnclex=");
	px(CW2, 4);
	nl();
	dump("pending env", 0, 28);
	CW = 0x37f;
	CW2 = 0x37b;
	pend2();
	ps("fldcw unmask sw=");
	px(SW, 4);
	ps(" after=");
	px(CW2, 4);
	nl();
	M[0] = 0;
	init1();
	ps("fninit sw=");
	px(SW, 4);
	ps(" cw=");
	px(CW2, 4);
	nl();
	dump("fninit env", 0, 28);
	CW = 0x37b;
	M[0] = 0;
	M[1] = 0x3f800000;
	ptr1();
	dump("ptr1 env", 0, 28);
	dump("ptr1 fxsave", 512, 32);
	ptr2();
	dump("ptr2 env", 0, 28);
	CW = 0x37f;
	static const u32 ENV[7] = {0xffff037f, 0xffff0000, 0xffffffff, 0x12345678,
				   0x07ab0023, 0x9abcdef0, 0xffff002b};
	memcpy(BUF, ENV, sizeof ENV);
	ptr3();
	dump("ptr3 env", 32, 28);
	dump("ptr3 fxsave", 512, 32);
	memset(BUF + 512, 0, 512);
	static const u32 FX[8] = {0x037f, 0x07ab0000, 0x12345678, 0x23,
				  0x9abcdef0, 0x2b, 0x1f80, 0};
	memcpy(BUF + 512, FX, sizeof FX);
	ptr4();
	dump("ptr4 env", 0, 28);
	dump("ptr4 env2", 32, 28);
	return 0;
}
