//! x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
//! F2XM1, FYL2X, FYL2XP1.
//!
//! Values are computed in the 110-bit working format `W` (series with
//! argument reduction; a relative error around 2^-105), marked inexact
//! (round-to-odd sticky bit), then rounded once to 64 bits in the current
//! rounding mode. That is correctly rounded except when the exact value
//! lies within ~2^-40 ulp of a rounding boundary.
//!
//! Like the hardware, FSIN/FCOS/FSINCOS/FPTAN reduce their argument modulo
//! a 66-bit approximation of pi (Intel documents it; fsin(fldpi) = -2^-64
//! exactly), exactly, so results near multiples of pi match the hardware
//! rather than the true function.
//!
//! emu models Intel (its CPUID says GenuineIntel); the Intel shortcuts
//! reproduced here, measured on a Sapphire Rapids host:
//! - |x| < 2^-68: FSIN/FSINCOS/FPTAN return x and FCOS/FSINCOS 1.0
//!   unchanged, PE set and C1 clear in every rounding mode (UE with a
//!   denormal result);
//! - FPTAN of a reduced argument 2^-68 <= |r| < 2^-33 rounds as a value
//!   just below |r| in magnitude (like the sine there);
//! - FSINCOS sets C1 from the cosine (st0);
//! - FPATAN with |y/x| < 2^-40 (x > 0) returns the quotient rounded in
//!   the current mode, PE always;
//! - F2XM1(1) = 1.0 exactly with PE; for |x| < 1/4 the result is kept
//!   to 67 significant bits (truncated) and rounded as a value just below
//!   that in magnitude (agrees with the host in ~93-97% of random cases,
//!   up from ~85-90% for the correctly rounded value);
//! - FYL2X: log2(x) is kept to 67 significant bits (truncated) and the
//!   product rounded as a value just below that in magnitude (exact only
//!   for powers of two above 1): bit-exact with the host away from x ~ 1,
//!   where the hardware uses another method.
//! What remains are the hardware's own last-bit errors (see
//! guest/fpu/README.md).

use rustc_apfloat::{Float, Round, Status};

use super::sf::*;

const RN: Round = Round::NearestTiesToEven;

/// pi rounded to 66 bits: pi66 = PI66 * 2^-66, pi66/2 = PI66 * 2^-67.
const PI66: u128 = 0xc_90fd_aa22_168c_234c;

fn wf(v: i64) -> W {
    W::from_i128(v as i128).value
}
fn add(a: W, b: W) -> W {
    a.add_r(b, RN).value
}
fn sub(a: W, b: W) -> W {
    a.sub_r(b, RN).value
}
fn mul(a: W, b: W) -> W {
    a.mul_r(b, RN).value
}
fn div(a: W, b: W) -> W {
    a.div_r(b, RN).value
}
/// A 128-bit constant with the leading bit at 2^e.
fn kw(m: u128, e: i32) -> W {
    W::from_u128(m).value.scalbn(e - 127)
}
fn pi_w() -> W {
    kw(PI, 1)
}
fn ln2_w() -> W {
    kw(LN2, -1)
}
/// 1/ln 2 = log2(e).
fn l2e_w() -> W {
    kw(L2E, 0)
}

/// Mark an approximation of an irrational value as inexact: set the
/// lowest bit (never a rounding boundary of a 64-bit or narrower target).
fn odd(w: W) -> W {
    if w.is_finite_non_zero() {
        W::from_bits(w.to_bits() | 1)
    } else {
        w
    }
}

/// a + b where b is a small correction: truncated, then made odd when
/// inexact, so the final rounding sees which side of `a` the sum lies.
fn sum_odd(a: W, b: W) -> W {
    odd(a.add_r(b, Round::TowardZero).value)
}

