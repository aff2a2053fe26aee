/* Interrupted system calls: a signal caught during a blocking read() on a
 * pipe, with and without SA_RESTART, through glibc (the vDSO's sysenter)
 * and through a raw int $0x80; signals that do not interrupt (ignored,
 * default-ignored, stop and continue); nanosleep, waitpid, pause, poll
 * and select interrupted by a handler; nanosleep across a stop. A child
 * (the kicker) sends the signal after a delay, then writes or exits. */
#include "common.h"
#include <poll.h>
#include <sys/select.h>

static volatile int handled;
static void on_sig(int sig)
{
    (void)sig;
    handled++;
}

static void handle(int sig, int flags)
{
    on(sig, on_sig, 0, flags, 0);
}

/* A child that waits ms1, sends sig to the parent (0: none), waits ms2,
 * writes data to fd (if fd >= 0), and exits with status 0. */
static pid_t kicker(int ms1, int sig, int ms2, int fd, const char *data)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        msleep(ms1);
        if (sig)
            kill(parent, sig);
        msleep(ms2);
        if (fd >= 0)
            write(fd, data, strlen(data));
        _exit(0);
    }
    return c;
}

static long raw_read(int fd, void *buf, size_t n, int *regs_kept)
{
    long r;
    int b = fd;
    void *c = buf;
    size_t d = n;
    __asm__ volatile("int $0x80" : "=a"(r), "+b"(b), "+c"(c), "+d"(d) : "0"(SYS_read) : "memory");
    *regs_kept = b == fd && c == buf && d == n;
    return r;
}

static void show_read(const char *label, long r, int err, const char *buf)
{
    if (r < 0)
        printf("%s: -%s, handled %d\n", label, ename(err), handled);
    else
        printf("%s: %ld [%.*s], handled %d\n", label, r, (int)r, buf, handled);
}

/* kind 0: glibc read; 1: raw int $0x80 read. */
static void pipe_read(const char *label, int kind, int sig, int flags)
{
    int p[2];
    pipe(p);
    if (flags >= 0)
        handle(sig, flags);
    handled = 0;
    pid_t c = kicker(100, sig, 100, p[1], "hello");
    char buf[32];
    long r;
    int err = 0, kept = 1;
    if (kind == 0) {
        errno = 0;
        r = read(p[0], buf, sizeof buf);
        err = errno;
    } else {
        r = raw_read(p[0], buf, sizeof buf, &kept);
        if (r < 0)
            err = -r, r = -1;
    }
    show_read(label, r, err, buf);
    if (!kept)
        printf("  ebx/ecx/edx changed by the syscall\n");
    if (r < 0) {
        errno = 0;
        r = read(p[0], buf, sizeof buf);
        show_read("  then", r, errno, buf);
    }
    printf("  kicker: %s\n", reap(c));
    close(p[0]);
    close(p[1]);
    signal(sig, SIG_DFL);
}

static void test_reads(void)
{
    pipe_read("glibc read, handler without SA_RESTART", 0, SIGUSR1, 0);
    pipe_read("glibc read, handler with SA_RESTART", 0, SIGUSR1, SA_RESTART);
    pipe_read("raw int $0x80 read, handler without SA_RESTART", 1, SIGUSR1, 0);
    pipe_read("raw int $0x80 read, handler with SA_RESTART", 1, SIGUSR1, SA_RESTART);
    pipe_read("raw int $0x80 read, RT handler with SA_RESTART", 1, SIGRTMIN, SA_RESTART);
    signal(SIGUSR2, SIG_IGN);
    pipe_read("glibc read, SIGUSR2 ignored", 0, SIGUSR2, -1);
    pipe_read("glibc read, SIGWINCH by default ignored", 0, SIGWINCH, -1);
    pipe_read("raw read, SIGWINCH by default ignored", 1, SIGWINCH, -1);
    /* Stopped and continued: the read resumes without a trace. */
    pipe_read("glibc read, SIGCONT with a handler, SA_RESTART", 0, SIGCONT, SA_RESTART);
    pipe_read("glibc read, SIGCONT with a handler, no SA_RESTART", 0, SIGCONT, 0);
}

