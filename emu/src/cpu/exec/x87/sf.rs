//! Extended-precision (80-bit) arithmetic for the x87, built on
//! `rustc_apfloat` (the Rust port of LLVM's APFloat).
//!
//! Every result is computed exactly or with round-to-odd in a wide binary
//! format `W` (110-bit significand, 17-bit exponent, so no x87 value or
//! product of two is ever subnormal or infinite there), then rounded once to
//! the destination precision: 24/53/64 bits (the control word's precision
//! control, with the extended exponent range) or single/double for stores.
//! Round-to-odd with at least two extra bits makes that second rounding
//! equal to a single correct rounding of the exact result.
//!
//! What x87 does beyond IEEE 754 and APFloat is handled here: the explicit
//! integer bit and the unsupported encodings (unnormals, pseudo-NaNs,
//! pseudo-infinities), the real indefinite, x87 NaN propagation, the
//! denormal-operand flag, C1 = "rounded up", tininess after rounding with an
//! unbounded exponent (the hardware's underflow rule), and the biased
//! results of unmasked overflow/underflow.

use rustc_apfloat::ieee::{Double, IeeeFloat, Semantics, Single};
use rustc_apfloat::{Category, Float, FloatConvert, Round, Status, StatusAnd};

// ---- status word flag bits (also the flags returned by the operations) ----
pub const IE: u16 = 0x0001;
pub const DE: u16 = 0x0002;
pub const ZE: u16 = 0x0004;
pub const OE: u16 = 0x0008;
pub const UE: u16 = 0x0010;
pub const PE: u16 = 0x0020;
pub const SF: u16 = 0x0040;
pub const ES: u16 = 0x0080;
pub const C0: u16 = 0x0100;
pub const C1: u16 = 0x0200;
pub const C2: u16 = 0x0400;
pub const C3: u16 = 0x4000;
pub const B: u16 = 0x8000;
/// Exception flag bits.
pub const EXC: u16 = 0x3f;
/// Condition code bits.
pub const CC: u16 = C0 | C1 | C2 | C3;

// ---- control word ----
pub const CW_PC_SHIFT: u16 = 8;
pub const CW_RC_SHIFT: u16 = 10;
pub const RC_NEAREST: u16 = 0;
pub const RC_DOWN: u16 = 1;
pub const RC_UP: u16 = 2;
pub const RC_ZERO: u16 = 3;

/// An 80-bit extended value: explicit 64-bit significand, sign and 15-bit
/// biased exponent in `se`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F80 {
    pub sig: u64,
    pub se: u16,
}

/// Operand classes, as the hardware sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Zero,
    /// Exponent 0 and a non-zero significand (including pseudo-denormals).
    Denormal,
    Normal,
    Inf,
    QNaN,
    SNaN,
    /// Unnormals, pseudo-NaNs and pseudo-infinities: invalid operands.
    Unsupported,
}

const J: u64 = 1 << 63;
const QBIT: u64 = 1 << 62;

impl F80 {
    pub const ZERO: F80 = F80 { sig: 0, se: 0 };
    pub const ONE: F80 = F80 { sig: J, se: 0x3fff };
    pub const INF: F80 = F80 { sig: J, se: 0x7fff };
    /// The real indefinite (the default QNaN).
    pub const INDEF: F80 = F80 {
        sig: 0xc000_0000_0000_0000,
        se: 0xffff,
    };

    #[inline(always)]
    pub const fn new(sign: bool, exp: u16, sig: u64) -> F80 {
        F80 {
            sig,
            se: ((sign as u16) << 15) | (exp & 0x7fff),
        }
    }
    #[inline(always)]
    pub fn sign(self) -> bool {
        self.se & 0x8000 != 0
    }
    #[inline(always)]
    pub fn exp(self) -> u16 {
        self.se & 0x7fff
    }
    #[inline(always)]
    pub fn neg(self) -> F80 {
        F80 {
            sig: self.sig,
            se: self.se ^ 0x8000,
        }
    }
    #[inline(always)]
    pub fn abs(self) -> F80 {
        F80 {
            sig: self.sig,
            se: self.se & 0x7fff,
        }
    }
    #[inline(always)]
    pub fn with_sign(self, s: bool) -> F80 {
        F80::new(s, self.exp(), self.sig)
    }
    pub fn class(self) -> Class {
        let e = self.exp();
        if e == 0 {
            if self.sig == 0 {
                Class::Zero
            } else {
                Class::Denormal
            }
        } else if self.sig & J == 0 {
            Class::Unsupported
        } else if e == 0x7fff {
            if self.sig == J {
                Class::Inf
            } else if self.sig & QBIT != 0 {
                Class::QNaN
            } else {
                Class::SNaN
            }
        } else {
            Class::Normal
        }
    }
    #[inline(always)]
    pub fn is_nan(self) -> bool {
        matches!(self.class(), Class::QNaN | Class::SNaN)
    }
    #[inline(always)]
    pub fn quiet(self) -> F80 {
        F80 {
            sig: self.sig | QBIT,
            se: self.se,
        }
    }
    pub fn to_bytes(self) -> [u8; 10] {
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&self.sig.to_le_bytes());
        b[8..].copy_from_slice(&self.se.to_le_bytes());
        b
    }
    pub fn from_bytes(b: &[u8]) -> F80 {
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[..8]);
        F80 {
            sig: u64::from_le_bytes(s),
            se: u16::from_le_bytes([b[8], b[9]]),
        }
    }
    /// Pack an exact value `m * 2^e` (m < 2^64 not required to be
    /// normalised); panics never. Values below the normal range become
    /// denormals (the caller guarantees exactness there).
    pub fn from_parts_exact(sign: bool, m: u128, e: i32) -> F80 {
        if m == 0 {
            return F80::new(sign, 0, 0);
        }
        let lz = m.leading_zeros() as i32;
        // normalise so bit 127 is set; value = m' * 2^(e - lz)
        let mn = m << lz;
        let mut sig = (mn >> 64) as u64;
        // unbiased exponent of the leading bit
        let mut ue = e - lz + 127;
        let mut be = ue + 16383;
        if be <= 0 {
            // denormal: shift right so the exponent field is 0 (value sig*2^-16445)
            let sh = (1 - be) as u32;
            sig = if sh >= 64 { 0 } else { sig >> sh };
            be = 0;
            ue = 0;
            let _ = ue;
        }
        F80::new(sign, be as u16, sig)
    }
}

// ---- the wide working format and the rounding targets ----

/// Working format: 110-bit significand, 17-bit exponent.
pub struct WS;
impl Semantics for WS {
    const BITS: usize = 127;
    const EXP_BITS: usize = 17;
}
pub type W = IeeeFloat<WS>;
const W_FRAC: u32 = 109;
const W_BIAS: i32 = 65535;

/// Target: `P`-bit significand with the x87 15-bit exponent range.
pub struct TS<const P: usize>;
impl<const P: usize> Semantics for TS<P> {
    const BITS: usize = 15 + P;
    const EXP_BITS: usize = 15;
}

