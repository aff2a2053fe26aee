//! Floating-point kernels on an x86_64 host: each runs the same SSE
//! instruction on the host CPU inside one `asm!` block. Exceptions are
//! always masked here; the caller ([`super::fp`]) implements unmasked
//! exceptions. The results are the host's: bit-exact IEEE arithmetic in
//! every rounding mode, x86 NaN propagation, DAZ/FTZ, and the host's own
//! rcpps/rsqrtps approximations, which is what a native run on the same
//! machine gets.
//!
//! Two forms:
//! - [`kernel`] loads the kernel control word into MXCSR, executes the
//!   instruction, stores MXCSR to collect the exception flags and restores
//!   the default MXCSR (0x1f80) before leaving the block, so Rust code never
//!   runs under a non-default rounding mode, DAZ or FTZ;
//! - [`kernel_fast`], for the default control word (round to nearest, no
//!   DAZ/FTZ, all masked: the host's own), avoids the two (slow) ldmxcsr:
//!   it reads MXCSR before and after the instruction. The host's sticky
//!   flags are kept a subset of the guest's, so "guest flags |= flags
//!   after" is exact; when the host has a flag the guest has not (Rust
//!   code's own arithmetic, another guest context, the guest clearing its
//!   flags), it falls back to [`kernel`], which leaves the host flags clear.

use core::arch::asm;
use core::arch::x86_64::__m128;
use core::mem::transmute;

use super::fp::k::*;

static HOST_MXCSR: u32 = 0x1f80;

/// `x = op(x, y)`; the result, the flags after, and (FAST) the flags before.
/// `{t}` is a general-purpose scratch register the instructions may use.
macro_rules! run {
    ($fast:expr, $ctl:expr, $a:expr, $b:expr, $($ins:literal),+) => {
        run!(@imm 0, $fast, $ctl, $a, $b, $($ins),+)
    };
    // `{p}`: an immediate operand the instructions may use.
    (@imm $p:expr, $fast:expr, $ctl:expr, $a:expr, $b:expr, $($ins:literal),+) => {{
        let ctl: u32 = $ctl;
        let mut st: u32 = 0;
        let mut pre: u32 = 0;
        // SAFETY: u128 and __m128 are both 16 plain bytes.
        let mut x: __m128 = unsafe { transmute::<u128, __m128>($a) };
        let y: __m128 = unsafe { transmute::<u128, __m128>($b) };
        // SAFETY: the blocks only touch the named registers and the MXCSR
        // images; the slow one restores the default MXCSR before returning,
        // the fast one does not change the control bits.
        unsafe {
            if $fast {
                asm!(
                    "stmxcsr dword ptr [{c}]",
                    $($ins,)+
                    "stmxcsr dword ptr [{s}]",
                    "/* scratch: {t}, immediate: {p} */",
                    c = in(reg) &mut pre,
                    s = in(reg) &mut st,
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    t = out(reg) _,
                    p = const $p,
                    options(nostack),
                );
            } else {
                asm!(
                    "ldmxcsr dword ptr [{c}]",
                    $($ins,)+
                    "stmxcsr dword ptr [{s}]",
                    "ldmxcsr dword ptr [{h}]",
                    "/* scratch: {t}, immediate: {p} */",
                    c = in(reg) &ctl,
                    s = in(reg) &mut st,
                    h = in(reg) &HOST_MXCSR,
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    t = out(reg) _,
                    p = const $p,
                    options(nostack),
                );
            }
        }
        (unsafe { transmute::<__m128, u128>(x) }, st & 0x3f, pre & 0x3f)
    }};
}

/// comiss-style: the result is EFLAGS ZF|PF|CF in the low dword.
macro_rules! run_cmpflags {
    ($fast:expr, $ctl:expr, $a:expr, $b:expr, $ins:literal) => {{
        let ctl: u32 = $ctl;
        let mut st: u32 = 0;
        let mut pre: u32 = 0;
        let x: __m128 = unsafe { transmute::<u128, __m128>($a) };
        let y: __m128 = unsafe { transmute::<u128, __m128>($b) };
        let (z, p, cf): (u8, u8, u8);
        unsafe {
            if $fast {
                asm!(
                    "stmxcsr dword ptr [{c}]",
                    $ins,
                    "setz {z}",
                    "setp {p}",
                    "setc {cf}",
                    "stmxcsr dword ptr [{s}]",
                    c = in(reg) &mut pre,
                    s = in(reg) &mut st,
                    x = in(xmm_reg) x,
                    y = in(xmm_reg) y,
                    z = out(reg_byte) z,
                    p = out(reg_byte) p,
                    cf = out(reg_byte) cf,
                    options(nostack),
                );
            } else {
                asm!(
                    "ldmxcsr dword ptr [{c}]",
                    $ins,
                    "setz {z}",
                    "setp {p}",
                    "setc {cf}",
                    "stmxcsr dword ptr [{s}]",
                    "ldmxcsr dword ptr [{h}]",
                    c = in(reg) &ctl,
                    s = in(reg) &mut st,
                    h = in(reg) &HOST_MXCSR,
                    x = in(xmm_reg) x,
                    y = in(xmm_reg) y,
                    z = out(reg_byte) z,
                    p = out(reg_byte) p,
                    cf = out(reg_byte) cf,
                    options(nostack),
                );
            }
        }
        let fl = (z as u32) << 6 | (p as u32) << 2 | cf as u32;
        (fl as u128, st & 0x3f, pre & 0x3f)
    }};
}

