#include "fault.h"
	start
	movl $1, 0x10
	finish
