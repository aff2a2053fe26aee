//! Signals (kernel/signal.c and arch/x86/kernel/signal.c): dispositions
//! shared by CLONE_SIGHAND, each thread's blocked mask, internal pending
//! queue and alternate stack; the signal syscalls; and delivery on the way
//! back to user mode ([`do_signal`]: get_signal, handle_signal and the
//! syscall restart rules). The frames themselves are in [`super::sigframe`].
//!
//! The host kernel keeps the guest's signals (see [`super::hostsig`]):
//! sends are the host's calls, blocked signals stay pending on the host,
//! and default actions are the host's own. What emu queues itself
//! ([`SigState::pending`]) is what the host never sees: the signals of CPU
//! exceptions (force_sig_fault), and signals the host handed to a guest
//! handler that the thread had blocked again before it could run it.

use std::sync::{Arc, Mutex};

use super::abi::errno::Errno;
use super::abi::signal::{self as asig, bit, sa, Siginfo32, Stack32};
use super::entry::thread_info;
use super::fs::hret;
use super::hostsig;
use super::syscall::SysResult;
use super::task::{lock, Task};
use super::ExitStatus;
use crate::arch::ptregs::off;
use crate::cpu::vec;

/// One signal's disposition (`struct k_sigaction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: u64,
}

/// The dispositions (CLONE_SIGHAND shares them): `sighand_struct`.
#[derive(Clone, Debug)]
pub struct SigHand {
    pub action: [SigAction; asig::NSIG as usize],
}

impl SigHand {
    /// Every signal at its default, but those the emulator inherited as
    /// ignored (the host's dispositions then follow).
    pub fn inherited() -> SigHand {
        let host = hostsig::inherited();
        let mut h = SigHand {
            action: [SigAction::default(); asig::NSIG as usize],
        };
        for sig in 1..=asig::NSIG {
            if host.ignored & bit(sig) != 0 {
                h.action[sig as usize - 1].handler = asig::SIG_IGN;
            }
            let a = h.action[sig as usize - 1];
            // Most signals are at a plain SIG_DFL already: a system call
            // each to set them again was a tenth of a start's system calls.
            if a.handler == asig::SIG_DFL && host.plain_default & bit(sig) != 0 {
                continue;
            }
            hostsig::mirror_action(sig, a.handler, a.flags);
        }
        h
    }

    pub fn get(&self, sig: u32) -> SigAction {
        self.action[(sig as usize - 1) & 63]
    }

    /// flush_signal_handlers at exec: handlers become SIG_DFL, ignored
    /// signals stay ignored, flags and masks are cleared.
    pub fn exec_reset(&mut self) {
        for (k, a) in self.action.iter_mut().enumerate() {
            if a.handler != asig::SIG_IGN {
                if *a != SigAction::default() {
                    *a = SigAction::default();
                    hostsig::mirror_action(k as u32 + 1, asig::SIG_DFL, 0);
                }
            } else {
                a.flags = 0;
                a.mask = 0;
                a.restorer = 0;
            }
        }
    }
}

/// A syscall to continue through restart_syscall (`restart_block`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restart {
    /// do_no_restart_syscall: EINTR.
    #[default]
    None,
    /// nanosleep or clock_nanosleep until `deadline` on `clock`; the time
    /// left goes to `rmtp` if the sleep is interrupted again.
    Sleep {
        clock: i32,
        deadline: (i64, i64),
        rmtp: u32,
        wide: bool,
    },
}

/// A thread's signal state (the signal parts of task_struct).
#[derive(Clone, Debug, Default)]
pub struct SigState {
    /// The blocked mask (mirrored on the host thread).
    pub blocked: u64,
    /// sigsuspend's mask to put back (TIF_RESTORE_SIGMASK).
    pub saved_mask: Option<u64>,
    /// Signals for this thread that the host does not hold, in order.
    pub pending: Vec<Siginfo32>,
    /// sigaltstack: base, size and SS_AUTODISARM (size 0: none).
    pub alt_sp: u32,
    pub alt_size: u32,
    pub alt_flags: u32,
    /// thread.trap_nr, error_code and cr2 of the last exception signal.
    pub trapno: u32,
    pub err: u32,
    pub cr2: u32,
    pub restart: Restart,
}

