/* Record locks: F_SETLK/F_GETLK with the i386 struct flock, the 64-bit
 * variants through fcntl64 with struct flock64, OFD locks between two
 * open file descriptions, EOVERFLOW and the compat fcntl's EINVAL. */
#include "t.h"
#include <stdint.h>

struct flock32 { short type, whence; int32_t start, len; int32_t pid; };
struct flock64x { short type, whence; int64_t start, len; int32_t pid; } __attribute__((packed));

static void show32(const char *w, struct flock32 *f)
{
	printf("%s: type=%d whence=%d start=%d len=%d pid=%s\n", w, f->type, f->whence,
	       f->start, f->len, f->pid == getpid() ? "self" : f->pid == -1 ? "-1" : f->pid == 0 ? "0" : "other");
}

static void show64(const char *w, struct flock64x *f)
{
	printf("%s: type=%d whence=%d start=%lld len=%lld pid=%s\n", w, f->type, f->whence,
	       (long long)f->start, (long long)f->len,
	       f->pid == getpid() ? "self" : f->pid == -1 ? "-1" : f->pid == 0 ? "0" : "other");
}

int main(void)
{
	setup();
	V("sizes %d %d", (int)sizeof(struct flock32), (int)sizeof(struct flock64x));
	mkfile("f", "0123456789");
	int a = open("f", O_RDWR), b = open("f", O_RDWR);
	struct flock32 l = {F_WRLCK, SEEK_SET, 2, 3, 0};
	T(syscall(SYS_fcntl, a, F_SETLK, &l));
	/* the process's own lock does not conflict */
	l.type = F_WRLCK; l.start = 0; l.len = 0; l.pid = 12345;
	T(syscall(SYS_fcntl, b, F_GETLK, &l));
	show32("getlk own", &l);
	/* 64-bit commands only through fcntl64 */
	struct flock64x m = {F_RDLCK, SEEK_SET, 0, 0, 777};
	T(syscall(SYS_fcntl, a, 12, &m));
	show64("fcntl getlk64 own", &m);
	m.type = F_RDLCK; m.pid = 777;
	T(syscall(SYS_fcntl64, a, 12, &m));
	show64("getlk64 own", &m);
	m.type = F_UNLCK;
	T(syscall(SYS_fcntl64, a, 12, &m));
	T(syscall(SYS_fcntl, a, F_OFD_GETLK, &m));
	/* OFD locks conflict between open file descriptions */
	m.type = F_WRLCK; m.whence = SEEK_SET; m.start = 4; m.len = 2; m.pid = 0;
	T(syscall(SYS_fcntl64, a, F_OFD_SETLK, &m));
	m.type = F_RDLCK; m.start = 0; m.len = 100; m.pid = 0;
	T(syscall(SYS_fcntl64, b, F_OFD_SETLK, &m));
	m.type = F_RDLCK; m.start = 0; m.len = 100; m.pid = 0;
	T(syscall(SYS_fcntl64, b, F_OFD_GETLK, &m));
	show64("ofd getlk", &m);
	m.type = F_RDLCK; m.start = 6; m.len = 10; m.pid = 0;
	T(syscall(SYS_fcntl64, b, F_OFD_SETLK, &m));
	m.type = F_RDLCK; m.start = 0; m.len = 0; m.pid = 0;
	T(syscall(SYS_fcntl64, a, F_OFD_GETLK, &m));
	show64("ofd getlk from a", &m);
	m.type = F_UNLCK; m.start = 0; m.len = 0; m.pid = 0;
	T(syscall(SYS_fcntl64, b, F_OFD_SETLK, &m));
	/* big offsets: fine for flock64, EOVERFLOW back through struct flock */
	m.type = F_WRLCK; m.start = 0x100000000LL; m.len = 10; m.pid = 0;
	T(syscall(SYS_fcntl64, a, F_OFD_SETLK, &m));
	m.type = F_WRLCK; m.start = 0; m.len = 0; m.pid = 0;
	T(syscall(SYS_fcntl64, b, F_OFD_GETLK, &m));
	show64("ofd big", &m);
	m.type = F_WRLCK; m.start = 0x100000000LL; m.len = 1; m.pid = 0;
	T(syscall(SYS_fcntl64, a, F_SETLK64, &m));
	l.type = F_WRLCK; l.whence = SEEK_SET; l.start = 0; l.len = 0;
	T(syscall(SYS_fcntl, a, F_GETLK, &l));
	show32("getlk after", &l);
	/* bad arguments */
	l.type = 99;
	T(syscall(SYS_fcntl, a, F_SETLK, &l));
	l.type = F_RDLCK; l.whence = 9;
	T(syscall(SYS_fcntl, a, F_SETLK, &l));
	T(syscall(SYS_fcntl, a, F_SETLK, (void *)8));
	T(syscall(SYS_fcntl, 99, F_SETLK, &l));
	int ro = open("f", O_RDONLY);
	l.type = F_WRLCK; l.whence = SEEK_SET; l.start = 0; l.len = 1;
	T(syscall(SYS_fcntl, ro, F_SETLK, &l));
	/* glibc's own fcntl and lockf */
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
	T(fcntl(a, F_SETLKW, &fl));
	T(lockf(a, F_TLOCK, 0));
	T(lockf(a, F_TEST, 0));
	T(lockf(a, F_ULOCK, 0));
	/* other fcntl commands */
	T(fcntl(a, F_GETOWN));
	T(fcntl(a, F_SETOWN, getpid()));
	T(fcntl(a, F_GETOWN) == getpid());
	T(fcntl(a, F_GETSIG));
	T(fcntl(a, F_GETLEASE));
	int p[2];
	T(pipe(p));
	T(fcntl(p[0], F_GETPIPE_SZ));
	T(fcntl(p[0], F_SETPIPE_SZ, 8192));
	T(fcntl(p[0], F_GETPIPE_SZ));
	T(fcntl(a, F_GETPIPE_SZ));
	return 0;
}
