//! Syscall round trip: getpid through `int $0x80`, through the vDSO's
//! `__kernel_vsyscall` (sysenter/sysexit), and a direct call of the Rust
//! handler through the table (the floor). Where the host runs i386 code,
//! the same guest loops run natively in a spawned process.
//!
//! The hook group runs the `int $0x80` loop with no hook, with a no-op
//! syscall-entry hook (called for every getpid), and with an entry hook
//! whose filter leaves getpid out (registered, never called).
//!
//! The emulated loops are the guest program `guest/syscall/bin/getpid_loop`
//! (`mov $20,%eax; int $0x80 | call *sysinfo; dec count; jnz`), so each
//! element is one round trip plus three guest loop instructions.

use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emu::kernel::hooks::{Hooks, SyscallFilter};
use emu::kernel::{syscall, Config, ExitStatus, SyscallEntry, Task};

const PROG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../guest/syscall/bin/getpid_loop"
);
const N: u64 = 200_000;
const SIG_PROG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../guest/syscall/bin/sig_loop");
const SIG_N: u64 = 50_000;

fn process(mode: &str, n: u64, entry: SyscallEntry) -> Task {
    load(PROG, &[mode, &n.to_string()], entry)
}

fn load(prog: &str, args: &[&str], entry: SyscallEntry) -> Task {
    let image = std::fs::read(prog).expect(prog);
    let name = prog.rsplit('/').next().unwrap().as_bytes();
    let mut argv = vec![name.to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    Task::new(&image, name, &argv, &[], entry).expect("load")
}

/// getpid_loop in mode `i` with `hooks` in its settings.
fn hooked(n: u64, hooks: impl Fn() -> Option<Hooks>) -> Task {
    let image = std::fs::read(PROG).expect(PROG);
    let argv = [
        b"getpid_loop".to_vec(),
        b"i".to_vec(),
        n.to_string().into_bytes(),
    ];
    let cfg = Config {
        hooks: hooks(),
        ..Config::default()
    };
    Task::from_image(&image, b"getpid_loop", &argv, &[], std::sync::Arc::new(cfg)).expect("load")
}

/// Total time of `iters` emulated runs of `mk()`'s task (load excluded).
fn timed_runs(iters: u64, mk: impl Fn() -> Task) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut p = mk();
        let t = Instant::now();
        assert_eq!(p.run(), ExitStatus::Exited(0));
        total += t.elapsed();
    }
    total
}

fn emulated(c: &mut Criterion) {
    let mut g = c.benchmark_group("syscall");
    g.throughput(Throughput::Elements(N));
    for (name, mode, entry) in [
        ("getpid_int80", "i", SyscallEntry::Sysenter),
        ("getpid_vdso_sysenter", "v", SyscallEntry::Sysenter),
        ("getpid_vdso_int80", "v", SyscallEntry::Int80),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| timed_runs(iters, || process(mode, N, entry)))
        });
    }
    // The floor: table dispatch plus the handler, no CPU transition.
    g.throughput(Throughput::Elements(1));
    g.bench_function("getpid_direct_call", |b| {
        let mut p = process("i", 1, SyscallEntry::Sysenter);
        b.iter(|| syscall::invoke(std::hint::black_box(&mut p), 20, [0; 6]))
    });
    g.finish();
    let mut g = c.benchmark_group("syscall_hooks");
    g.throughput(Throughput::Elements(N));
    g.bench_function("getpid_int80_no_hook", |b| {
        b.iter_custom(|iters| timed_runs(iters, || hooked(N, || None)))
    });
    g.bench_function("getpid_int80_noop_hook", |b| {
        b.iter_custom(|iters| {
            timed_runs(iters, || {
                hooked(N, || {
                    Some(Hooks::new().on_syscall_entry(|c| {
                        std::hint::black_box(c.nr());
                    }))
                })
            })
        })
    });
    g.bench_function("getpid_int80_filtered_out", |b| {
        b.iter_custom(|iters| {
            timed_runs(iters, || {
                hooked(N, || {
                    Some(
                        Hooks::new()
                            .filter(SyscallFilter::except(&[20]))
                            .on_syscall_entry(|c| {
                                std::hint::black_box(c.nr());
                            }),
                    )
                })
            })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("signal");
    g.throughput(Throughput::Elements(SIG_N));
    g.bench_function("kill_self_roundtrip", |b| {
        b.iter_custom(|iters| {
            timed_runs(iters, || {
                load(SIG_PROG, &[&SIG_N.to_string()], SyscallEntry::Sysenter)
            })
        })
    });
    g.finish();
}

fn native_available() -> bool {
    cfg!(target_arch = "x86_64")
        && Command::new(PROG)
            .args(["i", "1"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
}

/// Wall time of one native run (setarch -R is not needed here).
fn native_once(prog: &str, args: &[&str]) -> Duration {
    let t = Instant::now();
    let st = Command::new(prog).args(args).status().expect("spawn");
    assert!(st.success());
    t.elapsed()
}

/// `iters` native runs of `prog` with `n` as its last argument, each less a
/// run with 1 (process start-up).
fn native_loops(iters: u64, prog: &str, mode: &[&str], n: u64) -> Duration {
    let one = [mode, &["1"]].concat();
    let many_n = n.to_string();
    let many = [mode, &[many_n.as_str()]].concat();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let base = native_once(prog, &one);
        total += native_once(prog, &many).saturating_sub(base);
    }
    total
}

fn native(c: &mut Criterion) {
    if !native_available() {
        eprintln!("syscall bench: host cannot run i386 code; native loops skipped");
        return;
    }
    let mut g = c.benchmark_group("syscall_native");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    for (name, mode) in [("getpid_int80", "i"), ("getpid_vdso", "v")] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| native_loops(iters, PROG, &[mode], N))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("signal_native");
    g.throughput(Throughput::Elements(SIG_N));
    g.sample_size(10);
    g.bench_function("kill_self_roundtrip", |b| {
        b.iter_custom(|iters| native_loops(iters, SIG_PROG, &[], SIG_N))
    });
    g.finish();
}

criterion_group!(benches, emulated, native);
criterion_main!(benches);
