//! `--gdb`: Debian's gdb debugs `guest/gdb/target.c` (built `-g -O0
//! -static`) natively and through emu's stub, with the same script: break
//! at main, next, print a local, step into a function and finish, a
//! hardware watchpoint hit twice, a variable set, x87 and SSE registers
//! read and written, orig_eax and eflags, an unmapped address, a signal
//! stop and its delivery, a read watchpoint hit in the signal handler, a
//! breakpoint hit by a second thread, continue to exit. The two transcripts must be equal once the lines that
//! name host processes or libthread_db (listed in [`masked`]) are
//! masked. The protocol-level tests speak the remote protocol themselves:
//! an interrupt (Ctrl-C) of a running program, reads of unmapped memory,
//! the register packet, kill, detach with a breakpoint set, a code write
//! over translated code, and a stop while the program waits in read(2)
//! (restarted after detach).
//! Without gdb or gcc -m32 the tier says why and passes (fails with
//! EMU_REQUIRE_NATIVE=1).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TIER: &str = "gdb tier";

fn build() -> Option<PathBuf> {
    let src = common::guest_dir().join("gdb/target.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-gdb/target");
    common::build_static_c(&src, &[], &out, &["-g", "-O0", "-pthread", "-msse2"])
}

fn gdb_ok() -> Result<(), String> {
    match Command::new("gdb").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("gdb --version failed: {}", o.status)),
        Err(e) => Err(format!("cannot run gdb: {e}")),
    }
}

/// The program and gdb, or None after saying why not.
fn setup() -> Option<PathBuf> {
    let Some(prog) = build() else {
        common::skip(TIER, "gcc -m32 cannot build guest/gdb/target.c");
        return None;
    };
    if let Err(e) = gdb_ok() {
        common::skip(TIER, &e);
        return None;
    }
    Some(prog)
}

/// emu --gdb 0 [--gdb-wait] PROG ARGS, and the port it listens on.
fn spawn_emu(prog: &PathBuf, wait: bool, args: &[&str]) -> (Child, u16) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.args(["--gdb", "0"]);
    if wait {
        c.arg("--gdb-wait");
    }
    c.arg(prog).args(args);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn emu");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).expect("emu's first stderr line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    // Keep draining stderr so emu never blocks on it.
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        eprint!("{s}");
    });
    (child, port)
}

