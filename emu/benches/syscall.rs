//! Syscall round trip: getpid through `int $0x80`, through the vDSO's
//! `__kernel_vsyscall` (sysenter/sysexit), and a direct call of the Rust
//! handler through the table (the floor). Where the host runs i386 code,
//! the same guest loops run natively in a spawned process.
//!
//! The emulated loops are the guest program `guest/syscall/bin/getpid_loop`
//! (`mov $20,%eax; int $0x80 | call *sysinfo; dec count; jnz`), so each
//! element is one round trip plus three guest loop instructions.

use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emu::kernel::{syscall, ExitStatus, SyscallEntry, Task};

const PROG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../guest/syscall/bin/getpid_loop"
);
const N: u64 = 200_000;

fn process(mode: &str, n: u64, entry: SyscallEntry) -> Task {
    let image = std::fs::read(PROG).expect("guest/syscall/bin/getpid_loop");
    let argv = vec![
        b"getpid_loop".to_vec(),
        mode.as_bytes().to_vec(),
        n.to_string().into_bytes(),
    ];
    Task::new(&image, b"getpid_loop", &argv, &[], entry).expect("load")
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
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut p = process(mode, N, entry);
                    let t = Instant::now();
                    assert_eq!(p.run(), ExitStatus::Exited(0));
                    total += t.elapsed();
                }
                total
            })
        });
    }
    // The floor: table dispatch plus the handler, no CPU transition.
    g.throughput(Throughput::Elements(1));
    g.bench_function("getpid_direct_call", |b| {
        let mut p = process("i", 1, SyscallEntry::Sysenter);
        b.iter(|| syscall::invoke(std::hint::black_box(&mut p), 20, [0; 6]))
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

/// Wall time of one native run of the loop (setarch -R is not needed here).
fn native_once(mode: &str, n: u64) -> Duration {
    let t = Instant::now();
    let st = Command::new(PROG)
        .args([mode, &n.to_string()])
        .status()
        .expect("spawn");
    assert!(st.success());
    t.elapsed()
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
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Subtract process start-up: a run of one iteration.
                    let base = native_once(mode, 1);
                    total += native_once(mode, N).saturating_sub(base);
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, emulated, native);
criterion_main!(benches);
