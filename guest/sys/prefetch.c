/* The 0f 0d prefetch group: prefetchw (/1) takes memory and never
 * faults, even on an unmapped address; with a register operand the group
 * is #UD (SIGILL). (The other memory forms are prefetches on AMD; they are
 * left out, as Intel's documentation names only /1.) Other hint NOPs take
 * registers, and so do the CET forms rdsspd and endbr32. */
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
    /* CET in the hint-NOP space: with no shadow stack (never for an i386
     * process) rdsspd leaves its register alone and endbr32 does nothing;
     * libgcc's unwinder relies on that (xor %ecx,%ecx; rdsspd %ecx). */
    unsigned ssp = 0x1234;
    TRY("rdsspd ecx (f3 0f 1e c9)", __asm__ volatile(".byte 0xf3, 0x0f, 0x1e, 0xc9" : "+c"(ssp)));
    printf("rdsspd left ecx %#x\n", ssp);
    TRY("endbr32 (f3 0f 1e fb)", __asm__ volatile(".byte 0xf3, 0x0f, 0x1e, 0xfb"));
    TRY("0f 1e c8 (hint nop, no f3)", __asm__ volatile(".byte 0x0f, 0x1e, 0xc8"));
    return 0;
}
