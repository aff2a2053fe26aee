//! The stub's thread: accept gdb, serve it with `gdbstub` until it
//! detaches (then accept the next one), kills the process, or the process
//! ends.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::{run_blocking, DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::auxv::{Auxv, AuxvOps};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
    WatchKind,
};
use gdbstub::target::ext::host_io::HostIoOps;
use gdbstub::target::{Target, TargetError, TargetResult};

use super::regs::{self, Regs, I386};
use super::{from_gdb, to_gdb, Action, Debugger, Stop, Watch};
use crate::kernel::ExitStatus;

type StopReason = MultiThreadStopReason<u32>;

/// The stub thread's body.
pub fn serve(d: Arc<Debugger>, l: TcpListener) {
    // Host signals for the process go to the guest threads, not here.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
    loop {
        let Ok((conn, _)) = l.accept() else {
            return;
        };
        let _ = conn.set_nodelay(true);
        d.active.store(true, SeqCst);
        d.halt_all();
        let mut t = Stub {
            d: d.clone(),
            actions: HashMap::new(),
            default: Action::Continue(None),
            files: Vec::new(),
        };
        match GdbStub::new(conn).run_blocking::<Loop>(&mut t) {
            Ok(DisconnectReason::Kill) => {
                // As natively: the process dies of SIGKILL.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
            Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {
                let mut g = d.lock();
                g.exit_told = true;
                d.cv.notify_all();
                return;
            }
            Ok(DisconnectReason::Disconnect) | Err(_) => d.detach(),
        }
    }
}

/// gdbstub's target: the parked threads of the process.
pub struct Stub {
    pub(super) d: Arc<Debugger>,
    actions: HashMap<u32, Action>,
    default: Action,
    /// Files gdb has open (`vFile:`), by descriptor.
    pub(super) files: Vec<Option<super::hostio::Open>>,
}

fn tid_of(t: Tid) -> u32 {
    t.get() as u32
}

fn gdb_tid(t: u32) -> Tid {
    Tid::new(t as usize).unwrap_or(Tid::new(1).unwrap())
}

fn signal_of(s: Option<Signal>) -> Option<u32> {
    s.and_then(|s| from_gdb(s.0))
}

impl Target for Stub {
    type Arch = I386;
    type Error = &'static str;

    fn base_ops(&mut self) -> BaseOps<'_, I386, &'static str> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_auxv(&mut self) -> Option<AuxvOps<'_, Self>> {
        Some(self)
    }

    fn support_host_io(&mut self) -> Option<HostIoOps<'_, Self>> {
        Some(self)
    }
}

impl Auxv for Stub {
    /// The auxv the loader wrote (gdb finds the vDSO's symbols through
    /// AT_SYSINFO_EHDR).
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let bytes: Vec<u8> = self
            .d
            .with_task(None, |p, _| {
                p.mm()
                    .saved_auxv
                    .iter()
                    .flat_map(|&(t, v)| [t.to_le_bytes(), v.to_le_bytes()])
                    .flatten()
                    .collect()
            })
            .ok_or(TargetError::Errno(3))?;
        let from = (offset as usize).min(bytes.len());
        let n = length.min(buf.len()).min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        Ok(n)
    }
}

impl MultiThreadBase for Stub {
    fn read_registers(&mut self, r: &mut Regs, tid: Tid) -> TargetResult<(), Self> {
        match self
            .d
            .with_task(Some(tid_of(tid)), |p, f| regs::read(p, f, r))
        {
            Some(Ok(())) => Ok(()),
            _ => Err(TargetError::Errno(3)),
        }
    }

    fn write_registers(&mut self, r: &Regs, tid: Tid) -> TargetResult<(), Self> {
        match self
            .d
            .with_task(Some(tid_of(tid)), |p, f| regs::write(p, f, r))
        {
            Some(Ok(())) => Ok(()),
            _ => Err(TargetError::Errno(22)),
        }
    }

    fn read_addrs(&mut self, start: u32, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let n = self.access(tid, start, data, false);
        if n == 0 && !data.is_empty() {
            return Err(TargetError::Errno(14));
        }
        Ok(n)
    }

    fn write_addrs(&mut self, start: u32, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        let mut buf = data.to_vec();
        if self.access(tid, start, &mut buf, true) != data.len() {
            return Err(TargetError::Errno(14));
        }
        Ok(())
    }

