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
//!   msghdr/mmsghdr (sendmsg, recvmsg), epoll_event, sigevent, itimerspec,
//!   rusage, utsname, sysinfo, statfs, dirents (strace's `/* N entries */`),
//!   termios and other ioctl arguments, setsockopt/getsockopt options,
//!   prctl options, select's fd_sets, sched params, the old sigaction and
//!   sigprocmask (67, 126), socketcall's multiplexed calls;
//! - ppoll does not show the time left, nanosleep's rmtp after EINTR is a
//!   pointer;
//! - a task killed by SIGKILL gets no `+++ killed by SIGKILL +++` (its emu
//!   process dies at once), and an execve in a multi-threaded process no
//!   `+++ superseded by execve +++`;
//! - a signal the guest ignores is not shown: Linux queues it only for a
//!   traced task (strace's `--- SIGCHLD ... ---` after a child exits);
//! - `--stats` times the calls in wall time, where `strace -c` shows
//!   system CPU time.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bytemuck::Pod;

use super::abi::errno;
use super::abi::fs::{self as afs, at, o, poll as apoll};
use super::abi::mm as am;
use super::abi::net as anet;
use super::abi::sched::{clone as cl, wait};
use super::abi::signal::{self as asig, Layout, Siginfo32};
use super::abi::sys as asys;
use super::abi::time as atime;
use super::abi::UserDesc;
use super::syscall::{Fmt, ARGS, NAMES, OUT, RET};
use super::task::Task;
use super::ExitStatus;
use crate::arch::ptregs;

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

/// A lock on a futex word in shared memory, usable across processes.
struct ShLock<'a>(&'a AtomicU32);

impl<'a> ShLock<'a> {
    fn new(w: &'a AtomicU32) -> ShLock<'a> {
        // 0 free, 1 held, 2 held with waiters.
        if w.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while w.swap(2, Ordering::Acquire) != 0 {
                // SAFETY: FUTEX_WAIT on a live word (shared: not private).
                unsafe {
                    libc::syscall(
                        libc::SYS_futex,
                        w.as_ptr(),
                        libc::FUTEX_WAIT,
                        2,
                        std::ptr::null::<libc::timespec>(),
                    );
                }
            }
        }
        ShLock(w)
    }
}

impl Drop for ShLock<'_> {
    fn drop(&mut self) {
        if self.0.swap(0, Ordering::Release) == 2 {
            // SAFETY: FUTEX_WAKE on a live word.
            unsafe {
                libc::syscall(libc::SYS_futex, self.0.as_ptr(), libc::FUTEX_WAKE, 1);
            }
        }
    }
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

/// `--stats`' syscall table, as `strace -c -f` prints it: per syscall the
/// calls, the failed ones and the time spent in the kernel side, of every
/// process and thread (the counters are in shared memory that fork
/// children inherit).
pub struct SyscallStats {
    rows: &'static [StatRow; NAMES.len()],
}

/// calls, errors, nanoseconds.
#[derive(Default)]
struct StatRow([AtomicU64; 3]);

impl Default for SyscallStats {
    fn default() -> Self {
        SyscallStats {
            rows: shared_zeroed(),
        }
    }
}

impl SyscallStats {
    pub fn add(&self, nr: u32, ret: u32, took: std::time::Duration) {
        // A fork child's own return from fork/clone (a parent never gets
        // 0): strace -c counts the call once.
        if RET.get(nr as usize) == Some(&Fmt::Newtask) && ret == 0 {
            return;
        }
        if let Some(r) = self.rows.get(nr as usize) {
            r.0[0].fetch_add(1, Ordering::Relaxed);
            r.0[1].fetch_add(is_err(ret) as u64, Ordering::Relaxed);
            r.0[2].fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        }
    }

