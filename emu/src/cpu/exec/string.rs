//! String instructions: movs, stos, lods, scas, cmps in 8/16/32-bit sizes,
//! with rep (movs/stos/lods) and repe/repne (scas/cmps), the DF direction,
//! a segment override on the source (ds:esi by default; the es:edi
//! destination cannot be overridden) and 16-bit addressing (0x67: si/di/cx).
//!
//! Rep forms update esi/edi/ecx after every element or bulk chunk, so a
//! fault in the middle leaves the registers describing the progress so far
//! and the instruction restarts from there, as on hardware. With a zero
//! count nothing happens (flags unchanged).
//!
//! Fast path: with DF=0 and 32-bit addressing, rep movs/stos and repe/repne
//! scas/cmps process whole elements that fit in the current page(s) directly
//! in host memory, after a permission check of the pages involved.
//! Destination pages holding cached code (`P_CODE`) never take it: the next
//! element goes through the slow write path, which reports self-modifying
//! code (and clears `P_CODE`, so the rest of that page goes fast). Elements
//! that cross a page boundary, unmapped pages and all DF=1 / 16-bit forms
//! use the per-element path through the ordinary `Cpu` memory API.

use iced_x86::{Code, Instruction, OpKind};

use crate::by_size;

use crate::cpu::exec::alu::{alu, CMP};
use crate::cpu::{Cpu, Handler, Inst, ECX, EDI, ES, ESI, SEG_W};
use crate::mem::{PAGE_SHIFT, P_CODE, P_PRESENT, P_READ, P_WRITE};

/// `REP` parameter of scas/cmps: no prefix, repe (F3), repne (F2).
const NOREP: u8 = 0;
const REPE: u8 = 1;
const REPNE: u8 = 2;

// ---- register and address helpers ----

#[inline(always)]
fn get<const A16: bool>(c: &Cpu, r: usize) -> u32 {
    if A16 {
        c.regs[r] & 0xffff
    } else {
        c.regs[r]
    }
}

#[inline(always)]
fn put<const A16: bool>(c: &mut Cpu, r: usize, v: u32) {
    if A16 {
        c.set_r16(r as u8, v)
    } else {
        c.regs[r] = v
    }
}

/// Advance index register `r` by `n` elements of size `SZ` in the DF direction.
#[inline(always)]
fn adv<const SZ: u8, const A16: bool>(c: &mut Cpu, r: usize, n: u32) {
    let d = n << SZ;
    let v = get::<A16>(c, r);
    let v = if c.flags.df() {
        v.wrapping_sub(d)
    } else {
        v.wrapping_add(d)
    };
    put::<A16>(c, r, v);
}

/// Linear address of the source element (seg:esi).
#[inline(always)]
fn src<const A16: bool, const SZ: u8>(c: &Cpu, i: &Inst) -> u32 {
    c.lin(i.seg as usize, get::<A16>(c, ESI), 1 << SZ)
}

/// Linear address of the destination element (es:edi), written.
#[inline(always)]
fn dst<const A16: bool, const SZ: u8>(c: &Cpu) -> u32 {
    c.lin(ES | SEG_W, get::<A16>(c, EDI), 1 << SZ)
}

/// Linear address of an element compared at es:edi (cmps, scas), read.
#[inline(always)]
fn dst_rd<const A16: bool, const SZ: u8>(c: &Cpu) -> u32 {
    c.lin(ES, get::<A16>(c, EDI), 1 << SZ)
}

/// The bulk (whole-page) paths check no segment limits: they are taken only
/// when the segments involved are flat. Otherwise every element goes
/// through `src`/`dst`, which check it.
#[inline(always)]
fn flat(c: &Cpu, segs: u8) -> bool {
    c.lim_mask & segs as u32 == 0
}

/// Whole `SZ` elements from `a` to the end of its page (at most `n`).
#[inline(always)]
fn in_page<const SZ: u8>(a: u32, n: u32) -> u32 {
    ((0x1000 - (a & 0xfff)) >> SZ).min(n)
}

