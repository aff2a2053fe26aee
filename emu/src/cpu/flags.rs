//! Lazy arithmetic flags.
//!
//! Arithmetic instructions record the operation kind, operands and result;
//! CF, PF, AF, ZF, SF and OF are computed only when something reads them.
//! Everything here is pure and testable without a machine.

pub const CF: u32 = 1 << 0;
pub const PF: u32 = 1 << 2;
pub const AF: u32 = 1 << 4;
pub const ZF: u32 = 1 << 6;
pub const SF: u32 = 1 << 7;
pub const TF: u32 = 1 << 8;
pub const IF: u32 = 1 << 9;
pub const DF: u32 = 1 << 10;
pub const OF: u32 = 1 << 11;
pub const NT: u32 = 1 << 14;
pub const RF: u32 = 1 << 16;
pub const VM: u32 = 1 << 17;
pub const AC: u32 = 1 << 18;
pub const ID: u32 = 1 << 21;
pub const ARITH: u32 = CF | PF | AF | ZF | SF | OF;

/// Kind of the last flag-setting operation. The low 2 bits hold the size
/// (0 = 8, 1 = 16, 2 = 32 bits).
pub mod kind {
    /// Flags are materialised in `Flags::bits`.
    pub const NONE: u8 = 0xff;
    pub const ADD: u8 = 0 << 2;
    pub const ADC: u8 = 1 << 2;
    pub const SUB: u8 = 2 << 2;
    pub const SBB: u8 = 3 << 2;
    /// and/or/xor/test: CF = OF = AF = 0.
    pub const LOGIC: u8 = 4 << 2;
    /// CF is kept in `aux`.
    pub const INC: u8 = 5 << 2;
    pub const DEC: u8 = 6 << 2;
    pub const NEG: u8 = 7 << 2;
    /// SF/ZF/PF from `res`; CF, OF and AF given explicitly in `aux`
    /// (bit 0 = CF, bit 11 = OF, bit 4 = AF). Used by shifts and friends.
    pub const RES: u8 = 8 << 2;
}

#[inline(always)]
pub const fn size_bits(sz: u8) -> u32 {
    8 << sz
}

/// The left shift (mod 32) that moves the top bit of an operation of
/// size `sz` to bit 31 (24, 16 or 0): compares of values shifted so are
/// compares of their low `size_bits(sz)` bits, with no mask.
#[inline(always)]
pub const fn top_shift(sz: u8) -> u32 {
    0u32.wrapping_sub(size_bits(sz))
}

#[inline(always)]
pub const fn size_mask(sz: u8) -> u32 {
    match sz {
        0 => 0xff,
        1 => 0xffff,
        _ => 0xffff_ffff,
    }
}

#[inline(always)]
const fn sign(sz: u8) -> u32 {
    1 << (size_bits(sz) - 1)
}

/// EFLAGS with lazily evaluated arithmetic bits.
///
/// The lazy record is two 64-bit words, so recording an operation costs at
/// most two stores (a logic op one): the kind with the result, and the two
/// operands. Stores are what an interpreter runs out of first (one per
/// cycle on Zen 1).
#[derive(Clone, Copy, Debug)]
pub struct Flags {
    /// Non-arithmetic bits always; arithmetic bits only when the kind is NONE.
    pub bits: u32,
    /// Carry-in (adc/sbb), preserved CF (inc/dec) or explicit flags (RES).
    pub aux: u32,
    /// The kind (low byte) and the unmasked result (high half).
    kr: u64,
    /// Operand `a` (low half) and `b` (high half). Stale after a logic op,
    /// whose flags never read them.
    ab: u64,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            bits: 0x202,
            aux: 0,
            kr: kind::NONE as u64,
            ab: 0,
        }
    }
}

/// The word whose top bit (at the operation's size) is OF after an add,
/// adc, sub or sbb (kind `k`) of `a` and `b` giving `r`: bit 3 of the kind
/// is set for sub and sbb, where an overflow needs the operands' signs to
/// differ (for add and adc, to agree) and the result's to differ from
/// `a`'s.
#[inline(always)]
pub fn arith_overflow(k: u8, a: u32, b: u32, r: u32) -> u32 {
    let x = if k & 8 != 0 { a ^ b } else { !(a ^ b) };
    x & (a ^ r)
}

