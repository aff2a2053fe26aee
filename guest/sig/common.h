/* Helpers for the guest/sig differential tests (signals): print results
 * as native Linux gives them, never pids, times or addresses that differ
 * between runs -- only their relations. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
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

/* ---- signals ---- */

/* Install a handler (SA_SIGINFO when `info`), with extra flags and the
 * signals of the zero-terminated list `mask` in sa_mask. */
static int on(int sig, void *fn, int info, int flags, const int *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (info)
        sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))fn;
    else
        sa.sa_handler = (void (*)(int))fn;
    sa.sa_flags = flags | (info ? SA_SIGINFO : 0);
    sigemptyset(&sa.sa_mask);
    for (; mask && *mask; mask++)
        sigaddset(&sa.sa_mask, *mask);
    return sigaction(sig, &sa, 0);
}

/* Block (how = SIG_BLOCK) or unblock (SIG_UNBLOCK) one signal. */
static void mask1(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, 0);
}

/* Which of a few signals the set holds, as "USR1 USR2 ..." (or "-"). */
static const char *setstr(const sigset_t *s)
{
    static const struct { int sig; const char *name; } L[] = {
        {SIGHUP, "HUP"}, {SIGINT, "INT"}, {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},
        {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"}, {SIGBUS, "BUS"}, {SIGFPE, "FPE"},
        {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"}, {SIGPIPE, "PIPE"},
        {SIGALRM, "ALRM"}, {SIGTERM, "TERM"}, {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"},
        {SIGTSTP, "TSTP"}, {SIGTTIN, "TTIN"}, {SIGXFSZ, "XFSZ"}, {SIGVTALRM, "VTALRM"},
        {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGIO, "IO"}, {SIGSYS, "SYS"},
    };
    static char b[256];
    b[0] = 0;
    for (unsigned i = 0; i < sizeof L / sizeof *L; i++)
        if (sigismember(s, L[i].sig) == 1) {
            if (b[0])
                strcat(b, " ");
            strcat(b, L[i].name);
        }
    for (int r = SIGRTMIN; r <= SIGRTMAX; r++)
        if (sigismember(s, r) == 1) {
            char t[16];
            snprintf(t, sizeof t, "%sRT%d", b[0] ? " " : "", r - SIGRTMIN);
            strcat(b, t);
        }
    return b[0] ? b : "-";
}

/* The signals blocked now. */
static const char *blocked(void)
{
    sigset_t m;
    sigprocmask(SIG_BLOCK, 0, &m);
    return setstr(&m);
}

/* Wait for child c and return its status as words. */
static const char *reap(pid_t c)
{
    int st = 0;
    pid_t w;
    while ((w = waitpid(c, &st, 0)) == -1 && errno == EINTR)
        ;
    if (w != c) {
        static char b[64];
        snprintf(b, sizeof b, "waitpid -%s", ename(errno));
        return b;
    }
    return wstr(st);
}

/* Sleep ms milliseconds (restarting across handlers). */
static void msleep(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L}, rem;
    while (nanosleep(&t, &rem) == -1 && errno == EINTR)
        t = rem;
}
