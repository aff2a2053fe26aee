//! MMX: the 64-bit integer SIMD instructions on MM0..MM7, which alias the
//! significands of the x87 physical registers R0..R7. Every MMX
//! instruction (after the #MF check for a pending x87 exception) sets TOP
//! to 0 and all tags to valid, and a write to MMn also sets the exponent
//! field of Rn to all ones; EMMS empties every tag.
//!
//! Also here: the SSE/SSE2/SSSE3 integer instructions in their MMX-register
//! forms (pavgb, pshufw, pinsrw, pextrw, pmovmskb, psadbw, pmin/pmax,
//! pmulhuw, maskmovq, movntq, paddq, psubq, pmuludq, pshufb, phadd*, phsub*,
//! pmaddubsw, pmulhrsw, psign*, pabs*, palignr) and movq2dq/movdq2q.

use iced_x86::{Instruction, Mnemonic, OpKind, Register};

use super::sse::{mm as mmreg, xmm as xmmreg};
use crate::cpu::decode::{any_gpr, gpr, gpr32, reg_or_mem, set_mem};
use crate::cpu::exec::x87::{sf::F80, wait_check};
use crate::cpu::{th, Cpu, Handler, Inst, EDI};

/// Read MMn.
#[inline(always)]
pub fn mm(c: &Cpu, n: u8) -> u64 {
    c.fpu.r[(n & 7) as usize].sig
}

/// Write MMn (exponent field all ones, as on hardware).
#[inline(always)]
pub fn set_mm(c: &mut Cpu, n: u8, v: u64) {
    c.fpu.r[(n & 7) as usize] = F80 { sig: v, se: 0xffff };
}

/// The x87 state change of an MMX instruction: TOP = 0, all tags valid.
#[inline(always)]
pub fn mmx_state(c: &mut Cpu) {
    c.fpu.top = 0;
    c.fpu.tags = 0xff;
}

// ---- lane helpers ----

#[inline(always)]
fn lanes<const BYTES: u32>(a: u64, b: u64, f: impl Fn(u64, u64) -> u64) -> u64 {
    let bits = BYTES * 8;
    let m = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
    let mut r = 0;
    let mut sh = 0;
    while sh < 64 {
        r |= (f((a >> sh) & m, (b >> sh) & m) & m) << sh;
        sh += bits;
    }
    r
}