    /// The table: `% time, seconds, usecs/call, calls, errors, syscall`,
    /// most time first, and a total line.
    pub fn table(&self) -> String {
        let rows: Vec<(u64, u64, std::time::Duration)> = self
            .rows
            .iter()
            .map(|r| {
                (
                    r.0[0].load(Ordering::Relaxed),
                    r.0[1].load(Ordering::Relaxed),
                    std::time::Duration::from_nanos(r.0[2].load(Ordering::Relaxed)),
                )
            })
            .collect();
        let mut used: Vec<(usize, &(u64, u64, std::time::Duration))> =
            rows.iter().enumerate().filter(|(_, r)| r.0 > 0).collect();
        used.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(b.1 .0.cmp(&a.1 .0)));
        let total: std::time::Duration = used.iter().map(|(_, r)| r.2).sum();
        let (calls, errors) = used.iter().fold((0, 0), |a, (_, r)| (a.0 + r.0, a.1 + r.1));
        let pct = |d: std::time::Duration| {
            if total.is_zero() {
                0.0
            } else {
                100.0 * d.as_secs_f64() / total.as_secs_f64()
            }
        };
        let line = |p: f64, d: std::time::Duration, c: u64, e: u64, name: &str| {
            let per = if c > 0 { d.as_micros() as u64 / c } else { 0 };
            let e = if e > 0 { e.to_string() } else { String::new() };
            format!(
                "{p:6.2} {:11.6} {per:11} {c:9} {e:>9} {name}\n",
                d.as_secs_f64()
            )
        };
        let rule = "------ ----------- ----------- --------- --------- ----------------\n";
        let mut s = String::from("% time     seconds  usecs/call     calls    errors syscall\n");
        s.push_str(rule);
        for (nr, r) in &used {
            s.push_str(&line(pct(r.2), r.2, r.0, r.1, NAMES[*nr]));
        }
        s.push_str(rule);
        s.push_str(&line(100.0, total, calls, errors, "total"));
        s
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
        let slot = match slots.iter().position(|sl| sl.tid == c.tid) {
            Some(k) => Some(k),
            None => slots.iter().position(|sl| sl.tid == 0),
        };
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
                named(a, out_arg(p, a.fmt, a.idx, &c.args, ok, ret))
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

fn ptr(v: u32) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// C's `%#x`: `0` for zero.
fn cx(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// C's `%#03o` (strace's modes and umasks: `0644`, `022`, `000`).
fn oct(v: u32) -> String {
    format!("{:0>3}", format!("0{v:o}"))
}

/// A `T` at guest address `a`, if it can be read.
fn read<T: Pod>(p: &Task, a: u32) -> Option<T> {
    let mut v = T::zeroed();
    p.cpu
        .mem
        .read_bytes(a, bytemuck::bytes_of_mut(&mut v))
        .ok()
        .map(|_| v)
}

/// One input argument (number `k` of `args`) formatted on entry.
fn arg(p: &Task, f: Fmt, k: usize, args: &[u32; 6]) -> String {
    let v = args[k];
    let next = args.get(k + 1).copied().unwrap_or(0);
    match f {
        Fmt::Int | Fmt::Newtask => (v as i32).to_string(),
        Fmt::Uint => v.to_string(),
        Fmt::Hex => cx(v as u64),
        Fmt::Ptr | Fmt::Obuf | Fmt::Xobuf | Fmt::Rem | Fmt::Rem64 => ptr(v),
        Fmt::IoctlReq => match IOCTLS.iter().find(|&&(n, _)| n == v) {
            Some((_, name)) => name.to_string(),
            // strace's decoding of an unknown request.
            None => format!(
                "_IOC({}, {}, {}, {})",
                [
                    "_IOC_NONE",
                    "_IOC_WRITE",
                    "_IOC_READ",
                    "_IOC_READ|_IOC_WRITE"
                ][(v >> 30) as usize],
                cx(((v >> 8) & 0xff) as u64),
                cx((v & 0xff) as u64),
                cx(((v >> 16) & 0x3fff) as u64)
            ),
        },
        Fmt::Fd => (v as i32).to_string(),
        Fmt::Atfd => {
            if v == at::FDCWD {
                "AT_FDCWD".into()
            } else {
                (v as i32).to_string()
            }
        }
        Fmt::Str => path(p, v),
        Fmt::Cstr => string(p, v),
        Fmt::Buf => quoted(p, v, next.min(MAX_STR), next > MAX_STR),
        Fmt::Oct => oct(v),
        Fmt::Oflags => oflags(v),
        Fmt::Fflags => flags(v, OPEN, "0", "O_???"),
        Fmt::Prot => flags(v, PROT, "PROT_NONE", "PROT_???"),
        Fmt::Mflags => mflags(v),
        Fmt::Pgoff => cx(v as u64 * 4096),
        Fmt::Void => String::new(),
        Fmt::Sig => sig(v),
        Fmt::SigHow => xval(v, SIGHOW, "SIG_???"),
        Fmt::Sigset => or_ptr(v, read::<u64>(p, v).map(sigset)),
        Fmt::Sigact => or_ptr(v, read::<asig::Sigaction32>(p, v).map(|a| sigact(&a))),
        Fmt::Stat64 => or_ptr(v, read::<afs::Stat64>(p, v).map(|st| stat64(&st))),
        Fmt::Ts => or_ptr(
            v,
            read::<afs::Timespec32>(p, v)
                .map(|t| format!("{{tv_sec={}, tv_nsec={}}}", t.tv_sec, t.tv_nsec)),
        ),
        Fmt::Ts64 => or_ptr(
            v,
            read::<afs::Timespec64>(p, v).map(|t| {
                let (sec, nsec) = (t.tv_sec, t.tv_nsec);
                format!("{{tv_sec={sec}, tv_nsec={nsec}}}")
            }),
        ),
        Fmt::Tv => or_ptr(
            v,
            read::<afs::Timeval32>(p, v)
                .map(|t| format!("{{tv_sec={}, tv_usec={}}}", t.tv_sec, t.tv_usec)),
        ),
        Fmt::Iov => iovecs(p, v, next, None),
        Fmt::Sockaddr => sockaddr(p, v, next),
        Fmt::Pollfd => pollfds(p, v, next, false),
        Fmt::Clockid => xval(v, CLOCKS, "CLOCK_???"),
        Fmt::Tflags => flags(v, TFLAGS, "0", "TIMER_???"),
        Fmt::Af => xval(v, AFS, "AF_???"),
        Fmt::Socktype => socktype(v),
        Fmt::Ipproto => match args[0] as u16 {
            anet::AF_INET | anet::AF_INET6 => xval(v, IPPROTOS, "IPPROTO_???"),
            _ => v.to_string(),
        },
        Fmt::Atflags => flags(v, ATFLAGS, "0", "AT_???"),
        Fmt::Rlimres => xval(v, RLIMITS, "RLIMIT_???"),
        Fmt::Rlim32 => or_ptr(
            v,
            read::<asys::Rlimit32>(p, v).map(|r| {
                let l = |x: u32| match x {
                    asys::RLIM_INFINITY32 => "RLIM_INFINITY".to_string(),
                    x if x > 1024 && x % 1024 == 0 => format!("{}*1024", x / 1024),
                    x => x.to_string(),
                };
                format!("{{rlim_cur={}, rlim_max={}}}", l(r.rlim_cur), l(r.rlim_max))
            }),
        ),
        Fmt::Rlim64 => or_ptr(
            v,
            read::<asys::Rlimit64>(p, v).map(|r| {
                let l = |x: u64| match x {
                    asys::RLIM64_INFINITY => "RLIM64_INFINITY".to_string(),
                    x if x > 1024 && x % 1024 == 0 => format!("{}*1024", x / 1024),
                    x => x.to_string(),
                };
                let (cur, max) = (r.rlim_cur, r.rlim_max);
                format!("{{rlim_cur={}, rlim_max={}}}", l(cur), l(max))
            }),
        ),
        Fmt::Grnd => flags(v, GRND, "0", "GRND_???"),
        Fmt::FdPair => or_ptr(
            v,
            read::<[i32; 2]>(p, v).map(|f| format!("[{}, {}]", f[0], f[1])),
        ),
        Fmt::FutexOp | Fmt::FutexOp64 => futex_op(v),
        Fmt::Bitset => match v {
            u32::MAX => "FUTEX_BITSET_MATCH_ANY".into(),
            v => cx(v as u64),
        },
        Fmt::WakeOp => wake_op(v),
        Fmt::CloneFlags => clone_flags(v),
        Fmt::Argv => argv(p, v),
        Fmt::Dents | Fmt::Dents64 | Fmt::OutStr | Fmt::EpollEvs => ptr(v),
        Fmt::RenameFlags => flags(v, RENAME, "0", "RENAME_???"),
        Fmt::MsFlags => flags(v, MSFLAGS, "0", "MS_???"),
        Fmt::EpollOp => xval(v, EPOLLOPS, "EPOLL_CTL_???"),
        Fmt::EpollEv => or_ptr(v, read::<afs::EpollEvent>(p, v).map(|e| epoll_event(&e))),
        Fmt::Itimer => xval(v, ITIMERS, "ITIMER_???"),
        Fmt::Itv => or_ptr(
            v,
            read::<[afs::Timeval32; 2]>(p, v).map(|t| {
                let tv =
                    |t: &afs::Timeval32| format!("{{tv_sec={}, tv_usec={}}}", t.tv_sec, t.tv_usec);
                format!("{{it_interval={}, it_value={}}}", tv(&t[0]), tv(&t[1]))
            }),
        ),
        Fmt::Utsname => {
            // sysname and nodename, the first two 65-byte fields.
            let off = std::mem::offset_of!(asys::NewUtsname, nodename);
            let mut b = vec![0u8; 2 * off];
            if v == 0 || p.cpu.mem.read_bytes(v, &mut b).is_err() {
                return ptr(v);
            }
            let field = |f: &[u8]| {
                let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                escape(&f[..end])
            };
            format!(
                "{{sysname={}, nodename={}, ...}}",
                field(&b[..off]),
                field(&b[off..])
            )
        }
        Fmt::PrctlOp => xval(v, PRCTL, "PR_???"),
        Fmt::Envp => or_ptr(
            v,
            count_ptrs(p, v).map(|n| format!("{} /* {n} vars */", ptr(v))),
        ),
        Fmt::Amode => flags(v, AMODE, "F_OK", "?_OK"),
        Fmt::Whence => xval(v, WHENCE, "SEEK_???"),
        Fmt::LlseekOff => ((args[1] as u64) << 32 | args[2] as u64)
            .cast_signed()
            .to_string(),
        Fmt::I64At => or_ptr(v, read::<i64>(p, v).map(|n| format!("[{n}]"))),
        Fmt::FcntlCmd => xval(v, FCNTL, "F_???"),
        Fmt::FdFlags => flags(v, FDFLAGS, "0", "FD_???"),
        Fmt::Flock | Fmt::FlockOut => or_ptr(
            v,
            read::<afs::Flock>(p, v).map(|l| {
                let pid = (f == Fmt::FlockOut).then_some(l.l_pid);
                flock(l.l_type, l.l_whence, l.l_start as i64, l.l_len as i64, pid)
            }),
        ),
        Fmt::Flock64 | Fmt::Flock64Out => or_ptr(
            v,
            read::<afs::Flock64>(p, v).map(|l| {
                let (t, w, st, ln, pid) = (l.l_type, l.l_whence, l.l_start, l.l_len, l.l_pid);
                flock(t, w, st, ln, (f == Fmt::Flock64Out).then_some(pid))
            }),
        ),
        Fmt::CloneArgs => clone_args(p, v, args[1]),
        Fmt::IntAt => or_ptr(v, read::<i32>(p, v).map(|n| format!("[{n}]"))),
        Fmt::CloneArgsOut => String::new(),
        Fmt::Udesc => udesc(p, v),
        Fmt::Wstatus => or_ptr(v, read::<u32>(p, v).map(wstatus)),
        Fmt::Wopts => flags(v, WOPTS, "0", "W???"),
        Fmt::Madv => xval(v, MADV, "MADV_???"),
        Fmt::Stack => or_ptr(
            v,
            read::<asig::Stack32>(p, v).map(|st| {
                format!(
                    "{{ss_sp={}, ss_flags={}, ss_size={}}}",
                    ptr(st.ss_sp),
                    flags(st.ss_flags, SS_FLAGS, "0", "SS_???"),
                    st.ss_size
                )
            }),
        ),
        Fmt::MmapArgs => or_ptr(
            v,
            read::<am::MmapArgs>(p, v).map(|m| {
                format!(
                    "{}, {}, {}, {}, {}, {}",
                    ptr(m.addr),
                    m.len,
                    flags(m.prot, PROT, "PROT_NONE", "PROT_???"),
                    mflags(m.flags),
                    m.fd as i32,
                    cx(m.offset as u64)
                )
            }),
        ),
        Fmt::StatxFlags => {
            let sync = match v & at::STATX_SYNC_TYPE {
                0 => "AT_STATX_SYNC_AS_STAT".to_string(),
                0x2000 => "AT_STATX_FORCE_SYNC".to_string(),
                0x4000 => "AT_STATX_DONT_SYNC".to_string(),
                t => format!("{t:#x}"),
            };
            match v & !at::STATX_SYNC_TYPE {
                0 => sync,
                rest => format!("{sync}|{}", flags(rest, ATFLAGS, "0", "AT_???")),
            }
        }
        Fmt::StatxMask => flags(v, STATX_MASK, "0", "STATX_???"),
        Fmt::Statx => or_ptr(
            v,
            read::<afs::Statx>(p, v).map(|st| {
                let (attrs, size) = (st.stx_attributes, st.stx_size);
                format!(
                    "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={size}, ...}}",
                    flags(st.stx_mask, STATX_MASK, "0", "STATX_???"),
                    flags64(attrs, STATX_ATTRS, "0", "STATX_ATTR_???"),
                    mode(st.stx_mode as u32)
                )
            }),
        ),
        Fmt::RtFrame | Fmt::OldFrame => {
            let rt = f == Fmt::RtFrame;
            // The handler's `ret` popped pretcode; sigreturn's stub also
            // popped the signal number.
            let sp = p.cpu.sys.kmem.r32(p.frame + ptregs::off::SP).unwrap_or(0);
            let mask = if rt {
                let uc = sp.wrapping_sub(4).wrapping_add(asig::rt_sigframe::UC);
                let at = uc.wrapping_add(std::mem::offset_of!(asig::Ucontext32, uc_sigmask) as u32);
                read::<u64>(p, at)
            } else {
                let frame = sp.wrapping_sub(8);
                let old = frame
                    .wrapping_add(asig::sigframe::SC)
                    .wrapping_add(std::mem::offset_of!(asig::Sigcontext32, oldmask) as u32);
                let extra = frame.wrapping_add(asig::sigframe::EXTRAMASK);
                read::<u32>(p, old)
                    .zip(read::<u32>(p, extra))
                    .map(|(lo, hi)| lo as u64 | (hi as u64) << 32)
            };
            match mask {
                Some(m) => format!("{{mask={}}}", sigset(m)),
                None => ptr(sp),
            }
        }
        Fmt::Uinfo => udesc(p, v),
    }
}

/// `struct user_desc` as strace prints it.
fn udesc(p: &Task, v: u32) -> String {
    let mut b = [0u8; 16];
    if v == 0 || p.cpu.mem.read_bytes(v, &mut b).is_err() {
        return ptr(v);
    }
    let u = UserDesc::from_bytes(&b);
    // C's %#08x.
    let x08 = |v: u32| {
        if v == 0 {
            "00000000".to_string()
        } else {
            format!("{v:#08x}")
        }
    };
    format!(
        "{{entry_number={}, base_addr={}, limit={}, seg_32bit={}, contents={}, \
         read_exec_only={}, limit_in_pages={}, seg_not_present={}, useable={}}}",
        u.entry_number as i32,
        x08(u.base_addr),
        x08(u.limit),
        u.seg_32bit() as u8,
        u.contents(),
        u.read_exec_only() as u8,
        u.limit_in_pages() as u8,
        u.seg_not_present() as u8,
        u.useable() as u8
    )
}

/// When a chosen argument is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    In,
    Out,
    /// On exit, right after the previous argument.
    Glued,
}

/// A register, its format, strace's name for it and when it is shown, as
/// a selector format's value chooses them.
type Chosen = (usize, Fmt, Option<&'static str>, When);

/// What a selector format chooses: the arguments in the order shown,
/// whether the `, ` before those shown on exit is printed on exit, and the
/// result's format when it is not the table's.
struct Sel {
    args: Vec<Chosen>,
    exit_sep: bool,
    ret: Option<Fmt>,
}

impl Sel {
    fn new(args: Vec<Chosen>) -> Sel {
        Sel {
            args,
            exit_sep: false,
            ret: None,
        }
    }
}

/// The arguments a selector format's value chooses (see [`Fmt::FutexOp`],
/// [`Fmt::CloneFlags`], [`Fmt::CloneArgs`]), in the order shown, and
/// whether the `, ` before those shown on exit is printed on exit.
fn select(p: &Task, f: Fmt, v: u32, args: &[u32; 6]) -> Option<Sel> {
    use super::abi::futex as fx;
    match f {
        Fmt::FutexOp | Fmt::FutexOp64 => {
            let ts = if f == Fmt::FutexOp {
                Fmt::Ts
            } else {
                Fmt::Ts64
            };
            let val = (2, Fmt::Uint);
            let timeout = (3, ts);
            let val2 = (3, Fmt::Uint);
            let uaddr2 = (4, Fmt::Ptr);
            let val3 = (5, Fmt::Uint);
            let bitset = (5, Fmt::Bitset);
            let rest: Vec<(usize, Fmt)> = match v & 127 {
                fx::FUTEX_WAIT => vec![val, timeout],
                fx::FUTEX_LOCK_PI | fx::FUTEX_LOCK_PI2 => vec![timeout],
                fx::FUTEX_WAIT_BITSET => vec![val, timeout, bitset],
                fx::FUTEX_WAKE_BITSET => vec![val, bitset],
                fx::FUTEX_REQUEUE => vec![val, val2, uaddr2],
                fx::FUTEX_CMP_REQUEUE | fx::FUTEX_CMP_REQUEUE_PI => {
                    vec![val, val2, uaddr2, val3]
                }
                fx::FUTEX_WAKE_OP => vec![val, val2, uaddr2, (5, Fmt::WakeOp)],
                fx::FUTEX_WAIT_REQUEUE_PI => vec![val, timeout, uaddr2],
                fx::FUTEX_FD | fx::FUTEX_WAKE => vec![val],
                fx::FUTEX_UNLOCK_PI | fx::FUTEX_TRYLOCK_PI => vec![],
                _ => vec![val, (3, Fmt::Ptr), uaddr2, (5, Fmt::Hex)],
            };
            let mut l = vec![(0, Fmt::Ptr, None, When::In), (1, f, None, When::In)];
            l.extend(rest.into_iter().map(|(i, f)| (i, f, None, When::In)));
            Some(Sel::new(l))
        }
        Fmt::CloneFlags => {
            let fl = v & !(cl::CSIGNAL as u32);
            // strace shows the pointers on exit, parent_tid's target
            // filled in.
            let mut l = vec![
                (1, Fmt::Ptr, Some("child_stack"), When::In),
                (0, Fmt::CloneFlags, Some("flags"), When::In),
            ];
            if fl & (cl::PARENT_SETTID | cl::PIDFD) as u32 != 0 {
                l.push((2, Fmt::IntAt, Some("parent_tid"), When::Out));
            }
            if fl & cl::SETTLS as u32 != 0 {
                l.push((3, Fmt::Udesc, Some("tls"), When::Out));
            }
            if fl & (cl::CHILD_SETTID | cl::CHILD_CLEARTID) as u32 != 0 {
                l.push((4, Fmt::Ptr, Some("child_tidptr"), When::Out));
            }
            Some(Sel {
                exit_sep: true,
                ..Sel::new(l)
            })
        }
        // strace shows what clone3 writes back (and the size after it) on
        // exit only when it writes something: a pidfd or the parent's tid.
        Fmt::CloneArgs => {
            let fl = read::<u64>(p, v).unwrap_or(0);
            let writes = args[1] >= super::abi::sched::CLONE_ARGS_SIZE_VER0
                && fl & (cl::PIDFD | cl::PARENT_SETTID) != 0;
            Some(if writes {
                Sel {
                    exit_sep: true,
                    ..Sel::new(vec![
                        (0, Fmt::CloneArgs, None, When::In),
                        (0, Fmt::CloneArgsOut, None, When::Glued),
                        (1, Fmt::Uint, None, When::Out),
                    ])
                }
            } else {
                Sel::new(vec![
                    (0, Fmt::CloneArgs, None, When::In),
                    (1, Fmt::Uint, None, When::In),
                ])
            })
        }
        Fmt::PrctlOp => {
            let op = (0, Fmt::PrctlOp, None, When::In);
            let l = match v {
                PR_SET_NAME => vec![op, (1, Fmt::Cstr, None, When::In)],
                PR_GET_NAME => vec![op, (1, Fmt::Cstr, None, When::Out)],
                PR_SET_PDEATHSIG => vec![op, (1, Fmt::Sig, None, When::In)],
                PR_GET_DUMPABLE | PR_GET_KEEPCAPS | PR_GET_NO_NEW_PRIVS => vec![op],
                _ => vec![
                    op,
                    (1, Fmt::Hex, None, When::In),
                    (2, Fmt::Hex, None, When::In),
                    (3, Fmt::Hex, None, When::In),
                    (4, Fmt::Hex, None, When::In),
                ],
            };
            Some(Sel::new(l))
        }
        // EPOLL_CTL_DEL ignores the event: strace shows its address.
        Fmt::EpollOp => Some(Sel::new(vec![
            (0, Fmt::Fd, None, When::In),
            (1, Fmt::EpollOp, None, When::In),
            (2, Fmt::Fd, None, When::In),
            match v {
                afs::epoll::CTL_DEL => (3, Fmt::Ptr, None, When::In),
                _ => (3, Fmt::EpollEv, None, When::In),
            },
        ])),
        Fmt::LlseekOff => Some(Sel::new(vec![
            (0, Fmt::Fd, None, When::In),
            (1, Fmt::LlseekOff, None, When::In),
            (3, Fmt::I64At, None, When::Out),
            (4, Fmt::Whence, None, When::Out),
        ])),
        Fmt::FcntlCmd => {
            use super::abi::fs::f;
            let head = vec![
                (0, Fmt::Fd, None, When::In),
                (1, Fmt::FcntlCmd, None, When::In),
            ];
            let arg = match v {
                f::GETFD
                | f::GETFL
                | f::GETOWN
                | f::GETSIG
                | f::GETLEASE
                | f::GETPIPE_SZ
                | f::GET_SEALS => None,
                f::DUPFD | f::DUPFD_CLOEXEC | f::DUPFD_QUERY | f::SETOWN | f::SETPIPE_SZ => {
                    Some(Fmt::Int)
                }
                f::SETSIG => Some(Fmt::Sig),
                f::SETFD => Some(Fmt::FdFlags),
                f::SETFL => Some(Fmt::Oflags),
                f::SETLK | f::SETLKW | f::OFD_SETLK | f::OFD_SETLKW => Some(Fmt::Flock),
                f::SETLK64 | f::SETLKW64 => Some(Fmt::Flock64),
                _ => Some(Fmt::Hex),
            };
            let mut l = head;
            match (v, arg) {
                (f::GETLK | f::OFD_GETLK, _) => l.push((2, Fmt::FlockOut, None, When::Out)),
                (f::GETLK64, _) => l.push((2, Fmt::Flock64Out, None, When::Out)),
                (_, Some(a)) => l.push((2, a, None, When::In)),
                (_, None) => {}
            }
            let ret = match v {
                f::GETFD => Some(Fmt::FdFlags),
                f::GETFL => Some(Fmt::Oflags),
                _ => None,
            };
            Some(Sel { ret, ..Sel::new(l) })
        }
        _ => None,
    }
}

/// A futex operation: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
fn futex_op(v: u32) -> String {
    use super::abi::futex as fx;
    const CMDS: [&str; 14] = [
        "WAIT",
        "WAKE",
        "FD",
        "REQUEUE",
        "CMP_REQUEUE",
        "WAKE_OP",
        "LOCK_PI",
        "UNLOCK_PI",
        "TRYLOCK_PI",
        "WAIT_BITSET",
        "WAKE_BITSET",
        "WAIT_REQUEUE_PI",
        "CMP_REQUEUE_PI",
        "LOCK_PI2",
    ];
    let known = fx::FUTEX_PRIVATE_FLAG | fx::FUTEX_CLOCK_REALTIME | 127;
    match CMDS.get((v & 127) as usize) {
        Some(c) if v & !known == 0 => {
            let mut s = format!("FUTEX_{c}");
            if v & fx::FUTEX_PRIVATE_FLAG != 0 {
                s.push_str("_PRIVATE");
            }
            if v & fx::FUTEX_CLOCK_REALTIME != 0 {
                s.push_str("|FUTEX_CLOCK_REALTIME");
            }
            s
        }
        _ => format!("{} /* FUTEX_??? */", cx(v as u64)),
    }
}

/// FUTEX_WAKE_OP's encoded operation:
/// `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1`.
fn wake_op(v: u32) -> String {
    const OPS: [&str; 5] = [
        "FUTEX_OP_SET",
        "FUTEX_OP_ADD",
        "FUTEX_OP_OR",
        "FUTEX_OP_ANDN",
        "FUTEX_OP_XOR",
    ];
    const CMPS: [&str; 6] = [
        "FUTEX_OP_CMP_EQ",
        "FUTEX_OP_CMP_NE",
        "FUTEX_OP_CMP_LT",
        "FUTEX_OP_CMP_LE",
        "FUTEX_OP_CMP_GT",
        "FUTEX_OP_CMP_GE",
    ];
    let mut s = String::new();
    if (v >> 28) & 8 != 0 {
        s.push_str("FUTEX_OP_OPARG_SHIFT<<28|");
    }
    let op = (v >> 28) & 7;
    match OPS.get(op as usize) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "{op} /* FUTEX_OP_??? */");
        }
    }
    let _ = write!(s, "<<28|{}<<12|", cx(((v >> 12) & 0xfff) as u64));
    let cmp = (v >> 24) & 0xf;
    match CMPS.get(cmp as usize) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "{cmp} /* FUTEX_OP_CMP_??? */");
        }
    }
    let _ = write!(s, "<<24|{}", cx((v & 0xfff) as u64));
    s
}

