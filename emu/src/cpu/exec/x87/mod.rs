//! The x87 FPU: register stack, control/status/tag words, every x87
//! instruction, #MF delivery, FNSTENV/FNSAVE/FXSAVE layouts. The MMX
//! instructions (aliased onto the same registers) are in `exec::mmx`.
//!
//! Arithmetic is in [`sf`] (extended precision on rustc_apfloat, with the
//! control word's precision and rounding control) and [`trans`]
//! (transcendentals).
//!
//! Exceptions: each instruction computes its exception flags; they are
//! ORed into the status word, and an unmasked one sets ES and B. The #MF
//! is raised by the next *waiting* FP instruction (every x87/MMX
//! instruction except FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE,
//! FXSAVE, FXRSTOR), at that instruction, as on hardware. Unmasked invalid,
//! denormal and zero-divide leave the destination and the stack unchanged;
//! unmasked overflow/underflow deliver the bias-adjusted result to a
//! register (a memory destination is not written).

pub mod sf;
pub mod trans;

use iced_x86::{Code, Instruction, Register};

use crate::cpu::decode::set_mem;
use crate::cpu::flags::{ARITH, CF, PF, ZF};
use crate::cpu::{th, vec, Cpu, Handler, Inst, EAX};
use sf::*;

/// FOP value meaning "not recorded yet: decode it from the bytes at
/// `fop_ip`" (the address of the instruction that raised the exception).
const FOP_LAZY: u16 = 0xffff;

/// x87 register file and control/status state (also the MMX registers:
/// MMn is the significand of physical register n).
#[derive(Clone, Debug)]
pub struct Fpu {
    /// Physical registers R0..R7 (ST(i) is R[(top + i) & 7]).
    pub r: [F80; 8],
    pub top: u8,
    pub cw: u16,
    /// Status word without the TOP field.
    pub sw: u16,
    /// Abridged tag word: bit n set = physical register n is not empty.
    pub tags: u8,
    /// Address of the last non-control instruction.
    pub fip: u32,
    /// Opcode and data pointer of the last non-control instruction that
    /// incurred an *unmasked* exception (Intel: FOP is kept only then by
    /// default, and CPUID.7.0:EBX\[6\] FDP_EXCPTN_ONLY; FDP only if that
    /// instruction had a memory operand). FCS and FDS are not kept at all
    /// (CPUID.7.0:EBX\[13\]: stored as zero). `fop` is FOP_LAZY: decode it
    /// from the bytes at `fop_ip` when stored.
    pub fop: u16,
    pub fop_ip: u32,
    pub fdp: u32,
    /// The memory operand offset of the current instruction (set by
    /// note_mem, cleared by enter), latched into `fdp` on an unmasked
    /// exception.
    pub cur_dp: Option<u32>,
}

impl Default for Fpu {
    fn default() -> Fpu {
        Fpu {
            r: [F80::ZERO; 8],
            top: 0,
            cw: 0x37f,
            sw: 0,
            tags: 0,
            fip: 0,
            fop: 0,
            fop_ip: 0,
            fdp: 0,
            cur_dp: None,
        }
    }
}

impl Fpu {
    #[inline(always)]
    fn phys(&self, i: u8) -> usize {
        ((self.top + i) & 7) as usize
    }
    #[inline(always)]
    pub fn empty(&self, i: u8) -> bool {
        self.tags & (1 << self.phys(i)) == 0
    }
    #[inline(always)]
    pub fn st(&self, i: u8) -> F80 {
        self.r[self.phys(i)]
    }
    #[inline(always)]
    pub fn set_st(&mut self, i: u8, v: F80) {
        let p = self.phys(i);
        self.r[p] = v;
        self.tags |= 1 << p;
    }
    #[inline(always)]
    pub fn pop(&mut self) {
        self.tags &= !(1 << self.phys(0));
        self.top = (self.top + 1) & 7;
    }
    #[inline(always)]
    pub fn push(&mut self, v: F80) {
        self.top = (self.top + 7) & 7;
        self.set_st(0, v);
    }
    /// The status word with TOP.
    pub fn status(&self) -> u16 {
        (self.sw & !0x3800) | ((self.top as u16) << 11)
    }
    pub fn set_status(&mut self, v: u16) {
        self.top = ((v >> 11) & 7) as u8;
        self.sw = v & !0x3800;
    }
    /// ES and B follow the unmasked exception flags (after FLDCW & co.).
    pub fn update_es(&mut self) {
        if self.sw & !self.cw & 0x3f != 0 {
            self.sw |= ES | B;
        } else {
            self.sw &= !(ES | B);
        }
    }
    /// Set C1 from `fl` and record the exception flags in `fl`. Returns
    /// whether the result may be delivered (no unmasked invalid, denormal
    /// or zero-divide).
    #[inline(always)]
    fn signal(&mut self, fl: u16) -> bool {
        self.sw = (self.sw & !C1) | (fl & C1);
        if fl & EXC & !self.cw == 0 {
            // nothing, or only masked exceptions (PE mostly)
            self.sw |= fl & (EXC | SF);
            return true;
        }
        self.signal_slow(fl)
    }
    #[cold]
    fn signal_slow(&mut self, mut fl: u16) -> bool {
        if fl & DE & !self.cw != 0 {
            // an unmasked denormal operand stops the operation
            fl &= !(PE | UE | OE);
            self.sw &= !C1;
        }
        self.sw |= fl & (EXC | SF);
        let unmasked = fl & EXC & !self.cw;
        if unmasked != 0 {
            self.sw |= ES | B;
            self.latch_pointers();
        }
        unmasked & (IE | DE | ZE) == 0
    }
    /// An unmasked exception: keep this instruction's opcode and (if it
    /// has one) memory operand offset, as Intel does.
    fn latch_pointers(&mut self) {
        self.fop = FOP_LAZY;
        self.fop_ip = self.fip;
        if let Some(dp) = self.cur_dp {
            self.fdp = dp;
        }
    }
    /// Stack underflow (an empty source). Returns whether the masked
    /// response (the indefinite) is to be delivered.
    #[cold]
    fn underflow(&mut self) -> bool {
        self.sw &= !C1;
        self.signal_slow(IE | SF)
    }
    /// Stack overflow (a push onto a full register). Returns whether the
    /// masked response is to be delivered.
    #[cold]
    fn overflow(&mut self) -> bool {
        self.sw |= C1;
        self.signal_slow(IE | SF)
    }
    /// Push with the overflow check.
    #[inline(always)]
    fn push_checked(&mut self, v: F80, fl: u16) {
        if !self.empty(7) {
            if self.overflow() {
                self.push(F80::INDEF);
            }
            return;
        }
        if self.signal(fl) {
            self.push(v);
        }
    }
    /// Full tag word, computed from the register contents.
    pub fn full_tags(&self) -> u16 {
        let mut t = 0u16;
        for p in 0..8 {
            let v = if self.tags & (1 << p) == 0 {
                3
            } else {
                match self.r[p].class() {
                    Class::Zero => 1,
                    Class::Normal => 0,
                    _ => 2,
                }
            };
            t |= v << (2 * p);
        }
        t
    }
    pub fn init(&mut self) {
        self.cw = 0x37f;
        self.sw = 0;
        self.top = 0;
        self.tags = 0;
        self.fip = 0;
        self.fop = 0;
        self.fop_ip = 0;
        self.fdp = 0;
        self.cur_dp = None;
    }
}

