/* Signals between processes: SIGCHLD reaping in a handler, a request and
 * reply between parent and child (sigsuspend, sigqueue values, si_pid),
 * stop and continue (SIGTSTP, WUNTRACED, WCONTINUED, the SIGCHLD codes),
 * SIGCHLD ignored (auto-reaping), SA_NOCLDWAIT and SA_NOCLDSTOP, and kill
 * to a process group. */
#include "common.h"

static volatile int reaped, reaped_sum, chld, chld_total;
static volatile int codes[16], statuses[16], from_child[16];
static pid_t current_child;

static void reaper(int sig)
{
    (void)sig;
    int st, e = errno;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped++;
        reaped_sum += WEXITSTATUS(st);
    }
    errno = e;
}

static void chld_info(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (chld < 16) {
        codes[chld] = si->si_code;
        statuses[chld] = si->si_status;
        from_child[chld] = si->si_pid == current_child;
    }
    chld++;
    chld_total++;
}

static const char *cld(int code)
{
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED"; case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED"; case CLD_TRAPPED: return "CLD_TRAPPED";
    case CLD_STOPPED: return "CLD_STOPPED"; case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static void show_chld(void)
{
    printf("  SIGCHLD %d:", chld);
    for (int i = 0; i < chld && i < 16; i++)
        printf(" %s/%d%s", cld(codes[i]), statuses[i], from_child[i] ? "" : "(other pid)");
    printf("\n");
    chld = 0;
}

static void test_reaper(void)
{
    printf("SIGCHLD reaper:\n");
    on(SIGCHLD, reaper, 0, SA_RESTART, 0);
    mask1(SIG_BLOCK, SIGCHLD);
    for (int i = 1; i <= 5; i++) {
        if (fork() == 0) {
            msleep(20 * i);
            _exit(i);
        }
    }
    sigset_t old;
    sigprocmask(SIG_BLOCK, 0, &old);
    sigdelset(&old, SIGCHLD);
    while (reaped < 5)
        sigsuspend(&old);
    mask1(SIG_UNBLOCK, SIGCHLD);
    printf("  reaped %d, status sum %d\n", reaped, reaped_sum);
    R("  wait", wait(0));
    signal(SIGCHLD, SIG_DFL);
}

static volatile int req, reply_value, reply_from_parent, reply_code;
static void on_req(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    req = sig;
    reply_from_parent = si->si_pid == getppid();
}
static void on_reply(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    req = sig;
    reply_value = si->si_value.sival_int;
    reply_code = si->si_code;
    reply_from_parent = si->si_pid == current_child;
}

static void test_exchange(void)
{
    printf("request and reply:\n");
    on(SIGUSR1, on_req, 1, 0, 0);
    on(SIGUSR2, on_reply, 1, 0, 0);
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, &old);
    req = 0;
    pid_t c = fork();
    if (c == 0) {
        while (req != SIGUSR1)
            sigsuspend(&old);
        printf("  child: got USR1, from the parent %d\n", reply_from_parent);
        union sigval v = {.sival_int = 55};
        sigqueue(getppid(), SIGUSR2, v);
        _exit(0);
    }
    current_child = c;
    /* The result is printed once the child has answered, after the
     * child's own line: two processes printing at once would race. */
    int k = kill(c, SIGUSR1);
    int e = errno;
    while (req != SIGUSR2)
        sigsuspend(&old);
    errno = e;
    R("  kill child USR1", k);
    printf("  parent: got USR2, code SI_QUEUE %d, value %d, from the child %d\n",
           reply_code == SI_QUEUE, reply_value, reply_from_parent);
    printf("  child: %s\n", reap(c));
    sigprocmask(SIG_SETMASK, &old, 0);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* The sleeper answers SIGUSR1 with a byte on this pipe: once the answer
 * is read, the sleeper has been through get_signal, which sends the
 * parent the SIGCHLD of a continue before anything else. */
static int ping_pipe[2];
static void answer(int sig)
{
    (void)sig;
    write(ping_pipe[1], "p", 1);
}

static void ping(pid_t c)
{
    char b;
    kill(c, SIGUSR1);
    while (read(ping_pipe[0], &b, 1) == -1 && errno == EINTR)
        ;
}

static pid_t sleeper(void)
{
    pipe(ping_pipe);
    pid_t c = fork();
    if (c == 0) {
        /* Its own process group, not orphaned: stop signals stop it. */
        setpgid(0, 0);
        on(SIGUSR1, answer, 0, SA_RESTART, 0);
        write(ping_pipe[1], "r", 1);
        for (;;)
            pause();
    }
    setpgid(c, c);
    current_child = c;
    /* Wait until it is ready to answer. */
    char b;
    while (read(ping_pipe[0], &b, 1) == -1 && errno == EINTR)
        ;
    return c;
}

static void waitfor(const char *label, pid_t c, int flags)
{
    int st;
    pid_t w;
    while ((w = waitpid(c, &st, flags)) == -1 && errno == EINTR)
        ;
    printf("  %s: %s\n", label, w == c ? wstr(st) : w == 0 ? "nothing" : ename(errno));
}

/* Send sig to c and, unless SA_NOCLDSTOP keeps it from coming, wait for
 * the SIGCHLD it causes before any wait call: a wait that reports a stop
 * clears the stop status, and Linux fills the SIGCHLD's si_status from
 * it, so a SIGCHLD sent after such a wait (a race in the kernel, natively
 * too) would carry status 0. */
static void send(pid_t c, int sig, int flags)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, &old);
    int want = chld_total + 1;
    kill(c, sig);
    if (!flags)
        while (chld_total < want)
            sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, 0);
}