/// `P`-bit significand with an unbounded (17-bit) exponent: tininess
/// after rounding is decided on this.
pub struct US<const P: usize>;
impl<const P: usize> Semantics for US<P> {
    const BITS: usize = 17 + P;
    const EXP_BITS: usize = 17;
}

pub fn round_mode(cw: u16) -> Round {
    match (cw >> CW_RC_SHIFT) & 3 {
        RC_NEAREST => Round::NearestTiesToEven,
        RC_DOWN => Round::TowardNegative,
        RC_UP => Round::TowardPositive,
        _ => Round::TowardZero,
    }
}

/// Exact conversion of a finite or infinite, non-NaN, supported value.
pub fn to_w(x: F80) -> W {
    let sign = (x.se >> 15) as u128;
    let e = x.exp();
    if e == 0x7fff {
        return W::from_bits(sign << 126 | 0x1ffff << W_FRAC);
    }
    if x.sig == 0 {
        return W::from_bits(sign << 126);
    }
    let mut ue = if e == 0 { -16382 } else { e as i32 - 16383 };
    let lz = x.sig.leading_zeros();
    let sig = x.sig << lz;
    ue -= lz as i32;
    let bexp = (ue + W_BIAS) as u128;
    let frac = ((sig << 1) as u128) << (W_FRAC - 64);
    W::from_bits(sign << 126 | bexp << W_FRAC | frac)
}

pub fn w_from_i64(v: i64) -> W {
    W::from_i128(v as i128).value
}

/// W with the round-to-odd sticky bit applied when `inexact`.
#[inline]
fn sticky(w: W, inexact: bool) -> W {
    if inexact && w.is_finite_non_zero() {
        W::from_bits(w.to_bits() | 1)
    } else {
        w
    }
}

fn t_to_f80<const P: usize>(t: IeeeFloat<TS<P>>) -> F80 {
    let bits = t.to_bits();
    let sign = (bits >> (14 + P)) & 1 != 0;
    let e = ((bits >> (P - 1)) & 0x7fff) as u16;
    let frac = (bits & ((1u128 << (P - 1)) - 1)) as u64;
    let sig = if e == 0 {
        frac << (64 - P)
    } else if e == 0x7fff {
        if frac == 0 {
            J
        } else {
            return F80::INDEF;
        }
    } else {
        J | (frac << (64 - P))
    };
    F80::new(sign, e, sig)
}

fn conv<const P: usize>(w: W, rm: Round) -> (F80, Status) {
    let mut loses = false;
    let StatusAnd { status, value } =
        FloatConvert::<IeeeFloat<TS<P>>>::convert_r(w, rm, &mut loses);
    (t_to_f80::<P>(value), status)
}

/// Does `w` round (to `P` bits, unbounded exponent) to something below
/// the smallest normal 2^min_exp?
fn tiny_after<const P: usize>(w: W, rm: Round, min_exp: i32) -> bool {
    let mut loses = false;
    let u: IeeeFloat<US<P>> = FloatConvert::convert_r(w, rm, &mut loses).value;
    u.is_finite_non_zero() && u.ilogb() < min_exp
}

/// Does `w` round (to `P` bits, unbounded exponent) to 2^(max_exp+1) or
/// more? (APFloat does not report overflow when it rounds to the largest
/// finite value.)
fn huge_after<const P: usize>(w: W, rm: Round, max_exp: i32) -> bool {
    if w.ilogb() < max_exp {
        return false;
    }
    let mut loses = false;
    let u: IeeeFloat<US<P>> = FloatConvert::convert_r(w, rm, &mut loses).value;
    u.is_finite_non_zero() && u.ilogb() > max_exp
}

fn status_flags(s: Status) -> u16 {
    let mut f = 0;
    if s.contains(Status::INVALID_OP) {
        f |= IE;
    }
    if s.contains(Status::DIV_BY_ZERO) {
        f |= ZE;
    }
    if s.contains(Status::OVERFLOW) {
        f |= OE;
    }
    if s.contains(Status::UNDERFLOW) {
        f |= UE;
    }
    if s.contains(Status::INEXACT) {
        f |= PE;
    }
    f
}

/// Precision (in bits) selected by the control word.
#[inline]
pub fn pc_bits(cw: u16) -> u32 {
    match (cw >> CW_PC_SHIFT) & 3 {
        0 => 24,
        2 => 53,
        _ => 64,
    }
}

fn round_p(w: W, p: u32, rm: Round) -> (F80, Status) {
    match p {
        24 => conv::<24>(w, rm),
        53 => conv::<53>(w, rm),
        _ => conv::<64>(w, rm),
    }
}

fn huge_p(w: W, p: u32, rm: Round) -> bool {
    match p {
        24 => huge_after::<24>(w, rm, 16383),
        53 => huge_after::<53>(w, rm, 16383),
        _ => huge_after::<64>(w, rm, 16383),
    }
}

fn tiny_p(w: W, p: u32, rm: Round) -> bool {
    match p {
        24 => tiny_after::<24>(w, rm, -16382),
        53 => tiny_after::<53>(w, rm, -16382),
        _ => tiny_after::<64>(w, rm, -16382),
    }
}

/// Round a W value (exact, or round-to-odd with sticky) to an x87 register
/// value. `use_pc`: the precision control applies (add/sub/mul/div/sqrt).
/// Returns the value and flags (PE, UE, OE, C1 = rounded up).
/// Unmasked overflow/underflow deliver the result with the exponent
/// bias-adjusted by 24576, as the hardware does for register destinations.
pub fn round(w: W, cw: u16, use_pc: bool) -> (F80, u16) {
    let rm = round_mode(cw);
    let p = if use_pc { pc_bits(cw) } else { 64 };
    if !w.is_finite_non_zero() {
        // zero or infinity: exact
        let (r, _) = conv::<64>(w, rm);
        return (r, 0);
    }
    let (mut r, st) = round_p(w, p, rm);
    let mut fl = status_flags(st) & (PE | UE);
    if huge_p(w, p, rm) {
        fl |= OE | PE;
    }
    // Tininess after rounding with an unbounded exponent: APFloat decides
    // at the subnormal granularity, which misses values that round to the
    // smallest normal only because of the bounded exponent.
    let tiny = if fl & UE != 0 {
        true
    } else if w.ilogb() < -16382 || (r.exp() == 1 && r.sig == J) {
        tiny_p(w, p, rm)
    } else {
        false
    };
    if tiny && (fl & PE != 0 || cw & UE == 0) {
        fl |= UE;
    } else {
        fl &= !UE;
    }
    let mut wr = w;
    if fl & OE != 0 && cw & OE == 0 {
        wr = w.scalbn(-24576);
        let (r2, st2) = round_p(wr, p, rm);
        r = r2;
        fl = OE | (status_flags(st2) & PE);
    } else if fl & UE != 0 && cw & UE == 0 {
        wr = w.scalbn(24576);
        let (r2, st2) = round_p(wr, p, rm);
        r = r2;
        fl = UE | (status_flags(st2) & PE);
    }
    if fl & PE != 0 && rounded_up(wr, r, rm) {
        fl |= C1;
    }
    (r, fl)
}

