//! Shared helpers for the guest-program tests: running a guest under emu or
//! natively, masking flags Intel leaves undefined, and reading/writing the
//! insta snapshots (where each kind comes from: snapshots/README.md).
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use iced_x86::{Decoder, DecoderOptions, RflagsBits};

/// `guest/` at the workspace root.
pub fn guest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest")
}

/// A prebuilt guest binary.
pub fn guest_bin(name: &str) -> PathBuf {
    guest_dir().join("bin").join(name)
}

/// `snapshots/` at the workspace root.
pub const SNAPSHOT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots");

/// Raw result of one run.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// Exit status the way a shell shows it (128+N for a death by signal N).
    pub status: i32,
}

const TIMEOUT: Duration = Duration::from_secs(30);

/// Run a command with no stdin, capturing stdout/stderr, without core dumps,
/// killing it after a timeout.
pub fn run(mut cmd: Command) -> Run {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    let w = spawn_and_wait(cmd, TIMEOUT);
    Run {
        stdout: String::from_utf8_lossy(&w.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&w.stderr).into_owned(),
        status: w.status,
    }
}

/// What [`spawn_and_wait`] collected.
pub struct Waited {
    /// Empty when stdout was not piped.
    pub stdout: Vec<u8>,
    /// With a note appended when the child was killed or did not start.
    pub stderr: Vec<u8>,
    /// As a shell shows it (128+N for a death by signal N), -1 if unknown.
    pub status: i32,
}

/// Spawn `cmd` (its stdin and stdout already set up by the caller; stderr
/// is piped here) without core dumps, drain its pipes on threads so a
/// chatty child cannot block, and kill it after `timeout`.
pub fn spawn_and_wait(mut cmd: Command, timeout: Duration) -> Waited {
    cmd.stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let rl = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &rl);
            Ok(())
        });
    }
    // Its own process group, so a timeout can kill its descendants.
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Waited {
                stdout: vec![],
                stderr: format!("spawn failed: {e}").into_bytes(),
                status: -1,
            }
        }
    };
    fn drain<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    }
    let to = drain(child.stdout.take());
    let te = drain(child.stderr.take());
    let pgid = child.id() as i32;
    let t0 = Instant::now();
    let mut timed_out = false;
    let st = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if t0.elapsed() > timeout => {
                // The whole process group: a guest's children too.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
                let _ = child.kill();
                timed_out = true;
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(_) => break None,
        }
    };
    // A descendant that outlived the child (one left waiting, or moved to
    // another process group) may hold the pipes open: wait for the output
    // a bounded time, then kill the group and give up on the rest, so a
    // test fails instead of hanging.
    let join = |h: std::thread::JoinHandle<Vec<u8>>| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !h.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if h.is_finished() {
            (h.join().unwrap_or_default(), false)
        } else {
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            (Vec::new(), true)
        }
    };
    let (stdout, held1) = join(to);
    let (mut stderr, held2) = join(te);
    if timed_out {
        stderr.extend_from_slice(format!("\n[killed after {timeout:?}]").as_bytes());
    }
    if held1 || held2 {
        stderr.extend_from_slice(b"\n[output still held open by a descendant after exit]");
    }
    let status = match st {
        Some(st) => match (st.code(), st.signal()) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            _ => -1,
        },
        None => -1,
    };
    Waited {
        stdout,
        stderr,
        status,
    }
}

/// Run a guest under the emulator.
pub fn run_emu(name: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emu"));
    cmd.arg(guest_bin(name));
    run(cmd)
}

/// Run a guest directly on the host CPU.
pub fn run_native(name: &str) -> Run {
    run(Command::new(guest_bin(name)))
}

/// Can this host run i386 binaries? (Tried once, on `hello`.)
pub fn native_available() -> bool {
    static NATIVE: OnceLock<bool> = OnceLock::new();
    *NATIVE.get_or_init(|| {
        let r = run_native("hello");
        r.status == 0 && r.stdout.starts_with("hello")
    })
}

