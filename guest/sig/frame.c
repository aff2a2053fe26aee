/* The signal frames of a deterministic fault: known values in every
 * general register, the flags, two x87 registers, MXCSR and xmm0-1, then
 * ud2. An SA_SIGINFO handler (rt_sigframe_ia32) and a plain one
 * (sigframe_ia32) print every field of the frame: pretcode, the siginfo
 * and ucontext pointers, uc_flags, uc_link, uc_stack, the sigcontext
 * (segment and general registers, trapno, err, eip, flags, the stack
 * pointers, oldmask, cr2), the signal mask words, the retcode bytes, the
 * legacy fsave header of the FPU state and the FXSAVE image after it with
 * its software-reserved bytes. Addresses are printed relative to a stack
 * address or label recorded beforehand. The rt handler then edits the
 * context (ecx, x87 st0 in both the legacy header and the FXSAVE image,
 * MXCSR, xmm0) and the registers after rt_sigreturn show what Linux took.
 *
 * Lines starting with "xsave:" depend on the CPU's XSAVE support (the
 * size and position of the FPU state, uc_flags, the software-reserved
 * bytes): emu's CPU has none, so tests/signals.rs masks them. */
#include "common.h"
#include <setjmp.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <ucontext.h>

uint32_t ref_sp, saved_esp, after_regs[9], after_mxcsr, test_mxcsr = 0x7f80 & ~0x0200,
    default_mxcsr = 0x1f80;
unsigned char xmm_in[32] __attribute__((aligned(16))), after_xmm[32], after_st[20];
extern char fr_fldpi[], fr_ud2[], fr_after[], run_ud2[];

/* Load the state and fault; fr_after is where a handler resumes. */
__asm__(".text\n"
        ".globl run_ud2\n"
        "run_ud2:\n\t"
        "pushal\n\t"
        "movl %esp, saved_esp\n\t"
        "fninit\n\t"
        "fld1\n"
        ".globl fr_fldpi\n"
        "fr_fldpi:\n\t"
        "fldpi\n\t"
        "ldmxcsr test_mxcsr\n\t"
        "movups xmm_in, %xmm0\n\t"
        "movups xmm_in+16, %xmm1\n\t"
        "pushl $0xcd5\n\t" /* OF DF SF ZF AF PF CF */
        "popfl\n\t"
        "movl $0xa1a2a3a4, %eax\n\t"
        "movl $0xb1b2b3b4, %ebx\n\t"
        "movl $0xc1c2c3c4, %ecx\n\t"
        "movl $0xd1d2d3d4, %edx\n\t"
        "movl $0x51525354, %esi\n\t"
        "movl $0xd0d1d2d3, %edi\n\t"
        "leal -64(%esp), %ebp\n\t"
        "movl %esp, ref_sp\n"
        ".globl fr_ud2\n"
        "fr_ud2:\n\t"
        "ud2\n"
        ".globl fr_after\n"
        "fr_after:\n\t"
        "movl %eax, after_regs\n\t"
        "movl %ebx, after_regs+4\n\t"
        "movl %ecx, after_regs+8\n\t"
        "movl %edx, after_regs+12\n\t"
        "movl %esi, after_regs+16\n\t"
        "movl %edi, after_regs+20\n\t"
        "movl %ebp, after_regs+24\n\t"
        "movl %esp, after_regs+28\n\t"
        "pushfl\n\t"
        "popl after_regs+32\n\t"
        "cld\n\t"
        "stmxcsr after_mxcsr\n\t"
        "movups %xmm0, after_xmm\n\t"
        "movups %xmm1, after_xmm+16\n\t"
        "fstpt after_st\n\t"
        "fstpt after_st+10\n\t"
        "ldmxcsr default_mxcsr\n\t"
        "movl saved_esp, %esp\n\t"
        "popal\n\t"
        "ret\n");

static char *alt, *fault_page;
static uintptr_t vdso;
static sigjmp_buf jb;
static int edit; /* the rt handler edits the context */
static int bad_mxcsr;

static long off(uint32_t a, uint32_t base)
{
    return (long)(int32_t)(a - base);
}

static void hex(const char *label, const void *p, int n)
{
    const unsigned char *b = p;
    printf("%s", label);
    for (int i = n - 1; i >= 0; i--)
        printf("%02x", b[i]);
    printf("\n");
}

static const char *where(uint32_t a)
{
    static char b[64];
    if (a == (uint32_t)(uintptr_t)fr_ud2)
        return "ud2";
    if (a == (uint32_t)(uintptr_t)fr_after)
        return "after ud2";
    if (a >= (uint32_t)(uintptr_t)fault_page && a < (uint32_t)(uintptr_t)fault_page + 4096) {
        snprintf(b, sizeof b, "fault page+%#x", a - (uint32_t)(uintptr_t)fault_page);
        return b;
    }
    if (vdso && a >= vdso && a < vdso + 0x4000)
        return "in the vDSO";
    if (a == 0)
        return "0";
    return "other";
}

