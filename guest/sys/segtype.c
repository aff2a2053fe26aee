/* Descriptor types and alignment checking on memory operands (SDM vol. 3
 * 5.4 and 6.15): a write through %cs (code segments are never writable), a
 * write through a read-only LDT data segment, string stores into one, a
 * read through an execute-only LDT code segment, and with EFLAGS.AC set
 * misaligned word, dword, quadword and stack accesses. Each fault is caught
 * and printed as the kernel reports it (signal, si_code, si_addr, trap
 * number, error code), then the program goes on. A type violation is #GP
 * and comes before paging: through %cs at an unmapped address it is still
 * SIGSEGV with si_code SI_KERNEL and address 0, not a page fault. */
#include "common.h"
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

static unsigned char data[64] __attribute__((aligned(64)));
static unsigned target;
static sigjmp_buf back;

#define LDT_SEL(n) ((n) << 3 | 4 | 3)

static void set_entry(int n, unsigned base, int contents, int ro)
{
    struct user_desc d = {0};
    d.entry_number = n;
    d.base_addr = base;
    d.limit = 0xfffff;
    d.limit_in_pages = 1;
    d.seg_32bit = 1;
    d.contents = contents;
    d.read_exec_only = ro;
    d.useable = 1;
    R("modify_ldt", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    /* The handler runs with the interrupted EFLAGS.AC. */
    __asm__ volatile("pushf\n\tandl $~0x40000, (%%esp)\n\tpopf" ::: "memory", "cc");
    printf("  -> %s code=%d addr=%#lx trapno=%d err=%#x\n", sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
           si->si_code, (unsigned long)si->si_addr, (int)uc->uc_mcontext.gregs[REG_TRAPNO],
           (unsigned)uc->uc_mcontext.gregs[REG_ERR]);
    siglongjmp(back, 1);
}

/* Run one access: print its label, then "ok" or the fault. The segment
 * registers the accesses load (%es, %fs) are reset to flat afterwards, and
 * EFLAGS.AC is cleared. */
#define CLEAN() __asm__ volatile("pushf\n\tandl $~0x40000, (%%esp)\n\tpopf\n\t" \
                                 "push %%ds\n\tpop %%es\n\tpush %%ds\n\tpop %%fs" \
                                 ::: "memory", "cc")
#define TRY(label, ...) do { \
    printf("%s\n", label); \
    if (!sigsetjmp(back, 1)) { __VA_ARGS__; CLEAN(); printf("  ok\n"); } \
    CLEAN(); \
} while (0)

/* Set EFLAGS.AC (alignment checking at CPL 3). */
#define AC_ON() __asm__ volatile("pushf\n\torl $0x40000, (%%esp)\n\tpopf" ::: "memory", "cc")

/* A far-called function in the execute-only code segment: a read through
 * %cs. Returns with lret. */
extern char cs_read[];
__asm__(".text\n"
        "cs_read:\n\t"
        "movl %cs:target, %eax\n\t"
        "lret\n");

