/* The 0f 0d prefetch group: prefetchw (/1) takes memory and never
 * faults, even on an unmapped address; with a register operand the group
 * is #UD (SIGILL). (The other memory forms are prefetches on AMD; they are
 * left out, as Intel's documentation names only /1.) Other hint NOPs take
 * registers. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;
static volatile int sig;

static void on_sig(int s)
{
    sig = s;
    siglongjmp(jb, 1);
}

#define TRY(label, ...) do { sig = 0; if (!sigsetjmp(jb, 1)) { __VA_ARGS__; } \
    printf("%s: signal %d\n", label, sig); } while (0)

int main(void)
{
    unbuffered();
    signal(SIGILL, on_sig);
    signal(SIGSEGV, on_sig);
    static char buf[64];
    TRY("0f 0d c0 (register)", __asm__ volatile(".byte 0x0f, 0x0d, 0xc0"));
    TRY("prefetchw [eax]", __asm__ volatile(".byte 0x0f, 0x0d, 0x08" ::"a"(buf)));
    TRY("prefetchw of an unmapped address", __asm__ volatile(".byte 0x0f, 0x0d, 0x08" ::"a"(16)));
    TRY("prefetcht0 [eax]", __asm__ volatile("prefetcht0 (%0)" ::"r"(buf)));
    TRY("0f 18 c0 (register hint nop)", __asm__ volatile(".byte 0x0f, 0x18, 0xc0"));
    TRY("nop eax (0f 1f c0)", __asm__ volatile(".byte 0x0f, 0x1f, 0xc0"));
    return 0;
}
