/* ljmp through a null selector: #GP(0) -> SIGSEGV */
#include "fault.h"
	start
	ljmp $0, $1f
1:
	finish
