//! jmp, jcc, call, ret, loop*, jcxz/jecxz, int n, int3, into, int1, ud2,
//! sysenter, and the far forms of jmp, call and ret plus iret in user mode.
//! Every handler here ends a block and sets `eip` itself.

use iced_x86::{Code, ConditionCode, Instruction, MemorySize, Mnemonic, OpKind};

use crate::arch::desc::Desc;
use crate::cpu::decode::{opnd, Opnd};
use crate::cpu::exec::mov::POPF_MASK;
use crate::cpu::flags::{NT, RF};
use crate::cpu::{exit, th, th_load, th_safe, vec, Cpu, Handler, Inst, Seg, CS, ECX, ESP, SS};

/// Condition code nibble (0 = o .. 15 = g) of a jcc/setcc/cmovcc/fcmov.
pub fn cc_of(ins: &Instruction) -> Option<u8> {
    match ins.condition_code() {
        ConditionCode::None => None,
        c => Some(c as u8 - 1),
    }
}

pub(crate) fn jmp(c: &mut Cpu, i: &Inst) {
    c.eip = i.imm2;
}

#[inline(always)]
pub(crate) fn jcc<const CC: u8>(c: &mut Cpu, i: &Inst) {
    c.eip = if c.flags.cond(CC) { i.imm2 } else { i.next() };
}

/// `OPSZ` 2 = 32-bit, 1 = 16-bit operand size.
pub(crate) fn jmp_r<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    c.eip = c.reg(OPSZ, i.r);
}

fn jmp_m<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    if let Some(t) = c.rd_sz(OPSZ, a) {
        c.eip = t;
    }
}

#[inline(always)]
fn push_ret<const OPSZ: u8>(c: &mut Cpu, ret: u32) -> Option<()> {
    if OPSZ == 2 {
        c.push32(ret)
    } else {
        c.push16(ret)
    }
}

pub(crate) fn call<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = i.imm2;
    }
}

/// A direct jmp inside a block that goes on at its target (see
/// [`inline_branch`]): nothing to do, the next instruction is the target's.
pub(crate) fn jmp_inline(_: &mut Cpu, _: &Inst) {}

/// A direct 32-bit call inside a block that goes on at its target: push
/// the return address only.
fn call_inline(c: &mut Cpu, i: &Inst) {
    let _ = c.push32(i.next());
}

/// A near jmp or 32-bit call decoded into `d` whose target lies in the
/// page `page`: the block may go on at the target (a superblock), so `d`
/// becomes the inline form, which does not end the block. Returns the
/// target.
pub fn inline_branch(d: &mut Inst, page: u32) -> Option<u32> {
    let t = d.imm2;
    if t >> crate::mem::PAGE_SHIFT != page {
        return None;
    }
    if d.h.addr() == th_safe(jmp).addr() {
        d.h = th_safe(jmp_inline);
    } else if d.h.addr() == th(call::<2>).addr() {
        d.h = th(call_inline);
    } else {
        return None;
    }
    Some(t)
}

/// The side-exit form of `jcc` (a superblock's conditional branch, see
/// [`side_exit`]): taken, the block is left for the target as at its end
/// (its instructions after this one are not counted: `rm` of them);
/// not taken, the block goes on with the next instruction.
unsafe fn jcc_exit<const CC: u8>(c: &mut Cpu, i: *const Inst) {
    // SAFETY: `i` is an instruction of a block that ends with a marker.
    unsafe {
        if c.flags.cond(CC) {
            leave_at(c, &*i)
        } else {
            crate::cpu::Handler::run(c, i.add(1))
        }
    }
}

/// A side exit `d` taken: on at its target, out of the block.
///
/// # Safety
/// `d` is an instruction of a block in the cache (whose marker names it)
/// or of one on its own (null block: the chain returns).
#[inline(always)]
pub(crate) unsafe fn leave_at(c: &mut Cpu, d: &Inst) {
    c.eip = d.imm2;
    c.chain.skip(d.rm);
    let b = d.marker_block();
    if !b.is_null() {
        unsafe { crate::cpu::cache::chain_on(c, b) }
    }
}