/// After an inexact rounding of `w` to `r`: was the magnitude increased?
fn rounded_up(w: W, r: F80, rm: Round) -> bool {
    match rm {
        Round::TowardZero => false,
        Round::TowardPositive => !w.is_negative(),
        Round::TowardNegative => w.is_negative(),
        _ => {
            if r.exp() == 0x7fff {
                return true;
            }
            let rw = to_w(r.abs());
            rw > w.abs()
        }
    }
}

// ---- NaN handling ----

/// x87 NaN propagation for a two-operand instruction (at least one NaN).
pub fn nan2(a: F80, b: F80) -> (F80, u16) {
    let (ca, cb) = (a.class(), b.class());
    let sa = ca == Class::SNaN;
    let sb = cb == Class::SNaN;
    let fl = if sa || sb { IE } else { 0 };
    let na = sa || ca == Class::QNaN;
    let nb = sb || cb == Class::QNaN;
    let r = if na && nb {
        if sa != sb {
            // one signaling, one quiet: the quiet one
            if sa {
                b
            } else {
                a
            }
        } else {
            let (ma, mb) = (a.sig & !QBIT, b.sig & !QBIT);
            if ma > mb {
                a
            } else if mb > ma {
                b
            } else if !a.sign() {
                a
            } else {
                b
            }
        }
    } else if na {
        a
    } else {
        b
    };
    (r.quiet(), fl)
}

/// One-operand NaN result.
pub fn nan1(a: F80) -> (F80, u16) {
    (a.quiet(), if a.class() == Class::SNaN { IE } else { 0 })
}

// ---- arithmetic ----

pub const OP_ADD: u8 = 0;
pub const OP_MUL: u8 = 1;
pub const OP_SUB: u8 = 4;
pub const OP_SUBR: u8 = 5;
pub const OP_DIV: u8 = 6;
pub const OP_DIVR: u8 = 7;

/// dst = a OP b for the x87 opcode-order operations (subr/divr swap).
pub fn arith(op: u8, a: F80, b: F80, cw: u16) -> (F80, u16) {
    match op {
        OP_SUBR => arith(OP_SUB, b, a, cw),
        OP_DIVR => arith(OP_DIV, b, a, cw),
        _ => arith_fwd(op, a, b, cw),
    }
}

// ---- fast path: normal operands, normal result ----
//
// Exact integer arithmetic on the significands and one rounding; used only
// when both operands are normal and the result's exponent is in the normal
// range (anything else, including exact zero results, takes the general
// path above). Checked against the general path by randomized tests.

#[inline(always)]
fn is_normal(x: F80) -> bool {
    let e = x.exp();
    e != 0 && e != 0x7fff && x.sig & J != 0
}

/// Round `v` (leading bit at 127) plus `sticky` to the control word's
/// precision; `exp` is the biased exponent of the leading bit. None when
/// the result would leave the normal range.
#[inline(always)]
fn round_pack(sign: bool, v: u128, sticky: bool, exp: i32, cw: u16) -> Option<(F80, u16)> {
    let p = pc_bits(cw);
    let keep = v >> (128 - p);
    let rest = v << p;
    let half = 1u128 << 127;
    let inexact = rest != 0 || sticky;
    let up = match (cw >> CW_RC_SHIFT) & 3 {
        RC_NEAREST => rest > half || (rest == half && (sticky || keep & 1 == 1)),
        RC_UP => inexact && !sign,
        RC_DOWN => inexact && sign,
        _ => false,
    };
    let mut m = keep + up as u128;
    let mut e = exp;
    if m >> p != 0 {
        m >>= 1;
        e += 1;
    }
    if !(1..=0x7ffe).contains(&e) {
        return None;
    }
    let fl = if inexact {
        PE | if up { C1 } else { 0 }
    } else {
        0
    };
    Some((F80::new(sign, e as u16, (m << (64 - p)) as u64), fl))
}

#[inline(always)]
fn arith_fast(op: u8, a: F80, b: F80, cw: u16) -> Option<(F80, u16)> {
    if !is_normal(a) || !is_normal(b) {
        return None;
    }
    let (ea, eb) = (a.exp() as i32, b.exp() as i32);
    let (ma, mb) = (a.sig, b.sig);
    match op {
        OP_MUL => {
            let v = ma as u128 * mb as u128;
            let sign = a.sign() != b.sign();
            if v >> 127 != 0 {
                round_pack(sign, v, false, ea + eb - 16382, cw)
            } else {
                round_pack(sign, v << 1, false, ea + eb - 16383, cw)
            }
        }
        OP_DIV => {
            let sign = a.sign() != b.sign();
            let (num, exp) = if ma >= mb {
                ((ma as u128) << 63, ea - eb + 16383)
            } else {
                ((ma as u128) << 64, ea - eb + 16382)
            };
            let q = num / mb as u128;
            let r = num % mb as u128;
            let q2 = (r << 64) / mb as u128;
            let r2 = (r << 64) % mb as u128;
            round_pack(sign, q << 64 | q2, r2 != 0, exp, cw)
        }
        _ => {
            // add / sub: order by magnitude
            let bs = b.sign() != (op == OP_SUB);
            let (x, xs, y, ys) = if (ea, ma) >= (eb, mb) {
                (a, a.sign(), b, bs)
            } else {
                (b, bs, a, a.sign())
            };
            let d = (x.exp() - y.exp()) as u32;
            let vx = (x.sig as u128) << 63;
            let vy0 = (y.sig as u128) << 63;
            let (vy, sticky) = if d >= 127 {
                (0, true)
            } else {
                (vy0 >> d, vy0 & ((1u128 << d) - 1) != 0)
            };
            let s = if xs == ys {
                vx + vy
            } else {
                vx - vy - sticky as u128
            };
            if s == 0 {
                return None;
            }
            let lz = s.leading_zeros() as i32;
            round_pack(xs, s << lz, sticky, x.exp() as i32 + 1 - lz, cw)
        }
    }
}

fn arith_fwd(op: u8, a: F80, b: F80, cw: u16) -> (F80, u16) {
    if let Some(r) = arith_fast(op, a, b, cw) {
        return r;
    }
    arith_slow(op, a, b, cw)
}

#[inline(never)]
fn arith_slow(op: u8, a: F80, b: F80, cw: u16) -> (F80, u16) {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return (F80::INDEF, IE);
    }
    if matches!(ca, Class::QNaN | Class::SNaN) || matches!(cb, Class::QNaN | Class::SNaN) {
        return nan2(a, b);
    }
    let de = if ca == Class::Denormal || cb == Class::Denormal {
        DE
    } else {
        0
    };
    let (wa, wb) = (to_w(a), to_w(b));
    let rz = Round::TowardZero;
    let r = match op {
        OP_ADD => wa.add_r(wb, rz),
        OP_SUB => wa.sub_r(wb, rz),
        OP_MUL => wa.mul_r(wb, rz),
        _ => wa.div_r(wb, rz),
    };
    if r.status.contains(Status::INVALID_OP) {
        return (F80::INDEF, IE);
    }
    if r.status.contains(Status::DIV_BY_ZERO) {
        // (a denormal dividend is not reported with the zero divide)
        return (F80::new(a.sign() != b.sign(), 0x7fff, J), ZE);
    }
    let v = r.value;
    if v.is_zero() {
        // Exact zero: its sign depends on the rounding mode.
        let rm = round_mode(cw);
        let z = match op {
            OP_ADD => wa.add_r(wb, rm).value,
            OP_SUB => wa.sub_r(wb, rm).value,
            _ => v,
        };
        return (F80::new(z.is_negative(), 0, 0), de);
    }
    if v.is_infinite() {
        return (F80::new(v.is_negative(), 0x7fff, J), de);
    }
    let (res, fl) = round(sticky(v, r.status.contains(Status::INEXACT)), cw, true);
    (res, fl | de)
}

