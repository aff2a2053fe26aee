//! The embeddable machine: emu as a library.
//!
//! A [`Machine`] is one guest process, built by a [`Builder`] from an ELF
//! path or the bytes of one, its argv and envp and options (sysroot,
//! syscall entry, `--frames` and `--strace` output, [hooks](crate::kernel::hooks)).
//! It runs to exit ([`Machine::run`]), for an exact number of
//! instructions ([`Machine::run_for`]) or until a hook stops it, and in
//! between its registers and memory can be read and written.
//!
//! ```no_run
//! use emu::machine::{Builder, Reg, Stop};
//!
//! let mut m = Builder::from_path("guest/bin/hello").build()?;
//! assert_eq!(m.run_for(10), Stop::Budget);
//! println!("eip {:#x}, eax {:#x}", m.eip(), m.reg(Reg::Eax));
//! let st = m.run();
//! println!("{st:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The guest runs in the calling process, on the calling thread, as the
//! `emu` command runs it: its file descriptors are this process's (fd 1
//! is this process's stdout, and a guest that closes it closes it here),
//! its working directory and umask are this process's, guest signal
//! handlers are installed as host handlers, the guest's threads are host
//! threads, and its fork is a fork of this process: the child runs the
//! guest inside a copy of the embedding program, with a copy of the hooks
//! (what they record there stays there), and ends when its guest ends,
//! never returning from [`Machine::run`] into the embedder's code.
//! Several machines may run in turns on one thread (each takes the host's
//! signal dispositions and routing over when it runs); machines running at
//! the same time on different threads would share those dispositions, so
//! give each its own process instead. And expect a guest to do to the
//! process what a program run by `emu` may do.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use crate::kernel::hooks::{
    ExceptionCtx, HookCtx, Hooks, MemError, SignalCtx, SyscallCtx, SyscallFilter,
};
use crate::kernel::{Config, Task};
pub use crate::kernel::{ExitStatus, Stop, SyscallEntry};
pub use crate::loader::LoadError;
pub use crate::snapshot::{OpenFile, RestoreReport, Snapshot, SnapshotError};

/// What to run: a file or an image in memory.
enum Program {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// Builds a [`Machine`].
pub struct Builder {
    program: Program,
    argv: Option<Vec<Vec<u8>>>,
    envp: Vec<Vec<u8>>,
    sysroot: Option<PathBuf>,
    entry: SyscallEntry,
    frames: Option<PathBuf>,
    strace: Option<std::fs::File>,
    stats: bool,
    no_host_exec: bool,
    hooks: Option<Hooks>,
}

impl Builder {
    fn new(program: Program) -> Builder {
        Builder {
            program,
            argv: None,
            envp: Vec::new(),
            sysroot: None,
            entry: SyscallEntry::default(),
            frames: None,
            strace: None,
            stats: false,
            no_host_exec: false,
            hooks: None,
        }
    }

    /// The i386 ELF program at `path` (mapped, as `emu PATH` does).
    pub fn from_path(path: impl AsRef<Path>) -> Builder {
        Builder::new(Program::Path(path.as_ref().to_path_buf()))
    }

    /// An i386 ELF image in memory. Its `/proc/self/exe` is empty and a
    /// dynamically linked image finds its interpreter by the path it names.
    pub fn from_bytes(image: impl Into<Vec<u8>>) -> Builder {
        Builder::new(Program::Bytes(image.into()))
    }

    /// The whole argv, argv\[0\] included (default: the program's path, or
    /// `"prog"` for an image).
    pub fn argv<I, S>(mut self, argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.argv = Some(argv.into_iter().map(|a| a.as_ref().to_vec()).collect());
        self
    }

    /// Append one argument after argv\[0\] (and those before it).
    pub fn arg(mut self, a: impl AsRef<[u8]>) -> Self {
        let argv0 = self.default_argv0();
        self.argv
            .get_or_insert_with(|| vec![argv0])
            .push(a.as_ref().to_vec());
        self
    }

