/* replay FILE N MB: a guest whose state lives everywhere a snapshot must
 * reach. It maps MB megabytes and touches every page, installs a TLS
 * segment (set_thread_area + %gs) and a SIGUSR1 handler, opens FILE, then
 * runs N rounds, each: read 37 bytes of FILE, grow the heap with brk and
 * write into it, map (and every other round unmap) 8 KiB, step x87 and
 * SSE registers that stay live across rounds (a value in xmm7, the x87
 * control word), send itself SIGUSR1 every third round, bump a TLS
 * counter, and print one line of all of it. Exits 0. Freestanding (int
 * $0x80 only), for emu/tests/library.rs and examples/snapshot.rs. */
#include "rt.h"
typedef unsigned long long u64;

static char line[256];
static u32 ll;

static void put(const char *s)
{
	while (*s)
		line[ll++] = *s++;
}

static void hex(u32 v)
{
	for (int i = 28; i >= 0; i -= 4)
		line[ll++] = "0123456789abcdef"[(v >> i) & 15];
}

static void flush(void)
{
	sys(4, 1, (u32)line, ll, 0);
	ll = 0;
}

static u32 num(const char *s)
{
	u32 v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u32)(*s++ - '0');
	return v;
}

static volatile u32 hits;
static void handler(int sig)
{
	hits += sig;
}

static u32 tcb[16] __attribute__((aligned(64)));
static u32 desc[4] = {(u32)-1, 0, 0xfffff, 0x51};
static u32 act[5];
static char buf[64];

/* old_mmap(struct mmap_arg_struct *) */
static u32 map(u32 size)
{
	u32 a[6] = {0, size, 3, 0x22, (u32)-1, 0};
	return (u32)sys(90, (u32)a, 0, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	u32 rounds = num(argv[2]), mb = num(argv[3]);
	u32 big = mb ? map(mb << 20) : 0;
	for (u32 off = 0; off < (mb << 20); off += 4096)
		((volatile u32 *)big)[off / 4] = off ^ 0x5a5a5a5a;
	desc[1] = (u32)tcb;
	if (sys(243, (u32)desc, 0, 0, 0) != 0)
		return 3;
	u32 sel = desc[0] * 8 + 3;
	__asm__ volatile("movw %w0, %%gs" : : "r"(sel));
	act[0] = (u32)handler;
	if (sys(174, 10, (u32)act, 0, 8) != 0)
		return 4;
	int fd = sys(5, (u32)argv[1], 0, 0, 0);
	if (fd < 0)
		return 5;
	u32 pid = sys(20, 0, 0, 0, 0);
	u32 brk0 = sys(45, 0, 0, 0, 0), brk = brk0;
	u32 kept = 0, sum = 0;
	u32 x = 0;
	__asm__ volatile("pxor %%xmm7, %%xmm7" : : : "xmm7");
	for (u32 i = 0; i < rounds; i++) {
		int n = sys(3, fd, (u32)buf, 37, 0);
		for (int k = 0; k < n; k++)
			sum = sum * 31 + (u32)buf[k];
		brk = sys(45, brk + 4096 * (i % 5 + 1), 0, 0, 0);
		((volatile u32 *)brk)[-1] = sum;
		u32 m = map(8192);
		((volatile u32 *)m)[100] = i;
		if (i & 1)
			sys(91, m, 8192, 0, 0);
		else
			kept += ((volatile u32 *)m)[100];
		/* xmm7 accumulates (live across rounds and syscalls). */
		__asm__ volatile("movd %1, %%xmm6\n\tpaddd %%xmm6, %%xmm7\n\t"
				 "pshufd $0x39, %%xmm7, %%xmm7\n\tmovd %%xmm7, %0"
				 : "=r"(x)
				 : "r"(i * 0x01010101 + sum)
				 : "xmm6", "xmm7");
		/* The x87 control word: rounding control steps each round. */
		unsigned short cw;
		__asm__ volatile("fnstcw %0" : "=m"(cw));
		cw = (cw & ~0xc00) | ((i & 3) << 10);
		__asm__ volatile("fldcw %0" : : "m"(cw));
		if (i % 3 == 0)
			sys(37, pid, 10, 0, 0);
		u32 t;
		__asm__ volatile("incl %%gs:0\n\tmovl %%gs:0, %0" : "=r"(t));
		put("round ");
		hex(i);
		put(" n=");
		hex(n);
		put(" sum=");
		hex(sum);
		put(" brk=");
		hex(brk - brk0);
		put(" kept=");
		hex(kept);
		put(" xmm=");
		hex(x);
		put(" cw=");
		hex(cw);
		put(" sig=");
		hex(hits);
		put(" tls=");
		hex(t);
		put("\n");
		flush();
	}
	return 0;
}
