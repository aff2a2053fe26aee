//! Part 3: random system calls with random arguments under emu.
//!
//! The runner (guest/fuzz/sys.c) forks a child per record and makes up to
//! 16 calls in it with int $0x80; a 200 ms timer (SIGALRM, default action)
//! ends a child blocked in one, the runner kills a child still there after
//! 20 s (a hang) and copies any line of emu's distress from the child's
//! stderr. Nothing is compared with native: emu passes when no child or
//! runner shows distress, exits 101, or hangs.
//!
//! Numbers are 0 to 469 (most), then past the table's end and random.
//! Arguments are biased: 0, -1, small integers and descriptors, valid
//! pointers into the child's 64 KiB scratch buffer (random bytes without
//! '/' or '.', one in eight NUL, so a path is a short relative name in the
//! temporary directory the runner works in), pointers near the scratch
//! end and the window end (0xffffe000 up), page-aligned addresses, huge
//! lengths, single flag bits, random words.
//!
//! Excluded (by name, numbers from kernel/syscalls.tbl), each with why:
//! see [`EXCLUDED`]. close/dup2/dup3/close_range never target descriptors
//! 0 to 2 (the child's stderr carries emu's distress lines). As root the
//! runner runs as nobody (support::sandbox), so nothing a call reaches
//! belongs to anyone else.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use super::support::{self, Rng};

const PART: u64 = 3;
pub const TIER: &str = "fuzz tier (random syscalls)";
const SCRATCH: u32 = 0x1000_0000;
const NCALLS: usize = 16;
const BATCH: usize = 50;

/// Never made, and why.
pub const EXCLUDED: &[(&str, &str)] = &[
    ("exit", "ends the child early"),
    ("exit_group", "ends the child early"),
    ("kill", "signals other processes"),
    ("tkill", "signals other threads"),
    ("tgkill", "signals other threads"),
    ("rt_sigqueueinfo", "signals other processes"),
    ("rt_tgsigqueueinfo", "signals other threads"),
    ("pidfd_send_signal", "signals other processes"),
    ("pidfd_open", "reaches other processes"),
    ("pidfd_getfd", "takes other processes' descriptors"),
    ("pause", "blocks until a signal"),
    ("fork", "a fork bomb: children outlive the timer"),
    ("vfork", "a fork bomb"),
    ("clone", "a fork bomb"),
    ("clone3", "a fork bomb"),
    ("execve", "replaces the runner's child with anything"),
    ("execveat", "replaces the runner's child with anything"),
    ("alarm", "disarms the child's timer"),
    ("setitimer", "disarms the child's timer"),
    ("signal", "could ignore the timer's SIGALRM"),
    ("sigaction", "could ignore the timer's SIGALRM"),
    ("rt_sigaction", "could ignore the timer's SIGALRM"),
    ("sigprocmask", "could block the timer's SIGALRM"),
    ("rt_sigprocmask", "could block the timer's SIGALRM"),
    ("sigsuspend", "waits for a signal"),
    ("rt_sigsuspend", "waits for a signal"),
    ("sigreturn", "jumps to a random frame, then anywhere"),
    ("rt_sigreturn", "jumps to a random frame, then anywhere"),
    ("setrlimit", "lifts the child's file size limit"),
    ("prlimit64", "other processes' limits"),
    ("setsid", "leaves the test's process group (cleanup)"),
    ("setpgid", "leaves the test's process group (cleanup)"),
    ("ptrace", "other processes"),
    ("process_vm_readv", "other processes' memory"),
    ("process_vm_writev", "other processes' memory"),
    ("kcmp", "other processes"),
    ("reboot", "the host"),
    ("mount", "the host"),
    ("umount", "the host"),
    ("umount2", "the host"),
    ("pivot_root", "the host"),
    ("chroot", "the host"),
    ("swapon", "the host"),
    ("swapoff", "the host"),
    ("sethostname", "the host"),
    ("setdomainname", "the host"),
    ("settimeofday", "the host clock"),
    ("stime", "the host clock"),
    ("adjtimex", "the host clock"),
    ("clock_settime", "the host clock"),
    ("clock_adjtime", "the host clock"),
    ("init_module", "the host kernel"),
    ("finit_module", "the host kernel"),
    ("delete_module", "the host kernel"),
    ("kexec_load", "the host kernel"),
    ("acct", "the host"),
    ("quotactl", "the host"),
    ("iopl", "hardware"),
    ("ioperm", "hardware"),
    ("vhangup", "the terminal"),
    ("syslog", "the host log"),
    ("sync", "host-wide I/O, slows others' measurements"),
    ("bpf", "the host kernel"),
    ("perf_event_open", "other processes"),
    ("fanotify_init", "watches the host's files"),
    ("fanotify_mark", "watches the host's files"),
    ("open_by_handle_at", "opens files outside the directory"),
    ("name_to_handle_at", "paired with open_by_handle_at"),
    ("uselib", "loads a library"),
    ("mknod", "device nodes"),
    ("mknodat", "device nodes"),
    ("unshare", "namespaces"),
    ("setns", "namespaces"),
    ("add_key", "the kernel keyrings"),
    ("request_key", "the kernel keyrings"),
    ("keyctl", "the kernel keyrings"),
    ("ipc", "System V objects outlive the run"),
    ("semget", "System V objects outlive the run"),
    ("semctl", "System V objects"),
    ("shmget", "System V objects outlive the run"),
    ("shmctl", "System V objects"),
    ("shmat", "System V objects"),
    ("shmdt", "System V objects"),
    ("msgget", "System V objects outlive the run"),
    ("msgctl", "System V objects"),
    ("msgsnd", "System V objects"),
    ("msgrcv", "System V objects"),
    ("semtimedop_time64", "System V objects"),
    ("mq_open", "POSIX queues outlive the run"),
    ("mq_unlink", "POSIX queues"),
    ("socketcall", "network traffic"),
    ("connect", "network traffic"),
    ("sendto", "network traffic"),
    ("sendmsg", "network traffic"),
    ("sendmmsg", "network traffic"),
    ("sched_setaffinity", "scheduling of other processes"),
    ("sched_setscheduler", "scheduling of other processes"),
    ("sched_setparam", "scheduling of other processes"),
    ("sched_setattr", "scheduling of other processes"),
    ("setpriority", "scheduling of other processes"),
    ("nice", "scheduling"),
    ("ioprio_set", "I/O scheduling of other processes"),
    ("migrate_pages", "other processes' memory"),
    ("move_pages", "other processes' memory"),
    ("fsopen", "mounts"),
    ("fsconfig", "mounts"),
    ("fsmount", "mounts"),
    ("fspick", "mounts"),
    ("move_mount", "mounts"),
    ("open_tree", "mounts"),
    ("open_tree_attr", "mounts"),
    ("mount_setattr", "mounts"),
    ("seccomp", "would confine emu itself on the host"),
];