/// Digit-by-digit square root: floor(sqrt(x * 2^(2*extra))) and whether
/// it was exact.
fn isqrt_shifted(x: u128, extra: u32) -> (u128, bool) {
    let xbits = 128 - x.leading_zeros();
    let total = xbits + 2 * extra;
    let npairs = total.div_ceil(2);
    let mut rem: u128 = 0;
    let mut root: u128 = 0;
    for i in (0..npairs).rev() {
        let pos = 2 * i; // bit position of the pair's low bit in x << 2*extra
        let pair = if pos >= 2 * extra {
            ((x >> (pos - 2 * extra)) & 3) as u128
        } else {
            0
        };
        rem = (rem << 2) | pair;
        let t = (root << 2) | 1;
        root <<= 1;
        if rem >= t {
            rem -= t;
            root |= 1;
        }
    }
    (root, rem == 0)
}

pub fn sqrt(a: F80, cw: u16) -> (F80, u16) {
    match a.class() {
        Class::Unsupported => (F80::INDEF, IE),
        Class::QNaN | Class::SNaN => nan1(a),
        Class::Zero => (a, 0),
        _ if a.sign() => (F80::INDEF, IE),
        Class::Inf => (a, 0),
        c => {
            let de = if c == Class::Denormal { DE } else { 0 };
            // a = m * 2^e with m normalised (bit 63 set)
            let mut e = if a.exp() == 0 {
                -16382 - 63
            } else {
                a.exp() as i32 - 16383 - 63
            };
            let lz = a.sig.leading_zeros();
            let mut m = (a.sig << lz) as u128;
            e -= lz as i32;
            if e & 1 != 0 {
                m <<= 1;
                e -= 1;
            }
            // sqrt(m * 2^e) = sqrt(m * 2^72) * 2^(e/2 - 36); root has ~68 bits
            let (root, exact) = isqrt_shifted(m, 36);
            let root = root << 1 | (!exact) as u128; // sticky (round to odd)
            let w = W::from_u128(root).value.scalbn(e / 2 - 37);
            let (r, fl) = round(w, cw, true);
            (r, fl | de)
        }
    }
}

// ---- comparisons ----

/// Result of a comparison: GT, LT, EQ or unordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Lt,
    Eq,
    Un,
}

/// Compare for FCOM (`quiet` false: any NaN is invalid) or FUCOM (`quiet`:
/// only SNaNs are).
pub fn compare(a: F80, b: F80, quiet: bool) -> (Cmp, u16) {
    if is_normal(a) && is_normal(b) {
        // ordered by sign, then exponent and significand
        let key = |x: F80| ((x.exp() as u128) << 64) | x.sig as u128;
        let (ka, kb) = (key(a), key(b));
        let c = match (a.sign(), b.sign()) {
            (false, true) => Cmp::Gt,
            (true, false) => Cmp::Lt,
            (s, _) => {
                if ka == kb {
                    Cmp::Eq
                } else if (ka > kb) != s {
                    Cmp::Gt
                } else {
                    Cmp::Lt
                }
            }
        };
        return (c, 0);
    }
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return (Cmp::Un, IE);
    }
    let nan = |c| matches!(c, Class::QNaN | Class::SNaN);
    if nan(ca) || nan(cb) {
        let fl = if !quiet || ca == Class::SNaN || cb == Class::SNaN {
            IE
        } else {
            0
        };
        return (Cmp::Un, fl);
    }
    let de = if ca == Class::Denormal || cb == Class::Denormal {
        DE
    } else {
        0
    };
    let (wa, wb) = (to_w(a), to_w(b));
    let c = match wa.partial_cmp(&wb) {
        Some(std::cmp::Ordering::Greater) => Cmp::Gt,
        Some(std::cmp::Ordering::Less) => Cmp::Lt,
        Some(std::cmp::Ordering::Equal) => Cmp::Eq,
        None => Cmp::Un,
    };
    (c, de)
}

/// FXAM condition codes (C3, C2, C0 in their status word positions; C1 =
/// sign is added by the caller).
pub fn xam(a: F80) -> u16 {
    match a.class() {
        Class::Unsupported => 0,
        Class::QNaN | Class::SNaN => C0,
        Class::Normal => C2,
        Class::Inf => C2 | C0,
        Class::Zero => C3,
        Class::Denormal => C3 | C2,
    }
}

// ---- conversions ----

/// m32 to extended, exactly (an SNaN stays signaling; DE for a denormal).
pub fn from_f32(v: u32) -> (F80, u16) {
    from_binary(
        v >> 31 != 0,
        ((v >> 23) & 0xff) as i32,
        (v & 0x7f_ffff) as u64,
        0xff,
        127,
        23,
    )
}

/// m64 to extended, exactly.
pub fn from_f64(v: u64) -> (F80, u16) {
    from_binary(
        v >> 63 != 0,
        ((v >> 52) & 0x7ff) as i32,
        v & ((1 << 52) - 1),
        0x7ff,
        1023,
        52,
    )
}

/// An IEEE binary value (biased exponent `e` up to `emax`, `fbits`
/// fraction bits `f`) to extended, exactly: the NaN as is (an SNaN stays
/// signaling; FLD quiets it), denormals normalised with DE.
fn from_binary(sign: bool, e: i32, f: u64, emax: i32, bias: i32, fbits: u32) -> (F80, u16) {
    let frac = f << (63 - fbits);
    if e == emax {
        return (F80::new(sign, 0x7fff, J | frac), 0);
    }
    if e == 0 {
        if f == 0 {
            return (F80::new(sign, 0, 0), 0);
        }
        // denormal: f * 2^(1 - bias - fbits)
        return (
            F80::from_parts_exact(sign, f as u128, 1 - bias - fbits as i32),
            DE,
        );
    }
    (F80::new(sign, (e - bias + 16383) as u16, J | frac), 0)
}

