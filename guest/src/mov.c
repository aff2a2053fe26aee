/* Data movement: mov, movzx/movsx, xchg, cmpxchg, cmpxchg8b, xadd, bswap,
 * lea, push/pop, pusha/popa, pushf/popf, enter/leave, cbw/cwde/cwd/cdq,
 * lahf/sahf.  Stack addresses are only ever printed relative to the stack
 * pointer before the instruction (they differ between native and emu). */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static void regs(void)
{
	ps(" eax=");
	px(R.eax, 8);
	ps(" ecx=");
	px(R.ecx, 8);
	ps(" edx=");
	px(R.edx, 8);
	ps(" ebx=");
	px(R.ebx, 8);
	ps(" ebp=");
	px(R.ebp, 8);
	ps(" esi=");
	px(R.esi, 8);
	ps(" edi=");
	px(R.edi, 8);
}

static void preset(void)
{
	R.eax = 0x11223344;
	R.ecx = 0x55667788;
	R.edx = 0x99aabbcc;
	R.ebx = 0xddeeff00;
	R.ebp = 0x13579bdf;
	R.esi = 0x2468ace0;
	R.edi = 0xfedcba98;
	R.fl = FL0;
	for (int i = 0; i < 8; i++)
		M[i] = 0xc0c1c2c3 + i * 0x04040404;
}

/* esp delta of the instance (0 for balanced sequences) */
static void pesp(void)
{
	ps(" desp=");
	pd(R.esp - rt_esp0);
}

/* Run an instance from the preset state; print registers and M[0..3]. */
static void plain(const char *nm, tfn f)
{
	preset();
	f();
	ps(nm);
	regs();
	ps(" m=");
	px(M[0], 8);
	sp();
	px(M[1], 8);
	sp();
	px(M[2], 8);
	pesp();
	pop();
}

/* ---- mov ---- */
T(mov_r8i, "movb $0x9a, %al; movb $0xbc, %ah; movb $0xde, %bh; movb $0xf0, %cl")
T(mov_r16i, "movw $0x8765, %ax; movw $0x4321, %di")
T(mov_r32i, "movl $0x87654321, %eax; movl $-1, %ebp")
T(mov_rr8, "movb %ah, %bl; movb %cl, %dh; movb %bh, %al")
T(mov_rr8b, "{load} movb %dl, %ah")
T(mov_rr16, "movw %ax, %si; {load} movw %bx, %di")
T(mov_rr32, "movl %eax, %ebx; {load} movl %ecx, %edx")
T(mov_mr, "movb %dl, M; movw %cx, M+5; movl %eax, M+8")
T(mov_rm, "movb M+1, %dl; movw M+6, %cx; movl M+9, %eax; movb M+3, %bh")
T(mov_moffs, "movb M+2, %al; movw M+4, %ax; movl M+8, %eax; movl %ebx, M+12")
T(mov_moffs8, "movb %dh, %al; movb %al, M+1; movw %ax, M+2")
T(mov_mi, "movb $0x7f, M; movw $0x8000, M+2; movl $0xfedcba98, M+4")
T(mov_sib, "movl $M, %esi; movl $3, %ecx; movl (%esi,%ecx,4), %eax; "
	   "movb 1(%esi,%ecx,2), %bl; movl %eax, -4(%esi,%ecx,4)")
T(mov_self, "movl %eax, %eax; movw %bx, %bx; movb %ch, %ch")

/* ---- movzx / movsx ---- */
T(mzx_bw, "movzbw %bl, %ax")
T(mzx_bl, "movzbl %bl, %eax")
T(mzx_bh, "movzbl %bh, %eax")
T(mzx_wl, "movzwl %bx, %eax")
T(msx_bw, "movsbw %bl, %ax")
T(msx_bl, "movsbl %bl, %eax")
T(msx_bh, "movsbl %bh, %eax")
T(msx_wl, "movswl %bx, %eax")
T(mzx_mbl, "movzbl M, %eax")
T(mzx_mwl, "movzwl M, %eax")
T(msx_mbl, "movsbl M, %eax")
T(msx_mwl, "movswl M, %eax")
T(msx_mbw, "movsbw M, %ax")
T(mzx_same, "movzbl %al, %eax")
T(msx_same, "movswl %ax, %eax")

