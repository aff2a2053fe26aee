/*
 * Probes of the host CPU for the interpreter's design (issue 11, steps 7
 * and the handler layout): x86-64 host code in the shape emu's threaded
 * handlers compile to, timed on their own.
 *
 *   gcc -O2 -o /tmp/dispatch emu/benches/probes/dispatch.c && /tmp/dispatch
 *
 * 1. A guest register kept in memory against one kept in a host register,
 *    through a chain of dependent loads: `mov r, [regs + i*4]; mov r,
 *    [mem + r]; mov [regs + j*4], r` against `mov r, [mem + r]` alone.
 *    Where the host forwards a store to the load after it without delay
 *    (memory renaming: AMD since Zen 2, Intel since Ice Lake), the two
 *    take the same time.
 * 2. Threaded handlers pushing and popping a guest stack, the guest esp
 *    in the CPU state in memory (as emu has it) against esp in a host
 *    register passed from handler to handler (step 7's proposal).
 * 3. The dispatch itself: handlers that do nothing but jump to the next,
 *    four handler bodies in rings of 4 to 64 instructions, against the
 *    same with each body copied (so that each copy's jump has fewer
 *    targets).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A predecoded instruction: its handler (the rest is padding). */
typedef struct { void *h; uint64_t pad; } Inst;

static uint32_t regs[64];
static uint32_t mem32[1024];
static uint8_t idx[2] = {3, 3};
static uint8_t stack[1 << 16];

/* ---- 1 ---- */
static void chains(void) {
    const long n = 200000000;
    double t0 = now();
    {
        uint64_t a = 0;
        long k = n;
        __asm__ volatile("1: mov (%[m],%[a]),%k[a]\n dec %[k]\n jnz 1b"
                         : [a] "+r"(a), [k] "+r"(k) : [m] "r"(mem32) : "memory");
    }
    double t1 = now();
    {
        uint64_t a, c, d;
        long k = n;
        __asm__ volatile("1: movzbl (%[ix]),%k[c]\n mov 0x40(%[r],%[c],4),%k[a]\n"
                         " mov (%[m],%[a]),%k[a]\n movzbl 1(%[ix]),%k[d]\n"
                         " mov %k[a],0x40(%[r],%[d],4)\n dec %[k]\n jnz 1b"
                         : [a] "=&r"(a), [k] "+r"(k), [c] "=&r"(c), [d] "=&r"(d)
                         : [m] "r"(mem32), [r] "r"(regs), [ix] "r"(idx) : "memory");
    }
    double t2 = now();
    printf("1. dependent guest loads: register in a host register %.3f ns, "
           "in memory %.3f ns a load\n", (t1 - t0) / n * 1e9, (t2 - t1) / n * 1e9);
}

/* ---- 2 ---- rdi = regs, rsi = the instruction, rbx = guest memory,
 * r8d = esp (the register variant), rcx = rounds left, r9 = ring bytes. */
extern void mem_push(void), mem_pop(void), mem_add(void), ring_end(void);
extern void reg_push(void), reg_pop(void), reg_add(void);
__asm__(".text\n"
        "mem_push: mov 0x10(%rdi),%eax\n sub $4,%eax\n mov %eax,0x10(%rdi)\n"
        " mov 0(%rdi),%edx\n mov %edx,(%rbx,%rax)\n add $16,%rsi\n jmp *(%rsi)\n"
        "mem_pop: mov 0x10(%rdi),%eax\n mov (%rbx,%rax),%edx\n add $4,%eax\n"
        " mov %eax,0x10(%rdi)\n add %edx,4(%rdi)\n add $16,%rsi\n jmp *(%rsi)\n"
        "mem_add: mov 4(%rdi),%eax\n add %eax,0(%rdi)\n add $16,%rsi\n jmp *(%rsi)\n"
        "reg_push: mov %r8d,%eax\n sub $4,%eax\n mov %eax,%r8d\n"
        " mov 0(%rdi),%edx\n mov %edx,(%rbx,%rax)\n add $16,%rsi\n jmp *(%rsi)\n"
        "reg_pop: mov %r8d,%eax\n mov (%rbx,%rax),%edx\n add $4,%eax\n"
        " mov %eax,%r8d\n add %edx,4(%rdi)\n add $16,%rsi\n jmp *(%rsi)\n"
        "reg_add: mov 4(%rdi),%eax\n add %eax,0(%rdi)\n add $16,%rsi\n jmp *(%rsi)\n"
        "ring_end: sub $1,%rcx\n jz 1f\n sub %r9,%rsi\n jmp *(%rsi)\n 1: ret\n");