#[inline(always)]
fn sx(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

#[inline(always)]
fn sat_s(v: i64, bits: u32) -> u64 {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    v.clamp(min, max) as u64
}

#[inline(always)]
fn sat_u(v: i64, bits: u32) -> u64 {
    v.clamp(0, (1i64 << bits) - 1) as u64
}

fn byte(v: u64, k: u32) -> u64 {
    (v >> (8 * k)) & 0xff
}
fn word(v: u64, k: u32) -> u64 {
    (v >> (16 * k)) & 0xffff
}
fn dword(v: u64, k: u32) -> u64 {
    (v >> (32 * k)) & 0xffff_ffff
}

// ---- operation codes ----
macro_rules! ops {
    ($($n:ident = $v:expr),* $(,)?) => { $(const $n: u8 = $v;)* };
}
ops!(
    PADDB = 0,
    PADDW = 1,
    PADDD = 2,
    PADDQ = 3,
    PSUBB = 4,
    PSUBW = 5,
    PSUBD = 6,
    PSUBQ = 7,
    PADDSB = 8,
    PADDSW = 9,
    PADDUSB = 10,
    PADDUSW = 11,
    PSUBSB = 12,
    PSUBSW = 13,
    PSUBUSB = 14,
    PSUBUSW = 15,
    PMULLW = 16,
    PMULHW = 17,
    PMULHUW = 18,
    PMULUDQ = 19,
    PMADDWD = 20,
    PAND = 21,
    PANDN = 22,
    POR = 23,
    PXOR = 24,
    PCMPEQB = 25,
    PCMPEQW = 26,
    PCMPEQD = 27,
    PCMPGTB = 28,
    PCMPGTW = 29,
    PCMPGTD = 30,
    PACKSSWB = 31,
    PACKSSDW = 32,
    PACKUSWB = 33,
    PUNPCKHBW = 34,
    PUNPCKHWD = 35,
    PUNPCKHDQ = 36,
    PUNPCKLBW = 37,
    PUNPCKLWD = 38,
    PUNPCKLDQ = 39,
    PSLLW = 40,
    PSLLD = 41,
    PSLLQ = 42,
    PSRLW = 43,
    PSRLD = 44,
    PSRLQ = 45,
    PSRAW = 46,
    PSRAD = 47,
    PAVGB = 48,
    PAVGW = 49,
    PMAXSW = 50,
    PMAXUB = 51,
    PMINSW = 52,
    PMINUB = 53,
    PSADBW = 54,
    PSHUFW = 55,
    PSHUFB = 56,
    PHADDW = 57,
    PHADDD = 58,
    PHADDSW = 59,
    PHSUBW = 60,
    PHSUBD = 61,
    PHSUBSW = 62,
    PMADDUBSW = 63,
    PMULHRSW = 64,
    PSIGNB = 65,
    PSIGNW = 66,
    PSIGND = 67,
    PABSB = 68,
    PABSW = 69,
    PABSD = 70,
    PALIGNR = 71,
    MOVQ = 72,
);

/// dst = OP(dst `a`, source `b`, immediate `imm`).
#[inline(always)]
fn calc<const OP: u8>(a: u64, b: u64, imm: u32) -> u64 {
    match OP {
        PADDB => lanes::<1>(a, b, |x, y| x.wrapping_add(y)),
        PADDW => lanes::<2>(a, b, |x, y| x.wrapping_add(y)),
        PADDD => lanes::<4>(a, b, |x, y| x.wrapping_add(y)),
        PADDQ => a.wrapping_add(b),
        PSUBB => lanes::<1>(a, b, |x, y| x.wrapping_sub(y)),
        PSUBW => lanes::<2>(a, b, |x, y| x.wrapping_sub(y)),
        PSUBD => lanes::<4>(a, b, |x, y| x.wrapping_sub(y)),
        PSUBQ => a.wrapping_sub(b),
        PADDSB => lanes::<1>(a, b, |x, y| sat_s(sx(x, 8) + sx(y, 8), 8)),
        PADDSW => lanes::<2>(a, b, |x, y| sat_s(sx(x, 16) + sx(y, 16), 16)),
        PADDUSB => lanes::<1>(a, b, |x, y| sat_u((x + y) as i64, 8)),
        PADDUSW => lanes::<2>(a, b, |x, y| sat_u((x + y) as i64, 16)),
        PSUBSB => lanes::<1>(a, b, |x, y| sat_s(sx(x, 8) - sx(y, 8), 8)),
        PSUBSW => lanes::<2>(a, b, |x, y| sat_s(sx(x, 16) - sx(y, 16), 16)),
        PSUBUSB => lanes::<1>(a, b, |x, y| sat_u(x as i64 - y as i64, 8)),
        PSUBUSW => lanes::<2>(a, b, |x, y| sat_u(x as i64 - y as i64, 16)),
        PMULLW => lanes::<2>(a, b, |x, y| x.wrapping_mul(y)),
        PMULHW => lanes::<2>(a, b, |x, y| ((sx(x, 16) * sx(y, 16)) >> 16) as u64),
        PMULHUW => lanes::<2>(a, b, |x, y| (x * y) >> 16),
        PMULUDQ => (a & 0xffff_ffff) * (b & 0xffff_ffff),
        PMADDWD => lanes::<4>(a, b, |x, y| {
            let p0 = sx(x & 0xffff, 16) * sx(y & 0xffff, 16);
            let p1 = sx(x >> 16, 16) * sx(y >> 16, 16);
            (p0 + p1) as u64
        }),
        PAND => a & b,
        PANDN => !a & b,
        POR => a | b,
        PXOR => a ^ b,
        PCMPEQB => lanes::<1>(a, b, |x, y| if x == y { !0 } else { 0 }),
        PCMPEQW => lanes::<2>(a, b, |x, y| if x == y { !0 } else { 0 }),
        PCMPEQD => lanes::<4>(a, b, |x, y| if x == y { !0 } else { 0 }),
        PCMPGTB => lanes::<1>(a, b, |x, y| if sx(x, 8) > sx(y, 8) { !0 } else { 0 }),
        PCMPGTW => lanes::<2>(a, b, |x, y| if sx(x, 16) > sx(y, 16) { !0 } else { 0 }),
        PCMPGTD => lanes::<4>(a, b, |x, y| if sx(x, 32) > sx(y, 32) { !0 } else { 0 }),
        PACKSSWB => {
            let mut r = 0;
            for k in 0..4 {
                r |= (sat_s(sx(word(a, k), 16), 8) & 0xff) << (8 * k);
                r |= (sat_s(sx(word(b, k), 16), 8) & 0xff) << (8 * (k + 4));
            }
            r
        }
        PACKSSDW => {
            let mut r = 0;
            for k in 0..2 {
                r |= (sat_s(sx(dword(a, k), 32), 16) & 0xffff) << (16 * k);
                r |= (sat_s(sx(dword(b, k), 32), 16) & 0xffff) << (16 * (k + 2));
            }
            r
        }
        PACKUSWB => {
            let mut r = 0;
            for k in 0..4 {
                r |= sat_u(sx(word(a, k), 16), 8) << (8 * k);
                r |= sat_u(sx(word(b, k), 16), 8) << (8 * (k + 4));
            }
            r
        }
        PUNPCKHBW | PUNPCKLBW => {
            let base = if OP == PUNPCKHBW { 4 } else { 0 };
            let mut r = 0;
            for k in 0..4 {
                r |= byte(a, base + k) << (16 * k);
                r |= byte(b, base + k) << (16 * k + 8);
            }
            r
        }
        PUNPCKHWD | PUNPCKLWD => {
            let base = if OP == PUNPCKHWD { 2 } else { 0 };
            let mut r = 0;
            for k in 0..2 {
                r |= word(a, base + k) << (32 * k);
                r |= word(b, base + k) << (32 * k + 16);
            }
            r
        }
        PUNPCKHDQ => dword(a, 1) | dword(b, 1) << 32,
        PUNPCKLDQ => dword(a, 0) | dword(b, 0) << 32,
        PSLLW => lanes::<2>(a, 0, |x, _| if b > 15 { 0 } else { x << b }),
        PSLLD => lanes::<4>(a, 0, |x, _| if b > 31 { 0 } else { x << b }),
        PSLLQ => {
            if b > 63 {
                0
            } else {
                a << b
            }
        }
        PSRLW => lanes::<2>(a, 0, |x, _| if b > 15 { 0 } else { x >> b }),
        PSRLD => lanes::<4>(a, 0, |x, _| if b > 31 { 0 } else { x >> b }),
        PSRLQ => {
            if b > 63 {
                0
            } else {
                a >> b
            }
        }
        PSRAW => lanes::<2>(a, 0, |x, _| (sx(x, 16) >> b.min(15)) as u64),
        PSRAD => lanes::<4>(a, 0, |x, _| (sx(x, 32) >> b.min(31)) as u64),
        PAVGB => lanes::<1>(a, b, |x, y| (x + y + 1) >> 1),
        PAVGW => lanes::<2>(a, b, |x, y| (x + y + 1) >> 1),
        PMAXSW => lanes::<2>(a, b, |x, y| if sx(x, 16) >= sx(y, 16) { x } else { y }),
        PMAXUB => lanes::<1>(a, b, |x, y| x.max(y)),
        PMINSW => lanes::<2>(a, b, |x, y| if sx(x, 16) <= sx(y, 16) { x } else { y }),
        PMINUB => lanes::<1>(a, b, |x, y| x.min(y)),
        PSADBW => {
            let mut s = 0;
            for k in 0..8 {
                s += (byte(a, k) as i64 - byte(b, k) as i64).unsigned_abs();
            }
            s
        }
        PSHUFW => {
            let mut r = 0;
            for k in 0..4 {
                r |= word(b, (imm >> (2 * k)) & 3) << (16 * k);
            }
            r
        }
        PSHUFB => {
            let mut r = 0;
            for k in 0..8 {
                let s = byte(b, k);
                if s & 0x80 == 0 {
                    r |= byte(a, (s & 7) as u32) << (8 * k);
                }
            }
            r
        }
        PHADDW | PHADDSW | PHSUBW | PHSUBSW => {
            let f = |v: u64, k: u32| -> u64 {
                let (x, y) = (sx(word(v, 2 * k), 16), sx(word(v, 2 * k + 1), 16));
                let s = if OP == PHADDW || OP == PHADDSW {
                    x + y
                } else {
                    x - y
                };
                if OP == PHADDSW || OP == PHSUBSW {
                    sat_s(s, 16) & 0xffff
                } else {
                    s as u64 & 0xffff
                }
            };
            f(a, 0) | f(a, 1) << 16 | f(b, 0) << 32 | f(b, 1) << 48
        }
        PHADDD => (dword(a, 0) + dword(a, 1)) & 0xffff_ffff | ((dword(b, 0) + dword(b, 1)) << 32),
        PHSUBD => {
            dword(a, 0).wrapping_sub(dword(a, 1)) & 0xffff_ffff
                | dword(b, 0).wrapping_sub(dword(b, 1)) << 32
        }
        PMADDUBSW => lanes::<2>(a, b, |x, y| {
            let p0 = (x & 0xff) as i64 * sx(y & 0xff, 8);
            let p1 = (x >> 8) as i64 * sx(y >> 8, 8);
            sat_s(p0 + p1, 16)
        }),
        PMULHRSW => lanes::<2>(a, b, |x, y| {
            ((((sx(x, 16) * sx(y, 16)) >> 14) + 1) >> 1) as u64
        }),
        PSIGNB => lanes::<1>(a, b, |x, y| match sx(y, 8) {
            0 => 0,
            s if s < 0 => x.wrapping_neg(),
            _ => x,
        }),
        PSIGNW => lanes::<2>(a, b, |x, y| match sx(y, 16) {
            0 => 0,
            s if s < 0 => x.wrapping_neg(),
            _ => x,
        }),
        PSIGND => lanes::<4>(a, b, |x, y| match sx(y, 32) {
            0 => 0,
            s if s < 0 => x.wrapping_neg(),
            _ => x,
        }),
        PABSB => lanes::<1>(b, 0, |x, _| sx(x, 8).unsigned_abs()),
        PABSW => lanes::<2>(b, 0, |x, _| sx(x, 16).unsigned_abs()),
        PABSD => lanes::<4>(b, 0, |x, _| sx(x, 32).unsigned_abs()),
        PALIGNR => {
            // (a:b) >> (imm*8), 128-bit intermediate
            let v = (a as u128) << 64 | b as u128;
            let sh = imm * 8;
            if sh >= 128 {
                0
            } else {
                (v >> sh) as u64
            }
        }
        _ => b, // MOVQ
    }
}

// ---- handlers ----

/// mm(r) = OP(mm(r), mm(rm)).
fn op_rr<const OP: u8>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    let v = calc::<OP>(mm(c, i.r), mm(c, i.rm), i.imm);
    set_mm(c, i.r, v);
}

