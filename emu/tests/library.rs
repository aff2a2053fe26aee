//! The embeddable library (`emu::machine`) and its hooks
//! (`emu::kernel::hooks`): syscall entry and exit hooks that skip calls,
//! inject results and change arguments, the syscall filter, exception and
//! signal hooks, hook stops, the exact instruction budget (against native
//! single-stepping under ptrace), register and memory access, and the
//! logic of the examples `count_syscalls` (against native `strace -f`)
//! and `sandbox`.
//!
//! A guest shares the process that runs it (its descriptors, signal
//! dispositions; a signal sent to the process may land on any thread of
//! the test harness), so each test runs its machines in a forked child
//! ([`isolated`]) whose stdout is a file the test reads.

mod common;

#[allow(dead_code)]
#[path = "../examples/count_syscalls.rs"]
mod count_syscalls;
#[allow(dead_code)]
#[path = "../examples/sandbox.rs"]
mod sandbox;
#[allow(dead_code)]
#[path = "../examples/snapshot.rs"]
mod snapshot_example;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::Path;
use std::sync::{Arc, Mutex};

use emu::machine::{
    Builder, ExitStatus, FpuRegs, Hooks, Machine, MemError, Reg, RegError, SegReg, SnapshotError,
    Stop, SyscallEntry, SyscallFilter,
};

const SIGILL: i32 = 4;
const SIGUSR1: u32 = 10;
const SIGUSR2: u32 = 12;

fn guest(rel: &str) -> String {
    common::guest_dir().join(rel).to_string_lossy().into_owned()
}

fn machine(prog: &str, args: &[&str], hooks: Hooks) -> Machine {
    let argv = std::iter::once(prog).chain(args.iter().copied());
    Builder::from_path(prog)
        .argv(argv)
        .hooks(hooks)
        .build()
        .unwrap_or_else(|e| panic!("{prog}: {e}"))
}

/// Tests run one at a time: a fork from a process where another thread
/// holds a lock of the standard library (the environment's, stdout's)
/// would leave the child waiting for it forever.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` in a forked child with stdout redirected to a file (whose path
/// `f` gets), failing the test with the child's panic message if it
/// panics, or if it takes more than a minute (SIGALRM).
fn isolated(name: &str, f: impl FnOnce(&Path)) {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let out = std::env::temp_dir().join(format!("emu-library-{}-{name}", std::process::id()));
    // Appending, so that a test can empty it between runs.
    let _ = std::fs::remove_file(&out);
    let file = std::fs::File::options()
        .append(true)
        .create(true)
        .open(&out)
        .unwrap();
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe {
            libc::close(fds[0]);
            libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&file), 1);
            libc::alarm(60);
        }
        // The message goes to the parent through the pipe; printing it
        // here would need stderr's lock, which the fork may have copied
        // held by another thread.
        std::panic::set_hook(Box::new(|_| {}));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&out)));
        let msg = match r {
            Ok(()) => String::new(),
            Err(e) => e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into()),
        };
        unsafe {
            libc::write(fds[1], msg.as_ptr() as *const libc::c_void, msg.len());
            libc::_exit(if msg.is_empty() { 0 } else { 1 });
        }
    }
    unsafe { libc::close(fds[1]) };
    let mut msg = String::new();
    let _ = unsafe { std::fs::File::from_raw_fd(fds[0]) }.read_to_string(&mut msg);
    let mut st = 0;
    unsafe { libc::waitpid(pid, &mut st, 0) };
    let _ = std::fs::remove_file(&out);
    assert!(msg.is_empty(), "{name}: {msg}");
    assert!(
        libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
        "{name}: child ended with wait status {st:#x}"
    );
}

fn stdout_of(out: &Path) -> String {
    std::fs::read_to_string(out).unwrap()
}

// ---- syscall hooks ----

