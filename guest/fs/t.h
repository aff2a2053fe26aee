/* Shared helpers for the file-system differential tests: each check prints
 * the call's text, its result and, on failure, the errno name, so a native
 * run and an emulated run can be compared line by line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static inline const char *en(int e)
{
	static char buf[32];
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
	E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
	E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
	E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
	E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK)
	E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(EOVERFLOW) E(ENOTSOCK)
	E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT)
	E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT) E(EADDRINUSE)
	E(EADDRNOTAVAIL) E(ENETUNREACH) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS)
	E(EISCONN) E(ENOTCONN) E(ETIMEDOUT) E(ECONNREFUSED) E(EALREADY)
	E(EINPROGRESS)
#undef E
	}
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* Print `expr = result [ERRNO]`. */
#define T(expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	int _e = errno; \
	if (_r < 0) printf("%s = %ld %s\n", #expr, _r, en(_e)); \
	else printf("%s = %ld\n", #expr, _r); \
} while (0)

/* Print a value with a label. */
#define V(fmt, ...) printf(fmt "\n", __VA_ARGS__)

static inline void setup(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Write a whole string to a new file. */
static inline void mkfile(const char *p, const char *s)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) { printf("mkfile %s: %s\n", p, en(errno)); return; }
	if (write(fd, s, strlen(s)) < 0) printf("mkfile write: %s\n", en(errno));
	close(fd);
}
