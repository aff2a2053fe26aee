//! BCD adjustments: daa, das, aaa, aas, aam, aad.
//!
//! Each pure function maps AX (and the incoming CF/AF) to the new AX and
//! the explicit CF/AF/OF bits for a `kind::RES` flag record whose result is
//! the new AL (so SF/ZF/PF come from AL). Undefined flags: OF = 0, and
//! for aaa/aas SF/ZF/PF from the final AL; for aam/aad CF = AF = 0.

use iced_x86::{Instruction, Mnemonic, OpKind};

use crate::cpu::flags::{kind, AF, CF};
use crate::cpu::{th, vec, Cpu, Inst, EAX};

/// Pure daa/das (`SUB`): returns (new AL, aux flags).
#[inline]
pub fn daa_das<const SUB: bool>(al: u32, cf: bool, af: bool) -> (u32, u32) {
    let old_al = al & 0xff;
    let mut al = old_al;
    let mut ncf = false;
    let mut naf = false;
    if (al & 0xf) > 9 || af {
        if SUB {
            ncf = cf || al < 6;
            al = al.wrapping_sub(6) & 0xff;
        } else {
            ncf = cf || al + 6 > 0xff;
            al = (al + 6) & 0xff;
        }
        naf = true;
    }
    if old_al > 0x99 || cf {
        al = if SUB {
            al.wrapping_sub(0x60)
        } else {
            al + 0x60
        } & 0xff;
        ncf = true;
    } else if !SUB {
        // SDM: daa clears CF here; das keeps the borrow from the low step.
        ncf = false;
    }
    (al, ncf as u32 | if naf { AF } else { 0 })
}

/// Pure aaa/aas (`SUB`): returns (new AX, aux flags).
#[inline]
pub fn aaa_aas<const SUB: bool>(ax: u32, af: bool) -> (u32, u32) {
    let ax = ax & 0xffff;
    if (ax & 0xf) > 9 || af {
        let ax = if SUB {
            (ax.wrapping_sub(6) & 0xffff).wrapping_sub(0x100)
        } else {
            ax + 0x106
        } & 0xff0f;
        (ax, CF | AF)
    } else {
        (ax & 0xff0f, 0)
    }
}

/// Pure aam: AH = AL / imm, AL = AL % imm; None for #DE (imm = 0).
#[inline]
pub fn aam(ax: u32, imm: u32) -> Option<u32> {
    let al = ax & 0xff;
    if imm == 0 {
        return None;
    }
    Some(((al / imm) << 8) | (al % imm))
}

/// Pure aad: AL = AL + AH * imm, AH = 0.
#[inline]
pub fn aad(ax: u32, imm: u32) -> u32 {
    ((ax & 0xff) + ((ax >> 8) & 0xff) * imm) & 0xff
}

#[inline(always)]
fn finish(c: &mut Cpu, ax: u32, aux: u32) {
    c.set_r16(EAX as u8, ax);
    c.flags.set(kind::RES, ax & 0xff, 0, 0);
    c.flags.aux = aux;
}

fn h_daa(c: &mut Cpu, _: &Inst) {
    let (al, aux) = daa_das::<false>(c.r8(0), c.flags.cf(), c.flags.af());
    let ax = (c.r16(0) & 0xff00) | al;
    finish(c, ax, aux);
}

fn h_das(c: &mut Cpu, _: &Inst) {
    let (al, aux) = daa_das::<true>(c.r8(0), c.flags.cf(), c.flags.af());
    let ax = (c.r16(0) & 0xff00) | al;
    finish(c, ax, aux);
}

fn h_aaa(c: &mut Cpu, _: &Inst) {
    let (ax, aux) = aaa_aas::<false>(c.r16(0), c.flags.af());
    finish(c, ax, aux);
}

fn h_aas(c: &mut Cpu, _: &Inst) {
    let (ax, aux) = aaa_aas::<true>(c.r16(0), c.flags.af());
    finish(c, ax, aux);
}

fn h_aam(c: &mut Cpu, i: &Inst) {
    match aam(c.r16(0), i.imm) {
        Some(ax) => finish(c, ax, 0),
        None => c.raise(vec::DE, None),
    }
}

fn h_aad(c: &mut Cpu, i: &Inst) {
    let ax = aad(c.r16(0), i.imm);
    finish(c, ax, 0);
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    if !matches!(mn, Daa | Das | Aaa | Aas | Aam | Aad) || ins.has_lock_prefix() {
        return false;
    }
    if matches!(mn, Aam | Aad) {
        if ins.op_count() != 1 || ins.op_kind(0) != OpKind::Immediate8 {
            return false;
        }
        d.imm = ins.immediate8() as u32;
    }
    d.h = match mn {
        Daa => th(h_daa),
        Das => th(h_das),
        Aaa => th(h_aaa),
        Aas => th(h_aas),
        Aam => th(h_aam),
        _ => th(h_aad),
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daa_examples() {
        // 0x79 + 0x35 = 0xae -> 0x14 with carry
        assert_eq!(daa_das::<false>(0xae, false, false), (0x14, CF | AF));
        assert_eq!(daa_das::<false>(0x0f, false, false), (0x15, AF));
        assert_eq!(daa_das::<false>(0x99, false, false), (0x99, 0));
        assert_eq!(daa_das::<false>(0x9a, false, false), (0x00, CF | AF));
        assert_eq!(daa_das::<false>(0x00, true, false), (0x60, CF));
        assert_eq!(daa_das::<false>(0x00, false, true), (0x06, AF));
        assert_eq!(daa_das::<false>(0xff, false, false), (0x65, CF | AF));
    }

    #[test]
    fn das_examples() {
        // 0x35 - 0x47 = 0xee, CF, AF -> 0x88 with borrow
        assert_eq!(daa_das::<true>(0xee, true, true), (0x88, CF | AF));
        assert_eq!(daa_das::<true>(0x0a, false, false), (0x04, AF));
        assert_eq!(daa_das::<true>(0x03, false, true), (0xfd, CF | AF));
        assert_eq!(daa_das::<true>(0x9a, false, false), (0x34, CF | AF));
        assert_eq!(daa_das::<true>(0x99, false, false), (0x99, 0));
    }

    #[test]
    fn aaa_aas_examples() {
        assert_eq!(aaa_aas::<false>(0x000b, false), (0x0101, CF | AF));
        assert_eq!(aaa_aas::<false>(0x0005, false), (0x0005, 0));
        assert_eq!(aaa_aas::<false>(0x00fa, false), (0x0200, CF | AF));
        assert_eq!(aaa_aas::<false>(0x0035, true), (0x010b, CF | AF));
        assert_eq!(aaa_aas::<true>(0x020f, false), (0x0109, CF | AF));
        assert_eq!(aaa_aas::<true>(0x0205, true), (0x000f, CF | AF));
        assert_eq!(aaa_aas::<true>(0x0005, true), (0xfe0f, CF | AF));
        assert_eq!(aaa_aas::<true>(0x0135, false), (0x0105, 0));
    }

    #[test]
    fn aam_aad_examples() {
        assert_eq!(aam(0x003f, 10), Some(0x0603));
        assert_eq!(aam(0x12ff, 16), Some(0x0f0f));
        assert_eq!(aam(0x0005, 0), None);
        assert_eq!(aad(0x0603, 10), 0x3f);
        assert_eq!(aad(0xffff, 10), (0xff + 0xff * 10) & 0xff);
        assert_eq!(aad(0x0102, 0), 0x02);
    }
}
