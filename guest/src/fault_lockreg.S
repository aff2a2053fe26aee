#include "fault.h"
	start
	.byte 0xf0, 0x01, 0xd8 /* lock add %ebx, %eax */
	finish
