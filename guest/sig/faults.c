/* Faults delivered as signals to an SA_SIGINFO handler: SIGSEGV (read-only,
 * unmapped, PROT_NONE, NULL, non-executable, #GP from hlt and int $0x81,
 * into, bound), SIGFPE (div, idiv), SIGILL (ud2, lock on a register),
 * SIGTRAP (int3, int $3, single-stepping with TF), SIGBUS (past the end
 * of a mapped file). The handler prints si_signo, si_code, si_addr, the
 * trap number, error code, cr2, eip and the resume flag (set in the
 * saved flags of a fault, not of a trap), each relative to the faulting
 * instruction or the data page it touched, then skips the instruction by
 * moving eip, fixes the page and retries, or siglongjmps out. Also a
 * stack overflow handled on a sigaltstack, and faults that kill: blocked,
 * ignored, in the handler, without a handler. */
#include "common.h"
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>

/* The instruction under test is between the labels NAME_s and NAME_e. */
#define SYM(n) extern char n##_s[], n##_e[]
#define INSN(n, code, ...) __asm__ volatile(".globl " #n "_s, " #n "_e\n" #n "_s:\n\t" code "\n" #n "_e:\n" __VA_ARGS__)

enum mode { SKIP, STAY, FIX, JUMP, STEP };
static char *f_start, *f_end, *f_base;
static enum mode f_mode;
static unsigned long last_pf; /* cr2 of the last page fault signal */
static volatile int f_count;
static sigjmp_buf jb;
static char *fix_page;
static int steps[64], step_codes[64], step_tf[64];

static const char *rel(unsigned long a)
{
    static char b[6][64];
    static int k;
    char *o = b[k = (k + 1) % 6];
    if (f_start && a >= (unsigned long)f_start && a <= (unsigned long)f_end)
        snprintf(o, 64, "insn+%lu", a - (unsigned long)f_start);
    else if (f_base && a >= (unsigned long)f_base && a < (unsigned long)f_base + 0x10000)
        snprintf(o, 64, "base+%#lx", a - (unsigned long)f_base);
    else if (a == 0)
        return "0";
    else if (a == last_pf)
        return "previous-fault";
    else
        return "other";
    return o;
}

static const char *signame(int s)
{
    switch (s) {
    case SIGSEGV: return "SEGV"; case SIGBUS: return "BUS"; case SIGFPE: return "FPE";
    case SIGILL: return "ILL"; case SIGTRAP: return "TRAP";
    default: return "?";
    }
}

static void handler(int sig, siginfo_t *si, void *v)
{
    ucontext_t *uc = v;
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned long eip = g[REG_EIP], cr2 = uc->uc_mcontext.cr2;
    if (f_mode == STEP) {
        int n = f_count++;
        if (n < 64) {
            steps[n] = (int)(eip - (unsigned long)f_start);
            step_codes[n] = si->si_code * 100 + g[REG_TRAPNO] + (si->si_addr == (void *)eip) * 1000;
            step_tf[n] = !!(g[REG_EFL] & 0x100);
        }
        if (eip == (unsigned long)f_end || n >= 40)
            g[REG_EFL] &= ~0x100;
        return;
    }
    printf("  %s: signo %d code %d addr %s trapno %d err %#x cr2 %s eip %s rf %d\n", signame(sig),
           si->si_signo, si->si_code, rel((unsigned long)si->si_addr), (int)g[REG_TRAPNO],
           (unsigned)g[REG_ERR], rel(cr2), rel(eip), !!(g[REG_EFL] & 0x10000));
    if (g[REG_TRAPNO] == 14)
        last_pf = cr2;
    f_count++;
    switch (f_mode) {
    case SKIP:
        /* (Skip it even when eip is wrong, to go on with the tests.) */
        if (eip != (unsigned long)f_start)
            printf("  eip is not at the instruction\n");
        g[REG_EIP] = (greg_t)f_end;
        break;
    case STAY:
        if (eip != (unsigned long)f_end) {
            printf("  eip is not after the instruction\n");
            g[REG_EIP] = (greg_t)f_end;
        }
        break;
    case FIX:
        if (f_count > 3)
            _exit(2);
        printf("  mprotect: %d\n", mprotect(fix_page, 4096, PROT_READ | PROT_WRITE));
        break;
    case JUMP:
        siglongjmp(jb, 1);
    case STEP:
        break;
    }
}

