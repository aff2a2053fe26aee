//! Snapshot and restore of a single-threaded guest process
//! ([`crate::Machine::snapshot`], [`crate::Machine::restore`]), so that a
//! run can be rewound, or replayed from one point many times (fuzzing).
//!
//! A [`Snapshot`] holds:
//! - the CPU: general registers, eip, EFLAGS, segment registers and their
//!   descriptor caches, x87/MMX and SSE state, the instruction count, and
//!   the system state: GDT (with the TLS entries), LDT, IDT, TSS and the
//!   kernel memory with the task's kernel stack and thread_info;
//! - guest memory: every mapped page's permissions and contents (pages
//!   that read as zero are kept as a count only);
//! - the kernel's view of the process: the memory map (VMAs, brk, the
//!   stack and mmap bases, the auxv), the signal dispositions, mask,
//!   pending signals and alternate stack, the syscall-restart state,
//!   personality, clear_child_tid and the robust list;
//! - the open file descriptors, *reported*: a host file cannot be put back
//!   as it was, so each descriptor is listed ([`OpenFile`]) with what it
//!   names and its offset.
//!
//! [`Machine::restore`](crate::Machine::restore) puts the CPU, memory and
//! kernel state back and, for the descriptors, does what can be done
//! without guessing: a descriptor the guest opened that still names the
//! same file (device and inode) gets its offset back (so a guest reads its
//! input again; a file's *contents* are not restored), while those it
//! inherited from the embedding process when the machine was built (stdin,
//! stdout, stderr, emu's own `frames` log...) belong to the environment
//! and keep their offsets; a descriptor that was closed or now names
//! another file is reported as lost; one opened after the snapshot is
//! closed (the restored guest never opened it) and reported. See
//! [`RestoreReport`].
//!
//! Restored memory is private anonymous memory with the saved contents,
//! whatever backed it (the program's own file mapping, a file the guest
//! mapped privately): the guest cannot tell, except that a file's later
//! changes no longer show through pages it had not written, and
//! MADV_DONTNEED on such a page gives zeros instead of the file's bytes.
//!
//! Not supported (snapshot refuses): several threads, shared mappings
//! (MAP_SHARED files and shared memory, whose other mappers a restore
//! could not rewind), pages that cannot be read (a file mapping past the
//! end of its file), a vfork child. Not restored: the working directory
//! and umask (the host process's), resource limits, interval and POSIX
//! timers (host timers), child processes, and what the guest did outside
//! its own memory (files written, signals sent).

#![warn(missing_docs)]

use std::path::PathBuf;

use crate::arch::kmem::KFault;
use crate::cpu::Cpu;
use crate::kernel::mm::Mm;
use crate::kernel::signal::{SigHand, SigState};
use crate::kernel::task::{lock, Task};
use crate::mem::{PAGE_SHIFT, PAGE_SIZE, P_ALIAS, P_CODE, P_FILE, P_TRACK};

/// Pages of the guest's 4 GiB address space.
const NPAGES: u32 = 1 << (32 - PAGE_SHIFT);

/// One open file descriptor of the guest at the snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFile {
    /// The guest's descriptor number.
    pub fd: u32,
    /// What it names (the host's `/proc/self/fd` link: a path, or
    /// `pipe:[N]`, `socket:[N]`, ...).
    pub target: PathBuf,
    /// Device and inode of the open file.
    pub dev: u64,
    /// See `dev`.
    pub ino: u64,
    /// The file offset, for a seekable file.
    pub offset: Option<u64>,
}

/// What a restore did with the open file descriptors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Descriptors that name the same file as at the snapshot.
    pub kept: Vec<u32>,
    /// Those of `kept` the guest opened, whose offsets were put back.
    pub rewound: Vec<u32>,
    /// Descriptors of the snapshot that were closed since, or now name
    /// another file: not restored.
    pub lost: Vec<OpenFile>,
    /// Descriptors opened after the snapshot, now closed.
    pub closed: Vec<u32>,
}

