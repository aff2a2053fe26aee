/* Accesses that fault, for emu's guard pages (the host MMU checks the
 * guest's permissions and a host fault becomes the guest's #PF): reads of
 * a PROT_NONE page and stores to a read-only one. For instructions that
 * access memory and change registers, the state the SIGSEGV handler sees
 * must be the state before the instruction (no register, flag, stack
 * pointer or FPU change), and si_addr / cr2 the first byte the guest may
 * not access, also for accesses that cross from an accessible page into
 * the other; the error code's W bit also for the read of a
 * read-modify-write operand. rep movs and stos stop at the element that
 * faults, with the registers of that element. Registers are printed
 * relative to the test pages ("R+off" in the readable page, "N+off" in
 * the PROT_NONE page after it, "W+off" in the writable one after that,
 * "O+off" in the read-only one after that). The handler's FPU starts in
 * its init state (Linux clears it for every handler), which the x87
 * cases see after the siglongjmp. */
#include "common.h"
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

static char *R, *N; /* a readable page, and the PROT_NONE page after it */
extern unsigned long case_start;
static sigjmp_buf jb;
static const char *cur;

static const char *rel(unsigned long a)
{
    static char b[12][32];
    static int k;
    char *o = b[k = (k + 1) % 12];
    if (a >= (unsigned long)R && a < (unsigned long)R + 4096)
        snprintf(o, 32, "R+%#lx", a - (unsigned long)R);
    else if (a >= (unsigned long)N && a < (unsigned long)N + 4096)
        snprintf(o, 32, "N+%#lx", a - (unsigned long)N);
    else if (a >= (unsigned long)N + 4096 && a < (unsigned long)N + 8192)
        snprintf(o, 32, "W+%#lx", a - (unsigned long)N - 4096);
    else if (a >= (unsigned long)N + 8192 && a < (unsigned long)N + 12288)
        snprintf(o, 32, "O+%#lx", a - (unsigned long)N - 8192);
    else if (a >= 0xf0000000ul)
        return "stack";
    else
        snprintf(o, 32, "%#lx", a);
    return o;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned sw = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->sw : 0;
    printf("%s: sig %d code %d addr %s err %#x trap %d\n", cur, sig, si->si_code,
           rel((unsigned long)si->si_addr), (unsigned)g[REG_ERR], (int)g[REG_TRAPNO]);
    printf("  eax %s ecx %s edx %s ebx %s\n", rel(g[REG_EAX]), rel(g[REG_ECX]), rel(g[REG_EDX]),
           rel(g[REG_EBX]));
    printf("  esi %s edi %s ebp %s esp %s\n", rel(g[REG_ESI]), rel(g[REG_EDI]), rel(g[REG_EBP]),
           rel(g[REG_UESP]));
    printf("  flags %#x fpu top %u eip code+%lu\n", (unsigned)g[REG_EFL] & 0x8d5, (sw >> 11) & 7,
           (unsigned long)g[REG_EIP] - case_start);
    siglongjmp(jb, 1);
}

/* Run `code` with eax..edi preset (esp too when the code sets it from
 * eax), printing nothing when it does not fault. */
#define CASE(name, code)                                                         \
    do {                                                                         \
        cur = name;                                                              \
        if (!sigsetjmp(jb, 1)) {                                                 \
            __asm__ volatile("push %%ebp\n\t"                                    \
                             "mov %%esp, %%ebp\n\t"                              \
                             "mov ebx_v, %%ebx\n\t"                              \
                             "mov esi_v, %%esi\n\t"                              \
                             "mov edi_v, %%edi\n\t"                              \
                             "mov $0x11111111, %%eax\n\t"                        \
                             "mov $8, %%ecx\n\t"                                 \
                             "mov $0x33333333, %%edx\n\t"                        \
                             "movl $1f, case_start\n\t"                          \
                             "cmp %%eax, %%edx\n1:\n\t" code "\n\t"             \
                             "mov %%ebp, %%esp\n\t"                              \
                             "pop %%ebp"                                         \
                             :                                                   \
                             :                                                   \
                             : "eax", "ecx", "edx", "ebx", "esi", "edi", "memory", \
                               "cc");                                            \
            printf("%s: no fault\n", cur);                                       \
        }                                                                        \
    } while (0)

unsigned long ebx_v, esi_v, edi_v, case_start;

static void regs(char *b, char *s, char *d)
{
    ebx_v = (unsigned long)b;
    esi_v = (unsigned long)s;
    edi_v = (unsigned long)d;
}

