/* Syscalls through the vDSO: AT_SYSINFO called directly, and glibc's
 * `call *%gs:0x10` after installing a TLS block with set_thread_area. */
	.globl _start
_start:
	/* Find AT_SYSINFO (32) in the auxv: skip argc, argv, envp. */
	movl	(%esp), %eax
	leal	8(%esp,%eax,4), %esi	/* envp */
1:	cmpl	$0, (%esi)
	leal	4(%esi), %esi
	jne	1b
2:	movl	(%esi), %eax
	testl	%eax, %eax
	jz	no_vdso
	cmpl	$32, %eax
	je	3f
	addl	$8, %esi
	jmp	2b
3:	movl	4(%esi), %eax
	movl	%eax, sysinfo
	movl	%eax, tcb+16		/* tcbhead_t.sysinfo at %gs:0x10 */

	movl	$20, %eax		/* getpid via call *sysinfo */
	call	*sysinfo
	movl	$4, %eax
	movl	$1, %ebx
	movl	$msg1, %ecx
	movl	$len1, %edx
	call	*sysinfo
	movl	$-1, %eax
	call	*sysinfo
	movl	$0x80000000, %eax
	call	*sysinfo
	/* Six arguments: ebp is fetched from the user stack by the kernel. */
	movl	$0x11111111, %ebx
	movl	$0x22222222, %ecx
	movl	$0x33333333, %edx
	movl	$0x44444444, %esi
	movl	$0x55555555, %edi
	movl	$0x66666666, %ebp
	movl	$999, %eax
	call	*sysinfo
	/* Registers other than eax survive the round trip. */
	cmpl	$0x22222222, %ecx
	jne	bad
	cmpl	$0x33333333, %edx
	jne	bad
	cmpl	$0x66666666, %ebp
	jne	bad

	/* set_thread_area({-1, tcb, 0xfffff, seg_32bit|limit_in_pages|useable}) */
	movl	$243, %eax
	movl	$desc, %ebx
	int	$0x80
	movl	desc, %eax		/* entry_number chosen by the kernel */
	shll	$3, %eax
	orl	$3, %eax
	movw	%ax, %gs
	movl	$4, %eax
	movl	$1, %ebx
	movl	$msg2, %ecx
	movl	$len2, %edx
	call	*%gs:0x10
	movl	$20, %eax
	call	*%gs:0x10
	movl	$252, %eax
	xorl	%ebx, %ebx
	call	*%gs:0x10
no_vdso:
	movl	$252, %eax
	movl	$3, %ebx
	int	$0x80
bad:
	movl	$252, %eax
	movl	$4, %ebx
	int	$0x80

	.data
	.p2align 4
desc:	.long	-1, tcb, 0xfffff, 0x51
sysinfo: .long	0
msg1:	.ascii	"vsyscall ok\n"
len1 = . - msg1
msg2:	.ascii	"gs:0x10 ok\n"
len2 = . - msg2
	.bss
	.p2align 6
tcb:	.space	64