/// si_code for a SIGFPE raised by #MF (Linux's fpu__exception_code).
pub fn fpe_code(c: &Cpu) -> i32 {
    fpe_code_of(c.fpu.status(), c.fpu.cw)
}

/// Linux's fpu__exception_code for x87 status and control words: the
/// first unmasked exception in the order invalid (incl. stack fault),
/// zero divide, overflow, underflow/denormal, precision; 0 if none.
pub fn fpe_code_of(sw: u16, cw: u16) -> i32 {
    const FPE_FLTDIV: i32 = 3;
    const FPE_FLTOVF: i32 = 4;
    const FPE_FLTUND: i32 = 5;
    const FPE_FLTRES: i32 = 6;
    const FPE_FLTINV: i32 = 7;
    let err = sw & !cw;
    if err & 0x001 != 0 {
        FPE_FLTINV
    } else if err & 0x004 != 0 {
        FPE_FLTDIV
    } else if err & 0x008 != 0 {
        FPE_FLTOVF
    } else if err & 0x012 != 0 {
        FPE_FLTUND
    } else if err & 0x020 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

// ---- common prologues ----

/// A waiting instruction: raise #MF for a pending unmasked exception.
#[inline(always)]
pub fn wait_check(c: &mut Cpu) -> bool {
    if c.fpu.sw & ES != 0 {
        c.raise(vec::MF, None);
        return false;
    }
    true
}

/// Prologue of a non-control instruction: #MF check, record FIP/FOP.
#[inline(always)]
fn enter(c: &mut Cpu, i: &Inst) -> bool {
    if !wait_check(c) {
        return false;
    }
    c.fpu.fip = i.eip;
    c.fpu.cur_dp = None;
    true
}

/// Note the memory operand of a non-control instruction (FDP if it
/// incurs an unmasked exception).
#[inline(always)]
fn note_mem(c: &mut Cpu, i: &Inst) {
    c.fpu.cur_dp = Some(c.offset(i));
}

// ---- memory operand types ----
const M32: u8 = 0;
const M64: u8 = 1;
const I16: u8 = 2;
const I32: u8 = 3;
const I64: u8 = 4;
const M80: u8 = 5;
const BCD: u8 = 6;

/// The memory source of an arithmetic, compare or load instruction: the
/// wait check, the read (a fault leaves the FPU untouched), then the data
/// pointer. None when the instruction is over (#NM/#MF or a fault).
fn mem_operand<const T: u8>(c: &mut Cpu, i: &Inst) -> Option<(F80, u16)> {
    if !enter(c, i) {
        return None;
    }
    let a = c.ea(i);
    let v = read_src::<T>(c, a)?;
    note_mem(c, i);
    Some(v)
}

/// Read a memory operand as an extended value (exact; SNaNs stay
/// signaling) plus the load flags (DE for single/double denormals).
#[inline(always)]
fn read_src<const T: u8>(c: &mut Cpu, a: u32) -> Option<(F80, u16)> {
    Some(match T {
        M32 => from_f32(c.rd32(a)?),
        M64 => from_f64(rd64(c, a)?),
        I16 => (from_i64(c.rd16(a)? as u16 as i16 as i64), 0),
        I32 => (from_i64(c.rd32(a)? as i32 as i64), 0),
        I64 => (from_i64(rd64(c, a)? as i64), 0),
        M80 => {
            let lo = c.rd64(a)?;
            let hi = c.rd16(a.wrapping_add(8))?;
            (
                F80 {
                    sig: lo,
                    se: hi as u16,
                },
                0,
            )
        }
        _ => {
            let mut b = [0u8; 10];
            let lo = c.rd64(a)?;
            let hi = c.rd16(a.wrapping_add(8))?;
            b[..8].copy_from_slice(&lo.to_le_bytes());
            b[8..].copy_from_slice(&(hi as u16).to_le_bytes());
            (from_bcd(&b), 0)
        }
    })
}

/// 64-bit read: two 32-bit fast-path reads when inside one page.
#[inline(always)]
fn rd64(c: &mut Cpu, a: u32) -> Option<u64> {
    if a & 0xfff <= 0xff8 {
        let lo = c.rd32(a)?;
        let hi = c.rd32(a + 4)?;
        return Some((hi as u64) << 32 | lo as u64);
    }
    c.rd64(a)
}

/// 64-bit write: two 32-bit fast-path writes when inside one page.
#[inline(always)]
fn wr64(c: &mut Cpu, a: u32, v: u64) -> Option<()> {
    if a & 0xfff <= 0xff8 {
        c.wr32(a, v as u32)?;
        return c.wr32(a + 4, (v >> 32) as u32);
    }
    c.wr64(a, v)
}

fn write80(c: &mut Cpu, a: u32, v: F80) -> Option<()> {
    // check both parts before writing either
    c.rd_check_write(a, 10)?;
    c.wr64(a, v.sig)?;
    c.wr16(a.wrapping_add(8), v.se as u32)
}

impl Cpu {
    /// Fault now (as a write would) if `n` bytes at `a` are not writable.
    fn rd_check_write(&mut self, a: u32, n: u32) -> Option<()> {
        use crate::mem::{PageFault, PAGE_SHIFT, P_PRESENT, P_WRITE};
        let last = a.wrapping_add(n - 1);
        for b in [a, last] {
            let p = self.mem.perm(b >> PAGE_SHIFT);
            if p & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
                self.page_fault(PageFault {
                    addr: if b == a { a } else { (last & !0xfff).max(a) },
                    present: p & P_PRESENT != 0,
                    write: true,
                    fetch: false,
                });
                return None;
            }
        }
        Some(())
    }
}

// ---- arithmetic ----

