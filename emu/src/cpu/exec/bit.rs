//! Bit test and scan: bt, bts, btr, btc, bsf, bsr, plus tzcnt, lzcnt, popcnt.
//!
//! bt* set CF and keep every other flag (Intel: OF/SF/AF/PF undefined, ZF
//! unchanged). bsf/bsr set ZF, leave the destination unchanged for a zero
//! source, and record the other (undefined) flags lazily from the source.

use iced_x86::{Instruction, Mnemonic};

use super::shift::set_cf_of;
use crate::cpu::decode::{op_size, opnd, Opnd};
use crate::cpu::flags::{arith_overflow, kind, size_bits, top_shift, Flags, AF, ARITH, CF, ZF};
use crate::cpu::{th, th_load, th_safe, Cpu, Handler, Inst};

pub const BT: u8 = 0;
pub const BTS: u8 = 1;
pub const BTR: u8 = 2;
pub const BTC: u8 = 3;

/// Pure semantics of bt/bts/btr/btc on a value and a bit index (< size):
/// returns the new value and the old bit (the new CF).
#[inline(always)]
pub fn bitop<const OP: u8>(a: u32, bit: u32) -> (u32, bool) {
    let m = 1u32 << bit;
    let r = match OP {
        BT => a,
        BTS => a | m,
        BTR => a & !m,
        _ => a ^ m,
    };
    (r, a & m != 0)
}

/// Set CF, keeping all the other flags.
///
/// After an add, adc, sub, sbb (cmp) or logic op, OF and AF come from the
/// operands with a few ALU operations of any size, without the per-kind
/// jump tables of `Flags::of` and `Flags::af`: `bt` after a compare or an
/// add cost about 80 host instructions, half of them here (busybox awk
/// runs 1.1 million).
#[inline(always)]
pub fn set_cf(f: &mut Flags, cf: bool) {
    let k = f.kind();
    if k & !3 == kind::RES {
        f.aux = (f.aux & !CF) | cf as u32;
    } else if k == kind::NONE {
        f.bits = (f.bits & !CF) | cf as u32;
    } else if k & !3 <= kind::SBB {
        let (a, b, r) = (f.a(), f.b(), f.res());
        let of = arith_overflow(k, a, b, r).wrapping_shl(top_shift(k & 3)) >> 31;
        f.aux = (a ^ b ^ r) & AF | of << 11 | cf as u32;
        f.set_kind(kind::RES | (k & 3));
    } else if k & !3 == kind::LOGIC {
        f.aux = cf as u32;
        f.set_kind(kind::RES | (k & 3));
    } else {
        let of = f.of();
        set_cf_of(f, cf, of);
    }
}

/// Split a signed register bit offset for a memory operand of size `SZ`
/// (1 = 16, 2 = 32 bits) into a byte displacement and a bit index.
#[inline(always)]
pub fn split_offset<const SZ: u8>(off: u32) -> (u32, u32) {
    if SZ == 1 {
        let o = off as u16 as i16 as i32;
        (((o >> 4) * 2) as u32, off & 15)
    } else {
        let o = off as i32;
        ((o >> 5).wrapping_mul(4) as u32, off & 31)
    }
}

/// Register destination `rm`; bit offset from register `r` or (`IMM`) `imm`.
fn bt_r<const OP: u8, const IMM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let bit = if IMM {
        i.imm
    } else {
        c.reg(SZ, i.r) & (size_bits(SZ) - 1)
    };
    let a = c.reg(SZ, i.rm);
    let (r, cf) = bitop::<OP>(a, bit);
    if OP != BT {
        c.set_reg(SZ, i.rm, r);
    }
    set_cf(&mut c.flags, cf);
}

/// Memory destination; a register bit offset may address outside the operand.
#[inline(always)]
pub(crate) fn bt_m<const OP: u8, const IMM: bool, const LOCK: bool, const SZ: u8>(
    c: &mut Cpu,
    i: &Inst,
) {
    let mut a = c.ea(i);
    let bit = if IMM {
        i.imm
    } else {
        let (disp, bit) = split_offset::<SZ>(c.reg(SZ, i.r));
        a = a.wrapping_add(disp);
        bit
    };
    let old = if OP == BT {
        c.rd_sz(SZ, a)
    } else {
        c.rmw::<SZ, LOCK>(a, |o| bitop::<OP>(o, bit).0)
    };
    let Some(old) = old else { return };
    set_cf(&mut c.flags, bitop::<OP>(old, bit).1);
}

pub const BSF: u8 = 0;
pub const BSR: u8 = 1;
pub const TZCNT: u8 = 2;
pub const LZCNT: u8 = 3;
pub const POPCNT: u8 = 4;