#[inline(always)]
pub fn parity(v: u32) -> bool {
    (v as u8).count_ones() & 1 == 0
}

impl Flags {
    /// A lazy record (tests).
    pub fn lazy(k: u8, res: u32, a: u32, b: u32, aux: u32) -> Flags {
        let mut f = Flags {
            bits: 0x202,
            aux,
            ..Default::default()
        };
        f.set(k, res, a, b);
        f
    }

    #[inline(always)]
    pub fn set(&mut self, k: u8, res: u32, a: u32, b: u32) {
        self.kr = k as u64 | (res as u64) << 32;
        self.ab = a as u64 | (b as u64) << 32;
    }

    /// Record a logic op (and, or, xor, test): only the result counts.
    #[inline(always)]
    pub fn set_logic(&mut self, k: u8, res: u32) {
        self.kr = k as u64 | (res as u64) << 32;
    }

    /// The kind of the last flag-setting operation (`kind::NONE`: the
    /// flags are in `bits`).
    #[inline(always)]
    pub fn kind(&self) -> u8 {
        self.kr as u8
    }

    /// Change the kind, keeping the result and operands.
    #[inline(always)]
    pub fn set_kind(&mut self, k: u8) {
        self.kr = (self.kr & !0xff) | k as u64;
    }

    #[inline(always)]
    pub fn res(&self) -> u32 {
        (self.kr >> 32) as u32
    }

    #[inline(always)]
    pub fn a(&self) -> u32 {
        self.ab as u32
    }

    #[inline(always)]
    pub fn b(&self) -> u32 {
        (self.ab >> 32) as u32
    }

    #[inline(always)]
    fn sz(&self) -> u8 {
        self.kind() & 3
    }

    #[inline(always)]
    pub fn cf(&self) -> bool {
        let sz = self.sz();
        let m = size_mask(sz);
        match self.kind() & !3 {
            _ if self.kind() == kind::NONE => self.bits & CF != 0,
            kind::ADD => (self.res() & m) < (self.a() & m),
            kind::ADC => {
                let (r, a) = (self.res() & m, self.a() & m);
                r < a || (self.aux != 0 && r == a)
            }
            kind::SUB => (self.a() & m) < (self.b() & m),
            kind::SBB => {
                let (a, b) = (self.a() & m, self.b() & m);
                a < b || (self.aux != 0 && a == b)
            }
            kind::LOGIC => false,
            kind::INC | kind::DEC => self.aux != 0,
            kind::NEG => self.a() & m != 0,
            _ => self.aux & CF != 0,
        }
    }

    /// CF as inc and dec keep it ([`Flags::cf`]): after an add, a sub (a
    /// cmp) of any size, a logic op or flags loaded whole, without size
    /// masks or the jump table; any other producer out of line, so the
    /// handler stays small enough to inline its semantics. Busybox awk: of 2.3 million incs,
    /// 1.9 million follow a sub or cmp, 0.2 an add and 0.2 a logic op.
    #[inline(always)]
    pub fn carry_in(&self) -> bool {
        let k = self.kind();
        // NONE's garbage size is never used.
        let sh = top_shift(k & 3);
        if k & !3 == kind::SUB {
            self.a().wrapping_shl(sh) < self.b().wrapping_shl(sh)
        } else if k & !3 == kind::ADD {
            self.res().wrapping_shl(sh) < self.a().wrapping_shl(sh)
        } else if k & !3 == kind::LOGIC {
            false
        } else if k == kind::NONE {
            // Flags loaded whole (a return from the kernel, popf, sahf):
            // `dec` counting a loop around a system call.
            self.bits & CF != 0
        } else {
            self.cf_out_of_line()
        }
    }

    /// [`Flags::carry_in`] with a neg (CF: its operand was not 0) first:
    /// `neg; sbb r, r` (see `exec::alu::sbb_same`).
    #[inline(always)]
    pub fn carry_in_after_neg(&self) -> bool {
        let k = self.kind();
        if k & !3 == kind::NEG {
            return self.a().wrapping_shl(top_shift(k & 3)) != 0;
        }
        self.carry_in()
    }