/// The host CPU's vendor (CPUID leaf 0), or None on a non-x86 host.
pub fn host_vendor() -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: cpuid leaf 0 exists on every x86_64 CPU (the intrinsic
        // is safe on newer toolchains).
        #[allow(unused_unsafe)]
        let r = unsafe { std::arch::x86_64::__cpuid(0) };
        let mut v = Vec::with_capacity(12);
        for w in [r.ebx, r.edx, r.ecx] {
            v.extend_from_slice(&w.to_le_bytes());
        }
        Some(String::from_utf8_lossy(&v).into_owned())
    }
    #[cfg(target_arch = "x86")]
    {
        // SAFETY: cpuid leaf 0 exists on every CPU that runs this.
        #[allow(unused_unsafe)]
        let r = unsafe { std::arch::x86::__cpuid(0) };
        let mut v = Vec::with_capacity(12);
        for w in [r.ebx, r.edx, r.ecx] {
            v.extend_from_slice(&w.to_le_bytes());
        }
        Some(String::from_utf8_lossy(&v).into_owned())
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
    {
        None
    }
}

/// Is the host an Intel CPU? The x87/SSE snapshots hold Intel-native
/// output (the model emu implements: its CPUID says GenuineIntel), so
/// native runs of vendor-specific programs are compared only there.
pub fn intel_host() -> bool {
    host_vendor().as_deref() == Some("GenuineIntel")
}

// ---- masking undefined flags ----

/// EFLAGS bits for iced's RflagsBits (only the ones guests print).
fn eflags_of(rf: u32) -> u32 {
    const MAP: [(u32, u32); 7] = [
        (RflagsBits::OF, 0x800),
        (RflagsBits::DF, 0x400),
        (RflagsBits::SF, 0x80),
        (RflagsBits::ZF, 0x40),
        (RflagsBits::AF, 0x10),
        (RflagsBits::PF, 0x4),
        (RflagsBits::CF, 0x1),
    ];
    MAP.iter()
        .filter(|(r, _)| rf & r != 0)
        .fold(0, |a, (_, e)| a | e)
}

