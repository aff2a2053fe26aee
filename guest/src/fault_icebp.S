#include "fault.h"
	start
	/* icebp (F1): #DB, not subject to the gate DPL check: SIGTRAP */
	.byte 0xf1
	finish
