//! Part 2: random instruction streams, natively and under emu.
//!
//! The runner (guest/fuzz/insn.c) forks a child per stream, maps the stream
//! at a fixed address with int3 around it, loads registers that point into a
//! scratch area (so memory operands are often valid), sets TF and jumps. Its
//! SA_SIGINFO handler (on an alternate stack, no TLS, int $0x80 to exit)
//! reports how the child died: signal, si_code, si_addr and eip relative to
//! the stream. The handler was chosen over ptrace because it observes all
//! four values identically natively and under emu (which has no ptrace of
//! its guests), and a fork per stream keeps a stream's damage in its child.
//!
//! Single-stepping (TF) is the budget: the handler counts the single-step
//! traps and ends the child after 2000 of them ("B"), so a loop ends after
//! the same number of instructions on both sides, not after a wall-clock
//! time that an interpreter 20 times slower would exceed first. A stream
//! that clears TF and keeps running ends by a timer of 1 s of CPU time ("T"). The price:
//! rep string instructions trap per iteration natively and emu's stepping
//! runs them whole (listed in fuzz_known.txt).
//!
//! Excluded streams (rejected when generated, by decoding at every byte
//! offset, since a jump may land anywhere in a stream): system calls
//! (int 0x80, sysenter, syscall) so no stream reaches the kernel with
//! random registers, and instructions whose results legitimately differ:
//! rdtsc, rdtscp, rdpmc, cpuid, rdrand, rdseed, rdpid, xgetbv, the
//! descriptor-table stores sgdt, sidt, sldt, str, smsw (UMIP emulation on
//! the host), instructions of CPUID features emu does not advertise (the
//! host has SSE4, AVX, SHA and more: [`ADVERTISED`]), and streams that
//! both leave a flag undefined (other than AF: mul, div, shifts, bsf...)
//! and read flags, since the host and emu may define them differently and
//! a jcc would send the two off to unrelated places. The child starts from
//! zeroed x87, MMX and XMM registers and the default MXCSR. The code page is read+exec only, so a stream cannot write
//! itself new instructions. Outcomes are compared as
//! (kind, signal, si_code, si_addr, eip); a difference is grouped by the
//! opcode of the instruction at the lower of the two reported eips inside
//! the stream (where they part), as `opcode_key` spells it, and by the first
//! field that differs (`kind`, `sig`, `code`, `addr`, `eip`).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use iced_x86::{CpuidFeature, Decoder, DecoderOptions, Mnemonic, OpKind, RflagsBits};

use super::support::{self, hex, Rng};

const PART: u64 = 2;
pub const TIER: &str = "fuzz tier (instruction streams)";
const SCRATCH: u32 = 0x1000_0000;
const STACK: u32 = SCRATCH + 0x8000;
const BATCH: usize = 200;

/// One stream: registers (eax ecx edx ebx esp ebp esi edi), eflags, bytes.
#[derive(Clone)]
pub struct Stream {
    pub index: u64,
    pub regs: [u32; 8],
    pub eflags: u32,
    pub bytes: Vec<u8>,
}

impl Stream {
    /// The runner's `struct rec`.
    fn record(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(72);
        for r in self.regs {
            v.extend_from_slice(&r.to_le_bytes());
        }
        v.extend_from_slice(&self.eflags.to_le_bytes());
        v.extend_from_slice(&(self.bytes.len() as u32).to_le_bytes());
        let mut b = self.bytes.clone();
        b.resize(32, 0);
        v.extend_from_slice(&b);
        v
    }
}

