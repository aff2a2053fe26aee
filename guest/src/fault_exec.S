#include "fault.h"
	start
	movl $0x10, %eax
	jmp *%eax
	finish
