#include "fault.h"
	start
	int3
	finish
