//! Data movement: mov, movzx, movsx, lea, push, pop, xchg, nop; cmpxchg,
//! cmpxchg8b, xadd, bswap, pusha/popa, pushf/popf, enter/leave,
//! cbw/cwde/cwd/cdq, lahf/sahf, setcc, cmovcc, xlat, segment register moves
//! (mov, push/pop, lds/les/lfs/lgs/lss).

use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

use crate::cpu::decode::{op_size, opnd, sreg, Opnd};
use crate::cpu::exec::alu::{alu, ADD, CMP};
use crate::cpu::exec::control::cc_of;
use crate::cpu::flags::{self, AF, CF, DF, ID, NT, OF, PF, RF, SF, TF, VM, ZF};
use crate::cpu::{
    am, th, th_load, th_safe, vec, Cpu, Handler, Inst, EAX, EBP, EBX, ECX, EDX, ESP, SS,
};
use crate::mem::{PageFault, PAGE_SHIFT, P_PRESENT, P_WRITE};
use crate::{by_form, by_size};

pub(crate) fn mov_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.reg(SZ, i.rm);
    c.set_reg(SZ, i.r, v);
}

pub(crate) fn mov_ri<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    c.set_reg(SZ, i.r, i.imm);
}

pub(crate) fn mov_rm<const AM: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea_am::<AM>(i);
    if let Some(v) = c.rd_sz(SZ, a) {
        c.set_reg(SZ, i.r, v);
    }
}

pub(crate) fn mov_mr<const AM: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea_am::<AM>(i);
    let v = c.reg(SZ, i.r);
    c.wr_sz(SZ, a, v);
}

pub(crate) fn mov_mi<const AM: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea_am::<AM>(i);
    c.wr_sz(SZ, a, i.imm);
}

/// Sign- or zero-extend a `SRC`-sized value.
#[inline(always)]
pub fn extend<const SIGNED: bool, const SRC: u8>(v: u32) -> u32 {
    match (SIGNED, SRC) {
        (true, 0) => v as u8 as i8 as i32 as u32,
        (true, _) => v as u16 as i16 as i32 as u32,
        (false, 0) => v & 0xff,
        (false, _) => v & 0xffff,
    }
}

/// movzx/movsx: `SRC` size of the source, `DST` size of the destination.
pub(crate) fn movx_r<const SIGNED: bool, const SRC: u8, const DST: u8>(c: &mut Cpu, i: &Inst) {
    let v = extend::<SIGNED, SRC>(c.reg(SRC, i.rm));
    c.set_reg(DST, i.r, v);
}

pub(crate) fn movx_m<const AM: u8, const SIGNED: bool, const SRC: u8, const DST: u8>(
    c: &mut Cpu,
    i: &Inst,
) {
    let a = c.ea_am::<AM>(i);
    if let Some(v) = c.rd_sz(SRC, a) {
        c.set_reg(DST, i.r, extend::<SIGNED, SRC>(v));
    }
}

pub(crate) fn lea<const AM: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    // lea ignores the segment base.
    let off = c.offset_am::<AM>(i);
    c.set_reg(SZ, i.r, off);
}

#[inline(always)]
fn push_sz<const SZ: u8>(c: &mut Cpu, v: u32) -> Option<()> {
    if SZ == 2 {
        c.push32(v)
    } else {
        c.push16(v)
    }
}

pub(crate) fn push_r<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.reg(SZ, i.r);
    push_sz::<SZ>(c, v);
}

pub(crate) fn push_i<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    push_sz::<SZ>(c, i.imm);
}

#[inline(always)]
pub(crate) fn push_m<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(v) = c.rd_sz(SZ, a) {
        push_sz::<SZ>(c, v);
    }
}

pub(crate) fn pop_r<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = if SZ == 2 { c.pop32() } else { c.pop16() };
    if let Some(v) = v {
        c.set_reg(SZ, i.r, v);
    }
}

/// pop to memory: the address is computed after esp is incremented.
fn pop_m<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let sp = c.regs[crate::cpu::ESP];
    let v = if SZ == 2 { c.pop32() } else { c.pop16() };
    let Some(v) = v else { return };
    let a = c.ea(i);
    if c.wr_sz(SZ, a, v).is_none() {
        c.regs[crate::cpu::ESP] = sp;
    }
}

fn xchg_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.reg(SZ, i.r);
    let b = c.reg(SZ, i.rm);
    c.set_reg(SZ, i.r, b);
    c.set_reg(SZ, i.rm, a);
}

/// xchg with memory is always locked.
fn xchg_rm<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.reg(SZ, i.r);
    if let Some(old) = c.rmw::<SZ, true>(a, |_| v) {
        c.set_reg(SZ, i.r, old);
    }
}

fn nop(_: &mut Cpu, _: &Inst) {}

// ---- cmpxchg, cmpxchg8b, xadd, bswap ----

