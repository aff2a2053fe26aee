/* ljmp to a code segment of the LDT marked not present: #NP(0x4) -> SIGBUS */
#include "fault.h"
	start
	movl $123, %eax		/* modify_ldt(1, &desc, 16) */
	movl $1, %ebx
	movl $desc, %ecx
	movl $16, %edx
	int $0x80
	ljmp $0x7, $1f
1:
	finish
	.data
	/* entry 0, base 0, limit 0xfffff, 32-bit code, pages, not present, useable */
desc:	.long 0, 0, 0xfffff, 0x75
