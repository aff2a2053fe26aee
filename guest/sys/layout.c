/* The address-space layout around the program (issue 12 items 8 and 9),
 * compared line by line with native runs by emu/tests/syscalls_mm.rs:
 *   layout maps     an anonymous mmap's address and /proc/self/maps (run
 *                   under several `ulimit -s` values and `setarch -L`)
 *   layout stack    recursion with 1 MiB frames until the stack cannot
 *                   grow (SIGSEGV, caught on an alternate stack): how many
 *                   frames fit, and the [stack] line at the deepest point
 *   layout vvar     read each page of [vvar], [vvar_vclock] and [vdso]:
 *                   the pages the kernel does not populate raise SIGBUS
 *   layout vdso-mremap  move [vdso] with mremap (partial moves fail), then
 *                   make a sysenter syscall through __kernel_vsyscall at
 *                   its new place and return from a signal handler through
 *                   the vDSO's sigreturn (no SA_RESTORER)
 *   layout special  [vvar], [vvar_vclock] and [vdso] cannot be split
 *                   (partial munmap, mprotect, mremap: EINVAL) but move whole
 *   layout exec P   execv(P) (an execute-only program, issue 12 item 10)
 */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = s;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(jb, 1);
}

static void catch_faults(void)
{
    static char alt[64 * 1024];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static void stack_line(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char b[512];
    while (f && fgets(b, sizeof b, f))
        if (strstr(b, "[stack]"))
            fputs(b, stdout);
    if (f)
        fclose(f);
}

/* ---- maps ---- */

static int do_maps(void)
{
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap: %p\n", p);
    printf("AT_SYSINFO_EHDR: %#lx\n", getauxval(AT_SYSINFO_EHDR));
    maps();
    return 0;
}

/* ---- stack ---- */

#define FRAME (1 << 20)
static volatile int depth;

__attribute__((noinline)) static void deep(int n)
{
    volatile char buf[FRAME - 256];
    buf[0] = (char)n; /* the lowest byte: the stack grows to here */
    depth = n;
    if (n < 4000)
        deep(n + 1);
    buf[sizeof buf - 1] = 0; /* no tail call */
}

static int do_stack(void)
{
    catch_faults();
    if (!sigsetjmp(jb, 1))
        deep(1);
    printf("frames of 1 MiB: %d (signal %d)\n", depth, got_sig);
    stack_line();
    return 0;
}

/* ---- vvar ---- */

static int do_vvar(void)
{
    catch_faults();
    unsigned long v = getauxval(AT_SYSINFO_EHDR);
    const char *names[] = { "vvar 0", "vvar 1", "vvar 2", "vvar 3", "vclock 0", "vclock 1",
                            "vdso 0", "vdso 1" };
    for (int i = 0; i < 8; i++) {
        volatile unsigned char *p = (unsigned char *)(v - 6 * 4096 + i * 4096);
        got_sig = 0;
        if (!sigsetjmp(jb, 1)) {
            (void)*p;
            printf("%s: readable\n", names[i]);
        } else {
            printf("%s: signal %d code %d at the page: %d\n", names[i], got_sig, got_code,
                   got_addr == (void *)p);
        }
    }
    /* A kernel access to a hole fails with EFAULT; writes are SIGSEGV. */
    int fd[2];
    pipe(fd);
    for (int i = 0; i < 6; i++)
        R("write(pipe, page)", write(fd[1], (char *)(v - 6 * 4096 + i * 4096), 1));
    got_sig = 0;
    if (!sigsetjmp(jb, 1))
        *(volatile char *)(v - 6 * 4096) = 1;
    printf("store to vvar 0: signal %d code %d\n", got_sig, got_code);
    got_sig = 0;
    if (!sigsetjmp(jb, 1))
        *(volatile char *)(v - 5 * 4096) = 1;
    printf("store to vvar 1: signal %d code %d\n", got_sig, got_code);
    return 0;
}

static void v_lines(void);

/* ---- vdso-mremap ---- */

static volatile int handled;

static void on_usr1(int s)
{
    handled = s;
}

/* getpid through __kernel_vsyscall at `entry` (the sysenter path). */
static long vsys_getpid(unsigned long entry)
{
    long r;
    __asm__ volatile("call *%2" : "=a"(r) : "0"(SYS_getpid), "r"(entry) : "memory");
    return r;
}

static int do_vdso_mremap(void)
{
    unsigned long v = getauxval(AT_SYSINFO_EHDR);
    unsigned long entry = getauxval(AT_SYSINFO);
    unsigned long off = entry - v;
    long pid = getpid();
    printf("vsyscall at its place: %d\n", vsys_getpid(entry) == pid);
    /* A part of the vDSO, or a grown one, cannot move. */
    void *to = mmap(NULL, 0x10000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    R("mremap(vdso, 1 page)", syscall(SYS_mremap, v, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
                                      (char *)to + 0x8000));
    R("mremap(vdso, grow)", syscall(SYS_mremap, v, 8192, 12288, MREMAP_MAYMOVE | MREMAP_FIXED,
                                    (char *)to + 0x8000));
    /* The whole vDSO moves: this mremap itself returns through the moved
     * landing pad (glibc makes it through __kernel_vsyscall). */
    unsigned long nv = (unsigned long)to + 0x4000;
    long r = syscall(SYS_mremap, v, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, nv);
    /* glibc keeps its own copy of AT_SYSINFO in the TCB (gs:0x10), which
     * every later libc syscall calls through. */
    if ((unsigned long)r == nv)
        __asm__ volatile("movl %0, %%gs:0x10" : : "r"(nv + off));
    printf("mremap(vdso) moved it: %d\n", (unsigned long)r == nv);
    printf("old place mapped: %d\n", msync((void *)v, 4096, MS_ASYNC) == 0);
    printf("vsyscall at the new place: %d\n", vsys_getpid(nv + off) == pid);
    /* A handler without SA_RESTORER returns through the vDSO's sigreturn,
     * which the kernel finds at the vDSO's new place. */
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        unsigned long mask[2];
    } ksa = { on_usr1, 0, NULL, { 0, 0 } };
    R("rt_sigaction(no restorer)", syscall(SYS_rt_sigaction, SIGUSR1, &ksa, NULL, 8));
    kill(getpid(), SIGUSR1);
    printf("handler ran and returned: %d\n", handled);
    handled = 0;
    struct {
        void (*handler)(int);
        unsigned long mask;
        unsigned long flags;
        void (*restorer)(void);
    } osa = { on_usr1, 0, 0, NULL };
    handled = 0;
    R("sigaction(old, no restorer)", syscall(SYS_sigaction, SIGUSR2, &osa, NULL));
    kill(getpid(), SIGUSR2);
    printf("old-style handler ran and returned: %d\n", handled);
    v_lines();
    return 0;
}

/* ---- special ---- */

static void v_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char b[512];
    while (f && fgets(b, sizeof b, f))
        if (strstr(b, "[v"))
            fputs(b, stdout);
    if (f)
        fclose(f);
}