impl SigState {
    /// Is `sp` on the alternate stack (on_sig_stack)?
    pub fn on_altstack(&self, sp: u32) -> bool {
        self.alt_flags & asig::SS_AUTODISARM == 0
            && self.alt_size != 0
            && sp.wrapping_sub(self.alt_sp) < self.alt_size
    }

    /// sas_ss_flags.
    pub fn ss_flags(&self, sp: u32) -> u32 {
        if self.alt_size == 0 {
            asig::SS_DISABLE
        } else if self.on_altstack(sp) {
            asig::SS_ONSTACK
        } else {
            0
        }
    }
}

/// The fields of a siginfo the kernel fills for an exception, with the
/// thread's trap number, error code and cr2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub info: Siginfo32,
    pub trapno: u32,
    pub err: u32,
    pub cr2: u32,
}

pub const FPE_INTDIV: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;
pub const BUS_ADRALN: i32 = 1;
pub const BUS_ADRERR: i32 = 2;

/// The signal Linux sends for CPU exception `v` from user mode
/// (arch/x86/kernel/traps.c, mm/fault.c).
pub fn for_exception(
    v: u8,
    error: u32,
    ip: u32,
    cr2: u32,
    dr6: u32,
    cpu: &crate::cpu::Cpu,
) -> Fault {
    use asig::*;
    let k = si::KERNEL;
    let info = match v {
        vec::DE => Siginfo32::fault(SIGFPE, FPE_INTDIV, ip),
        vec::UD => Siginfo32::fault(SIGILL, ILL_ILLOPN, ip),
        vec::PF => Siginfo32::fault(
            SIGSEGV,
            // By the mapping (a VMA), not the P bit: a never-touched
            // read-only page is an access error with P clear.
            if cpu.mapped(cr2) {
                SEGV_ACCERR
            } else {
                SEGV_MAPERR
            },
            cr2,
        ),
        // exc_debug_user: a single step (DR6.BS) is TRAP_TRACE; icebp,
        // which sets no DR6 bit, is TRAP_BRKPT.
        vec::DB if dr6 & crate::cpu::DR6_BS != 0 => Siginfo32::fault(SIGTRAP, TRAP_TRACE, ip),
        vec::DB => Siginfo32::fault(SIGTRAP, TRAP_BRKPT, ip),
        vec::BP => Siginfo32::new(SIGTRAP, k),
        vec::NP | vec::SS => Siginfo32::new(SIGBUS, k),
        vec::AC => Siginfo32::fault(SIGBUS, BUS_ADRALN, 0),
        vec::MF => Siginfo32::fault(SIGFPE, crate::cpu::exec::x87::fpe_code(cpu), ip),
        vec::XM => Siginfo32::fault(SIGFPE, crate::cpu::exec::sse::fpe_code(cpu), ip),
        // #GP, #OF (into), #BR (bound) and anything else.
        _ => Siginfo32::new(SIGSEGV, k),
    };
    Fault {
        info,
        trapno: v as u32,
        err: if v == vec::PF || crate::kernel::entry::has_error_code(v) {
            error
        } else {
            0
        },
        cr2: if v == vec::PF { cr2 } else { 0 },
    }
}

// ---- raising and forcing ----

/// Mark the thread as having work on the way out (TIF_SIGPENDING).
fn set_sigpending(p: &mut Task) {
    let ti = p.cpu.sys.thread_info() + thread_info::FLAGS;
    let f = p.cpu.sys.kmem.r32(ti).unwrap_or(0);
    let _ = p.cpu.sys.kmem.w32(ti, f | thread_info::TIF_SIGPENDING);
}

/// force_sig_fault: a signal the thread cannot block or ignore (an
/// exception's): if it is blocked or ignored, it is unblocked and its
/// action reset to the default, as Linux's force_sig_info_to_task does.
pub fn force_fault(p: &mut Task, f: Fault) {
    p.sig.trapno = f.trapno;
    p.sig.err = f.err;
    if f.trapno == vec::PF as u32 {
        p.sig.cr2 = f.cr2;
    }
    force(p, f.info);
}

