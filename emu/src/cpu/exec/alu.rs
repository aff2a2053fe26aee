//! add, or, adc, sbb, and, sub, xor, cmp, test, inc, dec, neg, not.

use iced_x86::{Instruction, Mnemonic};

use crate::cpu::decode::{op_size, opnd, Opnd};
use crate::cpu::flags::{kind, Flags};
use crate::cpu::{Cpu, Handler, Inst};
use crate::{by_form, by_size};

pub const ADD: u8 = 0;
pub const OR: u8 = 1;
pub const ADC: u8 = 2;
pub const SBB: u8 = 3;
pub const AND: u8 = 4;
pub const SUB: u8 = 5;
pub const XOR: u8 = 6;
pub const CMP: u8 = 7;
pub const TEST: u8 = 8;

/// Pure semantics of the two-operand ALU ops on size-masked operands.
/// Returns the (unmasked) result and records the flags lazily.
#[inline(always)]
pub fn alu<const OP: u8, const SZ: u8>(f: &mut Flags, a: u32, b: u32) -> u32 {
    match OP {
        ADD => {
            let r = a.wrapping_add(b);
            f.set(kind::ADD | SZ, r, a, b);
            r
        }
        ADC => {
            let c = f.cf() as u32;
            let r = a.wrapping_add(b).wrapping_add(c);
            f.set(kind::ADC | SZ, r, a, b);
            f.aux = c;
            r
        }
        SUB | CMP => {
            let r = a.wrapping_sub(b);
            f.set(kind::SUB | SZ, r, a, b);
            r
        }
        SBB => {
            let c = f.cf() as u32;
            let r = a.wrapping_sub(b).wrapping_sub(c);
            f.set(kind::SBB | SZ, r, a, b);
            f.aux = c;
            r
        }
        AND | TEST => {
            let r = a & b;
            f.set_logic(kind::LOGIC | SZ, r);
            r
        }
        OR => {
            let r = a | b;
            f.set_logic(kind::LOGIC | SZ, r);
            r
        }
        _ => {
            let r = a ^ b;
            f.set_logic(kind::LOGIC | SZ, r);
            r
        }
    }
}

const fn writes(op: u8) -> bool {
    op != CMP && op != TEST
}

pub(crate) fn rr<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let (a, b) = (c.reg(SZ, i.r), c.reg(SZ, i.rm));
    let r = alu::<OP, SZ>(&mut c.flags, a, b);
    if writes(OP) {
        c.set_reg(SZ, i.r, r);
    }
}

/// `sbb r, r` with the same register: 0 or -1 from the carry, the idiom
/// that turns a condition into a mask. python3.11 runs `neg; sbb r8, r8`
/// 1.1 million times in 100,000 iterations of a loop, where the generic
/// carry of a neg went through the per-kind jump table (about 70 host
/// instructions the pair's second half). The flags are sbb's.
#[inline(always)]
pub(crate) fn sbb_same<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let cin = c.flags.carry_in_after_neg() as u32;
    let r = 0u32.wrapping_sub(cin);
    c.flags.set(kind::SBB | SZ, r, a, a);
    c.flags.aux = cin;
    c.set_reg(SZ, i.r, r);
}

pub(crate) fn ri<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let r = alu::<OP, SZ>(&mut c.flags, a, i.imm);
    if writes(OP) {
        c.set_reg(SZ, i.r, r);
    }
}

/// The result of a two-operand op that does not read CF, without its
/// flags.
#[inline(always)]
fn value<const OP: u8>(a: u32, b: u32) -> u32 {
    const { assert!(OP != ADC && OP != SBB) };
    match OP {
        ADD => a.wrapping_add(b),
        SUB | CMP => a.wrapping_sub(b),
        AND | TEST => a & b,
        OR => a | b,
        _ => a ^ b,
    }
}

/// [`rr`] where every flag it writes is dead (see `cpu::live`): the
/// result alone.
pub(crate) fn rr_quiet<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let r = value::<OP>(c.reg(SZ, i.r), c.reg(SZ, i.rm));
    if writes(OP) {
        c.set_reg(SZ, i.r, r);
    }
}

