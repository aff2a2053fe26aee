/* Timers that signal: alarm, setitimer/getitimer (ITIMER_REAL periodic,
 * ITIMER_VIRTUAL, ITIMER_PROF), POSIX timers (SIGEV_SIGNAL with a value,
 * SI_TIMER, overruns, SIGEV_NONE, timer_gettime, timer_delete), timerfd,
 * and signalfd. Only facts that are the same run to run are printed:
 * counts, codes, values, and relations of the times. */
#include "common.h"
#include <poll.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>

static volatile int ticks;
static void tick(int sig)
{
    (void)sig;
    ticks++;
}

static volatile int tinfo_code, tinfo_value, tinfo_overrun, tinfo_tid, tinfo_signo;
/* si_overrun of the first signal since ticks was last zeroed. */
static volatile int first_overrun;
static void tinfo(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    tinfo_signo = si->si_signo;
    tinfo_code = si->si_code;
    tinfo_value = si->si_value.sival_int;
    tinfo_overrun = si->si_overrun;
    tinfo_tid = si->si_timerid;
    if (ticks == 0)
        first_overrun = si->si_overrun;
    ticks++;
}

/* Wait (with sig blocked outside the wait) until ticks reaches n. */
static void wait_ticks(int sig, int n)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, &old);
    sigdelset(&old, sig);
    while (ticks < n)
        sigsuspend(&old);
    sigprocmask(SIG_UNBLOCK, &s, 0);
}

static void test_alarm(void)
{
    printf("alarm:\n");
    on(SIGALRM, tick, 0, 0, 0);
    ticks = 0;
    R("  alarm(5)", alarm(5));
    R("  alarm(0) (the 5s left)", alarm(0));
    R("  alarm(1)", alarm(1));
    R("  pause", pause());
    printf("  ticks %d\n", ticks);
    R("  alarm(0) after it fired", alarm(0));
    signal(SIGALRM, SIG_DFL);

    pid_t c = fork();
    if (c == 0) {
        alarm(1);
        pause();
        _exit(1);
    }
    printf("  child with the default action: %s\n", reap(c));
}

static void test_itimer(void)
{
    printf("setitimer:\n");
    on(SIGALRM, tick, 0, 0, 0);
    ticks = 0;
    struct itimerval it = {{0, 20000}, {0, 20000}}, old;
    R("  ITIMER_REAL 20ms periodic", setitimer(ITIMER_REAL, &it, &old));
    printf("  old was zero %d\n", !old.it_value.tv_sec && !old.it_value.tv_usec &&
           !old.it_interval.tv_sec && !old.it_interval.tv_usec);
    wait_ticks(SIGALRM, 3);
    struct itimerval cur;
    R("  getitimer", getitimer(ITIMER_REAL, &cur));
    printf("  interval %ld.%06ld, value <= interval %d\n", (long)cur.it_interval.tv_sec,
           (long)cur.it_interval.tv_usec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 20000);
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, &old);
    printf("  ticks %d, old interval %ld.%06ld\n", ticks, (long)old.it_interval.tv_sec,
           (long)old.it_interval.tv_usec);

    struct itimerval ten = {{1, 0}, {10, 0}};
    setitimer(ITIMER_REAL, &ten, 0);
    getitimer(ITIMER_REAL, &cur);
    printf("  10s timer: value in (9s, 10s] %d, interval %ld.%06ld\n",
           (cur.it_value.tv_sec == 9 && cur.it_value.tv_usec > 0) ||
               (cur.it_value.tv_sec == 10 && cur.it_value.tv_usec == 0),
           (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);
    setitimer(ITIMER_REAL, &zero, &old);
    printf("  disarmed; old value > 9s %d\n", old.it_value.tv_sec >= 9);
    getitimer(ITIMER_REAL, &cur);
    printf("  now zero %d\n", !cur.it_value.tv_sec && !cur.it_value.tv_usec);
    R("  alarm(0) sees no alarm", alarm(0));
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    R("  setitimer usec 1000000", setitimer(ITIMER_REAL, &bad, 0));
    R("  setitimer which 5", setitimer(5, &it, 0));
    R("  getitimer which 5", getitimer(5, &cur));
    signal(SIGALRM, SIG_DFL);

    /* CPU-time timers, with a busy loop. */
    on(SIGVTALRM, tick, 0, 0, 0);
    on(SIGPROF, tick, 0, 0, 0);
    int which[2] = {ITIMER_VIRTUAL, ITIMER_PROF};
    const char *name[2] = {"ITIMER_VIRTUAL", "ITIMER_PROF"};
    for (int k = 0; k < 2; k++) {
        ticks = 0;
        struct itimerval v = {{0, 0}, {0, 10000}};
        setitimer(which[k], &v, 0);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        volatile unsigned long spin = 0;
        for (;;) {
            for (int i = 0; i < 100000 && !ticks; i++)
                spin++;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (ticks || t1.tv_sec - t0.tv_sec > 20)
                break;
        }
        printf("  %s 10ms one-shot with a busy loop: ticks %d\n", name[k], ticks);
        getitimer(which[k], &cur);
        printf("  then disarmed %d\n", !cur.it_value.tv_sec && !cur.it_value.tv_usec);
    }
    signal(SIGVTALRM, SIG_DFL);
    signal(SIGPROF, SIG_DFL);
}

