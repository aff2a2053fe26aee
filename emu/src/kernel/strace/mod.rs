//! `--strace` and `--strace-file`: one line per system call in strace's
//! own format, printed by the syscall work path (the thread_info flag
//! `--frames` uses too, so without either option the dispatch pays
//! nothing); and `--stats`' per-syscall table ([`SyscallStats`]).
//!
//! Everything comes from the table's formats (`syscalls.tbl`, [`Fmt`]):
//! there is no printing code per system call. An argument is shown on
//! entry, or, when the table marks it `>` (what the call writes: a stat64,
//! an old sigaction or sigset, readv's iovecs, a wait status) or it is an
//! [`Fmt::Obuf`], on exit, and then so are the arguments after it, as
//! strace orders them; a failed call shows an output argument as its
//! address. A *selector* format chooses from its value which arguments
//! follow and how ([`Fmt::FutexOp`]: a futex operation's arguments;
//! [`Fmt::CloneFlags`]: clone's named `child_stack=`, `flags=`, `tls=`...;
//! [`Fmt::CloneArgs`]: clone3's struct and ` => {parent_tid=[N]}`;
//! [`Fmt::FcntlCmd`]: an fcntl command's argument and result;
//! [`Fmt::LlseekOff`]), as data, not code per call.
//!
//! Strings and buffers are quoted and cut after 32 bytes as `strace -s 32`
//! does (pathnames whole, as strace's printpath); flags, signals, clocks,
//! address families, socket types, fcntl commands, ioctl requests and the
//! like are printed by name; structs are decoded as strace shows them
//! (stat64 and statx in the abbreviated form, timespec, timeval, sigaction,
//! 64-bit sigsets with the `~[...]` rule, sigreturn's `{mask=[...]}` from
//! the frame at the user stack pointer, iovec arrays (on exit up to the
//! result), sockaddr for AF_UNIX/AF_INET/AF_INET6, pollfd arrays with
//! their revents after the result, rlimit, user_desc, stack_t, flock, wait
//! statuses, execve's argv and envp) and an unreadable one is shown as its
//! address. A failed call shows its errno's name and message.
//!
//! Several tasks: the state every process and thread of the trace shares
//! ([`Shared`], in a `MAP_SHARED` mapping made before the guest starts, so
//! that fork children share it) holds each task's call in progress. When a
//! task prints a line while another is inside a call, the other's entry
//! part is printed first as `read(3,  <unfinished ...>`, and that call
//! ends with `<... read resumed>"go", 16) = 2`, as `strace -f` shows it.
//! `[pid N]` starts a line while more than one task is traced (decided
//! when the line starts, as strace does); a task counts from the entry of
//! the fork/clone that makes it (the table's `newtask` result) to its
//! `+++ exited +++` line. A fork child's own return from fork/clone is not
//! shown (strace does not see it either). `--strace-file` writes what
//! `strace -f -o FILE` does: every line starts with its task's id. The
//! trace's descriptor is emu's own, close-on-exec, and not in the guest's
//! table, so the guest's descriptor numbers are the native ones.
//!
//! `--stats`: the counters are in shared memory too, so the table counts
//! every process and thread as `strace -c -f` does; the first process
//! prints it.
//!
//! Not yet as strace:
//! - structs and values not listed above print as pointers or numbers:
//!   msghdr/mmsghdr (sendmsg, recvmsg, sendmmsg, recvmmsg), sigevent and
//!   itimerspec (timer_*, timerfd_*), rusage, sysinfo, statfs, select's
//!   fd_sets, sched params, utimensat's times, openat2's open_how, termios
//!   and other ioctl arguments, socket options that are not ints, prctl
//!   options other than PR_SET_NAME/PR_GET_NAME/PR_SET_PDEATHSIG (their
//!   arguments in hex), mremap's flags, the old sigaction and sigprocmask
//!   (67, 126), socketcall's multiplexed calls;
//! - ppoll and select do not show the time left;
//! - exit and exit_group print `= ?` at once (strace keeps the line open
//!   and may split it); at most 64 calls in progress (of as many tasks)
//!   can be split as `<unfinished ...>`, the others print when they end;
//! - a task killed by SIGKILL gets no `+++ killed by SIGKILL +++` (its emu
//!   process dies at once), and an execve in a multi-threaded process no
//!   `+++ superseded by execve +++`;
//! - a program only the host runs (an execve of a non-i386 program) leaves
//!   the trace: its execve is shown as `<unfinished ...>` ([`leaving`]);
//! - a signal the guest ignores is not shown: Linux queues it only for a
//!   traced task (strace's `--- SIGCHLD ... ---` after a child exits);
//! - `--stats` times the calls in wall time, where `strace -c` shows
//!   system CPU time.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use super::abi::errno;
use super::abi::fs::o;
use super::abi::signal::{self as asig, Layout, Siginfo32};
use super::syscall::{Fmt, ARGS, NAMES, OUT, RET};
use super::task::Task;
use super::ExitStatus;

