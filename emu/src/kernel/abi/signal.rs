//! Signals as an i386 task sees them on x86_64 Linux: numbers, sigaction
//! flags, `struct compat_sigaction` and the old sigaction, `stack_t`,
//! `compat_siginfo_t` and its layouts, and the signal frames of
//! arch/x86/include/asm/sigframe.h (`sigframe_ia32`, `rt_sigframe_ia32`)
//! with `struct sigcontext_32`, `struct ucontext_ia32` and
//! `struct _fpstate_32`.

use bytemuck::{Pod, Zeroable};

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGSTKFLT: u32 = 16;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGXCPU: u32 = 24;
pub const SIGXFSZ: u32 = 25;
pub const SIGVTALRM: u32 = 26;
pub const SIGPROF: u32 = 27;
pub const SIGWINCH: u32 = 28;
pub const SIGIO: u32 = 29;
pub const SIGPWR: u32 = 30;
pub const SIGSYS: u32 = 31;
/// _NSIG: signals are 1..=64.
pub const NSIG: u32 = 64;

/// A signal's bit in a sigset.
pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that cannot be caught, blocked or ignored.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// Signals Linux dequeues first (SYNCHRONOUS_MASK).
pub const SYNCHRONOUS: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// What a signal does by default (the table in kernel/signal.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Term,
    Core,
    Stop,
    Cont,
    Ignore,
}

pub fn default_action(sig: u32) -> Default {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => Default::Ignore,
        SIGCONT => Default::Cont,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => Default::Core,
        _ => Default::Term,
    }
}

pub const SIG_DFL: u32 = 0;
pub const SIG_IGN: u32 = 1;

/// sigaction flags.
pub mod sa {
    pub const NOCLDSTOP: u32 = 1;
    pub const NOCLDWAIT: u32 = 2;
    pub const SIGINFO: u32 = 4;
    pub const UNSUPPORTED: u32 = 0x400;
    pub const EXPOSE_TAGBITS: u32 = 0x800;
    pub const RESTORER: u32 = 0x0400_0000;
    pub const ONSTACK: u32 = 0x0800_0000;
    pub const RESTART: u32 = 0x1000_0000;
    pub const NODEFER: u32 = 0x4000_0000;
    pub const RESETHAND: u32 = 0x8000_0000;
}

/// rt_sigprocmask's `how`.
pub const SIG_BLOCK: u32 = 0;
pub const SIG_UNBLOCK: u32 = 1;
pub const SIG_SETMASK: u32 = 2;

/// sigaltstack's flags.
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
/// MINSIGSTKSZ: the smallest stack sigaltstack takes.
pub const MINSIGSTKSZ: u32 = 2048;

/// si_code values.
pub mod si {
    pub const USER: i32 = 0;
    pub const KERNEL: i32 = 0x80;
    pub const QUEUE: i32 = -1;
    pub const TIMER: i32 = -2;
    pub const MESGQ: i32 = -3;
    pub const ASYNCIO: i32 = -4;
    pub const SIGIO: i32 = -5;
    pub const TKILL: i32 = -6;
}

/// `struct compat_sigaction` (rt_sigaction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sigaction32 {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: [u32; 2],
}
const _: () = assert!(std::mem::size_of::<Sigaction32>() == 20);

/// `struct compat_old_sigaction` (sigaction, 67).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct OldSigaction32 {
    pub handler: u32,
    pub mask: u32,
    pub flags: u32,
    pub restorer: u32,
}
const _: () = assert!(std::mem::size_of::<OldSigaction32>() == 16);

/// `compat_stack_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Stack32 {
    pub ss_sp: u32,
    pub ss_flags: u32,
    pub ss_size: u32,
}
const _: () = assert!(std::mem::size_of::<Stack32>() == 12);