/// st0 = st0 OP m (OP in sf::OP_*, T a memory type).
fn arith_m<const OP: u8, const T: u8>(c: &mut Cpu, i: &Inst) {
    let Some((b, lf)) = mem_operand::<T>(c, i) else {
        return;
    };
    let f = &mut c.fpu;
    if f.empty(0) {
        if f.underflow() {
            f.set_st(0, F80::INDEF);
        }
        return;
    }
    let (r, mut fl) = arith(OP, f.st(0), b, f.cw);
    // a denormal source is not reported with a NaN result or a zero divide
    if !r.is_nan() && fl & ZE == 0 {
        fl |= lf;
    }
    if f.signal(fl) {
        f.set_st(0, r);
    }
}

/// Register forms: `ST0DST` st0 = st0 OP st(i), else st(i) = st(i) OP st0;
/// `POP` pops afterwards.
fn arith_r<const OP: u8, const ST0DST: bool, const POP: bool>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let d = if ST0DST { 0 } else { i.rm };
    if f.empty(0) || f.empty(i.rm) {
        if f.underflow() {
            f.set_st(d, F80::INDEF);
            if POP {
                f.pop();
            }
        }
        return;
    }
    let (a, b) = if ST0DST {
        (f.st(0), f.st(i.rm))
    } else {
        (f.st(i.rm), f.st(0))
    };
    let (r, fl) = arith(OP, a, b, f.cw);
    if f.signal(fl) {
        f.set_st(d, r);
        if POP {
            f.pop();
        }
    }
}

// ---- comparisons ----

fn cc_bits(r: Cmp) -> u16 {
    match r {
        Cmp::Gt => 0,
        Cmp::Lt => C0,
        Cmp::Eq => C3,
        Cmp::Un => C3 | C2 | C0,
    }
}

#[inline(always)]
fn set_cc(f: &mut Fpu, bits: u16) {
    f.sw = (f.sw & !CC) | bits;
}

/// FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP with st(i); `POPS` 0..2.
fn fcom_r<const QUIET: bool, const POPS: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    // (the condition codes are written even with an unmasked invalid)
    if f.empty(0) || f.empty(i.rm) {
        let ok = f.underflow();
        set_cc(f, C3 | C2 | C0);
        if ok {
            for _ in 0..POPS {
                f.pop();
            }
        }
        return;
    }
    let (r, fl) = compare(f.st(0), f.st(i.rm), QUIET);
    let ok = f.signal(fl);
    set_cc(f, cc_bits(r));
    if ok {
        for _ in 0..POPS {
            f.pop();
        }
    }
}

/// FCOM/FCOMP/FICOM/FICOMP with memory.
fn fcom_m<const T: u8, const POP: bool>(c: &mut Cpu, i: &Inst) {
    let Some((b, lf)) = mem_operand::<T>(c, i) else {
        return;
    };
    let f = &mut c.fpu;
    if f.empty(0) {
        let ok = f.underflow();
        set_cc(f, C3 | C2 | C0);
        if ok && POP {
            f.pop();
        }
        return;
    }
    let (r, mut fl) = compare(f.st(0), b, false);
    if r != Cmp::Un {
        fl |= lf;
    }
    let ok = f.signal(fl);
    set_cc(f, cc_bits(r));
    if ok && POP {
        f.pop();
    }
}

/// FCOMI/FCOMIP/FUCOMI/FUCOMIP: result in ZF, PF, CF.
fn fcomi<const QUIET: bool, const POP: bool>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let (r, ok) = if f.empty(0) || f.empty(i.rm) {
        (Cmp::Un, f.underflow())
    } else {
        let (r, fl) = compare(f.st(0), f.st(i.rm), QUIET);
        (r, f.signal(fl))
    };
    f.sw &= !C1;
    if ok && POP {
        f.pop();
    }
    let v = match r {
        Cmp::Gt => 0,
        Cmp::Lt => CF,
        Cmp::Eq => ZF,
        Cmp::Un => ZF | PF | CF,
    };
    c.flags.set_arith(v, ARITH);
}

fn ftst(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(0) {
        f.underflow();
        set_cc(f, C3 | C2 | C0);
        return;
    }
    let (r, fl) = compare(f.st(0), F80::ZERO, false);
    f.signal(fl);
    set_cc(f, cc_bits(r));
}

fn fxam(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let v = f.st(0);
    let bits = if f.empty(0) { C3 | C0 } else { xam(v) };
    let c1 = if v.sign() { C1 } else { 0 };
    f.sw = (f.sw & !CC) | bits | c1;
}

// ---- loads ----

fn fld_m<const T: u8>(c: &mut Cpu, i: &Inst) {
    let Some((mut v, mut fl)) = mem_operand::<T>(c, i) else {
        return;
    };
    if (T == M32 || T == M64) && v.class() == Class::SNaN {
        v = v.quiet();
        fl |= IE;
    }
    c.fpu.push_checked(v, fl);
}

fn fld_r(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(i.rm) {
        if f.underflow() {
            f.push_checked(F80::INDEF, 0);
        }
        return;
    }
    let v = f.st(i.rm);
    f.push_checked(v, 0);
}

/// Constants; `K`: 0 = 1, 1 = l2t, 2 = l2e, 3 = pi, 4 = lg2, 5 = ln2, 6 = 0.
fn fld_k<const K: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let cw = f.cw;
    let v = match K {
        0 => F80::ONE,
        1 => constant(L2T, 1, cw),
        2 => constant(L2E, 0, cw),
        3 => constant(PI, 1, cw),
        4 => constant(LG2, -2, cw),
        5 => constant(LN2, -1, cw),
        _ => F80::ZERO,
    };
    f.push_checked(v, 0);
}

// ---- stores ----

