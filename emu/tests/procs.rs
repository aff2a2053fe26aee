//! Processes and threads, differential against native: static glibc
//! programs from `guest/proc/` (fork and the wait family, execve and
//! `#!` scripts, clone and clone3, pthreads, memory shared between
//! processes, and a stress run) are built with `gcc -m32 -static` into
//! the cargo target directory and run natively (`setarch i686 -R`) and
//! under emu, each in a fresh empty directory, with the helper `child`
//! beside them. stdout, stderr and the exit status must be equal.
//!
//! The programs print only what is the same run to run: no pids, times or
//! addresses, only their relations (a tid differs from the pid, a waited
//! pid is the child's). Without gcc -m32 or native i386 support the tier
//! says why and passes, or fails with EMU_REQUIRE_NATIVE=1.

mod common;

const TIER: common::GlibcTier = common::GlibcTier {
    name: "proc tier",
    sub: "proc",
    headers: &["proc/common.h"],
    flags: &[
        "-O1",
        "-Wall",
        "-Wno-unused-function",
        "-Wno-unused-result",
        "-Wno-stringop-overread",
        "-fno-stack-protector",
        "-pthread",
    ],
};

/// Build `name` (and the helper), run it both ways, compare.
fn check(name: &str) {
    check_linked(name, common::Link::Static);
}

/// The program and its helper `child` dynamically linked (PIE and
/// non-PIE): execve of a dynamic program loads its interpreter again.
fn check_dynamic(name: &str) {
    for link in common::Link::DYNAMIC {
        check_linked(name, link);
    }
}

fn check_linked(name: &str, link: common::Link) {
    let prog = TIER
        .build_linked("child", link)
        .and(TIER.build_linked(name, link));
    let Some((n, e)) = TIER.run_both(name, prog) else {
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

#[test]
fn dynamic_wait_exec_clone() {
    for name in ["wait", "exec", "clone"] {
        check_dynamic(name);
    }
}

#[test]
fn dynamic_threads_shared_stress() {
    for name in ["threads", "shared", "stress"] {
        check_dynamic(name);
    }
}

#[test]
fn fork_and_wait_statuses() {
    check("wait");
}

#[test]
fn execve_scripts_and_errors() {
    check("exec");
}

#[test]
fn clone_and_clone3() {
    check("clone");
}

#[test]
fn pthreads() {
    check("threads");
}

#[test]
fn memory_shared_between_processes() {
    check("shared");
}

#[test]
fn stress_threads_and_fork_exec() {
    check("stress");
}

/// `--frames` in a forking program: the child's first line is its own
/// exit from fork with ax = 0 (ret_from_fork), at the parent's ip and sp,
/// and once there are two tasks every line carries its tid.
#[test]
fn frames_of_a_fork_child() {
    let (Some(child), Some(prog)) = (TIER.build("child"), TIER.build("forkframes")) else {
        return common::skip(
            "proc tier",
            "gcc -m32 -static cannot build the guest programs",
        );
    };
    let _ = child;
    let dir = TIER.scratch("forkframes");
    let log = dir.join("frames.json");
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("--frames").arg(&log).arg(&prog).current_dir(&dir);
    let r = common::run(c);
    assert_eq!(r.status, 0, "{}", common::show(&r));
    let text = std::fs::read_to_string(&log).expect("frames log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON frame"))
        .collect();
    // glibc's fork() is clone (120).
    let fork_nr = 120;
    let entry = lines
        .iter()
        .position(|v| v["event"] == "entry" && v["nr"] == fork_nr)
        .expect("a clone entry frame");
    // The entry came before the second task: its line has no tid yet.
    assert!(lines[entry]["tid"].is_null());
    let pexit = lines[entry..]
        .iter()
        .find(|v| v["event"] == "exit" && v["nr"] == fork_nr && v["regs"]["ax"] != 0)
        .expect("the parent's clone exit");
    let parent = pexit["tid"].as_u64().expect("lines carry tids once shared");
    let child = pexit["regs"]["ax"].as_u64().expect("the child's pid");
    assert_ne!(child, parent);
    let first = lines
        .iter()
        .find(|v| v["tid"] == child)
        .expect("frames of the child");
    assert_eq!(
        first["event"], "exit",
        "the child starts with an exit frame"
    );
    assert_eq!(first["nr"], fork_nr);
    assert_eq!(first["regs"]["ax"], 0, "fork returns 0 in the child");
    for k in ["ip", "sp", "bx", "cs", "ss", "ds", "es", "gs"] {
        assert_eq!(first["regs"][k], pexit["regs"][k], "child's {k}");
    }
    for v in &lines[entry + 1..] {
        assert!(
            v["tid"].is_u64(),
            "every line after the fork has a tid: {v}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