/// May the fast path read the page holding `a`?
#[inline(always)]
fn readable(c: &Cpu, a: u32) -> bool {
    c.perm(a >> PAGE_SHIFT) & (P_PRESENT | P_READ) == P_PRESENT | P_READ
}

/// May the fast path write the page holding `a`? (Not if it holds cached code.)
#[inline(always)]
fn writable(c: &Cpu, a: u32) -> bool {
    c.perm(a >> PAGE_SHIFT) & (P_PRESENT | P_WRITE | P_CODE) == P_PRESENT | P_WRITE
}

#[inline(always)]
unsafe fn hrd<const SZ: u8>(p: *const u8) -> u32 {
    match SZ {
        0 => *p as u32,
        1 => (p as *const u16).read_unaligned() as u32,
        _ => (p as *const u32).read_unaligned(),
    }
}

#[inline(always)]
unsafe fn hwr<const SZ: u8>(p: *mut u8, v: u32) {
    match SZ {
        0 => *p = v as u8,
        1 => (p as *mut u16).write_unaligned(v as u16),
        _ => (p as *mut u32).write_unaligned(v),
    }
}

/// Does the rep loop stop after an element that compared `eq`?
#[inline(always)]
const fn stops<const REP: u8>(eq: bool) -> bool {
    match REP {
        REPE => !eq,
        REPNE => eq,
        _ => true,
    }
}

// ---- movs ----

/// One movs element; None after a fault (nothing changed).
#[inline(always)]
fn movs1<const SZ: u8, const A16: bool>(c: &mut Cpu, i: &Inst) -> Option<()> {
    let s = src::<A16, SZ>(c, i);
    let v = c.rd_sz(SZ, s)?;
    let d = dst::<A16, SZ>(c);
    c.wr_sz(SZ, d, v)?;
    adv::<SZ, A16>(c, ESI, 1);
    adv::<SZ, A16>(c, EDI, 1);
    Some(())
}

/// Copy up to `n` elements that fit in the current source and destination
/// pages in host memory (DF=0, 32-bit addressing). Returns how many were
/// copied: 0 if the fast conditions do not hold.
#[inline(always)]
fn movs_chunk<const SZ: u8>(c: &mut Cpu, i: &Inst, n: u32) -> u32 {
    if !flat(c, 1 << (i.seg & 7) | 1 << ES) {
        return 0;
    }
    let s = src::<false, SZ>(c, i);
    let d = dst::<false, SZ>(c);
    let k = in_page::<SZ>(s, n).min(in_page::<SZ>(d, n));
    if k == 0 || !readable(c, s) || !writable(c, d) {
        return 0;
    }
    let bytes = (k << SZ) as usize;
    let (ps, pd) = (c.host(s), c.host(d));
    let dist = d.wrapping_sub(s) as usize;
    // SAFETY: both ranges lie within one present guest page each.
    unsafe {
        if dist >= bytes {
            // No forward overlap: memmove gives the element-by-element result.
            std::ptr::copy(ps, pd, bytes);
        } else if dist != 0 {
            // The destination runs ahead of the source inside the chunk:
            // elements read what earlier elements wrote (pattern fill).
            for j in 0..bytes >> SZ {
                let o = j << SZ;
                hwr::<SZ>(pd.add(o), hrd::<SZ>(ps.add(o)));
            }
        }
    }
    k
}

fn movs<const REP: bool, const A16: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    if !REP {
        movs1::<SZ, A16>(c, i);
        return;
    }
    loop {
        let n = get::<A16>(c, ECX);
        if n == 0 {
            return;
        }
        if !A16 && !c.flags.df() {
            let k = movs_chunk::<SZ>(c, i, n);
            if k != 0 {
                c.regs[ESI] = c.regs[ESI].wrapping_add(k << SZ);
                c.regs[EDI] = c.regs[EDI].wrapping_add(k << SZ);
                c.regs[ECX] = n - k;
                continue;
            }
        }
        if movs1::<SZ, A16>(c, i).is_none() {
            return;
        }
        put::<A16>(c, ECX, n - 1);
    }
}

// ---- stos ----

