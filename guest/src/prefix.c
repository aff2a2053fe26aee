/* Prefixes: 0x66 operand-size forms (with 16-bit immediates), 0x67
 * address-size forms (16-bit effective addresses), lock-prefixed
 * read-modify-writes, redundant and ignored prefixes, segment overrides
 * with a zero base. */
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
	ps(" esi=");
	px(R.esi, 8);
	ps(" m0=");
	px(M[0], 8);
	ps(" m1=");
	px(M[1], 8);
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
	M[0] = 0x80008000;
	M[1] = 0x7fff7fff;
}

struct t {
	const char *nm;
	tfn f;
};

static void runall(const struct t *t, int n, int flags)
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			preset();
			R.fl = k ? FL1 : FL0;
			t[i].f();
			ps(t[i].nm);
			regs();
			if (flags)
				pfl(R.fl);
			pop();
			if (!flags)
				break;
		}
	}
}

/* ---- 0x66 ---- */
T(o_add_ax, "addw $0x1234, %ax")
T(o_add_83, "addw $-2, %cx")
T(o_add_81, "addw $0x7fff, %dx")
T(o_mov_m, "movw $0x8765, M")
T(o_mov_r, "movw $0x8765, %si")
T(o_test, "testw $0x8000, %ax")
T(o_cmp, "cmpw $0x7fff, M+4")
T(o_imul, "imulw $0x1234, %bx, %ax")
T(o_push, "pushw $0x1234; pushw $0x5678; popl %eax")
T(o_6666, ".byte 0x66, 0x66, 0x05, 0x34, 0x12") /* add ax, 0x1234 */
T(o_8bit, ".byte 0x66, 0x04, 0x7f")             /* 66 ignored: add al, 0x7f */
T(o_movzx, ".byte 0x66, 0x0f, 0xb6, 0xc3")      /* movzbw %bl, %ax */
T(o_xchg, "xchgw %ax, %bx")
T(o_inc, "incw %dx; decw %si")
T(o_neg, "negw M")
T(o_shl, "shlw $4, %ax")
static const struct t opsz[] = {
    {"66 add ax,imm16", o_add_ax}, {"66 add cx,-2", o_add_83},
    {"66 add dx,7fff", o_add_81},  {"66 mov m,imm16", o_mov_m},
    {"66 mov si,imm16", o_mov_r},  {"66 test ax,8000", o_test},
    {"66 cmp m,7fff", o_cmp},      {"66 imul ax,bx,1234", o_imul},
    {"66 push imm16", o_push},     {"66 66 add ax", o_6666},
    {"66 add al", o_8bit},         {"66 movzbw", o_movzx},
    {"66 xchg", o_xchg},           {"66 inc/dec", o_inc},
    {"66 neg m", o_neg},           {"66 shl", o_shl},
};

/* ---- 0x67: 16-bit effective addresses (lea only: no low memory) ---- */
T(a_bxsi, "addr16 leal 0x1234(%bx,%si), %eax")
T(a_bxdi, "addr16 leal -1(%bx,%di), %eax")
T(a_bpsi, "addr16 leal 0x7f(%bp,%si), %eax")
T(a_bpdi, "addr16 leal (%bp,%di), %eax")
T(a_si, "addr16 leal 0xfff0(%si), %eax")
T(a_di, "addr16 leal -0x80(%di), %eax")
T(a_abs, "addr16 leal 0x9876, %eax")
T(a_bx, "addr16 leal (%bx), %eax")
T(a_bp, "addr16 leal 0(%bp), %eax")
T(a_16, "addr16 leaw 0x10(%bx,%si), %ax")
T(a_wrap, "addr16 leal 0x8000(%bx,%di), %eax")
static const struct t asz[] = {
    {"67 lea (bx,si)+1234", a_bxsi}, {"67 lea (bx,di)-1", a_bxdi},
    {"67 lea (bp,si)+7f", a_bpsi},   {"67 lea (bp,di)", a_bpdi},
    {"67 lea (si)+fff0", a_si},      {"67 lea (di)-80", a_di},
    {"67 lea 9876", a_abs},          {"67 lea (bx)", a_bx},
    {"67 lea (bp)+0", a_bp},         {"67 66 lea (bx,si)+10", a_16},
    {"67 lea (bx,di)+8000", a_wrap},
};