/// `compat_siginfo_t`: 128 bytes, signo/errno/code then a union whose
/// layout follows from the signal and code ([`Layout`]).
#[derive(Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Siginfo32 {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    /// The union, as 29 words.
    pub u: [u32; 29],
}
const _: () = assert!(std::mem::size_of::<Siginfo32>() == 128);

impl std::fmt::Debug for Siginfo32 {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "Siginfo32 {{ signo: {}, code: {}, u: {:x?} }}",
            self.signo,
            self.code,
            &self.u[..6]
        )
    }
}

/// Which union member a siginfo uses (siginfo_layout()).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    Chld,
    Rt,
    Sys,
}

/// siginfo_layout: kernel codes (1..SI_KERNEL) up to the signal's limit
/// have its specific layout; SI_TIMER, SI_SIGIO and the other negative
/// (queued) codes have theirs; everything else is the kill layout.
pub fn layout(sig: u32, code: i32) -> Layout {
    if code > si::USER && code < si::KERNEL {
        let (limit, l) = match sig {
            SIGILL => (11, Layout::Fault),
            SIGFPE => (15, Layout::Fault),
            SIGSEGV => (10, Layout::Fault),
            SIGBUS => (5, Layout::Fault),
            SIGTRAP => (6, Layout::Fault),
            SIGCHLD => (6, Layout::Chld),
            SIGIO => (6, Layout::Poll),
            SIGSYS => (2, Layout::Sys),
            _ => (0, Layout::Kill),
        };
        if code <= limit {
            l
        } else if code <= 6 {
            Layout::Poll
        } else {
            Layout::Kill
        }
    } else if code == si::TIMER {
        Layout::Timer
    } else if code == si::SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

impl Siginfo32 {
    pub fn new(signo: u32, code: i32) -> Siginfo32 {
        Siginfo32 {
            signo: signo as i32,
            errno: 0,
            code,
            u: [0; 29],
        }
    }

    /// A signal sent by a process (kill layout: pid, uid).
    pub fn sent(signo: u32, code: i32, pid: u32, uid: u32) -> Siginfo32 {
        let mut s = Siginfo32::new(signo, code);
        s.u[0] = pid;
        s.u[1] = uid;
        s
    }

    /// A fault at `addr` (si_addr).
    pub fn fault(signo: u32, code: i32, addr: u32) -> Siginfo32 {
        let mut s = Siginfo32::new(signo, code);
        s.u[0] = addr;
        s
    }

    pub fn sig(&self) -> u32 {
        self.signo as u32
    }

    /// From the host's (x86_64) siginfo, as the compat layer copies it
    /// (copy_siginfo_to_user32): only the fields of the layout.
    pub fn from_host(h: &[u8; 128]) -> Siginfo32 {
        let i32_at = |o: usize| i32::from_le_bytes(h[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap_or_default());
        let (signo, code) = (i32_at(0), i32_at(8));
        let mut s = Siginfo32::new(signo as u32, code);
        s.errno = i32_at(4);
        let w = |v: i32| v as u32;
        match layout(signo as u32, code) {
            Layout::Kill => {
                s.u[0] = w(i32_at(16));
                s.u[1] = w(i32_at(20));
            }
            Layout::Timer => {
                s.u[0] = w(i32_at(16));
                s.u[1] = w(i32_at(20));
                s.u[2] = u64_at(24) as u32;
            }
            Layout::Rt => {
                s.u[0] = w(i32_at(16));
                s.u[1] = w(i32_at(20));
                s.u[2] = u64_at(24) as u32;
            }
            Layout::Chld => {
                s.u[0] = w(i32_at(16));
                s.u[1] = w(i32_at(20));
                s.u[2] = w(i32_at(24));
                s.u[3] = u64_at(32) as u32;
                s.u[4] = u64_at(40) as u32;
            }
            Layout::Fault => s.u[0] = u64_at(16) as u32,
            Layout::Poll => {
                s.u[0] = u64_at(16) as u32;
                s.u[1] = w(i32_at(24));
            }
            Layout::Sys => {
                s.u[0] = u64_at(16) as u32;
                s.u[1] = w(i32_at(24));
                s.u[2] = w(i32_at(28));
            }
        }
        s
    }

    /// To the host's siginfo (copy_siginfo_from_user32), for
    /// rt_sigqueueinfo: the layout's fields, pointers zero-extended.
    pub fn to_host(&self) -> [u8; 128] {
        let mut h = [0u8; 128];
        let put32 =
            |h: &mut [u8; 128], o: usize, v: u32| h[o..o + 4].copy_from_slice(&v.to_le_bytes());
        let put64 =
            |h: &mut [u8; 128], o: usize, v: u64| h[o..o + 8].copy_from_slice(&v.to_le_bytes());
        put32(&mut h, 0, self.signo as u32);
        put32(&mut h, 4, self.errno as u32);
        put32(&mut h, 8, self.code as u32);
        let u = &self.u;
        match layout(self.sig(), self.code) {
            Layout::Kill => {
                put32(&mut h, 16, u[0]);
                put32(&mut h, 20, u[1]);
            }
            Layout::Timer | Layout::Rt => {
                put32(&mut h, 16, u[0]);
                put32(&mut h, 20, u[1]);
                put64(&mut h, 24, u[2] as u64);
            }
            Layout::Chld => {
                put32(&mut h, 16, u[0]);
                put32(&mut h, 20, u[1]);
                put32(&mut h, 24, u[2]);
                put64(&mut h, 32, u[3] as i32 as i64 as u64);
                put64(&mut h, 40, u[4] as i32 as i64 as u64);
            }
            Layout::Fault => put64(&mut h, 16, u[0] as u64),
            Layout::Poll => {
                put64(&mut h, 16, u[0] as i32 as i64 as u64);
                put32(&mut h, 24, u[1]);
            }
            Layout::Sys => {
                put64(&mut h, 16, u[0] as u64);
                put32(&mut h, 24, u[1]);
                put32(&mut h, 28, u[2]);
            }
        }
        h
    }
}

/// `struct sigcontext_32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sigcontext32 {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub di: u32,
    pub si: u32,
    pub bp: u32,
    pub sp: u32,
    pub bx: u32,
    pub dx: u32,
    pub cx: u32,
    pub ax: u32,
    pub trapno: u32,
    pub err: u32,
    pub ip: u32,
    pub cs: u32,
    pub flags: u32,
    pub sp_at_signal: u32,
    pub ss: u32,
    pub fpstate: u32,
    pub oldmask: u32,
    pub cr2: u32,
}
const _: () = assert!(std::mem::size_of::<Sigcontext32>() == 88);
const _: () = assert!(std::mem::offset_of!(Sigcontext32, trapno) == 48);
const _: () = assert!(std::mem::offset_of!(Sigcontext32, fpstate) == 76);

/// `struct ucontext_ia32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Ucontext32 {
    pub uc_flags: u32,
    pub uc_link: u32,
    pub uc_stack: Stack32,
    pub uc_mcontext: Sigcontext32,
    pub uc_sigmask: [u32; 2],
}
const _: () = assert!(std::mem::size_of::<Ucontext32>() == 116);

