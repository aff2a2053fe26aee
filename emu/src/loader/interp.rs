//! The program interpreter (`PT_INTERP`, usually `/lib/ld-linux.so.2`), as
//! Linux's `load_elf_binary` and `load_elf_interp` (fs/binfmt_elf.c) find,
//! check and map it.
//!
//! - **Finding it.** The name is looked up under the sysroot (`-L DIR` or
//!   `EMU_SYSROOT`) first, then on the host, as every absolute guest path
//!   is ([`crate::kernel::path`]); a relative name is relative to the
//!   current directory, as the kernel's `open_exec` has it. It must be a
//!   regular file the caller may execute (EACCES otherwise); a missing one
//!   is ENOENT (a shell's 127).
//! - **Checking it** before the point of no return: at least an ELF
//!   header long (EIO otherwise: the kernel's read comes up short), an ELF
//!   file for i386 (ELIBBAD otherwise), then the same header and segment
//!   checks as the program's own ([`Elf::parse`]).
//! - **Placing it** after the program's segments: an `ET_DYN`
//!   interpreter is one mapping of its whole span (`total_mapping_size`)
//!   wherever `get_unmapped_area` puts it: at its first segment's address
//!   when that is non-zero, free and the program is not itself
//!   position-independent, else top-down below the mmap base
//!   ([`Layout::place`]); an `ET_EXEC` one at its link addresses. With
//!   ASLR off that is 0xf7fc9000 for Debian's ld.so (span 0x35000 below
//!   0xf7ffe000), and the vDSO then goes right below it, as natively.
//! - Its segments get the program's READ_IMPLIES_EXEC (the personality is
//!   set before anything is mapped); the stack's executability is the
//!   program's alone. AT_BASE is its load bias and execution starts at its
//!   entry; AT_ENTRY and AT_PHDR stay the program's.

use super::elf::{Elf, Plan, ET_EXEC};
use super::{invalid, Layout, LoadError, MMAP_MIN_ADDR, TASK_SIZE};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An opened and checked interpreter.
pub struct Interp {
    pub file: Arc<std::fs::File>,
    pub image: memmap2::Mmap,
    pub elf: Elf,
    /// Its path as the guest sees it in `/proc/self/maps`: the file's
    /// real path (symlinks resolved, as `d_path` shows it), the sysroot
    /// prefix removed.
    pub name: String,
}

/// The host path for the interpreter `name`: under `sysroot` when it
/// exists there ([`in_sysroot`], as for any guest path), else `name`
/// itself.
pub fn host_path(name: &[u8], sysroot: Option<&Path>) -> PathBuf {
    if let (Some(root), Some(b'/')) = (sysroot, name.first()) {
        if let Some(p) = in_sysroot(root, name, true) {
            return PathBuf::from(std::ffi::OsStr::from_bytes(&p));
        }
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(name))
}

/// The host's openat2 struct open_how (the host's ABI, not the guest's:
/// emu's own lookups).
#[repr(C)]
pub struct HostOpenHow {
    pub flags: u64,
    pub mode: u64,
    pub resolve: u64,
}
/// openat2 RESOLVE_* flags (the host's).
pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub const RESOLVE_IN_ROOT: u64 = 0x10;

