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
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::frames::FrameLog;
use super::mm::{MapFile, Mm};
use super::signal::{SigHand, SigState};
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
    /// `--strace` output.
    pub strace: Option<super::strace::Strace>,
    /// `--stats`' per-syscall counts (this process's threads).
    pub syscall_stats: Option<super::strace::SyscallStats>,
    /// `--no-host-exec`: execve of anything but an i386 program is ENOEXEC
    /// instead of the host's execve.
    pub no_host_exec: bool,
    /// The embedder's hooks (see [`super::hooks`]).
    pub hooks: Option<super::hooks::Hooks>,
    /// `--gdb`: the remote debugger stub serving this process.
    pub gdb: Option<Arc<crate::gdb::Debugger>>,
    /// Where translations are kept between runs ([`crate::cpu::tcache`]);
    /// None: not kept.
    pub tcache: Option<PathBuf>,
}

/// Why [`Task::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The guest exited or died (for the leader: the process's status).
    Exited(ExitStatus),
    /// The instruction budget is spent: `cpu.icount` is the limit given.
    Budget,
    /// A hook asked to stop ([`super::hooks::HookCtx::stop`]).
    Hook,
}

/// Interrupt-request bits of `Cpu::irq`, raised by other threads and
/// served between blocks (the run loop returns `Event::Irq`) and on the
/// way out of the kernel.
///
/// This stands for the IPIs of a real kernel: Linux sends a reschedule
/// IPI and the target notices TIF work when it next returns to user mode.
/// emu's interrupt has no gate or `pt_regs` of its own: nothing of it is
/// visible to the guest.
pub mod irq {
    /// Drop the code ranges queued in `TaskCtl::inval` from the block
    /// cache (another thread wrote code this one may have translated).
    pub const INVALIDATE: u32 = 1;
    /// Stop: the thread group is exiting, or another thread is exec'ing
    /// (de_thread).
    pub const KILL: u32 = 2;
    /// The host handed this thread a signal for its guest (`TaskCtl::ring`).
    pub const SIGNAL: u32 = 4;
    /// A guest access raised a host SIGBUS (a file page past the end of
    /// its file, truncated by another process): `TaskCtl::bus` has the
    /// address (see `hostsig::guest_bus`).
    pub const BUS: u32 = crate::cpu::IRQ_HOST_BUS;
    /// The debugger stops every thread (`--gdb`; see [`crate::gdb`]).
    pub const DEBUG: u32 = 16;
}

/// The host signal that interrupts a thread's blocking host syscall (its
/// handler does nothing and is installed without SA_RESTART, so the
/// syscall fails with EINTR and the thread sees its `irq`). emu keeps
/// SIGRTMAX for this; a guest cannot use host signal 64.
pub fn kick_signal() -> i32 {
    libc::SIGRTMAX()
}

/// Install the kick signal's handler (once per emulator process).
pub fn install_kick_handler() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| super::hostsig::install_kick(kick_signal()));
}

/// The part of a task that other threads reach: its tid, its interrupt
/// line and its queue of code ranges to forget.
pub struct TaskCtl {
    /// The host thread id (0 until the thread has started).
    pub tid: AtomicU32,
    /// The task's `Cpu::irq`.
    pub irq: Arc<crate::cpu::IrqLine>,
    /// Page ranges (first, last) whose translated code is stale.
    pub inval: Mutex<Vec<(u32, u32)>>,
    /// Signals the host handed to this thread's guest handlers.
    pub ring: super::hostsig::SigRing,
    /// The tid while someone waits for this host thread to be gone
    /// (exec's de_thread), else 0: the thread's last act is to hand this
    /// word to the host's set_tid_address, and the host kernel clears it
    /// and wakes the waiter when the thread has really exited.
    pub gone: AtomicU32,
    /// The guest address of the last host SIGBUS in guest memory, with
    /// bit 32 set (0: none); see `irq::BUS`.
    pub bus: std::sync::atomic::AtomicU64,
}

impl TaskCtl {
    pub fn new(tid: u32, irq: Arc<crate::cpu::IrqLine>) -> Arc<TaskCtl> {
        Arc::new(TaskCtl {
            tid: AtomicU32::new(tid),
            irq,
            inval: Mutex::new(Vec::new()),
            ring: Default::default(),
            gone: AtomicU32::new(0),
            bus: Default::default(),
        })
    }

    /// Raise `bits` on the task's interrupt line.
    pub fn raise(&self, bits: u32) {
        self.irq.fetch_or(bits, SeqCst);
    }