static void arm(const char *label, char *s, char *e, void *base, enum mode m)
{
    printf("%s:\n", label);
    f_start = s;
    f_end = e;
    f_base = base;
    f_mode = m;
    f_count = 0;
}

static char *page(int prot)
{
    return mmap(0, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

SYM(ro); SYM(ro2); SYM(unm); SYM(pnone); SYM(null); SYM(fix); SYM(div0); SYM(idivo);
SYM(ud2); SYM(lockreg); SYM(int3); SYM(int3l); SYM(into); SYM(bound); SYM(hlt);
SYM(int81); SYM(step); SYM(bus); SYM(cli); SYM(lretd); SYM(ljmpn); SYM(lcallnp);

static void __attribute__((noinline)) memory_faults(void)
{
    char *p = page(PROT_READ);
    arm("write to a read-only page", ro_s, ro_e, p, SKIP);
    INSN(ro, "movl $1, (%0)", : : "r"(p + 8) : "memory");
    printf("  handled %d, page still reads %d\n", f_count, *(volatile int *)(p + 8));

    /* Now that the page is present, the error code has the P bit. */
    arm("write to a read-only page after reading it", ro2_s, ro2_e, p, SKIP);
    INSN(ro2, "movl $1, 16(%0)", : : "r"(p) : "memory");
    printf("  handled %d\n", f_count);

    char *q = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(q + 4096, 4096);
    int v = -1;
    arm("read of an unmapped page", unm_s, unm_e, q, SKIP);
    INSN(unm, "movl (%1), %0", : "+a"(v) : "r"(q + 4096 + 16) : "memory");
    printf("  handled %d, eax kept %d\n", f_count, v);

    char *n = page(PROT_NONE);
    arm("read of a PROT_NONE page", pnone_s, pnone_e, n, SKIP);
    INSN(pnone, "movzbl 5(%1), %0", : "+a"(v) : "r"(n) : "memory");
    printf("  handled %d\n", f_count);

    arm("read of NULL", null_s, null_e, 0, SKIP);
    INSN(null, "movl (%1), %0", : "+a"(v) : "r"(0) : "memory");
    printf("  handled %d\n", f_count);

    fix_page = page(PROT_READ);
    arm("write fixed by mprotect in the handler", fix_s, fix_e, fix_page, FIX);
    INSN(fix, "movl $77, 12(%0)", : : "r"(fix_page) : "memory");
    printf("  handled %d, value %d\n", f_count, *(int *)(fix_page + 12));

    /* A jump into a readable, writable, not executable page. */
    char *d = page(PROT_READ | PROT_WRITE);
    memset(d, 0xc3, 4096); /* ret */
    arm("call into a non-executable page", 0, 0, d, JUMP);
    if (sigsetjmp(jb, 1) == 0) {
        ((void (*)(void))d)();
        printf("  returned from the page\n");
    }
    printf("  handled %d, blocked after siglongjmp(savemask): %s\n", f_count, blocked());

    arm("siglongjmp without restoring the mask", 0, 0, 0, JUMP);
    if (sigsetjmp(jb, 0) == 0)
        *(volatile int *)0 = 1;
    printf("  handled %d, blocked after siglongjmp: %s\n", f_count, blocked());
    mask1(SIG_UNBLOCK, SIGSEGV);

    munmap(p, 4096);
    munmap(q, 4096);
    munmap(n, 4096);
    munmap(fix_page, 4096);
    munmap(d, 4096);
}

static void __attribute__((noinline)) trap_faults(void)
{
    unsigned a = 1, d = 0, c = 0;
    arm("div by zero", div0_s, div0_e, 0, SKIP);
    INSN(div0, "divl %2", : "+a"(a), "+d"(d) : "r"(c));
    printf("  handled %d, eax %u edx %u\n", f_count, a, d);

    int ia = INT32_MIN, id = -1, ic = -1;
    arm("idiv overflow", idivo_s, idivo_e, 0, SKIP);
    INSN(idivo, "idivl %2", : "+a"(ia), "+d"(id) : "r"(ic));
    printf("  handled %d\n", f_count);

    arm("ud2", ud2_s, ud2_e, 0, SKIP);
    INSN(ud2, "ud2");
    printf("  handled %d\n", f_count);

    arm("lock add to a register", lockreg_s, lockreg_e, 0, SKIP);
    INSN(lockreg, ".byte 0xf0, 0x01, 0xc3", : : : "ebx");
    printf("  handled %d\n", f_count);

    arm("int3", int3_s, int3_e, 0, STAY);
    INSN(int3, "int3");
    printf("  handled %d\n", f_count);

    arm("int $3", int3l_s, int3l_e, 0, STAY);
    INSN(int3l, ".byte 0xcd, 0x03");
    printf("  handled %d\n", f_count);

    arm("into with OF set", into_s, into_e, 0, STAY);
    __asm__ volatile("movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\t" : : : "eax", "cc");
    INSN(into, "into");
    printf("  handled %d\n", f_count);

    static int bounds[2] = {10, 20};
    int idx = 30;
    arm("bound out of range", bound_s, bound_e, 0, SKIP);
    INSN(bound, "boundl %0, %1", : : "r"(idx), "m"(bounds));
    printf("  handled %d\n", f_count);

    arm("hlt", hlt_s, hlt_e, 0, SKIP);
    INSN(hlt, "hlt");
    printf("  handled %d\n", f_count);

    arm("cli", cli_s, cli_e, 0, SKIP);
    INSN(cli, "cli");
    printf("  handled %d\n", f_count);

    arm("int $0x81", int81_s, int81_e, 0, SKIP);
    INSN(int81, "int $0x81");
    printf("  handled %d\n", f_count);

    /* Far transfers: #GP(selector), #GP(0), #NP(selector). */
    arm("lret to a data selector", lretd_s, lretd_e, 0, SKIP);
    __asm__ volatile("pushl $0x2b\n\tpushl $lretd_e\n\t"
                     ".globl lretd_s, lretd_e\nlretd_s:\n\tlret\nlretd_e:\n\taddl $8, %%esp" : : : "memory");
    printf("  handled %d\n", f_count);

    arm("ljmp to a null selector", ljmpn_s, ljmpn_e, 0, SKIP);
    INSN(ljmpn, "ljmp $0, $ljmpn_e");
    printf("  handled %d\n", f_count);

    /* LDT entry 0: flat 32-bit code, not present. */
    unsigned desc[4] = {0, 0, 0xfffff, 0x75};
    printf("modify_ldt: %ld\n", syscall(SYS_modify_ldt, 1, desc, sizeof desc));
    arm("lcall to a not-present code segment", lcallnp_s, lcallnp_e, 0, SKIP);
    INSN(lcallnp, "lcall $0x7, $lcallnp_e");
    printf("  handled %d\n", f_count);
}

static void __attribute__((noinline)) single_step(void)
{
    arm("single-stepping", step_s, step_e, 0, STEP);
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n"
                     ".globl step_s, step_e\nstep_s:\n\t"
                     "nop\n\tmovl $1, %%eax\n\taddl $2, %%eax\n\tincl %%eax\n\t"
                     "leal 4(%%eax,%%eax,2), %%eax\n\tnop\n"
                     "step_e:\n\tnop\n"
                     : : : "eax", "cc");
    int n = f_count;
    printf("  traps %d:", n);
    for (int i = 0; i < n && i < 64; i++)
        printf(" insn+%d(code %d trapno %d addr==eip %d tf %d)", steps[i], step_codes[i] % 1000 / 100,
               step_codes[i] % 100, step_codes[i] / 1000, step_tf[i]);
    printf("\n");
    unsigned long fl;
    __asm__ volatile("pushfl\n\tpopl %0" : "=r"(fl));
    printf("  TF after: %lu\n", (fl >> 8) & 1);
}

static void __attribute__((noinline)) bus_fault(void)
{
    int fd = open("one-byte", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "x", 1);
    char *m = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    printf("SIGBUS past the end of a 1-byte file:\n");
    printf("  byte 0 %c, byte 100 %d\n", m[0], m[100]);
    int v = -1;
    arm("  read in the second page", bus_s, bus_e, m, SKIP);
    INSN(bus, "movl (%1), %0", : "+a"(v) : "r"(m + 4096) : "memory");
    printf("  handled %d\n", f_count);
    munmap(m, 8192);
    unlink("one-byte");
}

/* ---- a stack overflow, handled on the alternate stack ---- */

static char *alt;
static volatile int stop;
static char *start_sp;

static int __attribute__((noinline)) recurse(int n)
{
    volatile char buf[512];
    buf[n & 511] = (char)n;
    if (stop)
        return 0;
    return recurse(n + 1) + buf[(n * 7) & 511];
}

static void ovf_handler(int sig, siginfo_t *si, void *v)
{
    (void)v;
    char here;
    stack_t ss;
    sigaltstack(0, &ss);
    printf("  overflow: signo %d code %d, on the alternate stack %d, SS_ONSTACK %d, "
           "fault below the starting sp %d, blocked %s\n",
           sig, si->si_code, &here >= alt && &here < alt + 65536, !!(ss.ss_flags & SS_ONSTACK),
           (char *)si->si_addr < start_sp, blocked());
    siglongjmp(jb, 1);
}

static void stack_overflow(void)
{
    printf("stack overflow on a sigaltstack:\n");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        alt = malloc(65536);
        stack_t ss = {.ss_sp = alt, .ss_size = 65536, .ss_flags = 0}, old;
        R("  sigaltstack", sigaltstack(&ss, &old));
        printf("  old: flags %d (SS_DISABLE %d) size %zu\n", old.ss_flags,
               old.ss_flags == SS_DISABLE, old.ss_size);
        on(SIGSEGV, ovf_handler, 1, SA_ONSTACK, 0);
        char here;
        start_sp = &here;
        for (int round = 0; round < 2; round++) {
            if (sigsetjmp(jb, 1) == 0) {
                recurse(0);
                printf("  recursion returned?\n");
            } else {
                sigaltstack(0, &ss);
                printf("  round %d recovered, SS_ONSTACK now %d, blocked %s\n", round,
                       !!(ss.ss_flags & SS_ONSTACK), blocked());
            }
        }
        /* Without SA_ONSTACK the handler cannot run: the fault kills. */
        on(SIGSEGV, ovf_handler, 1, 0, 0);
        if (sigsetjmp(jb, 1) == 0)
            recurse(0);
        printf("  recovered without SA_ONSTACK?\n");
        _exit(0);
    }
    printf("  child: %s\n", reap(c));

    c = fork();
    if (c == 0) {
        /* Changing the alternate stack while on it fails with EPERM. */
        alt = malloc(65536);
        stack_t ss = {.ss_sp = alt, .ss_size = 65536};
        sigaltstack(&ss, 0);
        stack_t small = {.ss_sp = alt, .ss_size = 100};
        R("  sigaltstack too small", sigaltstack(&small, 0));
        stack_t badf = {.ss_sp = alt, .ss_size = 65536, .ss_flags = 77};
        R("  sigaltstack bad flags", sigaltstack(&badf, 0));
        _exit(0);
    }
    printf("  child: %s\n", reap(c));
}