static void test_stop_cont(void)
{
    int p[2];
    pipe(p);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        msleep(100);
        kill(parent, SIGSTOP);
        msleep(100);
        kill(parent, SIGCONT);
        msleep(100);
        write(p[1], "after", 5);
        _exit(0);
    }
    handled = 0;
    char buf[16];
    errno = 0;
    long r = read(p[0], buf, sizeof buf);
    show_read("glibc read across SIGSTOP and SIGCONT", r, errno, buf);
    printf("  kicker: %s\n", reap(c));
    close(p[0]);
    close(p[1]);

    c = fork();
    if (c == 0) {
        msleep(100);
        kill(parent, SIGSTOP);
        msleep(100);
        kill(parent, SIGCONT);
        _exit(0);
    }
    struct timespec t = {0, 400000000}, rem = {9, 9};
    R("nanosleep 400ms across SIGSTOP and SIGCONT (restart_syscall)", nanosleep(&t, &rem));
    printf("  kicker: %s\n", reap(c));
}

static void test_sleep(int flags)
{
    handle(SIGUSR1, flags);
    handled = 0;
    pid_t c = kicker(100, SIGUSR1, 0, -1, 0);
    struct timespec t = {3, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&t, &rem);
    printf("nanosleep 3s%s: %d %s, handled %d, rem > 0 %d, rem < 3s %d\n",
           flags ? " (SA_RESTART)" : "", r, ename(errno), handled,
           rem.tv_sec > 0 || rem.tv_nsec > 0, rem.tv_sec < 3);
    printf("  kicker: %s\n", reap(c));

    handled = 0;
    c = kicker(100, SIGUSR1, 0, -1, 0);
    errno = 0;
    t.tv_sec = 3;
    t.tv_nsec = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &rem);
    printf("clock_nanosleep 3s%s: %s, handled %d, rem > 0 %d\n", flags ? " (SA_RESTART)" : "",
           ename(r), handled, rem.tv_sec > 0 || rem.tv_nsec > 0);
    printf("  kicker: %s\n", reap(c));
    signal(SIGUSR1, SIG_DFL);
}

static void test_waitpid(int flags)
{
    handle(SIGUSR1, flags);
    handled = 0;
    /* The kicker signals, then exits 150ms later. */
    pid_t c = kicker(100, SIGUSR1, 150, -1, 0);
    int st = 0;
    errno = 0;
    pid_t w = waitpid(c, &st, 0);
    printf("waitpid%s: %s, handled %d\n", flags ? " (SA_RESTART)" : "",
           w == c ? wstr(st) : w == -1 ? ename(errno) : "?", handled);
    if (w != c)
        printf("  then: %s\n", reap(c));
    signal(SIGUSR1, SIG_DFL);
}

static void test_pause(void)
{
    handle(SIGUSR1, SA_RESTART);
    handled = 0;
    pid_t c = kicker(100, SIGUSR1, 0, -1, 0);
    R("pause (SA_RESTART)", pause());
    printf("  handled %d\n", handled);
    printf("  kicker: %s\n", reap(c));
    signal(SIGUSR1, SIG_DFL);
}

static void test_poll_select(void)
{
    int p[2];
    pipe(p);
    handle(SIGUSR1, SA_RESTART);
    handled = 0;
    pid_t c = kicker(100, SIGUSR1, 100, p[1], "x");
    struct pollfd pf = {p[0], POLLIN, 0};
    R("poll (SA_RESTART)", poll(&pf, 1, 3000));
    printf("  handled %d, then: %s\n", handled, reap(c));
    R("  poll again", poll(&pf, 1, 3000));
    char b;
    read(p[0], &b, 1);

    handled = 0;
    c = kicker(100, SIGUSR1, 100, p[1], "y");
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {3, 0};
    R("select (SA_RESTART)", select(p[0] + 1, &rs, 0, 0, &tv));
    printf("  handled %d, then: %s, timeout left > 0 %d\n", handled, reap(c),
           tv.tv_sec > 0 || tv.tv_usec > 0);
    close(p[0]);
    close(p[1]);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    unbuffered();
    test_reads();
    test_stop_cont();
    test_sleep(0);
    test_sleep(SA_RESTART);
    test_waitpid(0);
    test_waitpid(SA_RESTART);
    test_pause();
    test_poll_select();
    return 0;
}
