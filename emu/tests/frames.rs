//! Register-frame tests: every guest program's syscall entry/exit frames
//! (`--frames`) are pinned as insta snapshots recorded from native runs,
//! and, where this host runs i386 code, compared field by field with the
//! frames of the same binary run natively under ptrace(PTRACE_SYSCALL).
//!
//! Programs run with an empty environment, from the guest directory, under
//! a relative path, so stack addresses do not depend on where the checkout is.
//!
//! Documented differences, masked on both sides:
//! - the return value of getpid/getppid/gettid (the pid differs per run);
//! - programs listed in `NONDETERMINISTIC_REGS` leave rdtsc/cpuid results in
//!   registers, so only nr, orig_ax, ip, cs, ss, ds, es, fs, gs and sp are compared.

use std::path::{Path, PathBuf};
use std::process::Command;

use emu::arch::ptregs::PtRegs;
use emu::kernel::frames::format_frame;

fn guest_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest")
}

/// (directory under guest/, program path relative to it)
fn programs() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for sub in ["bin", "syscall/bin"] {
        let dir = guest_root().join(sub);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            out.push((dir.clone(), format!("./{n}")));
        }
    }
    out
}

/// Programs whose registers at syscall time hold host-dependent values.
const NONDETERMINISTIC_REGS: &[&str] = &["misc"];

#[derive(Debug, PartialEq, Eq)]
struct Run {
    frames: Vec<String>,
    status: String,
}

fn status_of(st: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => "unknown".into(),
    }
}

fn emu_run(dir: &Path, prog: &str) -> Run {
    let frames = tempfile(prog, "json");
    // stdout goes to a regular file, not /dev/null: writing to /dev/null
    // never reads the buffer, so a bad pointer would not give -EFAULT natively.
    let out = tempfile(prog, "emu.out");
    let st = Command::new(env!("CARGO_BIN_EXE_emu"))
        .arg("--frames")
        .arg(&frames)
        .arg(prog)
        .current_dir(dir)
        .env_clear()
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run emu");
    let text = std::fs::read_to_string(&frames).unwrap_or_default();
    let _ = std::fs::remove_file(&frames);
    let _ = std::fs::remove_file(&out);
    Run {
        frames: text.lines().map(str::to_string).collect(),
        status: status_of(st),
    }
}

fn tempfile(prog: &str, ext: &str) -> PathBuf {
    let name = prog.trim_start_matches("./").replace('/', "_");
    std::env::temp_dir().join(format!("emu-frames-{}-{name}.{ext}", std::process::id()))
}

/// Mask what legitimately differs between runs (see the module docs).
fn normalize(prog: &str, line: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).expect("frame is JSON");
    let nr = v["nr"].as_u64().unwrap_or(0);
    if v["event"] == "exit" && matches!(nr, 20 | 64 | 224) {
        v["regs"]["ax"] = serde_json::Value::String("PID".into());
    }
    if NONDETERMINISTIC_REGS.iter().any(|p| prog.ends_with(p)) {
        for r in ["bx", "cx", "dx", "si", "di", "bp", "ax", "flags"] {
            v["regs"][r] = serde_json::Value::String("*".into());
        }
    }
    v.to_string()
}

mod native {
    //! Run an i386 program natively under ptrace and collect its frames.
    use super::*;
    use std::ffi::CString;

