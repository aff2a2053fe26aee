//! Hooks for programs that embed emu, modelled on `PTRACE_SYSCALL`: a
//! syscall-entry and a syscall-exit stop, a stop before a signal is acted
//! on, and one at each CPU exception that becomes a signal.
//!
//! A hook sees the task's `struct pt_regs` (the frame on its kernel stack,
//! [`PtRegs`]) and may change it: the frame is written back before the
//! kernel goes on, so a change takes effect exactly as a tracer's
//! `PTRACE_SETREGS` would (arguments read from the frame after the entry
//! stop, the return value and every register restored from it on the way
//! out, segment selectors reloaded and checked by the return to user
//! mode), within what `PTRACE_SETREGS` accepts: EFLAGS bits outside
//! [`FLAG_MASK`] and selectors with an RPL other than 3 keep their old
//! values.
//!
//! - **Syscall entry** ([`Hooks::on_syscall_entry`]): after the entry
//!   work, before dispatch. `ax` holds -ENOSYS, as a tracer sees it.
//!   Setting `orig_ax` to -1 ([`SyscallCtx::skip`]) skips the call, as
//!   Linux does for a tracer: it returns whatever `ax` then holds, -ENOSYS
//!   unless the hook set it ([`SyscallCtx::inject`]).
//! - **Syscall exit** ([`Hooks::on_syscall_exit`]): after the call, before
//!   the exit work (signals, restarts); `ax` holds the result. Like
//!   Linux, exit and exit_group have no exit stop, and a new thread's
//!   first return (from clone) has one.
//! - **Filter** ([`Hooks::filter`]): a bitset of syscall numbers, checked
//!   before either syscall hook is called; a syscall outside it costs one
//!   bit test.
//! - **Exceptions** ([`Hooks::on_exception`]): a CPU exception from user
//!   mode that is about to become a signal (a #PF the kernel resolves,
//!   by growing the stack or faulting a file page in, is not reported).
//!   The hook may suppress the signal and resume the task at its (changed)
//!   frame.
//! - **Signals** ([`Hooks::on_signal`]): each signal as it is dequeued for
//!   delivery (Linux's `ptrace_signal`), before its action: the hook can
//!   suppress it or change it (a new number that is blocked is queued
//!   again). A signal whose guest action is the default one to terminate
//!   may be acted on by the host kernel directly (emu mirrors such
//!   dispositions) and is then never seen here.
//!
//! Any hook can ask the run to stop ([`HookCtx::stop`]): the task goes on
//! to its next return to user mode, and [`Task::run_until`] returns
//! [`super::task::Stop::Hook`] there; the run can be resumed. Only the
//! task whose run the embedder drives (a machine's main thread) stops: a
//! request made on another guest thread is ignored, and so is one in a
//! forked child.
//!
//! Cost: the syscall hooks use the syscall-work flag of the task's
//! thread_info (the one `--frames` and `--strace` use), so a machine
//! without them pays nothing more per syscall than before.
//!
//! Threads and processes: the hooks live in the [`super::Config`] that
//! every task of a process shares. A guest thread calls them from its own
//! host thread (a hook runs under a mutex, one call at a time); a forked
//! child process has its own copy of them, made by the host's fork, with
//! their captured state as it was at the fork: what a hook records in the
//! child does not reach the parent (share a pipe or a file for that). A
//! fork taken while another thread is inside a hook leaves that hook's
//! mutex held in the child, whose hook calls would then wait forever.

#![warn(missing_docs)]

use std::sync::Mutex;

use super::abi::signal::Siginfo32;
use super::task::{lock, Task};
use crate::arch::kmem::KFault;
use crate::arch::ptregs::PtRegs;