/// Is there an instruction at any offset of `b` that must not run?
fn excluded(b: &[u8]) -> bool {
    // Bytes past the end are int3 filler, which completes a truncated
    // encoding: decode with it.
    let mut padded = b.to_vec();
    padded.extend_from_slice(&[0xcc; 15]);
    let mut undefines = false;
    let mut reads = false;
    for off in 0..b.len() {
        let mut d = Decoder::with_ip(32, &padded[off..], 0, DecoderOptions::NONE);
        let i = d.decode();
        if i.is_invalid() {
            // c4/c5 with a register-form second byte is a VEX prefix in
            // 32-bit code (AVX, which emu's CPUID does not advertise); the
            // decoder here is built without VEX tables, as emu's is.
            // 62 with one is EVEX (AVX-512, which this host has).
            if matches!(padded[off], 0x62 | 0xc4 | 0xc5) && padded[off + 1] >= 0xc0 {
                return true;
            }
            continue;
        }
        // loope/loopne with a rep prefix (a reserved encoding): the AMD
        // host takes the prefix's condition instead of the opcode's (f3:
        // while ZF=1, f2: while ZF=0; measured, both opcodes, ZF 0 and 1),
        // Intel and emu ignore the prefix. The two then go different ways.
        if matches!(i.mnemonic(), Mnemonic::Loope | Mnemonic::Loopne)
            && padded[off..off + i.len() - 2]
                .iter()
                .any(|&p| p == 0xf2 || p == 0xf3)
        {
            return true;
        }
        let bad = match i.mnemonic() {
            Mnemonic::Syscall
            | Mnemonic::Sysenter
            | Mnemonic::Rdtsc
            | Mnemonic::Rdtscp
            | Mnemonic::Rdpmc
            | Mnemonic::Cpuid
            | Mnemonic::Rdrand
            | Mnemonic::Rdseed
            | Mnemonic::Rdpid
            | Mnemonic::Xgetbv
            | Mnemonic::Sgdt
            | Mnemonic::Sidt
            | Mnemonic::Sldt
            | Mnemonic::Str
            | Mnemonic::Smsw => true,
            Mnemonic::Int => i.op0_kind() == OpKind::Immediate8 && i.immediate8() == 0x80,
            _ => false,
        };
        if bad || !i.cpuid_features().iter().all(|f| ADVERTISED.contains(f)) {
            return true;
        }
        undefines |= i.rflags_undefined() & !RflagsBits::AF != 0;
        reads |= i.rflags_read() & !RflagsBits::AF != 0;
    }
    undefines && reads
}

/// The CPUID features of the instructions streams may hold: what emu's
/// CPUID advertises (cpu/exec/misc.rs, feat) and the base architecture.
/// Others (SSE4, AVX, AES, SHA, BMI, MOVBE, ...) exist on the host, so they
/// are left out rather than listed as differences by design.
const ADVERTISED: &[CpuidFeature] = &[
    CpuidFeature::INTEL8086,
    CpuidFeature::INTEL8086_ONLY,
    CpuidFeature::INTEL186,
    CpuidFeature::INTEL286,
    CpuidFeature::INTEL286_ONLY,
    CpuidFeature::INTEL386,
    CpuidFeature::INTEL386_ONLY,
    CpuidFeature::INTEL486,
    CpuidFeature::FPU,
    CpuidFeature::FPU287,
    CpuidFeature::FPU387,
    CpuidFeature::CMOV,
    CpuidFeature::CX8,
    CpuidFeature::MMX,
    CpuidFeature::FXSR,
    CpuidFeature::SSE,
    CpuidFeature::SSE2,
    CpuidFeature::SSE3,
    CpuidFeature::SSSE3,
    CpuidFeature::POPCNT,
    CpuidFeature::MULTIBYTENOP,
    CpuidFeature::PAUSE,
    CpuidFeature::CLFSH,
    CpuidFeature::PREFETCHW,
    CpuidFeature::MSR,
];

/// A register's starting value: mostly a pointer into scratch whose low
/// half is at least 0x100 (never a usable selector), sometimes small.
fn reg_value(r: &mut Rng) -> u32 {
    match r.below(20) {
        0 => 0,
        1 => 0xffff_ffff,
        2 => r.below(0x20) as u32,
        3 => r.u32() | 0x100,
        _ => SCRATCH + 0x100 + (r.u32() & 0xeefc),
    }
}