/// EFLAGS bits left undefined after running `bytes` (a sequence of 32-bit
/// instructions): each instruction replaces the state of the flags it
/// modifies and adds the ones Intel documents as undefined.
pub fn undefined_flags(bytes: &[u8]) -> Result<u32, String> {
    let mut d = Decoder::new(32, bytes, DecoderOptions::NONE);
    let mut m = 0u32;
    while d.can_decode() {
        let ins = d.decode();
        if ins.is_invalid() {
            return Err(format!("undecodable op bytes {bytes:02x?}"));
        }
        m = (m & !eflags_of(ins.rflags_modified())) | eflags_of(ins.rflags_undefined());
    }
    Ok(m)
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `fl=` value as letters O D S Z A P C: the letter when set, `.` when
/// clear, `?` when undefined.
fn render_flags(v: u32, undef: u32) -> String {
    const BITS: [(u32, char); 7] = [
        (0x800, 'O'),
        (0x400, 'D'),
        (0x80, 'S'),
        (0x40, 'Z'),
        (0x10, 'A'),
        (0x4, 'P'),
        (0x1, 'C'),
    ];
    BITS.iter()
        .map(|&(b, c)| {
            if undef & b != 0 {
                '?'
            } else if v & b != 0 {
                c
            } else {
                '.'
            }
        })
        .collect()
}

/// Mask one output line (format in guest/README.md): every `fl=XXXXXXXX`
/// token is rendered as flag letters with the undefined ones as `?`; the
/// undefined set comes from decoding the `op=` bytes, plus `um=` if present.
pub fn mask_line(line: &str) -> Result<String, String> {
    if !line.split(' ').any(|t| t.starts_with("fl=")) {
        return Ok(line.to_string());
    }
    let mut undef = 0;
    for t in line.split(' ') {
        if let Some(op) = t.strip_prefix("op=") {
            let b = hex_bytes(op).ok_or_else(|| format!("bad op= in {line:?}"))?;
            undef |= undefined_flags(&b).map_err(|e| format!("{e} in {line:?}"))?;
        } else if let Some(um) = t.strip_prefix("um=") {
            undef |= u32::from_str_radix(um, 16).map_err(|_| format!("bad um= in {line:?}"))?;
        }
    }
    let toks: Result<Vec<String>, String> = line
        .split(' ')
        .map(|t| match t.strip_prefix("fl=") {
            Some(v) => u32::from_str_radix(v, 16)
                .map(|v| format!("fl={}", render_flags(v, undef)))
                .map_err(|_| format!("bad fl= in {line:?}")),
            None => Ok(t.to_string()),
        })
        .collect();
    Ok(toks?.join(" "))
}

/// The text a run is compared (and snapshotted) as: masked stdout, then the
/// exit status.
pub fn normalize(r: &Run) -> String {
    let mut s = String::new();
    for line in r.stdout.lines() {
        match mask_line(line) {
            Ok(l) => s.push_str(&l),
            Err(e) => {
                s.push_str(line);
                s.push_str(" [mask error: ");
                s.push_str(&e);
                s.push(']');
            }
        }
        s.push('\n');
    }
    if !r.stdout.is_empty() && !r.stdout.ends_with('\n') {
        s.push_str("[no newline at end of output]\n");
    }
    s.push_str(&format!("exit: {}", r.status));
    s
}

/// A description of the first difference between two outputs.
pub fn first_diff(expected: &str, got: &str) -> Option<String> {
    if expected == got {
        return None;
    }
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    let ndiff = e.iter().zip(g.iter()).filter(|(a, b)| a != b).count() + e.len().abs_diff(g.len());
    for i in 0..e.len().max(g.len()) {
        let (a, b) = (e.get(i), g.get(i));
        if a != b {
            return Some(format!(
                "first difference at line {} ({} differing lines; {} expected, {} got)\n  expected: {}\n  got:      {}",
                i + 1,
                ndiff,
                e.len(),
                g.len(),
                a.unwrap_or(&"<end of output>"),
                b.unwrap_or(&"<end of output>"),
            ));
        }
    }
    Some("outputs differ only in trailing whitespace".into())
}

// ---- snapshots ----

pub fn snapshot_name(name: &str) -> String {
    format!("guest_{name}")
}

pub fn snapshot_path(name: &str) -> PathBuf {
    Path::new(SNAPSHOT_DIR).join(format!("{}.snap", snapshot_name(name)))
}

/// Contents of an insta .snap file (the part after the metadata header).
pub fn read_snapshot(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(snapshot_path(name)).ok()?;
    let mut parts = text.splitn(3, "---\n");
    parts.next()?;
    parts.next()?;
    Some(parts.next()?.trim_end().to_string())
}

/// Write an insta .snap file, in the format insta itself writes.
pub fn write_snapshot(name: &str, source: &str, contents: &str) {
    std::fs::create_dir_all(SNAPSHOT_DIR).unwrap();
    let text = format!(
        "---\nsource: {source}\nexpression: out\n---\n{}\n",
        contents.trim_end()
    );
    std::fs::write(snapshot_path(name), text).unwrap();
}

/// Record mode (`EMU_RECORD_NATIVE=1`): snapshots are (re)written from
/// native runs instead of being checked.
pub fn record_mode() -> bool {
    std::env::var_os("EMU_RECORD_NATIVE").is_some_and(|v| v != "0" && !v.is_empty())
}

fn tail(s: &str) -> &str {
    let n = s.len();
    if n > 2000 {
        let mut i = n - 2000;
        while !s.is_char_boundary(i) {
            i += 1;
        }
        &s[i..]
    } else {
        s
    }
}

/// The whole check for one guest program; see emu/tests/guests.rs.
pub fn check_guest(name: &str) {
    assert!(
        guest_bin(name).exists(),
        "{} missing: run make -C guest",
        guest_bin(name).display()
    );
    if record_mode() {
        assert!(
            native_available(),
            "EMU_RECORD_NATIVE needs a host that runs i386 binaries"
        );
        let nat = normalize(&run_native(name));
        write_snapshot(name, "emu/tests/guests.rs", &nat);
        eprintln!(
            "recorded {} from a native run",
            snapshot_path(name).display()
        );
        return;
    }
    let expected = read_snapshot(name).unwrap_or_else(|| {
        panic!(
            "no snapshot {}: record it from native runs with guest/record.sh",
            snapshot_path(name).display()
        )
    });
    let native = if native_available() {
        let nat = normalize(&run_native(name));
        if let Some(d) = first_diff(&expected, &nat) {
            panic!("{name}: native run no longer matches the snapshot (re-record with guest/record.sh?)\n{d}");
        }
        Some(nat)
    } else {
        eprintln!("{name}: this host cannot run i386 binaries; native tier skipped");
        None
    };
    let r = run_emu(name);
    let out = normalize(&r);
    if let Some(d) = first_diff(&expected, &out) {
        panic!(
            "{name}: emu output differs from the native snapshot\n{d}\nemu stderr (tail):\n{}",
            tail(&r.stderr)
        );
    }
    insta::with_settings!({
        snapshot_path => SNAPSHOT_DIR,
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(snapshot_name(name), out);
    });
    if let Some(nat) = native {
        assert_eq!(out, nat, "{name}: emulated != native");
    }
}

/// How a test program is linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// `gcc -m32 -static`.
    Static,
    /// `gcc -m32 -pie -fPIE`: dynamically linked, position-independent
    /// (loaded at ELF_ET_DYN_BASE, run through ld.so).
    Pie,
    /// `gcc -m32 -no-pie`: dynamically linked at 0x08048000.
    NoPie,
    /// `gcc -m32 -shared -fPIC`: a shared library.
    Shared,
}