/// FST m32: the bits to store and the flags. With an unmasked overflow or
/// underflow (flags OE/UE and the exception unmasked) nothing is stored;
/// the caller checks.
pub fn to_f32(x: F80, cw: u16) -> (u32, u16) {
    if let Some((b, fl)) = store_fast::<24>(x, cw) {
        return (b as u32, fl);
    }
    let s = (x.sign() as u32) << 31;
    match x.class() {
        Class::Unsupported => (0xffc0_0000, IE),
        Class::QNaN | Class::SNaN => {
            let fl = if x.class() == Class::SNaN { IE } else { 0 };
            (s | 0x7fc0_0000 | ((x.sig >> 40) as u32 & 0x7f_ffff), fl)
        }
        Class::Inf => (s | 0x7f80_0000, 0),
        Class::Zero => (s, 0),
        _ => {
            let rm = round_mode(cw);
            let w = to_w(x);
            let mut loses = false;
            let StatusAnd { status, value } = FloatConvert::<Single>::convert_r(w, rm, &mut loses);
            let bits = value.to_bits() as u32;
            let mut fl = status_flags(status) & (PE | UE);
            if huge_after::<24>(w, rm, 127) {
                fl |= OE | PE;
            }
            let tiny = fl & UE != 0
                || ((w.ilogb() < -126 || bits & 0x7fff_ffff == 0x0080_0000)
                    && tiny_after::<24>(w, rm, -126));
            if tiny && (fl & PE != 0 || cw & UE == 0) {
                fl |= UE;
            } else {
                fl &= !UE;
            }
            if fl & PE != 0 {
                let back = from_f32(bits).0;
                if back.exp() == 0x7fff || to_w(back.abs()) > w.abs() {
                    fl |= C1;
                }
            }
            (bits, fl)
        }
    }
}

/// Fast store of a normal value whose rounded result is a normal
/// single (P = 24) or double (P = 53).
#[inline(always)]
fn store_fast<const P: u32>(x: F80, cw: u16) -> Option<(u64, u16)> {
    if !is_normal(x) {
        return None;
    }
    let (ebits, bias) = if P == 24 { (8, 127) } else { (11, 1023) };
    let sign = x.sign();
    let v = (x.sig as u128) << 64;
    let keep = v >> (128 - P);
    let rest = v << P;
    let half = 1u128 << 127;
    let inexact = rest != 0;
    let up = match (cw >> CW_RC_SHIFT) & 3 {
        RC_NEAREST => rest > half || (rest == half && keep & 1 == 1),
        RC_UP => inexact && !sign,
        RC_DOWN => inexact && sign,
        _ => false,
    };
    let mut m = keep + up as u128;
    let mut e = x.exp() as i32 - 16383 + bias;
    if m >> P != 0 {
        m >>= 1;
        e += 1;
    }
    if e < 1 || e >= (1 << ebits) - 1 {
        return None;
    }
    let bits = (sign as u64) << (P - 1 + ebits)
        | (e as u64) << (P - 1)
        | (m as u64 & ((1 << (P - 1)) - 1));
    let fl = if inexact {
        PE | if up { C1 } else { 0 }
    } else {
        0
    };
    Some((bits, fl))
}

/// FST m64.
pub fn to_f64(x: F80, cw: u16) -> (u64, u16) {
    if let Some(r) = store_fast::<53>(x, cw) {
        return r;
    }
    let s = (x.sign() as u64) << 63;
    match x.class() {
        Class::Unsupported => (0xfff8_0000_0000_0000, IE),
        Class::QNaN | Class::SNaN => {
            let fl = if x.class() == Class::SNaN { IE } else { 0 };
            (
                s | 0x7ff8_0000_0000_0000 | ((x.sig >> 11) & ((1 << 52) - 1)),
                fl,
            )
        }
        Class::Inf => (s | 0x7ff0_0000_0000_0000, 0),
        Class::Zero => (s, 0),
        _ => {
            let rm = round_mode(cw);
            let w = to_w(x);
            let mut loses = false;
            let StatusAnd { status, value } = FloatConvert::<Double>::convert_r(w, rm, &mut loses);
            let bits = value.to_bits() as u64;
            let mut fl = status_flags(status) & (PE | UE);
            if huge_after::<53>(w, rm, 1023) {
                fl |= OE | PE;
            }
            let tiny = fl & UE != 0
                || ((w.ilogb() < -1022 || bits & !(1 << 63) == 1 << 52)
                    && tiny_after::<53>(w, rm, -1022));
            if tiny && (fl & PE != 0 || cw & UE == 0) {
                fl |= UE;
            } else {
                fl &= !UE;
            }
            if fl & PE != 0 {
                let back = from_f64(bits).0;
                if back.exp() == 0x7fff || to_w(back.abs()) > w.abs() {
                    fl |= C1;
                }
            }
            (bits, fl)
        }
    }
}

/// FILD.
pub fn from_i64(v: i64) -> F80 {
    F80::from_parts_exact(v < 0, v.unsigned_abs() as u128, 0)
}

/// Round to an integer in the current rounding mode (FRNDINT), in W.
fn round_int_w(x: F80, rm: Round) -> (W, bool) {
    let w = to_w(x);
    let r = w.round_to_integral(rm);
    (r.value, r.status.contains(Status::INEXACT))
}

/// FRNDINT.
pub fn rndint(x: F80, cw: u16) -> (F80, u16) {
    match x.class() {
        Class::Unsupported => (F80::INDEF, IE),
        Class::QNaN | Class::SNaN => nan1(x),
        Class::Zero | Class::Inf => (x, 0),
        c => {
            let de = if c == Class::Denormal { DE } else { 0 };
            let rm = round_mode(cw);
            let (r, inexact) = round_int_w(x, rm);
            let (v, _) = conv::<64>(r, rm);
            let mut fl = de;
            if inexact {
                fl |= PE;
                if r.abs() > to_w(x).abs() {
                    fl |= C1;
                }
            }
            // the sign of a zero result is the operand's
            (v.with_sign(x.sign()), fl)
        }
    }
}

/// FIST/FISTP/FISTTP: `bits` = 16, 32 or 64; `trunc` for FISTTP. Returns
/// the integer (the integer indefinite on invalid) and the flags.
pub fn to_int(x: F80, bits: u32, cw: u16, trunc: bool) -> (i64, u16) {
    let indef = i64::MIN >> (64 - bits); // 0x8000.. sign-extended
    match x.class() {
        Class::Unsupported | Class::QNaN | Class::SNaN | Class::Inf => (indef, IE),
        Class::Zero => (0, 0),
        _ => {
            let rm = if trunc {
                Round::TowardZero
            } else {
                round_mode(cw)
            };
            let (r, inexact) = round_int_w(x, rm);
            // r is an integer; check its range
            let lim = 1i128 << (bits - 1);
            let mut exact = false;
            let v = r.to_i128_r(128, Round::TowardZero, &mut exact).value;
            if v >= lim || v < -lim {
                return (indef, IE);
            }
            let mut fl = 0;
            if inexact {
                fl |= PE;
                if r.abs() > to_w(x).abs() {
                    fl |= C1;
                }
            }
            (v as i64, fl)
        }
    }
}

/// FBLD: 18 packed BCD digits and a sign byte.
pub fn from_bcd(b: &[u8; 10]) -> F80 {
    let mut v: u64 = 0;
    for k in (0..9).rev() {
        let hi = (b[k] >> 4) as u64;
        let lo = (b[k] & 15) as u64;
        v = v.wrapping_mul(10).wrapping_add(hi);
        v = v.wrapping_mul(10).wrapping_add(lo);
    }
    F80::from_parts_exact(b[9] & 0x80 != 0, v as u128, 0)
}

