//! mul, imul (one, two and three operands), div, idiv.
//!
//! mul/imul record flags lazily as `kind::RES` of the low half with CF = OF
//! = overflow (SF/ZF/PF/AF are undefined and come from the low half).
//! div/idiv leave the (undefined) flags unchanged; #DE is raised before
//! any register is written.

use iced_x86::{Instruction, Mnemonic};

use crate::by_size;
use crate::cpu::decode::{op_size, opnd, Opnd};
use crate::cpu::flags::{kind, size_bits, size_mask, Flags, CF, OF};
use crate::cpu::{th_load, th_safe, vec, Cpu, Handler, Inst, EAX, EDX};

pub const MUL: u8 = 0;
pub const IMUL: u8 = 1;
pub const DIV: u8 = 2;
pub const IDIV: u8 = 3;

#[inline(always)]
fn sext<const SZ: u8>(v: u32) -> i32 {
    match SZ {
        0 => v as u8 as i8 as i32,
        1 => v as u16 as i16 as i32,
        _ => v as i32,
    }
}

/// Widening multiply of size-masked `a` and `b`: returns the size-masked
/// (low, high) halves and records CF = OF = "high half is significant".
#[inline(always)]
pub fn mul_wide<const SIGNED: bool, const SZ: u8>(f: &mut Flags, a: u32, b: u32) -> (u32, u32) {
    let m = size_mask(SZ);
    let (lo, hi, ovf) = if SIGNED {
        let p = sext::<SZ>(a) as i64 * sext::<SZ>(b) as i64;
        let lo = p as u32 & m;
        (
            lo,
            (p >> size_bits(SZ)) as u32 & m,
            p != sext::<SZ>(lo) as i64,
        )
    } else {
        let p = a as u64 * b as u64;
        let hi = (p >> size_bits(SZ)) as u32;
        (p as u32 & m, hi, hi != 0)
    };
    f.set(kind::RES | SZ, lo, 0, 0);
    f.aux = if ovf { CF | OF } else { 0 };
    (lo, hi)
}

/// Divide the double-size value `hi:lo` by `d` (all size-masked). Returns
/// (quotient, remainder), or None for #DE (zero divisor or overflow).
#[inline(always)]
pub fn divide<const SIGNED: bool, const SZ: u8>(hi: u32, lo: u32, d: u32) -> Option<(u32, u32)> {
    if d == 0 {
        return None;
    }
    let bits = size_bits(SZ);
    let n = ((hi as u64) << bits) | lo as u64;
    let m = size_mask(SZ);
    if SIGNED {
        let n = match SZ {
            0 => n as u16 as i16 as i64,
            1 => n as u32 as i32 as i64,
            _ => n as i64,
        };
        let d = sext::<SZ>(d) as i64;
        let q = n.wrapping_div(d);
        let r = n.wrapping_rem(d);
        let lim = 1i64 << (bits - 1);
        if q < -lim || q >= lim {
            return None;
        }
        Some((q as u32 & m, r as u32 & m))
    } else {
        let q = n / d as u64;
        if q > m as u64 {
            return None;
        }
        Some((q as u32, (n % d as u64) as u32))
    }
}

/// One-operand mul/imul/div/idiv on AL/AX/EAX (and AH/DX/EDX).
fn md1<const OP: u8, const MEM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let s = if MEM {
        let a = c.ea(i);
        let Some(v) = c.rd_sz(SZ, a) else { return };
        v
    } else {
        c.reg(SZ, i.rm)
    };
    let (lo, hi) = if OP == MUL || OP == IMUL {
        let a = c.reg(SZ, EAX as u8);
        if OP == IMUL {
            mul_wide::<true, SZ>(&mut c.flags, a, s)
        } else {
            mul_wide::<false, SZ>(&mut c.flags, a, s)
        }
    } else {
        let (hi, lo) = match SZ {
            0 => (c.r8(8), c.r8(0)),
            1 => (c.r16(EDX as u8), c.r16(EAX as u8)),
            _ => (c.regs[EDX], c.regs[EAX]),
        };
        let qr = if OP == IDIV {
            divide::<true, SZ>(hi, lo, s)
        } else {
            divide::<false, SZ>(hi, lo, s)
        };
        match qr {
            Some(qr) => qr,
            None => {
                c.raise(vec::DE, None);
                return;
            }
        }
    };
    match SZ {
        0 => c.set_r16(EAX as u8, lo | (hi << 8)),
        1 => {
            c.set_r16(EAX as u8, lo);
            c.set_r16(EDX as u8, hi);
        }
        _ => {
            c.regs[EAX] = lo;
            c.regs[EDX] = hi;
        }
    }
}