/// FST/FSTP m32/m64/m80, FIST/FISTP/FISTTP m16/m32/m64, FBSTP.
/// `TRUNC`: FISTTP.
fn fst_m<const T: u8, const POP: bool, const TRUNC: bool>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let a = c.ea(i);
    let f = &c.fpu;
    let empty = f.empty(0);
    let v = if empty { F80::INDEF } else { f.st(0) };
    let cw = f.cw;
    let (fl, ok) = match T {
        M32 => {
            let (b, fl) = if empty {
                (0xffc0_0000, 0)
            } else {
                to_f32(v, cw)
            };
            let ok = fl & !cw & (IE | OE | UE) == 0 && !(empty && cw & IE == 0);
            if ok && c.wr32(a, b).is_none() {
                return;
            }
            (fl, ok)
        }
        M64 => {
            let (b, fl) = if empty {
                (0xfff8_0000_0000_0000, 0)
            } else {
                to_f64(v, cw)
            };
            let ok = fl & !cw & (IE | OE | UE) == 0 && !(empty && cw & IE == 0);
            if ok && wr64(c, a, b).is_none() {
                return;
            }
            (fl, ok)
        }
        M80 => {
            let ok = !(empty && cw & IE == 0);
            if ok && write80(c, a, v).is_none() {
                return;
            }
            (0, ok)
        }
        BCD => {
            let (b, fl) = if empty {
                ([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff], 0)
            } else {
                to_bcd(v, cw)
            };
            let ok = fl & !cw & IE == 0 && !(empty && cw & IE == 0);
            if ok {
                if c.rd_check_write(a, 10).is_none() {
                    return;
                }
                let lo = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                if c.wr64(a, lo).is_none()
                    || c.wr16(a.wrapping_add(8), (b[8] as u32) | (b[9] as u32) << 8)
                        .is_none()
                {
                    return;
                }
            }
            (fl, ok)
        }
        _ => {
            let bits = match T {
                I16 => 16,
                I32 => 32,
                _ => 64,
            };
            let (n, fl) = if empty {
                (i64::MIN >> (64 - bits), 0)
            } else {
                to_int(v, bits, cw, TRUNC)
            };
            let ok = fl & !cw & IE == 0 && !(empty && cw & IE == 0);
            if ok {
                let r = match T {
                    I16 => c.wr16(a, n as u32),
                    I32 => c.wr32(a, n as u32),
                    _ => c.wr64(a, n as u64),
                };
                if r.is_none() {
                    return;
                }
            }
            (fl, ok)
        }
    };
    // A store that an unmasked exception suppresses still checks its
    // destination: the AMD host page-faults on it (the #MF itself waits
    // for the next x87 instruction).
    let size = match T {
        I16 => 2,
        M32 | I32 => 4,
        M64 | I64 => 8,
        _ => 10,
    };
    if !ok && c.rd_check_write(a, size).is_none() {
        return;
    }
    note_mem(c, i);
    let f = &mut c.fpu;
    if empty {
        f.underflow();
    } else {
        f.signal(fl);
    }
    if ok && POP {
        f.pop();
    }
}

/// FST/FSTP st(i).
fn fst_r<const POP: bool>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(0) {
        if f.underflow() {
            f.set_st(i.rm, F80::INDEF);
            if POP {
                f.pop();
            }
        }
        return;
    }
    let v = f.st(0);
    f.set_st(i.rm, v);
    f.sw &= !C1;
    if POP {
        f.pop();
    }
}

// ---- register and stack manipulation ----

fn fxch(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(0) || f.empty(i.rm) {
        if !f.underflow() {
            return;
        }
        for k in [0, i.rm] {
            if f.empty(k) {
                f.set_st(k, F80::INDEF);
            }
        }
    }
    let (a, b) = (f.st(0), f.st(i.rm));
    f.set_st(0, b);
    f.set_st(i.rm, a);
    f.sw &= !C1;
}

fn ffree<const POP: bool>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let p = f.phys(i.rm);
    f.tags &= !(1 << p);
    if POP {
        f.pop();
    }
}

fn fincstp(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    c.fpu.top = (c.fpu.top + 1) & 7;
    c.fpu.sw &= !C1;
}

fn fdecstp(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    c.fpu.top = (c.fpu.top + 7) & 7;
    c.fpu.sw &= !C1;
}

fn fnop(c: &mut Cpu, i: &Inst) {
    enter(c, i);
}

/// FCMOVcc: `CC` 0 b, 1 e, 2 be, 3 u, 4 nb, 5 ne, 6 nbe, 7 nu.
fn fcmov<const CC: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let fl = &c.flags;
    let t = match CC & 3 {
        0 => fl.cf(),
        1 => fl.zf(),
        2 => fl.cf() || fl.zf(),
        _ => fl.pf(),
    };
    let cond = t != (CC >= 4);
    let f = &mut c.fpu;
    if f.empty(0) || f.empty(i.rm) {
        if f.underflow() && cond {
            f.set_st(0, F80::INDEF);
        }
        return;
    }
    f.sw &= !C1;
    if cond {
        let v = f.st(i.rm);
        f.set_st(0, v);
    }
}

// ---- one-operand instructions on st0 ----

const U_CHS: u8 = 0;
const U_ABS: u8 = 1;
const U_SQRT: u8 = 2;
const U_RNDINT: u8 = 3;
const U_F2XM1: u8 = 4;

fn unary<const U: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(0) {
        if f.underflow() {
            f.set_st(0, F80::INDEF);
        }
        return;
    }
    let v = f.st(0);
    let cw = f.cw;
    let (r, fl) = match U {
        U_CHS => (v.neg(), 0),
        U_ABS => (v.abs(), 0),
        U_SQRT => sqrt(v, cw),
        U_RNDINT => rndint(v, cw),
        _ => trans::f2xm1(v, cw),
    };
    if f.signal(fl) {
        f.set_st(0, r);
    }
}

/// FSIN, FCOS, FPTAN, FSINCOS (`K` 0..3): C2 = 1 and st0 unchanged when
/// |st0| >= 2^63.
fn ftrig<const K: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let push = K >= 2;
    if f.empty(0) {
        if f.underflow() {
            f.set_st(0, F80::INDEF);
            if push {
                f.push_checked(F80::INDEF, 0);
            }
        }
        f.sw &= !C2;
        return;
    }
    if push && !f.empty(7) {
        // stack overflow: FPTAN/FSINCOS with a full stack
        if f.overflow() {
            f.set_st(0, F80::INDEF);
            f.push(F80::INDEF);
        }
        f.sw &= !C2;
        return;
    }
    let v = f.st(0);
    let cw = f.cw;
    let r = match K {
        0 => trans::fsin(v, cw).map(|(a, fl)| (a, F80::ZERO, fl)),
        1 => trans::fcos(v, cw).map(|(a, fl)| (a, F80::ZERO, fl)),
        2 => trans::fptan(v, cw),
        _ => trans::fsincos(v, cw),
    };
    let Some((a, b, fl)) = r else {
        // out of range
        f.sw |= C2;
        f.sw &= !C1;
        return;
    };
    f.sw &= !C2;
    if f.signal(fl) {
        f.set_st(0, a);
        if push {
            f.push(b);
        }
    }
}

