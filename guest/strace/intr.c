/* Calls a signal interrupts: strace shows the kernel's restart codes as
 * `= ? ERESTARTSYS (To be restarted if SA_RESTART is set)` (not a value
 * the call returns), then the signal and the handler's sigreturn with
 * EINTR. A 50 ms one-shot timer interrupts a read on an empty pipe, a
 * pause, and a nanosleep under SA_RESTART. Compared with native
 * `strace -f` by emu/tests/strace.rs. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Static, not on the stack: their addresses are the same natively and
 * under emu. */
static int p[2];
static char b[4];
static struct sigaction sa;
static struct itimerval it = {{0, 0}, {0, 50000}};
static struct timespec past = {1, 0}, s = {0, 100000000};

static void on(int sig)
{
    (void)sig;
}

int main(void)
{
    syscall(SYS_pipe, p);
    sa.sa_handler = on;
    sigaction(SIGALRM, &sa, 0);
    syscall(SYS_setitimer, ITIMER_REAL, &it, NULL);
    syscall(SYS_read, p[0], b, 1);
    syscall(SYS_setitimer, ITIMER_REAL, &it, NULL);
    syscall(SYS_pause);
    /* An absolute time already past: no sleep. */
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    syscall(SYS_setitimer, ITIMER_REAL, &it, NULL);
    syscall(SYS_nanosleep, &s, NULL);
    return 0;
}
