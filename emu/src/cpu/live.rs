//! Liveness of the arithmetic flags inside a block, and the cheaper
//! handlers used where an instruction's flags are dead.
//!
//! Most flags an instruction writes are overwritten before anything reads
//! them: in `inc ecx; cmp ecx, edx; jl`, the cmp replaces every flag the
//! inc wrote, and the CF the inc keeps (SDM vol. 2 "INC": "the CF flag is
//! not affected", which the lazy flags pay for by evaluating the previous
//! operation's CF) is never seen. Translation runs a backward pass over
//! the block (SDM vol. 1 3.4.3.1 and appendix A give each instruction's
//! flag effects): a flag is live after an instruction when some later
//! instruction of the block may read it before one overwrites it.
//! Where every flag an instruction writes is dead, its handler becomes a
//! variant that records nothing ([`relax`]); an inc or dec whose CF alone
//! is dead records its own flags without evaluating the previous CF.
//!
//! The rules that keep the flags the guest can see exact:
//! - At the end of a block every flag is live, whatever comes next.
//! - An instruction outside a short list of register-only ones (anything
//!   with a memory operand or a stack access, anything that can fault,
//!   trap, make a system call or otherwise leave the block early: its
//!   handler may set `Cpu::exit`) reads every flag ([`Effect::BARRIER`]),
//!   so the flags before it are exact for a signal frame, `--frames`, a
//!   hook or the debugger. Only instructions that cannot leave the block
//!   get a variant, so nothing stops between a variant and the instruction
//!   that overwrites its dead flags...
//! - ... except a run that stops after any instruction: an instruction
//!   budget (`run::run_until`, `Machine::run_for`), TF single-stepping and
//!   the debugger's steps run a block's first instruction on its own
//!   (`run::one`), which takes its exact handler ([`exact`]) first.
//!   Blocks themselves are never entered in the middle.
//! - An instruction kills only the flags emu's handler always sets: an
//!   undefined flag counts where emu gives it a value of its own (a
//!   shift's AF and OF), and a shift or rotate by cl, or by an immediate
//!   that masks to 0, kills none.
//!
//! Superinstructions ([`super::fuse`]) pair handlers by address: a pair
//! listed with a variant fuses as such; otherwise a pair of exact handlers
//! fuses with its variants undone (a fused pair already lets the compiler
//! drop the first instruction's dead flag stores).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use iced_x86::{Instruction, Mnemonic, OpKind};

use super::cache::AddrHasher;
use super::decode::gpr;
use super::flags::{AF, ARITH, CF, OF, PF, SF, ZF};
use super::{th, th_safe, Handler};

/// What an instruction does to the arithmetic flags (EFLAGS bits): the
/// ones it may read, and the ones it always overwrites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub reads: u32,
    pub kills: u32,
}

impl Effect {
    /// An instruction the pass knows nothing about: every flag is live
    /// before it.
    pub const BARRIER: Effect = Effect {
        reads: ARITH,
        kills: 0,
    };
    /// An instruction that neither reads nor writes the flags.
    const NONE: Effect = Effect { reads: 0, kills: 0 };

    const fn new(reads: u32, kills: u32) -> Effect {
        Effect { reads, kills }
    }
}

/// The flags condition code `cc` (0 = o .. 15 = g) reads.
pub const fn cond_reads(cc: u8) -> u32 {
    match cc >> 1 {
        0 => OF,
        1 => CF,
        2 => ZF,
        3 => CF | ZF,
        4 => SF,
        5 => PF,
        6 => SF | OF,
        _ => ZF | SF | OF,
    }
}

/// The flag effect of `ins` as emu runs it, for the register-only
/// instructions that cannot leave a block; [`Effect::BARRIER`] for
/// everything else. Only called for instructions that got a handler of
/// their own (not #UD).
pub fn effect(ins: &Instruction) -> Effect {
    let e = effect_of(ins);
    if e == Effect::BARRIER || e == Effect::NONE {
        return e;
    }
    // Never less than iced's tables say is read, nor more than they say
    // is modified (a rotate whose count is a multiple of its width, for
    // one, modifies nothing there).
    Effect {
        reads: e.reads | from_iced(ins.rflags_read()),
        kills: e.kills & from_iced(ins.rflags_modified()),
    }
}