/// clone's flags and exit signal: `CLONE_VM|CLONE_VFORK|SIGCHLD`.
fn clone_flags(v: u32) -> String {
    let signal = v & cl::CSIGNAL as u32;
    let fl = v & !(cl::CSIGNAL as u32);
    if fl == 0 {
        return sig(signal);
    }
    let mut s = flags(fl, CLONE, "0", "CLONE_???");
    if signal != 0 {
        s.push('|');
        s.push_str(&sig(signal));
    }
    s
}

/// clone3's `struct clone_args` of `size` bytes, on entry.
fn clone_args(p: &Task, a: u32, size: u32) -> String {
    let ver0 = super::abi::sched::CLONE_ARGS_SIZE_VER0;
    if size < ver0 {
        return ptr(a);
    }
    let mut b = [0u8; std::mem::size_of::<super::abi::sched::CloneArgs>()];
    let n = (size as usize).min(b.len());
    if a == 0 || p.cpu.mem.read_bytes(a, &mut b[..n]).is_err() {
        return ptr(a);
    }
    let c: super::abi::sched::CloneArgs = bytemuck::pod_read_unaligned(&b);
    let fl = c.flags;
    let mut s = format!("{{flags={}", flags64(fl, CLONE3, "0", "CLONE_???"));
    let p64 = |v: u64| {
        if v == 0 {
            "NULL".to_string()
        } else {
            format!("{v:#x}")
        }
    };
    if fl & cl::PIDFD != 0 {
        let _ = write!(s, ", pidfd={}", p64(c.pidfd));
    }
    if fl & (cl::CHILD_SETTID | cl::CHILD_CLEARTID) != 0 {
        let _ = write!(s, ", child_tid={}", p64(c.child_tid));
    }
    if fl & cl::PARENT_SETTID != 0 {
        let _ = write!(s, ", parent_tid={}", p64(c.parent_tid));
    }
    if c.exit_signal < i32::MAX as u64 {
        let _ = write!(s, ", exit_signal={}", sig(c.exit_signal as u32));
    } else {
        let _ = write!(s, ", exit_signal={}", c.exit_signal);
    }
    let _ = write!(
        s,
        ", stack={}, stack_size={}",
        p64(c.stack),
        cx(c.stack_size)
    );
    if fl & cl::SETTLS != 0 {
        let _ = write!(s, ", tls={}", udesc(p, c.tls as u32));
    }
    if c.set_tid != 0 || c.set_tid_size != 0 {
        let _ = write!(
            s,
            ", set_tid={}, set_tid_size={}",
            p64(c.set_tid),
            c.set_tid_size
        );
    }
    if n > std::mem::offset_of!(super::abi::sched::CloneArgs, cgroup)
        && (c.cgroup != 0 || fl & cl::INTO_CGROUP != 0)
    {
        let _ = write!(s, ", cgroup={}", c.cgroup);
    }
    s.push('}');
    s
}

