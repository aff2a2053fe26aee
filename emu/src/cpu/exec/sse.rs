//! SSE, SSE2, SSE3 and SSSE3 (legacy encodings; VEX forms stay #UD).
//!
//! Layout:
//! - this file: architectural state ([`Sse`]: xmm0-7, MXCSR), the #XM
//!   si_code, operand and memory helpers (16-byte alignment #GP(0) checked
//!   before any page fault, as natively), the generic `xmm op= xmm/mem`
//!   handler shape, and [`decode`];
//! - [`int`]: the 128-bit integer instructions (pure lane functions, also
//!   written for 64-bit MMX widths; the MMX-register instructions
//!   themselves are decoded by `exec::mmx`);
//! - [`fp`]: floating point: MXCSR rounding/DAZ/FTZ, exception flags and
//!   #XM (the SDM's pre/post-computation rules), a MXCSR-free fast path
//!   for the common case, on top of a *kernel* backend:
//! - [`host`] (x86_64 hosts): the kernels run the very same SSE instruction
//!   on the host with the guest's MXCSR control bits loaded (all exceptions
//!   masked) and read the flags back, so results, flags, DAZ/FTZ, rounding
//!   and even rcpps/rsqrtps match native bit for bit on x86 hosts;
//! - [`soft`]: the portable kernels (software IEEE arithmetic with the x86
//!   SSE rules for NaNs, DAZ/FTZ, denormal-operand and tininess-after-
//!   rounding details); used on other hosts and with `EMU_SOFT_FP=1`, and
//!   tested against [`host`] on x86_64. rcpps/rsqrtps there are the
//!   correctly rounded value rounded to 12 significant bits, within Intel's
//!   documented 1.5*2^-12 relative error but not the host's exact values;
//! - [`mov`]: moves, stores, movmsk, pextrw/pinsrw, maskmovdqu, comiss and
//!   the conversions with general or MMX register operands, MXCSR
//!   load/store, fences, clflush;
//! - `table`: iced `Code` -> handler.

pub mod fp;
#[cfg(target_arch = "x86_64")]
pub mod host;
pub mod int;
pub mod mov;
pub mod soft;
mod table;

use iced_x86::{Instruction, OpKind, Register};

use crate::cpu::decode::reg_or_mem;
use crate::cpu::{th, vec, Cpu, Handler, Inst};
use crate::mem::{PAGE_SHIFT, P_CODE, P_PRESENT, P_READ, P_WRITE};

/// XMM registers and MXCSR.
#[derive(Clone, Debug)]
pub struct Sse {
    pub xmm: [u128; 8],
    pub mxcsr: u32,
}

impl Default for Sse {
    fn default() -> Self {
        Sse {
            xmm: [0; 8],
            mxcsr: MXCSR_DEFAULT,
        }
    }
}

/// MXCSR bits.
pub mod mxcsr {
    /// Exception flags (sticky).
    pub const IE: u32 = 0x01;
    pub const DE: u32 = 0x02;
    pub const ZE: u32 = 0x04;
    pub const OE: u32 = 0x08;
    pub const UE: u32 = 0x10;
    pub const PE: u32 = 0x20;
    pub const FLAGS: u32 = 0x3f;
    /// Denormals are zeros.
    pub const DAZ: u32 = 0x40;
    /// Exception masks (IM at bit 7 ... PM at bit 12).
    pub const IM: u32 = 0x80;
    pub const DM: u32 = 0x100;
    pub const ZM: u32 = 0x200;
    pub const OM: u32 = 0x400;
    pub const UM: u32 = 0x800;
    pub const PM: u32 = 0x1000;
    pub const MASKS: u32 = 0x1f80;
    /// Rounding control: 0 nearest, 1 down, 2 up, 3 toward zero.
    pub const RC: u32 = 0x6000;
    pub const RC_SHIFT: u32 = 13;
    /// Flush to zero.
    pub const FTZ: u32 = 0x8000;
}

/// Power-on / init value of MXCSR.
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// Writable MXCSR bits, as FXSAVE reports them (Intel, with DAZ: 0xffff;
/// no AMD misaligned-SSE MM bit 17). ldmxcsr and fxrstor of any other bit
/// raise #GP(0).
pub const MXCSR_MASK: u32 = 0xffff;