    fn list_active_threads(&mut self, register: &mut dyn FnMut(Tid)) -> Result<(), &'static str> {
        let g = self.d.lock();
        let mut tids: Vec<u32> = self
            .d
            .threads(&g)
            .iter()
            .map(|t| t.tid.load(SeqCst))
            .collect();
        // A parked thread that has left the list (an exiting leader) is
        // still there to be seen.
        for t in g.parked.keys() {
            if !tids.contains(t) {
                tids.push(*t);
            }
        }
        for t in tids {
            register(gdb_tid(t));
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl Stub {
    /// Guest memory through the thread `tid` (any parked thread if it is
    /// not parked): ptrace's access, unmapped pages moving nothing.
    fn access(&mut self, tid: Tid, start: u32, buf: &mut [u8], write: bool) -> usize {
        let f = |p: &mut crate::kernel::task::Task, _| {
            crate::kernel::procmem::access(p, start as u64, buf, write)
        };
        let t = tid_of(tid);
        let parked = self.d.lock().parked.contains_key(&t);
        self.d
            .with_task(if parked { Some(t) } else { None }, f)
            .unwrap_or(0)
    }
}

impl MultiThreadResume for Stub {
    fn resume(&mut self) -> Result<(), &'static str> {
        self.d
            .resume(std::mem::take(&mut self.actions), self.default);
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), &'static str> {
        self.actions.clear();
        self.default = Action::Continue(None);
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: Tid,
        s: Option<Signal>,
    ) -> Result<(), &'static str> {
        self.actions
            .insert(tid_of(tid), Action::Continue(signal_of(s)));
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for Stub {
    fn set_resume_action_step(&mut self, tid: Tid, s: Option<Signal>) -> Result<(), &'static str> {
        self.actions.insert(tid_of(tid), Action::Step(signal_of(s)));
        Ok(())
    }
}

impl MultiThreadSchedulerLocking for Stub {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), &'static str> {
        self.default = Action::Stop;
        Ok(())
    }
}

impl Breakpoints for Stub {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Stub {
    fn add_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        self.d.lock().bps.insert(addr);
        self.d.points_changed();
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        let had = self.d.lock().bps.remove(&addr);
        self.d.points_changed();
        Ok(had)
    }
}

impl HwWatchpoint for Stub {
    fn add_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        if len == 0 {
            return Ok(false);
        }
        self.d.lock().wps.push(Watch { addr, len, kind });
        self.d.points_changed();
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let found = {
            let mut g = self.d.lock();
            let k = g
                .wps
                .iter()
                .position(|w| w.addr == addr && w.len == len && w.kind == kind);
            k.map(|k| g.wps.remove(k)).is_some()
        };
        self.d.points_changed();
        Ok(found)
    }
}

/// The stop to report for thread `tid` stopped for `why`.
fn reason(tid: u32, why: Stop) -> StopReason {
    let tid = gdb_tid(tid);
    match why {
        Stop::Break => MultiThreadStopReason::SwBreak(tid),
        Stop::Step => MultiThreadStopReason::SignalWithThread {
            tid,
            signal: Signal::SIGTRAP,
        },
        Stop::Watch(kind, addr) => MultiThreadStopReason::Watch { tid, kind, addr },
        Stop::Signal(s) => MultiThreadStopReason::SignalWithThread {
            tid,
            signal: Signal(to_gdb(s)),
        },
    }
}

fn exit_reason(st: ExitStatus) -> StopReason {
    match st {
        ExitStatus::Exited(c) => MultiThreadStopReason::Exited(c as u8),
        ExitStatus::Signaled(s) => MultiThreadStopReason::Terminated(Signal(to_gdb(s as u32))),
    }
}

enum Loop {}

impl run_blocking::BlockingEventLoop for Loop {
    type Target = Stub;
    type Connection = TcpStream;
    type StopReason = StopReason;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        t: &mut Stub,
        conn: &mut TcpStream,
    ) -> Result<
        run_blocking::Event<StopReason>,
        run_blocking::WaitForStopReasonError<&'static str, std::io::Error>,
    > {
        let d = &t.d;
        let wake = d.wake.get().map_or(-1, |f| f.as_raw_fd());
        loop {
            {
                let mut g = d.lock();
                if let Some(st) = g.exited {
                    g.exited = None;
                    return Ok(run_blocking::Event::TargetStopped(exit_reason(st)));
                }
                if g.pending.is_some() {
                    drop(g);
                    d.halt_all();
                    let g = d.lock();
                    if let Some((tid, why)) = g.pending {
                        return Ok(run_blocking::Event::TargetStopped(reason(tid, why)));
                    }
                }
            }
            let mut fds = [
                libc::pollfd {
                    fd: conn.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: wake,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if r < 0 {
                continue;
            }
            if fds[1].revents != 0 {
                let mut v = 0u64;
                unsafe { libc::read(wake, &mut v as *mut u64 as *mut _, 8) };
            }
            if fds[0].revents != 0 {
                let b = conn
                    .read()
                    .map_err(run_blocking::WaitForStopReasonError::Connection)?;
                return Ok(run_blocking::Event::IncomingData(b));
            }
        }
    }

    fn on_interrupt(t: &mut Stub) -> Result<Option<StopReason>, &'static str> {
        let d = &t.d;
        d.halt_all();
        let g = d.lock();
        if let Some(st) = g.exited {
            return Ok(Some(exit_reason(st)));
        }
        if let Some((tid, why)) = g.pending {
            return Ok(Some(reason(tid, why)));
        }
        // As natively, Ctrl-C is a SIGINT (which gdb does not pass on).
        let tid = d
            .threads(&g)
            .first()
            .map(|t| t.tid.load(SeqCst))
            .or_else(|| g.parked.keys().next().copied())
            .unwrap_or(1);
        Ok(Some(reason(tid, Stop::Signal(libc::SIGINT as u32))))
    }
}