#[inline(always)]
fn stos1<const SZ: u8, const A16: bool>(c: &mut Cpu, v: u32) -> Option<()> {
    let d = dst::<A16, SZ>(c);
    c.wr_sz(SZ, d, v)?;
    adv::<SZ, A16>(c, EDI, 1);
    Some(())
}

/// Fill up to `n` elements in the current destination page (DF=0, 32-bit
/// addressing). Returns how many were stored: 0 if the fast conditions fail.
#[inline(always)]
fn stos_chunk<const SZ: u8>(c: &mut Cpu, v: u32, n: u32) -> u32 {
    if !flat(c, 1 << ES) {
        return 0;
    }
    let d = dst::<false, SZ>(c);
    let k = in_page::<SZ>(d, n);
    if k == 0 || !writable(c, d) {
        return 0;
    }
    let pd = c.host(d);
    let b = v as u8;
    let uniform = match SZ {
        0 => true,
        1 => v & 0xffff == (b as u32) * 0x0101,
        _ => v == (b as u32) * 0x0101_0101,
    };
    // SAFETY: the range lies within one present, writable guest page.
    unsafe {
        if uniform {
            std::ptr::write_bytes(pd, b, (k << SZ) as usize);
        } else {
            for j in 0..k as usize {
                hwr::<SZ>(pd.add(j << SZ), v);
            }
        }
    }
    k
}

fn stos<const REP: bool, const A16: bool, const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let v = c.reg(SZ, 0);
    if !REP {
        stos1::<SZ, A16>(c, v);
        return;
    }
    loop {
        let n = get::<A16>(c, ECX);
        if n == 0 {
            return;
        }
        if !A16 && !c.flags.df() {
            let k = stos_chunk::<SZ>(c, v, n);
            if k != 0 {
                c.regs[EDI] = c.regs[EDI].wrapping_add(k << SZ);
                c.regs[ECX] = n - k;
                continue;
            }
        }
        if stos1::<SZ, A16>(c, v).is_none() {
            return;
        }
        put::<A16>(c, ECX, n - 1);
    }
}

// ---- lods ----

#[inline(always)]
fn lods1<const SZ: u8, const A16: bool>(c: &mut Cpu, i: &Inst) -> Option<()> {
    let s = src::<A16, SZ>(c, i);
    let v = c.rd_sz(SZ, s)?;
    c.set_reg(SZ, 0, v);
    adv::<SZ, A16>(c, ESI, 1);
    Some(())
}

fn lods<const REP: bool, const A16: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    if !REP {
        lods1::<SZ, A16>(c, i);
        return;
    }
    loop {
        let n = get::<A16>(c, ECX);
        if n == 0 {
            return;
        }
        if lods1::<SZ, A16>(c, i).is_none() {
            return;
        }
        put::<A16>(c, ECX, n - 1);
    }
}

// ---- scas ----

/// One scas element: compare the accumulator with es:[edi]. Returns whether
/// they were equal, None after a fault (nothing changed).
#[inline(always)]
fn scas1<const SZ: u8, const A16: bool>(c: &mut Cpu, a: u32) -> Option<bool> {
    let d = dst_rd::<A16, SZ>(c);
    let v = c.rd_sz(SZ, d)?;
    alu::<CMP, SZ>(&mut c.flags, a, v);
    adv::<SZ, A16>(c, EDI, 1);
    Some(a == v)
}

/// Scan up to `n` elements in the current page in host memory (DF=0, 32-bit
/// addressing, repe/repne). Returns (elements processed, stopped early);
/// (0, _) if the fast conditions fail. Flags are those of the last element.
#[inline(always)]
fn scas_chunk<const REP: u8, const SZ: u8>(c: &mut Cpu, a: u32, n: u32) -> (u32, bool) {
    if !flat(c, 1 << ES) {
        return (0, false);
    }
    let d = dst_rd::<false, SZ>(c);
    let k = in_page::<SZ>(d, n);
    if k == 0 || !readable(c, d) {
        return (0, false);
    }
    let pd = c.host(d);
    let mut j = 0;
    let mut v;
    // SAFETY: the range lies within one present, readable guest page.
    let stopped = loop {
        v = unsafe { hrd::<SZ>(pd.add((j << SZ) as usize)) };
        j += 1;
        if stops::<REP>(a == v) {
            break true;
        }
        if j == k {
            break false;
        }
    };
    alu::<CMP, SZ>(&mut c.flags, a, v);
    (j, stopped)
}