    /// The whole environment, as `VAR=VALUE` strings (default: empty).
    pub fn envp<I, S>(mut self, envp: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.envp = envp.into_iter().map(|e| e.as_ref().to_vec()).collect();
        self
    }

    /// Append `VAR=VALUE` to the environment.
    pub fn env(mut self, var: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let mut e = var.as_ref().to_vec();
        e.push(b'=');
        e.extend_from_slice(value.as_ref());
        self.envp.push(e);
        self
    }

    /// Look up absolute guest paths under `dir` first (`emu -L DIR`).
    pub fn sysroot(mut self, dir: impl AsRef<Path>) -> Self {
        self.sysroot = Some(dir.as_ref().to_path_buf());
        self
    }

    /// How the vDSO enters the kernel (`--syscall-entry`; default sysenter).
    pub fn syscall_entry(mut self, e: SyscallEntry) -> Self {
        self.entry = e;
        self
    }

    /// Write every syscall's entry and exit frame to `path` (`--frames`).
    pub fn frames(mut self, path: impl AsRef<Path>) -> Self {
        self.frames = Some(path.as_ref().to_path_buf());
        self
    }

    /// Print each syscall in strace's format to `out`, as `--strace-file`
    /// does (`strace -f -o FILE`'s format: each line starts with its
    /// task id). Best opened close-on-exec (Rust's `File::create` is),
    /// so that the guest's descriptor numbers stay as natively.
    pub fn strace(mut self, out: std::fs::File) -> Self {
        self.strace = Some(out);
        self
    }

    /// Keep per-syscall counts and times (`--stats`; see
    /// [`Machine::syscall_table`]).
    pub fn stats(mut self, on: bool) -> Self {
        self.stats = on;
        self
    }

    /// execve of anything but an i386 program fails with ENOEXEC instead of
    /// running on the host (`--no-host-exec`).
    pub fn no_host_exec(mut self, on: bool) -> Self {
        self.no_host_exec = on;
        self
    }

    /// The hooks (see [`crate::kernel::hooks`]).
    pub fn hooks(mut self, h: Hooks) -> Self {
        self.hooks = Some(h);
        self
    }

    fn default_argv0(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        match &self.program {
            Program::Path(p) => p.as_os_str().as_bytes().to_vec(),
            Program::Bytes(_) => b"prog".to_vec(),
        }
    }

    /// Load the program: a machine stopped at its first instruction.
    pub fn build(self) -> Result<Machine, BuildError> {
        let argv = self
            .argv
            .clone()
            .unwrap_or_else(|| vec![self.default_argv0()]);
        let frames = match &self.frames {
            Some(f) => Some(Mutex::new(
                crate::kernel::frames::FrameLog::create(f).map_err(BuildError::Io)?,
            )),
            None => None,
        };
        let cfg = Arc::new(Config {
            sysroot: self.sysroot.as_deref().map(crate::kernel::path::sysroot),
            entry: self.entry,
            frames,
            strace: self
                .strace
                .map(|f| crate::kernel::strace::Strace::new(f, true)),
            syscall_stats: self
                .stats
                .then(crate::kernel::strace::SyscallStats::default),
            no_host_exec: self.no_host_exec,
            hooks: self.hooks,
            gdb: None,
            tcache: None,
        });
        let task = match &self.program {
            Program::Path(path) => {
                use std::os::unix::ffi::OsStrExt;
                let exe = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                let execfn = path.as_os_str().as_bytes();
                Task::from_file(path, &exe, execfn, &argv, &self.envp, cfg)
            }
            Program::Bytes(image) => Task::from_image(image, &argv[0], &argv, &self.envp, cfg),
        }
        .map_err(BuildError::Load)?;
        let inherited = crate::snapshot::open_files(&task);
        // Building made this task the thread's current one without the
        // host's dispositions following: the first run syncs them.
        ENTERED.with(|e| e.set(0));
        Ok(Machine {
            pid: task.pid,
            task,
            exited: None,
            inherited,
        })
    }
}

/// Why [`Builder::build`] failed.
#[derive(Debug)]
pub enum BuildError {
    /// The program (or its interpreter) could not be loaded.
    Load(LoadError),
    /// An output file (`frames`) could not be created.
    Io(std::io::Error),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Load(e) => write!(f, "{e}"),
            BuildError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A general register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// eax
    Eax,
    /// ecx
    Ecx,
    /// edx
    Edx,
    /// ebx
    Ebx,
    /// esp
    Esp,
    /// ebp
    Ebp,
    /// esi
    Esi,
    /// edi
    Edi,
}

impl Reg {
    /// Every general register, in encoding order.
    pub const ALL: [Reg; 8] = [
        Reg::Eax,
        Reg::Ecx,
        Reg::Edx,
        Reg::Ebx,
        Reg::Esp,
        Reg::Ebp,
        Reg::Esi,
        Reg::Edi,
    ];

