/*
 * emu's i386 vDSO. Symbol offsets match the native Linux vDSO on the
 * project's hosts (__kernel_vsyscall at 0x5e0, its int80 landing pad at
 * 0x5e9, __kernel_sigreturn at 0x600, __kernel_rt_sigreturn at 0x610), so
 * syscall frames taken through the vDSO compare equal to native ones.
 * Program headers as Linux's: PT_LOAD, PT_DYNAMIC, PT_NOTE, PT_GNU_EH_FRAME.
 * __kernel_vsyscall has unwind info; the sigreturn trampolines have none,
 * so unwinders recognise them by their code, as they do without a vDSO.
 */
	.text
	.globl __kernel_vsyscall
	.type __kernel_vsyscall,@function
	.p2align 4
__kernel_vsyscall:
	/* Unwind info (as Linux's vdso32/system_call.S has): a backtrace
	 * from a signal handler that interrupted a system call goes on
	 * through here to the caller. */
	.cfi_startproc
	pushl	%ecx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset ecx, 0
	pushl	%edx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset edx, 0
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset ebp, 0
	/* The loader overwrites these 4 bytes with nops for --syscall-entry int80. */
	.globl __emu_sysenter_seq
__emu_sysenter_seq:
	movl	%esp, %ebp
	sysenter
	int	$0x80
	.globl int80_landing_pad
int80_landing_pad:
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore ebp
	popl	%edx
	.cfi_adjust_cfa_offset -4
	.cfi_restore edx
	popl	%ecx
	.cfi_adjust_cfa_offset -4
	.cfi_restore ecx
	ret
	.cfi_endproc
	.size __kernel_vsyscall,.-__kernel_vsyscall

	/* The "Linux" note with LINUX_VERSION_CODE, as in Linux's vDSO; the
	 * loader writes the host kernel's version into it (LINUX_VERSION). */
	.section .note.Linux, "a", @note
	.p2align 2
	.long	6		/* namesz */
	.long	4		/* descsz */
	.long	0		/* type */
	.asciz	"Linux"
	.p2align 2
	.globl __emu_linux_version
__emu_linux_version:
	.long	0
	.p2align 2
	.text

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
