/* Smallest guest: the harness runs it natively to see whether the host can
 * run i386 binaries at all. */
#include "rt.h"

int main(void)
{
	ps("hello, i386\n");
	return 0;
}