static int do_special(void)
{
    unsigned long v = getauxval(AT_SYSINFO_EHDR);
    char *to = mmap(NULL, 0x10000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fixed = MREMAP_MAYMOVE | MREMAP_FIXED;
    R("munmap(vdso page 1)", munmap((void *)(v + 4096), 4096));
    R("mprotect(vdso page 0)", mprotect((void *)v, 4096, PROT_READ));
    R("mprotect(vvar page 0)", mprotect((void *)(v - 0x6000), 4096, PROT_READ));
    R("mremap(vvar page 0)", syscall(SYS_mremap, v - 0x6000, 4096, 4096, fixed, to + 0x8000));
    R("mremap(vvar, shrink)", syscall(SYS_mremap, v - 0x6000, 0x4000, 0x2000, 0, 0));
    R("mremap(vvar, grow)", syscall(SYS_mremap, v - 0x6000, 0x4000, 0x5000, fixed, to + 0x8000));
    R("mremap(vvar) - to", syscall(SYS_mremap, v - 0x6000, 0x4000, 0x4000, fixed, to + 0x8000) -
                               (long)to);
    R("mremap(vvar_vclock) - to", syscall(SYS_mremap, v - 0x2000, 0x2000, 0x2000, fixed,
                                          to + 0x1000) - (long)to);
    v_lines();
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "maps";
    if (!strcmp(m, "maps"))
        return do_maps();
    if (!strcmp(m, "stack"))
        return do_stack();
    if (!strcmp(m, "vvar"))
        return do_vvar();
    if (!strcmp(m, "vdso-mremap"))
        return do_vdso_mremap();
    if (!strcmp(m, "special"))
        return do_special();
    if (!strcmp(m, "exec") && argc > 2) {
        char *av[] = { argv[2], NULL };
        execv(argv[2], av);
        printf("execv: -%s\n", ename(errno));
        return 1;
    }
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
}