/// sqrt in W by Newton's method from a double estimate.
fn sqrt_w(v: W) -> W {
    if v.is_zero() {
        return v;
    }
    let e = v.ilogb();
    let e2 = e - e.rem_euclid(2);
    let m = v.scalbn(-e2); // in [1, 4)
    let mf: f64 = {
        let mut loses = false;
        let d: rustc_apfloat::ieee::Double =
            rustc_apfloat::FloatConvert::convert_r(m, RN, &mut loses).value;
        f64::from_bits(d.to_bits() as u64)
    };
    let mut g = W::from_u128((mf.sqrt() * (1u64 << 52) as f64) as u128)
        .value
        .scalbn(-52);
    let half = W::from_u128(1).value.scalbn(-1);
    for _ in 0..3 {
        g = mul(add(g, div(m, g)), half);
    }
    g.scalbn(e2 / 2)
}

// ---- sin/cos core ----

/// sin(r) - r and cos(r) - 1 for |r| <= ~pi/4 (Taylor, Horner form, the
/// leading term kept apart so tiny corrections are not lost).
fn sin_cos_corr(r: W) -> (W, W) {
    let r2 = mul(r, r);
    let one = wf(1);
    // sin(r)/r - 1 = -r2/(2*3) (1 - r2/(4*5) (1 - ...))
    let mut s = one;
    let mut k = 30i64;
    while k >= 4 {
        s = sub(one, div(mul(r2, s), wf(k * (k + 1))));
        k -= 2;
    }
    let sc = mul(r, -div(mul(r2, s), wf(6)));
    // cos(r) - 1 = -r2/(1*2) (1 - r2/(3*4) (...))
    let mut c = one;
    let mut k = 29i64;
    while k >= 3 {
        c = sub(one, div(mul(r2, c), wf(k * (k + 1))));
        k -= 2;
    }
    let cc = -div(mul(r2, c), wf(2));
    (sc, cc)
}

/// Reduce |x| (finite, non-zero, |x| < 2^63) modulo pi66/2: returns the
/// reduced argument r (|r| <= pi66/4, exact) and the quadrant q mod 4.
fn reduce(x: F80) -> (W, u32) {
    let ax = x.abs();
    let e = if ax.exp() == 0 {
        -16382
    } else {
        ax.exp() as i32 - 16383
    };
    if e < -1 {
        return (to_w(ax), 0);
    }
    // |x| = m * 2^(e - 63); pi66/2 = PI66 * 2^-67; X = |x| * 2^67 = m << (e + 4)
    let m = ax.sig as u128;
    let s = (e + 4) as u32; // 3..=66
                            // long division of m << s by PI66, keeping q mod 4 and the remainder
    let mut rem = m % PI66;
    let mut q = (m / PI66) as u32;
    for _ in 0..s {
        rem <<= 1;
        q <<= 1;
        if rem >= PI66 {
            rem -= PI66;
            q |= 1;
        }
    }
    let mut neg = false;
    if rem * 2 > PI66 {
        rem = PI66 - rem;
        neg = true;
        q = q.wrapping_add(1);
    }
    let mut r = W::from_u128(rem).value.scalbn(-67);
    if neg {
        r = -r;
    }
    (r, q & 3)
}

