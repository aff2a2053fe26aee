//! Superinstructions: a pair of adjacent guest instructions run by one
//! threaded handler.
//!
//! [`th2`] composes two family handlers the way [`th`] wraps one: both
//! semantics inlined into one host function, then one jump to the
//! instruction after the pair. That saves a dispatch (the load of the next
//! handler, the exit test, the indirect jump and its prediction slot), and
//! lets the compiler carry values from the first instruction to the second
//! in host registers: for `cmp eax, 5; je` it sees the lazy flags the cmp
//! stores and the condition the jcc reads in one function, and folds them
//! into a compare and branch.
//!
//! The pairs are the ones the benchmark workloads (busybox sha256sum,
//! md5sum, gzip, bzip2, sort and awk, the CoreMark-like mix, Debian's perl
//! and python3.11) run most, counted from callgrind's call graph of a
//! build with v0 symbol names (a handler's tail jump to the next is a
//! call to it there, and the names carry the generic arguments); see
//! `TABLE`. A block is
//! fused as translation's last step, after the flag liveness pass
//! (`cpu::live`; greedily, left to right): the first
//! instruction of a pair gets the fused handler and the second keeps its
//! operands (and its own handler, which the chain then skips). A fault in
//! either instruction leaves through `exit_at` at the instruction that
//! raised it, so exceptions, `--stats` counts and self-modifying code see
//! two ordinary instructions.
//!
//! Pairs are recognised by handler address. A build with several codegen
//! units may hold two copies of one handler, which then does not fuse:
//! fewer superinstructions, never a wrong one (release and bench builds
//! use one unit; a test checks that fusion happens).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use super::cache::AddrHasher;
use super::{live, th, th_load, th_safe, Cpu, Handler, Inst};

/// The threaded handlers running `f` then `g` on two adjacent
/// instructions: index `3 * wf + wg` by the halves' wrappings
/// ([`super::wrap`]): a checked half (as [`th`] wraps it) notes itself in
/// `exit_at` and tests `exit` after it, a load (as [`th_load`] wraps it)
/// only notes itself, and a safe one (as [`th_safe`] wraps it: semantics
/// that never leave the block) does neither. A pair fuses the wrappers
/// its instructions got: `cmp; jcc` pays no exit test at all.
#[inline(always)]
pub fn th2<F, G>(f: F, g: G) -> [Handler; 9]
where
    F: Fn(&mut Cpu, &Inst) + Copy,
    G: Fn(&mut Cpu, &Inst) + Copy,
{
    use super::wrap::{CHECKED as C, LOAD as L, SAFE as S};
    const { assert!(std::mem::size_of::<F>() == 0 && std::mem::size_of::<G>() == 0) };
    let _ = (f, g);
    [
        Handler::raw(threaded2::<F, G, S, S>),
        Handler::raw(threaded2::<F, G, S, L>),
        Handler::raw(threaded2::<F, G, S, C>),
        Handler::raw(threaded2::<F, G, L, S>),
        Handler::raw(threaded2::<F, G, L, L>),
        Handler::raw(threaded2::<F, G, L, C>),
        Handler::raw(threaded2::<F, G, C, S>),
        Handler::raw(threaded2::<F, G, C, L>),
        Handler::raw(threaded2::<F, G, C, C>),
    ]
}

/// See [`th2`]; the pair's counterpart of `cpu::threaded`.
unsafe fn threaded2<F, G, const WF: u8, const WG: u8>(c: &mut Cpu, i: *const Inst)
where
    F: Fn(&mut Cpu, &Inst) + Copy,
    G: Fn(&mut Cpu, &Inst) + Copy,
{
    use super::wrap::run;
    // SAFETY: F and G are zero-sized (asserted in `th2`); `i` is the first
    // of two instructions of a block, which ends with a marker. Each
    // notes itself in `exit_at` while it runs, as on its own.
    unsafe {
        if run::<F, WF>(c, i) || run::<G, WG>(c, i.add(1)) {
            return;
        }
        Handler::run(c, i.add(2))
    }
}

/// The threaded handlers running `f` then a side exit of condition `CC`
/// (`control::side_exit`: the block leaves for the branch's target when it
/// is taken, else goes on after the pair), indexed by `f`'s wrapping.
#[inline(always)]
pub fn th2x<F, const CC: u8>(f: F) -> [Handler; 3]
where
    F: Fn(&mut Cpu, &Inst) + Copy,
{
    use super::wrap::{CHECKED as C, LOAD as L, SAFE as S};
    const { assert!(std::mem::size_of::<F>() == 0) };
    let _ = f;
    let mut h = [Handler::raw(threaded2x::<F, CC, S>); 3];
    h[L as usize] = Handler::raw(threaded2x::<F, CC, L>);
    h[C as usize] = Handler::raw(threaded2x::<F, CC, C>);
    h
}

/// See [`th2x`].
unsafe fn threaded2x<F, const CC: u8, const WF: u8>(c: &mut Cpu, i: *const Inst)
where
    F: Fn(&mut Cpu, &Inst) + Copy,
{
    // SAFETY: as in `threaded2`; the side exit is the second instruction.
    unsafe {
        if super::wrap::run::<F, WF>(c, i) {
            return;
        }
        if c.flags.cond(CC) {
            super::exec::control::leave_at(c, &*i.add(1))
        } else {
            Handler::run(c, i.add(2))
        }
    }
}

/// Stack pairs written out: two pushes, a push and a call, two pops, or
/// a pop and a return (calls, function prologues and epilogues) with one
/// access of the stack each, the stack pointer loaded and stored once
/// and one segment test. As two composed handlers ([`th2`]) each half
/// went through memory for the stack pointer (a host store may write the
/// `Cpu`, as far as the compiler knows), noted itself and tested the flat
/// segment, the soft-write word and `exit` on its own.
///
/// A fault stays exact: the pair takes its fast path only where both
/// accesses lie on one page, so a fault is the first instruction's, with
/// nothing committed. A pop pair reads both words with one 8-byte load
/// (its address is the first pop's). A push pair (or push and call)
/// stores the first instruction's word first (so a fault's address is
/// its own), and a store to translated code (`guard::claim`) ends the
/// block after the pair. The pairs never fuse with `esp` as an operand
/// the other instruction's stack access would see changed
/// ([`stack::uses_esp`]); any other case (segments that need checks,
/// stores that check themselves, a page boundary) runs the two handlers
/// as [`th2`] composes them. (Another thread that unmaps the page between
/// the two stores of a push pair would see the fault as the first
/// push's, with the first word written.)
mod stack {
    use super::super::exec::control::{call, ret};
    use super::super::exec::mov::{pop_r, push_r};
    use super::super::wrap::CHECKED as C;
    use super::super::{exit, guard, Cpu, Handler, Inst, ESP, SEG_W, SS};
    use super::threaded2;

