//! `--gdb PORT`: a GDB remote stub (the `gdbstub` crate) for the emulated
//! process.
//!
//! The stub runs in a host thread of its own ([`server`]), which owns the
//! connection. Guest threads are host threads here, and gdb's all-stop
//! model is kept so: a thread that stops (a breakpoint, a watchpoint, the
//! end of a step, a signal about to be delivered) *parks* in [`Debugger`]
//! and asks every other thread to park too (an interrupt request,
//! `irq::DEBUG`, with a kick out of a blocking host call, whose syscall is
//! then restarted as after a stop signal). While parked, a thread leaves
//! its `Task` to the stub, which reads and writes its registers and memory
//! and then sets each thread's resume action.
//!
//! Execution while debugging:
//! - no breakpoint, watchpoint or step: the ordinary block loop, stopped
//!   only by interrupt requests (Ctrl-C, another thread's stop);
//! - breakpoints only: block by block, a block that holds a breakpoint's
//!   address going one instruction at a time;
//! - stepping or watchpoints: one instruction at a time
//!   ([`crate::cpu::run::step_one`], the TF single-step path without its
//!   #DB), checking before each one for a breakpoint at eip, and, with
//!   watchpoints, decoding its memory operands to report a watched access
//!   after it completes (a data breakpoint is a trap), as DR0-3 do, reads
//!   included.
//!
//! Breakpoints never write guest memory (gdb's `Z0` packets), so a fork
//! child, which the debugger does not follow, runs its copy of the code
//! unchanged.
//!
//! Nothing of this runs without `--gdb`: the task's run loop tests
//! `Config::gdb` once per trip into the kernel.

mod hostio;
pub mod regs;
mod server;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gdbstub::target::ext::breakpoints::WatchKind;

use crate::cpu::run::{self, Event};
use crate::cpu::Cpu;
use crate::kernel::abi::signal::{si, Siginfo32, SIGKILL};
use crate::kernel::task::{irq, Task, TaskCtl, ThreadGroup};
use crate::kernel::ExitStatus;

/// How a thread goes on after a stop (signals are Linux numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Stay stopped (scheduler locking: gdb resumes other threads only).
    Stop,
    /// Continue, delivering the signal (at a signal stop).
    Continue(Option<u32>),
    /// Execute one instruction (TF semantics), delivering the signal.
    Step(Option<u32>),
}

/// Why a thread stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// A software breakpoint at eip.
    Break,
    /// A single step ended (or the thread stopped at its first instruction).
    Step,
    /// A watched access by the instruction just executed.
    Watch(WatchKind, u32),
    /// A signal is about to be delivered (Linux number).
    Signal(u32),
}

/// A hardware watchpoint.
#[derive(Clone, Copy, Debug)]
struct Watch {
    addr: u32,
    len: u32,
    kind: WatchKind,
}

/// A parked thread's task, which the stub may use until it is resumed.
struct Parked {
    task: *mut Task,
    /// Stopped in the kernel: the user registers are in its `pt_regs`.
    frame: bool,
}

// SAFETY: the task is only reached by the stub while its own thread waits
// in `Debugger::park` (under the state lock), never by both.
unsafe impl Send for Parked {}

#[derive(Default)]
struct State {
    bps: BTreeSet<u32>,
    wps: Vec<Watch>,
    parked: HashMap<u32, Parked>,
    /// The resume actions of the last resume, and for the threads it does
    /// not name.
    actions: HashMap<u32, Action>,
    default: Option<Action>,
    /// Incremented by every resume.
    gen: u64,
    /// The first stop since the last resume, to report (thread, why).
    pending: Option<(u32, Stop)>,
    /// The process has ended (to report).
    exited: Option<ExitStatus>,
    /// The stub has said so to gdb (the process may end).
    exit_told: bool,
    group: Option<Arc<ThreadGroup>>,
}

/// The debugger's side of the process: shared by every thread of it.
pub struct Debugger {
    /// The process it serves (a fork child has another pid, and runs
    /// undebugged).
    pid: AtomicU64,
    /// A gdb is connected.
    active: AtomicBool,
    /// Every thread is to park.
    stop_all: AtomicBool,
    /// Breakpoints or watchpoints exist: run one instruction at a time.
    any_points: AtomicBool,
    /// Incremented when breakpoints or watchpoints change.
    points_gen: AtomicU64,
    st: Mutex<State>,
    cv: Condvar,
    /// Wakes the stub's poll when a thread stops or the process ends.
    wake: std::sync::OnceLock<std::os::fd::OwnedFd>,
}

