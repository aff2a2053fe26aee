#include "fault.h"
/* maskmovdqu with an all-zero mask still needs a writable operand */
	start
	pxor %xmm1, %xmm1
	leal ro, %edi
	maskmovdqu %xmm1, %xmm0
	finish
	.section .rodata
	.balign 16
ro:	.long 1, 2, 3, 4