mod decode;
mod names;
mod stats;

use decode::*;
use names::{flags, oflags, FDFLAGS};
pub use stats::SyscallStats;

/// A zeroed `MAP_SHARED` anonymous mapping holding a `T`, shared with the
/// fork children made after it (leaked: it lives as long as the trace).
/// Falls back to process memory if the host refuses the mapping.
fn shared_zeroed<T: Sync>() -> &'static T {
    let size = std::mem::size_of::<T>();
    // SAFETY: a fresh anonymous mapping of the right size, page aligned;
    // every T used here (atomics, byte arrays) is valid all zero.
    unsafe {
        let m = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if m != libc::MAP_FAILED {
            return &*(m as *const T);
        }
        let layout = std::alloc::Layout::new::<T>();
        &*(std::alloc::alloc_zeroed(layout) as *const T)
    }
}

/// A lock on a futex word in shared memory, usable across processes. The
/// word holds its owner's host thread id (with [`WAITERS`] while someone
/// sleeps on it), so that a waiter can take over a lock whose owner died
/// holding it (a guest process killed by SIGKILL while writing a line).
struct ShLock<'a>(&'a AtomicU32);

/// Set in a held lock's word while other threads wait for it.
const WAITERS: u32 = 1 << 31;

fn futex(w: &AtomicU32, op: i32, val: u32, timeout: Option<&libc::timespec>) -> i64 {
    let t = timeout.map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: a futex call on a live, aligned word (shared: not private).
    unsafe { libc::syscall(libc::SYS_futex, w.as_ptr(), op, val, t) }
}

impl<'a> ShLock<'a> {
    fn new(w: &'a AtomicU32) -> ShLock<'a> {
        // SAFETY: gettid has no preconditions.
        let me = unsafe { libc::gettid() } as u32 & !WAITERS;
        loop {
            let cur = w.load(Ordering::Relaxed);
            if cur == 0 {
                if w.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return ShLock(w);
                }
                continue;
            }
            if cur & WAITERS == 0
                && w.compare_exchange(cur, cur | WAITERS, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            let wait = libc::timespec {
                tv_sec: 0,
                tv_nsec: 100_000_000,
            };
            if futex(w, libc::FUTEX_WAIT, cur | WAITERS, Some(&wait)) != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT)
            {
                let owner = (cur & !WAITERS) as i32;
                if !alive(owner as u32) {
                    let _ =
                        w.compare_exchange(cur | WAITERS, 0, Ordering::Relaxed, Ordering::Relaxed);
                }
            }
        }
    }
}

impl Drop for ShLock<'_> {
    fn drop(&mut self) {
        if self.0.swap(0, Ordering::Release) & WAITERS != 0 {
            futex(self.0, libc::FUTEX_WAKE, i32::MAX as u32, None);
        }
    }
}

