/* Helpers for the guest/sys differential tests: print a raw syscall's
 * result as native Linux gives it (value or -errno name). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *ename(int e)
{
    switch (e) {
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case ESRCH: return "ESRCH";
    case EINTR: return "EINTR"; case EBADF: return "EBADF"; case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES"; case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY"; case EEXIST: return "EEXIST"; case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL"; case ENOSYS: return "ENOSYS"; case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP"; case ETXTBSY: return "ETXTBSY"; case ENXIO: return "ENXIO";
    case ERANGE: return "ERANGE"; case E2BIG: return "E2BIG"; case ENOTTY: return "ENOTTY";
    default: { static char b[32]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}

/* Result of a raw syscall: print hex value or the errno name. */
#define R(label, expr) do { errno = 0; long _r = (long)(expr); \
    if (_r == -1 && errno) printf("%s: -%s\n", label, ename(errno)); \
    else printf("%s: %#lx\n", label, (unsigned long)_r); } while (0)

/* Print /proc/self/maps as it is. */
static void maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char b[512];
    if (!f) {
        printf("maps: cannot open\n");
        return;
    }
    while (fgets(b, sizeof b, f))
        fputs(b, stdout);
    fclose(f);
}

static void unbuffered(void)
{
    setvbuf(stdout, 0, _IONBF, 0);
}
