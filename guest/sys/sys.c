/* Identity and system information: the stable parts of uname, rlimits,
 * personality, prctl, ids, scheduling and sysinfo. */
#include "common.h"
#include <sched.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

int main(void)
{
    unbuffered();
    R("personality query", syscall(SYS_personality, 0xffffffff));
    struct utsname u;
    R("uname", syscall(SYS_uname, &u));
    printf("  %s %s\n", u.sysname, u.machine);
    R("uname efault", syscall(SYS_uname, 0x10));
    char old[5 * 65];
    R("olduname", syscall(SYS_olduname, old));
    printf("  %s %s\n", old, old + 4 * 65);
    char oold[5 * 9];
    R("oldolduname", syscall(SYS_oldolduname, oold));
    printf("  %s %.8s %s len=%zu\n", oold, oold + 2 * 9, oold + 4 * 9, strlen(oold + 2 * 9));
    R("personality(PER_LINUX)", syscall(SYS_personality, 0));
    syscall(SYS_uname, &u);
    printf("  machine under PER_LINUX: %s\n", u.machine);
    R("personality query", syscall(SYS_personality, 0xffffffff));
    R("personality(PER_LINUX32)", syscall(SYS_personality, 8));
    syscall(SYS_uname, &u);
    printf("  machine: %s\n", u.machine);

    unsigned int rl[2];
    for (int r = 0; r <= 16; r++) {
        rl[0] = rl[1] = 0xdead;
        R("getrlimit", syscall(SYS_getrlimit, r, rl));
        if (r == 3 || r == 2 || r == 9 || r == 16)
            printf("  %d: %#x %#x\n", r, rl[0], rl[1]);
        R("ugetrlimit", syscall(SYS_ugetrlimit, r, rl));
        if (r == 3 || r == 2 || r == 9 || r == 16)
            printf("  %d: %#x %#x\n", r, rl[0], rl[1]);
    }
    unsigned long long rl64[2];
    R("prlimit64 stack", syscall(SYS_prlimit64, 0, 3, 0, rl64));
    printf("  %#llx %#llx\n", rl64[0], rl64[1]);
    rl[0] = 0x100000;
    rl[1] = 0xffffffff;
    R("setrlimit stack", syscall(SYS_setrlimit, 3, rl));
    R("prlimit64 stack", syscall(SYS_prlimit64, 0, 3, 0, rl64));
    printf("  %#llx %#llx\n", rl64[0], rl64[1]);
    rl[0] = 0x200000;
    rl[1] = 0x100000;
    R("setrlimit cur>max", syscall(SYS_setrlimit, 3, rl));
    R("setrlimit resource 16", syscall(SYS_setrlimit, 16, rl));
    R("ugetrlimit efault", syscall(SYS_ugetrlimit, 3, 0x10));
    R("setrlimit efault", syscall(SYS_setrlimit, 3, 0x10));
    unsigned long long nl[2] = {0x300000, 0x400000}, ol[2];
    R("prlimit64 set+get", syscall(SYS_prlimit64, 0, 3, nl, ol));
    printf("  old %#llx %#llx\n", ol[0], ol[1]);
    R("prlimit64 get", syscall(SYS_prlimit64, getpid(), 3, 0, ol));
    printf("  %#llx %#llx\n", ol[0], ol[1]);
    nl[1] = 0x500000;
    R("prlimit64 raise max", syscall(SYS_prlimit64, 0, 3, nl, 0));
    nl[0] = 7;
    nl[1] = 7;
    R("prlimit64 nofile", syscall(SYS_prlimit64, 0, 7, nl, 0));
    R("open with 7 fds", syscall(SYS_open, "/dev/null", 0) >= 0);
    R("open beyond", syscall(SYS_open, "/dev/null", 0));
    R("open beyond", syscall(SYS_open, "/dev/null", 0));
    R("open beyond", syscall(SYS_open, "/dev/null", 0));
    R("open beyond", syscall(SYS_open, "/dev/null", 0));

    R("sysinfo efault", syscall(SYS_sysinfo, 0x10));
    unsigned int si[16];
    R("sysinfo", syscall(SYS_sysinfo, si));
    printf("  mem_unit %u totalram>0 %d procs>0 %d\n", si[13], si[4] > 0, (si[10] & 0xffff) > 0);

    char rnd[16];
    R("getrandom bad flags", syscall(SYS_getrandom, rnd, 4, 8));
    R("getrandom", syscall(SYS_getrandom, rnd, 4, 1));
    R("getrandom insecure|random", syscall(SYS_getrandom, rnd, 4, 6));
    R("getrandom efault", syscall(SYS_getrandom, 0x10, 4, 0));
    R("getrandom 0", syscall(SYS_getrandom, 0x10, 0, 0));

    char nm[17] = {0};
    R("PR_GET_NAME", syscall(SYS_prctl, PR_GET_NAME, nm));
    printf("  %s\n", nm);
    R("PR_SET_NAME", syscall(SYS_prctl, PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz"));
    syscall(SYS_prctl, PR_GET_NAME, nm);
    printf("  %s\n", nm);
    R("PR_GET_DUMPABLE", syscall(SYS_prctl, PR_GET_DUMPABLE));
    R("PR_SET_PDEATHSIG", syscall(SYS_prctl, PR_SET_PDEATHSIG, 9));
    int pd = 0;
    R("PR_GET_PDEATHSIG", syscall(SYS_prctl, PR_GET_PDEATHSIG, &pd));
    printf("  %d\n", pd);
    R("PR_SET_PDEATHSIG bad", syscall(SYS_prctl, PR_SET_PDEATHSIG, 99));
    R("prctl unknown", syscall(SYS_prctl, 9999));
    R("PR_GET_NO_NEW_PRIVS", syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    R("PR_GET_TIMERSLACK", syscall(SYS_prctl, PR_GET_TIMERSLACK));
    R("set_tid_address", syscall(SYS_set_tid_address, 0x1234) == syscall(SYS_gettid));
    R("PR_GET_TID_ADDRESS", syscall(SYS_prctl, PR_GET_TID_ADDRESS, rl64));
    printf("  %#llx\n", rl64[0]);
    R("set_robust_list bad len", syscall(SYS_set_robust_list, 0x1000, 24));
    R("set_robust_list", syscall(SYS_set_robust_list, 0x2000, 12));
    unsigned int h[2];
    R("get_robust_list", syscall(SYS_get_robust_list, 0, h, h + 1));
    printf("  %#x %u\n", h[0], h[1]);
    R("get_robust_list efault", syscall(SYS_get_robust_list, 0, 0x10, h + 1));

    R("gettid == getpid", syscall(SYS_gettid) == syscall(SYS_getpid));
    R("getppid == getppid()", syscall(SYS_getppid) == getppid());
    R("getpgrp", syscall(SYS_getpgrp) == getpgrp());
    R("getsid(0) > 0", syscall(SYS_getsid, 0) > 0);
    R("getsid(bad)", syscall(SYS_getsid, 0x7fffffff));
    R("getuid", syscall(SYS_getuid));
    R("getuid32", syscall(SYS_getuid32));
    R("geteuid", syscall(SYS_geteuid));
    R("getgid32", syscall(SYS_getgid32));
    unsigned int res[3];
    R("getresuid32", syscall(SYS_getresuid32, res, res + 1, res + 2));
    printf("  %u %u %u\n", res[0], res[1], res[2]);
    unsigned short res16[3];
    R("getresgid", syscall(SYS_getresgid, res16, res16 + 1, res16 + 2));
    printf("  %u %u %u\n", res16[0], res16[1], res16[2]);
    R("getresuid efault", syscall(SYS_getresuid32, 0x10, res + 1, res + 2));
    R("getgroups32 0", syscall(SYS_getgroups32, 0, 0));
    R("getgroups32 -1", syscall(SYS_getgroups32, -1, 0));
    unsigned short g16[4];
    R("getgroups", syscall(SYS_getgroups, 4, g16));
    R("setgroups too many", syscall(SYS_setgroups32, 70000, 0));
    R("setuid(getuid())", syscall(SYS_setuid32, getuid()));
    R("setresuid(-1,-1,-1)", syscall(SYS_setresuid32, -1, -1, -1));
    R("setfsuid query", syscall(SYS_setfsuid32, -1));

    R("getpriority", syscall(SYS_getpriority, 0, 0));
    R("getpriority bad which", syscall(SYS_getpriority, 5, 0));
    R("nice(1)", syscall(SYS_nice, 1));
    R("getpriority", syscall(SYS_getpriority, 0, 0));
    R("setpriority 5", syscall(SYS_setpriority, 0, 0, 5));
    R("getpriority", syscall(SYS_getpriority, 0, 0));
    unsigned int mask[64];
    R("getaffinity 4", syscall(SYS_sched_getaffinity, 0, 4, mask));
    R("getaffinity 2", syscall(SYS_sched_getaffinity, 0, 2, mask));
    R("getaffinity 6", syscall(SYS_sched_getaffinity, 0, 6, mask));
    R("getaffinity 12", syscall(SYS_sched_getaffinity, 0, 12, mask));
    R("getaffinity 256", syscall(SYS_sched_getaffinity, 0, 256, mask));
    R("getaffinity efault", syscall(SYS_sched_getaffinity, 0, 8, 0x10));
    R("setaffinity", syscall(SYS_sched_setaffinity, 0, 4, mask));
    R("getscheduler", syscall(SYS_sched_getscheduler, 0));
    R("getscheduler bad pid", syscall(SYS_sched_getscheduler, -1));
    R("getparam", syscall(SYS_sched_getparam, 0, mask));
    printf("  %u\n", mask[0]);
    R("getparam null", syscall(SYS_sched_getparam, 0, 0));
    R("priority max FIFO", syscall(SYS_sched_get_priority_max, 1));
    R("priority min FIFO", syscall(SYS_sched_get_priority_min, 1));
    R("priority max bad", syscall(SYS_sched_get_priority_max, 99));
    R("sched_yield", syscall(SYS_sched_yield));
    unsigned int attr[16] = {0};
    R("sched_getattr", syscall(SYS_sched_getattr, 0, attr, sizeof attr, 0));
    printf("  size %u policy %u nice %d\n", attr[0], attr[1], (int)attr[4]);
    R("sched_getattr small", syscall(SYS_sched_getattr, 0, attr, 8, 0));
    R("rr_get_interval", syscall(SYS_sched_rr_get_interval, 0, mask));
    R("rr_get_interval efault", syscall(SYS_sched_rr_get_interval, 0, 0x10));
    unsigned int cpu = 99, node = 99;
    R("getcpu", syscall(SYS_getcpu, &cpu, &node, 0));
    printf("  node %u cpu<64 %d\n", node, cpu < 64);
    R("ioprio_get", syscall(SYS_ioprio_get, 1, 0));
    return 0;
}