    /// `f` then `g` as [`th2`] composes them, both checked.
    #[cold]
    #[inline(never)]
    unsafe fn composed<F, G>(f: F, g: G, c: &mut Cpu, i: *const Inst)
    where
        F: Fn(&mut Cpu, &Inst) + Copy,
        G: Fn(&mut Cpu, &Inst) + Copy,
    {
        let _ = (f, g);
        // SAFETY: the caller's contract, as `threaded2`'s.
        unsafe { threaded2::<F, G, C, C>(c, i) }
    }

    /// Whether a stack access of segment `s` (with [`SEG_W`] for a write)
    /// goes to the host as it is: guard pages, a flat stack segment.
    #[inline(always)]
    fn flat(c: &Cpu, s: usize) -> bool {
        guard::ACTIVE && c.seg_unchecked(s)
    }

    /// `push r1; push r2`.
    pub unsafe fn push2(c: &mut Cpu, i: *const Inst) {
        // SAFETY: `i` is the first of two instructions of a block that
        // ends with a marker.
        unsafe {
            let b = &*i.add(1);
            let second = c.regs[b.r as usize];
            if two_pushes(push_r::<2>, push_r::<2>, c, i, second, |_| {}) {
                Handler::run(c, i.add(2))
            }
        }
    }

    /// `push r; call` (a call's argument), the block's last pair.
    pub unsafe fn push_call(c: &mut Cpu, i: *const Inst) {
        // SAFETY: as in `push2`.
        unsafe {
            let b = &*i.add(1);
            if two_pushes(push_r::<2>, call::<2>, c, i, b.next(), |c| c.eip = b.imm2) {
                Handler::run(c, i.add(2))
            }
        }
    }

    /// The pushes of a pair whose first is `push r` and whose second
    /// pushes `second` and then does `done` (a call's jump): true if the
    /// pair goes on (both done and no exit), false if it left (after
    /// both, `done` included) or ran composed (`f`, `g`).
    #[inline(always)]
    unsafe fn two_pushes<F, G>(
        f: F,
        g: G,
        c: &mut Cpu,
        i: *const Inst,
        second: u32,
        done: impl FnOnce(&mut Cpu),
    ) -> bool
    where
        F: Fn(&mut Cpu, &Inst) + Copy,
        G: Fn(&mut Cpu, &Inst) + Copy,
    {
        // SAFETY: the caller's contract; the stores go through guard
        // pages.
        unsafe {
            let a = &*i;
            let hi = c.regs[ESP].wrapping_sub(4);
            if !flat(c, SS | SEG_W) {
                composed(f, g, c, i);
                return false;
            }
            // The second word on the page before.
            if hi & 0xffc == 0 {
                composed(f, g, c, i);
                return false;
            }
            if crate::mem::writes_soft() {
                composed(f, g, c, i);
                return false;
            }
            c.exit_at = i;
            let h = c.host(hi);
            let first = c.regs[a.r as usize];
            let cp: *mut Cpu = c;
            // As `Cpu::host_store`: the `Cpu` as an operand keeps guest
            // state stores on their side of the assembly.
            std::arch::asm!(
                "/* {c} */",
                "mov dword ptr [{h}], {a:e}",
                "mov dword ptr [{h} - 4], {b:e}",
                h = in(reg) h, a = in(reg) first, b = in(reg) second, c = in(reg) cp,
                options(nostack, preserves_flags),
            );
            c.regs[ESP] = hi.wrapping_sub(4);
            done(c);
            if c.exit != exit::NONE {
                // Code written: both completed, the block ends after them.
                c.exit_at = i.add(1);
                return false;
            }
            true
        }
    }

    /// The words at `esp` and `esp + 4`, and `esp`, if the pair may take
    /// them with one load (flat, both on one page); else None, and the
    /// pair ran composed.
    #[inline(always)]
    unsafe fn two_words<F, G>(f: F, g: G, c: &mut Cpu, i: *const Inst) -> Option<(u32, u32, u32)>
    where
        F: Fn(&mut Cpu, &Inst) + Copy,
        G: Fn(&mut Cpu, &Inst) + Copy,
    {
        let sp = c.regs[ESP];
        // SAFETY: the caller's contract; a guest address of the window,
        // as `Cpu::rd` passes it.
        unsafe {
            if !flat(c, SS) || sp & 0xfff > 0xff8 {
                composed(f, g, c, i);
                return None;
            }
            c.exit_at = i;
            let v = c.host_load::<8>(sp);
            Some((v as u32, (v >> 32) as u32, sp))
        }
    }

    /// `pop r1; pop r2`.
    pub unsafe fn pop2(c: &mut Cpu, i: *const Inst) {
        // SAFETY: as in `push2`.
        unsafe {
            let Some((va, vb, sp)) = two_words(pop_r::<2>, pop_r::<2>, c, i) else {
                return;
            };
            let (a, b) = (&*i, &*i.add(1));
            c.regs[ESP] = sp.wrapping_add(8);
            c.regs[a.r as usize] = va;
            c.regs[b.r as usize] = vb;
            Handler::run(c, i.add(2))
        }
    }

    /// `pop r; ret` (and `ret n`): the block's last pair.
    pub unsafe fn pop_ret(c: &mut Cpu, i: *const Inst) {
        // SAFETY: as in `push2`.
        unsafe {
            let Some((va, to, sp)) = two_words(pop_r::<2>, ret::<2>, c, i) else {
                return;
            };
            let (a, b) = (&*i, &*i.add(1));
            c.regs[a.r as usize] = va;
            c.regs[ESP] = sp.wrapping_add(8).wrapping_add(b.imm);
            c.eip = to;
            Handler::run(c, i.add(2))
        }
    }

    /// Whether instructions `a` and `b` of a written-out pair `f` name
    /// `esp` where the pair would read or write it between its two
    /// accesses: a second `push esp`, a pop to `esp` (`pop esp` loads the
    /// stack pointer the next pop or ret uses).
    pub fn uses_esp(f: usize, a: &Inst, b: &Inst) -> bool {
        let esp = |i: &Inst| i.r as usize == ESP;
        let is = |g: unsafe fn(&mut Cpu, *const Inst)| f == Handler::raw(g).addr();
        if is(push2) {
            esp(b)
        } else if is(push_call) {
            false
        } else if is(pop2) {
            esp(a) || esp(b)
        } else if is(pop_ret) {
            esp(a)
        } else {
            false
        }
    }
}