/// cmpxchg with a register destination `i.rm` and source `i.r`.
fn cmpxchg_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let acc = c.reg(SZ, EAX as u8);
    let d = c.reg(SZ, i.rm);
    alu::<CMP, SZ>(&mut c.flags, acc, d);
    if acc == d {
        let s = c.reg(SZ, i.r);
        c.set_reg(SZ, i.rm, s);
    } else {
        c.set_reg(SZ, EAX as u8, d);
    }
}

/// cmpxchg m, r. The destination is always written (with its old value when
/// the comparison fails), as on hardware; atomically with `LOCK`.
fn cmpxchg_m<const LOCK: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let acc = c.reg(SZ, EAX as u8);
    let s = c.reg(SZ, i.r);
    let Some(old) = c.rmw::<SZ, LOCK>(a, |o| if o == acc { s } else { o }) else {
        return;
    };
    alu::<CMP, SZ>(&mut c.flags, acc, old);
    if acc != old {
        c.set_reg(SZ, EAX as u8, old);
    }
}

/// cmpxchg8b m64: compare edx:eax with m64; equal: ZF=1, m64 = ecx:ebx;
/// else ZF=0, edx:eax = m64. Other flags are unchanged. An aligned in-page
/// operand is updated with a host 64-bit compare-and-swap (with or without
/// lock); otherwise the read and the write are separate.
fn cmpxchg8b(c: &mut Cpu, i: &Inst) {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    let a = c.ea(i);
    let exp = (c.regs[EDX] as u64) << 32 | c.regs[EAX] as u64;
    let new = (c.regs[ECX] as u64) << 32 | c.regs[EBX] as u64;
    let old = match c.rmw_ptr(a, 8) {
        Some(p) => {
            // SAFETY: 8-byte aligned, inside one present writable page.
            let at = unsafe { &*(p as *const AtomicU64) };
            match at.compare_exchange(exp, new, SeqCst, SeqCst) {
                Ok(v) | Err(v) => v,
            }
        }
        None => {
            let Some(v) = c.rd64(a) else { return };
            if c.wr64(a, if v == exp { new } else { v }).is_none() {
                return;
            }
            v
        }
    };
    c.flags.set_arith(if old == exp { ZF } else { 0 }, ZF);
    if old != exp {
        c.regs[EAX] = old as u32;
        c.regs[EDX] = (old >> 32) as u32;
    }
}

/// xadd with a register destination `i.rm` and source `i.r`.
fn xadd_rr<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let d = c.reg(SZ, i.rm);
    let s = c.reg(SZ, i.r);
    let sum = alu::<ADD, SZ>(&mut c.flags, d, s);
    c.set_reg(SZ, i.r, d);
    c.set_reg(SZ, i.rm, sum);
}

fn xadd_m<const LOCK: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let s = c.reg(SZ, i.r);
    let Some(old) = c.rmw::<SZ, LOCK>(a, |o| o.wrapping_add(s)) else {
        return;
    };
    alu::<ADD, SZ>(&mut c.flags, old, s);
    c.set_reg(SZ, i.r, old);
}

fn bswap32(c: &mut Cpu, i: &Inst) {
    let r = i.r as usize;
    c.regs[r] = c.regs[r].swap_bytes();
}

/// bswap r16 is undefined; Intel and AMD hardware clear the low word.
fn bswap16(c: &mut Cpu, i: &Inst) {
    c.set_r16(i.r, 0);
}

// ---- pusha/popa, pushf/popf, enter/leave ----

/// pusha/pushad: eax, ecx, edx, ebx, original esp, ebp, esi, edi.
fn pusha<const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let n = 1u32 << SZ;
    let sp = c.regs[ESP];
    for k in 0..8u32 {
        let v = c.regs[k as usize];
        let a = sp.wrapping_sub(n * (k + 1));
        if c.wr_sz(SZ, c.lin(SS, a, n), v).is_none() {
            return;
        }
    }
    c.regs[ESP] = sp.wrapping_sub(8 * n);
}

/// popa/popad: the saved esp is skipped. All reads happen before any
/// register changes.
fn popa<const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let n = 1u32 << SZ;
    let sp = c.regs[ESP];
    let mut v = [0u32; 8];
    for k in 0..8u32 {
        let Some(x) = c.rd_sz(SZ, c.lin(SS, sp.wrapping_add(n * k), n)) else {
            return;
        };
        v[7 - k as usize] = x;
    }
    for (r, &x) in v.iter().enumerate() {
        if r != ESP {
            c.set_reg(SZ, r as u8, x);
        }
    }
    c.regs[ESP] = sp.wrapping_add(8 * n);
}

/// EFLAGS bits popf may change in user mode. IF and IOPL are silently kept.
pub const POPF_MASK: u32 = CF | PF | AF | ZF | SF | TF | DF | OF | NT | flags::AC | ID;

