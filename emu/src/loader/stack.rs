//! The initial process stack, byte for byte as Linux builds it for an i386
//! task on an x86_64 kernel with ASLR off (fs/exec.c copy_strings and
//! fs/binfmt_elf.c create_elf_tables; verified with guest/stackdump).
//!
//! From the top (0xffffe000) down:
//! - 8 zero bytes (`vma->vm_end - sizeof(void *)`, a 64-bit kernel's pointer);
//! - the execfn string (the path given to execve), then the envp strings
//!   (last first), then the argv strings (last first), each NUL-terminated;
//!   an empty argv gets one "" (Linux >= 5.18);
//! - round down to 16 (`arch_align_stack` without randomisation);
//! - the platform string "i686\0", then the 16 AT_RANDOM bytes;
//! - `(p - 4 * (auxv words + argc + 1 + envc + 1 + 1)) & !15` is the initial
//!   esp, holding argc, argv[], NULL, envp[], NULL and the auxv, with zero
//!   padding between the end of the auxv and the random bytes.
//!
//! `[stack]` spans from 128 KiB ([`STACK_EXPAND`]) below the page of the
//! lowest string, or less if RLIMIT_STACK is smaller, up to [`STACK_TOP`]
//! (or lower, if the tables need it: see [`Layout::stack_start`]).
//! Argument limits are Linux's: each string at most 128 KiB, all strings
//! plus 8 bytes per pointer at most a quarter of RLIMIT_STACK, between 128
//! KiB and 6 MiB ([`Layout::arg_limit`]; E2BIG).

#[cfg(doc)]
use super::layout::STACK_EXPAND;
use super::{
    layout::Layout, map_anon, LoadError, Vdso, HWCAP, HWCAP2, MINSIGSTKSZ, PLATFORM, RSEQ_ALIGN,
    RSEQ_FEATURE_SIZE, STACK_TOP,
};
use crate::mem::{Mem, P_EXEC, P_READ, P_WRITE};

pub const AT_NULL: u32 = 0;
pub const AT_PHDR: u32 = 3;
pub const AT_PHENT: u32 = 4;
pub const AT_PHNUM: u32 = 5;
pub const AT_PAGESZ: u32 = 6;
pub const AT_BASE: u32 = 7;
pub const AT_FLAGS: u32 = 8;
pub const AT_ENTRY: u32 = 9;
pub const AT_UID: u32 = 11;
pub const AT_EUID: u32 = 12;
pub const AT_GID: u32 = 13;
pub const AT_EGID: u32 = 14;
pub const AT_PLATFORM: u32 = 15;
pub const AT_HWCAP: u32 = 16;
pub const AT_CLKTCK: u32 = 17;
pub const AT_SECURE: u32 = 23;
pub const AT_RANDOM: u32 = 25;
pub const AT_HWCAP2: u32 = 26;
pub const AT_RSEQ_FEATURE_SIZE: u32 = 27;
pub const AT_RSEQ_ALIGN: u32 = 28;
pub const AT_EXECFN: u32 = 31;
pub const AT_SYSINFO: u32 = 32;
pub const AT_SYSINFO_EHDR: u32 = 33;
pub const AT_MINSIGSTKSZ: u32 = 51;

/// Auxv entries without the vDSO pair, AT_NULL included.
pub const AUXV_PAIRS: u32 = 22;

/// MAX_ARG_STRLEN: the longest argument or environment string, NUL included.
const MAX_ARG_STRLEN: u64 = 32 * 4096;
/// sizeof(void *) of the (64-bit) kernel: the gap at the top of the stack
/// and the per-pointer charge of the argument limit.
const KPTR: u64 = 8;

fn cstr(s: &[u8]) -> &[u8] {
    // execve takes C strings: anything after a NUL is not passed.
    match s.iter().position(|&c| c == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

/// The argument strings, placed at the top of the stack.
#[derive(Clone, Debug)]
pub struct Strings<'a> {
    execfn: &'a [u8],
    argv: Vec<&'a [u8]>,
    envp: Vec<&'a [u8]>,
    execfn_addr: u32,
    argv_addr: Vec<u32>,
    envp_addr: Vec<u32>,
    /// Address of the lowest string (argv[0]).
    low: u32,
    layout: Layout,
}

/// The auxv values that do not come from the stack layout itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuxInfo {
    pub vdso: Option<Vdso>,
    pub phdr: u32,
    pub phnum: u32,
    pub entry: u32,
    /// AT_BASE: the interpreter's load bias (0 without one).
    pub base: u32,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub random: [u8; 16],
}

