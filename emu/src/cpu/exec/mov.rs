//! Data movement: mov, movzx, movsx, lea, push, pop, xchg.

use iced_x86::{Instruction, Mnemonic};

use crate::by_size;
use crate::cpu::decode::{op_size, opnd, Opnd};
use crate::cpu::{Cpu, Handler, Inst};

fn mov_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.reg(SZ, i.rm);
    c.set_reg(SZ, i.r, v);
}

fn mov_ri<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    c.set_reg(SZ, i.r, i.imm);
}

fn mov_rm<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(v) = c.rd_sz(SZ, a) {
        c.set_reg(SZ, i.r, v);
    }
}

fn mov_mr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.reg(SZ, i.r);
    c.wr_sz(SZ, a, v);
}

fn mov_mi<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    c.wr_sz(SZ, a, i.imm);
}

/// Sign- or zero-extend a `SRC`-sized value.
#[inline(always)]
pub fn extend<const SIGNED: bool, const SRC: u8>(v: u32) -> u32 {
    match (SIGNED, SRC) {
        (true, 0) => v as u8 as i8 as i32 as u32,
        (true, _) => v as u16 as i16 as i32 as u32,
        (false, 0) => v & 0xff,
        (false, _) => v & 0xffff,
    }
}

/// movzx/movsx: `SRC` size of the source, `DST` size of the destination.
fn movx_r<const SIGNED: bool, const SRC: u8, const DST: u8>(c: &mut Cpu, i: &Inst) {
    let v = extend::<SIGNED, SRC>(c.reg(SRC, i.rm));
    c.set_reg(DST, i.r, v);
}

fn movx_m<const SIGNED: bool, const SRC: u8, const DST: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(v) = c.rd_sz(SRC, a) {
        c.set_reg(DST, i.r, extend::<SIGNED, SRC>(v));
    }
}

fn lea<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    // lea ignores the segment base.
    let off = c.regs[i.base as usize]
        .wrapping_add(c.regs[i.index as usize] << i.scale)
        .wrapping_add(i.disp);
    let off = if i.a16 != 0 { off & 0xffff } else { off };
    c.set_reg(SZ, i.r, off);
}

#[inline(always)]
fn push_sz<const SZ: u8>(c: &mut Cpu, v: u32) -> Option<()> {
    if SZ == 2 {
        c.push32(v)
    } else {
        c.push16(v)
    }
}

fn push_r<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.reg(SZ, i.r);
    push_sz::<SZ>(c, v);
}

fn push_i<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    push_sz::<SZ>(c, i.imm);
}

fn push_m<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(v) = c.rd_sz(SZ, a) {
        push_sz::<SZ>(c, v);
    }
}

fn pop_r<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = if SZ == 2 { c.pop32() } else { c.pop16() };
    if let Some(v) = v {
        c.set_reg(SZ, i.r, v);
    }
}

/// pop to memory: the address is computed after esp is incremented.
fn pop_m<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let sp = c.regs[crate::cpu::ESP];
    let v = if SZ == 2 { c.pop32() } else { c.pop16() };
    let Some(v) = v else { return };
    let a = c.ea(i);
    if c.wr_sz(SZ, a, v).is_none() {
        c.regs[crate::cpu::ESP] = sp;
    }
}

fn xchg_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let b = c.reg(SZ, i.rm);
    c.set_reg(SZ, i.r, b);
    c.set_reg(SZ, i.rm, a);
}

/// xchg with memory is always locked.
fn xchg_rm<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.reg(SZ, i.r);
    if let Some(old) = c.rmw::<SZ, true>(a, |_| v) {
        c.set_reg(SZ, i.r, old);
    }
}