/// int80 (guest/syscall): getpid, write "int80 ok\n", invalid numbers,
/// six arguments to 999, getpid, write from a bad pointer, exit_group(7).
/// The entry hook skips the first getpid, injects 1234 into the second,
/// shortens the write and changes exit_group's status; the exit hook sees
/// the results.
#[test]
fn syscall_hooks_skip_inject_and_change_arguments() {
    let _g = serial();
    isolated("skip_inject", |out| {
        let entries = Arc::new(Mutex::new(Vec::new()));
        let exits = Arc::new(Mutex::new(Vec::new()));
        let (en, ex) = (entries.clone(), exits.clone());
        let mut getpids = 0;
        let hooks = Hooks::new()
            .on_syscall_entry(move |c| {
                assert!(!c.is_exit());
                assert_eq!(c.ret(), -38, "ax at entry is -ENOSYS");
                en.lock().unwrap().push((c.nr(), c.args()));
                match c.nr() {
                    20 => {
                        getpids += 1;
                        if getpids == 1 {
                            c.skip();
                        } else {
                            c.inject(1234);
                        }
                    }
                    4 if c.args()[0] == 1 => c.set_arg(2, 5),
                    252 => c.set_arg(0, 42),
                    _ => {}
                }
            })
            .on_syscall_exit(move |c| {
                assert!(c.is_exit());
                ex.lock().unwrap().push((c.regs().orig_ax, c.ret()));
            });
        let mut m = machine(&guest("syscall/bin/int80"), &[], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(42)));
        assert_eq!(stdout_of(out), "int80");
        let en = entries.lock().unwrap();
        let nrs: Vec<u32> = en.iter().map(|e| e.0).collect();
        assert_eq!(
            nrs,
            [20, 4, u32::MAX, 999, 0x8000_0000, 470, 222, 999, 20, 4, 252]
        );
        assert_eq!(
            en[7].1,
            [0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666]
        );
        let ex = exits.lock().unwrap();
        let enosys = -38;
        assert_eq!(
            *ex,
            [
                (u32::MAX, enosys), // skipped getpid
                (4, 5),             // the shortened write
                (u32::MAX, enosys),
                (999, enosys),
                (0x8000_0000, enosys),
                (470, enosys),
                (222, enosys),
                (999, enosys),
                (u32::MAX, 1234), // injected
                (4, -14),         // EFAULT
            ]
        );
    });
}

/// Through the vDSO (sysenter, and int $0x80 from the vDSO): the sixth
/// argument comes from the user stack, an injected result returns through
/// sysexit, and the registers the guest checks survive.
#[test]
fn syscall_hooks_through_the_vdso() {
    let _g = serial();
    for entry in [SyscallEntry::Sysenter, SyscallEntry::Int80] {
        isolated(&format!("vdso_{entry:?}"), move |out| {
            let seen = Arc::new(Mutex::new(None));
            let s = seen.clone();
            let hooks = Hooks::new()
                .filter(SyscallFilter::only(&[999]))
                .on_syscall_entry(move |c| {
                    *s.lock().unwrap() = Some(c.args());
                    c.inject(7);
                });
            let prog = guest("syscall/bin/vsyscall");
            let mut m = Builder::from_path(&prog)
                .syscall_entry(entry)
                .hooks(hooks)
                .build()
                .unwrap();
            assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
            assert_eq!(stdout_of(out), "vsyscall ok\ngs:0x10 ok\n");
            assert_eq!(
                seen.lock().unwrap().unwrap(),
                [0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666]
            );
        });
    }
}

/// An exit hook changes the result the guest sees (eax after the call)
/// and stops the run there; the run resumes.
#[test]
fn exit_hook_changes_result_and_stops() {
    let _g = serial();
    isolated("exit_stop", |out| {
        let hooks = Hooks::new()
            .filter(SyscallFilter::only(&[4]))
            .on_syscall_exit(|c| {
                c.set_ret(77);
                // What PTRACE_SETREGS refuses is not written: IOPL, a
                // kernel selector (RPL 0).
                let r = c.base().regs_mut();
                r.flags |= 0x3000;
                r.ds = 0x68;
                c.stop();
            });
        let mut m = machine(&guest("syscall/bin/int80"), &[], hooks);
        for _ in 0..2 {
            assert_eq!(m.run(), Stop::Hook);
            assert_eq!(m.eflags() & 0x3000, 0, "IOPL stays 0");
            assert_eq!(m.seg(SegReg::Ds), 0x2b);
            assert_eq!(m.reg(Reg::Eax), 77);
            let mut insn = [0; 2];
            m.read_mem(m.eip() - 2, &mut insn).unwrap();
            assert_eq!(insn, [0xcd, 0x80], "stopped right after int $0x80");
        }
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(7)));
        assert_eq!(stdout_of(out), "int80 ok\n");
    });
}

