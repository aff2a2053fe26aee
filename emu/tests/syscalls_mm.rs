//! Differential tests of the memory, time, futex and identity/system syscalls:
//! static glibc programs from `guest/sys/` are built with `gcc -m32
//! -static` into the cargo target directory, run natively (`setarch i686
//! -R`, ASLR off) and under emu, and must print the same thing and exit
//! the same way. Without gcc or native i386 support the tests say so on
//! stderr, and fail under `EMU_REQUIRE_NATIVE=1` (see `common::skip`).
//!
//! Outputs may differ only where the host makes them differ run to run:
//! the inode of a shared anonymous mapping ("/dev/zero (deleted)") is
//! masked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Run;

fn src_dir() -> PathBuf {
    common::guest_dir().join("sys")
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-sys")
}

/// Build guest/sys/`name`.c (when the binary is missing or older than its
/// sources); None, with a message, when gcc -m32 -static cannot.
fn build(name: &str) -> Option<PathBuf> {
    common::build_static_c(
        &src_dir().join(format!("{name}.c")),
        &[src_dir().join("common.h")],
        &out_dir().join(name),
        &[
            "-O1",
            "-Wall",
            "-Wno-unused-function",
            "-fno-stack-protector",
        ],
    )
}

/// How skip notes name this tier.
const TIER: &str = "syscalls_mm tier";

/// The program `name`, built, on a host that runs i386 programs natively;
/// None after saying why not (failing under EMU_REQUIRE_NATIVE=1).
fn ready(name: &str) -> Option<PathBuf> {
    let Some(prog) = build(name) else {
        common::skip(TIER, "gcc -m32 -static cannot build the guest programs");
        return None;
    };
    if let Err(e) = common::setarch_ok() {
        common::skip(TIER, &e);
        return None;
    }
    Some(prog)
}

fn native(prog: &Path, args: &[&str]) -> Run {
    let mut c = Command::new("setarch");
    c.args(["i686", "-R"]).arg(prog).args(args);
    common::run(c)
}

fn emu(prog: &Path, args: &[&str]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg(prog).args(args);
    common::run(c)
}