/// The finished stack: `bytes` go at `[sp, STACK_TOP)`.
#[derive(Clone, Debug)]
pub struct StackImage {
    pub sp: u32,
    pub bytes: Vec<u8>,
    pub low: u32,
    pub random_addr: u32,
    pub platform_addr: u32,
    pub execfn_addr: u32,
    /// mm->arg_start, arg_end (= env_start) and env_end: the argv strings
    /// and the envp strings right above them.
    pub arg_start: u32,
    pub arg_end: u32,
    pub env_end: u32,
    /// Start of the `[stack]` mapping.
    pub stack_start: u32,
    /// The auxv as written, AT_NULL last (mm->saved_auxv: /proc/self/auxv).
    pub auxv: Vec<(u32, u32)>,
}

impl StackImage {
    /// The 32-bit word at `addr` (test helper).
    pub fn word(&self, addr: u32) -> u32 {
        let o = (addr - self.sp) as usize;
        u32::from_le_bytes([
            self.bytes[o],
            self.bytes[o + 1],
            self.bytes[o + 2],
            self.bytes[o + 3],
        ])
    }
}

impl<'a> Strings<'a> {
    /// Place the strings as execve does under `layout`'s stack rlimit, or
    /// fail with E2BIG.
    pub fn new(
        execfn: &'a [u8],
        argv: &'a [Vec<u8>],
        envp: &'a [Vec<u8>],
        layout: &Layout,
    ) -> Result<Strings<'a>, LoadError> {
        let execfn = cstr(execfn);
        let mut argv: Vec<&[u8]> = argv.iter().map(|a| cstr(a)).collect();
        let envp: Vec<&[u8]> = envp.iter().map(|a| cstr(a)).collect();
        // bprm_stack_limits.
        let mut limit = layout.arg_limit();
        let ptr_size = (argv.len().max(1) as u64 + envp.len() as u64) * KPTR;
        if limit <= ptr_size {
            return Err(e2big());
        }
        limit -= ptr_size;
        let top = STACK_TOP as u64 - KPTR;
        let argmin = top - limit;
        let mut p = top;
        let mut put = |s: &[u8]| -> Result<u32, LoadError> {
            let n = s.len() as u64 + 1;
            if n > MAX_ARG_STRLEN || p < argmin + n {
                return Err(e2big());
            }
            p -= n;
            Ok(p as u32)
        };
        let execfn_addr = put(execfn)?;
        let mut envp_addr = vec![0; envp.len()];
        for (a, s) in envp_addr.iter_mut().zip(&envp).rev() {
            *a = put(s)?;
        }
        if argv.is_empty() {
            argv.push(b"");
        }
        let mut argv_addr = vec![0; argv.len()];
        for (a, s) in argv_addr.iter_mut().zip(&argv).rev() {
            *a = put(s)?;
        }
        Ok(Strings {
            execfn,
            argv,
            envp,
            execfn_addr,
            argv_addr,
            envp_addr,
            low: p as u32,
            layout: *layout,
        })
    }

    /// (platform string, random bytes, initial esp) addresses.
    fn layout(&self, vdso: bool) -> (u32, u32, u32) {
        let p = self.low & !15;
        let platform = p - (PLATFORM.len() as u32 + 1);
        let random = platform - 16;
        let pairs = AUXV_PAIRS + if vdso { 2 } else { 0 };
        let items = (self.argv.len() + 1 + self.envp.len() + 1 + 1) as u32;
        let sp = (random - 4 * (2 * pairs + items)) & !15;
        (platform, random, sp)
    }

    /// The lowest address the stack mapping will have (with or without the
    /// vDSO auxv pair).
    pub fn stack_low_bound(&self, vdso: bool) -> u32 {
        let (_, _, sp) = self.layout(vdso);
        self.layout.stack_start(self.low & !0xfff, sp & !0xfff)
    }

    /// Build the stack contents.
    pub fn build(&self, info: &AuxInfo) -> StackImage {
        let (platform_addr, random_addr, sp) = self.layout(info.vdso.is_some());
        let mut bytes = vec![0u8; (STACK_TOP - sp) as usize];
        let mut put = |addr: u32, b: &[u8]| {
            let o = (addr - sp) as usize;
            bytes[o..o + b.len()].copy_from_slice(b);
        };
        put(self.execfn_addr, self.execfn);
        for (&a, s) in self.envp_addr.iter().zip(&self.envp) {
            put(a, s);
        }
        for (&a, s) in self.argv_addr.iter().zip(&self.argv) {
            put(a, s);
        }
        put(platform_addr, PLATFORM);
        put(random_addr, &info.random);
        let mut words = Vec::with_capacity(self.argv.len() + self.envp.len() + 3 + 48);
        words.push(self.argv.len() as u32);
        words.extend_from_slice(&self.argv_addr);
        words.push(0);
        words.extend_from_slice(&self.envp_addr);
        words.push(0);
        let aux = auxv(info, random_addr, self.execfn_addr, platform_addr);
        for &(t, v) in &aux {
            words.push(t);
            words.push(v);
        }
        for (k, w) in words.iter().enumerate() {
            put(sp + 4 * k as u32, &w.to_le_bytes());
        }
        StackImage {
            sp,
            bytes,
            low: self.low,
            random_addr,
            platform_addr,
            execfn_addr: self.execfn_addr,
            arg_start: self.argv_addr[0],
            arg_end: self.envp_addr.first().copied().unwrap_or(self.execfn_addr),
            env_end: self.execfn_addr,
            stack_start: self.layout.stack_start(self.low & !0xfff, sp & !0xfff),
            auxv: aux,
        }
    }
}

