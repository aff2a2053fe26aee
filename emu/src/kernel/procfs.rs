//! Emulated /proc files: the ones whose host contents would describe the
//! emulator instead of the guest. [`super::path::resolve`] finds where a
//! path leads (every spelling: `//`, `.`, `..`, `self`, `thread-self`,
//! `task/<tid>`, `root`, a dirfd or working directory in /proc); a file of
//! the guest's own /proc/\<pid\> (or task/\<tid\>) directory is generated
//! when opened and served from a read-only memfd, so read, lseek, pread
//! and fstat work naturally, and generated again when read from offset 0.
//!
//! From guest state, in Linux's formats:
//! - `maps`, `smaps`, `smaps_rollup`, `numa_maps`: the guest VMA list.
//!   smaps and smaps_rollup have native's fields; their page counts (Rss,
//!   Pss, dirty/clean, Anonymous, Referenced) are approximations: the host
//!   pages resident under each VMA (mincore on the guest window), counted
//!   private, dirty when the mapping is anonymous or written. numa_maps
//!   has the VMA, policy and name exactly and approximate page counts.
//! - `auxv`: the auxv the loader wrote (mm->saved_auxv), sized as a compat
//!   task's is (the 32-bit pairs in unsigned longs, read up to the first
//!   zero long at an even index: 208 bytes for glibc's 23 entries).
//! - `statm`, `stat`, `status`: the host's file of the same task (the
//!   process and its times, ids, states are the host's: they are one
//!   process) with the memory fields (sizes, code/data/stack/arg/env
//!   bounds), FDSize and the signal masks replaced by the guest's.
//!   Resident counts are the mincore approximation.
//! - `syscall`: the calling thread's own syscall frame; another thread's
//!   is refused (EACCES: emu does not see other threads' frames).
//! - `personality`, `cmdline`, `environ`: the guest's.
//! - `mem`: [`super::procmem`].
//! - `/proc/cpuinfo`: the emulated CPU (vendor, family, flags from CPUID).
//!
//! Refused with EACCES: `pagemap` (host frame numbers of emu's memory) and
//! `map_files/` (host address ranges and files) of the guest's own process;
//! for other emu processes see [`super::path`]. Every other /proc file is
//! the host's, which for these is the same process's.
//!
//! `/proc/self/exe` and `/proc/self/fd/N` are links the walk follows to the
//! guest's program and files; readlink shows them too.

use std::ffi::CString;
use std::fmt::Write;
use std::sync::Arc;

use super::abi::errno::Errno;
use super::abi::fs::o;
use super::mm::{vm, Backing, Vma};
use super::path::{ProcLoc, Resolved};
use super::procmem::MemFile;
use super::task::Task;
use crate::cpu::exec::misc;
use crate::mem::{PAGE_SHIFT, PAGE_SIZE};

/// Which emulated /proc file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Maps,
    Smaps,
    SmapsRollup,
    NumaMaps,
    Auxv,
    Statm,
    Stat,
    Status,
    Syscall,
    Personality,
    Cmdline,
    Environ,
    Cpuinfo,
}

impl Kind {
    const ALL: [(Kind, &'static str); 12] = [
        (Kind::Maps, "maps"),
        (Kind::Smaps, "smaps"),
        (Kind::SmapsRollup, "smaps_rollup"),
        (Kind::NumaMaps, "numa_maps"),
        (Kind::Auxv, "auxv"),
        (Kind::Statm, "statm"),
        (Kind::Stat, "stat"),
        (Kind::Status, "status"),
        (Kind::Syscall, "syscall"),
        (Kind::Personality, "personality"),
        (Kind::Cmdline, "cmdline"),
        (Kind::Environ, "environ"),
    ];

    fn of_entry(e: &[u8]) -> Option<Kind> {
        Kind::ALL
            .iter()
            .find(|(_, n)| n.as_bytes() == e)
            .map(|(k, _)| *k)
    }

    fn name(self) -> &'static str {
        Kind::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("cpuinfo", |(_, n)| n)
    }
}

/// An emulated /proc file of an open guest fd: the kind and, for
/// task/\<tid\>/ (or /proc/\<tid\>/ of a non-leader thread), the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gen {
    pub kind: Kind,
    pub tid: Option<u32>,
}

