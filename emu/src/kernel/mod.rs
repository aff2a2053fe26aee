//! The Linux side: the process, the syscall path, and how guest deaths map
//! to exit statuses.

use std::sync::Arc;

use crate::cpu::cache::{self, BlockCache, Event};
use crate::cpu::{vec, Cpu, EAX, EBX, ECX, EDX};
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
pub const SIGFPE: i32 = 8;
pub const SIGSEGV: i32 = 11;

pub const ENOSYS: u32 = 38;
pub const EFAULT: u32 = 14;
pub const EBADF: u32 = 9;

/// A guest process.
pub struct Process {
    pub cpu: Cpu,
    pub cache: BlockCache,
    pub brk: u32,
    pub syscalls: u64,
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
            syscalls: 0,
        })
    }

    /// Run until the guest exits or dies.
    pub fn run(&mut self) -> ExitStatus {
        loop {
            match cache::run(&mut self.cpu, &mut self.cache) {
                Event::SoftInt(0x80) => {
                    if let Some(st) = self.syscall() {
                        return st;
                    }
                }
                Event::SoftInt(v) => return ExitStatus::Signaled(signal_for_int(v)),
                Event::Sysenter => return ExitStatus::Signaled(SIGILL),
                Event::Exception(e) => return ExitStatus::Signaled(signal_for_exception(e.vector)),
            }
        }
    }

    fn syscall(&mut self) -> Option<ExitStatus> {
        self.syscalls += 1;
        let c = &mut self.cpu;
        let nr = c.regs[EAX];
        let (a, b, d) = (c.regs[EBX], c.regs[ECX], c.regs[EDX]);
        let r: Result<u32, u32> = match nr {
            1 | 252 => return Some(ExitStatus::Exited((a & 0xff) as i32)),
            4 => sys_write(c, a, b, d),
            _ => Err(ENOSYS),
        };
        c.regs[EAX] = match r {
            Ok(v) => v,
            Err(e) => e.wrapping_neg(),
        };
        None
    }
}

fn sys_write(c: &mut Cpu, fd: u32, buf: u32, len: u32) -> Result<u32, u32> {
    if fd > 2 {
        return Err(EBADF);
    }
    let len = len.min(1 << 20);
    let data = c.mem.slice(buf, len).map_err(|_| EFAULT)?;
    let n = unsafe { libc::write(fd as i32, data.as_ptr() as *const libc::c_void, data.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(5) as u32)
    } else {
        Ok(n as u32)
    }
}

/// The signal a CPU exception kills the guest with (default action).
pub fn signal_for_exception(v: u8) -> i32 {
    match v {
        vec::DE | vec::MF | vec::XM => SIGFPE,
        vec::UD => SIGILL,
        vec::DB | vec::BP => SIGTRAP,
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
