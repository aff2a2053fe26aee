//! The host side of guest signals, and blocking host calls that a signal
//! must interrupt.
//!
//! Guest signal numbers are the host's, guest pids and tids are the
//! host's, so the host kernel keeps the guest's signals: a guest kill,
//! tgkill or sigqueue is the host's, an alarm or a POSIX timer is the
//! host's, a child's exit sends the host's SIGCHLD. emu mirrors on the
//! host what the guest set:
//! - **dispositions**: SIG_IGN and SIG_DFL are the host's own (so default
//!   actions are exactly native: a terminating signal kills the emu
//!   process by that signal, a stop signal stops it, SIGCHLD's SIG_IGN
//!   and SA_NOCLDWAIT reap children, an ignored SIGPIPE makes writes fail
//!   with EPIPE); a guest handler is `on_signal`, which queues the
//!   signal for the thread it interrupted and raises its `irq`;
//! - **the blocked mask** of each thread, so blocked signals stay pending
//!   in the host kernel, where sigpending, sigtimedwait and signalfd find
//!   them, and process-directed signals go to a thread that takes them.
//!
//! A blocking host call made for the guest must end when a guest signal
//! arrives. [`syscall_cp`] makes it through a small trampoline (as musl's
//! cancellation points): a signal that lands after the last check of
//! `irq` but before the `syscall` instruction moves the interrupted
//! thread to a path that returns EINTR, so no wakeup is lost; one that
//! lands during the call interrupts it (the handler has no SA_RESTART).
//!
//! emu keeps host signal 64 (SIGRTMAX) for itself ([`super::task::kick_signal`]):
//! the guest cannot block, catch or wait for signal 64.

use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};

use super::abi::signal::{self as asig, Siginfo32};
use super::task::{irq, TaskCtl};

/// Signals caught for a thread and not yet taken by it.
pub struct SigRing {
    slots: [UnsafeCell<[u8; 128]>; RING],
    head: AtomicU32,
    tail: AtomicU32,
}

const RING: usize = 64;

// Written only by the owning thread's signal handler and read by the
// owning thread: the slots between head and tail belong to the reader.
unsafe impl Sync for SigRing {}

impl Default for SigRing {
    fn default() -> Self {
        SigRing {
            slots: std::array::from_fn(|_| UnsafeCell::new([0u8; 128])),
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
        }
    }
}

impl SigRing {
    /// From the signal handler: queue a host siginfo (dropped if the ring
    /// is full, which takes 64 signals before the thread's next block).
    fn push(&self, info: &[u8; 128]) {
        let t = self.tail.load(SeqCst);
        if t.wrapping_sub(self.head.load(SeqCst)) as usize >= RING {
            return;
        }
        unsafe { *self.slots[t as usize % RING].get() = *info };
        self.tail.store(t.wrapping_add(1), SeqCst);
    }

    /// Take every queued signal, in arrival order.
    pub fn drain(&self) -> Vec<Siginfo32> {
        let mut out = Vec::new();
        loop {
            let h = self.head.load(SeqCst);
            if h == self.tail.load(SeqCst) {
                return out;
            }
            let raw = unsafe { *self.slots[h as usize % RING].get() };
            out.push(Siginfo32::from_host(&raw));
            self.head.store(h.wrapping_add(1), SeqCst);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.head.load(SeqCst) == self.tail.load(SeqCst)
    }
}

thread_local! {
    /// The task this host thread runs (its TaskCtl), for the handler.
    static CURRENT: Cell<*const TaskCtl> = const { Cell::new(std::ptr::null()) };
    /// The reference that keeps CURRENT's target alive.
    static HELD: std::cell::RefCell<Option<std::sync::Arc<TaskCtl>>> =
        const { std::cell::RefCell::new(None) };
}

/// This host thread now runs the task of `ctl`: the handler queues the
/// signals it catches there.
pub fn set_current(ctl: &std::sync::Arc<TaskCtl>) {
    let _block = BlockAll::new();
    HELD.with(|h| *h.borrow_mut() = Some(ctl.clone()));
    CURRENT.with(|c| c.set(std::sync::Arc::as_ptr(ctl)));
}

/// A fault of emu's code served (true) before a handler looks at `sig`
/// as a signal: a guest access past the end of a truncated file
/// ([`guest_bus`]), or emu's own fault ([`internal_fault`]).
fn fault_served(sig: i32, raw: &[u8; 128], uc: *mut libc::c_void) -> bool {
    if kernel_copy(sig, raw, uc)
        || guest_bus(sig, raw, uc)
        || guest_segv(sig, raw, uc)
        || cache_bus(sig, raw)
    {
        return true;
    }
    if own_fault(sig, raw) {
        internal_fault(sig, raw, uc);
        return true;
    }
    false
}

/// The handler of every host signal that has a guest handler.
extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let raw = unsafe { &*(info as *const [u8; 128]) };
    if fault_served(sig, raw, uc) {
        return;
    }
    let ctl = CURRENT.with(|c| c.get());
    if !ctl.is_null() {
        let ctl = unsafe { &*ctl };
        ctl.ring.push(raw);
        ctl.raise(irq::SIGNAL);
    }
    cp_fixup(uc);
}