/// force_sig: queue `info`, making it deliverable.
pub fn force(p: &mut Task, info: Siginfo32) {
    let sig = info.sig();
    let blocked = p.sig.blocked & bit(sig) != 0;
    {
        let mut h = lock(&p.sighand);
        let a = &mut h.action[sig as usize - 1];
        if blocked || a.handler == asig::SIG_IGN {
            *a = SigAction::default();
            hostsig::mirror_action(sig, asig::SIG_DFL, 0);
        }
    }
    if blocked {
        p.sig.blocked &= !bit(sig);
        hostsig::apply_mask(p.sig.blocked);
    }
    p.sig.pending.push(info);
    set_sigpending(p);
}

/// force_sigsegv: the signal `sig` could not be delivered (a bad stack):
/// SIGSEGV, with SIGSEGV's own handler reset when that was the one.
fn force_sigsegv(p: &mut Task, sig: u32) {
    if sig == asig::SIGSEGV {
        lock(&p.sighand).action[asig::SIGSEGV as usize - 1] = SigAction::default();
        hostsig::mirror_action(asig::SIGSEGV, asig::SIG_DFL, 0);
    }
    force(p, Siginfo32::new(asig::SIGSEGV, asig::si::KERNEL));
}

/// Is a signal waiting for this thread on the way out?
pub fn signal_pending(p: &Task) -> bool {
    !p.ctl.ring.is_empty() || unblocked_pending(p).is_some()
}

fn unblocked_pending(p: &Task) -> Option<usize> {
    // Synchronous signals first, then by number, in queue order.
    p.sig
        .pending
        .iter()
        .enumerate()
        .filter(|(_, s)| p.sig.blocked & bit(s.sig()) == 0)
        .min_by_key(|(k, s)| (asig::SYNCHRONOUS & bit(s.sig()) == 0, s.sig(), *k))
        .map(|(k, _)| k)
}

// ---- delivery ----

/// arch_do_signal_or_restart, on the way back to user mode with the
/// thread's `pt_regs` at `p.frame`: take the signals the host handed over,
/// run default actions, set up a handler frame for each signal that has
/// one, and apply the syscall restart rules.
pub fn do_signal(p: &mut Task) {
    let ti = p.cpu.sys.thread_info() + thread_info::FLAGS;
    let f = p.cpu.sys.kmem.r32(ti).unwrap_or(0);
    let _ = p.cpu.sys.kmem.w32(ti, f & !thread_info::TIF_SIGPENDING);
    p.sig.pending.extend(p.ctl.ring.drain());
    let mut handled = false;
    while let Some(k) = unblocked_pending(p) {
        let info = p.sig.pending.remove(k);
        // A debugger sees the signal first, and may change or cancel it;
        // then a library hook.
        let Some(mut info) = crate::gdb::signal_stop(p, info) else {
            continue;
        };
        if super::hooks::has_signal_hook(p) {
            match super::hooks::signal_stop(p, info) {
                Some(i) => info = i,
                None => continue,
            }
        }
        if let Some(s) = &p.cfg.strace {
            super::strace::signal(p, s, &info);
        }
        let sig = info.sig();
        let act = lock(&p.sighand).get(sig);
        match act.handler {
            asig::SIG_IGN => continue,
            asig::SIG_DFL => match asig::default_action(sig) {
                asig::Default::Ignore | asig::Default::Cont => continue,
                asig::Default::Stop => {
                    stop_self(sig);
                    continue;
                }
                asig::Default::Term | asig::Default::Core => {
                    if crate::debug::on() {
                        let ip = p.cpu.sys.kmem.r32(p.frame + off::IP).unwrap_or(0);
                        crate::debug::log(format_args!(
                            "fatal signal {sig} (code {:#x}, {:x?}, trap {}, error {:#x}) at ip {ip:#x}",
                            info.code, &info.u[..2], p.sig.trapno, p.sig.err
                        ));
                    }
                    super::exit::do_group_exit(p, ExitStatus::Signaled(sig as i32));
                    return;
                }
            },
            _ => {
                handle_signal(p, &info, act);
                handled = true;
            }
        }
    }
    if !handled {
        restart_without_handler(p);
        if let Some(m) = p.sig.saved_mask.take() {
            set_blocked(p, m);
        }
    }
}

/// A stop signal with the default action: stop the emu process on the host
/// with the same signal (so a parent's WUNTRACED sees it), and go on when
/// continued.
fn stop_self(sig: u32) {
    unsafe { libc::kill(libc::getpid(), sig as i32) };
}