/// `struct _fpstate_32` without its FXSAVE part: the legacy i387
/// environment and registers, `status` and `magic` (112 bytes,
/// `struct fregs_state` plus two words); the 512-byte FXSAVE image
/// follows it in the frame.
pub const FREGS_SIZE: u32 = 112;
/// sizeof(struct _fpstate_32): the fsave header and the FXSAVE image.
pub const FPSTATE_SIZE: u32 = FREGS_SIZE + 512;
/// `_fpstate_32.magic` of FXSR state (X86_FXSR_MAGIC).
pub const X86_FXSR_MAGIC: u16 = 0;
/// `struct _fpx_sw_bytes`' magic1, and what it says of the state.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;

/// `struct sigframe_ia32`: pretcode, sig, sigcontext, the unused legacy
/// fpstate, extramask and the historical retcode.
pub const SIGFRAME_SIZE: u32 = 4 + 4 + 88 + FPSTATE_SIZE + 4 + 8;
pub mod sigframe {
    pub const PRETCODE: u32 = 0;
    pub const SIG: u32 = 4;
    pub const SC: u32 = 8;
    pub const EXTRAMASK: u32 = 8 + 88 + super::FPSTATE_SIZE;
    pub const RETCODE: u32 = EXTRAMASK + 4;
}
const _: () = assert!(SIGFRAME_SIZE == 732);