static void test_posix_timer(void)
{
    printf("POSIX timers:\n");
    on(SIGRTMIN, tinfo, 1, 0, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 123;
    timer_t t;
    R("  timer_create", timer_create(CLOCK_MONOTONIC, &ev, &t));
    struct itimerspec ts = {{0, 0}, {0, 20000000}}, cur, old;
    ticks = 0;
    R("  timer_settime 20ms one-shot", timer_settime(t, 0, &ts, &old));
    printf("  old zero %d\n", !old.it_value.tv_sec && !old.it_value.tv_nsec);
    wait_ticks(SIGRTMIN, 1);
    printf("  signo RTMIN %d, code SI_TIMER %d, value %d, overrun %d, si_timerid == timer %d\n",
           tinfo_signo == SIGRTMIN, tinfo_code == SI_TIMER, tinfo_value, tinfo_overrun,
           tinfo_tid == (int)(long)t);
    R("  timer_gettime", timer_gettime(t, &cur));
    printf("  disarmed %d\n", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);

    /* Periodic, with the signal blocked: the expirations pile up as an
     * overrun of the single queued signal. */
    struct itimerspec per = {{0, 10000000}, {0, 10000000}};
    mask1(SIG_BLOCK, SIGRTMIN);
    ticks = 0;
    timer_settime(t, 0, &per, 0);
    msleep(150);
    R("  timer_getoverrun before delivery", timer_getoverrun(t));
    struct itimerspec zero = {{0, 0}, {0, 0}};
    timer_gettime(t, &cur);
    printf("  periodic: interval %ld.%09ld, value <= interval %d\n", (long)cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 10000000);
    /* The expirations that piled up arrive as one signal as the unblock
     * returns, its overrun counting the rest. (Disarming first would drop
     * it.) A process descheduled for a period between the unblock and the
     * disarm (a loaded machine) gets the next expiration too, natively as
     * under emu: the first signal's overrun is what tells the piling up. */
    mask1(SIG_UNBLOCK, SIGRTMIN);
    timer_settime(t, 0, &zero, 0);
    printf("  periodic blocked 150ms: handled %d, first si_overrun >= 5 %d\n", ticks >= 1,
           first_overrun >= 5);
    /* timer_settime cleared the overrun of the last delivery. */
    R("  timer_getoverrun after disarming", timer_getoverrun(t));

    /* An absolute time in the past fires at once. */
    ticks = 0;
    struct itimerspec past = {{0, 0}, {0, 1}};
    R("  timer_settime TIMER_ABSTIME in the past", timer_settime(t, TIMER_ABSTIME, &past, 0));
    wait_ticks(SIGRTMIN, 1);
    printf("  handled %d\n", ticks);

    R("  timer_delete", timer_delete(t));
    R("  timer_delete again", timer_delete(t));
    R("  timer_gettime deleted", timer_gettime(t, &cur));
    R("  timer_settime deleted", timer_settime(t, 0, &ts, 0));
    R("  timer_getoverrun deleted", timer_getoverrun(t));

    ev.sigev_notify = SIGEV_NONE;
    timer_t n;
    R("  timer_create SIGEV_NONE", timer_create(CLOCK_REALTIME, &ev, &n));
    struct itimerspec five = {{0, 0}, {5, 0}};
    timer_settime(n, 0, &five, 0);
    timer_gettime(n, &cur);
    printf("  SIGEV_NONE 5s: value in (4s, 5s] %d\n",
           (cur.it_value.tv_sec == 4 && cur.it_value.tv_nsec > 0) ||
               (cur.it_value.tv_sec == 5 && cur.it_value.tv_nsec == 0));
    timer_delete(n);

    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 99;
    R("  timer_create bad signal", timer_create(CLOCK_MONOTONIC, &ev, &n));
    ev.sigev_signo = SIGRTMIN;
    R("  timer_create bad clock", timer_create(77, &ev, &n));

    /* A null sigevent: SIGALRM with the timer id as the value. */
    on(SIGALRM, tinfo, 1, 0, 0);
    R("  timer_create with a null sigevent", timer_create(CLOCK_MONOTONIC, 0, &n));
    ticks = 0;
    struct itimerspec ms = {{0, 0}, {0, 10000000}};
    timer_settime(n, 0, &ms, 0);
    wait_ticks(SIGALRM, 1);
    printf("  signo ALRM %d, code SI_TIMER %d, value == timer id %d\n", tinfo_signo == SIGALRM,
           tinfo_code == SI_TIMER, tinfo_value == (int)(long)n);
    timer_delete(n);
    signal(SIGALRM, SIG_DFL);
    signal(SIGRTMIN, SIG_DFL);

    pid_t c = fork();
    if (c == 0) {
        ev.sigev_signo = SIGUSR2;
        timer_create(CLOCK_MONOTONIC, &ev, &n);
        timer_settime(n, 0, &ms, 0);
        pause();
        _exit(1);
    }
    printf("  child with a SIGUSR2 timer and the default action: %s\n", reap(c));
}

static void test_timerfd(void)
{
    printf("timerfd:\n");
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    printf("  timerfd_create: %s\n", fd >= 0 ? "ok" : ename(errno));
    uint64_t n = 0;
    R("  read before arming", read(fd, &n, 8));
    struct itimerspec ts = {{0, 0}, {0, 20000000}}, cur;
    R("  timerfd_settime 20ms", timerfd_settime(fd, 0, &ts, 0));
    R("  read before expiry", read(fd, &n, 8));
    struct pollfd pf = {fd, POLLIN, 0};
    R("  poll", poll(&pf, 1, 3000));
    errno = 0;
    long r = read(fd, &n, 8);
    printf("  read: %ld %s\n", r, r == 8 && n >= 1 ? "expired" : ename(errno));
    R("  timerfd_gettime", timerfd_gettime(fd, &cur));
    printf("  disarmed %d\n", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);
    R("  read with a short buffer", read(fd, &n, 4));
    close(fd);

    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec per = {{0, 10000000}, {0, 10000000}};
    timerfd_settime(fd, 0, &per, 0);
    msleep(100);
    r = read(fd, &n, 8);
    printf("  periodic 10ms, read after 100ms: %ld, expirations >= 5 %d\n", r, n >= 5);
    r = read(fd, &n, 8);
    printf("  blocking read: %ld, expirations >= 1 %d\n", r, n >= 1);
    close(fd);
    R("  timerfd_create bad clock", timerfd_create(77, 0));
    R("  timerfd_create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1234));
}

static void show_ssi(const char *label, int fd)
{
    struct signalfd_siginfo si;
    memset(&si, 0, sizeof si);
    errno = 0;
    long r = read(fd, &si, sizeof si);
    if (r < 0) {
        printf("%s: -%s\n", label, ename(errno));
        return;
    }
    printf("%s: %ld bytes, ssi_signo %u ssi_code %d pid==getpid %d uid==getuid %d ssi_int %d\n",
           label, r, si.ssi_signo, si.ssi_code, si.ssi_pid == (uint32_t)getpid(),
           si.ssi_uid == getuid(), si.ssi_int);
}

static void test_signalfd(void)
{
    printf("signalfd:\n");
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, 0);
    int fd = signalfd(-1, &s, SFD_NONBLOCK);
    printf("  signalfd: %s\n", fd >= 0 ? "ok" : ename(errno));
    show_ssi("  read with nothing pending", fd);
    raise(SIGUSR1);
    struct pollfd pf = {fd, POLLIN, 0};
    R("  poll", poll(&pf, 1, 1000));
    show_ssi("  after raise", fd);
    kill(getpid(), SIGUSR1);
    show_ssi("  after kill", fd);
    union sigval v = {.sival_int = 31337};
    sigqueue(getpid(), SIGRTMIN, v);
    sigqueue(getpid(), SIGRTMIN, v);
    show_ssi("  after sigqueue RTMIN", fd);
    show_ssi("  the second", fd);
    show_ssi("  then", fd);
    sigset_t p;
    raise(SIGUSR1);
    sigpending(&p);
    printf("  pending before the read: %s\n", setstr(&p));
    char small[8];
    R("  read with a short buffer", read(fd, small, sizeof small));
    show_ssi("  read", fd);
    sigpending(&p);
    printf("  pending after the read: %s\n", setstr(&p));

    /* Updating the mask of an existing signalfd. */
    sigaddset(&s, SIGUSR2);
    mask1(SIG_BLOCK, SIGUSR2);
    R("  signalfd update", signalfd(fd, &s, 0) == fd ? 0 : -1);
    raise(SIGUSR2);
    show_ssi("  after raise USR2", fd);
    close(fd);

    /* A blocking signalfd read, woken by another process's kill. */
    fd = signalfd(-1, &s, 0);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        msleep(100);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    show_ssi("  blocking read, kill from a child", fd);
    printf("  child: %s\n", reap(c));
    close(fd);
    R("  signalfd bad fd", signalfd(0, &s, 0));
    R("  signalfd bad flags", signalfd(-1, &s, 0x1234));
    sigprocmask(SIG_UNBLOCK, &s, 0);
}

int main(void)
{
    unbuffered();
    test_alarm();
    test_itimer();
    test_posix_timer();
    test_timerfd();
    test_signalfd();
    printf("blocked at the end: %s\n", blocked());
    return 0;
}
