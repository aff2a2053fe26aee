//! Snapshot and replay: `cargo run --release --example snapshot --
//! PROGRAM [ARGS...]` runs the i386 program to the middle of its run (by
//! instruction count), takes a snapshot, runs it to the end, restores the
//! snapshot and runs the second half again, then checks that both second
//! halves wrote the same bytes to stdout, and prints how long the snapshot
//! and the restore took.
//!
//! The program's stdout is captured by a syscall-entry hook on write(1, ...)
//! (the call is skipped and its length returned), so the two halves can be
//! compared.
//!
//! Try it on the bundled guest, with 100 MB of touched memory:
//! `cargo run --release --example snapshot -- guest/lib/bin/replay
//! guest/lib/replay.c 100 100`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emu::machine::{Builder, ExitStatus, Hooks, Stop, SyscallFilter};

/// What [`replay`] measured.
pub struct Replay {
    /// Instructions of the whole run, and where the snapshot was taken.
    pub total: u64,
    /// See `total`.
    pub at: u64,
    /// stdout of the first run after the snapshot, and of the replay.
    pub first: Vec<u8>,
    /// See `first`.
    pub second: Vec<u8>,
    /// How the runs ended.
    pub status: (ExitStatus, ExitStatus),
    /// Time to take the snapshot and to restore it.
    pub snapshot_time: Duration,
    /// See `snapshot_time`.
    pub restore_time: Duration,
    /// Mapped guest memory and page contents held by the snapshot.
    pub mapped: u64,
    /// See `mapped`.
    pub stored: u64,
}

/// A machine for `argv` whose writes to fd 1 go to `out`.
fn build(
    argv: &[String],
    out: Arc<Mutex<Vec<u8>>>,
) -> Result<emu::Machine, Box<dyn std::error::Error>> {
    let hooks = Hooks::new()
        .filter(SyscallFilter::only(&[4]))
        .on_syscall_entry(move |c| {
            let [fd, buf, len, ..] = c.args();
            if fd != 1 {
                return;
            }
            let mut b = vec![0; len as usize];
            match c.read_mem(buf, &mut b) {
                Ok(()) => {
                    out.lock().unwrap().extend_from_slice(&b);
                    c.inject(len as i32);
                }
                Err(_) => c.inject(-14),
            }
        });
    Ok(Builder::from_path(&argv[0])
        .argv(argv)
        .hooks(hooks)
        .build()?)
}

/// Run `argv` once to count its instructions, then again to half of that,
/// snapshot, finish, restore, finish again.
pub fn replay(argv: &[String]) -> Result<Replay, Box<dyn std::error::Error>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut m = build(argv, out.clone())?;
    m.run_to_exit();
    let total = m.icount();
    let at = total / 2;
    out.lock().unwrap().clear();
    let mut m = build(argv, out.clone())?;
    if m.run_for(at) != Stop::Budget {
        return Err("the program ended before the middle of its first run".into());
    }
    let t = Instant::now();
    let snap = m.snapshot()?;
    let snapshot_time = t.elapsed();
    let before = out.lock().unwrap().len();
    let st1 = m.run_to_exit();
    let first = out.lock().unwrap().split_off(before);
    let t = Instant::now();
    m.restore(&snap)?;
    let restore_time = t.elapsed();
    let st2 = m.run_to_exit();
    let second = out.lock().unwrap().split_off(before);
    Ok(Replay {
        total,
        at,
        first,
        second,
        status: (st1, st2),
        snapshot_time,
        restore_time,
        mapped: snap.mapped_bytes(),
        stored: snap.stored_bytes(),
    })
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        eprintln!("usage: snapshot PROGRAM [ARGS...]");
        std::process::exit(2);
    }
    match replay(&argv) {
        Ok(r) => {
            println!("instructions: {} (snapshot at {})", r.total, r.at);
            println!(
                "snapshot: {:.3} ms, {} MiB mapped, {} MiB of non-zero pages held",
                r.snapshot_time.as_secs_f64() * 1e3,
                r.mapped >> 20,
                r.stored >> 20
            );
            println!("restore: {:.3} ms", r.restore_time.as_secs_f64() * 1e3);
            println!(
                "second half: {} bytes of output, ended {:?}; replayed: {} bytes, ended {:?}",
                r.first.len(),
                r.status.0,
                r.second.len(),
                r.status.1
            );
            if r.first == r.second && r.status.0 == r.status.1 {
                println!("replay identical");
            } else {
                println!("replay DIFFERS");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("snapshot: {e}");
            std::process::exit(1);
        }
    }
}