/// Pure semantics of the scans on a size-masked source: the new
/// destination value, or None to leave it unchanged.
#[inline(always)]
pub fn scan<const OP: u8, const SZ: u8>(f: &mut Flags, s: u32) -> Option<u32> {
    let bits = size_bits(SZ);
    match OP {
        BSF | BSR => {
            // ZF = (s == 0); CF/OF/AF = 0, SF/PF from s (undefined).
            f.set(kind::RES | SZ, s, 0, 0);
            f.aux = 0;
            if s == 0 {
                None
            } else if OP == BSF {
                Some(s.trailing_zeros())
            } else {
                Some(31 - s.leading_zeros())
            }
        }
        TZCNT | LZCNT => {
            let r = if OP == TZCNT {
                s.trailing_zeros().min(bits)
            } else {
                s.leading_zeros() - (32 - bits)
            };
            // CF = (s == 0), ZF = (r == 0); OF/SF/AF/PF undefined.
            f.set(kind::RES | SZ, r, 0, 0);
            f.aux = (s == 0) as u32;
            Some(r)
        }
        _ => {
            // popcnt: all arithmetic flags cleared but ZF = (s == 0).
            f.bits = (f.bits & !ARITH) | if s == 0 { ZF } else { 0 } | 2;
            f.set_kind(kind::NONE);
            Some(s.count_ones())
        }
    }
}

fn scan_h<const OP: u8, const MEM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let s = if MEM {
        let a = c.ea(i);
        let Some(v) = c.rd_sz(SZ, a) else { return };
        v
    } else {
        c.reg(SZ, i.rm)
    };
    if let Some(r) = scan::<OP, SZ>(&mut c.flags, s) {
        c.set_reg(SZ, i.r, r);
    }
}

macro_rules! sz16 {
    ($w:ident, $sz:expr, $f:ident :: <$($p:tt),*>) => {
        if $sz == 1 {
            $w($f::<$($p,)* 1>)
        } else {
            $w($f::<$($p,)* 2>)
        }
    };
    ($sz:expr, $f:ident :: <$($p:tt),*>) => {
        sz16!(th, $sz, $f::<$($p),*>)
    };
}

fn pick_bt<const OP: u8>(dst: Opnd, imm: bool, lock: bool, sz: u8) -> Option<Handler> {
    Some(match (dst, imm, lock) {
        (Opnd::Reg(..), false, false) => sz16!(th_safe, sz, bt_r::<OP, false>),
        (Opnd::Reg(..), true, false) => sz16!(th_safe, sz, bt_r::<OP, true>),
        // bt only reads its operand.
        (Opnd::Mem, false, false) if OP == BT => sz16!(th_load, sz, bt_m::<OP, false, false>),
        (Opnd::Mem, true, false) if OP == BT => sz16!(th_load, sz, bt_m::<OP, true, false>),
        (Opnd::Mem, false, false) => sz16!(sz, bt_m::<OP, false, false>),
        (Opnd::Mem, true, false) => sz16!(sz, bt_m::<OP, true, false>),
        (Opnd::Mem, false, true) if OP != BT => sz16!(sz, bt_m::<OP, false, true>),
        (Opnd::Mem, true, true) if OP != BT => sz16!(sz, bt_m::<OP, true, true>),
        _ => return None,
    })
}

fn pick_scan<const OP: u8>(src: Opnd, sz: u8) -> Option<Handler> {
    Some(match src {
        Opnd::Reg(..) => sz16!(sz, scan_h::<OP, false>),
        Opnd::Mem => sz16!(sz, scan_h::<OP, true>),
        _ => return None,
    })
}

