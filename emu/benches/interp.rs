//! Interpreter throughput: guest instructions per second on loops, one per
//! instruction family (ALU, memory operands, push/pop and call/ret, string,
//! x87, SSE) plus a chain of short blocks (the block-transition path).
//!
//! The guest code is placed straight into guest memory (no ELF, no kernel),
//! so this measures the decode-once block interpreter alone. Each loop
//! counts down ecx and ends with `int $0x80`; a throughput element is one
//! guest instruction as `--stats` counts them (a `rep movs` is one).

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
    mem.write_raw(CODE, code);
    mem.map_zero(BUF, 0x1000, P_READ | P_WRITE);
    mem.map_zero(0x2000_0000, 0x1000, P_READ | P_WRITE);
    let mut cpu = Cpu::new(mem);
    cpu.regs[ESP] = 0x2000_1000;
    (cpu, BlockCache::default())
}

/// One family's loop: name, code, guest instructions per iteration.
struct Family {
    name: &'static str,
    code: &'static [u8],
    per_iter: u64,
    /// Loop iterations per measurement (fewer for the slow families).
    iters: u32,
}

const FAMILIES: &[Family] = &[
    // add, sub, and, or, xor, cmp, adc, shl, rol, inc, movzbl, imul; dec; jnz
    Family {
        name: "alu",
        code: &[
            0x01, 0xd8, 0x29, 0xd3, 0x25, 0xff, 0xff, 0xff, 0x7f, 0x09, 0xf2, 0x31, 0xc6, 0x39,
            0xda, 0x83, 0xd7, 0x03, 0xc1, 0xe6, 0x03, 0xc1, 0xc2, 0x05, 0x43, 0x0f, 0xb6, 0xe8,
            0x0f, 0xaf, 0xfd, 0x49, 0x75, 0xde, 0xcd, 0x80,
        ],
        per_iter: 14,
        iters: 1_000_000,
    },
    // mov $BUF,%esi; 1: mov (%esi); mov 8(%esi); mov to 16(%esi,%edi,4);
    // add 4(%esi); movzbl 3(%esi); mov %bl,64(%esi); addl $1,128(%esi);
    // mov moffs; lea 4(%edi); and $31,%edi; dec; jnz
    Family {
        name: "memory",
        code: &[
            0xbe, 0x00, 0x00, 0x00, 0x10, 0x8b, 0x06, 0x8b, 0x5e, 0x08, 0x89, 0x44, 0xbe, 0x10,
            0x03, 0x5e, 0x04, 0x0f, 0xb6, 0x56, 0x03, 0x88, 0x5e, 0x40, 0x83, 0x86, 0x80, 0x00,
            0x00, 0x00, 0x01, 0x8b, 0x2d, 0x20, 0x00, 0x00, 0x10, 0x8d, 0x7f, 0x04, 0x83, 0xe7,
            0x1f, 0x49, 0x75, 0xd7, 0xcd, 0x80,
        ],
        per_iter: 12,
        iters: 1_000_000,
    },
    // push %ecx; call f (push %ebp; mov %esp,%ebp; push %ebx; mov 8(%ebp),%eax;
    // add; pop %ebx; pop %ebp; ret); add $4,%esp; push %esi; pop %edi; dec; jnz
    Family {
        name: "stack_call",
        code: &[
            0xeb, 0x0c, 0x55, 0x89, 0xe5, 0x53, 0x8b, 0x45, 0x08, 0x01, 0xc3, 0x5b, 0x5d, 0xc3,
            0x51, 0xe8, 0xee, 0xff, 0xff, 0xff, 0x83, 0xc4, 0x04, 0x56, 0x5f, 0x49, 0x75, 0xf2,
            0xcd, 0x80,
        ],
        per_iter: 15,
        iters: 1_000_000,
    },
    // mov, mov, mov, mov $64,%ecx; rep movsl (256 bytes); mov; lodsl; stosl;
    // mov; dec; jnz
    Family {
        name: "string",
        code: &[
            0xfc, 0xbe, 0x00, 0x00, 0x00, 0x10, 0xbf, 0x00, 0x04, 0x00, 0x10, 0x89, 0xca, 0xb9,
            0x40, 0x00, 0x00, 0x00, 0xf3, 0xa5, 0xbe, 0x00, 0x00, 0x00, 0x10, 0xad, 0xab, 0x89,
            0xd1, 0x49, 0x75, 0xe1, 0xcd, 0x80,
        ],
        per_iter: 11,
        iters: 1_000_000,
    },
    // fadd %st(1); fld %st; fmul %st(2); fstpl 8(%esi); fldl 8(%esi); fabs;
    // fstp %st(0); dec; jnz (fsqrt here took 63% of the time: x87's square
    // root is a bit-by-bit soft-float loop)
    Family {
        name: "x87",
        code: &[
            0xbe, 0x00, 0x00, 0x00, 0x10, 0xd9, 0xe8, 0xd9, 0xee, 0xd8, 0xc1, 0xd9, 0xc0, 0xd8,
            0xca, 0xdd, 0x5e, 0x08, 0xdd, 0x46, 0x08, 0xd9, 0xe1, 0xdd, 0xd8, 0x49, 0x75, 0xed,
            0xdd, 0xd8, 0xdd, 0xd8, 0xcd, 0x80,
        ],
        per_iter: 9,
        iters: 100_000,
    },
    // addps; mulps; movaps store; paddd; pxor; cvtsi2sd; addsd; dec; jnz
    Family {
        name: "sse",
        code: &[
            0xbe, 0x00, 0x00, 0x00, 0x10, 0x0f, 0x57, 0xc0, 0x0f, 0x28, 0x0e, 0x0f, 0x58, 0xc1,
            0x0f, 0x59, 0xc8, 0x0f, 0x29, 0x4e, 0x10, 0x66, 0x0f, 0xfe, 0xd0, 0x66, 0x0f, 0xef,
            0xca, 0xf2, 0x0f, 0x2a, 0xd9, 0xf2, 0x0f, 0x58, 0xe3, 0x49, 0x75, 0xe3, 0xcd, 0x80,
        ],
        per_iter: 9,
        iters: 1_000_000,
    },
    // Five two-instruction blocks per iteration: inc; jmp | cmp; je (not
    // taken) | xor; jmp | mov; jmp | dec; jnz
    Family {
        name: "block_chain",
        code: &[
            0x40, 0xeb, 0x00, 0x83, 0xf8, 0xff, 0x74, 0x0b, 0x31, 0xd2, 0xeb, 0x00, 0x89, 0xc3,
            0xeb, 0x00, 0x49, 0x75, 0xed, 0xcd, 0x80,
        ],
        per_iter: 10,
        iters: 1_000_000,
    },
];

/// Run `code` from its start with ecx = `iters` until its `int $0x80`.
fn bench_loop(c: &mut Criterion, name: &str, code: &[u8], per_iter: u64, iters: u32) {
    let (mut cpu, mut cache) = machine(code);
    let mut g = c.benchmark_group("interp");
    g.throughput(Throughput::Elements(iters as u64 * per_iter));
    g.bench_function(name, |b| {
        b.iter(|| {
            cpu.eip = CODE;
            cpu.regs[ECX] = iters;
            let len = code.len() as u32;
            assert_eq!(run(&mut cpu, &mut cache), Event::SoftInt(0x80, 2));
            assert_eq!(cpu.eip, CODE + len, "{name} ended early");
        })
    });
    g.finish();
}

fn integer_loop(c: &mut Criterion) {
    bench_loop(c, "integer_loop", LOOP, LOOP_INSNS_PER_ITER, 1_000_000);
}

fn families(c: &mut Criterion) {
    for f in FAMILIES {
        bench_loop(c, f.name, f.code, f.per_iter, f.iters);
    }
}

criterion_group!(benches, integer_loop, families);
criterion_main!(benches);
