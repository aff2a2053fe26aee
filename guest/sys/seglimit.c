/* Segment limits on memory operands (SDM vol. 3 5.3): LDT data segments
 * with a byte-granular limit (expand-up and expand-down) loaded into %fs,
 * accesses inside the limit, and, one per run (the process dies of
 * SIGSEGV), an access past it, a string instruction past it, and an access
 * through a null %gs.
 *
 *   seglimit            accesses inside the limits (prints what they read)
 *   seglimit MODE       MODE: over4 over1 down lods repmovs null; dies of
 *                       SIGSEGV; stack (a push past an ss limit) dies of
 *                       SIGBUS, as Linux maps #SS */
#include "common.h"
#include <asm/ldt.h>

static unsigned char data[0x2000];

/* Selector of LDT entry n, TI = 1, RPL 3. */
#define LDT_SEL(n) ((n) << 3 | 4 | 3)

static void set_entry(int n, unsigned base, unsigned limit, int contents)
{
    struct user_desc d = {0};
    d.entry_number = n;
    d.base_addr = base;
    d.limit = limit;
    d.seg_32bit = 1;
    d.contents = contents;
    d.useable = 1;
    R("modify_ldt", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
}

/* LDT entry n with a limit counted in 4 KiB pages. */
static void set_entry_pages(int n, unsigned base, unsigned limit, int contents)
{
    struct user_desc d = {0};
    d.entry_number = n;
    d.base_addr = base;
    d.limit = limit;
    d.seg_32bit = 1;
    d.contents = contents;
    d.limit_in_pages = 1;
    d.useable = 1;
    R("modify_ldt", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
}

/* push and pop one dword with %ss = sel, then restore %ss. */
static unsigned push_pop_ss(unsigned sel)
{
    unsigned v, old;
    __asm__ volatile("mov %%ss, %1\n\tmov %2, %%ss\n\tpushl $0x5a5a\n\tpopl %0\n\tmov %1, %%ss"
                     : "=&r"(v), "=&r"(old) : "r"(sel) : "memory");
    return v;
}

static unsigned rd32(unsigned sel, unsigned off)
{
    unsigned v;
    __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:(%2), %0"
                     : "=&r"(v) : "r"(sel), "r"(off) : "memory");
    return v;
}

static unsigned rd8(unsigned sel, unsigned off)
{
    unsigned v;
    __asm__ volatile("mov %1, %%fs\n\tmovzbl %%fs:(%2), %0"
                     : "=&r"(v) : "r"(sel), "r"(off) : "memory");
    return v;
}

static unsigned lods(unsigned sel, unsigned off)
{
    unsigned v;
    __asm__ volatile("mov %2, %%fs\n\tcld\n\tfs lodsb\n\tmovzbl %%al, %0"
                     : "=&a"(v), "+S"(off) : "r"(sel) : "memory");
    return v;
}

/* rep movsb of n bytes from fs:off into dst (es = ds, flat). */
static void rep_movs_fs(unsigned sel, unsigned off, void *dst, unsigned n)
{
    __asm__ volatile("mov %3, %%fs\n\tcld\n\trep movsb %%fs:(%%esi), %%es:(%%edi)"
                     : "+S"(off), "+D"(dst), "+c"(n) : "r"(sel) : "memory");
}

int main(int argc, char **argv)
{
    unbuffered();
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 1);
    unsigned base = (unsigned)data;
    /* Entry 0: expand-up, limit 0xfff (byte granular). */
    set_entry(0, base, 0xfff, MODIFY_LDT_CONTENTS_DATA);
    /* Entry 1: expand-down, limit 0xfff, 32-bit: offsets 0x1000.. valid. */
    set_entry(1, base - 0x1000, 0xfff, MODIFY_LDT_CONTENTS_STACK);
    unsigned up = LDT_SEL(0), down = LDT_SEL(1);
    /* Stack segments around the current stack: entry 2 expand-down with
     * its limit 1 MiB below esp (pushes fit), entry 3 expand-up ending
     * 64 KiB below esp (a push breaks the limit: #SS). */
    unsigned esp;
    __asm__ volatile("mov %%esp, %0" : "=r"(esp));
    set_entry_pages(2, 0, (esp - 0x100000) >> 12, MODIFY_LDT_CONTENTS_STACK);
    set_entry_pages(3, 0, (esp - 0x10000) >> 12, MODIFY_LDT_CONTENTS_DATA);
    const char *m = argc > 1 ? argv[1] : "";
    if (!*m) {
        printf("up 0: %#x\n", rd32(up, 0));
        printf("up 0xffc (last dword): %#x\n", rd32(up, 0xffc));
        printf("up 0xfff (last byte): %#x\n", rd8(up, 0xfff));
        printf("lods up 0xfff: %#x\n", lods(up, 0xfff));
        printf("down 0x1000: %#x\n", rd32(down, 0x1000));
        printf("down 0x1ffc: %#x\n", rd32(down, 0x1ffc));
        unsigned char out[16];
        rep_movs_fs(up, 0xff0, out, 16);
        unsigned sum = 0;
        for (int i = 0; i < 16; i++)
            sum = sum * 31 + out[i];
        printf("rep movsb fs:0xff0..0xfff: %#x\n", sum);
        printf("push/pop in an expand-down ss: %#x\n", push_pop_ss(LDT_SEL(2)));
        return 0;
    }
    printf("about to fault: %s\n", m);
    if (!strcmp(m, "over4"))
        rd32(up, 0xffd); /* the dword's last byte is past the limit */
    else if (!strcmp(m, "over1"))
        rd8(up, 0x1000);
    else if (!strcmp(m, "down"))
        rd32(down, 0xfff); /* at or below an expand-down limit */
    else if (!strcmp(m, "lods"))
        lods(up, 0x1000);
    else if (!strcmp(m, "repmovs")) {
        static unsigned char out[64];
        rep_movs_fs(up, 0xff0, out, 32); /* crosses the limit at 0x1000 */
    } else if (!strcmp(m, "stack"))
        push_pop_ss(LDT_SEL(3)); /* #SS: SIGBUS on Linux */
    else if (!strcmp(m, "null"))
        __asm__ volatile("mov %0, %%gs\n\tmovl %%gs:0, %%eax" : : "r"(0) : "eax", "memory");
    printf("no fault\n");
    return 1;
}
