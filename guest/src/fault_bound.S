#include "fault.h"
	start
	movl $6, %eax
	bound %eax, bnd
	finish
	.data
bnd:	.long 0, 5

