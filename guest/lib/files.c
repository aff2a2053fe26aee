/* files PATH...: open each path, alternately with open(2) and
 * openat(AT_FDCWD, ...), and print "PATH: N bytes" (what read(2) gave) or
 * "PATH: error -E" with the errno. Exits 0. Freestanding (int $0x80 only),
 * for the library examples and emu/tests/library.rs. */
#include "rt.h"

static int sys3(int nr, u32 a, u32 b, u32 c)
{
	int r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "0"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return r;
}

static u32 len(const char *s)
{
	u32 n = 0;
	while (s[n])
		n++;
	return n;
}

static void out(const char *s)
{
	sys3(4, 1, (u32)s, len(s));
}

static void num(int v)
{
	char b[16];
	int i = 15;
	int neg = v < 0;
	u32 u = neg ? -(u32)v : (u32)v;
	b[i] = 0;
	do {
		b[--i] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (neg)
		b[--i] = '-';
	out(b + i);
}

static char buf[65536];

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fd = i & 1 ? sys3(5, (u32)argv[i], 0, 0)
			       : sys(295, (u32)-100, (u32)argv[i], 0, 0);
		out(argv[i]);
		if (fd < 0) {
			out(": error ");
			num(fd);
			out("\n");
			continue;
		}
		int total = 0, n;
		while ((n = sys3(3, fd, (u32)buf, sizeof buf)) > 0)
			total += n;
		sys3(6, fd, 0, 0);
		out(": ");
		num(total);
		out(" bytes\n");
	}
	return 0;
}