/// Whether CPUID advertises BMI1 (tzcnt) and LZCNT; without them their
/// encodings execute as bsf and bsr.
const TZCNT_ADVERTISED: bool = super::misc::feat::LEAF7_EBX & super::misc::feat::BMI1 != 0;
const LZCNT_ADVERTISED: bool = super::misc::feat::EXT1_ECX & super::misc::feat::ABM != 0;

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    let lock = ins.has_lock_prefix();
    let h = match mn {
        Bt | Bts | Btr | Btc => {
            if ins.op_count() != 2 {
                return false;
            }
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            if sz == 0 {
                return false;
            }
            let dst = opnd(ins, 0, d);
            let imm = match opnd(ins, 1, d) {
                Opnd::Reg(r, _) => {
                    d.r = r;
                    false
                }
                Opnd::Imm(v) => {
                    d.imm = v & (size_bits(sz) - 1);
                    true
                }
                _ => return false,
            };
            if let Opnd::Reg(r, _) = dst {
                d.rm = r;
            }
            match mn {
                Bt => pick_bt::<BT>(dst, imm, lock, sz),
                Bts => pick_bt::<BTS>(dst, imm, lock, sz),
                Btr => pick_bt::<BTR>(dst, imm, lock, sz),
                _ => pick_bt::<BTC>(dst, imm, lock, sz),
            }
        }
        Bsf | Bsr | Tzcnt | Lzcnt | Popcnt => {
            if lock || ins.op_count() != 2 {
                return false;
            }
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            if sz == 0 {
                return false;
            }
            let Opnd::Reg(r, _) = opnd(ins, 0, d) else {
                return false;
            };
            d.r = r;
            let src = opnd(ins, 1, d);
            if let Opnd::Reg(s, _) = src {
                d.rm = s;
            }
            match mn {
                Bsf => pick_scan::<BSF>(src, sz),
                Bsr => pick_scan::<BSR>(src, sz),
                // CPUID advertises neither BMI1 nor LZCNT, so F3 0F BC/BD run
                // as bsf/bsr, as on a CPU without them (gcc's `rep bsf` relies on this).
                Tzcnt if !TZCNT_ADVERTISED => pick_scan::<BSF>(src, sz),
                Lzcnt if !LZCNT_ADVERTISED => pick_scan::<BSR>(src, sz),
                Tzcnt => pick_scan::<TZCNT>(src, sz),
                Lzcnt => pick_scan::<LZCNT>(src, sz),
                _ => pick_scan::<POPCNT>(src, sz),
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

    /// set_cf changes CF and keeps every other flag, after every kind and
    /// size of lazy record.
    #[test]
    fn set_cf_keeps_the_other_flags() {
        let vals = [0u32, 1, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff];
        let vals = [
            &vals[..],
            &[0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1234_5678],
        ]
        .concat();
        for k in ALL_KINDS {
            for sz in 0..3u8 {
                for &a in &vals {
                    for &b in &vals {
                        for aux in [0, 1, CF | AF | OF] {
                            let r = match k {
                                kind::SUB | kind::SBB => a.wrapping_sub(b).wrapping_sub(aux & 1),
                                kind::LOGIC => a | b,
                                _ => a.wrapping_add(b).wrapping_add(aux & 1),
                            };
                            let f = Flags::lazy(k | sz, r, a, b, aux);
                            for cf in [false, true] {
                                let mut g = f;
                                set_cf(&mut g, cf);
                                let want = (f.get() & !CF) | cf as u32;
                                assert_eq!(g.get(), want, "{f:x?} cf={cf}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bitops() {
        assert_eq!(bitop::<BT>(0x8000_0000, 31), (0x8000_0000, true));
        assert_eq!(bitop::<BTS>(0, 31), (0x8000_0000, false));
        assert_eq!(bitop::<BTR>(0xffff, 15), (0x7fff, true));
        assert_eq!(bitop::<BTC>(1, 0), (0, true));
        assert_eq!(bitop::<BTC>(0, 5), (0x20, false));
    }

    #[test]
    fn offsets() {
        assert_eq!(split_offset::<2>(0), (0, 0));
        assert_eq!(split_offset::<2>(31), (0, 31));
        assert_eq!(split_offset::<2>(32), (4, 0));
        assert_eq!(split_offset::<2>(-1i32 as u32), (-4i32 as u32, 31));
        assert_eq!(split_offset::<2>(-33i32 as u32), (-8i32 as u32, 31));
        assert_eq!(split_offset::<2>(0x7fff_ffff), (0x0fff_fffc, 31));
        assert_eq!(split_offset::<2>(0x8000_0000), (0xf000_0000, 0));
        assert_eq!(split_offset::<1>(16), (2, 0));
        assert_eq!(split_offset::<1>(0xffff), (-2i32 as u32, 15));
        assert_eq!(split_offset::<1>(0x8000), (-0x1000i32 as u32, 0));
        assert_eq!(split_offset::<1>(0x7fff), (0xffe, 15));
    }

    #[test]
    fn set_cf_keeps_others() {
        let mut f = Flags::default();
        f.set(kind::SUB | 0, 0x80, 0x7f, 0xff);
        let before = f.get();
        set_cf(&mut f, false);
        assert_eq!(f.get(), before & !CF);
        set_cf(&mut f, true);
        assert_eq!(f.get(), before | CF);
        f.load(ZF | OF, ARITH);
        set_cf(&mut f, true);
        assert_eq!(f.get() & ARITH, ZF | OF | CF);
    }

    #[test]
    fn scans() {
        let mut f = Flags::default();
        assert_eq!(scan::<BSF, 2>(&mut f, 0), None);
        assert!(f.zf());
        assert_eq!(scan::<BSF, 2>(&mut f, 0x8000_0000), Some(31));
        assert!(!f.zf());
        assert_eq!(scan::<BSR, 2>(&mut f, 1), Some(0));
        assert!(!f.zf());
        assert_eq!(scan::<BSR, 1>(&mut f, 0xffff), Some(15));
        assert_eq!(scan::<BSF, 1>(&mut f, 0x10), Some(4));
        assert_eq!(scan::<BSR, 1>(&mut f, 0), None);
        assert!(f.zf());
        assert_eq!(scan::<TZCNT, 1>(&mut f, 0), Some(16));
        assert!(f.cf() && !f.zf());
        assert_eq!(scan::<TZCNT, 2>(&mut f, 1), Some(0));
        assert!(!f.cf() && f.zf());
        assert_eq!(scan::<LZCNT, 1>(&mut f, 1), Some(15));
        assert_eq!(scan::<LZCNT, 2>(&mut f, 0), Some(32));
        assert!(f.cf());
        f.load(ARITH, ARITH);
        assert_eq!(scan::<POPCNT, 2>(&mut f, 0xffff_ffff), Some(32));
        assert_eq!(f.get() & ARITH, 0);
        assert_eq!(scan::<POPCNT, 1>(&mut f, 0), Some(0));
        assert_eq!(f.get() & ARITH, ZF);
    }
}
