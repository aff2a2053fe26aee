/* Control flow: jmp, all jcc (short and near) over all flag states, call,
 * ret, ret imm16, loop/loopz/loopnz, jecxz/jcxz, indirect jumps and calls
 * through registers, memory and tables, recursion. */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

#define CCS(X)                                                                 \
	X(o, 0) X(no, 1) X(b, 2) X(ae, 3) X(e, 4) X(ne, 5) X(be, 6) X(a, 7)    \
	X(s, 8) X(ns, 9) X(p, 10) X(np, 11) X(l, 12) X(ge, 13) X(le, 14)       \
	X(g, 15)
/* M byte n = 1 if taken */
#define J8(c, n) "movb $1, M+" #n "; j" #c " 1f; movb $0, M+" #n "; 1:"
#define J32(c, n) "movb $1, M+" #n "; {disp32} j" #c " 1f; movb $0, M+" #n "; 1:"
/* taken backwards: jump back to a landing pad before the jcc */
#define JB(c, n)                                                               \
	"movb $0, M+" #n "; jmp 2f; 1: movb $1, M+" #n "; jmp 3f; 2: j" #c    \
	" 1b; 3:"
T(jcc8, CCS(J8))
T(jcc32, CCS(J32))
T(jccb, CCS(JB))

/* jecxz / jcxz (67 e3) */
T(t_jecxz, "movl $1, %eax; jecxz 1f; movl $0, %eax; 1:")
T(t_jcxz, "movl $1, %eax; addr16 jecxz 1f; movl $0, %eax; 1:")

/* loops: eax counts passes */
T(t_loop, "xorl %eax, %eax; 1: incl %eax; loop 1b")
T(t_loopz, "xorl %eax, %eax; 1: incl %eax; cmpl %edx, %ebx; loopz 1b")
T(t_loopnz, "xorl %eax, %eax; 1: incl %eax; decl %edx; loopnz 1b")
T(t_loopw, "xorl %eax, %eax; 1: incl %eax; addr16 loop 1b")
T(t_loopzw, "xorl %eax, %eax; 1: incl %eax; cmpl %edx, %ebx; addr16 loopz 1b")
T(t_loopfl, "loop 1f; 1:") /* flags untouched */

/* jumps */
T(j_short, "movl $1, %eax; jmp 1f; movl $0, %eax; 1:")
T(j_near, "movl $1, %eax; {disp32} jmp 1f; movl $0, %eax; 1:")
T(j_reg, "movl $1f, %edx; movl $1, %eax; jmp *%edx; movl $0, %eax; 1:")
T(j_mem, "movl $1f, M+8; movl $1, %eax; jmp *M+8; movl $0, %eax; 1:")
T(j_memsib, "movl $M, %esi; movl $1f, 12(%esi); movl $1, %eax; jmp *12(%esi);"
	    "movl $0, %eax; 1:")
T(j_tbl, ".pushsection .rodata; 9: .long 1f, 2f, 3f, 4f; .popsection;"
	 "jmp *9b(,%ecx,4);"
	 "1: movl $0x100, %eax; jmp 5f;"
	 "2: movl $0x200, %eax; jmp 5f;"
	 "3: movl $0x300, %eax; jmp 5f;"
	 "4: movl $0x400, %eax; 5:")
T(j_tblreg, ".pushsection .rodata; 9: .long 1f, 2f; .popsection;"
	    "movl $9b, %edx; jmp *(%edx,%ecx,4);"
	    "1: movl $0x111, %eax; jmp 5f;"
	    "2: movl $0x222, %eax; 5:")

/* calls: functions in plain assembly */
__asm__(".text\n"
	"f_add: addl %ebx, %eax; ret\n"
	"f_ret8: movl 4(%esp), %eax; addl 8(%esp), %eax; ret $8\n"
	"f_ret0: movl $7, %eax; .byte 0xc2, 0, 0\n" /* ret $0 */
	"f_repret: movl $9, %eax; rep ret\n"
	"f_fib: cmpl $2, %eax; jb 1f; pushl %eax; decl %eax; call f_fib;"
	"  xchgl %eax, (%esp); subl $2, %eax; call f_fib; popl %ecx;"
	"  addl %ecx, %eax; 1: ret\n"
	"f_depth: testl %ecx, %ecx; jz 1f; decl %ecx; call f_depth; incl %eax;"
	"  1: ret\n");
T(c_rel, "movl $5, %eax; movl $6, %ebx; call f_add")
T(c_next, "call 1f; 1: popl %eax; subl $1b, %eax")
T(c_reg, "movl $f_add, %edx; movl $5, %eax; movl $7, %ebx; call *%edx")
T(c_mem, "movl $f_add, M+16; movl $5, %eax; movl $8, %ebx; call *M+16")
T(c_tbl, ".pushsection .rodata; 9: .long f_add, f_ret0, f_repret; .popsection;"
	 "movl $1, %eax; movl $2, %ebx; call *9b(,%ecx,4)")
