/* Far control transfers at CPL 3 (SDM vol. 2 JMP, CALL, RET, IRET): ljmp
 * and lcall with an immediate ptr16:32 and through an m16:32, lret and
 * lret imm16, iret to the same level (which EFLAGS bits it may load), and
 * the same through a flat 32-bit code segment of the LDT (modify_ldt),
 * including a system call made from it.  The faulting forms are the
 * fault_far* programs. */
#include "rt.h"

struct user_desc {
	u32 entry_number, base_addr, limit, flags;
};
/* seg_32bit | contents = code | limit_in_pages | useable */
#define UD_CODE 0x55

static i32 modify_ldt(i32 func, struct user_desc *d, u32 n)
{
	i32 r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(123), "b"(func), "c"(d), "d"(n) : "memory");
	return r;
}

/* A far procedure: returns its CS in eax and the two words above its
 * return address in ebx/ecx (the pushed EIP and CS). */
__asm__(".text\nfar_fn:\n\t"
	"movl %cs, %eax\n\tmovl (%esp), %ebx\n\tmovl 4(%esp), %ecx\n\tlret\n"
	/* lret $8: releases two pushed arguments. */
	"far_fn8:\n\tmovl 8(%esp), %eax\n\taddl 12(%esp), %eax\n\tlret $8\n");

u32 fptr[2]; /* m16:32: offset, selector */

T(get_cs, "movl %cs, %eax")
T(ljmp_imm, "movl $0, %eax; ljmp $0x23, $1f; movl $1, %eax; 1: movl %cs, %ebx")
T(ljmp_mem, "movl $2f, fptr; movl $0x23, fptr+4; ljmp *fptr; movl $1, %eax; 2: movl %cs, %ebx")
T(lcall_imm, "movl %esp, %esi; lcall $0x23, $far_fn; subl %esp, %esi; subl $far_ret1, %ebx; far_ret1:")
T(lcall_mem, "movl $far_fn, fptr; movl $0x23, fptr+4; movl %esp, %esi; lcall *fptr; subl %esp, %esi;"
	     "subl $far_ret2, %ebx; far_ret2:")
T(lcall_reg_mem, "movl $fptr, %edx; movl $far_fn, (%edx); movw $0x23, 4(%edx); lcall *(%edx)")
T(lret8, "movl %esp, %esi; pushl $40; pushl $2; lcall $0x23, $far_fn8; subl %esp, %esi")
T(lret_plain, "pushl $0x23; pushl $3f; lret; 3: movl %cs, %ebx")
/* iret to the same level: flags image with CF, DF, AC, ID, and IF clear
 * and IOPL 3 asked for (IF and IOPL are kept at CPL 3). */
T(iret_same, "pushl %edx; pushl $0x23; pushl $4f; iret; 4: pushfl; popl %eax; movl %cs, %ebx")
T(iretw_flags, "movl %esp, %edi; pushl %edx; pushl $0x23; pushl $5f; iretl; 5: pushfl; popl %eax; subl %esp, %edi")
/* Into LDT entry 0 (selector 7) and back; getpid from there. */
T(ldt_jmp, "ljmp $0x7, $6f; 6: movl %cs, %ebx; movl $20, %eax; int $0x80; movl %cs, %ecx;"
	   "ljmp $0x23, $7f; 7: movl %cs, %edx")
T(ldt_call, "lcall $0x7, $far_fn; movl %cs, %edx")

static void show(const char *nm)
{
	ps(nm);
	ps(" eax=");
	px(R.eax, 8);
	ps(" ebx=");
	px(R.ebx, 8);
	ps(" ecx=");
	px(R.ecx, 8);
	ps(" edx=");
	px(R.edx, 8);
	ps(" esi=");
	px(R.esi, 8);
	ps(" edi=");
	px(R.edi, 8);
	nl();
}

int main(void)
{
	get_cs();
	ps("cs=");
	px(R.eax, 4);
	nl();
	R.eax = R.ebx = R.ecx = R.edx = R.esi = R.edi = 0;
	ljmp_imm();
	show("ljmp imm");
	ljmp_mem();
	show("ljmp m16:32");
	lcall_imm();
	show("lcall imm");
	lcall_mem();
	show("lcall m16:32");
	lcall_reg_mem();
	show("lcall *(edx)");
	lret8();
	show("lret $8");
	R.ebx = 0;
	lret_plain();
	show("lret");
	R.fl = FL0;
	R.edx = FL1 | DF | 0x40000 | 0x200000 | 0x3000; /* AC, ID, IOPL 3; IF clear */
	iret_same();
	R.eax &= ~0x10000; /* RF reads back as 0 through pushf */
	show("iret");
	R.fl = FL1;
	R.edx = FL0 | 0x200;
	iretw_flags();
	show("iretl");

	struct user_desc d = {0, 0, 0xfffff, UD_CODE};
	i32 r = modify_ldt(1, &d, sizeof d);
	ps("modify_ldt -> ");
	pd(r);
	nl();
	R.eax = R.ebx = R.ecx = R.edx = 0;
	ldt_jmp();
	R.eax = R.eax != 0; /* a pid */
	show("ldt ljmp");
	ldt_call();
	show("ldt lcall");
	flush();
	exit_(0);
}