/// EFLAGS bits of an iced `RflagsBits` value (the arithmetic ones, its
/// low six bits): one load from [`FROM_ICED`].
#[inline]
fn from_iced(r: u32) -> u32 {
    FROM_ICED[(r & 63) as usize]
}

const _: () = {
    use iced_x86::RflagsBits as R;
    assert!(R::OF | R::SF | R::ZF | R::AF | R::CF | R::PF == 63);
};

/// [`from_iced`] of each combination of iced's OF SF ZF AF CF PF bits.
static FROM_ICED: [u32; 64] = {
    use iced_x86::RflagsBits as R;
    let pairs = [
        (R::OF, OF),
        (R::SF, SF),
        (R::ZF, ZF),
        (R::AF, AF),
        (R::CF, CF),
        (R::PF, PF),
    ];
    let mut t = [0u32; 64];
    let mut r = 0;
    while r < 64 {
        let mut k = 0;
        while k < pairs.len() {
            if r as u32 & pairs[k].0 != 0 {
                t[r] |= pairs[k].1;
            }
            k += 1;
        }
        r += 1;
    }
    t
};

/// [`effect`] from emu's handlers alone.
fn effect_of(ins: &Instruction) -> Effect {
    use Mnemonic::*;
    let mn = ins.mnemonic();
    // The count of a shift or rotate: it writes flags only when the
    // count (masked to 5 bits) is not 0, which a count in cl may be.
    let counted = || {
        ins.op_count() == 2
            && matches!(ins.op1_kind(), OpKind::Immediate8)
            && ins.immediate8() & 31 != 0
    };
    let e = match mn {
        Add | Or | And | Sub | Xor | Cmp | Test | Neg => Effect::new(0, ARITH),
        Adc | Sbb => Effect::new(CF, ARITH),
        // CF is kept: live before if live after.
        Inc | Dec => Effect::new(0, ARITH & !CF),
        // Shifts set AF to 0 and OF by formula for counts above 1.
        Shl | Sal | Shr | Sar if counted() => Effect::new(0, ARITH),
        Rol | Ror if counted() => Effect::new(0, CF | OF),
        Rcl | Rcr if counted() => Effect::new(CF, CF | OF),
        Rcl | Rcr => Effect::new(CF, 0),
        Shl | Sal | Shr | Sar | Rol | Ror => Effect::NONE,
        Mov | Movzx | Movsx | Lea | Xchg | Not | Bswap | Nop | Cbw | Cwde | Cwd | Cdq => {
            Effect::NONE
        }
        // A direct jmp: block-ending or inline, it touches nothing.
        Jmp if matches!(ins.op0_kind(), OpKind::NearBranch32 | OpKind::NearBranch16)
            && !ins.has_lock_prefix() =>
        {
            return Effect::NONE;
        }
        // setcc and cmovcc (jcc ends the block: a barrier will do).
        _ => match super::exec::control::cc_of(ins) {
            Some(cc) if is_cond(mn) => Effect::new(cond_reads(cc), 0),
            _ => return Effect::BARRIER,
        },
    };
    // Every operand a general register or an immediate (lea's memory
    // operand is an address, not an access), and no lock prefix (#UD).
    let plain = !ins.has_lock_prefix()
        && (0..ins.op_count()).all(|n| match ins.op_kind(n) {
            OpKind::Register => gpr(ins.op_register(n)).is_some(),
            OpKind::Memory => mn == Lea,
            OpKind::Immediate8
            | OpKind::Immediate8_2nd
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32 => true,
            _ => false,
        });
    if plain {
        e
    } else {
        Effect::BARRIER
    }
}

/// setcc or cmovcc.
fn is_cond(mn: Mnemonic) -> bool {
    super::exec::mov::is_setcc(mn) || super::exec::mov::is_cmov(mn)
}

/// The flags live after each instruction of a block whose instructions
/// have the effects `fx` (all live after the last), into `live`.
pub fn live_after(fx: &[Effect], live: &mut [u32]) {
    let mut l = ARITH;
    for (e, out) in fx.iter().zip(live.iter_mut()).rev() {
        *out = l;
        l = (l & !e.kills) | e.reads;
    }
}