/// Two- and three-operand imul: r = (r or, with `IMM`, src) * (src or imm).
pub(crate) fn imul_n<const MEM: bool, const IMM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let s = if MEM {
        let a = c.ea(i);
        let Some(v) = c.rd_sz(SZ, a) else { return };
        v
    } else {
        c.reg(SZ, i.rm)
    };
    let a = if IMM { i.imm } else { c.reg(SZ, i.r) };
    let (lo, _) = mul_wide::<true, SZ>(&mut c.flags, a, s);
    c.set_reg(SZ, i.r, lo);
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    if !matches!(mn, Mul | Imul | Div | Idiv) || ins.has_lock_prefix() {
        return false;
    }
    let Some(sz) = op_size(ins, 0) else {
        return false;
    };
    let h = match ins.op_count() {
        1 => {
            let src = opnd(ins, 0, d);
            // mul and imul never fault but for a memory operand's read;
            // div and idiv raise #DE.
            macro_rules! one {
                ($mem:expr) => {
                    match (mn, $mem) {
                        (Mul, false) => by_size!(safe sz, md1::<MUL, false>),
                        (Imul, false) => by_size!(safe sz, md1::<IMUL, false>),
                        (Mul, true) => by_size!(load sz, md1::<MUL, true>),
                        (Imul, true) => by_size!(load sz, md1::<IMUL, true>),
                        (Div, _) => by_size!(sz, md1::<DIV, $mem>),
                        _ => by_size!(sz, md1::<IDIV, $mem>),
                    }
                };
            }
            match src {
                Opnd::Reg(r, _) => {
                    d.rm = r;
                    one!(false)
                }
                Opnd::Mem => one!(true),
                _ => return false,
            }
        }
        n @ (2 | 3) if mn == Imul && sz != 0 => {
            let Opnd::Reg(r, _) = opnd(ins, 0, d) else {
                return false;
            };
            d.r = r;
            let src = opnd(ins, 1, d);
            if let Opnd::Reg(s, _) = src {
                d.rm = s;
            }
            let imm = n == 3;
            if imm {
                let Opnd::Imm(v) = opnd(ins, 2, d) else {
                    return false;
                };
                d.imm = v & size_mask(sz);
            }
            // Register forms never leave the block; memory forms only read.
            let h: Handler = match (src, imm, sz) {
                (Opnd::Reg(..), false, 1) => th_safe(imul_n::<false, false, 1>),
                (Opnd::Reg(..), false, _) => th_safe(imul_n::<false, false, 2>),
                (Opnd::Reg(..), true, 1) => th_safe(imul_n::<false, true, 1>),
                (Opnd::Reg(..), true, _) => th_safe(imul_n::<false, true, 2>),
                (Opnd::Mem, false, 1) => th_load(imul_n::<true, false, 1>),
                (Opnd::Mem, false, _) => th_load(imul_n::<true, false, 2>),
                (Opnd::Mem, true, 1) => th_load(imul_n::<true, true, 1>),
                (Opnd::Mem, true, _) => th_load(imul_n::<true, true, 2>),
                _ => return false,
            };
            h
        }
        _ => return false,
    };
    d.h = h;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::flags::*;

    const VALS: [u32; 14] = [
        0,
        1,
        2,
        3,
        0x7f,
        0x80,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1234_5678,
    ];

    fn wide(signed: bool, sz: u8, a: u32, b: u32) -> (u32, u32, bool) {
        let mut f = Flags::default();
        let (lo, hi) = match (signed, sz) {
            (false, 0) => mul_wide::<false, 0>(&mut f, a, b),
            (false, 1) => mul_wide::<false, 1>(&mut f, a, b),
            (false, _) => mul_wide::<false, 2>(&mut f, a, b),
            (true, 0) => mul_wide::<true, 0>(&mut f, a, b),
            (true, 1) => mul_wide::<true, 1>(&mut f, a, b),
            (true, _) => mul_wide::<true, 2>(&mut f, a, b),
        };
        let fl = f.get();
        assert_eq!(fl & CF != 0, fl & OF != 0);
        (lo, hi, fl & CF != 0)
    }

    #[test]
    fn multiply_against_i128() {
        for sz in 0..3u8 {
            let bits = size_bits(sz);
            let m = size_mask(sz) as i128;
            let sx = |v: u32| -> i128 {
                let v = v as i128 & m;
                if v >> (bits - 1) != 0 {
                    v - (m + 1)
                } else {
                    v
                }
            };
            for &a in &VALS {
                for &b in &VALS {
                    let (a, b) = (a & m as u32, b & m as u32);
                    let p = a as i128 * b as i128;
                    let (lo, hi, ovf) = wide(false, sz, a, b);
                    assert_eq!(lo as i128, p & m);
                    assert_eq!(hi as i128, (p >> bits) & m);
                    assert_eq!(ovf, (p >> bits) != 0);
                    let p = sx(a) * sx(b);
                    let (lo, hi, ovf) = wide(true, sz, a, b);
                    assert_eq!(lo as i128, p & m, "imul sz={sz} {a:#x}*{b:#x}");
                    assert_eq!(hi as i128, (p >> bits) & m);
                    assert_eq!(ovf, sx(lo) != p, "imul ovf sz={sz} {a:#x}*{b:#x}");
                }
            }
        }
    }

    #[test]
    fn mul_examples() {
        assert_eq!(wide(false, 0, 0xff, 0xff), (0x01, 0xfe, true));
        assert_eq!(wide(true, 0, 0xff, 0xff), (0x01, 0x00, false));
        assert_eq!(wide(true, 0, 0x80, 0xff), (0x80, 0x00, true));
        assert_eq!(
            wide(true, 2, 0x8000_0000, 0xffff_ffff),
            (0x8000_0000, 0, true)
        );
        assert_eq!(wide(true, 2, 0xffff_ffff, 0xffff_ffff), (1, 0, false));
        assert_eq!(wide(false, 1, 0x100, 0x100), (0, 1, true));
    }

    fn div(signed: bool, sz: u8, hi: u32, lo: u32, d: u32) -> Option<(u32, u32)> {
        match (signed, sz) {
            (false, 0) => divide::<false, 0>(hi, lo, d),
            (false, 1) => divide::<false, 1>(hi, lo, d),
            (false, _) => divide::<false, 2>(hi, lo, d),
            (true, 0) => divide::<true, 0>(hi, lo, d),
            (true, 1) => divide::<true, 1>(hi, lo, d),
            (true, _) => divide::<true, 2>(hi, lo, d),
        }
    }

    #[test]
    fn divide_against_i128() {
        for sz in 0..3u8 {
            let bits = size_bits(sz);
            let m = size_mask(sz) as i128;
            let sx = |v: i128, w: u32| -> i128 {
                let mm = (1i128 << w) - 1;
                let v = v & mm;
                if v >> (w - 1) != 0 {
                    v - (mm + 1)
                } else {
                    v
                }
            };
            for &hi in &VALS {
                for &lo in &VALS {
                    for &d in &VALS {
                        let (hi, lo, d) = (hi & m as u32, lo & m as u32, d & m as u32);
                        let n = ((hi as i128) << bits) | lo as i128;
                        let got = div(false, sz, hi, lo, d);
                        let want = if d == 0 || n / d as i128 > m {
                            None
                        } else {
                            Some(((n / d as i128) as u32, (n % d as i128) as u32))
                        };
                        assert_eq!(got, want, "div sz={sz} {hi:#x}:{lo:#x}/{d:#x}");
                        let (sn, sd) = (sx(n, 2 * bits), sx(d as i128, bits));
                        let got = div(true, sz, hi, lo, d);
                        let want = if sd == 0 {
                            None
                        } else {
                            let q = sn / sd;
                            if q < -(1i128 << (bits - 1)) || q >= 1i128 << (bits - 1) {
                                None
                            } else {
                                Some(((q & m) as u32, ((sn % sd) & m) as u32))
                            }
                        };
                        assert_eq!(got, want, "idiv sz={sz} {hi:#x}:{lo:#x}/{d:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn divide_edges() {
        assert_eq!(div(true, 2, 0x8000_0000, 0, 0xffff_ffff), None);
        assert_eq!(div(true, 2, 0xffff_ffff, 0x8000_0000, 0xffff_ffff), None);
        assert_eq!(div(true, 0, 0xff, 0x80, 0xff), None);
        assert_eq!(div(true, 1, 0xffff, 0x8000, 0xffff), None);
        assert_eq!(
            div(true, 2, 0xffff_ffff, 0xffff_fff9, 2),
            Some((0xffff_fffd, 0xffff_ffff))
        );
        assert_eq!(div(false, 0, 0xff, 0x00, 0xff), None);
        assert_eq!(div(false, 0, 0xfe, 0xff, 0xff), Some((0xff, 0xfe)));
        assert_eq!(div(false, 2, 0, 5, 0), None);
    }
}