/// The filter: only the syscalls in it reach the hooks (entry and exit),
/// by their number at entry.
#[test]
fn filter_selects_syscalls() {
    let _g = serial();
    let cases: [(SyscallFilter, &[u32]); 5] = [
        (
            SyscallFilter::all(),
            &[20, 4, u32::MAX, 999, 0x8000_0000, 470, 222, 999, 20, 4, 252],
        ),
        (SyscallFilter::none(), &[]),
        (SyscallFilter::only(&[4]), &[4, 4]),
        (SyscallFilter::only(&[470, 222]), &[470, 222]),
        (
            SyscallFilter::except(&[20, 4]),
            &[u32::MAX, 999, 0x8000_0000, 470, 222, 999, 252],
        ),
    ];
    for (k, (filter, want)) in cases.into_iter().enumerate() {
        isolated(&format!("filter{k}"), move |_| {
            let entries = Arc::new(Mutex::new(Vec::new()));
            let exits = Arc::new(Mutex::new(Vec::new()));
            let (en, ex) = (entries.clone(), exits.clone());
            let hooks = Hooks::new()
                .filter(filter)
                .on_syscall_entry(move |c| en.lock().unwrap().push(c.nr()))
                .on_syscall_exit(move |c| ex.lock().unwrap().push(c.nr()));
            let mut m = machine(&guest("syscall/bin/int80"), &[], hooks);
            assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(7)));
            assert_eq!(*entries.lock().unwrap(), want);
            // No exit stop for exit_group.
            let want_exits: Vec<u32> = want.iter().copied().filter(|&n| n != 252).collect();
            assert_eq!(*exits.lock().unwrap(), want_exits);
        });
    }
}