/// This host thread's view (a guest thread is a host thread).
struct Local {
    action: Action,
    /// The stepped instruction went to the kernel (a syscall, a fault):
    /// the step ends when the thread comes back.
    step_taken: bool,
    points_gen: u64,
    bps: Vec<u32>,
    wps: Vec<Watch>,
}

thread_local! {
    static ME: RefCell<Local> = const { RefCell::new(Local {
        action: Action::Continue(None),
        step_taken: false,
        points_gen: u64::MAX,
        bps: Vec::new(),
        wps: Vec::new(),
    }) };
}

/// How long the stub waits for every thread to park before it reports a
/// stop anyway (a thread stuck in a host call that is not interruptible);
/// such a thread shows no registers.
const HALT_TIMEOUT: Duration = Duration::from_secs(2);

impl Debugger {
    /// A debugger that gdb can attach to once [`Debugger::listen`] has
    /// started its stub. With `wait`, the first thread to run parks before
    /// its first instruction until gdb is connected.
    pub fn new(wait: bool) -> Arc<Debugger> {
        Arc::new(Debugger {
            pid: AtomicU64::new(std::process::id() as u64),
            active: AtomicBool::new(wait),
            stop_all: AtomicBool::new(wait),
            any_points: AtomicBool::new(false),
            points_gen: AtomicU64::new(0),
            st: Mutex::new(State::default()),
            cv: Condvar::new(),
            wake: std::sync::OnceLock::new(),
        })
    }

