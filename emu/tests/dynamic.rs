//! Dynamically linked programs (issue 13): `guest/dyn/` programs built with
//! `gcc -m32` (and `g++ -m32`) as PIE and non-PIE, run natively
//! (`setarch i686 -R`, through the host's /lib/ld-linux.so.2) and under
//! emu; stdout, stderr and the exit status must be equal.
//!
//! - `auxmaps`: AT_PHDR/AT_BASE/AT_ENTRY/... and /proc/self/maps line by
//!   line (ld.so, libc, [vdso], [heap] at native's addresses).
//! - `dl`: dlopen("libm.so.6") and calls through dlsym, dladdr, dlerror,
//!   and `libdyntest.so` (built here): general-dynamic TLS through
//!   ___tls_get_addr in two threads, an ifunc, a constructor;
//!   dl_iterate_phdr. Also under LD_BIND_NOW, LD_PRELOAD and
//!   LD_LIBRARY_PATH.
//! - `tls`: the program's own TLS (initialised, zero, initial-exec) in
//!   threads.
//! - `cxx`: exceptions through libstdc++ and libgcc_s, std::map,
//!   iostreams, std::thread.
//! - ld.so run as the program (`ld-linux.so.2 --list PROG` and
//!   `ld-linux.so.2 PROG`).
//! - `-L`/`EMU_SYSROOT`: the interpreter found in a sysroot first, shown
//!   under its guest path.
//! - `backtrace`: backtrace() from a signal handler through the sigreturn
//!   trampoline and __kernel_vsyscall's unwind table in emu's vDSO.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Link, Run};

const TIER: &str = "dynamic tier";

fn src(name: &str) -> PathBuf {
    common::guest_dir().join("dyn").join(name)
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-dyn")
}

/// Build guest/dyn/`file` linked as `link`; None after saying why not.
fn build(file: &str, link: Link) -> Option<PathBuf> {
    build_with(file, link, &[])
}

fn build_with(file: &str, link: Link, extra: &[&str]) -> Option<PathBuf> {
    let stem = file.split('.').next().unwrap_or(file);
    let mut flags = vec!["-O1", "-Wall", "-pthread"];
    flags.extend_from_slice(extra);
    if file.ends_with(".cc") {
        flags.push("-std=c++17");
    }
    let r = common::build_c(&src(file), &[], &out_dir().join(stem), link, &flags);
    if r.is_none() {
        let cc = if file.ends_with(".cc") { "g++" } else { "gcc" };
        common::skip(
            TIER,
            &format!(
                "{cc} -m32 {} cannot build {file}",
                link.gcc_flags().join(" ")
            ),
        );
    }
    r
}

/// libdyntest.so, beside the programs of `link` (they dlopen it from
/// their own directory).
fn library(link: Link) -> Option<PathBuf> {
    let lib = build("dyntest.c", Link::Shared)?;
    let dir = out_dir().join(link.subdir());
    std::fs::create_dir_all(&dir).ok()?;
    let to = dir.join("libdyntest.so");
    let tmp = dir.join(format!(".libdyntest.so.{}", std::process::id()));
    std::fs::copy(&lib, &tmp).ok()?;
    std::fs::rename(&tmp, &to).ok()?;
    Some(to)
}

fn native_ok() -> bool {
    match common::setarch_ok() {
        Ok(()) => true,
        Err(e) => {
            common::skip(TIER, &e);
            false
        }
    }
}

/// `prog args` with `env` natively and under emu (with `emu_opts` before
/// the program).
fn both(prog: &[&Path], args: &[&str], env: &[(&str, &str)], emu_opts: &[&str]) -> (Run, Run) {
    let mut n = Command::new("setarch");
    n.args(["i686", "-R"]).args(prog).args(args);
    let mut e = Command::new(env!("CARGO_BIN_EXE_emu"));
    e.args(emu_opts).args(prog).args(args);
    for c in [&mut n, &mut e] {
        c.envs(env.iter().copied());
        c.current_dir(out_dir());
    }
    (common::run(n), common::run(e))
}

/// `stderr` without what a 64-bit host loader prints about a 32-bit
/// LD_PRELOAD: natively `setarch` (and a dynamically linked emu) is such a
/// process; the guest's own loader prints nothing then.
fn guest_stderr(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !(l.starts_with("ERROR: ld.so: object ") && l.contains("ELFCLASS32")))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn compare(what: &str, n: &Run, e: &Run, mask: fn(&str) -> String) {
    let (ns, es) = (mask(&n.stdout), mask(&e.stdout));
    if ns != es || n.status != e.status || guest_stderr(&n.stderr) != guest_stderr(&e.stderr) {
        let diff = common::first_diff(&ns, &es).unwrap_or_default();
        panic!(
            "{what}: emu differs from native (status {} vs {})\n{diff}\n=== native\n{}{}\n=== emu\n{}{}",
            n.status, e.status, n.stdout, n.stderr, e.stdout, e.stderr
        );
    }
    assert_eq!(
        n.status, 0,
        "{what} failed natively:\n{}{}",
        n.stdout, n.stderr
    );
}

