//! The fuzz tier (issue 12): three parts sharing one time budget.
//!
//! 1. **ELF mutation** (`fuzz/elf.rs`): mutated headers and program
//!    headers of small static i386 programs, run under emu.
//! 2. **Random instruction streams** (`fuzz/insn.rs`, runner
//!    `guest/fuzz/insn.c`): each stream runs natively and under emu; the
//!    death signal, si_code, si_addr and eip are compared, differences are
//!    grouped by opcode and class and checked against
//!    `emu/tests/fuzz_known.txt`, a list that may only shrink: a
//!    difference not on it fails the test.
//! 3. **Random system calls** (`fuzz/sys.rs`, runner `guest/fuzz/sys.c`):
//!    random numbers and arguments under emu, nothing compared.
//!
//! Every part fails on emu's own distress: a Rust panic, a fault of emu's
//! code (its host fault handler's `emu: internal fault:` line, see
//! kernel/hostsig.rs), a Rust runtime abort, or a hang.
//!
//! By default each part runs a fixed number of inputs (about a minute in
//! all with cargo's two test threads; a deadline stops a slow machine
//! early), so CI always sees the same inputs. `EMU_FUZZ_SECS` makes it a
//! timed run instead: that many seconds of wall time with two test
//! threads, part 2 for all of it, parts 1 and 3 for half each.
//! `EMU_FUZZ_SEED` (decimal or 0x-hex; a fixed default, so CI repeats
//! itself) picks the inputs; input N of a part depends only on the seed,
//! the part and N, so a failure is replayed by the same seed (and a budget
//! long enough to reach N). The seed and the counts are printed on stderr
//! (`cargo test --test fuzz -- --nocapture` shows them). As root, every
//! fuzzed program runs as nobody (`support::sandbox`).

mod common;

#[path = "fuzz/elf.rs"]
mod elf;
#[path = "fuzz/insn.rs"]
mod insn;
#[path = "fuzz/support.rs"]
mod support;
#[path = "fuzz/sys.rs"]
mod sys;

use std::collections::BTreeMap;

const KNOWN: &str = include_str!("fuzz_known.txt");

/// Inputs of a default run (no `EMU_FUZZ_SECS`): see `support::Budget`.
const ELF_INPUTS: u64 = 2000;
const STREAMS: u64 = 16000;
const SYSCALL_CHILDREN: u64 = 2500;

fn banner(part: &str) {
    let budget = match std::env::var("EMU_FUZZ_SECS") {
        Ok(s) => format!("EMU_FUZZ_SECS={s}"),
        Err(_) => "the default count of inputs (EMU_FUZZ_SECS not set)".into(),
    };
    eprintln!(
        "fuzz {part}: seed {:#x} (EMU_FUZZ_SEED), {budget}",
        support::seed()
    );
}

#[test]
fn a_elf_mutation() {
    banner("ELF mutation");
    let rep = elf::run(support::seed(), &support::Budget::new(0.5, ELF_INPUTS));
    eprintln!("fuzz ELF mutation: {} inputs", rep.inputs);
    for (o, n) in &rep.outcomes {
        eprintln!("  {n:>7}  {o}");
    }
    assert!(rep.inputs > 0, "{}: no input ran", elf::TIER);
    assert!(
        rep.failures.is_empty(),
        "{}: seed {:#x}: {} failure(s):\n{}",
        elf::TIER,
        support::seed(),
        rep.failures.len(),
        rep.failures.join("\n")
    );
}