/// Why a snapshot could not be taken or restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The guest has exited.
    Exited,
    /// The process has this many threads (only one is supported).
    Threads(usize),
    /// A shared mapping (MAP_SHARED or shared memory) at this address.
    Shared(u32),
    /// A page that cannot be read (a file mapping past its file's end).
    Unreadable(u32),
    /// A vfork child (its memory is its parent's).
    Vfork,
    /// The snapshot is of another address space (an exec came between).
    OtherMemory,
    /// The kernel stack could not be read or written.
    Kernel,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Exited => write!(f, "the guest has exited"),
            SnapshotError::Threads(n) => {
                write!(f, "the process has {n} threads; only one is supported")
            }
            SnapshotError::Shared(a) => write!(f, "shared mapping at {a:#x}"),
            SnapshotError::Unreadable(a) => write!(f, "unreadable page at {a:#x}"),
            SnapshotError::Vfork => write!(f, "a vfork child cannot be saved"),
            SnapshotError::OtherMemory => write!(f, "the snapshot is of another address space"),
            SnapshotError::Kernel => write!(f, "kernel stack fault"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl From<KFault> for SnapshotError {
    fn from(_: KFault) -> Self {
        SnapshotError::Kernel
    }
}

/// A run of mapped pages: the first page and each page's permissions.
#[derive(Clone, Debug)]
struct Run {
    first: u32,
    perms: Vec<u8>,
}

/// A saved process (see the [module documentation](self)).
pub struct Snapshot {
    cpu: Cpu,
    icount: u64,
    frame: u32,
    cr2: u32,
    dr6: u32,
    syscalls: u64,
    personality: u32,
    clear_child_tid: u32,
    robust_list: u32,
    forked: bool,
    landing_pad: u32,
    sig: SigState,
    sighand: SigHand,
    mm: Mm,
    runs: Vec<Run>,
    /// The pages that do not read as zero, and their bytes (in order).
    pages: Vec<u32>,
    data: Vec<u8>,
    files: Vec<OpenFile>,
}

impl Snapshot {
    /// The open descriptors at the snapshot (they are not saved: see
    /// [`RestoreReport`]).
    pub fn files(&self) -> &[OpenFile] {
        &self.files
    }

    /// Mapped guest bytes at the snapshot.
    pub fn mapped_bytes(&self) -> u64 {
        self.runs.iter().map(|r| r.perms.len() as u64).sum::<u64>() * PAGE_SIZE as u64
    }

    /// Bytes of page contents held (pages that read as zero take none).
    pub fn stored_bytes(&self) -> u64 {
        self.data.len() as u64
    }

    /// The instruction count at the snapshot.
    pub fn icount(&self) -> u64 {
        self.icount
    }
}

/// Save `p` (the only thread of its process, in user mode between runs).
pub(crate) fn take(p: &mut Task) -> Result<Snapshot, SnapshotError> {
    if p.exit.is_some() {
        return Err(SnapshotError::Exited);
    }
    let n = lock(&p.group.state).threads.len();
    if n != 1 {
        return Err(SnapshotError::Threads(n));
    }
    if p.vfork_done.is_some() {
        return Err(SnapshotError::Vfork);
    }
    let (runs, pages, data) = save_memory(p)?;
    let mut cpu = p.cpu.clone_for_thread();
    cpu.icount = p.cpu.icount;
    Ok(Snapshot {
        cpu,
        icount: p.cpu.icount,
        frame: p.frame,
        cr2: p.cr2,
        dr6: p.dr6,
        syscalls: p.syscalls,
        personality: p.personality,
        clear_child_tid: p.clear_child_tid,
        robust_list: p.robust_list,
        forked: p.forked,
        landing_pad: p.landing_pad(),
        sig: p.sig.clone(),
        sighand: lock(&p.sighand).clone(),
        mm: p.mm().clone(),
        runs,
        pages,
        data,
        files: open_files(p),
    })
}

type Saved = (Vec<Run>, Vec<u32>, Vec<u8>);

/// Every mapped page: permissions by runs, and the contents of the pages
/// that are not all zero, copied with the host kernel's fault-tolerant
/// copy (one call per run).
fn save_memory(p: &Task) -> Result<Saved, SnapshotError> {
    let mem = &p.cpu.mem;
    let mut runs: Vec<Run> = Vec::new();
    let mut pages = Vec::new();
    let mut data = Vec::new();
    let mut buf = Vec::new();
    let mut page = 0u32;
    while page < NPAGES {
        if mem.perm(page) & !P_CODE == 0 {
            page += 1;
            continue;
        }
        let first = page;
        let mut perms = Vec::new();
        while page < NPAGES {
            let perm = mem.perm(page) & !P_CODE;
            if perm == 0 {
                break;
            }
            if perm & P_ALIAS != 0 {
                return Err(SnapshotError::Shared(page << PAGE_SHIFT));
            }
            if perm & P_TRACK != 0 {
                return Err(SnapshotError::Vfork);
            }
            perms.push(perm & !P_FILE);
            page += 1;
        }
        let len = perms.len() * PAGE_SIZE as usize;
        buf.resize(len, 0);
        let addr = first << PAGE_SHIFT;
        let src = mem
            .host_range(addr, len)
            .ok_or(SnapshotError::Unreadable(addr))?;
        // SAFETY: [addr, addr+len) lies in the window (host_range), `buf`
        // holds len bytes; a page the host refuses (a file page past the
        // end of its file) ends the copy at the fault.
        let copied = mem.with_host_access(addr, len, false, || unsafe {
            crate::cpu::guard::copy(mem, buf.as_mut_ptr(), src, len)
        });
        if let Err(f) = copied {
            return Err(SnapshotError::Unreadable(f.off as u32));
        }
        for (k, chunk) in buf.chunks_exact(PAGE_SIZE as usize).enumerate() {
            if chunk.iter().any(|&b| b != 0) {
                pages.push(first + k as u32);
                data.extend_from_slice(chunk);
            }
        }
        runs.push(Run { first, perms });
    }
    Ok((runs, pages, data))
}

/// The host's view of guest descriptor `fd`'s file: its link target,
/// device, inode and offset.
fn describe(host: i32, fd: u32) -> Option<OpenFile> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(host, &mut st) } != 0 {
        return None;
    }
    let off = unsafe { libc::lseek(host, 0, libc::SEEK_CUR) };
    Some(OpenFile {
        fd,
        target: std::fs::read_link(format!("/proc/self/fd/{host}")).unwrap_or_default(),
        dev: st.st_dev,
        ino: st.st_ino,
        offset: (off >= 0).then_some(off as u64),
    })
}

