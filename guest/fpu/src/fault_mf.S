/* An unmasked x87 zero divide: nothing happens at fdivp; the next waiting
 * instruction (fwait) raises #MF: SIGFPE (136). */
#include "fault.h"
	start
	pushl $0x37b
	fldcw (%esp)
	fld1
	fldz
	fdivrp
	fnstsw %ax
	fnstcw (%esp)
	fwait
	finish
