#include "fault.h"
	start
	/* Set TF: the instruction after popf completes, then #DB: SIGTRAP */
	pushfl
	orl $0x100, (%esp)
	popfl
	nop
	finish