    /// [`Flags::cf`] out of line through `cpu::call_preserving`: a plain
    /// call gave the handlers a frame (five pushes and pops on their
    /// fast path).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[inline(always)]
    fn cf_out_of_line(&self) -> bool {
        extern "C" fn f(p: usize, _: usize, _: usize, _: usize) -> u64 {
            // SAFETY: `p` is the `Flags` the caller borrows.
            unsafe { (*(p as *const Flags)).cf() as u64 }
        }
        // SAFETY: `f` reads the Flags at its first argument.
        unsafe { super::call_preserving(f, self as *const Flags as usize, 0, 0, 0) != 0 }
    }

    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    #[inline(never)]
    fn cf_out_of_line(&self) -> bool {
        self.cf()
    }

    #[inline(always)]
    pub fn zf(&self) -> bool {
        if self.kind() == kind::NONE {
            self.bits & ZF != 0
        } else {
            self.res() & size_mask(self.sz()) == 0
        }
    }

    #[inline(always)]
    pub fn sf(&self) -> bool {
        if self.kind() == kind::NONE {
            self.bits & SF != 0
        } else {
            self.res() & sign(self.sz()) != 0
        }
    }

    #[inline(always)]
    pub fn pf(&self) -> bool {
        if self.kind() == kind::NONE {
            self.bits & PF != 0
        } else {
            parity(self.res())
        }
    }

    #[inline(always)]
    pub fn af(&self) -> bool {
        match self.kind() & !3 {
            _ if self.kind() == kind::NONE => self.bits & AF != 0,
            kind::LOGIC => false,
            kind::RES => self.aux & AF != 0,
            kind::NEG => (self.res() ^ self.a()) & 0x10 != 0,
            kind::INC => (self.res() ^ self.a()) & 0x10 != 0,
            kind::DEC => (self.res() ^ self.a()) & 0x10 != 0,
            _ => (self.a() ^ self.b() ^ self.res()) & 0x10 != 0,
        }
    }

    #[inline(always)]
    pub fn of(&self) -> bool {
        if self.kind() == kind::NONE {
            return self.bits & OF != 0;
        }
        let s = sign(self.sz());
        match self.kind() & !3 {
            kind::ADD | kind::ADC | kind::SUB | kind::SBB => {
                arith_overflow(self.kind(), self.a(), self.b(), self.res()) & s != 0
            }
            kind::LOGIC => false,
            kind::INC => self.res() & size_mask(self.sz()) == s,
            kind::DEC => self.res() & size_mask(self.sz()) == s - 1,
            kind::NEG => self.res() & size_mask(self.sz()) == s,
            _ => self.aux & OF != 0,
        }
    }

    /// The full EFLAGS value: one dispatch on the kind computes CF, AF and
    /// OF together (the per-flag accessors each dispatch separately).
    #[inline]
    pub fn get(&self) -> u32 {
        if self.kind() == kind::NONE {
            return self.bits;
        }
        let sz = self.sz();
        let m = size_mask(sz);
        let s = sign(sz);
        let (a, b, res) = (self.a(), self.b(), self.res());
        let r = res & m;
        // OF written out per kind rather than through `arith_overflow`,
        // which reads the kind's bit 3 again here: 5 host instructions
        // more a vDSO getpid round trip, which evaluates EFLAGS.
        let (cf, af, of) = match self.kind() & !3 {
            kind::ADD => (
                r < (a & m),
                (a ^ b ^ res) & AF != 0,
                (!(a ^ b) & (a ^ res)) & s != 0,
            ),
            kind::ADC => (
                r < (a & m) || (self.aux != 0 && r == (a & m)),
                (a ^ b ^ res) & AF != 0,
                (!(a ^ b) & (a ^ res)) & s != 0,
            ),
            kind::SUB => (
                (a & m) < (b & m),
                (a ^ b ^ res) & AF != 0,
                ((a ^ b) & (a ^ res)) & s != 0,
            ),
            kind::SBB => (
                (a & m) < (b & m) || (self.aux != 0 && (a & m) == (b & m)),
                (a ^ b ^ res) & AF != 0,
                ((a ^ b) & (a ^ res)) & s != 0,
            ),
            kind::LOGIC => (false, false, false),
            kind::INC => (self.aux != 0, (res ^ a) & AF != 0, r == s),
            kind::DEC => (self.aux != 0, (res ^ a) & AF != 0, r == s - 1),
            kind::NEG => (a & m != 0, (res ^ a) & AF != 0, r == s),
            _ => (self.aux & CF != 0, self.aux & AF != 0, self.aux & OF != 0),
        };
        (self.bits & !ARITH)
            | 2
            | cf as u32
            | (parity(r) as u32) << 2
            | (af as u32) << 4
            | ((r == 0) as u32) << 6
            | ((r & s != 0) as u32) << 7
            | (of as u32) << 11
    }

