//! The real-userland tier (issue 13): Debian's own i386 binaries, which
//! nobody here wrote, from the sysroot `guest/sysroot.sh` builds in
//! `target/i386-root` (or `$EMU_I386_ROOT`; `.ci/run` fetches coreutils,
//! perl-base, python3.11-minimal with libpython3.11-stdlib, gawk, sed and
//! their libraries). Each case runs natively through the same sysroot
//! (`setarch i686 -R ROOT/lib/ld-linux.so.2 --library-path ROOT/lib/...
//! ROOT/usr/bin/X`) and under emu (`emu -L ROOT ROOT/usr/bin/X`), in a
//! fresh directory with the same fixture files; stdout, stderr and the
//! exit status must be equal. Perl and python find their libraries through
//! PERL5LIB / PYTHONHOME pointing into ROOT in both runs (natively the
//! host has no i386 perl or python tree at the packaged paths). Without the
//! sysroot the tier says so, and fails under `EMU_REQUIRE_NATIVE=1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const TIER: &str = "userland tier";

fn root() -> Option<PathBuf> {
    let root = match std::env::var_os("EMU_I386_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/i386-root"),
    };
    let need = [
        "lib/ld-linux.so.2",
        "bin/ls",
        "usr/bin/perl",
        "usr/bin/python3.11",
        "usr/lib/python3.11/json/__init__.py",
        "usr/bin/gawk",
        "bin/sed",
        "etc/ld.so.cache",
    ];
    if let Some(m) = need.iter().find(|n| !root.join(n).exists()) {
        common::skip(
            TIER,
            &format!(
                "{} missing: make the sysroot with guest/sysroot.sh {} coreutils perl-base \
                 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib gawk sed ... \
                 (the package list is in .ci/run)",
                root.join(m).display(),
                root.display()
            ),
        );
        return None;
    }
    if let Err(e) = common::setarch_ok() {
        common::skip(TIER, &e);
        return None;
    }
    Some(std::fs::canonicalize(&root).unwrap_or(root))
}