/// forker (guest/lib) forks; its child makes getpid, write and
/// exit_group. The child process keeps the hooks (a copy, called with the
/// child's pid: here they append to a file both processes share) and never
/// returns from run() into this code; the parent's run() returns the
/// guest's status.
#[test]
fn hooks_in_a_forked_child() {
    let _g = serial();
    isolated("fork", |out| {
        let log = out.with_extension("log");
        let _ = std::fs::remove_file(&log);
        let l = log.clone();
        let hooks = Hooks::new().on_syscall_entry(move |c| {
            use std::io::Write;
            let mut f = std::fs::File::options()
                .append(true)
                .create(true)
                .open(&l)
                .unwrap();
            writeln!(f, "{} {}", c.pid(), c.nr()).unwrap();
        });
        let me = std::process::id();
        let mut m = machine(&guest("lib/bin/forker"), &[], hooks);
        let st = m.run();
        assert_eq!(std::process::id(), me, "the child returned from run()");
        assert_eq!(st, Stop::Exited(ExitStatus::Exited(13)));
        assert_eq!(stdout_of(out), "child\nparent\n");
        let text = std::fs::read_to_string(&log).unwrap();
        let calls: Vec<(u32, u32)> = text
            .lines()
            .map(|l| {
                let (a, b) = l.split_once(' ').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        let child = calls
            .iter()
            .find(|c| c.0 != me)
            .expect("the child's syscalls reached its hooks")
            .0;
        let of =
            |pid: u32| -> Vec<u32> { calls.iter().filter(|c| c.0 == pid).map(|c| c.1).collect() };
        assert_eq!(of(me), [2, 114, 4, 252]);
        assert_eq!(of(child), [20, 4, 252]);
        let _ = std::fs::remove_file(&log);
    });
}

// ---- exceptions and signals ----

/// ud2 (#UD): the hook sees the vector, the signal and the faulting
/// instruction; moving ip past it and suppressing the signal lets the
/// program go on; not suppressing it kills it with SIGILL; stopping
/// leaves the machine at the instruction, where the embedder moves eip.
#[test]
fn exception_hook() {
    let _g = serial();
    isolated("exception", |out| {
        let prog = guest("bin/fault_ud2");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let hooks = Hooks::new().on_exception(move |c| {
            let ip = c.regs().ip;
            let mut b = [0; 2];
            c.base().read_mem(ip, &mut b).unwrap();
            s.lock()
                .unwrap()
                .push((c.vector(), c.signo(), c.error_code(), b));
            c.base().regs_mut().ip += 2;
            c.suppress();
        });
        let mut m = machine(&prog, &[], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        assert_eq!(stdout_of(out), "start\nNOT REACHED\n");
        assert_eq!(*seen.lock().unwrap(), [(6, 4, None, [0x0f, 0x0b])]);

        let calls = Arc::new(Mutex::new(0));
        let c2 = calls.clone();
        let hooks = Hooks::new().on_exception(move |_| *c2.lock().unwrap() += 1);
        let mut m = machine(&prog, &[], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Signaled(SIGILL)));
        assert_eq!(*calls.lock().unwrap(), 1);

        let hooks = Hooks::new().on_exception(|c| {
            c.suppress();
            c.base().stop();
        });
        let mut m = machine(&prog, &[], hooks);
        assert_eq!(m.run(), Stop::Hook);
        let mut b = [0; 2];
        m.read_mem(m.eip(), &mut b).unwrap();
        assert_eq!(b, [0x0f, 0x0b]);
        m.set_eip(m.eip() + 2);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
    });
}

/// int3 is a trap: the frame's ip is already past it.
#[test]
fn exception_hook_on_a_trap() {
    let _g = serial();
    isolated("int3", |out| {
        let hooks = Hooks::new().on_exception(|c| {
            assert_eq!((c.vector(), c.signo()), (3, 5));
            c.suppress();
        });
        let mut m = machine(&guest("bin/fault_int3"), &[], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        assert_eq!(stdout_of(out), "start\nNOT REACHED\n");
    });
}

/// sig_loop N sends itself SIGUSR1 N times (a handler counts them; exit 0
/// when it ran N times, 3 otherwise). The signal hook sees each one; it
/// can suppress some, or turn them into SIGUSR2, whose default action
/// kills the program.
#[test]
fn signal_hook() {
    let _g = serial();
    isolated("signal", |_| {
        let prog = guest("syscall/bin/sig_loop");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let hooks = Hooks::new().on_signal(move |c| s.lock().unwrap().push(c.signo()));
        let mut m = machine(&prog, &["10"], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        assert_eq!(*seen.lock().unwrap(), [SIGUSR1; 10]);

        let mut k = 0;
        let hooks = Hooks::new().on_signal(move |c| {
            k += 1;
            if k % 2 == 0 {
                c.suppress();
            }
        });
        let mut m = machine(&prog, &["10"], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(3)));

        let hooks = Hooks::new().on_signal(|c| c.set_signo(SIGUSR2));
        let mut m = machine(&prog, &["10"], hooks);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Signaled(SIGUSR2 as i32)));
    });
}

/// Two machines on one thread, run in turns (a budget each): each
/// guest's SIGUSR1 reaches its own handler (the host's dispositions and
/// signal routing follow the machine that runs), so both count all of
/// theirs and exit 0.
#[test]
fn machines_in_turns_keep_their_signals() {
    let _g = serial();
    isolated("turns", |_| {
        let prog = guest("syscall/bin/sig_loop");
        let mut a = machine(&prog, &["200"], Hooks::new());
        let mut b = machine(&prog, &["300"], Hooks::new());
        let (mut ea, mut eb) = (None, None);
        while ea.is_none() || eb.is_none() {
            for (m, e) in [(&mut a, &mut ea), (&mut b, &mut eb)] {
                if e.is_none() {
                    if let Stop::Exited(st) = m.run_for(997) {
                        *e = Some(st);
                    }
                }
            }
        }
        assert_eq!(ea, Some(ExitStatus::Exited(0)));
        assert_eq!(eb, Some(ExitStatus::Exited(0)));
    });
}

// ---- the instruction budget ----

/// The eip after each instruction of a native run of `prog`, single-stepped
/// under ptrace (until it exits), or None if it cannot be traced here.
fn native_steps(prog: &str, args: &[&str]) -> Option<Vec<u32>> {
    let cprog = CString::new(prog).unwrap();
    let cargs: Vec<CString> = std::iter::once(prog)
        .chain(args.iter().copied())
        .map(|a| CString::new(a).unwrap())
        .collect();
    let mut argv: Vec<*const libc::c_char> = cargs.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let devnull = CString::new("/dev/null").unwrap();
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
            let n = libc::open(devnull.as_ptr(), libc::O_WRONLY);
            libc::dup2(n, 1);
            libc::execv(cprog.as_ptr(), argv.as_ptr());
            libc::_exit(127);
        }
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
        if !libc::WIFSTOPPED(st) {
            return None;
        }
        let mut eips = Vec::new();
        loop {
            libc::ptrace(libc::PTRACE_SINGLESTEP, pid, 0, 0);
            libc::waitpid(pid, &mut st, 0);
            if !libc::WIFSTOPPED(st) {
                break;
            }
            if libc::WSTOPSIG(st) != libc::SIGTRAP || eips.len() > 1_000_000 {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut st, 0);
                return None;
            }
            let mut regs: libc::user_regs_struct = std::mem::zeroed();
            libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs);
            eips.push(regs.rip as u32);
        }
        Some(eips)
    }
}