fn nop(_: &mut Cpu, _: &Inst) {}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let h: Handler = match ins.mnemonic() {
        Mov => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            match (opnd(ins, 0, d), opnd(ins, 1, d)) {
                (Opnd::Reg(r, _), Opnd::Reg(s, _)) => {
                    d.r = r;
                    d.rm = s;
                    by_size!(sz, mov_rr)
                }
                (Opnd::Reg(r, _), Opnd::Imm(v)) => {
                    d.r = r;
                    d.imm = v;
                    by_size!(sz, mov_ri)
                }
                (Opnd::Reg(r, _), Opnd::Mem) => {
                    d.r = r;
                    by_size!(sz, mov_rm)
                }
                (Opnd::Mem, Opnd::Reg(s, _)) => {
                    d.r = s;
                    by_size!(sz, mov_mr)
                }
                (Opnd::Mem, Opnd::Imm(v)) => {
                    d.imm = v;
                    by_size!(sz, mov_mi)
                }
                _ => return false, // segment and control registers: misc
            }
        }
        Movzx | Movsx => {
            let signed = ins.mnemonic() == Movsx;
            let (Some(dst), Some(src)) = (op_size(ins, 0), op_size(ins, 1)) else {
                return false;
            };
            let Opnd::Reg(r, _) = opnd(ins, 0, d) else {
                return false;
            };
            d.r = r;
            let reg = match opnd(ins, 1, d) {
                Opnd::Reg(s, _) => {
                    d.rm = s;
                    true
                }
                Opnd::Mem => false,
                _ => return false,
            };
            macro_rules! pick {
                ($f:ident) => {
                    match (signed, src, dst) {
                        (false, 0, 1) => $f::<false, 0, 1>,
                        (false, 0, _) => $f::<false, 0, 2>,
                        (false, _, 1) => $f::<false, 1, 1>,
                        (false, _, _) => $f::<false, 1, 2>,
                        (true, 0, 1) => $f::<true, 0, 1>,
                        (true, 0, _) => $f::<true, 0, 2>,
                        (true, _, 1) => $f::<true, 1, 1>,
                        (true, _, _) => $f::<true, 1, 2>,
                    }
                };
            }
            if reg {
                pick!(movx_r)
            } else {
                pick!(movx_m)
            }
        }
        Lea => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return false;
            };
            if opnd(ins, 1, d) != Opnd::Mem {
                return false;
            }
            d.r = r;
            by_size!(sz, lea)
        }
        Push => {
            let sz = if ins.stack_pointer_increment() == -2 {
                1
            } else {
                2
            };
            match opnd(ins, 0, d) {
                Opnd::Reg(r, _) => {
                    d.r = r;
                    if sz == 2 {
                        push_r::<2>
                    } else {
                        push_r::<1>
                    }
                }
                Opnd::Imm(v) => {
                    d.imm = v;
                    if sz == 2 {
                        push_i::<2>
                    } else {
                        push_i::<1>
                    }
                }
                Opnd::Mem => {
                    if sz == 2 {
                        push_m::<2>
                    } else {
                        push_m::<1>
                    }
                }
                Opnd::Other => return false, // segment registers: misc
            }
        }
        Pop => {
            let sz = if ins.stack_pointer_increment() == 2 {
                1
            } else {
                2
            };
            match opnd(ins, 0, d) {
                Opnd::Reg(r, _) => {
                    d.r = r;
                    if sz == 2 {
                        pop_r::<2>
                    } else {
                        pop_r::<1>
                    }
                }
                Opnd::Mem => {
                    if sz == 2 {
                        pop_m::<2>
                    } else {
                        pop_m::<1>
                    }
                }
                _ => return false,
            }
        }
        Xchg => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            match (opnd(ins, 0, d), opnd(ins, 1, d)) {
                (Opnd::Reg(r, _), Opnd::Reg(s, _)) => {
                    d.r = r;
                    d.rm = s;
                    by_size!(sz, xchg_rr)
                }
                (Opnd::Reg(r, _), Opnd::Mem) | (Opnd::Mem, Opnd::Reg(r, _)) => {
                    d.r = r;
                    by_size!(sz, xchg_rm)
                }
                _ => return false,
            }
        }
        Nop => nop,
        _ => return false,
    };
    d.h = h;
    true
}
