//! `emu --binfmt` and `emu --binfmt --register` (issue 13). The printed
//! line is checked exactly; registration is checked against a stand-in
//! binfmt_misc directory (`EMU_BINFMT_MISC`). Registering with the host
//! kernel changes how every i386 program on the machine runs, so that part
//! runs only when asked for (`EMU_TEST_BINFMT_REGISTER=1`, as root, with
//! binfmt_misc mounted) and says so when it does not.

use std::process::Command;

const EMU: &str = env!("CARGO_BIN_EXE_emu");

fn expected_line() -> String {
    let me = std::fs::canonicalize(EMU).unwrap();
    format!(
        r":emu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:{}:FP",
        me.display()
    )
}

#[test]
fn prints_the_registration_line() {
    let out = Command::new(EMU).arg("--binfmt").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected_line() + "\n");
    // --register needs --binfmt; --help explains the flags.
    let out = Command::new(EMU).arg("--register").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(EMU).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for f in ["  F  fix binary", "  P  preserve argv[0]", "  C  (not set)"] {
        assert!(help.contains(f), "{f:?} in --help:\n{help}");
    }
}

#[test]
fn registers_into_a_binfmt_misc_directory() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("binfmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let reg = |d: &std::path::Path| {
        Command::new(EMU)
            .args(["--binfmt", "--register"])
            .env("EMU_BINFMT_MISC", d)
            .output()
            .unwrap()
    };
    // No register file: a message, status 1.
    let out = reg(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("register"));
    std::fs::write(dir.join("register"), "").unwrap();
    let out = reg(&dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("register")).unwrap(),
        expected_line()
    );
    // Already registered: refused, saying how to remove it.
    std::fs::write(dir.join("emu-i386"), "enabled\n").unwrap();
    let out = reg(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Only on request: registration with the host kernel (the entry as the
/// kernel shows it), a program run through it, and removal.
#[test]
fn registers_with_the_kernel_when_asked() {
    let reg = std::path::Path::new("/proc/sys/fs/binfmt_misc/register");
    if std::env::var_os("EMU_TEST_BINFMT_REGISTER").is_none_or(|v| v != "1") {
        // Straight to stderr, which the harness does not capture: seen in
        // a plain `cargo test`.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "binfmt: registration with the host kernel NOT TESTED (it changes how every \
             i386 program here runs; set EMU_TEST_BINFMT_REGISTER=1 as root to test it)"
        );
        return;
    }
    assert!(
        std::fs::OpenOptions::new().write(true).open(reg).is_ok(),
        "EMU_TEST_BINFMT_REGISTER=1 but {} is not writable",
        reg.display()
    );
    let hello = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/bin/hello");
    let out = Command::new(EMU)
        .args(["--binfmt", "--register"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The kernel's view of the entry, then a program run through it.
    let entry = std::fs::read_to_string("/proc/sys/fs/binfmt_misc/emu-i386").unwrap_or_default();
    let direct = Command::new(&hello).output();
    let _ = std::fs::write("/proc/sys/fs/binfmt_misc/emu-i386", "-1");
    let me = std::fs::canonicalize(EMU).unwrap();
    assert!(entry.starts_with("enabled\n"), "{entry}");
    assert!(
        entry.contains(&format!("interpreter {}\n", me.display())),
        "{entry}"
    );
    assert!(entry.contains("flags: PF\n"), "{entry}");
    assert!(entry.contains("magic 7f454c46010101"), "{entry}");
    let direct = direct.unwrap();
    let emu = Command::new(EMU).arg(&hello).output().unwrap();
    assert_eq!(direct.status.code(), Some(0));
    assert_eq!(direct.stdout, emu.stdout);
}
