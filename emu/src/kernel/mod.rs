//! The Linux side: the process, the syscall path, and how guest deaths map
//! to exit statuses.

pub mod abi;
pub mod fs;
pub mod process;
pub mod syscall;
pub mod tls;

use std::sync::Arc;

use crate::cpu::cache::{self, BlockCache, Event};
use crate::cpu::{vec, Cpu, EAX, EBP, EBX, ECX, EDI, EDX, ESI};
use crate::loader::{self, LoadError};
use crate::mem::Mem;

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
}

impl Process {
    pub fn new(
        image: &[u8],
        execfn: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<Process, LoadError> {
        let mem = Arc::new(
            Mem::new()
                .map_err(|e| LoadError::Invalid(format!("cannot reserve guest memory: {e}")))?,
        );
        let l = loader::load(&mem, image, execfn, argv, envp)?;
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
        })
    }

    /// Run until the guest exits or dies.
    pub fn run(&mut self) -> ExitStatus {
        loop {
            match cache::run(&mut self.cpu, &mut self.cache) {
                Event::SoftInt(0x80) => self.syscall(),
                Event::SoftInt(v) => return ExitStatus::Signaled(signal_for_int(v)),
                Event::Sysenter => return ExitStatus::Signaled(SIGILL),
                Event::Exception(e) => return ExitStatus::Signaled(signal_for_exception(e.vector)),
            }
            if let Some(st) = self.exit {
                return st;
            }
        }
    }

    fn syscall(&mut self) {
        self.syscalls += 1;
        let r = &self.cpu.regs;
        let nr = r[EAX];
        let args = [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]];
        let ret = syscall::invoke(self, nr, args);
        self.cpu.regs[EAX] = ret;
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