/// What clone3 wrote back: ` => {parent_tid=[N]}` (nothing if it failed).
fn clone_args_out(p: &Task, a: u32, size: u32, ok: Option<u32>) -> String {
    if ok.is_none() || size < super::abi::sched::CLONE_ARGS_SIZE_VER0 {
        return String::new();
    }
    let Some(c) = read::<super::abi::sched::CloneArgs>(p, a) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if c.flags & cl::PIDFD != 0 {
        let fd = read::<i32>(p, c.pidfd as u32).map_or(ptr(c.pidfd as u32), |n| format!("[{n}]"));
        parts.push(format!("pidfd={fd}"));
    }
    if c.flags & cl::PARENT_SETTID != 0 {
        let t = read::<i32>(p, c.parent_tid as u32)
            .map_or(ptr(c.parent_tid as u32), |n| format!("[{n}]"));
        parts.push(format!("parent_tid={t}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" => {{{}}}", parts.join(", "))
    }
}

/// A wait status as strace shows it.
fn wstatus(s: u32) -> String {
    let signal = s & 0x7f;
    let body = if signal == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        format!(
            "WIFSTOPPED(s) && WSTOPSIG(s) == {}",
            signame((s >> 8) & 0xff)
        )
    } else if s == 0xffff {
        "WIFCONTINUED(s)".to_string()
    } else {
        let core = if s & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {}{core}", signame(signal))
    };
    format!("[{{{body}}}]")
}

/// execve's argv: `["ls", "-l"]` (32 strings at most, then `...`).
fn argv(p: &Task, a: u32) -> String {
    if a == 0 {
        return ptr(a);
    }
    let mut s = String::from("[");
    for k in 0..=MAX_STR {
        let Some(sp) = read::<u32>(p, a.wrapping_add(k * 4)) else {
            if k == 0 {
                return ptr(a);
            }
            let _ = write!(s, ", ... /* {} */", ptr(a.wrapping_add(k * 4)));
            break;
        };
        if sp == 0 {
            break;
        }
        if k > 0 {
            s.push_str(", ");
        }
        if k == MAX_STR {
            s.push_str("...");
            break;
        }
        s.push_str(&string(p, sp));
    }
    s.push(']');
    s
}

/// The number of pointers before the NULL of a pointer array (envp).
fn count_ptrs(p: &Task, a: u32) -> Option<u32> {
    let mut n = 0u32;
    loop {
        match read::<u32>(p, a.wrapping_add(n.wrapping_mul(4)))? {
            0 => return Some(n),
            _ if n >= 1 << 20 => return Some(n),
            _ => n += 1,
        }
    }
}

/// `{events=EPOLLIN, data={u32=4, u64=4}}`.
fn epoll_event(e: &afs::EpollEvent) -> String {
    let (ev, data) = (e.events, e.data);
    format!(
        "{{events={}, data={{u32={}, u64={data}}}}}",
        flags(ev, EPOLL, "0", "EPOLL???"),
        data as u32
    )
}

/// A lock as fcntl's F_*LK commands take it; `l_pid` in F_GETLK's answer.
fn flock(ty: i16, whence: i16, start: i64, len: i64, pid: Option<i32>) -> String {
    let ty = xval(ty as u16 as u32, LOCKTYPES, "F_???");
    let whence = xval(whence as u16 as u32, WHENCE, "SEEK_???");
    let mut s = format!("{{l_type={ty}, l_whence={whence}, l_start={start}, l_len={len}");
    if let Some(pid) = pid {
        let _ = write!(s, ", l_pid={pid}");
    }
    s.push('}');
    s
}

/// An output argument formatted on exit: `ok` is the result of a call that
/// succeeded (`None`: it failed, and the argument is its address).
fn out_arg(
    p: &Task,
    f: Fmt,
    k: usize,
    args: &[u32; 6],
    ok: Option<u32>,
    ret: Option<u32>,
) -> String {
    let v = args[k];
    match (f, ok) {
        // What a sleep interrupted by a signal had left.
        (Fmt::Rem | Fmt::Rem64, None) if ret.is_some_and(interrupted) => {
            let ts = if f == Fmt::Rem { Fmt::Ts } else { Fmt::Ts64 };
            arg(p, ts, k, args)
        }
        (Fmt::Obuf, Some(r)) => quoted(p, v, r, r > MAX_STR),
        (Fmt::Xobuf, Some(r)) => {
            let mut b = vec![0u8; r.min(MAX_STR) as usize];
            if p.cpu.mem.read_bytes(v, &mut b).is_err() {
                return ptr(v);
            }
            let mut s = String::from("\"");
            for c in b {
                let _ = write!(s, "\\x{c:02x}");
            }
            s.push('"');
            if r > MAX_STR {
                s.push_str("...");
            }
            s
        }
        // wait4 with WNOHANG and no child to report writes no status.
        (Fmt::Wstatus, Some(0)) => ptr(v),
        (Fmt::CloneArgsOut, ok) => clone_args_out(p, v, args[1], ok),
        (Fmt::OutStr, Some(_)) => path(p, v),
        (Fmt::EpollEvs, Some(r)) => {
            let mut s = String::from("[");
            for k in 0..r.min(MAX_STR + 1) {
                if k > 0 {
                    s.push_str(", ");
                }
                if k == MAX_STR {
                    s.push_str("...");
                    break;
                }
                match read::<afs::EpollEvent>(p, v.wrapping_add(k * 12)) {
                    Some(e) => s.push_str(&epoll_event(&e)),
                    None => {
                        s.push_str("...");
                        break;
                    }
                }
            }
            s.push(']');
            s
        }
        (Fmt::Dents | Fmt::Dents64, Some(r)) => {
            // d_reclen: after d_ino and d_off (u32s, or u64s for dirent64).
            let at = if f == Fmt::Dents64 { 16 } else { 8 };
            let mut n = 0;
            let mut off = 0u32;
            while off < r {
                match read::<u16>(p, v.wrapping_add(off + at)) {
                    Some(len) if len > 0 => {
                        n += 1;
                        off += len as u32;
                    }
                    _ => break,
                }
            }
            format!("{} /* {n} entries */", ptr(v))
        }
        (Fmt::Iov, _) => iovecs(p, v, args.get(k + 1).copied().unwrap_or(0), Some(ok)),
        (Fmt::Ptr | Fmt::Obuf | Fmt::Xobuf | Fmt::Rem | Fmt::Rem64, _) | (_, None) => ptr(v),
        (_, Some(_)) => arg(p, f, k, args),
    }
}

/// What follows the result of a call that returned `r`: pollfd's revents,
/// set_thread_area's entry number.
fn suffix(p: &Task, f: Fmt, k: usize, args: &[u32; 6], r: u32) -> String {
    match f {
        Fmt::Pollfd if r == 0 => " (Timeout)".into(),
        Fmt::Pollfd => {
            let n = args.get(k + 1).copied().unwrap_or(0);
            format!(" ({})", pollfds(p, args[k], n, true))
        }
        Fmt::Uinfo => match read::<u32>(p, args[k]) {
            Some(n) => format!(" (entry_number={n})"),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// The decoded struct, or the address it could not be read from.
fn or_ptr(a: u32, s: Option<String>) -> String {
    match s {
        Some(s) if a != 0 => s,
        _ => ptr(a),
    }
}

/// A signal number as strace prints it (`SIGINT`, `0`).
fn sig(v: u32) -> String {
    let n = v as i32;
    if n > 0 && n as u32 <= asig::NSIG {
        signame(n as u32)
    } else {
        n.to_string()
    }
}

/// A 64-bit signal set: `[INT TERM]`, or the signals not in it after `~`
/// when it holds two thirds of them or more (`~[KILL STOP]`).
fn sigset(set: u64) -> String {
    let (set, mut s) = if set.count_ones() >= 64 * 2 / 3 {
        (!set, String::from("~["))
    } else {
        (set, String::from("["))
    };
    let mut first = true;
    for n in 1..=64u32 {
        if set >> (n - 1) & 1 != 0 {
            if !first {
                s.push(' ');
            }
            first = false;
            let name = signame(n);
            s.push_str(name.strip_prefix("SIG").unwrap_or(&name));
        }
    }
    s.push(']');
    s
}

/// `struct sigaction`: `{sa_handler=..., sa_mask=[...], sa_flags=...,
/// sa_restorer=...}` (the restorer only with SA_RESTORER).
fn sigact(a: &asig::Sigaction32) -> String {
    let handler = match a.handler {
        asig::SIG_DFL => "SIG_DFL".to_string(),
        asig::SIG_IGN => "SIG_IGN".to_string(),
        u32::MAX => "SIG_ERR".to_string(),
        h => ptr(h),
    };
    let mask = a.mask[0] as u64 | (a.mask[1] as u64) << 32;
    let mut s = format!(
        "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
        sigset(mask),
        flags(a.flags, SA_FLAGS, "0", "SA_???")
    );
    if a.flags & asig::sa::RESTORER != 0 {
        let _ = write!(s, ", sa_restorer={}", ptr(a.restorer));
    }
    s.push('}');
    s
}

/// strace's symbolic mode: `S_IFREG|0644`.
fn mode(m: u32) -> String {
    let ty = match m & afs::S_IFMT {
        0 => "",
        afs::S_IFSOCK => "S_IFSOCK|",
        afs::S_IFLNK => "S_IFLNK|",
        afs::S_IFREG => "S_IFREG|",
        afs::S_IFBLK => "S_IFBLK|",
        afs::S_IFDIR => "S_IFDIR|",
        afs::S_IFCHR => "S_IFCHR|",
        afs::S_IFIFO => "S_IFIFO|",
        _ => return oct(m),
    };
    let mut s = ty.to_string();
    for (bit, name) in [
        (afs::S_ISUID, "S_ISUID|"),
        (afs::S_ISGID, "S_ISGID|"),
        (afs::S_ISVTX, "S_ISVTX|"),
    ] {
        if m & bit != 0 {
            s.push_str(name);
        }
    }
    s.push_str(&oct(m & 0o777));
    s
}

/// `makedev(0x1, 0x3)` for a Linux device number.
fn makedev(d: u64) -> String {
    let major = ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff);
    let minor = (d & 0xff) | ((d >> 12) & !0xff);
    format!("makedev({}, {})", cx(major), cx(minor))
}

/// `struct stat64` in strace's abbreviated form.
fn stat64(st: &afs::Stat64) -> String {
    let m = st.st_mode;
    let rest = match m & afs::S_IFMT {
        afs::S_IFCHR | afs::S_IFBLK => format!("st_rdev={}", makedev(st.st_rdev)),
        _ => {
            let size = st.st_size;
            format!("st_size={size}")
        }
    };
    format!("{{st_mode={}, {rest}, ...}}", mode(m))
}

/// An iovec array of `n` elements at `a`: on entry (`out` None) every
/// buffer as long as its iov_len; on exit (`out` Some) the bytes the call
/// returned (Some(Some(r))), or the addresses if it failed (Some(None)).
fn iovecs(p: &Task, a: u32, n: u32, out: Option<Option<u32>>) -> String {
    if a == 0 {
        return ptr(a);
    }
    if n == 0 {
        return "[]".into();
    }
    let mut left = match out {
        Some(Some(r)) => r,
        _ => u32::MAX,
    };
    let mut s = String::from("[");
    for k in 0..n.min(1024) {
        if k > 0 {
            s.push_str(", ");
        }
        if k == MAX_STR {
            s.push_str("...");
            break;
        }
        let Some(v) = read::<afs::Iovec>(p, a.wrapping_add(k * 8)) else {
            if k == 0 {
                return ptr(a);
            }
            let _ = write!(s, "... /* {} */", ptr(a.wrapping_add(k * 8)));
            break;
        };
        let base = match out {
            Some(None) => ptr(v.base),
            _ => {
                let len = v.len.min(left);
                left -= len;
                quoted(p, v.base, len, len > MAX_STR)
            }
        };
        let _ = write!(s, "{{iov_base={base}, iov_len={}}}", v.len);
    }
    s.push(']');
    s
}

/// A socket address of `len` bytes at `a`.
fn sockaddr(p: &Task, a: u32, len: u32) -> String {
    if a == 0 {
        return ptr(a);
    }
    if (len as i32) < 2 {
        return ptr(a);
    }
    let len = (len as usize).min(anet::SOCKADDR_MAX);
    let mut b = vec![0u8; len];
    if p.cpu.mem.read_bytes(a, &mut b).is_err() {
        return ptr(a);
    }
    let fam = u16::from_le_bytes([b[0], b[1]]);
    let mut s = format!("{{sa_family={}", xval(fam as u32, AFS, "AF_???"));
    let raw = |s: &mut String| {
        if len > 2 {
            let _ = write!(s, ", sa_data={}", escape(&b[2..]));
        }
    };
    match fam {
        anet::AF_UNIX => {
            let un = anet::SockaddrUn::from_bytes(&b);
            let path = &un.path[..(len - 2).min(un.path.len())];
            if len > 2 {
                if path[0] != 0 {
                    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                    let _ = write!(s, ", sun_path={}", escape(&path[..end]));
                } else {
                    let _ = write!(s, ", sun_path=@{}", escape(&path[1..]));
                }
            }
        }
        anet::AF_INET if len >= std::mem::size_of::<anet::SockaddrIn>() => {
            let sin: anet::SockaddrIn = bytemuck::pod_read_unaligned(&b[..16]);
            let ip = std::net::Ipv4Addr::from(sin.addr);
            let _ = write!(
                s,
                ", sin_port=htons({}), sin_addr=inet_addr(\"{ip}\")",
                u16::from_be_bytes(sin.port)
            );
        }
        anet::AF_INET6 if len >= 24 => {
            let mut full = [0u8; 28];
            full[..len.min(28)].copy_from_slice(&b[..len.min(28)]);
            let sin6: anet::SockaddrIn6 = bytemuck::pod_read_unaligned(&full);
            let ip = std::net::Ipv6Addr::from(sin6.addr);
            let _ = write!(
                s,
                ", sin6_port=htons({}), sin6_flowinfo=htonl({}), \
                 inet_pton(AF_INET6, \"{ip}\", &sin6_addr)",
                u16::from_be_bytes(sin6.port),
                u32::from_be_bytes(sin6.flowinfo)
            );
            if len > 24 {
                let _ = write!(s, ", sin6_scope_id={}", sin6.scope_id);
            }
        }
        _ => raw(&mut s),
    }
    s.push('}');
    s
}

/// A pollfd array of `n` elements at `a`: the events asked for, or (for
/// `revents`) the ones that happened, of the descriptors that have some.
fn pollfds(p: &Task, a: u32, n: u32, revents: bool) -> String {
    if a == 0 {
        return ptr(a);
    }
    let mut s = String::from("[");
    let mut shown = 0;
    for k in 0..n.min(4096) {
        let Some(f) = read::<afs::PollFd>(p, a.wrapping_add(k * 8)) else {
            if k == 0 {
                return ptr(a);
            }
            break;
        };
        if revents && f.revents == 0 {
            continue;
        }
        if shown > 0 {
            s.push_str(", ");
        }
        if shown == MAX_STR {
            s.push_str("...");
            break;
        }
        shown += 1;
        if revents {
            let r = flags(f.revents as u16 as u32, POLL, "0", "POLL???");
            let _ = write!(s, "{{fd={}, revents={r}}}", f.fd);
        } else if f.fd < 0 {
            let _ = write!(s, "{{fd={}}}", f.fd);
        } else {
            let e = flags(f.events as u16 as u32, POLL, "0", "POLL???");
            let _ = write!(s, "{{fd={}, events={e}}}", f.fd);
        }
    }
    s.push(']');
    s
}

/// socket(2)'s type: `SOCK_STREAM|SOCK_CLOEXEC`.
fn socktype(v: u32) -> String {
    let mut s = xval(v & anet::SOCK_TYPE_MASK, SOCKTYPES, "SOCK_???");
    let rest = v & !anet::SOCK_TYPE_MASK;
    if rest != 0 {
        s.push('|');
        s.push_str(&flags(rest, SOCKFLAGS, "0", "SOCK_???"));
    }
    s
}

/// The name of `v` in `names`, else `0x.. /* unknown */`.
fn xval(v: u32, names: &[(u32, &str)], unknown: &str) -> String {
    match names.iter().find(|&&(n, _)| n == v) {
        Some((_, name)) => name.to_string(),
        None => format!("{} /* {unknown} */", cx(v as u64)),
    }
}

/// A NUL-terminated guest string, quoted and cut as strace does; the
/// pointer if it cannot be read.
fn string(p: &Task, a: u32) -> String {
    string_max(p, a, MAX_STR)
}

/// A pathname: strace shows it whole (up to PATH_MAX), not cut at `-s`.
fn path(p: &Task, a: u32) -> String {
    string_max(p, a, PATH_MAX)
}

/// Longest pathname (PATH_MAX, with its NUL).
const PATH_MAX: u32 = 4096;

/// A NUL-terminated guest string of at most `max` bytes shown, quoted.
fn string_max(p: &Task, a: u32, max: u32) -> String {
    if a == 0 {
        return "NULL".into();
    }
    let mut bytes = Vec::new();
    let mut more = false;
    loop {
        let mut b = [0u8];
        if p.cpu
            .mem
            .read_bytes(a.wrapping_add(bytes.len() as u32), &mut b)
            .is_err()
        {
            if bytes.is_empty() {
                return ptr(a);
            }
            break;
        }
        if b[0] == 0 {
            break;
        }
        if bytes.len() as u32 == max {
            more = true;
            break;
        }
        bytes.push(b[0]);
    }
    let mut s = escape(&bytes);
    if more {
        s.push_str("...");
    }
    s
}

/// `n` bytes at `a`, quoted, with `...` after when `more`.
fn quoted(p: &Task, a: u32, n: u32, more: bool) -> String {
    let n = n.min(MAX_STR);
    let mut b = vec![0u8; n as usize];
    if p.cpu.mem.read_bytes(a, &mut b).is_err() {
        return ptr(a);
    }
    let mut s = escape(&b);
    if more {
        s.push_str("...");
    }
    s
}

/// strace's quoting: printable ASCII as is, C escapes for the usual
/// controls, octal for the rest (three digits only before a digit).
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let next_digit = b.get(k + 1).is_some_and(|d| (b'0'..=b'7').contains(d));
                if next_digit {
                    let _ = write!(s, "\\{c:03o}");
                } else {
                    let _ = write!(s, "\\{c:o}");
                }
            }
        }
    }
    s.push('"');
    s
}

