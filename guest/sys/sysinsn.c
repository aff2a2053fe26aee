/* Descriptor-table instructions at CPL 3: lar, lsl, verr and verw of the
 * user code and data selectors, a TLS selector (its descriptor has the
 * accessed bit, as Linux's fill_ldt sets it), the null selector, a kernel
 * selector and one past the GDT; with "umip" as argv[1] (the harness
 * passes it when the host CPU has UMIP), also sgdt, sidt, sldt, str and
 * smsw, which Linux then emulates with fixed values. */
#include "common.h"
#include <asm/ldt.h>

static void desc(const char *what, unsigned sel)
{
    unsigned v = 0x1234, zf = 0;
    __asm__ volatile("lar %2, %0; setz %b1" : "+r"(v), "=q"(zf) : "r"(sel));
    printf("lar %s (%#x): %#x zf %u\n", what, sel, v, zf & 1);
    v = 0x1234;
    __asm__ volatile("lsl %2, %0; setz %b1" : "+r"(v), "=q"(zf) : "r"(sel));
    printf("lsl %s: %#x zf %u\n", what, v, zf & 1);
    unsigned short s16 = sel;
    __asm__ volatile("verr %1; setz %b0" : "=q"(zf) : "m"(s16));
    printf("verr %s: zf %u\n", what, zf & 1);
    __asm__ volatile("verw %w1; setz %b0" : "=q"(zf) : "r"(sel));
    printf("verw %s: zf %u\n", what, zf & 1);
    unsigned short w = 0x5555;
    __asm__ volatile("lar %2, %0" : "+r"(w) : "r"(w), "r"((unsigned short)sel));
    printf("lar16 %s: %#x\n", what, w);
}

int main(int argc, char **argv)
{
    unbuffered();
    unsigned gs;
    __asm__ volatile("mov %%gs, %0" : "=r"(gs));
    desc("user code", 0x23);
    desc("user data", 0x2b);
    desc("tls (gs)", gs);
    desc("null", 0);
    desc("kernel code", 0x10);
    desc("past the gdt", 0xfff8);
    struct user_desc u = {.entry_number = -1, .base_addr = 0x1000, .limit = 0xff,
                          .seg_32bit = 1, .read_exec_only = 1};
    R("set_thread_area read-only", syscall(SYS_set_thread_area, &u));
    unsigned sel = u.entry_number * 8 + 3;
    desc("tls read-only", sel);
    if (argc > 1 && !strcmp(argv[1], "umip")) {
        unsigned char t[6];
        __asm__ volatile("sgdt %0" : "=m"(t));
        printf("sgdt: limit %#x base %#x\n", *(unsigned short *)t, *(unsigned *)(t + 2));
        __asm__ volatile("sidt %0" : "=m"(t));
        printf("sidt: limit %#x base %#x\n", *(unsigned short *)t, *(unsigned *)(t + 2));
        unsigned r = 0xdeadbeef;
        unsigned short m = 0x5555;
        __asm__ volatile("sldt %0" : "=r"(r));
        __asm__ volatile("sldt %0" : "=m"(m));
        printf("sldt: %#x m16 %#x\n", r, m);
        r = 0xdeadbeef;
        __asm__ volatile("str %0" : "=r"(r));
        __asm__ volatile("str %0" : "=m"(m));
        printf("str: %#x m16 %#x\n", r, m);
        __asm__ volatile("smsw %0" : "=r"(r));
        __asm__ volatile("smsw %0" : "=m"(m));
        printf("smsw: %#x m16 %#x\n", r, m);
    }
    return 0;
}