fn scas<const REP: u8, const A16: bool, const SZ: u8>(c: &mut Cpu, _: &Inst) {
    let a = c.reg(SZ, 0);
    if REP == NOREP {
        scas1::<SZ, A16>(c, a);
        return;
    }
    loop {
        let n = get::<A16>(c, ECX);
        if n == 0 {
            return;
        }
        if !A16 && !c.flags.df() {
            let (k, stopped) = scas_chunk::<REP, SZ>(c, a, n);
            if k != 0 {
                c.regs[EDI] = c.regs[EDI].wrapping_add(k << SZ);
                c.regs[ECX] = n - k;
                if stopped {
                    return;
                }
                continue;
            }
        }
        let Some(eq) = scas1::<SZ, A16>(c, a) else {
            return;
        };
        put::<A16>(c, ECX, n - 1);
        if stops::<REP>(eq) {
            return;
        }
    }
}

// ---- cmps ----

/// One cmps element: compare seg:[esi] with es:[edi] (flags of src - dst).
#[inline(always)]
fn cmps1<const SZ: u8, const A16: bool>(c: &mut Cpu, i: &Inst) -> Option<bool> {
    let s = src::<A16, SZ>(c, i);
    let x = c.rd_sz(SZ, s)?;
    let d = dst_rd::<A16, SZ>(c);
    let y = c.rd_sz(SZ, d)?;
    alu::<CMP, SZ>(&mut c.flags, x, y);
    adv::<SZ, A16>(c, ESI, 1);
    adv::<SZ, A16>(c, EDI, 1);
    Some(x == y)
}

/// Like [`scas_chunk`], for cmps with both operands in host memory.
#[inline(always)]
fn cmps_chunk<const REP: u8, const SZ: u8>(c: &mut Cpu, i: &Inst, n: u32) -> (u32, bool) {
    if !flat(c, 1 << (i.seg & 7) | 1 << ES) {
        return (0, false);
    }
    let s = src::<false, SZ>(c, i);
    let d = dst_rd::<false, SZ>(c);
    let k = in_page::<SZ>(s, n).min(in_page::<SZ>(d, n));
    if k == 0 || !readable(c, s) || !readable(c, d) {
        return (0, false);
    }
    let (ps, pd) = (c.host(s), c.host(d));
    let mut j = 0;
    let (mut x, mut y);
    // SAFETY: both ranges lie within one present, readable guest page each.
    let stopped = loop {
        let o = (j << SZ) as usize;
        unsafe {
            x = hrd::<SZ>(ps.add(o));
            y = hrd::<SZ>(pd.add(o));
        }
        j += 1;
        if stops::<REP>(x == y) {
            break true;
        }
        if j == k {
            break false;
        }
    };
    alu::<CMP, SZ>(&mut c.flags, x, y);
    (j, stopped)
}

fn cmps<const REP: u8, const A16: bool, const SZ: u8>(c: &mut Cpu, i: &Inst) {
    if REP == NOREP {
        cmps1::<SZ, A16>(c, i);
        return;
    }
    loop {
        let n = get::<A16>(c, ECX);
        if n == 0 {
            return;
        }
        if !A16 && !c.flags.df() {
            let (k, stopped) = cmps_chunk::<REP, SZ>(c, i, n);
            if k != 0 {
                c.regs[ESI] = c.regs[ESI].wrapping_add(k << SZ);
                c.regs[EDI] = c.regs[EDI].wrapping_add(k << SZ);
                c.regs[ECX] = n - k;
                if stopped {
                    return;
                }
                continue;
            }
        }
        let Some(eq) = cmps1::<SZ, A16>(c, i) else {
            return;
        };
        put::<A16>(c, ECX, n - 1);
        if stops::<REP>(eq) {
            return;
        }
    }
}

// ---- decode ----