/* The 22 words of struct sigcontext_32. */
static void dump_sc(const uint32_t *sc)
{
    static const char *names[] = {"GS", "FS", "ES", "DS", "EDI", "ESI", "EBP", "ESP",
                                  "EBX", "EDX", "ECX", "EAX", "TRAPNO", "ERR", "EIP", "CS",
                                  "EFL", "UESP", "SS"};
    for (int i = 0; i < 19; i++) {
        if (i == 6 || i == 7 || i == 17)
            printf("  sc.%s ref_sp%+ld\n", names[i], off(sc[i], ref_sp));
        else if (i == 14)
            printf("  sc.%s %s\n", names[i], where(sc[i]));
        else
            printf("  sc.%s %#x\n", names[i], sc[i]);
    }
    printf("xsave: sc.fpstate sp%+ld\n", off(sc[19], sc[7]));
    printf("  fpstate+112 64-byte aligned %d\n", (sc[19] + 112) % 64 == 0);
    printf("  sc.oldmask %#x\n", sc[20]);
    printf("  sc.cr2 %s\n", where(sc[21]));
}

/* struct _fpstate_32: the legacy header, then the FXSAVE image. */
static void dump_fp(const unsigned char *fp)
{
    const struct _libc_fpstate *l = (const void *)fp;
    printf("  fp.cw %#lx\n", l->cw);
    printf("  fp.sw %#lx\n", l->sw);
    printf("  fp.tag %#lx\n", l->tag);
    printf("  fp.ipoff %s\n", l->ipoff == (uintptr_t)fr_fldpi ? "fldpi" : l->ipoff ? "other" : "0");
    printf("  fp.cssel %#lx\n", l->cssel);
    printf("  fp.dataoff %#lx\n", l->dataoff);
    printf("  fp.datasel %#lx\n", l->datasel);
    for (int i = 0; i < 8; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "  fp.st%d ", i);
        hex(lab, &l->_st[i], 10);
    }
    printf("  fp.status %#x\n", *(const uint16_t *)(fp + 108));
    printf("  fp.magic %#x\n", *(const uint16_t *)(fp + 110));
    const unsigned char *fx = fp + 112;
    printf("  fx.fcw %#x\n", *(const uint16_t *)fx);
    printf("  fx.fsw %#x\n", *(const uint16_t *)(fx + 2));
    printf("  fx.ftw %#x\n", *(const uint8_t *)(fx + 4));
    printf("  fx.mxcsr %#x\n", *(const uint32_t *)(fx + 24));
    int same = 1;
    for (int i = 0; i < 8; i++)
        same &= !memcmp(fx + 32 + 16 * i, &l->_st[i], 10);
    printf("  fx.st0-7 equal the legacy st0-7 %d\n", same);
    hex("  fx.xmm0 ", fx + 160, 16);
    hex("  fx.xmm1 ", fx + 176, 16);
    const uint32_t *sw = (const uint32_t *)(fx + 464);
    printf("  fx.sw_reserved.magic1 %#x\n", sw[0]);
    printf("xsave: fx.sw_reserved.extended_size %u\n", sw[1]);
    printf("xsave: fx.sw_reserved.xfeatures %#llx\n", *(const unsigned long long *)(sw + 2));
    printf("xsave: fx.sw_reserved.xstate_size %u\n", sw[4]);
}

static void rt_handler(int sig, siginfo_t *si, void *ucv)
{
    char *entry = (char *)__builtin_frame_address(0) + 4;
    uint32_t fa = (uint32_t)(uintptr_t)entry;
    const uint32_t *f = (const uint32_t *)entry;
    ucontext_t *uc = ucv;
    printf("rt frame (signal %d):\n", sig);
    printf("  (entry sp + 4) %% 16 %u\n", (fa + 4) % 16);
    printf("  pretcode %s\n", where(f[0]));
    printf("  sig %u\n", f[1]);
    printf("  pinfo frame%+ld, is si %d\n", off(f[2], fa), f[2] == (uint32_t)(uintptr_t)si);
    printf("  puc frame%+ld, is uc %d\n", off(f[3], fa), f[3] == (uint32_t)(uintptr_t)uc);
    printf("  si: signo %d errno %d code %d addr %s\n", si->si_signo, si->si_errno, si->si_code,
           where((uint32_t)(uintptr_t)si->si_addr));
    const uint32_t *uw = (const uint32_t *)uc;
    printf("xsave: uc_flags %#x\n", uw[0]);
    printf("  uc_link %#x\n", uw[1]);
    printf("  uc_stack.ss_sp %s, ss_flags %#x, ss_size %u\n",
           uw[2] == (uint32_t)(uintptr_t)alt ? "alt" : uw[2] ? "other" : "0", uw[3], uw[4]);
    const uint32_t *sc = uw + 5;
    dump_sc(sc);
    printf("  mcontext: gregs[REG_EIP] is sc.EIP %d, fpregs is sc.fpstate %d, cr2 %d\n",
           (uint32_t)uc->uc_mcontext.gregs[REG_EIP] == sc[14],
           (uint32_t)(uintptr_t)uc->uc_mcontext.fpregs == sc[19],
           (uint32_t)uc->uc_mcontext.cr2 == sc[21]);
    printf("  uc_sigmask %#x %#x\n", uw[27], uw[28]);
    hex("  retcode ", entry + 260, 8);
    printf("xsave: frame sp%+ld\n", off(fa, sc[7]));
    printf("  fpstate frame%+ld\n", off(sc[19], fa));
    dump_fp((const unsigned char *)(uintptr_t)sc[19]);
    stack_t ss;
    sigaltstack(0, &ss);
    printf("  in the handler: SS_ONSTACK %d, on alt %d, blocked %s\n", !!(ss.ss_flags & SS_ONSTACK),
           entry >= alt && entry < alt + 65536, blocked());
    if (entry >= alt && entry < alt + 65536)
        printf("xsave: frame alt_top%+ld\n", off(fa, (uint32_t)(uintptr_t)(alt + 65536)));

    /* Resume after the ud2, with edits. */
    uc->uc_mcontext.gregs[REG_EIP] += 2;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    if (edit) {
        uc->uc_mcontext.gregs[REG_ECX] = 0x0c0ffee0;
        /* st0 = 2.0 in the legacy header, 3.0 in the FXSAVE image. */
        static const unsigned char two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0x40};
        static const unsigned char three[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0x40};
        memcpy(fp + 28, two, 10);
        memcpy(fp + 112 + 32, three, 10);
        *(uint32_t *)(fp + 112 + 24) = 0x1f80 | 0x8000; /* FTZ */
        fp[112 + 160] ^= 0xff;
    }
    if (bad_mxcsr)
        *(uint32_t *)(fp + 112 + 24) = 0xffffffff;
}