/// The side-exit handler of condition `cc`.
pub fn side_exit_handler(cc: u8) -> Handler {
    macro_rules! t {
        ($($n:literal)*) => { match cc { $($n => Handler::raw(jcc_exit::<$n>),)* _ => unreachable!() } };
    }
    t!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

/// The side-exit handlers' addresses, by condition, and their span.
pub struct SideExits {
    by_cc: [usize; 16],
    lo: usize,
    hi: usize,
}

impl SideExits {
    /// The condition of the side-exit handler at address `a` (None: the
    /// handler there is none).
    #[inline]
    fn cc(&self, a: usize) -> Option<u8> {
        if a < self.lo || a > self.hi {
            return None;
        }
        self.by_cc.iter().position(|&x| x == a).map(|cc| cc as u8)
    }

    /// Whether `h` is a side exit (see [`side_exit`]).
    #[inline]
    pub fn has(&self, h: Handler) -> bool {
        self.has_addr(h.addr())
    }

    /// Whether the handler at address `a` is a side exit.
    #[inline]
    pub fn has_addr(&self, a: usize) -> bool {
        self.cc(a).is_some()
    }
}

/// The side-exit handlers, taken once: every block taken from the
/// translation cache asks of each instruction whether it is one, and a
/// handler outside their span (nearly all) is answered with two compares.
pub fn side_exits() -> &'static SideExits {
    static S: std::sync::OnceLock<SideExits> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let by_cc: [usize; 16] = std::array::from_fn(|cc| side_exit_handler(cc as u8).addr());
        SideExits {
            by_cc,
            lo: *by_cc.iter().min().unwrap(),
            hi: *by_cc.iter().max().unwrap(),
        }
    })
}

/// The condition of a side-exit handler (None: `h` is none).
fn side_exit_cc(h: Handler) -> Option<u8> {
    side_exits().cc(h.addr())
}

/// Whether `h` is a side exit (see [`side_exit`]).
pub fn is_side_exit(h: Handler) -> bool {
    side_exits().has(h)
}

/// Make the jcc decoded into `d` a side exit, so the block goes on with
/// the instruction after it (a superblock): false if `d` is not a jcc.
/// The block's instructions after it (for its `rm`) and its block (for
/// its links, in `disp` and `imm` as a marker's: [`Inst::marker_block`])
/// are filled in when the block is closed and placed.
pub fn side_exit(d: &mut Inst) -> bool {
    match (0..16).find(|&cc| jcc_handler(cc).addr() == d.h.addr()) {
        Some(cc) => {
            d.h = side_exit_handler(cc);
            d.set_marker_block(std::ptr::null());
            true
        }
        None => false,
    }
}

/// Whether `h` sets eip itself when it runs alone (its [`outline`] form):
/// a branch the block went on through, inline or as a side exit.
pub fn sets_eip_alone(h: Handler) -> bool {
    is_inline(h) || is_side_exit(h)
}

/// Whether `h` is the inline form of a branch (execution goes on at
/// `imm2` when it completes), for the run loop's exits and single-step.
pub fn is_inline(h: Handler) -> bool {
    h.addr() == th_safe(jmp_inline).addr() || h.addr() == th(call_inline).addr()
}

/// The ordinary (block-ending) form of an inline branch, for running it
/// alone; other handlers as they are.
pub fn outline(h: Handler) -> Handler {
    if h.addr() == th_safe(jmp_inline).addr() {
        th_safe(jmp)
    } else if h.addr() == th(call_inline).addr() {
        th(call::<2>)
    } else if let Some(cc) = side_exit_cc(h) {
        jcc_handler(cc)
    } else {
        h
    }
}

pub(crate) fn call_r<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let t = c.reg(OPSZ, i.r);
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = t;
    }
}

fn call_m<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let a = c.ea(i);
    let Some(t) = c.rd_sz(OPSZ, a) else { return };
    if push_ret::<OPSZ>(c, i.next()).is_some() {
        c.eip = t;
    }
}

/// ret / ret imm16 (`i.imm` bytes released after the pop).
pub(crate) fn ret<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let t = if OPSZ == 2 { c.pop32() } else { c.pop16() };
    if let Some(t) = t {
        c.regs[crate::cpu::ESP] = c.regs[crate::cpu::ESP].wrapping_add(i.imm);
        c.eip = t;
    }
}

