//! `--strace`: one line per system call in strace's own format, printed
//! by the syscall work path (the thread_info flag `--frames` uses too, so
//! without either option the dispatch pays nothing).
//!
//! Everything comes from the table's formats (`syscalls.tbl`, [`Fmt`]):
//! there is no printing code per system call. Input arguments are
//! formatted on entry (an execve replaces the memory they are in); output
//! buffers ([`Fmt::Obuf`]) on exit, with the length the call returned.
//! Strings and buffers are quoted and cut after 32 bytes as `strace -s 32`
//! does; flags are printed by name; a failed call shows its errno's name
//! and message.
//!
//! Not yet as strace: structs (stat64, timespec, sigaction, iovec,
//! sockaddr, pollfd) print as pointers; calls that block are printed when
//! they finish, without `<unfinished ...>`.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use super::abi::errno;
use super::abi::fs::{at, o};
use super::abi::mm as am;
use super::abi::signal::{self as asig, Layout, Siginfo32};
use super::syscall::{Fmt, ARGS, NAMES, RET};
use super::task::Task;
use super::ExitStatus;

/// Where `--strace` lines go (stderr or `--strace-file`).
pub struct Strace {
    out: Mutex<Box<dyn Write + Send>>,
    /// The first task that printed: its lines have no `[pid N]`.
    first: OnceLock<u32>,
}

impl Strace {
    pub fn new(out: Box<dyn Write + Send>) -> Strace {
        Strace {
            out: Mutex::new(out),
            first: OnceLock::new(),
        }
    }

    /// Write one whole line (one write, so lines of several processes
    /// sharing the file do not mix).
    pub fn line(&self, s: &str) {
        let mut o = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = o.write_all(s.as_bytes());
        let _ = o.flush();
    }
}

/// `--stats`' syscall table, as `strace -c` prints it: per syscall the
/// calls, the failed ones and the time spent in the kernel side.
pub struct SyscallStats {
    rows: Mutex<Vec<(u64, u64, std::time::Duration)>>,
}

impl Default for SyscallStats {
    fn default() -> Self {
        SyscallStats {
            rows: Mutex::new(vec![Default::default(); NAMES.len()]),
        }
    }
}

