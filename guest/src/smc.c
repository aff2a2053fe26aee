/* Self-modifying code: patch an instruction's immediate and re-run it,
 * patch opcodes, patch code in the same block as the writer (the very next
 * instruction, and earlier instructions of a loop body), and copy whole
 * functions into place.  The code lives in a writable+executable section. */
#include "rt.h"

__asm__(".section .smc,\"awx\",@progbits\n"
	/* returns its immediate */
	".globl f_imm, f_imm_end\n"
	"f_imm: movl $0x11111111, %eax; ret\n"
	/* opcode patch target: two incs (0x40) */
	".globl f_op\n"
	"f_op: incl %eax; incl %eax; ret\n"
	/* patches the next instruction's immediate */
	".globl f_next, f_next_t\n"
	"f_next: movl $0x33333333, f_next_t+1\n"
	"f_next_t: movl $0x22222222, %eax; ret\n"
	/* patches an instruction three instructions ahead */
	".globl f_ahead, f_ahead_t\n"
	"f_ahead: movl $0x44444444, f_ahead_t+1; movl $1, %ecx; addl %ecx, %ecx\n"
	"f_ahead_t: movl $0x22222222, %eax; addl %ecx, %eax; ret\n"
	/* inc -> dec of the next instruction (one byte store) */
	".globl f_incdec, f_incdec_t\n"
	"f_incdec: movb $0x48, f_incdec_t\n"
	"f_incdec_t: incl %eax; ret\n"
	/* a loop that bumps the immediate of an instruction it already ran */
	".globl f_loop, f_loop_t\n"
	"f_loop: movl $5, %ecx; xorl %eax, %eax\n"
	"1: .byte 0x83, 0xc0\n" /* addl $imm8, %eax */
	"f_loop_t: .byte 0x01\n"
	"incb f_loop_t; loop 1b; ret\n"
	/* a loop that rewrites its own jump target on the last pass */
	".globl f_jpatch\n"
	"f_jpatch: movl $3, %ecx; xorl %eax, %eax\n"
	"2: incl %eax; decl %ecx; jnz 3f; movb $0x90, 4f; movb $0x90, 4f+1\n"
	"3: cmpl $0, %ecx\n"
	"4: jmp 2b\n" /* 2 bytes: becomes two nops */
	"addl $0x100, %eax; ret\n"
	/* room for copied code */
	".globl buf\n"
	"buf: .fill 64, 1, 0xcc\n"
	".text\n");

extern u8 f_imm[], f_op[], f_next[], f_next_t[], f_ahead[], f_ahead_t[];
extern u8 f_incdec[], f_incdec_t[], f_loop[], f_loop_t[], f_jpatch[], buf[];

static u32 call(void *f, u32 eax)
{
	u32 r;
	__asm__ volatile("call *%2"
			 : "=a"(r)
			 : "0"(eax), "r"(f)
			 : "ecx", "edx", "memory", "cc");
	return r;
}

static void put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = ((u8 *)&v)[i];
}

/* bodies copied into buf: mov $imm, %eax; ret  and  lea 1(%eax,%eax,2), %eax; ret */
T(t_copy1, "movl $body1_c, %esi; movl $buf, %edi; movl $6, %ecx; rep movsb; call buf")
T(t_copy2, "movl $body2_c, %esi; movl $buf, %edi; movl $5, %ecx; rep movsb;"
	   "movl $10, %eax; call buf")
__asm__(".section .rodata\n"
	"body1_c: .byte 0xb8, 0x78, 0x56, 0x34, 0x12, 0xc3\n"
	"body2_c: .byte 0x8d, 0x44, 0x40, 0x01, 0xc3\n"
	".text\n");

int main(void)
{
	/* 1. immediate patched from C between calls */
	for (u32 i = 0; i < 6; i++) {
		u32 v = 0x11111111 + i * 0x01010101;
		put32(f_imm + 1, v);
		ps("imm patch ");
		pu(i);
		ps(": ");
		px(call(f_imm, 0), 8);
		nl();
	}
	/* 2. opcode patched: inc/dec */
	for (int i = 0; i < 4; i++) {
		f_op[0] = (i & 1) ? 0x48 : 0x40;
		f_op[1] = (i & 2) ? 0x48 : 0x40;
		ps("opcode patch ");
		pu(i);
		ps(": 10 -> ");
		pu(call(f_op, 10));
		nl();
	}
	/* 3. the writer patches the next instruction of its own block */
	for (int i = 0; i < 3; i++) {
		put32(f_next_t + 1, 0x22222222);
		ps("next-instruction patch: ");
		px(call(f_next, 0), 8);
		ps(" again: ");
		px(call(f_next, 0), 8);
		nl();
		put32(f_ahead_t + 1, 0x22222222);
		ps("patch 3 ahead: ");
		px(call(f_ahead, 0), 8);
		nl();
		f_incdec_t[0] = 0x40;
		ps("inc->dec next: 10 -> ");
		pu(call(f_incdec, 10));
		ps(" again: ");
		pu(call(f_incdec, 10));
		nl();
	}
	/* 4. a loop patching an instruction it already executed */
	for (int i = 0; i < 2; i++) {
		f_loop_t[0] = 1;
		ps("self-bumping loop: ");
		pu(call(f_loop, 0));
		ps(" imm now ");
		pu(f_loop_t[0]);
		nl();
	}
	ps("jump patched away: ");
	px(call(f_jpatch, 0), 8);
	nl();
	/* 5. copy code into place, run, replace, run */
	for (int i = 0; i < 3; i++) {
		t_copy1();
		ps("copied body1: ");
		px(R.eax, 8);
		t_copy2();
		ps(" body2(10): ");
		pu(R.eax);
		nl();
		for (int k = 0; k < 8; k++) /* back to int3s */
			buf[k] = 0xcc;
	}
	return 0;
}
