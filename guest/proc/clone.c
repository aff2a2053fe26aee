/* clone and clone3 directly: copy_process's flag checks, clone3's struct
 * checks, the tid pointers (PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID)
 * for processes and threads, CLONE_SETTLS, CLONE_VFORK, exit signals and
 * CLONE_PIDFD. */
#include "common.h"
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <asm/ldt.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct clone_args_ {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        set_tid, set_tid_size, cgroup;
};

static long clone3_(struct clone_args_ *a, size_t size)
{
    return syscall(435, a, size);
}

static void rawclone(const char *label, unsigned long flags)
{
    errno = 0;
    long r = syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    if (r > 0) {
        int st;
        waitpid(r, &st, __WALL);
        printf("%s: created (%s)\n", label, wstr(st));
    } else
        printf("%s: -%s\n", label, ename(errno));
}

static volatile pid_t ptid, ctid;
static char stack[65536] __attribute__((aligned(16)));
static int thread_fn(void *arg)
{
    (void)arg;
    /* CLONE_SETTLS installed GDT entry 13 (selector 0x6b): read through it
     * with fs, which glibc leaves alone on i386. */
    int v = -1;
    __asm__ volatile("movw $0x6b, %%ax\n\tmovw %%ax, %%fs\n\tmovl %%fs:0, %0"
                     : "=r"(v) : : "eax");
    printf("thread: tid == ptid %d, TLS word %d\n", (pid_t)syscall(SYS_gettid) == ptid, v);
    syscall(SYS_exit, 0);
    return 0;
}

static int tls_block[4] = {77, 0, 0, 0};

static int vfork_child(void *arg)
{
    /* The parent is suspended until this exits. */
    usleep(50000);
    *(volatile int *)arg = 1;
    _exit(5);
}

int main(void)
{
    unbuffered();
    rawclone("THREAD without SIGHAND", CLONE_THREAD | CLONE_VM);
    rawclone("SIGHAND without VM", CLONE_SIGHAND);
    rawclone("NEWNS with FS", CLONE_NEWNS | CLONE_FS);
    rawclone("exit signal 65", 65);
    rawclone("exit signal 0", 0);
    rawclone("DETACHED is ignored", 0x400000 | SIGCHLD);

    struct clone_args_ a;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    char big[5000];
    memset(big, 0, sizeof big);
    R("clone3 size 63", clone3_(&a, 63));
    R("clone3 size 4097", clone3_((struct clone_args_ *)big, 4097));
    memcpy(big, &a, sizeof a);
    big[100] = 1;
    R("clone3 nonzero tail", clone3_((struct clone_args_ *)big, 128));
    a.stack = (uintptr_t)stack;
    R("clone3 stack without size", clone3_(&a, sizeof a));
    a.stack = 0;
    a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    R("clone3 THREAD with exit signal", clone3_(&a, sizeof a));
    a.flags = 0;
    a.exit_signal = 200;
    R("clone3 exit signal 200", clone3_(&a, sizeof a));
    a.exit_signal = SIGCHLD;
    a.flags = 1ULL << 40;
    R("clone3 unknown flag", clone3_(&a, sizeof a));
    a.flags = CLONE_PIDFD;
    int pidfd = -1;
    a.pidfd = (uintptr_t)&pidfd;
    long c = clone3_(&a, sizeof a);
    if (c == 0)
        _exit(31);
    printf("clone3 fork with pidfd: %s, pidfd %s\n", c > 0 ? "ok" : ename(errno),
           pidfd >= 0 ? "valid" : "none");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    R("waitid P_PIDFD", waitid(P_PIDFD, pidfd, &si, WEXITED));
    printf("  status %d pid ok %d\n", si.si_status, si.si_pid == c);
    close(pidfd);
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    c = clone3_(&a, 64);
    if (c == 0)
        _exit(32);
    int st;
    waitpid(c, &st, 0);
    printf("clone3 fork, VER0 size: %s\n", wstr(st));

    /* The tid pointers across a fork. */
    pid_t pvar = 0, cvar = 0;
    c = syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, 0, &pvar, 0,
                &cvar);
    if (c == 0) {
        printf("child: its parent_tid copy %d, child_tid is its pid %d\n", pvar,
               cvar == getpid());
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("parent: parent_tid is the child %d, child_tid untouched %d\n", pvar == c, cvar);

    /* A thread made by hand: PARENT_SETTID, CHILD_CLEARTID, SETTLS. */
    struct user_desc ud = {
        .entry_number = -1,
        .base_addr = (uintptr_t)tls_block,
        .limit = 0xfffff,
        .seg_32bit = 1,
        .limit_in_pages = 1,
        .useable = 1,
    };
    R("SETTLS with entry -1 (not allowed)",
      clone(thread_fn, stack + sizeof stack,
            CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS, 0,
            0, &ud, 0));
    /* glibc's own TLS entry is 12; use 13. */
    ud.entry_number = 13;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    ctid = 1;
    long t = clone(thread_fn, stack + sizeof stack, flags, 0, &ptid, &ud, &ctid);
    (void)t;
    while (ctid != 0)
        syscall(SYS_futex, &ctid, FUTEX_WAIT, ctid, 0, 0, 0);
    printf("thread gone: ctid cleared\n");

    /* CLONE_VFORK with CLONE_VM and a stack (posix_spawn's way). */
    static char vstack[65536] __attribute__((aligned(16)));
    volatile int flag = 0;
    c = clone(vfork_child, vstack + sizeof vstack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&flag);
    printf("vfork clone returned after the child: %d\n", c > 0);
    waitpid(c, &st, 0);
    printf("vfork clone child: %s\n", wstr(st));
    return 0;
}
