#include "fault.h"
	start
	movl $0x1000, %eax
	movb $1, %cl
	divb %cl
	finish