/* ---- lock ---- */
T(l_add, "lock addl %ebx, M")
T(l_adc, "lock adcl $0x7f, M")
T(l_sub, "lock subw %bx, M")
T(l_sbb, "lock sbbb $1, M")
T(l_and, "lock andl $0xff00ff00, M")
T(l_or, "lock orl %edx, M")
T(l_xor, "lock xorb %dl, M+1")
T(l_inc, "lock incl M")
T(l_dec, "lock decw M")
T(l_neg, "lock negl M")
T(l_not, "lock notb M")
T(l_xchg, "lock xchgl %eax, M")
T(l_xadd, "lock xaddl %eax, M")
T(l_cmpxchg_eq, "movl M, %eax; lock cmpxchgl %ecx, M")
T(l_cmpxchg_ne, "lock cmpxchgl %ecx, M")
T(l_cmpxchg8b, "movl M, %eax; movl M+4, %edx; lock cmpxchg8b M")
T(l_cmpxchg8b_ne, "lock cmpxchg8b M")
T(l_bts, "movl $35, %ecx; lock btsl %ecx, M")
T(l_btr, "lock btrl $15, M")
T(l_btc, "movw $-5, %cx; lock btcw %cx, M+4")
T(l_66, ".byte 0x66, 0xf0, 0x01, 0x1d; .long M") /* 66 lock add %bx, M */
T(l_f066, ".byte 0xf0, 0x66, 0x01, 0x1d; .long M") /* lock 66 add %bx, M */
static const struct t locks[] = {
    {"lock add m,r", l_add},     {"lock adc m,imm", l_adc},
    {"lock sub m16,r", l_sub},   {"lock sbb m8,imm", l_sbb},
    {"lock and m,imm", l_and},   {"lock or m,r", l_or},
    {"lock xor m8,r", l_xor},    {"lock inc m", l_inc},
    {"lock dec m16", l_dec},     {"lock neg m", l_neg},
    {"lock not m8", l_not},      {"lock xchg", l_xchg},
    {"lock xadd", l_xadd},       {"lock cmpxchg equal", l_cmpxchg_eq},
    {"lock cmpxchg differ", l_cmpxchg_ne},
    {"lock cmpxchg8b equal", l_cmpxchg8b},
    {"lock cmpxchg8b differ", l_cmpxchg8b_ne},
    {"lock bts m,r", l_bts},     {"lock btr m,imm", l_btr},
    {"lock btc m16,r", l_btc},   {"66 lock add", l_66},
    {"lock 66 add", l_f066},
};

/* ---- segment overrides (base 0) and other prefixes ---- */
T(s_ds, "movl %ds:M, %eax")
T(s_es, "movl %es:M+4, %eax")
T(s_ss, "movl %ss:M, %eax")
T(s_cs, "movl %cs:M+4, %eax")
T(s_ssbp, "movl $M, %ebp; movl 4(%ebp), %eax; movl %ds:(%ebp), %ecx")
T(s_multi, ".byte 0x3e, 0x26, 0x2e; movl M, %eax") /* last override wins */
T(s_alu, "addl %es:M, %eax; subl %eax, %ss:M+4")
T(s_long, ".byte 0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e;"
	  "movl %ebx, %eax") /* 15 bytes */
T(s_lea, ".byte 0x26; leal M+4, %eax") /* lea ignores segments */
T(s_rep_nop, "rep; nop; repnz; nop")
static const struct t segs[] = {
    {"ds: load", s_ds},   {"es: load", s_es},        {"ss: load", s_ss},
    {"cs: load", s_cs},   {"ds:(ebp)", s_ssbp},       {"ds es cs: load", s_multi},
    {"es: alu", s_alu},   {"13 prefixes", s_long},    {"es: lea", s_lea},
    {"rep nop", s_rep_nop},
};

int main(void)
{
	runall(opsz, N(opsz), 1);
	for (int i = 0; i < N(asz); i++) {
		preset();
		R.ebx = 0x1234fff0;
		R.esi = 0xabcd0020;
		R.edi = 0x55558001;
		R.ebp = 0x9999fffe;
		asz[i].f();
		ps(asz[i].nm);
		ps(" -> eax=");
		px(R.eax, 8);
		pop();
	}
	runall(locks, N(locks), 1);
	runall(segs, N(segs), 1);
	return 0;
}