/// loop/loope/loopne (`KIND` 0/1/2); `A16` counts in CX instead of ECX.
fn loop_<const KIND: u8, const A16: bool>(c: &mut Cpu, i: &Inst) {
    let n = if A16 {
        let n = c.regs[ECX].wrapping_sub(1) & 0xffff;
        c.set_r16(ECX as u8, n);
        n
    } else {
        c.regs[ECX] = c.regs[ECX].wrapping_sub(1);
        c.regs[ECX]
    };
    let take = n != 0
        && match KIND {
            1 => c.flags.zf(),
            2 => !c.flags.zf(),
            _ => true,
        };
    c.eip = if take { i.imm2 } else { i.next() };
}

fn jcxz<const A16: bool>(c: &mut Cpu, i: &Inst) {
    let n = if A16 {
        c.regs[ECX] & 0xffff
    } else {
        c.regs[ECX]
    };
    c.eip = if n == 0 { i.imm2 } else { i.next() };
}

/// `int n`, int3, int1: a software interrupt delivered after the instruction.
fn int_n(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::INT;
    c.exc = crate::cpu::Exception {
        vector: i.imm as u8,
        error_code: None,
        cr2: i.len as u32,
    };
}

/// `int1` (icebp, F1): a #DB trap that is not subject to the gate DPL check.
fn icebp(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::TRAP;
    c.exc = crate::cpu::Exception {
        vector: vec::DB,
        error_code: None,
        cr2: 0,
    };
}

fn into(c: &mut Cpu, i: &Inst) {
    if c.flags.of() {
        int_n(c, i);
    } else {
        c.eip = i.next();
    }
}

fn sysenter(c: &mut Cpu, i: &Inst) {
    c.eip = i.next();
    c.exit = exit::SYSENTER;
}

fn ud(c: &mut Cpu, _: &Inst) {
    c.raise(vec::UD, None);
}

// ---- far transfers (SDM vol. 2: JMP, CALL, RET, IRET in protected mode) ----
//
// User code only ever transfers to a code segment at its own privilege
// level: Linux's GDT and modify_ldt's LDT hold no call gates, task gates or
// TSS descriptors a CPL-3 program may name. Segments this interpreter cannot
// run (64-bit, 16-bit, or with a nonzero base) are refused with #GP(sel),
// which the kernel reports as SIGSEGV; on hardware the first two would
// switch the code size (documented as unsupported).

/// The protection checks of a far jmp/call (`ret` = false) or far ret/iret
/// (`ret` = true) to code selector `sel` at `cpl`: Ok, or (vector, error
/// code) of the fault. Pure, for tests.
pub fn far_cs_check(d: Option<Desc>, sel: u16, cpl: u8, ret: bool) -> Result<(), (u8, u32)> {
    let err = (sel & !3) as u32;
    if sel & !3 == 0 {
        return Err((vec::GP, 0));
    }
    let d = d.ok_or((vec::GP, err))?;
    if !d.is_code() {
        // Data, or a system descriptor (gate or TSS) never valid here.
        return Err((vec::GP, err));
    }
    let rpl = (sel & 3) as u8;
    let conforming = d.typ() & 4 != 0;
    let ok = if ret {
        // A return may not go inward; to the same level here.
        rpl == cpl
            && if conforming {
                d.dpl() <= rpl
            } else {
                d.dpl() == rpl
            }
    } else if conforming {
        d.dpl() <= cpl
    } else {
        rpl <= cpl && d.dpl() == cpl
    };
    if !ok {
        return Err((vec::GP, err));
    }
    if !d.present() {
        return Err((vec::NP, err));
    }
    // What this interpreter can execute: flat-based 32-bit code.
    if d.long() || !d.db() || d.base() != 0 {
        return Err((vec::GP, err));
    }
    Ok(())
}

/// Validate a far transfer to `sel:eip` and return the new CS cache
/// (RPL forced to the CPL), or raise the fault.
#[cold]
fn far_target(c: &mut Cpu, sel: u16, eip: u32, ret: bool) -> Option<Seg> {
    let cpl = c.sys.cpl;
    let d = c.desc(sel);
    if let Err((v, e)) = far_cs_check(d, sel, cpl, ret) {
        c.raise(v, Some(e));
        return None;
    }
    let d = d?;
    if eip > d.limit() {
        c.raise(vec::GP, Some(0));
        return None;
    }
    Some(Seg {
        sel: (sel & !3) | cpl as u16,
        base: 0,
        limit: d.limit(),
        attr: d.access(),
        big: true,
    })
}

