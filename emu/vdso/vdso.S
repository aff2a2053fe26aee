/*
 * emu's i386 vDSO. Symbol offsets match the native Linux vDSO on the
 * project's hosts (__kernel_vsyscall at 0x5e0, its int80 landing pad at
 * 0x5e9, __kernel_sigreturn at 0x600, __kernel_rt_sigreturn at 0x610), so
 * syscall frames taken through the vDSO compare equal to native ones.
 */
	.text
	.globl __kernel_vsyscall
	.type __kernel_vsyscall,@function
	.p2align 4
__kernel_vsyscall:
	pushl	%ecx
	pushl	%edx
	pushl	%ebp
	/* The loader overwrites these 4 bytes with nops for --syscall-entry int80. */
	.globl __emu_sysenter_seq
__emu_sysenter_seq:
	movl	%esp, %ebp
	sysenter
	int	$0x80
	.globl int80_landing_pad
int80_landing_pad:
	popl	%ebp
	popl	%edx
	popl	%ecx
	ret
	.size __kernel_vsyscall,.-__kernel_vsyscall

	.p2align 5, 0x90
	.globl __kernel_sigreturn
	.type __kernel_sigreturn,@function
__kernel_sigreturn:
	popl	%eax
	movl	$119, %eax	/* __NR_sigreturn */
	int	$0x80
	nop
	.size __kernel_sigreturn,.-__kernel_sigreturn

	.p2align 4, 0x90
	.globl __kernel_rt_sigreturn
	.type __kernel_rt_sigreturn,@function
__kernel_rt_sigreturn:
	movl	$173, %eax	/* __NR_rt_sigreturn */
	int	$0x80
	nop
	.size __kernel_rt_sigreturn,.-__kernel_rt_sigreturn