/// The syscall restart rules when no handler runs (arch_do_signal_or_restart
/// with no signal): the ERESTART codes rewind to the `int $0x80`.
fn restart_without_handler(p: &mut Task) {
    let k = &mut p.cpu.sys.kmem;
    let f = p.frame;
    let (Ok(orig), Ok(ax)) = (k.r32(f + off::ORIG_AX), k.r32(f + off::AX)) else {
        return;
    };
    if (orig as i32) < 0 {
        return;
    }
    match Errno(ax.wrapping_neg()) {
        Errno::ERESTARTNOHAND | Errno::ERESTARTSYS | Errno::ERESTARTNOINTR => {
            let _ = k.w32(f + off::AX, orig);
            rewind(k, f);
        }
        Errno::ERESTART_RESTARTBLOCK => {
            let _ = k.w32(f + off::AX, 0); // __NR_restart_syscall
            rewind(k, f);
        }
        _ => {}
    }
}

fn rewind(k: &mut crate::arch::kmem::KMem, f: u32) {
    if let Ok(ip) = k.r32(f + off::IP) {
        let _ = k.w32(f + off::IP, ip.wrapping_sub(2));
    }
}

/// handle_signal: restart rules with a handler, the frame, the mask.
fn handle_signal(p: &mut Task, info: &Siginfo32, act: SigAction) {
    let sig = info.sig();
    {
        let k = &mut p.cpu.sys.kmem;
        let f = p.frame;
        if let (Ok(orig), Ok(ax)) = (k.r32(f + off::ORIG_AX), k.r32(f + off::AX)) {
            if orig as i32 >= 0 {
                match Errno(ax.wrapping_neg()) {
                    Errno::ERESTART_RESTARTBLOCK | Errno::ERESTARTNOHAND => {
                        let _ = k.w32(f + off::AX, Errno::EINTR.0.wrapping_neg());
                    }
                    Errno::ERESTARTSYS if act.flags & sa::RESTART == 0 => {
                        let _ = k.w32(f + off::AX, Errno::EINTR.0.wrapping_neg());
                    }
                    Errno::ERESTARTSYS | Errno::ERESTARTNOINTR => {
                        let _ = k.w32(f + off::AX, orig);
                        rewind(k, f);
                    }
                    _ => {}
                }
            }
        }
    }
    // The mask the handler's frame restores: sigsuspend's saved one.
    let old = p.sig.saved_mask.take().unwrap_or(p.sig.blocked);
    let ok = if act.flags & sa::SIGINFO != 0 {
        super::sigframe::setup_rt_frame(p, sig, &act, info, old)
    } else {
        super::sigframe::setup_frame(p, sig, &act, old)
    };
    if !ok {
        force_sigsegv(p, sig);
        return;
    }
    // handle_signal's fpu__clear_user_states: the handler starts with the
    // x87 and SSE state in their init state (the frame holds the old).
    p.cpu.fpu.init();
    p.cpu.sse = Default::default();
    // signal_delivered: block the handler's mask (and the signal unless
    // SA_NODEFER); SA_RESETHAND makes the next one take the default.
    let mut m = p.sig.blocked | act.mask;
    if act.flags & sa::NODEFER == 0 {
        m |= bit(sig);
    }
    set_blocked(p, m);
    if act.flags & sa::RESETHAND != 0 {
        lock(&p.sighand).action[sig as usize - 1] = SigAction::default();
        hostsig::mirror_action(sig, asig::SIG_DFL, 0);
    }
}

/// Set the blocked mask (never SIGKILL or SIGSTOP), mirrored on the host.
pub fn set_blocked(p: &mut Task, mask: u64) {
    p.sig.blocked = mask & !asig::UNBLOCKABLE;
    // Signals the host held for a newly unblocked handler arrive here.
    hostsig::apply_mask(p.sig.blocked);
    if signal_pending(p) {
        set_sigpending(p);
    }
}

// ---- sigaction and friends ----

fn valid(sig: u32) -> bool {
    (1..=asig::NSIG).contains(&sig)
}

/// UAPI_SA_FLAGS: the flags a caller sees again; the rest are cleared so
/// userspace can detect what the kernel does not know.
const UAPI_SA_FLAGS: u32 = sa::NOCLDSTOP
    | sa::NOCLDWAIT
    | sa::SIGINFO
    | sa::ONSTACK
    | sa::RESTART
    | sa::NODEFER
    | sa::RESETHAND
    | sa::EXPOSE_TAGBITS
    | sa::RESTORER;

