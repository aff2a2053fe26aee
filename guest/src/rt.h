/* Tiny freestanding runtime for the i386 guest test programs.
 *
 * Only write(4) and exit_group(252) are used (plus set_thread_area(243) in
 * the segment test).  Output is block buffered (16 KiB).  The runtime itself is kept to
 * mov/alu/control instructions (no shifts, multiplies or divides) so that a
 * program only fails because of the instruction family it tests.
 *
 * Test instances: T(name, "insn") defines a function `name` that loads every
 * general register and EFLAGS from R, runs "insn", and stores the registers
 * and EFLAGS back into R.  op_s/op_e delimit the bytes of "insn"; pop()
 * prints them as " op=<hex>" so the harness can mask undefined flags.
 * See guest/README.md for the output line format.
 */
#ifndef RT_H
#define RT_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;
typedef long long i64;

/* Register file in and out of a test instance. esp is output only
 * (the value right after "insn"). */
struct regs {
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi, fl;
};
extern struct regs R;
extern u32 op_s, op_e;
/* esp right before the instruction of the last instance ran */
extern u32 rt_esp0;
/* Scratch memory for memory-operand tests (4 KiB, 4 KiB aligned). */
extern u32 M[1024];

/* EFLAGS bits */
#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define TF 0x100
#define IF 0x200
#define DF 0x400
#define OF 0x800
#define ARITH (CF | PF | AF | ZF | SF | OF)
/* Input flag states used by most tests: everything clear / everything set. */
#define FL0 0x002
#define FL1 (0x002 | ARITH)

#define T(name, insn)                                                          \
	void name(void);                                                       \
	__asm__(".text\n\t.p2align 2\n" #name ":\n\tcall ld_regs\n\t" insn   \
		"\n\tcall sv_regs\n\tret\n");

typedef void (*tfn)(void);

void flush(void);
void pc(char c);
void ps(const char *s);
void sp(void); /* one space */
void nl(void);
void px(u32 v, int digits); /* hex, fixed number of digits (2, 4 or 8) */
void pxs(u32 v, int size);  /* hex, digits for an operand size 8/16/32 */
void pu(u32 v);             /* unsigned decimal */
void pd(i32 v);             /* signed decimal */
void pfl(u32 fl);           /* " fl=xxxxxxxx" */
void pum(u32 m);            /* " um=xxxxxxxx" (extra undefined flags) */
void pop(void);             /* " op=<bytes of the last instance>" then newline */
void ptag(const char *s);   /* s then a space */
void pmem(const void *p, int n); /* n bytes as hex */
void wr(int fd, const void *p, u32 n);
void exit_(int code) __attribute__((noreturn));
void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);

/* Values used by many tests, one set per operand size. */
extern const u32 V8[9], V16[9], V32[9];
const u32 *vals(int size);
u32 mask(int size);
/* Garbage for the bits above an 8/16-bit operand, to check they survive. */
u32 garb(u32 v, int size);
/* Set byte 1 (bits 8..15) of *w, without shifts. */
void setb1(u32 *w, u32 v);

#endif
