#include "fault.h"
	start
	int $0x81
	finish