/// The signals a CPU fault raises.
fn is_fault_signal(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE | libc::SIGTRAP
    )
}

/// Is this host siginfo a fault of emu's own code (a synchronous fault's
/// si_code, 1 to SI_KERNEL), not a signal sent to the process (SI_USER,
/// SI_TKILL, SI_QUEUE: zero or negative)? Guest faults never reach the
/// host: emu checks guest accesses itself. (A process may queue itself a
/// positive si_code with rt_sigqueueinfo; that one is taken for a fault.)
fn own_fault(sig: i32, raw: &[u8; 128]) -> bool {
    let code = i32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]);
    is_fault_signal(sig) && code > 0 && code <= asig::si::KERNEL
}

/// A fault of a kernel-side copy (`cpu::guard::copy`): the copy ends
/// early and says so, whatever the page was (unmapped or protected by
/// another thread since the check, a file page past the file's end).
fn kernel_copy(sig: i32, raw: &[u8; 128], uc: *mut libc::c_void) -> bool {
    if !matches!(sig, libc::SIGSEGV | libc::SIGBUS) || !own_fault(sig, raw) {
        return false;
    }
    let addr = u64::from_le_bytes(raw[16..24].try_into().unwrap_or([0; 8])) as usize;
    // SAFETY: this thread's fault handler, with the context it got.
    unsafe { crate::cpu::guard::kcopy_fixup(addr, uc) }
}

/// A host SIGBUS (BUS_ADRERR) in a mapped translation-cache file, cut
/// short under the mapping: the page reads as zeros (see
/// `cpu::tcache::Bytes`). Not if blocks run in place in that file: their
/// instructions are gone, and emu dies of the fault (an internal fault,
/// after a line that says why).
fn cache_bus(sig: i32, raw: &[u8; 128]) -> bool {
    bus_past_eof(sig, raw).is_some_and(|addr| match crate::cpu::tcache::in_mapped_file(addr) {
        Some(false) => zero_page_over(addr, libc::PROT_READ | libc::PROT_WRITE),
        Some(true) => {
            let msg = b"emu: a translation cache file was cut short by another program while its blocks ran\n";
            // SAFETY: write is async-signal-safe.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            false
        }
        None => false,
    })
}

/// The host address of a SIGBUS for a file page past the end of its
/// file (BUS_ADRERR), if this is one.
fn bus_past_eof(sig: i32, raw: &[u8; 128]) -> Option<usize> {
    let code = i32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]);
    if sig != libc::SIGBUS || code != libc::BUS_ADRERR {
        return None;
    }
    Some(u64::from_le_bytes(raw[16..24].try_into().unwrap_or([0; 8])) as usize)
}