    /// Replace the arithmetic bits selected by `mask` with those of `v`.
    #[inline]
    pub fn set_arith(&mut self, v: u32, mask: u32) {
        let cur = self.get();
        self.bits = (cur & !mask) | (v & mask) | 2;
        self.set_kind(kind::NONE);
    }

    /// Load a full EFLAGS value (popf, iret, sahf...), keeping only bits in `writable`.
    #[inline]
    pub fn load(&mut self, v: u32, writable: u32) {
        // The non-arithmetic bits of `bits` are always current; the lazy
        // arithmetic ones need computing only if some of them are kept,
        // and no change at all if none is written (sysenter's IF, VM, RF).
        if writable & ARITH == 0 {
            self.bits = (self.bits & !writable) | (v & writable) | 2;
            return;
        }
        let cur = if writable & ARITH == ARITH {
            self.bits
        } else {
            self.get()
        };
        self.bits = (cur & !writable) | (v & writable) | 2;
        self.set_kind(kind::NONE);
    }

    /// Materialise the arithmetic flags into `bits`.
    #[inline]
    pub fn materialize(&mut self) {
        self.bits = self.get();
        self.set_kind(kind::NONE);
    }

    #[inline(always)]
    pub fn df(&self) -> bool {
        self.bits & DF != 0
    }

    /// Evaluate condition code `cc` (the low nibble of jcc/setcc/cmovcc).
    /// The common producers inline (a compare or logic op of any size,
    /// ZF, SF and PF of every kind, CF of most), the rest out of line.
    #[inline(always)]
    pub fn cond(&self, cc: u8) -> bool {
        let k = self.kind();
        if k == kind::SUB | 2 {
            if let Some(v) = compare_cond(self.a(), self.b(), cc) {
                return v;
            }
        } else if k == kind::LOGIC | 2 {
            if let Some(v) = sign_cond(self.res() as i32, cc) {
                return v;
            }
        }
        if k == kind::NONE {
            return self.cond_slow(cc);
        }
        let sh = top_shift(k & 3);
        let r = self.res().wrapping_shl(sh);
        // ZF and SF come from the result for every kind, and so does PF
        // (its low byte: perl runs a `jp` about three times an iteration
        // of its loop).
        if matches!(cc, 0x4 | 0x5 | 0x8 | 0x9) {
            if let Some(v) = sign_cond(r as i32, cc) {
                return v;
            }
        }
        if cc >> 1 == 5 {
            return parity(self.res()) ^ (cc & 1 != 0);
        }
        let v = if k & !3 == kind::SUB {
            compare_cond(self.a().wrapping_shl(sh), self.b().wrapping_shl(sh), cc)
        } else if k & !3 == kind::LOGIC {
            sign_cond(r as i32, cc)
        } else if cc >> 1 == 1 {
            // jb/jae where the carry is at hand: after bt and the shifts
            // (RES), inc and dec (kept in `aux`), add, and the borrow or
            // carry chains of sbb and adc (python3.11 runs `sbb; jb`
            // twice an iteration of its loop) and neg.
            let (a, b) = (self.a().wrapping_shl(sh), self.b().wrapping_shl(sh));
            match k & !3 {
                kind::RES => Some(self.aux & CF != 0),
                kind::INC | kind::DEC => Some(self.aux != 0),
                kind::ADD => Some(r < a),
                kind::ADC => Some(r < a || (self.aux != 0 && r == a)),
                kind::SBB => Some(a < b || (self.aux != 0 && a == b)),
                kind::NEG => Some(a != 0),
                _ => None,
            }
            .map(|c| c ^ (cc & 1 != 0))
        } else if cc >= 0xc && k & !3 <= kind::SBB {
            // The signed conditions after add, adc and sbb (a sub is a
            // compare, above), SF against OF from the record: the high
            // half of a 64-bit compare (`cmp lo; sbb hi; jl`, busybox awk
            // eight times a line of its sum).
            let (a, b) = (self.a().wrapping_shl(sh), self.b().wrapping_shl(sh));
            let lt = ((r as i32) < 0) != ((arith_overflow(k, a, b, r) as i32) < 0);
            let le = lt || r == 0;
            Some(match cc {
                0xc => lt,
                0xd => !lt,
                0xe => le,
                _ => !le,
            })
        } else if cc >= 0xc && (k & !3 == kind::INC || k & !3 == kind::DEC) {
            // The signed conditions after inc and dec (a loop counter):
            // the operand against -1 or 1, recovered from the result.
            let one = 1u32.wrapping_shl(sh);
            let (a, b) = if k & !3 == kind::INC {
                (r.wrapping_sub(one), one.wrapping_neg())
            } else {
                (r.wrapping_add(one), one)
            };
            compare_cond(a, b, cc)
        } else {
            None
        };
        v.unwrap_or_else(|| self.cond_slow(cc))
    }