/// The absolute guest path `path` looked up inside `root` as under a
/// chroot: every symlink on the way, absolute ones included, resolves
/// inside `root` (openat2's RESOLVE_IN_ROOT), so a sysroot whose links
/// are absolute (`/lib/x -> /usr/lib/x`) works on a host without those
/// files. The final component is followed when `follow`. Returns the host
/// path it resolves to, or None when it is not there (the host's own file
/// is used then). On a host without openat2 (before 5.6), the path under
/// `root` as it is, if it exists (its links resolve on the host).
pub fn in_sysroot(root: &Path, path: &[u8], follow: bool) -> Option<Vec<u8>> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let r = std::ffi::CString::new(root.as_os_str().as_bytes()).ok()?;
    let p = std::ffi::CString::new(path).ok()?;
    let rfd = unsafe {
        libc::open(
            r.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if rfd < 0 {
        return None;
    }
    let rfd = unsafe { OwnedFd::from_raw_fd(rfd) };
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    let how = HostOpenHow {
        flags: (libc::O_PATH | libc::O_CLOEXEC | nofollow) as u64,
        mode: 0,
        resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            rfd.as_raw_fd(),
            p.as_ptr(),
            &how as *const HostOpenHow,
            std::mem::size_of::<HostOpenHow>(),
        )
    };
    if fd < 0 {
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS) {
            return None;
        }
        let mut cand = root.as_os_str().as_bytes().to_vec();
        cand.extend_from_slice(path);
        let c = PathBuf::from(std::ffi::OsStr::from_bytes(&cand));
        return std::fs::symlink_metadata(&c).is_ok().then_some(cand);
    }
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let real = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    Some(real.into_os_string().into_vec())
}

/// A host path as the guest sees it: the sysroot prefix removed.
pub fn guest_name(host: &Path, sysroot: Option<&Path>) -> String {
    let h = host.as_os_str().as_bytes();
    if let Some(root) = sysroot {
        let r = root.as_os_str().as_bytes();
        let r = r.strip_suffix(b"/").unwrap_or(r);
        if !r.is_empty() {
            if let Some(rest) = h.strip_prefix(r) {
                if rest.first() == Some(&b'/') {
                    return String::from_utf8_lossy(rest).into_owned();
                }
            }
        }
    }
    String::from_utf8_lossy(h).into_owned()
}

/// Open and check the interpreter `name` (open_exec plus the checks
/// load_elf_binary makes before the point of no return).
pub fn open(name: &[u8], sysroot: Option<&Path>) -> Result<Interp, LoadError> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = String::from_utf8_lossy(name).into_owned();
    let path = host_path(name, sysroot);
    let fail = |e: std::io::Error| {
        let m = format!("interpreter {shown}: {e}");
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound(m)
        } else {
            LoadError::Access(m)
        }
    };
    if name.is_empty() {
        return Err(fail(std::io::Error::from_raw_os_error(libc::ENOENT)));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&path)
        .map_err(fail)?;
    let md = file.metadata().map_err(fail)?;
    if md.is_dir() {
        return Err(fail(std::io::Error::from_raw_os_error(libc::EISDIR)));
    }
    let p = format!("/proc/self/fd/{}\0", file.as_raw_fd());
    let exec_ok = unsafe { libc::access(p.as_ptr() as *const libc::c_char, libc::X_OK) == 0 };
    if !md.is_file() || !exec_ok {
        return Err(fail(std::io::Error::from_raw_os_error(libc::EACCES)));
    }
    let bad = |why: &str| LoadError::BadInterp(format!("interpreter {shown}: {why}"));
    if md.len() < super::elf::EHDR_SIZE as u64 {
        // elf_read of the header comes up short.
        return Err(LoadError::ShortInterp(format!(
            "interpreter {shown}: shorter than an ELF header ({} bytes)",
            md.len()
        )));
    }
    let image = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
    if image[..4] != *b"\x7fELF" {
        return Err(bad("not an ELF file"));
    }
    // elf_check_arch: ELFCLASS32 and EM_386/EM_486.
    let machine = image.get(18..20).map(|m| u16::from_le_bytes([m[0], m[1]]));
    if image.get(4) != Some(&1) || !matches!(machine, Some(3) | Some(6)) {
        return Err(bad("not an i386 ELF file"));
    }
    let elf = Elf::parse(&image).map_err(|e| bad(&e.to_string()))?;
    let real = std::fs::read_link(p.trim_end_matches('\0'))
        .or_else(|_| std::fs::canonicalize(&path))
        .unwrap_or(path);
    Ok(Interp {
        file: Arc::new(file),
        image,
        elf,
        name: guest_name(&real, sysroot),
    })
}