/// Two-operand instructions on st0 and st1: `K` 0 fscale, 1 fprem,
/// 2 fprem1, 3 fyl2x (pops), 4 fyl2xp1 (pops), 5 fpatan (pops).
fn fbin<const K: u8>(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    let pops = K >= 3;
    if f.empty(0) || f.empty(1) {
        if f.underflow() {
            if pops {
                f.set_st(1, F80::INDEF);
                f.pop();
            } else {
                f.set_st(0, F80::INDEF);
            }
        }
        if K == 1 || K == 2 {
            f.sw &= !C2;
        }
        return;
    }
    let (a, b) = (f.st(0), f.st(1));
    let cw = f.cw;
    match K {
        0 => {
            let (r, fl) = scale(a, b, cw);
            if f.signal(fl) {
                f.set_st(0, r);
            }
        }
        1 | 2 => fprem_op(f, a, b, K == 2),
        3 | 4 | 5 => {
            let (r, fl) = match K {
                3 => trans::fyl2x(a, b, cw),
                4 => trans::fyl2xp1(a, b, cw),
                _ => trans::fpatan(b, a, cw),
            };
            if f.signal(fl) {
                f.set_st(1, r);
                f.pop();
            }
        }
        _ => {}
    }
}

fn fprem_op(f: &mut Fpu, a: F80, b: F80, nearest: bool) {
    let (ca, cb) = (a.class(), b.class());
    let nan = |c| matches!(c, Class::QNaN | Class::SNaN);
    let (r, fl, cc) = if ca == Class::Unsupported || cb == Class::Unsupported {
        (F80::INDEF, IE, 0)
    } else if nan(ca) || nan(cb) {
        let (r, fl) = nan2(a, b);
        (r, fl, 0)
    } else if ca == Class::Inf || cb == Class::Zero {
        (F80::INDEF, IE, 0)
    } else {
        let de = if ca == Class::Denormal || cb == Class::Denormal {
            DE
        } else {
            0
        };
        if ca == Class::Zero || cb == Class::Inf {
            (a, de, 0)
        } else {
            let p = prem(a, b, nearest);
            if p.partial {
                (p.r, de, C2)
            } else {
                let q = p.q as u16;
                // C0 = Q2, C3 = Q1, C1 = Q0
                let cc = (if q & 4 != 0 { C0 } else { 0 })
                    | (if q & 2 != 0 { C3 } else { 0 })
                    | (if q & 1 != 0 { C1 } else { 0 });
                (p.r, de, cc)
            }
        }
    };
    if f.signal(fl & !C1) {
        f.set_st(0, r);
        if cc & C2 != 0 {
            f.sw = (f.sw & !C2) | C2;
        } else {
            f.sw = (f.sw & !CC) | cc;
        }
    }
}

fn fxtract(c: &mut Cpu, i: &Inst) {
    if !enter(c, i) {
        return;
    }
    let f = &mut c.fpu;
    if f.empty(0) {
        if f.underflow() {
            f.set_st(0, F80::INDEF);
            f.push_checked(F80::INDEF, 0);
        }
        return;
    }
    if !f.empty(7) {
        if f.overflow() {
            f.set_st(0, F80::INDEF);
            f.push(F80::INDEF);
        }
        return;
    }
    let v = f.st(0);
    let (e, s, fl) = match v.class() {
        Class::Unsupported => (F80::INDEF, F80::INDEF, IE),
        Class::QNaN | Class::SNaN => {
            let (n, fl) = nan1(v);
            (n, n, fl)
        }
        Class::Zero => (F80::INF.neg(), v, ZE),
        Class::Inf => (F80::INF, v, 0),
        c => {
            let (e, s) = xtract(v);
            (e, s, if c == Class::Denormal { DE } else { 0 })
        }
    };
    if f.signal(fl) {
        f.set_st(0, e);
        f.push(s);
    }
}

// ---- control ----

fn fwait(c: &mut Cpu, _: &Inst) {
    wait_check(c);
}

fn fnclex(c: &mut Cpu, _: &Inst) {
    c.fpu.sw &= !(0x00ff | B);
}

fn fninit(c: &mut Cpu, _: &Inst) {
    c.fpu.init();
}

fn fldcw(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let Some(v) = c.rd16(a) else { return };
    c.fpu.cw = v as u16;
    c.fpu.update_es();
}

fn fnstcw(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.fpu.cw;
    c.wr16(a, v as u32);
}

fn fnstsw_m(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.fpu.status();
    c.wr16(a, v as u32);
}

fn fnstsw_ax(c: &mut Cpu, _: &Inst) {
    let v = c.fpu.status();
    c.set_r16(EAX as u8, v as u32);
}

/// FOP: as loaded, or that of the instruction at `fop_ip` (read back
/// from memory).
fn fop_of(c: &mut Cpu) -> u16 {
    let f = &c.fpu;
    if f.fop != FOP_LAZY {
        return f.fop;
    }
    let mut a = f.fop_ip;
    // peek without faulting: the code may have been unmapped since
    let peek = |c: &mut Cpu, a: u32| -> Option<u32> {
        use crate::mem::{PAGE_SHIFT, P_PRESENT, P_READ};
        if c.mem.perm(a >> PAGE_SHIFT) & (P_PRESENT | P_READ) != P_PRESENT | P_READ {
            return None;
        }
        c.rd8(a)
    };
    for _ in 0..15 {
        let Some(b) = peek(c, a) else {
            return 0;
        };
        match b {
            0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x66 | 0x67 | 0xf0 | 0xf2 | 0xf3 | 0x9b => {
                a = a.wrapping_add(1)
            }
            0xd8..=0xdf => {
                let m = peek(c, a.wrapping_add(1)).unwrap_or(0);
                return (((b & 7) as u16) << 8) | m as u16;
            }
            _ => return 0,
        }
    }
    0
}

/// FNSTENV/FNSAVE environment; `BIG`: the 28-byte 32-bit layout, else
/// the 14-byte 16-bit one.
fn store_env<const BIG: bool>(c: &mut Cpu, a: u32) -> Option<()> {
    let fop = fop_of(c);
    let f = &c.fpu;
    // FCS and FDS are stored as zero (Intel, CPUID.7.0:EBX[13])
    let cs = 0u32;
    let vals: [u32; 7] = [
        f.cw as u32,
        f.status() as u32,
        f.full_tags() as u32,
        f.fip,
        cs | (fop as u32 & 0x7ff) << 16,
        f.fdp,
        0,
    ];
    if BIG {
        c.rd_check_write(a, 28)?;
        for (k, v) in vals.iter().enumerate() {
            let v = match k {
                0 | 1 | 2 | 6 => v | 0xffff_0000,
                _ => *v,
            };
            c.wr32(a.wrapping_add(4 * k as u32), v)?;
        }
    } else {
        c.rd_check_write(a, 14)?;
        let w = [
            vals[0],
            vals[1],
            vals[2],
            vals[3] & 0xffff,
            cs,
            vals[5] & 0xffff,
            vals[6],
        ];
        for (k, v) in w.iter().enumerate() {
            c.wr16(a.wrapping_add(2 * k as u32), *v)?;
        }
    }
    Some(())
}