/// name -> number from kernel/syscalls.tbl.
fn table() -> BTreeMap<String, u32> {
    let t = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/kernel/syscalls.tbl"
    ))
    .expect("syscalls.tbl");
    t.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let nr = f.next()?.parse().ok()?;
            Some((f.next()?.to_string(), nr))
        })
        .collect()
}

/// The excluded numbers (every excluded name must be in the table, so a
/// typo cannot let one through).
fn excluded_numbers() -> Vec<u32> {
    let t = table();
    EXCLUDED
        .iter()
        .map(|(n, _)| {
            *t.get(*n)
                .unwrap_or_else(|| panic!("excluded syscall {n} is not in syscalls.tbl"))
        })
        .collect()
}

fn arg(r: &mut Rng) -> u32 {
    match r.below(24) {
        0 | 1 => 0,
        2 => 0xffff_ffff,
        3 | 4 => r.below(8) as u32,
        5 => r.below(64) as u32,
        6..=10 => SCRATCH + (r.u32() & 0xfffc),
        11 => SCRATCH + r.below(0x1000) as u32,
        12 => SCRATCH + 0x1_0000 - r.below(64) as u32,
        13 => 0xffff_e000 + (r.u32() & 0x1fff),
        14 => *r.pick(&[0xffff_f000u32, 0xffff_fffc, 0xffff_ffff, 0xc000_0000]),
        15 => r.u32() & !0xfff,
        16 => *r.pick(&[
            0x7fff_ffffu32,
            0x8000_0000,
            0x7fff_f000,
            0x4000_0000,
            0x10_0000,
        ]),
        17 => 1 << r.below(32),
        18 => r.below(0x1000) as u32,
        19 => 3 + r.below(8) as u32,
        20 => (r.u32() & 0xfff) | 0x8000_0000,
        _ => r.u32(),
    }
}

