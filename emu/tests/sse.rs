//! SSE/SSE2/SSE3/SSSE3: the guest programs in guest/simd (built from
//! guest/simd/*.c and *.S, prebuilt in guest/simd/bin) run under emu and
//! are compared with snapshots recorded from *native* runs on an Intel
//! host (`snapshots/sse_<name>.snap`; emu models Intel). Where the host
//! runs i386 binaries the test also runs each binary natively, so
//! emulated == native. The programs avoid vendor differences (fp prints
//! the approximations' normal results only against Intel's bound, mov
//! loads no MXCSR bit beyond 15), except `rcp`.
//!
//! Each program also runs with the portable floating-point kernels
//! (`EMU_SOFT_FP=1`), except `rcp`, whose exact rcpps/rsqrtps values are
//! the host CPU's (emu runs the host instruction on x86 hosts; the soft
//! kernels stay within Intel's documented bound, which `fp` checks). So
//! `rcp` has one snapshot per host vendor (`sse_rcp_intel`,
//! `sse_rcp_amd`) and is skipped on other hosts (non-x86: no exactness to
//! check).
//!
//! Record the snapshots from native runs with
//! `EMU_RECORD_NATIVE=1 cargo test -p emu --test sse` (on an Intel host;
//! elsewhere only the vendor's rcp snapshot is recorded).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{first_diff, native_available, normalize, record_mode, run, SNAPSHOT_DIR};

fn simd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/simd")
}

fn bin(name: &str) -> PathBuf {
    simd_dir().join("bin").join(name)
}

/// Programs whose output is the host CPU's own (one snapshot per vendor).
const HOST_SPECIFIC: &[&str] = &["rcp"];

/// The snapshot name; None when this host has none (`rcp` on hosts other
/// than Intel and AMD x86).
fn snap_name(name: &str) -> Option<String> {
    if !HOST_SPECIFIC.contains(&name) {
        return Some(format!("sse_{name}"));
    }
    match common::host_vendor().as_deref() {
        Some("GenuineIntel") => Some(format!("sse_{name}_intel")),
        Some("AuthenticAMD") => Some(format!("sse_{name}_amd")),
        _ => None,
    }
}

fn snap_path(name: &str) -> PathBuf {
    Path::new(SNAPSHOT_DIR).join(format!("{}.snap", snap_name(name).unwrap()))
}

fn read_snap(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(snap_path(name)).ok()?;
    let mut parts = text.splitn(3, "---\n");
    parts.next()?;
    parts.next()?;
    Some(parts.next()?.trim_end().to_string())
}

fn write_snap(name: &str, contents: &str) {
    std::fs::create_dir_all(SNAPSHOT_DIR).unwrap();
    let text = format!(
        "---\nsource: emu/tests/sse.rs\nexpression: out\n---\n{}\n",
        contents.trim_end()
    );
    std::fs::write(snap_path(name), text).unwrap();
}

fn run_emu(name: &str, soft: bool) -> common::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emu"));
    cmd.arg(bin(name));
    if soft {
        cmd.env("EMU_SOFT_FP", "1");
    } else {
        cmd.env_remove("EMU_SOFT_FP");
    }
    run(cmd)
}

fn tail(s: &str) -> &str {
    let mut i = s.len().saturating_sub(2000);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

fn check(name: &str, soft_too: bool) {
    assert!(
        bin(name).exists(),
        "{} missing: run make -C guest/simd",
        bin(name).display()
    );
    let Some(snap) = snap_name(name) else {
        eprintln!(
            "{name}: skipped: the exact results are the host CPU's and there is no \
             snapshot for this host ({:?}); fp checks the documented bound",
            common::host_vendor()
        );
        return;
    };
    if record_mode() {
        assert!(
            native_available(),
            "EMU_RECORD_NATIVE needs a host that runs i386 binaries"
        );
        if !HOST_SPECIFIC.contains(&name) && !common::intel_host() {
            eprintln!("{name}: not recorded: the snapshots hold Intel-native output");
            return;
        }
        let nat = normalize(&run(Command::new(bin(name))));
        write_snap(name, &nat);
        eprintln!("recorded {} from a native run", snap_path(name).display());
        return;
    }
    let expected = read_snap(name).unwrap_or_else(|| {
        panic!(
            "no snapshot {}: record it from native runs (EMU_RECORD_NATIVE=1)",
            snap_path(name).display()
        )
    });
    let native = if native_available() {
        let nat = normalize(&run(Command::new(bin(name))));
        if let Some(d) = first_diff(&expected, &nat) {
            panic!("{name}: native run no longer matches the snapshot (re-record?)\n{d}");
        }
        Some(nat)
    } else {
        common::skip("sse native tier", "this host cannot run i386 binaries");
        None
    };
    let backends: &[bool] = if soft_too { &[false, true] } else { &[false] };
    for &soft in backends {
        let r = run_emu(name, soft);
        let out = normalize(&r);
        if let Some(d) = first_diff(&expected, &out) {
            panic!(
                "{name}{}: emu output differs from the native snapshot\n{d}\nemu stderr (tail):\n{}",
                if soft { " (EMU_SOFT_FP=1)" } else { "" },
                tail(&r.stderr)
            );
        }
        if !soft {
            insta::with_settings!({
                snapshot_path => SNAPSHOT_DIR,
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(snap.as_str(), out);
            });
        }
        if let Some(nat) = &native {
            assert_eq!(&out, nat, "{name}: emulated != native");
        }
    }
}

macro_rules! progs {
    ($($name:ident: $soft:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), $soft);
            }
        )*
        const ALL: &[&str] = &[$(stringify!($name)),*];
    };
}

