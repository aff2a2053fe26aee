//! Tasks: Linux's `task_struct`, split the way clone flags split it.
//!
//! A [`Task`] is one guest thread: its CPU (registers, descriptor tables,
//! TLS entries, kernel stack and TSS), its block cache, its pending
//! signals and the addresses it registered (clear_child_tid, the robust
//! list). What clone flags share or copy hangs off it behind `Arc`s, one
//! per flag, as in the kernel:
//!
//! | field | Linux | shared with |
//! |---|---|---|
//! | `mm` | `mm_struct` | CLONE_VM |
//! | `files` | `files_struct` | CLONE_FILES |
//! | `group` | `signal_struct` (rlimits, the thread list) | CLONE_THREAD |
//! | `cfg` | (the emulator's own settings) | every task emu runs |
//!
//! The file-system context (cwd, root, umask) is the host process's own;
//! see [`super::fs`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::frames::FrameLog;
use super::mm::{MapFile, Mm};
use super::signal::SigInfo;
use super::sys::{Rlim, Rlimits};
use super::{entry, fs, sys, ExitStatus, SyscallEntry};
use crate::arch;
use crate::cpu::cache::BlockCache;
use crate::cpu::{run, Cpu};
use crate::loader::{self, LoadError};
use crate::mem::Mem;

/// Lock a mutex, ignoring poisoning: a panicking emulator thread is a bug
/// that ends the whole process anyway, and the data stays consistent
/// between statements.
///
/// With debug assertions, a thread that locks a mutex it already holds
/// panics instead of deadlocking (std's mutex is not reentrant, and
/// `f(p.mm().a, p.mm().b)` would otherwise hang forever).
pub fn lock<T>(m: &Mutex<T>) -> Locked<'_, T> {
    #[cfg(debug_assertions)]
    let addr = m as *const Mutex<T> as usize;
    #[cfg(debug_assertions)]
    held::take(addr);
    Locked {
        g: m.lock().unwrap_or_else(|e| e.into_inner()),
        #[cfg(debug_assertions)]
        addr,
    }
}

/// A locked mutex (see [`lock`]).
pub struct Locked<'a, T> {
    g: MutexGuard<'a, T>,
    #[cfg(debug_assertions)]
    addr: usize,
}

impl<T> std::ops::Deref for Locked<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.g
    }
}

impl<T> std::ops::DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.g
    }
}

#[cfg(debug_assertions)]
impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        held::release(self.addr);
    }
}

/// Debug bookkeeping for [`lock`]: the mutexes this thread holds.
#[cfg(debug_assertions)]
mod held {
    use std::cell::RefCell;
    thread_local! {
        static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    pub fn take(addr: usize) {
        HELD.with(|h| {
            let mut h = h.borrow_mut();
            assert!(
                !h.contains(&addr),
                "emu bug: a lock taken twice by one thread (deadlock)"
            );
            h.push(addr);
        });
    }

    pub fn release(addr: usize) {
        HELD.with(|h| h.borrow_mut().retain(|&a| a != addr));
    }
}

/// The emulator's settings: the same for every task it runs.
#[derive(Default)]
pub struct Config {
    /// `-L/--sysroot`: absolute guest paths are looked up here first.
    pub sysroot: Option<PathBuf>,
    /// How the vDSO's `__kernel_vsyscall` enters the kernel.
    pub entry: SyscallEntry,
    /// `--frames` output.
    pub frames: Option<Mutex<FrameLog>>,
}

/// What CLONE_THREAD shares: Linux's `signal_struct`.
pub struct ThreadGroup {
    /// Resource limits (`signal->rlim`).
    pub rlim: Mutex<Rlimits>,
}

/// Counters for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub sysexits: u64,
}

