//! The vDSO: emu's own image (`emu/vdso/`, built from vdso.S and committed
//! as vdso.so), mapped where native Linux maps it, with the \[vvar\] pages
//! below it: one free range of [`AREA`] bytes that `get_unmapped_area`
//! finds after the program's segments are mapped (`map_vdso` in
//! arch/x86/entry/vdso/vma.c; [`super::Layout::place`]).

use super::{LoadError, Vdso};
use crate::mem::{Mem, PAGE_SIZE, P_EXEC, P_READ};

/// The image, built by `make -C emu/vdso`.
pub static IMAGE: &[u8] = include_bytes!("../../vdso/vdso.so");
/// Pages the vDSO mapping covers (native: two), and the \[vvar\] +
/// \[vvar_vclock\] pages below it (native: four + two).
pub const VDSO_PAGES: u32 = 2;
pub const VVAR_PAGES: u32 = 6;
/// The bytes of the whole block: \[vvar\], \[vvar_vclock\], \[vdso\].
pub const AREA: u32 = (VVAR_PAGES + VDSO_PAGES) * PAGE_SIZE;
/// Offsets inside the image (as in the native vDSO of the project's hosts).
pub const KERNEL_VSYSCALL: u32 = 0x5e0;
/// `movl %esp,%ebp; sysenter` (4 bytes) inside __kernel_vsyscall.
pub const SYSENTER_SEQ: u32 = 0x5e3;
/// The instruction after `int $0x80`, where both entry paths return.
pub const INT80_LANDING_PAD: u32 = 0x5e9;
/// The descriptor of the "Linux" note: LINUX_VERSION_CODE, written at
/// map time from the host kernel's release, as the native vDSO carries the
/// running kernel's.
pub const LINUX_VERSION: u32 = 0x288;
pub const KERNEL_SIGRETURN: u32 = 0x600;
pub const KERNEL_RT_SIGRETURN: u32 = 0x610;

/// Pages of \[vvar\] (the rest of the [`VVAR_PAGES`] are \[vvar_vclock\]).
pub const VVAR_DATA_PAGES: u32 = 4;

/// Whether page `page` of the vvar block (0..[`VVAR_PAGES`]: \[vvar\] then
/// \[vvar_vclock\]) is populated. The kernel maps a page only where it has
/// something to show (`vvar_fault`): the time data, the time namespace
/// page inside a time namespace, the getrandom state, the arch data, the
/// pvclock page when the clocksource is kvm-clock, the Hyper-V page; a
/// read of any other page raises SIGBUS (BUS_ADRERR). Which ones exist is
/// the host's business, and a compat process sees the same set as a
/// 64-bit one, so emu asks its own \[vvar\] pages once (a pipe write from
/// each: EFAULT for a hole). Hosts without them get the usual bare-metal
/// set: the time data and getrandom pages.
pub fn vvar_page_present(page: u32) -> bool {
    static PRESENT: std::sync::OnceLock<[bool; VVAR_PAGES as usize]> = std::sync::OnceLock::new();
    let p = PRESENT
        .get_or_init(|| host_vvar_pages().unwrap_or([true, false, true, false, false, false]));
    p.get(page as usize).copied().unwrap_or(false)
}

/// Probe this process's own [vvar] and [vvar_vclock] pages.
fn host_vvar_pages() -> Option<[bool; VVAR_PAGES as usize]> {
    let (vvar, vclock) = host_vvar_query().or_else(host_vvar_text)?;
    let mut fds = [0i32; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return None;
    }
    let mut out = [false; VVAR_PAGES as usize];
    for (k, o) in out.iter_mut().enumerate() {
        let k = k as u64;
        let a = if k < VVAR_DATA_PAGES as u64 {
            vvar + k * PAGE_SIZE as u64
        } else {
            vclock + (k - VVAR_DATA_PAGES as u64) * PAGE_SIZE as u64
        };
        // The kernel's copy from a hole fails with EFAULT instead of a
        // signal; a byte that made it is read back out.
        *o = unsafe { libc::write(fds[1], a as *const libc::c_void, 1) } == 1;
        if *o {
            let mut b = 0u8;
            unsafe { libc::read(fds[0], &mut b as *mut u8 as *mut libc::c_void, 1) };
        }
    }
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    Some(out)
}

