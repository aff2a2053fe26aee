//! ELF loading and the initial process stack, as Linux (x86_64 kernel, i386
//! compat task, ASLR off: `setarch i686 -R`) does them.
//!
//! - [`elf`]: parse and check the headers, place the image (static `ET_EXEC`
//!   at its link address, static-PIE `ET_DYN` top-down below [`MMAP_BASE`]),
//!   and map each `PT_LOAD` with the kernel's page semantics.
//! - [`stack`]: lay out the initial stack byte for byte (strings, AT_RANDOM,
//!   platform string, argc/argv/envp, auxv) and map `[stack]`.
//!
//! Native facts this module reproduces (checked on the project host, Linux
//! 6.18, with `setarch i686 -R`, `/proc/self/maps` and `guest/stackdump`):
//! - The stack ends at 0xffffe000 (TASK_SIZE of a compat task). The top 8
//!   bytes (`sizeof(void *)` of the 64-bit kernel) are zero; the execfn
//!   string (the path given to execve) ends right below them, then the envp
//!   strings, then the argv strings (argv\[0\] lowest).
//! - Below the strings, rounded down to 16: "i686\0", then the 16 AT_RANDOM
//!   bytes, then (rounded down to 16 again) argc, argv, NULL, envp, NULL and
//!   the auxv in the order of [`stack::auxv`].
//! - `[stack]` spans from 128 KiB below the page holding the lowest string
//!   up to 0xffffe000 (0xfffdd000 for small argument lists), less when
//!   RLIMIT_STACK is smaller ([`layout`]).
//! - The mmap base follows RLIMIT_STACK ([`layout`]: 0xf7ffe000 for the
//!   usual 8 MiB). A static-PIE is mapped top-down below it, aligned down to
//!   its largest power-of-two `p_align` when that exceeds a page; its brk
//!   starts at 0x56555000.
//! - The \[vvar\] and \[vDSO\] pages (8 in all) go where `get_unmapped_area`
//!   finds room once the segments are mapped: the highest free range below
//!   the mmap base (0xf7ff6000 for a usual static program, lower when a
//!   segment is in the way), bottom-up in the legacy layout.
//! - brk of an `ET_EXEC` is the page-aligned end of its highest segment.
//! - No `PT_GNU_STACK` means READ_IMPLIES_EXEC: every readable mapping (and
//!   the stack and bss) is executable; `PT_GNU_STACK` with PF_X makes only
//!   the stack executable.

pub mod elf;
pub mod interp;
pub mod layout;
pub mod stack;
pub mod vdso;

pub use layout::Layout;

use crate::mem::Mem;

/// Where the initial stack ends (exclusive), as on native i386 with ASLR off.
/// This is also TASK_SIZE of a compat task: nothing may be mapped above it.
pub const STACK_TOP: u32 = 0xffff_e000;
/// Highest user address + 1 (TASK_SIZE of an i386 task on x86_64).
pub const TASK_SIZE: u32 = STACK_TOP;
/// Top of the top-down mmap area for the usual 8 MiB stack rlimit:
/// TASK_SIZE minus the minimum 128 MiB gap (see [`Layout::mmap_base`]).
pub const MMAP_BASE: u32 = STACK_TOP - (128 << 20);
/// Lowest address an ELF segment may occupy (vm.mmap_min_addr on the project
/// host; the kernel refuses lower mappings to unprivileged processes).
pub const MMAP_MIN_ADDR: u32 = 0x1000;
/// Initial brk of a static-PIE: ELF_ET_DYN_BASE as a compat task sees it on
/// this kernel (observed: `brk(NULL)` = 0x56555000), not the end of bss.
pub const STATIC_PIE_BRK: u32 = 0x5655_5000;
/// ELF_ET_DYN_BASE as an i386 task gets it with ASLR off: where a
/// position-independent program with an interpreter is mapped (observed:
/// a `gcc -m32 -pie` program at 0x56555000, natively and when an i386
/// process execs it).
pub const ET_DYN_BASE: u32 = 0x5655_5000;