/// FBSTP: the 10 bytes to store and the flags.
pub fn to_bcd(x: F80, cw: u16) -> ([u8; 10], u16) {
    const INDEF: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff];
    match x.class() {
        Class::Unsupported | Class::QNaN | Class::SNaN | Class::Inf => (INDEF, IE),
        _ => {
            let (r, inexact) = round_int_w(x, round_mode(cw));
            let mut exact = false;
            let v = r.to_i128_r(128, Round::TowardZero, &mut exact).value;
            let m = v.unsigned_abs();
            if m >= 1_000_000_000_000_000_000 {
                return (INDEF, IE);
            }
            let mut b = [0u8; 10];
            let mut m = m as u64;
            for byte in b.iter_mut().take(9) {
                let lo = (m % 10) as u8;
                m /= 10;
                let hi = (m % 10) as u8;
                m /= 10;
                *byte = hi << 4 | lo;
            }
            if x.sign() {
                b[9] = 0x80;
            }
            let mut fl = 0;
            if inexact {
                fl |= PE;
                if r.abs() > to_w(x).abs() {
                    fl |= C1;
                }
            }
            (b, fl)
        }
    }
}

// ---- FSCALE, FXTRACT, FPREM ----

/// FSCALE: st0 * 2^trunc(st1).
pub fn scale(a: F80, b: F80, cw: u16) -> (F80, u16) {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return (F80::INDEF, IE);
    }
    if matches!(ca, Class::QNaN | Class::SNaN) || matches!(cb, Class::QNaN | Class::SNaN) {
        return nan2(a, b);
    }
    let de = if ca == Class::Denormal || cb == Class::Denormal {
        DE
    } else {
        0
    };
    if cb == Class::Inf {
        return match (ca, b.sign()) {
            (Class::Zero, false) | (Class::Inf, true) => (F80::INDEF, IE),
            (Class::Zero, true) | (Class::Inf, false) => (a, de),
            (_, false) => (F80::new(a.sign(), 0x7fff, J), de),
            (_, true) => (F80::new(a.sign(), 0, 0), de),
        };
    }
    if ca == Class::Zero || ca == Class::Inf {
        return (a, de);
    }
    let n = {
        let w = to_w(b).round_to_integral(Round::TowardZero).value;
        let mut exact = false;
        let v = w.to_i128_r(128, Round::TowardZero, &mut exact).value;
        v.clamp(-40_000, 40_000) as i32
    };
    let (r, fl) = round(to_w(a).scalbn(n), cw, false);
    (r, fl | de)
}

/// FXTRACT of a finite non-zero operand: (exponent, significand).
pub fn xtract(a: F80) -> (F80, F80) {
    let mut e = if a.exp() == 0 {
        -16382
    } else {
        a.exp() as i32 - 16383
    };
    let lz = a.sig.leading_zeros();
    e -= lz as i32;
    let sig = F80::new(a.sign(), 0x3fff, a.sig << lz);
    (
        F80::from_parts_exact(e < 0, e.unsigned_abs() as u128, 0),
        sig,
    )
}

/// Result of FPREM/FPREM1 on finite operands, b != 0.
pub struct Prem {
    pub r: F80,
    /// Low three quotient bits (complete reduction only).
    pub q: u8,
    /// Reduction incomplete (C2).
    pub partial: bool,
}

/// FPREM (`round_nearest` false: truncating quotient) and FPREM1, for
/// finite non-zero supported operands. Exact.
pub fn prem(a: F80, b: F80, round_nearest: bool) -> Prem {
    let norm = |x: F80| -> (u64, i32) {
        let e = if x.exp() == 0 {
            -16382
        } else {
            x.exp() as i32 - 16383
        };
        let lz = x.sig.leading_zeros();
        (x.sig << lz, e - lz as i32)
    };
    let (ma, ea) = norm(a);
    let (mb, eb) = norm(b);
    let d = ea - eb;
    let sign = a.sign();
    if d >= 64 {
        // partial: reduce the exponent difference to 32..63
        let n = 32 + (d % 32);
        let num = (ma as u128) << n;
        let rm = num % mb as u128;
        // remainder in units of 2^(ea - 63 - n)
        return Prem {
            r: F80::from_parts_exact(sign, rm, ea - 63 - n),
            q: 0,
            partial: true,
        };
    }
    if d < 0 {
        if round_nearest && d == -1 && ma > mb {
            // |a| > |b|/2: quotient 1, remainder a - b (opposite sign)
            // a = ma*2^(ea-63), b = mb*2^(ea-62); |a-b| = (2mb - ma)*2^(ea-63)
            let m = 2 * mb as u128 - ma as u128;
            return Prem {
                r: F80::from_parts_exact(!sign, m, ea - 63),
                q: 1,
                partial: false,
            };
        }
        return Prem {
            r: a,
            q: 0,
            partial: false,
        };
    }
    let num = (ma as u128) << d;
    let mut q = num / mb as u128;
    let mut rm = num % mb as u128;
    let mut rsign = sign;
    if round_nearest {
        let twice = rm * 2;
        if twice > mb as u128 || (twice == mb as u128 && q & 1 == 1) {
            q += 1;
            rm = mb as u128 - rm;
            rsign = !sign;
        }
    }
    let r = if rm == 0 {
        F80::new(sign, 0, 0)
    } else {
        F80::from_parts_exact(rsign, rm, eb - 63)
    };
    Prem {
        r,
        q: (q & 7) as u8,
        partial: false,
    }
}

// ---- constants ----

/// A positive constant with 128 bits of significand `m` (bit 127 set) and
/// unbiased exponent `e`, rounded to 64 bits in the current mode.
pub fn constant(m: u128, e: i32, cw: u16) -> F80 {
    let hi = (m >> 64) as u64;
    let lo = m as u64;
    let up = match (cw >> CW_RC_SHIFT) & 3 {
        RC_NEAREST => lo >> 63 == 1 && (lo << 1 != 0 || hi & 1 == 1),
        RC_UP => lo != 0,
        _ => false,
    };
    F80::new(false, (e + 16383) as u16, hi + up as u64)
}

pub const PI: u128 = 0xc90fdaa22168c234c4c6628b80dc1cd1;
pub const L2E: u128 = 0xb8aa3b295c17f0bbbe87fed0691d3e88;
pub const L2T: u128 = 0xd49a784bcd1b8afe492bf6ff4dafdb4c;
pub const LG2: u128 = 0x9a209a84fbcff7988f8959ac0b7c9178;
pub const LN2: u128 = 0xb17217f7d1cf79abc9e3b39803f2f6af;