/// The host's data pages below its own vDSO are [vvar] (the
/// [`VVAR_DATA_PAGES`]) then [vvar_vclock] (the rest).
const HOST_VVAR_BELOW: u64 = VVAR_PAGES as u64 * PAGE_SIZE as u64;
const HOST_VCLOCK_BELOW: u64 = (VVAR_PAGES - VVAR_DATA_PAGES) as u64 * PAGE_SIZE as u64;

/// Where [vvar] and [vvar_vclock] start in this process, found in the
/// text of /proc/self/maps by their names and sizes.
fn host_vvar_text() -> Option<(u64, u64)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let start_of = |name: &str, len: u64| {
        crate::hostmaps::lines(&maps)
            .find_map(|m| (m.path == Some(name) && m.end - m.start == len).then_some(m.start))
    };
    Some((
        start_of("[vvar]", HOST_VVAR_BELOW - HOST_VCLOCK_BELOW)?,
        start_of("[vvar_vclock]", HOST_VCLOCK_BELOW)?,
    ))
}

/// The same through the PROCMAP_QUERY ioctl on /proc/self/maps (Linux
/// 6.11 on), which names the VMA at an address without the kernel
/// writing out every line (about 2% of a start here went there): the
/// pages below the vDSO (AT_SYSINFO_EHDR), where Linux puts them, if
/// they are the VMAs of those names and sizes. None (the text is read
/// then) on older kernels or another layout.
fn host_vvar_query() -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    /// struct procmap_query (include/uapi/linux/fs.h).
    #[repr(C)]
    #[derive(Default)]
    struct Query {
        size: u64,
        query_flags: u64,
        query_addr: u64,
        vma_start: u64,
        vma_end: u64,
        vma_flags: u64,
        vma_page_size: u64,
        vma_offset: u64,
        inode: u64,
        dev_major: u32,
        dev_minor: u32,
        vma_name_size: u32,
        build_id_size: u32,
        vma_name_addr: u64,
        build_id_addr: u64,
    }
    const _: () = assert!(std::mem::size_of::<Query>() == 104);
    /// _IOWR('f', 17, struct procmap_query).
    const PROCMAP_QUERY: libc::c_ulong = 0xC068_6611;
    let ehdr = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
    if ehdr < HOST_VVAR_BELOW {
        return None;
    }
    let maps = std::fs::File::open("/proc/self/maps").ok()?;
    let vma = |start: u64, len: u64, name: &[u8]| {
        let mut got = [0u8; 32];
        let mut q = Query {
            size: std::mem::size_of::<Query>() as u64,
            query_addr: start,
            vma_name_size: got.len() as u32,
            vma_name_addr: got.as_mut_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: q is a whole procmap_query whose name buffer is `got`.
        let r = unsafe { libc::ioctl(maps.as_raw_fd(), PROCMAP_QUERY as _, &mut q) };
        let named = got.split(|&c| c == 0).next() == Some(name);
        (r == 0 && q.vma_start == start && q.vma_end == start + len && named).then_some(start)
    };
    let vvar = ehdr - HOST_VVAR_BELOW;
    let vclock = ehdr - HOST_VCLOCK_BELOW;
    Some((
        vma(vvar, HOST_VVAR_BELOW - HOST_VCLOCK_BELOW, b"[vvar]")?,
        vma(vclock, HOST_VCLOCK_BELOW, b"[vvar_vclock]")?,
    ))
}

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