/// mm(r) = OP(mm(r), m64).
fn op_rm<const OP: u8>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let Some(b) = c.rd64(a) else { return };
    mmx_state(c);
    let v = calc::<OP>(mm(c, i.r), b, i.imm);
    set_mm(c, i.r, v);
}

/// Shift by an immediate: mm(r) = OP(mm(r), imm).
fn op_ri<const OP: u8>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    let v = calc::<OP>(mm(c, i.r), i.imm as u64, 0);
    set_mm(c, i.r, v);
}

/// movq m64, mm / movntq.
fn movq_mr(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let v = mm(c, i.r);
    if c.wr64(a, v).is_some() {
        mmx_state(c);
    }
}

/// movd mm, r32.
fn movd_r_gpr(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    let v = c.regs[(i.rm & 7) as usize] as u64;
    set_mm(c, i.r, v);
}

/// movd mm, m32.
fn movd_r_m(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let Some(v) = c.rd32(a) else { return };
    mmx_state(c);
    set_mm(c, i.r, v as u64);
}

/// movd r32, mm.
fn movd_gpr_r(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    c.regs[(i.rm & 7) as usize] = mm(c, i.r) as u32;
}

/// movd m32, mm.
fn movd_m_r(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let v = mm(c, i.r) as u32;
    if c.wr32(a, v).is_some() {
        mmx_state(c);
    }
}