/// Stream `index` of `seed`.
pub fn stream(seed: u64, index: u64) -> Stream {
    let mut r = Rng::new(seed, PART, index);
    loop {
        let max = if r.chance(1, 4) { 24 } else { 12 };
        let len = 1 + r.below(max) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| r.u32() as u8).collect();
        match r.below(20) {
            // The two- and three-byte opcode maps, with and without a
            // mandatory prefix.
            0..=3 => b.insert(0, 0x0f),
            4 => {
                b.insert(0, 0x0f);
                b.insert(0, *r.pick(&[0x66, 0xf2, 0xf3]));
            }
            5 => {
                b.insert(0, *r.pick(&[0x38, 0x3a]));
                b.insert(0, 0x0f);
                if r.chance(1, 2) {
                    b.insert(0, 0x66);
                }
            }
            // x87.
            6 | 7 => b.insert(0, 0xd8 + r.below(8) as u8),
            _ => {}
        }
        b.truncate(32);
        let mut regs = [0u32; 8];
        for (k, v) in regs.iter_mut().enumerate() {
            *v = if k == 4 {
                STACK + (r.u32() & 0x3ffc)
            } else {
                reg_value(&mut r)
            };
        }
        // Arithmetic flags at random, DF sometimes, TF always, IF as ever.
        let mut eflags = 0x302 | (r.u32() & 0x8d5);
        if r.chance(1, 8) {
            eflags |= 0x400;
        }
        if excluded(&b) {
            continue;
        }
        return Stream {
            index,
            regs,
            eflags,
            bytes: b,
        };
    }
}

/// One child's end, as the runner printed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A signal: number, si_code, si_addr, eip relative to the stream.
    Sig {
        sig: u32,
        code: u32,
        addr: u32,
        eip: u32,
    },
    /// The single-step budget ran out.
    Budget,
    /// The fallback timer fired.
    Timer,
    /// Died without a record: by this signal.
    Killed(u32),
    /// Exited without a record.
    Exited(u32),
    /// Still running at the watchdog.
    Hung,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Outcome::Sig {
                sig,
                code,
                addr,
                eip,
            } => write!(
                f,
                "signal {sig} code {code:#x} addr {addr:#x} eip +{:#x}",
                *eip as i32
            ),
            Outcome::Budget => write!(f, "step budget exhausted"),
            Outcome::Timer => write!(f, "timer (TF cleared, still running)"),
            Outcome::Killed(s) => write!(f, "killed by signal {s} without a report"),
            Outcome::Exited(s) => write!(f, "exited {s} without a report"),
            Outcome::Hung => write!(f, "HUNG (killed by the runner's watchdog)"),
        }
    }
}

fn parse(out: &str, n: usize) -> Result<Vec<Outcome>, String> {
    let mut v = Vec::with_capacity(n);
    let mut done = false;
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.first() == Some(&"done") {
            done = true;
            continue;
        }
        let hexf = |i: usize| {
            f.get(i)
                .and_then(|s| u32::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("bad line {l:?}"))
        };
        let idx: usize = f
            .first()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad line {l:?}"))?;
        if idx != v.len() {
            return Err(format!("line {l:?} out of order"));
        }
        let k = f.get(1).copied().unwrap_or("");
        let o = match k {
            "S" => Outcome::Sig {
                sig: hexf(2)?,
                code: hexf(3)?,
                addr: hexf(4)?,
                eip: hexf(5)?,
            },
            "B" => Outcome::Budget,
            "T" => Outcome::Timer,
            "H" => Outcome::Hung,
            _ if k.starts_with('K') => Outcome::Killed(k[1..].parse().map_err(|_| l.to_string())?),
            _ if k.starts_with('X') => Outcome::Exited(k[1..].parse().map_err(|_| l.to_string())?),
            _ => return Err(format!("bad line {l:?}")),
        };
        v.push(o);
    }
    if !done || v.len() != n {
        return Err(format!("{} of {n} results, done line {done}", v.len()));
    }
    Ok(v)
}

/// The first field in which two outcomes differ.
pub fn class(n: &Outcome, e: &Outcome) -> &'static str {
    match (n, e) {
        (
            Outcome::Sig {
                sig: s1,
                code: c1,
                addr: a1,
                ..
            },
            Outcome::Sig {
                sig: s2,
                code: c2,
                addr: a2,
                ..
            },
        ) => {
            if s1 != s2 {
                "sig"
            } else if c1 != c2 {
                "code"
            } else if a1 != a2 {
                "addr"
            } else {
                "eip"
            }
        }
        _ => "kind",
    }
}