    /// [`Flags::cond`] from the flags one at a time.
    #[inline(never)]
    fn cond_slow(&self, cc: u8) -> bool {
        let r = match cc >> 1 {
            0 => self.of(),
            1 => self.cf(),
            2 => self.zf(),
            3 => self.cf() || self.zf(),
            4 => self.sf(),
            5 => self.pf(),
            6 => self.sf() != self.of(),
            _ => self.zf() || (self.sf() != self.of()),
        };
        r ^ (cc & 1 != 0)
    }
}

/// Condition `cc` after a compare of `a` with `b` (sub or cmp, the top
/// bits of the operation at bit 31), for the conditions that depend on
/// the operands only.
#[inline(always)]
fn compare_cond(a: u32, b: u32, cc: u8) -> Option<bool> {
    Some(match cc {
        0x2 => a < b,
        0x3 => a >= b,
        0x4 => a == b,
        0x5 => a != b,
        0x6 => a <= b,
        0x7 => a > b,
        0xc => (a as i32) < (b as i32),
        0xd => (a as i32) >= (b as i32),
        0xe => (a as i32) <= (b as i32),
        0xf => (a as i32) > (b as i32),
        _ => return None,
    })
}

/// Condition `cc` from a result `r` (its top bit at bit 31) whose CF and
/// OF are clear (a logic op); ZF and SF conditions hold for any kind.
#[inline(always)]
fn sign_cond(r: i32, cc: u8) -> Option<bool> {
    Some(match cc {
        0x4 => r == 0,
        0x5 => r != 0,
        0x8 | 0xc => r < 0,
        0x9 | 0xd => r >= 0,
        0xe => r <= 0,
        0xf => r > 0,
        _ => return None,
    })
}