fn e2big() -> LoadError {
    LoadError::TooBig("argument list too long".into())
}

/// The auxv in the order Linux writes it for a compat task (AT_NULL last).
pub fn auxv(info: &AuxInfo, random: u32, execfn: u32, platform: u32) -> Vec<(u32, u32)> {
    let mut v = Vec::with_capacity(AUXV_PAIRS as usize + 2);
    if let Some(d) = info.vdso {
        v.push((AT_SYSINFO, d.sysinfo));
        v.push((AT_SYSINFO_EHDR, d.ehdr));
    }
    v.extend([
        (AT_MINSIGSTKSZ, MINSIGSTKSZ),
        (AT_HWCAP, HWCAP),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, info.phdr),
        (AT_PHENT, 32),
        (AT_PHNUM, info.phnum),
        (AT_BASE, info.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, info.entry),
        (AT_UID, info.uid),
        (AT_EUID, info.euid),
        (AT_GID, info.gid),
        (AT_EGID, info.egid),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_HWCAP2, HWCAP2),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_RSEQ_FEATURE_SIZE, RSEQ_FEATURE_SIZE),
        (AT_RSEQ_ALIGN, RSEQ_ALIGN),
        (AT_NULL, 0),
    ]);
    v
}

/// Map `[stack_start, STACK_TOP)` and write the stack image.
pub fn map(mem: &Mem, img: &StackImage, stack_start: u32, exec: bool) {
    let prot = P_READ | P_WRITE | if exec { P_EXEC } else { 0 };
    map_anon(mem, stack_start, STACK_TOP - stack_start, prot);
    mem.write_raw(img.sp, &img.bytes);
}

