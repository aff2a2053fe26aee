//! Differential tests of the file-system layer: static glibc programs from
//! `guest/fs/` are built with `gcc -m32 -static` into the cargo target
//! directory and run twice, each time in a fresh empty directory: natively
//! (`setarch i686 -R`) and under emu. stdout, stderr and the exit status
//! must be equal. Without gcc -m32 or native i386 support the tests print
//! why and pass.
//!
//! The programs print only what is stable between two runs on the same
//! file system (modes, sizes, link counts, errno names, sorted listings,
//! even ext4's 32-bit directory cookies), never inode numbers, times they
//! did not set, or the temporary directory's name.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use common::Run;

fn src_dir() -> PathBuf {
    common::guest_dir().join("fs")
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-fs")
}

/// Build guest/fs/`name`.c (when the binary is missing or older than its
/// sources); None, with a message, when gcc -m32 -static cannot.
fn build(name: &str) -> Option<PathBuf> {
    common::build_static_c(
        &src_dir().join(format!("{name}.c")),
        &[src_dir().join("t.h")],
        &out_dir().join(name),
        &["-O1", "-Wall", "-Wno-unused-result"],
    )
}

/// Can this host run i386 programs natively (checked once)?
fn native_ok(bin: &Path) -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let mut c = Command::new("setarch");
        c.args(["i686", "-R", "true"]);
        let r = common::run(c);
        if r.status != 0 {
            eprintln!("skipping: setarch i686 -R does not work here: {}", r.stderr);
            return false;
        }
        let _ = bin;
        true
    })
}

/// A fresh empty directory for one run.
fn scratch(tag: &str) -> PathBuf {
    static N: Mutex<u32> = Mutex::new(0);
    let mut n = N.lock().unwrap_or_else(|e| e.into_inner());
    *n += 1;
    let d = out_dir().join(format!("run-{}-{}-{tag}", std::process::id(), *n));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn run_native(bin: &Path, dir: &Path) -> Run {
    let mut c = Command::new("setarch");
    c.args(["i686", "-R"]).arg(bin).current_dir(dir);
    common::run(c)
}

fn run_emu(bin: &Path, dir: &Path) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg(bin).current_dir(dir);
    common::run(c)
}

fn show(r: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        r.status, r.stdout, r.stderr
    )
}

fn check(name: &str) {
    let Some(bin) = build(name) else { return };
    if !native_ok(&bin) {
        return;
    }
    let nd = scratch(&format!("{name}-native"));
    let ed = scratch(&format!("{name}-emu"));
    let native = run_native(&bin, &nd);
    let emu = run_emu(&bin, &ed);
    let (n, e) = (show(&native), show(&emu));
    if n != e {
        let diff = common::first_diff(&n, &e).unwrap_or_default();
        panic!("{name}: emu differs from native\n{diff}\n=== native\n{n}\n=== emu\n{e}");
    }
    assert_eq!(native.status, 0, "{name} failed natively:\n{n}");
    let _ = std::fs::remove_dir_all(&nd);
    let _ = std::fs::remove_dir_all(&ed);
}

#[test]
fn files() {
    check("files");
}

#[test]
fn dirs() {
    check("dirs");
}

#[test]
fn locks() {
    check("locks");
}

#[test]
fn pollsel() {
    check("pollsel");
}

#[test]
fn sock() {
    check("sock");
}

#[test]
fn procfs() {
    check("procfs");
}

#[test]
fn stat() {
    check("stat");
}

/// `-L/--sysroot`: absolute paths are looked up under the sysroot first,
/// getcwd hides the prefix, and paths missing there fall back to the host.
#[test]
fn sysroot() {
    let Some(bin) = build("sysroot") else { return };
    let root = scratch("sysroot-root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("data/sub")).unwrap();
    std::fs::write(root.join("etc/emu-sysroot-test"), "from the sysroot\n").unwrap();
    let dir = scratch("sysroot-cwd");
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("-L").arg(&root).arg(&bin).current_dir(&dir);
    let r = common::run(c);
    let expect = "\
read /etc/emu-sysroot-test: from the sysroot
host /proc/self/exe readable: 1
chdir /data/sub: 0
getcwd: /data/sub
relative ../sub ok: 1
missing: ENOENT
";
    assert_eq!(r.stdout, expect, "stderr: {}", r.stderr);
    assert_eq!(r.status, 0);
}