const OP_MOVS: u8 = 0;
const OP_STOS: u8 = 1;
const OP_LODS: u8 = 2;
const OP_SCAS: u8 = 3;
const OP_CMPS: u8 = 4;

/// Handler for a rep-style op (`rep` = any F2/F3 prefix).
fn pick_rep(op: u8, rep: bool, a16: bool, sz: u8) -> Handler {
    macro_rules! p {
        ($f:ident) => {
            match (rep, a16) {
                (false, false) => by_size!(sz, $f::<false, false>),
                (false, true) => by_size!(sz, $f::<false, true>),
                (true, false) => by_size!(sz, $f::<true, false>),
                (true, true) => by_size!(sz, $f::<true, true>),
            }
        };
    }
    match op {
        OP_MOVS => p!(movs),
        OP_STOS => p!(stos),
        _ => p!(lods),
    }
}

/// Handler for a compare op with `rep` NOREP/REPE/REPNE.
fn pick_cmp(op: u8, rep: u8, a16: bool, sz: u8) -> Handler {
    macro_rules! p {
        ($f:ident) => {
            match (rep, a16) {
                (NOREP, false) => by_size!(sz, $f::<NOREP, false>),
                (NOREP, true) => by_size!(sz, $f::<NOREP, true>),
                (REPE, false) => by_size!(sz, $f::<REPE, false>),
                (REPE, true) => by_size!(sz, $f::<REPE, true>),
                (_, false) => by_size!(sz, $f::<REPNE, false>),
                (_, true) => by_size!(sz, $f::<REPNE, true>),
            }
        };
    }
    if op == OP_SCAS {
        p!(scas)
    } else {
        p!(cmps)
    }
}

