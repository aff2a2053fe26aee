/* Helpers for the guest/proc and guest/sig differential tests: print
 * results as native Linux gives them, never pids, times or paths that
 * differ between runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case ESRCH: return "ESRCH";
    case EINTR: return "EINTR"; case EBADF: return "EBADF"; case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES"; case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY"; case EEXIST: return "EEXIST"; case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL"; case ENOSYS: return "ENOSYS";
    case ECHILD: return "ECHILD"; case ENOEXEC: return "ENOEXEC"; case E2BIG: return "E2BIG";
    case ELOOP: return "ELOOP"; case ENAMETOOLONG: return "ENAMETOOLONG";
    case ETXTBSY: return "ETXTBSY"; case EDEADLK: return "EDEADLK";
    case EOWNERDEAD: return "EOWNERDEAD"; case ETIMEDOUT: return "ETIMEDOUT";
    case EPIPE: return "EPIPE"; case EFBIG: return "EFBIG"; case ENOSPC: return "ENOSPC";
    default: { static char b[32]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}

/* A wait status as words: exited N, killed by S (core), stopped by S, continued. */
static const char *wstr(int st)
{
    static char b[64];
    if (WIFEXITED(st))
        snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof b, "killed by %d%s", WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st))
        snprintf(b, sizeof b, "stopped by %d", WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        snprintf(b, sizeof b, "continued");
    else
        snprintf(b, sizeof b, "status %#x", st);
    return b;
}

/* The result of a call that returns -1 and errno on failure. */
#define R(label, expr) do { errno = 0; long _r = (long)(expr); \
    if (_r == -1) printf("%s: -%s\n", label, ename(errno)); \
    else printf("%s: %ld\n", label, _r); } while (0)

/* Same, but only says whether it succeeded (for pids and fds). */
#define OK(label, expr) do { errno = 0; long _r = (long)(expr); \
    if (_r < 0) printf("%s: -%s\n", label, ename(errno)); \
    else printf("%s: ok\n", label); } while (0)

static void unbuffered(void)
{
    setvbuf(stdout, 0, _IONBF, 0);
}

/* The directory this program was started from (argv[0] up to its last
 * slash), to find its helper programs beside it. */
static char bindir[4096];
static void find_bindir(const char *argv0)
{
    strncpy(bindir, argv0, sizeof bindir - 1);
    char *s = strrchr(bindir, '/');
    if (s)
        *s = 0;
    else
        strcpy(bindir, ".");
}

static const char *helper(const char *name)
{
    static char b[2][4200];
    static int k;
    k ^= 1;
    snprintf(b[k], sizeof b[k], "%s/%s", bindir, name);
    return b[k];
}
