//! Miscellaneous instructions: cpuid, rdtsc, pause and the hint nops,
//! clc/stc/cmc/cld/std, salc, bound, arpl, and the privileged instructions
//! (hlt, cli, sti, in/out, ins/outs, lgdt, ...) which raise #GP(0) in user
//! mode. The plain nops are decoded in `mov.rs`.

use iced_x86::{Instruction, Mnemonic};

use crate::cpu::decode::{opnd, Opnd};
use crate::cpu::flags::{CF, DF, ZF};
use crate::cpu::{th, vec, Cpu, Inst, EAX, EBX, ECX, EDX};

/// CPUID feature bits. Advertise exactly what the interpreter implements;
/// extend these as more instruction families land.
pub mod feat {
    /// Leaf 1 EDX.
    pub const FPU: u32 = 1 << 0;
    pub const TSC: u32 = 1 << 4;
    pub const CX8: u32 = 1 << 8;
    pub const SEP: u32 = 1 << 11;
    pub const CMOV: u32 = 1 << 15;
    pub const MMX: u32 = 1 << 23;
    pub const FXSR: u32 = 1 << 24;
    pub const SSE: u32 = 1 << 25;
    pub const SSE2: u32 = 1 << 26;
    /// Leaf 1 ECX.
    pub const SSE3: u32 = 1 << 0;
    pub const SSSE3: u32 = 1 << 9;
    pub const POPCNT: u32 = 1 << 23;
    /// Leaf 7 EBX.
    pub const BMI1: u32 = 1 << 3;
    /// x87 FDP is updated only on an unmasked exception (emu's x87 does
    /// this, as Intel hosts do).
    pub const FDP_EXCPTN_ONLY: u32 = 1 << 6;
    /// x87 FCS and FDS are deprecated and stored as zero (emu: always).
    pub const ZERO_FCS_FDS: u32 = 1 << 13;
    /// Leaf 0x8000_0001 ECX: lzcnt.
    pub const ABM: u32 = 1 << 5;
    /// What leaf 7 reports in EBX (leaf 7 is beyond MAX_LEAF for now, so
    /// nothing is advertised; these describe the x87 behaviour emu
    /// implements).
    pub const LEAF7_EBX: u32 = FDP_EXCPTN_ONLY | ZERO_FCS_FDS;

    /// What leaf 1 reports in EDX.
    pub const LEAF1_EDX: u32 = FPU | TSC | CX8 | SEP | CMOV | MMX | FXSR | SSE | SSE2;
    /// What leaf 1 reports in ECX.
    pub const LEAF1_ECX: u32 = SSE3 | SSSE3 | POPCNT;
    /// Leaf 0x8000_0001 EDX and ECX.
    pub const EXT1_EDX: u32 = 0;
    pub const EXT1_ECX: u32 = 0;
}

/// Highest basic leaf.
pub const MAX_LEAF: u32 = 1;
/// Highest extended leaf.
pub const MAX_EXT_LEAF: u32 = 0x8000_0004;
/// Family 6, model 15, stepping 1.
pub const SIGNATURE: u32 = (6 << 8) | (15 << 4) | 1;
pub const VENDOR: &[u8; 12] = b"GenuineIntel";
pub const BRAND: &str = "emu i386 interpreter";

/// CPUID result (eax, ebx, ecx, edx) for `leaf`. Unknown leaves return zeros.
pub fn cpuid(leaf: u32) -> [u32; 4] {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    match leaf {
        0 => [
            MAX_LEAF,
            word(&VENDOR[0..4]),
            word(&VENDOR[8..12]),
            word(&VENDOR[4..8]),
        ],
        1 => [SIGNATURE, 0, feat::LEAF1_ECX, feat::LEAF1_EDX],
        0x8000_0000 => [MAX_EXT_LEAF, 0, 0, 0],
        0x8000_0001 => [0, 0, feat::EXT1_ECX, feat::EXT1_EDX],
        0x8000_0002..=0x8000_0004 => {
            let mut b = [0u8; 48];
            b[..BRAND.len()].copy_from_slice(BRAND.as_bytes());
            let o = (leaf - 0x8000_0002) as usize * 16;
            let s = &b[o..o + 16];
            [
                word(&s[0..4]),
                word(&s[4..8]),
                word(&s[8..12]),
                word(&s[12..16]),
            ]
        }
        _ => [0; 4],
    }
}