/// sin(x) and cos(x) as W values (already made odd), x finite non-zero.
fn sin_cos_w(x: F80) -> (W, W) {
    let (r, q) = reduce(x);
    let (sc, cc) = sin_cos_corr(r);
    let one = wf(1);
    let s = sum_odd(r, sc);
    let c = sum_odd(one, cc);
    let (mut sn, cs) = match q {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    if x.sign() {
        sn = -sn;
    }
    (sn, cs)
}

/// Common special-case handling of FSIN/FCOS/FSINCOS/FPTAN's operand.
enum Pre {
    Done(F80, u16),
    /// |x| < 2^-68: x (normalized) and the flags, see `trig_tiny`.
    Tiny(F80, u16),
    OutOfRange,
    Go(u16),
}

/// Biased exponent below which FSIN/FCOS/FSINCOS/FPTAN return their
/// argument (or 1.0) unchanged: |x| < 2^-68.
const TRIG_TINY_EXP: u16 = 0x3fff - 68;

/// The tiny-argument shortcut (`x` finite, non-zero): x itself
/// (a pseudo-denormal normalized), inexact, UE when it is denormal, C1
/// clear; None when |x| >= 2^-68.
pub fn trig_tiny(x: F80) -> Option<(F80, u16)> {
    if x.exp() >= TRIG_TINY_EXP {
        return None;
    }
    if x.exp() == 0 {
        if x.sig & (1 << 63) != 0 {
            // pseudo-denormal
            return Some((F80::new(x.sign(), 1, x.sig), PE | DE));
        }
        return Some((x, PE | DE | UE));
    }
    Some((x, PE))
}

fn pre_trig(x: F80) -> Pre {
    match x.class() {
        Class::Unsupported | Class::Inf => Pre::Done(F80::INDEF, IE),
        Class::QNaN | Class::SNaN => {
            let (r, fl) = nan1(x);
            Pre::Done(r, fl)
        }
        Class::Zero => Pre::Done(x, 0),
        c => {
            if x.exp() >= 16383 + 63 {
                Pre::OutOfRange
            } else if let Some((v, fl)) = trig_tiny(x) {
                Pre::Tiny(v, fl)
            } else {
                Pre::Go(if c == Class::Denormal { DE } else { 0 })
            }
        }
    }
}

fn fin(w: W, cw: u16, fl: u16) -> (F80, u16) {
    let (r, f2) = round(w, cw, false);
    (r, f2 | fl)
}

pub fn fsin(x: F80, cw: u16) -> Option<(F80, u16)> {
    match pre_trig(x) {
        Pre::Done(r, fl) => Some((r, fl)),
        Pre::OutOfRange => None,
        Pre::Tiny(v, fl) => Some((v, fl)),
        Pre::Go(fl) => Some(fin(sin_cos_w(x).0, cw, fl)),
    }
}

pub fn fcos(x: F80, cw: u16) -> Option<(F80, u16)> {
    match pre_trig(x) {
        Pre::Done(r, fl) => Some(if x.class() == Class::Zero {
            (F80::ONE, 0)
        } else {
            (r, fl)
        }),
        Pre::OutOfRange => None,
        Pre::Tiny(_, fl) => Some((F80::ONE, fl & !UE)),
        Pre::Go(fl) => Some(fin(sin_cos_w(x).1, cw, fl)),
    }
}

/// FSINCOS: (sin -> st1, cos -> st0): returns (new st1 value, pushed st0, flags).
pub fn fsincos(x: F80, cw: u16) -> Option<(F80, F80, u16)> {
    match pre_trig(x) {
        Pre::Done(r, fl) => Some(if x.class() == Class::Zero {
            (x, F80::ONE, 0)
        } else {
            (r, r, fl)
        }),
        Pre::OutOfRange => None,
        Pre::Tiny(v, fl) => Some((v, F80::ONE, fl)),
        Pre::Go(fl) => {
            let (s, c) = sin_cos_w(x);
            let (rs, fs) = fin(s, cw, fl);
            let (rc, fc) = fin(c, cw, fl);
            // C1 reflects the cosine, the new st0 (Intel)
            Some((rs, rc, (fs | fc) & !C1 | (fc & C1)))
        }
    }
}

/// FPTAN: (tan -> st0, then push 1.0).
pub fn fptan(x: F80, cw: u16) -> Option<(F80, F80, u16)> {
    match pre_trig(x) {
        // tan(0) = 0 then 1.0; a NaN result is pushed twice
        Pre::Done(r, fl) => Some((r, if r.is_nan() { r } else { F80::ONE }, fl)),
        Pre::OutOfRange => None,
        Pre::Tiny(v, fl) => Some((v, F80::ONE, fl)),
        Pre::Go(fl) => {
            let (r, q) = reduce(x);
            let (sc, cc) = sin_cos_corr(r);
            let one = wf(1);
            let s = add(r, sc);
            let c = add(one, cc);
            // tan = r + (sc - r cc)/(1 + cc); cot = 1/r + (r cc - sc)/(s r)
            let mut t = if q & 1 == 0 && (r.is_zero() || r.ilogb() < -33) {
                // Intel: tan(r) rounds as a value just below |r|
                if r.is_zero() {
                    r
                } else {
                    sum_odd(r, -r.scalbn(-100))
                }
            } else if q & 1 == 0 {
                sum_odd(r, div(sub(sc, mul(r, cc)), c))
            } else {
                -sum_odd(div(one, r), div(sub(mul(r, cc), sc), mul(s, r)))
            };
            if x.sign() {
                t = -t;
            }
            let (v, f2) = fin(odd(t), cw, fl);
            Some((v, F80::ONE, f2))
        }
    }
}

// ---- exponential and logarithms ----

/// expm1(y) for |y| <= ~0.7.
fn expm1_w(y: W) -> W {
    let one = wf(1);
    // expm1(y) = y (1 + y/2 (1 + y/3 (1 + ...)))
    let mut s = one;
    let mut k = 34i64;
    while k >= 2 {
        s = add(one, div(mul(y, s), wf(k)));
        k -= 1;
    }
    mul(y, s)
}

pub fn f2xm1(x: F80, cw: u16) -> (F80, u16) {
    match x.class() {
        Class::Unsupported => (F80::INDEF, IE),
        Class::QNaN | Class::SNaN => nan1(x),
        Class::Zero => (x, 0),
        Class::Inf => {
            if x.sign() {
                (F80::ONE.neg(), 0)
            } else {
                (x, 0)
            }
        }
        c => {
            let de = if c == Class::Denormal { DE } else { 0 };
            if x.exp() > 0x3fff || (x.exp() == 0x3fff && x.sig != 1 << 63) {
                // |x| > 1 (undefined): the hardware returns x, inexact
                return (x, PE | de);
            }
            if x.exp() == 0x3fff {
                // 2^-1 - 1 = -0.5 and 2^1 - 1 = 1, exactly but with PE
                // (Intel)
                return if x.sign() {
                    (F80::new(true, 0x3ffe, 1 << 63), PE | de)
                } else {
                    (F80::ONE, PE | de)
                };
            }
            let w = to_w(x);
            let v = expm1_w(mul(w, ln2_w()));
            if x.exp() < 0x3ffd {
                // |x| < 1/4, Intel: the result to 67 significant bits
                // (truncated), rounded as a value just below that in
                // magnitude
                let t = trunc_sig(v, 67);
                return fin(sum_odd(t, -t.scalbn(-100)), cw, de);
            }
            fin(odd(v), cw, de)
        }
    }
}

/// log2 of a positive finite W: (integer part, fraction part) so that
/// log2 = e + l, with l computed from atanh; `exact` when w is a power of 2.
fn log2_w(w: W) -> (W, bool) {
    let mut e = w.ilogb();
    let mut m = w.scalbn(-e); // [1, 2)
    let sqrt2 = kw(0xb504f333f9de6484597d89b3754abe9f, 0);
    if m > sqrt2 {
        m = m.scalbn(-1);
        e += 1;
    }
    let one = wf(1);
    if m == one {
        return (wf(e as i64), true);
    }
    let u = div(sub(m, one), add(m, one));
    (add(wf(e as i64), log2_atanh(u)), false)
}

/// 2/ln2 * atanh(u) = log2((1+u)/(1-u)), |u| <= ~0.18.
fn log2_atanh(u: W) -> W {
    let one = wf(1);
    let u2 = mul(u, u);
    // atanh(u) = u (1 + u2/3 + u2^2/5 + ...)
    let mut s = div(one, wf(61));
    let mut k = 59i64;
    while k >= 1 {
        s = add(div(one, wf(k)), mul(u2, s));
        k -= 2;
    }
    mul(mul(u, s), l2e_w().scalbn(1))
}

fn nan_or_unsupported(a: F80, b: F80) -> Option<(F80, u16)> {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return Some((F80::INDEF, IE));
    }
    if matches!(ca, Class::QNaN | Class::SNaN) || matches!(cb, Class::QNaN | Class::SNaN) {
        return Some(nan2(a, b));
    }
    None
}