    fn index(self) -> usize {
        use crate::cpu::*;
        match self {
            Reg::Eax => EAX,
            Reg::Ecx => ECX,
            Reg::Edx => EDX,
            Reg::Ebx => EBX,
            Reg::Esp => ESP,
            Reg::Ebp => EBP,
            Reg::Esi => ESI,
            Reg::Edi => EDI,
        }
    }
}

/// A segment register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegReg {
    /// es
    Es,
    /// cs
    Cs,
    /// ss
    Ss,
    /// ds
    Ds,
    /// fs
    Fs,
    /// gs
    Gs,
}

impl SegReg {
    fn index(self) -> usize {
        use crate::cpu::*;
        match self {
            SegReg::Es => ES,
            SegReg::Cs => CS,
            SegReg::Ss => SS,
            SegReg::Ds => DS,
            SegReg::Fs => FS,
            SegReg::Gs => GS,
        }
    }
}

/// A register write that was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegError {
    /// cs and ss change only by the guest's own far transfers.
    ReadOnly,
    /// The selector does not load (the CPU would raise #GP, #NP or #SS).
    BadSelector(u16),
}

impl std::fmt::Display for RegError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegError::ReadOnly => write!(f, "cs and ss cannot be written"),
            RegError::BadSelector(s) => write!(f, "selector {s:#x} does not load"),
        }
    }
}

impl std::error::Error for RegError {}

/// The x87 and SSE state, as `fxsave` would store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpuRegs {
    /// ST(0) to ST(7), 80-bit values (little-endian bytes).
    pub st: [[u8; 10]; 8],
    /// The control word.
    pub fcw: u16,
    /// The status word, TOP included.
    pub fsw: u16,
    /// The abridged tag word (bit n: physical register n is not empty).
    pub ftw: u8,
    /// The last non-control instruction's address.
    pub fip: u32,
    /// xmm0 to xmm7.
    pub xmm: [u128; 8],
    /// MXCSR.
    pub mxcsr: u32,
}

/// The EFLAGS bits [`Machine::set_eflags`] changes (ptrace's FLAG_MASK:
/// CF PF AF ZF SF TF DF OF RF AC).
pub const EFLAGS_WRITABLE: u32 = crate::kernel::hooks::FLAG_MASK;

/// One guest process under the embedder's control (see the
/// [module documentation](self)).
///
/// Dropping it closes the descriptors the guest opened (not the numbers
/// it started with) once no guest thread runs any more; the guest's
/// memory goes with it.
pub struct Machine {
    /// The process the machine was built in (a guest's fork makes others).
    pid: u32,
    task: Task,
    exited: Option<ExitStatus>,
    /// The descriptors the guest started with (see [`Machine::restore`]).
    inherited: Vec<OpenFile>,
}

impl Machine {
    /// Run until the guest exits (or dies), or a hook stops it.
    pub fn run(&mut self) -> Stop {
        self.go(None)
    }

    /// Run exactly `n` more instructions ([`Stop::Budget`]), unless the
    /// guest exits or a hook stops it first. Instructions are counted as
    /// `--stats` counts them: each once, a rep string instruction as one;
    /// what the kernel does for a syscall is not counted.
    pub fn run_for(&mut self, n: u64) -> Stop {
        let end = self.task.cpu.icount.saturating_add(n);
        self.go(Some(end))
    }