static void fatal(const char *label, int how)
{
    pid_t c = fork();
    if (c == 0) {
        int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
        for (int i = 0; i < 5; i++)
            signal(sigs[i], SIG_DFL);
        if (how == 1) {
            on(SIGSEGV, handler, 1, 0, 0);
            mask1(SIG_BLOCK, SIGSEGV);
        } else if (how == 2) {
            signal(SIGSEGV, SIG_IGN);
        } else if (how == 3) {
            /* The handler faults again, with SIGSEGV blocked. */
            on(SIGSEGV, (void *)0x10, 0, 0, 0);
        } else if (how == 4) {
            __asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" : : "a"(1), "d"(0) : "ecx");
        } else if (how == 5) {
            __asm__ volatile("ud2");
        } else if (how == 6) {
            __asm__ volatile("int3");
        } else if (how == 7) {
            __asm__ volatile("hlt");
        }
        *(volatile int *)0 = 1;
        _exit(0);
    }
    printf("%s: %s\n", label, reap(c));
}

int main(void)
{
    unbuffered();
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
    for (int i = 0; i < 5; i++)
        on(sigs[i], handler, 1, 0, 0);
    memory_faults();
    trap_faults();
    single_step();
    bus_fault();
    stack_overflow();
    fatal("SIGSEGV while blocked", 1);
    fatal("SIGSEGV while ignored", 2);
    fatal("SIGSEGV in a handler that faults", 3);
    fatal("divide by zero without a handler", 4);
    fatal("ud2 without a handler", 5);
    fatal("int3 without a handler", 6);
    fatal("hlt without a handler", 7);
    printf("blocked at the end: %s\n", blocked());
    return 0;
}
