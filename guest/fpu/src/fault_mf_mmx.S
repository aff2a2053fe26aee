/* A pending unmasked x87 exception (invalid: sqrt(-1)) makes the next MMX
 * instruction raise #MF: SIGFPE (136). */
#include "fault.h"
	start
	pushl $0x37e
	fldcw (%esp)
	fld1
	fchs
	fsqrt
	movd %eax, %mm0
	finish