/// The guest's open descriptors, described.
pub(crate) fn open_files(p: &Task) -> Vec<OpenFile> {
    let files = p.files();
    files
        .open_fds()
        .filter_map(|fd| describe(files.host(fd).ok()?, fd))
        .collect()
}

/// Put `s` back into `p`.
///
/// `p` may have exited since (a snapshot rewinds a finished run too): it
/// then runs again, as the leader of a group of one.
/// `inherited`: the descriptors the machine started with (not rewound).
pub(crate) fn restore(
    p: &mut Task,
    s: &Snapshot,
    inherited: &[OpenFile],
) -> Result<RestoreReport, SnapshotError> {
    {
        let mut g = lock(&p.group.state);
        let alone = match p.exit {
            None => g.threads.len() == 1,
            Some(_) => g.threads.is_empty(),
        };
        if !alone {
            return Err(SnapshotError::Threads(g.threads.len()));
        }
        if !std::sync::Arc::ptr_eq(&p.cpu.mem, &s.cpu.mem) {
            return Err(SnapshotError::OtherMemory);
        }
        g.threads = vec![p.ctl.clone()];
        g.group_exit = None;
        g.leader_exit = None;
        g.exec = None;
    }
    p.exit = None;
    // Memory: a fresh window, then the saved pages.
    let mem = p.cpu.mem.clone();
    mem.reset().map_err(|_| SnapshotError::Kernel)?;
    for r in &s.runs {
        for (k, &perm) in r.perms.iter().enumerate() {
            mem.set_perm((r.first + k as u32) << PAGE_SHIFT, PAGE_SIZE, perm);
        }
    }
    for (k, &page) in s.pages.iter().enumerate() {
        let at = k * PAGE_SIZE as usize;
        mem.write_raw(page << PAGE_SHIFT, &s.data[at..at + PAGE_SIZE as usize]);
    }
    // Translations of the old contents go.
    p.cache = crate::cpu::cache::BlockCache::default();
    // The CPU, on this task's interrupt line.
    let mut cpu = s.cpu.clone_for_thread();
    cpu.irq = p.cpu.irq.clone();
    cpu.icount = s.icount;
    p.cpu = cpu;
    p.frame = s.frame;
    p.cr2 = s.cr2;
    p.dr6 = s.dr6;
    p.syscalls = s.syscalls;
    p.personality = s.personality;
    p.clear_child_tid = s.clear_child_tid;
    p.robust_list = s.robust_list;
    p.forked = s.forked;
    p.hook_stop = false;
    p.vdso_landing_pad
        .store(s.landing_pad, std::sync::atomic::Ordering::Relaxed);
    *p.mm() = s.mm.clone();
    // Signals: the state, the host's mirror of the dispositions and mask,
    // and nothing the host delivered since.
    let _ = p.ctl.ring.drain();
    p.sig = s.sig.clone();
    *lock(&p.sighand) = s.sighand.clone();
    for sig in 1..=64u32 {
        let a = s.sighand.get(sig);
        crate::kernel::hostsig::mirror_action(sig, a.handler, a.flags);
    }
    crate::kernel::hostsig::apply_mask(p.sig.blocked);
    Ok(restore_files(p, &s.files, inherited))
}