    /// The end of a guest thread's host thread: if someone waits for it to
    /// be gone, let the host kernel tell them when it is. (The host's
    /// clear-tid then no longer points at the C library's own word, which
    /// keeps this thread's host stack out of its cache: a few per exec.)
    pub fn host_thread_ends(self: Arc<TaskCtl>) {
        if self.gone.load(SeqCst) != 0 {
            let word = &self.gone as *const AtomicU32;
            std::mem::forget(self);
            unsafe { libc::syscall(libc::SYS_set_tid_address, word) };
        }
    }

    /// Wait until the host thread is gone (see [`TaskCtl::gone`]).
    pub fn wait_gone(&self) {
        loop {
            let v = self.gone.load(SeqCst);
            if v == 0 {
                return;
            }
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    &self.gone as *const AtomicU32,
                    libc::FUTEX_WAIT,
                    v,
                    0usize,
                )
            };
        }
    }

    /// Interrupt the task's blocking host syscall, if it is in one.
    pub fn kick(&self, tgid: u32) {
        let tid = self.tid.load(SeqCst);
        if tid != 0 {
            unsafe { libc::syscall(libc::SYS_tgkill, tgid as i32, tid as i32, kick_signal()) };
        }
    }
}

/// What CLONE_THREAD shares: Linux's `signal_struct`.
pub struct ThreadGroup {
    /// Resource limits (`signal->rlim`).
    pub rlim: Mutex<Rlimits>,
    /// The threads and how the group is ending; `changed` is signalled
    /// whenever it changes.
    pub state: Mutex<GroupState>,
    pub changed: Condvar,
}

/// The life of a thread group (see [`super::exit`]).
#[derive(Default)]
pub struct GroupState {
    /// The threads that have not exited, the leader first while it lives.
    pub threads: Vec<Arc<TaskCtl>>,
    /// Set by exit_group or a fatal signal: every thread stops, and this
    /// is the process's status (`signal->group_exit_code`).
    pub group_exit: Option<ExitStatus>,
    /// The leader's own status once it has exited with exit(2) while
    /// other threads run: the process's status when the last one ends.
    pub leader_exit: Option<ExitStatus>,
    /// A thread other than the leader is exec'ing: the leader's host
    /// thread takes the new program over (see `exec::de_thread`).
    pub exec: Option<Box<super::exec::Handoff>>,
}