/// Lay a private page of zeros with protection `prot` over the host page
/// holding `addr` (a file page past the end of its file): true if done.
/// Async-signal-safe: one mmap.
fn zero_page_over(addr: usize, prot: i32) -> bool {
    let page = addr & !(crate::mem::PAGE_SIZE as usize - 1);
    // SAFETY: the caller found the page in one of emu's own mappings (the
    // guest window, a cache file), where zeros may replace it.
    let r = unsafe {
        libc::mmap(
            page as *mut libc::c_void,
            crate::mem::PAGE_SIZE as usize,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    r != libc::MAP_FAILED
}

/// A host SIGBUS (BUS_ADRERR) at an address in the guest window: an
/// access to a file page past the end of its file, which another process
/// truncated (this process's own truncations make such pages not-present
/// first: `mm::file_resized`; the kernel side copies file pages
/// fault-tolerantly). An anonymous zero page goes over the host page.
/// In guest code the instruction ends at once with a #PF at the address,
/// its access undone, landing as a SIGSEGV does (`cpu::guard::
/// land_exception`); elsewhere under the run loop (`cpu::run::
/// stop_running`) the access finishes on the zero page first. The kernel
/// side puts the file back under the page, finds it past the file's end
/// and gives the guest SIGBUS (BUS_ADRERR, the address) with eip at the
/// instruction, as natively (`mm::host_bus`, entry.rs). An instruction
/// fetch is exact (translation looks at the interrupt line). In
/// kernel-side code (not running guest instructions) the line's
/// `irq::BUS` raises the SIGBUS at the next return to user mode.
/// Async-signal-safe: an mmap and atomics.
fn guest_bus(sig: i32, raw: &[u8; 128], uc: *mut libc::c_void) -> bool {
    let Some(addr) = bus_past_eof(sig, raw) else {
        return false;
    };
    let Some(guest) = crate::mem::guest_addr_of(addr) else {
        return false;
    };
    let ctl = CURRENT.with(|c| c.get());
    if ctl.is_null() || !zero_page_over(addr, libc::PROT_READ | libc::PROT_WRITE) {
        return false;
    }
    let ctl = unsafe { &*ctl };
    ctl.bus.store(guest as u64 | 1 << 32, SeqCst);
    ctl.raise(irq::BUS);
    // The interpreter's access: the instruction ends with a not-present
    // #PF at the address (W from the host's own error code), which the
    // kernel side finds past the file's end.
    let write = host_fault_error(uc) & 2 != 0;
    let f = crate::mem::PageFault {
        addr: guest,
        present: false,
        write,
        fetch: false,
    };
    let exc = crate::cpu::Exception {
        vector: crate::cpu::vec::PF,
        error_code: Some(f.error_code()),
        cr2: guest,
    };
    // SAFETY: this thread's fault handler, with the context it got.
    if unsafe { crate::cpu::guard::land_exception(exc, uc) } {
        return true;
    }
    crate::cpu::run::stop_running(exc);
    true
}

/// A host SIGSEGV of a guest read in a handler chain: the host refused
/// what the guest may not read (`cpu::guard`, which moves the
/// interrupted context to where the run loop makes it the guest's #PF).
fn guest_segv(sig: i32, raw: &[u8; 128], uc: *mut libc::c_void) -> bool {
    let code = i32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]);
    // The host's SEGV_MAPERR and SEGV_ACCERR (which the libc crate lacks).
    const MAPERR: i32 = 1;
    const ACCERR: i32 = 2;
    if sig != libc::SIGSEGV || !matches!(code, MAPERR | ACCERR) {
        return false;
    }
    let addr = u64::from_le_bytes(raw[16..24].try_into().unwrap_or([0; 8])) as usize;
    // SAFETY: this thread's fault handler, with the context it got.
    unsafe { crate::cpu::guard::claim(addr, host_fault_error(uc) & 2 != 0, uc) }
}

/// Make sure a guest read fault reaches [`guest_segv`]: the fault
/// signals get emu's handler unless they have one of emu's already (or
/// the guest ignores them). The kernel side installs it at start
/// (`mirror_action`); this is for guest code run without it (unit tests).
pub fn install_fault_handlers() {
    for sig in [libc::SIGSEGV, libc::SIGBUS] {
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
        let h = old.sa_sigaction;
        if h == on_fault as *const () as usize
            || h == on_signal as *const () as usize
            || h == libc::SIG_IGN
        {
            continue;
        }
        install(sig, on_fault, libc::SA_ONSTACK);
    }
}