pub fn category(w: W) -> Category {
    w.category()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> F80 {
        from_f64(x.to_bits()).0
    }
    fn d(x: F80) -> f64 {
        f64::from_bits(to_f64(x, 0x37f).0)
    }
    const CW: u16 = 0x37f;

    /// Tiny deterministic generator for the randomized tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Normal values with clustered exponents and significands, so
        /// that cancellation, carries and ties happen often.
        fn val(&mut self) -> F80 {
            let r = self.next();
            let e = match r & 3 {
                0 => 0x3fff + (r >> 8) as i32 % 4,
                1 => 0x3fff + (r >> 8) as i32 % 80 - 40,
                2 => 1 + (r >> 8) as i32 % 0x7ffd,
                _ => {
                    if r & 4 != 0 {
                        1 + (r >> 8) as i32 % 70
                    } else {
                        0x7ffe - (r >> 8) as i32 % 70
                    }
                }
            };
            let m = match (r >> 4) & 3 {
                0 => J | self.next(),
                1 => J | (self.next() & 0xffff_f000_0000_0000),
                2 => !0 << ((r >> 20) % 64),
                _ => J | ((r >> 30) & 7),
            } | J;
            F80::new(r & 8 != 0, e as u16, m)
        }
    }

    /// The fast paths agree with the general (APFloat) path everywhere
    /// they apply, in every rounding mode and precision.
    #[test]
    fn fast_paths_match_general() {
        let mut g = Rng(0x9e37_79b9_7f4a_7c15);
        let mut hits = 0;
        for k in 0..400_000 {
            let (a, b) = (g.val(), g.val());
            let cw = 0x7f | ((k as u16 & 3) << 10) | [0x300u16, 0x200, 0][k / 4 % 3];
            for op in [OP_ADD, OP_SUB, OP_MUL, OP_DIV] {
                if let Some(fast) = arith_fast(op, a, b, cw) {
                    hits += 1;
                    assert_eq!(
                        fast,
                        arith_slow(op, a, b, cw),
                        "op {op} {a:x?} {b:x?} cw {cw:x}"
                    );
                }
            }
            let cw = cw | 0x300;
            if let Some((bits, fl)) = store_fast::<53>(a, cw) {
                let (w, _) = round_p(to_w(a), 53, round_mode(cw));
                let _ = w;
                let mut loses = false;
                let StatusAnd { value, .. } =
                    FloatConvert::<Double>::convert_r(to_w(a), round_mode(cw), &mut loses);
                assert_eq!(bits, value.to_bits() as u64, "{a:x?} cw {cw:x}");
                assert_eq!(fl & PE != 0, loses);
            }
            if let Some((bits, _)) = store_fast::<24>(a, cw) {
                let mut loses = false;
                let StatusAnd { value, .. } =
                    FloatConvert::<Single>::convert_r(to_w(a), round_mode(cw), &mut loses);
                assert_eq!(bits, value.to_bits() as u64, "{a:x?} cw {cw:x}");
            }
        }
        assert!(hits > 1_000_000, "{hits}");
    }

    #[test]
    fn fast_compare_matches_general() {
        let mut g = Rng(12345);
        for _ in 0..200_000 {
            let (a, b) = (g.val(), g.val());
            let b = if g.next() & 1 == 0 {
                a.with_sign(!a.sign())
            } else {
                b
            };
            if !is_normal(a) || !is_normal(b) {
                continue;
            }
            let (wa, wb) = (to_w(a), to_w(b));
            let want = match wa.partial_cmp(&wb) {
                Some(std::cmp::Ordering::Greater) => Cmp::Gt,
                Some(std::cmp::Ordering::Less) => Cmp::Lt,
                _ => Cmp::Eq,
            };
            assert_eq!(compare(a, b, false), (want, 0));
            assert_eq!(compare(a, a, true), (Cmp::Eq, 0));
        }
    }

    #[test]
    fn basic_arith() {
        assert_eq!(d(arith(OP_ADD, f(1.5), f(2.25), CW).0), 3.75);
        assert_eq!(d(arith(OP_SUB, f(1.5), f(2.25), CW).0), -0.75);
        assert_eq!(d(arith(OP_SUBR, f(1.5), f(2.25), CW).0), 0.75);
        assert_eq!(d(arith(OP_MUL, f(1.5), f(-2.0), CW).0), -3.0);
        assert_eq!(d(arith(OP_DIV, f(1.0), f(4.0), CW).0), 0.25);
        assert_eq!(d(arith(OP_DIVR, f(1.0), f(4.0), CW).0), 4.0);
        // 1/3 in extended precision, round to nearest: ...aaab, rounded up
        let (r, fl) = arith(OP_DIV, f(1.0), f(3.0), CW);
        assert_eq!(r, F80::new(false, 0x3ffd, 0xaaaa_aaaa_aaaa_aaab));
        assert_eq!(fl, PE | C1);
        // with PC = 53 bits: same as double division
        let (r, _) = arith(OP_DIV, f(1.0), f(3.0), 0x27f);
        assert_eq!(d(r), 1.0 / 3.0);
        assert_eq!(r.sig & 0x7ff, 0);
        // PC = 24
        let (r, _) = arith(OP_DIV, f(1.0), f(3.0), 0x07f);
        assert_eq!(d(r), (1.0f32 / 3.0) as f64);
    }

    #[test]
    fn specials() {
        let (r, fl) = arith(OP_DIV, f(1.0), f(0.0), CW);
        assert_eq!((r, fl), (F80::INF, ZE));
        let (r, fl) = arith(OP_DIV, f(0.0), f(0.0), CW);
        assert_eq!((r, fl), (F80::INDEF, IE));
        let (r, fl) = arith(OP_SUB, F80::INF, F80::INF, CW);
        assert_eq!((r, fl), (F80::INDEF, IE));
        // exact zero sign
        assert!(!arith(OP_SUB, f(1.0), f(1.0), CW).0.sign());
        assert!(arith(OP_SUB, f(1.0), f(1.0), CW | 0x400).0.sign());
        // unnormal
        let un = F80::new(false, 0x3fff, 0x4000_0000_0000_0000);
        assert_eq!(arith(OP_ADD, un, f(1.0), CW), (F80::INDEF, IE));
        // NaN propagation: larger significand wins, quieted; SNaN -> IE
        let q1 = F80::new(false, 0x7fff, 0xc000_0000_0000_0001);
        let s2 = F80::new(true, 0x7fff, 0x8000_0000_0000_0002);
        assert_eq!(arith(OP_ADD, q1, s2, CW), (q1, IE));
        assert_eq!(arith(OP_ADD, s2, f(1.0), CW), (s2.quiet(), IE));
    }

    #[test]
    fn overflow_underflow() {
        let big = F80::new(false, 0x7ffe, J);
        let (r, fl) = arith(OP_MUL, big, big, CW);
        assert_eq!(r, F80::INF);
        assert_eq!(fl, OE | PE | C1);
        let (r, fl) = arith(OP_MUL, big, big, CW | 0xc00);
        assert_eq!(r, F80::new(false, 0x7ffe, !0));
        assert_eq!(fl, OE | PE);
        // unmasked overflow: biased result
        let (r, fl) = arith(OP_MUL, big, big, CW & !OE);
        assert_eq!(r, F80::new(false, 0x5ffd, J));
        assert_eq!(fl, OE);
        // the tininess edge case seen on hardware: (1-2^-64)*2^-16382
        let x = F80::new(false, (16383 - 8191) as u16, 0xFFFF_FFFF_0000_0000);
        let y = F80::new(false, (16383 - 8192) as u16, J | 1 << 31);
        let (r, fl) = arith(OP_MUL, x, y, CW);
        assert_eq!(r, F80::new(false, 1, J));
        assert_eq!(fl, UE | PE | C1);
        let (r, fl) = arith(OP_MUL, x, y, CW | 0xc00);
        assert_eq!(r, F80::new(false, 0, 0x7fff_ffff_ffff_ffff));
        assert_eq!(fl, UE | PE);
        // PC=53 tiny edge: rounds to the smallest normal, not tiny
        let x = F80::new(false, (16383 - 8191) as u16, 0xFFFF_FFE0_0000_0000);
        let y = F80::new(false, (16383 - 8192) as u16, J | 1 << 36);
        let (r, fl) = arith(OP_MUL, x, y, 0x27f);
        assert_eq!(r, F80::new(false, 1, J));
        assert_eq!(fl, PE | C1);
        // PC=53 denormal granularity: 2^-16434
        let a = F80::new(false, (16383 - 8192) as u16, J | 1 << 12);
        let b = F80::new(false, (16383 - 8192) as u16, J);
        assert_eq!(
            arith(OP_MUL, a, b, 0x27f),
            (F80::new(false, 0, 0x2000_0000_0000_0000), UE | PE)
        );
    }

    #[test]
    fn sqrt_exact_and_rounded() {
        assert_eq!(sqrt(f(2.25), CW), (f(1.5), 0));
        let (r, fl) = sqrt(f(2.0), CW);
        assert_eq!(r, F80::new(false, 0x3fff, 0xb504_f333_f9de_6484));
        assert_eq!(fl, PE);
        let (r, fl) = sqrt(f(2.0), CW | 0x800);
        assert_eq!(r, F80::new(false, 0x3fff, 0xb504_f333_f9de_6485));
        assert_eq!(fl, PE | C1);
        assert_eq!(sqrt(f(-1.0), CW), (F80::INDEF, IE));
        assert_eq!(sqrt(f(-0.0), CW), (f(-0.0), 0));
        // denormal operand
        let dn = F80::new(false, 0, 1 << 10);
        let (r, fl) = sqrt(dn, CW);
        assert_eq!(fl & DE, DE);
        let sq = arith(OP_MUL, r, r, CW).0;
        assert_eq!(sq, dn);
    }

    #[test]
    fn loads_and_stores() {
        for &x in &[
            0.0,
            -0.0,
            1.0,
            -2.5,
            1e300,
            1e-310,
            f64::MIN_POSITIVE,
            f64::INFINITY,
        ] {
            let (v, _) = from_f64(x.to_bits());
            assert_eq!(f64::from_bits(to_f64(v, CW).0).to_bits(), x.to_bits());
        }
        for &x in &[0.0f32, 1.0, -3.5, 1e-40, f32::MAX] {
            let (v, _) = from_f32(x.to_bits());
            assert_eq!(to_f32(v, CW).0, x.to_bits());
        }
        // store of 1/3 to double rounds
        let third = arith(OP_DIV, f(1.0), f(3.0), CW).0;
        let (b, fl) = to_f64(third, CW);
        assert_eq!(f64::from_bits(b), 1.0 / 3.0);
        assert_eq!(fl, PE);
        // overflow to single
        let (b, fl) = to_f32(f(1e300), CW);
        assert_eq!(b, 0x7f80_0000);
        assert_eq!(fl, OE | PE | C1);
        // NaN store keeps payload high bits, quiet
        let (b, fl) = to_f64(F80::new(false, 0x7fff, 0x8000_0000_0000_0800), CW);
        assert_eq!(b, 0x7ff8_0000_0000_0001);
        assert_eq!(fl, IE);
    }

    #[test]
    fn integers() {
        assert_eq!(d(from_i64(-5)), -5.0);
        assert_eq!(d(from_i64(i64::MIN)), -9.223372036854775808e18);
        assert_eq!(to_int(f(2.5), 32, CW, false), (2, PE));
        assert_eq!(to_int(f(3.5), 32, CW, false), (4, PE | C1));
        assert_eq!(to_int(f(-2.5), 32, CW, true), (-2, PE));
        assert_eq!(to_int(f(-2.5), 16, CW | 0x400, false), (-3, PE | C1));
        assert_eq!(to_int(f(40000.0), 16, CW, false), (-32768, IE));
        assert_eq!(to_int(f(-32768.0), 16, CW, false), (-32768, 0));
        assert_eq!(to_int(f(9.3e18), 64, CW, false), (i64::MIN, IE));
        let (r, fl) = rndint(f(-0.25), CW);
        assert_eq!((d(r).to_bits(), fl), ((-0.0f64).to_bits(), PE));
        let (r, fl) = rndint(f(0.75), CW | 0x800);
        assert_eq!((d(r), fl), (1.0, PE | C1));
    }

    #[test]
    fn bcd() {
        let mut b = [0u8; 10];
        b[0] = 0x21;
        b[1] = 0x43;
        b[9] = 0x80;
        assert_eq!(d(from_bcd(&b)), -4321.0);
        assert_eq!(to_bcd(f(-4321.0), CW), (b, 0));
        assert_eq!(to_bcd(f(1e18), CW).1, IE);
        let nines = [0x99u8, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0];
        assert_eq!(to_bcd(from_bcd(&nines), CW), (nines, 0));
    }

    #[test]
    fn prem_basic() {
        let p = prem(f(7.0), f(2.0), false);
        assert_eq!((d(p.r), p.q, p.partial), (1.0, 3, false));
        let p = prem(f(7.0), f(2.0), true);
        assert_eq!((d(p.r), p.q), (-1.0, 4));
        let p = prem(f(-5.5), f(2.0), false);
        assert_eq!((d(p.r), p.q), (-1.5, 2));
        let p = prem(f(0.75), f(1.0), true);
        assert_eq!((d(p.r), p.q), (-0.25, 1));
        let p = prem(f(1e30), f(3.0), false);
        assert!(p.partial);
    }

    #[test]
    fn constants_round() {
        assert_eq!(constant(PI, 1, CW).sig, 0xc90fdaa22168c235);
        assert_eq!(constant(PI, 1, CW | 0x400).sig, 0xc90fdaa22168c234);
        assert_eq!(constant(L2T, 1, CW).sig, 0xd49a784bcd1b8afe);
        assert_eq!(constant(L2T, 1, CW | 0x800).sig, 0xd49a784bcd1b8aff);
    }

    #[test]
    fn scale_and_xtract() {
        assert_eq!(d(scale(f(1.5), f(3.7), CW).0), 12.0);
        assert_eq!(d(scale(f(1.5), f(-2.0), CW).0), 0.375);
        let (e, s) = xtract(f(-12.0));
        assert_eq!((d(e), d(s)), (3.0, -1.5));
    }
}