/// run_for(1) over a whole program stops after each instruction exactly
/// where a native single step does (hello: C runtime loops; int80:
/// syscalls, including invalid ones).
#[test]
fn budget_matches_native_single_steps() {
    let _g = serial();
    if !common::native_available() {
        common::skip("library budget", "this host cannot run i386 programs");
        return;
    }
    for name in ["bin/hello", "syscall/bin/int80"] {
        let prog = guest(name);
        let Some(native) = native_steps(&prog, &[]) else {
            common::skip("library budget", "ptrace single-stepping failed here");
            return;
        };
        isolated(&format!("steps_{}", name.replace('/', "_")), move |_| {
            let mut m = machine(&prog, &[], Hooks::new());
            let mut eips = Vec::new();
            loop {
                let before = m.icount();
                match m.run_for(1) {
                    Stop::Budget => {
                        assert_eq!(m.icount(), before + 1);
                        eips.push(m.eip());
                    }
                    Stop::Exited(_) => break,
                    Stop::Hook => panic!("no hook"),
                }
            }
            assert!(!eips.is_empty());
            if let Some(k) = (0..eips.len().min(native.len())).find(|&k| eips[k] != native[k]) {
                panic!(
                    "{name}: step {k}: emu at {:#x}, native at {:#x}",
                    eips[k], native[k]
                );
            }
            assert_eq!(eips.len(), native.len(), "{name}: instruction counts");
        });
    }
}

/// Budgets of several sizes, across rep string instructions (`string`),
/// each stop exactly at its count, add up to the uninterrupted run's
/// instruction count and output.
#[test]
fn budget_is_exact_and_adds_up() {
    let _g = serial();
    isolated("budget_sum", |out| {
        let prog = guest("bin/string");
        let mut m = machine(&prog, &[], Hooks::new());
        let st = m.run();
        let total = m.icount();
        let whole = stdout_of(out);
        assert!(matches!(st, Stop::Exited(_)));
        for chunk in [1u64, 7, 1000, 99_991] {
            std::fs::write(out, "").unwrap();
            let mut m = machine(&prog, &[], Hooks::new());
            let mut stops = 0u64;
            let end = loop {
                let before = m.icount();
                match m.run_for(chunk) {
                    Stop::Budget => {
                        assert_eq!(m.icount(), before + chunk, "chunk {chunk}");
                        stops += 1;
                    }
                    s => break s,
                }
            };
            assert_eq!(end, st, "chunk {chunk}");
            assert_eq!(m.icount(), total, "chunk {chunk}");
            // (The run that retires the last instruction, exit_group, ends
            // with the exit.)
            assert_eq!(stops, (total - 1) / chunk, "chunk {chunk}");
            assert_eq!(stdout_of(out), whole, "chunk {chunk}");
            // After the end, it stays ended.
            assert_eq!(m.run_for(5), st);
        }
    });
}

// ---- registers and memory ----