macro_rules! cmp8 {
    ($fast:expr, $ctl:expr, $a:expr, $b:expr, $p:expr, $ins:literal) => {
        match $p {
            0 => run!(@imm 0, $fast, $ctl, $a, $b, $ins),
            1 => run!(@imm 1, $fast, $ctl, $a, $b, $ins),
            2 => run!(@imm 2, $fast, $ctl, $a, $b, $ins),
            3 => run!(@imm 3, $fast, $ctl, $a, $b, $ins),
            4 => run!(@imm 4, $fast, $ctl, $a, $b, $ins),
            5 => run!(@imm 5, $fast, $ctl, $a, $b, $ins),
            6 => run!(@imm 6, $fast, $ctl, $a, $b, $ins),
            _ => run!(@imm 7, $fast, $ctl, $a, $b, $ins),
        }
    };
}

/// Run kernel `OP` (see [`super::fp::k`]) with control word `ctl`.
#[inline(always)]
pub fn kernel<const OP: u16>(ctl: u32, a: u128, b: u128) -> (u128, u32) {
    let (r, st, _) = body::<OP, false>(ctl, a, b);
    (r, st)
}

/// Run kernel `OP` under the default control word (0x1f80), given the
/// guest's current flags (see the module docs).
#[inline(always)]
pub fn kernel_fast<const OP: u16>(a: u128, b: u128, guest_flags: u32) -> (u128, u32) {
    let (r, st, pre) = body::<OP, true>(0, a, b);
    if pre & !guest_flags != 0 {
        return refresh::<OP>(a, b);
    }
    (r, st)
}

#[cold]
#[inline(never)]
fn refresh<const OP: u16>(a: u128, b: u128) -> (u128, u32) {
    kernel::<OP>(0x1f80, a, b)
}

