/* Shared bits of the fault programs (preprocessed assembly).
 * Each prints "start", runs one faulting instruction, and would print
 * "NOT REACHED" and exit 0 if it did not fault.  The expected result is
 * the exit status (128 + signal). */
	.macro say msg, len
	movl $4, %eax
	movl $1, %ebx
	movl \msg, %ecx
	movl \len, %edx
	int $0x80
	.endm

	.macro start
	.text
	.globl _start
_start:
	say $m_start, $6
	.endm

	.macro finish
	say $m_not, $12
	movl $252, %eax
	xorl %ebx, %ebx
	int $0x80
	hlt
	.section .rodata
m_start: .ascii "start\n"
m_not:	.ascii "NOT REACHED\n"
	.text
	.endm