/// A syscall-entry or syscall-exit hook.
pub type SyscallHook = Box<dyn FnMut(&mut SyscallCtx<'_>) + Send>;
/// A CPU-exception hook.
pub type ExceptionHook = Box<dyn FnMut(&mut ExceptionCtx<'_>) + Send>;
/// A signal hook.
pub type SignalHook = Box<dyn FnMut(&mut SignalCtx<'_>) + Send>;

/// Syscall numbers a [`SyscallFilter`] holds one bit each for; numbers
/// from here up (none is a valid i386 syscall) share one more bit.
pub const FILTER_BITS: u32 = 512;

/// A set of syscall numbers: the syscalls the syscall hooks see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallFilter {
    bits: [u64; (FILTER_BITS / 64) as usize],
    /// Numbers at or above [`FILTER_BITS`] (and -1).
    above: bool,
}

impl Default for SyscallFilter {
    /// Every syscall ([`SyscallFilter::all`]).
    fn default() -> Self {
        SyscallFilter::all()
    }
}

impl SyscallFilter {
    /// Every syscall number, valid or not.
    pub fn all() -> SyscallFilter {
        SyscallFilter {
            bits: [!0; (FILTER_BITS / 64) as usize],
            above: true,
        }
    }

    /// No syscall.
    pub fn none() -> SyscallFilter {
        SyscallFilter {
            bits: [0; (FILTER_BITS / 64) as usize],
            above: false,
        }
    }

    /// Exactly the syscalls `nrs`.
    pub fn only(nrs: &[u32]) -> SyscallFilter {
        let mut f = SyscallFilter::none();
        for &n in nrs {
            f.insert(n);
        }
        f
    }

    /// Every syscall but `nrs`.
    pub fn except(nrs: &[u32]) -> SyscallFilter {
        let mut f = SyscallFilter::all();
        for &n in nrs {
            f.remove(n);
        }
        f
    }

    /// Add syscall `nr`.
    pub fn insert(&mut self, nr: u32) {
        match nr < FILTER_BITS {
            true => self.bits[(nr / 64) as usize] |= 1 << (nr % 64),
            false => self.above = true,
        }
    }

    /// Remove syscall `nr`.
    pub fn remove(&mut self, nr: u32) {
        match nr < FILTER_BITS {
            true => self.bits[(nr / 64) as usize] &= !(1 << (nr % 64)),
            false => self.above = false,
        }
    }

    /// Does the set hold syscall `nr`?
    #[inline(always)]
    pub fn contains(&self, nr: u32) -> bool {
        match nr < FILTER_BITS {
            true => self.bits[(nr / 64) as usize] & (1 << (nr % 64)) != 0,
            false => self.above,
        }
    }
}

/// The hooks of a machine (see the [module documentation](self)). Build
/// it with the `on_*` methods and put it in [`super::Config::hooks`].
#[derive(Default)]
pub struct Hooks {
    filter: SyscallFilter,
    syscall_entry: Option<Mutex<SyscallHook>>,
    syscall_exit: Option<Mutex<SyscallHook>>,
    exception: Option<Mutex<ExceptionHook>>,
    signal: Option<Mutex<SignalHook>>,
}

impl Hooks {
    /// No hooks (the filter holds every syscall).
    pub fn new() -> Hooks {
        Hooks::default()
    }

    /// Call `f` at each syscall entry the filter lets through.
    pub fn on_syscall_entry(mut self, f: impl FnMut(&mut SyscallCtx<'_>) + Send + 'static) -> Self {
        self.syscall_entry = Some(Mutex::new(Box::new(f)));
        self
    }

    /// Call `f` at each syscall exit the filter lets through (by the
    /// number the syscall had at entry, before an entry hook changed it).
    pub fn on_syscall_exit(mut self, f: impl FnMut(&mut SyscallCtx<'_>) + Send + 'static) -> Self {
        self.syscall_exit = Some(Mutex::new(Box::new(f)));
        self
    }

    /// The syscalls the syscall hooks see (default: all).
    pub fn filter(mut self, f: SyscallFilter) -> Self {
        self.filter = f;
        self
    }

    /// Call `f` at each CPU exception that is about to become a signal.
    pub fn on_exception(mut self, f: impl FnMut(&mut ExceptionCtx<'_>) + Send + 'static) -> Self {
        self.exception = Some(Mutex::new(Box::new(f)));
        self
    }

    /// Call `f` for each signal dequeued for delivery, before its action.
    pub fn on_signal(mut self, f: impl FnMut(&mut SignalCtx<'_>) + Send + 'static) -> Self {
        self.signal = Some(Mutex::new(Box::new(f)));
        self
    }

    /// Whether a syscall hook is registered (the tasks then set their
    /// syscall-work flag).
    pub fn has_syscall_hooks(&self) -> bool {
        self.syscall_entry.is_some() || self.syscall_exit.is_some()
    }

    /// The syscall filter.
    pub fn syscall_filter(&self) -> &SyscallFilter {
        &self.filter
    }
}

/// A guest memory access that failed: some byte of
/// `[addr, addr + len)` is not mapped with the access needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemError {
    /// The first address of the access.
    pub addr: u32,
    /// Its length in bytes.
    pub len: usize,
}

impl std::fmt::Display for MemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bad guest address: {} bytes at {:#x}",
            self.len, self.addr
        )
    }
}

impl std::error::Error for MemError {}

/// Checked guest-memory access on a task, as the kernel's
/// copy_from_user/copy_to_user (a stack page below the stack is faulted
/// in; a write to translated code drops it).
pub(crate) fn read_mem(t: &mut Task, addr: u32, out: &mut [u8]) -> Result<(), MemError> {
    t.read_user(addr, out).map_err(|_| MemError {
        addr,
        len: out.len(),
    })
}

pub(crate) fn write_mem(t: &mut Task, addr: u32, data: &[u8]) -> Result<(), MemError> {
    t.write_user(addr, data).map_err(|_| MemError {
        addr,
        len: data.len(),
    })
}

pub(crate) fn read_cstr(t: &mut Task, addr: u32, max: usize) -> Result<Vec<u8>, MemError> {
    t.read_cstr(addr, max)
        .map_err(|_| MemError { addr, len: max })
}

/// What every hook gets: the task's pt_regs frame (written back after the
/// hook), its guest memory and ids, and the stop request.
pub struct HookCtx<'a> {
    task: &'a mut Task,
    regs: PtRegs,
    stop: bool,
}

impl HookCtx<'_> {
    /// The frame (`struct pt_regs`) as it is now.
    pub fn regs(&self) -> &PtRegs {
        &self.regs
    }

    /// The frame, to change: written back when the hook returns.
    pub fn regs_mut(&mut self) -> &mut PtRegs {
        &mut self.regs
    }

    /// The process id (the thread group's).
    pub fn pid(&self) -> u32 {
        self.task.pid
    }

    /// The thread id of the task that stopped.
    pub fn tid(&self) -> u32 {
        self.task.tid
    }

    /// Instructions the task has retired.
    pub fn icount(&self) -> u64 {
        self.task.cpu.icount
    }

    /// Read guest memory at `addr` into `out`.
    pub fn read_mem(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemError> {
        read_mem(self.task, addr, out)
    }

    /// Write `data` to guest memory at `addr`.
    pub fn write_mem(&mut self, addr: u32, data: &[u8]) -> Result<(), MemError> {
        write_mem(self.task, addr, data)
    }

    /// Read a little-endian word at `addr`.
    pub fn read_u32(&mut self, addr: u32) -> Result<u32, MemError> {
        let mut b = [0; 4];
        self.read_mem(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Read a NUL-terminated string at `addr` (without the NUL), of at
    /// most `max` bytes: longer is an error.
    pub fn read_cstr(&mut self, addr: u32, max: usize) -> Result<Vec<u8>, MemError> {
        read_cstr(self.task, addr, max)
    }

    /// Stop the run at the task's next return to user mode (after this
    /// syscall, exception or signal is done with).
    pub fn stop(&mut self) {
        self.stop = true;
    }

    /// The task itself, for what the methods above do not cover (emu's
    /// internals: no stability promised).
    pub fn task(&mut self) -> &mut Task {
        self.task
    }
}

/// A syscall-entry or syscall-exit stop.
pub struct SyscallCtx<'a> {
    base: HookCtx<'a>,
    exit: bool,
}

impl<'a> std::ops::Deref for SyscallCtx<'a> {
    type Target = HookCtx<'a>;
    fn deref(&self) -> &HookCtx<'a> {
        &self.base
    }
}

impl std::ops::DerefMut for SyscallCtx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.base
    }
}