/// The opcode of the instruction at the start of `b`: the bytes after
/// legacy prefixes (the last of 66/f2/f3 kept before a 0f-map opcode, and
/// f2/f3 before a string instruction), the map escape and opcode, then
/// `/digit` for opcodes whose ModRM reg field selects the operation (or the
/// whole ModRM byte for register forms of 0f 01 and x87).
pub fn opcode_key(b: &[u8]) -> String {
    let mut i = 0;
    let mut mand: Option<u8> = None;
    let mut rep: Option<u8> = None;
    while i < b.len() && i < 14 {
        match b[i] {
            0x66 => mand = Some(0x66),
            0xf2 | 0xf3 => {
                mand = Some(b[i]);
                rep = Some(b[i]);
            }
            0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x67 | 0xf0 => {}
            _ => break,
        }
        i += 1;
    }
    let Some(&op) = b.get(i) else {
        return "prefixes only".into();
    };
    let modrm = |k: usize| b.get(k).copied();
    let reg_ext = |m: Option<u8>| match m {
        Some(m) => format!(" /{}", (m >> 3) & 7),
        None => " /?".into(),
    };
    if op == 0x0f {
        let Some(&op2) = b.get(i + 1) else {
            return "0f".into();
        };
        let pre = mand.map(|p| format!("{p:02x} ")).unwrap_or_default();
        if op2 == 0x38 || op2 == 0x3a {
            let op3 = b
                .get(i + 2)
                .map(|x| format!("{x:02x}"))
                .unwrap_or("?".into());
            return format!("{pre}0f {op2:02x} {op3}");
        }
        let m = modrm(i + 2);
        let ext = match op2 {
            0x01 => match m {
                Some(m) if m >= 0xc0 => format!(" {m:02x}"),
                _ => reg_ext(m),
            },
            0x00 | 0x18 | 0x0d | 0x71 | 0x72 | 0x73 | 0xae | 0xba | 0xc7 => reg_ext(m),
            _ => String::new(),
        };
        return format!("{pre}0f {op2:02x}{ext}");
    }
    let m = modrm(i + 1);
    match op {
        0xd8..=0xdf => match m {
            Some(m) if m >= 0xc0 => format!("{op:02x} {m:02x}"),
            _ => format!("{op:02x}{}", reg_ext(m)),
        },
        0x80..=0x83
        | 0x8f
        | 0xc0
        | 0xc1
        | 0xc6
        | 0xc7
        | 0xd0..=0xd3
        | 0xf6
        | 0xf7
        | 0xfe
        | 0xff => {
            format!("{op:02x}{}", reg_ext(m))
        }
        0x6c..=0x6f | 0xa4..=0xa7 | 0xaa..=0xaf if rep.is_some() => {
            format!("{:02x} {op:02x}", rep.unwrap_or(0))
        }
        // VEX (c4/c5 with a register-form second byte in 32-bit mode).
        0xc4 | 0xc5 if m.is_some_and(|m| m >= 0xc0) => format!("{op:02x} (vex)"),
        _ => format!("{op:02x}"),
    }
}

/// Where native and emu part: the lower of the two eips inside the stream.
/// A SIGTRAP's eip is past the instruction that trapped (int3, icebp,
/// into, a single step): that instruction is taken when a linear decode
/// from the start ends there.
pub fn culprit(s: &Stream, n: &Outcome, e: &Outcome) -> usize {
    let inside = |o: &Outcome| match o {
        Outcome::Sig { sig, eip, .. } if (*eip as usize) <= s.bytes.len() => {
            let eip = *eip as usize;
            if *sig == 5 {
                let mut padded = s.bytes.clone();
                padded.extend_from_slice(&[0xcc; 15]);
                let mut d = Decoder::with_ip(32, &padded, 0, DecoderOptions::NONE);
                while (d.ip() as usize) < eip {
                    let start = d.ip() as usize;
                    let _ = d.decode();
                    if d.ip() as usize == eip {
                        return Some(start);
                    }
                }
            }
            (eip < s.bytes.len()).then_some(eip)
        }
        _ => None,
    };
    match (inside(n), inside(e)) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => 0,
    }
}

/// A difference seen: key, class, and examples.
pub struct Diffs {
    pub groups: BTreeMap<(String, String), (u64, Vec<String>)>,
}

/// What one run of the part saw.
pub struct Report {
    pub streams: u64,
    pub same: u64,
    pub diffs: Diffs,
    /// emu failures: hang, panic, fault, runner death.
    pub failures: Vec<String>,
    /// Streams that did not finish natively (not compared).
    pub native_odd: u64,
}

fn describe(s: &Stream, n: &Outcome, e: &Outcome) -> String {
    format!(
        "#{} bytes {} regs {:08x?} eflags {:#x}\n      native: {n}\n      emu:    {e}",
        s.index,
        hex(&s.bytes),
        s.regs,
        s.eflags
    )
}