impl Gen {
    /// The file's name in its /proc directory.
    pub fn name(self) -> &'static str {
        self.kind.name()
    }

    /// /proc/\<pid\> files are generated at read time (Linux's seq_file or
    /// a read of the process's memory): reading one from its start makes
    /// its contents again. They cannot be spliced from either.
    pub fn per_process(self) -> bool {
        self.kind != Kind::Cpuinfo
    }

    /// The host's file of the same kind, whose metadata fstat shows (procfs
    /// sizes are 0 and st_blksize 1024, which stdio sizes its buffer by).
    pub fn host_path(self) -> CString {
        let s = match (self.kind, self.tid) {
            (Kind::Cpuinfo, _) => "/proc/cpuinfo".to_string(),
            (k, Some(t)) => format!("/proc/self/task/{t}/{}", k.name()),
            (k, None) => format!("/proc/self/{}", k.name()),
        };
        CString::new(s).unwrap_or_default()
    }
}

/// What an open of an emulated /proc file gives.
pub enum Opened {
    /// A memfd with the contents.
    Gen(i32, Gen),
    /// /proc/\<pid\>/mem: a placeholder memfd and the file.
    Mem(i32, Arc<MemFile>),
}

/// The current contents of an emulated /proc file.
pub fn generate(p: &Task, g: Gen) -> Vec<u8> {
    match g.kind {
        Kind::Maps => maps(p),
        Kind::Smaps => smaps(p),
        Kind::SmapsRollup => smaps_rollup(p),
        Kind::NumaMaps => numa_maps(p),
        Kind::Auxv => auxv(p),
        Kind::Statm => statm(p),
        Kind::Stat => stat(p, g.tid),
        Kind::Status => status(p, g.tid),
        Kind::Syscall => syscall(p),
        Kind::Personality => format!("{:08x}\n", p.personality).into_bytes(),
        Kind::Cmdline => cmdline(p),
        Kind::Environ => environ(p),
        Kind::Cpuinfo => cpuinfo(),
    }
}

/// Open the file `r` names with guest `flags` if it is an emulated (or
/// refused) /proc file; None for every other file, which the host opens.
pub fn open(p: &Task, r: &Resolved, flags: u32) -> Option<Result<Opened, Errno>> {
    if flags & o::PATH != 0 {
        // An O_PATH descriptor reaches no contents.
        return None;
    }
    if r.proc.refused_open() {
        return Some(Err(Errno::EACCES));
    }
    let (kind, tid) = match &r.proc {
        ProcLoc::Cpuinfo => (Some(Kind::Cpuinfo), None),
        ProcLoc::Own { tid, entry } if entry == b"mem" => (None, *tid),
        ProcLoc::Own { tid, entry } => (Some(Kind::of_entry(entry)?), *tid),
        _ => return None,
    };
    Some(open_kind(p, r, kind, tid, flags))
}

fn open_kind(
    p: &Task,
    r: &Resolved,
    kind: Option<Kind>,
    tid: Option<u32>,
    flags: u32,
) -> Result<Opened, Errno> {
    if r.trailing_slash || flags & o::DIRECTORY != 0 {
        return Err(Errno::ENOTDIR);
    }
    if flags & (o::CREAT | o::EXCL) == o::CREAT | o::EXCL {
        return Err(Errno::EEXIST);
    }
    let Some(kind) = kind else {
        let h = placeholder(flags)?;
        return Ok(Opened::Mem(h, MemFile::new(p, flags & o::ACCMODE)));
    };
    if kind == Kind::Syscall && tid.unwrap_or(p.pid) != p.tid {
        // Another thread's frame is not this thread's to see.
        return Err(Errno::EACCES);
    }
    if flags & o::ACCMODE != o::RDONLY || flags & o::TRUNC != 0 {
        // The permission check is the host file's (same modes, owner).
        let hf = super::abi::fs::open_flags_to_host(flags) | libc::O_CLOEXEC;
        let h = unsafe { libc::open(r.host.as_ptr(), hf & !(libc::O_CREAT | libc::O_TRUNC)) };
        if h < 0 {
            return Err(Errno::last());
        }
        unsafe { libc::close(h) };
    }
    let g = Gen { kind, tid };
    memfd_with(b"proc", &generate(p, g), flags).map(|h| Opened::Gen(h, g))
}

/// The host fd standing for an open /proc/<pid>/mem: an empty memfd
/// (mode 0600) opened with the guest's access mode, so F_GETFL and fstat
/// look like a file's; its I/O is emu's (see [`super::procmem`]).
fn placeholder(flags: u32) -> Result<i32, Errno> {
    let h = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            c"proc-mem".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    } as i32;
    if h < 0 {
        return Err(Errno::last());
    }
    unsafe {
        libc::fchmod(h, 0o600);
        libc::fcntl(
            h,
            libc::F_ADD_SEALS,
            libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL,
        );
    }
    let acc = match flags & o::ACCMODE {
        o::WRONLY => libc::O_WRONLY,
        o::RDWR => libc::O_RDWR,
        _ => libc::O_RDONLY,
    };
    let path = format!("/proc/self/fd/{h}\0");
    let re = unsafe {
        libc::open(
            path.as_ptr() as *const libc::c_char,
            acc | libc::O_CLOEXEC | (flags & o::NONBLOCK) as i32,
        )
    };
    unsafe { libc::close(h) };
    if re < 0 {
        return Err(Errno::last());
    }
    Ok(re)
}