/// EDX of CPUID leaf 1 as our CPU reports it (one definition, in the cpuid
/// code), so AT_HWCAP (which Linux fills from this register) agrees with it.
pub const CPUID_1_EDX: u32 = crate::cpu::exec::misc::feat::LEAF1_EDX;
/// AT_HWCAP: CPUID.1:EDX.
pub const HWCAP: u32 = CPUID_1_EDX;
/// AT_HWCAP2 as native on the project host: HWCAP2_FSGSBASE (bit 1).
pub const HWCAP2: u32 = 2;
/// AT_MINSIGSTKSZ: the largest signal frame emu builds, for the CPU it
/// emulates (no XSAVE), as Linux computes it for such a CPU.
pub const MINSIGSTKSZ: u32 = crate::kernel::abi::signal::min_sigstksz();
/// AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN as native.
pub const RSEQ_FEATURE_SIZE: u32 = 28;
pub const RSEQ_ALIGN: u32 = 32;
/// AT_PLATFORM string (ELF_PLATFORM of a compat task).
pub const PLATFORM: &[u8] = b"i686";

#[derive(Debug)]
pub enum LoadError {
    /// The program could not be opened (exit 127).
    NotFound(String),
    /// The program is not a loadable i386 executable (exit 126).
    Invalid(String),
    /// The arguments and environment exceed Linux's limits (E2BIG; 126).
    TooBig(String),
    /// The program's interpreter exists but may not be run (EACCES; 126).
    Access(String),
    /// The program's interpreter is not an i386 ELF file (ELIBBAD; 126).
    BadInterp(String),
    /// The program's interpreter is shorter than an ELF header (the
    /// kernel's read of it comes up short: EIO; 126).
    ShortInterp(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadError::NotFound(s)
            | LoadError::Invalid(s)
            | LoadError::TooBig(s)
            | LoadError::Access(s)
            | LoadError::BadInterp(s)
            | LoadError::ShortInterp(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for LoadError {}

pub(crate) fn invalid(s: impl Into<String>) -> LoadError {
    LoadError::Invalid(s.into())
}

/// A mapped vDSO, for AT_SYSINFO (`__kernel_vsyscall`) and AT_SYSINFO_EHDR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vdso {
    pub sysinfo: u32,
    pub ehdr: u32,
}

/// What the loader set up.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub entry: u32,
    pub sp: u32,
    /// Initial program break (page-aligned end of bss; [`STATIC_PIE_BRK`]
    /// for a static-PIE).
    pub brk: u32,
    /// Lowest address of the `[stack]` mapping (it ends at [`STACK_TOP`]).
    /// Native Linux grows the stack down on faults up to RLIMIT_STACK.
    pub stack_start: u32,
    /// Load bias (0 for `ET_EXEC`).
    pub bias: u32,
    /// AT_PHDR / AT_PHNUM.
    pub phdr: u32,
    pub phnum: u32,
    /// The stack is executable (PT_GNU_STACK with PF_X, or no PT_GNU_STACK).
    pub exec_stack: bool,
    /// No PT_GNU_STACK: the READ_IMPLIES_EXEC personality, under which every
    /// later PROT_READ mapping (mmap, mprotect, brk) is executable too.
    pub read_implies_exec: bool,
    /// The layout the program was loaded with (its mmap base and
    /// direction follow from it).
    pub layout: Layout,
    /// The 16 AT_RANDOM bytes and where they are.
    pub random: [u8; 16],
    pub random_addr: u32,
    /// Where the AT_EXECFN string is.
    pub execfn_addr: u32,
    /// Every file-backed page is a host mapping of the executable (see
    /// [`elf::map`]), not a copy.
    pub file_mapped: bool,
    /// The argv strings are [arg_start, arg_end), the envp strings
    /// [arg_end, env_end) (what /proc/self/cmdline and environ show).
    pub arg_start: u32,
    pub arg_end: u32,
    pub env_end: u32,
    /// The auxv the stack holds, AT_NULL last (what /proc/self/auxv shows).
    pub auxv: Vec<(u32, u32)>,
    /// The interpreter, when the program has one (`entry` is then its).
    pub interp: Option<LoadedInterp>,
}

/// A mapped interpreter, for the memory map.
#[derive(Clone, Debug)]
pub struct LoadedInterp {
    pub plan: elf::Plan,
    /// The open file its segments map.
    pub file: std::sync::Arc<std::fs::File>,
    /// Its name in `/proc/self/maps`.
    pub name: String,
    /// Every file-backed page is a host mapping of `file`.
    pub file_mapped: bool,
}

/// Map `[addr, addr+len)` as anonymous zero pages with `prot`. The loader
/// works on a fresh [`Mem`] whose never-mapped pages are zero, so only pages
/// that are already mapped (shared with an earlier segment) are cleared;
/// a huge bss costs nothing until the guest touches it.
pub(crate) fn map_anon(mem: &Mem, addr: u32, len: u32, prot: u8) {
    if len == 0 {
        return;
    }
    for p in crate::mem::page_range(addr, len) {
        if mem.perm(p) & crate::mem::P_PRESENT != 0 {
            let a = p << crate::mem::PAGE_SHIFT;
            mem.fill_raw(a, crate::mem::PAGE_SIZE, 0);
        }
    }
    mem.set_perm(addr, len, prot | crate::mem::P_PRESENT);
}

/// The checks [`load`] makes before it maps anything: the headers, the
/// argument limits and the placement (execve fails with the caller intact
/// when these do).
pub fn check(
    image: &[u8],
    execfn: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    layout: &Layout,
    sysroot: Option<&std::path::Path>,
) -> Result<(), LoadError> {
    let elf = elf::Elf::parse(image)?;
    let strings = stack::Strings::new(execfn, argv, envp, layout)?;
    elf.plan(strings.stack_low_bound(true), layout)?;
    if let Some(name) = &elf.interp {
        interp::open(name, sysroot)?;
    }
    Ok(())
}

/// Load a static i386 ELF image into a fresh `mem` (never used before: its
/// pages are all zero) and build the initial stack, without a vDSO, with
/// the default [`Layout`].
pub fn load(
    mem: &Mem,
    image: &[u8],
    execfn: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, LoadError> {
    let layout = Layout::default();
    load_with(
        mem,
        image,
        None,
        execfn,
        argv,
        envp,
        &layout,
        None,
        |_, _| Ok(None),
    )
}

/// Like [`load`], with a hook that maps the vDSO once the image is in
/// place and before the stack tables are written, as Linux does
/// (`arch_setup_additional_pages` between the segments and
/// `create_elf_tables`). The hook gets the memory and where the vvar and
/// vDSO pages go (the start of a free range of [`vdso::AREA`] bytes, as
/// `get_unmapped_area` finds it: [`Layout::place`]) and returns the
/// AT_SYSINFO / AT_SYSINFO_EHDR values, or None to leave both out of the
/// auxv. With `file` (the open executable `image` was read or mapped from)
/// the segments are host mappings of the file instead of copies
/// ([`elf::map`]). `layout` gives the stack rlimit and the mmap direction.
/// A program with a PT_INTERP gets its interpreter mapped after its own
/// segments ([`interp`]), looked up under `sysroot` first.
#[allow(clippy::too_many_arguments)]
pub fn load_with<F>(
    mem: &Mem,
    image: &[u8],
    file: Option<std::os::fd::BorrowedFd<'_>>,
    execfn: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    layout: &Layout,
    sysroot: Option<&std::path::Path>,
    vdso: F,
) -> Result<Loaded, LoadError>
where
    F: FnOnce(&Mem, u32) -> Result<Option<Vdso>, LoadError>,
{
    let elf = elf::Elf::parse(image)?;
    // The strings go first (Linux copies them before it maps anything); they
    // fix how far down the stack reaches, which segments must not touch.
    let strings = stack::Strings::new(execfn, argv, envp, layout)?;
    let stack_low = strings.stack_low_bound(true);
    let plan = elf.plan(stack_low, layout)?;
    // Opened (and checked) before anything is mapped.
    let ld = match &elf.interp {
        Some(name) => Some(interp::open(name, sysroot)?),
        None => None,
    };
    let file_mapped = elf::map(mem, image, &plan, file);

    let mut busy: Vec<(u32, u32)> = plan.segs.iter().map(|s| s.pages()).collect();
    let interp = match ld {
        Some(ld) => {
            use std::os::fd::AsFd;
            let ip = ld.plan(&busy, plan.bias, stack_low, layout, plan.read_implies_exec)?;
            let mapped = elf::map(mem, &ld.image, &ip, Some(ld.file.as_fd()));
            busy.extend(ip.segs.iter().map(|s| s.pages()));
            Some(LoadedInterp {
                plan: ip,
                file: ld.file,
                name: ld.name,
                file_mapped: mapped,
            })
        }
        None => None,
    };
    let area = layout
        .place(&busy, stack_low, vdso::AREA)
        .ok_or_else(|| invalid("no room for the vDSO"))?;
    let vdso = vdso(mem, area)?;
    let mut random = [0u8; 16];
    stack::fill_random(&mut random);
    let info = stack::AuxInfo {
        vdso,
        phdr: plan.phdr,
        phnum: elf.phnum as u32,
        entry: plan.entry,
        base: interp.as_ref().map_or(0, |i| i.plan.bias),
        uid: unsafe { libc::getuid() },
        euid: unsafe { libc::geteuid() },
        gid: unsafe { libc::getgid() },
        egid: unsafe { libc::getegid() },
        random,
    };
    let img = strings.build(&info);
    let stack_start = img.stack_start;
    stack::map(mem, &img, stack_start, plan.exec_stack);
    Ok(Loaded {
        entry: interp.as_ref().map_or(plan.entry, |i| i.plan.entry),
        sp: img.sp,
        brk: plan.brk,
        stack_start,
        bias: plan.bias,
        phdr: plan.phdr,
        phnum: elf.phnum as u32,
        exec_stack: plan.exec_stack,
        read_implies_exec: plan.read_implies_exec,
        layout: *layout,
        random,
        random_addr: img.random_addr,
        execfn_addr: img.execfn_addr,
        file_mapped,
        arg_start: img.arg_start,
        arg_end: img.arg_end,
        env_end: img.env_end,
        auxv: img.auxv,
        interp,
    })
}

#[cfg(test)]
mod tests {
    use super::elf::tests::Builder;
    use super::elf::*;
    use super::*;
    use crate::mem::{P_EXEC, P_PRESENT, P_READ, P_WRITE};

    fn image(e_type: u16, stack_flags: Option<u32>) -> Vec<u8> {
        let base = if e_type == ET_DYN { 0 } else { 0x0804_8000 };
        let mut b = Builder::new(e_type)
            .ph(PT_LOAD, 0, base, 0x1000, 0x1000, PF_R)
            .ph(PT_LOAD, 0x1000, base + 0x1000, 0x10, 0x10, PF_R | PF_X)
            .ph(PT_LOAD, 0x1010, base + 0x2010, 0x20, 0x3000, PF_R | PF_W);
        if let Some(f) = stack_flags {
            b = b.ph(PT_GNU_STACK, 0, 0, 0, 0, f);
        }
        b.entry = base + 0x1000;
        b.body = vec![0x90; 0x40];
        b.build()
    }

    fn args() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        (vec![b"./p".to_vec(), b"x".to_vec()], vec![b"A=1".to_vec()])
    }

    #[test]
    fn loads_exec_and_builds_stack() {
        let mem = Mem::new().unwrap();
        let (argv, envp) = args();
        let img = image(ET_EXEC, Some(PF_R | PF_W));
        let l = load(&mem, &img, b"./p", &argv, &envp).unwrap();
        assert_eq!(l.entry, 0x0804_9000);
        assert_eq!(l.brk, 0x0804_e000); // pagealign(0x0804a010 + 0x3000)
        assert_eq!(l.bias, 0);
        assert_eq!(l.phdr, 0x0804_8034);
        assert_eq!(l.phnum, 4);
        assert_eq!(l.stack_start, 0xfffd_d000);
        assert_eq!(l.sp & 15, 0);
        assert!(!l.exec_stack && !l.read_implies_exec);
        assert_eq!(mem.perm(0xfffdd), P_PRESENT | P_READ | P_WRITE);
        assert_eq!(mem.perm(0xffffd), P_PRESENT | P_READ | P_WRITE);
        assert_eq!(mem.perm(0xfffdc), 0);
        assert_eq!(mem.perm(0xffffe), 0);
        assert_eq!(mem.read_u32(l.sp).unwrap(), 2);
        let a0 = mem.read_u32(l.sp + 4).unwrap();
        assert_eq!(mem.read_cstr(a0, 64).unwrap(), b"./p");
        assert_eq!(mem.read_cstr(l.execfn_addr, 64).unwrap(), b"./p");
        assert_eq!(l.execfn_addr, 0xffff_dff8 - 4);
        assert_eq!(mem.read_raw(l.random_addr, 16), &l.random[..]);
        // auxv: AT_MINSIGSTKSZ first without a vDSO.
        assert_eq!(mem.read_u32(l.sp + 4 * 6).unwrap(), stack::AT_MINSIGSTKSZ);
    }

    #[test]
    fn exec_stack_and_read_implies_exec() {
        let (argv, envp) = args();
        let mem = Mem::new().unwrap();
        let l = load(
            &mem,
            &image(ET_EXEC, Some(PF_R | PF_W | PF_X)),
            b"p",
            &argv,
            &envp,
        )
        .unwrap();
        assert!(l.exec_stack && !l.read_implies_exec);
        assert_eq!(mem.perm(0xffffd), P_PRESENT | P_READ | P_WRITE | P_EXEC);
        assert_eq!(mem.perm(0x08048), P_PRESENT | P_READ);
        let mem = Mem::new().unwrap();
        let l = load(&mem, &image(ET_EXEC, None), b"p", &argv, &envp).unwrap();
        assert!(l.exec_stack && l.read_implies_exec);
        assert_eq!(mem.perm(0xffffd), P_PRESENT | P_READ | P_WRITE | P_EXEC);
        assert_eq!(mem.perm(0x08048), P_PRESENT | P_READ | P_EXEC);
    }

    #[test]
    fn static_pie_and_vdso_hook() {
        let (argv, envp) = args();
        let mem = Mem::new().unwrap();
        let img = image(ET_DYN, Some(PF_R | PF_W));
        let mut seen = 0;
        let layout = Layout::default();
        let l = load_with(
            &mem,
            &img,
            None,
            b"p",
            &argv,
            &envp,
            &layout,
            None,
            |m, area| {
                seen = area;
                assert_eq!(m.perm((area + vdso::AREA) >> 12), P_PRESENT | P_READ);
                Ok(Some(Vdso {
                    sysinfo: 0x1234,
                    ehdr: 0x5000,
                }))
            },
        )
        .unwrap();
        // Span 0..0x5010 -> 6 pages below 0xf7ffe000.
        assert_eq!(l.bias, 0xf7ff_8000);
        // The vDSO area right below it.
        assert_eq!(seen, 0xf7ff_8000 - vdso::AREA);
        assert_eq!(l.entry, 0xf7ff_9000);
        assert_eq!(l.brk, STATIC_PIE_BRK);
        assert_eq!(mem.read_raw(0xf7ff_9000, 1), &[0x90]);
        // AT_SYSINFO leads the auxv.
        let auxv = l.sp + 4 * 6; // argc, argv[2], NULL, envp[1], NULL
        assert_eq!(mem.read_u32(auxv).unwrap(), stack::AT_SYSINFO);
        assert_eq!(mem.read_u32(auxv + 4).unwrap(), 0x1234);
        assert_eq!(mem.read_u32(auxv + 8).unwrap(), stack::AT_SYSINFO_EHDR);
        assert_eq!(mem.read_u32(auxv + 12).unwrap(), 0x5000);
    }

    #[test]
    fn errors_are_invalid_not_panics() {
        let mem = Mem::new().unwrap();
        let (_, envp) = args();
        let huge = vec![vec![b'a'; 200 * 1024]];
        let img = image(ET_EXEC, Some(PF_R | PF_W));
        match load(&mem, &img, b"p", &huge, &envp) {
            Err(LoadError::TooBig(m)) => assert!(m.contains("argument list too long")),
            other => panic!("{other:?}"),
        }
        for n in 0..img.len().min(200) {
            assert!(load(&Mem::new().unwrap(), &img[..n], b"p", &huge, &envp).is_err());
        }
    }
}
