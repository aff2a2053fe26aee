//! `--strace` against native `strace -f` on the same static glibc
//! programs (guest/sys), after removing what differs by nature: strace's
//! own execve line and its note about 32-bit mode, pids, and the contents
//! of getrandom's buffer.
//!
//! Lines are compared whole, except for the calls emu does not decode as
//! strace does yet, listed in [`PARTIAL`]: for those, the name and the
//! result must still agree. A line's result is everything after the ` = `
//! at column 40.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Calls whose arguments include a struct strace decodes and emu prints as
/// a pointer (or, for getrandom, random bytes): compared by name and
/// result only.
const PARTIAL: &[&str] = &[
    "set_thread_area",
    "ugetrlimit",
    "prlimit64",
    "rt_sigaction",
    "rt_sigprocmask",
    "statx",
    "fstat64",
    "ioctl",
    "getrandom",
    "modify_ldt",
    "mmap",
    "sigaltstack",
];

/// Calls emu answers differently on purpose: rseq is ENOSYS (glibc then
/// does without it), where the native kernel registers the area.
const DIFFERENT: &[&str] = &["rseq"];

const TIER: &str = "strace tier";

fn prog(name: &str) -> Option<PathBuf> {
    let dir = common::guest_dir().join("sys");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-strace");
    let p = common::build_static_c(
        &dir.join(format!("{name}.c")),
        &[dir.join("common.h")],
        &out.join(name),
        &["-O1", "-fno-stack-protector"],
    );
    if p.is_none() {
        common::skip(TIER, "gcc -m32 -static cannot build the guest programs");
    }
    p
}

fn native_strace(prog: &PathBuf) -> Option<String> {
    if let Err(e) = common::setarch_ok() {
        common::skip(TIER, &e);
        return None;
    }
    // To stderr, as emu's --strace: `-o FILE` would prefix every line with
    // its pid.
    let mut c = Command::new("setarch");
    c.args(["i686", "-R", "strace", "-f"]).arg(prog);
    let r = common::run(c);
    if !r.stderr.starts_with("execve(") {
        common::skip(TIER, &format!("strace -f did not run: {}", r.stderr.trim()));
        return None;
    }
    Some(r.stderr)
}

fn emu_strace(prog: &PathBuf) -> String {
    // To stderr like native strace (a --strace-file takes a descriptor of
    // its own, which shifts the guest's).
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("--strace").arg(prog);
    let r = common::run(c);
    assert_eq!(r.status, 0, "emu failed: {}", r.stderr);
    r.stderr
}

/// The lines to compare: strace's own execve and 32-bit notes dropped,
/// `[pid N]` and set_tid_address's result (a pid) masked.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.starts_with("execve(") && !l.starts_with("[ Process PID="))
        .map(|l| {
            let l = match l.strip_prefix("[pid ") {
                Some(rest) => rest.split_once("] ").map_or(l, |(_, t)| t),
                None => l,
            };
            if l.starts_with("set_tid_address(") {
                let (head, _) = l.rsplit_once(" = ").unwrap_or((l, ""));
                return format!("{head} = PID");
            }
            l.to_string()
        })
        .collect()
}

fn name(l: &str) -> &str {
    l.split('(').next().unwrap_or(l)
}

fn result(l: &str) -> &str {
    l.rsplit_once(" = ").map_or("", |(_, r)| r)
}

fn compare(prog_name: &str) {
    let Some(p) = prog(prog_name) else { return };
    let Some(native) = native_strace(&p) else {
        return;
    };
    let (n, e) = (lines(&native), lines(&emu_strace(&p)));
    let mut diffs = Vec::new();
    for (k, (a, b)) in n.iter().zip(&e).enumerate() {
        let nm = name(a);
        let ok = if DIFFERENT.contains(&nm) {
            name(b) == nm
        } else if PARTIAL.contains(&nm) {
            // The value, without strace's decoded details after it.
            let first = |l| result(l).split(' ').next().unwrap_or("");
            name(b) == nm && first(a) == first(b)
        } else {
            a == b
        };
        if !ok {
            diffs.push(format!("line {}:\n  native: {a}\n  emu:    {b}", k + 1));
        }
    }
    if n.len() != e.len() {
        diffs.push(format!("{} native lines, {} emu lines", n.len(), e.len()));
    }
    assert!(
        diffs.is_empty(),
        "{prog_name}: --strace differs from strace -f:\n{}\n\nnative:\n{native}\nemu:\n{}",
        diffs.join("\n"),
        e.join("\n")
    );
}

/// glibc's startup, a printf and exit_group.
#[test]
fn strace_of_hello() {
    compare("hello");
}

/// Memory-management calls with flags and failures (errno names and
/// messages).
#[test]
fn strace_of_mmap_calls() {
    compare("mmap");
}

/// Faults caught by a handler: `--- SIGSEGV {...} ---` and `--- SIGBUS
/// {...} ---` lines with their codes and addresses.
#[test]
fn strace_of_signals() {
    compare("wrap4g");
}

/// The syscall rows of a `strace -c` table (its 32-bit section natively):
/// name -> (calls, errors).
fn counts(table: &str) -> std::collections::BTreeMap<String, (u64, u64)> {
    let t = table
        .rsplit_once("System call usage summary for 32 bit mode:")
        .map_or(table, |(_, t)| t);
    let mut m = std::collections::BTreeMap::new();
    for l in t.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        // "% time seconds usecs/call calls [errors] name"
        if f.len() < 5 || f[0].parse::<f64>().is_err() || f.last() == Some(&"total") {
            continue;
        }
        let name = f[f.len() - 1].to_string();
        let calls = f[3].parse().unwrap_or(0);
        let errors = if f.len() == 6 {
            f[4].parse().unwrap_or(0)
        } else {
            0
        };
        m.insert(name, (calls, errors));
    }
    m
}

/// `--stats`' syscall table counts the calls and errors `strace -c` counts
/// (rseq fails under emu by design, so its error count is left out).
#[test]
fn stats_table_counts_as_strace_c() {
    let Some(p) = prog("hello") else { return };
    if let Err(e) = common::setarch_ok() {
        return common::skip(TIER, &e);
    }
    let mut c = Command::new("setarch");
    c.args(["i686", "-R", "strace", "-c", "-f"]).arg(&p);
    let native = common::run(c).stderr;
    if !native.contains("% time") {
        return common::skip(TIER, &format!("strace -c did not run: {native}"));
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("--stats").arg(&p);
    let r = common::run(c);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let (mut n, mut e) = (counts(&native), counts(&r.stderr));
    for m in [&mut n, &mut e] {
        if let Some(v) = m.get_mut("rseq") {
            v.1 = 0;
        }
    }
    assert!(!e.is_empty(), "no table in --stats output:\n{}", r.stderr);
    assert_eq!(
        n, e,
        "native strace -c:\n{native}\nemu --stats:\n{}",
        r.stderr
    );
}