const SIGHOW: &[(u32, &str)] = &[
    (asig::SIG_BLOCK, "SIG_BLOCK"),
    (asig::SIG_UNBLOCK, "SIG_UNBLOCK"),
    (asig::SIG_SETMASK, "SIG_SETMASK"),
];

const SA_FLAGS: &[(u32, &str)] = &[
    (asig::sa::RESTORER, "SA_RESTORER"),
    (asig::sa::ONSTACK, "SA_ONSTACK"),
    (asig::sa::RESTART, "SA_RESTART"),
    (0x2000_0000, "SA_INTERRUPT"),
    (asig::sa::NODEFER, "SA_NODEFER"),
    (asig::sa::RESETHAND, "SA_RESETHAND"),
    (asig::sa::SIGINFO, "SA_SIGINFO"),
    (asig::sa::NOCLDSTOP, "SA_NOCLDSTOP"),
    (asig::sa::NOCLDWAIT, "SA_NOCLDWAIT"),
];

const CLOCKS: &[(u32, &str)] = &[
    (atime::CLOCK_REALTIME, "CLOCK_REALTIME"),
    (atime::CLOCK_MONOTONIC, "CLOCK_MONOTONIC"),
    (atime::CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"),
    (atime::CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"),
    (atime::CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"),
    (atime::CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"),
    (atime::CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"),
    (atime::CLOCK_BOOTTIME, "CLOCK_BOOTTIME"),
    (atime::CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM"),
    (atime::CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM"),
    (atime::CLOCK_TAI, "CLOCK_TAI"),
];

const TFLAGS: &[(u32, &str)] = &[(atime::TIMER_ABSTIME, "TIMER_ABSTIME")];

const AFS: &[(u32, &str)] = &[
    (anet::AF_UNSPEC as u32, "AF_UNSPEC"),
    (anet::AF_UNIX as u32, "AF_UNIX"),
    (anet::AF_INET as u32, "AF_INET"),
    (anet::AF_INET6 as u32, "AF_INET6"),
    (anet::AF_NETLINK as u32, "AF_NETLINK"),
    (anet::AF_PACKET as u32, "AF_PACKET"),
];

const SOCKTYPES: &[(u32, &str)] = &[
    (anet::SOCK_STREAM, "SOCK_STREAM"),
    (anet::SOCK_DGRAM, "SOCK_DGRAM"),
    (anet::SOCK_RAW, "SOCK_RAW"),
    (anet::SOCK_RDM, "SOCK_RDM"),
    (anet::SOCK_SEQPACKET, "SOCK_SEQPACKET"),
    (anet::SOCK_DCCP, "SOCK_DCCP"),
    (anet::SOCK_PACKET, "SOCK_PACKET"),
];

const SOCKFLAGS: &[(u32, &str)] = &[
    (anet::SOCK_CLOEXEC, "SOCK_CLOEXEC"),
    (anet::SOCK_NONBLOCK, "SOCK_NONBLOCK"),
];

const IPPROTOS: &[(u32, &str)] = &[
    (anet::IPPROTO_IP, "IPPROTO_IP"),
    (anet::IPPROTO_ICMP, "IPPROTO_ICMP"),
    (anet::IPPROTO_TCP, "IPPROTO_TCP"),
    (anet::IPPROTO_UDP, "IPPROTO_UDP"),
    (anet::IPPROTO_IPV6, "IPPROTO_IPV6"),
    (anet::IPPROTO_ICMPV6, "IPPROTO_ICMPV6"),
    (anet::IPPROTO_SCTP, "IPPROTO_SCTP"),
    (anet::IPPROTO_UDPLITE, "IPPROTO_UDPLITE"),
    (anet::IPPROTO_RAW, "IPPROTO_RAW"),
];

const ATFLAGS: &[(u32, &str)] = &[
    (at::SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"),
    (at::REMOVEDIR, "AT_REMOVEDIR"),
    (at::SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"),
    (at::NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"),
    (at::EMPTY_PATH, "AT_EMPTY_PATH"),
];

const RLIMITS: &[(u32, &str)] = &[
    (asys::rlimit::CPU, "RLIMIT_CPU"),
    (asys::rlimit::FSIZE, "RLIMIT_FSIZE"),
    (asys::rlimit::DATA, "RLIMIT_DATA"),
    (asys::rlimit::STACK, "RLIMIT_STACK"),
    (asys::rlimit::CORE, "RLIMIT_CORE"),
    (asys::rlimit::RSS, "RLIMIT_RSS"),
    (asys::rlimit::NPROC, "RLIMIT_NPROC"),
    (asys::rlimit::NOFILE, "RLIMIT_NOFILE"),
    (asys::rlimit::MEMLOCK, "RLIMIT_MEMLOCK"),
    (asys::rlimit::AS, "RLIMIT_AS"),
    (asys::rlimit::LOCKS, "RLIMIT_LOCKS"),
    (asys::rlimit::SIGPENDING, "RLIMIT_SIGPENDING"),
    (asys::rlimit::MSGQUEUE, "RLIMIT_MSGQUEUE"),
    (asys::rlimit::NICE, "RLIMIT_NICE"),
    (asys::rlimit::RTPRIO, "RLIMIT_RTPRIO"),
    (asys::rlimit::RTTIME, "RLIMIT_RTTIME"),
];

const GRND: &[(u32, &str)] = &[
    (asys::GRND_NONBLOCK, "GRND_NONBLOCK"),
    (asys::GRND_RANDOM, "GRND_RANDOM"),
    (asys::GRND_INSECURE, "GRND_INSECURE"),
];

const POLL: &[(u32, &str)] = &[
    (apoll::POLLIN, "POLLIN"),
    (apoll::POLLPRI, "POLLPRI"),
    (apoll::POLLOUT, "POLLOUT"),
    (apoll::POLLERR, "POLLERR"),
    (apoll::POLLHUP, "POLLHUP"),
    (apoll::POLLNVAL, "POLLNVAL"),
    (apoll::POLLRDNORM, "POLLRDNORM"),
    (apoll::POLLRDBAND, "POLLRDBAND"),
    (apoll::POLLWRNORM, "POLLWRNORM"),
    (apoll::POLLWRBAND, "POLLWRBAND"),
    (apoll::POLLMSG, "POLLMSG"),
    (apoll::POLLREMOVE, "POLLREMOVE"),
    (apoll::POLLRDHUP, "POLLRDHUP"),
];

/// The tty and file ioctls programs make most (asm-generic/ioctls.h).
const IOCTLS: &[(u32, &str)] = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x5405, "TCGETA"),
    (0x5406, "TCSETA"),
    (0x5407, "TCSETAW"),
    (0x5408, "TCSETAF"),
    (0x5409, "TCSBRK"),
    (0x540a, "TCXONC"),
    (0x540b, "TCFLSH"),
    (0x540c, "TIOCEXCL"),
    (0x540d, "TIOCNXCL"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5411, "TIOCOUTQ"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5429, "TIOCGSID"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x8004_5430, "TIOCGPTN"),
    (0x4004_5431, "TIOCSPTLCK"),
];

const PR_SET_PDEATHSIG: u32 = 1;
const PR_GET_DUMPABLE: u32 = 3;
const PR_GET_KEEPCAPS: u32 = 7;
const PR_SET_NAME: u32 = 15;
const PR_GET_NAME: u32 = 16;
const PR_GET_NO_NEW_PRIVS: u32 = 39;

/// prctl options (linux/prctl.h).
const PRCTL: &[(u32, &str)] = &[
    (PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (PR_GET_DUMPABLE, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (5, "PR_GET_UNALIGN"),
    (6, "PR_SET_UNALIGN"),
    (PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (9, "PR_GET_FPEMU"),
    (10, "PR_SET_FPEMU"),
    (11, "PR_GET_FPEXC"),
    (12, "PR_SET_FPEXC"),
    (13, "PR_GET_TIMING"),
    (14, "PR_SET_TIMING"),
    (PR_SET_NAME, "PR_SET_NAME"),
    (PR_GET_NAME, "PR_GET_NAME"),
    (19, "PR_GET_ENDIAN"),
    (20, "PR_SET_ENDIAN"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (25, "PR_GET_TSC"),
    (26, "PR_SET_TSC"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (29, "PR_SET_TIMERSLACK"),
    (30, "PR_GET_TIMERSLACK"),
    (31, "PR_TASK_PERF_EVENTS_DISABLE"),
    (32, "PR_TASK_PERF_EVENTS_ENABLE"),
    (33, "PR_MCE_KILL"),
    (34, "PR_MCE_KILL_GET"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (45, "PR_SET_FP_MODE"),
    (46, "PR_GET_FP_MODE"),
    (47, "PR_CAP_AMBIENT"),
    (0x5359_4d41, "PR_SET_VMA"),
];

const RENAME: &[(u32, &str)] = &[
    (at::RENAME_NOREPLACE, "RENAME_NOREPLACE"),
    (at::RENAME_EXCHANGE, "RENAME_EXCHANGE"),
    (at::RENAME_WHITEOUT, "RENAME_WHITEOUT"),
];

const MSFLAGS: &[(u32, &str)] = &[
    (am::MS_ASYNC, "MS_ASYNC"),
    (am::MS_SYNC, "MS_SYNC"),
    (am::MS_INVALIDATE, "MS_INVALIDATE"),
];

const EPOLLOPS: &[(u32, &str)] = &[
    (afs::epoll::CTL_ADD, "EPOLL_CTL_ADD"),
    (afs::epoll::CTL_DEL, "EPOLL_CTL_DEL"),
    (afs::epoll::CTL_MOD, "EPOLL_CTL_MOD"),
];

const EPOLL: &[(u32, &str)] = &[
    (apoll::POLLIN, "EPOLLIN"),
    (apoll::POLLPRI, "EPOLLPRI"),
    (apoll::POLLOUT, "EPOLLOUT"),
    (apoll::POLLERR, "EPOLLERR"),
    (apoll::POLLHUP, "EPOLLHUP"),
    (apoll::POLLNVAL, "EPOLLNVAL"),
    (apoll::POLLRDNORM, "EPOLLRDNORM"),
    (apoll::POLLRDBAND, "EPOLLRDBAND"),
    (apoll::POLLWRNORM, "EPOLLWRNORM"),
    (apoll::POLLWRBAND, "EPOLLWRBAND"),
    (apoll::POLLMSG, "EPOLLMSG"),
    (apoll::POLLRDHUP, "EPOLLRDHUP"),
    (afs::epoll::EXCLUSIVE, "EPOLLEXCLUSIVE"),
    (afs::epoll::WAKEUP, "EPOLLWAKEUP"),
    (afs::epoll::ONESHOT, "EPOLLONESHOT"),
    (afs::epoll::ET, "EPOLLET"),
];

const ITIMERS: &[(u32, &str)] = &[
    (0, "ITIMER_REAL"),
    (1, "ITIMER_VIRTUAL"),
    (2, "ITIMER_PROF"),
];

const AMODE: &[(u32, &str)] = &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")];

const WHENCE: &[(u32, &str)] = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];

const FDFLAGS: &[(u32, &str)] = &[(afs::f::FD_CLOEXEC, "FD_CLOEXEC")];

const LOCKTYPES: &[(u32, &str)] = &[
    (afs::f::RDLCK as u32, "F_RDLCK"),
    (afs::f::WRLCK as u32, "F_WRLCK"),
    (afs::f::UNLCK as u32, "F_UNLCK"),
];

const FCNTL: &[(u32, &str)] = &[
    (afs::f::DUPFD, "F_DUPFD"),
    (afs::f::GETFD, "F_GETFD"),
    (afs::f::SETFD, "F_SETFD"),
    (afs::f::GETFL, "F_GETFL"),
    (afs::f::SETFL, "F_SETFL"),
    (afs::f::GETLK, "F_GETLK"),
    (afs::f::SETLK, "F_SETLK"),
    (afs::f::SETLKW, "F_SETLKW"),
    (afs::f::SETOWN, "F_SETOWN"),
    (afs::f::GETOWN, "F_GETOWN"),
    (afs::f::SETSIG, "F_SETSIG"),
    (afs::f::GETSIG, "F_GETSIG"),
    (afs::f::GETLK64, "F_GETLK64"),
    (afs::f::SETLK64, "F_SETLK64"),
    (afs::f::SETLKW64, "F_SETLKW64"),
    (afs::f::SETOWN_EX, "F_SETOWN_EX"),
    (afs::f::GETOWN_EX, "F_GETOWN_EX"),
    (afs::f::GETOWNER_UIDS, "F_GETOWNER_UIDS"),
    (afs::f::OFD_GETLK, "F_OFD_GETLK"),
    (afs::f::OFD_SETLK, "F_OFD_SETLK"),
    (afs::f::OFD_SETLKW, "F_OFD_SETLKW"),
    (afs::f::SETLEASE, "F_SETLEASE"),
    (afs::f::GETLEASE, "F_GETLEASE"),
    (afs::f::NOTIFY, "F_NOTIFY"),
    (afs::f::DUPFD_QUERY, "F_DUPFD_QUERY"),
    (afs::f::CANCELLK, "F_CANCELLK"),
    (afs::f::DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"),
    (afs::f::SETPIPE_SZ, "F_SETPIPE_SZ"),
    (afs::f::GETPIPE_SZ, "F_GETPIPE_SZ"),
    (afs::f::ADD_SEALS, "F_ADD_SEALS"),
    (afs::f::GET_SEALS, "F_GET_SEALS"),
    (afs::f::GET_RW_HINT, "F_GET_RW_HINT"),
    (afs::f::SET_RW_HINT, "F_SET_RW_HINT"),
    (afs::f::GET_FILE_RW_HINT, "F_GET_FILE_RW_HINT"),
    (afs::f::SET_FILE_RW_HINT, "F_SET_FILE_RW_HINT"),
];

const SS_FLAGS: &[(u32, &str)] = &[
    (asig::SS_ONSTACK, "SS_ONSTACK"),
    (asig::SS_DISABLE, "SS_DISABLE"),
    (asig::SS_AUTODISARM, "SS_AUTODISARM"),
];

const WOPTS: &[(u32, &str)] = &[
    (wait::WNOHANG, "WNOHANG"),
    (wait::WUNTRACED, "WUNTRACED"),
    (wait::WEXITED, "WEXITED"),
    (wait::WCONTINUED, "WCONTINUED"),
    (wait::WNOWAIT, "WNOWAIT"),
    (wait::WNOTHREAD, "__WNOTHREAD"),
    (wait::WALL, "__WALL"),
    (wait::WCLONE, "__WCLONE"),
];

const MADV: &[(u32, &str)] = &[
    (am::madv::NORMAL, "MADV_NORMAL"),
    (am::madv::RANDOM, "MADV_RANDOM"),
    (am::madv::SEQUENTIAL, "MADV_SEQUENTIAL"),
    (am::madv::WILLNEED, "MADV_WILLNEED"),
    (am::madv::DONTNEED, "MADV_DONTNEED"),
    (am::madv::FREE, "MADV_FREE"),
    (am::madv::REMOVE, "MADV_REMOVE"),
    (am::madv::DONTFORK, "MADV_DONTFORK"),
    (am::madv::DOFORK, "MADV_DOFORK"),
    (am::madv::MERGEABLE, "MADV_MERGEABLE"),
    (am::madv::UNMERGEABLE, "MADV_UNMERGEABLE"),
    (am::madv::HUGEPAGE, "MADV_HUGEPAGE"),
    (am::madv::NOHUGEPAGE, "MADV_NOHUGEPAGE"),
    (am::madv::DONTDUMP, "MADV_DONTDUMP"),
    (am::madv::DODUMP, "MADV_DODUMP"),
    (am::madv::WIPEONFORK, "MADV_WIPEONFORK"),
    (am::madv::KEEPONFORK, "MADV_KEEPONFORK"),
    (am::madv::COLD, "MADV_COLD"),
    (am::madv::PAGEOUT, "MADV_PAGEOUT"),
    (am::madv::POPULATE_READ, "MADV_POPULATE_READ"),
    (am::madv::POPULATE_WRITE, "MADV_POPULATE_WRITE"),
    (am::madv::DONTNEED_LOCKED, "MADV_DONTNEED_LOCKED"),
    (am::madv::COLLAPSE, "MADV_COLLAPSE"),
    (am::madv::HWPOISON, "MADV_HWPOISON"),
    (am::madv::SOFT_OFFLINE, "MADV_SOFT_OFFLINE"),
    (am::madv::GUARD_INSTALL, "MADV_GUARD_INSTALL"),
    (am::madv::GUARD_REMOVE, "MADV_GUARD_REMOVE"),
];

const CLONE: &[(u32, &str)] = &[
    (cl::VM as u32, "CLONE_VM"),
    (cl::FS as u32, "CLONE_FS"),
    (cl::FILES as u32, "CLONE_FILES"),
    (cl::SIGHAND as u32, "CLONE_SIGHAND"),
    (cl::PIDFD as u32, "CLONE_PIDFD"),
    (cl::PTRACE as u32, "CLONE_PTRACE"),
    (cl::VFORK as u32, "CLONE_VFORK"),
    (cl::PARENT as u32, "CLONE_PARENT"),
    (cl::THREAD as u32, "CLONE_THREAD"),
    (cl::NEWNS as u32, "CLONE_NEWNS"),
    (cl::SYSVSEM as u32, "CLONE_SYSVSEM"),
    (cl::SETTLS as u32, "CLONE_SETTLS"),
    (cl::PARENT_SETTID as u32, "CLONE_PARENT_SETTID"),
    (cl::CHILD_CLEARTID as u32, "CLONE_CHILD_CLEARTID"),
    (cl::DETACHED as u32, "CLONE_DETACHED"),
    (cl::UNTRACED as u32, "CLONE_UNTRACED"),
    (cl::CHILD_SETTID as u32, "CLONE_CHILD_SETTID"),
    (cl::NEWCGROUP as u32, "CLONE_NEWCGROUP"),
    (cl::NEWUTS as u32, "CLONE_NEWUTS"),
    (cl::NEWIPC as u32, "CLONE_NEWIPC"),
    (cl::NEWUSER as u32, "CLONE_NEWUSER"),
    (cl::NEWPID as u32, "CLONE_NEWPID"),
    (cl::NEWNET as u32, "CLONE_NEWNET"),
    (cl::IO as u32, "CLONE_IO"),
];

/// clone3's flags: clone's and the 64-bit ones.
const CLONE3: &[(u64, &str)] = &[
    (cl::VM, "CLONE_VM"),
    (cl::FS, "CLONE_FS"),
    (cl::FILES, "CLONE_FILES"),
    (cl::SIGHAND, "CLONE_SIGHAND"),
    (cl::PIDFD, "CLONE_PIDFD"),
    (cl::PTRACE, "CLONE_PTRACE"),
    (cl::VFORK, "CLONE_VFORK"),
    (cl::PARENT, "CLONE_PARENT"),
    (cl::THREAD, "CLONE_THREAD"),
    (cl::NEWNS, "CLONE_NEWNS"),
    (cl::SYSVSEM, "CLONE_SYSVSEM"),
    (cl::SETTLS, "CLONE_SETTLS"),
    (cl::PARENT_SETTID, "CLONE_PARENT_SETTID"),
    (cl::CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
    (cl::DETACHED, "CLONE_DETACHED"),
    (cl::UNTRACED, "CLONE_UNTRACED"),
    (cl::CHILD_SETTID, "CLONE_CHILD_SETTID"),
    (cl::NEWCGROUP, "CLONE_NEWCGROUP"),
    (cl::NEWUTS, "CLONE_NEWUTS"),
    (cl::NEWIPC, "CLONE_NEWIPC"),
    (cl::NEWUSER, "CLONE_NEWUSER"),
    (cl::NEWPID, "CLONE_NEWPID"),
    (cl::NEWNET, "CLONE_NEWNET"),
    (cl::IO, "CLONE_IO"),
    (cl::CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"),
    (cl::INTO_CGROUP, "CLONE_INTO_CGROUP"),
];

const STATX_MASK: &[(u32, &str)] = &[
    (afs::statx::ALL, "STATX_ALL"),
    (afs::statx::BASIC_STATS, "STATX_BASIC_STATS"),
    (afs::statx::TYPE, "STATX_TYPE"),
    (afs::statx::MODE, "STATX_MODE"),
    (afs::statx::NLINK, "STATX_NLINK"),
    (afs::statx::UID, "STATX_UID"),
    (afs::statx::GID, "STATX_GID"),
    (afs::statx::ATIME, "STATX_ATIME"),
    (afs::statx::MTIME, "STATX_MTIME"),
    (afs::statx::CTIME, "STATX_CTIME"),
    (afs::statx::INO, "STATX_INO"),
    (afs::statx::SIZE, "STATX_SIZE"),
    (afs::statx::BLOCKS, "STATX_BLOCKS"),
    (afs::statx::BTIME, "STATX_BTIME"),
    (afs::statx::MNT_ID, "STATX_MNT_ID"),
    (afs::statx::DIOALIGN, "STATX_DIOALIGN"),
    (afs::statx::MNT_ID_UNIQUE, "STATX_MNT_ID_UNIQUE"),
    (afs::statx::SUBVOL, "STATX_SUBVOL"),
    (afs::statx::WRITE_ATOMIC, "STATX_WRITE_ATOMIC"),
    (afs::statx::DIO_READ_ALIGN, "STATX_DIO_READ_ALIGN"),
];

const STATX_ATTRS: &[(u64, &str)] = &[
    (afs::statx::ATTR_COMPRESSED, "STATX_ATTR_COMPRESSED"),
    (afs::statx::ATTR_IMMUTABLE, "STATX_ATTR_IMMUTABLE"),
    (afs::statx::ATTR_APPEND, "STATX_ATTR_APPEND"),
    (afs::statx::ATTR_NODUMP, "STATX_ATTR_NODUMP"),
    (afs::statx::ATTR_ENCRYPTED, "STATX_ATTR_ENCRYPTED"),
    (afs::statx::ATTR_AUTOMOUNT, "STATX_ATTR_AUTOMOUNT"),
    (afs::statx::ATTR_MOUNT_ROOT, "STATX_ATTR_MOUNT_ROOT"),
    (afs::statx::ATTR_VERITY, "STATX_ATTR_VERITY"),
    (afs::statx::ATTR_DAX, "STATX_ATTR_DAX"),
    (afs::statx::ATTR_WRITE_ATOMIC, "STATX_ATTR_WRITE_ATOMIC"),
];

const PROT: &[(u32, &str)] = &[
    (am::PROT_READ, "PROT_READ"),
    (am::PROT_WRITE, "PROT_WRITE"),
    (am::PROT_EXEC, "PROT_EXEC"),
    (am::PROT_SEM, "PROT_SEM"),
    (am::PROT_GROWSDOWN, "PROT_GROWSDOWN"),
    (am::PROT_GROWSUP, "PROT_GROWSUP"),
];

const MAP: &[(u32, &str)] = &[
    (am::MAP_FIXED, "MAP_FIXED"),
    (am::MAP_ANONYMOUS, "MAP_ANONYMOUS"),
    (am::MAP_32BIT, "MAP_32BIT"),
    (am::MAP_GROWSDOWN, "MAP_GROWSDOWN"),
    (am::MAP_DENYWRITE, "MAP_DENYWRITE"),
    (am::MAP_EXECUTABLE, "MAP_EXECUTABLE"),
    (am::MAP_LOCKED, "MAP_LOCKED"),
    (am::MAP_NORESERVE, "MAP_NORESERVE"),
    (am::MAP_POPULATE, "MAP_POPULATE"),
    (am::MAP_NONBLOCK, "MAP_NONBLOCK"),
    (am::MAP_STACK, "MAP_STACK"),
    (am::MAP_HUGETLB, "MAP_HUGETLB"),
    (am::MAP_SYNC, "MAP_SYNC"),
    (am::MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    (am::MAP_UNINITIALIZED, "MAP_UNINITIALIZED"),
];

/// In strace's order (its open_mode_flags), O_ASYNC as FASYNC.
const OPEN: &[(u32, &str)] = &[
    (o::CREAT, "O_CREAT"),
    (o::EXCL, "O_EXCL"),
    (o::NOCTTY, "O_NOCTTY"),
    (o::TRUNC, "O_TRUNC"),
    (o::APPEND, "O_APPEND"),
    (o::NONBLOCK, "O_NONBLOCK"),
    (o::SYNC, "O_SYNC"),
    (o::SYNC & !o::DSYNC, "__O_SYNC"),
    (o::DSYNC, "O_DSYNC"),
    (o::DIRECT, "O_DIRECT"),
    (o::LARGEFILE, "O_LARGEFILE"),
    (o::NOFOLLOW, "O_NOFOLLOW"),
    (o::NOATIME, "O_NOATIME"),
    (o::CLOEXEC, "O_CLOEXEC"),
    (o::PATH, "O_PATH"),
    (o::TMPFILE, "O_TMPFILE"),
    (o::TMPFILE & !o::DIRECTORY, "__O_TMPFILE"),
    (o::DIRECTORY, "O_DIRECTORY"),
    (o::ASYNC, "FASYNC"),
];

/// `A|B|0x40` for the bits of `v` named in `names` (multi-bit names first
/// when they match whole); `none` when `v` is 0.
fn flags(v: u32, names: &[(u32, &str)], none: &str, unknown: &str) -> String {
    if v == 0 {
        return none.into();
    }
    let mut parts = Vec::new();
    let mut left = v;
    for &(bit, name) in names {
        if bit != 0 && left & bit == bit {
            parts.push(name.to_string());
            left &= !bit;
        }
    }
    if left != 0 {
        // strace adds a comment only when no name matched.
        if parts.is_empty() {
            parts.push(format!("{left:#x} /* {unknown} */"));
        } else {
            parts.push(format!("{left:#x}"));
        }
    }
    parts.join("|")
}

/// [`flags`] of a 64-bit value.
fn flags64(v: u64, names: &[(u64, &str)], none: &str, unknown: &str) -> String {
    if v == 0 {
        return none.into();
    }
    let mut parts = Vec::new();
    let mut left = v;
    for &(bit, name) in names {
        if bit != 0 && left & bit == bit {
            parts.push(name.to_string());
            left &= !bit;
        }
    }
    if left != 0 {
        if parts.is_empty() {
            parts.push(format!("{left:#x} /* {unknown} */"));
        } else {
            parts.push(format!("{left:#x}"));
        }
    }
    parts.join("|")
}

fn oflags(v: u32) -> String {
    let mode = match v & o::ACCMODE {
        o::RDONLY => "O_RDONLY",
        o::WRONLY => "O_WRONLY",
        o::RDWR => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let rest = v & !o::ACCMODE;
    if rest == 0 {
        return mode.into();
    }
    format!("{mode}|{}", flags(rest, OPEN, "", "O_???"))
}

fn mflags(v: u32) -> String {
    let ty = match v & am::MAP_TYPE {
        am::MAP_SHARED => "MAP_SHARED".to_string(),
        am::MAP_PRIVATE => "MAP_PRIVATE".to_string(),
        am::MAP_SHARED_VALIDATE => "MAP_SHARED_VALIDATE".to_string(),
        0 => "MAP_FILE".to_string(),
        t => format!("{t:#x} /* MAP_??? */"),
    };
    let rest = v & !am::MAP_TYPE;
    if rest == 0 {
        return ty;
    }
    format!("{ty}|{}", flags(rest, MAP, "", "MAP_???"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_as_strace() {
        assert_eq!(escape(b"\x7fELF\x01\x01\x01\0\0"), r#""\177ELF\1\1\1\0\0""#);
        assert_eq!(escape(b"a\"b\\\n\x001"), r#""a\"b\\\n\0001""#);
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
