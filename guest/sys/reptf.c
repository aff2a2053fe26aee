/* Single-stepping rep string instructions (SDM vol. 3 18.3.1.4): with
 * EFLAGS.TF set, rep movs traps after every iteration with eip still at
 * the instruction and ecx counting down; repe scas stops trapping on the
 * instruction when the comparison ends it. The SIGTRAP handler prints
 * each trap's eip (low bits), ecx and si_code; icebp (int1) with and
 * without TF shows its TRAP_BRKPT. */
#define _GNU_SOURCE
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
static int traps; static char src[64] = "abcdefgh", dst[64];
static void h(int s, siginfo_t *si, void *u) { ucontext_t *uc = u; traps++;
  if (traps < 40) printf("trap %d eip=%#x ecx=%d code=%d\n", traps, (unsigned)uc->uc_mcontext.gregs[REG_EIP] & 0xfff, (int)uc->uc_mcontext.gregs[REG_ECX], si->si_code);
}
int main(void) {
  struct sigaction sa = {0}; sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO; sigaction(SIGTRAP, &sa, 0);
  void *s = src, *d = dst; unsigned n = 5;
  __asm__ volatile("pushf; orl $0x100,(%%esp); popf; cld; rep movsb; nop; pushf; andl $~0x100,(%%esp); popf" : "+S"(s), "+D"(d), "+c"(n) :: "memory");
  char a[8] = "aaaxaaa"; void *p = a; unsigned m = 7;
  __asm__ volatile("pushf; orl $0x100,(%%esp); popf; cld; mov $0x61, %%al; repe scasb; nop; pushf; andl $~0x100,(%%esp); popf" : "+D"(p), "+c"(m) :: "eax", "memory", "cc");
  printf("dst=%s n=%u m=%u traps=%d\n", dst, n, m, traps);
  /* icebp (int1) is TRAP_BRKPT, a single step TRAP_TRACE; with TF set,
   * icebp's own trap is the one reported. */
  __asm__ volatile(".byte 0xf1" ::: "memory");
  __asm__ volatile("pushf; orl $0x100,(%%esp); popf; .byte 0xf1; nop; pushf; andl $~0x100,(%%esp); popf" ::: "memory", "cc");
  printf("traps=%d\n", traps);
  return 0;
}