fn same(s: &str) -> String {
    s.to_string()
}

/// AT_PHDR, AT_BASE, AT_ENTRY and /proc/self/maps of a PIE and a non-PIE
/// program, line by line.
#[test]
fn auxv_and_proc_self_maps() {
    for link in Link::DYNAMIC {
        let Some(p) = build("auxmaps.c", link) else {
            return;
        };
        if !native_ok() {
            return;
        }
        let (n, e) = both(&[&p], &[], &[], &[]);
        compare(&format!("auxmaps ({link:?})"), &n, &e, same);
        let base = if link == Link::Pie {
            "56555000"
        } else {
            "08048000"
        };
        assert!(n.stdout.contains(&format!("\n{base}-")), "{}", n.stdout);
        assert!(n.stdout.contains("ld-linux.so.2"), "{}", n.stdout);
        assert!(n.stdout.contains("AT_BASE 0xf7"), "{}", n.stdout);
    }
}

#[test]
fn dlopen_dlsym_tls_and_ifunc() {
    for link in Link::DYNAMIC {
        let (Some(p), Some(_)) = (build("dl.c", link), library(link)) else {
            return;
        };
        if !native_ok() {
            return;
        }
        let (n, e) = both(&[&p], &[], &[], &[]);
        compare(&format!("dl ({link:?})"), &n, &e, same);
        assert!(
            n.stdout.contains("cos(1) = 0.54030230586813977"),
            "{}",
            n.stdout
        );
    }
}

/// LD_BIND_NOW, LD_PRELOAD (the library's constructor runs before main)
/// and LD_LIBRARY_PATH (the library found by its bare name).
#[test]
fn ld_environment_variables() {
    let link = Link::Pie;
    let (Some(p), Some(lib)) = (build("dl.c", link), library(link)) else {
        return;
    };
    if !native_ok() {
        return;
    }
    let dir = lib.parent().unwrap().to_str().unwrap().to_string();
    let lib = lib.to_str().unwrap().to_string();
    let (n, e) = both(&[&p], &[], &[("LD_BIND_NOW", "1")], &[]);
    compare("dl with LD_BIND_NOW=1", &n, &e, same);
    let (n, e) = both(&[&p], &[], &[("LD_PRELOAD", &lib)], &[]);
    compare("dl with LD_PRELOAD", &n, &e, same);
    assert!(
        n.stdout.starts_with("libdyntest constructor"),
        "{}",
        n.stdout
    );
    let (n, e) = both(&[&p], &["bare"], &[("LD_LIBRARY_PATH", &dir)], &[]);
    compare("dl bare with LD_LIBRARY_PATH", &n, &e, same);
    assert!(n.stdout.contains("tls: 106 105 103"), "{}", n.stdout);
}

#[test]
fn thread_local_storage() {
    for link in Link::DYNAMIC {
        let Some(p) = build("tls.c", link) else {
            return;
        };
        if !native_ok() {
            return;
        }
        let (n, e) = both(&[&p], &[], &[], &[]);
        compare(&format!("tls ({link:?})"), &n, &e, same);
    }
}

#[test]
fn cxx_exceptions_map_iostreams_threads() {
    for link in Link::DYNAMIC {
        let Some(p) = build("cxx.cc", link) else {
            return;
        };
        if !native_ok() {
            return;
        }
        let (n, e) = both(&[&p], &[], &[], &[]);
        compare(&format!("cxx ({link:?})"), &n, &e, same);
        assert!(n.stdout.contains("caught: bottom reached"), "{}", n.stdout);
    }
}

/// backtrace() from a handler that interrupted a system call in the vDSO
/// reaches main and _start (the vDSO's unwind table, its PT_NOTE and
/// PT_GNU_EH_FRAME as Linux's).
#[test]
fn backtrace_through_the_vdso() {
    for link in Link::DYNAMIC {
        let Some(p) = build_with("backtrace.c", link, &["-rdynamic"]) else {
            return;
        };
        if !native_ok() {
            return;
        }
        let (n, e) = both(&[&p], &[], &[], &[]);
        compare(&format!("backtrace ({link:?})"), &n, &e, same);
        assert!(n.stdout.contains("__kernel_vsyscall read "), "{}", n.stdout);
        assert!(n.stdout.contains(" main "), "{}", n.stdout);
    }
    // Also with the int $0x80 entry (the vDSO's sysenter patched out).
    let Some(p) = build_with("backtrace.c", Link::Pie, &["-rdynamic"]) else {
        return;
    };
    let (n, e) = both(&[&p], &[], &[], &["--syscall-entry", "int80"]);
    compare("backtrace (int80)", &n, &e, same);
}