/// Handler addresses hash with one multiplication (translation looks up
/// every adjacent pair).
type Map<K, V> = HashMap<K, V, BuildHasherDefault<AddrHasher>>;

struct Table {
    /// (first handler, second handler) -> fused handler.
    pairs: Map<(usize, usize), Handler>,
    /// A bit per [`first_bit`] of every pair's first handler: most
    /// instructions start no pair, and this rejects them without hashing
    /// (translation asks for every adjacent pair).
    firsts: [u64; 16],
    /// Fused handler -> the first instruction's own handler (single-step).
    first: Map<usize, Handler>,
}

/// Each entry: the wrappings of the two handlers (checked, load, safe),
/// the fused handlers, and the wrappings of the first instruction's
/// handler on its own (single-step).
type Entry = ([Handler; 3], [Handler; 3], [Handler; 9], [Handler; 3]);

/// Semantics `f` for a fused pair, called directly and inlined: a
/// function item called through `Fn` goes through its call shim, which
/// the compiler kept out of line in pairs whose halves are big (an exact
/// rotate next to an add: md5's), so the pair paid a call with its
/// prologue and could not fold the first half's flags into the second's.
/// Only for such pairs: through closures everywhere, loads and stores
/// the compiler had inlined went out of line instead (sha256sum +16%
/// host instructions).
macro_rules! inlined {
    ($f:expr) => {
        #[inline(always)]
        |c: &mut Cpu, i: &Inst| ($f)(c, i)
    };
}

/// [`pairs`] with both halves [`inlined`].
macro_rules! inlined_pairs {
    ($($a:expr , $b:expr);* $(;)?) => {
        vec![$((wrappings($a), wrappings($b), th2(inlined!($a), inlined!($b)), wrappings($a))),*]
    };
}

macro_rules! pairs {
    ($($a:expr , $b:expr);* $(;)?) => {
        vec![$((wrappings($a), wrappings($b), th2($a, $b), wrappings($a))),*]
    };
}

/// Pairs with a cheaper form (`cpu::live`) of either handler: `a (alone),
/// b`, where `alone` is the first's exact handler, which a single step
/// runs.
macro_rules! relaxed_pairs {
    ($($a:expr , ($alone:expr) , $b:expr);* $(;)?) => {
        vec![$((wrappings($a), wrappings($b), th2($a, $b), wrappings($alone))),*]
    };
}

/// Compare-and-branch pairs `a, cc`: `a` then jcc `cc`, fused as a
/// block's last pair (entries as [`pairs`] makes) and with the jcc as a
/// side exit (`a`'s wrappings, the condition and [`th2x`]'s handlers).
macro_rules! branch_pairs {
    ($($a:expr , $cc:ident);* $(;)?) => {
        (
            pairs![$($a, jcc::<$cc>);*],
            vec![$((wrappings($a), $cc, th2x::<_, $cc>($a))),*],
        )
    };
}

/// [`branch_pairs`] with `a` [`inlined`].
macro_rules! inlined_branch_pairs {
    ($($a:expr , $cc:ident);* $(;)?) => {
        (
            inlined_pairs![$($a, jcc::<$cc>);*],
            vec![$((wrappings($a), $cc, th2x::<_, $cc>(inlined!($a)))),*],
        )
    };
}

/// The wrappings [`wrappings`] lists, in its order.
const WRAPS: [u8; 3] = [super::wrap::CHECKED, super::wrap::LOAD, super::wrap::SAFE];