static const struct {
	const char *nm;
	tfn f;
} ext[] = {
    {"movzbw", mzx_bw},  {"movzbl", mzx_bl},    {"movzbl bh", mzx_bh},
    {"movzwl", mzx_wl},  {"movsbw", msx_bw},    {"movsbl", msx_bl},
    {"movsbl bh", msx_bh}, {"movswl", msx_wl},  {"movzbl m", mzx_mbl},
    {"movzwl m", mzx_mwl}, {"movsbl m", msx_mbl}, {"movswl m", msx_mwl},
    {"movsbw m", msx_mbw}, {"movzbl al,eax", mzx_same},
    {"movswl ax,eax", msx_same},
};
static const u32 extv[] = {0, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x807f, 0xffff,
			   0x12345678};

/* ---- xchg ---- */
T(xchg_r32, "xchgl %ebx, %eax")
T(xchg_r32b, "xchgl %ecx, %edx")
T(xchg_91, "xchgl %eax, %ecx")
T(xchg_97, "xchgl %edi, %eax")
T(xchg_66, "xchgw %ax, %cx")
T(xchg_r16, "xchgw %si, %di")
T(xchg_r8, "xchgb %al, %ah; xchgb %bl, %ch")
T(xchg_m32, "xchgl %eax, M")
T(xchg_m16, "xchgw M+4, %bx")
T(xchg_m8, "xchgb %dh, M+9")
T(xchg_same, "xchgl %ecx, %ecx; xchgb %dh, %dh")

/* ---- cmpxchg, cmpxchg8b, xadd, bswap ---- */
T(cx_r32, "cmpxchgl %ebx, %ecx")
T(cx_r16, "cmpxchgw %bx, %cx")
T(cx_r8, "cmpxchgb %bl, %cl")
T(cx_m32, "cmpxchgl %ebx, M")
T(cx_m16, "cmpxchgw %bx, M")
T(cx_m8, "cmpxchgb %bh, M")
T(cx_self, "cmpxchgl %eax, %eax")
T(cx8b, "cmpxchg8b M")
T(xa_r32, "xaddl %ebx, %ecx")
T(xa_r16, "xaddw %bx, %cx")
T(xa_r8, "xaddb %bl, %cl")
T(xa_rh, "xaddb %bh, %ch")
T(xa_m32, "xaddl %ebx, M")
T(xa_m16, "xaddw %bx, M")
T(xa_m8, "xaddb %bl, M")
T(xa_self, "xaddl %ecx, %ecx")
T(bswap_all, "bswap %eax; bswap %ecx; bswap %edx; bswap %ebx; bswap %ebp; "
	     "bswap %esi; bswap %edi")

/* ---- lea ---- */
T(lea_1, "leal (%ebx), %eax")
T(lea_2, "leal 0x7f(%ebx), %eax")
T(lea_3, "leal -0x80(%ebx), %eax")
T(lea_4, "leal 0x12345678(%ebx), %eax")
T(lea_5, "leal (%ebx,%ecx), %eax")
T(lea_6, "leal (%ebx,%ecx,2), %eax")
T(lea_7, "leal 4(%ebx,%ecx,4), %eax")
T(lea_8, "leal -1(%ebx,%ecx,8), %eax")
T(lea_9, "leal 0x1000(,%ecx,8), %eax")
T(lea_10, "leal 0(%ebp), %eax")
T(lea_11, "leal (%ecx,%ecx,2), %eax")
T(lea_12, "leal 0x89abcdef, %eax")
T(lea_13, "leal 0xffffffff(%ebx,%ecx,4), %eax")
T(lea_14, "leal (%esp), %eax; subl %esp, %eax")
T(lea_15, "leal 8(%esp,%ecx,4), %eax; subl %esp, %eax")
T(lea_16, "leaw 0x1234(%ebx,%ecx), %ax")
T(lea_17, ".byte 0x8d, 0x04, 0x23") /* lea (%ebx,%eiz,1), %eax */
T(lea_18, "leal (%eax,%eax,8), %eax")
static const tfn leas[] = {lea_1,  lea_2,  lea_3,  lea_4,  lea_5,  lea_6,
			   lea_7,  lea_8,  lea_9,  lea_10, lea_11, lea_12,
			   lea_13, lea_14, lea_15, lea_16, lea_17, lea_18};

