//! Handlers with shapes other than `xmm op= xmm/mem`: stores, moves to and
//! from general registers and MMX registers, movmsk, pextrw/pinsrw,
//! comiss/cvt*2si/cvtsi2*, maskmov, MXCSR load/store, fences, clflush.

use super::fp;
use super::{gp0, mm_enter, rd_n, set_xr, wr_n, xr, Op2, MXCSR_MASK};
use crate::cpu::exec::mmx::{mm, set_mm};
use crate::cpu::flags::ARITH;
use crate::cpu::{Cpu, Inst, EDI};

// ---- stores ----

/// Store the low `N` bytes of xmm `r` (`AL`: 16-byte alignment enforced).
pub fn h_st<const N: u32, const AL: bool>(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    if AL && ea & 15 != 0 {
        return gp0(c);
    }
    let v = xr(c, i.r);
    let _ = wr_n::<N>(c, ea, v);
}

/// movhps/movhpd m64, xmm
pub fn h_st_hi(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let v = xr(c, i.r) >> 64;
    let _ = wr_n::<8>(c, ea, v);
}

/// movnti m32, r32
pub fn h_movnti(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let v = c.regs[(i.r & 7) as usize];
    let _ = c.wr32(ea, v);
}

// ---- general registers ----

/// movd xmm, r32
pub fn h_movd_xr(c: &mut Cpu, i: &Inst) {
    let v = c.regs[(i.rm & 7) as usize];
    set_xr(c, i.r, v as u128);
}

/// movd r32, xmm (`r` is the general register)
pub fn h_movd_rx(c: &mut Cpu, i: &Inst) {
    c.regs[(i.r & 7) as usize] = xr(c, i.rm) as u32;
}

/// movmskps r32, xmm
pub fn h_movmskps(c: &mut Cpu, i: &Inst) {
    let v = xr(c, i.rm);
    let m = (0..4).fold(0, |m, k| m | (((v >> (32 * k + 31)) & 1) as u32) << k);
    c.regs[(i.r & 7) as usize] = m;
}

/// movmskpd r32, xmm
pub fn h_movmskpd(c: &mut Cpu, i: &Inst) {
    let v = xr(c, i.rm);
    c.regs[(i.r & 7) as usize] = ((v >> 63) & 1) as u32 | (((v >> 127) as u32) << 1);
}

fn movmskb(v: u128) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{__m128i, _mm_movemask_epi8};
        // SAFETY: SSE2 is part of x86_64; u128 and __m128i are 16 plain bytes.
        unsafe { _mm_movemask_epi8(std::mem::transmute::<u128, __m128i>(v)) as u32 }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        movmskb_portable(v)
    }
}

/// pmovmskb's portable form (other hosts; tests).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn movmskb_portable(v: u128) -> u32 {
    (0..16).fold(0, |m, k| m | (((v >> (8 * k + 7)) & 1) as u32) << k)
}

/// pmovmskb r32, xmm
pub fn h_pmovmskb_x(c: &mut Cpu, i: &Inst) {
    c.regs[(i.r & 7) as usize] = movmskb(xr(c, i.rm));
}

/// pextrw r32, xmm, imm8
pub fn h_pextrw_x(c: &mut Cpu, i: &Inst) {
    let v = xr(c, i.rm) >> (16 * (i.imm & 7));
    c.regs[(i.r & 7) as usize] = v as u16 as u32;
}

fn ins_w(v: u128, w: u32, k: u32) -> u128 {
    let sh = 16 * k;
    (v & !(0xffffu128 << sh)) | ((w as u16 as u128) << sh)
}

/// pinsrw xmm, r32, imm8
pub fn h_pinsrw_xr(c: &mut Cpu, i: &Inst) {
    let w = c.regs[(i.rm & 7) as usize];
    let v = ins_w(xr(c, i.r), w, i.imm & 7);
    set_xr(c, i.r, v);
}

/// pinsrw xmm, m16, imm8
pub fn h_pinsrw_xm(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let Some(w) = c.rd16(ea) else { return };
    let v = ins_w(xr(c, i.r), w, i.imm & 7);
    set_xr(c, i.r, v);
}

// ---- MMX <-> XMM conversions ----

/// xmm, mm: `O` with the MMX register as the (zero-extended) source.
pub fn h_xmx<O: Op2>(c: &mut Cpu, i: &Inst) {
    if mm_enter(c).is_none() {
        return;
    }
    let b = mm(c, i.rm) as u128;
    let a = xr(c, i.r);
    if let Some(v) = O::op::<false>(c, a, b, i.imm as u8) {
        set_xr(c, i.r, v);
    }
}

/// mm, xmm: `O` on the xmm source; the low quadword goes to the MMX register.
pub fn h_mx<O: Op2>(c: &mut Cpu, i: &Inst) {
    if mm_enter(c).is_none() {
        return;
    }
    let b = xr(c, i.rm);
    if let Some(v) = O::op::<false>(c, 0, b, i.imm as u8) {
        set_mm(c, i.r, v as u64);
    }
}