    /// Run to the end, going on after hook stops.
    pub fn run_to_exit(&mut self) -> ExitStatus {
        loop {
            if let Stop::Exited(st) = self.run() {
                return st;
            }
        }
    }

    fn go(&mut self, end: Option<u64>) -> Stop {
        if let Some(st) = self.exited {
            return Stop::Exited(st);
        }
        self.enter();
        let s = self.task.run_until(end);
        if self.task.pid != self.pid {
            self.end_forked_child(s);
        }
        if let Stop::Exited(st) = s {
            self.exited = Some(st);
        }
        s
    }

    /// Make this machine the one the host's signal handling serves on
    /// this thread, when another one was (several machines run in turns
    /// on one thread): the signals the host catches go to this task, the
    /// host's dispositions and the thread's mask become this guest's.
    fn enter(&mut self) {
        let me = std::sync::Arc::as_ptr(&self.task.ctl) as usize;
        if ENTERED.with(|e| e.replace(me)) == me {
            return;
        }
        crate::kernel::hostsig::set_current(&self.task.ctl);
        let h = crate::kernel::task::lock(&self.task.sighand).clone();
        for sig in 1..=64u32 {
            let a = h.get(sig);
            crate::kernel::hostsig::mirror_action(sig, a.handler, a.flags);
        }
        crate::kernel::hostsig::apply_mask(self.task.sig.blocked);
    }

    /// The guest forked, and this is its child process: a copy of the
    /// embedding program, which must not go on past the run as if it were
    /// the original. The child runs its guest to the end (its budget and
    /// hook stops mean nothing to the embedder, who is in the parent) and
    /// ends as the guest ends (with `_exit`: the embedder's buffered
    /// output and exit handlers belong to the parent).
    #[cold]
    fn end_forked_child(&mut self, mut s: Stop) -> ! {
        let st = loop {
            match s {
                Stop::Exited(st) => break st,
                _ => s = self.task.run_until(None),
            }
        };
        let _ = self.flush();
        match st {
            ExitStatus::Exited(c) => unsafe { libc::_exit(c) },
            ExitStatus::Signaled(sig) => crate::kernel::exit::die_by_signal(sig),
        }
    }

