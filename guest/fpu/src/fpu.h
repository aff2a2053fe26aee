/* Helpers for the x87/MMX guest programs (freestanding, see ../src/rt.h).
 *
 * Values are handled as raw bytes; the C glue never uses the FPU itself.
 * A test instance is an asm function that loads its operands from the
 * globals A, B, C (80-bit) and the control word CW, runs the instruction
 * under test, and stores the status word in SW and results in R0, R1. */
#ifndef FPU_H
#define FPU_H
#include "rt.h"

typedef struct {
	u32 lo, hi;
	u16 se;
} __attribute__((packed)) f80;

extern f80 A, B, C, R0, R1;
extern u16 CW, SW, CW2;
extern u32 EFL;
extern u32 I32V;
extern u8 BUF[1024];

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

/* An instance: fninit; fldcw CW; <insn>; (stores done by insn) */
#define FT(name, insn)                                                         \
	void name(void);                                                       \
	__asm__(".text\n\t.p2align 2\n" #name ":\n\tfninit\n\tfldcw CW\n\t" insn \
		"\n\tfninit\n\tret\n");

void pf80(const f80 *v);          /* ssss:hhhhhhhhllllllll */
void psw(void);                   /* " sw=xxxx" */
void setf(f80 *d, u16 se, u32 hi, u32 lo);
const char *rcname(int rc);
u16 mkcw(int rc, int pc); /* masked, given rounding and precision control */

/* Interesting 80-bit operands */
extern const f80 VALS[];
extern const char *const VNAMES[];
extern const int NVALS;
#endif