/// A sealed, read-only memfd holding `data`, positioned at 0.
pub fn memfd_with(name: &[u8], data: &[u8], flags: u32) -> Result<i32, Errno> {
    let mut n = name.to_vec();
    n.push(0);
    let h = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            n.as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    } as i32;
    if h < 0 {
        return Err(Errno::last());
    }
    let mut off = 0;
    while off < data.len() {
        let r = unsafe {
            libc::write(
                h,
                data[off..].as_ptr() as *const libc::c_void,
                data.len() - off,
            )
        };
        if r <= 0 {
            let e = Errno::last();
            unsafe { libc::close(h) };
            return Err(e);
        }
        off += r as usize;
    }
    unsafe {
        libc::fcntl(
            h,
            libc::F_ADD_SEALS,
            libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL,
        );
        libc::fchmod(h, 0o444);
        libc::lseek(h, 0, libc::SEEK_SET);
    }
    // Reopen read-only so F_GETFL and write() behave as for a read-only file.
    let path = format!("/proc/self/fd/{h}\0");
    let ro = unsafe {
        libc::open(
            path.as_ptr() as *const libc::c_char,
            libc::O_RDONLY | libc::O_CLOEXEC | (flags & o::NONBLOCK) as i32,
        )
    };
    if ro >= 0 {
        unsafe { libc::close(h) };
        Ok(ro)
    } else {
        Ok(h)
    }
}

/// The guest's /proc/self/maps, from the memory layer.
pub fn maps(p: &Task) -> Vec<u8> {
    super::mm::proc_maps(p).into_bytes()
}

/// Guest memory [a, b) as far as it is readable (Linux's access_remote_vm
/// stops at the first unreadable page).
fn guest_range(p: &Task, a: u32, b: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = a;
    while at < b {
        let n = (b - at).min(0x1000 - (at & 0xfff));
        if p.cpu
            .mem
            .check(at, n, crate::mem::P_READ, false, false)
            .is_err()
        {
            break;
        }
        let mut b = vec![0u8; n as usize];
        let got = p.cpu.mem.copy_checked(at, &mut b);
        out.extend_from_slice(&b[..got]);
        if got < n as usize {
            break;
        }
        at += n;
    }
    out
}

/// /proc/self/cmdline (get_mm_cmdline): the argv strings as they are in
/// guest memory now. When the program has overwritten the NUL ending them
/// (setproctitle), it is the first string from arg_start (up to a page,
/// with its NUL), which may run on into the environment.
pub fn cmdline(p: &Task) -> Vec<u8> {
    let (start, end, env_start, env_end) = {
        let mm = p.mm();
        (mm.arg_start, mm.arg_end, mm.env_start, mm.env_end)
    };
    if start >= end {
        return Vec::new();
    }
    // The overflow may only run into an environment right above argv.
    let env_end = if env_start != end || env_end < env_start {
        end
    } else {
        env_end
    };
    let len = env_end - start;
    if guest_range(p, end - 1, end)
        .first()
        .is_some_and(|&c| c != 0)
    {
        let page = guest_range(p, start, start.saturating_add(0x1000));
        let got = page.len();
        let mut n = page.iter().position(|&c| c == 0).unwrap_or(got);
        if n < got {
            n += 1;
        }
        return page[..n.min(len as usize)].to_vec();
    }
    guest_range(p, start, end)
}

/// /proc/self/environ: the envp strings area as it is in guest memory.
pub fn environ(p: &Task) -> Vec<u8> {
    let (start, end) = {
        let mm = p.mm();
        (mm.env_start, mm.env_end)
    };
    guest_range(p, start, end)
}

/// Host pages resident under guest [start, end) (mincore on the window):
/// the approximation behind the Rss-like counts.
fn resident(p: &Task, start: u32, end: u32) -> u64 {
    const CHUNK: u32 = 1 << 16; // pages per mincore call
    let mut n = 0u64;
    let mut at = start;
    let mut v = Vec::new();
    while at < end {
        let pages = ((end - at) >> PAGE_SHIFT).min(CHUNK);
        let len = pages << PAGE_SHIFT;
        let Some(h) = p.cpu.mem.host_range(at, len as usize) else {
            break;
        };
        v.resize(pages as usize, 0u8);
        if unsafe { libc::mincore(h as *mut libc::c_void, len as usize, v.as_mut_ptr()) } == 0 {
            n += v.iter().filter(|&&b| b & 1 != 0).count() as u64;
        }
        at = match at.checked_add(len) {
            Some(x) => x,
            None => break,
        };
    }
    n
}