/// [`ri`] where every flag it writes is dead.
pub(crate) fn ri_quiet<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let r = value::<OP>(c.reg(SZ, i.r), i.imm);
    if writes(OP) {
        c.set_reg(SZ, i.r, r);
    }
}

#[inline(always)]
pub(crate) fn rm<const OP: u8, const AM: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea_am::<AM>(i);
    let Some(b) = c.rd_sz(SZ, a) else { return };
    let a = c.reg(SZ, i.r);
    let r = alu::<OP, SZ>(&mut c.flags, a, b);
    if writes(OP) {
        c.set_reg(SZ, i.r, r);
    }
}

/// Memory destination, source register (`SRC_IMM` false) or immediate.
#[inline(always)]
pub(crate) fn m<const OP: u8, const SRC_IMM: bool, const LOCK: bool, const AM: u8, const SZ: u8>(
    c: &mut Cpu,
    i: &Inst,
) {
    let a = c.ea_am::<AM>(i);
    let b = if SRC_IMM { i.imm } else { c.reg(SZ, i.r) };
    if !writes(OP) {
        let Some(v) = c.rd_sz(SZ, a) else { return };
        alu::<OP, SZ>(&mut c.flags, v, b);
        return;
    }
    if !LOCK {
        // Read, compute on a copy of the flags, write; commit the flags
        // only once the write has succeeded.
        let Some(old) = c.rd_sz(SZ, a) else { return };
        let mut f = c.flags;
        let r = alu::<OP, SZ>(&mut f, old, b);
        if c.wr_sz(SZ, a, r).is_some() {
            c.flags = f;
        }
        return;
    }
    let fl = c.flags;
    let Some(old) = c.rmw::<SZ, LOCK>(a, |o| {
        let mut f = fl;
        alu::<OP, SZ>(&mut f, o, b)
    }) else {
        return;
    };
    alu::<OP, SZ>(&mut c.flags, old, b);
}

/// Pure semantics of the one-operand ops.
#[inline(always)]
pub fn unary<const OP: u8, const SZ: u8>(f: &mut Flags, a: u32) -> u32 {
    match OP {
        U_INC => {
            f.aux = f.carry_in() as u32;
            let r = a.wrapping_add(1);
            f.set(kind::INC | SZ, r, a, 1);
            r
        }
        U_DEC => {
            f.aux = f.carry_in() as u32;
            let r = a.wrapping_sub(1);
            f.set(kind::DEC | SZ, r, a, 1);
            r
        }
        U_NEG => {
            let r = 0u32.wrapping_sub(a);
            f.set(kind::NEG | SZ, r, a, 0);
            r
        }
        _ => !a,
    }
}

pub const U_INC: u8 = 0;
pub const U_DEC: u8 = 1;
pub const U_NEG: u8 = 2;
pub const U_NOT: u8 = 3;

pub(crate) fn ur<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let r = unary::<OP, SZ>(&mut c.flags, a);
    c.set_reg(SZ, i.r, r);
}

/// [`ur`] for inc and dec where every flag they write is dead (CF, which
/// they keep, is left as it is).
pub(crate) fn ur_quiet<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let r = inc_dec::<OP>(c.reg(SZ, i.r));
    c.set_reg(SZ, i.r, r);
}

/// inc's or dec's result (by `OP`), without flags.
#[inline(always)]
fn inc_dec<const OP: u8>(a: u32) -> u32 {
    const { assert!(OP == U_INC || OP == U_DEC) };
    if OP == U_INC {
        a.wrapping_add(1)
    } else {
        a.wrapping_sub(1)
    }
}

/// [`ur`] for inc and dec where CF is dead: their flags are recorded
/// without evaluating the previous operation's CF (`aux`, which would
/// keep it, is left as it is).
pub(crate) fn ur_no_carry<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let r = inc_dec::<OP>(a);
    let k = if OP == U_INC { kind::INC } else { kind::DEC };
    c.flags.set(k | SZ, r, a, 1);
    c.set_reg(SZ, i.r, r);
}