/// Fill `buf` with random bytes (getrandom; a seeded hash if that fails).
pub fn fill_random(buf: &mut [u8; 16]) {
    let mut got = 0;
    while got < buf.len() {
        let n = unsafe {
            libc::getrandom(
                buf[got..].as_mut_ptr() as *mut libc::c_void,
                buf.len() - got,
                0,
            )
        };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    if got < buf.len() {
        use std::hash::{BuildHasher, Hasher};
        for (k, chunk) in buf.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(k);
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Native reference (setarch i686 -R, env -i A=1 B=two,
    /// `./stackdump x ""`): argv[0] at 0xffffdfd3, "x" at dfdf, "" at dfe1,
    /// "A=1" at dfe2, "B=two" at dfe6, execfn at dfec, platform at dfcb,
    /// random at dfbb, esp 0xffffded0 with the vDSO pair.
    #[test]
    fn matches_native_layout() {
        let argv = v(&["./stackdump", "x", ""]);
        let envp = v(&["A=1", "B=two"]);
        let s = Strings::new(b"./stackdump", &argv, &envp, &Layout::default()).unwrap();
        let info = AuxInfo {
            vdso: Some(Vdso {
                sysinfo: 0xf7ffc5e0,
                ehdr: 0xf7ffc000,
            }),
            phdr: 0x0804_8034,
            phnum: 5,
            entry: 0x0804_9000,
            base: 0,
            random: [7; 16],
            ..Default::default()
        };
        let img = s.build(&info);
        assert_eq!(img.sp, 0xffff_ded0);
        assert_eq!(img.execfn_addr, 0xffff_dfec);
        assert_eq!(img.platform_addr, 0xffff_dfcb);
        assert_eq!(img.random_addr, 0xffff_dfbb);
        assert_eq!(img.low, 0xffff_dfd3);
        assert_eq!(img.stack_start, 0xfffd_d000);
        let words: Vec<u32> = (0..8).map(|k| img.word(img.sp + 4 * k)).collect();
        assert_eq!(
            words,
            [3, 0xffffdfd3, 0xffffdfdf, 0xffffdfe1, 0, 0xffffdfe2, 0xffffdfe6, 0]
        );
        assert_eq!(img.word(img.sp + 32), AT_SYSINFO);
        assert_eq!(img.word(img.sp + 36), 0xf7ffc5e0);
        assert_eq!(img.word(img.sp + 44), 0xf7ffc000);
        assert_eq!(img.word(img.sp + 48), AT_MINSIGSTKSZ);
        // The top: execfn, then 8 zero bytes.
        assert_eq!(
            &img.bytes[img.bytes.len() - 20..],
            b"./stackdump\0\0\0\0\0\0\0\0\0"
        );
        assert_eq!(&img.bytes[(0xffffdfcb - img.sp) as usize..][..5], b"i686\0");
        // Without the vDSO the tables move up by 16 bytes, nothing else does.
        let img2 = s.build(&AuxInfo { vdso: None, ..info });
        assert_eq!(img2.sp, img.sp + 16);
        assert_eq!(img2.word(img2.sp + 32), AT_MINSIGSTKSZ);
        assert_eq!(img2.bytes[..32], img.bytes[..32]);
        assert_eq!(
            img2.bytes[(0xffffdfbb - img2.sp) as usize..],
            img.bytes[(0xffffdfbb - img.sp) as usize..]
        );
    }

    #[test]
    fn auxv_order_is_native() {
        let info = AuxInfo {
            vdso: Some(Vdso {
                sysinfo: 1,
                ehdr: 2,
            }),
            ..Default::default()
        };
        let types: Vec<u32> = auxv(&info, 0, 0, 0).iter().map(|p| p.0).collect();
        assert_eq!(
            types,
            [
                32, 33, 51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 27,
                28, 0
            ]
        );
        let info = AuxInfo::default();
        assert_eq!(auxv(&info, 0, 0, 0).len(), AUXV_PAIRS as usize);
        assert_eq!(auxv(&info, 0, 0, 0)[0], (AT_MINSIGSTKSZ, 0x5a0));
    }

    #[test]
    fn empty_argv_gets_an_empty_string() {
        let envp = v(&["A=1"]);
        let s = Strings::new(b"/p", &[], &envp, &Layout::default()).unwrap();
        let img = s.build(&AuxInfo::default());
        assert_eq!(img.word(img.sp), 1);
        let a0 = img.word(img.sp + 4);
        assert_eq!(a0, 0xffff_dff8 - 3 - 4 - 1);
        assert_eq!(img.bytes[(a0 - img.sp) as usize], 0);
        assert_eq!(img.word(img.sp + 8), 0);
    }

    #[test]
    fn strings_stop_at_nul() {
        let argv = v(&["ab\0cd"]);
        let s = Strings::new(b"x\0y", &argv, &[], &Layout::default()).unwrap();
        assert_eq!(s.execfn_addr, 0xffff_dff8 - 2);
        assert_eq!(s.low, 0xffff_dff8 - 2 - 3);
    }

    #[test]
    fn argument_limits() {
        let d = Layout::default();
        let big = vec![vec![b'a'; 128 * 1024]];
        assert!(Strings::new(b"p", &big, &[], &d).is_err());
        let ok = vec![vec![b'a'; 128 * 1024 - 1]];
        let s = Strings::new(b"p", &ok, &[], &d).unwrap();
        // 128 KiB below the page of the lowest string.
        assert_eq!(
            s.stack_low_bound(false),
            ((0xffff_dff8u32 - 2 - 128 * 1024) & !0xfff) - 0x20000
        );
        // A quarter of the 8 MiB rlimit in total.
        let many = vec![vec![b'a'; 100 * 1024]; 21];
        assert!(Strings::new(b"p", &many, &[], &d).is_err());
        let fits = vec![vec![b'a'; 100 * 1024]; 20];
        assert!(Strings::new(b"p", &fits, &[], &d).is_ok());
        // Many empty strings: the tables, not the strings, reach lowest.
        let empty = vec![Vec::new(); 100_000];
        let s = Strings::new(b"p", &empty, &[], &d).unwrap();
        let img = s.build(&AuxInfo::default());
        assert!(img.stack_start <= img.sp);
        assert_eq!(img.stack_start, img.sp & !0xfff);
    }
}
