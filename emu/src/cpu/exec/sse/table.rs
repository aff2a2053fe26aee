//! iced `Code` -> handler for every legacy-encoded SSE/SSE2/SSE3/SSSE3
//! instruction (and the SSE-introduced MMX-register forms).

use iced_x86::{Code, Instruction, Mnemonic, OpKind};

use super::fp::{k::*, Cvtpi2ps, ToPi, F};
use super::int::*;
use super::mov::*;
use super::{dx, dx2, h_xx, imm_of, mm, xmm, Msz, Op2};
use crate::cpu::decode::{gpr32, reg_or_mem, set_mem, sreg};
use crate::cpu::{th, Handler, Inst};

/// `op xmm, imm8` (shift by immediate).
fn dxi<O: Op2>(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(r) = xmm(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    d.rm = r;
    d.imm = imm_of(ins);
    d.h = th(h_xx::<O>);
    true
}

/// Store form `op xmm/mem, xmm`: register destination runs `R` (dst =
/// R(dst, src)); a memory destination stores `N` bytes.
fn dst<R: Op2, const N: u32, const AL: bool>(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(s) = xmm(ins.op1_register()) else {
        return false;
    };
    match ins.op0_kind() {
        OpKind::Register => {
            let Some(r) = xmm(ins.op0_register()) else {
                return false;
            };
            d.r = r;
            d.rm = s;
            d.h = th(h_xx::<R>);
        }
        OpKind::Memory => {
            if !set_mem(ins, d) {
                return false;
            }
            d.r = s;
            d.h = th(h_st::<N, AL>);
        }
        _ => return false,
    }
    true
}

/// Memory-only store of xmm op1 with handler `h`.
fn dstm(ins: &Instruction, d: &mut Inst, h: Handler) -> bool {
    let Some(s) = xmm(ins.op1_register()) else {
        return false;
    };
    if ins.op0_kind() != OpKind::Memory || !set_mem(ins, d) {
        return false;
    }
    d.r = s;
    d.h = h;
    true
}

/// `op r32, xmm|mm[, imm8]` (register source only).
fn dgx(ins: &Instruction, d: &mut Inst, h: Handler, src_mm: bool) -> bool {
    let Some(r) = gpr32(ins.op0_register()) else {
        return false;
    };
    let s = if src_mm {
        mm(ins.op1_register())
    } else {
        xmm(ins.op1_register())
    };
    let Some(s) = s else { return false };
    d.r = r;
    d.rm = s;
    d.imm = imm_of(ins);
    d.h = h;
    true
}

/// `op r32, xmm/m` with register handler `hr` and memory handler `hm`.
fn dgxm(ins: &Instruction, d: &mut Inst, hr: Handler, hm: Handler) -> bool {
    let Some(r) = gpr32(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    reg_or_mem(ins, 1, d, xmm, hr, hm)
}

/// `op xmm|mm, r32/m[, imm8]`: the destination register in `r`, a general
/// register source in `rm`.
fn dxg(ins: &Instruction, d: &mut Inst, hr: Handler, hm: Handler, dst_mm: bool) -> bool {
    let r = if dst_mm {
        mm(ins.op0_register())
    } else {
        xmm(ins.op0_register())
    };
    let Some(r) = r else { return false };
    d.r = r;
    d.imm = imm_of(ins);
    reg_or_mem(ins, 1, d, gpr32, hr, hm)
}

/// `movd r/m32, xmm`
fn d_movd_st(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(s) = xmm(ins.op1_register()) else {
        return false;
    };
    match ins.op0_kind() {
        OpKind::Register => {
            let Some(r) = gpr32(ins.op0_register()) else {
                return false;
            };
            d.r = r;
            d.rm = s;
            d.h = th(h_movd_rx);
        }
        OpKind::Memory => {
            if !set_mem(ins, d) {
                return false;
            }
            d.r = s;
            d.h = th(h_st::<4, false>);
        }
        _ => return false,
    }
    true
}

/// `op xmm, mm/m64`
fn dxmm<O: Op2>(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(r) = xmm(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    reg_or_mem(
        ins,
        1,
        d,
        mm,
        th(h_xmx::<O>),
        th(super::h_xm::<O, 8, false>),
    )
}

/// `op mm, xmm/m`
fn dmx<O: Op2, const N: u32, const AL: bool>(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(r) = mm(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    reg_or_mem(ins, 1, d, xmm, th(h_mx::<O>), th(h_mxm::<O, N, AL>))
}

/// maskmovdqu: registers in r and rm, implicit seg:[edi].
fn dmaskmov(ins: &Instruction, d: &mut Inst, h: Handler) -> bool {
    let (Some(r), Some(s)) = (xmm(ins.op1_register()), xmm(ins.op2_register())) else {
        return false;
    };
    let a16 = match ins.op0_kind() {
        OpKind::MemorySegDI => true,
        OpKind::MemorySegEDI => false,
        _ => return false,
    };
    let Some(seg) = sreg(ins.memory_segment()) else {
        return false;
    };
    set_edi_operand(d, a16, seg);
    d.r = r;
    d.rm = s;
    d.h = h;
    true
}

/// Memory-only instruction with handler `h`.
fn dmem(ins: &Instruction, d: &mut Inst, h: Handler) -> bool {
    if ins.op0_kind() != OpKind::Memory || !set_mem(ins, d) {
        return false;
    }
    d.h = h;
    true
}

macro_rules! cmp {
    ($base:ident, $ins:expr, $d:expr, $m:expr) => {
        match imm_of($ins) & 7 {
            0 => dx::<F<{ $base }>>($ins, $d, $m),
            1 => dx::<F<{ $base + 1 }>>($ins, $d, $m),
            2 => dx::<F<{ $base + 2 }>>($ins, $d, $m),
            3 => dx::<F<{ $base + 3 }>>($ins, $d, $m),
            4 => dx::<F<{ $base + 4 }>>($ins, $d, $m),
            5 => dx::<F<{ $base + 5 }>>($ins, $d, $m),
            6 => dx::<F<{ $base + 6 }>>($ins, $d, $m),
            _ => dx::<F<{ $base + 7 }>>($ins, $d, $m),
        }
    };
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Code::*;
    use Msz::*;
    match ins.mnemonic() {
        Mnemonic::Sfence | Mnemonic::Lfence | Mnemonic::Mfence => {
            d.h = th(h_fence);
            return true;
        }
        Mnemonic::Clflush => return dmem(ins, d, th(h_clflush)),
        _ => {}
    }
    match ins.code() {
        // ---- moves ----
        Movaps_xmm_xmmm128 | Movapd_xmm_xmmm128 | Movdqa_xmm_xmmm128 => dx::<Ld>(ins, d, A16),
        Movups_xmm_xmmm128 | Movupd_xmm_xmmm128 | Movdqu_xmm_xmmm128 | Lddqu_xmm_m128 => {
            dx::<Ld>(ins, d, U16)
        }
        Movaps_xmmm128_xmm | Movapd_xmmm128_xmm | Movdqa_xmmm128_xmm => dst::<Ld, 16, true>(ins, d),
        Movups_xmmm128_xmm | Movupd_xmmm128_xmm | Movdqu_xmmm128_xmm => {
            dst::<Ld, 16, false>(ins, d)
        }
        Movntps_m128_xmm | Movntpd_m128_xmm | Movntdq_m128_xmm => {
            dstm(ins, d, th(h_st::<16, true>))
        }
        Movss_xmm_xmmm32 => dx2::<MovssRR, Ld>(ins, d, M4),
        Movsd_xmm_xmmm64 => dx2::<MovLo, Ld>(ins, d, M8),
        Movss_xmmm32_xmm => dst::<MovssRR, 4, false>(ins, d),
        Movsd_xmmm64_xmm => dst::<MovLo, 8, false>(ins, d),
        Movq_xmm_xmmm64 => dx::<MovqZ>(ins, d, M8),
        Movq_xmmm64_xmm => dst::<MovqZ, 8, false>(ins, d),
        Movlps_xmm_m64 | Movlpd_xmm_m64 => dx::<MovLo>(ins, d, M8),
        Movhps_xmm_m64 | Movhpd_xmm_m64 | Movlhps_xmm_xmm => dx::<MovHi>(ins, d, M8),
        Movhlps_xmm_xmm => dx::<Movhlps>(ins, d, M8),
        Movlps_m64_xmm | Movlpd_m64_xmm => dstm(ins, d, th(h_st::<8, false>)),
        Movhps_m64_xmm | Movhpd_m64_xmm => dstm(ins, d, th(h_st_hi)),
        Movd_xmm_rm32 => dxg(
            ins,
            d,
            th(h_movd_xr),
            th(super::h_xm::<Ld, 4, false>),
            false,
        ),
        Movd_rm32_xmm => d_movd_st(ins, d),
        Movnti_m32_r32 => {
            let Some(s) = gpr32(ins.op1_register()) else {
                return false;
            };
            d.r = s;
            dmem(ins, d, th(h_movnti))
        }
        Movddup_xmm_xmmm64 => dx::<Movddup>(ins, d, M8),
        Movshdup_xmm_xmmm128 => dx::<Movshdup>(ins, d, A16),
        Movsldup_xmm_xmmm128 => dx::<Movsldup>(ins, d, A16),
        Movmskps_r32_xmm => dgx(ins, d, th(h_movmskps), false),
        Movmskpd_r32_xmm => dgx(ins, d, th(h_movmskpd), false),
        Pmovmskb_r32_xmm => dgx(ins, d, th(h_pmovmskb_x), false),
        Pextrw_r32_xmm_imm8 => dgx(ins, d, th(h_pextrw_x), false),
        Pinsrw_xmm_r32m16_imm8 => dxg(ins, d, th(h_pinsrw_xr), th(h_pinsrw_xm), false),
        Maskmovdqu_rDI_xmm_xmm => dmaskmov(ins, d, th(h_maskmovdqu)),
        Ldmxcsr_m32 => dmem(ins, d, th(h_ldmxcsr)),
        Stmxcsr_m32 => dmem(ins, d, th(h_stmxcsr)),

        // ---- floating-point arithmetic ----
        Addps_xmm_xmmm128 => dx::<F<ADDPS>>(ins, d, A16),
        Addss_xmm_xmmm32 => dx::<F<ADDSS>>(ins, d, M4),
        Addpd_xmm_xmmm128 => dx::<F<ADDPD>>(ins, d, A16),
        Addsd_xmm_xmmm64 => dx::<F<ADDSD>>(ins, d, M8),
        Subps_xmm_xmmm128 => dx::<F<SUBPS>>(ins, d, A16),
        Subss_xmm_xmmm32 => dx::<F<SUBSS>>(ins, d, M4),
        Subpd_xmm_xmmm128 => dx::<F<SUBPD>>(ins, d, A16),
        Subsd_xmm_xmmm64 => dx::<F<SUBSD>>(ins, d, M8),
        Mulps_xmm_xmmm128 => dx::<F<MULPS>>(ins, d, A16),
        Mulss_xmm_xmmm32 => dx::<F<MULSS>>(ins, d, M4),
        Mulpd_xmm_xmmm128 => dx::<F<MULPD>>(ins, d, A16),
        Mulsd_xmm_xmmm64 => dx::<F<MULSD>>(ins, d, M8),
        Divps_xmm_xmmm128 => dx::<F<DIVPS>>(ins, d, A16),
        Divss_xmm_xmmm32 => dx::<F<DIVSS>>(ins, d, M4),
        Divpd_xmm_xmmm128 => dx::<F<DIVPD>>(ins, d, A16),
        Divsd_xmm_xmmm64 => dx::<F<DIVSD>>(ins, d, M8),
        Minps_xmm_xmmm128 => dx::<F<MINPS>>(ins, d, A16),
        Minss_xmm_xmmm32 => dx::<F<MINSS>>(ins, d, M4),
        Minpd_xmm_xmmm128 => dx::<F<MINPD>>(ins, d, A16),
        Minsd_xmm_xmmm64 => dx::<F<MINSD>>(ins, d, M8),
        Maxps_xmm_xmmm128 => dx::<F<MAXPS>>(ins, d, A16),
        Maxss_xmm_xmmm32 => dx::<F<MAXSS>>(ins, d, M4),
        Maxpd_xmm_xmmm128 => dx::<F<MAXPD>>(ins, d, A16),
        Maxsd_xmm_xmmm64 => dx::<F<MAXSD>>(ins, d, M8),
        Sqrtps_xmm_xmmm128 => dx::<F<SQRTPS>>(ins, d, A16),
        Sqrtss_xmm_xmmm32 => dx::<F<SQRTSS>>(ins, d, M4),
        Sqrtpd_xmm_xmmm128 => dx::<F<SQRTPD>>(ins, d, A16),
        Sqrtsd_xmm_xmmm64 => dx::<F<SQRTSD>>(ins, d, M8),
        Rcpps_xmm_xmmm128 => dx::<F<RCPPS>>(ins, d, A16),
        Rcpss_xmm_xmmm32 => dx::<F<RCPSS>>(ins, d, M4),
        Rsqrtps_xmm_xmmm128 => dx::<F<RSQRTPS>>(ins, d, A16),
        Rsqrtss_xmm_xmmm32 => dx::<F<RSQRTSS>>(ins, d, M4),
        Addsubps_xmm_xmmm128 => dx::<F<ADDSUBPS>>(ins, d, A16),
        Addsubpd_xmm_xmmm128 => dx::<F<ADDSUBPD>>(ins, d, A16),
        Haddps_xmm_xmmm128 => dx::<F<HADDPS>>(ins, d, A16),
        Haddpd_xmm_xmmm128 => dx::<F<HADDPD>>(ins, d, A16),
        Hsubps_xmm_xmmm128 => dx::<F<HSUBPS>>(ins, d, A16),
        Hsubpd_xmm_xmmm128 => dx::<F<HSUBPD>>(ins, d, A16),
        Cmpps_xmm_xmmm128_imm8 => cmp!(CMPPS, ins, d, A16),
        Cmpss_xmm_xmmm32_imm8 => cmp!(CMPSS, ins, d, M4),
        Cmppd_xmm_xmmm128_imm8 => cmp!(CMPPD, ins, d, A16),
        Cmpsd_xmm_xmmm64_imm8 => cmp!(CMPSD, ins, d, M8),
        Comiss_xmm_xmmm32 => dcomi::<COMISS, 4>(ins, d),
        Ucomiss_xmm_xmmm32 => dcomi::<UCOMISS, 4>(ins, d),
        Comisd_xmm_xmmm64 => dcomi::<COMISD, 8>(ins, d),
        Ucomisd_xmm_xmmm64 => dcomi::<UCOMISD, 8>(ins, d),

        // ---- bitwise and shuffles on floating-point data ----
        Andps_xmm_xmmm128 | Andpd_xmm_xmmm128 => dx::<Pand>(ins, d, A16),
        Andnps_xmm_xmmm128 | Andnpd_xmm_xmmm128 => dx::<Pandn>(ins, d, A16),
        Orps_xmm_xmmm128 | Orpd_xmm_xmmm128 => dx::<Por>(ins, d, A16),
        Xorps_xmm_xmmm128 | Xorpd_xmm_xmmm128 => dx::<Pxor>(ins, d, A16),
        Shufps_xmm_xmmm128_imm8 => dx::<Shufps>(ins, d, A16),
        Shufpd_xmm_xmmm128_imm8 => dx::<Shufpd>(ins, d, A16),
        Unpcklps_xmm_xmmm128 => dx::<Punpckldq>(ins, d, A16),
        Unpckhps_xmm_xmmm128 => dx::<Punpckhdq>(ins, d, A16),
        Unpcklpd_xmm_xmmm128 => dx::<Punpcklqdq>(ins, d, A16),
        Unpckhpd_xmm_xmmm128 => dx::<Punpckhqdq>(ins, d, A16),

        // ---- conversions ----
        Cvtps2pd_xmm_xmmm64 => dx::<F<CVTPS2PD>>(ins, d, M8),
        Cvtpd2ps_xmm_xmmm128 => dx::<F<CVTPD2PS>>(ins, d, A16),
        Cvtss2sd_xmm_xmmm32 => dx::<F<CVTSS2SD>>(ins, d, M4),
        Cvtsd2ss_xmm_xmmm64 => dx::<F<CVTSD2SS>>(ins, d, M8),
        Cvtdq2ps_xmm_xmmm128 => dx::<F<CVTDQ2PS>>(ins, d, A16),
        Cvtps2dq_xmm_xmmm128 => dx::<F<CVTPS2DQ>>(ins, d, A16),
        Cvttps2dq_xmm_xmmm128 => dx::<F<CVTTPS2DQ>>(ins, d, A16),
        Cvtdq2pd_xmm_xmmm64 => dx::<F<CVTDQ2PD>>(ins, d, M8),
        Cvtpd2dq_xmm_xmmm128 => dx::<F<CVTPD2DQ>>(ins, d, A16),
        Cvttpd2dq_xmm_xmmm128 => dx::<F<CVTTPD2DQ>>(ins, d, A16),
        Cvtsi2ss_xmm_rm32 => dxg(
            ins,
            d,
            th(h_cvtsi_r::<CVTSI2SS>),
            th(super::h_xm::<F<CVTSI2SS>, 4, false>),
            false,
        ),
        Cvtsi2sd_xmm_rm32 => dxg(
            ins,
            d,
            th(h_cvtsi_r::<CVTSI2SD>),
            th(super::h_xm::<F<CVTSI2SD>, 4, false>),
            false,
        ),
        Cvtss2si_r32_xmmm32 => dgxm(
            ins,
            d,
            th(h_cvt2si_r::<CVTSS2SI>),
            th(h_cvt2si_m::<CVTSS2SI, 4>),
        ),
        Cvttss2si_r32_xmmm32 => dgxm(
            ins,
            d,
            th(h_cvt2si_r::<CVTTSS2SI>),
            th(h_cvt2si_m::<CVTTSS2SI, 4>),
        ),
        Cvtsd2si_r32_xmmm64 => dgxm(
            ins,
            d,
            th(h_cvt2si_r::<CVTSD2SI>),
            th(h_cvt2si_m::<CVTSD2SI, 8>),
        ),
        Cvttsd2si_r32_xmmm64 => dgxm(
            ins,
            d,
            th(h_cvt2si_r::<CVTTSD2SI>),
            th(h_cvt2si_m::<CVTTSD2SI, 8>),
        ),

        // ---- 128-bit integer ----
        Paddb_xmm_xmmm128 => dx::<Paddb>(ins, d, A16),
        Paddw_xmm_xmmm128 => dx::<Paddw>(ins, d, A16),
        Paddd_xmm_xmmm128 => dx::<Paddd>(ins, d, A16),
        Paddq_xmm_xmmm128 => dx::<Paddq>(ins, d, A16),
        Psubb_xmm_xmmm128 => dx::<Psubb>(ins, d, A16),
        Psubw_xmm_xmmm128 => dx::<Psubw>(ins, d, A16),
        Psubd_xmm_xmmm128 => dx::<Psubd>(ins, d, A16),
        Psubq_xmm_xmmm128 => dx::<Psubq>(ins, d, A16),
        Paddsb_xmm_xmmm128 => dx::<Paddsb>(ins, d, A16),
        Paddsw_xmm_xmmm128 => dx::<Paddsw>(ins, d, A16),
        Paddusb_xmm_xmmm128 => dx::<Paddusb>(ins, d, A16),
        Paddusw_xmm_xmmm128 => dx::<Paddusw>(ins, d, A16),
        Psubsb_xmm_xmmm128 => dx::<Psubsb>(ins, d, A16),
        Psubsw_xmm_xmmm128 => dx::<Psubsw>(ins, d, A16),
        Psubusb_xmm_xmmm128 => dx::<Psubusb>(ins, d, A16),
        Psubusw_xmm_xmmm128 => dx::<Psubusw>(ins, d, A16),
        Pmullw_xmm_xmmm128 => dx::<Pmullw>(ins, d, A16),
        Pmulhw_xmm_xmmm128 => dx::<Pmulhw>(ins, d, A16),
        Pmulhuw_xmm_xmmm128 => dx::<Pmulhuw>(ins, d, A16),
        Pmuludq_xmm_xmmm128 => dx::<Pmuludq>(ins, d, A16),
        Pmaddwd_xmm_xmmm128 => dx::<Pmaddwd>(ins, d, A16),
        Pavgb_xmm_xmmm128 => dx::<Pavgb>(ins, d, A16),
        Pavgw_xmm_xmmm128 => dx::<Pavgw>(ins, d, A16),
        Pminub_xmm_xmmm128 => dx::<Pminub>(ins, d, A16),
        Pmaxub_xmm_xmmm128 => dx::<Pmaxub>(ins, d, A16),
        Pminsw_xmm_xmmm128 => dx::<Pminsw>(ins, d, A16),
        Pmaxsw_xmm_xmmm128 => dx::<Pmaxsw>(ins, d, A16),
        Psadbw_xmm_xmmm128 => dx::<Psadbw>(ins, d, A16),
        Pand_xmm_xmmm128 => dx::<Pand>(ins, d, A16),
        Pandn_xmm_xmmm128 => dx::<Pandn>(ins, d, A16),
        Por_xmm_xmmm128 => dx::<Por>(ins, d, A16),
        Pxor_xmm_xmmm128 => dx::<Pxor>(ins, d, A16),
        Pcmpeqb_xmm_xmmm128 => dx::<Pcmpeqb>(ins, d, A16),
        Pcmpeqw_xmm_xmmm128 => dx::<Pcmpeqw>(ins, d, A16),
        Pcmpeqd_xmm_xmmm128 => dx::<Pcmpeqd>(ins, d, A16),
        Pcmpgtb_xmm_xmmm128 => dx::<Pcmpgtb>(ins, d, A16),
        Pcmpgtw_xmm_xmmm128 => dx::<Pcmpgtw>(ins, d, A16),
        Pcmpgtd_xmm_xmmm128 => dx::<Pcmpgtd>(ins, d, A16),
        Packsswb_xmm_xmmm128 => dx::<Packsswb>(ins, d, A16),
        Packssdw_xmm_xmmm128 => dx::<Packssdw>(ins, d, A16),
        Packuswb_xmm_xmmm128 => dx::<Packuswb>(ins, d, A16),
        Punpcklbw_xmm_xmmm128 => dx::<Punpcklbw>(ins, d, A16),
        Punpcklwd_xmm_xmmm128 => dx::<Punpcklwd>(ins, d, A16),
        Punpckldq_xmm_xmmm128 => dx::<Punpckldq>(ins, d, A16),
        Punpcklqdq_xmm_xmmm128 => dx::<Punpcklqdq>(ins, d, A16),
        Punpckhbw_xmm_xmmm128 => dx::<Punpckhbw>(ins, d, A16),
        Punpckhwd_xmm_xmmm128 => dx::<Punpckhwd>(ins, d, A16),
        Punpckhdq_xmm_xmmm128 => dx::<Punpckhdq>(ins, d, A16),
        Punpckhqdq_xmm_xmmm128 => dx::<Punpckhqdq>(ins, d, A16),
        Pshufd_xmm_xmmm128_imm8 => dx::<Pshufd>(ins, d, A16),
        Pshufhw_xmm_xmmm128_imm8 => dx::<Pshufhw>(ins, d, A16),
        Pshuflw_xmm_xmmm128_imm8 => dx::<Pshuflw>(ins, d, A16),
        Psllw_xmm_xmmm128 => dx::<Psllw>(ins, d, A16),
        Pslld_xmm_xmmm128 => dx::<Pslld>(ins, d, A16),
        Psllq_xmm_xmmm128 => dx::<Psllq>(ins, d, A16),
        Psrlw_xmm_xmmm128 => dx::<Psrlw>(ins, d, A16),
        Psrld_xmm_xmmm128 => dx::<Psrld>(ins, d, A16),
        Psrlq_xmm_xmmm128 => dx::<Psrlq>(ins, d, A16),
        Psraw_xmm_xmmm128 => dx::<Psraw>(ins, d, A16),
        Psrad_xmm_xmmm128 => dx::<Psrad>(ins, d, A16),
        Psllw_xmm_imm8 => dxi::<PsllwI>(ins, d),
        Pslld_xmm_imm8 => dxi::<PslldI>(ins, d),
        Psllq_xmm_imm8 => dxi::<PsllqI>(ins, d),
        Psrlw_xmm_imm8 => dxi::<PsrlwI>(ins, d),
        Psrld_xmm_imm8 => dxi::<PsrldI>(ins, d),
        Psrlq_xmm_imm8 => dxi::<PsrlqI>(ins, d),
        Psraw_xmm_imm8 => dxi::<PsrawI>(ins, d),
        Psrad_xmm_imm8 => dxi::<PsradI>(ins, d),
        Pslldq_xmm_imm8 => dxi::<PslldqI>(ins, d),
        Psrldq_xmm_imm8 => dxi::<PsrldqI>(ins, d),

        // ---- SSSE3 ----
        Pshufb_xmm_xmmm128 => dx::<Pshufb>(ins, d, A16),
        Palignr_xmm_xmmm128_imm8 => dx::<Palignr>(ins, d, A16),
        Pabsb_xmm_xmmm128 => dx::<Pabsb>(ins, d, A16),
        Pabsw_xmm_xmmm128 => dx::<Pabsw>(ins, d, A16),
        Pabsd_xmm_xmmm128 => dx::<Pabsd>(ins, d, A16),
        Phaddw_xmm_xmmm128 => dx::<Phaddw>(ins, d, A16),
        Phaddd_xmm_xmmm128 => dx::<Phaddd>(ins, d, A16),
        Phaddsw_xmm_xmmm128 => dx::<Phaddsw>(ins, d, A16),
        Phsubw_xmm_xmmm128 => dx::<Phsubw>(ins, d, A16),
        Phsubd_xmm_xmmm128 => dx::<Phsubd>(ins, d, A16),
        Phsubsw_xmm_xmmm128 => dx::<Phsubsw>(ins, d, A16),
        Pmaddubsw_xmm_xmmm128 => dx::<Pmaddubsw>(ins, d, A16),
        Pmulhrsw_xmm_xmmm128 => dx::<Pmulhrsw>(ins, d, A16),
        Psignb_xmm_xmmm128 => dx::<Psignb>(ins, d, A16),
        Psignw_xmm_xmmm128 => dx::<Psignw>(ins, d, A16),
        Psignd_xmm_xmmm128 => dx::<Psignd>(ins, d, A16),

        _ => decode_mm(ins, d),
    }
}

/// comiss & co.
fn dcomi<const OP: u16, const N: u32>(ins: &Instruction, d: &mut Inst) -> bool {
    let Some(r) = xmm(ins.op0_register()) else {
        return false;
    };
    d.r = r;
    reg_or_mem(ins, 1, d, xmm, th(h_comi_r::<OP>), th(h_comi_m::<OP, N>))
}

/// The conversions between MMX registers and xmm registers (the other
/// MMX-register forms of SSE/SSE2/SSSE3 are in `exec::mmx`).
fn decode_mm(ins: &Instruction, d: &mut Inst) -> bool {
    use Code::*;
    match ins.code() {
        Cvtpi2ps_xmm_mmm64 => dxmm::<Cvtpi2ps>(ins, d),
        Cvtpi2pd_xmm_mmm64 => dxmm::<F<CVTDQ2PD>>(ins, d),
        Cvtps2pi_mm_xmmm64 => dmx::<ToPi<CVTPS2DQ>, 8, false>(ins, d),
        Cvttps2pi_mm_xmmm64 => dmx::<ToPi<CVTTPS2DQ>, 8, false>(ins, d),
        Cvtpd2pi_mm_xmmm128 => dmx::<ToPi<CVTPD2DQ>, 16, true>(ins, d),
        Cvttpd2pi_mm_xmmm128 => dmx::<ToPi<CVTTPD2DQ>, 16, true>(ins, d),
        _ => false,
    }
}
