#include "fault.h"
	start
	movl $1, %eax
	xorl %edx, %edx
	xorl %ecx, %ecx
	divl %ecx
	finish
