//! The kernel's side of the vDSO once it is mapped (arch/x86/entry/vdso/
//! vma.c): `mm->context.vdso` follows an mremap of \[vdso\], so sysenter
//! keeps returning to the landing pad and signal handlers without
//! SA_RESTORER keep returning through `__kernel_sigreturn` /
//! `__kernel_rt_sigreturn` at the new place (verified natively:
//! guest/sys/layout.c `vdso-mremap`).

use super::task::Task;
use crate::arch::ptregs::off;
use crate::loader::vdso::INT80_LANDING_PAD;
use std::sync::atomic::Ordering::Relaxed;

/// vdso_mremap: \[vdso\] now starts at `base`. The caller (mremap) checked
/// that the whole mapping moved (special mappings cannot be split, and
/// \[vdso\] cannot grow).
pub fn moved(p: &mut Task, base: u32) {
    let old = p.landing_pad();
    let new = base.wrapping_add(INT80_LANDING_PAD);
    // vdso_fix_landing: a syscall made through __kernel_vsyscall (this
    // mremap itself, usually) returns to the landing pad at the new place.
    if old != 0 && p.frame != 0 {
        let ip = p.frame + off::IP;
        if p.cpu.sys.kmem.r32(ip).is_ok_and(|v| v == old) {
            let _ = p.cpu.sys.kmem.w32(ip, new);
        }
    }
    p.vdso_landing_pad.store(new, Relaxed);
}