static void test_stop(int flags)
{
    printf("stop and continue%s:\n", flags ? " with SA_NOCLDSTOP" : "");
    on(SIGCHLD, chld_info, 1, SA_RESTART | flags, 0);
    chld = 0;
    pid_t c = sleeper();
    send(c, SIGTSTP, flags);
    waitfor("waitpid WUNTRACED after SIGTSTP", c, WUNTRACED);
    waitfor("waitpid WUNTRACED|WNOHANG again", c, WUNTRACED | WNOHANG);
    send(c, SIGCONT, flags);
    waitfor("waitpid WCONTINUED after SIGCONT", c, WCONTINUED);
    ping(c);
    show_chld();
    send(c, SIGSTOP, flags);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    R("  waitid WSTOPPED after SIGSTOP", waitid(P_PID, c, &si, WSTOPPED));
    printf("  waitid: %s status %d pid %d\n", cld(si.si_code), si.si_status, si.si_pid == c);
    send(c, SIGCONT, flags);
    memset(&si, 0, sizeof si);
    R("  waitid WCONTINUED|WNOWAIT", waitid(P_PID, c, &si, WCONTINUED | WNOWAIT));
    printf("  waitid: %s status %d\n", cld(si.si_code), si.si_status);
    memset(&si, 0, sizeof si);
    R("  waitid WCONTINUED", waitid(P_PID, c, &si, WCONTINUED));
    printf("  waitid: %s status %d\n", cld(si.si_code), si.si_status);
    memset(&si, 0, sizeof si);
    R("  waitid WCONTINUED|WNOHANG again", waitid(P_PID, c, &si, WCONTINUED | WNOHANG));
    printf("  waitid: pid zero %d\n", si.si_pid == 0);
    /* Once the sleeper answers, SA_NOCLDSTOP's missing SIGCHLDs would
     * have come. */
    ping(c);
    show_chld();
    kill(c, SIGTERM);
    waitfor("waitpid after SIGTERM", c, 0);
    show_chld();
    close(ping_pipe[0]);
    close(ping_pipe[1]);
    signal(SIGCHLD, SIG_DFL);
}

static void test_ignored(void)
{
    printf("SIGCHLD ignored:\n");
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 3; i++)
        if (fork() == 0) {
            msleep(20 * i);
            _exit(i);
        }
    int st;
    R("  wait (blocks until all exit, then ECHILD)", wait(&st));
    R("  waitpid -1 WNOHANG", waitpid(-1, &st, WNOHANG));
    signal(SIGCHLD, SIG_DFL);

    printf("SA_NOCLDWAIT with a handler:\n");
    on(SIGCHLD, chld_info, 1, SA_NOCLDWAIT, 0);
    chld = 0;
    /* SIGCHLD waits until current_child is set: the child may exit first. */
    sigset_t cs, co;
    sigemptyset(&cs);
    sigaddset(&cs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &cs, &co);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    current_child = c;
    sigprocmask(SIG_SETMASK, &co, 0);
    R("  wait", wait(&st));
    show_chld();
    signal(SIGCHLD, SIG_DFL);

    /* Ignoring SIGCHLD while a zombie exists does not reap it. */
    printf("SIG_IGN after the child became a zombie:\n");
    c = fork();
    if (c == 0)
        _exit(4);
    msleep(100);
    signal(SIGCHLD, SIG_IGN);
    waitfor("waitpid", c, 0);
    signal(SIGCHLD, SIG_DFL);
}

static volatile int usr1;
static void on_usr1(int sig)
{
    (void)sig;
    usr1++;
}

static void test_group(void)
{
    printf("kill to a process group:\n");
    int p[2];
    pipe(p);
    pid_t c[2];
    /* USR1 stays blocked until sigsuspend waits for it: with a plain
     * `while (!usr1) pause();` a signal arriving between the test and
     * pause() would be lost, and the child would wait forever. */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, &old);
    for (int i = 0; i < 2; i++) {
        c[i] = fork();
        if (c[i] == 0) {
            close(p[0]);
            on(SIGUSR1, on_usr1, 0, 0, 0);
            setpgid(0, i == 0 ? 0 : c[0]);
            /* Tell the parent we are ready, then wait for the signal. */
            write(p[1], "r", 1);
            while (!usr1)
                sigsuspend(&old);
            _exit(10 + i);
        }
        setpgid(c[i], c[0]);
    }
    sigprocmask(SIG_SETMASK, &old, 0);
    char b[2];
    read(p[0], b, 1);
    read(p[0], b + 1, 1);
    R("  kill(-pgid, USR1)", kill(-c[0], SIGUSR1));
    printf("  first: %s\n", reap(c[0]));
    printf("  second: %s\n", reap(c[1]));
    R("  kill(-pgid) after they exited", kill(-c[0], SIGUSR1));
    R("  killpg to the empty group", killpg(c[0], 0));
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    unbuffered();
    test_reaper();
    test_exchange();
    test_stop(0);
    test_stop(SA_NOCLDSTOP);
    test_ignored();
    test_group();
    return 0;
}