/// Per-VMA page counts (kB) as smaps shows them.
#[derive(Default, Clone, Copy)]
struct Usage {
    rss: u64,
    private_clean: u64,
    private_dirty: u64,
    anonymous: u64,
    locked: u64,
    anon: bool,
    file: bool,
}

fn is_special(v: &Vma) -> bool {
    matches!(
        v.backing,
        Backing::Vvar | Backing::VvarVclock | Backing::Vdso
    )
}

fn usage(p: &Task, v: &Vma) -> Usage {
    let pages = if matches!(v.backing, Backing::Vvar | Backing::VvarVclock) {
        0
    } else {
        resident(p, v.start, v.end)
    };
    let kb = pages * (PAGE_SIZE as u64 / 1024);
    let anon = v.is_anonymous();
    let dirty = anon || v.flags & vm::WRITE != 0;
    Usage {
        rss: kb,
        private_clean: if dirty { 0 } else { kb },
        private_dirty: if dirty { kb } else { 0 },
        anonymous: if anon { kb } else { 0 },
        locked: if v.flags & vm::LOCKED != 0 { kb } else { 0 },
        anon,
        file: !anon && !is_special(v),
    }
}

/// show_smap_vma_flags: the mnemonics of the set vm_flags bits.
fn vm_flags_line(flags: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (vm::READ, "rd"),
        (vm::WRITE, "wr"),
        (vm::EXEC, "ex"),
        (vm::SHARED, "sh"),
        (vm::MAYREAD, "mr"),
        (vm::MAYWRITE, "mw"),
        (vm::MAYEXEC, "me"),
        (vm::MAYSHARE, "ms"),
        (vm::GROWSDOWN, "gd"),
        (vm::PFNMAP, "pf"),
        (vm::LOCKED, "lo"),
        (vm::IO, "io"),
        (vm::SEQ_READ, "sr"),
        (vm::RAND_READ, "rr"),
        (vm::DONTCOPY, "dc"),
        (vm::DONTEXPAND, "de"),
        (vm::LOCKONFAULT, "lf"),
        (vm::ACCOUNT, "ac"),
        (vm::NORESERVE, "nr"),
        (vm::HUGETLB, "ht"),
        (vm::WIPEONFORK, "wf"),
        (vm::DONTDUMP, "dd"),
        (vm::HUGEPAGE, "hg"),
        (vm::NOHUGEPAGE, "nh"),
        (vm::MERGEABLE, "mg"),
        (vm::DROPPABLE, "dp"),
        (vm::SEALED, "sl"),
    ];
    let mut s = String::from("VmFlags:");
    for &(bit, n) in NAMES {
        if flags & bit != 0 {
            s.push(' ');
            s.push_str(n);
        }
    }
    s.push_str(" \n");
    s
}

fn kb_line(s: &mut String, name: &str, v: u64) {
    let _ = writeln!(s, "{:<16}{:>8} kB", format!("{name}:"), v);
}

/// /proc/self/smaps: each maps line with its counts and flags.
pub fn smaps(p: &Task) -> Vec<u8> {
    let mut s = String::new();
    for (v, line) in super::mm::proc_maps_vmas(p) {
        let u = usage(p, &v);
        s.push_str(&line);
        s.push('\n');
        kb_line(&mut s, "Size", (v.len() / 1024) as u64);
        kb_line(&mut s, "KernelPageSize", 4);
        kb_line(&mut s, "MMUPageSize", 4);
        kb_line(&mut s, "Rss", u.rss);
        kb_line(&mut s, "Pss", u.rss);
        kb_line(&mut s, "Pss_Dirty", u.private_dirty);
        kb_line(&mut s, "Shared_Clean", 0);
        kb_line(&mut s, "Shared_Dirty", 0);
        kb_line(&mut s, "Private_Clean", u.private_clean);
        kb_line(&mut s, "Private_Dirty", u.private_dirty);
        kb_line(&mut s, "Referenced", u.rss);
        kb_line(&mut s, "Anonymous", u.anonymous);
        for n in ALWAYS_ZERO {
            kb_line(&mut s, n, 0);
        }
        kb_line(&mut s, "Locked", u.locked);
        s.push_str("THPeligible:           0\n");
        s.push_str(&vm_flags_line(v.flags));
    }
    s.into_bytes()
}