/// `f` as each wrapper wraps it, in the order of [`WRAPS`].
#[inline(always)]
fn wrappings<F: Fn(&mut Cpu, &Inst) + Copy>(f: F) -> [Handler; 3] {
    [th(f), th_load(f), th_safe(f)]
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    use super::am::{ANY, BD, SIB};
    use super::exec::alu::{m, ri, rm, rr, ur, ADC, ADD, AND, CMP, OR, SUB, TEST, XOR};
    use super::exec::alu::{ri_quiet, rr_quiet, ur_no_carry, ur_quiet};
    use super::exec::alu::{sbb_same, um, U_DEC, U_INC, U_NEG, U_NOT};
    use super::exec::bit::bt_m;
    use super::exec::control::{call, call_r, jcc, jmp, jmp_inline, jmp_r, ret};
    use super::exec::mov::{lea, mov_mi, mov_mr, mov_ri, mov_rm, mov_rr, movx_m, movx_r};
    use super::exec::mov::{pop_r, push_m, push_r};
    use super::exec::muldiv::imul_n;
    use super::exec::shift::{sh_rc, sh_ri_quiet, SAR, SHL, SHR};
    use super::exec::shift::{sh_ri, ROL, ROR};
    // Condition codes (the low nibble of jcc's opcode).
    const B: u8 = 2;
    const AE: u8 = 3;
    const E: u8 = 4;
    const NE: u8 = 5;
    const BE: u8 = 6;
    const A: u8 = 7;
    const S: u8 = 8;
    const NS: u8 = 9;
    const L: u8 = 12;
    const GE: u8 = 13;
    const LE: u8 = 14;
    const G: u8 = 15;
    let mut list: Vec<Entry> = pairs![
        // Loads, stores and register moves.
        mov_rm::<BD, 2>, rm::<ADD, BD, 2>;
        mov_mr::<BD, 2>, mov_rm::<BD, 2>;
        mov_rm::<BD, 2>, mov_rm::<BD, 2>;
        mov_rm::<BD, 2>, mov_mr::<BD, 2>;
        mov_rm::<BD, 2>, movx_m::<BD, false, 0, 2>;
        movx_m::<BD, false, 0, 2>, mov_rm::<BD, 2>;
        mov_rr::<2>, mov_rm::<BD, 2>;
        mov_mr::<BD, 2>, mov_mr::<BD, 2>;
        mov_mr::<BD, 2>, mov_rr::<2>;
        mov_rr::<2>, mov_rr::<2>;
        lea::<BD, 2>, mov_mr::<BD, 2>;
        lea::<BD, 2>, mov_rm::<BD, 2>;
        lea::<BD, 2>, mov_rr::<2>;
        mov_rm::<BD, 2>, lea::<BD, 2>;
        mov_rm::<BD, 2>, ret::<2>;
        mov_rr::<2>, jmp;
        // Stack and calls.
        push_r::<2>, push_r::<2>;
        pop_r::<2>, pop_r::<2>;
        pop_r::<2>, ret::<2>;
        push_r::<2>, call::<2>;
        push_r::<2>, ri::<SUB, 2>;
        ri::<ADD, 2>, pop_r::<2>;
        // Arithmetic chains (hashes, checksums).
        mov_rm::<BD, 2>, rr::<ADD, 2>;
        mov_rm::<BD, 2>, rr::<XOR, 2>;
        mov_rm::<BD, 2>, rr::<AND, 2>;
        rm::<ADD, BD, 2>, mov_rr::<2>;
        rm::<ADD, BD, 2>, rr::<ADD, 2>;
        rm::<ADD, BD, 2>, mov_rm::<BD, 2>;
        rm::<ADD, BD, 2>, rm::<ADD, BD, 2>;
        rr::<XOR, 2>, rr::<ADD, 2>;
        rr::<XOR, 2>, mov_rm::<BD, 2>;
        rr::<XOR, 2>, rr::<AND, 2>;
        rr::<AND, 2>, rr::<XOR, 2>;
        rr::<XOR, 2>, mov_rr::<2>;
        rr::<XOR, 2>, mov_mr::<BD, 2>;
        rr::<XOR, 2>, ri::<AND, 2>;
        rr::<ADD, 2>, mov_rm::<BD, 2>;
        rr::<ADD, 2>, mov_rr::<2>;
        mov_rr::<2>, rr::<XOR, 2>;
        mov_rr::<2>, ri::<AND, 2>;
        mov_rr::<2>, ur::<U_NOT, 2>;
        ur::<U_INC, 2>, ri::<CMP, 2>;
        mov_mr::<BD, 1>, ur::<U_INC, 2>;
        ri::<ADD, 1>, mov_mr::<BD, 1>;
        mov_rm::<BD, 1>, ri::<CMP, 1>;
        lea::<BD, 2>, m::<ADD, true, false, BD, 2>;
        m::<ADD, true, false, BD, 2>, mov_rm::<BD, 2>;
        // The interpreters' own (Debian's perl and python3.11): function
        // prologues and frames, their stack arguments, table dispatch.
        push_r::<2>, mov_rr::<2>;
        push_r::<2>, call_r::<2>;
        mov_rm::<BD, 2>, push_r::<2>;
        lea::<BD, 2>, push_r::<2>;
        ri::<SUB, 2>, mov_rm::<BD, 2>;
        ri::<SUB, 2>, mov_mr::<BD, 2>;
        ri::<ADD, 2>, mov_rr::<2>;
        mov_rm::<BD, 2>, mov_rr::<2>;
        mov_rm::<BD, 2>, ri_quiet::<ADD, 2>;
        mov_rm::<BD, 2>, mov_rm::<SIB, 2>;
        mov_rm::<BD, 2>, lea::<SIB, 2>;
        mov_mr::<BD, 2>, ri::<ADD, 2>;
        mov_mr::<BD, 2>, ri_quiet::<ADD, 2>;
        mov_mr::<BD, 2>, movx_m::<BD, false, 1, 2>;
        mov_ri::<2>, mov_mr::<BD, 2>;
        mov_ri::<2>, sh_rc::<SHL, 2>;
        movx_r::<false, 0, 2>, mov_rm::<SIB, 2>;
        movx_r::<false, 1, 2>, mov_mr::<BD, 2>;
        mov_rm::<SIB, 2>, jmp_r::<2>;
        lea::<SIB, 2>, mov_rm::<BD, 2>;
        rm::<OR, BD, 0>, ri_quiet::<ADD, 2>;
        // A jmp the block goes on through (`jmp_inline`, which does
        // nothing) rides along with its neighbour instead of costing a
        // dispatch of its own.
        mov_rr::<2>, jmp_inline;
        mov_mr::<BD, 2>, jmp_inline;
        ri::<ADD, 2>, jmp_inline;
        jmp_inline, mov_rm::<BD, 2>;
        jmp_inline, mov_rm::<BD, 0>;
        jmp_inline, ri::<SUB, 2>;
        // Array scans and compares (bzip2's sorting, sort, awk).
        mov_rm::<SIB, 0>, mov_rm::<SIB, 0>;
        mov_rm::<SIB, 1>, mov_rm::<SIB, 1>;
        mov_rm::<BD, 2>, mov_rm::<SIB, 1>;
        mov_rm::<BD, 2>, mov_mr::<SIB, 2>;
        mov_mr::<BD, 2>, mov_rm::<SIB, 2>;
        lea::<BD, 2>, mov_mr::<SIB, 0>;
        movx_m::<BD, false, 0, 2>, movx_m::<BD, false, 0, 2>;
        mov_mi::<BD, 2>, mov_mi::<BD, 2>;
        // Calls and their arguments.
        mov_rm::<BD, 2>, call::<2>;
        mov_rr::<2>, call::<2>;
        ri::<SUB, 2>, call::<2>;
        // Loads and the arithmetic on them.
        ri::<ADD, 2>, mov_rm::<BD, 2>;
        ri::<ADD, 2>, ri::<ADC, 2>;
        ri::<AND, 2>, mov_rm::<BD, 2>;
        mov_rm::<BD, 2>, rm::<SUB, BD, 2>;
        mov_rm::<BD, 2>, rr::<SUB, 2>;
        mov_rm::<BD, 2>, rr_quiet::<SUB, 2>;
        mov_rm::<BD, 2>, rr_quiet::<OR, 2>;
        mov_rm::<BD, 2>, ri::<AND, 2>;
        mov_rm::<BD, 2>, ri_quiet::<AND, 2>;
        mov_rm::<BD, 0>, lea::<BD, 2>;
        mov_mr::<BD, 0>, mov_rr::<2>;
        mov_mr::<SIB, 2>, ur_quiet::<U_INC, 2>;
        mov_rr::<2>, ri_quiet::<ADD, 2>;
        mov_rr::<2>, sh_ri::<SAR, 2>;
        mov_rr::<2>, sh_rc::<SHL, 2>;
        sh_ri::<SAR, 2>, mov_ri::<2>;
        sh_rc::<SHL, 2>, mov_rr::<2>;
        mov_ri::<2>, mov_rr::<2>;
        ur::<U_INC, 2>, mov_mr::<BD, 0>;
        ri::<ADD, 2>, ur::<U_DEC, 2>;
        rr::<ADD, 2>, jmp_r::<2>;
        ri::<SUB, 2>, mov_rr::<2>;
        mov_rr::<2>, mov_mr::<BD, 2>;
        mov_rr::<2>, sh_ri_quiet::<SHR, 2>;
        mov_rm::<ANY, 2>, mov_mr::<BD, 2>;
        lea::<SIB, 2>, mov_mr::<BD, 2>;
        movx_m::<BD, false, 1, 2>, ur::<U_NEG, 1>;
        mov_rm::<BD, 2>, imul_n::<false, false, 2>;
        // Hashes and checksums (sha256sum, md5sum) and gzip's deflate.
        mov_rm::<BD, 2>, rm::<ADD, SIB, 2>;
        mov_rm::<BD, 2>, rm::<XOR, SIB, 2>;
        rm::<ADD, BD, 2>, rm::<ADD, SIB, 2>;
        rm::<ADD, SIB, 2>, rm::<ADD, SIB, 2>;
        rr::<ADD, 2>, ur::<U_INC, 2>;
        movx_m::<BD, false, 0, 2>, rm::<ADD, BD, 2>;
        ri::<ADD, 1>, mov_mr::<SIB, 1>;
        mov_ri::<2>, ri::<ADD, 1>;
        sh_ri::<SHR, 2>, mov_rm::<BD, 2>;
        mov_mr::<BD, 2>, lea::<SIB, 2>;
        mov_rm::<BD, 0>, rr_quiet::<XOR, 2>;
        movx_r::<false, 0, 2>, sh_ri::<SHR, 2>;
        movx_m::<SIB, false, 0, 2>, mov_rm::<BD, 2>;
        mov_rm::<BD, 2>, sh_ri_quiet::<SHL, 2>;
        mov_rm::<BD, 1>, mov_mr::<SIB, 1>;
        mov_mr::<SIB, 1>, mov_mr::<BD, 1>;
        // The CoreMark-like mix.
        mov_rm::<BD, 2>, m::<ADD, true, false, BD, 2>;
        mov_rm::<BD, 2>, m::<ADD, false, false, BD, 2>;
        m::<ADD, true, false, BD, 2>, movx_m::<BD, true, 1, 2>;
        m::<ADD, true, false, BD, 2>, mov_mr::<BD, 2>;
        movx_m::<BD, true, 1, 2>, mov_rm::<BD, 2>;
        movx_m::<BD, true, 1, 2>, imul_n::<false, false, 2>;
        imul_n::<false, false, 2>, m::<ADD, false, false, BD, 2>;
    ];
    // Compare (or test) and branch, as a block's last pair and as a side
    // exit.
    let (branches, mut exits) = branch_pairs![
        ri::<CMP, 2>, E;
        ri::<CMP, 2>, NE;
        ri::<CMP, 2>, B;
        ri::<CMP, 2>, AE;
        ri::<CMP, 2>, BE;
        ri::<CMP, 2>, A;
        ri::<CMP, 2>, L;
        ri::<CMP, 2>, GE;
        ri::<CMP, 2>, LE;
        ri::<CMP, 2>, G;
        rr::<CMP, 2>, E;
        rr::<CMP, 2>, NE;
        rr::<CMP, 2>, B;
        rr::<CMP, 2>, AE;
        rr::<CMP, 2>, BE;
        rr::<CMP, 2>, A;
        rr::<CMP, 2>, L;
        rr::<CMP, 2>, GE;
        rr::<CMP, 2>, LE;
        rr::<CMP, 2>, G;
        rr::<TEST, 2>, E;
        rr::<TEST, 2>, NE;
        rr::<TEST, 0>, E;
        rr::<TEST, 0>, NE;
        ri::<CMP, 1>, E;
        ri::<CMP, 1>, NE;
        ri::<CMP, 1>, AE;
        ri::<TEST, 0>, E;
        ri::<TEST, 0>, NE;
        ri::<CMP, 0>, E;
        ri::<CMP, 0>, NE;
        rm::<CMP, BD, 2>, E;
        rm::<CMP, BD, 2>, NE;
        m::<CMP, false, false, BD, 0>, E;
        m::<CMP, false, false, BD, 0>, NE;
        m::<CMP, true, false, BD, 0>, E;
        m::<CMP, true, false, BD, 0>, NE;
        m::<CMP, true, false, BD, 2>, E;
        m::<CMP, true, false, BD, 2>, NE;
        m::<CMP, false, false, BD, 2>, E;
        m::<CMP, false, false, BD, 2>, NE;
        // From the call-graph counts (see above): the interpreters', the
        // array loops', gzip's and the CoreMark-like mix's.
        rr::<TEST, 2>, S;
        rr::<TEST, 2>, NS;
        rr::<TEST, 2>, LE;
        rr::<TEST, 2>, G;
        ri::<TEST, 2>, E;
        ri::<TEST, 2>, NE;
        m::<TEST, true, false, BD, 0>, E;
        m::<TEST, true, false, BD, 0>, NE;
        m::<CMP, true, false, BD, 2>, LE;
        m::<CMP, true, false, BD, 2>, G;
        m::<CMP, false, false, BD, 2>, LE;
        m::<CMP, false, false, BD, 2>, G;
        rr::<CMP, 0>, E;
        rr::<CMP, 0>, NE;
        rr::<CMP, 1>, E;
        rr::<CMP, 1>, NE;
        rm::<AND, SIB, 2>, E;
        rm::<AND, SIB, 2>, NE;
        m::<CMP, false, false, SIB, 2>, AE;
        m::<CMP, false, false, SIB, 2>, B;
        rm::<CMP, BD, 2>, AE;
        rm::<CMP, BD, 2>, B;
        rm::<SUB, BD, 2>, E;
        rm::<SUB, BD, 2>, NE;
        ri::<CMP, 0>, BE;
        ri::<CMP, 0>, A;
        rr::<SUB, 2>, NS;
        rr::<SUB, 2>, S;
        rr::<OR, 2>, E;
        rr::<OR, 2>, NE;
        ri::<AND, 2>, E;
        ri::<AND, 2>, NE;
        ur::<U_DEC, 2>, AE;
        rm::<SUB, ANY, 2>, E;
        rm::<SUB, ANY, 2>, NE;
        m::<SUB, true, false, BD, 2>, NS;
        m::<SUB, true, false, BD, 2>, S;
        m::<CMP, false, false, BD, 2>, AE;
        m::<CMP, false, false, BD, 2>, B;
        m::<CMP, false, false, SIB, 0>, NE;
        m::<CMP, false, false, SIB, 0>, E;
        ri::<SUB, 2>, NE;
        ri::<SUB, 2>, E;
        rm::<CMP, BD, 1>, NE;
        rm::<CMP, BD, 1>, E;
    ];
    list.extend(branches);
    // Out-of-line semantics (bt with memory, dec of a count in memory) and
    // a jcc, inlined.
    let (branches, inlined_exits) = inlined_branch_pairs![
        um::<U_DEC, false, 2>, NE;
        um::<U_DEC, false, 2>, E;
        bt_m::<0, true, false, 2>, B;
        bt_m::<0, true, false, 2>, AE;
    ];
    list.extend(branches);
    exits.extend(inlined_exits);
    // Exact rotates (their flags live: a memory access follows before an
    // instruction that overwrites them, as in md5's rounds) with their
    // neighbours, and other semantics kept out of line (push from memory,
    // sbb of a register with itself, dec of a count in memory), inlined.
    list.extend(inlined_pairs![
        rr::<ADD, 2>, sh_ri::<ROL, 2>;
        rr::<ADD, 2>, sh_ri::<ROR, 2>;
        mov_rr::<2>, sh_ri::<ROL, 2>;
        mov_rr::<2>, sh_ri::<ROR, 2>;
        sh_ri::<ROL, 2>, rr::<XOR, 2>;
        sh_ri::<ROR, 2>, rr::<XOR, 2>;
        sh_ri::<ROL, 2>, lea::<BD, 2>;
        sh_ri::<ROR, 2>, mov_rr::<2>;
        sh_ri::<ROL, 2>, lea::<SIB, 2>;
        sh_ri::<ROR, 2>, lea::<SIB, 2>;
        ri::<SUB, 2>, push_m::<2>;
        push_m::<2>, mov_rm::<BD, 2>;
        push_m::<2>, call::<2>;
        sbb_same::<0>, rm::<OR, BD, 0>;
        mov_rm::<BD, 2>, um::<U_DEC, false, 2>;
        mov_mr::<BD, 1>, um::<U_DEC, false, 2>;
    ]);
    // The pairs above where flags die: the arithmetic chains of hashes
    // (their rotates and adds) and the inc of a counter before its cmp.
    list.extend(relaxed_pairs![
        mov_rm::<BD, 2>, (mov_rm::<BD, 2>), rr_quiet::<ADD, 2>;
        mov_rm::<BD, 2>, (mov_rm::<BD, 2>), rr_quiet::<XOR, 2>;
        mov_rm::<BD, 2>, (mov_rm::<BD, 2>), rr_quiet::<AND, 2>;
        rm::<ADD, BD, 2>, (rm::<ADD, BD, 2>), rr_quiet::<ADD, 2>;
        rr::<XOR, 2>, (rr::<XOR, 2>), rr_quiet::<ADD, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), rr_quiet::<ADD, 2>;
        rr::<XOR, 2>, (rr::<XOR, 2>), rr_quiet::<AND, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), rr_quiet::<AND, 2>;
        rr::<AND, 2>, (rr::<AND, 2>), rr_quiet::<XOR, 2>;
        rr_quiet::<AND, 2>, (rr::<AND, 2>), rr_quiet::<XOR, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), mov_rr::<2>;
        rr::<XOR, 2>, (rr::<XOR, 2>), ri_quiet::<AND, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), ri_quiet::<AND, 2>;
        rr_quiet::<ADD, 2>, (rr::<ADD, 2>), mov_rr::<2>;
        rr::<ADD, 2>, (rr::<ADD, 2>), sh_ri_quiet::<ROL, 2>;
        rr_quiet::<ADD, 2>, (rr::<ADD, 2>), sh_ri_quiet::<ROL, 2>;
        rr::<ADD, 2>, (rr::<ADD, 2>), sh_ri_quiet::<ROR, 2>;
        rr_quiet::<ADD, 2>, (rr::<ADD, 2>), sh_ri_quiet::<ROR, 2>;
        mov_rr::<2>, (mov_rr::<2>), sh_ri_quiet::<ROL, 2>;
        mov_rr::<2>, (mov_rr::<2>), sh_ri_quiet::<ROR, 2>;
        mov_rr::<2>, (mov_rr::<2>), rr_quiet::<XOR, 2>;
        mov_rr::<2>, (mov_rr::<2>), ri_quiet::<AND, 2>;
        sh_ri_quiet::<ROL, 2>, (sh_ri::<ROL, 2>), rr::<XOR, 2>;
        sh_ri_quiet::<ROL, 2>, (sh_ri::<ROL, 2>), rr_quiet::<XOR, 2>;
        sh_ri_quiet::<ROR, 2>, (sh_ri::<ROR, 2>), rr::<XOR, 2>;
        sh_ri_quiet::<ROR, 2>, (sh_ri::<ROR, 2>), rr_quiet::<XOR, 2>;
        sh_ri_quiet::<ROL, 2>, (sh_ri::<ROL, 2>), lea::<BD, 2>;
        sh_ri_quiet::<ROR, 2>, (sh_ri::<ROR, 2>), mov_rr::<2>;
        ur_quiet::<U_INC, 2>, (ur::<U_INC, 2>), ri::<CMP, 2>;
        mov_mr::<BD, 1>, (mov_mr::<BD, 1>), ur_quiet::<U_INC, 2>;
        mov_mr::<BD, 1>, (mov_mr::<BD, 1>), ur_no_carry::<U_INC, 2>;
        ur_quiet::<U_INC, 2>, (ur::<U_INC, 2>), jmp_inline;
        ur_quiet::<U_INC, 2>, (ur::<U_INC, 2>), mov_rr::<2>;
        rr_quiet::<SUB, 2>, (rr::<SUB, 2>), ri::<ADD, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), sh_ri_quiet::<SHR, 2>;
        rr_quiet::<XOR, 2>, (rr::<XOR, 2>), movx_r::<false, 0, 2>;
        ri_quiet::<AND, 2>, (ri::<AND, 2>), mov_rr::<2>;
        ri_quiet::<ADD, 2>, (ri::<ADD, 2>), ri::<SUB, 2>;
        ri_quiet::<ADD, 2>, (ri::<ADD, 2>), rr::<OR, 2>;
    ]);
    let mut t = Table {
        pairs: Map::with_capacity_and_hasher(list.len(), Default::default()),
        first: Map::with_capacity_and_hasher(list.len(), Default::default()),
        firsts: [0; 16],
    };
    for (a, b, f, alone) in list {
        // A pair fuses whichever wrappers the decoders gave its two
        // instructions.
        for (x, wx) in a.iter().zip(WRAPS) {
            for (y, wy) in b.iter().zip(WRAPS) {
                t.pairs
                    .insert((x.addr(), y.addr()), f[3 * wx as usize + wy as usize]);
            }
            let b = first_bit(x.addr());
            t.firsts[b / 64] |= 1 << (b % 64);
        }
        // The first instruction alone keeps its wrapping.
        for (x, wx) in alone.iter().zip(WRAPS) {
            for h in &f[3 * wx as usize..][..3] {
                t.first.insert(h.addr(), *x);
            }
        }
    }
    for (a, cc, f) in exits {
        let exit = super::exec::control::side_exit_handler(cc);
        for (x, wx) in a.iter().zip(WRAPS) {
            let h = f[wx as usize];
            t.pairs.insert((x.addr(), exit.addr()), h);
            t.first.insert(h.addr(), *x);
            let b = first_bit(x.addr());
            t.firsts[b / 64] |= 1 << (b % 64);
        }
    }
    // The stack pairs written out replace their composed forms, whatever
    // the wrappings of their halves; a single step runs the first half
    // checked.
    let written: [([Handler; 3], [Handler; 3], unsafe fn(&mut Cpu, *const Inst)); 4] = [
        (wrappings(push_r::<2>), wrappings(push_r::<2>), stack::push2),
        (
            wrappings(push_r::<2>),
            wrappings(call::<2>),
            stack::push_call,
        ),
        (wrappings(pop_r::<2>), wrappings(pop_r::<2>), stack::pop2),
        (wrappings(pop_r::<2>), wrappings(ret::<2>), stack::pop_ret),
    ];
    for (a, b, f) in written {
        let h = Handler::raw(f);
        for x in a {
            for y in b {
                t.pairs.insert((x.addr(), y.addr()), h);
            }
        }
        t.first.insert(h.addr(), a[0]);
    }
    t
});