/// `struct rt_sigframe_ia32`: pretcode, sig, pinfo, puc, the siginfo, the
/// ucontext and the retcode.
pub const RT_SIGFRAME_SIZE: u32 = 16 + 128 + 116 + 8;
pub mod rt_sigframe {
    pub const PRETCODE: u32 = 0;
    pub const SIG: u32 = 4;
    pub const PINFO: u32 = 8;
    pub const PUC: u32 = 12;
    pub const INFO: u32 = 16;
    pub const UC: u32 = 144;
    pub const RETCODE: u32 = 260;
}
const _: () = assert!(RT_SIGFRAME_SIZE == 268);

/// The historical code at `retcode` (gdb still recognises frames by it):
/// `popl %eax; movl $__NR_sigreturn, %eax; int $0x80`, and
/// `movl $__NR_rt_sigreturn, %eax; int $0x80` plus a pad byte.
pub const RETCODE: [u8; 8] = [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80];
pub const RT_RETCODE: [u8; 8] = [0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0];

/// AT_MINSIGSTKSZ: the largest frame Linux builds for this CPU, as
/// init_sigframe_size() computes it: the largest frame struct
/// (`sigframe_ia32`), the frame alignment padding, the FPU state (for a
/// CPU without XSAVE, like emu's: the FXSAVE image plus the fsave header
/// of ia32 frames) and the XSAVE buffer's alignment padding, rounded up
/// to the 16-byte frame alignment.
pub const fn min_sigstksz() -> u32 {
    const FRAME_ALIGNMENT: u32 = 16;
    const MAX_XSAVE_PADDING: u32 = 63;
    let size = SIGFRAME_SIZE + (FRAME_ALIGNMENT - 1) + FPSTATE_SIZE + MAX_XSAVE_PADDING;
    (size + FRAME_ALIGNMENT - 1) & !(FRAME_ALIGNMENT - 1)
}
const _: () = assert!(min_sigstksz() == 0x5a0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(layout(SIGSEGV, 1), Layout::Fault);
        assert_eq!(layout(SIGCHLD, 1), Layout::Chld);
        assert_eq!(layout(SIGUSR1, si::USER), Layout::Kill);
        assert_eq!(layout(SIGUSR1, si::KERNEL), Layout::Kill);
        assert_eq!(layout(SIGUSR1, si::QUEUE), Layout::Rt);
        assert_eq!(layout(SIGUSR1, si::TKILL), Layout::Rt);
        assert_eq!(layout(SIGALRM, si::TIMER), Layout::Timer);
        assert_eq!(layout(SIGIO, si::SIGIO), Layout::Poll);
        assert_eq!(layout(SIGIO, 1), Layout::Poll);
    }

    #[test]
    fn host_round_trip() {
        let mut s = Siginfo32::new(SIGCHLD, 1);
        s.u[..5].copy_from_slice(&[1234, 1000, 7, 3, 4]);
        assert_eq!(Siginfo32::from_host(&s.to_host()), s);
        let mut q = Siginfo32::sent(SIGUSR1, si::QUEUE, 55, 0);
        q.u[2] = 0xdead;
        assert_eq!(Siginfo32::from_host(&q.to_host()), q);
    }
}
