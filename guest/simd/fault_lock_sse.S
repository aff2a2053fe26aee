#include "fault.h"
/* lock addps %xmm1, %xmm0: #UD */
	start
	.byte 0xf0, 0x0f, 0x58, 0xc1
	finish