static void plain_handler(int sig)
{
    char *entry = (char *)__builtin_frame_address(0) + 4;
    uint32_t fa = (uint32_t)(uintptr_t)entry;
    uint32_t *f = (uint32_t *)entry;
    printf("sigframe (signal %d):\n", sig);
    printf("  (entry sp + 4) %% 16 %u\n", (fa + 4) % 16);
    printf("  pretcode %s\n", where(f[0]));
    printf("  sig %u\n", f[1]);
    uint32_t *sc = f + 2;
    dump_sc(sc);
    printf("  extramask %#x\n", *(uint32_t *)(entry + 720));
    hex("  retcode ", entry + 724, 8);
    printf("xsave: frame sp%+ld\n", off(fa, sc[7]));
    printf("  fpstate frame%+ld\n", off(sc[19], fa));
    dump_fp((const unsigned char *)(uintptr_t)sc[19]);
    printf("  in the handler: blocked %s\n", blocked());
    /* The frame is dead to the compiler: write through a volatile. */
    ((volatile uint32_t *)sc)[14] += 2;
}

static void show_after(void)
{
    static const char *names[] = {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eflags"};
    printf("after sigreturn:\n");
    for (int i = 0; i < 9; i++) {
        if (i == 6 || i == 7)
            printf("  %s ref_sp%+ld\n", names[i], off(after_regs[i], ref_sp));
        else
            printf("  %s %#x\n", names[i], after_regs[i]);
    }
    printf("  mxcsr %#x\n", after_mxcsr);
    hex("  xmm0 ", after_xmm, 16);
    hex("  xmm1 ", after_xmm + 16, 16);
    hex("  st0 ", after_st, 10);
    hex("  st1 ", after_st + 10, 10);
    printf("  blocked %s\n", blocked());
}

static void segv(int sig)
{
    (void)sig;
    siglongjmp(jb, 1);
}

int main(void)
{
    unbuffered();
    vdso = getauxval(AT_SYSINFO_EHDR);
    for (int i = 0; i < 32; i++)
        xmm_in[i] = 0x10 + i;
    alt = malloc(65536);
    stack_t ss = {.ss_sp = alt, .ss_size = 65536};
    sigaltstack(&ss, 0);

    /* A page fault first, so the cr2 the frames carry is known. */
    fault_page = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    signal(SIGSEGV, segv);
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)(fault_page + 0x124) = 1;
    signal(SIGSEGV, SIG_DFL);

    /* Blocked while faulting: USR2 and RTMIN+1 (a bit in the high word). */
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &m, 0);
    int samask[] = {SIGHUP, 0};

    on(SIGILL, rt_handler, 1, 0, samask);
    ((void (*)(void))run_ud2)();
    show_after();

    edit = 1;
    on(SIGILL, rt_handler, 1, SA_ONSTACK, samask);
    ((void (*)(void))run_ud2)();
    show_after();
    edit = 0;

    on(SIGILL, plain_handler, 0, 0, samask);
    ((void (*)(void))run_ud2)();
    show_after();

    pid_t c = fork();
    if (c == 0) {
        bad_mxcsr = 1;
        on(SIGILL, rt_handler, 1, 0, 0);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        ((void (*)(void))run_ud2)();
        _exit(0);
    }
    printf("rt_sigreturn with reserved MXCSR bits set: %s\n", reap(c));
    return 0;
}
