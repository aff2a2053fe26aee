//! Differential tests of the file-system layer: static glibc programs from
//! `guest/fs/` are built with `gcc -m32 -static` into the cargo target
//! directory and run twice, each time in a fresh empty directory: natively
//! (`setarch i686 -R`) and under emu. stdout, stderr and the exit status
//! must be equal. Without gcc -m32 or native i386 support the tests say so
//! on stderr, and fail under `EMU_REQUIRE_NATIVE=1` (see `common::skip`).
//!
//! Each program is also built dynamically linked (`gcc -m32 -pie -fPIE`
//! and `-no-pie`, run through the host's /lib/ld-linux.so.2) and compared
//! the same way (the `*_dynamic` tests).
//!
//! The programs print only what is stable between two runs on the same
//! file system (modes, sizes, link counts, errno names, sorted listings,
//! even ext4's 32-bit directory cookies), never inode numbers, times they
//! did not set, or the temporary directory's name.

mod common;

use std::process::Command;

use common::{GlibcTier, Link};

const TIER: GlibcTier = GlibcTier {
    name: "syscalls_fs tier",
    sub: "fs",
    headers: &["fs/t.h"],
    flags: &["-O1", "-Wall", "-Wno-unused-result"],
};

/// Build `name`, run it both ways, compare (skipping visibly, and failing
/// under EMU_REQUIRE_NATIVE=1, when the tier cannot run).
fn check(name: &str) {
    check_linked(name, Link::Static);
}

fn check_linked(name: &str, link: Link) {
    let Some((n, e)) = TIER.run_both(name, TIER.build_linked(name, link)) else {
        return;
    };
    if n != e {
        let diff = common::first_diff(&n, &e).unwrap_or_default();
        panic!("{name} ({link:?}): emu differs from native\n{diff}\n=== native\n{n}\n=== emu\n{e}");
    }
    assert!(
        n.starts_with("exit 0\n"),
        "{name} ({link:?}) failed natively:\n{n}"
    );
}

/// `name` dynamically linked, PIE and non-PIE.
fn check_dynamic(name: &str) {
    for link in Link::DYNAMIC {
        check_linked(name, link);
    }
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

/// /proc of the process itself (issue 12 items 1 and 2): every spelling
/// of the own /proc directory (`//`, `.`, `..`, `root/`, `thread-self`,
/// `task/<tid>`, dirfds, chdir, symlinks) reaches the guest's emulated
/// files; /proc/self/mem is the guest's memory (EIO when unmapped,
/// FOLL_FORCE writes, rewritten code runs).
///
/// Two allowed differences, checked line by line, where native opens a
/// file (`ok`) and emu refuses it (`EACCES`): the `other ...` lines open
/// files of a forked child, which under emu is another emu process whose
/// emulator-describing files are refused; the `refused ...` lines open the
/// process's own pagemap and map_files, which would show the host's page
/// frames and address ranges. Every other line must be equal.
#[test]
fn procself() {
    let Some((n, e)) = TIER.run_both("procself", TIER.build("procself")) else {
        return;
    };
    let split = |s: &str| -> (Vec<String>, Vec<String>) {
        s.lines()
            .map(str::to_string)
            .partition(|l| l.starts_with("other ") || l.starts_with("refused "))
    };
    let (n_other, n_rest) = split(&n);
    let (e_other, e_rest) = split(&e);
    assert_eq!(n_other.len(), e_other.len(), "other lines\n{n}\n{e}");
    assert_eq!(n_other.len(), 12, "other/refused lines:\n{n}");
    for (a, b) in n_other.iter().zip(&e_other) {
        let (ka, va) = a.rsplit_once(": ").unwrap_or((a, ""));
        let (kb, vb) = b.rsplit_once(": ").unwrap_or((b, ""));
        assert_eq!(ka, kb);
        assert_eq!((va, vb), ("ok", "EACCES"), "{a} / {b}");
    }
    let (n, e) = (n_rest.join("\n"), e_rest.join("\n"));
    if n != e {
        let diff = common::first_diff(&n, &e).unwrap_or_default();
        panic!("procself: emu differs from native\n{diff}\n=== native\n{n}\n=== emu\n{e}");
    }
    assert!(n.starts_with("exit 0\n"), "procself failed natively:\n{n}");
}

/// The running program is ETXTBSY for writing and truncation.
#[test]
fn exe_busy() {
    check("exebusy");
}

/// Extended attributes (every form, the limits and errors).
#[test]
fn xattr() {
    check("xattr");
}

#[test]
fn xattr_dynamic() {
    check_dynamic("xattr");
}

#[test]
fn files_dynamic() {
    check_dynamic("files");
}

#[test]
fn dirs_dynamic() {
    check_dynamic("dirs");
}

#[test]
fn locks_dynamic() {
    check_dynamic("locks");
}

#[test]
fn pollsel_dynamic() {
    check_dynamic("pollsel");
}

#[test]
fn sock_dynamic() {
    check_dynamic("sock");
}

#[test]
fn procfs_dynamic() {
    check_dynamic("procfs");
}

#[test]
fn stat_dynamic() {
    check_dynamic("stat");
}

#[test]
fn exe_busy_dynamic() {
    check_dynamic("exebusy");
}

/// `-L/--sysroot`: absolute paths are looked up under the sysroot first,
/// getcwd hides the prefix, and paths missing there fall back to the host.
#[test]
fn sysroot() {
    let Some(bin) = TIER.build("sysroot") else {
        common::skip(
            TIER.name,
            "gcc -m32 -static cannot build the guest programs",
        );
        return;
    };
    let root = TIER.scratch("sysroot-root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("data/sub")).unwrap();
    std::fs::write(root.join("etc/emu-sysroot-test"), "from the sysroot\n").unwrap();
    let dir = TIER.scratch("sysroot-cwd");
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
