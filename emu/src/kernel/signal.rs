//! Signals raised by the kernel. Handlers and signal frames come with the
//! signals work; for now a pending signal takes its default action, which
//! for every signal raised here is to terminate the process. The siginfo is
//! kept complete so frames can carry it later.

use super::entry::thread_info;
use super::{ExitStatus, Task};
use crate::cpu::vec;

pub const SI_KERNEL: i32 = 0x80;
pub const FPE_INTDIV: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;
pub const BUS_ADRALN: i32 = 1;

/// The fields of a siginfo_t that the kernel fills for a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    /// si_addr for faults.
    pub addr: u32,
    /// The x86 trap number and error code (Linux keeps them in thread.trap_nr/error_code).
    pub trapno: i32,
    pub error_code: u32,
}

impl SigInfo {
    /// A signal sent by the kernel without fault details (force_sig).
    pub fn kernel(signo: i32) -> SigInfo {
        SigInfo {
            signo,
            code: SI_KERNEL,
            addr: 0,
            trapno: -1,
            error_code: 0,
        }
    }
}

/// The signal Linux sends for CPU exception `v` (arch/x86/kernel/traps.c, fault.c).
pub fn for_exception(v: u8, error: u32, ip: u32, cr2: u32, cpu: &crate::cpu::Cpu) -> SigInfo {
    use super::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
    let (signo, code, addr) = match v {
        vec::DE => (SIGFPE, FPE_INTDIV, ip),
        vec::UD => (SIGILL, ILL_ILLOPN, ip),
        vec::PF => (
            SIGSEGV,
            if error & 1 != 0 {
                SEGV_ACCERR
            } else {
                SEGV_MAPERR
            },
            cr2,
        ),
        vec::DB => (SIGTRAP, TRAP_BRKPT, 0),
        vec::BP => (SIGTRAP, SI_KERNEL, 0),
        vec::NP | vec::SS => (SIGBUS, SI_KERNEL, 0),
        vec::AC => (SIGBUS, BUS_ADRALN, 0),
        vec::MF => (SIGFPE, crate::cpu::exec::x87::fpe_code(cpu), ip),
        vec::XM => (SIGFPE, crate::cpu::exec::sse::fpe_code(cpu), ip),
        // #GP, #OF (into), #BR (bound) and anything else.
        _ => (SIGSEGV, SI_KERNEL, 0),
    };
    SigInfo {
        signo,
        code,
        addr,
        trapno: v as i32,
        error_code: error,
    }
}

/// Queue a signal that cannot be blocked or ignored (force_sig_fault).
pub fn force_sig(p: &mut Task, info: SigInfo) {
    if p.pending.is_none() {
        p.pending = Some(info);
    }
    let ti = p.cpu.sys.thread_info() + thread_info::FLAGS;
    let f = p.cpu.sys.kmem.r32(ti).unwrap_or(0);
    let _ = p.cpu.sys.kmem.w32(ti, f | thread_info::TIF_SIGPENDING);
}

/// Deliver pending signals (on the way back to user mode).
pub fn deliver_pending(p: &mut Task) {
    let ti = p.cpu.sys.thread_info() + thread_info::FLAGS;
    let f = p.cpu.sys.kmem.r32(ti).unwrap_or(0);
    let _ = p.cpu.sys.kmem.w32(ti, f & !thread_info::TIF_SIGPENDING);
    if let Some(info) = p.pending.take() {
        // Default action: terminate (with core, for the fault signals).
        if std::env::var_os("EMU_DEBUG").is_some() {
            let ip = crate::arch::ptregs::PtRegs::read(&p.cpu.sys.kmem, p.frame)
                .map(|r| r.ip)
                .unwrap_or(0);
            eprintln!(
                "emu: fatal signal {} (code {:#x}, addr {:#x}, trap {}, error {:#x}) at ip {:#x}",
                info.signo, info.code, info.addr, info.trapno, info.error_code, ip
            );
        }
        p.last_signal = Some(info);
        super::exit::do_group_exit(p, ExitStatus::Signaled(info.signo));
    }
}

// ---- sending signals ----
//
// Guest pids and tids are host pids and tids, and signal numbers are the
// same, so these are the host's calls. With no guest handlers yet, the
// host's default action is the guest's: a terminating signal kills the
// emu process by that signal, which its parent sees as native.

fn host_kill(r: libc::c_long) -> super::syscall::SysResult {
    if r < 0 {
        Err(super::abi::errno::Errno::last())
    } else {
        Ok(r as u32)
    }
}

pub fn sys_kill(_p: &mut Task, pid: u32, sig: u32) -> super::syscall::SysResult {
    host_kill(unsafe { libc::syscall(libc::SYS_kill, pid as i32, sig as i32) })
}

pub fn sys_tkill(_p: &mut Task, tid: u32, sig: u32) -> super::syscall::SysResult {
    host_kill(unsafe { libc::syscall(libc::SYS_tkill, tid as i32, sig as i32) })
}

pub fn sys_tgkill(_p: &mut Task, tgid: u32, tid: u32, sig: u32) -> super::syscall::SysResult {
    host_kill(unsafe { libc::syscall(libc::SYS_tgkill, tgid as i32, tid as i32, sig as i32) })
}
