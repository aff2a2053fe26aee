/* Handlers: with and without SA_SIGINFO, the siginfo of raise, kill and
 * sigqueue, nested signals, the mask inside a handler (sa_mask, the
 * signal itself, SA_NODEFER), SA_RESETHAND, sigpending, sigsuspend,
 * sigwaitinfo and sigtimedwait, signal()'s BSD semantics, uncatchable
 * SIGKILL and SIGSTOP, and default actions (abort, SIGTERM) in children. */
#include "common.h"

static volatile int got, depth, maxdepth;
static char order[256];
static void note(const char *s)
{
    strcat(order, s);
}

static void plain(int sig)
{
    printf("  plain handler: sig %d, blocked in handler: %s\n", sig, blocked());
    got++;
}

static void info(int sig, siginfo_t *si, void *uc)
{
    printf("  info handler: sig %d signo %d code %d pid==getpid %d uid==getuid %d errno %d uc %s\n",
           sig, si->si_signo, si->si_code, si->si_pid == getpid(), si->si_uid == getuid(),
           si->si_errno, uc ? "set" : "null");
    if (si->si_code == SI_QUEUE)
        printf("  si_value.sival_int %d\n", si->si_value.sival_int);
    got++;
}

static void inner(int sig)
{
    (void)sig;
    note(" inner-enter");
    note(" inner-exit");
}

static void outer(int sig)
{
    (void)sig;
    note(" outer-enter");
    raise(SIGUSR2);
    note(" outer-after-raise");
}

static void masked_outer(int sig)
{
    (void)sig;
    note(" outer-enter");
    raise(SIGUSR2);
    note(" outer-after-raise(pending)");
    sigset_t p;
    sigpending(&p);
    printf("  pending inside handler: %s\n", setstr(&p));
    printf("  blocked inside handler: %s\n", blocked());
}

static void nodefer(int sig)
{
    depth++;
    if (depth > maxdepth)
        maxdepth = depth;
    if (depth < 4)
        raise(sig);
    depth--;
}

static void deferred(int sig)
{
    depth++;
    if (depth > maxdepth)
        maxdepth = depth;
    if (got++ < 3)
        raise(sig);
    depth--;
}

static void counter(int sig)
{
    (void)sig;
    got++;
}