/// si_code for a SIGFPE raised by #XM, computed like Linux's
/// `fpu__exception_code` from MXCSR's flags and masks: the unmasked flags,
/// by priority invalid, divide-by-zero, overflow, underflow/denormal,
/// precision.
pub fn fpe_code(c: &Cpu) -> i32 {
    const FPE_FLTDIV: i32 = 3;
    const FPE_FLTOVF: i32 = 4;
    const FPE_FLTUND: i32 = 5;
    const FPE_FLTRES: i32 = 6;
    const FPE_FLTINV: i32 = 7;
    let m = c.sse.mxcsr & 0xffff;
    let err = !(m >> 7) & m;
    if err & 0x01 != 0 {
        FPE_FLTINV
    } else if err & 0x04 != 0 {
        FPE_FLTDIV
    } else if err & 0x08 != 0 {
        FPE_FLTOVF
    } else if err & 0x12 != 0 {
        FPE_FLTUND
    } else if err & 0x20 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    if ins.encoding() != iced_x86::EncodingKind::Legacy {
        return false;
    }
    table::decode(ins, d)
}

// ---- registers ----

#[inline(always)]
pub(crate) fn xr(c: &Cpu, r: u8) -> u128 {
    c.sse.xmm[(r & 7) as usize]
}

#[inline(always)]
pub(crate) fn set_xr(c: &mut Cpu, r: u8, v: u128) {
    c.sse.xmm[(r & 7) as usize] = v;
}

/// Read MMX register `r` after the x87 prologue of an instruction with an
/// MMX register operand: #MF for a pending x87 exception (None), then the
/// switch to MMX state (TOP = 0, all tags valid).
#[inline(always)]
pub(crate) fn mm_enter(c: &mut Cpu) -> Option<()> {
    if !super::x87::wait_check(c) {
        return None;
    }
    super::mmx::mmx_state(c);
    Some(())
}

// ---- memory ----

#[cold]
#[inline(never)]
pub(crate) fn gp0(c: &mut Cpu) {
    c.raise(vec::GP, Some(0));
}

/// Read `N` (2, 4, 8 or 16) bytes at linear address `a`, zero-extended.
#[inline(always)]
pub(crate) fn rd_n<const N: u32>(c: &mut Cpu, a: u32) -> Option<u128> {
    if (a & 0xfff) <= 0x1000 - N {
        let p = c.mem.perm(a >> PAGE_SHIFT);
        if p & (P_PRESENT | P_READ) == P_PRESENT | P_READ {
            // SAFETY: the whole access lies in one present, readable page
            // of the guest window.
            let h = unsafe { c.mem.base().add(a as usize) };
            return Some(unsafe {
                match N {
                    2 => (h as *const u16).read_unaligned() as u128,
                    4 => (h as *const u32).read_unaligned() as u128,
                    8 => (h as *const u64).read_unaligned() as u128,
                    _ => (h as *const u128).read_unaligned(),
                }
            });
        }
    }
    rd_slow(c, a, N)
}

#[cold]
#[inline(never)]
fn rd_slow(c: &mut Cpu, a: u32, n: u32) -> Option<u128> {
    let lo = c.rd_slow(a, n.min(8))? as u128;
    if n <= 8 {
        return Some(lo);
    }
    let hi = c.rd_slow(a.wrapping_add(8), n - 8)? as u128;
    Some(lo | hi << 64)
}

/// Write the low `N` (2, 4, 8 or 16) bytes of `v` at linear address `a`.
/// Faults (and code-page writes) go through the CPU's slow path, which
/// checks every page before writing any byte.
#[inline(always)]
pub(crate) fn wr_n<const N: u32>(c: &mut Cpu, a: u32, v: u128) -> Option<()> {
    if (a & 0xfff) <= 0x1000 - N {
        let p = c.mem.perm(a >> PAGE_SHIFT);
        if p & (P_PRESENT | P_WRITE | P_CODE) == P_PRESENT | P_WRITE {
            // SAFETY: one present, writable, non-code page of the window.
            let h = unsafe { c.mem.base().add(a as usize) };
            unsafe {
                match N {
                    2 => (h as *mut u16).write_unaligned(v as u16),
                    4 => (h as *mut u32).write_unaligned(v as u32),
                    8 => (h as *mut u64).write_unaligned(v as u64),
                    _ => (h as *mut u128).write_unaligned(v),
                }
            }
            return Some(());
        }
    }
    wr_slow(c, a, N, v)
}

#[cold]
#[inline(never)]
fn wr_slow(c: &mut Cpu, a: u32, n: u32, v: u128) -> Option<()> {
    if n <= 8 {
        return c.wr_slow(a, n, v as u64);
    }
    probe_write(c, a, n)?;
    c.wr_slow(a, 8, v as u64)?;
    c.wr_slow(a.wrapping_add(8), n - 8, (v >> 64) as u64)
}

