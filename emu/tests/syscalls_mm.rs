//! Differential tests of the memory, time, futex and identity/system syscalls:
//! static glibc programs from `guest/sys/` are built with `gcc -m32
//! -static` into the cargo target directory, run natively (`setarch i686
//! -R`, ASLR off) and under emu, and must print the same thing and exit
//! the same way. Without gcc or native i386 support the tests say so on
//! stderr, and fail under `EMU_REQUIRE_NATIVE=1` (see `common::skip`).
//!
//! The `dynamic_*` tests run the same programs dynamically linked
//! (`gcc -m32 -pie -fPIE` and `-no-pie`, through the host's ld.so): the
//! interpreter's and libc's mappings show in every /proc/self/maps dump
//! and must agree line by line too. `mmap` and `mremap` exhaust the address
//! space on purpose: dynamically linked, they then die natively of SIGSEGV
//! part-way, and emu must die at the same point.
//!
//! Outputs may differ only where the host makes them differ run to run:
//! the inode of a shared anonymous mapping ("/dev/zero (deleted)") is
//! masked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Link, Run};

fn src_dir() -> PathBuf {
    common::guest_dir().join("sys")
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-sys")
}

/// Build guest/sys/`name`.c (when the binary is missing or older than its
/// sources); None, with a message, when gcc -m32 -static cannot.
fn build(name: &str, link: Link) -> Option<PathBuf> {
    let mut flags = vec![
        "-O1",
        "-Wall",
        "-Wno-unused-function",
        "-fno-stack-protector",
    ];
    // As LDFLAGS_hiseg in guest/sys/Makefile.
    if name == "hiseg" {
        flags.extend([
            "-Wl,--section-start=.hitext=0xf7ffc000",
            "-Wl,--section-start=.hitext2=0xf7ff6000",
            "-Wl,--section-start=.hidata=0xf7ff9000",
        ]);
    }
    common::build_c(
        &src_dir().join(format!("{name}.c")),
        &[src_dir().join("common.h")],
        &out_dir().join(name),
        link,
        &flags,
    )
}

/// How skip notes name this tier.
const TIER: &str = "syscalls_mm tier";

/// The program `name`, built, on a host that runs i386 programs natively;
/// None after saying why not (failing under EMU_REQUIRE_NATIVE=1).
fn ready(name: &str) -> Option<PathBuf> {
    ready_linked(name, Link::Static)
}

