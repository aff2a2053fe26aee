#include "fault.h"
	start
	movl $0x90909090, _start
	finish
