/* iret with EFLAGS.NT set (a task return): #GP(0) -> SIGSEGV */
#include "fault.h"
	start
	pushfl
	orl $0x4000, (%esp)
	popfl
	pushfl
	pushl $0x23
	pushl $1f
	iret
1:
	finish
