/* fork and the wait family: every kind of exit status, WNOHANG, WUNTRACED,
 * WCONTINUED, WNOWAIT, __WALL/__WCLONE, rusage, ECHILD, reaping, getppid
 * after reparenting, process groups and sessions across fork. */
#include "common.h"
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

static pid_t spawn(const char *mode, const char *arg)
{
    pid_t c = fork();
    if (c == 0) {
        execl(helper("child"), "child", mode, arg, (char *)0);
        _exit(126);
    }
    return c;
}

static void reap(const char *label, pid_t c)
{
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    printf("%s: %s%s\n", label, w == c ? "" : "(wrong pid) ", wstr(st));
}

int main(int argc, char **argv)
{
    unbuffered();
    find_bindir(argv[0]);
    (void)argc;

    /* Exit codes, from the child itself and through exec. */
    int codes[] = {0, 1, 7, 42, 127, 128, 200, 255, 256, 511};
    for (unsigned i = 0; i < sizeof codes / sizeof *codes; i++) {
        pid_t c = fork();
        if (c == 0)
            _exit(codes[i]);
        char l[32];
        snprintf(l, sizeof l, "_exit(%d)", codes[i]);
        reap(l, c);
    }
    reap("exec exit 3", spawn("exit", "3"));
    /* Deaths by signal. */
    int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGQUIT};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        char a[8], l[32];
        snprintf(a, sizeof a, "%d", sigs[i]);
        snprintf(l, sizeof l, "signal %d", sigs[i]);
        reap(l, spawn("signal", a));
    }
    reap("segv", spawn("segv", 0));
    reap("abort", spawn("abort", 0));
    /* A child that dies by a signal its parent sends. */
    pid_t c = spawn("sleep", "5000");
    kill(c, SIGTERM);
    reap("killed by parent", c);

    /* Stopped and continued. */
    c = spawn("stop", 0);
    int st = 0;
    pid_t w = waitpid(c, &st, WUNTRACED);
    printf("WUNTRACED: %d %s\n", w == c, wstr(st));
    kill(c, SIGCONT);
    w = waitpid(c, &st, WCONTINUED);
    printf("WCONTINUED: %d %s\n", w == c, wstr(st));
    kill(c, SIGUSR1);
    reap("after continue", c);

    /* WNOHANG with a running child, then without. */
    c = spawn("sleep", "100");
    w = waitpid(c, &st, WNOHANG);
    printf("WNOHANG running: %d\n", (int)w);
    reap("WNOHANG child", c);

    /* waitid: WEXITED with WNOWAIT leaves the zombie; then reap it. */
    c = spawn("exit", "9");
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    R("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    printf("  signo %d code %d status %d pid ok %d\n", si.si_signo, si.si_code, si.si_status,
           si.si_pid == c);
    memset(&si, 0xff, sizeof si);
    R("waitid", waitid(P_PID, c, &si, WEXITED));
    printf("  signo %d code %d status %d pid ok %d\n", si.si_signo, si.si_code, si.si_status,
           si.si_pid == c);
    R("waitid again", waitid(P_PID, c, &si, WEXITED));
    c = spawn("signal", "15");
    memset(&si, 0xff, sizeof si);
    R("waitid killed", waitid(P_ALL, 0, &si, WEXITED));
    printf("  signo %d code %d status %d\n", si.si_signo, si.si_code, si.si_status);
    c = spawn("sleep", "100");
    memset(&si, 0xff, sizeof si);
    R("waitid WNOHANG", waitid(P_PID, c, &si, WEXITED | WNOHANG));
    printf("  signo %d pid %d\n", si.si_signo, si.si_pid);
    reap("waitid WNOHANG child", c);
    R("waitid bad options", waitid(P_ALL, 0, &si, 0));
    R("waitid bad idtype", waitid(9, 0, &si, WEXITED));

    /* wait4 with rusage. */
    c = fork();
    if (c == 0) {
        volatile unsigned x = 0;
        for (unsigned i = 0; i < 3000000; i++)
            x += i;
        _exit(0);
    }
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    w = wait4(c, &st, 0, &ru);
    printf("wait4: %d %s maxrss>0 %d utime sane %d\n", w == c, wstr(st), ru.ru_maxrss > 0,
           ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);

    /* Nothing to wait for. */
    R("wait no children", wait(&st));
    R("waitpid no such child", waitpid(1, &st, 0));
    R("waitpid bad options", waitpid(-1, &st, 0x1000));
    R("waitpid bad status ptr, no child", waitpid(-1, (int *)4, 0));
    c = spawn("exit", "4");
    R("waitpid bad status ptr", waitpid(c, (int *)4, 0) == c);
    R("zombie reaped anyway", waitpid(c, &st, WNOHANG));

    /* A clone child with no exit signal: only __WCLONE or __WALL find it. */
    static char stack[65536];
    c = syscall(SYS_clone, 0, 0, 0, 0, 0);
    if (c == 0)
        _exit(12);
    struct timespec t = {0, 50000000};
    nanosleep(&t, 0);
    R("waitpid plain, clone child", waitpid(c, &st, WNOHANG));
    w = waitpid(c, &st, __WCLONE);
    printf("__WCLONE: %d %s\n", w == c, wstr(st));
    c = syscall(SYS_clone, SIGURG, 0, 0, 0, 0);
    if (c == 0)
        _exit(13);
    w = waitpid(c, &st, __WALL);
    printf("__WALL (exit signal SIGURG): %d %s\n", w == c, wstr(st));
    (void)stack;

    /* Reparenting: a grandchild whose parent exits is adopted by the
     * nearest subreaper, this process. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t me = getpid();
    c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            while (getppid() != me)
                usleep(1000);
            char a[16];
            snprintf(a, sizeof a, "%d", me);
            execl(helper("child"), "child", "ppid", a, (char *)0);
            _exit(126);
        }
        _exit(0);
    }
    int mst = 0;
    w = waitpid(c, &mst, 0);
    /* The grandchild prints before it exits: report both after it has. */
    pid_t g = wait(&st);
    printf("middle child: %d %s\n", w == c, wstr(mst));
    printf("adopted grandchild: %d %s\n", g > 0, wstr(st));

    /* Process groups and sessions across fork. */
    c = fork();
    if (c == 0) {
        printf("child pgid == parent pgid: %d\n", getpgrp() == getpgid(getppid()));
        R("setpgid(0,0)", setpgid(0, 0));
        printf("own group: %d\n", getpgrp() == getpid());
        pid_t s = setsid();
        printf("setsid after setpgid: %s\n", s < 0 ? ename(errno) : "ok");
        _exit(0);
    }
    reap("pgid child", c);
    c = fork();
    if (c == 0) {
        pid_t s = setsid();
        printf("setsid: %d, sid == pid %d, pgid == pid %d\n", s == getpid(),
               getsid(0) == getpid(), getpgrp() == getpid());
        R("setpgid after setsid", setpgid(0, getppid()));
        _exit(0);
    }
    reap("session child", c);
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    R("parent setpgid(child)", setpgid(c, c));
    printf("child's group: %d\n", getpgid(c) == c);
    kill(c, SIGKILL);
    reap("group child", c);
    return 0;
}