static void test_basic(void)
{
    printf("basic handlers:\n");
    on(SIGUSR1, plain, 0, 0, 0);
    got = 0;
    R("raise USR1", raise(SIGUSR1));
    printf("  got %d, blocked after: %s\n", got, blocked());

    on(SIGUSR1, info, 1, 0, 0);
    R("raise USR1 (siginfo)", raise(SIGUSR1));
    R("kill self USR1 (siginfo)", kill(getpid(), SIGUSR1));
    R("tgkill self USR1", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
    union sigval v = {.sival_int = 4242};
    R("sigqueue USR1 4242", sigqueue(getpid(), SIGUSR1, v));
    on(SIGRTMIN, info, 1, 0, 0);
    v.sival_int = -7;
    R("sigqueue RTMIN -7", sigqueue(getpid(), SIGRTMIN, v));
    printf("  handled %d\n", got);
    signal(SIGRTMIN, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_nested(void)
{
    printf("nested:\n");
    on(SIGUSR2, inner, 0, 0, 0);
    on(SIGUSR1, outer, 0, 0, 0);
    order[0] = 0;
    raise(SIGUSR1);
    printf("  order:%s\n", order);

    /* With USR2 in sa_mask, the inner signal waits for the outer handler. */
    int m[] = {SIGUSR2, SIGTERM, 0};
    on(SIGUSR1, masked_outer, 0, 0, m);
    order[0] = 0;
    raise(SIGUSR1);
    printf("  order (USR2 in sa_mask):%s\n", order);
    printf("  blocked after: %s\n", blocked());
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

static void test_mask_in_handler(void)
{
    printf("mask inside handlers:\n");
    int m[] = {SIGHUP, SIGALRM, 0};
    on(SIGUSR1, plain, 0, 0, m);
    mask1(SIG_BLOCK, SIGINT);
    raise(SIGUSR1);
    printf("  after: %s\n", blocked());
    on(SIGUSR1, plain, 0, SA_NODEFER, m);
    raise(SIGUSR1);
    mask1(SIG_UNBLOCK, SIGINT);
    signal(SIGUSR1, SIG_DFL);

    /* Handlers run with the signal blocked unless SA_NODEFER. */
    on(SIGUSR1, nodefer, 0, SA_NODEFER, 0);
    depth = maxdepth = 0;
    raise(SIGUSR1);
    printf("  SA_NODEFER: max depth %d\n", maxdepth);
    on(SIGUSR1, deferred, 0, 0, 0);
    depth = maxdepth = 0;
    got = 0;
    raise(SIGUSR1);
    printf("  deferred: max depth %d, ran %d times\n", maxdepth, got);
    signal(SIGUSR1, SIG_DFL);
}

static void test_resethand(void)
{
    printf("SA_RESETHAND:\n");
    pid_t c = fork();
    if (c == 0) {
        got = 0;
        on(SIGUSR1, counter, 0, SA_RESETHAND, 0);
        raise(SIGUSR1);
        struct sigaction old;
        sigaction(SIGUSR1, 0, &old);
        printf("  child: handled %d, disposition now %s\n", got,
               old.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
        raise(SIGUSR1);
        printf("  child: survived the second raise\n");
        _exit(0);
    }
    printf("  child: %s\n", reap(c));

    /* Linux does not add SA_NODEFER to SA_RESETHAND: the handler runs with
     * its signal blocked. */
    c = fork();
    if (c == 0) {
        on(SIGUSR2, plain, 0, SA_RESETHAND, 0);
        raise(SIGUSR2);
        _exit(3);
    }
    printf("  child: %s\n", reap(c));
}

static void test_pending(void)
{
    printf("pending:\n");
    on(SIGUSR1, counter, 0, 0, 0);
    got = 0;
    mask1(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigset_t p;
    sigpending(&p);
    printf("  got %d, pending: %s, ismember USR1 %d USR2 %d\n", got, setstr(&p),
           sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2));
    mask1(SIG_UNBLOCK, SIGUSR1);
    sigpending(&p);
    printf("  after unblock: got %d (standard signals merge), pending: %s\n", got, setstr(&p));

    /* Real-time signals queue. */
    on(SIGRTMIN + 1, counter, 0, 0, 0);
    got = 0;
    mask1(SIG_BLOCK, SIGRTMIN + 1);
    for (int i = 0; i < 3; i++)
        raise(SIGRTMIN + 1);
    mask1(SIG_UNBLOCK, SIGRTMIN + 1);
    printf("  RTMIN+1 raised 3 times while blocked: handled %d\n", got);

    /* A pending ignored signal is discarded when it is ignored. */
    mask1(SIG_BLOCK, SIGUSR2);
    signal(SIGUSR2, SIG_DFL);
    raise(SIGUSR2);
    sigpending(&p);
    printf("  pending before SIG_IGN: %s\n", setstr(&p));
    signal(SIGUSR2, SIG_IGN);
    sigpending(&p);
    printf("  pending after SIG_IGN: %s\n", setstr(&p));
    mask1(SIG_UNBLOCK, SIGUSR2);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

static void test_suspend(void)
{
    printf("sigsuspend:\n");
    on(SIGUSR1, plain, 0, 0, 0);
    mask1(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    sigset_t none;
    sigemptyset(&none);
    sigaddset(&none, SIGHUP);
    got = 0;
    R("  sigsuspend", sigsuspend(&none));
    printf("  got %d, mask restored: %s\n", got, blocked());
    mask1(SIG_UNBLOCK, SIGUSR1);
    signal(SIGUSR1, SIG_DFL);
}

static void test_wait(void)
{
    printf("sigwaitinfo and sigtimedwait:\n");
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &s, 0);
    union sigval v = {.sival_int = 99};
    sigqueue(getpid(), SIGRTMIN + 2, v);
    raise(SIGUSR1);
    siginfo_t si;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof si);
        errno = 0;
        int r = sigwaitinfo(&s, &si);
        printf("  sigwaitinfo: %s signo %s code %d pid==getpid %d value %d\n",
               r == -1 ? ename(errno) : "ok",
               si.si_signo == SIGUSR1 ? "USR1" : si.si_signo == SIGRTMIN + 2 ? "RTMIN+2" : "?",
               si.si_code, si.si_pid == getpid(), si.si_code == SI_QUEUE ? si.si_value.sival_int : 0);
    }
    struct timespec zero = {0, 0};
    R("  sigtimedwait zero timeout", sigtimedwait(&s, &si, &zero));
    struct timespec ms = {0, 20000000};
    R("  sigtimedwait 20ms", sigtimedwait(&s, &si, &ms));
    struct timespec bad = {0, 1000000000};
    R("  sigtimedwait bad timeout", sigtimedwait(&s, &si, &bad));
    raise(SIGUSR1);
    errno = 0;
    int r = sigtimedwait(&s, &si, &zero);
    printf("  sigtimedwait pending USR1: %s\n", r == SIGUSR1 ? "USR1" : ename(errno));
    sigprocmask(SIG_UNBLOCK, &s, 0);
}

static void test_signal_bsd(void)
{
    printf("signal():\n");
    got = 0;
    void (*old)(int) = signal(SIGUSR1, counter);
    printf("  old was SIG_DFL %d\n", old == SIG_DFL);
    raise(SIGUSR1);
    raise(SIGUSR1);
    struct sigaction sa;
    sigaction(SIGUSR1, 0, &sa);
    printf("  handled %d, still installed %d, SA_RESTART %d, SA_RESETHAND %d, SA_NODEFER %d\n",
           got, sa.sa_handler == counter, !!(sa.sa_flags & SA_RESTART),
           !!(sa.sa_flags & SA_RESETHAND), !!(sa.sa_flags & SA_NODEFER));
    old = signal(SIGUSR1, SIG_IGN);
    printf("  old was counter %d\n", old == counter);
    R("  raise ignored", raise(SIGUSR1));
    old = signal(SIGUSR1, SIG_DFL);
    printf("  old was SIG_IGN %d\n", old == SIG_IGN);
    errno = 0;
    old = signal(0, SIG_IGN);
    printf("  signal(0): %s %s\n", old == SIG_ERR ? "SIG_ERR" : "?", ename(errno));
    errno = 0;
    old = signal(65, SIG_IGN);
    printf("  signal(65): %s %s\n", old == SIG_ERR ? "SIG_ERR" : "?", ename(errno));
}

static void test_uncatchable(void)
{
    printf("uncatchable:\n");
    R("  sigaction KILL", on(SIGKILL, counter, 0, 0, 0));
    R("  sigaction STOP", on(SIGSTOP, counter, 0, 0, 0));
    struct sigaction ign = {.sa_handler = SIG_IGN};
    R("  ignore KILL", sigaction(SIGKILL, &ign, 0));
    R("  ignore STOP", sigaction(SIGSTOP, &ign, 0));
    struct sigaction q;
    R("  query KILL", sigaction(SIGKILL, 0, &q));
    printf("  KILL is SIG_DFL %d\n", q.sa_handler == SIG_DFL);
    R("  sigaction 0", sigaction(0, 0, &q));
    R("  sigaction 65", sigaction(65, 0, &q));
    R("  kill bad signal", kill(getpid(), 65));
    R("  kill signal 0 self", kill(getpid(), 0));
    /* Blocking KILL and STOP is silently ignored. */
    sigset_t s, o;
    sigemptyset(&s);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, &o);
    printf("  blocked after blocking KILL STOP USR2: %s, KILL %d STOP %d\n", blocked(),
           ({ sigset_t c; sigprocmask(SIG_BLOCK, 0, &c); sigismember(&c, SIGKILL); }),
           ({ sigset_t c; sigprocmask(SIG_BLOCK, 0, &c); sigismember(&c, SIGSTOP); }));
    sigprocmask(SIG_SETMASK, &o, 0);
    R("  sigprocmask bad how", sigprocmask(99, &s, 0));
    R("  rt_sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &s, 0, 4));
    R("  rt_sigaction bad size", syscall(SYS_rt_sigaction, SIGUSR1, 0, &q, 4));

    pid_t c = fork();
    if (c == 0) {
        sigprocmask(SIG_BLOCK, &s, 0);
        kill(getpid(), SIGKILL);
        _exit(1);
    }
    printf("  child killing itself with KILL while blocking it: %s\n", reap(c));
}

static void test_defaults(void)
{
    printf("default actions:\n");
    pid_t c = fork();
    if (c == 0) {
        abort();
    }
    printf("  abort: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        /* abort() even when SIGABRT is ignored or caught and returning. */
        signal(SIGABRT, SIG_IGN);
        abort();
    }
    printf("  abort with SIGABRT ignored: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        signal(SIGABRT, counter);
        abort();
    }
    printf("  abort with a returning handler: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        kill(getpid(), SIGTERM);
        _exit(1);
    }
    printf("  kill self TERM: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        raise(SIGQUIT);
        _exit(1);
    }
    printf("  raise QUIT: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        raise(SIGCHLD);
        raise(SIGWINCH);
        raise(SIGURG);
        raise(SIGCONT);
        _exit(7);
    }
    printf("  CHLD WINCH URG CONT (ignored by default): %s\n", reap(c));
    c = fork();
    if (c == 0) {
        /* A blocked default-fatal signal kills when unblocked. */
        mask1(SIG_BLOCK, SIGUSR1);
        raise(SIGUSR1);
        printf("  child: still alive while USR1 is blocked\n");
        mask1(SIG_UNBLOCK, SIGUSR1);
        _exit(1);
    }
    printf("  USR1 blocked then unblocked: %s\n", reap(c));
    c = fork();
    if (c == 0) {
        raise(SIGRTMIN + 3);
        _exit(1);
    }
    printf("  raise RTMIN+3: %s\n", reap(c));
}

int main(void)
{
    unbuffered();
    printf("initial blocked: %s\n", blocked());
    test_basic();
    test_nested();
    test_mask_in_handler();
    test_resethand();
    test_pending();
    test_suspend();
    test_wait();
    test_signal_bsd();
    test_uncatchable();
    test_defaults();
    printf("final blocked: %s\n", blocked());
    return 0;
}