/// do_sigaction: the old action, after installing `new`.
fn do_sigaction(p: &mut Task, sig: u32, new: Option<SigAction>) -> Result<SigAction, Errno> {
    if !valid(sig) || (new.is_some() && (sig == asig::SIGKILL || sig == asig::SIGSTOP)) {
        return Err(Errno::EINVAL);
    }
    let mut h = lock(&p.sighand);
    let mut old = h.get(sig);
    old.flags &= UAPI_SA_FLAGS;
    if let Some(mut n) = new {
        n.flags &= UAPI_SA_FLAGS;
        n.mask &= !asig::UNBLOCKABLE;
        h.action[sig as usize - 1] = n;
        hostsig::mirror_action(sig, n.handler, n.flags);
        drop(h);
        // A signal now ignored is discarded from the queue.
        let ignored = n.handler == asig::SIG_IGN
            || (n.handler == asig::SIG_DFL && asig::default_action(sig) == asig::Default::Ignore);
        if ignored {
            p.sig.pending.retain(|s| s.sig() != sig);
        }
    }
    Ok(old)
}

fn mask64(m: [u32; 2]) -> u64 {
    m[0] as u64 | (m[1] as u64) << 32
}

fn mask32(m: u64) -> [u32; 2] {
    [m as u32, (m >> 32) as u32]
}

pub fn sys_rt_sigaction(p: &mut Task, sig: u32, act: u32, oact: u32, size: u32) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        let a: asig::Sigaction32 = p.read_struct(act)?;
        Some(SigAction {
            handler: a.handler,
            flags: a.flags,
            restorer: a.restorer,
            mask: mask64(a.mask),
        })
    } else {
        None
    };
    let old = do_sigaction(p, sig, new)?;
    if oact != 0 {
        p.write_struct(
            oact,
            &asig::Sigaction32 {
                handler: old.handler,
                flags: old.flags,
                restorer: old.restorer,
                mask: mask32(old.mask),
            },
        )?;
    }
    Ok(0)
}

/// The old sigaction (67), with a one-word mask.
pub fn sys_sigaction(p: &mut Task, sig: u32, act: u32, oact: u32) -> SysResult {
    let new = if act != 0 {
        let a: asig::OldSigaction32 = p.read_struct(act)?;
        Some(SigAction {
            handler: a.handler,
            flags: a.flags,
            restorer: a.restorer,
            mask: a.mask as u64,
        })
    } else {
        None
    };
    let old = do_sigaction(p, sig, new)?;
    if oact != 0 {
        p.write_struct(
            oact,
            &asig::OldSigaction32 {
                handler: old.handler,
                mask: old.mask as u32,
                flags: old.flags,
                restorer: old.restorer,
            },
        )?;
    }
    Ok(0)
}

/// signal(2): SA_ONESHOT | SA_NOMASK; returns the old handler.
pub fn sys_signal(p: &mut Task, sig: u32, handler: u32) -> SysResult {
    let old = do_sigaction(
        p,
        sig,
        Some(SigAction {
            handler,
            flags: sa::RESETHAND | sa::NODEFER,
            restorer: 0,
            mask: 0,
        }),
    )?;
    Ok(old.handler)
}

pub fn sys_sgetmask(p: &mut Task) -> SysResult {
    Ok(p.sig.blocked as u32)
}

pub fn sys_ssetmask(p: &mut Task, mask: u32) -> SysResult {
    let old = p.sig.blocked as u32;
    let m = (p.sig.blocked & !0xffff_ffff) | mask as u64;
    set_blocked(p, m);
    Ok(old)
}

/// sigprocmask's arithmetic.
fn new_mask(old: u64, how: u32, set: u64) -> Result<u64, Errno> {
    Ok(match how {
        asig::SIG_BLOCK => old | set,
        asig::SIG_UNBLOCK => old & !set,
        asig::SIG_SETMASK => set,
        _ => return Err(Errno::EINVAL),
    })
}