fn ready_linked(name: &str, link: Link) -> Option<PathBuf> {
    let Some(prog) = build(name, link) else {
        common::skip(TIER, "gcc -m32 cannot build the guest programs");
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
    check_linked(name, args, Link::Static);
}

/// `name` dynamically linked (PIE and non-PIE), compared as [`check`] does.
fn check_dynamic(name: &str, args: &[&str]) {
    for link in Link::DYNAMIC {
        check_linked(name, args, link);
    }
}

fn check_linked(name: &str, args: &[&str], link: Link) {
    let Some(prog) = ready_linked(name, link) else {
        return;
    };
    let n = native(&prog, args);
    let e = emu(&prog, args);
    let (ns, es) = (mask(&n.stdout), mask(&e.stdout));
    if ns != es || n.status != e.status {
        let diff = common::first_diff(&ns, &es).unwrap_or_default();
        panic!(
            "{name} {args:?} ({link:?}): native status {} vs emu {}\n{diff}\n--- native stdout\n{}\n--- emu stdout\n{}\n--- emu stderr\n{}",
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

/// Descriptor types and EFLAGS.AC: writes through %cs and through
/// read-only LDT data segments, reads through execute-only code raise #GP
/// (SIGSEGV, SI_KERNEL) before any page fault; misaligned accesses with AC
/// set raise #AC (SIGBUS, BUS_ADRALN), as natively.
#[test]
fn segment_types_and_alignment_checks() {
    check("segtype", &[]);
}

/// Accesses that straddle 4 GiB through flat segments break the limit:
/// #GP (SIGSEGV) or, through SS, #SS (SIGBUS) instead of a page fault.
#[test]
fn accesses_straddling_4_gib() {
    check("wrap4g", &[]);
}

/// Single-stepping traps after each iteration of a rep string
/// instruction, as natively.
#[test]
fn single_step_rep_string() {
    check("reptf", &[]);
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
    check("kaccess", &[&d, "reads"]);
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
    // kernel-side copy must stop at the host's fault, and the program's
    // own loads, stores and instruction fetches there get SIGBUS from the
    // host's (kernel/hostsig.rs guest_bus), not emu's death.
    check("kaccess", &[&dir.to_string_lossy(), "truncated-by-child"]);
}

/// vm.max_map_count (issue 12 item 5): one-page anonymous mappings until
/// ENOMEM (the same count as natively: guest VMAs are counted as Linux
/// counts them), munmap and mprotect splits at the limit; 40,000 one-page
/// shared file mappings read back, more until ENOMEM, and then a fresh
/// anonymous page reads zeros and the file is unchanged. emu needs a host
/// VMA per file mapping under the same host limit, so its file mappings
/// stop with ENOMEM earlier than native's (65,237 against 65,520);
/// the program prints only that it got past 40,000.
#[test]
fn max_map_count_and_many_mappings() {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_string_lossy().into_owned();
    check("mapcount", &[&d, "anon"]);
    check("mapcount", &[&d, "file"]);
    check("mapcount", &[&d, "none"]);
}

/// Code written through an alias (issue 12 item 7): a memfd mapped
/// writable at one address and executable at another; new code stored
/// through the writable alias, written with pwrite or write, runs.
#[test]
fn code_written_through_an_alias_runs() {
    check("jit", &[]);
}

/// exec of the running program: emu takes over the old program's blocks
/// where the new one has the same code at the same address, and only
/// there (code changed before the fork, mapped anew, rewritten in place,
/// patched after the exec: see guest/sys/execsame.c).
#[test]
fn exec_takes_over_only_unchanged_code() {
    check("execsame", &[]);
    let Some(prog) = ready("execsame") else {
        return;
    };
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("--stats").arg(&prog);
    let r = common::run(c);
    let taken: Vec<u64> = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("blocks_taken_over: "))
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(taken.len(), 3, "one count per process:\n{}", r.stderr);
    assert!(
        taken.iter().filter(|&&n| n > 100).count() == 2,
        "both exec'd children take most blocks over:\n{}",
        r.stderr
    );
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

// ---- the layout around the program (issue 12 items 8 and 9) ----

/// `ulimit -s stack` (KiB or "unlimited") can be set here, or None after
/// saying why not (a hard limit below it).
fn stack_limit_ok(stack: &str) -> bool {
    let ok = Command::new("bash")
        .args(["-c", "ulimit -s \"$1\"", "bash", stack])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::skip(
            TIER,
            &format!("`ulimit -s {stack}` is refused here (hard limit)"),
        );
    }
    ok
}

/// Run `cmd...` under `ulimit -s stack`.
fn under_ulimit(stack: &str, cmd: &[&std::ffi::OsStr]) -> Run {
    let mut c = Command::new("bash");
    c.args([
        "-c",
        "ulimit -s \"$1\" && shift && exec \"$@\"",
        "bash",
        stack,
    ]);
    c.args(cmd);
    common::run(c)
}

/// `prog args` natively and under emu with `ulimit -s stack` (and the
/// legacy layout of `setarch -L` with `legacy`): same output, same status.
fn check_under(name: &str, args: &[&str], stack: &str, legacy: bool) {
    check_under_linked(name, args, stack, legacy, Link::Static);
}

fn check_under_linked(name: &str, args: &[&str], stack: &str, legacy: bool, link: Link) {
    let Some(prog) = ready_linked(name, link) else {
        return;
    };
    if !stack_limit_ok(stack) {
        return;
    }
    use std::ffi::OsStr;
    let emu_bin = env!("CARGO_BIN_EXE_emu");
    let mut n: Vec<&OsStr> = vec!["setarch".as_ref(), "i686".as_ref(), "-R".as_ref()];
    let mut e: Vec<&OsStr> = Vec::new();
    if legacy {
        n.push("-L".as_ref());
        e.extend::<[&OsStr; 2]>(["setarch".as_ref(), "-L".as_ref()]);
    }
    e.push(emu_bin.as_ref());
    for v in [&mut n, &mut e] {
        v.push(prog.as_os_str());
        v.extend(args.iter().map(|a| OsStr::new(a)));
    }
    let nr = under_ulimit(stack, &n);
    let er = under_ulimit(stack, &e);
    if nr.stdout != er.stdout || nr.status != er.status {
        let diff = common::first_diff(&nr.stdout, &er.stdout).unwrap_or_default();
        panic!(
            "{name} {args:?} ({link:?}) under ulimit -s {stack} (legacy {legacy}): native status {} vs emu {}\n{diff}\n--- native stdout\n{}\n--- emu stdout\n{}\n--- emu stderr\n{}",
            nr.status, er.status, nr.stdout, er.stdout, er.stderr
        );
    }
}

/// mmap_base follows RLIMIT_STACK as Linux computes it (gap = rlimit + the
/// guard gap, clamped to 128 MiB .. 5/6 of TASK_SIZE; top-down even for
/// an unlimited stack on this kernel), a tiny rlimit shrinks the initial
/// [stack], and `setarch -L` gives the legacy bottom-up layout: the vDSO
/// and mmap addresses and /proc/self/maps agree line by line.
#[test]
fn layout_follows_the_stack_rlimit() {
    for stack in ["8192", "100", "1048576", "unlimited"] {
        check_under("layout", &["maps"], stack, false);
    }
    check_under("layout", &["maps"], "8192", true);
}

/// Deep recursion (1 MiB frames, two pages touched each) reaches as far as
/// natively: 7 frames under 8 MiB, 1024 under 1 GiB, 3413 unlimited (the
/// mmap base no longer stops the stack at 128 MiB).
#[test]
fn deep_recursion_follows_the_stack_rlimit() {
    for stack in ["8192", "1048576", "unlimited"] {
        check_under("layout", &["stack"], stack, false);
    }
}

/// An ET_EXEC with segments on the pages a usual program's [vvar] and
/// [vdso] take: the vDSO goes below them and the program runs, as natively.
#[test]
fn segments_where_the_vdso_usually_goes() {
    check("hiseg", &[]);
}

/// Pages of [vvar]/[vvar_vclock] the kernel does not populate raise
/// SIGBUS (BUS_ADRERR) on a read, EFAULT on a kernel access; stores are
/// SIGSEGV (SEGV_ACCERR).
#[test]
fn vvar_holes_raise_sigbus() {
    check("layout", &["vvar"]);
}

/// [vdso] moved by mremap keeps working as natively: the mremap (made
/// through __kernel_vsyscall) returns to the moved landing pad, sysenter
/// through __kernel_vsyscall at the new place returns there, and handlers
/// without SA_RESTORER (rt_sigaction and the old sigaction) return through
/// the moved vDSO's sigreturn. A partial or growing move fails (EINVAL,
/// EFAULT). Also with the int $0x80 entry.
#[test]
fn vdso_moved_by_mremap_keeps_working() {
    check("layout", &["vdso-mremap"]);
    let Some(prog) = ready("layout") else {
        return;
    };
    let n = native(&prog, &["vdso-mremap"]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.args(["--syscall-entry", "int80"])
        .arg(&prog)
        .arg("vdso-mremap");
    let e = common::run(c);
    assert_eq!((n.status, &n.stdout), (e.status, &e.stdout), "{}", e.stderr);
}

/// Special mappings cannot be split: a partial munmap, mprotect (that
/// changes the flags) or mremap of [vdso]/[vvar] is EINVAL; whole ones move.
#[test]
fn special_mappings_cannot_be_split() {
    check("layout", &["special"]);
}

// ---- dynamically linked (issue 13) ----

#[test]
fn dynamic_hello_sys_time_futex() {
    for name in ["hello", "sys", "time", "futex", "malloc"] {
        check_dynamic(name, &[]);
    }
}

#[test]
fn dynamic_mmap_and_mremap() {
    check_dynamic("mmap", &[]);
    check_dynamic("mremap", &[]);
}

#[test]
fn dynamic_file_mappings() {
    let path = out_dir().join(format!("mm-file-dyn-{}.dat", std::process::id()));
    let path = path.to_string_lossy().into_owned();
    check_dynamic("file", &[&path]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn dynamic_segments_and_instructions() {
    for name in ["ldt", "segtype", "wrap4g", "prefetch", "sysinsn"] {
        check_dynamic(name, &[]);
    }
    check_dynamic("seglimit", &[]);
    for mode in ["over4", "over1", "down", "lods", "repmovs", "null", "stack"] {
        check_dynamic("seglimit", &[mode]);
    }
}

#[test]
fn dynamic_faults() {
    for mode in [
        "stack",
        "alloca",
        "rlimit",
        "guard",
        "eof",
        "shm-grown",
        "write-ro",
        "none",
        "unmapped",
        "relro",
        "exec-nx",
        "exec-mprotect",
        "exec-remap",
        "kernel-stack",
    ] {
        check_dynamic("fault", &[mode]);
    }
}

#[test]
fn dynamic_layout() {
    for mode in ["maps", "vvar", "vdso-mremap", "special"] {
        check_dynamic("layout", &[mode]);
    }
}

/// ld.so goes below the mmap base, which follows RLIMIT_STACK; in the
/// legacy layout it goes bottom-up from TASK_UNMAPPED_BASE with the
/// libraries after it.
#[test]
fn dynamic_layout_follows_the_stack_rlimit() {
    for link in Link::DYNAMIC {
        for stack in ["8192", "100", "1048576", "unlimited"] {
            check_under_linked("layout", &["maps"], stack, false, link);
        }
        check_under_linked("layout", &["maps"], "8192", true, link);
    }
}

// ---- program files (issue 12 item 10) ----

/// An execute-only program (executable, not readable by the user):
/// natively it runs, since execve reads it in the kernel. emu runs as the
/// user and cannot read it (O_PATH descriptors can be neither read nor
/// mapped), so `emu PROG` refuses it with status 126 and a message saying
/// exactly that; a guest's execve of it runs it on the host, as for any
/// program emu cannot load (EACCES with --no-host-exec). As root, which
/// reads anything, the runs drop to `nobody` with setpriv; as another user
/// the file is mode 0111.
#[test]
fn execute_only_program() {
    use std::os::unix::fs::PermissionsExt;
    let (Some(hello), Some(layout)) = (ready("hello"), ready("layout")) else {
        return;
    };
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let drop: Vec<&str> = if root {
        vec![
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
        ]
    } else {
        vec![]
    };
    if root
        && !Command::new("setpriv")
            .args(&drop[1..])
            .arg("true")
            .status()
            .is_ok_and(|s| s.success())
    {
        common::skip(TIER, "setpriv cannot drop root privileges to nobody here");
        return;
    }
    let dir = out_dir().join(format!("xonly-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let prog = dir.join("hello");
    std::fs::copy(&hello, &prog).unwrap();
    std::fs::set_permissions(
        &prog,
        std::fs::Permissions::from_mode(if root { 0o711 } else { 0o111 }),
    )
    .unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let mut c = match drop.split_first() {
            Some((cmd, opts)) => {
                let mut c = Command::new(cmd);
                c.args(opts).args(args);
                c
            }
            None => {
                let mut c = Command::new(args[0]);
                c.args(&args[1..]);
                c
            }
        };
        c.current_dir("/");
        common::run(c)
    };
    let emu = std::ffi::OsStr::new(env!("CARGO_BIN_EXE_emu"));
    let p = prog.as_os_str();
    let n = run(&["setarch".as_ref(), "i686".as_ref(), "-R".as_ref(), p]);
    assert_eq!(
        (n.status, n.stdout.as_str()),
        (0, "hello world\n"),
        "native: {}",
        n.stderr
    );
    // Not readable here: emu cannot load it and says so.
    let e = run(&[emu, p]);
    assert_eq!(e.status, 126, "{}", e.stderr);
    assert!(
        e.stderr.contains("execute-only program")
            && e.stderr.contains("emu must read a program to emulate it"),
        "{}",
        e.stderr
    );
    // A guest's execve of it: run by the host, as natively.
    let exec = [layout.as_os_str(), "exec".as_ref(), p];
    let n = run(&[
        &["setarch".as_ref(), "i686".as_ref(), "-R".as_ref()][..],
        &exec,
    ]
    .concat());
    let e = run(&[&[emu][..], &exec].concat());
    assert_eq!(
        (n.status, n.stdout.as_str()),
        (0, "hello world\n"),
        "{}",
        n.stderr
    );
    assert_eq!((e.status, &e.stdout), (n.status, &n.stdout), "{}", e.stderr);
    let e = run(&[&[emu, "--no-host-exec".as_ref()][..], &exec].concat());
    assert_eq!(
        (e.status, e.stdout.as_str()),
        (1, "execv: -EACCES\n"),
        "{}",
        e.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
