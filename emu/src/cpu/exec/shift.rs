//! Shifts and rotates: rol, ror, rcl, rcr, shl/sal, shr, sar, shld, shrd.
//!
//! Flags are recorded lazily: shifts use `kind::RES` (SF/ZF/PF from the
//! result, CF/OF in `aux`); rotates change only CF and OF, see [`set_cf_of`].
//! Undefined flags: AF is 0 after a shift; OF for counts > 1 uses the
//! count-1 formula; shld/shrd with a 16-bit count > 16 give some value.

use iced_x86::{Instruction, Mnemonic, OpKind, Register};

use crate::by_size;
use crate::cpu::decode::{op_size, opnd, Opnd};
use crate::cpu::flags::{kind, size_bits, size_mask, Flags, AF, CF, OF};
use crate::cpu::{th, th_safe, Cpu, Inst, ECX};

/// Operation codes, in modrm.reg order of the group-2 opcodes.
pub const ROL: u8 = 0;
pub const ROR: u8 = 1;
pub const RCL: u8 = 2;
pub const RCR: u8 = 3;
pub const SHL: u8 = 4;
pub const SHR: u8 = 5;
pub const SAR: u8 = 7;

/// Set CF and OF, keeping SF, ZF, PF and AF as they are, without
/// materialising the lazy flags: every lazy kind derives SF/ZF/PF from
/// `res` and the size, so switching to `kind::RES` (keeping `res`) with
/// explicit CF/OF/AF in `aux` preserves them.
#[inline(always)]
pub fn set_cf_of(f: &mut Flags, cf: bool, of: bool) {
    let new = cf as u32 | ((of as u32) << 11);
    let k = f.kind() & !3;
    if k == kind::RES {
        f.aux = (f.aux & AF) | new;
        return;
    }
    if f.kind() == kind::NONE {
        f.bits = (f.bits & !(CF | OF)) | new;
        return;
    }
    // AF of the previous operation (as `Flags::af`, without a jump table).
    let af = if k == kind::LOGIC {
        0
    } else if k <= kind::SBB {
        (f.a() ^ f.b() ^ f.res()) & AF
    } else if k == kind::INC || k == kind::DEC || k == kind::NEG {
        (f.a() ^ f.res()) & AF
    } else {
        (f.af() as u32) << 4
    };
    f.aux = af | new;
    f.set_kind(kind::RES | (f.kind() & 3));
}

/// Record shift flags: SF/ZF/PF from `res`, explicit CF and OF, AF = 0.
#[inline(always)]
fn set_res<const SZ: u8>(f: &mut Flags, res: u32, cf: u32, of: u32) {
    f.set(kind::RES | SZ, res, 0, 0);
    f.aux = cf | (of << 11);
}

#[inline(always)]
fn msb<const SZ: u8>(v: u32) -> u32 {
    (v >> (size_bits(SZ) - 1)) & 1
}

/// Sign-extend an `SZ`-sized value.
#[inline(always)]
fn sext<const SZ: u8>(v: u32) -> i32 {
    match SZ {
        0 => v as u8 as i8 as i32,
        1 => v as u16 as i16 as i32,
        _ => v as i32,
    }
}