/// The x86 page-fault error code of the host fault a signal reports.
fn host_fault_error(uc: *mut libc::c_void) -> u64 {
    host_greg(uc, REG_ERR)
}

/// The first words of the line emu writes when its own code faults.
pub const INTERNAL_FAULT: &str = "emu: internal fault:";

/// emu's own code faulted: say so on stderr (async-signal-safe: no
/// allocation, one write), then take the default action, so emu dies of
/// the fault (with a core where RLIMIT_CORE allows) as before. The line
/// is what tells emu's own death from a guest's death by the same signal,
/// which emu reproduces by killing itself (README: exit statuses).
fn internal_fault(sig: i32, raw: &[u8; 128], uc: *mut libc::c_void) {
    let code = i32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]);
    let addr = u64::from_le_bytes(raw[16..24].try_into().unwrap_or([0; 8]));
    let pc = host_pc(uc);
    let mut line = Line {
        buf: [0; 160],
        n: 0,
    };
    line.put(INTERNAL_FAULT.as_bytes());
    line.put(b" host signal ");
    line.num(sig as u64, 10);
    line.put(b" code ");
    line.num(code as u64, 10);
    line.put(b" address 0x");
    line.num(addr, 16);
    line.put(b" pc 0x");
    line.num(pc, 16);
    line.put(b"\n");
    unsafe {
        libc::write(2, line.buf.as_ptr().cast(), line.n);
        libc::signal(sig, libc::SIG_DFL);
        if sig == libc::SIGTRAP {
            // A trap does not repeat when the handler returns.
            libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), sig);
        }
    }
}

/// A line built in a fixed buffer (in a signal handler, which cannot
/// allocate).
struct Line {
    buf: [u8; 160],
    n: usize,
}

impl Line {
    fn put(&mut self, b: &[u8]) {
        let k = b.len().min(self.buf.len() - self.n);
        self.buf[self.n..self.n + k].copy_from_slice(&b[..k]);
        self.n += k;
    }

    fn num(&mut self, mut v: u64, radix: u64) {
        let mut d = [0u8; 20];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b"0123456789abcdef"[(v % radix) as usize];
            v /= radix;
            if v == 0 {
                break;
            }
        }
        self.put(&d[i..]);
    }
}

/// Register `r` (a `libc::REG_*` index) of the host context a signal
/// interrupted (0 without one, or on another host architecture).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn host_greg(uc: *mut libc::c_void, r: libc::c_int) -> u64 {
    if uc.is_null() {
        return 0;
    }
    unsafe { (*(uc as *const libc::ucontext_t)).uc_mcontext.gregs[r as usize] as u64 }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn host_greg(_: *mut libc::c_void, _: libc::c_int) -> u64 {
    0
}

/// The pc and the page-fault error code among the host's saved registers
/// (unused elsewhere: `host_greg` gives 0 there).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const REG_PC: libc::c_int = libc::REG_RIP;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const REG_ERR: libc::c_int = libc::REG_ERR;
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
const REG_PC: libc::c_int = 0;
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
const REG_ERR: libc::c_int = 0;

/// The host pc a signal interrupted.
fn host_pc(uc: *mut libc::c_void) -> u64 {
    host_greg(uc, REG_PC)
}

/// The handler of the fault signals while the guest's disposition is
/// SIG_DFL: emu's own fault is reported ([`internal_fault`]); a signal
/// sent to the process takes its default action, as SIG_DFL would.
extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let raw = unsafe { &*(info as *const [u8; 128]) };
    if fault_served(sig, raw, uc) {
        return;
    }
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        // Blocked while this handler runs: delivered, and fatal, on return.
        libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), sig);
    }
}

/// The kick's handler (see `task::kick_signal`): only the trampoline fix.
pub extern "C" fn on_kick(_: libc::c_int, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    cp_fixup(uc);
}