fn emms(c: &mut Cpu, _: &Inst) {
    if !wait_check(c) {
        return;
    }
    c.fpu.tags = 0;
    c.fpu.top = 0;
}

/// pinsrw mm, r32/m16, imm8 (`MEM`: m16).
fn pinsrw<const MEM: bool>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let w = if MEM {
        let a = c.ea(i);
        let Some(v) = c.rd16(a) else { return };
        v
    } else {
        c.regs[(i.rm & 7) as usize] & 0xffff
    } as u64;
    mmx_state(c);
    let sh = 16 * (i.imm & 3);
    let v = (mm(c, i.r) & !(0xffff << sh)) | w << sh;
    set_mm(c, i.r, v);
}

/// pextrw r32, mm, imm8 (r32 in `i.r`, mm in `i.rm`).
fn pextrw(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    c.regs[(i.r & 7) as usize] = word(mm(c, i.rm), i.imm & 3) as u32;
}

/// pmovmskb r32, mm (r32 in `i.r`, mm in `i.rm`).
fn pmovmskb(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    let v = mm(c, i.rm);
    let mut m = 0;
    for k in 0..8 {
        m |= ((v >> (8 * k + 7)) & 1) << k;
    }
    c.regs[(i.r & 7) as usize] = m as u32;
}