/// Pure semantics of the group-2 shifts and rotates. `a` is the
/// size-masked destination, `n` the count already masked to 5 bits.
/// Returns the new value (bits above the size are garbage); with `n == 0`
/// returns `a` and leaves the flags alone.
#[inline(always)]
pub fn shift<const OP: u8, const SZ: u8>(f: &mut Flags, a: u32, n: u32) -> u32 {
    if n == 0 {
        return a;
    }
    let bits = size_bits(SZ);
    match OP {
        SHL => {
            let w = (a as u64) << n;
            let r = w as u32;
            let cf = ((w >> bits) & 1) as u32;
            set_res::<SZ>(f, r, cf, msb::<SZ>(r) ^ cf);
            r
        }
        SHR => {
            let r = a >> n;
            let cf = (a >> (n - 1)) & 1;
            set_res::<SZ>(f, r, cf, msb::<SZ>(a));
            r
        }
        SAR => {
            let s = sext::<SZ>(a);
            let r = (s >> n) as u32;
            let cf = ((s >> (n - 1)) & 1) as u32;
            set_res::<SZ>(f, r, cf, 0);
            r
        }
        ROL => {
            let r = match SZ {
                0 => (a as u8).rotate_left(n) as u32,
                1 => (a as u16).rotate_left(n) as u32,
                _ => a.rotate_left(n),
            };
            let cf = r & 1;
            set_cf_of(f, cf != 0, msb::<SZ>(r) ^ cf != 0);
            r
        }
        ROR => {
            let r = match SZ {
                0 => (a as u8).rotate_right(n) as u32,
                1 => (a as u16).rotate_right(n) as u32,
                _ => a.rotate_right(n),
            };
            let m = msb::<SZ>(r);
            set_cf_of(f, m != 0, m ^ ((r >> (bits - 2)) & 1) != 0);
            r
        }
        RCL | RCR => {
            // Rotate the (bits + 1)-bit value CF:a.
            let t = match SZ {
                0 => n % 9,
                1 => n % 17,
                _ => n,
            };
            let w = bits + 1;
            let v = ((f.cf() as u64) << bits) | a as u64;
            let v = if OP == RCL {
                (v << t) | (v >> (w - t))
            } else {
                (v >> t) | (v << (w - t))
            };
            let r = v as u32 & size_mask(SZ);
            let cf = (v >> bits) & 1 != 0;
            let of = if OP == RCL {
                (msb::<SZ>(r) != 0) ^ cf
            } else {
                (msb::<SZ>(r) ^ ((r >> (bits - 2)) & 1)) != 0
            };
            set_cf_of(f, cf, of);
            r
        }
        _ => a,
    }
}

/// Pure semantics of shld (`LEFT`) and shrd for SZ = 1 (16) or 2 (32 bits):
/// shift `a` by `n` (masked to 5 bits) filling from `b`.
#[inline(always)]
pub fn shd<const LEFT: bool, const SZ: u8>(f: &mut Flags, a: u32, b: u32, n: u32) -> u32 {
    if n == 0 {
        return a;
    }
    let (r, cf) = if SZ == 2 {
        if LEFT {
            ((a << n) | (b >> (32 - n)), (a >> (32 - n)) & 1)
        } else {
            ((a >> n) | (b << (32 - n)), (a >> (n - 1)) & 1)
        }
    } else {
        // 16 bits: counts 17..31 are undefined; use a:b:a as a 48-bit source.
        let (a, b) = (a as u64 & 0xffff, b as u64 & 0xffff);
        if LEFT {
            let t = ((a << 32) | (b << 16) | a) << n;
            (((t >> 32) & 0xffff) as u32, ((t >> 48) & 1) as u32)
        } else {
            let w = a | (b << 16) | (a << 32);
            (((w >> n) & 0xffff) as u32, ((w >> (n - 1)) & 1) as u32)
        }
    };
    set_res::<SZ>(f, r, cf, msb::<SZ>(r) ^ msb::<SZ>(a));
    r
}

// ---- handlers ----

#[inline(always)]
pub(crate) fn sh_ri<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let r = shift::<OP, SZ>(&mut c.flags, a, i.imm);
    c.set_reg(SZ, i.r, r);
}

/// [`sh_ri`] where every flag it writes is dead (see `cpu::live`): the
/// result alone (the flags go to a scratch copy the compiler drops).
pub(crate) fn sh_ri_quiet<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    const { assert!(OP != RCL && OP != RCR) };
    let a = c.reg(SZ, i.r);
    let r = shift::<OP, SZ>(&mut Flags::default(), a, i.imm);
    c.set_reg(SZ, i.r, r);
}

pub(crate) fn sh_rc<const OP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let n = c.regs[ECX] & 31;
    let r = shift::<OP, SZ>(&mut c.flags, a, n);
    c.set_reg(SZ, i.r, r);
}

/// Memory destination; count from `imm` or (`CL`) from cl.
fn sh_m<const OP: u8, const CL: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let n = if CL { c.regs[ECX] & 31 } else { i.imm };
    let a = c.ea(i);
    let Some(v) = c.rd_sz(SZ, a) else { return };
    let mut f = c.flags;
    let r = shift::<OP, SZ>(&mut f, v, n);
    if c.wr_sz(SZ, a, r).is_none() {
        return;
    }
    c.flags = f;
}