fn h_cpuid(c: &mut Cpu, _: &Inst) {
    let [a, b, cx, d] = cpuid(c.regs[EAX]);
    c.regs[EAX] = a;
    c.regs[EBX] = b;
    c.regs[ECX] = cx;
    c.regs[EDX] = d;
}

/// A monotonic time-stamp counter.
pub fn tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: rdtsc has no preconditions on x86_64.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

fn rdtsc(c: &mut Cpu, _: &Inst) {
    let t = tsc();
    c.regs[EAX] = t as u32;
    c.regs[EDX] = (t >> 32) as u32;
}

fn nop(_: &mut Cpu, _: &Inst) {}

fn clc(c: &mut Cpu, _: &Inst) {
    c.flags.set_arith(0, CF);
}

fn stc(c: &mut Cpu, _: &Inst) {
    c.flags.set_arith(CF, CF);
}

fn cmc(c: &mut Cpu, _: &Inst) {
    let v = if c.flags.cf() { 0 } else { CF };
    c.flags.set_arith(v, CF);
}

fn cld(c: &mut Cpu, _: &Inst) {
    c.flags.bits &= !DF;
}

fn std_(c: &mut Cpu, _: &Inst) {
    c.flags.bits |= DF;
}

/// salc (undocumented): al = CF ? 0xff : 0.
fn salc(c: &mut Cpu, _: &Inst) {
    let v = if c.flags.cf() { 0xff } else { 0 };
    c.set_r8(EAX as u8, v);
}

/// bound r, m: #BR unless lower <= r <= upper (signed).
fn bound<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let Some(lo) = c.rd_sz(SZ, a) else { return };
    let Some(hi) = c.rd_sz(SZ, a.wrapping_add(1 << SZ)) else {
        return;
    };
    let x = c.reg(SZ, i.r);
    let s = |v: u32| {
        if SZ == 2 {
            v as i32
        } else {
            v as u16 as i16 as i32
        }
    };
    if s(x) < s(lo) || s(x) > s(hi) {
        c.raise(vec::BR, None);
    }
}

/// arpl r/m16, r16: raise the destination's RPL to the source's; ZF says
/// whether it changed.
fn arpl_r(c: &mut Cpu, i: &Inst) {
    let d = c.reg(1, i.rm);
    let s = c.reg(1, i.r);
    if d & 3 < s & 3 {
        c.set_reg(1, i.rm, (d & !3) | (s & 3));
        c.flags.set_arith(ZF, ZF);
    } else {
        c.flags.set_arith(0, ZF);
    }
}

fn arpl_m(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let s = c.reg(1, i.r);
    let Some(d) = c.rd16(a) else { return };
    if d & 3 < s & 3 {
        if c.wr16(a, (d & !3) | (s & 3)).is_none() {
            return;
        }
        c.flags.set_arith(ZF, ZF);
    } else {
        c.flags.set_arith(0, ZF);
    }
}

