#include "fault.h"
	start
	hlt
	finish