/// The host's i386 ld.so; None after saying it is missing.
fn host_ld() -> Option<&'static Path> {
    let ld = Path::new("/lib/ld-linux.so.2");
    if ld.exists() {
        return Some(ld);
    }
    common::skip(TIER, "no /lib/ld-linux.so.2 (libc6-i386) on this host");
    None
}

/// ld.so as the program itself: `--list` (ldd) prints every library's
/// load address, and it can run a program.
#[test]
fn ld_so_run_directly() {
    let Some(p) = build("auxmaps.c", Link::NoPie) else {
        return;
    };
    if !native_ok() {
        return;
    }
    let Some(ld) = host_ld() else { return };
    let ps = p.to_str().unwrap();
    let (n, e) = both(&[ld], &["--list", ps], &[], &[]);
    compare("ld.so --list", &n, &e, same);
    assert!(n.stdout.contains("libc.so.6"), "{}", n.stdout);
    let (n, e) = both(&[ld], &[ps], &[], &[]);
    compare("ld.so PROG", &n, &e, same);
}

/// The interpreter is looked up in the sysroot (-L, or EMU_SYSROOT) first
/// and shown in /proc/self/maps under its guest path; everything else is
/// as native.
#[test]
fn interpreter_from_the_sysroot() {
    let Some(p) = build("auxmaps.c", Link::Pie) else {
        return;
    };
    if !native_ok() {
        return;
    }
    let Some(host_ld) = host_ld() else { return };
    let root = out_dir().join(format!("sysroot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::copy(host_ld, root.join("lib/ld-linux.so.2")).unwrap();
    let real = std::fs::canonicalize(host_ld).unwrap();
    let real = real.to_str().unwrap();
    let expect = |native: &str| -> String {
        native
            .lines()
            .map(|l| {
                if l.ends_with(real) {
                    // Another file (a copy): the name the guest sees, and
                    // not the host inode.
                    let f: Vec<&str> = l.split_whitespace().collect();
                    format!("{} {} {} <dev> <ino> /lib/ld-linux.so.2", f[0], f[1], f[2])
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let got = |emu: &str| -> String {
        emu.lines()
            .map(|l| {
                if l.ends_with(" /lib/ld-linux.so.2") {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    format!("{} {} {} <dev> <ino> /lib/ld-linux.so.2", f[0], f[1], f[2])
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let rs = root.to_str().unwrap();
    for (env, opts) in [
        (vec![], vec!["-L", rs]),
        (vec![("EMU_SYSROOT", rs)], vec![]),
    ] {
        let (n, e) = both(&[&p], &[], &env, &opts);
        let (x, g) = (expect(&n.stdout), got(&e.stdout));
        assert_eq!(n.status, e.status, "{}", e.stderr);
        if x != g {
            panic!(
                "sysroot {env:?} {opts:?}: {}\n=== native\n{}\n=== emu\n{}",
                common::first_diff(&x, &g).unwrap_or_default(),
                n.stdout,
                e.stdout
            );
        }
        assert_eq!(
            e.stdout.matches(" /lib/ld-linux.so.2\n").count(),
            5,
            "ld.so's five mappings come from the sysroot copy:\n{}",
            e.stdout
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// Symlinks inside a sysroot resolve inside it, absolute ones included,
/// as under a chroot (Debian's packages have absolute links; a host
/// without i386 libraries has nothing at their targets): a file reached
/// through an absolute file link and an absolute directory link is the
/// sysroot's, and readlink shows the link as written. There is no native
/// run to compare with (native has no sysroot): the expected output is
/// what `chroot ROOT cat ...` prints.
#[test]
fn sysroot_symlinks_resolve_inside_it() {
    let Some(i386) = sysroot() else { return };
    let bb = i386.join("bin/busybox");
    if !bb.exists() {
        common::skip(
            TIER,
            &format!("{} missing (.ci/run fetches it)", bb.display()),
        );
        return;
    }
    let root = out_dir().join(format!("absroot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("data/emu-probe.txt"), "inside the sysroot\n").unwrap();
    std::os::unix::fs::symlink("/data/emu-probe.txt", root.join("etc/emu-probe")).unwrap();
    std::os::unix::fs::symlink("/data", root.join("emu-dirlink")).unwrap();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_emu"))
            .arg("-L")
            .arg(&root)
            .arg(&bb)
            .args(args)
            .output()
            .expect("run emu");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (st, out, err) = run(&["cat", "/etc/emu-probe", "/emu-dirlink/emu-probe.txt"]);
    assert_eq!(
        (st, out.as_str()),
        (Some(0), "inside the sysroot\ninside the sysroot\n"),
        "{err}"
    );
    let (st, out, err) = run(&["readlink", "/etc/emu-probe"]);
    assert_eq!(
        (st, out.as_str()),
        (Some(0), "/data/emu-probe.txt\n"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

// ---- a Debian i386 sysroot (guest/sysroot.sh) ----

/// The sysroot `guest/sysroot.sh` builds: `$EMU_I386_ROOT`, else
/// `target/i386-root` (where `.ci/run` makes it), with Debian's i386
/// libc6, libgcc-s1 and libstdc++6; None after saying why not.
fn sysroot() -> Option<PathBuf> {
    let root = match std::env::var_os("EMU_I386_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/i386-root"),
    };
    let need = [
        "lib/ld-linux.so.2",
        "lib/i386-linux-gnu/libc.so.6",
        "usr/lib/i386-linux-gnu/libstdc++.so.6",
        "etc/ld.so.cache",
    ];
    if let Some(m) = need.iter().find(|n| !root.join(n).exists()) {
        common::skip(
            TIER,
            &format!(
                "no i386 sysroot ({} missing; make one with guest/sysroot.sh {})",
                root.join(m).display(),
                root.display()
            ),
        );
        return None;
    }
    Some(std::fs::canonicalize(&root).unwrap_or(root))
}

/// Programs run with `-L ROOT` use the sysroot's ld.so and libraries
/// (their maps show them under the guest's paths), and print what a
/// native run of the same binary through the same sysroot prints
/// (`ROOT/lib/ld-linux.so.2 --library-path ROOT/lib/i386-linux-gnu:...`).
#[test]
fn programs_through_a_debian_sysroot() {
    let Some(root) = sysroot() else {
        return;
    };
    if !native_ok() {
        return;
    }
    let rs = root.to_str().unwrap();
    let ld = root.join("lib/ld-linux.so.2");
    let libpath = format!("{rs}/lib/i386-linux-gnu:{rs}/usr/lib/i386-linux-gnu");
    for (file, link) in [
        ("cxx.cc", Link::Pie),
        ("tls.c", Link::NoPie),
        ("dl.c", Link::Pie),
    ] {
        let Some(p) = build(file, link) else {
            return;
        };
        if file == "dl.c" && library(link).is_none() {
            return;
        }
        let mut n = Command::new("setarch");
        n.args(["i686", "-R"])
            .arg(&ld)
            .args(["--library-path", &libpath])
            .arg(&p)
            .current_dir(out_dir());
        let n = common::run(n);
        let mut e = Command::new(env!("CARGO_BIN_EXE_emu"));
        e.arg("-L").arg(&root).arg(&p).current_dir(out_dir());
        let e = common::run(e);
        // dl_iterate_phdr shows load addresses and paths, which differ when
        // ld.so is run by hand natively; the rest must agree.
        let strip = |s: &str| -> String {
            s.lines()
                .filter(|l| !l.starts_with("object "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            n.status,
            0,
            "{file} natively via {}: {}",
            ld.display(),
            n.stderr
        );
        assert_eq!(
            (strip(&n.stdout), n.stderr.as_str(), n.status),
            (strip(&e.stdout), e.stderr.as_str(), e.status),
            "{file} ({link:?}) through the sysroot"
        );
        if file == "dl.c" {
            // Every library came from the sysroot, named as the guest sees it.
            for lib in [
                "/lib/i386-linux-gnu/libc.so.6",
                "/lib/i386-linux-gnu/libm.so.6",
            ] {
                assert!(
                    e.stdout.contains(&format!("object {lib} at ")),
                    "{lib} from the sysroot:\n{}",
                    e.stdout
                );
            }
        }
    }
    let Some(p) = build("auxmaps.c", Link::NoPie) else {
        return;
    };
    let mut e = Command::new(env!("CARGO_BIN_EXE_emu"));
    e.arg("-L").arg(&root).arg(&p).current_dir(out_dir());
    let e = common::run(e);
    assert_eq!(e.status, 0, "{}", e.stderr);
    for name in [
        "/lib/i386-linux-gnu/ld-linux.so.2",
        "/lib/i386-linux-gnu/libc.so.6",
    ] {
        assert!(
            e.stdout.lines().any(|l| l.ends_with(&format!(" {name}"))),
            "{name} in the maps:\n{}",
            e.stdout
        );
    }
    assert!(
        !e.stdout.contains(rs),
        "the sysroot prefix shows:\n{}",
        e.stdout
    );
}