/// Whether host thread `tid` exists.
fn alive(tid: u32) -> bool {
    // SAFETY: signal 0 only checks that the thread exists.
    let r = unsafe { libc::kill(tid as i32, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Calls in progress that can be shown as `<unfinished ...>`.
const SLOTS: usize = 64;
/// Bytes of a call's entry part kept for that.
const SLOT_TEXT: usize = 4096;

/// One task's call in progress.
#[repr(C)]
struct Slot {
    /// The task (0: free).
    tid: u32,
    /// 1: entered, its entry part not printed; 2: printed as unfinished.
    state: u32,
    len: u32,
    text: [u8; SLOT_TEXT],
}

/// The state all tasks of the trace share (see the module doc).
#[repr(C)]
pub struct Shared {
    lock: AtomicU32,
    /// Tasks traced now (strace's nprocs).
    live: AtomicU32,
    slots: std::cell::UnsafeCell<[Slot; SLOTS]>,
}

// SAFETY: `slots` is only touched with `lock` held.
unsafe impl Sync for Shared {}

/// Where `--strace` lines go (stderr or `--strace-file`).
pub struct Strace {
    /// Written with one write per line and no lock of this process (a
    /// fork child must not inherit a held one): the shared lock orders
    /// the lines of all tasks.
    out: std::fs::File,
    sh: &'static Shared,
    /// `--strace-file`: every line starts with its task's id, as with
    /// `strace -f -o FILE`.
    pid_column: bool,
}

impl Strace {
    /// Print to `out` (a descriptor of emu's own, close-on-exec: the
    /// guest's descriptor table does not see it); `pid_column` for a file,
    /// as `strace -f -o FILE` writes one (`12345 open(...`), else
    /// `[pid N]` while several tasks are traced, as `strace -f` to stderr.
    pub fn new(out: std::fs::File, pid_column: bool) -> Strace {
        let sh: &'static Shared = shared_zeroed();
        sh.live.store(1, Ordering::Relaxed);
        Strace {
            out,
            sh,
            pid_column,
        }
    }

    /// Write whole lines (one write, so lines of several processes
    /// sharing the file do not mix). Called with the lock held.
    fn write(&self, s: &str) {
        let _ = (&self.out).write_all(s.as_bytes());
    }

    /// With the lock held: print the other tasks' calls in progress as
    /// unfinished.
    fn flush_others(&self, tid: u32) {
        // SAFETY: the lock is held.
        let slots = unsafe { &mut *self.sh.slots.get() };
        let mut out = String::new();
        for sl in slots.iter_mut() {
            if sl.tid != 0 && sl.tid != tid && sl.state == 1 {
                let text = &sl.text[..sl.len as usize];
                out.push_str(&String::from_utf8_lossy(text));
                out.push_str(" <unfinished ...>\n");
                sl.state = 2;
            }
        }
        if !out.is_empty() {
            self.write(&out);
        }
    }

    fn multi(&self) -> bool {
        self.sh.live.load(Ordering::Relaxed) > 1
    }

    /// strace -f's `[pid N] ` while more than one task is traced (`N `
    /// always to a file).
    fn prefix(&self, tid: u32) -> String {
        if self.pid_column {
            format!("{tid:<5} ")
        } else if self.multi() {
            format!("[pid {tid:5}] ")
        } else {
            String::new()
        }
    }

    /// Print a line of task `tid` that starts now (`+++`, `---`).
    fn event(&self, tid: u32, body: &str) {
        let _l = ShLock::new(&self.sh.lock);
        self.flush_others(tid);
        let line = format!("{}{body}", self.prefix(tid));
        self.write(&line);
    }

    /// Task `tid` has ended: its line, then it no longer counts.
    fn ended(&self, tid: u32, body: &str) {
        let _l = ShLock::new(&self.sh.lock);
        self.flush_others(tid);
        let line = format!("{}{body}", self.prefix(tid));
        self.write(&line);
        // SAFETY: the lock is held.
        let slots = unsafe { &mut *self.sh.slots.get() };
        for sl in slots.iter_mut().filter(|sl| sl.tid == tid) {
            sl.tid = 0;
        }
        let _ = self
            .sh
            .live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
}

/// Bytes of a string or buffer shown before `...` (strace's default `-s`),
/// and elements of an array.
const MAX_STR: u32 = 32;

/// An argument as the line shows it: which register, in which format,
/// with strace's `name=` before it for the calls it shows so (clone).
#[derive(Clone, Copy)]
struct Shown {
    idx: usize,
    fmt: Fmt,
    name: Option<&'static str>,
    /// Shown on exit (what the call writes).
    out: bool,
    /// Written right after the previous one, without `, ` (clone3's
    /// ` => {parent_tid=[N]}`).
    glue: bool,
}

/// A call formatted on entry, finished by [`exit`].
pub struct Pending {
    nr: u32,
    tid: u32,
    args: [u32; 6],
    shown: Vec<Shown>,
    /// The input arguments, formatted on entry; `None` for those shown on
    /// exit.
    text: Vec<Option<String>>,
    /// The arguments before this one are shown on entry.
    first_out: usize,
    /// The `, ` before the first argument shown on exit is printed on exit
    /// (clone, clone3), not at the end of the entry part.
    exit_sep: bool,
    /// How the result is shown (the table's, or a selector's: fcntl's
    /// F_GETFL result as flags).
    ret_fmt: Fmt,
    /// What the line starts with (`[pid N] `, decided on entry).
    prefix: String,
    /// Values read on entry for a format that shows them with the exit's
    /// ([`Fmt::SockLen`]'s `[in => out]`), by register.
    saved: [u32; 6],
}

/// The arguments call `nr` shows: the table's, or, when one of them has a
/// selector format (a futex operation, clone's flags, clone3's args), the
/// ones its value selects; and whether the `, ` before the ones shown on
/// exit belongs to the exit part.
fn shown(p: &Task, nr: u32, args: &[u32; 6]) -> (Vec<Shown>, bool, Fmt) {
    let fmts = ARGS[nr as usize];
    for (k, &(f, _)) in fmts.iter().enumerate() {
        if let Some(sel) = select(p, f, args[k], args) {
            let v = sel
                .args
                .iter()
                .map(|&(idx, fmt, name, when)| Shown {
                    idx,
                    fmt,
                    name,
                    out: when != When::In,
                    glue: when == When::Glued,
                })
                .collect();
            return (v, sel.exit_sep, sel.ret.unwrap_or(RET[nr as usize]));
        }
    }
    let mut v = Vec::new();
    for (k, &(f, _)) in fmts.iter().enumerate() {
        // open's mode only matters (and strace only shows it) with
        // O_CREAT or O_TMPFILE.
        if f == Fmt::Oct && k > 0 && fmts[k - 1].0 == Fmt::Oflags {
            let fl = args[k - 1];
            if fl & o::CREAT == 0 && fl & o::TMPFILE != o::TMPFILE {
                break;
            }
        }
        v.push(Shown {
            idx: k,
            fmt: f,
            name: None,
            out: matches!(f, Fmt::Obuf | Fmt::Xobuf) || OUT[nr as usize] >> k & 1 != 0,
            glue: false,
        });
    }
    (v, false, RET[nr as usize])
}

/// `a, b, c` (no `, ` before a glued argument).
fn join(shown: &[Shown], parts: &[String]) -> String {
    let mut t = String::new();
    for (k, (a, text)) in shown.iter().zip(parts).enumerate() {
        if k > 0 && !a.glue {
            t.push_str(", ");
        }
        t.push_str(text);
    }
    t
}

/// Format syscall `nr`'s input arguments on entry, and note the call as
/// in progress for `<unfinished ...>`.
pub fn enter(p: &Task, nr: u32, args: [u32; 6]) -> Pending {
    let (shown, exit_sep, ret_fmt) = shown(p, nr, &args);
    let mut text = Vec::new();
    let mut first_out = usize::MAX;
    for (k, a) in shown.iter().enumerate() {
        if a.out {
            first_out = first_out.min(k);
            text.push(None);
        } else {
            text.push(Some(named(a, arg(p, a.fmt, a.idx, &args))));
        }
    }
    let first_out = first_out.min(text.len());
    let mut saved = [0u32; 6];
    for a in shown.iter().filter(|a| a.fmt == Fmt::SockLen) {
        saved[a.idx] = read_u32(p, args[a.idx]).unwrap_or(0);
    }
    let s = p.cfg.strace.as_ref();
    let prefix = s.map(|s| s.prefix(p.tid)).unwrap_or_default();
    let c = Pending {
        nr,
        tid: p.tid,
        args,
        shown,
        text,
        first_out,
        exit_sep,
        ret_fmt,
        prefix,
        saved,
    };
    if let Some(s) = s {
        if RET[nr as usize] == Fmt::Newtask {
            s.sh.live.fetch_add(1, Ordering::Relaxed);
        }
        if RET[nr as usize] != Fmt::Void {
            s.note_entry(&c);
        }
    }
    c
}

/// `name=value` for the arguments strace names.
fn named(a: &Shown, v: String) -> String {
    match a.name {
        Some(n) => format!("{n}={v}"),
        None => v,
    }
}

impl Strace {
    /// Keep the entry part of call `c` for `<unfinished ...>`.
    fn note_entry(&self, c: &Pending) {
        let mut t = String::new();
        t.push_str(&c.prefix);
        t.push_str(NAMES[c.nr as usize]);
        t.push('(');
        let head: Vec<String> = c.text[..c.first_out]
            .iter()
            .map(|a| a.clone().unwrap_or_default())
            .collect();
        t.push_str(&join(&c.shown[..c.first_out], &head));
        let more = c.shown.get(c.first_out);
        if c.first_out > 0 && more.is_some_and(|a| !a.glue) && !c.exit_sep {
            t.push_str(", ");
        }
        let _l = ShLock::new(&self.sh.lock);
        // SAFETY: the lock is held.
        let slots = unsafe { &mut *self.sh.slots.get() };
        let slot = slots
            .iter()
            .position(|sl| sl.tid == c.tid)
            .or_else(|| slots.iter().position(|sl| sl.tid == 0))
            // The slot of a task that is gone without its `+++` line (it
            // was killed, or became a host program).
            .or_else(|| slots.iter().position(|sl| !alive(sl.tid)));
        if let Some(k) = slot {
            let sl = &mut slots[k];
            let mut n = t.len().min(SLOT_TEXT);
            while !t.is_char_boundary(n) {
                n -= 1;
            }
            sl.tid = c.tid;
            sl.state = 1;
            sl.len = n as u32;
            sl.text[..n].copy_from_slice(&t.as_bytes()[..n]);
        }
    }
}

/// Print the finished call: `name(args) = result`, or, when its entry
/// part was printed as unfinished, `<... name resumed>rest) = result`. For
/// a call that does not return (exit, exit_group) the result is `?`.
pub fn exit(p: &Task, s: &Strace, c: &Pending, ret: Option<u32>) {
    let rfmt = RET[c.nr as usize];
    // A fork child's own return from the call: strace does not show it.
    if rfmt == Fmt::Newtask && ret == Some(0) && p.tid != c.tid {
        return;
    }
    if rfmt == Fmt::Newtask && ret.is_some_and(is_err) {
        let _ =
            s.sh.live
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
    let ok = ret.filter(|&r| !is_err(r));
    let part = |k: usize| -> String {
        match &c.text[k] {
            Some(t) => t.clone(),
            None => {
                let a = &c.shown[k];
                named(a, out_arg(p, a.fmt, a.idx, &c.args, &c.saved, ok, ret))
            }
        }
    };
    let tail: Vec<String> = (c.first_out..c.text.len()).map(part).collect();
    let mut result = String::from(" = ");
    match ret {
        None => result.push('?'),
        Some(r) => {
            result.push_str(&self::result(c.ret_fmt, r));
            if let Some(r) = ok {
                for a in &c.shown {
                    result.push_str(&suffix(p, a.fmt, a.idx, &c.args, r));
                }
            }
        }
    }
    result.push('\n');

    let _l = ShLock::new(&s.sh.lock);
    s.flush_others(c.tid);
    // SAFETY: the lock is held.
    let slots = unsafe { &mut *s.sh.slots.get() };
    let mut resumed = false;
    if let Some(sl) = slots.iter_mut().find(|sl| sl.tid == c.tid) {
        resumed = sl.state == 2;
        sl.state = 0;
    }
    let mut line = String::new();
    if resumed {
        line.push_str(&s.prefix(c.tid));
        let _ = write!(line, "<... {} resumed>", NAMES[c.nr as usize]);
        let more = c.shown.get(c.first_out);
        if c.first_out > 0 && more.is_some_and(|a| !a.glue) && c.exit_sep {
            line.push_str(", ");
        }
        line.push_str(&join(&c.shown[c.first_out..], &tail));
    } else {
        line.push_str(&c.prefix);
        line.push_str(NAMES[c.nr as usize]);
        line.push('(');
        let mut all: Vec<String> = c.text[..c.first_out]
            .iter()
            .map(|t| t.clone().unwrap_or_default())
            .collect();
        all.extend(tail);
        line.push_str(&join(&c.shown, &all));
    }
    line.push(')');
    // strace lines the results up at column 40.
    let width = line.chars().count();
    line.push_str(&" ".repeat(39usize.saturating_sub(width)));
    line.push_str(&result);
    s.write(&line);
}

/// Task `p` leaves the trace for a program only the host runs (exec.rs'
/// host execve): its call is shown as begun (`execve(...
/// <unfinished ...>`) and the task no longer counts. [`stayed`] undoes
/// that when the host's execve fails (its result then ends the line as
/// `<... execve resumed>) = -1 ...`).
pub fn leaving(p: &Task) {
    let Some(s) = &p.cfg.strace else { return };
    let _l = ShLock::new(&s.sh.lock);
    s.flush_others(p.tid);
    // SAFETY: the lock is held.
    let slots = unsafe { &mut *s.sh.slots.get() };
    if let Some(sl) = slots.iter_mut().find(|sl| sl.tid == p.tid && sl.state == 1) {
        let mut t = String::from_utf8_lossy(&sl.text[..sl.len as usize]).into_owned();
        t.push_str(" <unfinished ...>\n");
        sl.state = 2;
        s.write(&t);
    }
    let _ =
        s.sh.live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

/// The host's execve failed: task `p` is traced again (see [`leaving`]).
pub fn stayed(p: &Task) {
    if let Some(s) = &p.cfg.strace {
        s.sh.live.fetch_add(1, Ordering::Relaxed);
    }
}

/// A line of its own for the end of a task: `+++ exited with N +++` or
/// `+++ killed by SIGSEGV +++`.
pub fn exited(p: &Task, s: &Strace, st: ExitStatus) {
    let what = match st {
        ExitStatus::Exited(c) => format!("exited with {c}"),
        ExitStatus::Signaled(n) => format!("killed by {}", signame(n as u32)),
    };
    s.ended(p.tid, &format!("+++ {what} +++\n"));
}

/// `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`:
/// a signal taken from the queue to be delivered (to a handler, or to
/// its default action).
pub fn signal(p: &Task, s: &Strace, info: &Siginfo32) {
    let sig = info.signo as u32;
    let name = signame(sig);
    let u = &info.u;
    let mut t = format!(
        "--- {name} {{si_signo={name}, si_code={}",
        si_code(sig, info.code)
    );
    let fault_sig = matches!(
        sig,
        asig::SIGSEGV | asig::SIGBUS | asig::SIGILL | asig::SIGFPE | asig::SIGTRAP
    );
    // strace shows a fault signal's address for SI_KERNEL too.
    let layout = if fault_sig && info.code == asig::si::KERNEL {
        Layout::Fault
    } else if info.code == asig::si::TKILL {
        // strace shows a tkill's sender only.
        Layout::Kill
    } else {
        asig::layout(sig, info.code)
    };
    match layout {
        Layout::Fault => {
            let _ = write!(t, ", si_addr={}", ptr(u[0]));
        }
        Layout::Chld => {
            let _ = write!(
                t,
                ", si_pid={}, si_uid={}, si_status={}, si_utime={}, si_stime={}",
                u[0], u[1], u[2] as i32, u[3], u[4]
            );
        }
        Layout::Timer => {
            let _ = write!(
                t,
                ", si_timerid={:#x}, si_overrun={}, si_int={}, si_ptr={}",
                u[0],
                u[1],
                u[2] as i32,
                ptr(u[2])
            );
        }
        Layout::Rt => {
            let _ = write!(
                t,
                ", si_pid={}, si_uid={}, si_int={}, si_ptr={}",
                u[0],
                u[1],
                u[2] as i32,
                ptr(u[2])
            );
        }
        Layout::Poll => {
            let _ = write!(t, ", si_band={}, si_fd={}", u[0] as i32, u[1] as i32);
        }
        Layout::Kill | Layout::Sys => {
            if info.code != asig::si::KERNEL {
                let _ = write!(t, ", si_pid={}, si_uid={}", u[0], u[1]);
            }
        }
    }
    t.push_str("} ---\n");
    s.event(p.tid, &t);
}

/// strace's name for a siginfo code of signal `sig`.
fn si_code(sig: u32, code: i32) -> String {
    use asig::si;
    let generic = match code {
        si::USER => Some("SI_USER"),
        si::KERNEL => Some("SI_KERNEL"),
        si::QUEUE => Some("SI_QUEUE"),
        si::TIMER => Some("SI_TIMER"),
        si::MESGQ => Some("SI_MESGQ"),
        si::ASYNCIO => Some("SI_ASYNCIO"),
        si::SIGIO => Some("SI_SIGIO"),
        si::TKILL => Some("SI_TKILL"),
        _ => None,
    };
    if let Some(g) = generic {
        return g.into();
    }
    let names: &[&str] = match sig {
        asig::SIGSEGV => &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
        asig::SIGBUS => &[
            "BUS_ADRALN",
            "BUS_ADRERR",
            "BUS_OBJERR",
            "BUS_MCEERR_AR",
            "BUS_MCEERR_AO",
        ],
        asig::SIGILL => &[
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
        ],
        asig::SIGFPE => &[
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
        ],
        asig::SIGTRAP => &["TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
        asig::SIGCHLD => &[
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        asig::SIGIO => &[
            "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP",
        ],
        _ => &[],
    };
    match names.get((code - 1) as usize) {
        Some(n) if code > 0 => n.to_string(),
        _ => code.to_string(),
    }
}

/// The name of guest signal `n` (i386 Linux numbering).
pub fn signame(n: u32) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match NAMES.get(n as usize) {
        Some(s) => s.to_string(),
        None if n == 32 => "SIGRTMIN".into(),
        None if n <= asig::NSIG => format!("SIGRT_{}", n - 32),
        None => n.to_string(),
    }
}

fn is_err(r: u32) -> bool {
    r >= (-4095i32) as u32
}

/// A result that says a signal interrupted the call (EINTR or one of the
/// kernel's restart codes, which the guest never sees).
fn interrupted(r: u32) -> bool {
    let e = r.wrapping_neg();
    is_err(r)
        && (e == errno::Errno::EINTR.0
            || (errno::Errno::ERESTARTSYS.0..=errno::Errno::ERESTART_RESTARTBLOCK.0).contains(&e))
}

/// The result as strace prints it.
fn result(f: Fmt, r: u32) -> String {
    if is_err(r) && f != Fmt::Void {
        let e = r.wrapping_neg();
        // The kernel's restart codes are not a value the call returns:
        // strace shows `?`.
        let v =
            if (errno::Errno::ERESTARTSYS.0..=errno::Errno::ERESTART_RESTARTBLOCK.0).contains(&e) {
                "?"
            } else {
                "-1"
            };
        return match errno::name(e) {
            Some(n) => format!("{v} {n} ({})", errno::message(e)),
            None => format!("{v} E{e} (Unknown error {e})"),
        };
    }
    match f {
        Fmt::Hex | Fmt::Ptr => ptr(r),
        Fmt::Uint => r.to_string(),
        Fmt::Oct => oct(r),
        // fcntl's F_GETFD and F_GETFL, as strace shows them.
        Fmt::FdFlags if r != 0 => format!("{r:#x} (flags {})", flags(r, FDFLAGS, "0", "FD_???")),
        Fmt::Oflags => format!("{} (flags {})", cx(r as u64), oflags(r)),
        _ => (r as i32).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::names::*;
    use super::*;
    use crate::kernel::abi::fs as afs;
    use crate::kernel::abi::mm as am;
    use crate::kernel::abi::net as anet;

    #[test]
    fn quoting_as_strace() {
        assert_eq!(escape(b"\x7fELF\x01\x01\x01\0\0"), r#""\177ELF\1\1\1\0\0""#);
        assert_eq!(escape(b"a\"b\\\n\x001"), r#""a\"b\\\n\0001""#);
    }

    /// A process that dies holding the trace's lock (killed while writing
    /// a line) does not stop the others: a waiter takes the lock over.
    #[test]
    fn lock_of_a_dead_owner_is_taken_over() {
        let w: &'static AtomicU32 = shared_zeroed();
        // SAFETY: the child only takes the lock (atomics, gettid) and exits.
        match unsafe { libc::fork() } {
            0 => {
                std::mem::forget(ShLock::new(w));
                unsafe { libc::_exit(0) }
            }
            pid => {
                let mut st = 0;
                assert_eq!(unsafe { libc::waitpid(pid, &mut st, 0) }, pid);
            }
        }
        assert_ne!(
            w.load(Ordering::Relaxed),
            0,
            "the child did not take the lock"
        );
        let t0 = std::time::Instant::now();
        drop(ShLock::new(w));
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(w.load(Ordering::Relaxed), 0);
    }

    /// Values and the text native strace 6.1 printed for them.
    #[test]
    fn decoded_as_strace() {
        assert_eq!(oct(0o22), "022");
        assert_eq!(oct(0o644), "0644");
        assert_eq!(oct(0), "000");
        assert_eq!(mode(afs::S_IFREG | 0o644), "S_IFREG|0644");
        assert_eq!(
            mode(afs::S_IFDIR | afs::S_ISVTX | 0o777),
            "S_IFDIR|S_ISVTX|0777"
        );
        assert_eq!(makedev(0x103), "makedev(0x1, 0x3)");
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset(1 << 1 | 1 << 14), "[INT TERM]");
        assert_eq!(sigset(!0), "~[]");
        assert_eq!(sigset(!(1 << 8 | 1 << 18)), "~[KILL STOP]");
        assert_eq!(sigset(1 << 31 | 1 << 32), "[RTMIN RT_1]");
        assert_eq!(sig(40), "SIGRT_8");
        assert_eq!(sig(0), "0");
        assert_eq!(sig(65), "65");
        assert_eq!(wstatus(3 << 8), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
        assert_eq!(
            wstatus(0x8b),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]"
        );
        assert_eq!(futex_op(0x109), "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME");
        assert_eq!(futex_op(0x81), "FUTEX_WAKE_PRIVATE");
        assert_eq!(futex_op(0x7f), "0x7f /* FUTEX_??? */");
        assert_eq!(
            wake_op(0x0400_0001),
            "FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1"
        );
        assert_eq!(
            clone_flags(0x0120_0011),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
        );
        assert_eq!(clone_flags(17), "SIGCHLD");
        let sa = asig::Sigaction32 {
            handler: 0x80496dc,
            flags: asig::sa::RESTORER | asig::sa::RESTART | asig::sa::SIGINFO,
            restorer: 0x80496d5,
            mask: [1 << 1 | 1 << 14, 0],
        };
        assert_eq!(
            sigact(&sa),
            "{sa_handler=0x80496dc, sa_mask=[INT TERM], \
             sa_flags=SA_RESTORER|SA_RESTART|SA_SIGINFO, sa_restorer=0x80496d5}"
        );
        assert_eq!(
            socktype(anet::SOCK_DGRAM | anet::SOCK_NONBLOCK),
            "SOCK_DGRAM|SOCK_NONBLOCK"
        );
        assert_eq!(
            flags(0x100 | 0x10, SA_FLAGS, "0", "SA_???"),
            "0x110 /* SA_??? */"
        );
        assert_eq!(
            flags(asig::sa::RESTORER | 0x100, SA_FLAGS, "0", "SA_???"),
            "SA_RESTORER|0x100"
        );
    }

    #[test]
    fn flags_by_name() {
        assert_eq!(oflags(o::RDONLY | o::CLOEXEC), "O_RDONLY|O_CLOEXEC");
        assert_eq!(
            oflags(o::WRONLY | o::CREAT | o::TRUNC),
            "O_WRONLY|O_CREAT|O_TRUNC"
        );
        let prot = |v| flags(v, PROT, "PROT_NONE", "PROT_???");
        assert_eq!(prot(am::PROT_READ | am::PROT_WRITE), "PROT_READ|PROT_WRITE");
        assert_eq!(prot(0), "PROT_NONE");
        assert_eq!(prot(0x10), "0x10 /* PROT_??? */");
        assert_eq!(mflags(am::MAP_ANONYMOUS), "MAP_FILE|MAP_ANONYMOUS");
        assert_eq!(
            mflags(am::MAP_PRIVATE | am::MAP_ANONYMOUS),
            "MAP_PRIVATE|MAP_ANONYMOUS"
        );
        assert_eq!(
            result(Fmt::Int, 2u32.wrapping_neg()),
            "-1 ENOENT (No such file or directory)"
        );
        assert_eq!(result(Fmt::Ptr, 0xf7ff5000), "0xf7ff5000");
    }
}
