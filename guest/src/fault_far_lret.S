/* lret to a data segment selector (0x2b): #GP(0x28) -> SIGSEGV */
#include "fault.h"
	start
	pushl $0x2b
	pushl $1f
	lret
1:
	finish