    /// How the guest ended, once it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.exited
    }

    /// Instructions retired so far (the main thread's).
    pub fn icount(&self) -> u64 {
        self.task.cpu.icount
    }

    /// Syscalls made so far (the main thread's).
    pub fn syscalls(&self) -> u64 {
        self.task.syscalls
    }

    /// The guest's process id (this host process's).
    pub fn pid(&self) -> u32 {
        self.task.pid
    }

    // ---- registers ----

    /// A general register.
    pub fn reg(&self, r: Reg) -> u32 {
        self.task.cpu.regs[r.index()]
    }

    /// Set a general register.
    pub fn set_reg(&mut self, r: Reg, v: u32) {
        self.task.cpu.regs[r.index()] = v;
    }

    /// The instruction pointer.
    pub fn eip(&self) -> u32 {
        self.task.cpu.eip
    }

    /// Set the instruction pointer: the guest goes on there.
    pub fn set_eip(&mut self, v: u32) {
        self.task.cpu.eip = v;
    }

    /// EFLAGS.
    pub fn eflags(&self) -> u32 {
        self.task.cpu.eflags()
    }

    /// Set the bits of [`EFLAGS_WRITABLE`] from `v` (the others stay).
    pub fn set_eflags(&mut self, v: u32) {
        self.task.cpu.load_flags(v, EFLAGS_WRITABLE);
    }

    /// A segment selector.
    pub fn seg(&self, s: SegReg) -> u16 {
        self.task.cpu.segs[s.index()].sel
    }

    /// Load ds, es, fs or gs with `sel` through the descriptor tables, as
    /// `mov` to it would; cs and ss are read-only here.
    pub fn set_seg(&mut self, s: SegReg, sel: u16) -> Result<(), RegError> {
        if matches!(s, SegReg::Cs | SegReg::Ss) {
            return Err(RegError::ReadOnly);
        }
        let cpu = &mut self.task.cpu;
        if cpu.load_seg(s.index(), sel) {
            Ok(())
        } else {
            cpu.exit = crate::cpu::exit::NONE;
            Err(RegError::BadSelector(sel))
        }
    }

    /// The x87 and SSE registers.
    pub fn fpu(&self) -> FpuRegs {
        let c = &self.task.cpu;
        let mut st = [[0; 10]; 8];
        for (i, s) in st.iter_mut().enumerate() {
            *s = c.fpu.r[(c.fpu.top as usize + i) & 7].to_bytes();
        }
        FpuRegs {
            st,
            fcw: c.fpu.cw,
            fsw: c.fpu.status(),
            ftw: c.fpu.tags,
            fip: c.fpu.fip,
            xmm: c.sse.xmm,
            mxcsr: c.sse.mxcsr,
        }
    }

    // ---- memory ----

    /// Read guest memory at `addr` into `out`: an error, not a crash, if
    /// any byte is not mapped readable.
    pub fn read_mem(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemError> {
        crate::kernel::hooks::read_mem(&mut self.task, addr, out)
    }

    /// Write `data` to guest memory at `addr` (pages must be mapped
    /// writable; translated code there is dropped).
    pub fn write_mem(&mut self, addr: u32, data: &[u8]) -> Result<(), MemError> {
        crate::kernel::hooks::write_mem(&mut self.task, addr, data)
    }

    /// Read a little-endian word.
    pub fn read_u32(&mut self, addr: u32) -> Result<u32, MemError> {
        let mut b = [0; 4];
        self.read_mem(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Write a little-endian word.
    pub fn write_u32(&mut self, addr: u32, v: u32) -> Result<(), MemError> {
        self.write_mem(addr, &v.to_le_bytes())
    }

    /// Read a NUL-terminated string (without the NUL) of at most `max` bytes.
    pub fn read_cstr(&mut self, addr: u32, max: usize) -> Result<Vec<u8>, MemError> {
        crate::kernel::hooks::read_cstr(&mut self.task, addr, max)
    }

    // ---- snapshot and restore ----

    /// Save the whole machine (see [`crate::snapshot`]): CPU, memory and
    /// the kernel state; open files are listed, not saved. Only for a
    /// single-threaded process without shared mappings.
    pub fn snapshot(&mut self) -> Result<Snapshot, SnapshotError> {
        crate::snapshot::take(&mut self.task)
    }

    /// Put the machine back as it was at `s`, a snapshot of this machine
    /// (after it exited, too: it then runs again). Reports what became of
    /// the open file descriptors.
    pub fn restore(&mut self, s: &Snapshot) -> Result<RestoreReport, SnapshotError> {
        self.enter();
        let r = crate::snapshot::restore(&mut self.task, s, &self.inherited)?;
        self.exited = None;
        Ok(r)
    }

    // ---- output and internals ----

    /// The `--stats` syscall table (strace -c's format), with
    /// [`Builder::stats`].
    pub fn syscall_table(&self) -> Option<String> {
        self.task.cfg.syscall_stats.as_ref().map(|s| s.table())
    }

    /// Flush the frames log, returning its first write error.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(f) = &self.task.cfg.frames {
            let mut log = crate::kernel::task::lock(f);
            if let Some(e) = log.finish() {
                return Err(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        Ok(())
    }

    /// The task (emu's internals: no stability promised).
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The task, mutably (emu's internals: no stability promised).
    pub fn task_mut(&mut self) -> &mut Task {
        &mut self.task
    }
}

thread_local! {
    /// The machine (its task's `TaskCtl` address) this thread last ran, 0
    /// for none or unknown.
    static ENTERED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Drop for Machine {
    fn drop(&mut self) {
        ENTERED.with(|e| e.set(0));
        let others = crate::kernel::task::lock(&self.task.group.state)
            .threads
            .iter()
            .any(|t| !std::sync::Arc::ptr_eq(t, &self.task.ctl));
        if !others {
            crate::snapshot::close_guest_files(&mut self.task, &self.inherited);
        }
    }
}
