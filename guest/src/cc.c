/* setcc and cmovcc: all 16 conditions over all 32 combinations of
 * CF PF ZF SF OF; register and memory operands; 16 and 32-bit cmov. */
#include "rt.h"

#define CCS(X)                                                                 \
	X(o, 0) X(no, 1) X(b, 2) X(ae, 3) X(e, 4) X(ne, 5) X(be, 6) X(a, 7)    \
	X(s, 8) X(ns, 9) X(p, 10) X(np, 11) X(l, 12) X(ge, 13) X(le, 14)       \
	X(g, 15)

#define SETM(c, n) "set" #c " M+" #n ";"
T(setm, CCS(SETM))
/* registers: two rounds of the eight byte registers */
T(setr1, "seto %al; setno %ah; setb %bl; setae %bh; sete %cl; setne %ch;"
	 "setbe %dl; seta %dh")
T(setr2, "sets %al; setns %ah; setp %bl; setnp %bh; setl %cl; setge %ch;"
	 "setle %dl; setg %dh")
/* the 0f 9x /r forms ignore modrm.reg */
T(setodd, ".byte 0x0f, 0x94, 0xf8") /* sete %al with reg field 7 */
#define CM32(c, n) "movl %ecx, %eax; cmov" #c "l %ebx, %eax; movl %eax, M+" #n "*4;"
#define CM32M(c, n) "movl %ecx, %eax; cmov" #c "l M+256, %eax; movl %eax, M+" #n "*4;"
#define CM16(c, n) "movl %ecx, %eax; cmov" #c "w %bx, %ax; movl %eax, M+" #n "*4;"
#define CM16M(c, n) "movl %ecx, %eax; cmov" #c "w M+256, %ax; movl %eax, M+" #n "*4;"
T(cm32, CCS(CM32))
T(cm32m, CCS(CM32M))
T(cm16, CCS(CM16))
T(cm16m, CCS(CM16M))

static void setstr(const u8 *b)
{
	for (int i = 0; i < 16; i++)
		pc(b[i] == 1 ? '1' : b[i] == 0 ? '0' : 'x');
}

/* moved: '1'; not moved: '0'; anything else: 'x' */
static void cmstr(u32 old, u32 nw)
{
	for (int i = 0; i < 16; i++)
		pc(M[i] == nw ? '1' : M[i] == old ? '0' : 'x');
}

static void runcm(const char *nm, tfn f, u32 fl, u32 nw)
{
	R.ecx = 0x11112222;
	R.ebx = 0x33334444;
	M[64] = 0x33334444;
	R.fl = fl;
	f();
	ps(nm);
	cmstr(0x11112222, nw);
	if ((R.fl ^ fl) & (ARITH | DF))
		ps("!flags");
}

int main(void)
{
	ps("conditions: o no b ae e ne be a s ns p np l ge le g\n");
	for (int m = 0; m < 32; m++) {
		u32 fl = 0x002;
		if (m & 1)
			fl |= CF;
		if (m & 2)
			fl |= PF;
		if (m & 4)
			fl |= ZF;
		if (m & 8)
			fl |= SF;
		if (m & 16)
			fl |= OF;
		ps("in=");
		px(fl, 4);

		for (int i = 0; i < 16; i++)
			((u8 *)M)[i] = 0xcc;
		R.fl = fl;
		setm();
		ps(" setm=");
		setstr((u8 *)M);
		if ((R.fl ^ fl) & (ARITH | DF))
			ps("!flags");

		u8 b[16];
		R.eax = R.ebx = R.ecx = R.edx = 0xcccccccc;
		R.fl = fl;
		setr1();
		b[0] = R.eax;
		b[1] = R.eax >> 8;
		b[2] = R.ebx;
		b[3] = R.ebx >> 8;
		b[4] = R.ecx;
		b[5] = R.ecx >> 8;
		b[6] = R.edx;
		b[7] = R.edx >> 8;
		u32 up = (R.eax | R.ebx | R.ecx | R.edx) & 0xffff0000;
		R.eax = R.ebx = R.ecx = R.edx = 0xcccccccc;
		R.fl = fl;
		setr2();
		b[8] = R.eax;
		b[9] = R.eax >> 8;
		b[10] = R.ebx;
		b[11] = R.ebx >> 8;
		b[12] = R.ecx;
		b[13] = R.ecx >> 8;
		b[14] = R.edx;
		b[15] = R.edx >> 8;
		up &= (R.eax | R.ebx | R.ecx | R.edx) & 0xffff0000;
		ps(" setr=");
		setstr(b);
		if (up != 0xcccc0000)
			ps("!upper");

		runcm(" cmov32=", cm32, fl, 0x33334444);
		runcm(" cmov32m=", cm32m, fl, 0x33334444);
		runcm(" cmov16=", cm16, fl, 0x11114444);
		runcm(" cmov16m=", cm16m, fl, 0x11114444);
		nl();
	}
	R.eax = 0xcccccccc;
	R.fl = 0x002 | ZF;
	setodd();
	ps("sete (0f 94 f8) zf=1 -> eax=");
	px(R.eax, 8);
	pop();
	return 0;
}