impl ThreadGroup {
    pub fn new(rlim: Rlimits, leader: Arc<TaskCtl>) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            rlim: Mutex::new(rlim),
            state: Mutex::new(GroupState {
                threads: vec![leader],
                ..GroupState::default()
            }),
            changed: Condvar::new(),
        })
    }
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
    /// The thread id (gettid; equal to `pid` for the group leader).
    pub tid: u32,
    /// What other threads reach of this one.
    pub ctl: Arc<TaskCtl>,
    pub syscalls: u64,
    /// Set when the task has exited.
    pub exit: Option<ExitStatus>,
    /// Kernel address of the current syscall/exception `pt_regs`.
    pub frame: u32,
    /// The faulting address of the last #PF (the CPU's cr2).
    pub cr2: u32,
    /// DR6 of the last #DB (Linux's thread.virtual_dr6): `DR6_BS` for a
    /// single step, 0 for icebp.
    pub dr6: u32,
    /// Guest address of the vDSO's int80 landing pad (0 without a vDSO):
    /// `mm->context.vdso`, shared by the threads of the mm (an mremap of
    /// \[vdso\] moves it for all of them) and read without a lock by the
    /// sysenter path. See [`Task::landing_pad`].
    pub vdso_landing_pad: Arc<AtomicU32>,
    /// Signal mask, emu's own pending signals, alternate stack, trap info.
    pub sig: SigState,
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
    /// This process is a fork's child that has not exec'd: its heap is
    /// still its parent's, copy-on-write.
    pub forked: bool,
    /// A vfork child's end of the pipe its parent waits on (dropped when
    /// the child execs or exits: `vfork_done`).
    pub vfork_done: Option<super::vfork::VforkDone>,
    /// The memory map (CLONE_VM).
    pub mm: Arc<Mutex<Mm>>,
    /// The descriptor table (CLONE_FILES).
    pub files: Arc<Mutex<fs::Files>>,
    /// The signal dispositions (CLONE_SIGHAND).
    pub sighand: Arc<Mutex<SigHand>>,
    /// The thread group (CLONE_THREAD).
    pub group: Arc<ThreadGroup>,
    pub cfg: Arc<Config>,
    /// A hook asked the run to stop at the next return to user mode.
    pub hook_stop: bool,
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
        Task::from_image(image, execfn, argv, envp, cfg)
    }

    /// A task for an in-memory image with settings `cfg` (no
    /// /proc/self/exe; the image is copied into guest memory).
    pub fn from_image(
        image: &[u8],
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        cfg: Arc<Config>,
    ) -> Result<Task, LoadError> {
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
        // As execve: open without blocking (a FIFO would wait for a
        // writer), then only a regular file with an execute bit the caller
        // may use runs; anything else is EACCES (a directory EISDIR).
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| match execute_only(path, &e) {
                true => LoadError::Invalid(
                    "execute-only program (this user may execute it but not read it): \
                     emu must read a program to emulate it, and only the kernel's execve \
                     may read this one"
                        .into(),
                ),
                false => fail(e),
            })?;
        let md = file.metadata().map_err(fail)?;
        if md.is_dir() {
            return Err(fail(std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        let exec_ok = {
            use std::os::fd::AsRawFd;
            // faccessat on the open file: the permission the caller has.
            let p = format!("/proc/self/fd/{}\0", file.as_raw_fd());
            unsafe { libc::access(p.as_ptr() as *const libc::c_char, libc::X_OK) == 0 }
        };
        if !md.is_file() || !exec_ok {
            return Err(fail(std::io::Error::from_raw_os_error(libc::EACCES)));
        }
        let mut p = if md.len() == 0 {
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
        p.attach_tcache(&md, None);
        Ok(p)
    }

    /// Take the translations earlier runs of the program (`md`: its file)
    /// left, if `cfg.tcache` keeps them. `prev`: the store of the program
    /// this one replaces (an exec), which is taken over when it is this
    /// program's and its file was not replaced since (one stat instead
    /// of opening and mapping the file again: a shell's every command).
    pub fn attach_tcache(
        &mut self,
        md: &std::fs::Metadata,
        prev: Option<Arc<crate::cpu::tcache::Stored>>,
    ) {
        use crate::cpu::tcache;
        let store = self
            .cfg
            .tcache
            .as_deref()
            .and_then(|dir| tcache::locate(dir, md))
            .map(|(path, key)| match prev {
                Some(s) if s.key == key && s.path == path => tcache::Stored::current(&s),
                _ => Arc::new(tcache::Stored::load(path, key)),
            });
        self.cache.set_store(store);
    }

    /// Keep what this program translated for its next run (see
    /// [`crate::cpu::tcache`]), while its memory still holds it.
    pub fn save_translations(&mut self) {
        // Code other threads wrote goes first: every block kept is what
        // its pages held when it was made.
        super::exit::forget_written_code(self);
        self.cache.save();
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
        let mem = Arc::new(Mem::new().map_err(|e| LoadError::Invalid(reserve_error(e)))?);
        let mut vdso = None;
        let entry = cfg.entry;
        let rlim = Rlimits::from_host();
        let compat_layout = sys::host_compat_layout();
        let layout =
            loader::Layout::new(rlim.get(super::abi::sys::rlimit::STACK).cur, compat_layout);
        let sysroot = cfg.sysroot.clone();
        let l = loader::load_with(
            &mem,
            image,
            fd,
            execfn,
            argv,
            envp,
            &layout,
            sysroot.as_deref(),
            |mem, area| {
                let (v, m) = loader::vdso::map(mem, area, entry)?;
                vdso = Some(m);
                Ok(Some(v))
            },
        )?;
        sys::set_comm(execfn);
        let mut cpu = Cpu::new(mem);
        cpu.eip = l.entry;
        cpu.regs[crate::cpu::ESP] = l.sp;
        let mut files = files;
        files.nofile = rlim.get(super::abi::sys::rlimit::NOFILE).cur;
        install_kick_handler();
        let pid = std::process::id();
        let ctl = TaskCtl::new(pid, cpu.irq.clone());
        let mut p = Task {
            cpu,
            cache: BlockCache::default(),
            pid,
            tid: pid,
            ctl: ctl.clone(),
            syscalls: 0,
            exit: None,
            frame: 0,
            cr2: 0,
            dr6: 0,
            vdso_landing_pad: Arc::new(AtomicU32::new(vdso.map_or(0, |m| m.landing_pad))),
            sig: SigState {
                blocked: super::hostsig::current_mask(),
                ..SigState::default()
            },
            stats: Stats::default(),
            personality: sys::initial_personality(l.read_implies_exec, compat_layout),
            clear_child_tid: 0,
            robust_list: 0,
            forked: false,
            vfork_done: None,
            mm: Arc::new(Mutex::new(Mm::new(
                &l,
                image,
                vdso.map(|m| m.base),
                exe_file.filter(|_| l.file_mapped),
            ))),
            files: Arc::new(Mutex::new(files)),
            sighand: Arc::new(Mutex::new(SigHand::inherited())),
            group: ThreadGroup::new(rlim, ctl.clone()),
            cfg,
            hook_stop: false,
        };
        let hooked = p.cfg.hooks.as_ref().is_some_and(|h| h.has_syscall_hooks());
        if p.cfg.frames.is_some()
            || p.cfg.strace.is_some()
            || p.cfg.syscall_stats.is_some()
            || hooked
        {
            p.set_syscall_trace(true);
        }
        super::hostsig::set_current(&ctl);
        Ok(p)
    }

    /// The vDSO's int80 landing pad, where sysenter returns (0: no vDSO).
    pub fn landing_pad(&self) -> u32 {
        self.vdso_landing_pad
            .load(std::sync::atomic::Ordering::Relaxed)
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
    ///
    /// For the group leader this returns the process's status, after every
    /// thread has ended (or at once on exit_group); for another thread,
    /// when it ends. Stop requests of hooks are ignored.
    pub fn run(&mut self) -> ExitStatus {
        loop {
            if let Stop::Exited(st) = self.run_until(None) {
                return st;
            }
        }
    }

    /// Run until the guest exits or dies, a hook asks to stop, or (with
    /// `end`) `cpu.icount` reaches `end`: exactly, counting every
    /// instruction once, a rep string instruction as one. The run can
    /// be resumed after a stop (not after an exit).
    pub fn run_until(&mut self, end: Option<u64>) -> Stop {
        loop {
            self.soft_writes();
            let ev = match end {
                None => match &self.cfg.gdb {
                    None => match self.run_serving() {
                        Some(ev) => ev,
                        None => {
                            if let Some(stop) = self.after_event() {
                                return stop;
                            }
                            continue;
                        }
                    },
                    Some(d) => {
                        let d = d.clone();
                        crate::gdb::run(self, &d)
                    }
                },
                Some(end) => match run::run_until(&mut self.cpu, &mut self.cache, end) {
                    Some(ev) => ev,
                    None => return Stop::Budget,
                },
            };
            entry::handle(self, ev);
            if let Some(stop) = self.after_event() {
                return stop;
            }
        }
    }

    /// Whether guest stores check for translated code themselves: the
    /// host does not call emu's fault handler for a store to translated
    /// code or a tracked page while SIGSEGV is blocked or ignored.
    fn soft_writes(&mut self) {
        let soft = self.sig.blocked & (1 << (super::abi::signal::SIGSEGV - 1)) != 0
            || super::hostsig::segv_ignored()
            || self.cpu.mem.tracking();
        self.cpu.set_soft_writes(soft);
    }

    /// Guest code with the kernel side serving its events in the run
    /// loop ([`run::run_serving`]) while nothing asks the loop above to
    /// look: None when the task exited or a hook stopped it (the caller
    /// looks), Some(an event the loop left with).
    fn run_serving(&mut self) -> Option<run::Event> {
        let me: *mut Task = self;
        // SAFETY: `me` is alive (it is `self`).
        let (cpu, cache) = unsafe {
            (
                std::ptr::addr_of_mut!((*me).cpu),
                std::ptr::addr_of_mut!((*me).cache),
            )
        };
        let serve = move |ev| {
            // SAFETY: `run_serving` holds no reference to the Cpu or the
            // cache while this runs.
            let p = unsafe { &mut *me };
            entry::handle(p, ev);
            if p.exit.is_some() || p.hook_stop {
                return false;
            }
            p.soft_writes();
            true
        };
        // SAFETY: the task outlives the call; `serve` is the only other
        // user of its Cpu and cache.
        unsafe { run::run_serving(cpu, cache, serve) }
    }

    /// After the kernel side served an event: the task's exit (when the
    /// whole group is done, for the leader) or a hook's stop request.
    fn after_event(&mut self) -> Option<Stop> {
        if self.exit.is_some() {
            if let Some(st) = super::exit::finish(self) {
                self.flush_frames();
                if let Some(s) = &self.cfg.strace {
                    super::strace::exited(self, s, st);
                }
                return Some(Stop::Exited(st));
            }
        }
        if self.hook_stop {
            self.hook_stop = false;
            return Some(Stop::Hook);
        }
        None
    }

    /// A host syscall that may block, which a guest signal (or a request
    /// to stop) arriving before or during it ends with EINTR (see
    /// [`super::hostsig::syscall_cp`]).
    /// An EINTR with no guest signal and no stop request behind it (a host
    /// signal the guest does not see) makes the call again.
    pub fn blocking(&self, nr: libc::c_long, a: [i64; 6]) -> Result<i64, super::abi::errno::Errno> {
        use super::abi::errno::Errno;
        loop {
            let r = super::hostsig::syscall_cp(&self.cpu.irq, nr, a);
            if r >= 0 {
                return Ok(r);
            }
            let e = Errno::from_host(-r as i32);
            let woken = self.cpu.irq.load(SeqCst) & super::hostsig::CP_MASK != 0
                || !self.ctl.ring.is_empty();
            if e != Errno::EINTR || woken {
                return Err(e);
            }
        }
    }

    /// Is this the thread group's leader?
    pub fn is_leader(&self) -> bool {
        self.tid == self.pid
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
                lock(log).write(entry, &r, self.tid);
            }
        }
    }

    /// Drop translated code on [addr, addr+len): from this thread's
    /// cache (clearing the pages' P_CODE) and, through their interrupt
    /// lines, from every other thread's.
    pub fn forget_code(&mut self, addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        self.cache.invalidate_range(&self.cpu, addr, len);
        let r = crate::mem::page_range(addr, len);
        self.tell_others_code(*r.start(), *r.end());
    }

    /// Tell the other threads that pages `first..=last` no longer hold the
    /// code they may have translated (this thread has dropped its own).
    /// They drop it at their next block boundary; a thread that is running
    /// a block from those pages finishes that block, as a CPU without a
    /// serializing instruction may.
    pub fn tell_others_code(&self, first: u32, last: u32) {
        let g = lock(&self.group.state);
        if g.threads.len() <= 1 {
            return;
        }
        // Pages of a shared object: their aliases' code is stale as well.
        let mut ranges = vec![(first, last)];
        for page in first..=last {
            if self.cpu.mem.perm(page) & crate::mem::P_ALIAS != 0 {
                for a in self.cpu.mem.aliases_of(page) {
                    if a != page {
                        ranges.push((a, a));
                    }
                }
            }
        }
        for t in g.threads.iter().filter(|t| !Arc::ptr_eq(t, &self.ctl)) {
            lock(&t.inval).extend_from_slice(&ranges);
            // Its chain stops at its next block boundary, not at the end
            // of its span: it may see this thread's next stores before.
            t.irq.code_written();
            t.raise(irq::INVALIDATE);
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

/// Why the 4 GiB guest window could not be reserved, naming the limit that
/// stopped it when it is the address-space rlimit (`ulimit -v`).
fn reserve_error(e: std::io::Error) -> String {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let limited = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut rl) } == 0
        && rl.rlim_cur != libc::RLIM_INFINITY;
    if limited {
        format!(
            "cannot reserve the 4 GiB guest address space: {e}; RLIMIT_AS (ulimit -v) is {} KiB, \
             and emu needs about 4.1 GiB of address space (not memory) more than the guest uses",
            rl.rlim_cur / 1024
        )
    } else {
        format!("cannot reserve the 4 GiB guest address space: {e}")
    }
}

/// Whether opening `path` for reading failed (`e`) only because this user
/// may not read it although it is a regular file the user may execute (a
/// mode 0711 program of another user). Linux runs such a program, since
/// execve reads it in the kernel; emu, which runs as the user, cannot (an
/// O_PATH descriptor can be neither read nor mapped, and reopening it
/// through /proc checks the same permission).
fn execute_only(path: &Path, e: &std::io::Error) -> bool {
    use std::os::unix::ffi::OsStrExt;
    if e.raw_os_error() != Some(libc::EACCES) {
        return false;
    }
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    let h = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if h < 0 {
        return false;
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let regular =
        unsafe { libc::fstat(h, &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFREG;
    let exec = unsafe {
        libc::faccessat(
            h,
            c"".as_ptr(),
            libc::X_OK,
            libc::AT_EMPTY_PATH | libc::AT_EACCESS,
        )
    } == 0;
    unsafe { libc::close(h) };
    regular && exec
}