/// Bit of handler address `a` in [`Table::firsts`] (of 1024).
#[inline(always)]
fn first_bit(a: usize) -> usize {
    (a >> 4 ^ a >> 14) & 1023
}

/// Fuse the adjacent pairs of a block's first `count` instructions.
/// `relaxed` has bit k set when instruction k has a handler that
/// `cpu::live` made cheaper: a pair with one fuses as listed, or else as
/// the pair of exact handlers.
pub fn fuse(insts: &mut [Inst], count: usize, relaxed: u64) {
    let t = &*TABLE;
    let mut k = 0;
    while k + 1 < count {
        let (a, b) = (insts[k].h, insts[k + 1].h);
        let bit = first_bit(a.addr());
        // The pair's fused handler, unless its operands forbid it.
        let pair = |x: Handler, y: Handler| {
            let f = *t.pairs.get(&(x.addr(), y.addr()))?;
            (!stack::uses_esp(f.addr(), &insts[k], &insts[k + 1])).then_some(f)
        };
        if t.firsts[bit / 64] & 1 << (bit % 64) != 0 {
            if let Some(f) = pair(a, b) {
                insts[k].h = f;
                k += 2;
                continue;
            }
        }
        if (relaxed >> k) & 3 != 0 {
            let (ea, eb) = (live::exact(a), live::exact(b));
            if let Some(f) = pair(ea, eb) {
                insts[k].h = f;
                insts[k + 1].h = eb;
                k += 2;
                continue;
            }
        }
        k += 1;
    }
}