impl Interp {
    /// Where the interpreter goes once the program's segments (`busy`,
    /// page ranges) are mapped; `main_bias` is the program's load bias.
    pub fn plan(
        &self,
        busy: &[(u32, u32)],
        main_bias: u32,
        stack_low: u32,
        layout: &Layout,
        read_implies_exec: bool,
    ) -> Result<Plan, LoadError> {
        let bias = if self.elf.e_type == ET_EXEC {
            0
        } else {
            let page = crate::mem::PAGE_SIZE as u64;
            let lo = self
                .elf
                .loads()
                .map(|(_, p)| p.p_vaddr as u64 & !(page - 1))
                .min()
                .unwrap_or(0);
            let hi = self
                .elf
                .loads()
                .map(|(_, p)| p.p_vaddr as u64 + p.p_memsz as u64)
                .max()
                .unwrap_or(0);
            let total = (hi - lo + page - 1) & !(page - 1);
            let first = self.elf.loads().next().map_or(0, |(_, p)| p.p_vaddr as u64) & !(page - 1);
            if total == 0 || total > TASK_SIZE as u64 {
                return Err(invalid("interpreter: bad segment span"));
            }
            // The hint: the first segment's address, unless the program
            // itself was relocated (load_elf_interp's no_base).
            let hint = if main_bias == 0 { first } else { 0 };
            let free = |at: u64| {
                at >= MMAP_MIN_ADDR as u64
                    && at + total
                        <= (stack_low as u64).saturating_sub(super::layout::STACK_GUARD_GAP as u64)
                    && busy
                        .iter()
                        .all(|&(s, e)| e as u64 <= at || at + total <= s as u64)
            };
            let at = if hint != 0 && free(hint) {
                hint
            } else {
                layout
                    .place(busy, stack_low, total as u32)
                    .ok_or_else(|| invalid("no room for the interpreter"))? as u64
            };
            (at as u32).wrapping_sub(first as u32)
        };
        self.elf
            .plan_at(bias, stack_low, read_implies_exec)
            .map_err(|e| invalid(format!("interpreter: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_path_prefers_the_sysroot() {
        let dir = std::env::temp_dir().join(format!("emu-interp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/ld.so"), b"x").unwrap();
        assert_eq!(host_path(b"/lib/ld.so", Some(&dir)), dir.join("lib/ld.so"));
        assert_eq!(
            host_path(b"/lib/none.so", Some(&dir)),
            Path::new("/lib/none.so")
        );
        assert_eq!(host_path(b"/lib/ld.so", None), Path::new("/lib/ld.so"));
        assert_eq!(host_path(b"ld.so", Some(&dir)), Path::new("ld.so"));
        assert_eq!(guest_name(&dir.join("lib/ld.so"), Some(&dir)), "/lib/ld.so");
        assert_eq!(
            guest_name(Path::new("/usr/lib32/x"), Some(&dir)),
            "/usr/lib32/x"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_interpreters_are_errors_not_panics() {
        let dir = std::env::temp_dir().join(format!("emu-interp-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ld");
        let set = |bytes: &[u8], mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(&f, bytes).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let name = f.as_os_str().as_bytes();
        let msg = |r: Result<Interp, LoadError>| match r {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        };
        assert!(matches!(
            msg(open(b"/nonexistent/ld", None)),
            LoadError::NotFound(_)
        ));
        set(b"\x7fELF\x01\x01\x01", 0o755);
        assert!(matches!(msg(open(name, None)), LoadError::ShortInterp(_)));
        set(b"#!/bin/sh\n", 0o755);
        assert!(matches!(msg(open(name, None)), LoadError::ShortInterp(_)));
        set(&[b'#'; 64], 0o755);
        assert!(matches!(msg(open(name, None)), LoadError::BadInterp(_)));
        let mut elf64 = vec![0u8; 64];
        elf64[..5].copy_from_slice(b"\x7fELF\x02");
        set(&elf64, 0o755);
        assert!(matches!(msg(open(name, None)), LoadError::BadInterp(_)));
        set(b"\x7fELF", 0o644);
        assert!(matches!(msg(open(name, None)), LoadError::Access(_)));
        assert!(matches!(
            msg(open(dir.as_os_str().as_bytes(), None)),
            LoadError::Access(_)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