/// Run batches of streams until `until`.
pub fn run(runner: &Path, seed: u64, budget: &support::Budget) -> Report {
    let dir = support::scratch_dir("insn");
    let file = dir.join("streams.bin");
    let mut rep = Report {
        streams: 0,
        same: 0,
        diffs: Diffs {
            groups: BTreeMap::new(),
        },
        failures: Vec::new(),
        native_odd: 0,
    };
    let mut next = 0u64;
    while budget.more(next) && rep.failures.is_empty() {
        let n = budget.batch(next, BATCH as u64);
        let batch: Vec<Stream> = (next..next + n).map(|i| stream(seed, i)).collect();
        next += n;
        let data: Vec<u8> = batch.iter().flat_map(|s| s.record()).collect();
        std::fs::write(&file, &data).expect("write streams");
        let args = [file.as_os_str()];
        let timeout = Duration::from_secs(120 + BATCH as u64);
        let nat = support::run(support::native_cmd(runner, &args), timeout);
        let nat_o = match parse(&nat.stdout, batch.len()) {
            Ok(v) => v,
            Err(e) => panic!(
                "{TIER}: the native runner failed ({e}), status {}\n{}",
                nat.status,
                support::tail(&nat.stderr, 2000)
            ),
        };
        let emu = support::run(support::emu_cmd(runner, &args as &[&OsStr]), timeout);
        if let Some(f) = support::emu_failed(&emu) {
            keep(&dir, &data, next);
            rep.failures.push(format!(
                "batch of streams {}..{}: {f}\n{}",
                next - n,
                next,
                support::tail(&emu.stderr, 3000)
            ));
            break;
        }
        let emu_o = match parse(&emu.stdout, batch.len()) {
            Ok(v) => v,
            Err(e) => {
                keep(&dir, &data, next);
                rep.failures.push(format!(
                    "batch of streams {}..{}: the runner under emu failed ({e}), status {}{}\n{}",
                    next - n,
                    next,
                    emu.status,
                    if emu.timed_out { " (timed out)" } else { "" },
                    support::tail(&emu.stderr, 3000)
                ));
                break;
            }
        };
        for ((s, n), e) in batch.iter().zip(&nat_o).zip(&emu_o) {
            rep.streams += 1;
            if matches!(n, Outcome::Hung | Outcome::Killed(_) | Outcome::Exited(_)) {
                rep.native_odd += 1;
                continue;
            }
            if matches!(e, Outcome::Hung | Outcome::Killed(_) | Outcome::Exited(_)) {
                rep.failures
                    .push(format!("emu failed a stream: {}", describe(s, n, e)));
                continue;
            }
            if n == e {
                rep.same += 1;
                continue;
            }
            let at = culprit(s, n, e);
            let key = opcode_key(&s.bytes[at..]);
            let g = rep
                .diffs
                .groups
                .entry((key, class(n, e).to_string()))
                .or_insert((0, Vec::new()));
            g.0 += 1;
            if g.1.len() < 3 {
                g.1.push(describe(s, n, e));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    rep
}

/// Keep a failing batch for replay.
fn keep(_dir: &Path, data: &[u8], next: u64) {
    let f = support::failure_dir().join(format!("insn-batch-{next}.bin"));
    let _ = std::fs::write(&f, data);
    eprintln!(
        "{TIER}: batch kept in {} (run: emu guest-fuzz/insn FILE)",
        f.display()
    );
}

/// The checked-in list of known differences: `key | class | reason` lines.
pub fn known(text: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let mut m = BTreeMap::new();
    for (n, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = l.split('|').map(str::trim).collect();
        if f.len() != 3 || f.iter().any(|x| x.is_empty()) {
            return Err(format!(
                "fuzz_known.txt line {}: want `key | class | reason`: {l:?}",
                n + 1
            ));
        }
        if !["kind", "sig", "code", "addr", "eip"].contains(&f[1]) {
            return Err(format!(
                "fuzz_known.txt line {}: bad class {:?}",
                n + 1,
                f[1]
            ));
        }
        if m.insert((f[0].to_string(), f[1].to_string()), f[2].to_string())
            .is_some()
        {
            return Err(format!("fuzz_known.txt line {}: duplicate {l:?}", n + 1));
        }
    }
    Ok(m)
}