/// pushf/pushfd: the image has RF and VM clear.
fn pushf<const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let f = c.flags.get() & !(RF | VM);
    push_sz::<SZ>(c, f);
}

/// popf/popfd. Ends its block (it may set TF), so it sets eip.
fn popf<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = if SZ == 2 { c.pop32() } else { c.pop16() };
    let Some(v) = v else { return };
    let mask = if SZ == 2 {
        POPF_MASK
    } else {
        POPF_MASK & 0xffff
    };
    c.load_flags(v, mask);
    c.eip = i.next();
}

/// enter imm16 (`i.imm`), imm8 (`i.imm2` = nesting level mod 32). All
/// stack writes happen before esp/ebp change.
fn enter<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let n = 1u32 << SZ;
    let bp = c.regs[EBP];
    let mut sp = c.regs[ESP].wrapping_sub(n);
    if c.wr_sz(SZ, c.lin(SS, sp, n), bp).is_none() {
        return;
    }
    let frame = sp;
    if i.imm2 > 0 {
        let mut p = bp;
        for _ in 1..i.imm2 {
            p = p.wrapping_sub(n);
            let Some(v) = c.rd_sz(SZ, c.lin(SS, p, n)) else {
                return;
            };
            sp = sp.wrapping_sub(n);
            if c.wr_sz(SZ, c.lin(SS, sp, n), v).is_none() {
                return;
            }
        }
        sp = sp.wrapping_sub(n);
        if c.wr_sz(SZ, c.lin(SS, sp, n), frame).is_none() {
            return;
        }
    }
    let sp = sp.wrapping_sub(i.imm);
    if probe_write(c, c.lin(SS, sp, n), n).is_none() {
        return;
    }
    c.regs[ESP] = sp;
    c.set_reg(SZ, EBP as u8, frame);
}

/// enter finishes with a write-permission check of the new top of stack
/// (nothing is written), as hardware does: #PF if `[a, a+n)` is not writable.
fn probe_write(c: &mut Cpu, a: u32, n: u32) -> Option<()> {
    let last = a.wrapping_add(n - 1);
    for b in [a, last & !0xfff] {
        if b != a && b >> PAGE_SHIFT == a >> PAGE_SHIFT {
            continue;
        }
        let p = c.perm(b >> PAGE_SHIFT);
        if p & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
            c.page_fault(PageFault {
                addr: b,
                present: p & P_PRESENT != 0,
                write: true,
                fetch: false,
            });
            return None;
        }
    }
    Some(())
}

/// leave: esp = ebp, then pop ebp (bp for the 16-bit form).
fn leave<const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let bp = c.regs[EBP];
    let Some(v) = c.rd_sz(SZ, c.lin(SS, bp, 1 << SZ)) else {
        return;
    };
    c.regs[ESP] = bp.wrapping_add(1 << SZ);
    c.set_reg(SZ, EBP as u8, v);
}

// ---- sign extension of the accumulator, lahf/sahf ----

fn cbw(c: &mut Cpu, _: &Inst) {
    let v = c.regs[EAX] as u8 as i8 as i16 as u16 as u32;
    c.set_r16(EAX as u8, v);
}

fn cwde(c: &mut Cpu, _: &Inst) {
    c.regs[EAX] = c.regs[EAX] as u16 as i16 as i32 as u32;
}

fn cwd(c: &mut Cpu, _: &Inst) {
    let v = if c.regs[EAX] & 0x8000 != 0 { 0xffff } else { 0 };
    c.set_r16(EDX as u8, v);
}

fn cdq(c: &mut Cpu, _: &Inst) {
    c.regs[EDX] = ((c.regs[EAX] as i32) >> 31) as u32;
}

const LAHF_BITS: u32 = SF | ZF | AF | PF | CF;
/// AH in the 8-bit register encoding.
const AH: u8 = 8;

fn lahf(c: &mut Cpu, _: &Inst) {
    let v = (c.flags.get() & LAHF_BITS) | 2;
    c.set_r8(AH, v);
}

fn sahf(c: &mut Cpu, _: &Inst) {
    let v = c.r8(AH);
    c.flags.set_arith(v, LAHF_BITS);
}

// ---- setcc, cmovcc, xlat ----

fn setcc_r<const CC: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.flags.cond(CC) as u32;
    c.set_r8(i.r, v);
}

fn setcc_m<const CC: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.flags.cond(CC) as u32;
    c.wr8(a, v);
}

fn setcc_pick<const CC: u8>(mem: bool) -> Handler {
    if mem {
        th(setcc_m::<CC>)
    } else {
        th_safe(setcc_r::<CC>)
    }
}

fn cmov_rr<const CC: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    if c.flags.cond(CC) {
        let v = c.reg(SZ, i.rm);
        c.set_reg(SZ, i.r, v);
    }
}