int main(void)
{
    unbuffered();
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);

    set_entry(0, 0, 0, 1);      /* read-only data, flat */
    set_entry(1, 0, 0, 0);      /* writable data, flat */
    set_entry(2, 0, 2, 1);      /* execute-only code, flat */
    set_entry(3, 0, 2, 0);      /* readable code, flat */
    unsigned ro = LDT_SEL(0), rw = LDT_SEL(1), xo = LDT_SEL(2), rx = LDT_SEL(3);
    void *unmapped = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(unmapped, 4096);

    target = 0x1234;
    unsigned v = 0;
    TRY("read through cs", __asm__ volatile("movl %%cs:target, %0" : "=r"(v)));
    printf("  value %#x\n", v);
    TRY("write through cs", __asm__ volatile("movl $7, %%cs:target" ::: "memory"));
    TRY("add to memory through cs", __asm__ volatile("addl $7, %%cs:target" ::: "memory", "cc"));
    TRY("cmp with memory through cs", __asm__ volatile("cmpl $7, %%cs:target" ::: "cc"));
    TRY("write through cs to an unmapped page",
        __asm__ volatile("movl $7, %%cs:(%0)" :: "r"(unmapped) : "memory"));
    TRY("read through cs from an unmapped page",
        __asm__ volatile("movl %%cs:(%1), %0" : "=r"(v) : "r"(unmapped)));
    printf("target %#x\n", target);

    TRY("read through read-only fs",
        __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:target, %0" : "=r"(v) : "r"(ro)));
    TRY("write through read-only fs",
        __asm__ volatile("mov %0, %%fs\n\tmovl $9, %%fs:target" :: "r"(ro) : "memory"));
    TRY("setcc through read-only fs",
        __asm__ volatile("mov %0, %%fs\n\tsete %%fs:target" :: "r"(ro) : "memory"));
    TRY("write through writable fs",
        __asm__ volatile("mov %0, %%fs\n\tmovl $9, %%fs:target" :: "r"(rw) : "memory"));
    TRY("fstp through read-only fs",
        __asm__ volatile("mov %0, %%fs\n\tfldz\n\tfstps %%fs:target" :: "r"(ro) : "memory"));
    TRY("stosb into read-only es", {
        void *d = data;
        __asm__ volatile("mov %1, %%es\n\tcld\n\tstosb" : "+D"(d) : "r"(ro), "a"(0) : "memory");
    });
    TRY("rep movsb from read-only fs to es", {
        void *s = data, *d = data + 32;
        unsigned n = 8;
        __asm__ volatile("mov %3, %%fs\n\tcld\n\trep movsb %%fs:(%%esi), %%es:(%%edi)"
                         : "+S"(s), "+D"(d), "+c"(n) : "r"(ro) : "memory");
    });
    TRY("scasb through read-only es", {
        void *d = data;
        __asm__ volatile("mov %1, %%es\n\tcld\n\tscasb" : "+D"(d) : "r"(ro), "a"(0) : "memory", "cc");
    });
    TRY("read through readable code fs",
        __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:target, %0" : "=r"(v) : "r"(rx)));
    TRY("write through readable code fs",
        __asm__ volatile("mov %0, %%fs\n\tmovl $9, %%fs:target" :: "r"(rx) : "memory"));
    TRY("load execute-only code into fs",
        __asm__ volatile("mov %0, %%fs" :: "r"(xo)));
    TRY("read through execute-only cs", {
        struct { unsigned off; unsigned short sel; } __attribute__((packed)) far = {
            (unsigned)cs_read, (unsigned short)xo};
        __asm__ volatile("lcall *%1" : "=a"(v) : "m"(far) : "memory");
    });
    TRY("read through readable cs", {
        struct { unsigned off; unsigned short sel; } __attribute__((packed)) far = {
            (unsigned)cs_read, (unsigned short)rx};
        __asm__ volatile("lcall *%1" : "=a"(v) : "m"(far) : "memory");
    });
    printf("target %#x\n", target);

    unsigned char *p = data;
    TRY("AC: aligned dword", __asm__ volatile("" ::: "memory"); AC_ON();
        __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(p)));
    TRY("AC: misaligned byte", AC_ON(); __asm__ volatile("movzbl 1(%1), %0" : "=r"(v) : "r"(p)));
    TRY("AC: misaligned word", AC_ON(); __asm__ volatile("movzwl 1(%1), %0" : "=r"(v) : "r"(p)));
    TRY("AC: aligned word", AC_ON(); __asm__ volatile("movzwl 2(%1), %0" : "=r"(v) : "r"(p)));
    TRY("AC: misaligned dword", AC_ON(); __asm__ volatile("movl 2(%1), %0" : "=r"(v) : "r"(p)));
    TRY("AC: misaligned dword store", AC_ON();
        __asm__ volatile("movl %1, 6(%0)" :: "r"(p), "r"(v) : "memory"));
    TRY("AC: 4-aligned quadword", AC_ON(); __asm__ volatile("fildll 4(%0)\n\tfstp %%st(0)" :: "r"(p)));
    TRY("AC: 8-aligned quadword", AC_ON(); __asm__ volatile("fildll 8(%0)\n\tfstp %%st(0)" :: "r"(p)));
    TRY("AC: misaligned push", AC_ON();
        __asm__ volatile("mov %%esp, %%edx\n\tsub $2, %%esp\n\tpushl $1\n\tmov %%edx, %%esp"
                         ::: "edx", "memory"));
    TRY("AC: misaligned rep stosl", AC_ON(); {
        void *d = p + 1;
        unsigned n = 2;
        __asm__ volatile("cld\n\trep stosl" : "+D"(d), "+c"(n) : "a"(0) : "memory");
    });
    return 0;
}