/// Every lazy-flags kind (tests iterate over them).
#[cfg(test)]
pub const ALL_KINDS: [u8; 9] = [
    kind::ADD,
    kind::ADC,
    kind::SUB,
    kind::SBB,
    kind::LOGIC,
    kind::INC,
    kind::DEC,
    kind::NEG,
    kind::RES,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn add8(a: u32, b: u32) -> u32 {
        let mut f = Flags::default();
        f.set(kind::ADD, a.wrapping_add(b), a, b);
        f.get() & ARITH
    }

    #[test]
    fn add_flags() {
        assert_eq!(add8(0x7f, 1), OF | SF | AF);
        assert_eq!(add8(0xff, 1), CF | ZF | PF | AF);
        assert_eq!(add8(0, 0), ZF | PF);
    }

    /// Operand values for the tests below: size edges, and bits above an
    /// operation's size set (lazy records keep them).
    const VALS: [u32; 16] = [
        0,
        1,
        5,
        0xf,
        0x10,
        0x7f,
        0x80,
        0xff,
        0x1234_5680,
        0x7fff,
        0x8000,
        0xffff,
        0xabcd_ffff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
    ];

    /// `check` every lazy record of every kind and size over [`VALS`]
    /// squared, with each of `auxes`, the result `res(kind, a, b, aux)`.
    fn each_record(
        auxes: &[u32],
        res: impl Fn(u8, u32, u32, u32) -> u32,
        mut check: impl FnMut(Flags),
    ) {
        for k in ALL_KINDS {
            for sz in 0..3u8 {
                for &a in &VALS {
                    for &b in &VALS {
                        for &aux in auxes {
                            check(Flags::lazy(k | sz, res(k, a, b, aux), a, b, aux));
                        }
                    }
                }
            }
        }
    }

    /// Every condition of every kind and size agrees with the same
    /// condition of the materialised flags.
    #[test]
    fn cond_fast_paths_match_the_flags() {
        let res = |k, a: u32, b: u32, _| match k {
            kind::SUB | kind::SBB => a.wrapping_sub(b),
            kind::LOGIC => a & b,
            kind::NEG => 0u32.wrapping_sub(a),
            _ => a.wrapping_add(b),
        };
        each_record(&[0, CF | OF], res, |f| {
            let mut g = f;
            g.materialize();
            for cc in 0..16 {
                assert_eq!(f.cond(cc), g.cond(cc), "{f:x?} cc={cc}");
            }
        });
    }

    #[test]
    fn get_matches_the_per_flag_accessors() {
        let res = |_, a: u32, b: u32, aux: u32| a.wrapping_add(b).wrapping_add(aux & 1);
        each_record(&[0, 1, AF | OF, CF | AF | OF], res, |f| {
            let each = (f.cf() as u32)
                | (f.pf() as u32) << 2
                | (f.af() as u32) << 4
                | (f.zf() as u32) << 6
                | (f.sf() as u32) << 7
                | (f.of() as u32) << 11;
            assert_eq!(f.get() & ARITH, each, "{f:x?}");
        });
    }

    /// The carry inc and dec keep is the previous operation's CF, for
    /// every kind and size.
    #[test]
    fn carry_in_is_cf() {
        let res = |k, a: u32, b: u32, aux: u32| match k {
            kind::SUB | kind::SBB => a.wrapping_sub(b).wrapping_sub(aux & 1),
            kind::LOGIC => a ^ b,
            _ => a.wrapping_add(b).wrapping_add(aux & 1),
        };
        each_record(&[0, 1, CF | OF], res, |f| {
            assert_eq!(f.carry_in(), f.cf(), "{f:x?}");
            assert_eq!(f.carry_in_after_neg(), f.cf(), "{f:x?}");
            let mut g = f;
            g.materialize();
            assert_eq!(g.carry_in(), f.cf(), "{f:x?} materialized");
        });
    }

    /// A load that writes no arithmetic flag (sysenter clearing IF, VM
    /// and RF) gives the EFLAGS of one made from the evaluated flags, and
    /// leaves the lazy record as it was.
    #[test]
    fn load_of_system_bits_keeps_the_record() {
        let res = |_, a: u32, b: u32, aux: u32| a.wrapping_sub(b).wrapping_sub(aux & 1);
        each_record(&[0, 1], res, |f| {
            for (v, w) in [(0, VM | IF | RF), (IF | AC, IF | AC | TF)] {
                let mut lazy = f;
                lazy.bits |= IF | RF;
                let mut eager = lazy;
                eager.materialize();
                lazy.load(v, w);
                eager.load(v, w);
                assert_eq!(lazy.get(), eager.get(), "{f:x?} {v:#x} {w:#x}");
                assert_eq!(lazy.kind(), f.kind(), "{f:x?}");
            }
        });
    }

    #[test]
    fn inc_keeps_carry() {
        let mut f = Flags::default();
        f.set(kind::INC | 2, 0x8000_0000, 0x7fff_ffff, 1);
        f.aux = 1;
        assert_eq!(f.get() & ARITH, CF | OF | SF | AF | PF);
    }
}