impl SyscallStats {
    pub fn add(&self, nr: u32, ret: u32, took: std::time::Duration) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = rows.get_mut(nr as usize) {
            r.0 += 1;
            r.1 += is_err(ret) as u64;
            r.2 += took;
        }
    }

    /// The table: `% time, seconds, usecs/call, calls, errors, syscall`,
    /// most time first, and a total line.
    pub fn table(&self) -> String {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
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

/// Bytes of a string or buffer shown before `...` (strace's default `-s`).
const MAX_STR: u32 = 32;

/// A call formatted on entry, finished by [`exit`].
pub struct Pending {
    nr: u32,
    args: [u32; 6],
    /// The formatted arguments; `None` for those formatted on exit.
    text: Vec<Option<String>>,
}

/// Format syscall `nr`'s input arguments on entry.
pub fn enter(p: &Task, nr: u32, args: [u32; 6]) -> Pending {
    let fmts = ARGS[nr as usize];
    let mut text = Vec::new();
    for (k, &(f, _)) in fmts.iter().enumerate() {
        // open's mode only matters (and strace only shows it) with
        // O_CREAT or O_TMPFILE.
        if f == Fmt::Oct && k > 0 && fmts[k - 1].0 == Fmt::Oflags {
            let fl = args[k - 1];
            if fl & o::CREAT == 0 && fl & o::TMPFILE != o::TMPFILE {
                break;
            }
        }
        text.push(match f {
            Fmt::Obuf => None,
            _ => Some(arg(p, f, args[k], args.get(k + 1).copied().unwrap_or(0))),
        });
    }
    Pending { nr, args, text }
}

/// Print the finished call: `name(args) = result`. For a call that does
/// not return (exit, exit_group) the result is `?`.
pub fn exit(p: &Task, s: &Strace, c: &Pending, ret: Option<u32>) {
    let mut line = prefix(p, s);
    line.push_str(NAMES[c.nr as usize]);
    line.push('(');
    for (k, t) in c.text.iter().enumerate() {
        if k > 0 {
            line.push_str(", ");
        }
        match t {
            Some(t) => line.push_str(t),
            None => {
                let ok = ret.filter(|&r| !is_err(r));
                line.push_str(&match ok {
                    Some(r) => quoted(p, c.args[k], r, r > MAX_STR),
                    None => ptr(c.args[k]),
                })
            }
        }
    }
    line.push(')');
    // strace lines the results up at column 40.
    let width = line.chars().count();
    line.push_str(&" ".repeat(39usize.saturating_sub(width)));
    line.push_str(" = ");
    match ret {
        None => line.push('?'),
        Some(r) => line.push_str(&result(RET[c.nr as usize], r)),
    }
    line.push('\n');
    s.line(&line);
}

/// strace -f's `[pid N] ` before the lines of every process but the first.
fn prefix(p: &Task, s: &Strace) -> String {
    if *s.first.get_or_init(|| p.tid) == p.tid {
        String::new()
    } else {
        format!("[pid {}] ", p.tid)
    }
}

/// A line of its own for the end of a task: `+++ exited with N +++` or
/// `+++ killed by SIGSEGV +++`.
pub fn exited(p: &Task, s: &Strace, st: ExitStatus) {
    let what = match st {
        ExitStatus::Exited(c) => format!("exited with {c}"),
        ExitStatus::Signaled(n) => format!("killed by {}", signame(n as u32)),
    };
    s.line(&format!("{}+++ {what} +++\n", prefix(p, s)));
}

/// `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`:
/// a signal taken from the queue to be delivered (to a handler, or to
/// its default action).
pub fn signal(p: &Task, s: &Strace, info: &Siginfo32) {
    let sig = info.signo as u32;
    let name = signame(sig);
    let u = &info.u;
    let mut t = format!(
        "{}--- {name} {{si_signo={name}, si_code={}",
        prefix(p, s),
        si_code(sig, info.code)
    );
    let fault_sig = matches!(
        sig,
        asig::SIGSEGV | asig::SIGBUS | asig::SIGILL | asig::SIGFPE | asig::SIGTRAP
    );
    // strace shows a fault signal's address for SI_KERNEL too.
    let layout = if fault_sig && info.code == asig::si::KERNEL {
        Layout::Fault
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
    s.line(&t);
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
        None => format!("SIGRT_{}", n.saturating_sub(32)),
    }
}

fn is_err(r: u32) -> bool {
    r >= (-4095i32) as u32
}

/// The result as strace prints it.
fn result(f: Fmt, r: u32) -> String {
    if is_err(r) && f != Fmt::Void {
        let e = r.wrapping_neg();
        return match errno::name(e) {
            Some(n) => format!("-1 {n} ({})", errno::message(e)),
            None => format!("-1 E{e} (Unknown error {e})"),
        };
    }
    match f {
        Fmt::Hex | Fmt::Ptr => ptr(r),
        Fmt::Uint => r.to_string(),
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

/// One argument formatted on entry; `next` is the following argument (the
/// length of a buffer).
fn arg(p: &Task, f: Fmt, v: u32, next: u32) -> String {
    match f {
        Fmt::Int => (v as i32).to_string(),
        Fmt::Uint => v.to_string(),
        Fmt::Hex => {
            if v == 0 {
                "0".into()
            } else {
                format!("{v:#x}")
            }
        }
        Fmt::Ptr => ptr(v),
        Fmt::Fd => (v as i32).to_string(),
        Fmt::Atfd => {
            if v == at::FDCWD {
                "AT_FDCWD".into()
            } else {
                (v as i32).to_string()
            }
        }
        Fmt::Str => string(p, v),
        Fmt::Buf => quoted(p, v, next.min(MAX_STR), next > MAX_STR),
        Fmt::Obuf => ptr(v),
        Fmt::Oct => format!("{v:#o}"),
        Fmt::Oflags => oflags(v),
        Fmt::Prot => flags(v, PROT, "PROT_NONE", "PROT_???"),
        Fmt::Mflags => mflags(v),
        Fmt::Pgoff => {
            let off = v as u64 * 4096;
            if off == 0 {
                "0".into()
            } else {
                format!("{off:#x}")
            }
        }
        Fmt::Void => String::new(),
    }
}

/// A NUL-terminated guest string, quoted and cut as strace does; the
/// pointer if it cannot be read.
fn string(p: &Task, a: u32) -> String {
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
        if bytes.len() as u32 == MAX_STR {
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

const OPEN: &[(u32, &str)] = &[
    (o::CREAT, "O_CREAT"),
    (o::EXCL, "O_EXCL"),
    (o::NOCTTY, "O_NOCTTY"),
    (o::TRUNC, "O_TRUNC"),
    (o::APPEND, "O_APPEND"),
    (o::NONBLOCK, "O_NONBLOCK"),
    (o::SYNC, "O_SYNC"),
    (o::DSYNC, "O_DSYNC"),
    (o::ASYNC, "O_ASYNC"),
    (o::DIRECT, "O_DIRECT"),
    (o::LARGEFILE, "O_LARGEFILE"),
    (o::TMPFILE, "O_TMPFILE"),
    (o::DIRECTORY, "O_DIRECTORY"),
    (o::NOFOLLOW, "O_NOFOLLOW"),
    (o::NOATIME, "O_NOATIME"),
    (o::CLOEXEC, "O_CLOEXEC"),
    (o::PATH, "O_PATH"),
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
        parts.push(format!("{left:#x} /* {unknown} */"));
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