/// maskmovq mm1, mm2: bytes of mm1 selected by mm2's sign bits go to [ds:edi].
fn maskmovq(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let (v, m) = (mm(c, i.r), mm(c, i.rm));
    let base = c.lin((i.seg & 7) as usize | crate::cpu::SEG_W, c.regs[EDI], 8);
    for k in 0..8 {
        if (m >> (8 * k + 7)) & 1 != 0
            && c.wr8(base.wrapping_add(k), (v >> (8 * k)) as u32).is_none()
        {
            return;
        }
    }
    mmx_state(c);
}

/// movq2dq xmm, mm.
fn movq2dq(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    c.sse.xmm[(i.r & 7) as usize] = mm(c, i.rm) as u128;
}

/// movdq2q mm, xmm.
fn movdq2q(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    mmx_state(c);
    let v = c.sse.xmm[(i.rm & 7) as usize] as u64;
    set_mm(c, i.r, v);
}

// ---- decoding ----

fn alu_op(m: Mnemonic) -> Option<u8> {
    use Mnemonic::*;
    Some(match m {
        Paddb => PADDB,
        Paddw => PADDW,
        Paddd => PADDD,
        Paddq => PADDQ,
        Psubb => PSUBB,
        Psubw => PSUBW,
        Psubd => PSUBD,
        Psubq => PSUBQ,
        Paddsb => PADDSB,
        Paddsw => PADDSW,
        Paddusb => PADDUSB,
        Paddusw => PADDUSW,
        Psubsb => PSUBSB,
        Psubsw => PSUBSW,
        Psubusb => PSUBUSB,
        Psubusw => PSUBUSW,
        Pmullw => PMULLW,
        Pmulhw => PMULHW,
        Pmulhuw => PMULHUW,
        Pmuludq => PMULUDQ,
        Pmaddwd => PMADDWD,
        Pand => PAND,
        Pandn => PANDN,
        Por => POR,
        Pxor => PXOR,
        Pcmpeqb => PCMPEQB,
        Pcmpeqw => PCMPEQW,
        Pcmpeqd => PCMPEQD,
        Pcmpgtb => PCMPGTB,
        Pcmpgtw => PCMPGTW,
        Pcmpgtd => PCMPGTD,
        Packsswb => PACKSSWB,
        Packssdw => PACKSSDW,
        Packuswb => PACKUSWB,
        Punpckhbw => PUNPCKHBW,
        Punpckhwd => PUNPCKHWD,
        Punpckhdq => PUNPCKHDQ,
        Punpcklbw => PUNPCKLBW,
        Punpcklwd => PUNPCKLWD,
        Punpckldq => PUNPCKLDQ,
        Psllw => PSLLW,
        Pslld => PSLLD,
        Psllq => PSLLQ,
        Psrlw => PSRLW,
        Psrld => PSRLD,
        Psrlq => PSRLQ,
        Psraw => PSRAW,
        Psrad => PSRAD,
        Pavgb => PAVGB,
        Pavgw => PAVGW,
        Pmaxsw => PMAXSW,
        Pmaxub => PMAXUB,
        Pminsw => PMINSW,
        Pminub => PMINUB,
        Psadbw => PSADBW,
        Pshufw => PSHUFW,
        Pshufb => PSHUFB,
        Phaddw => PHADDW,
        Phaddd => PHADDD,
        Phaddsw => PHADDSW,
        Phsubw => PHSUBW,
        Phsubd => PHSUBD,
        Phsubsw => PHSUBSW,
        Pmaddubsw => PMADDUBSW,
        Pmulhrsw => PMULHRSW,
        Psignb => PSIGNB,
        Psignw => PSIGNW,
        Psignd => PSIGND,
        Pabsb => PABSB,
        Pabsw => PABSW,
        Pabsd => PABSD,
        Palignr => PALIGNR,
        Movq => MOVQ,
        _ => return None,
    })
}

