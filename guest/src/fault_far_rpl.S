/* lret to the user code segment with RPL 0 (an inward return): #GP(0x20) -> SIGSEGV */
#include "fault.h"
	start
	pushl $0x20
	pushl $1f
	lret
1:
	finish
