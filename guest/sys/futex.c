/* futex and futex_time64 on one thread: argument checks and their order,
 * wakes with no waiters, timeouts, requeue comparisons and WAKE_OP's
 * read-modify-write, compared with native Linux. */
#include "common.h"
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

struct ts32 { int sec, nsec; };
struct ts64 { long long sec, nsec; };

static uint32_t word[4] __attribute__((aligned(16)));
static uint32_t word2 __attribute__((aligned(4)));

static long fx(void *u, int op, uint32_t val, void *t, void *u2, uint32_t v3)
{
    return syscall(SYS_futex, u, op, val, t, u2, v3);
}

static long fx64(void *u, int op, uint32_t val, void *t, void *u2, uint32_t v3)
{
    return syscall(SYS_futex_time64, u, op, val, t, u2, v3);
}

#define OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

int main(void)
{
    unbuffered();
    const int P = FUTEX_PRIVATE_FLAG;
    char *ro = (char *)syscall(SYS_mmap2, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = (char *)syscall(SYS_mmap2, 0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *unmapped = (void *)0x10000;
    word[0] = 5;

    /* WAKE: nobody waits. */
    R("wake private", fx(word, FUTEX_WAKE | P, 1, 0, 0, 0));
    R("wake shared", fx(word, FUTEX_WAKE, 10, 0, 0, 0));
    R("wake private unmapped", fx(unmapped, FUTEX_WAKE | P, 1, 0, 0, 0));
    R("wake shared unmapped", fx(unmapped, FUTEX_WAKE, 1, 0, 0, 0));
    R("wake shared prot_none", fx(none, FUTEX_WAKE, 1, 0, 0, 0));
    R("wake shared read-only", fx(ro, FUTEX_WAKE, 1, 0, 0, 0));
    static const uint32_t rodata = 1;
    R("wake shared rodata", fx((void *)&rodata, FUTEX_WAKE, 1, 0, 0, 0));
    char *shm_ro = (char *)syscall(SYS_mmap2, 0, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    R("wake shared shm read-only", fx(shm_ro, FUTEX_WAKE, 1, 0, 0, 0));
    R("wait shared shm read-only", fx(shm_ro, FUTEX_WAIT, 1, 0, 0, 0));
    R("wake misaligned", fx((char *)word + 2, FUTEX_WAKE | P, 1, 0, 0, 0));
    R("wake bitset 0", fx(word, FUTEX_WAKE_BITSET | P, 1, 0, 0, 0));
    R("wake bitset", fx(word, FUTEX_WAKE_BITSET | P, 1, 0, 0, 0xf0));
    R("wake clock_realtime", fx(word, FUTEX_WAKE | P | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0));

    /* WAIT: value mismatch, bad addresses, bad timeouts. */
    R("wait mismatch", fx(word, FUTEX_WAIT | P, 4, 0, 0, 0));
    R("wait mismatch shared", fx(word, FUTEX_WAIT, 4, 0, 0, 0));
    R("wait misaligned", fx((char *)word + 1, FUTEX_WAIT | P, 5, 0, 0, 0));
    R("wait unmapped", fx(unmapped, FUTEX_WAIT | P, 0, 0, 0, 0));
    R("wait prot_none", fx(none, FUTEX_WAIT | P, 0, 0, 0, 0));
    R("wait read-only (value 0)", fx(ro, FUTEX_WAIT | P, 1, 0, 0, 0));
    struct ts32 bad_ns = {0, 1000000000}, neg = {-1, 0}, ten_ms = {0, 10000000};
    struct ts64 bad_ns64 = {0, 1000000000}, ten_ms64 = {0, 10000000};
    R("wait bad nsec", fx(word, FUTEX_WAIT | P, 5, &bad_ns, 0, 0));
    R("wait negative sec", fx(word, FUTEX_WAIT | P, 5, &neg, 0, 0));
    R("wait bad timeout ptr", fx(word, FUTEX_WAIT | P, 5, unmapped, 0, 0));
    R("wait bad timeout ptr, mismatch", fx(word, FUTEX_WAIT | P, 4, unmapped, 0, 0));
    R("wait bad nsec, mismatch", fx(word, FUTEX_WAIT | P, 4, &bad_ns, 0, 0));
    R("wait clock_realtime", fx(word, FUTEX_WAIT | P | FUTEX_CLOCK_REALTIME, 5, &ten_ms, 0, 0));
    R("wait timeout", fx(word, FUTEX_WAIT | P, 5, &ten_ms, 0, 0));
    R("wait timeout shared", fx(word, FUTEX_WAIT, 5, &ten_ms, 0, 0));
    R("wait64 timeout", fx64(word, FUTEX_WAIT | P, 5, &ten_ms64, 0, 0));
    R("wait64 bad nsec", fx64(word, FUTEX_WAIT | P, 5, &bad_ns64, 0, 0));
    /* The high half of a 64-bit tv_nsec is padding for a 32-bit task. */
    struct ts64 pad = {0, 10000000 | (1LL << 32)};
    R("wait64 nsec padding ignored", fx64(word, FUTEX_WAIT | P, 5, &pad, 0, 0));

    /* WAIT_BITSET: absolute deadlines, on CLOCK_MONOTONIC or CLOCK_REALTIME. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct ts32 mono = {now.tv_sec, now.tv_nsec};
    mono.nsec += 10000000;
    if (mono.nsec >= 1000000000) {
        mono.nsec -= 1000000000;
        mono.sec++;
    }
    R("wait_bitset 0", fx(word, FUTEX_WAIT_BITSET | P, 5, &mono, 0, 0));
    R("wait_bitset monotonic", fx(word, FUTEX_WAIT_BITSET | P, 5, &mono, 0, ~0u));
    struct ts32 past = {1, 0};
    R("wait_bitset past", fx(word, FUTEX_WAIT_BITSET | P, 5, &past, 0, 1));
    R("wait_bitset past realtime", fx(word, FUTEX_WAIT_BITSET | P | FUTEX_CLOCK_REALTIME, 5, &past, 0, 1));
    clock_gettime(CLOCK_REALTIME, &now);
    struct ts64 real = {now.tv_sec, now.tv_nsec + 10000000};
    if (real.nsec >= 1000000000) {
        real.nsec -= 1000000000;
        real.sec++;
    }
    R("wait_bitset64 realtime", fx64(word, FUTEX_WAIT_BITSET | P | FUTEX_CLOCK_REALTIME, 5, &real, 0, 1));
    R("wait_bitset mismatch", fx(word, FUTEX_WAIT_BITSET | P, 6, &past, 0, 1));

    /* REQUEUE and CMP_REQUEUE (val2 travels in the timeout argument). */
    R("requeue", fx(word, FUTEX_REQUEUE | P, 1, (void *)1, &word[1], 0));
    R("requeue negative", fx(word, FUTEX_REQUEUE | P, -1, (void *)1, &word[1], 0));
    R("requeue negative val2", fx(word, FUTEX_REQUEUE | P, 1, (void *)-1, &word[1], 0));
    R("requeue misaligned uaddr2", fx(word, FUTEX_REQUEUE | P, 1, (void *)1, (char *)word + 5, 0));
    R("cmp_requeue equal", fx(word, FUTEX_CMP_REQUEUE | P, 1, (void *)1, &word[1], 5));
    R("cmp_requeue differ", fx(word, FUTEX_CMP_REQUEUE | P, 1, (void *)1, &word[1], 6));
    R("cmp_requeue unmapped", fx(unmapped, FUTEX_CMP_REQUEUE | P, 1, (void *)1, &word[1], 6));
    R("cmp_requeue shared unmapped uaddr2", fx(word, FUTEX_CMP_REQUEUE, 1, (void *)1, unmapped, 5));

    /* WAKE_OP: the operation on *uaddr2, then the comparison. */
    struct { const char *name; uint32_t init, op; } ops[] = {
        {"set 7 eq 3", 3, OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 3)},
        {"add -1 gt 0", 0, OP(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_GT, 0)},
        {"or 6 ne 1", 1, OP(FUTEX_OP_OR, 6, FUTEX_OP_CMP_NE, 1)},
        {"andn 6 lt -1", 7, OP(FUTEX_OP_ANDN, 6, FUTEX_OP_CMP_LT, -1)},
        {"xor 3 le 5", 5, OP(FUTEX_OP_XOR, 3, FUTEX_OP_CMP_LE, 5)},
        {"shift or 1<<4 ge 2", 2, OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GE, 2)},
        {"shift set 1<<40&31", 0, OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 40, FUTEX_OP_CMP_EQ, 0)},
        {"unknown op 5", 9, OP(5, 1, FUTEX_OP_CMP_EQ, 0)},
        {"unknown cmp 7", 9, OP(FUTEX_OP_ADD, 1, 7, 0)},
    };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        word2 = ops[i].init;
        char label[64];
        snprintf(label, sizeof label, "wake_op %s", ops[i].name);
        R(label, fx(word, FUTEX_WAKE_OP | P, 1, (void *)1, &word2, ops[i].op));
        printf("  uaddr2 now %#x\n", word2);
    }
    R("wake_op read-only uaddr2", fx(word, FUTEX_WAKE_OP | P, 1, (void *)1, ro, OP(FUTEX_OP_SET, 1, 0, 0)));
    R("wake_op shared read-only uaddr2", fx(word, FUTEX_WAKE_OP, 1, (void *)1, ro, OP(FUTEX_OP_SET, 1, 0, 0)));
    R("wake_op unmapped uaddr2", fx(word, FUTEX_WAKE_OP | P, 1, (void *)1, unmapped, OP(FUTEX_OP_SET, 1, 0, 0)));
    R("wake_op unknown op, unmapped", fx(word, FUTEX_WAKE_OP | P, 1, (void *)1, unmapped, OP(6, 1, 0, 0)));
    R("wake_op misaligned uaddr2", fx(word, FUTEX_WAKE_OP | P, 1, (void *)1, (char *)&word2 + 1, 0));

    /* Commands Linux does not know. */
    R("futex_fd", fx(word, 2 | P, 0, 0, 0, 0));
    R("cmd 14", fx(word, 14 | P, 0, 0, 0, 0));
    R("cmd with stray bits", fx(word, FUTEX_WAKE | P | 0x1000, 1, 0, 0, 0));
    R("cmd -1", fx(word, -1, 0, 0, 0, 0));
    printf("word %u %u\n", word[0], word[1]);
    return 0;
}