/// mm, m`N`
pub fn h_mxm<O: Op2, const N: u32, const AL: bool>(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    if AL && ea & 15 != 0 {
        return gp0(c);
    }
    let Some(b) = rd_n::<N>(c, ea) else { return };
    if mm_enter(c).is_none() {
        return;
    }
    if let Some(v) = O::op::<false>(c, 0, b, i.imm as u8) {
        set_mm(c, i.r, v as u64);
    }
}

// ---- FP with general-register or EFLAGS results ----

fn comi<const OP: u16>(c: &mut Cpu, a: u128, b: u128) {
    if let Some(f) = fp::run::<OP>(c, a, b) {
        c.flags.set_arith(f as u32, ARITH);
    }
}

/// comiss/ucomiss/comisd/ucomisd xmm, xmm
pub fn h_comi_r<const OP: u16>(c: &mut Cpu, i: &Inst) {
    let (a, b) = (xr(c, i.r), xr(c, i.rm));
    comi::<OP>(c, a, b);
}

/// comiss/... xmm, m`N`
pub fn h_comi_m<const OP: u16, const N: u32>(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let Some(b) = rd_n::<N>(c, ea) else { return };
    let a = xr(c, i.r);
    comi::<OP>(c, a, b);
}

/// cvt\[t\]ss2si / cvt\[t\]sd2si r32, xmm (`r` is the general register)
pub fn h_cvt2si_r<const OP: u16>(c: &mut Cpu, i: &Inst) {
    let b = xr(c, i.rm);
    if let Some(v) = fp::run::<OP>(c, 0, b) {
        c.regs[(i.r & 7) as usize] = v as u32;
    }
}

/// cvt\[t\]ss2si / cvt\[t\]sd2si r32, m`N`
pub fn h_cvt2si_m<const OP: u16, const N: u32>(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let Some(b) = rd_n::<N>(c, ea) else { return };
    if let Some(v) = fp::run::<OP>(c, 0, b) {
        c.regs[(i.r & 7) as usize] = v as u32;
    }
}

/// cvtsi2ss / cvtsi2sd xmm, r32
pub fn h_cvtsi_r<const OP: u16>(c: &mut Cpu, i: &Inst) {
    let b = c.regs[(i.rm & 7) as usize] as u128;
    let a = xr(c, i.r);
    if let Some(v) = fp::run::<OP>(c, a, b) {
        set_xr(c, i.r, v);
    }
}

// ---- masked stores ----

/// maskmovdqu xmm1, xmm2 / maskmovq mm1, mm2: store the bytes of `r`
/// whose mask byte in `rm` has its top bit set, at seg:[edi] (or [di]).
/// As on the reference hosts (AMD and Intel), the whole operand must be writable even
/// where the mask is clear (even for an all-zero mask).
fn maskmov(c: &mut Cpu, i: &Inst, v: u128, m: u128, n: u32) {
    let ea = c.ea(i);
    if super::probe_write(c, ea, n).is_none() {
        return;
    }
    for k in 0..n {
        if (m >> (8 * k + 7)) & 1 != 0 && c.wr8(ea.wrapping_add(k), (v >> (8 * k)) as u32).is_none()
        {
            return;
        }
    }
}

pub fn h_maskmovdqu(c: &mut Cpu, i: &Inst) {
    let (v, m) = (xr(c, i.r), xr(c, i.rm));
    maskmov(c, i, v, m, 16);
}

/// The implicit seg:\[edi\] operand of maskmovdqu (16 bytes, for the
/// segment-limit check).
pub fn set_edi_operand(d: &mut Inst, a16: bool, seg: u8) {
    d.base = EDI as u8;
    d.index = crate::cpu::NOREG;
    d.scale = 0;
    d.disp = 0;
    d.a16 = a16 as u8 | crate::cpu::mem_size_code(16) << 1;
    d.seg = seg | crate::cpu::SEG_W as u8;
}

// ---- MXCSR, fences, cache control ----

/// ldmxcsr m32: #GP(0) if a reserved bit is set.
pub fn h_ldmxcsr(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let Some(v) = c.rd32(ea) else { return };
    if v & !MXCSR_MASK != 0 {
        return gp0(c);
    }
    c.sse.mxcsr = v;
}

/// stmxcsr m32
pub fn h_stmxcsr(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let v = c.sse.mxcsr;
    let _ = c.wr32(ea, v);
}

/// sfence/lfence/mfence: order this thread's memory accesses.
pub fn h_fence(_: &mut Cpu, _: &Inst) {
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
}

/// clflush m8: no cache to flush; the address must be mapped.
pub fn h_clflush(c: &mut Cpu, i: &Inst) {
    let ea = c.ea(i);
    let _ = c.rd8(ea);
}

#[cfg(test)]
mod tests {
    #[test]
    fn movmskb_matches_portable() {
        for v in [
            0u128,
            !0,
            0x80ff_7f01_00fe_8081_ff00_7f80_0102_fffe,
            0x8000_0000_0000_0000_0000_0000_0000_0080,
        ] {
            assert_eq!(super::movmskb(v), super::movmskb_portable(v), "{v:#x}");
        }
    }
}