    /// Listen on 127.0.0.1:`port` (0: any free port) and start the stub's
    /// thread for process `p`'s group. Returns the address listened on.
    pub fn listen(
        self: &Arc<Debugger>,
        p: &Task,
        port: u16,
    ) -> std::io::Result<std::net::SocketAddr> {
        use std::os::fd::FromRawFd;
        let l = std::net::TcpListener::bind(("127.0.0.1", port))?;
        let addr = l.local_addr()?;
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let _ = self
            .wake
            .set(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) });
        self.lock().group = Some(p.group.clone());
        let d = self.clone();
        std::thread::Builder::new()
            .name("emu-gdb".into())
            .spawn(move || server::serve(d, l))?;
        Ok(addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether gdb debugs `p` now.
    fn serves(&self, p: &Task) -> bool {
        self.active.load(SeqCst) && self.pid.load(Relaxed) == p.pid as u64
    }

    fn notify_stub(&self) {
        if let Some(fd) = self.wake.get() {
            use std::os::fd::AsRawFd;
            let one = 1u64;
            unsafe { libc::write(fd.as_raw_fd(), &one as *const u64 as *const _, 8) };
        }
    }

    /// The group's live threads.
    fn threads(&self, g: &State) -> Vec<Arc<TaskCtl>> {
        match &g.group {
            Some(grp) => crate::kernel::task::lock(&grp.state)
                .threads
                .iter()
                .filter(|t| t.tid.load(SeqCst) != 0)
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// Ask the threads that have not parked to park.
    fn kick(&self, g: &State) {
        let pid = self.pid.load(Relaxed) as u32;
        for t in self.threads(g) {
            if !g.parked.contains_key(&t.tid.load(SeqCst)) {
                t.raise(irq::DEBUG);
                t.kick(pid);
            }
        }
    }

    /// Park thread `p` (stopped for `why`, if it stopped by itself) until
    /// gdb resumes it; returns its resume action.
    fn park(&self, p: &mut Task, why: Option<Stop>, frame: bool) -> Action {
        let mut g = self.lock();
        g.group = Some(p.group.clone());
        if let Some(w) = why {
            if g.pending.is_none() {
                g.pending = Some((p.tid, w));
            }
        }
        self.stop_all.store(true, SeqCst);
        g.parked.insert(
            p.tid,
            Parked {
                task: p as *mut Task,
                frame,
            },
        );
        self.kick(&g);
        self.notify_stub();
        self.cv.notify_all();
        let mut seen = g.gen;
        let act = loop {
            g = self
                .cv
                .wait_timeout(g, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if p.cpu.irq.load(SeqCst) & irq::KILL != 0 {
                // Another thread ended the process (exit_group, a fatal
                // signal) or execs: this one must go and end too.
                break Action::Continue(None);
            }
            if g.gen != seen {
                seen = g.gen;
                let a = g.actions.get(&p.tid).copied().or(g.default);
                match a {
                    Some(Action::Stop) | None => {}
                    Some(a) => break a,
                }
            }
        };
        g.parked.remove(&p.tid);
        drop(g);
        // The stub has run: DEBUG may be raised still.
        p.cpu.irq.fetch_and(!irq::DEBUG, SeqCst);
        ME.with(|m| {
            let mut m = m.borrow_mut();
            m.action = act;
            m.step_taken = false;
        });
        act
    }

    /// The stub's side: stop every thread and wait until they have parked
    /// (or `HALT_TIMEOUT` has passed).
    fn halt_all(&self) {
        self.stop_all.store(true, SeqCst);
        let end = Instant::now() + HALT_TIMEOUT;
        let mut g = self.lock();
        loop {
            let missing = self
                .threads(&g)
                .iter()
                .any(|t| !g.parked.contains_key(&t.tid.load(SeqCst)));
            if !missing || Instant::now() >= end {
                return;
            }
            self.kick(&g);
            g = self
                .cv
                .wait_timeout(g, Duration::from_millis(20))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Resume the parked threads: `actions` by thread, `default` for the
    /// others.
    fn resume(&self, actions: HashMap<u32, Action>, default: Action) {
        let mut g = self.lock();
        g.actions = actions;
        g.default = Some(default);
        g.pending = None;
        g.gen += 1;
        self.stop_all.store(false, SeqCst);
        self.cv.notify_all();
    }

    /// gdb has gone: drop its breakpoints and let every thread run on.
    fn detach(&self) {
        {
            let mut g = self.lock();
            g.bps.clear();
            g.wps.clear();
        }
        self.points_changed();
        self.active.store(false, SeqCst);
        self.resume(HashMap::new(), Action::Continue(None));
    }

    fn points_changed(&self) {
        let g = self.lock();
        self.any_points
            .store(!g.bps.is_empty() || !g.wps.is_empty(), SeqCst);
        self.points_gen.fetch_add(1, SeqCst);
    }

    /// The process has ended with `st`: tell gdb, and wait (a little) for
    /// the stub to have said so.
    pub fn exited(&self, st: ExitStatus) {
        if !self.active.load(SeqCst) || self.pid.load(Relaxed) != std::process::id() as u64 {
            return;
        }
        let mut g = self.lock();
        g.exited = Some(st);
        self.notify_stub();
        let end = Instant::now() + Duration::from_secs(5);
        while !g.exit_told && Instant::now() < end {
            g = self
                .cv
                .wait_timeout(g, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Run `f` on parked thread `tid`'s task (any parked thread's for
    /// None); None if there is none.
    fn with_task<R>(&self, tid: Option<u32>, f: impl FnOnce(&mut Task, bool) -> R) -> Option<R> {
        let g = self.lock();
        let p = match tid {
            Some(t) => g.parked.get(&t),
            None => g.parked.values().next(),
        }?;
        // SAFETY: the thread waits in `park` until a resume, which only
        // the stub (this thread) makes; the state lock is held meanwhile.
        let task = unsafe { &mut *p.task };
        Some(f(task, p.frame))
    }
}

/// The run loop of a task while `--gdb` is given (instead of
/// [`run::run`]): the next event for the kernel side.
pub fn run(p: &mut Task, d: &Debugger) -> Event {
    loop {
        if !d.serves(p) {
            return run::run(&mut p.cpu, &mut p.cache);
        }
        if d.stop_all.load(SeqCst) {
            d.park(p, None, false);
            continue;
        }
        let (step, taken) = ME.with(|m| {
            let m = m.borrow();
            (matches!(m.action, Action::Step(_)), m.step_taken)
        });
        if step && taken {
            d.park(p, Some(Stop::Step), false);
            continue;
        }
        if !step && !d.any_points.load(Relaxed) {
            let ev = run::run(&mut p.cpu, &mut p.cache);
            if ev == Event::Irq && p.cpu.irq.fetch_and(!irq::DEBUG, SeqCst) & !irq::DEBUG == 0 {
                continue;
            }
            return ev;
        }
        if let Some(ev) = checked_step(p, d, step) {
            return ev;
        }
    }
}

/// One instruction in the checked mode: a breakpoint at eip stops before
/// it, a watched access after it, and a step after it. Some(event) when
/// the kernel side has work.
#[cold]
fn checked_step(p: &mut Task, d: &Debugger, step: bool) -> Option<Event> {
    let gen = d.points_gen.load(SeqCst);
    ME.with(|m| {
        let mut m = m.borrow_mut();
        if m.points_gen != gen {
            let g = d.lock();
            m.bps = g.bps.iter().copied().collect();
            m.wps = g.wps.clone();
            m.points_gen = gen;
        }
    });
    let eip = p.cpu.eip;
    let (bp, watching) = ME.with(|m| {
        let m = m.borrow();
        (m.bps.binary_search(&eip).is_ok(), !m.wps.is_empty())
    });
    if bp {
        d.park(p, Some(Stop::Break), false);
        return None;
    }
    // Work for the kernel side (other threads' requests): between
    // instructions, as between blocks.
    if p.cpu.irq.load(SeqCst) & !irq::DEBUG != 0 {
        p.cpu.irq.fetch_and(!irq::DEBUG, SeqCst);
        return Some(Event::Irq);
    }
    if p.cpu.flags.bits & crate::cpu::flags::TF != 0 {
        // The guest single-steps itself: its own #DB after the instruction.
        return Some(run::run(&mut p.cpu, &mut p.cache));
    }
    if !step && !watching {
        // Breakpoints only: whole blocks while they hold none.
        let ev = ME.with(|m| {
            let bps = &m.borrow().bps;
            run::run_unless(&mut p.cpu, &mut p.cache, |a| bps.binary_search(&a).is_ok())
        });
        match ev {
            // A breakpoint in the block at eip: stop if it is at eip,
            // else go one instruction at a time.
            None => {
                let eip = p.cpu.eip;
                if ME.with(|m| m.borrow().bps.binary_search(&eip).is_ok()) {
                    d.park(p, Some(Stop::Break), false);
                    return None;
                }
            }
            Some(Event::Irq) if p.cpu.irq.fetch_and(!irq::DEBUG, SeqCst) & !irq::DEBUG == 0 => {
                return None;
            }
            Some(ev) => return Some(ev),
        }
    }
    let acc = if watching {
        accesses(&p.cpu)
    } else {
        Vec::new()
    };
    match run::step_one(&mut p.cpu, &mut p.cache) {
        None => {}
        Some(Event::CodeWritten) => p.tell_others_code(p.cpu.smc_page, p.cpu.smc_last),
        Some(ev) => {
            if step {
                ME.with(|m| m.borrow_mut().step_taken = true);
            }
            return Some(ev);
        }
    }
    let hit = ME.with(|m| watch_hit(&acc, &m.borrow().wps));
    if let Some((kind, addr)) = hit {
        d.park(p, Some(Stop::Watch(kind, addr)), false);
    } else if step {
        d.park(p, Some(Stop::Step), false);
    }
    None
}

/// One memory access of an instruction: address, size, reads, writes.
type Access = (u32, u32, bool, bool);

/// The memory accesses the instruction at eip will make (decoded again:
/// the checked mode is a cold path), with the addresses its registers
/// give now.
fn accesses(c: &Cpu) -> Vec<Access> {
    use iced_x86::{Decoder, DecoderOptions, InstructionInfoFactory, OpAccess, Register};
    let at = c.seg_base[crate::cpu::CS].wrapping_add(c.eip);
    let mut bytes = [0u8; 15];
    let mut n = 0;
    while n < bytes.len() && c.mapped(at.wrapping_add(n as u32)) {
        bytes[n] = c.mem.read_raw(at.wrapping_add(n as u32), 1)[0];
        n += 1;
    }
    let ins = Decoder::with_ip(32, &bytes[..n], c.eip as u64, DecoderOptions::NONE).decode();
    if ins.is_invalid() {
        return Vec::new();
    }
    let mut f = InstructionInfoFactory::new();
    let mut out = Vec::new();
    for m in f.info(&ins).used_memory() {
        let (r, w) = match m.access() {
            OpAccess::Read | OpAccess::CondRead => (true, false),
            OpAccess::Write | OpAccess::CondWrite => (false, true),
            OpAccess::ReadWrite | OpAccess::ReadCondWrite => (true, true),
            _ => continue,
        };
        let addr = m.virtual_address(0, |reg, _, _| {
            if reg == Register::None {
                return Some(0);
            }
            if let Some(s) = crate::cpu::decode::sreg(reg) {
                return Some(c.seg_base[s as usize] as u64);
            }
            crate::cpu::decode::gpr(reg).map(|(n, sz)| c.reg(sz, n) as u64)
        });
        if let Some(a) = addr {
            let size = m.memory_size().size().max(1) as u32;
            out.push((a as u32, size, r, w));
        }
    }
    out
}

/// The first watchpoint that accesses `acc` trigger.
fn watch_hit(acc: &[Access], wps: &[Watch]) -> Option<(WatchKind, u32)> {
    for &(a, n, r, w) in acc {
        for wp in wps {
            let overlap = (a as u64) < wp.addr as u64 + wp.len as u64
                && (wp.addr as u64) < a as u64 + n as u64;
            let kind_ok = match wp.kind {
                WatchKind::Write => w,
                WatchKind::Read => r,
                WatchKind::ReadWrite => r || w,
            };
            if overlap && kind_ok {
                return Some((wp.kind, wp.addr));
            }
        }
    }
    None
}

/// A signal about to be delivered to `p` (`do_signal`): with gdb
/// attached, the thread stops and gdb decides (as ptrace's
/// signal-delivery-stop): the signal to deliver instead, or None.
pub fn signal_stop(p: &mut Task, info: Siginfo32) -> Option<Siginfo32> {
    let Some(d) = p.cfg.gdb.clone() else {
        return Some(info);
    };
    let sig = info.sig();
    if !d.serves(p) || sig == SIGKILL {
        return Some(info);
    }
    let act = d.park(p, Some(Stop::Signal(sig)), true);
    let (Action::Continue(s) | Action::Step(s)) = act else {
        return Some(info);
    };
    if matches!(act, Action::Step(_)) && s.is_some() {
        // Stepping into a handler stops at its first instruction.
        ME.with(|m| m.borrow_mut().step_taken = true);
    }
    match s {
        None => None,
        Some(s) if s == sig => Some(info),
        Some(s) => Some(Siginfo32::new(s, si::USER)),
    }
}

/// Whether a debugger is stopping `p`'s threads (a blocking call it was
/// in ended with EINTR: the syscall restarts after the stop).
pub fn stopping(p: &Task) -> bool {
    p.cfg
        .gdb
        .as_ref()
        .is_some_and(|d| d.serves(p) && d.stop_all.load(SeqCst))
}

/// gdb's signal number for Linux signal `sig` (gdb/signals.def).
fn to_gdb(sig: u32) -> u8 {
    match sig {
        1..=6 | 8 | 9 | 11 | 13..=15 => sig as u8,
        7 => 10,   // SIGBUS
        10 => 30,  // SIGUSR1
        12 => 31,  // SIGUSR2
        16 => 143, // SIGSTKFLT: GDB_SIGNAL_UNKNOWN
        17 => 20,  // SIGCHLD
        18 => 19,  // SIGCONT
        19 => 17,  // SIGSTOP
        20 => 18,  // SIGTSTP
        21 | 22 => sig as u8,
        23 => 16, // SIGURG
        24..=28 => sig as u8,
        29 => 23, // SIGIO
        30 => 32, // SIGPWR
        31 => 12, // SIGSYS
        32 => 77,
        33..=63 => (sig + 12) as u8,
        64 => 78,
        _ => 143,
    }
}

/// The Linux signal for gdb's signal number (None: no Linux equivalent).
fn from_gdb(g: u8) -> Option<u32> {
    (1..=64).find(|&s| to_gdb(s) == g && g != 143)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_round_trip() {
        for s in 1..=64 {
            if s == 16 {
                assert_eq!(from_gdb(to_gdb(s)), None);
                continue;
            }
            assert_eq!(from_gdb(to_gdb(s)), Some(s), "signal {s}");
        }
        assert_eq!(to_gdb(10), gdbstub::common::Signal::SIGUSR1.0);
        assert_eq!(to_gdb(17), gdbstub::common::Signal::SIGCHLD.0);
        assert_eq!(to_gdb(34), gdbstub::common::Signal::SIG34.0);
        assert_eq!(to_gdb(64), gdbstub::common::Signal::SIG64.0);
    }

    #[test]
    fn watch_overlap_and_kind() {
        let wps = [Watch {
            addr: 0x1000,
            len: 4,
            kind: WatchKind::Write,
        }];
        assert_eq!(
            watch_hit(&[(0x1003, 1, false, true)], &wps),
            Some((WatchKind::Write, 0x1000))
        );
        assert_eq!(watch_hit(&[(0x1004, 4, false, true)], &wps), None);
        assert_eq!(watch_hit(&[(0x0ffe, 4, true, false)], &wps), None);
        let rd = [Watch {
            kind: WatchKind::Read,
            ..wps[0]
        }];
        assert_eq!(
            watch_hit(&[(0x0ffe, 4, true, false)], &rd),
            Some((WatchKind::Read, 0x1000))
        );
    }
}