/// Map \[vvar\] at `area` and the vDSO above it (`area`: a free range of
/// [`AREA`] bytes, as Linux's arch_setup_additional_pages gets it).
pub fn map(mem: &Mem, area: u32, entry: SyscallEntry) -> Result<(Vdso, Mapped), LoadError> {
    let size = VDSO_PAGES * PAGE_SIZE;
    if area as u64 + AREA as u64 > super::TASK_SIZE as u64 {
        return Err(super::invalid("no room for the vDSO"));
    }
    let vvar = area;
    let base = area + VVAR_PAGES * PAGE_SIZE;
    mem.map_zero(vvar, VVAR_PAGES * PAGE_SIZE, P_READ);
    for k in 0..VVAR_PAGES {
        if !vvar_page_present(k) {
            mem.unmap(vvar + k * PAGE_SIZE, PAGE_SIZE);
        }
    }
    mem.map_zero(base, size, P_READ);
    let mut img = IMAGE.to_vec();
    if entry == SyscallEntry::Int80 {
        // Linux's ALTERNATIVE leaves nops when there is no fast entry.
        let s = SYSENTER_SEQ as usize;
        img[s..s + 4].copy_from_slice(&[0x8d, 0x74, 0x26, 0x00]); // lea 0(%esi,%eiz,1),%esi
    }
    let v = LINUX_VERSION as usize;
    img[v..v + 4].copy_from_slice(&host_linux_version().to_le_bytes());
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

/// LINUX_VERSION_CODE of the host kernel (major << 16 | minor << 8 |
/// min(patch, 255)), from uname's release ("6.18.44-...": 0x06122c).
pub fn host_linux_version() -> u32 {
    static V: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut u) } != 0 {
            return 0;
        }
        let rel: Vec<u8> = u
            .release
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        linux_version_code(&String::from_utf8_lossy(&rel))
    })
}

fn linux_version_code(release: &str) -> u32 {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a.min(255) << 16) | (b.min(255) << 8) | c.min(255)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ioctl finds this process's [vvar] and [vvar_vclock] where the
    /// text of /proc/self/maps shows them; where it finds nothing, the
    /// kernel predates PROCMAP_QUERY or the pages are not below the vDSO.
    #[test]
    fn vvar_query_agrees_with_the_text() {
        let text = host_vvar_text();
        match host_vvar_query() {
            Some(q) => assert_eq!(Some(q), text),
            None => {
                let ehdr = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
                let below = Some((ehdr - HOST_VVAR_BELOW, ehdr - HOST_VCLOCK_BELOW));
                assert!(
                    host_linux_version() < 0x060b00 || text != below,
                    "PROCMAP_QUERY missed {text:x?}"
                );
            }
        }
    }

    #[test]
    fn linux_version_codes() {
        assert_eq!(linux_version_code("6.18.44-fc-v1272"), 0x06122c);
        assert_eq!(linux_version_code("5.10.300"), 0x050aff);
        assert_eq!(linux_version_code("6.1"), 0x060100);
        assert_eq!(linux_version_code(""), 0);
    }

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
        // The "Linux" note, its descriptor at LINUX_VERSION.
        assert_eq!(
            at(LINUX_VERSION - 20, 20),
            b"\x06\0\0\0\x04\0\0\0\0\0\0\0Linux\0\0\0"
        );
    }

    #[test]
    fn maps_where_native_does() {
        let mem = Mem::new().unwrap();
        let area = super::super::MMAP_BASE - AREA;
        let (v, m) = map(&mem, area, SyscallEntry::Sysenter).unwrap();
        assert_eq!(v.ehdr, 0xf7ff_c000);
        assert_eq!(v.sysinfo, 0xf7ff_c5e0);
        assert_eq!(m.landing_pad, 0xf7ff_c5e9);
        assert_eq!(mem.perm(0xf7ff6), crate::mem::P_PRESENT | P_READ);
        // The time data page exists everywhere; the arch data page (3) and
        // the Hyper-V page (5) nowhere emu runs.
        assert!(vvar_page_present(0));
        assert_eq!(mem.perm(0xf7ff9), 0);
        assert_eq!(mem.perm(0xf7ffb), 0);
        assert_eq!(mem.perm(0xf7ffd), crate::mem::P_PRESENT | P_READ | P_EXEC);
    }
}