#[inline(always)]
pub(crate) fn um<const OP: u8, const LOCK: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if !LOCK {
        let Some(old) = c.rd_sz(SZ, a) else { return };
        // The result first and the flags after the store, from the flags
        // as they were (a store that faults leaves them): as a copy of
        // the flags written back, gzip's `dec dword [m]` moved 48 bytes.
        let r = unary::<OP, SZ>(&mut Flags::default(), old);
        if c.wr_sz(SZ, a, r).is_some() {
            unary::<OP, SZ>(&mut c.flags, old);
        }
        return;
    }
    let fl = c.flags;
    let Some(old) = c.rmw::<SZ, LOCK>(a, |o| {
        let mut f = fl;
        unary::<OP, SZ>(&mut f, o)
    }) else {
        return;
    };
    unary::<OP, SZ>(&mut c.flags, old);
}

fn pick2<const OP: u8>(dst: Opnd, src: Opnd, sz: u8, lock: bool, d: &Inst) -> Option<Handler> {
    use crate::cpu::am::ANY;
    Some(match (dst, src, lock) {
        (Opnd::Reg(x, _), Opnd::Reg(y, _), false) if OP == SBB && x == y => {
            by_size!(safe sz, sbb_same)
        }
        (Opnd::Reg(..), Opnd::Reg(..), false) => by_size!(safe sz, rr::<OP>),
        (Opnd::Reg(..), Opnd::Imm(_), false) => by_size!(safe sz, ri::<OP>),
        (Opnd::Reg(..), Opnd::Mem, false) => by_form!(load d, sz, rm::<OP>),
        // cmp and test with memory only read it.
        (Opnd::Mem, Opnd::Reg(..), false) if !writes(OP) => {
            by_form!(load d, sz, m::<OP, false, false>)
        }
        (Opnd::Mem, Opnd::Imm(_), false) if !writes(OP) => {
            by_form!(load d, sz, m::<OP, true, false>)
        }
        (Opnd::Mem, Opnd::Reg(..), false) => by_form!(d, sz, m::<OP, false, false>),
        (Opnd::Mem, Opnd::Imm(_), false) => by_form!(d, sz, m::<OP, true, false>),
        (Opnd::Mem, Opnd::Reg(..), true) => by_size!(sz, m::<OP, false, true, ANY>),
        (Opnd::Mem, Opnd::Imm(_), true) => by_size!(sz, m::<OP, true, true, ANY>),
        _ => return None,
    })
}

