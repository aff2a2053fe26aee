/* Syscalls through int $0x80 directly: valid, invalid and out-of-range
 * numbers, and all six argument registers. Frames are compared with native. */
	.globl _start
_start:
	movl	$20, %eax		/* getpid */
	int	$0x80
	movl	$4, %eax		/* write(1, msg, len) */
	movl	$1, %ebx
	movl	$msg, %ecx
	movl	$len, %edx
	int	$0x80
	/* Invalid numbers: -1, 999, 0x80000000, NR_syscalls, an unassigned hole (222). */
	movl	$-1, %eax
	int	$0x80
	movl	$999, %eax
	int	$0x80
	movl	$0x80000000, %eax
	int	$0x80
	movl	$470, %eax
	int	$0x80
	movl	$222, %eax
	int	$0x80
	/* Six distinct arguments to an unimplemented-everywhere number. */
	movl	$0x11111111, %ebx
	movl	$0x22222222, %ecx
	movl	$0x33333333, %edx
	movl	$0x44444444, %esi
	movl	$0x55555555, %edi
	movl	$0x66666666, %ebp
	movl	$999, %eax
	int	$0x80
	/* Flags as the frame sees them: set CF and SF from an arithmetic op. */
	movl	$-1, %ecx
	addl	$-2, %ecx
	movl	$20, %eax
	int	$0x80
	/* write with a bad pointer: -EFAULT. */
	movl	$4, %eax
	movl	$1, %ebx
	movl	$16, %ecx
	movl	$4, %edx
	int	$0x80
	movl	$252, %eax		/* exit_group(7) */
	movl	$7, %ebx
	int	$0x80
	.data
msg:	.ascii	"int80 ok\n"
len = . - msg
