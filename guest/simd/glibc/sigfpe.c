/* Unmasked SIMD floating-point exceptions: #XM -> SIGFPE with Linux's
 * si_code (FPE_FLTINV/DIV/OVF/UND/RES), si_addr at the faulting
 * instruction, the MXCSR saved in the signal frame (the flags the faulting
 * instruction set, pre-computation ones winning), and the destination
 * left unchanged.  Needs signal delivery (rt_sigaction/rt_sigreturn). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf jb;
static int sig, code;
static unsigned fmx;
static void *addr;

static void handler(int s, siginfo_t *si, void *u)
{
	ucontext_t *uc = u;
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	sig = s;
	code = si->si_code;
	addr = si->si_addr;
	fmx = fp ? *(unsigned *)(fp + 136) : 0xdead;
	siglongjmp(jb, 1);
}

typedef struct {
	unsigned w[4];
} __attribute__((aligned(16))) v4;

static v4 A, B, R;

static void *volatile AT;

#define CASE(name, mx, insn, a0, a1, a2, a3, b0, b1, b2, b3)                  \
	do {                                                                   \
		unsigned m = (mx);                                             \
		A = (v4){{a0, a1, a2, a3}};                                    \
		B = (v4){{b0, b1, b2, b3}};                                    \
		R = (v4){{0x5555, 0x5555, 0x5555, 0x5555}};                    \
		sig = 0;                                                       \
		if (!sigsetjmp(jb, 1)) {                                       \
			__asm__ volatile("ldmxcsr %0\n\t"                      \
					 "movaps %1, %%xmm0\n\t"               \
					 "movl $1f, AT\n"                      \
					 "1:\t" insn " %2, %%xmm0\n\t"         \
					 "movaps %%xmm0, R"                    \
					 :                                     \
					 : "m"(m), "m"(A), "m"(B)              \
					 : "xmm0", "memory");                  \
			printf("%-12s no trap r=%08x %08x %08x %08x\n", name,  \
			       R.w[0], R.w[1], R.w[2], R.w[3]);               \
		} else {                                                       \
			printf("%-12s sig=%d code=%d mx=%08x at-insn=%d "      \
			       "r=%08x\n",                                     \
			       name, sig, code, fmx, addr == AT, R.w[0]);      \
		}                                                              \
		m = 0x1f80;                                                    \
		__asm__ volatile("ldmxcsr %0" ::"m"(m));                       \
	} while (0)

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, 0);
	const unsigned ONE = 0x3f800000, THIRD = 0x3eaaaaab, BIG = 0x7149f2ca,
		       SNAN = 0x7f800001, MINN = 0x00800000, DEN = 0x00000100;
	CASE("ze", 0x1f80 & ~0x200, "divps", ONE, ONE, ONE, ONE, 0, ONE, ONE, ONE);
	CASE("ie-snan", 0x1f80 & ~0x80, "mulps", SNAN, BIG, ONE, ONE, ONE, BIG, ONE, THIRD);
	CASE("oe", 0x1f80 & ~0x400, "mulps", SNAN, BIG, ONE, ONE, ONE, BIG, ONE, THIRD);
	CASE("pe", 0x1f80 & ~0x1000, "mulps", THIRD, ONE, ONE, ONE, THIRD, ONE, ONE, ONE);
	CASE("ue-exact", 0x1f80 & ~0x800, "mulps", MINN, ONE, ONE, ONE, 0x3f000000, ONE, ONE, ONE);
	CASE("ue-ftz", (0x1f80 & ~0x800) | 0x8000, "mulps", MINN, ONE, ONE, ONE, 0x3f000000, ONE, ONE, ONE);
	CASE("de", 0x1f80 & ~0x100, "addps", DEN, ONE, ONE, ONE, ONE, ONE, ONE, ONE);
	CASE("de-daz", (0x1f80 & ~0x100) | 0x40, "addps", DEN, ONE, ONE, ONE, ONE, ONE, ONE, ONE);
	CASE("ie-cvt", 0x1f80 & ~0x80, "cvtps2dq", 0, 0, 0, 0, 0x60ad78ec, ONE, ONE, ONE);
	CASE("masked", 0x1f80, "divps", ONE, ONE, ONE, ONE, 0, ONE, ONE, ONE);
	CASE("ie-sqrt", 0x1f80 & ~0x80, "sqrtps", 0, 0, 0, 0, 0xbf800000, ONE, ONE, ONE);
	CASE("ie-cmplt", 0x1f80 & ~0x80, "cmpltps", 0, 0, 0, 0, 0x7fc00000, ONE, ONE, ONE);
	CASE("cmpeq-qnan", 0x1f80 & ~0x80, "cmpeqps", 0, 0, 0, 0, 0x7fc00000, ONE, ONE, ONE);
	return 0;
}
