//! jmp, jcc, call, ret, loop*, jcxz/jecxz, int n, int3, into, int1, ud2,
//! sysenter. Every handler here ends a block and sets `eip` itself.

use iced_x86::{ConditionCode, Instruction, Mnemonic, OpKind};

use crate::cpu::decode::{opnd, Opnd};
use crate::cpu::{exit, vec, Cpu, Handler, Inst, ECX};

/// Condition code nibble (0 = o .. 15 = g) of a jcc/setcc/cmovcc/fcmov.
pub fn cc_of(ins: &Instruction) -> Option<u8> {
    match ins.condition_code() {
        ConditionCode::None => None,
        c => Some(c as u8 - 1),
    }
}

fn jmp(c: &mut Cpu, i: &Inst) {
    c.eip = i.imm2;
}

fn jcc<const CC: u8>(c: &mut Cpu, i: &Inst) {
    c.eip = if c.flags.cond(CC) { i.imm2 } else { i.next() };
}

/// `OPSZ` 2 = 32-bit, 1 = 16-bit operand size.
fn jmp_r<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    c.eip = c.reg(OPSZ, i.r);
}

fn jmp_m<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(t) = c.rd_sz(OPSZ, a) {
        c.eip = t;
    }
}

#[inline(always)]
fn push_ret<const OPSZ: u8>(c: &mut Cpu, ret: u32) -> Option<()> {
    if OPSZ == 2 {
        c.push32(ret)
    } else {
        c.push16(ret)
    }
}

fn call<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = i.imm2;
    }
}

fn call_r<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let t = c.reg(OPSZ, i.r);
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = t;
    }
}

fn call_m<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let Some(t) = c.rd_sz(OPSZ, a) else { return };
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = t;
    }
}

/// ret / ret imm16 (`i.imm` bytes released after the pop).
fn ret<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let t = if OPSZ == 2 { c.pop32() } else { c.pop16() };
    if let Some(t) = t {
        c.regs[crate::cpu::ESP] = c.regs[crate::cpu::ESP].wrapping_add(i.imm);
        c.eip = t;
    }
}

/// loop/loope/loopne (`KIND` 0/1/2); `A16` counts in CX instead of ECX.
fn loop_<const KIND: u8, const A16: bool>(c: &mut Cpu, i: &Inst) {
    let n = if A16 {
        let n = c.regs[ECX].wrapping_sub(1) & 0xffff;
        c.set_r16(ECX as u8, n);
        n
    } else {
        c.regs[ECX] = c.regs[ECX].wrapping_sub(1);
        c.regs[ECX]
    };
    let take = n != 0
        && match KIND {
            1 => c.flags.zf(),
            2 => !c.flags.zf(),
            _ => true,
        };
    c.eip = if take { i.imm2 } else { i.next() };
}

fn jcxz<const A16: bool>(c: &mut Cpu, i: &Inst) {
    let n = if A16 {
        c.regs[ECX] & 0xffff
    } else {
        c.regs[ECX]
    };
    c.eip = if n == 0 { i.imm2 } else { i.next() };
}

/// `int n`, int3, int1: a software interrupt delivered after the instruction.
fn int_n(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::INT;
    c.exc = crate::cpu::Exception {
        vector: i.imm as u8,
        error_code: None,
        cr2: 0,
    };
}

/// `int1` (icebp, F1): a #DB trap that is not subject to the gate DPL check.
fn icebp(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::TRAP;
    c.exc = crate::cpu::Exception { vector: vec::DB, error_code: None, cr2: 0 };
}

fn into(c: &mut Cpu, i: &Inst) {
    if c.flags.of() {
        int_n(c, i);
    } else {
        c.eip = i.next();
    }
}

fn sysenter(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::SYSENTER;
}

fn ud(c: &mut Cpu, _: &Inst) {
    c.raise(vec::UD, None);
}

fn jcc_handler(cc: u8) -> Handler {
    macro_rules! t {
        ($($n:literal)*) => { match cc { $($n => jcc::<$n>,)* _ => unreachable!() } };
    }
    t!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let opsz: u8 = if ins.op_count() > 0 && matches!(ins.op_kind(0), OpKind::NearBranch16) {
        1
    } else {
        2
    };
    let near = matches!(ins.op_kind(0), OpKind::NearBranch16 | OpKind::NearBranch32);
    // Counter register of loop/jcxz: CX when the address size is 16.
    let a16 = format!("{:?}", ins.code()).ends_with("_CX");
    d.h = match ins.mnemonic() {
        Jmp if near => {
            d.imm2 = ins.near_branch_target() as u32;
            jmp
        }
        Call if near => {
            d.imm2 = ins.near_branch_target() as u32;
            if opsz == 2 {
                call::<2>
            } else {
                call::<1>
            }
        }
        Jmp | Call => {
            let call = ins.mnemonic() == Call;
            match opnd(ins, 0, d) {
                Opnd::Reg(r, sz @ 1..=2) => {
                    d.r = r;
                    match (call, sz) {
                        (false, 2) => jmp_r::<2>,
                        (false, _) => jmp_r::<1>,
                        (true, 2) => call_r::<2>,
                        (true, _) => call_r::<1>,
                    }
                }
                Opnd::Mem => match (call, ins.memory_size().size()) {
                    (false, 4) => jmp_m::<2>,
                    (false, 2) => jmp_m::<1>,
                    (true, 4) => call_m::<2>,
                    (true, 2) => call_m::<1>,
                    _ => return false, // far forms
                },
                _ => return false,
            }
        }
        Ret => {
            d.imm = if ins.op_count() > 0 {
                ins.immediate(0) as u32
            } else {
                0
            };
            // `retw` pops 16 bits: iced marks it with a 16-bit stack slot.
            if format!("{:?}", ins.code()).starts_with("Retnw") {
                ret::<1>
            } else {
                ret::<2>
            }
        }
        _ if ins.is_jcc_short_or_near() => {
            d.imm2 = ins.near_branch_target() as u32;
            jcc_handler(cc_of(ins).unwrap())
        }
        Loop | Loope | Loopne => {
            d.imm2 = ins.near_branch_target() as u32;
            match (ins.mnemonic(), a16) {
                (Loop, false) => loop_::<0, false>,
                (Loope, false) => loop_::<1, false>,
                (Loopne, false) => loop_::<2, false>,
                (Loop, true) => loop_::<0, true>,
                (Loope, true) => loop_::<1, true>,
                _ => loop_::<2, true>,
            }
        }
        Jecxz => {
            d.imm2 = ins.near_branch_target() as u32;
            jcxz::<false>
        }
        Jcxz => {
            d.imm2 = ins.near_branch_target() as u32;
            jcxz::<true>
        }
        Int => {
            d.imm = ins.immediate(0) as u32;
            int_n
        }
        Int3 => {
            d.imm = vec::BP as u32;
            int_n
        }
        Int1 => icebp,
        Into => {
            d.imm = vec::OF as u32;
            into
        }
        Sysenter => sysenter,
        Ud0 | Ud1 | Ud2 => ud,
        _ => return false,
    };
    true
}
