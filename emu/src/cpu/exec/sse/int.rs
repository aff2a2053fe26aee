//! SIMD integer instructions (SSE2 on xmm, the SSE/SSE2/SSSE3 additions on
//! mm) as pure functions of 128-bit values, plus the bitwise and shuffle
//! operations shared with the floating-point forms (andps, shufps, ...).
//!
//! Every operation is `Op2::op::<MM>(a = destination, b = source, imm)`.
//! MMX forms get their 64-bit operands zero-extended and keep the low 64
//! bits of the result; lane-wise operations need nothing else, the others
//! (horizontal, pack, unpack, byte shuffles) look at `MM`.

use bytemuck::cast;

use super::Op2;
use crate::cpu::Cpu;

type B = [u8; 16];
type W = [u16; 8];
type D = [u32; 4];
type Q = [u64; 2];

#[inline(always)]
pub fn zb(a: u128, b: u128, f: impl Fn(u8, u8) -> u8) -> u128 {
    let (a, b): (B, B) = (cast(a), cast(b));
    let mut r = [0u8; 16];
    for k in 0..16 {
        r[k] = f(a[k], b[k]);
    }
    cast(r)
}

#[inline(always)]
pub fn zw(a: u128, b: u128, f: impl Fn(u16, u16) -> u16) -> u128 {
    let (a, b): (W, W) = (cast(a), cast(b));
    let mut r = [0u16; 8];
    for k in 0..8 {
        r[k] = f(a[k], b[k]);
    }
    cast(r)
}

#[inline(always)]
pub fn zd(a: u128, b: u128, f: impl Fn(u32, u32) -> u32) -> u128 {
    let (a, b): (D, D) = (cast(a), cast(b));
    let mut r = [0u32; 4];
    for k in 0..4 {
        r[k] = f(a[k], b[k]);
    }
    cast(r)
}

#[inline(always)]
pub fn zq(a: u128, b: u128, f: impl Fn(u64, u64) -> u64) -> u128 {
    let (a, b): (Q, Q) = (cast(a), cast(b));
    cast([f(a[0], b[0]), f(a[1], b[1])])
}

#[inline(always)]
fn sat8(x: i32) -> u8 {
    x.clamp(-128, 127) as i8 as u8
}

#[inline(always)]
fn satu8(x: i32) -> u8 {
    x.clamp(0, 255) as u8
}

#[inline(always)]
fn sat16(x: i32) -> u16 {
    x.clamp(-32768, 32767) as i16 as u16
}

// ---- shifts ----

#[inline(always)]
pub fn sll_w(a: u128, n: u64) -> u128 {
    if n > 15 {
        0
    } else {
        zw(a, 0, |x, _| x << n)
    }
}
#[inline(always)]
pub fn srl_w(a: u128, n: u64) -> u128 {
    if n > 15 {
        0
    } else {
        zw(a, 0, |x, _| x >> n)
    }
}
#[inline(always)]
pub fn sra_w(a: u128, n: u64) -> u128 {
    let n = n.min(15);
    zw(a, 0, |x, _| ((x as i16) >> n) as u16)
}
#[inline(always)]
pub fn sll_d(a: u128, n: u64) -> u128 {
    if n > 31 {
        0
    } else {
        zd(a, 0, |x, _| x << n)
    }
}
#[inline(always)]
pub fn srl_d(a: u128, n: u64) -> u128 {
    if n > 31 {
        0
    } else {
        zd(a, 0, |x, _| x >> n)
    }
}
#[inline(always)]
pub fn sra_d(a: u128, n: u64) -> u128 {
    let n = n.min(31);
    zd(a, 0, |x, _| ((x as i32) >> n) as u32)
}
#[inline(always)]
pub fn sll_q(a: u128, n: u64) -> u128 {
    if n > 63 {
        0
    } else {
        zq(a, 0, |x, _| x << n)
    }
}
#[inline(always)]
pub fn srl_q(a: u128, n: u64) -> u128 {
    if n > 63 {
        0
    } else {
        zq(a, 0, |x, _| x >> n)
    }
}

// ---- horizontal / pack / unpack helpers ----