/// Install `h` for host signal `sig` with every signal blocked while it
/// runs, no SA_RESTART, and `flags` added.
fn install(
    sig: i32,
    h: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
    flags: i32,
) {
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = h as usize;
        sa.sa_flags = libc::SA_SIGINFO | flags;
        libc::sigfillset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

pub fn install_kick(sig: i32) {
    install(sig, on_kick, 0);
}

/// The guest ignores SIGSEGV (and so does the host, which then kills
/// emu at a fault instead of calling its handler: see `Cpu::soft_writes`).
static SEGV_IGNORED: AtomicBool = AtomicBool::new(false);

/// Whether the guest ignores SIGSEGV.
pub fn segv_ignored() -> bool {
    SEGV_IGNORED.load(SeqCst)
}

/// Make the host's disposition of `sig` follow the guest's: SIG_DFL and
/// SIG_IGN as they are, a handler as `on_signal`; SIGCHLD's
/// SA_NOCLDSTOP and SA_NOCLDWAIT as given.
pub fn mirror_action(sig: u32, handler: u32, flags: u32) {
    let s = sig as i32;
    if sig == asig::SIGKILL || sig == asig::SIGSTOP || s == super::task::kick_signal() {
        return;
    }
    if sig == asig::SIGSEGV {
        SEGV_IGNORED.store(handler == asig::SIG_IGN, SeqCst);
    }
    let extra = if sig == asig::SIGCHLD {
        (if flags & asig::sa::NOCLDSTOP != 0 {
            libc::SA_NOCLDSTOP
        } else {
            0
        }) | (if flags & asig::sa::NOCLDWAIT != 0 {
            libc::SA_NOCLDWAIT
        } else {
            0
        })
    } else {
        0
    };
    match handler {
        // SA_ONSTACK: emu's own fault may be a stack overflow (Rust gives
        // each thread an alternate stack).
        asig::SIG_DFL if is_fault_signal(s) => install(s, on_fault, libc::SA_ONSTACK),
        asig::SIG_DFL | asig::SIG_IGN => unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = if handler == asig::SIG_IGN {
                libc::SIG_IGN
            } else {
                libc::SIG_DFL
            };
            sa.sa_flags = extra;
            libc::sigaction(s, &sa, std::ptr::null_mut());
        },
        _ if is_fault_signal(s) => install(s, on_signal, libc::SA_ONSTACK),
        _ => install(s, on_signal, extra),
    }
}

/// The host's mask for a guest mask: everything the guest blocks except
/// SIGKILL, SIGSTOP and emu's kick.
fn host_set(mask: u64) -> libc::sigset_t {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in 1..=asig::NSIG {
            if mask & asig::bit(sig) != 0 && sig as i32 != super::task::kick_signal() {
                libc::sigaddset(&mut set, sig as i32);
            }
        }
        set
    }
}

/// Set this host thread's mask to the guest's `mask`.
pub fn apply_mask(mask: u64) {
    let set = host_set(mask & !asig::UNBLOCKABLE);
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) };
}

/// The signals pending on the host for this thread or its process.
pub fn host_pending() -> u64 {
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe { libc::sigpending(&mut set) };
    (1..=asig::NSIG)
        .filter(|&s| unsafe { libc::sigismember(&set, s as i32) } == 1)
        .fold(0, |m, s| m | asig::bit(s))
}

/// A guest sigset as the host's (for sigsuspend, sigtimedwait, signalfd).
pub fn to_host_set(mask: u64) -> libc::sigset_t {
    host_set(mask)
}

/// Every signal blocked on this host thread while it lives (around a
/// fork or a thread's start, when the handler's idea of the current task
/// is being changed); the previous mask comes back on drop.
pub struct BlockAll(libc::sigset_t);

impl BlockAll {
    pub fn new() -> BlockAll {
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            BlockAll(old)
        }
    }
}

impl Default for BlockAll {
    fn default() -> Self {
        BlockAll::new()
    }
}

