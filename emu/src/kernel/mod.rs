//! The Linux side: tasks ([`task`]), the syscall path, and how guest deaths
//! map to exit statuses.

pub mod abi;
pub mod dir;
pub mod entry;
pub mod exec;
pub mod exit;
pub mod fork;
pub mod frames;
pub mod fs;
pub mod futex;
pub mod hooks;
pub mod hostsig;
pub mod ioctl;
pub mod ldt;
pub mod mm;
pub mod net;
pub mod path;
pub mod poll;
pub mod procfs;
pub mod procmem;
pub mod sigframe;
pub mod signal;
pub mod stat;
pub mod strace;
pub mod sys;
pub mod syscall;
pub mod task;
pub mod time;
pub mod timer;
pub mod tls;
pub mod uaccess;
pub mod vdso;
pub mod vfork;
pub mod xattr;

use crate::cpu::vec;

pub use crate::loader::vdso::SyscallEntry;
pub use task::{Config, Stop, Task};

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