/// shld/shrd with a register destination `rm`, source register `r`.
fn shd_r<const LEFT: bool, const CL: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let n = if CL { c.regs[ECX] & 31 } else { i.imm };
    let (a, b) = (c.reg(SZ, i.rm), c.reg(SZ, i.r));
    let r = shd::<LEFT, SZ>(&mut c.flags, a, b, n);
    c.set_reg(SZ, i.rm, r);
}

fn shd_m<const LEFT: bool, const CL: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let n = if CL { c.regs[ECX] & 31 } else { i.imm };
    let b = c.reg(SZ, i.r);
    let a = c.ea(i);
    let Some(v) = c.rd_sz(SZ, a) else { return };
    let mut f = c.flags;
    let r = shd::<LEFT, SZ>(&mut f, v, b, n);
    if c.wr_sz(SZ, a, r).is_none() {
        return;
    }
    c.flags = f;
}

macro_rules! per_op {
    (safe $op:expr, $sz:expr, $f:ident $(, $p:tt)*) => {
        per_op!(@ [safe] $op, $sz, $f $(, $p)*)
    };
    ($op:expr, $sz:expr, $f:ident $(, $p:tt)*) => {
        per_op!(@ [] $op, $sz, $f $(, $p)*)
    };
    (@ [$($w:ident)?] $op:expr, $sz:expr, $f:ident $(, $p:tt)*) => {
        match $op {
            ROL => by_size!($($w)? $sz, $f::<ROL $(, $p)*>),
            ROR => by_size!($($w)? $sz, $f::<ROR $(, $p)*>),
            RCL => by_size!($($w)? $sz, $f::<RCL $(, $p)*>),
            RCR => by_size!($($w)? $sz, $f::<RCR $(, $p)*>),
            SHL => by_size!($($w)? $sz, $f::<SHL $(, $p)*>),
            SHR => by_size!($($w)? $sz, $f::<SHR $(, $p)*>),
            _ => by_size!($($w)? $sz, $f::<SAR $(, $p)*>),
        }
    };
}

/// Count operand: Some(None) = cl, Some(Some(n)) = immediate (masked).
fn count(ins: &Instruction, n: u32) -> Option<Option<u32>> {
    match ins.op_kind(n) {
        OpKind::Register if ins.op_register(n) == Register::CL => Some(None),
        OpKind::Immediate8 | OpKind::Immediate8_2nd => Some(Some(ins.immediate(n) as u32 & 31)),
        _ => None,
    }
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    let op = match mn {
        Rol => ROL,
        Ror => ROR,
        Rcl => RCL,
        Rcr => RCR,
        Shl | Sal => SHL,
        Shr => SHR,
        Sar => SAR,
        Shld | Shrd => {
            return decode_shd(ins, d, mn == Shld);
        }
        _ => return false,
    };
    if ins.has_lock_prefix() || ins.op_count() != 2 {
        return false;
    }
    let Some(sz) = op_size(ins, 0) else {
        return false;
    };
    let Some(cnt) = count(ins, 1) else {
        return false;
    };
    let dst = opnd(ins, 0, d);
    d.imm = cnt.unwrap_or(0);
    d.h = match (dst, cnt) {
        // Register forms never leave the block.
        (Opnd::Reg(r, _), Some(_)) => {
            d.r = r;
            per_op!(safe op, sz, sh_ri)
        }
        (Opnd::Reg(r, _), None) => {
            d.r = r;
            per_op!(safe op, sz, sh_rc)
        }
        (Opnd::Mem, Some(_)) => per_op!(op, sz, sh_m, false),
        (Opnd::Mem, None) => per_op!(op, sz, sh_m, true),
        _ => return false,
    };
    true
}