/* ---- push/pop (balanced sequences) ---- */
T(pp_r, "pushl %eax; pushl %ebx; popl %ecx; popl %edx")
T(pp_i8, "pushl $-2; popl %eax; pushl $0x7f; popl %ebx")
T(pp_i32, "pushl $0x12345678; popl %eax; pushl $0x80; popl %ebx")
T(pp_m, "pushl M; pushl M+4; popl M+8; popl M+12")
T(pp_esp, "pushl %esp; popl %eax; subl %esp, %eax")
T(pp_popesp, "movl %esp, %ebx; pushl $0x55; pushl %esp; popl %esp; popl %eax; "
	     "subl %esp, %ebx")
T(pp_popmesp, "pushl $0x1111; pushl $0x2222; popl (%esp); popl %eax")
T(pp_popmesp2, "pushl $0x1111; pushl $0x2222; pushl $0x3333; popl 4(%esp); "
	       "popl %eax; popl %ecx")
T(pp_pushmesp, "pushl $0x4444; pushl (%esp); popl %eax; popl %ecx")
T(pp_16, "pushw %ax; pushw %bx; popl %ecx; pushl %edx; popw %si; popw %di")
T(pp_16i, "pushw $0x1234; pushw $-3; popl %eax")
T(pp_16m, "pushw M; popw M+6; pushl M+4; popw %ax; popw %bx")
T(pp_5x, ".byte 0x50, 0x53, 0x59, 0x5a") /* push eax, push ebx, pop ecx, pop edx */
T(pp_ffpush, ".byte 0xff, 0xf0; .byte 0x8f, 0xc2") /* push eax (ff /6), pop edx (8f /0) */

/* pusha/popa: copy the pushed frame to M, change it, pop it back. */
#define CP8(x)                                                                 \
	"movl " #x "*4(%esp), %eax; movl %eax, M+" #x "*4;"
T(pusha_t, "pushal;" CP8(0) CP8(1) CP8(2) CP8(3) CP8(4) CP8(5) CP8(6) CP8(7)
	   "movl $0x1000, 0(%esp); movl $0x1001, 4(%esp); movl $0x1002, 8(%esp);"
	   "movl $0x1003, 12(%esp); movl $0x1004, 16(%esp); movl $0x1005, 20(%esp);"
	   "movl $0x1006, 24(%esp); movl $0x1007, 28(%esp); popal")
#define CP4(x)                                                                 \
	"movl " #x "*4(%esp), %eax; movl %eax, M+" #x "*4;"
T(pushaw_t, "pushaw;" CP4(0) CP4(1) CP4(2) CP4(3)
	    "movl $0x20012000, 0(%esp); movl $0x20032002, 4(%esp);"
	    "movl $0x20052004, 8(%esp); movl $0x20072006, 12(%esp); popaw")

/* pushf/popf */
T(pf_all, "pushl $0xffffffff; andl $~0x44100, (%esp); popfl; pushfl; popl %eax;"
	  "pushl $0; popfl; pushfl; popl %ebx")
T(pf_id, "pushfl; popl %eax; xorl $0x200000, %eax; pushl %eax; popfl; pushfl;"
	 "popl %ebx; xorl %eax, %ebx; pushl $0x202; popfl; pushfl; popl %ecx")
T(pf_w, "pushw $0x08d5; popfw; pushfw; popw %ax; pushfl; popl %ebx;"
	"pushw $0; popfw; pushfw; popw %cx")
T(pf_arith, "pushfl; popl %eax")
T(pf_df, "std; pushfl; popl %eax; cld; pushfl; popl %ebx")

/* enter/leave: run enter, copy the frame to M, run leave. */
#define CPF(x)                                                                 \
	"movl -" #x "*4(%ebp), %eax; movl %eax, M+64+" #x "*4;"
#define ENTER(n, sz, lvl)                                                      \
	T(enter_##n, "movl %ebp, M+120; enter $" #sz ", $" #lvl ";"           \
		     "movl %esp, M+124; movl %ebp, M+116;" CPF(0) CPF(1) CPF(2)   \
			 CPF(3) CPF(4) CPF(5) CPF(6) CPF(7) "leave")
ENTER(0, 0, 0)
ENTER(1, 16, 0)
ENTER(2, 8, 1)
ENTER(3, 4, 2)
ENTER(4, 0, 3)
ENTER(5, 0x104, 4)
static const struct {
	tfn f;
	int size, lvl;
} enters[] = {{enter_0, 0, 0}, {enter_1, 16, 0}, {enter_2, 8, 1},
	      {enter_3, 4, 2}, {enter_4, 0, 3},  {enter_5, 0x104, 4}};