int main(void)
{
    setvbuf(stdout, 0, _IONBF, 0);
    R = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    N = R + 4096;
    char *W = R + 2 * 4096; /* writable scratch */
    char *O = R + 3 * 4096; /* read-only */
    mprotect(N, 4096, PROT_NONE);
    mprotect(O, 4096, PROT_READ);
    /* Read once, so natively the page is present (the P bit of the
     * error code of a store there). */
    (void)*(volatile char *)O;
    memset(R, 0x5a, 4096);
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
    sigaltstack(&ss, 0);
    on(SIGSEGV, on_segv, 1, SA_ONSTACK, 0);

    regs(N, R, W);
    CASE("mov eax,[ebx] none", "mov (%%ebx), %%eax");
    regs(N - 2, R, W);
    CASE("mov eax,[ebx] crossing", "mov (%%ebx), %%eax");
    CASE("movzx eax,word [ebx+1] crossing", "movzwl 1(%%ebx), %%eax");
    CASE("add eax,[ebx] crossing", "add (%%ebx), %%eax");
    CASE("cmp [ebx],edx crossing", "cmp %%edx, (%%ebx)");
    CASE("imul eax,[ebx],3 crossing", "imul $3, (%%ebx), %%eax");
    CASE("xchg [ebx],eax crossing", "xchg %%eax, (%%ebx)");
    CASE("add [ebx],eax crossing", "add %%eax, (%%ebx)");
    CASE("lock add [ebx],eax crossing", "lock add %%eax, (%%ebx)");
    CASE("inc dword [ebx] crossing", "incl (%%ebx)");
    CASE("xadd [ebx],eax crossing", "xadd %%eax, (%%ebx)");
    CASE("cmpxchg [ebx],ecx crossing", "cmpxchg %%ecx, (%%ebx)");
    CASE("shl dword [ebx],1 crossing", "shll (%%ebx)");
    CASE("not dword [ebx] crossing", "notl (%%ebx)");
    CASE("bts [ebx],ecx crossing", "mov $17, %%ecx\n\tbtsl %%ecx, (%%ebx)");
    CASE("movsd to none", "xchg %%ebx, %%edi\n\tmov %%ebx, %%esi\n\tmovsl");
    CASE("cmpxchg8b [ebx] crossing", "cmpxchg8b -4(%%ebx)");
    CASE("fld qword [ebx] crossing", "fldl -4(%%ebx)");
    CASE("movq mm0,[ebx] crossing", "movq -4(%%ebx), %%mm0\n\temms");
    CASE("movdqu xmm0,[ebx] crossing", "movdqu -8(%%ebx), %%xmm0");
    regs(N - 4, R, W);
    CASE("bt [ebx],ecx far", "mov $64, %%ecx\n\tbtl %%ecx, (%%ebx)");
    CASE("push dword [ebx+4]", "pushl 4(%%ebx)");
    CASE("call [ebx+4]", "call *4(%%ebx)");
    CASE("jmp [ebx+4]", "jmp *4(%%ebx)");
    regs(N, N - 8, W);
    CASE("lodsd none", "add $8, %%esi\n\tlodsl");
    CASE("rep movsd crossing", "cld\n\trep movsl");
    CASE("rep lodsb crossing", "cld\n\tmov $16, %%ecx\n\trep lodsb");
    CASE("repe cmpsb crossing", "cld\n\tmov $16, %%ecx\n\tmov %%esi, %%edi\n\trepe cmpsb");
    regs(N - 4, R, W);
    CASE("pop eax", "mov %%ebx, %%esp\n\tpop %%eax\n\tpop %%eax");
    CASE("pop dword [edi]", "mov %%ebx, %%esp\n\tpopl (%%edi)\n\tpopl (%%edi)");
    /* From the first word: where the pop crosses into the page, AMD
     * CPUs have loaded the first registers at the fault (not Intel's). */
    CASE("popa", "lea 4(%%ebx), %%esp\n\tpopa");
    CASE("ret 8", "mov %%ebx, %%esp\n\tadd $4, %%esp\n\tret $8");
    CASE("leave", "mov %%ebx, %%eax\n\tadd $4, %%eax\n\tmov %%eax, %%ebp\n\tleave");
    CASE("pop gs", "mov %%ebx, %%esp\n\tadd $4, %%esp\n\tpop %%gs");
    /* Stores to the read-only page. */
    regs(O, R, O);
    CASE("mov [ebx],eax ro", "mov %%eax, (%%ebx)");
    CASE("mov byte [ebx],al ro", "mov %%al, 3(%%ebx)");
    CASE("add [ebx],eax ro", "add %%eax, (%%ebx)");
    CASE("xchg [ebx],eax ro", "xchg %%eax, (%%ebx)");
    CASE("cmpxchg8b [ebx] ro", "cmpxchg8b (%%ebx)");
    CASE("sete [ebx] ro", "sete (%%ebx)");
    CASE("movsd to ro", "movsl");
    CASE("stosb to ro", "stosb");
    CASE("fstp qword [ebx] ro", "fld1\n\tfstpl (%%ebx)");
    CASE("fistp dword [ebx] ro", "fld1\n\tfistpl (%%ebx)");
    CASE("fnstsw [ebx] ro", "fnstsw (%%ebx)");
    CASE("movq [ebx],mm0 ro", "movq %%mm0, (%%ebx)\n\temms");
    CASE("movdqu [ebx],xmm0 ro", "movdqu %%xmm0, (%%ebx)");
    CASE("push eax, stack ro", "mov %%ebx, %%esp\n\tadd $8, %%esp\n\tpush %%eax");
    CASE("call, stack ro", "mov %%ebx, %%esp\n\tadd $8, %%esp\n\tcall 1f\n1:");
    CASE("enter, stack ro", "mov %%ebx, %%esp\n\tadd $8, %%esp\n\tenter $8, $0");
    CASE("pushf, stack ro", "mov %%ebx, %%esp\n\tadd $8, %%esp\n\tpushf");
    regs(O - 2, W, O - 8);
    CASE("mov [ebx],eax crossing into ro", "mov %%eax, (%%ebx)");
    CASE("rep stosd crossing into ro", "cld\n\trep stosl");
    CASE("rep movsd crossing into ro", "cld\n\trep movsl");
    CASE("pop dword [ebx], stack read", "push %%eax\n\tpopl (%%ebx)");
    CASE("push [esi], stack crossing", "lea 2(%%ebx), %%esp\n\tpushl (%%esi)");
    regs((char *)8, R, W);
    CASE("mov eax,[8] null", "mov (%%ebx), %%eax");
    CASE("mov eax,[ebx-10] wraps", "mov -10(%%ebx), %%eax");
    return 0;
}