/// Check that the `n` (<= 4096) bytes at `a` are writable, raising #PF at
/// the first byte of the first bad page (or at `a`) if not. Writes nothing.
#[cold]
#[inline(never)]
pub(crate) fn probe_write(c: &mut Cpu, a: u32, n: u32) -> Option<()> {
    let last = a.wrapping_add(n - 1) & !0xfff;
    for b in [a, last] {
        if b == a || b.wrapping_sub(a) < n {
            let p = c.mem.perm(b >> PAGE_SHIFT);
            if p & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
                // wr_slow checks before writing: this only raises the #PF.
                return c.wr_slow(b, 1, 0);
            }
        }
    }
    Some(())
}

// ---- generic handler shapes ----

/// A two-operand SIMD operation `dst = op(dst, src)`; `imm` is the
/// instruction's immediate (0 if none). `MM` selects the 64-bit MMX
/// semantics (operands zero-extended to 128 bits, only the low 64 bits of
/// the result kept; the MMX-register instructions themselves are decoded
/// by `exec::mmx`, this keeps the lane code width-generic and tested).
/// Returns None after raising an exception (the destination is then left
/// unchanged).
pub trait Op2 {
    fn op<const MM: bool>(c: &mut Cpu, a: u128, b: u128, imm: u8) -> Option<u128>;
}

/// xmm, xmm
pub(crate) fn h_xx<O: Op2>(c: &mut Cpu, i: &Inst) {
    let a = xr(c, i.r);
    let b = xr(c, i.rm);
    if let Some(v) = O::op::<false>(c, a, b, i.imm as u8) {
        set_xr(c, i.r, v);
    }
}

/// xmm, m`N` (`AL`: the operand must be 16-byte aligned, else #GP(0)).
pub(crate) fn h_xm<O: Op2, const N: u32, const AL: bool>(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    if AL && ea & 15 != 0 {
        return gp0(c);
    }
    let Some(b) = rd_n::<N>(c, ea) else { return };
    let a = xr(c, i.r);
    if let Some(v) = O::op::<false>(c, a, b, i.imm as u8) {
        set_xr(c, i.r, v);
    }
}

// ---- decode helpers ----

pub(crate) fn xmm(r: Register) -> Option<u8> {
    let n = (r as u32).wrapping_sub(Register::XMM0 as u32);
    (n < 8).then_some(n as u8)
}

pub(crate) fn mm(r: Register) -> Option<u8> {
    let n = (r as u32).wrapping_sub(Register::MM0 as u32);
    (n < 8).then_some(n as u8)
}

/// Memory operand shapes: size in bytes and whether 16-byte alignment is
/// enforced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msz {
    A16,
    U16,
    M8,
    M4,
}

pub(crate) fn imm_of(ins: &Instruction) -> u32 {
    for n in 0..ins.op_count() {
        if ins.op_kind(n) == OpKind::Immediate8 {
            return ins.immediate8() as u32;
        }
    }
    0
}

/// `op xmm, xmm/mem[, imm8]` with operation `O`.
pub(crate) fn dx<O: Op2>(ins: &Instruction, d: &mut Inst, m: Msz) -> bool {
    dx2::<O, O>(ins, d, m)
}

/// `op xmm, xmm/mem[, imm8]`: operation `R` for a register source, `M`
/// for a memory source.
pub(crate) fn dx2<R: Op2, M: Op2>(ins: &Instruction, d: &mut Inst, m: Msz) -> bool {
    let Some(r) = xmm(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    d.imm = imm_of(ins);
    let hm: Handler = match m {
        Msz::A16 => th(h_xm::<M, 16, true>),
        Msz::U16 => th(h_xm::<M, 16, false>),
        Msz::M8 => th(h_xm::<M, 8, false>),
        Msz::M4 => th(h_xm::<M, 4, false>),
    };
    reg_or_mem(ins, 1, d, xmm, th(h_xx::<R>), hm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fpe_codes_follow_linux_priority() {
        let mut c = Cpu::new(std::sync::Arc::new(crate::mem::Mem::new().unwrap()));
        let cases = [
            (0x1f80 | 0x3f, 0),
            (0x1f80 & !0x80 | 0x01, 7),
            (0x1f80 & !0x200 | 0x05, 3),
            (0x3f, 7),
            (0x1f80 & !0x400 | 0x08, 4),
            (0x1f80 & !0x800 | 0x10, 5),
            (0x1f80 & !0x100 | 0x02, 5),
            (0x1f80 & !0x1000 | 0x20, 6),
            (0x1f80 & !0x1000 | 0x01, 0),
        ];
        for (m, code) in cases {
            c.sse.mxcsr = m;
            assert_eq!(fpe_code(&c), code, "mxcsr {m:#x}");
        }
    }
}
