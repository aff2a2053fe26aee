/* Shared declarations for the SIMD guest programs (see README.md).
 *
 * Instances are top-level asm functions: I(name, body) runs
 *   ldmxcsr MXI; xmm0 = XA; xmm1 = XB; eax = GA; ecx = GB; body;
 *   XR = xmm0; GR = eax; FLO = eflags; stmxcsr MXO
 * The C glue is compiled without SSE (-march=i386), so the compiler never
 * touches xmm registers and the instances need no clobber lists.  XM is a
 * 64-byte aligned scratch area for memory operands (XM+4 etc. for
 * misaligned ones). */
#ifndef SIMD_H
#define SIMD_H
#include "rt.h"

typedef struct {
	u32 w[4];
} __attribute__((aligned(16))) v128;

extern v128 XA, XB, XR;
extern u8 XM[64] __attribute__((aligned(64)));
extern u32 MXI, MXO, GA, GB, GR, FLO, FLI;

#define I(name, body)                                                          \
	void name(void);                                                       \
	__asm__(".text\n\t.p2align 2\n" #name ":\n\t"                          \
		"pushl %ebx\n\t"                                               \
		"ldmxcsr MXI\n\t"                                              \
		"movdqa XA, %xmm0\n\t"                                         \
		"movdqa XB, %xmm1\n\t"                                         \
		"movl GA, %eax\n\t"                                            \
		"movl GB, %ecx\n\t"                                            \
		"pushl FLI\n\t"                                                \
		"popfl\n\t" body "\n\t"                                        \
		"pushfl\n\t"                                                   \
		"popl FLO\n\t"                                                 \
		"movdqa %xmm0, XR\n\t"                                         \
		"movl %eax, GR\n\t"                                            \
		"stmxcsr MXO\n\t"                                              \
		"popl %ebx\n\t"                                                \
		"ret\n");

void p128(const v128 *v);   /* w3_w2_w1_w0 */
void p64(u32 lo, u32 hi);   /* hi lo as 16 hex digits */
void pmx(void);             /* " mx=XXXX" (MXO, low 16 bits... full) */
void set4(v128 *v, u32 a, u32 b, u32 c, u32 d);
void set2(v128 *v, u32 lo0, u32 hi0, u32 lo1, u32 hi1);
/* FNV-1a over words */
void hinit(void);
void hword(u32 w);
u32 hget(void);
/* Mode names */
#define NMODES 17
extern const u32 MODES[NMODES];
void pmode(u32 mx);

#endif
