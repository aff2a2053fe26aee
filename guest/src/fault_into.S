#include "fault.h"
	start
	movl $0x7fffffff, %eax
	addl $1, %eax /* OF=1 */
	into
	finish