impl Drop for BlockAll {
    fn drop(&mut self) {
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

// ---- what the guest inherited ----

/// Whether SIGPIPE was ignored when emu started: Rust's runtime ignores
/// it before `main`, so it is read by a constructor that runs first.
static PIPE_IGNORED_AT_START: AtomicBool = AtomicBool::new(false);

extern "C" fn capture_sigpipe() {
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old);
        PIPE_IGNORED_AT_START.store(old.sa_sigaction == libc::SIG_IGN, SeqCst);
    }
}

#[used]
#[link_section = ".init_array"]
static CAPTURE_SIGPIPE: extern "C" fn() = capture_sigpipe;

/// Host signal `sig`'s action (handler and flags), asked of the kernel
/// directly: glibc's sigaction refuses the signals it keeps for itself (32
/// and 33, SIGCANCEL and SIGSETXID), whose inherited SIG_IGN a guest
/// still has.
fn host_action(sig: i32) -> Option<(u64, u64)> {
    // struct kernel_sigaction (x86_64): handler, flags, restorer, mask.
    let mut old = [0u64; 4];
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            std::ptr::null::<u64>(),
            old.as_mut_ptr(),
            8usize,
        )
    };
    (r == 0).then_some((old[0], old[1]))
}

/// The host dispositions the emu process inherited, as guest signal sets.
pub struct Inherited {
    /// Ignored: the guest's initial SIG_IGN set (SIGPIPE as it was before
    /// Rust's runtime changed it).
    pub ignored: u64,
    /// At SIG_DFL with no flags, and not a fault signal (which gets emu's
    /// handler): what [`mirror_action`] of SIG_DFL would leave as it is.
    pub plain_default: u64,
}

pub fn inherited() -> Inherited {
    let mut m = Inherited {
        ignored: 0,
        plain_default: 0,
    };
    for sig in 1..=asig::NSIG {
        if sig == asig::SIGKILL || sig == asig::SIGSTOP || sig as i32 == super::task::kick_signal()
        {
            continue;
        }
        let act = host_action(sig as i32);
        let ign = if sig == asig::SIGPIPE {
            PIPE_IGNORED_AT_START.load(SeqCst)
        } else {
            act.is_some_and(|a| a.0 == libc::SIG_IGN as u64)
        };
        if ign {
            m.ignored |= asig::bit(sig);
        }
        // SA_RESTORER (x86_64's 0x04000000): glibc's own, not the action's.
        let flags = act.map(|a| a.1 & !0x0400_0000);
        if act.is_some_and(|a| a.0 == libc::SIG_DFL as u64)
            && flags == Some(0)
            && !is_fault_signal(sig as i32)
        {
            m.plain_default |= asig::bit(sig);
        }
    }
    m
}

/// This thread's host mask, as a guest mask (the guest's initial mask).
pub fn current_mask() -> u64 {
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut old) };
    (1..=asig::NSIG)
        .filter(|&s| unsafe { libc::sigismember(&old, s as i32) } == 1)
        .fold(0, |m, s| m | asig::bit(s))
}

// ---- blocking calls a signal interrupts ----

/// The `irq` bits that make a blocking call give up.
/// (DEBUG: the syscall is restarted after the debugger's stop.)
pub const CP_MASK: u32 = irq::SIGNAL | irq::KILL | irq::DEBUG;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".text",
    ".globl emu_syscall_cp",
    ".type emu_syscall_cp,@function",
    "emu_syscall_cp:",
    // rdi = &irq, rsi = nr, rdx, rcx, r8, r9, [rsp+8], [rsp+16] = a1..a6
    "mov r11, rdi",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov r10, r9",
    "mov r8, [rsp+8]",
    "mov r9, [rsp+16]",
    ".globl emu_cp_begin",
    "emu_cp_begin:",
    "test dword ptr [r11], {mask}",
    "jnz emu_cp_cancel",
    "syscall",
    ".globl emu_cp_end",
    "emu_cp_end:",
    "ret",
    ".globl emu_cp_cancel",
    "emu_cp_cancel:",
    "mov rax, -4",
    "ret",
    ".size emu_syscall_cp, .-emu_syscall_cp",
    mask = const CP_MASK,
);

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" {
    fn emu_syscall_cp(
        irq: *const AtomicU32,
        nr: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
    ) -> i64;
    static emu_cp_begin: u8;
    static emu_cp_end: u8;
    static emu_cp_cancel: u8;
}