#[inline(always)]
fn body<const OP: u16, const FAST: bool>(ctl: u32, a: u128, b: u128) -> (u128, u32, u32) {
    match OP {
        ADDPS => run!(FAST, ctl, a, b, "addps {x}, {y}"),
        ADDSS => run!(FAST, ctl, a, b, "addss {x}, {y}"),
        ADDPD => run!(FAST, ctl, a, b, "addpd {x}, {y}"),
        ADDSD => run!(FAST, ctl, a, b, "addsd {x}, {y}"),
        SUBPS => run!(FAST, ctl, a, b, "subps {x}, {y}"),
        SUBSS => run!(FAST, ctl, a, b, "subss {x}, {y}"),
        SUBPD => run!(FAST, ctl, a, b, "subpd {x}, {y}"),
        SUBSD => run!(FAST, ctl, a, b, "subsd {x}, {y}"),
        MULPS => run!(FAST, ctl, a, b, "mulps {x}, {y}"),
        MULSS => run!(FAST, ctl, a, b, "mulss {x}, {y}"),
        MULPD => run!(FAST, ctl, a, b, "mulpd {x}, {y}"),
        MULSD => run!(FAST, ctl, a, b, "mulsd {x}, {y}"),
        DIVPS => run!(FAST, ctl, a, b, "divps {x}, {y}"),
        DIVSS => run!(FAST, ctl, a, b, "divss {x}, {y}"),
        DIVPD => run!(FAST, ctl, a, b, "divpd {x}, {y}"),
        DIVSD => run!(FAST, ctl, a, b, "divsd {x}, {y}"),
        MINPS => run!(FAST, ctl, a, b, "minps {x}, {y}"),
        MINSS => run!(FAST, ctl, a, b, "minss {x}, {y}"),
        MINPD => run!(FAST, ctl, a, b, "minpd {x}, {y}"),
        MINSD => run!(FAST, ctl, a, b, "minsd {x}, {y}"),
        MAXPS => run!(FAST, ctl, a, b, "maxps {x}, {y}"),
        MAXSS => run!(FAST, ctl, a, b, "maxss {x}, {y}"),
        MAXPD => run!(FAST, ctl, a, b, "maxpd {x}, {y}"),
        MAXSD => run!(FAST, ctl, a, b, "maxsd {x}, {y}"),
        SQRTPS => run!(FAST, ctl, a, b, "sqrtps {x}, {y}"),
        SQRTSS => run!(FAST, ctl, a, b, "sqrtss {x}, {y}"),
        SQRTPD => run!(FAST, ctl, a, b, "sqrtpd {x}, {y}"),
        SQRTSD => run!(FAST, ctl, a, b, "sqrtsd {x}, {y}"),
        RCPPS => run!(FAST, ctl, a, b, "rcpps {x}, {y}"),
        RCPSS => run!(FAST, ctl, a, b, "rcpss {x}, {y}"),
        RSQRTPS => run!(FAST, ctl, a, b, "rsqrtps {x}, {y}"),
        RSQRTSS => run!(FAST, ctl, a, b, "rsqrtss {x}, {y}"),
        ADDSUBPS => run!(FAST, ctl, a, b, "addsubps {x}, {y}"),
        ADDSUBPD => run!(FAST, ctl, a, b, "addsubpd {x}, {y}"),
        HADDPS => run!(FAST, ctl, a, b, "haddps {x}, {y}"),
        HADDPD => run!(FAST, ctl, a, b, "haddpd {x}, {y}"),
        HSUBPS => run!(FAST, ctl, a, b, "hsubps {x}, {y}"),
        HSUBPD => run!(FAST, ctl, a, b, "hsubpd {x}, {y}"),
        CVTPS2PD => run!(FAST, ctl, a, b, "cvtps2pd {x}, {y}"),
        CVTPD2PS => run!(FAST, ctl, a, b, "cvtpd2ps {x}, {y}"),
        CVTSS2SD => run!(FAST, ctl, a, b, "cvtss2sd {x}, {y}"),
        CVTSD2SS => run!(FAST, ctl, a, b, "cvtsd2ss {x}, {y}"),
        CVTDQ2PS => run!(FAST, ctl, a, b, "cvtdq2ps {x}, {y}"),
        CVTPS2DQ => run!(FAST, ctl, a, b, "cvtps2dq {x}, {y}"),
        CVTTPS2DQ => run!(FAST, ctl, a, b, "cvttps2dq {x}, {y}"),
        CVTDQ2PD => run!(FAST, ctl, a, b, "cvtdq2pd {x}, {y}"),
        CVTPD2DQ => run!(FAST, ctl, a, b, "cvtpd2dq {x}, {y}"),
        CVTTPD2DQ => run!(FAST, ctl, a, b, "cvttpd2dq {x}, {y}"),
        CVTSI2SS => run!(FAST, ctl, a, b, "movd {t:e}, {y}", "cvtsi2ss {x}, {t:e}"),
        CVTSI2SD => run!(FAST, ctl, a, b, "movd {t:e}, {y}", "cvtsi2sd {x}, {t:e}"),
        CVTSS2SI => run!(FAST, ctl, a, b, "cvtss2si {t:e}, {y}", "movd {x}, {t:e}"),
        CVTTSS2SI => run!(FAST, ctl, a, b, "cvttss2si {t:e}, {y}", "movd {x}, {t:e}"),
        CVTSD2SI => run!(FAST, ctl, a, b, "cvtsd2si {t:e}, {y}", "movd {x}, {t:e}"),
        CVTTSD2SI => run!(FAST, ctl, a, b, "cvttsd2si {t:e}, {y}", "movd {x}, {t:e}"),
        COMISS => run_cmpflags!(FAST, ctl, a, b, "comiss {x}, {y}"),
        UCOMISS => run_cmpflags!(FAST, ctl, a, b, "ucomiss {x}, {y}"),
        COMISD => run_cmpflags!(FAST, ctl, a, b, "comisd {x}, {y}"),
        UCOMISD => run_cmpflags!(FAST, ctl, a, b, "ucomisd {x}, {y}"),
        CMPPS..=0x47 => cmp8!(FAST, ctl, a, b, OP - CMPPS, "cmpps {x}, {y}, {p}"),
        CMPSS..=0x4f => cmp8!(FAST, ctl, a, b, OP - CMPSS, "cmpss {x}, {y}, {p}"),
        CMPPD..=0x57 => cmp8!(FAST, ctl, a, b, OP - CMPPD, "cmppd {x}, {y}, {p}"),
        CMPSD..=LAST => cmp8!(FAST, ctl, a, b, OP - CMPSD, "cmpsd {x}, {y}, {p}"),
        _ => (a, 0, 0),
    }
}