/// Record `index` of `seed`: the scratch seed and the calls.
pub fn record(
    seed: u64,
    index: u64,
    excluded: &[u32],
    names: &BTreeMap<u32, String>,
) -> (Vec<u8>, Vec<String>) {
    let mut r = Rng::new(seed, PART, index);
    let mut v = Vec::new();
    let mut desc = Vec::new();
    v.extend_from_slice(&(r.u32() | 1).to_le_bytes());
    let n = 1 + r.below(NCALLS as u64) as u32;
    v.extend_from_slice(&n.to_le_bytes());
    for k in 0..NCALLS as u32 {
        let nr = loop {
            let nr = match r.below(50) {
                0 => 470 + r.below(64) as u32,
                1 => r.u32(),
                _ => r.below(470) as u32,
            };
            if !excluded.contains(&nr) {
                break nr;
            }
        };
        let mut a: [u32; 6] = std::array::from_fn(|_| arg(&mut r));
        match names.get(&nr).map(String::as_str) {
            Some("close") if a[0] <= 2 => a[0] += 3,
            Some("dup2" | "dup3") if a[1] <= 2 => a[1] += 3,
            Some("close_range") if a[0] <= 2 => a[0] += 3,
            _ => {}
        }
        v.extend_from_slice(&nr.to_le_bytes());
        for x in a {
            v.extend_from_slice(&x.to_le_bytes());
        }
        if k < n {
            desc.push(format!(
                "{}({})",
                names.get(&nr).cloned().unwrap_or_else(|| nr.to_string()),
                a.iter()
                    .map(|x| format!("{x:#x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    (v, desc)
}

pub struct Report {
    pub children: u64,
    pub calls: u64,
    /// How children ended: "exit 0", "signal N", "blocked (SIGALRM)".
    pub outcomes: BTreeMap<String, u64>,
    pub failures: Vec<String>,
}

pub fn run(runner: &Path, seed: u64, budget: &support::Budget) -> Report {
    let excluded = excluded_numbers();
    let names: BTreeMap<u32, String> = table().into_iter().map(|(k, v)| (v, k)).collect();
    let dir = support::scratch_dir("sys");
    let work = dir.join("cwd");
    std::fs::create_dir_all(&work).expect("cwd");
    let file = dir.join("calls.bin");
    let mut rep = Report {
        children: 0,
        calls: 0,
        outcomes: BTreeMap::new(),
        failures: Vec::new(),
    };
    if support::is_root() {
        let c = std::ffi::CString::new(work.as_os_str().as_encoded_bytes()).unwrap();
        unsafe { libc::chown(c.as_ptr(), 65534, 65534) };
    }
    let mut next = 0u64;
    while budget.more(next) && rep.failures.is_empty() {
        let n = budget.batch(next, BATCH as u64);
        let recs: Vec<(Vec<u8>, Vec<String>)> = (next..next + n)
            .map(|i| record(seed, i, &excluded, &names))
            .collect();
        let first = next;
        next += n;
        let data: Vec<u8> = recs.iter().flat_map(|r| r.0.iter().copied()).collect();
        std::fs::write(&file, &data).expect("write calls");
        let mut c = support::emu_cmd(runner, &[file.as_os_str()] as &[&OsStr]);
        c.current_dir(&work)
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        let e = support::run(c, Duration::from_secs(60 + 25 * BATCH as u64));
        let keep = || {
            let f = support::failure_dir().join(format!("sys-batch-{first}.bin"));
            let _ = std::fs::write(&f, &data);
            f
        };
        if let Some(f) = support::emu_failed(&e) {
            let k = keep();
            rep.failures.push(format!(
                "batch {first}..{next}: {f}\n    kept as {}\n{}",
                k.display(),
                support::tail(&e.stderr, 3000)
            ));
            break;
        }
        let mut done = false;
        let mut seen = 0;
        for l in e.stdout.lines() {
            if let Some(m) = l.strip_prefix("! ") {
                rep.failures.push(format!("emu distress in a child: {m}"));
                continue;
            }
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.first() == Some(&"done") {
                done = true;
                continue;
            }
            if f.len() != 5 {
                rep.failures.push(format!("bad runner line {l:?}"));
                continue;
            }
            let i: usize = f[0].parse().unwrap_or(usize::MAX);
            let Some((_, desc)) = recs.get(i) else {
                rep.failures.push(format!("bad runner line {l:?}"));
                continue;
            };
            seen += 1;
            rep.children += 1;
            // (The count lives in guest memory a random call may overwrite.)
            let ncalls = f[2].parse::<usize>().unwrap_or(0).min(desc.len());
            rep.calls += ncalls as u64;
            let last = desc
                .get(ncalls.wrapping_sub(1))
                .cloned()
                .unwrap_or_default();
            let status = f[1];
            let bad = match status {
                "H" => Some("hung (killed by the runner's watchdog)"),
                "x101" => Some("exit status 101 (a panic)"),
                _ if f[4] != "0" => Some("distress on its stderr"),
                _ => None,
            };
            if let Some(why) = bad {
                let k = keep();
                rep.failures.push(format!(
                    "child #{} (record {}, batch kept as {}): {why}; last call {last}\n    calls: {}",
                    first + i as u64,
                    i,
                    k.display(),
                    desc.join("; ")
                ));
                continue;
            }
            let o = match status {
                "x0" => "exit 0 (all calls made)".to_string(),
                "k14" => "SIGALRM (blocked in a call)".to_string(),
                s if s.starts_with('k') => format!("signal {}", &s[1..]),
                s => format!("exit {}", &s[1..]),
            };
            *rep.outcomes.entry(o).or_default() += 1;
        }
        if !done || seen != recs.len() {
            let k = keep();
            rep.failures.push(format!(
                "batch {first}..{next}: runner under emu ended early (status {}{}, {seen} of {} children reported; kept as {})\n{}",
                e.status,
                if e.timed_out { ", timed out" } else { "" },
                recs.len(),
                k.display(),
                support::tail(&e.stderr, 3000)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    rep
}
