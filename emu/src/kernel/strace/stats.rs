//! `--stats`' per-syscall table, as `strace -c -f` prints it.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{is_err, shared_zeroed};
use crate::kernel::syscall::{Fmt, NAMES, RET};

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