impl Link {
    /// The two dynamic variants every dynamic tier runs.
    pub const DYNAMIC: [Link; 2] = [Link::Pie, Link::NoPie];

    pub fn gcc_flags(self) -> &'static [&'static str] {
        match self {
            Link::Static => &["-static"],
            Link::Pie => &["-pie", "-fPIE"],
            Link::NoPie => &["-no-pie"],
            Link::Shared => &["-shared", "-fPIC"],
        }
    }

    /// Where the output goes, relative to the static build's directory
    /// (programs find helpers beside them under the same name).
    pub fn subdir(self) -> &'static str {
        match self {
            Link::Static | Link::Shared => "",
            Link::Pie => "pie",
            Link::NoPie => "nopie",
        }
    }
}

/// Build one C source with `gcc -m32 -static` (plus `flags`) into `out`,
/// skipping the compile when `out` is newer than `src` and every file in
/// `deps`. The binary is written under a temporary name and renamed, since
/// another test process may be running the old one. None, with the reason
/// on stderr, when the i386 toolchain is missing or the compile fails; the
/// caller's tier is then skipped.
pub fn build_static_c(src: &Path, deps: &[PathBuf], out: &Path, flags: &[&str]) -> Option<PathBuf> {
    build_c(src, deps, out, Link::Static, flags)
}

/// [`build_static_c`] linked as `link` says, into `out` or (dynamic) the
/// same name in the link's [`Link::subdir`] beside it.
pub fn build_c(
    src: &Path,
    deps: &[PathBuf],
    out: &Path,
    link: Link,
    flags: &[&str],
) -> Option<PathBuf> {
    use std::sync::Mutex;
    // Tests run in parallel: build each output once per test binary.
    static BUILT: Mutex<Vec<(PathBuf, Option<PathBuf>)>> = Mutex::new(Vec::new());
    let out = match (out.parent(), out.file_name()) {
        (Some(d), Some(f)) if !link.subdir().is_empty() => d.join(link.subdir()).join(f),
        _ => out.to_path_buf(),
    };
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, r)) = built.iter().find(|(o, _)| *o == out) {
        return r.clone();
    }
    let r = build_c_now(src, deps, &out, link, flags);
    built.push((out.to_path_buf(), r.clone()));
    r
}