/// Commit a validated CS and eip.
fn set_cs(c: &mut Cpu, cs: Seg, eip: u32) {
    c.segs[CS] = cs;
    c.seg_base[CS] = 0;
    c.seg_gen[CS] = c.sys.desc_gen;
    c.refresh_limit(CS);
    c.eip = eip;
}

/// Read the `n` `OPSZ`-sized stack slots at esp + 0.. without popping.
fn peek<const OPSZ: u8, const N: usize>(c: &mut Cpu) -> Option<[u32; N]> {
    let w = 1u32 << OPSZ;
    let mut v = [0; N];
    for (k, x) in v.iter_mut().enumerate() {
        let sp = c.regs[ESP].wrapping_add(k as u32 * w);
        *x = c.rd_sz(OPSZ, c.lin(SS, sp, w))?;
    }
    Some(v)
}

/// The far pointer (offset, selector) of a ptr16:16/32 operand:
/// immediate (`i.imm2`:`i.imm`) or `m16:16`/`m16:32` in memory.
fn far_ptr<const OPSZ: u8, const MEM: bool>(c: &mut Cpu, i: &Inst) -> Option<(u32, u16)> {
    if !MEM {
        return Some((i.imm2, i.imm as u16));
    }
    let a = c.ea(i);
    let off = c.rd_sz(OPSZ, a)?;
    let sel = c.rd16(a.wrapping_add(1 << OPSZ))?;
    Some((off, sel as u16))
}

fn jmp_far<const OPSZ: u8, const MEM: bool>(c: &mut Cpu, i: &Inst) {
    let Some((eip, sel)) = far_ptr::<OPSZ, MEM>(c, i) else {
        return;
    };
    if let Some(cs) = far_target(c, sel, eip, false) {
        set_cs(c, cs, eip);
    }
}

/// Far call: push CS (zero-extended to the operand size) and the return
/// offset, both or neither.
fn call_far<const OPSZ: u8, const MEM: bool>(c: &mut Cpu, i: &Inst) {
    let Some((eip, sel)) = far_ptr::<OPSZ, MEM>(c, i) else {
        return;
    };
    let Some(cs) = far_target(c, sel, eip, false) else {
        return;
    };
    let w = 1u32 << OPSZ;
    let sp = c.regs[ESP];
    let old_cs = c.segs[CS].sel as u32;
    let a1 = c.lin(SS, sp.wrapping_sub(w), w);
    let a2 = c.lin(SS, sp.wrapping_sub(2 * w), w);
    if c.wr_sz(OPSZ, a1, old_cs).is_none() || c.wr_sz(OPSZ, a2, i.next()).is_none() {
        return;
    }
    c.regs[ESP] = sp.wrapping_sub(2 * w);
    set_cs(c, cs, eip);
}

/// Far ret [imm16]: pop eip and CS, then release `i.imm` bytes.
fn ret_far<const OPSZ: u8>(c: &mut Cpu, i: &Inst) {
    let Some([eip, sel]) = peek::<OPSZ, 2>(c) else {
        return;
    };
    let Some(cs) = far_target(c, sel as u16, eip, true) else {
        return;
    };
    c.regs[ESP] = c.regs[ESP].wrapping_add((2 << OPSZ) + i.imm);
    set_cs(c, cs, eip);
}

/// EFLAGS bits iret loads at CPL 3 with IOPL 0: popf's, plus RF.
pub const IRET_MASK_USER: u32 = POPF_MASK | RF;

/// iret/iretd at CPL 3 to the same level. With NT set it would be a task
/// return, which has no TSS back link to go to: #GP(0).
fn iret_user<const OPSZ: u8>(c: &mut Cpu, _: &Inst) {
    if c.flags.get() & NT != 0 {
        return c.raise(vec::GP, Some(0));
    }
    let Some([eip, sel, fl]) = peek::<OPSZ, 3>(c) else {
        return;
    };
    let Some(cs) = far_target(c, sel as u16, eip, true) else {
        return;
    };
    let mask = if OPSZ == 2 {
        IRET_MASK_USER
    } else {
        IRET_MASK_USER & 0xffff
    };
    c.load_flags(fl, mask);
    c.regs[ESP] = c.regs[ESP].wrapping_add(3 << OPSZ);
    set_cs(c, cs, eip);
}