/// A fresh directory with the fixture files, fixed times included.
fn fixture(tag: &str) -> PathBuf {
    // The directory and its parent (`..` in a listing) are both ours.
    let top = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("userland-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    let d = top.join("w");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("words"), "pear\napple\nfig\nbanana\napple\ncherry\n").unwrap();
    std::fs::write(d.join("nums"), "10\n9\n100\n-3\n2.5\n").unwrap();
    let bin: Vec<u8> = (0u8..=255).cycle().take(700).collect();
    std::fs::write(d.join("bin"), bin).unwrap();
    std::fs::write(d.join("sub/x"), "x\n").unwrap();
    for f in ["words", "nums", "bin", "sub/x", "sub", ".", ".."] {
        let t = std::ffi::CString::new(d.join(f).to_str().unwrap()).unwrap();
        // 2020-02-29 12:00:00 UTC
        let ts = [libc::timespec {
            tv_sec: 1582977600,
            tv_nsec: 0,
        }; 2];
        unsafe { libc::utimensat(libc::AT_FDCWD, t.as_ptr(), ts.as_ptr(), 0) };
    }
    d
}

/// Run `ROOT/prog args` both ways in a fixture directory and compare.
fn check(root: &Path, prog: &str, args: &[&str], stdin: Option<&str>) {
    let rs = root.to_str().unwrap();
    let lp = format!("{rs}/lib/i386-linux-gnu:{rs}/usr/lib/i386-linux-gnu");
    let exe = root.join(prog);
    let env = [
        ("LC_ALL", "C".to_string()),
        ("TZ", "UTC".to_string()),
        ("PERL5LIB", format!("{rs}/usr/lib/i386-linux-gnu/perl-base")),
        ("PYTHONHOME", format!("{rs}/usr")),
        ("PYTHONDONTWRITEBYTECODE", "1".to_string()),
    ];
    let run = |native: bool| {
        let dir = fixture(&format!(
            "{}-{}",
            prog.replace('/', "_"),
            if native { "n" } else { "e" }
        ));
        let mut c = if native {
            let mut c = Command::new("setarch");
            c.args(["i686", "-R"])
                .arg(root.join("lib/ld-linux.so.2"))
                .args(["--library-path", &lp])
                .arg(&exe);
            c
        } else {
            let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
            c.arg("-L").arg(root).arg(&exe);
            c
        };
        c.args(args).current_dir(&dir).env_clear();
        c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        let r = match stdin {
            Some(input) => {
                use std::io::Write;
                c.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut ch = c.spawn().expect("spawn");
                ch.stdin
                    .take()
                    .unwrap()
                    .write_all(input.as_bytes())
                    .unwrap();
                let o = ch.wait_with_output().unwrap();
                common::Run {
                    status: o.status.code().unwrap_or(-1),
                    stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                }
            }
            None => common::run(c),
        };
        let top = dir.parent().unwrap().to_path_buf();
        let _ = std::fs::remove_dir_all(&top);
        // The scratch directory's name differs between the two runs.
        let name = top.file_name().unwrap().to_str().unwrap().to_string();
        let clean = |s: &str| s.replace(&name, "DIR");
        (r.status, clean(&r.stdout), clean(&r.stderr))
    };
    let (n, e) = (run(true), run(false));
    if n != e {
        panic!(
            "{prog} {args:?}: emu differs from native\n{}\n=== native (status {})\n{}{}\n=== emu (status {})\n{}{}",
            common::first_diff(&n.1, &e.1).unwrap_or_default(),
            n.0,
            n.1,
            n.2,
            e.0,
            e.1,
            e.2
        );
    }
    assert_eq!(n.0, 0, "{prog} {args:?} failed natively: {}", n.2);
    assert!(!n.1.is_empty(), "{prog} {args:?} printed nothing");
}

#[test]
fn coreutils() {
    let Some(r) = root() else {
        return;
    };
    check(&r, "bin/ls", &["-la", "--time-style=full-iso", "."], None);
    check(
        &r,
        "bin/ls",
        &["-lR", "--time-style=+%s", "sub", "words"],
        None,
    );
    check(&r, "usr/bin/sort", &["-u", "words"], None);
    check(&r, "usr/bin/sort", &["-g", "-r", "nums"], None);
    check(&r, "usr/bin/sha256sum", &["words", "bin"], None);
    check(
        &r,
        "bin/date",
        &[
            "-d",
            "2020-02-29 12:34:56 +0100",
            "+%s %A %j %Y-%m-%dT%H:%M:%S%z",
        ],
        None,
    );
    check(
        &r,
        "usr/bin/stat",
        &["-c", "%n %s %a %F %h %Y", "words", "sub", "bin"],
        None,
    );
    check(
        &r,
        "usr/bin/od",
        &["-A", "x", "-t", "x1z", "-N", "64", "bin"],
        None,
    );
    check(&r, "usr/bin/seq", &["-w", "-s", ",", "1", "7", "100"], None);
    check(
        &r,
        "usr/bin/factor",
        &[
            "1234567",
            "600851475143",
            "4294967291",
            "18446744073709551557",
        ],
        None,
    );
    check(&r, "usr/bin/wc", &["words", "nums", "bin"], None);
}

#[test]
fn perl() {
    let Some(r) = root() else {
        return;
    };
    let prog = r#"
        my %h = map { $_ => length } qw(pear apple fig banana);
        print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
        my $s = "2020-02-29 and 1999-12-31";
        my @d = $s =~ /(\d{4})-(\d\d)-(\d\d)/g;
        print "@d\n";
        (my $t = $s) =~ s/(\d+)/<$1>/g;
        print "$t\n";
        printf("%.3f %e %g %.0f %s\n", 3.14159265, 6.02214076e23, 0.0001, 2.5, 1/7);
        print join(" ", sort { $a <=> $b } (10, 9, 100, -3, 2.5)), "\n";
        print unpack("H*", pack("NnC", 0xdeadbeef, 258, 7)), "\n";
        print join(",", unpack("w/a C", pack("w/a C", "hello", 9))), "\n";
        use POSIX qw(floor ceil strftime);
        use List::Util qw(sum max first);
        print floor(-2.5), " ", ceil(2.1), " ", sum(1..100), " ", max(3, 9, 2), "\n";
        print strftime("%Y-%m-%d %H:%M:%S", gmtime(1582977600)), "\n";
        open(my $f, "<", "words") or die; my @w = <$f>; close $f;
        chomp @w; my %seen; print join(" ", grep { !$seen{$_}++ } @w), "\n";
        print scalar(localtime(0)) =~ /1970/ ? "epoch ok\n" : "epoch?\n";
    "#;
    check(&r, "usr/bin/perl", &["-e", prog], None);
    check(&r, "usr/bin/perl", &["-ne", "print if /an/", "words"], None);
}

#[test]
fn python() {
    let Some(r) = root() else {
        return;
    };
    let prog = r#"
import json, re, struct, os, math, sys
print(2**200, -7 // 2, -7 % 2, 10**18 * 3 + 1, int("ff", 16), hex(2**64 - 1))
print(0.1 + 0.2, 1 / 3, math.sqrt(2), math.pi, float("1e308") * 10, round(2.675, 2))
d = {"b": [1, 2.5, None], "a": {"x": True}, "c": "\u00e9"}
s = json.dumps(d, sort_keys=True)
print(s, json.loads(s) == d)
print(re.findall(r"(\w)(\d+)", "a12 b3 c456"), re.sub(r"\s+", "-", "a  b\tc"))
print(struct.pack("<IhQd", 1, -2, 2**40, 1.5).hex(), struct.unpack(">I", b"\x00\x01\x02\x03"))
try:
    {}["missing"]
except KeyError as e:
    print("KeyError", e)
try:
    1 / 0
except ZeroDivisionError as e:
    print("ZeroDivisionError", e)
class E(Exception):
    pass
try:
    try:
        raise E("inner")
    finally:
        print("finally runs")
except E as e:
    print("caught", repr(e))
print(sorted(os.listdir(".")), sorted(os.listdir("sub")))
print(sorted({3, 1, 2}), list(zip("ab", range(5))), sys.maxsize)
"#;
    check(&r, "usr/bin/python3.11", &["-c", prog], None);
    // A stdlib module's own self-test (no network): base64's -t.
    check(&r, "usr/bin/python3.11", &["-m", "base64", "-t"], None);
    check(
        &r,
        "usr/bin/python3.11",
        &["-m", "json.tool", "--sort-keys"],
        Some("{\"b\": [1, 2], \"a\": null}"),
    );
}

#[test]
fn gawk_and_sed() {
    let Some(r) = root() else {
        return;
    };
    check(
        &r,
        "usr/bin/gawk",
        &[
            "{ n[$1]++; s += length($0) } END { for (k in n) c++; printf \"%d %d %.4f %s\\n\", NR, c, atan2(0, -1), toupper(\"done\") }",
            "words",
        ],
        None,
    );
    check(
        &r,
        "usr/bin/gawk",
        &["BEGIN { printf \"%.10g %d %s\\n\", exp(1), 2^31, sprintf(\"%x\", 48879); split(\"a:b:c\", a, \":\"); print length(a) }"],
        None,
    );
    check(
        &r,
        "bin/sed",
        &["-n", "-e", "s/\\(an\\)/[\\1]/gp", "-e", "$=", "words"],
        None,
    );
    check(
        &r,
        "bin/sed",
        &["-E", "1~2d; s/^(.)(.*)$/\\2\\1/", "words"],
        None,
    );
}