impl<'a> SyscallCtx<'a> {
    /// The syscall number (`orig_ax`).
    pub fn nr(&self) -> u32 {
        self.base.regs.orig_ax
    }

    /// Its name, if `nr` is a syscall emu knows.
    pub fn name(&self) -> Option<&'static str> {
        super::syscall::name(self.nr())
    }

    /// The six arguments (bx, cx, dx, si, di, bp).
    pub fn args(&self) -> [u32; 6] {
        let r = &self.base.regs;
        [r.bx, r.cx, r.dx, r.si, r.di, r.bp]
    }

    /// Set argument `i` (0 to 5); other indices are ignored.
    pub fn set_arg(&mut self, i: usize, v: u32) {
        let r = &mut self.base.regs;
        match i {
            0 => r.bx = v,
            1 => r.cx = v,
            2 => r.dx = v,
            3 => r.si = v,
            4 => r.di = v,
            5 => r.bp = v,
            _ => {}
        }
    }

    /// Is this the exit stop (else the entry stop)?
    pub fn is_exit(&self) -> bool {
        self.exit
    }

    /// `ax` as a signed value: the result at exit (-errno for an error),
    /// -ENOSYS at entry.
    pub fn ret(&self) -> i32 {
        self.base.regs.ax as i32
    }

    /// Set `ax`: the result at exit; at entry, what a skipped call returns.
    pub fn set_ret(&mut self, v: i32) {
        self.base.regs.ax = v as u32;
    }

    /// At entry: skip the call (`orig_ax` = -1). It returns -ENOSYS unless
    /// [`SyscallCtx::set_ret`] gives another value.
    pub fn skip(&mut self) {
        self.base.regs.orig_ax = u32::MAX;
    }

    /// At entry: skip the call and return `v` (-errno for an error).
    pub fn inject(&mut self, v: i32) {
        self.skip();
        self.set_ret(v);
    }

    /// The common part: registers, memory, ids, stop.
    pub fn base(&mut self) -> &mut HookCtx<'a> {
        &mut self.base
    }
}