macro_rules! pick {
    ($op:expr, $f:ident) => {
        match $op {
            PADDB => th($f::<PADDB>),
            PADDW => th($f::<PADDW>),
            PADDD => th($f::<PADDD>),
            PADDQ => th($f::<PADDQ>),
            PSUBB => th($f::<PSUBB>),
            PSUBW => th($f::<PSUBW>),
            PSUBD => th($f::<PSUBD>),
            PSUBQ => th($f::<PSUBQ>),
            PADDSB => th($f::<PADDSB>),
            PADDSW => th($f::<PADDSW>),
            PADDUSB => th($f::<PADDUSB>),
            PADDUSW => th($f::<PADDUSW>),
            PSUBSB => th($f::<PSUBSB>),
            PSUBSW => th($f::<PSUBSW>),
            PSUBUSB => th($f::<PSUBUSB>),
            PSUBUSW => th($f::<PSUBUSW>),
            PMULLW => th($f::<PMULLW>),
            PMULHW => th($f::<PMULHW>),
            PMULHUW => th($f::<PMULHUW>),
            PMULUDQ => th($f::<PMULUDQ>),
            PMADDWD => th($f::<PMADDWD>),
            PAND => th($f::<PAND>),
            PANDN => th($f::<PANDN>),
            POR => th($f::<POR>),
            PXOR => th($f::<PXOR>),
            PCMPEQB => th($f::<PCMPEQB>),
            PCMPEQW => th($f::<PCMPEQW>),
            PCMPEQD => th($f::<PCMPEQD>),
            PCMPGTB => th($f::<PCMPGTB>),
            PCMPGTW => th($f::<PCMPGTW>),
            PCMPGTD => th($f::<PCMPGTD>),
            PACKSSWB => th($f::<PACKSSWB>),
            PACKSSDW => th($f::<PACKSSDW>),
            PACKUSWB => th($f::<PACKUSWB>),
            PUNPCKHBW => th($f::<PUNPCKHBW>),
            PUNPCKHWD => th($f::<PUNPCKHWD>),
            PUNPCKHDQ => th($f::<PUNPCKHDQ>),
            PUNPCKLBW => th($f::<PUNPCKLBW>),
            PUNPCKLWD => th($f::<PUNPCKLWD>),
            PUNPCKLDQ => th($f::<PUNPCKLDQ>),
            PSLLW => th($f::<PSLLW>),
            PSLLD => th($f::<PSLLD>),
            PSLLQ => th($f::<PSLLQ>),
            PSRLW => th($f::<PSRLW>),
            PSRLD => th($f::<PSRLD>),
            PSRLQ => th($f::<PSRLQ>),
            PSRAW => th($f::<PSRAW>),
            PSRAD => th($f::<PSRAD>),
            PAVGB => th($f::<PAVGB>),
            PAVGW => th($f::<PAVGW>),
            PMAXSW => th($f::<PMAXSW>),
            PMAXUB => th($f::<PMAXUB>),
            PMINSW => th($f::<PMINSW>),
            PMINUB => th($f::<PMINUB>),
            PSADBW => th($f::<PSADBW>),
            PSHUFW => th($f::<PSHUFW>),
            PSHUFB => th($f::<PSHUFB>),
            PHADDW => th($f::<PHADDW>),
            PHADDD => th($f::<PHADDD>),
            PHADDSW => th($f::<PHADDSW>),
            PHSUBW => th($f::<PHSUBW>),
            PHSUBD => th($f::<PHSUBD>),
            PHSUBSW => th($f::<PHSUBSW>),
            PMADDUBSW => th($f::<PMADDUBSW>),
            PMULHRSW => th($f::<PMULHRSW>),
            PSIGNB => th($f::<PSIGNB>),
            PSIGNW => th($f::<PSIGNW>),
            PSIGND => th($f::<PSIGND>),
            PABSB => th($f::<PABSB>),
            PABSW => th($f::<PABSW>),
            PABSD => th($f::<PABSD>),
            PALIGNR => th($f::<PALIGNR>),
            _ => th($f::<MOVQ>),
        }
    };
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let n = ins.op_count();
    let kind = |k: u32| {
        if k < n {
            ins.op_kind(k)
        } else {
            OpKind::Register
        }
    };
    let reg = |k: u32| {
        if k < n && ins.op_kind(k) == OpKind::Register {
            ins.op_register(k)
        } else {
            Register::None
        }
    };
    let imm = |k: u32| -> Option<u32> {
        if k < n && ins.op_kind(k) == OpKind::Immediate8 {
            Some(ins.immediate(k) as u32)
        } else {
            None
        }
    };
    let mn = ins.mnemonic();
    let h: Handler = match mn {
        Emms => th(emms),
        Movd => {
            // The mm register in r; the r32/m32 side (source or destination) in rm.
            let ok = if let Some(r) = mmreg(reg(0)) {
                d.r = r;
                reg_or_mem(ins, 1, d, gpr32, th(movd_r_gpr), th(movd_r_m))
            } else if let Some(r) = mmreg(reg(1)) {
                d.r = r;
                reg_or_mem(ins, 0, d, gpr32, th(movd_gpr_r), th(movd_m_r))
            } else {
                false
            };
            if !ok {
                return false;
            }
            d.h
        }
        Movq | Movntq if kind(0) == OpKind::Memory => {
            let Some(r) = mmreg(reg(1)) else {
                return false;
            };
            d.r = r;
            if !set_mem(ins, d) {
                return false;
            }
            th(movq_mr)
        }
        Movq2dq => {
            let (Some(x), Some(m)) = (xmmreg(reg(0)), mmreg(reg(1))) else {
                return false;
            };
            d.r = x;
            d.rm = m;
            th(movq2dq)
        }
        Movdq2q => {
            let (Some(m), Some(x)) = (mmreg(reg(0)), xmmreg(reg(1))) else {
                return false;
            };
            d.r = m;
            d.rm = x;
            th(movdq2q)
        }
        Pinsrw => {
            let Some(r) = mmreg(reg(0)) else {
                return false;
            };
            d.r = r;
            d.imm = imm(2).unwrap_or(0);
            if !reg_or_mem(ins, 1, d, any_gpr, th(pinsrw::<false>), th(pinsrw::<true>)) {
                return false;
            }
            d.h
        }
        Pextrw | Pmovmskb => {
            let Some(m) = mmreg(reg(1)) else {
                return false;
            };
            let Some((g, _)) = gpr(reg(0)) else {
                return false;
            };
            d.r = g;
            d.rm = m;
            d.imm = imm(2).unwrap_or(0);
            if mn == Pextrw {
                th(pextrw)
            } else {
                th(pmovmskb)
            }
        }
        Maskmovq => {
            // iced lists the implicit [edi] destination as an operand
            let mut mms = (0..n).filter_map(|k| mmreg(reg(k)));
            let (Some(a), Some(b)) = (mms.next(), mms.next()) else {
                return false;
            };
            d.r = a;
            d.rm = b;
            d.seg = crate::cpu::decode::sreg(ins.memory_segment()).unwrap_or(3);
            th(maskmovq)
        }
        _ => {
            let Some(op) = alu_op(mn) else {
                return false;
            };
            let Some(r) = mmreg(reg(0)) else {
                return false;
            };
            d.r = r;
            if kind(1) == OpKind::Immediate8 {
                d.imm = ins.immediate(1) as u32 & 0xff;
                pick!(op, op_ri)
            } else {
                if !reg_or_mem(ins, 1, d, mmreg, pick!(op, op_rr), pick!(op, op_rm)) {
                    return false;
                }
                d.imm = imm(2).unwrap_or(0);
                d.h
            }
        }
    };
    d.h = h;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_and_saturation() {
        assert_eq!(calc::<PADDB>(0x01ff_7f80, 0x0101_0180, 0), 0x0200_8000);
        assert_eq!(calc::<PADDSB>(0x7f80, 0x01ff, 0), 0x7f80);
        assert_eq!(calc::<PADDUSW>(0xfff0, 0x0020, 0), 0xffff);
        assert_eq!(calc::<PSUBUSB>(0x10, 0x20, 0), 0);
        assert_eq!(calc::<PMULHW>(0x8000, 0x8000, 0), 0x4000);
        assert_eq!(calc::<PMADDWD>(0x0002_0003, 0x0004_0005, 0), 23);
        assert_eq!(calc::<PACKSSWB>(0x0080_ff7f, 0, 0), 0x7f80);
        assert_eq!(calc::<PACKUSWB>(0xff00_0100, 0, 0), 0xff);
        assert_eq!(
            calc::<PUNPCKLBW>(0x0403_0201, 0x0807_0605, 0),
            0x0804_0703_0602_0501
        );
        assert_eq!(calc::<PSRAW>(0x8000, 20, 0), 0xffff);
        assert_eq!(calc::<PSLLQ>(1, 64, 0), 0);
        assert_eq!(
            calc::<PSHUFW>(0, 0x4444_3333_2222_1111, 0x1b),
            0x1111_2222_3333_4444
        );
        assert_eq!(
            calc::<PALIGNR>(0x1122334455667788, 0x99aabbccddeeff00, 2),
            0x778899aabbccddee
        );
        assert_eq!(calc::<PSADBW>(0x0102, 0x0201, 0), 2);
    }
}
