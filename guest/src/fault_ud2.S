#include "fault.h"
	start
	ud2
	finish