#[test]
fn b_instruction_streams() {
    banner("instruction streams");
    let known = insn::known(KNOWN).unwrap_or_else(|e| panic!("{e}"));
    let Some(runner) = support::runner(insn::TIER, "insn") else {
        return;
    };
    if let Err(e) = common::setarch_ok() {
        common::skip(insn::TIER, &e);
        return;
    }
    let rep = insn::run(
        &runner,
        support::seed(),
        &support::Budget::new(1.0, STREAMS),
    );
    let ndiff: u64 = rep.diffs.groups.values().map(|g| g.0).sum();
    eprintln!(
        "fuzz instruction streams: {} streams, {} same, {} different in {} groups, {} not finishing natively",
        rep.streams,
        rep.same,
        ndiff,
        rep.diffs.groups.len(),
        rep.native_odd
    );
    let mut by_class: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, class), (n, _)) in &rep.diffs.groups {
        *by_class.entry(class).or_default() += n;
    }
    for (c, n) in &by_class {
        eprintln!("  class {c}: {n}");
    }
    let mut new = Vec::new();
    for ((key, class), (n, ex)) in &rep.diffs.groups {
        let listed = known.contains_key(&(key.clone(), class.clone()));
        eprintln!(
            "  {n:>6}  {key} | {class}{}",
            if listed { "" } else { "   NEW" }
        );
        if !listed {
            new.push(format!(
                "{key} | {class} | ?   ({n} streams), e.g.\n    {}",
                ex.join("\n    ")
            ));
        }
    }
    let unseen: Vec<_> = known
        .keys()
        .filter(|k| !rep.diffs.groups.contains_key(*k))
        .map(|(k, c)| format!("{k} | {c}"))
        .collect();
    if !unseen.is_empty() {
        eprintln!(
            "  known differences not seen in this run ({}; {}):\n    {}",
            unseen.len(),
            if support::long_run() {
                "a long run: they may be removed from fuzz_known.txt"
            } else {
                "a short run proves nothing"
            },
            unseen.join("\n    ")
        );
    }
    assert!(rep.streams > 0, "{}: no stream ran", insn::TIER);
    assert!(
        rep.failures.is_empty(),
        "{}: seed {:#x}: emu failed:\n{}",
        insn::TIER,
        support::seed(),
        rep.failures.join("\n")
    );
    assert!(
        new.is_empty(),
        "{}: seed {:#x}: differences not in emu/tests/fuzz_known.txt (fix emu, or list them with a reason):\n{}",
        insn::TIER,
        support::seed(),
        new.join("\n")
    );
}

#[test]
fn c_random_syscalls() {
    banner("random syscalls");
    let Some(runner) = support::runner(sys::TIER, "sys") else {
        return;
    };
    let rep = sys::run(
        &runner,
        support::seed(),
        &support::Budget::new(0.5, SYSCALL_CHILDREN),
    );
    eprintln!(
        "fuzz random syscalls: {} children, {} calls",
        rep.children, rep.calls
    );
    for (o, n) in &rep.outcomes {
        eprintln!("  {n:>7}  {o}");
    }
    assert!(rep.children > 0, "{}: no child ran", sys::TIER);
    assert!(
        rep.failures.is_empty(),
        "{}: seed {:#x}: {} failure(s):\n{}",
        sys::TIER,
        support::seed(),
        rep.failures.len(),
        rep.failures.join("\n")
    );
}

/// Programs whose segments have no flags, or no PF_X (found by the ELF
/// part): running them faults, natively SIGSEGV; emu used to re-apply the
/// segment's permissions and retry the fetch forever (kernel/mm.rs
/// user_fault: Linux's access_error).
#[test]
fn segment_without_access_is_sigsegv() {
    for flags in [0u32, 2, 6] {
        let mut b = std::fs::read(common::guest_bin("hello")).expect("guest/bin/hello");
        let phoff = u32::from_le_bytes(b[28..32].try_into().unwrap()) as usize;
        let phnum = u16::from_le_bytes(b[44..46].try_into().unwrap()) as usize;
        for k in 0..phnum {
            let ph = phoff + 32 * k;
            if b[ph..ph + 4] == [1, 0, 0, 0] {
                b[ph + 24..ph + 28].copy_from_slice(&flags.to_le_bytes());
            }
        }
        let dir = support::scratch_dir(&format!("noexec{flags}"));
        let prog = dir.join("noexec");
        std::fs::write(&prog, &b).unwrap();
        std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let timeout = std::time::Duration::from_secs(20);
        let e = support::run(support::emu_cmd(&prog, &[]), timeout);
        assert!(!e.timed_out, "p_flags {flags}: emu hangs");
        assert_eq!(e.status, 139, "p_flags {flags}: emu: {}", e.stderr);
        if common::setarch_ok().is_ok() {
            let n = support::run(support::native_cmd(&prog, &[]), timeout);
            assert_eq!(n.status, 139, "p_flags {flags}: native");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
