//! The Linux side: the process, the syscall path, and how guest deaths map
//! to exit statuses.

pub mod abi;
pub mod dir;
pub mod entry;
pub mod frames;
pub mod fs;
pub mod futex;
pub mod ioctl;
pub mod ldt;
pub mod mm;
pub mod net;
pub mod path;
pub mod poll;
pub mod process;
pub mod procfs;
pub mod signal;
pub mod stat;
pub mod sys;
pub mod syscall;
pub mod time;
pub mod tls;
pub mod uaccess;

use std::sync::Arc;

use crate::arch;
use crate::cpu::cache::BlockCache;
use crate::cpu::run;
use crate::cpu::{vec, Cpu};
use crate::loader::{self, LoadError};
use crate::mem::Mem;

pub use crate::loader::vdso::SyscallEntry;

/// How the guest ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGSEGV: i32 = 11;

/// A guest process.
pub struct Process {
    pub cpu: Cpu,
    pub cache: BlockCache,
    pub brk: u32,
    pub pid: u32,
    pub syscalls: u64,
    /// Set when the process has exited.
    pub exit: Option<ExitStatus>,
    /// Kernel address of the current syscall/exception `pt_regs`.
    pub frame: u32,
    /// The faulting address of the last #PF (the CPU's cr2).
    pub cr2: u32,
    /// Guest address of the vDSO's int80 landing pad (0 without a vDSO).
    pub vdso_landing_pad: u32,
    /// A pending signal (handlers come later: its default action applies).
    pub pending: Option<signal::SigInfo>,
    /// The signal that terminated the process, with its siginfo.
    pub last_signal: Option<signal::SigInfo>,
    /// `--frames` output.
    pub frames: Option<frames::FrameLog>,
    pub stats: Stats,
    /// The memory map (brk, mmap).
    pub mm: mm::Mm,
    /// Identity, personality, resource limits, per-thread registrations.
    pub sys: sys::Sys,
    /// The file descriptor table and file-system context.
    pub files: fs::Files,
    /// The futex wait queues.
    pub futex: futex::Futexes,
    /// Host path of the running program (for /proc/self/exe).
    pub exe: std::path::PathBuf,
    /// `-L/--sysroot`: absolute guest paths are looked up here first.
    pub sysroot: Option<std::path::PathBuf>,
}

/// Counters for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub sysexits: u64,
}

impl Process {
    pub fn new(
        image: &[u8],
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        entry: SyscallEntry,
    ) -> Result<Process, LoadError> {
        Process::build(image, None, fs::Files::new(), execfn, argv, envp, entry)
    }

    /// A process for the executable at host path `path` (`exe`: its
    /// canonical form, for /proc/self/exe and the memory map). The file is
    /// mapped, not read, and its segments become private host mappings of
    /// it, so startup costs page-table work for the pages the guest
    /// touches only. A missing file is [`LoadError::NotFound`].
    pub fn from_file(
        path: &std::path::Path,
        exe: &std::path::Path,
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        entry: SyscallEntry,
    ) -> Result<Process, LoadError> {
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
        let mut p = if md.len() == 0 {
            // Nothing to map: the loader's checks give the reason.
            Process::build(&[], None, files, execfn, argv, envp, entry)?
        } else {
            let image = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
            let mf = mm::MapFile::for_exe(&file, exe).map_err(fail)?;
            Process::build(
                &image,
                Some((file.as_fd(), mf)),
                files,
                execfn,
                argv,
                envp,
                entry,
            )?
        };
        p.exe = exe.to_path_buf();
        Ok(p)
    }

    fn build(
        image: &[u8],
        file: Option<(std::os::fd::BorrowedFd<'_>, Arc<mm::MapFile>)>,
        files: fs::Files,
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        entry: SyscallEntry,
    ) -> Result<Process, LoadError> {
        let (fd, exe_file) = match file {
            Some((fd, f)) => (Some(fd), Some(f)),
            None => (None, None),
        };
        let mem = Arc::new(
            Mem::new()
                .map_err(|e| LoadError::Invalid(format!("cannot reserve guest memory: {e}")))?,
        );
        let mut vdso = None;
        let l = loader::load_with(&mem, image, fd, execfn, argv, envp, |mem, low| {
            let (v, m) = loader::vdso::map(mem, low, entry)?;
            vdso = Some(m);
            Ok(Some(v))
        })?;
        sys::set_comm(execfn);
        let mut cpu = Cpu::new(mem);
        cpu.eip = l.entry;
        cpu.regs[crate::cpu::ESP] = l.sp;
        Ok(Process {
            cpu,
            cache: BlockCache::default(),
            brk: l.brk,
            pid: std::process::id(),
            syscalls: 0,
            exit: None,
            frame: 0,
            cr2: 0,
            vdso_landing_pad: vdso.map_or(0, |m| m.landing_pad),
            pending: None,
            last_signal: None,
            frames: None,
            stats: Stats::default(),
            mm: mm::Mm::new(
                &l,
                image,
                vdso.map(|m| m.base),
                exe_file.filter(|_| l.file_mapped),
            ),
            sys: sys::Sys::from_loaded(&l),
            files,
            futex: futex::Futexes::default(),
            exe: std::path::PathBuf::new(),
            sysroot: None,
        })
    }

    /// Run until the guest exits or dies. Every trip into the kernel goes
    /// through the IDT/TSS or sysenter path in [`entry`].
    pub fn run(&mut self) -> ExitStatus {
        loop {
            let ev = run::run(&mut self.cpu, &mut self.cache);
            entry::handle(self, ev);
            if let Some(st) = self.exit {
                if let Some(f) = self.frames.as_mut() {
                    f.flush();
                }
                return st;
            }
        }
    }

    /// Write the current pt_regs to the `--frames` log.
    pub fn trace_frame(&mut self, entry: bool) {
        if let Some(log) = self.frames.as_mut() {
            if let Ok(r) = arch::ptregs::PtRegs::read(&self.cpu.sys.kmem, self.frame) {
                log.write(entry, &r);
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

/// The signal a CPU exception kills the guest with (default action).
pub fn signal_for_exception(v: u8) -> i32 {
    match v {
        vec::DE | vec::MF | vec::XM => SIGFPE,
        vec::UD => SIGILL,
        vec::DB | vec::BP => SIGTRAP,
        vec::NP | vec::SS => SIGBUS,
        _ => SIGSEGV,
    }
}

/// `int n` from user mode: int3 traps; 0x80 is the syscall gate; every other
/// vector has DPL 0 and raises #GP, hence SIGSEGV. (into -> SIGSEGV as on Linux.)
pub fn signal_for_int(v: u8) -> i32 {
    match v {
        vec::BP | vec::DB => SIGTRAP,
        _ => SIGSEGV,
    }
}
