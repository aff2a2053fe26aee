#include "fault.h"
	start
	.byte 0xd4, 0x00 /* aam 0 */
	finish