/// A handler that interrupted the trampoline before its `syscall`
/// instruction sends it to the EINTR exit instead.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn cp_fixup(uc: *mut libc::c_void) {
    unsafe {
        let uc = &mut *(uc as *mut libc::ucontext_t);
        let rip = &mut uc.uc_mcontext.gregs[libc::REG_RIP as usize];
        let (b, e) = (
            &emu_cp_begin as *const u8 as i64,
            &emu_cp_end as *const u8 as i64,
        );
        if *rip >= b && *rip < e {
            *rip = &emu_cp_cancel as *const u8 as i64;
        }
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn cp_fixup(_: *mut libc::c_void) {}

/// A host syscall that may block, made so that a guest signal (or a
/// request to stop) arriving before or during it ends it with EINTR.
/// Returns the raw result: the value, or -errno. (Elsewhere than on
/// x86_64 the check before the call is not atomic with it.)
pub fn syscall_cp(irq: &AtomicU32, nr: libc::c_long, a: [i64; 6]) -> i64 {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    unsafe {
        emu_syscall_cp(irq, nr, a[0], a[1], a[2], a[3], a[4], a[5])
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    {
        if irq.load(SeqCst) & CP_MASK != 0 {
            return -(libc::EINTR as i64);
        }
        let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
        if r < 0 {
            -(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO) as i64)
        } else {
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `f` in a forked child whose stderr is a pipe, with the guest's
    /// disposition of `sig` mirrored first: the child's death signal and
    /// what it wrote.
    fn in_child(sig: i32, handler: u32, f: fn()) -> (i32, String) {
        unsafe {
            let mut fds = [0; 2];
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                let rl = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &rl);
                libc::dup2(fds[1], 2);
                mirror_action(sig as u32, handler, 0);
                f();
                libc::_exit(0);
            }
            libc::close(fds[1]);
            let mut out = Vec::new();
            let mut b = [0u8; 256];
            loop {
                let n = libc::read(fds[0], b.as_mut_ptr().cast(), b.len());
                if n <= 0 {
                    break;
                }
                out.extend_from_slice(&b[..n as usize]);
            }
            libc::close(fds[0]);
            let mut st = 0;
            assert_eq!(libc::waitpid(pid, &mut st, 0), pid);
            assert!(libc::WIFSIGNALED(st), "child status {st:#x}");
            (
                libc::WTERMSIG(st),
                String::from_utf8_lossy(&out).into_owned(),
            )
        }
    }

    fn null_read() {
        unsafe { std::ptr::read_volatile(8 as *const u8) };
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    fn ud2() {
        unsafe { std::arch::asm!("ud2") };
    }

    fn sent_segv() {
        unsafe { libc::kill(libc::getpid(), libc::SIGSEGV) };
    }

    /// emu's own fault says so on stderr and still dies of the fault,
    /// whatever the guest's disposition: SIG_DFL or a handler.
    #[test]
    fn own_fault_is_reported() {
        for handler in [asig::SIG_DFL, 0x0804_8000] {
            let (sig, err) = in_child(libc::SIGSEGV, handler, null_read);
            assert_eq!(sig, libc::SIGSEGV);
            assert!(
                err.starts_with(INTERNAL_FAULT) && err.contains("address 0x8 "),
                "handler {handler:#x}: {err:?}"
            );
        }
        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        {
            let (sig, err) = in_child(libc::SIGILL, asig::SIG_DFL, ud2);
            assert_eq!(sig, libc::SIGILL);
            assert!(err.starts_with(INTERNAL_FAULT), "{err:?}");
        }
    }

    /// A fault signal sent to emu (a guest kill of itself, another
    /// process) with the guest's disposition SIG_DFL kills it, silently.
    #[test]
    fn sent_fault_signal_takes_the_default_action() {
        let (sig, err) = in_child(libc::SIGSEGV, asig::SIG_DFL, sent_segv);
        assert_eq!(sig, libc::SIGSEGV);
        assert_eq!(err, "");
    }
}