/// Wait for `child` (at most 60 s): its exit code or -signal, and stdout.
fn finish(mut child: Child) -> (i32, String) {
    use std::os::unix::process::ExitStatusExt;
    let mut out = String::new();
    for _ in 0..600 {
        if let Some(st) = child.try_wait().expect("wait") {
            child.stdout.take().unwrap().read_to_string(&mut out).ok();
            return (st.code().unwrap_or_else(|| -st.signal().unwrap_or(0)), out);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("emu did not exit");
}

const SCRIPT: &str = "\
next
next
next
print local
next
step
step
finish
watch counter
continue
continue
delete
set var local = 50
break fpu_sse
continue
next
print $st0
print $xmm1.v4_int32[0]
print/x $fctrl
print/x $mxcsr
print $st0 = 4.5
print $st0
print $xmm1.v4_int32[0] = 99
print $xmm1.v4_int32[0]
print $orig_eax
info registers eflags
print *(int *)0
delete
continue
rwatch counter
continue
delete
break worker
continue
print *(int *)arg
delete
continue
";

fn run_gdb(prog: &PathBuf, pre: &[&str], first: &str) -> String {
    let mut c = Command::new("gdb");
    c.args([
        "-nx",
        "-batch",
        "-ex",
        "set pagination off",
        "-ex",
        "set confirm off",
    ]);
    for e in pre {
        c.args(["-ex", e]);
    }
    c.args(["-ex", "break main", "-ex", first]);
    for l in SCRIPT.lines() {
        c.args(["-ex", l]);
    }
    c.arg(prog).stdin(Stdio::null());
    let o = c.output().expect("run gdb");
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// The transcript with the lines that name host processes or threads
/// dropped, and stack addresses (the environments differ) masked.
fn masked(t: &str) -> String {
    let drop = [
        "[Thread debugging using libthread_db",
        "Using host libthread_db",
        "[New Thread",
        // A new LWP before libthread_db is in use (seen natively once in
        // CI, for the worker thread).
        "[New process",
        "[Switching to Thread",
        "0x080495d0 in _start ()",
        "[Inferior 1 (process",
    ];
    // The program's own output (natively on gdb's stdout, checked apart
    // under emu) can land inside one of gdb's lines, as both write to the
    // same pipe ("[local=...\nThread ... exited]"): cut it out wherever
    // it is first.
    let mut t = t.to_string();
    while let Some(i) = t.find("local=") {
        let e = t[i..].find('\n').map_or(t.len(), |e| i + e + 1);
        t.replace_range(i..e, "");
    }
    let mut out = String::new();
    for l in t.lines() {
        if drop.iter().any(|d| l.starts_with(d))
            || l.starts_with("[Thread ") && l.ends_with("exited]")
        {
            continue;
        }
        let mut l = l.replace(" \"target\"", "");
        for key in ["argv=0x", "arg=0x"] {
            while let Some(i) = l.find(key) {
                let end = l[i + key.len()..]
                    .find(|c: char| !c.is_ascii_hexdigit())
                    .map_or(l.len(), |e| i + key.len() + e);
                l.replace_range(i..end, &key.replace("0x", "ADDR"));
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[test]
fn gdb_script_matches_native() {
    let Some(prog) = setup() else { return };
    let native = run_gdb(&prog, &[], "run");
    if !native.contains("Breakpoint 1, main") {
        common::skip(
            TIER,
            &format!("native gdb cannot run the program:\n{native}"),
        );
        return;
    }
    let (child, port) = spawn_emu(&prog, true, &[]);
    let target = format!("target remote 127.0.0.1:{port}");
    let emu = run_gdb(&prog, &[&target], "continue");
    let (status, stdout) = finish(child);
    for key in [
        "Breakpoint 1, main (argc=1",
        "$1 = 42",
        "square (x=1) at",
        "Value returned is $2 = 1",
        "Hardware watchpoint 2: counter",
        "Old value = 0\nNew value = 1",
        "Old value = 1\nNew value = 5",
        "Breakpoint 3, fpu_sse (x=2.5)",
        "$3 = 2.5",
        "$4 = 287454020",
        "$5 = 0x37f",
        "$6 = 0x1f80",
        "Program received signal SIGUSR1",
        "in __kernel_vsyscall ()",
        "$8 = 4.5",
        "$10 = 99",
        "$11 = -1",
        "Cannot access memory at address 0x0",
        "Hardware read watchpoint 4: counter\n\nValue = 14",
        "hit Breakpoint 5, worker (arg=",
        "$12 = 7",
        "exited with code 0174]",
    ] {
        assert!(
            emu.contains(key),
            "emu's gdb transcript lacks {key:?}:\n{emu}"
        );
        assert!(
            native.contains(key),
            "native gdb transcript lacks {key:?}:\n{native}"
        );
    }
    assert_eq!(masked(&native), masked(&emu), "gdb native vs emu");
    assert_eq!(status, 124);
    assert_eq!(stdout, "local=50 counter=124 v=49 fsum=125\n");
}

// ---- the remote protocol by hand ----

struct Rsp(TcpStream);

impl Rsp {
    /// The stop reply (a signal stop), then the registers ('g') of the
    /// first thread.
    fn stopped_regs(&mut self) -> String {
        let stop = self.ask("?");
        assert!(stop.starts_with('T') || stop.starts_with('S'), "{stop}");
        assert_eq!(self.ask("Hg0"), "OK");
        self.ask("g")
    }

    fn connect(port: u16) -> Rsp {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Rsp(s)
    }

    fn send(&mut self, body: &str) {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(self.0, "${body}#{sum:02x}").unwrap();
    }

    /// The next packet's body (acknowledged).
    fn recv(&mut self) -> String {
        let mut b = [0u8; 1];
        loop {
            self.0.read_exact(&mut b).expect("read");
            if b[0] == b'$' {
                break;
            }
        }
        let mut body = Vec::new();
        loop {
            self.0.read_exact(&mut b).expect("read");
            if b[0] == b'#' {
                break;
            }
            body.push(b[0]);
        }
        let mut sum = [0u8; 2];
        self.0.read_exact(&mut sum).expect("read");
        self.0.write_all(b"+").unwrap();
        // Run-length encoding: `c*N` is c and N - 29 more.
        let mut out: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'*' && i + 1 < body.len() {
                let last = *out.last().unwrap();
                out.extend(std::iter::repeat_n(last, body[i + 1] as usize - 29));
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn ask(&mut self, body: &str) -> String {
        self.send(body);
        self.recv()
    }
}

/// Attach to a running (spinning) program, interrupt it, read registers
/// and unmapped memory, kill it.
#[test]
fn interrupt_registers_memory_kill() {
    let Some(prog) = setup() else { return };
    let (child, port) = spawn_emu(&prog, false, &["spin"]);
    std::thread::sleep(Duration::from_millis(200));
    let mut r = Rsp::connect(port);
    let g = r.stopped_regs();
    // 16 core, 8 x 10-byte st, 8 control, 8 xmm, mxcsr, orig_eax.
    assert_eq!(
        g.len(),
        2 * (16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4 + 4),
        "{g}"
    );
    // Unmapped memory is an error reply, never a crash.
    let m = r.ask("m0,4");
    assert!(m.starts_with('E'), "m0,4 -> {m}");
    let m = r.ask("Mfffff000,4:01020304");
    assert!(m.starts_with('E'), "M -> {m}");
    // Continue, then Ctrl-C: a SIGINT stop.
    r.send("vCont;c");
    std::thread::sleep(Duration::from_millis(300));
    r.0.write_all(&[3]).unwrap();
    let stop = r.recv();
    assert!(stop.starts_with("T02"), "after Ctrl-C: {stop}");
    // The spin loop increments `counter`: still running it after the stop.
    // (The process dies at once: there may be no reply.)
    r.send("vKill;1");
    let (status, _) = finish(child);
    assert_eq!(status, -9, "killed by gdb");
}

/// A breakpoint set at the next instruction, then detach: the program
/// runs on to its normal end (detach removed the breakpoint).
#[test]
fn detach_runs_to_the_end() {
    let Some(prog) = setup() else { return };
    let (child, port) = spawn_emu(&prog, true, &[]);
    let mut r = Rsp::connect(port);
    let g = r.stopped_regs();
    let eip = u32::from_str_radix(&g[64..72], 16).unwrap().swap_bytes();
    assert_eq!(r.ask(&format!("Z0,{eip:x},1")), "OK");
    assert_eq!(r.ask("D"), "OK");
    let (status, stdout) = finish(child);
    assert_eq!(status, 124);
    assert_eq!(stdout, "local=42 counter=124 v=49 fsum=105\n");
}

/// gdb's memory writes reach code that has already been translated: step
/// once (the entry's block is translated), put eip back, write `jmp .`
/// there, continue and interrupt: the thread spins at that address.
#[test]
fn code_write_replaces_translated_code() {
    let Some(prog) = setup() else { return };
    let (child, port) = spawn_emu(&prog, true, &[]);
    let mut r = Rsp::connect(port);
    let g = r.stopped_regs();
    let entry = u32::from_str_radix(&g[64..72], 16).unwrap().swap_bytes();
    let threads = r.ask("qfThreadInfo");
    let tid = threads
        .strip_prefix('m')
        .and_then(|t| t.split(',').next())
        .map(|t| t.rsplit('.').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("qfThreadInfo -> {threads}"));
    r.send(&format!("vCont;s:{tid}"));
    let stop = r.recv();
    assert!(stop.starts_with("T05"), "after a step: {stop}");
    let g = r.ask("g");
    let after = u32::from_str_radix(&g[64..72], 16).unwrap().swap_bytes();
    assert_ne!(after, entry, "the step moved eip");
    let g = format!("{}{:08x}{}", &g[..64], entry.swap_bytes(), &g[72..]);
    assert_eq!(r.ask(&format!("G{g}")), "OK");
    assert_eq!(r.ask(&format!("M{entry:x},2:ebfe")), "OK");
    r.send("vCont;c");
    std::thread::sleep(Duration::from_millis(300));
    r.0.write_all(&[3]).unwrap();
    let stop = r.recv();
    assert!(stop.starts_with("T02"), "after Ctrl-C: {stop}");
    let g = r.ask("g");
    let eip = u32::from_str_radix(&g[64..72], 16).unwrap().swap_bytes();
    assert_eq!(eip, entry, "spinning on the written jmp");
    r.send("vKill;1");
    let (status, _) = finish(child);
    assert_eq!(status, -9);
}

/// gdb attaches while the program waits in read(2): the read is
/// interrupted for the stop (eax holds __NR_read again, ready to restart)
/// and, after detach, restarted: the program reads what comes later,
/// never seeing EINTR.
#[test]
fn stop_in_a_blocking_read_restarts_it() {
    let Some(prog) = setup() else { return };
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.args(["--gdb", "0"]).arg(&prog).arg("r");
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn emu");
    let mut input = child.stdin.take().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).expect("emu's first stderr line");
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut r = Rsp::connect(port);
    let t0 = std::time::Instant::now();
    let stop = r.ask("?");
    assert!(stop.starts_with('T') || stop.starts_with('S'), "{stop}");
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "the blocked thread parked at once"
    );
    assert_eq!(r.ask("Hg0"), "OK");
    let g = r.ask("g");
    let eax = u32::from_str_radix(&g[0..8], 16).unwrap().swap_bytes();
    assert_eq!(eax, 3, "eax is __NR_read again (the call restarts)");
    assert_eq!(r.ask("D"), "OK");
    input.write_all(b"abc").unwrap();
    drop(input);
    let (status, stdout) = finish(child);
    assert_eq!((status, stdout.as_str()), (0, "read 3\n"));
}
