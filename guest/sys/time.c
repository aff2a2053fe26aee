/* Time syscalls, legacy and time64: only deterministic facts are printed
 * (resolutions, errno, consistency between clocks and struct layouts). */
#include "common.h"
#include <time.h>

struct ts32 { int sec, nsec; };
struct ts64 { long long sec, nsec; };
struct tv32 { int sec, usec; };

int main(void)
{
    unbuffered();
    struct ts32 a;
    struct ts64 b;
    for (int c = 0; c <= 11; c++) {
        int r = syscall(SYS_clock_getres, c, &a);
        long long r64 = syscall(SYS_clock_getres_time64, c, &b);
        printf("clock %d: getres %d %d.%09d | time64 %lld %lld.%09lld\n", c, r == 0 ? 0 : -errno, a.sec, a.nsec, r64, b.sec, b.nsec);
    }
    R("clock_getres bad", syscall(SYS_clock_getres, 99, &a));
    R("clock_getres null", syscall(SYS_clock_getres, 0, 0));
    R("clock_getres efault", syscall(SYS_clock_getres, 0, 0x10));
    R("clock_gettime efault", syscall(SYS_clock_gettime, 0, 0x10));
    R("clock_gettime64 efault", syscall(SYS_clock_gettime64, 0, 0x10));
    R("clock_gettime bad", syscall(SYS_clock_gettime, 99, &a));
    R("clock_gettime pid cpu clock", syscall(SYS_clock_gettime, -6, &a));
    R("clock_gettime fd clock bad fd", syscall(SYS_clock_gettime, (~99 << 3) | 3, &a));
    /* Legacy and time64 agree. */
    struct ts32 r1;
    struct ts64 r2;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &r1);
    syscall(SYS_clock_gettime64, CLOCK_REALTIME, &r2);
    printf("realtime agree: %d\n", r2.sec - r1.sec <= 1 && r2.sec >= r1.sec && r2.nsec < 1000000000);
    int t = syscall(SYS_time, 0);
    int t2;
    syscall(SYS_time, &t2);
    struct tv32 tv;
    syscall(SYS_gettimeofday, &tv, 0);
    printf("time agrees: %d %d %d\n", t2 - t <= 1, tv.sec - t <= 1, tv.usec < 1000000);
    R("time efault", syscall(SYS_time, 0x10));
    R("gettimeofday null", syscall(SYS_gettimeofday, 0, 0));
    R("gettimeofday efault", syscall(SYS_gettimeofday, 0x10, 0));
    int tz[2] = {7, 7};
    R("gettimeofday tz", syscall(SYS_gettimeofday, 0, tz));
    printf("  tz %d %d\n", tz[0], tz[1]);
    R("settimeofday null", syscall(SYS_settimeofday, 0, 0));
    struct tv32 bad = {0, 1000001};
    R("settimeofday bad usec", syscall(SYS_settimeofday, &bad, 0));
    R("settimeofday efault", syscall(SYS_settimeofday, 0x10, 0));
    struct ts32 m1, m2;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &m1);
    R("nanosleep 1ms", syscall(SYS_nanosleep, &(struct ts32){0, 1000000}, 0));
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &m2);
    long long d = (m2.sec - m1.sec) * 1000000000LL + (m2.nsec - m1.nsec);
    printf("slept >= 1ms: %d\n", d >= 1000000);
    R("nanosleep nsec 1e9", syscall(SYS_nanosleep, &(struct ts32){0, 1000000000}, 0));
    R("nanosleep negative", syscall(SYS_nanosleep, &(struct ts32){-1, 0}, 0));
    R("nanosleep efault", syscall(SYS_nanosleep, 0x10, 0));
    R("clock_nanosleep thread cpu", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &(struct ts32){0, 1}, 0));
    R("clock_nanosleep bad clock", syscall(SYS_clock_nanosleep, 99, 0, &(struct ts32){0, 1}, 0));
    R("clock_nanosleep abs past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct ts32){1, 0}, 0));
    R("clock_nanosleep64 0", syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &(struct ts64){0, 0}, 0));
    /* The high half of a 64-bit tv_nsec is padding for a 32-bit task. */
    R("clock_nanosleep64 nsec padding", syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &(struct ts64){0, 0x500000000LL}, 0));
    R("clock_nanosleep64 nsec too big", syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &(struct ts64){0, 0xffffffffLL}, 0));
    R("clock_settime bad", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &(struct ts32){1, 0}));
    R("clock_settime64 efault", syscall(SYS_clock_settime64, CLOCK_REALTIME, 0x10));
    int tms[4];
    long ticks = syscall(SYS_times, tms);
    printf("times: ticks!=0 %d utime>=0 %d cutime %d\n", ticks != 0, tms[0] >= 0, tms[2]);
    R("times efault", syscall(SYS_times, 0x10));
    R("times null", syscall(SYS_times, 0) != 0);
    int ru[18];
    R("getrusage self", syscall(SYS_getrusage, 0, ru));
    printf("  maxrss>0 %d\n", ru[4] > 0);
    R("getrusage children", syscall(SYS_getrusage, -1, ru));
    R("getrusage thread", syscall(SYS_getrusage, 1, ru));
    R("getrusage bad", syscall(SYS_getrusage, 5, ru));
    R("getrusage efault", syscall(SYS_getrusage, 0, 0x10));
    int tx[32] = {0};
    R("adjtimex read", syscall(SYS_adjtimex, tx) >= 0);
    printf("  tick %d\n", tx[11]);
    R("adjtimex efault", syscall(SYS_adjtimex, 0x10));
    long long tx64[26] = {0};
    R("clock_adjtime64 read", syscall(SYS_clock_adjtime64, CLOCK_REALTIME, tx64) >= 0);
    printf("  tick %lld\n", tx64[11]);
    R("clock_adjtime bad clock", syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, tx));
    return 0;
}