fn pick1<const OP: u8>(dst: Opnd, sz: u8, lock: bool) -> Option<Handler> {
    Some(match (dst, lock) {
        (Opnd::Reg(..), false) => by_size!(safe sz, ur::<OP>),
        (Opnd::Mem, false) => by_size!(sz, um::<OP, false>),
        (Opnd::Mem, true) => by_size!(sz, um::<OP, true>),
        _ => return None,
    })
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    let lock = ins.has_lock_prefix();
    let h = match mn {
        Add | Or | Adc | Sbb | And | Sub | Xor | Cmp | Test => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            let dst = opnd(ins, 0, d);
            let src = opnd(ins, 1, d);
            match dst {
                Opnd::Reg(r, _) => d.r = r,
                Opnd::Mem => {}
                _ => return false,
            }
            match src {
                Opnd::Reg(r, _) if matches!(dst, Opnd::Reg(..)) => d.rm = r,
                Opnd::Reg(r, _) => d.r = r,
                Opnd::Imm(v) => d.imm = v & crate::cpu::flags::size_mask(sz),
                Opnd::Mem => {}
                Opnd::Other => return false,
            }
            if lock && (matches!(dst, Opnd::Reg(..)) || matches!(mn, Cmp | Test)) {
                return false;
            }
            match mn {
                Add => pick2::<ADD>(dst, src, sz, lock, d),
                Or => pick2::<OR>(dst, src, sz, lock, d),
                Adc => pick2::<ADC>(dst, src, sz, lock, d),
                Sbb => pick2::<SBB>(dst, src, sz, lock, d),
                And => pick2::<AND>(dst, src, sz, lock, d),
                Sub => pick2::<SUB>(dst, src, sz, lock, d),
                Xor => pick2::<XOR>(dst, src, sz, lock, d),
                Cmp => pick2::<CMP>(dst, src, sz, lock, d),
                // test r/m, r is symmetric; test m, r reads like cmp m, r.
                _ => pick2::<TEST>(dst, src, sz, lock, d),
            }
        }
        Inc | Dec | Neg | Not => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            let dst = opnd(ins, 0, d);
            if let Opnd::Reg(r, _) = dst {
                d.r = r;
            }
            match mn {
                Inc => pick1::<U_INC>(dst, sz, lock),
                Dec => pick1::<U_DEC>(dst, sz, lock),
                Neg => pick1::<U_NEG>(dst, sz, lock),
                _ => pick1::<U_NOT>(dst, sz, lock),
            }
        }
        _ => return false,
    };
    match h {
        Some(h) => {
            d.h = h;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::flags::*;

    fn flags_of<const OP: u8, const SZ: u8>(a: u32, b: u32, cin: bool) -> (u32, u32) {
        let mut f = Flags::default();
        f.load(if cin { CF } else { 0 }, ARITH);
        let r = alu::<OP, SZ>(&mut f, a, b) & size_mask(SZ);
        (r, f.get() & ARITH)
    }

    /// `sbb r, r` decodes to [`sbb_same`], which leaves the register and
    /// the flags as the generic sbb does, after every kind and size of
    /// lazy record.
    #[test]
    fn sbb_same_register_is_sbb() {
        use crate::cpu::decode::decode_one;
        use crate::cpu::{th_safe, EAX, EBX};
        // sbb al, al; sbb ax, ax; sbb eax, eax; sbb ebx, ebx.
        let codes: [(&[u8], u8, usize); 4] = [
            (&[0x18, 0xc0], 0, EAX),
            (&[0x66, 0x19, 0xc0], 1, EAX),
            (&[0x19, 0xc0], 2, EAX),
            (&[0x19, 0xdb], 2, EBX),
        ];
        let pairs = [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x80, 0x7f),
            (0xffff_ffff, 1),
            (0x8000_0000, 0x8000_0000),
        ];
        for (code, sz, reg) in codes {
            let i = decode_one(code, 0x1000).expect("decodes");
            let generic = [
                th_safe(rr::<SBB, 0>),
                th_safe(rr::<SBB, 1>),
                th_safe(rr::<SBB, 2>),
            ];
            assert_ne!(
                i.h.addr(),
                generic[sz as usize].addr(),
                "{code:x?} is sbb_same"
            );
            for k in ALL_KINDS {
                for ksz in 0..3u8 {
                    for (a, b) in pairs {
                        let f = Flags::lazy(k | ksz, a.wrapping_sub(b), a, b, 1);
                        let run = |generic: bool| {
                            let mut c = Cpu::for_tests();
                            c.flags = f;
                            c.regs[reg] = 0x1234_5678;
                            if generic {
                                match sz {
                                    0 => rr::<SBB, 0>(&mut c, &i),
                                    1 => rr::<SBB, 1>(&mut c, &i),
                                    _ => rr::<SBB, 2>(&mut c, &i),
                                }
                            } else {
                                c.exec_one(&i);
                            }
                            (c.regs[reg], c.flags.get())
                        };
                        assert_eq!(run(false), run(true), "{code:x?} after {f:x?}");
                    }
                }
            }
        }
    }

    /// inc, dec, neg and not of memory, each size, after every kind of
    /// lazy record: the value and flags of [`unary`]; a store that faults
    /// (a read-only page) leaves memory and flags as they were.
    #[test]
    fn unary_memory_stores_then_records_flags() {
        use crate::cpu::decode::decode_one;
        use crate::cpu::{exit, vec, EBX};
        use crate::mem::{P_PRESENT, P_READ};
        // op [ebx] for each op (modrm reg field) and size.
        let ops = [(U_INC, 0u8), (U_DEC, 1), (U_NEG, 3), (U_NOT, 2)];
        let values = [0u32, 1, 0x7f, 0x80, 0xffff, 0x8000_0000, 0xffff_ffff];
        for (op, reg) in ops {
            let modrm = 0x03 | reg << 3;
            let base: u8 = if op == U_INC || op == U_DEC {
                0xfe
            } else {
                0xf6
            };
            let codes: [(Vec<u8>, u8); 3] = [
                (vec![base, modrm], 0),
                (vec![0x66, base + 1, modrm], 1),
                (vec![base + 1, modrm], 2),
            ];
            for (code, sz) in codes {
                let i = decode_one(&code, 0x1000).expect("decodes");
                for k in ALL_KINDS {
                    for v in values {
                        let f = Flags::lazy(k | sz, v.wrapping_sub(3), v, 3, 1);
                        let mut want_f = f;
                        let want = match (op, sz) {
                            (U_INC, 0) => unary::<U_INC, 0>(&mut want_f, v),
                            (U_INC, 1) => unary::<U_INC, 1>(&mut want_f, v),
                            (U_INC, _) => unary::<U_INC, 2>(&mut want_f, v),
                            (U_DEC, 0) => unary::<U_DEC, 0>(&mut want_f, v),
                            (U_DEC, 1) => unary::<U_DEC, 1>(&mut want_f, v),
                            (U_DEC, _) => unary::<U_DEC, 2>(&mut want_f, v),
                            (U_NEG, 0) => unary::<U_NEG, 0>(&mut want_f, v),
                            (U_NEG, 1) => unary::<U_NEG, 1>(&mut want_f, v),
                            (U_NEG, _) => unary::<U_NEG, 2>(&mut want_f, v),
                            _ => !v,
                        };
                        let mask = size_mask(sz);
                        for ro in [false, true] {
                            let mut c = Cpu::for_tests();
                            let at = if ro { 0x11000 } else { 0x10000 };
                            c.mem.write_raw(at, &v.to_le_bytes());
                            if ro {
                                c.mem.set_perm(at, 0x1000, P_PRESENT | P_READ);
                            }
                            c.regs[EBX] = at;
                            c.flags = f;
                            c.exec_one(&i);
                            let m = c.mem.read_raw(at, 4);
                            let m = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
                            let what = format!("{code:x?} of {v:#x} after {f:x?}");
                            if ro {
                                assert_eq!(c.exit, exit::EXC, "{what}");
                                assert_eq!(c.exc.vector, vec::PF, "{what}");
                                assert_eq!(m, v, "{what}");
                                assert_eq!(c.flags.get(), f.get(), "{what}");
                            } else {
                                assert_eq!(c.exit, exit::NONE, "{what}");
                                assert_eq!(m, (v & !mask) | (want & mask), "{what}");
                                assert_eq!(c.flags.get(), want_f.get(), "{what}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn adc_sbb_carry_chain() {
        assert_eq!(flags_of::<ADC, 0>(0xff, 0, true), (0, CF | ZF | PF | AF));
        assert_eq!(
            flags_of::<SBB, 2>(0, 0, true),
            (0xffff_ffff, CF | SF | PF | AF)
        );
        assert_eq!(flags_of::<SBB, 1>(0x8000, 0, true), (0x7fff, OF | PF | AF));
    }

    #[test]
    fn logic_clears_cf_of() {
        assert_eq!(flags_of::<XOR, 2>(5, 5, true), (0, ZF | PF));
        assert_eq!(flags_of::<AND, 0>(0x80, 0xff, false), (0x80, SF));
    }

    #[test]
    fn neg_and_dec() {
        let mut f = Flags::default();
        assert_eq!(unary::<U_NEG, 2>(&mut f, 0x8000_0000), 0x8000_0000);
        assert_eq!(f.get() & ARITH, CF | OF | SF | PF);
        let mut f = Flags::default();
        assert_eq!(unary::<U_DEC, 0>(&mut f, 0x80) & 0xff, 0x7f);
        assert_eq!(f.get() & ARITH, OF | AF);
    }
}