/// A guest thread.
pub struct Task {
    pub cpu: Cpu,
    pub cache: BlockCache,
    /// The thread group id (what getpid returns).
    pub pid: u32,
    pub syscalls: u64,
    /// Set when the task has exited.
    pub exit: Option<ExitStatus>,
    /// Kernel address of the current syscall/exception `pt_regs`.
    pub frame: u32,
    /// The faulting address of the last #PF (the CPU's cr2).
    pub cr2: u32,
    /// Guest address of the vDSO's int80 landing pad (0 without a vDSO):
    /// `mm->context.vdso`, kept per task so the sysenter path needs no lock.
    pub vdso_landing_pad: u32,
    /// A pending signal (handlers come later: its default action applies).
    pub pending: Option<SigInfo>,
    /// The signal that terminated the task, with its siginfo.
    pub last_signal: Option<SigInfo>,
    pub stats: Stats,
    /// personality(2): PER_LINUX32 | ADDR_NO_RANDOMIZE, plus
    /// READ_IMPLIES_EXEC for a program without PT_GNU_STACK (as under
    /// `setarch i686 -R`).
    pub personality: u32,
    /// set_tid_address / CLONE_CHILD_CLEARTID: cleared and futex-woken
    /// when the thread exits.
    pub clear_child_tid: u32,
    /// set_robust_list head (the length is always 12).
    pub robust_list: u32,
    /// The memory map (CLONE_VM).
    pub mm: Arc<Mutex<Mm>>,
    /// The descriptor table (CLONE_FILES).
    pub files: Arc<Mutex<fs::Files>>,
    /// The thread group (CLONE_THREAD).
    pub group: Arc<ThreadGroup>,
    pub cfg: Arc<Config>,
}

impl Task {
    /// A task for an in-memory image, with default settings (tests, benches).
    pub fn new(
        image: &[u8],
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        entry: SyscallEntry,
    ) -> Result<Task, LoadError> {
        let cfg = Arc::new(Config {
            entry,
            ..Config::default()
        });
        Task::build(image, None, fs::Files::new(), execfn, argv, envp, cfg)
    }

