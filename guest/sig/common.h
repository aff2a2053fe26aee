/* Helpers for the guest/sig differential tests (signals): guest/proc's,
 * plus signal handling helpers. Print only what is the same run to run:
 * never pids, times or addresses, only their relations. */
#include "../proc/common.h"

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