/// At the first instruction: eip is the ELF entry, esp points at argc and
/// argv; unmapped and wrapping addresses are errors; registers, flags and
/// segment selectors are written through the checks; the FPU and SSE
/// state reads as after execve. An image from memory runs like its file.
#[test]
fn registers_and_memory() {
    let _g = serial();
    isolated("regs", |out| {
        let prog = guest("bin/hello");
        let image = std::fs::read(&prog).unwrap();
        let entry = u32::from_le_bytes(image[24..28].try_into().unwrap());
        let mut m = machine(&prog, &["x"], Hooks::new());
        assert_eq!(m.eip(), entry);
        let sp = m.reg(Reg::Esp);
        assert_eq!(m.read_u32(sp), Ok(2));
        let argv1 = m.read_u32(sp + 8).unwrap();
        assert_eq!(m.read_cstr(argv1, 16).unwrap(), b"x");
        let mut b = [0; 4];
        assert_eq!(m.read_mem(0, &mut b), Err(MemError { addr: 0, len: 4 }));
        assert!(m.read_mem(0xffff_fffe, &mut b).is_err());
        assert!(m.write_mem(0x10, &b).is_err());
        // Text is mapped read-only.
        assert!(m.write_mem(entry, &b).is_err());
        m.write_u32(sp - 64, 0xdead_beef).unwrap();
        assert_eq!(m.read_u32(sp - 64), Ok(0xdead_beef));
        m.set_reg(Reg::Esi, 0x1234_5678);
        assert_eq!(m.reg(Reg::Esi), 0x1234_5678);
        let fl = m.eflags();
        m.set_eflags(fl | 1 | 0x200_000);
        assert_eq!(m.eflags() & 1, 1, "CF is writable");
        assert_eq!(m.eflags() & 0x200_000, fl & 0x200_000, "ID is not");
        assert_eq!(m.set_seg(SegReg::Cs, 0x23), Err(RegError::ReadOnly));
        assert_eq!(
            m.set_seg(SegReg::Ds, 0x1234),
            Err(RegError::BadSelector(0x1234))
        );
        assert_eq!(m.seg(SegReg::Ds), 0x2b);
        assert_eq!(m.set_seg(SegReg::Gs, 0), Ok(()));
        let f = m.fpu();
        assert_eq!((f.fcw, f.fsw, f.ftw, f.mxcsr), (0x37f, 0, 0, 0x1f80));
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        let from_file = stdout_of(out);
        assert_eq!(from_file, "hello, i386\n");

        std::fs::write(out, "").unwrap();
        let mut m = Builder::from_bytes(image).build().unwrap();
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        assert_eq!(stdout_of(out), from_file);
    });
}

// ---- the examples ----

/// Native `strace -f` counts of `prog args`, by syscall name.
fn strace_counts(prog: &str, args: &[&str]) -> Option<BTreeMap<String, u64>> {
    let log = std::env::temp_dir().join(format!("emu-library-strace-{}", std::process::id()));
    let st = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&log)
        .arg(prog)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    let text = std::fs::read_to_string(&log).ok()?;
    let _ = std::fs::remove_file(&log);
    if !st.success() {
        return None;
    }
    let mut m = BTreeMap::new();
    for line in text.lines() {
        // A pid, then the call's name; strace's own execve aside.
        let line = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        let name: String = line.chars().take_while(|c| *c != '(').collect();
        if name.is_empty() || name.starts_with("execve") || name.contains(' ') {
            continue;
        }
        *m.entry(name).or_insert(0) += 1;
    }
    Some(m)
}