/// smaps counts emu has nothing for (no KSM, huge pages, hugetlb or
/// swap): always 0 kB, in smaps' order.
const ALWAYS_ZERO: [&str; 9] = [
    "KSM",
    "LazyFree",
    "AnonHugePages",
    "ShmemPmdMapped",
    "FilePmdMapped",
    "Shared_Hugetlb",
    "Private_Hugetlb",
    "Swap",
    "SwapPss",
];

/// /proc/self/smaps_rollup: the smaps counts summed under one header
/// spanning the whole map.
pub fn smaps_rollup(p: &Task) -> Vec<u8> {
    let vmas = super::mm::proc_maps_vmas(p);
    let (lo, hi) = match (vmas.first(), vmas.last()) {
        (Some(a), Some(b)) => (a.0.start, b.0.end),
        _ => (0, 0),
    };
    let mut t = Usage::default();
    let (mut anon, mut file) = (0, 0);
    for (v, _) in &vmas {
        let u = usage(p, v);
        t.rss += u.rss;
        t.private_clean += u.private_clean;
        t.private_dirty += u.private_dirty;
        t.anonymous += u.anonymous;
        t.locked += u.locked;
        if u.anon {
            anon += u.rss;
        } else if u.file {
            file += u.rss;
        }
    }
    let mut s = format!("{lo:08x}-{hi:08x} ---p 00000000 00:00 0");
    while s.len() < 72 {
        s.push(' ');
    }
    s.push_str(" [rollup]\n");
    kb_line(&mut s, "Rss", t.rss);
    kb_line(&mut s, "Pss", t.rss);
    kb_line(&mut s, "Pss_Dirty", t.private_dirty);
    kb_line(&mut s, "Pss_Anon", anon);
    kb_line(&mut s, "Pss_File", file);
    kb_line(&mut s, "Pss_Shmem", 0);
    kb_line(&mut s, "Shared_Clean", 0);
    kb_line(&mut s, "Shared_Dirty", 0);
    kb_line(&mut s, "Private_Clean", t.private_clean);
    kb_line(&mut s, "Private_Dirty", t.private_dirty);
    kb_line(&mut s, "Referenced", t.rss);
    kb_line(&mut s, "Anonymous", t.anonymous);
    for n in ALWAYS_ZERO {
        kb_line(&mut s, n, 0);
    }
    kb_line(&mut s, "Locked", t.locked);
    s.into_bytes()
}