fn build_c_now(
    src: &Path,
    deps: &[PathBuf],
    out: &Path,
    link: Link,
    flags: &[&str],
) -> Option<PathBuf> {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let Some(o) = mtime(out) {
        let inputs = std::iter::once(src).chain(deps.iter().map(|d| d.as_path()));
        if inputs.map(mtime).all(|t| t.is_some_and(|t| t <= o)) {
            return Some(out.to_path_buf());
        }
    }
    let dir = out.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let name = out.file_name()?.to_string_lossy().into_owned();
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let cc = if src.extension().is_some_and(|e| e == "cc") {
        "g++"
    } else {
        "gcc"
    };
    let r = Command::new(cc)
        .arg("-m32")
        .args(link.gcc_flags())
        .args(flags)
        .arg("-o")
        .arg(&tmp)
        .arg(src)
        .arg("-lm")
        .output();
    match r {
        Ok(o) if o.status.success() => {
            std::fs::rename(&tmp, out).ok()?;
            Some(out.to_path_buf())
        }
        Ok(o) => {
            eprintln!(
                "skipping: {cc} -m32 {} failed for {}: {}",
                link.gcc_flags().join(" "),
                src.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("skipping: cannot run {cc}: {e}");
            None
        }
    }
}

// ---- tiers that need the host to run i386 programs ----

/// A tier cannot run here. Says so on stderr (the test harness shows it
/// for failing tests; `cargo test -- --nocapture` always); with
/// `EMU_REQUIRE_NATIVE=1` (CI sets it) that is a failure instead.
pub fn skip(tier: &str, why: &str) {
    let msg = format!("{tier} SKIPPED: {why}");
    if std::env::var_os("EMU_REQUIRE_NATIVE").is_some_and(|v| v == "1") {
        panic!("{msg} (EMU_REQUIRE_NATIVE=1)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// `setarch i686 -R` runs an i386 program here (checked once, on the
/// freestanding `hello`).
pub fn setarch_ok() -> Result<(), String> {
    static OK: OnceLock<Result<(), String>> = OnceLock::new();
    OK.get_or_init(|| {
        let mut c = Command::new("setarch");
        c.args(["i686", "-R"]).arg(guest_bin("hello"));
        let r = run(c);
        if r.status == 0 && r.stdout.starts_with("hello") {
            Ok(())
        } else {
            Err(format!(
                "setarch i686 -R cannot run i386 programs here (status {}): {}",
                r.status,
                r.stderr.trim()
            ))
        }
    })
    .clone()
}

/// A tier of static glibc programs, `guest/<sub>/NAME.c`, built with
/// `gcc -m32 -static` into the cargo temp dir and run natively and under
/// emu, each run in a fresh empty directory.
pub struct GlibcTier {
    /// How skip notes name the tier ("proc tier").
    pub name: &'static str,
    /// The directory under guest/.
    pub sub: &'static str,
    /// Headers the programs include, relative to guest/ (a change to one
    /// rebuilds them).
    pub headers: &'static [&'static str],
    pub flags: &'static [&'static str],
}

impl GlibcTier {
    pub fn out_dir(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("guest-{}", self.sub))
    }

    /// Build `name`; None when gcc -m32 -static cannot.
    pub fn build(&self, name: &str) -> Option<PathBuf> {
        self.build_linked(name, Link::Static)
    }

    /// Build `name` linked as `link` says; None when gcc -m32 cannot.
    pub fn build_linked(&self, name: &str, link: Link) -> Option<PathBuf> {
        let deps: Vec<PathBuf> = self.headers.iter().map(|h| guest_dir().join(h)).collect();
        build_c(
            &guest_dir().join(self.sub).join(format!("{name}.c")),
            &deps,
            &self.out_dir().join(name),
            link,
            self.flags,
        )
    }

    /// A fresh empty directory.
    pub fn scratch(&self, tag: &str) -> PathBuf {
        static N: std::sync::Mutex<u32> = std::sync::Mutex::new(0);
        let mut n = N.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        let d = self
            .out_dir()
            .join(format!("run-{}-{}-{tag}", std::process::id(), *n));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    /// Run the built program `prog` (named `name`) natively and under emu:
    /// both results as [`show`] gives them, or None after saying why the
    /// tier cannot run here ([`skip`]).
    pub fn run_both(&self, name: &str, prog: Option<PathBuf>) -> Option<(String, String)> {
        let Some(prog) = prog else {
            skip(self.name, "gcc -m32 cannot build the guest programs");
            return None;
        };
        if let Err(e) = setarch_ok() {
            skip(self.name, &e);
            return None;
        }
        let run = |native: bool| {
            let dir = self.scratch(&format!("{name}-{}", if native { "native" } else { "emu" }));
            let r = run_in(native, &prog, &[], &dir);
            let _ = std::fs::remove_dir_all(&dir);
            show(&r)
        };
        Some((run(true), run(false)))
    }
}

/// A run's exit status, stdout and stderr as one text.
pub fn show(r: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        r.status, r.stdout, r.stderr
    )
}

/// Run `prog args` in `dir`: natively under `setarch i686 -R`, or under emu.
pub fn run_in(native: bool, prog: &Path, args: &[&str], dir: &Path) -> Run {
    let mut c = if native {
        let mut c = Command::new("setarch");
        c.args(["i686", "-R"]).arg(prog);
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
        c.arg(prog);
        c
    };
    c.args(args).current_dir(dir);
    run(c)
}
