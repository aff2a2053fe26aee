#include "fault.h"
	start
	movl $0x80000000, %eax
	movl $-1, %edx
	movl $-1, %ecx
	idivl %ecx
	finish
