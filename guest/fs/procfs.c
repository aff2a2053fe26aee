/* The emulated /proc entries and what glibc's startup touches: readlink
 * /proc/self/exe (and /proc/<pid>/exe), opening and stat'ing it,
 * /proc/self/maps naming the program and the stack, /proc/cpuinfo, the
 * terminal ioctls on non-terminals, and /proc/self/fd links. */
#include "t.h"
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

extern char **environ;

int main(int argc, char **argv)
{
	char buf[4096], real[PATH_MAX], path[64];
	setup();
	(void)argc;
	T(realpath(argv[0], real) != NULL);
	memset(buf, 0, sizeof buf);
	long n = readlink("/proc/self/exe", buf, sizeof buf);
	V("readlink self/exe matches: %d", n > 0 && strcmp(buf, real) == 0);
	sprintf(path, "/proc/%d/exe", getpid());
	memset(buf, 0, sizeof buf);
	n = readlink(path, buf, sizeof buf);
	V("readlink pid/exe matches: %d", n > 0 && strcmp(buf, real) == 0);
	T(readlink("/proc/self/exe", buf, 3));
	T(readlink("/proc/self/exe", buf, 0));
	int fd = open("/proc/self/exe", O_RDONLY);
	T(fd >= 0);
	T(read(fd, buf, 4));
	V("exe magic %d %.3s", buf[0], buf + 1);
	struct stat a, b;
	T(fstat(fd, &a));
	T(stat(argv[0], &b));
	V("same file: %d", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	T(stat("/proc/self/exe", &a));
	V("stat follows: %d", a.st_ino == b.st_ino && a.st_size == b.st_size);
	T(lstat("/proc/self/exe", &a));
	V("lstat is a link: %d", S_ISLNK(a.st_mode));
	T(access("/proc/self/exe", X_OK));
	close(fd);

	/* /proc/self/maps */
	FILE *f = fopen("/proc/self/maps", "r");
	T(f != NULL);
	int text = 0, stack = 0, lines = 0, named = 0;
	unsigned long me = (unsigned long)&main;
	while (f && fgets(buf, sizeof buf, f)) {
		unsigned long lo, hi;
		char perm[8];
		lines++;
		if (sscanf(buf, "%lx-%lx %7s", &lo, &hi, perm) == 3 && lo <= me && me < hi)
			text = strcmp(perm, "r-xp") == 0;
		if (strstr(buf, "[stack]")) stack = 1;
		if (strstr(buf, real)) named++;
	}
	V("maps: text r-xp %d stack %d named %d", text, stack, named > 0);
	if (f) fclose(f);
	sprintf(path, "/proc/%d/maps", getpid());
	fd = open(path, O_RDONLY);
	T(fd >= 0);
	T(read(fd, buf, 9) == 9);
	T(lseek(fd, 0, SEEK_SET));
	T(write(fd, "x", 1));
	close(fd);
	T(open("/proc/self/maps", O_RDONLY | O_DIRECTORY));

	/* /proc/cpuinfo */
	f = fopen("/proc/cpuinfo", "r");
	int proc = 0, flags = 0, vendor = 0;
	while (f && fgets(buf, sizeof buf, f)) {
		if (!strncmp(buf, "processor", 9)) proc++;
		if (!strncmp(buf, "flags", 5) && strstr(buf, " fpu") == NULL && strstr(buf, "fpu") == buf + 9) flags++;
		if (!strncmp(buf, "vendor_id", 9)) vendor++;
	}
	V("cpuinfo: processors %d vendor lines equal %d", proc > 0, vendor == proc);
	if (f) fclose(f);

	/* terminal ioctls on a regular file and a pipe */
	struct termios t;
	struct winsize ws;
	int p[2];
	T(pipe(p));
	T(ioctl(p[0], TCGETS, &t));
	T(ioctl(p[0], TIOCGWINSZ, &ws));
	T(ioctl(p[0], TIOCGPGRP, &n));
	int avail = -1;
	T(write(p[1], "abc", 3));
	T(ioctl(p[0], FIONREAD, &avail));
	V("fionread %d", avail);
	T(ioctl(p[0], FIONREAD, (void *)8));
	int on = 1;
	T(ioctl(p[0], FIONBIO, &on));
	T(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	T(ioctl(p[0], 0x12345678, 0));
	T(ioctl(99, TCGETS, &t));
	T(isatty(p[0]));
	T(tcgetattr(p[0], &t));
	int dn = open("/dev/null", O_RDWR);
	T(ioctl(dn, TCGETS, &t));
	T(ioctl(dn, TCGETS, (void *)8));

	/* /proc/self/fd names the guest's descriptors */
	sprintf(path, "/proc/self/fd/%d", dn);
	memset(buf, 0, sizeof buf);
	T(readlink(path, buf, sizeof buf));
	V("fd link: %s", buf);
	T(readlink("/proc/self/fd/77", buf, sizeof buf));
	/* opening through /proc/self/fd and /dev/fd reaches the guest's fd */
	T(write(p[1], "xyz", 3));
	sprintf(path, "/dev/fd/%d", p[1]);
	int w2 = open(path, O_WRONLY);
	T(w2 >= 0);
	T(write(w2, "!", 1));
	sprintf(path, "/proc/self/fd/%d", p[0]);
	struct stat ps;
	T(stat(path, &ps));
	V("fd path is a fifo: %d", S_ISFIFO(ps.st_mode));
	T(stat("/proc/self/fd/77", &ps));
	T(open("/dev/fd/77", O_RDONLY));
	T(fstat(0, &ps) == 0 && stat("/dev/stdin", &ps) == 0);
	T(lstat("/dev/stdin", &ps) == 0 && S_ISLNK(ps.st_mode));
	T(getppid() > 0);

	/* /proc/<pid> files are made when read, not when opened; fstat shows
	 * procfs's metadata; they cannot be spliced from. */
	fd = open("/proc/self/maps", O_RDONLY);
	T(fd >= 0);
	char *m = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char want[32];
	sprintf(want, "%08lx-%08lx", (unsigned long)m, (unsigned long)m + 3 * 4096);
	memset(buf, 0, sizeof buf);
	n = read(fd, buf, sizeof buf - 1);
	V("maps read after a later mmap lists it: %d", n > 0 && strstr(buf, want) != NULL);
	T(fstat(fd, &ps));
	V("fstat maps: size %ld blksize %ld mode %o", (long)ps.st_size, (long)ps.st_blksize, ps.st_mode & 07777);
	T(fstatat(fd, "", &ps, AT_EMPTY_PATH));
	V("fstatat maps: size %ld blksize %ld", (long)ps.st_size, (long)ps.st_blksize);
	long pos = lseek(fd, 0, SEEK_CUR);
	T(pread(fd, buf, 8, 0));
	V("pread at 0 keeps the position: %d", lseek(fd, 0, SEEK_CUR) == pos);
	int sp[2];
	T(pipe(sp));
	T(lseek(fd, 0, SEEK_SET));
	T(sendfile(sp[1], fd, NULL, 100));
	T(sendfile(sp[1], fd, NULL, 0));
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	memset(buf, 0, sizeof buf);
	n = read(fd, buf, sizeof buf);
	int same = n > 0;
	for (int i = 0, at = 0; same && i < argc; at += strlen(argv[i]) + 1, i++)
		same = at < n && strcmp(buf + at, argv[i]) == 0;
	V("cmdline is argv: %d", same);
	T(fstat(fd, &ps));
	V("fstat cmdline: size %ld blksize %ld", (long)ps.st_size, (long)ps.st_blksize);
	close(fd);
	fd = open("/proc/self/environ", O_RDONLY);
	static char env[65536];
	n = read(fd, env, sizeof env);
	same = n >= 0;
	long at = 0;
	for (char **e = environ; same && *e; at += strlen(*e) + 1, e++)
		same = at < n && strcmp(env + at, *e) == 0;
	V("environ is the environment: %d %d", same, at == n);
	close(fd);
	return 0;
}
