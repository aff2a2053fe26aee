/* Runtime for the guest test programs; see rt.h. */
#include "rt.h"

struct regs R;
u32 op_s, op_e;
u32 rt_csave[4];
u32 rt_esp0; /* esp right before the instance's instruction */
u32 M[1024] __attribute__((aligned(4096)));

const u32 V8[9] = {0, 1, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff};
const u32 V16[9] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xfffe, 0xffff};
const u32 V32[9] = {0,          1,          0x7f,       0x80,      0xffff,
		    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};

const u32 *vals(int size)
{
	if (size == 8)
		return V8;
	if (size == 16)
		return V16;
	return V32;
}

u32 rt_masks[3] = {0xff, 0xffff, 0xffffffff}; /* not const: keeps setcc out */

u32 mask(int size)
{
	if (size == 8)
		return rt_masks[0];
	if (size == 16)
		return rt_masks[1];
	return rt_masks[2];
}

u32 garb(u32 v, int size)
{
	if (size == 8)
		return 0xa5c3e100 | (v & 0xff);
	if (size == 16)
		return 0x5a3c0000 | (v & 0xffff);
	return v;
}

void setb1(u32 *w, u32 v)
{
	((volatile u8 *)w)[1] = v;
}

/* ld_regs: called right before the instruction under test; loads R.
 * sv_regs: called right after it; saves into R and restores the C
 * callee-saved registers.  Only plain mov/push/pop/pushf/popf/lea/sub/cld. */
__asm__(".text\n"
	".globl ld_regs\n"
	"ld_regs:\n\t"
	"movl (%esp), %eax\n\t"
	"movl %eax, op_s\n\t"
	"leal 4(%esp), %eax\n\t"
	"movl %eax, rt_esp0\n\t"
	"movl %ebx, rt_csave\n\t"
	"movl %esi, rt_csave+4\n\t"
	"movl %edi, rt_csave+8\n\t"
	"movl %ebp, rt_csave+12\n\t"
	"movl R+4, %ecx\n\t"
	"movl R+8, %edx\n\t"
	"movl R+12, %ebx\n\t"
	"movl R+20, %ebp\n\t"
	"movl R+24, %esi\n\t"
	"movl R+28, %edi\n\t"
	"movl R+32, %eax\n\t"
	"pushl %eax\n\t"
	"movl R, %eax\n\t"
	"popfl\n\t"
	"ret\n"
	".globl sv_regs\n"
	"sv_regs:\n\t"
	"movl %eax, R\n\t"
	"pushfl\n\t"
	"popl %eax\n\t"
	"movl %eax, R+32\n\t"
	"movl %ecx, R+4\n\t"
	"movl %edx, R+8\n\t"
	"movl %ebx, R+12\n\t"
	"movl %ebp, R+20\n\t"
	"movl %esi, R+24\n\t"
	"movl %edi, R+28\n\t"
	"leal 4(%esp), %eax\n\t"
	"movl %eax, R+16\n\t"
	"movl (%esp), %eax\n\t"
	"subl $5, %eax\n\t"
	"movl %eax, op_e\n\t"
	"cld\n\t"
	"movl rt_csave, %ebx\n\t"
	"movl rt_csave+4, %esi\n\t"
	"movl rt_csave+8, %edi\n\t"
	"movl rt_csave+12, %ebp\n\t"
	"ret\n"
	".globl _start\n"
	"_start:\n\t"
	"xorl %ebp, %ebp\n\t"
	"call rt_init\n\t"
	"call main\n\t"
	"pushl %eax\n\t"
	"call exit_\n\t"
	"hlt\n");

void wr(int fd, const void *p, u32 n)
{
	u32 r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "0"(4), "b"(fd), "c"(p), "d"(n)
			 : "memory");
	(void)r;
}

/* Block buffered (flushed when full and at exit) so that a test program makes
 * few write syscalls: its --frames snapshot stays small. */
static char obuf[16384];
static u32 olen;

void flush(void)
{
	if (olen)
		wr(1, obuf, olen);
	olen = 0;
}

void exit_(int code)
{
	flush();
	for (;;)
		__asm__ volatile("int $0x80" ::"a"(252), "b"(code));
}

void pc(char c)
{
	obuf[olen] = c;
	olen++;
	if (olen == sizeof obuf)
		flush();
}

void ps(const char *s)
{
	while (*s)
		pc(*s++);
}

void sp(void)
{
	pc(' ');
}

void nl(void)
{
	pc('\n');
}

void ptag(const char *s)
{
	ps(s);
	pc(' ');
}

static const char hexd[] = "0123456789abcdef";
static char hx_hi[256], hx_lo[256];

void rt_init(void)
{
	int i = 0;
	for (int h = 0; h < 16; h++)
		for (int l = 0; l < 16; l++) {
			hx_hi[i] = hexd[h];
			hx_lo[i] = hexd[l];
			i++;
		}
}

static void pbyte(u8 b)
{
	pc(hx_hi[b]);
	pc(hx_lo[b]);
}

/* No shifts: split the value through memory. */
void px(u32 v, int digits)
{
	volatile u32 w = v;
	const volatile u8 *b = (const volatile u8 *)&w;
	if (digits >= 8) {
		pbyte(b[3]);
		pbyte(b[2]);
	}
	if (digits >= 4)
		pbyte(b[1]);
	pbyte(b[0]);
}

void pxs(u32 v, int size)
{
	if (size == 8)
		px(v, 2);
	else if (size == 16)
		px(v, 4);
	else
		px(v, 8);
}

static const u32 pow10[] = {1000000000, 100000000, 10000000, 1000000, 100000,
			    10000,      1000,      100,      10,      1};

/* No divides: repeated subtraction.  (Written to keep setcc out of it.) */
void pu(u32 v)
{
	char buf[10];
	for (int i = 0; i < 10; i++) {
		char d = '0';
		while (v >= pow10[i]) {
			v -= pow10[i];
			d++;
		}
		buf[i] = d;
	}
	int s = 0;
	while (s < 9 && buf[s] == '0')
		s++;
	while (s < 10)
		pc(buf[s++]);
}

void pd(i32 v)
{
	if (v < 0) {
		pc('-');
		pu(-(u32)v);
	} else
		pu(v);
}

void pfl(u32 fl)
{
	ps(" fl=");
	px(fl, 8);
}

void pum(u32 m)
{
	ps(" um=");
	px(m, 8);
}

void pmem(const void *p, int n)
{
	const u8 *b = p;
	for (int i = 0; i < n; i++)
		pbyte(b[i]);
}

void pop(void)
{
	ps(" op=");
	u32 n = op_e - op_s;
	if (n > 32)
		n = 32;
	pmem((const void *)op_s, n);
	nl();
}

void *memset(void *d, int c, u32 n)
{
	u8 *p = d;
	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, u32 n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
