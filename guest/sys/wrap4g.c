/* Accesses at the top of the 4 GiB address space (SDM vol. 3 5.3): with
 * the flat 4 GiB segments Linux gives, an access whose last byte lies past
 * offset 0xffffffff breaks the segment limit, so it raises #GP(0) (SIGSEGV,
 * SI_KERNEL, address 0), or #SS(0) (SIGBUS) through the stack segment,
 * before any page fault; one that ends at 0xffffffff only page-faults. A
 * segment with a base wraps in linear space without breaking its limit,
 * and page-faults. (Not compared: an offset past 4 GiB through a segment
 * with a base, which natively is #GP; emu checks offsets only for
 * segments without a base, so that TLS accesses through %gs stay on the
 * fast path, and accesses the wrapped linear address.) Each fault is caught on an alternate stack, printed,
 * and the program goes on. */
#include "common.h"
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

static sigjmp_buf back;
static char altstack[65536];

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    printf("  -> %s code=%d addr=%#lx trapno=%d err=%#x\n", sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
           si->si_code, (unsigned long)si->si_addr, (int)uc->uc_mcontext.gregs[REG_TRAPNO],
           (unsigned)uc->uc_mcontext.gregs[REG_ERR]);
    siglongjmp(back, 1);
}

#define TRY(label, ...) do { \
    printf("%s\n", label); \
    if (!sigsetjmp(back, 1)) { __VA_ARGS__; printf("  ok\n"); } \
    __asm__ volatile("push %%ds\n\tpop %%fs" ::: "memory"); \
} while (0)

static unsigned ld32(unsigned a) { unsigned v; __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a)); return v; }
static unsigned ld16(unsigned a) { unsigned v; __asm__ volatile("movzwl (%1), %0" : "=r"(v) : "r"(a)); return v; }
static unsigned ld8(unsigned a) { unsigned v; __asm__ volatile("movzbl (%1), %0" : "=r"(v) : "r"(a)); return v; }
static void st32(unsigned a) { __asm__ volatile("movl $1, (%0)" :: "r"(a) : "memory"); }
static void fld64(unsigned a) { __asm__ volatile("fldl (%0)\n\tfstp %%st(0)" :: "r"(a)); }

int main(void)
{
    unbuffered();
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);

    TRY("dword at 0xfffffffe", ld32(0xfffffffe));
    TRY("dword at 0xfffffffc", ld32(0xfffffffc));
    TRY("word at 0xffffffff", ld16(0xffffffff));
    TRY("byte at 0xffffffff", ld8(0xffffffff));
    TRY("store dword at 0xfffffffd", st32(0xfffffffd));
    TRY("qword at 0xfffffffc", fld64(0xfffffffc));
    TRY("qword at 0xfffffff8", fld64(0xfffffff8));
    TRY("dword at [ebp] = 0xfffffffe (stack segment)", {
        unsigned v;
        __asm__ volatile("push %%ebp\n\tmov $0xfffffffe, %%ebp\n\tmovl (%%ebp), %0\n\tpop %%ebp"
                         : "=r"(v) :: "memory");
    });
    TRY("push with esp = 2", __asm__ volatile(
        "mov %%esp, %%edx\n\tmov $2, %%esp\n\tpushl $1\n\tmov %%edx, %%esp" ::: "edx", "memory"));
    TRY("pop with esp = 0xfffffffe", __asm__ volatile(
        "mov %%esp, %%edx\n\tmov $0xfffffffe, %%esp\n\tpopl %%eax\n\tmov %%edx, %%esp"
        ::: "eax", "edx", "memory"));
    TRY("lodsl at 0xfffffffe", {
        unsigned s = 0xfffffffe;
        __asm__ volatile("cld\n\tlodsl" : "+S"(s) :: "eax", "memory");
    });
    /* Two bad operands: the unmapped source faults first (#PF at 0), not
     * the destination that crosses 4 GiB (found by the fuzz tier). */
    TRY("movsl from 0 to 0xffffffff", {
        unsigned s = 0, t = 0xffffffff;
        __asm__ volatile("cld\n\tmovsl" : "+S"(s), "+D"(t) :: "memory");
    });
    /* A store an unmasked invalid operation suppresses still checks its
     * destination (fisttp of an empty st0 with IM clear). */
    TRY("fisttp of an empty stack, IM clear, to an unmapped page", {
        unsigned short cw = 0x37e;
        __asm__ volatile("fninit\n\tfldcw %0\n\tfisttpl (%1)\n\tfninit"
                         :: "m"(cw), "r"(0x10) : "memory");
    });

    /* gs (the TLS segment: a base, the 4 GiB limit): an offset that
     * crosses the limit is #GP, though base + offset wraps to mapped
     * memory (found by the fuzz tier). */
    TRY("dword at gs:0xfffffffe", {
        unsigned v;
        __asm__ volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(0xfffffffe));
    });
    TRY("movsl from gs:0xffffffff", {
        unsigned s = 0xffffffff, t = (unsigned)altstack;
        __asm__ volatile("cld\n\tgs movsl" : "+S"(s), "+D"(t) :: "memory");
    });

    /* A data segment based at 0x1000 with a 4 GiB limit: offset
     * 0xffffeffe is inside the limit, its linear address 0xfffffffe wraps. */
    struct user_desc d = {0};
    d.entry_number = 0;
    d.base_addr = 0x1000;
    d.limit = 0xfffff;
    d.limit_in_pages = 1;
    d.seg_32bit = 1;
    d.useable = 1;
    R("modify_ldt", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
    TRY("based segment, linear wrap inside the limit", {
        unsigned v;
        __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:(%2), %0"
                         : "=r"(v) : "r"(7), "r"(0xffffeffe));
    });
    return 0;
}