pub fn sys_rt_sigprocmask(p: &mut Task, how: u32, set: u32, oset: u32, size: u32) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let old = p.sig.blocked;
    if set != 0 {
        let s: [u32; 2] = p.read_struct(set)?;
        let m = new_mask(old, how, mask64(s))?;
        set_blocked(p, m);
    }
    if oset != 0 {
        p.write_struct(oset, &mask32(old))?;
    }
    Ok(0)
}

/// sigprocmask (126): the low word only.
pub fn sys_sigprocmask(p: &mut Task, how: u32, set: u32, oset: u32) -> SysResult {
    let old = p.sig.blocked;
    if set != 0 {
        let s: u32 = p.read_u32(set)?;
        let m = new_mask(old, how, s as u64)?;
        set_blocked(p, (old & !0xffff_ffff) | (m & 0xffff_ffff));
    }
    if oset != 0 {
        p.write_u32(oset, old as u32)?;
    }
    Ok(0)
}

/// The blocked signals that are pending: the host's and emu's own.
fn pending_set(p: &Task) -> u64 {
    let mine = p.sig.pending.iter().fold(0, |m, s| m | bit(s.sig()));
    (hostsig::host_pending() | mine) & p.sig.blocked
}

pub fn sys_rt_sigpending(p: &mut Task, set: u32, size: u32) -> SysResult {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    let m = pending_set(p).to_le_bytes();
    p.write_user(set, &m[..size as usize])?;
    Ok(0)
}

pub fn sys_sigpending(p: &mut Task, set: u32) -> SysResult {
    let m = pending_set(p);
    p.write_u32(set, m as u32)?;
    Ok(0)
}

/// Wait for a signal with `mask` blocked meanwhile (sigsuspend): the host's
/// sigsuspend, with every signal blocked while emu checks what it already
/// holds, so none slips by. Always ERESTARTNOHAND: the mask comes back
/// when the signal has been handled.
fn suspend(p: &mut Task, mask: u64) -> SysResult {
    let guard = hostsig::BlockAll::new();
    p.sig.saved_mask = Some(p.sig.blocked);
    p.sig.blocked = mask & !asig::UNBLOCKABLE;
    loop {
        if signal_pending(p) || super::exit::killed(p) {
            break;
        }
        let set = hostsig::to_host_set(p.sig.blocked);
        unsafe { libc::sigsuspend(&set) };
    }
    drop(guard);
    hostsig::apply_mask(p.sig.blocked);
    set_sigpending(p);
    Err(Errno::ERESTARTNOHAND)
}

pub fn sys_rt_sigsuspend(p: &mut Task, mask: u32, size: u32) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m: [u32; 2] = p.read_struct(mask)?;
    suspend(p, mask64(m))
}

/// The i386 sigsuspend(history0, history1, mask).
pub fn sys_sigsuspend(p: &mut Task, _h0: u32, _h1: u32, mask: u32) -> SysResult {
    let m = (p.sig.blocked & !0xffff_ffff) | mask as u64;
    suspend(p, m)
}

/// A wait with a temporary signal mask (ppoll, pselect6, epoll_pwait):
/// `mask` is in force during `f`; if a signal interrupted the wait, the
/// old mask comes back only after its handler (as sigsuspend's), else at
/// once (restore_saved_sigmask_unless).
pub fn with_temp_mask(
    p: &mut Task,
    mask: Option<u64>,
    f: impl FnOnce(&mut Task) -> SysResult,
) -> SysResult {
    let Some(m) = mask else {
        return f(p);
    };
    let old = p.sig.blocked;
    set_blocked(p, m);
    let r = f(p);
    if r == Err(Errno::EINTR) && signal_pending(p) {
        p.sig.saved_mask = Some(old);
        set_sigpending(p);
    } else {
        set_blocked(p, old);
    }
    r
}

/// pause: sleep until a signal is handled (or kills the process).
pub fn sys_pause(p: &mut Task) -> SysResult {
    let m = p.sig.blocked;
    suspend(p, m)
}

/// restart_syscall: go on with what `restart_block` says (a sleep until its
/// deadline), or EINTR (do_no_restart_syscall).
pub fn sys_restart_syscall(p: &mut Task) -> SysResult {
    match std::mem::take(&mut p.sig.restart) {
        Restart::None => Err(Errno::EINTR),
        Restart::Sleep {
            clock,
            deadline,
            rmtp,
            wide,
        } => super::time::sleep_until(p, clock, deadline, rmtp, wide),
    }
}