/// Words of `a` then `b`, pairwise combined: [f(a0,a1), f(a2,a3), ...,
/// f(b0,b1), ...]; `n` words per operand (4 for MMX, 8 for xmm).
#[inline(always)]
fn hw(a: u128, b: u128, n: usize, f: impl Fn(u16, u16) -> u16) -> u128 {
    let (a, b): (W, W) = (cast(a), cast(b));
    let mut r = [0u16; 8];
    for k in 0..n / 2 {
        r[k] = f(a[2 * k], a[2 * k + 1]);
        r[k + n / 2] = f(b[2 * k], b[2 * k + 1]);
    }
    cast(r)
}

#[inline(always)]
fn hd(a: u128, b: u128, n: usize, f: impl Fn(u32, u32) -> u32) -> u128 {
    let (a, b): (D, D) = (cast(a), cast(b));
    let mut r = [0u32; 4];
    for k in 0..n / 2 {
        r[k] = f(a[2 * k], a[2 * k + 1]);
        r[k + n / 2] = f(b[2 * k], b[2 * k + 1]);
    }
    cast(r)
}

/// Narrow words to bytes: `n` words from `a` then `n` from `b`.
#[inline(always)]
fn pack_wb(a: u128, b: u128, n: usize, f: impl Fn(u16) -> u8) -> u128 {
    let (a, b): (W, W) = (cast(a), cast(b));
    let mut r = [0u8; 16];
    for k in 0..n {
        r[k] = f(a[k]);
        r[k + n] = f(b[k]);
    }
    cast(r)
}

#[inline(always)]
fn pack_dw(a: u128, b: u128, n: usize, f: impl Fn(u32) -> u16) -> u128 {
    let (a, b): (D, D) = (cast(a), cast(b));
    let mut r = [0u16; 8];
    for k in 0..n {
        r[k] = f(a[k]);
        r[k + n] = f(b[k]);
    }
    cast(r)
}

/// Interleave elements of `E` bytes from the low (`HI` false) or high half
/// of `a` and `b`; `w` is the register width in bytes (8 or 16).
#[inline(always)]
fn unpack<const E: usize, const HI: bool>(a: u128, b: u128, w: usize) -> u128 {
    let (a, b): (B, B) = (cast(a), cast(b));
    let mut r = [0u8; 16];
    let half = w / 2;
    let base = if HI { half } else { 0 };
    for k in 0..half / E {
        for j in 0..E {
            r[2 * k * E + j] = a[base + k * E + j];
            r[2 * k * E + E + j] = b[base + k * E + j];
        }
    }
    cast(r)
}

#[inline(always)]
fn width(mm: bool) -> usize {
    if mm {
        8
    } else {
        16
    }
}

/// `$portable`, or on an x86_64 host (where SSE2 is part of the baseline)
/// the same lane-wise operation as the host's SSE2 instruction `$intr`:
/// the compiler does not turn the portable lane loops over a u128 into
/// vector code (a pcmpeqb took about 100 instructions of byte shifts).
/// In unit tests every use also computes the portable form and asserts
/// that both agree.
macro_rules! sse2 {
    ($a:expr, $b:expr, $intr:ident, $portable:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{__m128i, $intr};
            use std::mem::transmute;
            // SAFETY: SSE2 is always present on x86_64; u128 and __m128i
            // are both 16 bytes of plain data.
            let fast = unsafe { transmute::<__m128i, u128>($intr(transmute($a), transmute($b))) };
            #[cfg(test)]
            assert_eq!(
                fast,
                $portable,
                "{}: the SSE2 and portable forms differ",
                stringify!($intr)
            );
            fast
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $portable
        }
    }};
}