fn load_env<const BIG: bool>(c: &mut Cpu, a: u32) -> Option<()> {
    let mut v = [0u32; 7];
    for (k, x) in v.iter_mut().enumerate() {
        *x = if BIG {
            c.rd32(a.wrapping_add(4 * k as u32))?
        } else {
            c.rd16(a.wrapping_add(2 * k as u32))?
        };
    }
    let f = &mut c.fpu;
    f.cw = v[0] as u16;
    f.set_status(v[1] as u16);
    let t = v[2] as u16;
    f.tags = 0;
    for p in 0..8 {
        if (t >> (2 * p)) & 3 != 3 {
            f.tags |= 1 << p;
        }
    }
    f.fip = v[3];
    f.fop = if BIG {
        ((v[4] >> 16) & 0x7ff) as u16
    } else {
        0
    };
    f.fdp = v[5];
    f.update_es();
    Some(())
}

fn fnstenv<const BIG: bool>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if store_env::<BIG>(c, a).is_some() {
        c.fpu.cw |= 0x3f;
        c.fpu.update_es();
    }
}

fn fldenv<const BIG: bool>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let _ = load_env::<BIG>(c, a);
}

fn fnsave<const BIG: bool>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let n = if BIG { 28 } else { 14 };
    if c.rd_check_write(a, n + 80).is_none() {
        return;
    }
    if store_env::<BIG>(c, a).is_none() {
        return;
    }
    for k in 0..8u8 {
        let v = c.fpu.st(k);
        if write80(c, a.wrapping_add(n + 10 * k as u32), v).is_none() {
            return;
        }
    }
    c.fpu.init();
}

fn frstor<const BIG: bool>(c: &mut Cpu, i: &Inst) {
    if !wait_check(c) {
        return;
    }
    let a = c.ea(i);
    let n = if BIG { 28 } else { 14 };
    let mut regs = [F80::ZERO; 8];
    for (k, r) in regs.iter_mut().enumerate() {
        let Some((v, _)) = read_src::<M80>(c, a.wrapping_add(n + 10 * k as u32)) else {
            return;
        };
        *r = v;
    }
    if load_env::<BIG>(c, a).is_none() {
        return;
    }
    for (k, r) in regs.iter().enumerate() {
        let p = c.fpu.phys(k as u8);
        c.fpu.r[p] = *r;
    }
}

use crate::cpu::exec::sse::MXCSR_MASK;

/// The first 288 bytes of the FXSAVE image (32-bit format) of the x87,
/// MMX and SSE state; the rest of the 512 bytes is reserved (FXSAVE leaves
/// it alone). For the signal frame as well as FXSAVE.
pub fn fxsave_image(c: &mut Cpu) -> [u8; 288] {
    let fop = fop_of(c);
    let f = &c.fpu;
    // Intel: FIP, FOP and FDP as kept (see `Fpu`), FCS and FDS zero.
    let mut b = [0u8; 288];
    b[0..2].copy_from_slice(&f.cw.to_le_bytes());
    b[2..4].copy_from_slice(&f.status().to_le_bytes());
    b[4] = f.tags;
    b[6..8].copy_from_slice(&(fop & 0x7ff).to_le_bytes());
    b[8..12].copy_from_slice(&f.fip.to_le_bytes());
    b[16..20].copy_from_slice(&f.fdp.to_le_bytes());
    b[24..28].copy_from_slice(&c.sse.mxcsr.to_le_bytes());
    b[28..32].copy_from_slice(&MXCSR_MASK.to_le_bytes());
    for k in 0..8u8 {
        let o = 32 + 16 * k as usize;
        b[o..o + 10].copy_from_slice(&f.st(k).to_bytes());
    }
    for k in 0..8 {
        let o = 160 + 16 * k;
        b[o..o + 16].copy_from_slice(&c.sse.xmm[k].to_le_bytes());
    }
    b
}

/// Load x87, MMX and SSE state from an FXSAVE image (the first 288
/// bytes). Returns false (nothing loaded) if MXCSR has reserved bits set,
/// where FXRSTOR raises #GP.
pub fn fxrstor_image(c: &mut Cpu, b: &[u8; 288]) -> bool {
    let w16 = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let w32 = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let mxcsr = w32(24);
    if mxcsr & !MXCSR_MASK != 0 {
        return false;
    }
    c.sse.mxcsr = mxcsr;
    for k in 0..8 {
        let o = 160 + 16 * k;
        let mut x = [0u8; 16];
        x.copy_from_slice(&b[o..o + 16]);
        c.sse.xmm[k] = u128::from_le_bytes(x);
    }
    let f = &mut c.fpu;
    f.cw = w16(0);
    f.set_status(w16(2));
    f.tags = b[4];
    f.fop = w16(6) & 0x7ff;
    f.fip = w32(8);
    f.fdp = w32(16);
    for k in 0..8u8 {
        let o = 32 + 16 * k as usize;
        let p = f.phys(k);
        f.r[p] = F80::from_bytes(&b[o..o + 10]);
    }
    true
}

fn fxsave(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if a & 15 != 0 {
        c.raise(vec::GP, Some(0));
        return;
    }
    if c.rd_check_write(a, 288).is_none() {
        return;
    }
    let b = fxsave_image(c);
    for (k, ch) in b.chunks(4).enumerate() {
        let v = u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
        if c.wr32(a.wrapping_add(4 * k as u32), v).is_none() {
            return;
        }
    }
}