pub fn sys_rt_sigtimedwait(p: &mut Task, set: u32, info: u32, ts: u32, size: u32) -> SysResult {
    sigtimedwait(p, set, info, ts, size, false)
}

pub fn sys_rt_sigtimedwait_time64(
    p: &mut Task,
    set: u32,
    info: u32,
    ts: u32,
    size: u32,
) -> SysResult {
    sigtimedwait(p, set, info, ts, size, true)
}

fn sigtimedwait(p: &mut Task, set: u32, info: u32, ts: u32, size: u32, wide: bool) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m: [u32; 2] = p.read_struct(set)?;
    let want = mask64(m) & !asig::UNBLOCKABLE;
    let timeout = if ts != 0 {
        let t = super::time::get_ts(p, ts, wide)?;
        if t.tv_sec < 0 || !(0..1_000_000_000).contains(&t.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(t)
    } else {
        None
    };
    // What emu holds itself first.
    p.sig.pending.extend(p.ctl.ring.drain());
    let got = if let Some(k) = p.sig.pending.iter().position(|s| want & bit(s.sig()) != 0) {
        p.sig.pending.remove(k)
    } else {
        let hset = hostsig::to_host_set(want);
        let mut hinfo = [0u8; 128];
        let tp = timeout
            .as_ref()
            .map_or(0i64, |t| t as *const libc::timespec as i64);
        let r = hostsig::syscall_cp(
            &p.cpu.irq,
            libc::SYS_rt_sigtimedwait,
            [
                &hset as *const libc::sigset_t as i64,
                hinfo.as_mut_ptr() as i64,
                tp,
                8,
                0,
                0,
            ],
        );
        if r < 0 {
            return Err(Errno::from_host(-r as i32));
        }
        Siginfo32::from_host(&hinfo)
    };
    if info != 0 {
        p.write_struct(info, &got)?;
    }
    Ok(got.sig())
}

pub fn sys_rt_sigqueueinfo(p: &mut Task, pid: u32, sig: u32, uinfo: u32) -> SysResult {
    let info: Siginfo32 = p.read_struct(uinfo)?;
    let h = info.to_host();
    hret(unsafe {
        libc::syscall(
            libc::SYS_rt_sigqueueinfo,
            pid as i32,
            sig as i32,
            h.as_ptr(),
        )
    })
}

pub fn sys_rt_tgsigqueueinfo(p: &mut Task, tgid: u32, tid: u32, sig: u32, uinfo: u32) -> SysResult {
    let info: Siginfo32 = p.read_struct(uinfo)?;
    let h = info.to_host();
    hret(unsafe {
        libc::syscall(
            libc::SYS_rt_tgsigqueueinfo,
            tgid as i32,
            tid as i32,
            sig as i32,
            h.as_ptr(),
        )
    })
}

// ---- sending ----
//
// Guest pids and tids are host pids and tids and signal numbers are the
// same, so these are the host's calls; the host then delivers to the right
// emu process and thread, where the mirrored masks and dispositions act.

/// Signal 64 is emu's kick on the host: the guest cannot send it.
fn check_sig(sig: u32) -> Result<(), Errno> {
    if sig as i32 == super::task::kick_signal() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub fn sys_kill(_p: &mut Task, pid: u32, sig: u32) -> SysResult {
    check_sig(sig)?;
    hret(unsafe { libc::syscall(libc::SYS_kill, pid as i32, sig as i32) })
}

pub fn sys_tkill(_p: &mut Task, tid: u32, sig: u32) -> SysResult {
    check_sig(sig)?;
    hret(unsafe { libc::syscall(libc::SYS_tkill, tid as i32, sig as i32) })
}

pub fn sys_tgkill(_p: &mut Task, tgid: u32, tid: u32, sig: u32) -> SysResult {
    check_sig(sig)?;
    hret(unsafe { libc::syscall(libc::SYS_tgkill, tgid as i32, tid as i32, sig as i32) })
}

pub fn sys_pidfd_open(p: &mut Task, pid: u32, flags: u32) -> SysResult {
    let h = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as i32, flags) };
    if h < 0 {
        return Err(Errno::last());
    }
    p.files().install_host(h as i32, true)
}

