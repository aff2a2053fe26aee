//! Interpreter throughput: guest instructions per second on integer loops.
//!
//! The guest code is placed straight into guest memory (no ELF, no kernel),
//! so this measures the decode-once block interpreter alone.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emu::cpu::cache::BlockCache;
use emu::cpu::run::{run, Event};
use emu::cpu::{Cpu, ECX, ESP};
use emu::mem::{Mem, P_EXEC, P_READ, P_WRITE};

const CODE: u32 = 0x0804_8000;
const BUF: u32 = 0x1000_0000;

/// mov $BUF,%esi; xor %eax,%eax; xor %edx,%edx;
/// 1: mov (%esi,%edx,4),%ebx; add %ebx,%eax; xor %ecx,%eax; lea 1(%edx),%edx;
///    and $63,%edx; dec %ecx; jnz 1b; int $0x80
/// 7 instructions per iteration.
const LOOP: &[u8] = &[
    0xbe, 0x00, 0x00, 0x00, 0x10, 0x31, 0xc0, 0x31, 0xd2, 0x8b, 0x1c, 0x96, 0x01, 0xd8, 0x31, 0xc8,
    0x8d, 0x52, 0x01, 0x83, 0xe2, 0x3f, 0x49, 0x75, 0xf0, 0xcd, 0x80,
];
const LOOP_INSNS_PER_ITER: u64 = 7;

fn machine(code: &[u8]) -> (Cpu, BlockCache) {
    let mem = Arc::new(Mem::new().unwrap());
    mem.map_zero(CODE, 0x1000, P_READ | P_EXEC);
    mem.raw_mut(CODE, code.len() as u32).copy_from_slice(code);
    mem.map_zero(BUF, 0x1000, P_READ | P_WRITE);
    mem.map_zero(0x2000_0000, 0x1000, P_READ | P_WRITE);
    let mut cpu = Cpu::new(mem);
    cpu.regs[ESP] = 0x2000_1000;
    (cpu, BlockCache::default())
}

fn integer_loop(c: &mut Criterion) {
    const ITERS: u32 = 1_000_000;
    let (mut cpu, mut cache) = machine(LOOP);
    let mut g = c.benchmark_group("interp");
    g.throughput(Throughput::Elements(ITERS as u64 * LOOP_INSNS_PER_ITER));
    g.bench_function("integer_loop", |b| {
        b.iter(|| {
            cpu.eip = CODE;
            cpu.regs[ECX] = ITERS;
            assert_eq!(run(&mut cpu, &mut cache), Event::SoftInt(0x80, 2));
        })
    });
    g.finish();
}

criterion_group!(benches, integer_loop);
criterion_main!(benches);