/// The memory operand is read (and may fault) even when the condition is false.
fn cmov_rm<const CC: u8, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let Some(v) = c.rd_sz(SZ, a) else { return };
    if c.flags.cond(CC) {
        c.set_reg(SZ, i.r, v);
    }
}

fn cmov_pick<const CC: u8>(mem: bool, sz: u8) -> Handler {
    match (mem, sz) {
        (false, 1) => th_safe(cmov_rr::<CC, 1>),
        (false, _) => th_safe(cmov_rr::<CC, 2>),
        (true, 1) => th_load(cmov_rm::<CC, 1>),
        (true, _) => th_load(cmov_rm::<CC, 2>),
    }
}

/// Instantiate a `fn f<const CC: u8>` for a runtime condition nibble.
macro_rules! by_cc {
    ($cc:expr, $f:ident) => {
        match $cc & 15 {
            0 => $f::<0>,
            1 => $f::<1>,
            2 => $f::<2>,
            3 => $f::<3>,
            4 => $f::<4>,
            5 => $f::<5>,
            6 => $f::<6>,
            7 => $f::<7>,
            8 => $f::<8>,
            9 => $f::<9>,
            10 => $f::<10>,
            11 => $f::<11>,
            12 => $f::<12>,
            13 => $f::<13>,
            14 => $f::<14>,
            _ => $f::<15>,
        }
    };
}

/// xlat: al = seg:[ebx + zero-extended al] (bx + al with 16-bit addressing).
fn xlat<const A16: bool>(c: &mut Cpu, i: &Inst) {
    let mut off = c.regs[EBX].wrapping_add(c.regs[EAX] & 0xff);
    if A16 {
        off &= 0xffff;
    }
    let a = c.lin((i.seg & 7) as usize, off, 1);
    if let Some(v) = c.rd8(a) {
        c.set_r8(EAX as u8, v);
    }
}

// ---- segment registers ----

/// mov r, sreg (`i.rm`): a 32-bit destination gets the zero-extended selector.
fn mov_r_s<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.segs[i.rm as usize].sel as u32;
    c.set_reg(SZ, i.r, v);
}

/// mov m16, sreg (`i.r`): always a 16-bit store.
fn mov_m_s(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let v = c.segs[i.r as usize].sel as u32;
    c.wr16(a, v);
}

/// mov sreg (`i.r`), r (`i.rm`).
fn mov_s_r(c: &mut Cpu, i: &Inst) {
    let v = c.regs[(i.rm & 7) as usize] as u16;
    c.load_seg(i.r as usize, v);
}

fn mov_s_m(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(v) = c.rd16(a) {
        c.load_seg(i.r as usize, v as u16);
    }
}

/// push sreg: the 32-bit form pushes the zero-extended selector (as AMD
/// hardware does; Intel may store only 16 bits, also allowed by the SDM).
fn push_s<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let v = c.segs[i.r as usize].sel as u32;
    push_sz::<SZ>(c, v);
}

/// pop sreg: esp changes only if the selector loads.
fn pop_s<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let sp = c.regs[ESP];
    let Some(v) = c.rd_sz(SZ, c.lin(SS, sp, 1 << SZ)) else {
        return;
    };
    if c.load_seg(i.r as usize, v as u16) {
        c.regs[ESP] = sp.wrapping_add(1 << SZ);
    }
}

/// lds/les/lfs/lgs/lss r, m16:SZ; the segment register is in `i.imm`.
fn load_far<const SZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let Some(off) = c.rd_sz(SZ, a) else { return };
    let Some(sel) = c.rd16(a.wrapping_add(1 << SZ)) else {
        return;
    };
    if c.load_seg(i.imm as usize, sel as u16) {
        c.set_reg(SZ, i.r, off);
    }
}

/// Privileged in user mode (mov to/from control and debug registers).
fn gp0(c: &mut Cpu, _: &Inst) {
    c.raise(vec::GP, Some(0));
}

fn is_ctl_reg(r: Register) -> bool {
    r.is_cr() || r.is_dr() || r.is_tr()
}