/// count_syscalls: the counts agree with native `strace -f`'s on the
/// `files` guest (open and openat, reads of a small and a large file, a
/// missing file, writes, exit_group).
#[test]
fn example_count_syscalls_matches_strace() {
    let _g = serial();
    let dir = std::env::temp_dir().join(format!("emu-library-count-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("small");
    let large = dir.join("large");
    std::fs::write(&small, b"0123456789").unwrap();
    std::fs::write(&large, vec![b'x'; 150_000]).unwrap();
    let prog = guest("lib/bin/files");
    let args: Vec<String> = [&small, &large, &dir.join("missing")]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let arg_refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let native = if common::native_available() {
        strace_counts(&prog, &arg_refs)
    } else {
        None
    };
    let Some(native) = native else {
        common::skip(
            "library count_syscalls",
            "no native i386 run under strace here",
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    isolated("count", move |_| {
        let (st, counts) = count_syscalls::count_syscalls(&prog, &args).unwrap();
        assert_eq!(st, ExitStatus::Exited(0));
        let named: BTreeMap<String, u64> = counts
            .iter()
            .map(|(&n, &c)| (emu::kernel::syscall::name(n).unwrap().to_string(), c))
            .collect();
        assert_eq!(named, native);
        assert!(count_syscalls::table(&counts).contains(" openat\n"));
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// sandbox: opens inside the folder work as natively; outside it (by an
/// absolute path, `..`, a symbolic link, a relative path from a working
/// directory outside) they fail with EACCES, although natively they open.
#[test]
fn example_sandbox_denies_outside_paths() {
    let _g = serial();
    let base = std::env::temp_dir().join(format!("emu-library-sandbox-{}", std::process::id()));
    let inside = base.join("in");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(inside.join("a"), b"hello").unwrap();
    std::fs::write(base.join("secret"), b"secret!").unwrap();
    std::os::unix::fs::symlink(base.join("secret"), inside.join("link")).unwrap();
    let paths: Vec<String> = [
        inside.join("a"),
        base.join("secret"),
        inside.join("../secret"),
        inside.join("link"),
        inside.join("./a"),
    ]
    .iter()
    .map(|p| p.to_string_lossy().into_owned())
    .chain(std::iter::once("Cargo.toml".to_string()))
    .collect();
    let allowed = [true, false, false, false, true, false];
    let prog = guest("lib/bin/files");
    if !common::native_available() {
        common::skip("library sandbox", "this host cannot run i386 programs");
        let _ = std::fs::remove_dir_all(&base);
        return;
    }
    let native = std::process::Command::new(&prog)
        .args(&paths)
        .output()
        .unwrap();
    let native = String::from_utf8(native.stdout).unwrap();
    let native: Vec<&str> = native.lines().collect();
    assert_eq!(native.len(), paths.len());
    let inside2 = inside.clone();
    isolated("sandbox", move |out| {
        let (st, denied) = sandbox::run_sandboxed(&inside2, &prog, &paths).unwrap();
        assert_eq!(st, ExitStatus::Exited(0));
        let text = stdout_of(out);
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got.len(), paths.len());
        for (k, p) in paths.iter().enumerate() {
            assert!(native[k].ends_with(" bytes"), "natively {p} opens");
            if allowed[k] {
                assert_eq!(got[k], native[k]);
            } else {
                assert_eq!(got[k], format!("{p}: error -13"));
            }
        }
        let secret = std::fs::canonicalize(inside2.join("../secret")).unwrap();
        let cwd_file = std::fs::canonicalize("Cargo.toml").unwrap();
        assert_eq!(denied, [secret.clone(), secret.clone(), secret, cwd_file]);
    });
    let _ = std::fs::remove_dir_all(&base);
}

// ---- snapshot and restore ----

/// Everything [`Machine`] shows of the CPU.
fn cpu_state(m: &Machine) -> (Vec<u32>, u32, u32, Vec<u16>, FpuRegs, u64) {
    let segs = [
        SegReg::Es,
        SegReg::Cs,
        SegReg::Ss,
        SegReg::Ds,
        SegReg::Fs,
        SegReg::Gs,
    ];
    (
        Reg::ALL.iter().map(|&r| m.reg(r)).collect(),
        m.eip(),
        m.eflags(),
        segs.iter().map(|&s| m.seg(s)).collect(),
        m.fpu(),
        m.icount(),
    )
}

/// replay (guest/lib: brk, mmap/munmap, TLS through %gs, a SIGUSR1
/// handler, a file read 37 bytes a round, x87 control word and an xmm
/// register live across rounds) runs to the middle, is saved, runs to its
/// end, is restored and runs to its end again: the CPU is as saved, the
/// input file's offset is put back, and the second half's stdout and
/// `--frames` are bit-identical both times (and the whole output is the
/// native run's). A second restore replays it once more.
#[test]
fn snapshot_restore_replays_bit_identically() {
    let _g = serial();
    let prog = guest("lib/bin/replay");
    let input = guest("lib/replay.c");
    let args = [input.as_str(), "60", "3"];
    let native = common::native_available().then(|| {
        let o = std::process::Command::new(&prog)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    });
    if native.is_none() {
        common::skip("library snapshot", "this host cannot run i386 programs");
    }
    isolated("snapshot", |out| {
        let mut m = machine(&prog, &args, Hooks::new());
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        let total = m.icount();
        let whole = stdout_of(out);
        if let Some(n) = &native {
            assert_eq!(&whole, n);
        }
        drop(m);
        std::fs::write(out, "").unwrap();

        let frames = out.with_extension("frames");
        let argv = std::iter::once(prog.as_str()).chain(args);
        let mut m = Builder::from_path(&prog)
            .argv(argv)
            .frames(&frames)
            .build()
            .unwrap();
        assert_eq!(m.run_for(total / 2), Stop::Budget);
        let snap = m.snapshot().unwrap();
        assert_eq!(snap.icount(), total / 2);
        m.flush().unwrap();
        let (f0, o0) = (std::fs::read(&frames).unwrap().len(), stdout_of(out).len());
        let saved = cpu_state(&m);
        assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
        m.flush().unwrap();
        let (f1, o1) = (std::fs::read(&frames).unwrap(), stdout_of(out));
        assert_eq!(o1, whole);
        let input_fd = snap
            .files()
            .iter()
            .find(|f| f.target == std::fs::canonicalize(&input).unwrap())
            .expect("the input file is open at the snapshot")
            .fd;
        for round in 0..2 {
            let rep = m.restore(&snap).unwrap();
            assert!(rep.lost.is_empty(), "{rep:?}");
            assert!(rep.closed.is_empty(), "{rep:?}");
            assert_eq!(rep.rewound, [input_fd], "only the guest's own file");
            assert_eq!(cpu_state(&m), saved);
            assert_eq!(m.run(), Stop::Exited(ExitStatus::Exited(0)));
            m.flush().unwrap();
            let (f2, o2) = (std::fs::read(&frames).unwrap(), stdout_of(out));
            let n = f1.len() - f0;
            assert_eq!(f2.len(), f1.len() + (round + 1) * n);
            let replayed = &f2[f2.len() - n..];
            assert!(replayed == &f1[f0..], "round {round}: frames differ");
            let half = &o1[o0..];
            assert!(half.lines().count() > 10);
            assert_eq!(&o2[o2.len() - half.len()..], half, "round {round}");
        }
        let _ = std::fs::remove_file(&frames);

        // A snapshot belongs to its machine's address space.
        let mut other = machine(&prog, &args, Hooks::new());
        assert_eq!(
            other.restore(&snap).map(|_| ()),
            Err(SnapshotError::OtherMemory)
        );
    });
}

/// An entry hook turns int80's first getpid into
/// mmap2(0, 4096, RW, MAP_SHARED|MAP_ANONYMOUS): the guest now has a
/// shared mapping, which a snapshot refuses (naming its address).
#[test]
fn snapshot_refuses_shared_mappings() {
    let _g = serial();
    isolated("shared", |_| {
        let mut first = true;
        let mapped = Arc::new(Mutex::new(0u32));
        let got = mapped.clone();
        let hooks = Hooks::new()
            .filter(SyscallFilter::only(&[20]))
            .on_syscall_entry(move |c| {
                if std::mem::take(&mut first) {
                    c.base().regs_mut().orig_ax = 192;
                    for (i, v) in [0, 4096, 3, 0x21, u32::MAX, 0].into_iter().enumerate() {
                        c.set_arg(i, v);
                    }
                }
            })
            .on_syscall_exit(move |c| {
                *got.lock().unwrap() = c.ret() as u32;
                c.stop();
            });
        let mut m = machine(&guest("syscall/bin/int80"), &[], hooks);
        assert_eq!(m.run(), Stop::Hook);
        let addr = *mapped.lock().unwrap();
        assert!(
            addr & 0xfff == 0 && addr < 0xffff_f000,
            "mmap2 gave {addr:#x}"
        );
        assert_eq!(m.snapshot().err(), Some(SnapshotError::Shared(addr)));
    });
}

/// The snapshot example's logic: replayed output identical, with 4 MB
/// of touched memory held by the snapshot.
#[test]
fn example_snapshot_replays() {
    let _g = serial();
    isolated("snapshot_example", |_| {
        let argv: Vec<String> = [guest("lib/bin/replay"), guest("lib/replay.c")]
            .into_iter()
            .chain(["30".to_string(), "4".to_string()])
            .collect();
        let r = snapshot_example::replay(&argv).unwrap();
        assert_eq!(r.status, (ExitStatus::Exited(0), ExitStatus::Exited(0)));
        assert!(!r.first.is_empty());
        assert!(r.first == r.second);
        assert!(r.stored >= 4 << 20 && r.mapped >= r.stored);
    });
}
