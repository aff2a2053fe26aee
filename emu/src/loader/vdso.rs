//! The vDSO: emu's own image (`emu/vdso/`, built from vdso.S and committed
//! as vdso.so), mapped where native Linux maps it, with the [vvar] pages
//! below it.

use super::{LoadError, Vdso};
use crate::mem::{Mem, PAGE_SIZE, P_EXEC, P_READ};

/// The image, built by `make -C emu/vdso`.
pub static IMAGE: &[u8] = include_bytes!("../../vdso/vdso.so");
/// Pages the vDSO mapping covers (native: two), and the [vvar] +
/// [vvar_vclock] pages below it (native: four + two).
pub const VDSO_PAGES: u32 = 2;
pub const VVAR_PAGES: u32 = 6;
/// Offsets inside the image (as in the native vDSO of the project's hosts).
pub const KERNEL_VSYSCALL: u32 = 0x5e0;
/// `movl %esp,%ebp; sysenter` (4 bytes) inside __kernel_vsyscall.
pub const SYSENTER_SEQ: u32 = 0x5e3;
/// The instruction after `int $0x80`, where both entry paths return.
pub const INT80_LANDING_PAD: u32 = 0x5e9;
pub const KERNEL_SIGRETURN: u32 = 0x600;
pub const KERNEL_RT_SIGRETURN: u32 = 0x610;

/// How `__kernel_vsyscall` enters the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyscallEntry {
    /// `sysenter`, returning with `sysexit` when it can (Linux's default).
    #[default]
    Sysenter,
    /// `int $0x80` (the sysenter sequence patched to nops, as Linux's
    /// ALTERNATIVE leaves it on a CPU without a fast entry).
    Int80,
}

/// Where things went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub base: u32,
    pub landing_pad: u32,
}

/// Map [vvar] and the vDSO top-down below `mmap_low` (the first mmap of a
/// new process, as in Linux's arch_setup_additional_pages).
pub fn map(mem: &Mem, mmap_low: u32, entry: SyscallEntry) -> Result<(Vdso, Mapped), LoadError> {
    let size = VDSO_PAGES * PAGE_SIZE;
    let base = mmap_low
        .checked_sub(size)
        .ok_or_else(|| super::invalid("no room for the vDSO"))?;
    let vvar = base - VVAR_PAGES * PAGE_SIZE;
    mem.map_zero(vvar, VVAR_PAGES * PAGE_SIZE, P_READ);
    mem.map_zero(base, size, P_READ);
    let mut img = IMAGE.to_vec();
    if entry == SyscallEntry::Int80 {
        // Linux's ALTERNATIVE leaves nops when there is no fast entry.
        let s = SYSENTER_SEQ as usize;
        img[s..s + 4].copy_from_slice(&[0x8d, 0x74, 0x26, 0x00]); // lea 0(%esi,%eiz,1),%esi
    }
    mem.write_raw(base, &img);
    mem.set_perm(base, size, crate::mem::P_PRESENT | P_READ | P_EXEC);
    Ok((
        Vdso {
            sysinfo: base + KERNEL_VSYSCALL,
            ehdr: base,
        },
        Mapped {
            base,
            landing_pad: base + INT80_LANDING_PAD,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_layout_matches_the_offsets() {
        let at = |o: u32, n: usize| &IMAGE[o as usize..o as usize + n];
        assert_eq!(&IMAGE[..4], b"\x7fELF");
        // push ecx; push edx; push ebp; mov esp,ebp; sysenter; int $0x80; pop ebp
        assert_eq!(
            at(KERNEL_VSYSCALL, 10),
            &[0x51, 0x52, 0x55, 0x89, 0xe5, 0x0f, 0x34, 0xcd, 0x80, 0x5d]
        );
        assert_eq!(at(INT80_LANDING_PAD - 2, 2), &[0xcd, 0x80]);
        // pop eax; mov $119,eax; int $0x80 / mov $173,eax; int $0x80
        assert_eq!(
            at(KERNEL_SIGRETURN, 8),
            &[0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80]
        );
        assert_eq!(
            at(KERNEL_RT_SIGRETURN, 7),
            &[0xb8, 173, 0, 0, 0, 0xcd, 0x80]
        );
        assert!(IMAGE.len() as u32 <= VDSO_PAGES * PAGE_SIZE);
    }

    #[test]
    fn maps_where_native_does() {
        let mem = Mem::new().unwrap();
        let (v, m) = map(&mem, super::super::MMAP_BASE, SyscallEntry::Sysenter).unwrap();
        assert_eq!(v.ehdr, 0xf7ff_c000);
        assert_eq!(v.sysinfo, 0xf7ff_c5e0);
        assert_eq!(m.landing_pad, 0xf7ff_c5e9);
        assert_eq!(mem.perm(0xf7ff6), crate::mem::P_PRESENT | P_READ);
        assert_eq!(mem.perm(0xf7ffd), crate::mem::P_PRESENT | P_READ | P_EXEC);
    }
}
