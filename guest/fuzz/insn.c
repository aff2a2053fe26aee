/* Random instruction streams: the runner of the fuzz tier's differential
 * part (emu/tests/fuzz.rs runs it natively and under emu and compares).
 *
 * insn FILE: FILE holds records (struct rec): eight register values, eflags,
 * a length and up to 32 bytes of code. For each record a forked child maps
 *   SCRATCH   64 KiB read/write, filled with pointers back into itself,
 *   CODE      one page, read+exec: int3 everywhere but the stream, which
 *             sits at CODE + CODE_OFF (so short jumps land on int3),
 *   ALTSTACK  the signal handler's stack (the stream owns esp),
 * loads the registers (esp into SCRATCH), sets eflags with TF and jumps to
 * the stream, after resetting the x87 (registers zeroed, then fninit), MXCSR
 * and the XMM registers, which a child would otherwise inherit from whatever
 * ran before. The handler of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and
 * SIGPROF records how the child died in RESULT (a shared page) and exits:
 *   S  a signal: number, si_code, si_addr, eip relative to the stream start;
 *   B  the single-step budget ran out (BUDGET single-step traps, counted by
 *      the same handler, which returns on each of them);
 *   T  the fallback timer fired: TIMER_MS of CPU time (ITIMER_PROF, not wall
 *      time, so a loaded machine does not fire it early), after the stream
 *      cleared TF and ran on.
 * The handler uses no TLS and makes its one system call with int $0x80, so
 * a stream that loaded gs or fs cannot disturb it. The parent prints one line
 * per record: INDEX KIND SIG CODE ADDR EIP (hex), and for a child that died
 * without a record K<signal> or X<exit status>, or H when it had to be killed
 * after WATCHDOG seconds (a hang).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "runner.h"

#define SCRATCH 0x10000000u
#define SCRATCH_SIZE 0x10000u
#define CODE 0x20000000u
#define CODE_OFF 0x800u
#define ALTSTACK 0x30000000u
#define ALTSTACK_SIZE 0x10000u
#define RESULT 0x40000000u
#define BUDGET 2000
#define TIMER_MS 1000
#define WATCHDOG 20
#define MAGIC 0x5eed1e55u

#ifndef TRAP_TRACE
#define TRAP_TRACE 2
#endif

struct rec {
    uint32_t regs[8]; /* eax ecx edx ebx esp ebp esi edi */
    uint32_t eflags;
    uint32_t len;
    uint8_t bytes[32];
};

struct result {
    uint32_t magic, kind, sig, code, addr, eip, steps;
};

#define R ((volatile struct result *)RESULT)

/* Read by fuzz_enter with absolute addressing. */
uint32_t fuzz_regs[9];
uint32_t fuzz_entry = CODE + CODE_OFF;
uint32_t fuzz_mxcsr = 0x1f80;
static uint32_t steps;

/* Load every register, eflags (with TF) last, and jump to the stream: the
 * first single-step trap comes at its first instruction. */
__asm__(".text\n"
        ".globl fuzz_enter\n"
        "fuzz_enter:\n"
        /* The same x87, MMX and SSE state natively and under emu. */
        "fninit\n"
        "fldz\nfldz\nfldz\nfldz\nfldz\nfldz\nfldz\nfldz\n"
        "fninit\n"
        "ldmxcsr fuzz_mxcsr\n"
        "pxor %xmm0, %xmm0\n"
        "pxor %xmm1, %xmm1\n"
        "pxor %xmm2, %xmm2\n"
        "pxor %xmm3, %xmm3\n"
        "pxor %xmm4, %xmm4\n"
        "pxor %xmm5, %xmm5\n"
        "pxor %xmm6, %xmm6\n"
        "pxor %xmm7, %xmm7\n"
        "cld\n"
        "movl fuzz_regs+0, %eax\n"
        "movl fuzz_regs+4, %ecx\n"
        "movl fuzz_regs+8, %edx\n"
        "movl fuzz_regs+12, %ebx\n"
        "movl fuzz_regs+20, %ebp\n"
        "movl fuzz_regs+24, %esi\n"
        "movl fuzz_regs+28, %edi\n"
        "movl fuzz_regs+16, %esp\n"
        "pushl fuzz_regs+32\n"
        "popfl\n"
        "jmp *fuzz_entry\n");
void fuzz_enter(void);

static void __attribute__((noreturn)) raw_exit(int code) {
    for (;;)
        __asm__ volatile("int $0x80" : : "a"(252), "b"(code) : "memory");
}

static void handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    uint32_t kind = 'S';
    if (sig == SIGTRAP && si->si_code == TRAP_TRACE) {
        if (++steps < BUDGET)
            return;
        kind = 'B';
    } else if (sig == SIGPROF) {
        kind = 'T';
    }
    R->kind = kind;
    R->sig = sig;
    R->code = si->si_code;
    R->addr = (uint32_t)(uintptr_t)si->si_addr;
    R->eip = uc->uc_mcontext.gregs[REG_EIP] - (CODE + CODE_OFF);
    R->steps = steps;
    R->magic = MAGIC;
    raw_exit(0);
}

static void *map_at(uint32_t addr, uint32_t size, int prot) {
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        _exit(120);
    }
    return p;
}

static void child(const struct rec *r) {
    /* Scratch: each word points back into scratch, with a low half of at
     * least 0x100 (as a selector: past the GDT, so #GP, never a code
     * segment). */
    uint32_t *s = map_at(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE);
    for (uint32_t i = 0; i < SCRATCH_SIZE / 4; i++)
        s[i] = SCRATCH + 0x100 + ((i * 2654435761u) & 0xeefc);
    uint8_t *c = map_at(CODE, 4096, PROT_READ | PROT_WRITE);
    memset(c, 0xcc, 4096);
    memcpy(c + CODE_OFF, r->bytes, r->len > 32 ? 32 : r->len);
    if (mprotect(c, 4096, PROT_READ | PROT_EXEC)) {
        perror("mprotect");
        _exit(121);
    }
    map_at(ALTSTACK, ALTSTACK_SIZE, PROT_READ | PROT_WRITE);
    stack_t ss = {.ss_sp = (void *)ALTSTACK, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, 0)) {
        perror("sigaltstack");
        _exit(122);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGPROF};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    struct itimerval it = {{0, 0}, {TIMER_MS / 1000, TIMER_MS % 1000 * 1000}};
    setitimer(ITIMER_PROF, &it, 0);
    memcpy(fuzz_regs, r->regs, sizeof r->regs);
    fuzz_regs[8] = r->eflags;
    fuzz_enter();
}

int main(int argc, char **argv) {
    size_t n;
    sigset_t chld;
    struct rec *recs = runner_start(argc, argv, "insn", sizeof(struct rec), &n, RESULT, &chld);
    for (size_t i = 0; i < n; i++) {
        memset((void *)R, 0, sizeof *R);
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            child(&recs[i]);
        int status = 0;
        int hung = wait_watchdog(pid, &status, &chld, WATCHDOG);
        if (hung)
            printf("%zu H\n", i);
        else if (R->magic == MAGIC)
            printf("%zu %c %x %x %x %x\n", i, (char)R->kind, R->sig, R->code, R->addr, R->eip);
        else if (WIFSIGNALED(status))
            printf("%zu K%d\n", i, WTERMSIG(status));
        else
            printf("%zu X%d\n", i, WEXITSTATUS(status));
    }
    printf("done %zu\n", n);
    return 0;
}
