//! Descriptor-table instructions a user program may execute (CPL 3).
//!
//! - lar, lsl, verr, verw inspect a descriptor of emu's GDT or LDT with the
//!   SDM's checks (vol. 2: the valid descriptor types for each, DPL against
//!   CPL and RPL except for conforming code) and report through ZF.
//! - sgdt, sidt, sldt, str and smsw are what Linux makes of them on a CPU
//!   with UMIP (arch/x86/kernel/umip.c): the instruction traps, and the
//!   kernel emulates it for a 32-bit process with fixed dummy values, the
//!   ones observed natively on these machines (sgdt base 0xfffe0000 and
//!   sidt base 0xffff0000, limits 0; sldt 0; str 0x40; smsw 0x80050033).

use iced_x86::{Instruction, Mnemonic};

use crate::arch::desc::Desc;
use crate::cpu::decode::{any_gpr, opnd, reg_or_mem, Opnd};
use crate::cpu::flags::ZF;
use crate::cpu::{th, Cpu, Inst};

/// What Linux's UMIP emulation stores for a 32-bit process.
pub const UMIP_GDT_BASE: u32 = 0xfffe_0000;
pub const UMIP_IDT_BASE: u32 = 0xffff_0000;
pub const UMIP_LDT_SEL: u32 = 0;
pub const UMIP_TR_SEL: u32 = 0x40;
pub const UMIP_CR0: u32 = 0x8005_0033;

/// Which check an instruction makes of a descriptor.
const LAR: u8 = 0;
const LSL: u8 = 1;
const VERR: u8 = 2;
const VERW: u8 = 3;

/// Pure check of `d` (the descriptor `sel` names) for instruction `OP`
/// at privilege `cpl`: whether ZF is set.
pub fn desc_ok(op: u8, d: Desc, sel: u16, cpl: u8) -> bool {
    let rpl = (sel & 3) as u8;
    let conforming = d.is_code() && d.typ() & 4 != 0;
    let privileged = conforming && op != VERW || (d.dpl() >= cpl && d.dpl() >= rpl);
    if !privileged {
        return false;
    }
    if !d.s() {
        // System descriptors: TSSs and LDTs for both; gates for lar only.
        return match op {
            LAR => matches!(d.typ(), 1 | 2 | 3 | 4 | 5 | 9 | 11 | 12),
            LSL => matches!(d.typ(), 1 | 2 | 3 | 9 | 11),
            _ => false,
        };
    }
    match op {
        VERR => d.is_readable(),
        VERW => d.is_writable_data(),
        _ => true,
    }
}

/// The descriptor a selector names for these instructions (None: null,
/// or past the table's end).
fn lookup(c: &Cpu, sel: u16) -> Option<Desc> {
    if sel & !3 == 0 {
        return None;
    }
    c.desc(sel)
}

/// Read the selector operand (register or m16).
#[inline]
fn selector<const MEM: bool>(c: &mut Cpu, i: &Inst) -> Option<u16> {
    if MEM {
        let a = c.ea(i);
        c.rd16(a).map(|v| v as u16)
    } else {
        Some(c.r16(i.rm) as u16)
    }
}

/// lar/lsl r`SZ`, r/m16 (`SZ` 1 = 16, 2 = 32 bits).
fn lar_lsl<const OP: u8, const MEM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let Some(sel) = selector::<MEM>(c, i) else {
        return;
    };
    let cpl = c.sys.cpl;
    let found = lookup(c, sel).filter(|&d| desc_ok(OP, d, sel, cpl));
    let zf = match found {
        Some(d) => {
            let v = if OP == LAR {
                let hi = (d.0 >> 32) as u32;
                if SZ == 2 {
                    hi & 0x00ff_ff00
                } else {
                    hi & 0xff00
                }
            } else {
                d.limit()
            };
            c.set_reg(SZ, i.r, v);
            ZF
        }
        None => 0,
    };
    c.flags.set_arith(zf, ZF);
}

/// verr/verw r/m16.
fn ver<const OP: u8, const MEM: bool>(c: &mut Cpu, i: &Inst) {
    let Some(sel) = selector::<MEM>(c, i) else {
        return;
    };
    let cpl = c.sys.cpl;
    let ok = lookup(c, sel).is_some_and(|d| desc_ok(OP, d, sel, cpl));
    c.flags.set_arith(if ok { ZF } else { 0 }, ZF);
}