/// Decode the segment-register forms of mov/push/pop.
fn decode_sreg(ins: &Instruction, d: &mut Inst) -> Option<Handler> {
    let sr = |n: u32| {
        if ins.op_kind(n) == OpKind::Register {
            sreg(ins.op_register(n))
        } else {
            None
        }
    };
    Some(match ins.mnemonic() {
        Mnemonic::Mov => {
            if let Some(s) = sr(1) {
                // mov r/m, sreg
                match opnd(ins, 0, d) {
                    Opnd::Reg(r, sz) => {
                        d.r = r;
                        d.rm = s;
                        if sz == 2 {
                            th(mov_r_s::<2>)
                        } else {
                            th(mov_r_s::<1>)
                        }
                    }
                    Opnd::Mem => {
                        d.r = s;
                        th(mov_m_s)
                    }
                    _ => return None,
                }
            } else {
                let s = sr(0)?;
                if s as usize == crate::cpu::CS {
                    return None;
                }
                d.r = s;
                match opnd(ins, 1, d) {
                    Opnd::Reg(r, _) => {
                        d.rm = r;
                        th(mov_s_r)
                    }
                    Opnd::Mem => th(mov_s_m),
                    _ => return None,
                }
            }
        }
        Mnemonic::Push => {
            d.r = sr(0)?;
            if ins.stack_pointer_increment() == -2 {
                th(push_s::<1>)
            } else {
                th(push_s::<2>)
            }
        }
        Mnemonic::Pop => {
            d.r = sr(0)?;
            if d.r as usize == crate::cpu::CS {
                return None;
            }
            if ins.stack_pointer_increment() == 2 {
                th(pop_s::<1>)
            } else {
                th(pop_s::<2>)
            }
        }
        _ => return None,
    })
}

pub(crate) fn is_setcc(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Seto | Setno
            | Setb
            | Setae
            | Sete
            | Setne
            | Setbe
            | Seta
            | Sets
            | Setns
            | Setp
            | Setnp
            | Setl
            | Setge
            | Setle
            | Setg
    )
}

pub(crate) fn is_cmov(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Cmovo
            | Cmovno
            | Cmovb
            | Cmovae
            | Cmove
            | Cmovne
            | Cmovbe
            | Cmova
            | Cmovs
            | Cmovns
            | Cmovp
            | Cmovnp
            | Cmovl
            | Cmovge
            | Cmovle
            | Cmovg
    )
}