    pub fn available() -> bool {
        cfg!(all(target_os = "linux", target_arch = "x86_64"))
            && Command::new(guest_root().join("syscall/bin/int80"))
                .current_dir(guest_root().join("syscall"))
                .env_clear()
                .stdout(std::process::Stdio::null())
                .status()
                .map(|s| s.code() == Some(7))
                .unwrap_or(false)
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub fn run(dir: &Path, prog: &str) -> Run {
        let cdir = CString::new(dir.to_str().unwrap()).unwrap();
        let out_path = tempfile(prog, "native.out");
        let cout = CString::new(out_path.to_str().unwrap()).unwrap();
        let cprog = CString::new(prog).unwrap();
        let argv = [cprog.as_ptr(), std::ptr::null()];
        let envp: [*const libc::c_char; 1] = [std::ptr::null()];
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork");
            if pid == 0 {
                // setarch i686 -R: PER_LINUX32 | ADDR_NO_RANDOMIZE.
                libc::personality(0x0008 | 0x0040000);
                libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
                libc::chdir(cdir.as_ptr());
                libc::dup2(
                    libc::open(
                        cout.as_ptr(),
                        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                        0o600,
                    ),
                    1,
                );
                libc::dup2(libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY), 2);
                libc::execve(cprog.as_ptr(), argv.as_ptr(), envp.as_ptr());
                libc::_exit(127);
            }
            let mut st = 0;
            libc::waitpid(pid, &mut st, 0);
            assert!(libc::WIFSTOPPED(st), "child did not stop at exec");
            libc::ptrace(
                libc::PTRACE_SETOPTIONS,
                pid,
                0,
                libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL,
            );
            let mut frames = Vec::new();
            let mut in_syscall = false;
            let mut sig = 0;
            loop {
                libc::ptrace(libc::PTRACE_SYSCALL, pid, 0, sig);
                sig = 0;
                libc::waitpid(pid, &mut st, 0);
                if libc::WIFEXITED(st) || libc::WIFSIGNALED(st) {
                    let _ = std::fs::remove_file(&out_path);
                }
                if libc::WIFEXITED(st) {
                    return Run {
                        frames,
                        status: format!("exit {}", libc::WEXITSTATUS(st)),
                    };
                }
                if libc::WIFSIGNALED(st) {
                    return Run {
                        frames,
                        status: format!("signal {}", libc::WTERMSIG(st)),
                    };
                }
                let s = libc::WSTOPSIG(st);
                if s != (libc::SIGTRAP | 0x80) {
                    sig = s; // a signal for the child: pass it on
                    continue;
                }
                let mut r: libc::user_regs_struct = std::mem::zeroed();
                libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut r as *mut _);
                let regs = PtRegs {
                    bx: r.rbx as u32,
                    cx: r.rcx as u32,
                    dx: r.rdx as u32,
                    si: r.rsi as u32,
                    di: r.rdi as u32,
                    bp: r.rbp as u32,
                    ax: r.rax as u32,
                    ds: r.ds as u16,
                    es: r.es as u16,
                    fs: r.fs as u16,
                    gs: r.gs as u16,
                    orig_ax: r.orig_rax as u32,
                    ip: r.rip as u32,
                    cs: r.cs as u16,
                    flags: r.eflags as u32,
                    sp: r.rsp as u32,
                    ss: r.ss as u16,
                    ..Default::default()
                };
                frames.push(format_frame(!in_syscall, &regs));
                in_syscall = !in_syscall;
            }
        }
    }

    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    pub fn run(_: &Path, _: &str) -> Run {
        unreachable!()
    }
}

fn snapshot_name(dir: &Path, prog: &str) -> String {
    let sub = if dir.ends_with("syscall/bin") {
        "syscall_"
    } else {
        ""
    };
    format!("frames_{sub}{}", prog.trim_start_matches("./"))
}

fn render(run: &Run, prog: &str) -> String {
    let mut s: String = run
        .frames
        .iter()
        .map(|l| normalize(prog, l) + "\n")
        .collect();
    s.push_str(&format!("status: {}\n", run.status));
    s
}

#[test]
fn frames_match_native_and_snapshots() {
    let progs = programs();
    assert!(!progs.is_empty(), "no guest programs found");
    let native = native::available();
    if !native {
        eprintln!("frames: this host cannot run i386 natively; comparing with the recorded snapshots only");
    }
    let mut failures = Vec::new();
    for (dir, prog) in &progs {
        let emu = render(&emu_run(dir, prog), prog);
        let name = snapshot_name(dir, prog);
        // The snapshot holds the native frames where this host can trace
        // them (so an update records native output), emu's elsewhere; the
        // two are equal or the test has already failed.
        let pinned = if native {
            let nat = render(&native::run(dir, prog), prog);
            if nat != emu {
                failures.push(first_difference(&name, &nat, &emu));
                continue;
            }
            nat
        } else {
            emu
        };
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, pinned);
        });
    }
    assert!(
        failures.is_empty(),
        "emulated frames differ from native:\n{}",
        failures.join("\n")
    );
}

fn first_difference(name: &str, native: &str, emu: &str) -> String {
    for (k, (a, b)) in native.lines().zip(emu.lines()).enumerate() {
        if a != b {
            let (va, vb): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(a).unwrap_or_default(),
                serde_json::from_str(b).unwrap_or_default(),
            );
            let mut fields = Vec::new();
            if let (Some(ra), Some(rb)) = (va["regs"].as_object(), vb["regs"].as_object()) {
                for (f, x) in ra {
                    if rb.get(f) != Some(x) {
                        fields.push(format!(
                            "{f}: native {x} emu {}",
                            rb.get(f).unwrap_or(&serde_json::Value::Null)
                        ));
                    }
                }
            }
            return format!(
                "  {name} line {}: {}\n    native: {a}\n    emu:    {b}",
                k + 1,
                fields.join(", ")
            );
        }
    }
    format!(
        "  {name}: native has {} lines, emu {}",
        native.lines().count(),
        emu.lines().count()
    )
}