/// Mask what legitimately differs between two runs.
fn mask(s: &str) -> String {
    s.lines()
        .map(|l| {
            // Shared anonymous memory: "00:01 <shmem inode> ... /dev/zero (deleted)".
            if l.ends_with("/dev/zero (deleted)") {
                let mut f: Vec<&str> = l.split_whitespace().collect();
                if f.len() >= 5 {
                    f[4] = "N";
                }
                return f.join(" ");
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Build `name`, run it both ways with `args`, and compare.
fn check(name: &str, args: &[&str]) {
    let Some(prog) = ready(name) else {
        return;
    };
    let n = native(&prog, args);
    let e = emu(&prog, args);
    let (ns, es) = (mask(&n.stdout), mask(&e.stdout));
    if ns != es || n.status != e.status {
        let diff = common::first_diff(&ns, &es).unwrap_or_default();
        panic!(
            "{name} {args:?}: native status {} vs emu {}\n{diff}\n--- native stdout\n{}\n--- emu stdout\n{}\n--- emu stderr\n{}",
            n.status, e.status, n.stdout, e.stdout, e.stderr
        );
    }
}

#[test]
fn hello_world() {
    check("hello", &[]);
}

#[test]
fn mmap_placement_flags_and_errno() {
    check("mmap", &[]);
}

#[test]
fn mremap_madvise_mincore_mlock_msync_mseal_brk() {
    check("mremap", &[]);
}

#[test]
fn malloc_brk_and_mmap_paths() {
    check("malloc", &[]);
}

#[test]
fn file_mappings_shared_and_private() {
    let path = out_dir().join(format!("mm-file-{}.dat", std::process::id()));
    let path = path.to_string_lossy().into_owned();
    check("file", &[&path]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn identity_and_system_information() {
    check("sys", &[]);
}

#[test]
fn time_syscalls() {
    check("time", &[]);
}

#[test]
fn modify_ldt_and_ldt_selectors() {
    check("ldt", &[]);
}

/// Descriptor limits apply to memory operands: inside the limit reads
/// work; past it (expand-up, expand-down, a string instruction, a null
/// selector) the process dies of SIGSEGV, and a push past a stack-segment
/// limit of SIGBUS (#SS), as natively.
#[test]
fn segment_limits() {
    check("seglimit", &[]);
    for mode in ["over4", "over1", "down", "lods", "repmovs", "null", "stack"] {
        check("seglimit", &[mode]);
    }
}

#[test]
fn stack_grows_on_faults() {
    check("fault", &["stack"]);
    check("fault", &["alloca"]);
}

#[test]
fn stack_growth_limits() {
    // RLIMIT_STACK and the guard gap below the stack: SIGSEGV.
    check("fault", &["rlimit"]);
    check("fault", &["guard"]);
}

#[test]
fn sigbus_past_the_end_of_an_object() {
    check("fault", &["eof"]);
    check("fault", &["shm-grown"]);
}

#[test]
fn protection_faults() {
    for s in ["write-ro", "none", "unmapped", "relro", "exec-nx"] {
        check("fault", &[s]);
    }
}

#[test]
fn translated_code_follows_mappings() {
    check("fault", &["exec-mprotect"]);
    check("fault", &["exec-remap"]);
}

/// A kernel access (read() into a buffer below the stack VMA) grows the
/// stack natively. Needs uaccess to call `mm::fault_in_user` on a fault.
#[test]
fn kernel_access_grows_the_stack() {
    check("fault", &["kernel-stack"]);
}

/// Kernel-side buffer checks as far as the kernel touches the buffer
/// (issue 12 item 11): write/pwrite/writev of bad buffers to /dev/null,
/// a regular file and a pipe; getdents64 into a buffer running into an
/// unmapped page.
#[test]
fn kernel_touches_buffers_as_far_as_it_uses_them() {
    let dir = out_dir();
    let d = dir.to_string_lossy().into_owned();
    std::fs::create_dir_all(&dir).unwrap();
    check("kaccess", &[&d, "writes"]);
    check("kaccess", &[&d, "dents"]);
}

/// A file mapping whose file was truncated under it (issue 12 item 6):
/// a syscall reading a path or a struct there, or writing into it, gets
/// EFAULT (emu must not die of SIGBUS); the program's own access gets
/// SIGBUS with BUS_ADRERR and the address.
#[test]
fn truncated_file_mapping_is_efault_for_the_kernel() {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    check("kaccess", &[&dir.to_string_lossy(), "truncated"]);
    // Truncated by another process: emu's page table does not know, the
    // kernel-side copy must stop at the host's fault.
    check("kaccess", &[&dir.to_string_lossy(), "truncated-by-child"]);
}

/// vm.max_map_count (issue 12 item 5): one-page anonymous mappings until
/// ENOMEM (the same count as natively: guest VMAs are counted as Linux
/// counts them), munmap and mprotect splits at the limit; 40,000 one-page
/// shared file mappings read back, more until ENOMEM, and then a fresh
/// anonymous page reads zeros and the file is unchanged. emu needs a host
/// VMA per file mapping under the same host limit, so its file mappings
/// stop with ENOMEM earlier than native's (about 63,400 against 65,520);
/// the program prints only that it got past 40,000.
#[test]
fn max_map_count_and_many_mappings() {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_string_lossy().into_owned();
    check("mapcount", &[&d, "anon"]);
    check("mapcount", &[&d, "file"]);
}

/// Code written through an alias (issue 12 item 7): a memfd mapped
/// writable at one address and executable at another; new code stored
/// through the writable alias, written with pwrite or write, runs.
#[test]
fn code_written_through_an_alias_runs() {
    check("jit", &[]);
}

#[test]
fn futex_single_thread() {
    check("futex", &[]);
}

/// lar, lsl, verr, verw at CPL 3 (valid, null, kernel and out-of-table
/// selectors, TLS descriptors); sgdt, sidt, sldt, str and smsw as Linux
/// emulates them under UMIP, when this host's CPU has UMIP (without it the
/// native values are the real tables', which emu does not show).
#[test]
fn descriptor_instructions() {
    let umip = std::fs::read_to_string("/proc/cpuinfo")
        .is_ok_and(|s| s.split_whitespace().any(|w| w == "umip"));
    if umip {
        check("sysinsn", &["umip"]);
    } else {
        eprintln!(
            "descriptor_instructions: no UMIP on this host: sgdt/sidt/sldt/str/smsw not compared"
        );
        check("sysinsn", &[]);
    }
}

/// The 0f 0d prefetch group and hint NOPs: which forms execute and which
/// raise SIGILL.
#[test]
fn prefetch_forms() {
    check("prefetch", &[]);
}