progs!(
    fp: true,
    cvt: true,
    int: true,
    mov: true,
    rcp: false,
    mmxcvt: true,
    fault_movaps: true,
    fault_movntdq: true,
    fault_addps: true,
    fault_movdqa_st: true,
    fault_ldmxcsr: true,
    fault_xm_ze: true,
    fault_xm_ie: true,
    fault_xm_ue: true,
    fault_xm_pe: true,
    fault_xm_cvt: true,
    fault_masked_ok: true,
    fault_monitor: true,
    fault_mwait: true,
    fault_maskmov_ro: true,
    fault_lock_sse: true,
);

/// Every binary in guest/simd/bin has a test above.
#[test]
fn every_simd_binary_is_tested() {
    let mut missing = Vec::new();
    for e in std::fs::read_dir(simd_dir().join("bin")).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        if !ALL.contains(&n.as_str()) {
            missing.push(n);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "simd binaries without a test: {missing:?}"
    );
}

// ---- glibc programs (built at test time: static glibc binaries are big) ----

/// Build guest/simd/glibc/<name>.c with `gcc -m32 -static` and `flags`
/// into the cargo target's temp dir; None (test skipped) without a working
/// i386 toolchain or a host that runs i386 binaries.
fn build_glibc(name: &str, flags: &[&str]) -> Option<PathBuf> {
    if !native_available() {
        common::skip("sse glibc tier", "this host cannot run i386 binaries");
        return None;
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("simd-glibc-{name}"));
    let src = simd_dir().join("glibc").join(format!("{name}.c"));
    let flags: Vec<&str> = ["-Wall"].iter().chain(flags).copied().collect();
    let r = common::build_static_c(&src, &[], &out, &flags);
    if r.is_none() {
        common::skip(
            "sse glibc tier",
            "gcc -m32 -static cannot build the guest programs",
        );
    }
    r
}

/// Native and emulated runs (both floating-point backends) must agree.
fn check_glibc(name: &str, flags: &[&str]) {
    let Some(exe) = build_glibc(name, flags) else {
        return;
    };
    let nat = run(Command::new(&exe));
    assert_eq!(nat.status, 0, "{name}: native run failed: {}", nat.stderr);
    for soft in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_emu"));
        cmd.arg(&exe);
        if soft {
            cmd.env("EMU_SOFT_FP", "1");
        }
        let r = run(cmd);
        let label = if soft { " (EMU_SOFT_FP=1)" } else { "" };
        if let Some(d) = first_diff(&nat.stdout, &r.stdout) {
            panic!(
                "{name}{label}: emu stdout differs from native\n{d}\nemu stderr (tail):\n{}",
                tail(&r.stderr)
            );
        }
        assert_eq!(
            (r.status, &r.stderr),
            (nat.status, &nat.stderr),
            "{name}{label}"
        );
    }
}

/// memcpy/memmove/memset/strlen/strchr/strrchr/memchr/strcpy/strcmp/
/// strncmp/memcmp over every alignment and length 0..300, through glibc's
/// ifunc selection (its SSE2/SSSE3 variants under emu's CPUID).
#[test]
fn glibc_strfun() {
    check_glibc("strfun", &["-O2"]);
}

/// SSE2 floating point as gcc emits it, fenv rounding and flags, strtod and
/// printf, libm's SSE2 variants.
#[test]
fn glibc_fpmath() {
    check_glibc("fpmath", &["-O3", "-msse2", "-mfpmath=sse"]);
}

/// SSE3/SSSE3 intrinsics (xmm and mm forms) and auto-vectorised loops.
#[test]
fn glibc_ssse3() {
    check_glibc("ssse3", &["-O3", "-mssse3"]);
}

/// Unmasked exceptions: SIGFPE's si_code and si_addr, the MXCSR in the
/// signal frame, the destination left unchanged.
#[test]
fn glibc_sigfpe() {
    check_glibc("sigfpe", &["-O1", "-msse2"]);
}