fn restore_files(p: &mut Task, saved: &[OpenFile], inherited: &[OpenFile]) -> RestoreReport {
    let mut rep = RestoreReport::default();
    let now: Vec<(u32, i32)> = {
        let files = p.files();
        files
            .open_fds()
            .filter_map(|fd| Some((fd, files.host(fd).ok()?)))
            .collect()
    };
    for f in saved {
        let same = now
            .iter()
            .find(|(fd, _)| *fd == f.fd)
            .and_then(|&(fd, host)| Some((host, describe(host, fd)?)))
            .filter(|(_, d)| d.dev == f.dev && d.ino == f.ino);
        match same {
            Some((host, _)) => {
                let env = inherited
                    .iter()
                    .any(|i| (i.fd, i.dev, i.ino) == (f.fd, f.dev, f.ino));
                if let (Some(off), false) = (f.offset, env) {
                    unsafe { libc::lseek(host, off as libc::off_t, libc::SEEK_SET) };
                    rep.rewound.push(f.fd);
                }
                rep.kept.push(f.fd);
            }
            None => rep.lost.push(f.clone()),
        }
    }
    for &(fd, _) in &now {
        if saved.iter().all(|f| f.fd != fd) {
            if let Ok(e) = p.files().take(fd) {
                unsafe { libc::close(e.host) };
            }
            rep.closed.push(fd);
        }
    }
    rep
}

/// Close the descriptors the guest opened, leaving every descriptor number
/// it started with (`inherited`: the embedding process's) alone.
pub(crate) fn close_guest_files(p: &mut Task, inherited: &[OpenFile]) {
    let mut files = p.files();
    let fds: Vec<u32> = files.open_fds().collect();
    for fd in fds {
        if inherited.iter().any(|i| i.fd == fd) {
            continue;
        }
        if let Ok(e) = files.take(fd) {
            unsafe { libc::close(e.host) };
        }
    }
}