/// A CPU exception about to become a signal.
pub struct ExceptionCtx<'a> {
    base: HookCtx<'a>,
    vector: u8,
    error_code: Option<u32>,
    info: Siginfo32,
    suppress: bool,
}

impl<'a> std::ops::Deref for ExceptionCtx<'a> {
    type Target = HookCtx<'a>;
    fn deref(&self) -> &HookCtx<'a> {
        &self.base
    }
}

impl std::ops::DerefMut for ExceptionCtx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.base
    }
}

impl<'a> ExceptionCtx<'a> {
    /// The vector (0 #DE, 1 #DB, 3 #BP, 6 #UD, 13 #GP, 14 #PF, ...).
    pub fn vector(&self) -> u8 {
        self.vector
    }

    /// The error code the CPU pushed, for the vectors that have one.
    pub fn error_code(&self) -> Option<u32> {
        self.error_code
    }

    /// The signal it would raise (signo, si_code and si_addr inside).
    pub fn siginfo(&self) -> &Siginfo32 {
        &self.info
    }

    /// The signal number it would raise.
    pub fn signo(&self) -> u32 {
        self.info.sig()
    }

    /// Raise no signal: the task resumes at the frame (for a fault, `ip`
    /// is still the faulting instruction: move it on or fix the cause,
    /// or it faults again).
    pub fn suppress(&mut self) {
        self.suppress = true;
    }

    /// The common part: registers, memory, ids, stop.
    pub fn base(&mut self) -> &mut HookCtx<'a> {
        &mut self.base
    }
}

/// A signal dequeued for delivery.
pub struct SignalCtx<'a> {
    base: HookCtx<'a>,
    info: Siginfo32,
    suppress: bool,
}

impl<'a> std::ops::Deref for SignalCtx<'a> {
    type Target = HookCtx<'a>;
    fn deref(&self) -> &HookCtx<'a> {
        &self.base
    }
}

impl std::ops::DerefMut for SignalCtx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.base
    }
}

impl<'a> SignalCtx<'a> {
    /// The signal number.
    pub fn signo(&self) -> u32 {
        self.info.sig()
    }

    /// Its siginfo.
    pub fn siginfo(&self) -> &Siginfo32 {
        &self.info
    }

    /// Its siginfo, to change (the handler gets the changed one).
    pub fn siginfo_mut(&mut self) -> &mut Siginfo32 {
        &mut self.info
    }

    /// Act on signal `sig` (1 to 64) instead; 0 or anything above 64
    /// suppresses it.
    pub fn set_signo(&mut self, sig: u32) {
        self.info.signo = sig as i32;
    }

    /// Drop the signal: it is not acted on.
    pub fn suppress(&mut self) {
        self.suppress = true;
    }

    /// The common part: registers, memory, ids, stop.
    pub fn base(&mut self) -> &mut HookCtx<'a> {
        &mut self.base
    }
}

// ---- the kernel's side ----

/// Does a syscall hook want syscall `nr`? (Called only with the task's
/// syscall-work flag set.)
#[inline]
pub(crate) fn wants_syscall(p: &Task, nr: u32) -> bool {
    p.cfg
        .hooks
        .as_ref()
        .is_some_and(|h| h.has_syscall_hooks() && h.filter.contains(nr))
}

/// A context for the frame at `p.frame`.
fn ctx(p: &mut Task) -> Result<HookCtx<'_>, KFault> {
    let regs = PtRegs::read(&p.cpu.sys.kmem, p.frame)?;
    Ok(HookCtx {
        task: p,
        regs,
        stop: false,
    })
}

/// The EFLAGS bits a tracer may change (Linux's FLAG_MASK_32 in
/// arch/x86/kernel/ptrace.c): CF PF AF ZF SF TF DF OF RF AC. The kernel's
/// iret would load any bit from the frame, IOPL included.
pub const FLAG_MASK: u32 = 0x0004_0000 | 0x0001_0000 | 0xdd5;

