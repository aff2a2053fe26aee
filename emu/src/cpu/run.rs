//! The block run loop: look up (or translate) the block at eip, run it,
//! and leave for the kernel side when an instruction asks to.

use std::sync::atomic::Ordering::Relaxed;

use super::cache::{Block, BlockCache};
use super::{exit, Cpu, Exception, Inst};

/// Why [`run`] returned to the kernel side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Exception or fault; `cpu.eip` is the faulting instruction (or, for
    /// #DB single-step, the next one).
    Exception(Exception),
    /// `int n` (including int3 and into); `cpu.eip` is after the instruction.
    /// Vector and instruction length.
    SoftInt(u8, u8),
    /// `sysenter`; `cpu.eip` is after the instruction.
    Sysenter,
    /// A store hit pages holding translated code (`cpu.smc_page..=smc_last`);
    /// `cpu.eip` is the next instruction. The kernel side drops the blocks
    /// there, in this thread's cache and in the others'.
    CodeWritten,
    /// Another thread raised `cpu.irq` (an interrupt request): checked
    /// between blocks, so `cpu.eip` is at a block boundary.
    Irq,
}

/// Execute one block. On an early exit, fixes up `eip` and the instruction count.
#[inline(always)]
fn exec_block(cpu: &mut Cpu, b: &Block) {
    let insts = &b.insts;
    cpu.icount += insts.len() as u64;
    for (k, i) in insts.iter().enumerate() {
        (i.h)(cpu, i);
        if cpu.exit != exit::NONE {
            early_exit(cpu, insts, k);
            return;
        }
    }
}

#[cold]
#[inline(never)]
fn early_exit(cpu: &mut Cpu, insts: &[Inst], k: usize) {
    let last = k + 1 == insts.len();
    let i = &insts[k];
    match cpu.exit {
        exit::EXC => {
            cpu.eip = i.eip;
            cpu.icount -= (insts.len() - k) as u64;
        }
        _ => {
            // The instruction completed. Terminators set eip themselves.
            if !last {
                cpu.eip = i.next();
            }
            cpu.icount -= (insts.len() - k - 1) as u64;
        }
    }
}

/// Run guest code until something needs the kernel side.
pub fn run(cpu: &mut Cpu, cache: &mut BlockCache) -> Event {
    loop {
        if cpu.flags.bits & super::flags::TF != 0 {
            if let Some(ev) = step(cpu, cache) {
                return ev;
            }
            continue;
        }
        if cpu.irq.load(Relaxed) != 0 {
            return Event::Irq;
        }
        let b = cache.get(cpu);
        cache.executed += 1;
        // SAFETY: blocks are only freed by invalidation, which happens below
        // (outside exec_block), so `b` is alive while it runs.
        exec_block(cpu, unsafe { &*b });
        if cpu.exit != exit::NONE {
            if let Some(ev) = take_exit(cpu, cache) {
                return ev;
            }
        }
    }
}

#[cold]
fn take_exit(cpu: &mut Cpu, cache: &mut BlockCache) -> Option<Event> {
    let e = cpu.exit;
    cpu.exit = exit::NONE;
    match e {
        exit::SMC => {
            cache.invalidate_smc(cpu);
            Some(Event::CodeWritten)
        }
        exit::EXC => Some(Event::Exception(cpu.exc)),
        exit::INT => Some(Event::SoftInt(cpu.exc.vector, cpu.exc.cr2 as u8)),
        exit::TRAP => Some(Event::Exception(cpu.exc)),
        _ => Some(Event::Sysenter),
    }
}

/// Single-step one instruction with TF set, then deliver #DB.
#[cold]
fn step(cpu: &mut Cpu, cache: &mut BlockCache) -> Option<Event> {
    let b = unsafe { &*cache.get(cpu) };
    let i = &b.insts[0];
    cpu.icount += 1;
    (i.h)(cpu, i);
    if cpu.exit != exit::NONE {
        if cpu.exit == exit::SMC {
            if b.insts.len() > 1 {
                cpu.eip = i.next();
            }
            cpu.exit = exit::NONE;
            // (Other threads' caches are not told about a store made while
            // single-stepping: #DB comes first.)
            cache.invalidate_smc(cpu);
        } else {
            if cpu.exit == exit::EXC {
                cpu.eip = i.eip;
                cpu.icount -= 1;
            }
            return take_exit(cpu, cache);
        }
    } else if b.insts.len() > 1 {
        cpu.eip = i.next();
    }
    Some(Event::Exception(Exception {
        vector: super::vec::DB,
        error_code: None,
        cr2: 0,
    }))
}
