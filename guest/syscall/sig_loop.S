/* sig_loop N: N signal round trips: kill(getpid(), SIGUSR1), delivery to an
 * empty handler on an rt frame, and rt_sigreturn through the vDSO's
 * restorer (no SA_RESTORER). Exits 0 when the handler ran N times. For the
 * benchmarks. */
	.globl _start
_start:
	cmpl	$2, (%esp)
	jne	usage
	movl	8(%esp), %esi		/* argv[1]: decimal count */
	xorl	%ecx, %ecx
1:	movzbl	(%esi), %eax
	testl	%eax, %eax
	jz	2f
	subl	$'0', %eax
	imull	$10, %ecx
	addl	%eax, %ecx
	incl	%esi
	jmp	1b
2:	movl	%ecx, count
	movl	$174, %eax		/* rt_sigaction(SIGUSR1, &act, 0, 8) */
	movl	$10, %ebx
	movl	$act, %ecx
	xorl	%edx, %edx
	movl	$8, %esi
	int	$0x80
	testl	%eax, %eax
	jnz	usage
	movl	$20, %eax		/* getpid */
	int	$0x80
	movl	%eax, %edi
	movl	count, %ebp
3:	movl	$37, %eax		/* kill(pid, SIGUSR1) */
	movl	%edi, %ebx
	movl	$10, %ecx
	int	$0x80
	decl	%ebp
	jnz	3b
	movl	count, %eax
	xorl	%ebx, %ebx
	cmpl	hits, %eax
	je	4f
	movl	$3, %ebx
4:	movl	$252, %eax
	int	$0x80
usage:	movl	$252, %eax
	movl	$2, %ebx
	int	$0x80
handler:
	incl	hits
	ret
	.data
act:	.long	handler, 0, 0, 0, 0	/* handler, flags, restorer, mask */
count:	.long	0
hits:	.long	0