fn den(a: F80, b: F80) -> u16 {
    if a.class() == Class::Denormal || b.class() == Class::Denormal {
        DE
    } else {
        0
    }
}

fn inf(sign: bool) -> F80 {
    F80::new(sign, 0x7fff, 1 << 63)
}

/// `w` truncated (toward zero) to `bits` significant bits.
fn trunc_sig(w: W, bits: i32) -> W {
    if !w.is_finite_non_zero() {
        return w;
    }
    let sh = bits - 1 - w.ilogb();
    w.scalbn(sh)
        .round_to_integral(Round::TowardZero)
        .value
        .scalbn(-sh)
}

/// FYL2X: y * log2(x) with x = st0, y = st1.
pub fn fyl2x(x: F80, y: F80, cw: u16) -> (F80, u16) {
    if let Some(r) = nan_or_unsupported(x, y) {
        return r;
    }
    let (cx, cy) = (x.class(), y.class());
    let de = den(x, y);
    if x.sign() && cx != Class::Zero {
        return (F80::INDEF, IE);
    }
    if cx == Class::Zero {
        // log2(0) = -inf
        return match cy {
            Class::Zero => (F80::INDEF, IE),
            Class::Inf => (inf(!y.sign()), 0),
            _ => (inf(!y.sign()), ZE),
        };
    }
    if cx == Class::Inf {
        return match cy {
            Class::Zero => (F80::INDEF, IE),
            _ => (inf(y.sign()), de),
        };
    }
    // x finite positive
    let wx = to_w(x);
    let is_one = x.exp() == 0x3fff && x.sig == 1 << 63;
    if cy == Class::Inf {
        if is_one {
            return (F80::INDEF, IE);
        }
        let gt1 = wx > wf(1);
        return (inf(y.sign() != !gt1), de);
    }
    if cy == Class::Zero {
        // 0 * log2(x): negative when exactly one of y < 0, x < 1
        return (F80::new(y.sign() != (wx < wf(1)), 0, 0), de);
    }
    let (l, exact) = log2_w(wx);
    let wy = to_w(y);
    let v = if exact && !l.is_negative() {
        let r = wy.mul_r(l, Round::TowardZero);
        if r.status.contains(Status::INEXACT) {
            odd(r.value)
        } else {
            r.value
        }
    } else {
        // Intel: log2(x) to 67 significant bits (truncated), and the product
        // rounded as a value just below that in magnitude; so also a power
        // of two below 1 comes out just above the (negative) integer
        let t = mul(wy, trunc_sig(l, 67));
        sum_odd(t, -t.scalbn(-100))
    };
    if v.is_zero() {
        return (F80::new(v.is_negative(), 0, 0), de);
    }
    // the hardware reports PE even when the result is exact
    let (r, fl) = fin(v, cw, de);
    let ue = if r.exp() == 0 { UE } else { 0 };
    (r, fl | PE | ue)
}