/// The handler of `i` alone: a fused pair's first instruction without the
/// second (single-stepping runs one instruction at a time).
pub fn unfused(i: &Inst) -> Handler {
    TABLE.first.get(&i.h.addr()).copied().unwrap_or(i.h)
}

/// Number of pairs fused in `insts` (tests).
#[cfg(test)]
pub fn fused_count(insts: &[Inst]) -> usize {
    insts
        .iter()
        .filter(|i| TABLE.first.contains_key(&i.h.addr()))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::decode::{decode_one, end_marker};
    use crate::cpu::{exit, EAX, EBX, ESP};

    fn cpu() -> Cpu {
        let mut c = Cpu::for_tests();
        c.regs[EBX] = 0x10000;
        c.mem.write_raw(0x10000, &[7, 0, 0, 0, 5, 0, 0, 0]);
        c
    }

    /// Instructions at 0x1000, one after the other, then an end marker.
    fn block(code: &[&[u8]]) -> Vec<Inst> {
        let mut eip = 0x1000;
        let mut v: Vec<Inst> = code
            .iter()
            .map(|b| {
                let i = decode_one(b, eip).expect("decodes");
                eip += i.len as u32;
                i
            })
            .collect();
        v.push(end_marker());
        v
    }

    /// A fused pair computes what its two instructions compute one by one,
    /// and a fault in the second leaves through the second.
    #[test]
    fn pairs_fuse_and_run_like_two_instructions() {
        // mov eax,[ebx]; add eax,[ebx+4]; cmp eax,12; je +0x10
        let code: &[&[u8]] = &[
            &[0x8b, 0x03],
            &[0x03, 0x43, 0x04],
            &[0x83, 0xf8, 0x0c],
            &[0x74, 0x10],
        ];
        let plain = block(code);
        let mut fused = plain.clone();
        fuse(&mut fused, code.len(), 0);
        assert_eq!(fused_count(&fused), 2, "both pairs fuse");
        let (mut a, mut b) = (cpu(), cpu());
        for i in &plain[..code.len()] {
            a.exec_one(i);
        }
        crate::cpu::guard::run_insts(&mut b, &fused);
        assert_eq!(a.regs[EAX], 12);
        assert_eq!((a.regs, a.eip, a.eflags()), (b.regs, b.eip, b.eflags()));
        assert_eq!(b.eip, 0x1000 + 2 + 3 + 3 + 2 + 0x10);
        assert_eq!(unfused(&fused[0]).addr(), plain[0].h.addr());

        // mov eax,[ebx]; mov eax,[0x5000] (unmapped): the second faults.
        let code: &[&[u8]] = &[&[0x8b, 0x03], &[0xa1, 0x00, 0x50, 0x00, 0x00]];
        let mut fused = block(code);
        fuse(&mut fused, code.len(), 0);
        assert_eq!(fused_count(&fused), 1);
        let mut c = cpu();
        crate::cpu::guard::run_insts(&mut c, &fused);
        assert_eq!(c.exit, exit::EXC);
        assert_eq!(c.exit_at, &fused[1] as *const Inst);
        assert_eq!(c.regs[EAX], 7, "the first instruction completed");
    }

    /// A jmp the block goes on through (`jmp_inline`) fuses with the
    /// instruction before it and with the one after it (its target's):
    /// the fused block computes what the instructions do one by one, and
    /// the jmp, alone again for a single step, is the jmp that sets eip.
    #[test]
    fn inline_jmps_fuse_both_ways() {
        use crate::cpu::exec::control::{inline_branch, outline, sets_eip_alone};
        // mov eax,ebx; jmp 0x1014 (inline); 0x1014: mov eax,[ebx+4]; jmp
        // 0x1030 (inline); 0x1030: mov ecx,[ebx]
        let at = |b: &[u8], eip: u32| decode_one(b, eip).expect("decodes");
        let mut j1 = at(&[0xeb, 0x10], 0x1002);
        let mut j2 = at(&[0xeb, 0x17], 0x1017);
        assert_eq!(inline_branch(&mut j1, 1), Some(0x1014));
        assert_eq!(inline_branch(&mut j2, 1), Some(0x1030));
        let plain = vec![
            at(&[0x89, 0xd8], 0x1000),
            j1,
            at(&[0x8b, 0x43, 0x04], 0x1014),
            j2,
            at(&[0x8b, 0x0b], 0x1030),
            end_marker(),
        ];
        let mut fused = plain.clone();
        fuse(&mut fused, 5, 0);
        assert_eq!(fused_count(&fused), 2, "mov+jmp and jmp+load fuse");
        let (mut a, mut b) = (cpu(), cpu());
        for i in &plain[..5] {
            a.exec_one(i);
        }
        crate::cpu::guard::run_insts(&mut b, &fused);
        assert_eq!((a.regs[EAX], a.regs[crate::cpu::ECX]), (5, 7));
        assert_eq!((a.regs, a.eflags()), (b.regs, b.eflags()));
        // The jmp starting the second pair, alone: the block-ending jmp.
        let own = unfused(&fused[3]);
        assert_eq!(own.addr(), plain[3].h.addr());
        assert!(sets_eip_alone(own) && !sets_eip_alone(fused[3].h));
        let mut c = cpu();
        c.exec_one(&Inst {
            h: outline(own),
            ..plain[3]
        });
        assert_eq!(c.eip, 0x1030);
    }

    /// A pair of pushes whose stack page holds translated code: both
    /// instructions complete (as run one by one, where the first store
    /// notes the code written), and the block leaves after the second (or,
    /// composed, after the first), with the code written noted.
    fn smc_after_pushes(
        code: &[&[u8]],
        sp: u32,
        plain: &[Inst],
        fused: &[Inst],
        setup: &dyn Fn() -> Cpu,
        what: &str,
    ) {
        let pushes = (0x50..0x58).contains(&code[0][0]);
        if !pushes || !(0x10008..=0x20000).contains(&sp) {
            return;
        }
        let (mut a, mut b) = (setup(), setup());
        for c in [&mut a, &mut b] {
            c.mem.mark_code((sp - 4) >> 12);
            c.mem.mark_code((sp - 8) >> 12);
        }
        for (k, i) in plain[..code.len()].iter().enumerate() {
            a.exec_one(i);
            // The first store drops its page's code (the second finds
            // code only on another page).
            if k == 0 {
                assert_eq!(a.exit, exit::SMC, "{what}: one by one");
            }
            a.exit = exit::NONE;
        }
        crate::cpu::guard::run_insts(&mut b, fused);
        assert_eq!(b.exit, exit::SMC, "{what}");
        if b.exit_at == &fused[0] as *const Inst {
            // Composed: the block left after the first; run the second.
            b.exit = exit::NONE;
            b.exec_one(&plain[1]);
        } else {
            assert_eq!(b.exit_at, &fused[1] as *const Inst, "{what}");
        }
        assert_eq!((a.regs, a.eip), (b.regs, b.eip), "{what}: code written");
        assert_eq!(
            a.mem.read_raw(0x10000, 0x10000),
            b.mem.read_raw(0x10000, 0x10000)
        );
    }

    /// The stack pairs written out ([`stack`]) compute what their two
    /// instructions compute one by one, at stack pointers on, around and
    /// across page boundaries and unmapped pages, and a fault leaves
    /// through the instruction that raised it with its address and the
    /// state from before that instruction. With `esp` as an operand the
    /// pair would see change, the pair does not fuse.
    #[test]
    fn stack_pairs_run_like_two_instructions() {
        let cases: &[(&[&[u8]], usize)] = &[
            (&[&[0x50], &[0x53]], 1),                // push eax; push ebx
            (&[&[0x54], &[0x53]], 1),                // push esp; push ebx
            (&[&[0x50], &[0x54]], 0),                // push eax; push esp
            (&[&[0x59], &[0x5a]], 1),                // pop ecx; pop edx
            (&[&[0x59], &[0x59]], 1),                // pop ecx; pop ecx
            (&[&[0x5c], &[0x5a]], 0),                // pop esp; pop edx
            (&[&[0x59], &[0x5c]], 0),                // pop ecx; pop esp
            (&[&[0x59], &[0xc3]], 1),                // pop ecx; ret
            (&[&[0x59], &[0xc2, 8, 0]], 1),          // pop ecx; ret 8
            (&[&[0x5c], &[0xc3]], 0),                // pop esp; ret
            (&[&[0x50], &[0xe8, 0x10, 0, 0, 0]], 1), // push eax; call +0x10
            (&[&[0x54], &[0xe8, 0x10, 0, 0, 0]], 1), // push esp; call +0x10
        ];
        // [0x10000, 0x20000) is mapped.
        let sps = [
            0x18000, 0x18004, 0x18006, 0x18ff8, 0x18ffa, 0x18ffc, 0x18fff, 0x19000, 0x19003,
            0x19004, 0x19006, 0x19008, 0x10000, 0x10003, 0x10004, 0x10006, 0x10008, 0x1fff8,
            0x1fff9, 0x1fffc, 0x20000,
        ];
        for &(code, fuses) in cases {
            let plain = block(code);
            let mut fused = plain.clone();
            fuse(&mut fused, code.len(), 0);
            assert_eq!(fused_count(&fused), fuses, "{code:x?}");
            for sp in sps {
                let setup = || {
                    let mut c = cpu();
                    for (k, r) in c.regs[..8].iter_mut().enumerate() {
                        *r = 0x1111_1111 * (k as u32 + 1);
                    }
                    c.regs[ESP] = sp;
                    let words: Vec<u8> = (0..0x10000u32 / 4)
                        .flat_map(|k| (0x4000_0000 + k * 4).to_le_bytes())
                        .collect();
                    c.mem.write_raw(0x10000, &words);
                    c
                };
                let (mut a, mut b) = (setup(), setup());
                let mut at = code.len();
                for (k, i) in plain[..code.len()].iter().enumerate() {
                    a.exec_one(i);
                    if a.exit != exit::NONE {
                        at = k;
                        break;
                    }
                }
                crate::cpu::guard::run_insts(&mut b, &fused);
                let what = format!("{code:x?} at esp {sp:#x}");
                smc_after_pushes(code, sp, &plain, &fused, &setup, &what);
                assert_eq!(a.exit, b.exit, "{what}");
                if a.exit == exit::EXC {
                    assert_eq!(b.exit_at, &fused[at] as *const Inst, "{what}");
                    assert_eq!(
                        (a.exc.vector, a.exc.cr2),
                        (b.exc.vector, b.exc.cr2),
                        "{what}"
                    );
                }
                assert_eq!((a.regs, a.eip), (b.regs, b.eip), "{what}");
                assert_eq!(
                    a.mem.read_raw(0x10000, 0x10000),
                    b.mem.read_raw(0x10000, 0x10000)
                );
            }
        }
    }
}
