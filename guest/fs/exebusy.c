/* The running program cannot be opened for writing or truncated while it
 * runs (execve's deny_write_access): ETXTBSY through /proc/self/exe, its
 * own name and a hard link, while reading it works. Under emu a write
 * used to truncate the binary under emu's own mappings of it (SIGBUS). */
#include "t.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	(void)argc;
	setup();
	int fd;
	T(fd = open("/proc/self/exe", O_WRONLY | O_TRUNC));
	T(fd = open("/proc/self/exe", O_RDWR));
	T(fd = open(argv[0], O_WRONLY));
	T(fd = open(argv[0], O_RDONLY | O_TRUNC));
	T(truncate(argv[0], 0));
	T(truncate("/proc/self/exe", 0));
	T(link(argv[0], "hardlink"));
	T(open("hardlink", O_RDWR));
	T(unlink("hardlink"));
	fd = open("/proc/self/exe", O_RDONLY);
	V("read-only open works: %d", fd >= 0);
	struct stat st;
	T(fstat(fd, &st) == 0 && st.st_size > 0);
	char c;
	T(read(fd, &c, 1));
	return 0;
}