/// Privileged in user mode.
fn gp0(c: &mut Cpu, _: &Inst) {
    c.raise(vec::GP, Some(0));
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    d.h = match ins.mnemonic() {
        Cpuid => th(h_cpuid),
        Rdtsc => th(rdtsc),
        // 0f 0d with a register operand is #UD (prefetches need memory);
        // with memory it is a prefetch on these CPUs, like prefetchw.
        Reservednop
            if matches!(
                ins.code(),
                iced_x86::Code::Reservednop_rm16_r16_0F0D
                    | iced_x86::Code::Reservednop_rm32_r32_0F0D
            ) && ins.op0_kind() == iced_x86::OpKind::Register =>
        {
            return false
        }
        // rdsspd/rdsspq sit in the hint-NOP space: without shadow stacks
        // (an i386 task never has them) they are NOPs (SDM vol. 1, 17.2).
        Pause | Nop | Reservednop | Prefetchnta | Prefetcht0 | Prefetcht1 | Prefetcht2
        | Prefetch | Prefetchw | Endbr32 | Endbr64 | Rdsspd | Rdsspq => th(nop),
        Clc => th(clc),
        Stc => th(stc),
        Cmc => th(cmc),
        Cld => th(cld),
        Std => th(std_),
        Salc => th(salc),
        Bound => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return false;
            };
            if opnd(ins, 1, d) != Opnd::Mem {
                return false;
            }
            d.r = r;
            if sz == 2 {
                th(bound::<2>)
            } else {
                th(bound::<1>)
            }
        }
        Arpl => {
            let Opnd::Reg(s, _) = opnd(ins, 1, d) else {
                return false;
            };
            d.r = s;
            match opnd(ins, 0, d) {
                Opnd::Reg(r, _) => {
                    d.rm = r;
                    th(arpl_r)
                }
                Opnd::Mem => th(arpl_m),
                _ => return false,
            }
        }
        Hlt | Cli | Sti | In | Out | Insb | Insw | Insd | Outsb | Outsw | Outsd | Lgdt | Lidt
        | Lldt | Ltr | Lmsw | Clts | Invd | Wbinvd | Invlpg | Rdmsr | Wrmsr | Rdpmc | Sysexit => {
            th(gp0)
        }
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(regs: &[u32]) -> String {
        regs.iter()
            .flat_map(|r| r.to_le_bytes())
            .map(|b| b as char)
            .collect()
    }

    #[test]
    fn vendor_and_brand() {
        let [max, b, c, d] = cpuid(0);
        assert_eq!(max, 1);
        assert_eq!(text(&[b, d, c]), "GenuineIntel");
        assert_eq!(cpuid(0x8000_0000)[0], 0x8000_0004);
        let mut s = String::new();
        for l in 0x8000_0002..=0x8000_0004 {
            s += &text(&cpuid(l));
        }
        assert_eq!(s.trim_end_matches('\0'), BRAND);
    }

    #[test]
    fn features_and_unknown_leaves() {
        let [sig, _, ecx, edx] = cpuid(1);
        assert_eq!((sig >> 8) & 0xf, 6);
        let x87 = feat::FPU | feat::MMX | feat::FXSR;
        assert_eq!(edx & x87, x87);
        let base = feat::TSC | feat::CX8 | feat::SEP | feat::CMOV;
        assert_eq!(edx & base, base);
        let sse = feat::SSE | feat::SSE2;
        assert_eq!(edx & sse, sse);
        assert_eq!(ecx, feat::SSE3 | feat::SSSE3 | feat::POPCNT);
        assert_eq!(cpuid(2), [0; 4]);
        assert_eq!(cpuid(7), [0; 4]);
        assert_eq!(cpuid(0x8000_0008), [0; 4]);
    }

    #[test]
    fn tsc_is_monotonic() {
        let a = tsc();
        let b = tsc();
        assert!(b >= a);
    }

    /// iced rejects a lock prefix where it is not allowed, so such
    /// instructions become #UD at translation.
    #[test]
    fn lock_prefix_validity() {
        use iced_x86::{Decoder, DecoderOptions};
        let invalid: &[&[u8]] = &[
            &[0xf0, 0x90],             // lock nop
            &[0xf0, 0x89, 0x06],       // lock mov [esi], eax
            &[0xf0, 0x0f, 0xb1, 0xd8], // lock cmpxchg eax, ebx
            &[0xf0, 0x0f, 0xc1, 0xc0], // lock xadd eax, eax
            &[0xf0, 0x0f, 0xa2],       // lock cpuid
            &[0xf0, 0xa5],             // lock movsd
            &[0xf0, 0x0f, 0xc7, 0xc8], // lock cmpxchg8b eax
        ];
        for b in invalid {
            let mut d = Decoder::with_ip(32, b, 0, DecoderOptions::NONE);
            assert!(d.decode().is_invalid(), "{b:x?}");
        }
        let valid: &[&[u8]] = &[
            &[0xf0, 0x0f, 0xb1, 0x1e], // lock cmpxchg [esi], ebx
            &[0xf0, 0x0f, 0xc1, 0x1e], // lock xadd [esi], ebx
            &[0xf0, 0x0f, 0xc7, 0x0f], // lock cmpxchg8b [edi]
            &[0xf0, 0x87, 0x06],       // lock xchg [esi], eax
        ];
        for b in valid {
            let mut d = Decoder::with_ip(32, b, 0, DecoderOptions::NONE);
            assert!(!d.decode().is_invalid(), "{b:x?}");
        }
    }
}
