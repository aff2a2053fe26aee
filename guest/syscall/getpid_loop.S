/* getpid_loop MODE N: call getpid N times, through `int $0x80` (MODE i)
 * or through AT_SYSINFO / __kernel_vsyscall (MODE v). For the benchmarks. */
	.globl _start
_start:
	movl	(%esp), %eax
	cmpl	$3, %eax
	jne	usage
	movl	8(%esp), %esi		/* argv[1]: mode */
	movb	(%esi), %bl
	movl	12(%esp), %esi		/* argv[2]: decimal count */
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
	/* Find AT_SYSINFO for mode v. */
	movl	(%esp), %eax
	leal	8(%esp,%eax,4), %esi
3:	cmpl	$0, (%esi)
	leal	4(%esi), %esi
	jne	3b
4:	movl	(%esi), %eax
	testl	%eax, %eax
	jz	5f
	cmpl	$32, %eax
	je	6f
	addl	$8, %esi
	jmp	4b
6:	movl	4(%esi), %eax
	movl	%eax, sysinfo
5:	cmpb	$'v', %bl
	je	vloop
iloop:	movl	$20, %eax
	int	$0x80
	decl	count
	jnz	iloop
	jmp	done
vloop:	cmpl	$0, sysinfo
	je	usage
7:	movl	$20, %eax
	call	*sysinfo
	decl	count
	jnz	7b
done:	movl	$252, %eax
	xorl	%ebx, %ebx
	int	$0x80
usage:	movl	$252, %eax
	movl	$2, %ebx
	int	$0x80
	.data
count:	.long	0
sysinfo: .long	0
