/* forker: fork; the child says "child" and exits 3; the parent waits for it,
 * says "parent" and exits 10 + the child's status. Freestanding (int $0x80
 * only), for emu/tests/library.rs (hooks in a forked child). */
#include "rt.h"

int main(void)
{
	int pid = sys(2, 0, 0, 0, 0);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		sys(20, 0, 0, 0, 0);
		sys(4, 1, (u32) "child\n", 6, 0);
		return 3;
	}
	int st = 0;
	if (sys(114, pid, (u32)&st, 0, 0) != pid)
		return 2;
	sys(4, 1, (u32) "parent\n", 7, 0);
	return 10 + ((st >> 8) & 0xff);
}