T(leave_only, "movl %esp, %ecx; pushl %ebp; movl %esp, %ebp; subl $12, %esp;"
	      "leave; subl %esp, %ecx")

/* cbw & co */
T(t_cbw, "cbtw")
T(t_cwde, "cwtl")
T(t_cwd, "cwtd")
T(t_cdq, "cltd")

/* lahf/sahf */
T(t_lahf, "lahf")
T(t_sahf, "sahf; pushfl; popl %ecx")

static void pstack(u32 v, u32 base)
{
	/* stack addresses relative to the esp before the instance */
	u32 d = v - base;
	if (d + 0x1000 < 0x2000) {
		ps("s");
		if ((i32)d >= 0)
			pc('+');
		pd(d);
	} else
		px(v, 8);
}

int main(void)
{
	/* mov */
	static const struct {
		const char *nm;
		tfn f;
	} movs[] = {
	    {"mov r8,imm", mov_r8i},   {"mov r16,imm", mov_r16i},
	    {"mov r32,imm", mov_r32i}, {"mov r8,r8", mov_rr8},
	    {"mov r8,r8 (8a)", mov_rr8b}, {"mov r16,r16", mov_rr16},
	    {"mov r32,r32", mov_rr32}, {"mov m,r", mov_mr},
	    {"mov r,m", mov_rm},       {"mov moffs", mov_moffs},
	    {"mov moffs8", mov_moffs8}, {"mov m,imm", mov_mi},
	    {"mov sib", mov_sib},      {"mov self", mov_self},
	};
	for (int i = 0; i < N(movs); i++)
		plain(movs[i].nm, movs[i].f);

	/* movzx/movsx */
	for (int i = 0; i < N(ext); i++)
		for (int j = 0; j < N(extv); j++) {
			preset();
			R.ebx = extv[j];
			R.eax = 0xa5a5a5a5 ^ extv[j];
			M[0] = extv[j];
			ext[i].f();
			ps(ext[i].nm);
			sp();
			px(extv[j], 8);
			ps(" -> ");
			px(R.eax, 8);
			pop();
		}

	/* xchg */
	static const struct {
		const char *nm;
		tfn f;
	} xchgs[] = {
	    {"xchg r32", xchg_r32}, {"xchg r32 b", xchg_r32b}, {"xchg 91", xchg_91},
	    {"xchg 97", xchg_97},   {"xchg 66 91", xchg_66},   {"xchg r16", xchg_r16},
	    {"xchg r8", xchg_r8},   {"xchg m32", xchg_m32},    {"xchg m16", xchg_m16},
	    {"xchg m8", xchg_m8},   {"xchg same", xchg_same},
	};
	for (int i = 0; i < N(xchgs); i++)
		plain(xchgs[i].nm, xchgs[i].f);

	/* cmpxchg: equal and not equal, all sizes, reg and memory */
	static const struct {
		const char *nm;
		tfn f;
		int size, mem;
	} cxs[] = {
	    {"cmpxchg32 r", cx_r32, 32, 0}, {"cmpxchg16 r", cx_r16, 16, 0},
	    {"cmpxchg8 r", cx_r8, 8, 0},    {"cmpxchg32 m", cx_m32, 32, 1},
	    {"cmpxchg16 m", cx_m16, 16, 1}, {"cmpxchg8 m", cx_m8, 8, 1},
	};
	static const u32 cxa[][2] = {{0x12345678, 0x12345678},
				     {0x12345678, 0x12345679},
				     {0x80000000, 0x7fffffff},
				     {0, 0xffffffff},
				     {0xdead0080, 0xbeef0080},
				     {0xdead8000, 0xbeef7fff}};
	for (int i = 0; i < N(cxs); i++)
		for (int j = 0; j < N(cxa); j++) {
			preset();
			R.eax = cxa[j][0];
			if (cxs[i].mem)
				M[0] = cxa[j][1];
			else
				R.ecx = cxa[j][1];
			R.ebx = 0x0badf00d;
			cxs[i].f();
			ps(cxs[i].nm);
			sp();
			px(cxa[j][0], 8);
			sp();
			px(cxa[j][1], 8);
			ps(" -> eax=");
			px(R.eax, 8);
			ps(" dst=");
			px(cxs[i].mem ? M[0] : R.ecx, 8);
			pfl(R.fl);
			pop();
		}
	preset();
	cx_self();
	ps("cmpxchg eax,eax eax=");
	px(R.eax, 8);
	pfl(R.fl);
	pop();
	static const u32 c8[][4] = {
	    {0x11111111, 0x22222222, 0x11111111, 0x22222222},
	    {0x11111111, 0x22222222, 0x11111111, 0x22222223},
	    {0x11111111, 0x22222222, 0x11111110, 0x22222222},
	    {0, 0, 0, 0},
	};
	for (int j = 0; j < N(c8); j++)
		for (int k = 0; k < 2; k++) {
			preset();
			M[0] = c8[j][0];
			M[1] = c8[j][1];
			R.eax = c8[j][2];
			R.edx = c8[j][3];
			R.ebx = 0xaaaaaaaa;
			R.ecx = 0xbbbbbbbb;
			R.fl = k ? FL1 : FL0;
			cx8b();
			ps("cmpxchg8b m=");
			px(c8[j][1], 8);
			px(c8[j][0], 8);
			ps(" edx:eax=");
			px(c8[j][3], 8);
			px(c8[j][2], 8);
			ps(" -> m=");
			px(M[1], 8);
			px(M[0], 8);
			ps(" edx:eax=");
			px(R.edx, 8);
			px(R.eax, 8);
			pfl(R.fl);
			pop();
		}

	/* xadd */
	static const struct {
		const char *nm;
		tfn f;
		int mem;
	} xas[] = {
	    {"xadd32 r", xa_r32, 0}, {"xadd16 r", xa_r16, 0}, {"xadd8 r", xa_r8, 0},
	    {"xadd8 bh,ch", xa_rh, 0}, {"xadd32 m", xa_m32, 1}, {"xadd16 m", xa_m16, 1},
	    {"xadd8 m", xa_m8, 1},   {"xadd ecx,ecx", xa_self, 0},
	};
	static const u32 xav[][2] = {{1, 2},
				     {0x7fffffff, 1},
				     {0xffffffff, 1},
				     {0x80008080, 0x80008080},
				     {0x0f0f0f0f, 0x01010101}};
	for (int i = 0; i < N(xas); i++)
		for (int j = 0; j < N(xav); j++) {
			preset();
			R.ebx = xav[j][0];
			if (xas[i].mem)
				M[0] = xav[j][1];
			else
				R.ecx = xav[j][1];
			xas[i].f();
			ps(xas[i].nm);
			sp();
			px(xav[j][0], 8);
			sp();
			px(xav[j][1], 8);
			ps(" -> src=");
			px(R.ebx, 8);
			ps(" dst=");
			px(xas[i].mem ? M[0] : R.ecx, 8);
			pfl(R.fl);
			pop();
		}

	plain("bswap", bswap_all);

	/* lea */
	for (int i = 0; i < N(leas); i++) {
		preset();
		R.ebx = 0x10000000;
		R.ecx = 0xfffffff0;
		R.ebp = 0x7ffffff8;
		leas[i]();
		ps("lea ");
		pu(i + 1);
		ps(" -> ");
		px(R.eax, 8);
		pop();
	}

	/* push/pop */
	static const struct {
		const char *nm;
		tfn f;
	} pps[] = {
	    {"push/pop r", pp_r},         {"push imm8", pp_i8},
	    {"push imm32", pp_i32},       {"push/pop m", pp_m},
	    {"push esp", pp_esp},         {"pop esp", pp_popesp},
	    {"pop (esp)", pp_popmesp},    {"pop 4(esp)", pp_popmesp2},
	    {"push (esp)", pp_pushmesp},  {"push/pop 16", pp_16},
	    {"push imm16", pp_16i},       {"push/pop m16", pp_16m},
	    {"push/pop 50+r", pp_5x},     {"push ff/6 pop 8f/0", pp_ffpush},
	};
	for (int i = 0; i < N(pps); i++)
		plain(pps[i].nm, pps[i].f);

	/* pusha/popa */
	preset();
	pusha_t();
	ps("pusha frame:");
	for (int i = 0; i < 8; i++) {
		sp();
		if (i == 3)
			pstack(M[i], rt_esp0);
		else
			px(M[i], 8);
	}
	nl();
	ps("popa");
	regs();
	pesp();
	nl();
	preset();
	pushaw_t();
	ps("pushaw frame:");
	for (int i = 0; i < 4; i++) {
		sp();
		/* the sp slot (high half of M[1]) is stack-relative: hide it */
		px(i == 1 ? M[i] & 0xffff : M[i], 8);
	}
	nl();
	ps("popaw");
	regs();
	pesp();
	nl();

	/* pushf/popf: which EFLAGS bits user code can change */
	preset();
	pf_all();
	ps("popf all-ones efl=");
	px(R.eax, 8);
	ps(" popf zero efl=");
	px(R.ebx, 8);
	nl();
	preset();
	pf_id();
	ps("ID toggle failed bits=");
	px(R.ebx & 0x200000, 8);
	ps(" efl=");
	px(R.ecx, 8);
	nl();
	preset();
	pf_w();
	ps("popfw efl=");
	px(R.eax & 0xffff, 4);
	ps(" efl32=");
	px(R.ebx, 8);
	ps(" zero efl=");
	px(R.ecx & 0xffff, 4);
	nl();
	static const u32 fin[] = {0x002, 0x003, 0x006, 0x012, 0x042, 0x082,
				  0x802, 0x8d7, 0x0d7, 0x402};
	for (int i = 0; i < N(fin); i++) {
		preset();
		R.fl = fin[i];
		pf_arith();
		ps("pushf after popf ");
		px(fin[i], 8);
		ps(" efl=");
		px(R.eax, 8);
		nl();
	}
	preset();
	pf_df();
	ps("std efl=");
	px(R.eax, 8);
	ps(" cld efl=");
	px(R.ebx, 8);
	nl();

	/* enter/leave: a fake outer frame in M[32..40) for the nesting copies */
	for (int i = 0; i < N(enters); i++) {
		preset();
		for (int k = 0; k < 8; k++)
			M[32 + k] = 0xf0000000 + k;
		R.ebp = (u32)&M[40];
		enters[i].f();
		ps("enter ");
		pu(enters[i].size);
		pc(',');
		pu(enters[i].lvl);
		u32 base = rt_esp0;
		ps(": ebp=");
		pstack(M[29], base);
		ps(" esp=");
		pstack(M[31], base);
		ps(" frame:");
		for (int k = 0; k <= enters[i].lvl; k++) {
			sp();
			pstack(M[16 + k], base);
		}
		ps(" after leave: ebp=");
		px(R.ebp - (u32)M, 8);
		pesp();
		nl();
	}
	preset();
	leave_only();
	ps("leave ecx=");
	px(R.ecx, 8);
	ps(" ebp=");
	px(R.ebp, 8);
	pesp();
	nl();

	/* cbw/cwde/cwd/cdq */
	static const u32 cv[] = {0, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
				 0x7fffffff, 0x80000000, 0x12348765};
	static const struct {
		const char *nm;
		tfn f;
	} cbs[] = {{"cbw", t_cbw}, {"cwde", t_cwde}, {"cwd", t_cwd}, {"cdq", t_cdq}};
	for (int i = 0; i < N(cbs); i++)
		for (int j = 0; j < N(cv); j++) {
			preset();
			R.eax = cv[j] | (j & 1 ? 0x5a000000 : 0);
			cbs[i].f();
			ps(cbs[i].nm);
			sp();
			px(cv[j] | (j & 1 ? 0x5a000000 : 0), 8);
			ps(" -> eax=");
			px(R.eax, 8);
			ps(" edx=");
			px(R.edx, 8);
			pop();
		}

	/* lahf over flag states, sahf over AH values */
	static const u32 lf[] = {0x002, 0x003, 0x006, 0x012, 0x042, 0x082,
				 0x8d7, 0x0d7, 0x802, 0x402};
	for (int i = 0; i < N(lf); i++) {
		preset();
		R.fl = lf[i];
		t_lahf();
		ps("lahf efl=");
		px(lf[i], 8);
		ps(" -> eax=");
		px(R.eax, 8);
		nl();
	}
	static const u32 ah[] = {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20,
				 0x40, 0x80, 0xff, 0xd5, 0x2a};
	for (int i = 0; i < N(ah); i++)
		for (int k = 0; k < 2; k++) {
			preset();
			R.fl = k ? 0x802 : 0x002;
			setb1(&R.eax, ah[i]);
			t_sahf();
			ps("sahf ah=");
			px(ah[i], 2);
			ps(k ? " of=1" : " of=0");
			ps(" -> efl=");
			px(R.ecx, 8);
			nl();
		}
	return 0;
}
