#include "fault.h"
	start
	movdqa %xmm1, buf+1
	finish
	.bss
	.balign 64
buf:	.skip 64
	.data
	.balign 16
one:	.long 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000
zero:	.long 0, 0, 0, 0
den:	.long 1, 0, 0, 0
neg:	.long 0xbf800000, 0, 0, 0
three:	.long 0x40400000, 0, 0, 0
mx:	.long 0