fn jcc_handler(cc: u8) -> Handler {
    macro_rules! t {
        ($($n:literal)*) => { match cc { $($n => th_safe(jcc::<$n>),)* _ => unreachable!() } };
    }
    t!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Mnemonic::*;
    let opsz: u8 = if ins.op_count() > 0 && matches!(ins.op_kind(0), OpKind::NearBranch16) {
        1
    } else {
        2
    };
    let near = matches!(ins.op_kind(0), OpKind::NearBranch16 | OpKind::NearBranch32);
    d.h = match ins.mnemonic() {
        Jmp if near => {
            d.imm2 = ins.near_branch_target() as u32;
            th_safe(jmp)
        }
        Call if near => {
            d.imm2 = ins.near_branch_target() as u32;
            if opsz == 2 {
                th(call::<2>)
            } else {
                th(call::<1>)
            }
        }
        Jmp | Call if matches!(ins.op_kind(0), OpKind::FarBranch16 | OpKind::FarBranch32) => {
            let o16 = ins.op_kind(0) == OpKind::FarBranch16;
            d.imm = ins.far_branch_selector() as u32;
            d.imm2 = if o16 {
                ins.far_branch16() as u32
            } else {
                ins.far_branch32()
            };
            match (ins.mnemonic() == Call, o16) {
                (false, false) => th(jmp_far::<2, false>),
                (false, true) => th(jmp_far::<1, false>),
                (true, false) => th(call_far::<2, false>),
                (true, true) => th(call_far::<1, false>),
            }
        }
        Jmp | Call => {
            let call = ins.mnemonic() == Call;
            match opnd(ins, 0, d) {
                Opnd::Reg(r, sz @ 1..=2) => {
                    d.r = r;
                    match (call, sz) {
                        (false, 2) => th(jmp_r::<2>),
                        (false, _) => th(jmp_r::<1>),
                        (true, 2) => th(call_r::<2>),
                        (true, _) => th(call_r::<1>),
                    }
                }
                Opnd::Mem => match (call, ins.memory_size()) {
                    (false, MemorySize::DwordOffset) => th(jmp_m::<2>),
                    (false, MemorySize::WordOffset) => th(jmp_m::<1>),
                    (true, MemorySize::DwordOffset) => th(call_m::<2>),
                    (true, MemorySize::WordOffset) => th(call_m::<1>),
                    (false, MemorySize::SegPtr32) => th(jmp_far::<2, true>),
                    (false, MemorySize::SegPtr16) => th(jmp_far::<1, true>),
                    (true, MemorySize::SegPtr32) => th(call_far::<2, true>),
                    (true, MemorySize::SegPtr16) => th(call_far::<1, true>),
                    _ => return false,
                },
                _ => return false,
            }
        }
        Ret => {
            d.imm = if ins.op_count() > 0 {
                ins.immediate(0) as u32
            } else {
                0
            };
            // `retw` pops 16 bits: iced marks it with a 16-bit stack slot.
            if matches!(ins.code(), Code::Retnw | Code::Retnw_imm16) {
                th_load(ret::<1>)
            } else {
                th_load(ret::<2>)
            }
        }
        Retf => {
            d.imm = if ins.op_count() > 0 {
                ins.immediate(0) as u32
            } else {
                0
            };
            if matches!(ins.code(), Code::Retfw | Code::Retfw_imm16) {
                th(ret_far::<1>)
            } else {
                th(ret_far::<2>)
            }
        }
        Iret => th(iret_user::<1>),
        Iretd => th(iret_user::<2>),
        _ if ins.is_jcc_short_or_near() => {
            d.imm2 = ins.near_branch_target() as u32;
            jcc_handler(cc_of(ins).unwrap())
        }
        Loop | Loope | Loopne => {
            d.imm2 = ins.near_branch_target() as u32;
            // The counter is CX when the address size is 16.
            let a16 = matches!(
                ins.code(),
                Code::Loop_rel8_16_CX
                    | Code::Loop_rel8_32_CX
                    | Code::Loope_rel8_16_CX
                    | Code::Loope_rel8_32_CX
                    | Code::Loopne_rel8_16_CX
                    | Code::Loopne_rel8_32_CX
            );
            match (ins.mnemonic(), a16) {
                (Loop, false) => th(loop_::<0, false>),
                (Loope, false) => th(loop_::<1, false>),
                (Loopne, false) => th(loop_::<2, false>),
                (Loop, true) => th(loop_::<0, true>),
                (Loope, true) => th(loop_::<1, true>),
                _ => th(loop_::<2, true>),
            }
        }
        Jecxz => {
            d.imm2 = ins.near_branch_target() as u32;
            th(jcxz::<false>)
        }
        Jcxz => {
            d.imm2 = ins.near_branch_target() as u32;
            th(jcxz::<true>)
        }
        Int => {
            d.imm = ins.immediate(0) as u32;
            th(int_n)
        }
        Int3 => {
            d.imm = vec::BP as u32;
            th(int_n)
        }
        Int1 => th(icebp),
        Into => {
            d.imm = vec::OF as u32;
            th(into)
        }
        Sysenter => th(sysenter),
        Ud0 | Ud1 | Ud2 => th(ud),
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each side-exit handler is found with its condition; the jcc
    /// handlers (one of which may lie inside the side exits' span) are
    /// not side exits.
    #[test]
    fn side_exits_are_found_by_address() {
        for cc in 0..16 {
            assert_eq!(side_exit_cc(side_exit_handler(cc)), Some(cc));
            assert!(!is_side_exit(jcc_handler(cc)), "jcc {cc}");
        }
        let s = side_exits();
        assert!(s.lo < s.hi && s.by_cc.iter().all(|&a| (s.lo..=s.hi).contains(&a)));
    }

    /// A flat 32-bit code descriptor: type 0xb (0xf conforming), at `dpl`.
    fn code(dpl: u8, conforming: bool) -> Option<Desc> {
        let typ = if conforming { 0xf } else { 0xb };
        Some(Desc::segment(0, 0xfffff, typ, dpl, true, false, true, true))
    }

    #[test]
    fn far_jmp_checks() {
        // Same-level nonconforming code, RPL 3 or a lower RPL (made 3).
        assert_eq!(far_cs_check(code(3, false), 0x23, 3, false), Ok(()));
        assert_eq!(far_cs_check(code(3, false), 0x20, 3, false), Ok(()));
        // Null selector: #GP(0); kernel code: #GP(sel).
        assert_eq!(far_cs_check(None, 0x3, 3, false), Err((vec::GP, 0)));
        assert_eq!(
            far_cs_check(code(0, false), 0x10, 3, false),
            Err((vec::GP, 0x10))
        );
        // Conforming code of a more privileged level may be entered.
        assert_eq!(far_cs_check(code(0, true), 0x13, 3, false), Ok(()));
        // Past the table, data, not present.
        assert_eq!(far_cs_check(None, 0x7f, 3, false), Err((vec::GP, 0x7c)));
        let data = Desc::segment(0, 0xfffff, 0x3, 3, true, false, true, true);
        assert_eq!(
            far_cs_check(Some(data), 0x2b, 3, false),
            Err((vec::GP, 0x28))
        );
        let np = Desc::segment(0, 0xfffff, 0xb, 3, false, false, true, true);
        assert_eq!(far_cs_check(Some(np), 0x7, 3, false), Err((vec::NP, 0x4)));
        // What the interpreter cannot run: 64-bit, 16-bit, based code.
        let long = Desc(code(3, false).unwrap().0 | 1 << 53);
        assert_eq!(
            far_cs_check(Some(long), 0x33, 3, false),
            Err((vec::GP, 0x30))
        );
        let c16 = Desc::segment(0, 0xffff, 0xb, 3, true, false, false, false);
        assert_eq!(far_cs_check(Some(c16), 0xf, 3, false), Err((vec::GP, 0xc)));
        let based = Desc::segment(0x1000, 0xfffff, 0xb, 3, true, false, true, true);
        assert_eq!(
            far_cs_check(Some(based), 0xf, 3, false),
            Err((vec::GP, 0xc))
        );
    }

    #[test]
    fn far_ret_checks() {
        assert_eq!(far_cs_check(code(3, false), 0x23, 3, true), Ok(()));
        // RPL below the CPL would return inward.
        assert_eq!(
            far_cs_check(code(3, false), 0x20, 3, true),
            Err((vec::GP, 0x20))
        );
        // Conforming: DPL <= RPL.
        assert_eq!(far_cs_check(code(0, true), 0x13, 3, true), Ok(()));
        assert_eq!(
            far_cs_check(code(0, false), 0x13, 3, true),
            Err((vec::GP, 0x10))
        );
    }
}