/// What putreg() lets a tracer write: the flags under [`FLAG_MASK`], data
/// selectors that are null or have RPL 3, cs and ss with RPL 3 (anything
/// else keeps its old value, where ptrace would fail with EIO); the
/// padding stays zero.
fn sanitize(old: &PtRegs, new: &mut PtRegs) {
    new.flags = (old.flags & !FLAG_MASK) | (new.flags & FLAG_MASK);
    for (o, n) in [
        (old.ds, &mut new.ds),
        (old.es, &mut new.es),
        (old.fs, &mut new.fs),
        (old.gs, &mut new.gs),
    ] {
        if *n != 0 && *n & 3 != 3 {
            *n = o;
        }
    }
    for (o, n) in [(old.cs, &mut new.cs), (old.ss, &mut new.ss)] {
        if *n & 3 != 3 {
            *n = o;
        }
    }
    new.__dsh = 0;
    new.__esh = 0;
    new.__fsh = 0;
    new.__gsh = 0;
    new.__csh = 0;
    new.__ssh = 0;
}

/// After the hook: write the frame back (as [`sanitize`] allows) and note
/// a stop request.
fn done(base: HookCtx<'_>) -> Result<(), KFault> {
    let p = base.task;
    p.hook_stop |= base.stop;
    let old = PtRegs::read(&p.cpu.sys.kmem, p.frame)?;
    let mut regs = base.regs;
    sanitize(&old, &mut regs);
    p.cpu
        .sys
        .kmem
        .write_bytes(p.frame, bytemuck::bytes_of(&regs))
}

/// The syscall-entry (`exit` false) or syscall-exit stop.
#[cold]
pub(crate) fn syscall_stop(p: &mut Task, exit: bool) -> Result<(), KFault> {
    let cfg = p.cfg.clone();
    let Some(h) = cfg.hooks.as_ref() else {
        return Ok(());
    };
    let hook = if exit {
        &h.syscall_exit
    } else {
        &h.syscall_entry
    };
    let Some(hook) = hook else {
        return Ok(());
    };
    let mut c = SyscallCtx {
        base: ctx(p)?,
        exit,
    };
    (*lock(hook))(&mut c);
    done(c.base)
}

/// The exception stop: true when the hook suppressed the signal.
#[cold]
pub(crate) fn exception_stop(
    p: &mut Task,
    vector: u8,
    error_code: Option<u32>,
    info: &Siginfo32,
) -> Result<bool, KFault> {
    let cfg = p.cfg.clone();
    let Some(hook) = cfg.hooks.as_ref().and_then(|h| h.exception.as_ref()) else {
        return Ok(false);
    };
    let mut c = ExceptionCtx {
        base: ctx(p)?,
        vector,
        error_code,
        info: *info,
        suppress: false,
    };
    (*lock(hook))(&mut c);
    let suppress = c.suppress;
    done(c.base)?;
    Ok(suppress)
}

/// The signal stop, for `info` just dequeued: the signal to act on, or
/// None (suppressed, or changed into a blocked one, which is queued again).
#[cold]
pub(crate) fn signal_stop(p: &mut Task, info: Siginfo32) -> Option<Siginfo32> {
    let cfg = p.cfg.clone();
    let Some(hook) = cfg.hooks.as_ref().and_then(|h| h.signal.as_ref()) else {
        return Some(info);
    };
    let Ok(base) = ctx(p) else {
        return Some(info);
    };
    let mut c = SignalCtx {
        base,
        info,
        suppress: false,
    };
    (*lock(hook))(&mut c);
    let (suppress, info) = (c.suppress, c.info);
    done(c.base).ok()?;
    if suppress {
        return None;
    }
    let sig = info.sig();
    if !(1..=64).contains(&sig) {
        return None;
    }
    if p.sig.blocked & super::abi::signal::bit(sig) != 0 {
        p.sig.pending.push(info);
        return None;
    }
    Some(info)
}

/// Are there hooks for signals or exceptions? (Cheap: for the cold paths.)
#[inline]
pub(crate) fn has_exception_hook(p: &Task) -> bool {
    p.cfg.hooks.as_ref().is_some_and(|h| h.exception.is_some())
}

/// See [`has_exception_hook`].
#[inline]
pub(crate) fn has_signal_hook(p: &Task) -> bool {
    p.cfg.hooks.as_ref().is_some_and(|h| h.signal.is_some())
}