/// Decode the instructions added beyond plain mov/push/pop/xchg.
fn decode_more(ins: &Instruction, d: &mut Inst) -> Option<Handler> {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    let lock = ins.has_lock_prefix();
    Some(match mn {
        Cmpxchg | Xadd => {
            let sz = op_size(ins, 0)?;
            let Opnd::Reg(s, _) = opnd(ins, 1, d) else {
                return None;
            };
            d.r = s;
            let xadd = mn == Xadd;
            match (opnd(ins, 0, d), lock) {
                (Opnd::Reg(r, _), false) => {
                    d.rm = r;
                    if xadd {
                        by_size!(sz, xadd_rr)
                    } else {
                        by_size!(sz, cmpxchg_rr)
                    }
                }
                (Opnd::Mem, false) if xadd => by_size!(sz, xadd_m::<false>),
                (Opnd::Mem, true) if xadd => by_size!(sz, xadd_m::<true>),
                (Opnd::Mem, false) => by_size!(sz, cmpxchg_m::<false>),
                (Opnd::Mem, true) => by_size!(sz, cmpxchg_m::<true>),
                _ => return None,
            }
        }
        Cmpxchg8b => {
            if opnd(ins, 0, d) != Opnd::Mem {
                return None;
            }
            th(cmpxchg8b)
        }
        Bswap => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return None;
            };
            d.r = r;
            if sz == 2 {
                th(bswap32)
            } else {
                th(bswap16)
            }
        }
        Pusha => th(pusha::<1>),
        Pushad => th(pusha::<2>),
        Popa => th(popa::<1>),
        Popad => th(popa::<2>),
        Pushf => th(pushf::<1>),
        Pushfd => th(pushf::<2>),
        Popf => th(popf::<1>),
        Popfd => th(popf::<2>),
        Enter => {
            d.imm = ins.immediate(0) as u32 & 0xffff;
            d.imm2 = ins.immediate(1) as u32 & 31;
            if ins.code() == Code::Enterw_imm16_imm8 {
                th(enter::<1>)
            } else {
                th(enter::<2>)
            }
        }
        Leave => {
            if ins.code() == Code::Leavew {
                th(leave::<1>)
            } else {
                th(leave::<2>)
            }
        }
        Cbw => th_safe(cbw),
        Cwde => th_safe(cwde),
        Cwd => th_safe(cwd),
        Cdq => th_safe(cdq),
        Lahf => th_safe(lahf),
        Sahf => th_safe(sahf),
        Xlatb => {
            d.seg = sreg(ins.memory_segment())?;
            if ins.memory_base() == Register::BX {
                d.a16 = 1;
                th(xlat::<true>)
            } else {
                th(xlat::<false>)
            }
        }
        Lds | Les | Lfs | Lgs | Lss => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return None;
            };
            if opnd(ins, 1, d) != Opnd::Mem {
                return None;
            }
            d.r = r;
            d.imm = match mn {
                Lds => crate::cpu::DS,
                Les => crate::cpu::ES,
                Lfs => crate::cpu::FS,
                Lgs => crate::cpu::GS,
                _ => SS,
            } as u32;
            if sz == 2 {
                th(load_far::<2>)
            } else {
                th(load_far::<1>)
            }
        }
        _ if is_setcc(mn) => {
            let cc = cc_of(ins)?;
            match opnd(ins, 0, d) {
                Opnd::Reg(r, 0) => {
                    d.r = r;
                    by_cc!(cc, setcc_pick)(false)
                }
                Opnd::Mem => by_cc!(cc, setcc_pick)(true),
                _ => return None,
            }
        }
        _ if is_cmov(mn) => {
            let cc = cc_of(ins)?;
            let Opnd::Reg(r, sz @ 1..=2) = opnd(ins, 0, d) else {
                return None;
            };
            d.r = r;
            match opnd(ins, 1, d) {
                Opnd::Reg(s, _) => {
                    d.rm = s;
                    by_cc!(cc, cmov_pick)(false, sz)
                }
                Opnd::Mem => by_cc!(cc, cmov_pick)(true, sz),
                _ => return None,
            }
        }
        _ => return None,
    })
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    if let Some(h) = decode_sreg(ins, d).or_else(|| decode_more(ins, d)) {
        d.h = h;
        return true;
    }
    let h: Handler = match ins.mnemonic() {
        Mov if (0..2)
            .any(|n| ins.op_kind(n) == OpKind::Register && is_ctl_reg(ins.op_register(n))) =>
        {
            th(gp0)
        }
        Mov => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            match (opnd(ins, 0, d), opnd(ins, 1, d)) {
                (Opnd::Reg(r, _), Opnd::Reg(s, _)) => {
                    d.r = r;
                    d.rm = s;
                    by_size!(safe sz, mov_rr)
                }
                (Opnd::Reg(r, _), Opnd::Imm(v)) => {
                    d.r = r;
                    d.imm = v;
                    by_size!(safe sz, mov_ri)
                }
                (Opnd::Reg(r, _), Opnd::Mem) => {
                    d.r = r;
                    by_form!(load d, sz, mov_rm)
                }
                (Opnd::Mem, Opnd::Reg(s, _)) => {
                    d.r = s;
                    by_form!(d, sz, mov_mr)
                }
                (Opnd::Mem, Opnd::Imm(v)) => {
                    d.imm = v;
                    by_form!(d, sz, mov_mi)
                }
                _ => return false, // segment and control registers: misc
            }
        }
        Movzx | Movsx => {
            let signed = ins.mnemonic() == Movsx;
            let (Some(dst), Some(src)) = (op_size(ins, 0), op_size(ins, 1)) else {
                return false;
            };
            let Opnd::Reg(r, _) = opnd(ins, 0, d) else {
                return false;
            };
            d.r = r;
            let reg = match opnd(ins, 1, d) {
                Opnd::Reg(s, _) => {
                    d.rm = s;
                    true
                }
                Opnd::Mem => false,
                _ => return false,
            };
            macro_rules! pick {
                ($w:ident, $f:ident $(, $am:path)?) => {
                    match (signed, src, dst) {
                        (false, 0, 1) => $w($f::<$({ $am },)? false, 0, 1>),
                        (false, 0, _) => $w($f::<$({ $am },)? false, 0, 2>),
                        (false, _, 1) => $w($f::<$({ $am },)? false, 1, 1>),
                        (false, _, _) => $w($f::<$({ $am },)? false, 1, 2>),
                        (true, 0, 1) => $w($f::<$({ $am },)? true, 0, 1>),
                        (true, 0, _) => $w($f::<$({ $am },)? true, 0, 2>),
                        (true, _, 1) => $w($f::<$({ $am },)? true, 1, 1>),
                        (true, _, _) => $w($f::<$({ $am },)? true, 1, 2>),
                    }
                };
            }
            if reg {
                pick!(th_safe, movx_r)
            } else {
                match am::of(d) {
                    am::BD => pick!(th_load, movx_m, am::BD),
                    am::SIB => pick!(th_load, movx_m, am::SIB),
                    _ => pick!(th_load, movx_m, am::ANY),
                }
            }
        }
        Lea => {
            let Opnd::Reg(r, sz) = opnd(ins, 0, d) else {
                return false;
            };
            if opnd(ins, 1, d) != Opnd::Mem {
                return false;
            }
            d.r = r;
            // An address computation: never leaves the block.
            by_form!(safe d, sz, lea)
        }
        Push => {
            let sz = if ins.stack_pointer_increment() == -2 {
                1
            } else {
                2
            };
            match opnd(ins, 0, d) {
                Opnd::Reg(r, _) => {
                    d.r = r;
                    if sz == 2 {
                        th(push_r::<2>)
                    } else {
                        th(push_r::<1>)
                    }
                }
                Opnd::Imm(v) => {
                    d.imm = v;
                    if sz == 2 {
                        th(push_i::<2>)
                    } else {
                        th(push_i::<1>)
                    }
                }
                Opnd::Mem => {
                    if sz == 2 {
                        th(push_m::<2>)
                    } else {
                        th(push_m::<1>)
                    }
                }
                Opnd::Other => return false, // segment registers: misc
            }
        }
        Pop => {
            let sz = if ins.stack_pointer_increment() == 2 {
                1
            } else {
                2
            };
            match opnd(ins, 0, d) {
                Opnd::Reg(r, _) => {
                    d.r = r;
                    if sz == 2 {
                        th_load(pop_r::<2>)
                    } else {
                        th_load(pop_r::<1>)
                    }
                }
                Opnd::Mem => {
                    if sz == 2 {
                        th(pop_m::<2>)
                    } else {
                        th(pop_m::<1>)
                    }
                }
                _ => return false,
            }
        }
        Xchg => {
            let Some(sz) = op_size(ins, 0) else {
                return false;
            };
            match (opnd(ins, 0, d), opnd(ins, 1, d)) {
                (Opnd::Reg(r, _), Opnd::Reg(s, _)) => {
                    d.r = r;
                    d.rm = s;
                    by_size!(sz, xchg_rr)
                }
                (Opnd::Reg(r, _), Opnd::Mem) | (Opnd::Mem, Opnd::Reg(r, _)) => {
                    d.r = r;
                    by_size!(sz, xchg_rm)
                }
                _ => return false,
            }
        }
        Nop => th(nop),
        _ => return false,
    };
    d.h = h;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::flags::ARITH;
    use crate::cpu::{exit, EDI, ESI};

    fn cpu() -> Cpu {
        Cpu::for_tests()
    }

    /// Decode and execute one instruction located at 0x1000.
    fn run(c: &mut Cpu, bytes: &[u8]) -> Inst {
        let d = crate::cpu::decode::decode_one(bytes, 0x1000).expect("decodes");
        c.exec_one(&d);
        d
    }

    fn rd32(c: &mut Cpu, a: u32) -> u32 {
        c.rd32(a).unwrap()
    }

    /// Each addressing form gets its own handler: base + displacement,
    /// 32-bit base + index * scale + displacement, and 16-bit addressing
    /// (which wraps the offset at 64 KiB: `[bx+si]` of 0xffff + 1 is 0).
    #[test]
    fn addressing_forms() {
        use crate::cpu::{am, EAX, EBX, ECX};
        let mut c = cpu();
        c.wr32(0x10008, 0x1111).unwrap();
        c.wr32(0x10028, 0x2222).unwrap();
        c.regs[EBX] = 0x10000;
        c.regs[ECX] = 8;
        // mov eax, [ebx+8]
        let d = run(&mut c, &[0x8b, 0x43, 0x08]);
        assert_eq!((am::of(&d), c.regs[EAX]), (am::BD, 0x1111));
        // mov eax, [ebx+ecx*4+8]
        let d = run(&mut c, &[0x8b, 0x44, 0x8b, 0x08]);
        assert_eq!((am::of(&d), c.regs[EAX]), (am::SIB, 0x2222));
        // The same through the handler of every form: ANY computes it too.
        let sib = th_load(mov_rm::<{ am::SIB }, 2>);
        let any = th_load(mov_rm::<{ am::ANY }, 2>);
        assert_eq!(d.h.addr(), sib.addr());
        let mut e = d;
        e.h = any;
        c.regs[EAX] = 0;
        c.exec_one(&e);
        assert_eq!(c.regs[EAX], 0x2222);
        // mov eax, [bx+si] with 0x67: 0xffff + 1 wraps to 0, which is not
        // mapped, so the read faults at linear address 0.
        c.regs[EBX] = 0xffff;
        c.regs[ESI] = 1;
        let d = run(&mut c, &[0x67, 0x8b, 0x00]);
        assert_eq!(am::of(&d), am::ANY);
        assert_eq!((c.exit, c.exc.cr2), (exit::EXC, 0));
    }

    #[test]
    fn cmpxchg8b_aligned_and_not() {
        for a in [0x10000u32, 0x10ffd] {
            let mut c = cpu();
            c.wr64(a, 0x0000_0002_0000_0001).unwrap();
            c.regs[EDI] = a;
            (c.regs[EAX], c.regs[EDX], c.regs[EBX], c.regs[ECX]) = (1, 2, 3, 4);
            c.flags.set_arith(CF, ARITH);
            run(&mut c, &[0x0f, 0xc7, 0x0f]); // cmpxchg8b [edi]
            assert_eq!(c.rd64(a), Some(0x0000_0004_0000_0003));
            assert_eq!(c.flags.get() & ARITH, CF | ZF);
            run(&mut c, &[0xf0, 0x0f, 0xc7, 0x0f]);
            assert_eq!((c.regs[EAX], c.regs[EDX]), (3, 4));
            assert_eq!(c.flags.get() & ARITH, CF);
        }
    }

    #[test]
    fn cmpxchg_and_xadd() {
        let mut c = cpu();
        c.wr32(0x10000, 7).unwrap();
        c.regs[ESI] = 0x10000;
        (c.regs[EAX], c.regs[EBX]) = (7, 9);
        run(&mut c, &[0xf0, 0x0f, 0xb1, 0x1e]); // lock cmpxchg [esi], ebx
        assert_eq!(rd32(&mut c, 0x10000), 9);
        assert!(c.flags.zf());
        run(&mut c, &[0x0f, 0xb1, 0x1e]);
        assert_eq!(c.regs[EAX], 9);
        assert!(!c.flags.zf());
        // xadd [esi], ebx: ebx = old, [esi] = sum
        run(&mut c, &[0xf0, 0x0f, 0xc1, 0x1e]);
        assert_eq!((rd32(&mut c, 0x10000), c.regs[EBX]), (18, 9));
        // xadd eax, eax
        c.regs[EAX] = 5;
        run(&mut c, &[0x0f, 0xc1, 0xc0]);
        assert_eq!(c.regs[EAX], 10);
    }

    #[test]
    fn popf_mask_and_eip() {
        let mut c = cpu();
        c.push32(0xffff_feff).unwrap();
        let i = run(&mut c, &[0x9d]);
        assert_eq!(c.eip, i.next());
        let f = c.flags.get();
        assert_eq!(f, POPF_MASK & !TF | 0x202);
        // 16-bit popf leaves the high half.
        c.push16(0).unwrap();
        run(&mut c, &[0x66, 0x9d]);
        assert_eq!(c.flags.get(), (POPF_MASK & !TF & 0xffff_0000) | 0x202);
    }

    #[test]
    fn pusha_popa_roundtrip() {
        let mut c = cpu();
        for r in 0..8 {
            if r != ESP {
                c.regs[r] = 0x100 + r as u32;
            }
        }
        run(&mut c, &[0x60]);
        assert_eq!(c.regs[ESP], 0x18000 - 32);
        assert_eq!(rd32(&mut c, 0x18000 - 20), 0x18000);
        let saved = c.regs;
        c.regs[..8].iter_mut().enumerate().for_each(|(r, x)| {
            if r != ESP {
                *x = 0
            }
        });
        run(&mut c, &[0x61]);
        assert_eq!(c.regs[ESP], 0x18000);
        for r in 0..8 {
            if r != ESP {
                assert_eq!(c.regs[r], saved[r]);
            }
        }
    }

    #[test]
    fn enter_nested_and_fault() {
        let mut c = cpu();
        c.regs[EBP] = 0x17000;
        c.wr32(0x16ffc, 0xaaaa).unwrap();
        c.wr32(0x16ff8, 0xbbbb).unwrap();
        run(&mut c, &[0xc8, 0x10, 0x00, 0x03]); // enter 16, 3
        assert_eq!(c.regs[EBP], 0x17ffc);
        assert_eq!(c.regs[ESP], 0x17ffc - 12 - 16);
        assert_eq!(rd32(&mut c, 0x17ffc), 0x17000);
        assert_eq!(rd32(&mut c, 0x17ff8), 0xaaaa);
        assert_eq!(rd32(&mut c, 0x17ff4), 0xbbbb);
        assert_eq!(rd32(&mut c, 0x17ff0), 0x17ffc);
        run(&mut c, &[0xc9]); // leave
        assert_eq!((c.regs[ESP], c.regs[EBP]), (0x18000, 0x17000));
        // The new top of stack must be writable; nothing changes on a fault.
        run(&mut c, &[0xc8, 0x00, 0x90, 0x00]); // enter 0x9000, 0
        assert_eq!(c.exit, exit::EXC);
        assert_eq!((c.regs[ESP], c.regs[EBP]), (0x18000, 0x17000));
    }

    #[test]
    fn cmov_reads_memory_even_if_false() {
        let mut c = cpu();
        c.regs[ESI] = 0x30000;
        c.flags.set_arith(0, ZF);
        run(&mut c, &[0x0f, 0x44, 0x06]); // cmove eax, [esi]
        assert_eq!(c.exit, exit::EXC);
    }

    #[test]
    fn lahf_sahf_and_extensions() {
        let mut c = cpu();
        c.regs[EAX] = 0xd500;
        run(&mut c, &[0x9e]);
        assert_eq!(c.flags.get() & ARITH, SF | ZF | AF | PF | CF);
        c.regs[EAX] = 0;
        run(&mut c, &[0x9f]);
        assert_eq!(c.regs[EAX], 0xd700);
        c.regs[EAX] = 0x1234_8000;
        run(&mut c, &[0x99]); // cdq
        assert_eq!(c.regs[EDX], 0);
        run(&mut c, &[0x98]); // cwde
        assert_eq!(c.regs[EAX], 0xffff_8000);
        run(&mut c, &[0x99]);
        assert_eq!(c.regs[EDX], 0xffff_ffff);
    }
}