/// Handler address -> handler (one multiplication per lookup).
type Map<V> = HashMap<usize, V, BuildHasherDefault<AddrHasher>>;

/// The cheaper forms of one handler.
#[derive(Clone, Copy)]
struct Forms {
    /// The flags the exact handler writes.
    writes: u32,
    /// The handler that writes none of them (when all are dead).
    quiet: Handler,
    /// inc/dec: the handler that records its flags but not the previous
    /// CF (when CF is dead).
    no_carry: Option<Handler>,
}

struct Table {
    /// Exact handler (both wrappers) -> its cheaper forms.
    forms: Map<Forms>,
    /// Cheaper form -> the exact handler.
    exact: Map<Handler>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    use super::exec::alu::{ri, ri_quiet, rr, rr_quiet, ur, ur_no_carry, ur_quiet};
    use super::exec::alu::{ADD, AND, OR, SUB, U_DEC, U_INC, XOR};
    use super::exec::shift::{sh_ri, sh_ri_quiet, ROL, ROR, SAR, SHL, SHR};
    let mut t = Table {
        forms: Map::default(),
        exact: Map::default(),
    };
    let mut add = |exact: [Handler; 2], writes: u32, quiet: Handler, no_carry: Option<Handler>| {
        for h in exact {
            let f = Forms {
                writes,
                quiet,
                no_carry,
            };
            t.forms.insert(h.addr(), f);
        }
        for h in [Some(quiet), no_carry].into_iter().flatten() {
            t.exact.insert(h.addr(), exact[1]);
        }
    };
    // The exact handler `$e::<$p.., SZ>` (either wrapper), the flags it
    // writes, and its quiet form `$q::<$p.., SZ>`, for each size.
    macro_rules! quiet {
        ($($e:ident :: <$($p:ident),*> => $q:ident, $w:expr);* $(;)?) => {$(
            quiet!(@ $e, $q, $w, [$($p),*], 0);
            quiet!(@ $e, $q, $w, [$($p),*], 1);
            quiet!(@ $e, $q, $w, [$($p),*], 2);
        )*};
        (@ $e:ident, $q:ident, $w:expr, [$($p:ident),*], $sz:literal) => {
            add(
                [th($e::<$($p,)* $sz>), th_safe($e::<$($p,)* $sz>)],
                $w,
                th_safe($q::<$($p,)* $sz>),
                None,
            )
        };
    }
    quiet![
        rr::<ADD> => rr_quiet, ARITH;
        rr::<OR> => rr_quiet, ARITH;
        rr::<AND> => rr_quiet, ARITH;
        rr::<SUB> => rr_quiet, ARITH;
        rr::<XOR> => rr_quiet, ARITH;
        ri::<ADD> => ri_quiet, ARITH;
        ri::<OR> => ri_quiet, ARITH;
        ri::<AND> => ri_quiet, ARITH;
        ri::<SUB> => ri_quiet, ARITH;
        ri::<XOR> => ri_quiet, ARITH;
        sh_ri::<SHL> => sh_ri_quiet, ARITH;
        sh_ri::<SHR> => sh_ri_quiet, ARITH;
        sh_ri::<SAR> => sh_ri_quiet, ARITH;
        sh_ri::<ROL> => sh_ri_quiet, CF | OF;
        sh_ri::<ROR> => sh_ri_quiet, CF | OF;
    ];
    // inc and dec keep CF: quiet when the rest is dead, without the
    // previous CF when CF is.
    macro_rules! inc_dec {
        ($($op:ident)*) => {$(
            inc_dec!(@ $op, 0);
            inc_dec!(@ $op, 1);
            inc_dec!(@ $op, 2);
        )*};
        (@ $op:ident, $sz:literal) => {
            add(
                [th(ur::<$op, $sz>), th_safe(ur::<$op, $sz>)],
                ARITH & !CF,
                th_safe(ur_quiet::<$op, $sz>),
                Some(th_safe(ur_no_carry::<$op, $sz>)),
            )
        };
    }
    inc_dec!(U_INC U_DEC);
    t
});