T(c_ret8, "pushl $0x30; pushl $0x12; call f_ret8")
T(c_ret0, "call f_ret0")
T(c_fib, "movl $15, %eax; call f_fib")
T(c_depth, "xorl %eax, %eax; movl $5000, %ecx; call f_depth")
T(c_retaddr, "call 1f; 3: jmp 2f; 1: movl (%esp), %eax; subl $3b, %eax; ret; 2:")
/* ret to a pushed address (return-address mispredict) */
T(c_pushret, "pushl $1f; ret; movl $0xbad, %eax; 1: movl $0x600d, %eax")

static void pstr(const u8 *b)
{
	for (int i = 0; i < 16; i++)
		pc(b[i] == 1 ? '1' : b[i] == 0 ? '0' : 'x');
}

static void simple(const char *nm, tfn f, u32 ecx, u32 edx, u32 ebx, u32 fl)
{
	R.eax = 0xaaaaaaaa;
	R.ecx = ecx;
	R.edx = edx;
	R.ebx = ebx;
	R.fl = fl;
	f();
	ps(nm);
	ps(" ecx=");
	px(ecx, 8);
	ps(" -> eax=");
	px(R.eax, 8);
	ps(" ecx=");
	px(R.ecx, 8);
	ps(" edx=");
	px(R.edx, 8);
	ps(" desp=");
	pd(R.esp - rt_esp0);
	ps(" efl=");
	px(R.fl & (ARITH | DF), 4);
	nl();
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
		R.fl = fl;
		jcc8();
		ps(" jcc8=");
		pstr((u8 *)M);
		R.fl = fl;
		jcc32();
		ps(" jcc32=");
		pstr((u8 *)M);
		R.fl = fl;
		jccb();
		ps(" jcc-back=");
		pstr((u8 *)M);
		nl();
	}
	static const u32 cx[] = {0, 1, 0x10000, 0xffff0000, 0x80000000};
	for (int i = 0; i < N(cx); i++) {
		simple("jecxz", t_jecxz, cx[i], 0, 0, FL0);
		simple("jcxz", t_jcxz, cx[i], 0, 0, FL0);
	}
	static const u32 lc[] = {1, 2, 5, 0x10001};
	for (int i = 0; i < N(lc); i++)
		simple("loop", t_loop, lc[i], 0, 0, FL0);
	simple("loopz equal", t_loopz, 6, 1, 1, FL0);
	simple("loopz differ", t_loopz, 6, 1, 2, FL0);
	simple("loopz ecx=0 differ", t_loopz, 0, 1, 2, FL0);
	simple("loopnz", t_loopnz, 10, 3, 0, FL0);
	simple("loopnz", t_loopnz, 2, 3, 0, FL0);
	simple("loopnz", t_loopnz, 0, 1, 0, FL0);
	simple("addr16 loop", t_loopw, 0x10003, 0, 0, FL0);
	simple("addr16 loop", t_loopw, 0xabcd0001, 0, 0, FL0);
	simple("addr16 loopz", t_loopzw, 0x70004, 5, 5, FL0);
	simple("addr16 loopz", t_loopzw, 0x70000, 5, 6, FL0);
	simple("loop flags", t_loopfl, 3, 0, 0, FL1);
	simple("loop flags", t_loopfl, 1, 0, 0, FL0);

	simple("jmp short", j_short, 0, 0, 0, FL1);
	simple("jmp near", j_near, 0, 0, 0, FL0);
	simple("jmp *reg", j_reg, 0, 0, 0, FL1);
	simple("jmp *mem", j_mem, 0, 0, 0, FL0);
	simple("jmp *sib", j_memsib, 0, 0, 0, FL0);
	for (u32 i = 0; i < 4; i++)
		simple("jmp *tbl(,ecx,4)", j_tbl, i, 0, 0, FL0);
	for (u32 i = 0; i < 2; i++)
		simple("jmp *(edx,ecx,4)", j_tblreg, i, 0, 0, FL0);

	simple("call rel", c_rel, 0, 0, 0, FL0);
	simple("call next; pop", c_next, 0, 0, 0, FL0);
	simple("call *reg", c_reg, 0, 0, 0, FL0);
	simple("call *mem", c_mem, 0, 0, 0, FL0);
	for (u32 i = 0; i < 3; i++)
		simple("call *tbl(,ecx,4)", c_tbl, i, 0, 0, FL0);
	simple("ret $8", c_ret8, 0, 0, 0, FL0);
	simple("ret $0", c_ret0, 0, 0, 0, FL1);
	simple("fib(15)", c_fib, 0, 0, 0, FL0);
	simple("depth 5000", c_depth, 0, 0, 0, FL0);
	simple("return address", c_retaddr, 0, 0, 0, FL0);
	simple("push; ret", c_pushret, 0, 0, 0, FL0);
	return 0;
}