fn decode_shd(ins: &Instruction, d: &mut Inst, left: bool) -> bool {
    if ins.has_lock_prefix() || ins.op_count() != 3 {
        return false;
    }
    let Some(sz) = op_size(ins, 0) else {
        return false;
    };
    if sz == 0 {
        return false;
    }
    let Some(cnt) = count(ins, 2) else {
        return false;
    };
    let Opnd::Reg(src, _) = opnd(ins, 1, d) else {
        return false;
    };
    let dst = opnd(ins, 0, d);
    d.r = src;
    d.imm = cnt.unwrap_or(0);
    macro_rules! pick {
        ($w:ident, $f:ident, $cl:expr) => {
            match (left, $cl, sz) {
                (true, true, 1) => $w($f::<true, true, 1>),
                (true, true, _) => $w($f::<true, true, 2>),
                (true, false, 1) => $w($f::<true, false, 1>),
                (true, false, _) => $w($f::<true, false, 2>),
                (false, true, 1) => $w($f::<false, true, 1>),
                (false, true, _) => $w($f::<false, true, 2>),
                (false, false, 1) => $w($f::<false, false, 1>),
                (false, false, _) => $w($f::<false, false, 2>),
            }
        };
    }
    d.h = match dst {
        // The register form never leaves the block.
        Opnd::Reg(r, _) => {
            d.rm = r;
            pick!(th_safe, shd_r, cnt.is_none())
        }
        Opnd::Mem => pick!(th, shd_m, cnt.is_none()),
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::flags::*;

    const VALS: [u32; 16] = [
        0,
        1,
        2,
        0x7f,
        0x80,
        0x81,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1234_5678,
        0xdead_beef,
        0x5555_aaaa,
    ];

    /// Intel SDM pseudocode, one bit at a time. Returns (result, CF, OF or
    /// None when undefined). `cf_def` is false when CF is undefined.
    fn reference(
        op: u8,
        sz: u8,
        a: u32,
        count: u32,
        cf_in: bool,
    ) -> (u32, bool, Option<bool>, bool) {
        let bits = size_bits(sz);
        let m = size_mask(sz);
        let msb = |v: u32| (v >> (bits - 1)) & 1 != 0;
        let mut d = a & m;
        let mut cf = cf_in;
        let n = count & 31;
        let t = match (op, sz) {
            (ROL | ROR, _) => n % bits,
            (RCL | RCR, 0) => n % 9,
            (RCL | RCR, 1) => n % 17,
            _ => n,
        };
        for _ in 0..t {
            match op {
                SHL => {
                    cf = msb(d);
                    d = (d << 1) & m;
                }
                SHR => {
                    cf = d & 1 != 0;
                    d >>= 1;
                }
                SAR => {
                    cf = d & 1 != 0;
                    d = (d >> 1) | (d & (1 << (bits - 1)));
                }
                ROL => d = ((d << 1) | msb(d) as u32) & m,
                ROR => d = (d >> 1) | ((d & 1) << (bits - 1)),
                RCL => {
                    let t = msb(d);
                    d = ((d << 1) | cf as u32) & m;
                    cf = t;
                }
                RCR => {
                    let t = d & 1 != 0;
                    d = (d >> 1) | ((cf as u32) << (bits - 1));
                    cf = t;
                }
                _ => unreachable!(),
            }
        }
        if n != 0 {
            match op {
                ROL => cf = d & 1 != 0,
                ROR => cf = msb(d),
                _ => {}
            }
        }
        let of = if n == 1 {
            Some(match op {
                SHL | ROL | RCL => msb(d) ^ cf,
                SHR => msb(a & m),
                SAR => false,
                _ => msb(d) ^ ((d >> (bits - 2)) & 1 != 0),
            })
        } else {
            None
        };
        let cf_def = !(matches!(op, SHL | SHR) && n >= bits);
        (d, cf, of, cf_def)
    }

    fn run(op: u8, sz: u8, f: &mut Flags, a: u32, n: u32) -> u32 {
        let n = n & 31;
        macro_rules! go {
            ($o:expr) => {
                match sz {
                    0 => shift::<$o, 0>(f, a, n),
                    1 => shift::<$o, 1>(f, a, n),
                    _ => shift::<$o, 2>(f, a, n),
                }
            };
        }
        match op {
            ROL => go!(ROL),
            ROR => go!(ROR),
            RCL => go!(RCL),
            RCR => go!(RCR),
            SHL => go!(SHL),
            SHR => go!(SHR),
            _ => go!(SAR),
        }
    }

    #[test]
    fn shifts_match_pseudocode() {
        for op in [ROL, ROR, RCL, RCR, SHL, SHR, SAR] {
            for sz in 0..3u8 {
                let m = size_mask(sz);
                for &a in &VALS {
                    let a = a & m;
                    for n in 0..34u32 {
                        for init in [0, ARITH, CF | ZF, SF | PF | AF | OF] {
                            let mut f = Flags::default();
                            f.load(init, ARITH);
                            // Also start from a lazy state.
                            let mut g = Flags::default();
                            g.set(kind::SUB | 2, 0, 5, 5);
                            if init & CF != 0 {
                                g.set(kind::SUB | 2, 0xffff_fff0, 5, 0x15);
                            }
                            for mut f in [f, g] {
                                let before = f.get();
                                let r = run(op, sz, &mut f, a, n) & m;
                                let after = f.get();
                                let (er, ecf, eof, cf_def) =
                                    reference(op, sz, a, n, before & CF != 0);
                                let ctx =
                                    format!("op={op} sz={sz} a={a:#x} n={n} init={before:#x}");
                                assert_eq!(r, er, "{ctx}");
                                if n & 31 == 0 {
                                    assert_eq!(after, before, "{ctx}");
                                    continue;
                                }
                                if cf_def {
                                    assert_eq!(after & CF != 0, ecf, "CF {ctx}");
                                }
                                if let Some(of) = eof {
                                    assert_eq!(after & OF != 0, of, "OF {ctx}");
                                }
                                if matches!(op, ROL | ROR | RCL | RCR) {
                                    let keep = SF | ZF | PF | AF;
                                    assert_eq!(after & keep, before & keep, "{ctx}");
                                } else {
                                    assert_eq!(after & ZF != 0, er == 0, "ZF {ctx}");
                                    assert_eq!(
                                        after & SF != 0,
                                        (er >> (size_bits(sz) - 1)) & 1 != 0,
                                        "SF {ctx}"
                                    );
                                    assert_eq!(after & PF != 0, parity(er), "PF {ctx}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shift_examples() {
        let mut f = Flags::default();
        assert_eq!(shift::<SHL, 0>(&mut f, 0x81, 1) & 0xff, 0x02);
        assert_eq!(f.get() & ARITH, CF | OF);
        assert_eq!(shift::<SAR, 2>(&mut f, 0x8000_0000, 31), 0xffff_ffff);
        assert_eq!(f.get() & (CF | ZF | SF | PF), SF | PF);
        assert_eq!(shift::<SHR, 1>(&mut f, 0x8000, 16) & 0xffff, 0);
        assert_eq!(f.get() & (CF | ZF | SF | PF), CF | ZF | PF);
        f.load(0, ARITH);
        assert_eq!(shift::<RCL, 0>(&mut f, 0x80, 1) & 0xff, 0);
        assert_eq!(f.get() & ARITH, CF | OF);
        assert_eq!(shift::<RCL, 0>(&mut f, 0x00, 9) & 0xff, 0);
        assert_eq!(f.get() & CF, CF);
    }

    /// shld/shrd via the SDM bit loop, for counts <= size.
    fn shd_ref(left: bool, sz: u8, a: u32, b: u32, n: u32) -> (u32, bool) {
        let bits = size_bits(sz);
        let (a, b) = (a & size_mask(sz), b & size_mask(sz));
        let bit = |v: u32, i: u32| (v >> i) & 1;
        let mut r = 0;
        let cf;
        if left {
            cf = bit(a, bits - n) != 0;
            for i in 0..bits {
                let x = if i >= n {
                    bit(a, i - n)
                } else {
                    bit(b, i + bits - n)
                };
                r |= x << i;
            }
        } else {
            cf = bit(a, n - 1) != 0;
            for i in 0..bits {
                let x = if i + n < bits {
                    bit(a, i + n)
                } else {
                    bit(b, i + n - bits)
                };
                r |= x << i;
            }
        }
        (r, cf)
    }

    #[test]
    fn shld_shrd_match_pseudocode() {
        for sz in 1..3u8 {
            let m = size_mask(sz);
            for &a in &VALS {
                for &b in &VALS {
                    for n in 0..34u32 {
                        for left in [true, false] {
                            let mut f = Flags::default();
                            f.load(ARITH, ARITH);
                            let before = f.get();
                            let nn = n & 31;
                            let r = if left {
                                if sz == 1 {
                                    shd::<true, 1>(&mut f, a & m, b & m, nn)
                                } else {
                                    shd::<true, 2>(&mut f, a, b, nn)
                                }
                            } else if sz == 1 {
                                shd::<false, 1>(&mut f, a & m, b & m, nn)
                            } else {
                                shd::<false, 2>(&mut f, a, b, nn)
                            } & m;
                            let after = f.get();
                            if nn == 0 {
                                assert_eq!(r, a & m);
                                assert_eq!(after, before);
                                continue;
                            }
                            if nn > size_bits(sz) {
                                continue; // undefined
                            }
                            let (er, cf) = shd_ref(left, sz, a, b, nn);
                            let ctx = format!("left={left} sz={sz} a={a:#x} b={b:#x} n={n}");
                            assert_eq!(r, er, "{ctx}");
                            assert_eq!(after & CF != 0, cf, "CF {ctx}");
                            assert_eq!(after & ZF != 0, er == 0, "{ctx}");
                            assert_eq!(
                                after & SF != 0,
                                (er >> (size_bits(sz) - 1)) & 1 != 0,
                                "{ctx}"
                            );
                            assert_eq!(after & PF != 0, parity(er), "{ctx}");
                            if nn == 1 {
                                let sign = |v: u32| (v >> (size_bits(sz) - 1)) & 1;
                                assert_eq!(after & OF != 0, sign(er) != sign(a & m), "OF {ctx}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn set_cf_of_preserves_lazy_flags() {
        let vals: [u32; 10] = [
            0u32,
            1,
            0x7f,
            0x80,
            0xff,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x10,
            0x811,
        ];
        for k in crate::cpu::flags::ALL_KINDS {
            for sz in 0..3u8 {
                for &a in &vals {
                    for &b in &vals {
                        let mut f = Flags::default();
                        f.set(k | sz, a.wrapping_add(b), a, b);
                        f.aux = if k == kind::RES {
                            b & (CF | AF | OF)
                        } else {
                            1
                        };
                        let before = f.get();
                        for (cf, of) in [(false, false), (true, false), (false, true), (true, true)]
                        {
                            let mut g = f;
                            set_cf_of(&mut g, cf, of);
                            let want = (before & !(CF | OF)) | cf as u32 | ((of as u32) << 11);
                            assert_eq!(g.get(), want);
                        }
                    }
                }
            }
        }
    }

    fn blank() -> Inst {
        crate::cpu::decode::end_marker()
    }

    #[test]
    fn decodes_forms() {
        use iced_x86::{Decoder, DecoderOptions};
        let cases: &[&[u8]] = &[
            &[0xd1, 0xe0],             // shl eax,1
            &[0xc1, 0xe8, 0x05],       // shr eax,5
            &[0xd3, 0xf8],             // sar eax,cl
            &[0xd0, 0x00],             // rol byte [eax],1
            &[0x66, 0xd3, 0x10],       // rcl word [eax],cl
            &[0xd0, 0xf0],             // sal al,1 (/6)
            &[0x0f, 0xa4, 0xd8, 0x04], // shld eax,ebx,4
            &[0x0f, 0xad, 0x18],       // shrd [eax],ebx,cl
        ];
        for bytes in cases {
            let mut dec = Decoder::new(32, bytes, DecoderOptions::NONE);
            let ins = dec.decode();
            let mut d = blank();
            assert!(decode(&ins, &mut d), "{bytes:x?}");
        }
        let ins = Decoder::new(32, &[0xd1, 0xe0], DecoderOptions::NONE).decode();
        let mut d = blank();
        decode(&ins, &mut d);
        assert_eq!(d.imm, 1);
    }
}
