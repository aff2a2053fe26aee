/* The freestanding runtime of guest/lib's programs: a system call through
 * int $0x80 with up to four arguments, and _start, which calls
 * main(argc, argv) and ends with exit_group of its result. */
typedef unsigned int u32;

static int sys(int nr, u32 a, u32 b, u32 c, u32 d)
{
	int r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "0"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory");
	return r;
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n\t"
	"xorl %ebp, %ebp\n\t"
	"movl (%esp), %eax\n\t"
	"leal 4(%esp), %ecx\n\t"
	"pushl %ecx\n\t"
	"pushl %eax\n\t"
	"call main\n\t"
	"movl %eax, %ebx\n\t"
	"movl $252, %eax\n\t"
	"int $0x80\n\t"
	"hlt\n");
