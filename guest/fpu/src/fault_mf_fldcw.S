/* A masked zero divide sets ZE; fldcw unmasking it makes ES pending and
 * the next waiting instruction (fld1) raises #MF: SIGFPE (136). */
#include "fault.h"
	start
	fld1
	fldz
	fdivrp
	pushl $0x37b
	fldcw (%esp)
	fnstsw %ax
	fld1
	finish
