/* Run under `emu -L ROOT` by the test (not natively): ROOT/etc holds
 * emu-sysroot-test and ROOT/data/sub exists. */
#include "t.h"

int main(void)
{
	char buf[256], cwd[4096];
	setup();
	int fd = open("/etc/emu-sysroot-test", O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	printf("read /etc/emu-sysroot-test: %s", n < 0 ? "failed\n" : buf);
	V("host /proc/self/exe readable: %d", access("/proc/self/exe", R_OK) == 0);
	V("chdir /data/sub: %d", chdir("/data/sub"));
	V("getcwd: %s", getcwd(cwd, sizeof cwd) ? cwd : "failed");
	V("relative ../sub ok: %d", access("../sub", F_OK) == 0);
	errno = 0;
	V("missing: %s", open("/no/such/emu/file", O_RDONLY) < 0 ? en(errno) : "opened");
	return 0;
}