/// FYL2XP1: y * log2(x + 1) with x = st0, y = st1.
pub fn fyl2xp1(x: F80, y: F80, cw: u16) -> (F80, u16) {
    if let Some(r) = nan_or_unsupported(x, y) {
        return r;
    }
    let (cx, cy) = (x.class(), y.class());
    let de = den(x, y);
    if cx == Class::Zero {
        if cy == Class::Inf {
            return (F80::INDEF, IE);
        }
        return (F80::new(x.sign() != y.sign(), 0, 0), de);
    }
    if cx == Class::Inf {
        // outside the documented range; as FYL2X of x + 1
        return fyl2x(x, y, cw);
    }
    let wx = to_w(x);
    let m1 = wf(-1);
    if wx <= m1 {
        if wx == m1 {
            return match cy {
                Class::Zero => (F80::INDEF, IE),
                _ => (inf(!y.sign()), ZE | de),
            };
        }
        return (F80::INDEF, IE);
    }
    if cy == Class::Inf {
        return (inf(y.sign() != x.sign()), de);
    }
    if cy == Class::Zero {
        return (F80::new(x.sign() != y.sign(), 0, 0), de);
    }
    let l = if wx.abs() < wf(1).scalbn(-1) {
        // log2(1+x) = log2((1+u)/(1-u)) with u = x/(2+x)
        log2_atanh(div(wx, add(wf(2), wx)))
    } else {
        log2_w(add(wf(1), wx)).0
    };
    fin(odd(mul(to_w(y), l)), cw, de)
}