pub fn decode(ins: &Instruction, d: &mut Inst) -> bool {
    use Code::*;
    let (op, sz) = match ins.code() {
        Movsb_m8_m8 => (OP_MOVS, 0),
        Movsw_m16_m16 => (OP_MOVS, 1),
        Movsd_m32_m32 => (OP_MOVS, 2),
        Stosb_m8_AL => (OP_STOS, 0),
        Stosw_m16_AX => (OP_STOS, 1),
        Stosd_m32_EAX => (OP_STOS, 2),
        Lodsb_AL_m8 => (OP_LODS, 0),
        Lodsw_AX_m16 => (OP_LODS, 1),
        Lodsd_EAX_m32 => (OP_LODS, 2),
        Scasb_AL_m8 => (OP_SCAS, 0),
        Scasw_AX_m16 => (OP_SCAS, 1),
        Scasd_EAX_m32 => (OP_SCAS, 2),
        Cmpsb_m8_m8 => (OP_CMPS, 0),
        Cmpsw_m16_m16 => (OP_CMPS, 1),
        Cmpsd_m32_m32 => (OP_CMPS, 2),
        _ => return false,
    };
    let mut a16 = false;
    let mut seg = crate::cpu::DS as u8;
    for n in 0..ins.op_count() {
        match ins.op_kind(n) {
            OpKind::MemorySegSI | OpKind::MemoryESDI => a16 = true,
            OpKind::MemorySegESI | OpKind::MemoryESEDI => {}
            OpKind::Register => {}
            _ => return false,
        }
        if matches!(ins.op_kind(n), OpKind::MemorySegSI | OpKind::MemorySegESI) {
            match crate::cpu::decode::sreg(ins.memory_segment()) {
                Some(s) => seg = s,
                None => return false,
            }
        }
    }
    d.seg = seg;
    d.a16 = a16 as u8;
    d.h = if op <= OP_LODS {
        pick_rep(op, ins.has_rep_prefix() || ins.has_repne_prefix(), a16, sz)
    } else {
        let rep = if ins.has_repne_prefix() {
            REPNE
        } else if ins.has_repe_prefix() {
            REPE
        } else {
            NOREP
        };
        pick_cmp(op, rep, a16, sz)
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::flags::{ARITH, CF, DF, OF, PF, SF, ZF};
    use crate::cpu::{exit, vec, EAX};
    use iced_x86::{Decoder, DecoderOptions};

    fn cpu() -> Cpu {
        Cpu::for_tests()
    }

    /// Decode `bytes` as one instruction at 0x1000.
    fn inst(bytes: &[u8]) -> Inst {
        crate::cpu::decode::decode_one(bytes, 0x1000).expect("decodes")
    }

    fn run(c: &mut Cpu, bytes: &[u8]) {
        let i = inst(bytes);
        c.exec_one(&i);
    }

    fn fill(c: &Cpu, a: u32, data: &[u8]) {
        c.mem.write_raw(a, data);
    }

    fn bytes(c: &Cpu, a: u32, n: u32) -> Vec<u8> {
        c.mem.read_raw(a, n)
    }

    #[test]
    fn rep_movsb_across_pages() {
        let mut c = cpu();
        let data: Vec<u8> = (0..10000u32).map(|x| (x * 7) as u8).collect();
        fill(&c, 0x10003, &data);
        c.regs[ESI] = 0x10003;
        c.regs[EDI] = 0x15001;
        c.regs[ECX] = 10000;
        run(&mut c, &[0xf3, 0xa4]);
        assert_eq!(bytes(&c, 0x15001, 10000), data);
        assert_eq!(c.regs[ECX], 0);
        assert_eq!(c.regs[ESI], 0x10003 + 10000);
        assert_eq!(c.regs[EDI], 0x15001 + 10000);
    }

    #[test]
    fn rep_movs_forward_overlap_replicates() {
        let mut c = cpu();
        fill(&c, 0x10000, b"abc");
        c.regs[ESI] = 0x10000;
        c.regs[EDI] = 0x10003;
        c.regs[ECX] = 9;
        run(&mut c, &[0xf3, 0xa4]);
        assert_eq!(bytes(&c, 0x10000, 12), b"abcabcabcabc");
        // movsd with a distance of 1 byte: each dword is read before written.
        fill(&c, 0x11000, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        c.regs[ESI] = 0x11000;
        c.regs[EDI] = 0x11001;
        c.regs[ECX] = 2;
        run(&mut c, &[0xf3, 0xa5]);
        assert_eq!(bytes(&c, 0x11000, 10), [1, 1, 2, 3, 4, 4, 6, 7, 8, 10]);
    }

    #[test]
    fn rep_movsd_backward() {
        let mut c = cpu();
        fill(&c, 0x10000, &[1, 2, 3, 4, 5, 6, 7, 8]);
        c.flags.bits |= DF;
        c.regs[ESI] = 0x10004;
        c.regs[EDI] = 0x10008;
        c.regs[ECX] = 2;
        run(&mut c, &[0xf3, 0xa5]);
        assert_eq!(bytes(&c, 0x10000, 12), [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((c.regs[ESI], c.regs[EDI]), (0x0fffc, 0x10000));
    }

    #[test]
    fn rep_stos_fault_keeps_progress() {
        let mut c = cpu();
        c.regs[EAX] = 0x11223344;
        c.regs[EDI] = 0x20000 - 8;
        c.regs[ECX] = 5;
        c.flags.set_arith(CF, ARITH);
        run(&mut c, &[0xf3, 0xab]);
        assert_eq!(c.exit, exit::EXC);
        assert_eq!(c.exc.vector, vec::PF);
        assert_eq!(c.exc.cr2, 0x20000);
        assert_eq!(c.regs[ECX], 3);
        assert_eq!(c.regs[EDI], 0x20000);
        assert_eq!(
            bytes(&c, 0x1fff8, 8),
            [0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11]
        );
        assert!(c.flags.cf());
    }

    #[test]
    fn rep_with_zero_count_is_nop() {
        let mut c = cpu();
        c.regs[EDI] = 0x10000;
        c.flags.set_arith(ZF, ARITH);
        run(&mut c, &[0xf2, 0xae]);
        assert_eq!(c.regs[EDI], 0x10000);
        assert_eq!(c.flags.get() & ARITH, ZF);
    }

    #[test]
    fn repne_scasb_strlen() {
        let mut c = cpu();
        fill(&c, 0x10ffa, b"hello world\0");
        c.regs[EAX] = 0;
        c.regs[EDI] = 0x10ffa;
        c.regs[ECX] = 0xffff_ffff;
        run(&mut c, &[0xf2, 0xae]);
        assert_eq!(!c.regs[ECX] - 1, 11);
        assert_eq!(c.regs[EDI], 0x10ffa + 12);
        assert!(c.flags.zf());
        // Not found: stops on ecx == 0 with ZF clear.
        c.regs[EAX] = b'z' as u32;
        c.regs[EDI] = 0x10ffa;
        c.regs[ECX] = 5;
        run(&mut c, &[0xf2, 0xae]);
        assert_eq!(c.regs[ECX], 0);
        assert!(!c.flags.zf());
    }

    #[test]
    fn repe_cmps_flags_of_last_element() {
        let mut c = cpu();
        fill(&c, 0x10000, b"abcdX");
        fill(&c, 0x12000, b"abcdA");
        c.regs[ESI] = 0x10000;
        c.regs[EDI] = 0x12000;
        c.regs[ECX] = 100;
        run(&mut c, &[0xf3, 0xa6]);
        assert_eq!(c.regs[ECX], 95);
        assert_eq!(c.regs[ESI], 0x10005);
        assert!(!c.flags.zf() && !c.flags.cf()); // 'X' > 'A'
                                                 // cmpsw, 16-bit addressing: si/di/cx wrap at 64K.
        let mut c = cpu();
        c.regs[ESI] = 0xabcd_0000;
        c.regs[EDI] = 0x1234_0002;
        c.regs[ECX] = 0x5555_0001;
        // ds and es with base 0x10000 (every based segment takes the
        // segment path, which `refresh_limits` marks).
        for s in [3, ES] {
            c.segs[s].base = 0x10000;
            c.seg_base[s] = 0x10000;
        }
        c.refresh_limits();
        fill(&c, 0x10000, &[0x00, 0x80, 0x01, 0x00]);
        run(&mut c, &[0x67, 0xf3, 0x66, 0xa7]);
        assert_eq!(c.regs[ECX], 0x5555_0000);
        assert_eq!(c.regs[ESI], 0xabcd_0002);
        assert_eq!(c.regs[EDI], 0x1234_0004);
        assert_eq!(c.flags.get() & (CF | SF | ZF | PF | OF), PF | OF);
    }

    #[test]
    fn segment_override_on_source() {
        let mut c = cpu();
        // A flat TLS-like data segment with base 0x8000 (a null fs would #GP).
        c.segs[crate::cpu::FS] = crate::cpu::Seg {
            sel: 0x63,
            base: 0x8000,
            limit: 0xffff_ffff,
            attr: 0xf3,
            big: true,
        };
        c.seg_base[crate::cpu::FS] = 0x8000;
        c.refresh_limits();
        fill(&c, 0x18000, &[0x5a, 0x77]);
        c.regs[ESI] = 0x10000;
        c.regs[EDI] = 0x11000;
        run(&mut c, &[0x64, 0xa4]);
        assert_eq!(bytes(&c, 0x11000, 1), [0x5a]);
        run(&mut c, &[0x64, 0xac]); // lods fs:
        assert_eq!(c.regs[EAX] & 0xff, 0x77);
    }

    #[test]
    fn rep_stos_to_code_page_reports_smc() {
        let mut c = cpu();
        c.mem.mark_code(0x13);
        c.regs[EAX] = 0x90;
        c.regs[EDI] = 0x12ff0;
        c.regs[ECX] = 0x100;
        run(&mut c, &[0xf3, 0xaa]);
        assert_eq!(c.exit, exit::SMC);
        assert_eq!(c.smc_page, 0x13);
        assert_eq!(c.regs[ECX], 0);
        assert_eq!(bytes(&c, 0x12ff0, 0x100), vec![0x90; 0x100]);
    }

    #[test]
    fn lock_on_string_is_invalid() {
        let mut dec = Decoder::with_ip(32, &[0xf0, 0xa4], 0, DecoderOptions::NONE);
        assert!(dec.decode().is_invalid());
    }
}