macro_rules! op2 {
    ($($(#[$m:meta])* $name:ident = |$a:pat_param, $b:pat_param, $imm:pat_param, $mm:pat_param| $e:expr;)*) => {$(
        $(#[$m])*
        pub struct $name;
        impl Op2 for $name {
            #[inline(always)]
            fn op<const MM: bool>(_c: &mut Cpu, $a: u128, $b: u128, $imm: u8) -> Option<u128> {
                let $mm = MM;
                Some($e)
            }
        }
    )*};
}

op2! {
    Paddb = |a, b, _, _| sse2!(a, b, _mm_add_epi8, zb(a, b, u8::wrapping_add));
    Paddw = |a, b, _, _| sse2!(a, b, _mm_add_epi16, zw(a, b, u16::wrapping_add));
    Paddd = |a, b, _, _| sse2!(a, b, _mm_add_epi32, zd(a, b, u32::wrapping_add));
    Paddq = |a, b, _, _| sse2!(a, b, _mm_add_epi64, zq(a, b, u64::wrapping_add));
    Psubb = |a, b, _, _| sse2!(a, b, _mm_sub_epi8, zb(a, b, u8::wrapping_sub));
    Psubw = |a, b, _, _| sse2!(a, b, _mm_sub_epi16, zw(a, b, u16::wrapping_sub));
    Psubd = |a, b, _, _| sse2!(a, b, _mm_sub_epi32, zd(a, b, u32::wrapping_sub));
    Psubq = |a, b, _, _| sse2!(a, b, _mm_sub_epi64, zq(a, b, u64::wrapping_sub));
    Paddsb = |a, b, _, _| sse2!(a, b, _mm_adds_epi8, zb(a, b, |x, y| (x as i8).saturating_add(y as i8) as u8));
    Paddsw = |a, b, _, _| sse2!(a, b, _mm_adds_epi16, zw(a, b, |x, y| (x as i16).saturating_add(y as i16) as u16));
    Paddusb = |a, b, _, _| sse2!(a, b, _mm_adds_epu8, zb(a, b, u8::saturating_add));
    Paddusw = |a, b, _, _| sse2!(a, b, _mm_adds_epu16, zw(a, b, u16::saturating_add));
    Psubsb = |a, b, _, _| sse2!(a, b, _mm_subs_epi8, zb(a, b, |x, y| (x as i8).saturating_sub(y as i8) as u8));
    Psubsw = |a, b, _, _| sse2!(a, b, _mm_subs_epi16, zw(a, b, |x, y| (x as i16).saturating_sub(y as i16) as u16));
    Psubusb = |a, b, _, _| sse2!(a, b, _mm_subs_epu8, zb(a, b, u8::saturating_sub));
    Psubusw = |a, b, _, _| sse2!(a, b, _mm_subs_epu16, zw(a, b, u16::saturating_sub));
    Pmullw = |a, b, _, _| zw(a, b, u16::wrapping_mul);
    Pmulhw = |a, b, _, _| zw(a, b, |x, y| ((x as i16 as i32 * y as i16 as i32) >> 16) as u16);
    Pmulhuw = |a, b, _, _| zw(a, b, |x, y| ((x as u32 * y as u32) >> 16) as u16);
    Pmuludq = |a, b, _, _| zq(a, b, |x, y| (x as u32 as u64) * (y as u32 as u64));
    Pmaddwd = |a, b, _, _| {
        let (x, y): (W, W) = (cast(a), cast(b));
        let mut r = [0u32; 4];
        for k in 0..4 {
            let p0 = x[2 * k] as i16 as i32 * y[2 * k] as i16 as i32;
            let p1 = x[2 * k + 1] as i16 as i32 * y[2 * k + 1] as i16 as i32;
            r[k] = p0.wrapping_add(p1) as u32;
        }
        cast(r)
    };
    Pavgb = |a, b, _, _| sse2!(a, b, _mm_avg_epu8, zb(a, b, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8));
    Pavgw = |a, b, _, _| sse2!(a, b, _mm_avg_epu16, zw(a, b, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16));
    Pminub = |a, b, _, _| sse2!(a, b, _mm_min_epu8, zb(a, b, u8::min));
    Pmaxub = |a, b, _, _| sse2!(a, b, _mm_max_epu8, zb(a, b, u8::max));
    Pminsw = |a, b, _, _| sse2!(a, b, _mm_min_epi16, zw(a, b, |x, y| (x as i16).min(y as i16) as u16));
    Pmaxsw = |a, b, _, _| sse2!(a, b, _mm_max_epi16, zw(a, b, |x, y| (x as i16).max(y as i16) as u16));
    Psadbw = |a, b, _, _| {
        let (x, y): (B, B) = (cast(a), cast(b));
        let mut s = [0u64; 2];
        for k in 0..16 {
            s[k / 8] += x[k].abs_diff(y[k]) as u64;
        }
        cast(s)
    };
    Pand = |a, b, _, _| a & b;
    Pandn = |a, b, _, _| !a & b;
    Por = |a, b, _, _| a | b;
    Pxor = |a, b, _, _| a ^ b;
    Pcmpeqb = |a, b, _, _| sse2!(a, b, _mm_cmpeq_epi8, zb(a, b, |x, y| if x == y { !0 } else { 0 }));
    Pcmpeqw = |a, b, _, _| sse2!(a, b, _mm_cmpeq_epi16, zw(a, b, |x, y| if x == y { !0 } else { 0 }));
    Pcmpeqd = |a, b, _, _| sse2!(a, b, _mm_cmpeq_epi32, zd(a, b, |x, y| if x == y { !0 } else { 0 }));
    Pcmpgtb = |a, b, _, _| sse2!(a, b, _mm_cmpgt_epi8, zb(a, b, |x, y| if (x as i8) > (y as i8) { !0 } else { 0 }));
    Pcmpgtw = |a, b, _, _| sse2!(a, b, _mm_cmpgt_epi16, zw(a, b, |x, y| if (x as i16) > (y as i16) { !0 } else { 0 }));
    Pcmpgtd = |a, b, _, _| sse2!(a, b, _mm_cmpgt_epi32, zd(a, b, |x, y| if (x as i32) > (y as i32) { !0 } else { 0 }));
    Packsswb = |a, b, _, mm| pack_wb(a, b, if mm { 4 } else { 8 }, |x| sat8(x as i16 as i32));
    Packuswb = |a, b, _, mm| pack_wb(a, b, if mm { 4 } else { 8 }, |x| satu8(x as i16 as i32));
    Packssdw = |a, b, _, mm| pack_dw(a, b, if mm { 2 } else { 4 }, |x| sat16(x as i32));
    Punpcklbw = |a, b, _, mm| unpack::<1, false>(a, b, width(mm));
    Punpcklwd = |a, b, _, mm| unpack::<2, false>(a, b, width(mm));
    Punpckldq = |a, b, _, mm| unpack::<4, false>(a, b, width(mm));
    Punpcklqdq = |a, b, _, _| (a as u64 as u128) | (b << 64);
    Punpckhbw = |a, b, _, mm| unpack::<1, true>(a, b, width(mm));
    Punpckhwd = |a, b, _, mm| unpack::<2, true>(a, b, width(mm));
    Punpckhdq = |a, b, _, mm| unpack::<4, true>(a, b, width(mm));
    Punpckhqdq = |a, b, _, _| (a >> 64) | (b >> 64 << 64);
    Pshufd = |_, b, imm, _| {
        let x: D = cast(b);
        let f = |k: u32| x[((imm >> (2 * k)) & 3) as usize];
        cast([f(0), f(1), f(2), f(3)])
    };
    Pshuflw = |_, b, imm, _| {
        let x: W = cast(b);
        let f = |k: u32| x[((imm >> (2 * k)) & 3) as usize];
        cast([f(0), f(1), f(2), f(3), x[4], x[5], x[6], x[7]])
    };
    Pshufhw = |_, b, imm, _| {
        let x: W = cast(b);
        let f = |k: u32| x[4 + ((imm >> (2 * k)) & 3) as usize];
        cast([x[0], x[1], x[2], x[3], f(0), f(1), f(2), f(3)])
    };
    /// pshufw mm, mm/m64, imm8
    Pshufw = |_, b, imm, _| {
        let x: W = cast(b);
        let f = |k: u32| x[((imm >> (2 * k)) & 3) as usize];
        cast([f(0), f(1), f(2), f(3), 0, 0, 0, 0])
    };
    Shufps = |a, b, imm, _| {
        let (x, y): (D, D) = (cast(a), cast(b));
        let f = |k: u32| ((imm >> (2 * k)) & 3) as usize;
        cast([x[f(0)], x[f(1)], y[f(2)], y[f(3)]])
    };
    Shufpd = |a, b, imm, _| {
        let (x, y): (Q, Q) = (cast(a), cast(b));
        cast([x[(imm & 1) as usize], y[((imm >> 1) & 1) as usize]])
    };
    Pshufb = |a, b, _, mm| {
        let (x, y): (B, B) = (cast(a), cast(b));
        let m = if mm { 7 } else { 15 };
        let mut r = [0u8; 16];
        for k in 0..16 {
            r[k] = if y[k] & 0x80 != 0 { 0 } else { x[(y[k] & m) as usize] };
        }
        cast(r)
    };
    /// palignr: (dst:src) shifted right by imm bytes.
    Palignr = |a, b, imm, mm| {
        let n = imm as u32;
        if mm {
            let v = (a as u64 as u128) << 64 | (b as u64 as u128);
            if n >= 16 { 0 } else { (v >> (8 * n)) as u64 as u128 }
        } else if n >= 32 {
            0
        } else if n >= 16 {
            if n == 16 { a } else { a >> (8 * (n - 16)) }
        } else if n == 0 {
            b
        } else {
            (b >> (8 * n)) | (a << (8 * (16 - n)))
        }
    };
    Pabsb = |_, b, _, _| zb(b, 0, |x, _| (x as i8).unsigned_abs());
    Pabsw = |_, b, _, _| zw(b, 0, |x, _| (x as i16).unsigned_abs());
    Pabsd = |_, b, _, _| zd(b, 0, |x, _| (x as i32).unsigned_abs());
    Phaddw = |a, b, _, mm| hw(a, b, if mm { 4 } else { 8 }, u16::wrapping_add);
    Phaddd = |a, b, _, mm| hd(a, b, if mm { 2 } else { 4 }, u32::wrapping_add);
    Phaddsw = |a, b, _, mm| hw(a, b, if mm { 4 } else { 8 }, |x, y| (x as i16).saturating_add(y as i16) as u16);
    Phsubw = |a, b, _, mm| hw(a, b, if mm { 4 } else { 8 }, u16::wrapping_sub);
    Phsubd = |a, b, _, mm| hd(a, b, if mm { 2 } else { 4 }, u32::wrapping_sub);
    Phsubsw = |a, b, _, mm| hw(a, b, if mm { 4 } else { 8 }, |x, y| (x as i16).saturating_sub(y as i16) as u16);
    Pmaddubsw = |a, b, _, _| {
        let (x, y): (B, B) = (cast(a), cast(b));
        let mut r = [0u16; 8];
        for k in 0..8 {
            let p0 = x[2 * k] as i32 * y[2 * k] as i8 as i32;
            let p1 = x[2 * k + 1] as i32 * y[2 * k + 1] as i8 as i32;
            r[k] = sat16(p0 + p1);
        }
        cast(r)
    };
    Pmulhrsw = |a, b, _, _| zw(a, b, |x, y| {
        let p = x as i16 as i32 * y as i16 as i32;
        (((p >> 14) + 1) >> 1) as u16
    });
    Psignb = |a, b, _, _| zb(a, b, |x, y| match (y as i8).signum() {
        -1 => x.wrapping_neg(),
        0 => 0,
        _ => x,
    });
    Psignw = |a, b, _, _| zw(a, b, |x, y| match (y as i16).signum() {
        -1 => x.wrapping_neg(),
        0 => 0,
        _ => x,
    });
    Psignd = |a, b, _, _| zd(a, b, |x, y| match (y as i32).signum() {
        -1 => x.wrapping_neg(),
        0 => 0,
        _ => x,
    });
    // Shifts by the low 64 bits of the source.
    Psllw = |a, b, _, _| sll_w(a, b as u64);
    Pslld = |a, b, _, _| sll_d(a, b as u64);
    Psllq = |a, b, _, _| sll_q(a, b as u64);
    Psrlw = |a, b, _, _| srl_w(a, b as u64);
    Psrld = |a, b, _, _| srl_d(a, b as u64);
    Psrlq = |a, b, _, _| srl_q(a, b as u64);
    Psraw = |a, b, _, _| sra_w(a, b as u64);
    Psrad = |a, b, _, _| sra_d(a, b as u64);
    // Shifts by an immediate (the register is both operands).
    PsllwI = |a, _, imm, _| sll_w(a, imm as u64);
    PslldI = |a, _, imm, _| sll_d(a, imm as u64);
    PsllqI = |a, _, imm, _| sll_q(a, imm as u64);
    PsrlwI = |a, _, imm, _| srl_w(a, imm as u64);
    PsrldI = |a, _, imm, _| srl_d(a, imm as u64);
    PsrlqI = |a, _, imm, _| srl_q(a, imm as u64);
    PsrawI = |a, _, imm, _| sra_w(a, imm as u64);
    PsradI = |a, _, imm, _| sra_d(a, imm as u64);
    PslldqI = |a, _, imm, _| if imm > 15 { 0 } else { a << (8 * imm as u32) };
    PsrldqI = |a, _, imm, _| if imm > 15 { 0 } else { a >> (8 * imm as u32) };
    // Moves expressed as operations.
    /// Plain load: the source (memory forms are zero-extended by the read).
    Ld = |_, b, _, _| b;
    /// movss xmm, xmm
    MovssRR = |a, b, _, _| (a & !0xffff_ffff) | (b & 0xffff_ffff);
    /// movsd xmm, xmm / movlps xmm, m64 / movlpd xmm, m64
    MovLo = |a, b, _, _| (a >> 64 << 64) | (b as u64 as u128);
    /// movq xmm, xmm/m64: low quadword, upper cleared.
    MovqZ = |_, b, _, _| b as u64 as u128;
    /// movhps/movhpd xmm, m64 and movlhps xmm, xmm
    MovHi = |a, b, _, _| (a as u64 as u128) | (b << 64);
    /// movhlps xmm, xmm
    Movhlps = |a, b, _, _| (a >> 64 << 64) | (b >> 64);
    Movddup = |_, b, _, _| (b as u64 as u128) * ((1u128 << 64) + 1);
    Movshdup = |_, b, _, _| {
        let x: D = cast(b);
        cast([x[1], x[1], x[3], x[3]])
    };
    Movsldup = |_, b, _, _| {
        let x: D = cast(b);
        cast([x[0], x[0], x[2], x[2]])
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn cpu() -> Cpu {
        Cpu::new(Arc::new(crate::mem::Mem::new().unwrap()))
    }

    fn x<O: Op2>(a: u128, b: u128, imm: u8) -> u128 {
        O::op::<false>(&mut cpu(), a, b, imm).unwrap()
    }

    /// The SSE2 fast paths agree with the portable lane loops (which
    /// `sse2!` asserts in test builds) on values chosen to hit every lane's
    /// edge cases (signs, saturation, equality).
    #[test]
    fn sse2_fast_paths_match_portable() {
        let lanes: [u128; 8] = [
            0,
            !0,
            0x8000_0000_8000_0000_8000_0000_8000_0000,
            0x7fff_7fff_7fff_7fff_7fff_7fff_7fff_7fff,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
            0x80ff_7f01_00fe_8081_ff00_7f80_0102_fffe,
            0x0101_0101_0101_0101_0101_0101_0101_0101,
            0xfedc_ba98_7654_3210_0123_4567_89ab_cdef,
        ];
        for a in lanes {
            for b in lanes {
                let ops: [fn(u128, u128, u8) -> u128; 28] = [
                    x::<Paddb>,
                    x::<Paddw>,
                    x::<Paddd>,
                    x::<Paddq>,
                    x::<Psubb>,
                    x::<Psubw>,
                    x::<Psubd>,
                    x::<Psubq>,
                    x::<Paddsb>,
                    x::<Paddsw>,
                    x::<Paddusb>,
                    x::<Paddusw>,
                    x::<Psubsb>,
                    x::<Psubsw>,
                    x::<Psubusb>,
                    x::<Psubusw>,
                    x::<Pavgb>,
                    x::<Pavgw>,
                    x::<Pminub>,
                    x::<Pmaxub>,
                    x::<Pminsw>,
                    x::<Pmaxsw>,
                    x::<Pcmpeqb>,
                    x::<Pcmpeqw>,
                    x::<Pcmpeqd>,
                    x::<Pcmpgtb>,
                    x::<Pcmpgtw>,
                    x::<Pcmpgtd>,
                ];
                for op in ops {
                    op(a, b, 0);
                }
            }
        }
    }

    fn m<O: Op2>(a: u64, b: u64, imm: u8) -> u64 {
        O::op::<true>(&mut cpu(), a as u128, b as u128, imm).unwrap() as u64
    }

    #[test]
    fn saturating_and_wrapping() {
        assert_eq!(x::<Paddsb>(0x7f, 0x01, 0), 0x7f);
        assert_eq!(x::<Paddsb>(0x80, 0xff, 0), 0x80);
        assert_eq!(x::<Paddb>(0xff, 0x01, 0), 0);
        assert_eq!(x::<Psubusw>(0x0001, 0x0002, 0), 0);
        assert_eq!(x::<Paddusb>(0xf0, 0x20, 0), 0xff);
        assert_eq!(x::<Pmaddwd>(0x8000_8000, 0x8000_8000, 0), 0x8000_0000);
        assert_eq!(x::<Pmulhrsw>(0x8000, 0x8000, 0), 0x8000);
        assert_eq!(x::<Pmulhw>(0x8000, 0x8000, 0), 0x4000);
        assert_eq!(x::<Pavgb>(0xff, 0xfe, 0), 0xff);
    }

    #[test]
    fn shifts_saturate_counts() {
        let v = 0x8000_0000_8000_0000_8000_0000_8000_0001u128;
        assert_eq!(x::<Psrad>(v, 40, 0), u128::MAX);
        assert_eq!(x::<Psrld>(v, 31, 0), 0x1_00000001_00000001_00000001);
        assert_eq!(x::<Pslld>(v, 32, 0), 0);
        assert_eq!(
            x::<Psllq>(v, 1u128 << 64, 0),
            v,
            "the count is the low quadword"
        );
        assert_eq!(x::<Psllq>(v, 1u128 << 32, 0), 0, "all 64 bits of the count");
        assert_eq!(x::<PsrldqI>(v, 0, 15), 0x80);
        assert_eq!(x::<PslldqI>(v, 0, 16), 0);
    }

    #[test]
    fn horizontal_and_pack_widths() {
        // mm: [a0+a1, a2+a3, b0+b1, b2+b3]
        assert_eq!(
            m::<Phaddw>(0x0004_0003_0002_0001, 0x0040_0030_0020_0010, 0),
            0x0070_0030_0007_0003
        );
        assert_eq!(
            x::<Phaddd>(
                0x4_00000003_00000002_00000001,
                0x40_00000030_00000020_00000010,
                0
            ),
            0x70_00000030_00000007_00000003
        );
        assert_eq!(
            m::<Packsswb>(0x8000_7fff_0080_ff7f, 0x0001, 0),
            0x0000_0001_807f_7f80
        );
        assert_eq!(
            m::<Punpckhbw>(0x8877_6655_4433_2211, 0xffee_ddcc_bbaa_9988, 0),
            0xff88_ee77_dd66_cc55
        );
        assert_eq!(
            m::<Pshufb>(0x0706_0504_0302_0100, 0x80_0f_08_07_00_01_02_03, 0),
            0x0007_0007_0001_0203
        );
        assert_eq!(
            m::<Palignr>(0x1111_1111_2222_2222, 0x3333_3333_4444_4444, 4),
            0x2222_2222_3333_3333
        );
        assert_eq!(x::<Palignr>(5, 7, 16), 5);
        assert_eq!(x::<Palignr>(5 << 8, 7, 17), 5);
        assert_eq!(x::<Palignr>(5, 7, 32), 0);
    }

    #[test]
    fn shuffles() {
        let v = 0x33333333_22222222_11111111_00000000u128;
        assert_eq!(
            x::<Pshufd>(0, v, 0x1b),
            0x00000000_11111111_22222222_33333333
        );
        assert_eq!(
            x::<Shufps>(v, !v, 0b01_00_11_10),
            0xeeeeeeee_ffffffff_33333333_22222222
        );
        assert_eq!(x::<Movddup>(0, v, 0), 0x11111111_00000000_11111111_00000000);
    }
}