/// atan(t) - t for 0 <= t <= 1/16: -t^3/3 + t^5/5 - ...
fn atan_corr(t: W) -> W {
    let one = wf(1);
    let t2 = mul(t, t);
    // (atan(t) - t)/t = -t2 (1/3 - t2 (1/5 - t2 (...)))
    let mut s = div(one, wf(61));
    let mut k = 59i64;
    while k >= 3 {
        s = sub(div(one, wf(k)), mul(t2, s));
        k -= 2;
    }
    -mul(mul(t, t2), s)
}

/// atan(t) for 0 <= t <= 1, made odd.
fn atan_w(t: W) -> W {
    let one = wf(1);
    let small = wf(1).scalbn(-4);
    if t <= small {
        return sum_odd(t, atan_corr(t));
    }
    // halvings: atan(t) = 2 atan(t / (1 + sqrt(1 + t^2)))
    let mut t = t;
    let mut n = 0;
    while t > small {
        t = div(t, add(one, sqrt_w(add(one, mul(t, t)))));
        n += 1;
    }
    odd(add(t, atan_corr(t)).scalbn(n))
}

/// FPATAN: atan2(y, x) with y = st1, x = st0.
pub fn fpatan(y: F80, x: F80, cw: u16) -> (F80, u16) {
    if let Some(r) = nan_or_unsupported(x, y) {
        return r;
    }
    let (cx, cy) = (x.class(), y.class());
    let de = den(x, y);
    let pi = pi_w();
    let sy = y.sign();
    let signed = |w: W| if sy { -w } else { w };
    // special cases
    if cy == Class::Zero {
        return if !x.sign() {
            (y, de)
        } else {
            fin(signed(odd(pi)), cw, de)
        };
    }
    if cy == Class::Inf {
        let v = match (cx, x.sign()) {
            (Class::Inf, false) => pi.scalbn(-2),
            (Class::Inf, true) => mul(pi, kw(3 << 126, -1)),
            _ => pi.scalbn(-1),
        };
        return fin(signed(odd(v)), cw, de);
    }
    if cx == Class::Inf {
        return if x.sign() {
            fin(signed(odd(pi)), cw, de)
        } else {
            (F80::new(sy, 0, 0), de)
        };
    }
    if cx == Class::Zero {
        return fin(signed(odd(pi.scalbn(-1))), cw, de);
    }
    let (ay, ax) = (to_w(y.abs()), to_w(x.abs()));
    let mut a = if ay <= ax {
        let q = ay.div_r(ax, Round::TowardZero);
        // an inexact quotient is made odd, so the result keeps its side
        let t = if q.status.contains(Status::INEXACT) {
            odd(q.value)
        } else {
            q.value
        };
        if !x.sign() && t.ilogb() < -40 {
            // Intel: atan(t) = t for t < 2^-40, the quotient rounded in
            // the current mode, always inexact
            let (r, fl) = fin(signed(t), cw, de);
            let ue = if r.exp() == 0 { UE } else { 0 };
            return (r, fl | PE | ue);
        }
        atan_w(t)
    } else {
        sub(pi.scalbn(-1), atan_w(div(ax, ay)))
    };
    if x.sign() {
        a = sub(pi, a);
    }
    fin(signed(odd(a)), cw, de)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CW: u16 = 0x37f;
    fn f(x: f64) -> F80 {
        from_f64(x.to_bits()).0
    }
    fn d(x: F80) -> f64 {
        f64::from_bits(to_f64(x, CW).0)
    }

    /// Values recorded on native hosts (the same on the AMD EPYC and the
    /// Intel Sapphire Rapids host).
    #[test]
    fn native_values() {
        let pi = constant(PI, 1, CW);
        assert_eq!(
            fsin(pi, CW).unwrap(),
            (F80::new(true, 0x3fbf, 1 << 63), PE | C1)
        );
        let pid = constant(PI, 1, CW | 0x400);
        assert_eq!(
            fsin(pid, CW | 0x400).unwrap().0,
            F80::new(false, 0x3fc0, 0xbfffffffffffffff)
        );
        assert_eq!(
            fsin(f(1.0), CW).unwrap().0,
            F80::new(false, 0x3ffe, 0xd76aa47848677021)
        );
        assert_eq!(
            fsin(f(0.5), CW).unwrap().0,
            F80::new(false, 0x3ffd, 0xf57743a2582f7f44)
        );
        assert_eq!(
            fcos(f(1e-5), CW | 0x800).unwrap().0,
            F80::new(false, 0x3ffe, 0xffffffffc906404d)
        );
        assert_eq!(
            fsin(f(1e18), CW).unwrap().0,
            F80::new(true, 0x3ffe, 0xfe293239d98b5dc4)
        );
        assert_eq!(
            f2xm1(f(0.5), CW).0,
            F80::new(false, 0x3ffd, 0xd413cccfe7799211)
        );
        assert_eq!(
            f2xm1(F80::new(false, 16383 - 34, 0xdbe6fecebdedd5bf), CW).0,
            F80::new(false, 0x3fdd, 0x986cb7a12110919d)
        );
    }

    #[test]
    fn logs_and_atan() {
        // exact, but the hardware reports PE
        assert_eq!(fyl2x(f(8.0), f(1.5), CW), (f(4.5), PE));
        assert!((d(fyl2x(f(10.0), f(1.0), CW).0) - 10f64.log2()).abs() < 1e-15);
        assert!((d(fyl2xp1(f(0.25), f(1.0), CW).0) - 1.25f64.log2()).abs() < 1e-15);
        assert!((d(fpatan(f(1.0), f(1.0), CW).0) - std::f64::consts::FRAC_PI_4).abs() < 1e-16);
        assert!((d(fpatan(f(1.0), f(-2.0), CW).0) - 1f64.atan2(-2.0)).abs() < 1e-15);
        assert!((d(fpatan(f(-3.0), f(0.5), CW).0) - (-3f64).atan2(0.5)).abs() < 1e-15);
        assert_eq!(d(fpatan(f(0.0), f(-1.0), CW).0), std::f64::consts::PI);
        let (t, one, _) = fptan(f(0.5), CW).unwrap();
        assert_eq!(one, F80::ONE);
        assert!((d(t) - 0.5f64.tan()).abs() < 1e-16);
    }

    const RD: u16 = CW | 0x400;
    const RU: u16 = CW | 0x800;
    const RZ: u16 = CW | 0xc00;

    /// Intel's tiny-argument shortcut, measured on a Sapphire Rapids host:
    /// below 2^-68 the argument comes back unchanged in every rounding
    /// mode, C1 clear; at 2^-68 the function is evaluated.
    #[test]
    fn intel_trig_tiny() {
        let x = F80::new(false, 0x3fff - 69, 0xc90fdaa22168c234);
        for cw in [CW, RD, RU, RZ] {
            assert_eq!(fsin(x, cw), Some((x, PE)));
            assert_eq!(fsin(x.neg(), cw), Some((x.neg(), PE)));
            assert_eq!(fcos(x, cw), Some((F80::ONE, PE)));
            assert_eq!(fsincos(x, cw), Some((x, F80::ONE, PE)));
            assert_eq!(fptan(x, cw), Some((x, F80::ONE, PE)));
        }
        // a denormal: UE for the sine, not for the cosine
        let dn = F80::new(false, 0, 1);
        assert_eq!(fsin(dn, RD), Some((dn, PE | DE | UE)));
        assert_eq!(fcos(dn, RD), Some((F80::ONE, PE | DE)));
        // a pseudo-denormal comes back normalized
        let pd = F80::new(false, 0, (1 << 63) | 1);
        assert_eq!(
            fsin(pd, CW),
            Some((F80::new(false, 1, (1 << 63) | 1), PE | DE))
        );
        // 2^-68 <= |x|: evaluated (sin x < x: rounds down in RD)
        let x = F80::new(false, 0x3fff - 68, 0xc90fdaa22168c234);
        assert_eq!(fsin(x, CW), Some((x, PE | C1)));
        assert_eq!(fsin(x, RD), Some((F80::new(false, x.exp(), x.sig - 1), PE)));
        assert_eq!(fcos(x, RD), Some((F80::new(false, 0x3ffe, !0), PE)));
        // fptan there rounds like a value just below x (Intel)
        assert_eq!(fptan(x, RD).unwrap().0, F80::new(false, x.exp(), x.sig - 1));
        assert_eq!(fptan(x, RU), Some((x, F80::ONE, PE | C1)));
    }

    /// FSINCOS's C1 is the cosine's (st0) round-up bit (Intel).
    #[test]
    fn fsincos_c1_from_cosine() {
        // sin(-1.5) = -0.997..., cos(-1.5) = 0.0707...: in RU the cosine
        // rounds up, the sine's magnitude down
        let (s, c, fl) = fsincos(f(-1.5), RU).unwrap();
        assert_eq!(c, F80::new(false, 0x3ffb, 0x90deaa7e2fcd3a20));
        assert_eq!(s, F80::new(true, 0x3ffe, 0xff5bd4d9636c56f3));
        assert_eq!(fl, PE | C1);
        let (_, _, fl) = fsincos(f(-1.5), RD).unwrap();
        assert_eq!(fl, PE);
    }

    /// Intel: F2XM1(1) = 1 exactly (PE); log2 of a power of two below 1
    /// just above the integer; atan(t) = t below 2^-40.
    #[test]
    fn intel_exp_log_atan_quirks() {
        for cw in [CW, RD, RU, RZ] {
            assert_eq!(f2xm1(F80::ONE, cw), (F80::ONE, PE));
        }
        let m1 = F80::new(true, 0x3fff, 1 << 63);
        assert_eq!(fyl2x(f(0.5), F80::ONE, CW), (m1, PE | C1));
        assert_eq!(fyl2x(f(0.5), F80::ONE, RD), (m1, PE | C1));
        assert_eq!(
            fyl2x(f(0.5), F80::ONE, RU),
            (F80::new(true, 0x3ffe, !0), PE)
        );
        assert_eq!(fyl2x(f(0.25), f(-1.5), CW), (f(3.0), PE | C1));
        assert_eq!(fyl2x(f(2.0), F80::ONE, RU), (F80::ONE, PE));
        // y/x = 2^-41 exactly: returned as is, inexact
        let t = F80::new(false, 0x3fff - 41, 1 << 63);
        for cw in [CW, RD, RU, RZ] {
            assert_eq!(fpatan(t, F80::ONE, cw), (t, PE));
        }
        assert_eq!(fpatan(t.neg(), F80::ONE, RZ), (t.neg(), PE));
        // 2^-40: evaluated, atan(t) < t
        let t = F80::new(false, 0x3fff - 40, 1 << 63);
        assert_eq!(fpatan(t, F80::ONE, RD).0, F80::new(false, t.exp() - 1, !0));
    }
}