fn fxrstor(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if a & 15 != 0 {
        c.raise(vec::GP, Some(0));
        return;
    }
    let mut b = [0u8; 288];
    for k in 0..72 {
        let Some(v) = c.rd32(a.wrapping_add(4 * k as u32)) else {
            return;
        };
        b[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
    }
    if !fxrstor_image(c, &b) {
        c.raise(vec::GP, Some(0));
    }
}

/// FNENI, FNDISI, FNSETPM: no-ops since the 387.
fn fnop_nowait(_: &mut Cpu, _: &Inst) {}

// ---- decoding ----

fn st_index(r: Register) -> u8 {
    (r as u32).wrapping_sub(Register::ST0 as u32) as u8 & 7
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Code::*;
    let code = ins.code();
    let mem = || -> bool { false };
    let _ = mem;
    // memory operand (if any) and st(i) operand
    let mut need_mem = false;
    for n in 0..ins.op_count() {
        match ins.op_kind(n) {
            iced_x86::OpKind::Memory => need_mem = true,
            iced_x86::OpKind::Register => {
                let r = ins.op_register(n);
                if (Register::ST0..=Register::ST7).contains(&r) && r != Register::ST0 {
                    d.rm = st_index(r);
                }
            }
            _ => {}
        }
    }
    // st(0), st(0) forms (e.g. fadd st0, st0) keep rm = 0
    macro_rules! h {
        ($f:expr) => {
            th($f)
        };
    }
    let h: Handler = match code {
        // arithmetic with memory
        Fadd_m32fp => h!(arith_m::<OP_ADD, M32>),
        Fmul_m32fp => h!(arith_m::<OP_MUL, M32>),
        Fsub_m32fp => h!(arith_m::<OP_SUB, M32>),
        Fsubr_m32fp => h!(arith_m::<OP_SUBR, M32>),
        Fdiv_m32fp => h!(arith_m::<OP_DIV, M32>),
        Fdivr_m32fp => h!(arith_m::<OP_DIVR, M32>),
        Fadd_m64fp => h!(arith_m::<OP_ADD, M64>),
        Fmul_m64fp => h!(arith_m::<OP_MUL, M64>),
        Fsub_m64fp => h!(arith_m::<OP_SUB, M64>),
        Fsubr_m64fp => h!(arith_m::<OP_SUBR, M64>),
        Fdiv_m64fp => h!(arith_m::<OP_DIV, M64>),
        Fdivr_m64fp => h!(arith_m::<OP_DIVR, M64>),
        Fiadd_m16int => h!(arith_m::<OP_ADD, I16>),
        Fimul_m16int => h!(arith_m::<OP_MUL, I16>),
        Fisub_m16int => h!(arith_m::<OP_SUB, I16>),
        Fisubr_m16int => h!(arith_m::<OP_SUBR, I16>),
        Fidiv_m16int => h!(arith_m::<OP_DIV, I16>),
        Fidivr_m16int => h!(arith_m::<OP_DIVR, I16>),
        Fiadd_m32int => h!(arith_m::<OP_ADD, I32>),
        Fimul_m32int => h!(arith_m::<OP_MUL, I32>),
        Fisub_m32int => h!(arith_m::<OP_SUB, I32>),
        Fisubr_m32int => h!(arith_m::<OP_SUBR, I32>),
        Fidiv_m32int => h!(arith_m::<OP_DIV, I32>),
        Fidivr_m32int => h!(arith_m::<OP_DIVR, I32>),
        // arithmetic with registers
        Fadd_st0_sti => h!(arith_r::<OP_ADD, true, false>),
        Fmul_st0_sti => h!(arith_r::<OP_MUL, true, false>),
        Fsub_st0_sti => h!(arith_r::<OP_SUB, true, false>),
        Fsubr_st0_sti => h!(arith_r::<OP_SUBR, true, false>),
        Fdiv_st0_sti => h!(arith_r::<OP_DIV, true, false>),
        Fdivr_st0_sti => h!(arith_r::<OP_DIVR, true, false>),
        Fadd_sti_st0 => h!(arith_r::<OP_ADD, false, false>),
        Fmul_sti_st0 => h!(arith_r::<OP_MUL, false, false>),
        Fsub_sti_st0 => h!(arith_r::<OP_SUB, false, false>),
        Fsubr_sti_st0 => h!(arith_r::<OP_SUBR, false, false>),
        Fdiv_sti_st0 => h!(arith_r::<OP_DIV, false, false>),
        Fdivr_sti_st0 => h!(arith_r::<OP_DIVR, false, false>),
        Faddp_sti_st0 => h!(arith_r::<OP_ADD, false, true>),
        Fmulp_sti_st0 => h!(arith_r::<OP_MUL, false, true>),
        Fsubp_sti_st0 => h!(arith_r::<OP_SUB, false, true>),
        Fsubrp_sti_st0 => h!(arith_r::<OP_SUBR, false, true>),
        Fdivp_sti_st0 => h!(arith_r::<OP_DIV, false, true>),
        Fdivrp_sti_st0 => h!(arith_r::<OP_DIVR, false, true>),
        // comparisons
        Fcom_m32fp => h!(fcom_m::<M32, false>),
        Fcom_m64fp => h!(fcom_m::<M64, false>),
        Fcomp_m32fp => h!(fcom_m::<M32, true>),
        Fcomp_m64fp => h!(fcom_m::<M64, true>),
        Ficom_m16int => h!(fcom_m::<I16, false>),
        Ficom_m32int => h!(fcom_m::<I32, false>),
        Ficomp_m16int => h!(fcom_m::<I16, true>),
        Ficomp_m32int => h!(fcom_m::<I32, true>),
        Fcom_st0_sti | Fcom_st0_sti_DCD0 => h!(fcom_r::<false, 0>),
        Fcomp_st0_sti | Fcomp_st0_sti_DCD8 | Fcomp_st0_sti_DED0 => h!(fcom_r::<false, 1>),
        Fcompp => {
            d.rm = 1;
            h!(fcom_r::<false, 2>)
        }
        Fucom_st0_sti => h!(fcom_r::<true, 0>),
        Fucomp_st0_sti => h!(fcom_r::<true, 1>),
        Fucompp => {
            d.rm = 1;
            h!(fcom_r::<true, 2>)
        }
        Fcomi_st0_sti => h!(fcomi::<false, false>),
        Fcomip_st0_sti => h!(fcomi::<false, true>),
        Fucomi_st0_sti => h!(fcomi::<true, false>),
        Fucomip_st0_sti => h!(fcomi::<true, true>),
        Ftst => h!(ftst),
        Fxam => h!(fxam),
        // loads
        Fld_m32fp => h!(fld_m::<M32>),
        Fld_m64fp => h!(fld_m::<M64>),
        Fld_m80fp => h!(fld_m::<M80>),
        Fild_m16int => h!(fld_m::<I16>),
        Fild_m32int => h!(fld_m::<I32>),
        Fild_m64int => h!(fld_m::<I64>),
        Fbld_m80bcd => h!(fld_m::<BCD>),
        Fld_sti => h!(fld_r),
        Fld1 => h!(fld_k::<0>),
        Fldl2t => h!(fld_k::<1>),
        Fldl2e => h!(fld_k::<2>),
        Fldpi => h!(fld_k::<3>),
        Fldlg2 => h!(fld_k::<4>),
        Fldln2 => h!(fld_k::<5>),
        Fldz => h!(fld_k::<6>),
        // stores
        Fst_m32fp => h!(fst_m::<M32, false, false>),
        Fst_m64fp => h!(fst_m::<M64, false, false>),
        Fstp_m32fp => h!(fst_m::<M32, true, false>),
        Fstp_m64fp => h!(fst_m::<M64, true, false>),
        Fstp_m80fp => h!(fst_m::<M80, true, false>),
        Fist_m16int => h!(fst_m::<I16, false, false>),
        Fist_m32int => h!(fst_m::<I32, false, false>),
        Fistp_m16int => h!(fst_m::<I16, true, false>),
        Fistp_m32int => h!(fst_m::<I32, true, false>),
        Fistp_m64int => h!(fst_m::<I64, true, false>),
        Fisttp_m16int => h!(fst_m::<I16, true, true>),
        Fisttp_m32int => h!(fst_m::<I32, true, true>),
        Fisttp_m64int => h!(fst_m::<I64, true, true>),
        Fbstp_m80bcd => h!(fst_m::<BCD, true, false>),
        Fst_sti => h!(fst_r::<false>),
        Fstp_sti | Fstp_sti_DFD0 | Fstp_sti_DFD8 | Fstpnce_sti => h!(fst_r::<true>),
        // registers
        Fxch_st0_sti | Fxch_st0_sti_DDC8 | Fxch_st0_sti_DFC8 => h!(fxch),
        Ffree_sti => h!(ffree::<false>),
        Ffreep_sti => h!(ffree::<true>),
        Fincstp => h!(fincstp),
        Fdecstp => h!(fdecstp),
        Fnop => h!(fnop),
        Fcmovb_st0_sti => h!(fcmov::<0>),
        Fcmove_st0_sti => h!(fcmov::<1>),
        Fcmovbe_st0_sti => h!(fcmov::<2>),
        Fcmovu_st0_sti => h!(fcmov::<3>),
        Fcmovnb_st0_sti => h!(fcmov::<4>),
        Fcmovne_st0_sti => h!(fcmov::<5>),
        Fcmovnbe_st0_sti => h!(fcmov::<6>),
        Fcmovnu_st0_sti => h!(fcmov::<7>),
        // st0 / st1 operations
        Fchs => h!(unary::<U_CHS>),
        Fabs => h!(unary::<U_ABS>),
        Fsqrt => h!(unary::<U_SQRT>),
        Frndint => h!(unary::<U_RNDINT>),
        F2xm1 => h!(unary::<U_F2XM1>),
        Fsin => h!(ftrig::<0>),
        Fcos => h!(ftrig::<1>),
        Fptan => h!(ftrig::<2>),
        Fsincos => h!(ftrig::<3>),
        Fscale => h!(fbin::<0>),
        Fprem => h!(fbin::<1>),
        Fprem1 => h!(fbin::<2>),
        Fyl2x => h!(fbin::<3>),
        Fyl2xp1 => h!(fbin::<4>),
        Fpatan => h!(fbin::<5>),
        Fxtract => h!(fxtract),
        // control
        Wait => h!(fwait),
        Fnclex => h!(fnclex),
        Fninit => h!(fninit),
        Fneni | Fndisi | Fnsetpm => h!(fnop_nowait),
        Fldcw_m2byte => h!(fldcw),
        Fnstcw_m2byte => h!(fnstcw),
        Fnstsw_m2byte => h!(fnstsw_m),
        Fnstsw_AX => h!(fnstsw_ax),
        Fnstenv_m28byte => h!(fnstenv::<true>),
        Fnstenv_m14byte => h!(fnstenv::<false>),
        Fldenv_m28byte => h!(fldenv::<true>),
        Fldenv_m14byte => h!(fldenv::<false>),
        Fnsave_m108byte => h!(fnsave::<true>),
        Fnsave_m94byte => h!(fnsave::<false>),
        Frstor_m108byte => h!(frstor::<true>),
        Frstor_m94byte => h!(frstor::<false>),
        Fxsave_m512byte => h!(fxsave),
        Fxrstor_m512byte => h!(fxrstor),
        _ => return false,
    };
    if need_mem && !set_mem(ins, d) {
        return false;
    }
    d.h = h;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_and_tags() {
        let mut f = Fpu::default();
        assert_eq!(f.full_tags(), 0xffff);
        f.push(F80::ONE);
        f.push(F80::ZERO);
        assert_eq!(f.top, 6);
        assert_eq!(f.status(), 0x3000);
        // R7 = 1.0 valid, R6 = 0 zero, rest empty
        assert_eq!(f.full_tags(), 0x1fff);
        f.pop();
        assert_eq!(f.st(0), F80::ONE);
        assert!(f.empty(7));
    }

    #[test]
    fn linux_si_codes() {
        assert_eq!(fpe_code_of(0x3800 | IE | SF, 0x37e), 7);
        assert_eq!(fpe_code_of(ZE | PE, 0x37b), 3);
        assert_eq!(fpe_code_of(ZE | PE, 0x35b), 3);
        assert_eq!(fpe_code_of(OE | PE, 0x377), 4);
        assert_eq!(fpe_code_of(UE | PE, 0x36f), 5);
        assert_eq!(fpe_code_of(DE, 0x37d), 5);
        assert_eq!(fpe_code_of(PE, 0x35f), 6);
        assert_eq!(fpe_code_of(ZE, 0x37f), 0);
    }

    #[test]
    fn exceptions_and_es() {
        let mut f = Fpu::default();
        assert!(f.signal(PE | C1));
        assert_eq!(f.sw, PE | C1);
        f.cw &= !ZE;
        assert!(!f.signal(ZE));
        assert_eq!(f.sw & (ES | B), ES | B);
        f.sw &= !(0xff | B);
        f.update_es();
        assert_eq!(f.sw & ES, 0);
    }

    /// Intel: FOP and FDP change only on an unmasked exception, FDP only
    /// when that instruction has a memory operand.
    #[test]
    fn pointers_latched_on_unmasked_exceptions() {
        let mut f = Fpu::default();
        f.cw &= !ZE;
        // a masked exception with a memory operand: nothing kept
        f.fip = 0x100;
        f.cur_dp = Some(0x2000);
        assert!(f.signal(PE));
        assert_eq!((f.fop, f.fdp), (0, 0));
        // unmasked, memory operand
        f.fip = 0x200;
        f.cur_dp = Some(0x3000);
        assert!(!f.signal(ZE));
        assert_eq!((f.fop, f.fop_ip, f.fdp), (FOP_LAZY, 0x200, 0x3000));
        // unmasked, register operands: FDP stays
        f.sw = 0;
        f.fip = 0x300;
        f.cur_dp = None;
        assert!(!f.signal(ZE));
        assert_eq!((f.fop_ip, f.fdp), (0x300, 0x3000));
        f.init();
        assert_eq!((f.fip, f.fop, f.fdp), (0, 0, 0));
    }
}