/// /proc/self/numa_maps: one line per VMA (the policy is always
/// "default" and every page is on node 0).
pub fn numa_maps(p: &Task) -> Vec<u8> {
    let (brk0, brk, stack) = {
        let mm = p.mm();
        (mm.start_brk, mm.brk, mm.start_stack)
    };
    let exe = p.mm().exe.to_string_lossy().into_owned();
    let mut s = String::new();
    for (v, _) in super::mm::proc_maps_vmas(p) {
        let _ = write!(s, "{:08x} default", v.start);
        match &v.backing {
            Backing::File(f) => {
                let _ = write!(s, " file={}", f.name);
            }
            Backing::Exe => {
                let _ = write!(s, " file={exe}");
            }
            Backing::Shm(_) => s.push_str(" file=/dev/zero\\040(deleted)"),
            Backing::Anon if v.start < brk && v.end > brk0 => s.push_str(" heap"),
            Backing::Anon if v.start <= stack && v.end >= stack => s.push_str(" stack"),
            _ => {}
        }
        if !is_special(&v) {
            let n = resident(p, v.start, v.end);
            if n > 0 {
                if v.is_anonymous() {
                    let _ = write!(s, " anon={n}");
                }
                let _ = write!(s, " dirty={n} N0={n} kernelpagesize_kB=4");
            }
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// /proc/self/auxv: mm->saved_auxv as a compat task shows it. The 32-bit
/// pairs are stored packed in the kernel's unsigned longs, and
/// proc_pid_auxv reads two longs at a time until one at an even index is
/// zero: with the AT_NULL pair at an odd long, one zero pair more is shown.
pub fn auxv(p: &Task) -> Vec<u8> {
    let mm = p.mm();
    // One 32-bit pair per unsigned long.
    let words: Vec<u64> = mm
        .saved_auxv
        .iter()
        .map(|&(t, v)| t as u64 | (v as u64) << 32)
        .collect();
    let word = |i: usize| words.get(i).copied().unwrap_or(0);
    let mut n = 0;
    loop {
        n += 2;
        if word(n - 2) == 0 {
            break;
        }
    }
    let mut out = Vec::with_capacity(n * 8);
    for i in 0..n {
        out.extend_from_slice(&word(i).to_le_bytes());
    }
    out
}

/// Guest memory sizes in pages: (total_vm, resident, file-resident, text,
/// data + stack).
fn mem_pages(p: &Task) -> (u64, u64, u64, u64, u64, u64, u64) {
    let vmas = super::mm::proc_maps_vmas(p);
    let (mut rss, mut file_rss) = (0u64, 0u64);
    for (v, _) in &vmas {
        let u = usage(p, v);
        rss += u.rss / 4;
        if !u.anon {
            file_rss += u.rss / 4;
        }
    }
    let mm = p.mm();
    let text_bytes = (((mm.end_code as u64 + PAGE_SIZE as u64 - 1) & !(PAGE_SIZE as u64 - 1))
        .saturating_sub((mm.start_code & !(PAGE_SIZE - 1)) as u64))
    .min(mm.exec_vm() << PAGE_SHIFT);
    (
        mm.total_vm(),
        rss,
        file_rss,
        text_bytes >> PAGE_SHIFT,
        mm.data_vm() + mm.stack_vm(),
        mm.exec_vm(),
        mm.stack_vm(),
    )
}

/// /proc/self/statm: size resident shared text lib data dt, in pages.
pub fn statm(p: &Task) -> Vec<u8> {
    let (size, rss, shared, text, data, _, _) = mem_pages(p);
    format!("{size} {rss} {shared} {text} 0 {data} 0\n").into_bytes()
}

/// The guest's signal sets: (pending, blocked, ignored, caught).
fn sig_sets(p: &Task) -> (u64, u64, u64, u64) {
    let mut pending = 0u64;
    for si in &p.sig.pending {
        let n = si.signo as u32;
        if (1..=64).contains(&n) {
            pending |= 1 << (n - 1);
        }
    }
    let (mut ign, mut cgt) = (0u64, 0u64);
    let h = super::task::lock(&p.sighand);
    for (k, a) in h.action.iter().enumerate() {
        if a.handler == super::abi::signal::SIG_IGN {
            ign |= 1 << k;
        } else if a.handler != super::abi::signal::SIG_DFL {
            cgt |= 1 << k;
        }
    }
    (pending, p.sig.blocked, ign, cgt)
}

/// The host's file `name` of this task.
fn host_file(tid: Option<u32>, name: &str) -> String {
    let path = match tid {
        Some(t) => format!("/proc/self/task/{t}/{name}"),
        None => format!("/proc/self/{name}"),
    };
    std::fs::read_to_string(path).unwrap_or_default()
}

/// /proc/self/stat: the host's line with the guest's memory fields and
/// signal sets.
pub fn stat(p: &Task, tid: Option<u32>) -> Vec<u8> {
    let host = host_file(tid, "stat");
    // comm may hold spaces and parentheses: fields start after the last ')'.
    let Some(close) = host.rfind(')') else {
        return host.into_bytes();
    };
    let (head, tail) = host.split_at(close + 1);
    let mut f: Vec<String> = tail.split_whitespace().map(str::to_string).collect();
    // f[0] is field 3 (state): field n is f[n - 3].
    let (size, rss, _, _, _, _, _) = mem_pages(p);
    let (pend, blk, ign, cgt) = sig_sets(p);
    let mm = p.mm();
    let mut set = |n: usize, v: u64| {
        if let Some(x) = f.get_mut(n - 3) {
            *x = v.to_string();
        }
    };
    set(23, size << PAGE_SHIFT);
    set(24, rss);
    set(26, mm.start_code as u64);
    set(27, mm.end_code as u64);
    set(28, mm.start_stack as u64);
    set(31, pend & 0x7fff_ffff);
    set(32, blk & 0x7fff_ffff);
    set(33, ign & 0x7fff_ffff);
    set(34, cgt & 0x7fff_ffff);
    set(45, mm.start_data as u64);
    set(46, mm.end_data as u64);
    set(47, mm.start_brk as u64);
    set(48, mm.arg_start as u64);
    set(49, mm.arg_end as u64);
    set(50, mm.env_start as u64);
    set(51, mm.env_end as u64);
    format!("{head} {}\n", f.join(" ")).into_bytes()
}

/// fdtable max_fds for the guest's table: NR_OPEN_DEFAULT (64), then
/// alloc_fdtable's sizes (a power of two of 1024-byte pages of pointers).
fn fd_size(p: &Task) -> u64 {
    let top = p.files().open_fds().last().map_or(0, |n| n as u64);
    if top < 64 {
        return 64;
    }
    let per = 1024 / 8;
    ((top / per) + 1).next_power_of_two() * per
}

/// /proc/self/status: the host's with the guest's memory lines, FDSize
/// and signal sets.
pub fn status(p: &Task, tid: Option<u32>) -> Vec<u8> {
    let host = host_file(tid, "status");
    let (size, rss, file_rss, text, _, exec, stack) = mem_pages(p);
    let (pend, blk, ign, cgt) = sig_sets(p);
    let (data, locked) = {
        let mm = p.mm();
        (mm.data_vm(), mm.locked_vm())
    };
    let kb = |pages: u64| format!("{:>8} kB", pages * 4);
    let fdsize = fd_size(p);
    let mut out = String::new();
    for line in host.lines() {
        let Some((key, _)) = line.split_once(':') else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let val = match key {
            "FDSize" => Some(format!("{fdsize}")),
            "VmPeak" | "VmSize" => Some(kb(size)),
            "VmLck" => Some(kb(locked)),
            "VmPin" | "VmSwap" | "RssShmem" => Some(kb(0)),
            "VmHWM" | "VmRSS" => Some(kb(rss)),
            "RssAnon" => Some(kb(rss - file_rss)),
            "RssFile" => Some(kb(file_rss)),
            "VmData" => Some(kb(data)),
            "VmStk" => Some(kb(stack)),
            "VmExe" => Some(kb(text)),
            "VmLib" => Some(kb(exec.saturating_sub(text))),
            // Page tables: one 4 kB page per 2 MiB region in use, plus the
            // upper levels (an approximation).
            "VmPTE" => Some(kb(pte_pages(p))),
            "SigPnd" => Some(format!("{pend:016x}")),
            "ShdPnd" => Some(format!("{:016x}", 0)),
            "SigBlk" => Some(format!("{blk:016x}")),
            "SigIgn" => Some(format!("{ign:016x}")),
            "SigCgt" => Some(format!("{cgt:016x}")),
            _ => None,
        };
        match val {
            Some(v) => {
                let _ = writeln!(out, "{key}:\t{v}");
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}

fn pte_pages(p: &Task) -> u64 {
    let mut regions = std::collections::BTreeSet::new();
    for v in p.mm().vmas() {
        for r in (v.start >> 21)..=((v.end - 1) >> 21) {
            regions.insert(r);
        }
    }
    regions.len() as u64 + 3
}

/// /proc/self/syscall of the calling thread: the number, six arguments,
/// stack pointer and instruction pointer of the system call it is in
/// (the read of this file, when read from its start).
pub fn syscall(p: &Task) -> Vec<u8> {
    match crate::arch::ptregs::PtRegs::read(&p.cpu.sys.kmem, p.frame) {
        Ok(r) => format!(
            "{} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x} 0x{:x}\n",
            r.orig_ax as i32, r.bx, r.cx, r.dx, r.si, r.di, r.bp, r.sp, r.ip
        )
        .into_bytes(),
        Err(_) => b"running\n".to_vec(),
    }
}

/// Linux's names for CPUID feature bits, as /proc/cpuinfo prints them.
const LEAF1_EDX: [&str; 32] = [
    "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep", "mtrr", "pge",
    "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx", "fxsr", "sse",
    "sse2", "ss", "ht", "tm", "ia64", "pbe",
];
const LEAF1_ECX: [&str; 32] = [
    "pni",
    "pclmulqdq",
    "dtes64",
    "monitor",
    "ds_cpl",
    "vmx",
    "smx",
    "est",
    "tm2",
    "ssse3",
    "cid",
    "sdbg",
    "fma",
    "cx16",
    "xtpr",
    "pdcm",
    "",
    "pcid",
    "dca",
    "sse4_1",
    "sse4_2",
    "x2apic",
    "movbe",
    "popcnt",
    "tsc_deadline_timer",
    "aes",
    "xsave",
    "",
    "avx",
    "f16c",
    "rdrand",
    "hypervisor",
];
const EXT1_EDX: [&str; 32] = [
    "", "", "", "", "", "", "", "", "", "", "", "syscall", "", "", "", "", "", "", "", "mp", "nx",
    "", "mmxext", "", "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm", "3dnowext", "3dnow",
];
const EXT1_ECX: [&str; 32] = [
    "lahf_lm",
    "cmp_legacy",
    "svm",
    "extapic",
    "cr8_legacy",
    "abm",
    "sse4a",
    "misalignsse",
    "3dnowprefetch",
    "osvw",
    "ibs",
    "xop",
    "skinit",
    "wdt",
    "",
    "lwp",
    "fma4",
    "tce",
    "",
    "nodeid_msr",
    "",
    "tbm",
    "topoext",
    "perfctr_core",
    "perfctr_nb",
    "",
    "bpext",
    "ptsc",
    "perfctr_llc",
    "mwaitx",
    "",
    "",
];
const LEAF7_EBX: [&str; 32] = [
    "fsgsbase",
    "tsc_adjust",
    "sgx",
    "bmi1",
    "hle",
    "avx2",
    "",
    "smep",
    "bmi2",
    "erms",
    "invpcid",
    "rtm",
    "cqm",
    "",
    "mpx",
    "rdt_a",
    "avx512f",
    "avx512dq",
    "rdseed",
    "adx",
    "smap",
    "avx512ifma",
    "",
    "clflushopt",
    "clwb",
    "intel_pt",
    "avx512pf",
    "avx512er",
    "avx512cd",
    "sha_ni",
    "avx512bw",
    "avx512vl",
];

/// The flags line of /proc/cpuinfo for the emulated CPU.
pub fn cpu_flags() -> String {
    let mut v: Vec<&str> = Vec::new();
    let push = |v: &mut Vec<&'static str>, names: &[&'static str; 32], bits: u32| {
        for (k, n) in names.iter().enumerate() {
            if bits & (1 << k) != 0 && !n.is_empty() {
                v.push(n);
            }
        }
    };
    let l0 = misc::cpuid(0);
    let l1 = misc::cpuid(1);
    push(&mut v, &LEAF1_EDX, l1[3]);
    let e0 = misc::cpuid(0x8000_0000);
    let e1 = if e0[0] >= 0x8000_0001 {
        misc::cpuid(0x8000_0001)
    } else {
        [0; 4]
    };
    push(&mut v, &EXT1_EDX, e1[3]);
    push(&mut v, &LEAF1_ECX, l1[2]);
    push(&mut v, &EXT1_ECX, e1[2]);
    if l0[0] >= 7 {
        let l7 = misc::cpuid(7);
        push(&mut v, &LEAF7_EBX, l7[1]);
    }
    v.join(" ")
}

/// /proc/cpuinfo for the emulated CPU, one block per host CPU.
pub fn cpuinfo() -> Vec<u8> {
    let l0 = misc::cpuid(0);
    let l1 = misc::cpuid(1);
    let mut vendor = Vec::new();
    for r in [l0[1], l0[3], l0[2]] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    let vendor = String::from_utf8_lossy(&vendor).into_owned();
    let sig = l1[0];
    let mut family = (sig >> 8) & 0xf;
    let mut model = (sig >> 4) & 0xf;
    if family == 0xf {
        family += (sig >> 20) & 0xff;
    }
    if family >= 6 {
        model |= ((sig >> 16) & 0xf) << 4;
    }
    let stepping = sig & 0xf;
    let mut brand = Vec::new();
    if misc::cpuid(0x8000_0000)[0] >= 0x8000_0004 {
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            for r in misc::cpuid(leaf) {
                brand.extend_from_slice(&r.to_le_bytes());
            }
        }
    }
    let brand = String::from_utf8_lossy(&brand)
        .trim_end_matches('\0')
        .trim()
        .to_string();
    let flags = cpu_flags();
    let fpu = if l1[3] & 1 != 0 { "yes" } else { "no" };
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    for cpu in 0..n {
        let _ = write!(
            s,
            "processor\t: {cpu}\n\
             vendor_id\t: {vendor}\n\
             cpu family\t: {family}\n\
             model\t\t: {model}\n\
             model name\t: {brand}\n\
             stepping\t: {stepping}\n\
             fdiv_bug\t: no\n\
             f00f_bug\t: no\n\
             coma_bug\t: no\n\
             fpu\t\t: {fpu}\n\
             fpu_exception\t: {fpu}\n\
             cpuid level\t: {}\n\
             wp\t\t: yes\n\
             flags\t\t: {flags}\n\
             bugs\t\t:\n\
             bogomips\t: 2000.00\n\
             cache_alignment\t: 64\n\
             address sizes\t: 32 bits physical, 32 bits virtual\n\
             power management:\n\n",
            l0[0]
        );
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_describes_the_emulated_cpu() {
        let s = String::from_utf8(cpuinfo()).unwrap();
        assert!(s.starts_with("processor\t: 0\nvendor_id\t: GenuineIntel\n"));
        assert!(s.contains("\ncpu family\t: 6\n"));
        let flags = cpu_flags();
        assert!(flags.split(' ').any(|f| f == "tsc"));
        assert!(flags.split(' ').any(|f| f == "cx8"));
        assert!(flags.split(' ').any(|f| f == "cmov"));
    }

    #[test]
    fn memfd_serves_contents() {
        let h = memfd_with(b"t", b"hello\n", 0).unwrap();
        let mut b = [0u8; 16];
        let n = unsafe { libc::read(h, b.as_mut_ptr() as *mut libc::c_void, 16) };
        assert_eq!(&b[..n as usize], b"hello\n");
        let w = unsafe { libc::write(h, b.as_ptr() as *const libc::c_void, 1) };
        assert!(w < 0);
        unsafe { libc::close(h) };
    }
}