/// sgdt/sidt m: a 2-byte limit and a 4-byte base, both Linux's dummies.
fn store_table<const IDT: bool>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let base = if IDT { UMIP_IDT_BASE } else { UMIP_GDT_BASE };
    // wr_slow checks all six bytes before it writes any.
    let _ = c.wr_slow(a, 6, (base as u64) << 16);
}

/// sldt/str/smsw to a register (`SZ` its size) or to m16 (`MEM`).
fn store_value<const V: u32, const MEM: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    if MEM {
        let a = c.ea(i);
        c.wr16(a, V & 0xffff);
    } else {
        c.set_reg(SZ, i.rm, V);
    }
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let m = ins.mnemonic();
    d.h = match m {
        Lar | Lsl => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return false;
            };
            d.r = r;
            macro_rules! pick {
                ($op:expr, $sz:literal) => {
                    reg_or_mem(
                        ins,
                        1,
                        d,
                        any_gpr,
                        th(lar_lsl::<{ $op }, false, $sz>),
                        th(lar_lsl::<{ $op }, true, $sz>),
                    )
                };
            }
            return match (m == Lar, sz == 2) {
                (true, false) => pick!(LAR, 1),
                (true, true) => pick!(LAR, 2),
                (false, false) => pick!(LSL, 1),
                (false, true) => pick!(LSL, 2),
            };
        }
        Verr => {
            return reg_or_mem(
                ins,
                0,
                d,
                any_gpr,
                th(ver::<VERR, false>),
                th(ver::<VERR, true>),
            )
        }
        Verw => {
            return reg_or_mem(
                ins,
                0,
                d,
                any_gpr,
                th(ver::<VERW, false>),
                th(ver::<VERW, true>),
            )
        }
        Sgdt | Sidt => {
            if opnd(ins, 0, d) != Opnd::Mem {
                return false;
            }
            if m == Sidt {
                th(store_table::<true>)
            } else {
                th(store_table::<false>)
            }
        }
        Sldt | Str | Smsw => {
            let (mem, sz) = match opnd(ins, 0, d) {
                Opnd::Reg(r, sz) => {
                    d.rm = r;
                    (false, sz)
                }
                Opnd::Mem => (true, 1),
                _ => return false,
            };
            macro_rules! pick {
                ($v:expr) => {
                    match (mem, sz) {
                        (true, _) => th(store_value::<{ $v }, true, 1>),
                        (false, 1) => th(store_value::<{ $v }, false, 1>),
                        (false, _) => th(store_value::<{ $v }, false, 2>),
                    }
                };
            }
            match m {
                Sldt => pick!(UMIP_LDT_SEL),
                Str => pick!(UMIP_TR_SEL),
                _ => pick!(UMIP_CR0),
            }
        }
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_checks() {
        // Linux's user code (0x23) and data (0x2b), a DPL-0 data segment,
        // a conforming code segment, an LDT (system type 2).
        let code = Desc::segment(0, 0xfffff, 0xb, 3, true, false, true, true);
        let data = Desc::segment(0, 0xfffff, 0x3, 3, true, false, true, true);
        let kdata = Desc::segment(0, 0xfffff, 0x3, 0, true, false, true, true);
        let conf = Desc::segment(0, 0xfffff, 0xf, 0, true, false, true, true);
        let ldt = Desc(Desc::segment(0, 0xff, 0x2, 3, true, false, false, false).0 & !(1 << 44));
        assert!(desc_ok(LAR, code, 0x23, 3) && desc_ok(LSL, code, 0x23, 3));
        assert!(desc_ok(VERR, code, 0x23, 3) && !desc_ok(VERW, code, 0x23, 3));
        assert!(desc_ok(VERR, data, 0x2b, 3) && desc_ok(VERW, data, 0x2b, 3));
        assert!(!desc_ok(LAR, kdata, 0x60, 3), "DPL 0 from CPL 3");
        assert!(desc_ok(LAR, conf, 0x50, 3) && desc_ok(VERR, conf, 0x50, 3));
        assert!(desc_ok(LAR, ldt, 0x2b, 3) && desc_ok(LSL, ldt, 0x2b, 3));
        assert!(!desc_ok(VERR, ldt, 0x2b, 3));
        assert_eq!((code.0 >> 32) as u32 & 0x00ff_ff00, 0x00cf_fb00);
        assert_eq!(data.limit(), 0xffff_ffff);
    }
}