/* Run the ring `is` of `len` handlers (then its end) `rounds` times. */
static double run_ring(Inst *is, long rounds, long len) {
    long bytes = len * 16;
    uint8_t *g = stack;
    regs[4] = 0x8000;
    double t0 = now();
    __asm__ volatile("mov %%rdx,%%r9\n mov $0x8000,%%r8d\n call *(%%rsi)"
                     : "+c"(rounds), "+S"(is), "+d"(bytes), "+b"(g)
                     : "D"(regs)
                     : "rax", "r8", "r9", "memory", "cc");
    return now() - t0;
}

static void stack_handlers(void) {
    enum { L = 24 };
    /* 0 push, 1 pop, 2 add: the pops never outrun the pushes, and the
     * ring as a whole leaves esp where it was. */
    static const int pat[L] = {0, 0, 1, 2, 1, 0, 2, 1, 0, 0, 1, 1,
                               2, 0, 1, 2, 0, 0, 1, 1, 0, 1, 2, 2};
    void *m[3] = {mem_push, mem_pop, mem_add}, *r[3] = {reg_push, reg_pop, reg_add};
    Inst a[L + 1], b[L + 1];
    for (int k = 0; k < L; k++) {
        a[k].h = m[pat[k]];
        b[k].h = r[pat[k]];
    }
    a[L].h = b[L].h = ring_end;
    const long rounds = 20000000;
    for (int k = 0; k < 3; k++) {
        double tm = run_ring(a, rounds, L), tr = run_ring(b, rounds, L);
        printf("2. push/pop/add handlers: esp in memory %.3f ns, in a host register "
               "%.3f ns a handler\n", tm / rounds / (L + 1) * 1e9, tr / rounds / (L + 1) * 1e9);
    }
}

/* ---- 3 ---- 64 bodies: body k is copy k/4 of handler k%4 (handler 2
 * does an add, the others only dispatch). */
#define BODY(k, op) ".p2align 5\nnop_" #k ": " op "add $16,%rsi\n jmp *(%rsi)\n"
#define FOUR(k) BODY(k##0, "") BODY(k##1, "") BODY(k##2, "inc %eax\n ") BODY(k##3, "")
__asm__(".text\n" FOUR(0) FOUR(1) FOUR(2) FOUR(3) FOUR(4) FOUR(5) FOUR(6) FOUR(7)
        FOUR(8) FOUR(9) FOUR(a) FOUR(b) FOUR(c) FOUR(d) FOUR(e) FOUR(f));
#define DECL4(k) extern void nop_##k##0(void), nop_##k##1(void), nop_##k##2(void), nop_##k##3(void);
DECL4(0) DECL4(1) DECL4(2) DECL4(3) DECL4(4) DECL4(5) DECL4(6) DECL4(7)
DECL4(8) DECL4(9) DECL4(a) DECL4(b) DECL4(c) DECL4(d) DECL4(e) DECL4(f)
#define REF4(k) nop_##k##0, nop_##k##1, nop_##k##2, nop_##k##3,
static void (*const bodies[64])(void) = {REF4(0) REF4(1) REF4(2) REF4(3) REF4(4) REF4(5)
    REF4(6) REF4(7) REF4(8) REF4(9) REF4(a) REF4(b) REF4(c) REF4(d) REF4(e) REF4(f)};

static void dispatch(void) {
    printf("3. dispatch only, ns a handler (4 bodies; copies chosen by position):\n"
           "   ring   1 copy  2 copies  4 copies  16 copies\n");
    for (int len = 4; len <= 64; len *= 2) {
        printf("   %4d", len);
        for (int copies = 1; copies <= 16; copies *= copies == 4 ? 4 : 2) {
            Inst a[65];
            for (int k = 0; k < len; k++) {
                int h = (k * 7 + k / 3) % 4;
                a[k].h = (void *)bodies[h + 4 * (k % copies)];
            }
            a[len].h = ring_end;
            long rounds = 100000000 / len;
            double t = run_ring(a, rounds, len);
            printf("  %7.3f", t / rounds / (len + 1) * 1e9);
        }
        printf("\n");
    }
}

int main(void) {
    chains();
    stack_handlers();
    dispatch();
    return 0;
}