    /// A task for the executable at host path `path` (`exe`: its
    /// canonical form, for /proc/self/exe and the memory map). The file is
    /// mapped, not read, and its segments become private host mappings of
    /// it, so startup costs page-table work for the pages the guest
    /// touches only. A missing file is [`LoadError::NotFound`].
    pub fn from_file(
        path: &Path,
        exe: &Path,
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        cfg: Arc<Config>,
    ) -> Result<Task, LoadError> {
        use std::os::fd::AsFd;
        // The descriptor table first: it inherits the host fds open now,
        // which must not include the ones opened for loading.
        let files = fs::Files::new();
        let fail = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                LoadError::NotFound(format!("{}: {e}", path.display()))
            } else {
                LoadError::Invalid(e.to_string())
            }
        };
        let file = std::fs::File::open(path).map_err(fail)?;
        let md = file.metadata().map_err(fail)?;
        if md.is_dir() {
            return Err(fail(std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        let p = if md.len() == 0 {
            // Nothing to map: the loader's checks give the reason.
            Task::build(&[], None, files, execfn, argv, envp, cfg)?
        } else {
            let image = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
            let mf = MapFile::for_exe(&file, exe).map_err(fail)?;
            Task::build(
                &image,
                Some((file.as_fd(), mf)),
                files,
                execfn,
                argv,
                envp,
                cfg,
            )?
        };
        p.mm().exe = exe.to_path_buf();
        Ok(p)
    }

    fn build(
        image: &[u8],
        file: Option<(std::os::fd::BorrowedFd<'_>, Arc<MapFile>)>,
        files: fs::Files,
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        cfg: Arc<Config>,
    ) -> Result<Task, LoadError> {
        let (fd, exe_file) = match file {
            Some((fd, f)) => (Some(fd), Some(f)),
            None => (None, None),
        };
        let mem = Arc::new(
            Mem::new()
                .map_err(|e| LoadError::Invalid(format!("cannot reserve guest memory: {e}")))?,
        );
        let mut vdso = None;
        let entry = cfg.entry;
        let l = loader::load_with(&mem, image, fd, execfn, argv, envp, |mem, low| {
            let (v, m) = loader::vdso::map(mem, low, entry)?;
            vdso = Some(m);
            Ok(Some(v))
        })?;
        sys::set_comm(execfn);
        let mut cpu = Cpu::new(mem);
        cpu.eip = l.entry;
        cpu.regs[crate::cpu::ESP] = l.sp;
        let rlim = Rlimits::from_host();
        let mut files = files;
        files.nofile = rlim.get(super::abi::sys::rlimit::NOFILE).cur;
        let mut p = Task {
            cpu,
            cache: BlockCache::default(),
            pid: std::process::id(),
            syscalls: 0,
            exit: None,
            frame: 0,
            cr2: 0,
            vdso_landing_pad: vdso.map_or(0, |m| m.landing_pad),
            pending: None,
            last_signal: None,
            stats: Stats::default(),
            personality: sys::initial_personality(l.read_implies_exec),
            clear_child_tid: 0,
            robust_list: 0,
            mm: Arc::new(Mutex::new(Mm::new(
                &l,
                image,
                vdso.map(|m| m.base),
                exe_file.filter(|_| l.file_mapped),
            ))),
            files: Arc::new(Mutex::new(files)),
            group: Arc::new(ThreadGroup {
                rlim: Mutex::new(rlim),
            }),
            cfg,
        };
        if p.cfg.frames.is_some() {
            p.set_syscall_trace(true);
        }
        Ok(p)
    }

    /// The memory map, locked (`mmap_lock`).
    pub fn mm(&self) -> Locked<'_, Mm> {
        lock(&self.mm)
    }

    /// The descriptor table, locked (`files->file_lock`).
    pub fn files(&self) -> Locked<'_, fs::Files> {
        lock(&self.files)
    }

    /// Resource limit `res` (< 16) of the thread group.
    pub fn rlim(&self, res: u32) -> Rlim {
        lock(&self.group.rlim).get(res)
    }

    /// The soft limit of `res`.
    pub fn rlim_cur(&self, res: u32) -> u64 {
        self.rlim(res).cur
    }

    /// `-L/--sysroot`.
    pub fn sysroot(&self) -> Option<&Path> {
        self.cfg.sysroot.as_deref()
    }

    /// Run until the guest exits or dies. Every trip into the kernel goes
    /// through the IDT/TSS or sysenter path in [`entry`].
    pub fn run(&mut self) -> ExitStatus {
        loop {
            let ev = run::run(&mut self.cpu, &mut self.cache);
            entry::handle(self, ev);
            if let Some(st) = self.exit {
                self.flush_frames();
                return st;
            }
        }
    }

    /// Flush the `--frames` log.
    pub fn flush_frames(&self) {
        if let Some(f) = &self.cfg.frames {
            lock(f).flush();
        }
    }

    /// Write the current pt_regs to the `--frames` log.
    pub fn trace_frame(&mut self, entry: bool) {
        if let Some(log) = &self.cfg.frames {
            if let Ok(r) = arch::ptregs::PtRegs::read(&self.cpu.sys.kmem, self.frame) {
                lock(log).write(entry, &r);
            }
        }
    }

    /// Turn on syscall tracing (the thread_info work flag checked on entry).
    pub fn set_syscall_trace(&mut self, on: bool) {
        let a = self.cpu.sys.thread_info() + entry::thread_info::SYSCALL_WORK;
        let w = self.cpu.sys.kmem.r32(a).unwrap_or(0);
        let bit = entry::thread_info::SYSCALL_WORK_SYSCALL_TRACE;
        let _ = self
            .cpu
            .sys
            .kmem
            .w32(a, if on { w | bit } else { w & !bit });
    }
}
