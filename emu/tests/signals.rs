//! Signals, differential against native: static glibc programs from
//! `guest/sig/` (handlers and masks, faults delivered as signals, reads
//! that fault, interrupted and restarted system calls, timers, signals
//! between processes, SIGPIPE and SIGXFSZ, and the signal frames
//! themselves) are built with `gcc -m32 -static` into the cargo target directory and run
//! natively (`setarch i686 -R`) and under emu, each in a fresh empty
//! directory. stdout, stderr and the exit status must be equal.
//!
//! The programs print only what is the same run to run: no pids, times or
//! addresses, only their relations (si_pid is the sender, si_addr is the
//! page the fault touched plus an offset, eip is the faulting instruction).
//! The one exception is the frame layout, which depends on the CPU's XSAVE
//! support: `frame.c` marks those lines and [`XSAVE_DEPENDENT`] masks them.
//! Without gcc -m32 or native i386 support the tier says why and passes,
//! or fails with EMU_REQUIRE_NATIVE=1.

mod common;

const TIER: common::GlibcTier = common::GlibcTier {
    name: "signal tier",
    sub: "sig",
    headers: &["sig/common.h", "proc/common.h"],
    flags: &[
        "-O1",
        "-Wall",
        "-Wno-unused-function",
        "-Wno-unused-result",
        "-fno-stack-protector",
        "-pthread",
    ],
};

/// Lines of `frame.c`'s output that differ because emu's CPU has no XSAVE
/// (its CPUID says so) while the host's has: Linux then writes an FXSAVE
/// image only, so
/// - `uc_flags` lacks UC_FP_XSTATE (native 0x1, emu 0);
/// - the FPU state is 512 bytes instead of the host's XSAVE size, which
///   moves the fpstate and the frame relative to the interrupted sp (and
///   to the top of the alternate stack);
/// - the software-reserved bytes of the FXSAVE image describe that state:
///   extended_size (512 + 112 + 4 = 628), xfeatures (FP|SSE = 0x3) and
///   xstate_size (512) instead of the host's values. magic1 is the same.
/// The rest of each masked line is replaced, so the lines must still be
/// there, in the same order.
const XSAVE_DEPENDENT: &[&str] = &[
    "xsave: uc_flags ",
    "xsave: sc.fpstate sp",
    "xsave: frame sp",
    "xsave: frame alt_top",
    "xsave: fx.sw_reserved.extended_size ",
    "xsave: fx.sw_reserved.xfeatures ",
    "xsave: fx.sw_reserved.xstate_size ",
];

/// Lines of `frame.c`'s output that depend on the host CPU's vendor: emu
/// models an Intel CPU, whose FXSAVE stores the last x87 instruction
/// pointer (fldpi here); AMD CPUs store FIP/FDP only while an x87
/// exception is pending, so natively the legacy header's ipoff is 0.
/// Masked only on a non-Intel host.
const VENDOR_DEPENDENT: &[&str] = &["  fp.ipoff "];

/// Replace the rest of every line that starts with one of `prefixes`.
fn mask(text: &str, prefixes: &[&str]) -> (String, usize) {
    let mut n = 0;
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        match prefixes.iter().find(|p| l.starts_with(*p)) {
            Some(p) => {
                n += 1;
                out.push_str(p);
                out.push_str("<masked>");
            }
            None => out.push_str(l),
        }
        out.push('\n');
    }
    (out, n)
}

/// Build `name`, run it both ways, compare (after masking the lines that
/// start with one of `masked`).
fn check_masked(name: &str, masked: &[&str]) {
    check_masked_linked(name, masked, common::Link::Static);
}

fn check_masked_linked(name: &str, masked: &[&str], link: common::Link) {
    let Some((n, e)) = TIER.run_both(name, TIER.build_linked(name, link)) else {
        return;
    };
    assert!(
        n.starts_with("exit 0\n"),
        "{name} ({link:?}) failed natively:\n{n}"
    );
    let ((mn, cn), (me, _)) = (mask(&n, masked), mask(&e, masked));
    if mn != me {
        let diff = common::first_diff(&mn, &me).unwrap_or_default();
        panic!("{name} ({link:?}): emu differs from native\n{diff}\n=== native\n{n}\n=== emu\n{e}");
    }
    assert!(
        masked.is_empty() || cn > 0,
        "{name}: none of the masked lines were printed natively"
    );
}

fn check(name: &str) {
    check_masked(name, &[]);
}

#[test]
fn handlers_masks_and_default_actions() {
    check("handlers");
}

#[test]
fn faults_as_signals() {
    check("faults");
}

/// Reads that fault (the host's MMU checks them: `cpu::guard`): the
/// state before the instruction, the exact address, and the write bit of
/// read-modify-write operands.
#[test]
fn read_faults_are_precise() {
    check("readfault");
}

#[test]
fn interrupted_and_restarted_syscalls() {
    check("restart");
}

#[test]
fn timers_timerfd_and_signalfd() {
    check("timers");
}

#[test]
fn signals_between_processes() {
    check("children");
}

#[test]
fn sigpipe_and_sigxfsz() {
    check("pipe");
}

/// The rt_sigframe and sigframe of a ud2 with known registers, compared
/// field by field except for [`XSAVE_DEPENDENT`] (and, on a non-Intel
/// host, [`VENDOR_DEPENDENT`]) lines.
#[test]
fn signal_frames() {
    let mut masked = XSAVE_DEPENDENT.to_vec();
    if !common::intel_host() {
        masked.extend_from_slice(VENDOR_DEPENDENT);
    }
    check_masked("frame", &masked);
}

/// Every program of the tier dynamically linked, PIE and non-PIE.
#[test]
fn dynamic_handlers_faults_restart() {
    for link in common::Link::DYNAMIC {
        for name in ["handlers", "faults", "restart"] {
            check_masked_linked(name, &[], link);
        }
    }
}

#[test]
fn dynamic_timers_children_pipe_frame() {
    let mut masked = XSAVE_DEPENDENT.to_vec();
    if !common::intel_host() {
        masked.extend_from_slice(VENDOR_DEPENDENT);
    }
    for link in common::Link::DYNAMIC {
        for name in ["timers", "children", "pipe"] {
            check_masked_linked(name, &[], link);
        }
        check_masked_linked("frame", &masked, link);
    }
}