pub fn sys_pidfd_send_signal(
    p: &mut Task,
    pidfd: u32,
    sig: u32,
    uinfo: u32,
    flags: u32,
) -> SysResult {
    check_sig(sig)?;
    let h = p.files().host(pidfd)?;
    let info = if uinfo != 0 {
        let i: Siginfo32 = p.read_struct(uinfo)?;
        Some(i.to_host())
    } else {
        None
    };
    let ip = info.as_ref().map_or(std::ptr::null(), |i| i.as_ptr());
    hret(unsafe { libc::syscall(libc::SYS_pidfd_send_signal, h, sig as i32, ip, flags) })
}

// ---- the alternate stack ----

pub fn sys_sigaltstack(p: &mut Task, uss: u32, uoss: u32) -> SysResult {
    let sp = p.cpu.sys.kmem.r32(p.frame + off::SP).unwrap_or(0);
    let old = Stack32 {
        ss_sp: p.sig.alt_sp,
        ss_flags: p.sig.ss_flags(sp) | p.sig.alt_flags,
        ss_size: p.sig.alt_size,
    };
    if uss != 0 {
        let n: Stack32 = p.read_struct(uss)?;
        if p.sig.on_altstack(sp) {
            return Err(Errno::EPERM);
        }
        let mode = n.ss_flags & !asig::SS_AUTODISARM;
        if mode != asig::SS_DISABLE && mode != asig::SS_ONSTACK && mode != 0 {
            return Err(Errno::EINVAL);
        }
        if mode == asig::SS_DISABLE {
            p.sig.alt_sp = 0;
            p.sig.alt_size = 0;
        } else {
            if n.ss_size < asig::MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            p.sig.alt_sp = n.ss_sp;
            p.sig.alt_size = n.ss_size;
        }
        p.sig.alt_flags = n.ss_flags & asig::SS_AUTODISARM;
    }
    if uoss != 0 {
        p.write_struct(uoss, &old)?;
    }
    Ok(0)
}

// ---- signalfd ----

pub fn sys_signalfd(p: &mut Task, fd: u32, mask: u32, size: u32) -> SysResult {
    sys_signalfd4(p, fd, mask, size, 0)
}

/// signalfd4: the host's signalfd on the host mask of the guest's set (the
/// signals it reads are the ones the guest keeps blocked, which stay
/// pending on the host); its `struct signalfd_siginfo` is the same on
/// every architecture.
pub fn sys_signalfd4(p: &mut Task, fd: u32, mask: u32, size: u32, flags: u32) -> SysResult {
    use super::abi::fs::o;
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    if flags & !(o::CLOEXEC | o::NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let m: [u32; 2] = p.read_struct(mask)?;
    let set = hostsig::to_host_set(mask64(m) & !asig::UNBLOCKABLE);
    let mut hflags = 0;
    if flags & o::NONBLOCK != 0 {
        hflags |= libc::SFD_NONBLOCK;
    }
    if fd as i32 == -1 {
        let h = unsafe { libc::signalfd(-1, &set, hflags | libc::SFD_CLOEXEC) };
        if h < 0 {
            return Err(Errno::last());
        }
        p.files().install_host(h, flags & o::CLOEXEC != 0)
    } else {
        let h = p.files().host(fd)?;
        let r = unsafe { libc::signalfd(h, &set, 0) };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(fd)
    }
}

/// The task's dispositions, for a new process or thread.
pub fn share_or_copy(p: &Task, share: bool) -> Arc<Mutex<SigHand>> {
    if share {
        p.sighand.clone()
    } else {
        Arc::new(Mutex::new(lock(&p.sighand).clone()))
    }
}

/// The host handed this thread a signal meant for its guest, or the
/// thread holds one: raise TIF_SIGPENDING for the exit path.
pub fn note_host_signals(p: &mut Task) {
    if !p.ctl.ring.is_empty() {
        set_sigpending(p);
    }
}

/// CLONE_CLEAR_SIGHAND: every handler back to the default (ignored
/// signals stay ignored).
pub fn clear_handlers(p: &mut Task) {
    let mut h = lock(&p.sighand);
    for (k, a) in h.action.iter_mut().enumerate() {
        if a.handler != asig::SIG_IGN && a.handler != asig::SIG_DFL {
            *a = SigAction::default();
            hostsig::mirror_action(k as u32 + 1, asig::SIG_DFL, 0);
        }
    }
}