/// The cheaper form of handler `h` for an instruction after which the
/// flags `dead` are dead, if it has one.
pub fn relax(h: Handler, dead: u32) -> Option<Handler> {
    let f = TABLE.forms.get(&h.addr())?;
    if dead & f.writes == f.writes {
        Some(f.quiet)
    } else if dead & CF != 0 {
        f.no_carry
    } else {
        None
    }
}

/// The exact handler of a cheaper form (`h` itself for any other).
pub fn exact(h: Handler) -> Handler {
    TABLE.exact.get(&h.addr()).copied().unwrap_or(h)
}

/// Give each of a block's instructions, with effects `fx`, the cheapest
/// handler its dead flags allow. Returns the instructions changed (bit
/// k for instruction k).
pub fn relax_block(insts: &mut [super::Inst], fx: &[Effect]) -> u64 {
    let mut live = [0u32; super::decode::MAX_BLOCK];
    let live = &mut live[..fx.len()];
    live_after(fx, live);
    let mut changed = 0;
    for (k, (i, l)) in insts.iter_mut().zip(live.iter()).enumerate() {
        let dead = ARITH & !l;
        if dead != 0 {
            if let Some(h) = relax(i.h, dead) {
                i.h = h;
                changed |= 1 << k;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::cache::BlockCache;
    use crate::cpu::decode::{decode_one, translate};
    use crate::cpu::flags::TF;
    use crate::cpu::run::{self, Event};
    use crate::cpu::{vec, Cpu, EAX, ESP};
    use crate::mem::{P_EXEC, P_READ};
    use iced_x86::{Decoder, DecoderOptions};

    const CODE: u32 = 0x20000;

    fn cpu_with(code: &[u8]) -> Cpu {
        let mut c = Cpu::for_tests();
        c.mem.map_zero(CODE, 0x1000, P_READ | P_EXEC);
        c.mem.write_raw(CODE, code);
        c.eip = CODE;
        c
    }

    /// The flags live after each instruction of `code` (a block of it).
    fn live_of(code: &[u8]) -> Vec<u32> {
        let mut dec = Decoder::with_ip(32, code, CODE as u64, DecoderOptions::NONE);
        let fx: Vec<Effect> = dec.iter().map(|i| effect(&i)).collect();
        let mut live = vec![0; fx.len()];
        live_after(&fx, &mut live);
        live
    }

    /// Which instructions of `code`, straight-line, translation gives a
    /// cheaper handler (before fusing them).
    fn relaxed(code: &[u8]) -> Vec<bool> {
        let mut dec = Decoder::with_ip(32, code, CODE as u64, DecoderOptions::NONE);
        let (mut insts, mut fx) = (Vec::new(), Vec::new());
        for ins in dec.iter() {
            let bytes = &code[(ins.ip() as u32 - CODE) as usize..];
            match decode_one(bytes, ins.ip() as u32) {
                Some(i) => {
                    insts.push(i);
                    fx.push(effect(&ins));
                }
                None => {
                    insts.push(crate::cpu::decode::end_marker());
                    fx.push(Effect::BARRIER);
                }
            }
        }
        let mask = relax_block(&mut insts, &fx);
        (0..insts.len()).map(|k| mask & 1 << k != 0).collect()
    }

    #[test]
    fn liveness_of_short_blocks() {
        // inc ecx; cmp ecx, edx; jl: the cmp overwrites all of the inc's.
        let code = [0x41, 0x39, 0xd1, 0x7c, 0xfb];
        assert_eq!(live_of(&code), [0, ARITH, ARITH]);
        assert_eq!(relaxed(&code), [true, false, false]);
        // dec eax; jnz: every flag is live at the end of a block.
        let code = [0x48, 0x75, 0xfd];
        assert_eq!(live_of(&code), [ARITH, ARITH]);
        assert_eq!(relaxed(&code), [false, false]);
        // inc ecx; mov eax, [ebx]; cmp ecx, edx; jl: the load may fault,
        // and its signal frame holds the flags the inc left.
        let code = [0x41, 0x8b, 0x03, 0x39, 0xd1, 0x7c, 0xf7];
        assert_eq!(live_of(&code)[0], ARITH);
        assert_eq!(relaxed(&code), [false; 4]);
        // add eax, ebx; rol eax, 3; xor eax, ecx; ret: the rol keeps the
        // add's SF/ZF/PF/AF, which the xor overwrites.
        let code = [0x01, 0xd8, 0xc1, 0xc0, 0x03, 0x31, 0xc8, 0xc3];
        assert_eq!(live_of(&code), [0, 0, ARITH, ARITH]);
        assert_eq!(relaxed(&code), [true, true, false, false]);
        // add eax, 1; rol eax, 3; jo: the jo reads the rol's OF only, the
        // add's SF/ZF/PF/AF live on.
        let code = [0x83, 0xc0, 0x01, 0xc1, 0xc0, 0x03, 0x70, 0x00];
        assert_eq!(live_of(&code)[0], ARITH & !(CF | OF));
        assert_eq!(relaxed(&code), [false, false, false]);
        // inc ecx; add eax, 1; adc edx, 0; ret: the adc reads the add's
        // CF; the inc's CF (the previous one) is dead, the rest too.
        let code = [0x41, 0x83, 0xc0, 0x01, 0x83, 0xd2, 0x00, 0xc3];
        assert_eq!(live_of(&code), [0, CF, ARITH, ARITH]);
        assert_eq!(relaxed(&code), [true, false, false, false]);
        // inc ecx; inc edx; cmp: the second inc keeps the first's CF, so
        // that one's CF is dead only because the cmp's overwrites it.
        let code = [0x41, 0x42, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code), [0, 0, ARITH, ARITH]);
        // dec ecx; inc edx; setc al; cmp: the setc reads the CF the inc
        // kept from before the dec.
        let code = [0x49, 0x42, 0x0f, 0x92, 0xc0, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code), [CF, CF, 0, ARITH, ARITH]);
        // (Their own flags are dead, and they keep CF: both quiet.)
        assert_eq!(relaxed(&code), [true, true, false, false, false]);
        // inc ecx; shl eax, cl; cmp: a count in cl may be 0, which writes
        // no flag, so the inc's live on to the cmp's... which kills them.
        let code = [0x41, 0xd3, 0xe0, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code), [0, 0, ARITH, ARITH]);
        // inc ecx; shl eax, cl; jz: ... or to the jz, which reads ZF.
        let code = [0x41, 0xd3, 0xe0, 0x74, 0x00];
        assert_eq!(live_of(&code), [ARITH, ARITH, ARITH]);
        // inc ecx; shl eax, 0 (imm 32 masks to 0): no flag written.
        let code = [0x41, 0xc1, 0xe0, 0x20, 0x74, 0x00];
        assert_eq!(live_of(&code), [ARITH, ARITH, ARITH]);
        // inc ecx; lock add eax, ebx (#UD): the fault's frame needs the
        // inc's flags; translate gives the #UD no effect.
        let code = [0x41, 0xf0, 0x01, 0xd8];
        assert_eq!(live_of(&code), [ARITH, ARITH]);
        assert_eq!(relaxed(&code), [false, false]);
        // inc ecx; int 0x80; cmp: the system call sees the inc's flags.
        let code = [0x41, 0xcd, 0x80, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code)[0], ARITH);
        // inc ecx; push eax (may fault); cmp.
        let code = [0x41, 0x50, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code)[0], ARITH);
        // inc ecx; jmp +0 (a block goes on through it); cmp.
        let code = [0x41, 0xeb, 0x00, 0x39, 0xd1, 0xc3];
        assert_eq!(live_of(&code)[0], 0);
        assert_eq!(relaxed(&code), [true, false, false, false]);
    }

    /// Cheaper forms fuse: as a listed pair, or else as the exact pair;
    /// either way a single step runs the exact handler.
    #[test]
    fn relaxed_pairs_fuse() {
        use crate::cpu::fuse::{fused_count, unfused};
        let translated = |code: &[u8]| {
            let c = cpu_with(code);
            let mut out = Vec::new();
            translate(&c.mem, CODE, &mut out);
            out
        };
        // inc ecx; cmp ecx, 5; jl: the quiet inc and the cmp.
        let code = [0x41, 0x83, 0xf9, 0x05, 0x7c, 0xf8];
        assert_eq!(relaxed(&code), [true, false, false]);
        let out = translated(&code);
        assert_eq!(fused_count(&out), 1);
        // (the exact inc, in either wrapper)
        assert!(TABLE.forms.contains_key(&unfused(&out[0]).addr()));
        // xor eax, ebx; add eax, ecx; ret: the quiet xor is not listed
        // with the add, whose flags are live; they fuse as the exact pair.
        let code = [0x31, 0xd8, 0x01, 0xc8, 0xc3];
        assert_eq!(relaxed(&code), [true, false, false]);
        let out = translated(&code);
        assert_eq!(fused_count(&out), 1);
        assert_eq!(exact(out[1].h).addr(), out[1].h.addr());
    }

    /// emu's own effects agree with iced's flag tables: every flag iced
    /// counts as read is read, and nothing is killed that iced does not
    /// count as modified but by a rotate whose count is a multiple of its
    /// width (which `effect` leaves out).
    #[test]
    fn effects_agree_with_iced() {
        let mut rng = Rng(7);
        let mut checked = 0;
        for _ in 0..20000 {
            let code = rng.insn();
            let ins = Decoder::with_ip(32, &code, CODE as u64, DecoderOptions::NONE).decode();
            assert!(!ins.is_invalid(), "{code:02x?}");
            let e = effect_of(&ins);
            if e == Effect::BARRIER {
                continue;
            }
            checked += 1;
            let read = from_iced(ins.rflags_read());
            let modified = from_iced(ins.rflags_modified());
            assert_eq!(e.reads & read, read, "{:?} reads", ins.code());
            if e.kills & !modified != 0 {
                use Mnemonic::*;
                let width = match (ins.mnemonic(), ins.op0_register().size()) {
                    (Rol | Ror, n) => 8 * n as u32,
                    (Rcl | Rcr, n) => 8 * n as u32 + 1,
                    _ => panic!("{:?} kills {:#x}", ins.code(), e.kills),
                };
                assert_eq!(
                    (ins.immediate8() as u32 & 31) % width,
                    0,
                    "{:?}",
                    ins.code()
                );
                assert_eq!(effect(&ins).kills & !modified, 0);
            }
        }
        assert!(checked > 10000);
    }

    /// xorshift64, for the instruction streams.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 16) as u32
        }

        fn below(&mut self, n: u32) -> u32 {
            self.next() % n
        }

        /// A register other than esp.
        fn reg(&mut self) -> u8 {
            [0u8, 1, 2, 3, 5, 6, 7][self.below(7) as usize]
        }

        /// One instruction, mostly register-only flag writers and readers,
        /// with a few barriers that read the flags mid-block.
        fn insn(&mut self) -> Vec<u8> {
            let (r, s) = (self.reg(), self.reg());
            let modrm = 0xc0 | s << 3 | r;
            let imm = self.next() as u8;
            let op = self.below(8) as u8;
            let sop = [0u8, 1, 2, 3, 4, 5, 7][self.below(7) as usize];
            let cc = self.below(16) as u8;
            let mut v = match self.below(24) {
                0..=3 => vec![op << 3 | 1, modrm],
                4 => vec![op << 3, modrm & !0x24],
                5..=6 => vec![0x83, 0xc0 | op << 3 | r, imm],
                7 => vec![0x40 + r],
                8 => vec![0x48 + r],
                9 => vec![0xfe, 0xc0 | (imm & 8) | (r & 3)],
                10 => vec![0xf7, 0xd0 | (imm & 8) | r],
                11 => vec![0xc1, 0xc0 | sop << 3 | r, imm % 40],
                12 => vec![0xd1, 0xc0 | sop << 3 | r],
                13 => vec![0xd3, 0xc0 | sop << 3 | r],
                14 => vec![0x0f, 0x90 | cc, 0xc0 | (r & 3)],
                15 => vec![0x0f, 0x40 | cc, modrm],
                16 => vec![0xb8 + r, imm, imm.wrapping_mul(7), 0, imm & 0x81],
                17 => vec![0x8d, 0x44 | r << 3, 0x4b, imm],
                18 => vec![[0xf8, 0xf9, 0xf5][self.below(3) as usize]],
                19 => vec![0x9f],
                20 => vec![0x9c, 0x58 + r],
                21 => vec![0xeb, 0x00],
                22 => vec![0x89, modrm],
                _ => vec![0x0f, 0xc8 + r],
            };
            let plain16 = !matches!(
                v[0],
                0x0f | 0x9c | 0x9f | 0xeb | 0xf5 | 0xf8 | 0xf9 | 0x8d | 0xb8..=0xbf
            );
            if self.below(8) == 0 && plain16 {
                // The 16-bit form.
                v.insert(0, 0x66);
            }
            v
        }
    }

    /// The state after each instruction of `code`, one at a time with the
    /// handlers decode_one gives (never a cheaper form).
    fn reference(code: &[u8], start: &Cpu) -> Vec<([u32; crate::cpu::REG_SLOTS], u32)> {
        let mut c = cpu_with(code);
        c.regs = start.regs;
        c.flags = start.flags;
        let mut at = 0;
        let mut out = Vec::new();
        while code[at..] != [0x0f, 0x0b] {
            let i = decode_one(&code[at..], CODE + at as u32).expect("decodes");
            c.exec_one(&i);
            assert_eq!(c.exit, 0, "{code:02x?} at {at}");
            at += i.len as usize;
            out.push((c.regs, c.eflags()));
        }
        out
    }

    /// Random register-only streams run as blocks, stopped by instruction
    /// budgets at every point, and single-stepped, give exactly the state
    /// of running their instructions one by one.
    #[test]
    fn relaxed_blocks_run_exactly() {
        let mut rng = Rng(0x1234_5678_9abc);
        let mut relaxed_seen = 0;
        for case in 0..300 {
            let n = 1 + rng.below(40) as usize;
            let mut code: Vec<u8> = (0..n).flat_map(|_| rng.insn()).collect();
            code.extend([0x0f, 0x0b]);
            let mut start = cpu_with(&code);
            for r in 0..8 {
                if r != ESP {
                    start.regs[r] = rng.next() ^ rng.next() << 16;
                }
            }
            start.flags.load(rng.next(), ARITH);
            let want = reference(&code, &start);
            let ctx = format!("case {case} code {code:02x?}");
            relaxed_seen += relaxed(&code).iter().filter(|&&r| r).count();
            // Whole blocks.
            let mut c = cpu_with(&code);
            c.regs = start.regs;
            c.flags = start.flags;
            let ev = run::run(&mut c, &mut BlockCache::default());
            assert!(
                matches!(ev, Event::Exception(e) if e.vector == vec::UD),
                "{ctx}"
            );
            assert_eq!((c.regs, c.eflags()), *want.last().unwrap(), "{ctx}");
            // A budget ending after each instruction.
            for (k, w) in want.iter().enumerate() {
                let mut c = cpu_with(&code);
                c.regs = start.regs;
                c.flags = start.flags;
                let ev = run::run_until(&mut c, &mut BlockCache::default(), k as u64 + 1);
                assert_eq!(ev, None, "{ctx}");
                assert_eq!((c.regs, c.eflags()), *w, "budget {} {ctx}", k + 1);
            }
            // Single steps (TF, which pushf sees): #DB after each
            // instruction.
            start.flags.bits |= TF;
            let want = reference(&code, &start);
            let mut c = cpu_with(&code);
            c.regs = start.regs;
            c.flags = start.flags;
            let mut cache = BlockCache::default();
            for (k, w) in want.iter().enumerate() {
                let ev = run::run(&mut c, &mut cache);
                assert!(
                    matches!(ev, Event::Exception(e) if e.vector == vec::DB),
                    "{ctx}"
                );
                assert_eq!((c.regs, c.eflags()), *w, "step {} {ctx}", k + 1);
            }
        }
        assert!(relaxed_seen > 300, "only {relaxed_seen} relaxed");
        let _ = EAX;
    }
}
