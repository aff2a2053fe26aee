//! The ELF loader and the initial process stack, end to end.
//!
//! (a) `guest/stackdump` runs natively under `setarch i686 -R` (where the
//!     host can run i386 code) and under emu with the same argv and
//!     environment; the stacks must agree byte for byte from esp up to
//!     0xffffe000, except for the masks documented in [`compare`].
//! (b) emu's decoded dump is an insta snapshot (`snapshots/` at the
//!     workspace root), with the host-dependent values masked.
//! (c) Malformed images built from the valid stackdump binary are refused
//!     with exit status 126 and an `emu: ` message, never a panic; a missing
//!     program gives 127.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EMU: &str = env!("CARGO_BIN_EXE_emu");
const TOP: u32 = 0xffff_e000;

const AT_NULL: u32 = 0;
const AT_HWCAP: u32 = 16;
const AT_RANDOM: u32 = 25;
const AT_HWCAP2: u32 = 26;
const AT_SYSINFO: u32 = 32;
const AT_SYSINFO_EHDR: u32 = 33;
const AT_MINSIGSTKSZ: u32 = 51;

/// The auxv types Linux 6.x writes for an i386 task (the order emu
/// reproduces); AT_SYSINFO/AT_SYSINFO_EHDR lead when there is a vDSO.
const NATIVE_AUXV: [u32; 24] = [
    32, 33, 51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 27, 28, 0,
];

fn stackdump_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/stackdump")
}

/// The fixed argv (after argv[0] = "./stackdump") and environment.
fn args() -> Vec<OsString> {
    vec![
        "first".into(),
        "two words".into(),
        "".into(),
        OsString::from_vec(b"caf\xc3\xa9".to_vec()),
        "tab\there".into(),
    ]
}

fn env() -> Vec<(&'static str, &'static str)> {
    vec![("A", "1"), ("HOME", "/nonexistent"), ("LANG", "C")]
}

fn run_emu() -> Output {
    Command::new(EMU)
        .arg("./stackdump")
        .args(args())
        .current_dir(stackdump_dir())
        .env_clear()
        .envs(env())
        .output()
        .expect("run emu")
}

fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// Run stackdump natively (execfn "./stackdump", as execvp passes it), or
/// None if this host cannot run i386 programs.
fn run_native() -> Option<Output> {
    let Some(setarch) = which("setarch") else {
        common::skip("loader native comparison", "no setarch");
        return None;
    };
    let out = Command::new(setarch)
        .args(["i686", "-R", "./stackdump"])
        .args(args())
        .current_dir(stackdump_dir())
        .env_clear()
        .envs(env())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.contains("--- end ---") {
        common::skip(
            "loader native comparison",
            &format!(
                "this host does not run i386 code ({}; {})",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        );
        return None;
    }
    Some(out)
}

/// A parsed stackdump: esp, the bytes [esp, TOP), and the text.
struct Dump {
    esp: u32,
    bytes: Vec<u8>,
    text: String,
}

impl Dump {
    fn parse(out: &Output) -> Dump {
        assert!(
            out.status.success(),
            "stackdump failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout.clone()).expect("ASCII output");
        let mut lines = text.lines();
        let esp = lines
            .next()
            .and_then(|l| l.strip_prefix("esp "))
            .map(|h| u32::from_str_radix(h, 16).unwrap())
            .expect("esp line");
        let mut bytes = Vec::new();
        let mut in_words = false;
        for l in lines {
            match l {
                "--- words ---" => in_words = true,
                "--- decoded ---" => break,
                _ if in_words => {
                    let (addr, ws) = l.split_once(':').expect("word line");
                    let addr = u32::from_str_radix(addr, 16).unwrap();
                    assert_eq!(addr, esp + bytes.len() as u32, "dump address");
                    for w in ws.split_whitespace() {
                        bytes.extend(u32::from_str_radix(w, 16).unwrap().to_le_bytes());
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            esp as u64 + bytes.len() as u64,
            TOP as u64,
            "dump ends at the stack top"
        );
        Dump { esp, bytes, text }
    }

    fn word(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.bytes[off..off + 4].try_into().unwrap())
    }

    fn set_word(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Offset of the auxv (past argc, argv, NULL, envp, NULL).
    fn auxv_off(&self) -> usize {
        let argc = self.word(0) as usize;
        let mut o = 4 * (argc + 2);
        while self.word(o) != 0 {
            o += 4;
        }
        o + 4
    }

    /// (offset of the pair, type, value) for each auxv entry, AT_NULL last.
    fn auxv(&self) -> Vec<(usize, u32, u32)> {
        let mut v = Vec::new();
        let mut o = self.auxv_off();
        loop {
            let (t, val) = (self.word(o), self.word(o + 4));
            v.push((o, t, val));
            if t == AT_NULL {
                return v;
            }
            o += 8;
        }
    }

    fn aux(&self, t: u32) -> Option<(usize, u32)> {
        self.auxv()
            .into_iter()
            .find(|e| e.1 == t)
            .map(|(o, _, v)| (o, v))
    }

    /// The first line and the decoded section.
    fn decoded(&self) -> String {
        let mut s = String::new();
        let mut on = false;
        for (k, l) in self.text.lines().enumerate() {
            on |= l == "--- decoded ---";
            if k == 0 || on {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }
}

/// Compare native and emu stacks byte for byte. The masks, and why:
/// - AT_RANDOM's 16 bytes: random on every exec, natively and in emu.
/// - AT_HWCAP's value: Linux reports the host CPU's CPUID.1:EDX; emu
///   reports its own CPUID (emu's value is pinned by the snapshot).
/// - AT_SYSINFO/AT_SYSINFO_EHDR: while emu has no vDSO it leaves both out,
///   as Linux does without one; native's pairs are dropped, which moves its
///   argc..auxv 16 bytes down (asserted). With emu's vDSO, AT_SYSINFO (an
///   entry point inside the vDSO image) is compared, but masked with a
///   warning if this host's kernel build puts it elsewhere.
/// - AT_MINSIGSTKSZ and AT_HWCAP2 depend on the CPU (its xsave size,
///   FSGSBASE). emu's AT_MINSIGSTKSZ is the frame it builds for the CPU it
///   emulates, which has no XSAVE (0x5a0; natively 0x6f0 with AVX2, 0xd30
///   with AVX-512); AT_HWCAP2 is the project host's. Native values that
///   differ are masked, with a warning.
fn compare(native: &Dump, emu: &Dump) {
    let mut n = Dump {
        esp: native.esp,
        bytes: native.bytes.clone(),
        text: native.text.clone(),
    };
    let mut e = Dump {
        esp: emu.esp,
        bytes: emu.bytes.clone(),
        text: emu.text.clone(),
    };
    if e.aux(AT_SYSINFO).is_none() {
        assert!(e.aux(AT_SYSINFO_EHDR).is_none());
        let mut dropped = 0;
        for t in [AT_SYSINFO, AT_SYSINFO_EHDR] {
            if let Some((o, _)) = n.aux(t) {
                n.bytes.drain(o..o + 8);
                dropped += 8;
            }
        }
        n.esp += dropped as u32;
        assert_eq!(e.esp, n.esp, "esp (native's with the vDSO pairs dropped)");
    } else {
        let (no, nv) = n.aux(AT_SYSINFO).expect("native AT_SYSINFO");
        let (eo, ev) = e.aux(AT_SYSINFO).unwrap();
        if nv != ev {
            eprintln!(
                "warning: native AT_SYSINFO {nv:#x}, emu's {ev:#x}: another kernel build; masked"
            );
            n.set_word(no + 4, 0);
            e.set_word(eo + 4, 0);
        }
        assert_eq!(e.esp, n.esp, "esp");
    }
    for d in [&mut n, &mut e] {
        let (o, _) = d.aux(AT_HWCAP).expect("AT_HWCAP");
        d.set_word(o + 4, 0);
        let (_, r) = d.aux(AT_RANDOM).expect("AT_RANDOM");
        let ro = (r - d.esp) as usize;
        d.bytes[ro..ro + 16].fill(0);
    }
    for (t, ours) in [(AT_MINSIGSTKSZ, 0x5a0), (AT_HWCAP2, 2)] {
        let (no, nv) = n.aux(t).expect("native auxv entry");
        let (eo, ev) = e.aux(t).expect("emu auxv entry");
        assert_eq!(ev, ours, "emu's auxv type {t}");
        if nv != ours {
            eprintln!("warning: this host's auxv type {t} is {nv:#x}, the project host's {ours:#x}; masked");
            n.set_word(no + 4, 0);
            e.set_word(eo + 4, 0);
        }
    }
    if n.bytes != e.bytes {
        let mut diffs = String::new();
        for off in (0..n.bytes.len().min(e.bytes.len())).step_by(4) {
            if n.word(off) != e.word(off) {
                diffs.push_str(&format!(
                    "  {:08x}: native {:08x}  emu {:08x}\n",
                    e.esp as usize + off,
                    n.word(off),
                    e.word(off)
                ));
            }
        }
        panic!(
            "stacks differ (after masking):\n{diffs}\nnative:\n{}\nemu:\n{}",
            native.text, emu.text
        );
    }
}

#[test]
fn stack_matches_native() {
    let emu = Dump::parse(&run_emu());
    let Some(native) = run_native() else {
        return;
    };
    let native = Dump::parse(&native);
    let mut types: Vec<u32> = native.auxv().iter().map(|e| e.1).collect();
    if native.aux(AT_SYSINFO).is_none() {
        types.splice(0..0, [AT_SYSINFO, AT_SYSINFO_EHDR]);
    }
    if types != NATIVE_AUXV {
        common::skip(
            "loader native comparison",
            &format!(
                "this kernel writes auxv types {types:?}, not the Linux 6.x order emu reproduces"
            ),
        );
        return;
    }
    compare(&native, &emu);
}

#[test]
fn stack_snapshot() {
    let emu = Dump::parse(&run_emu());
    let mut out = String::new();
    for l in emu.decoded().lines() {
        let masked = if l.starts_with("random ") {
            // random ADDR b0 .. b15: the bytes change on every run.
            format!("{} <16 random bytes>", &l[..15])
        } else if ["AT_UID ", "AT_EUID ", "AT_GID ", "AT_EGID "]
            .iter()
            .any(|p| l.starts_with(&format!("auxv {p}")))
        {
            // The ids of whoever runs the test.
            format!("{} <host id>", &l[..l.len() - 9])
        } else {
            l.to_string()
        };
        out.push_str(&masked);
        out.push('\n');
    }
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("loader_stackdump", out);
    });
}

/// The valid image the malformed ones are made from.
fn good_image() -> Vec<u8> {
    std::fs::read(stackdump_dir().join("stackdump")).expect("guest/stackdump/stackdump")
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// Offset of program header `k` in `b`.
fn ph(b: &[u8], k: usize) -> usize {
    u32_at(b, 28) as usize + 32 * k
}

/// Indices of the PT_LOAD headers.
fn loads(b: &[u8]) -> Vec<usize> {
    let n = u16::from_le_bytes([b[44], b[45]]) as usize;
    (0..n).filter(|&k| u32_at(b, ph(b, k)) == 1).collect()
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("emu-loader-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Program files execve would refuse are refused (status 126, EACCES) as
/// natively: one without an execute bit, a FIFO (without blocking for a
/// writer); a directory is EISDIR. An execute-only one runs. `--frames`
/// to a FIFO with no reader, or to a file that cannot be written
/// (/dev/full), fails with status 125 and a message.
#[test]
fn bad_program_files_and_frame_files() {
    let d = scratch();
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/bin/hello");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(EMU).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let copy = |name: &str, mode: u32| {
        let p = d.join(name);
        std::fs::copy(&hello, &p).unwrap();
        chmod(&p, mode);
        p
    };
    let p644 = copy("hello-0644", 0o644);
    let (code, err) = run(&[p644.as_os_str()]);
    assert_eq!(code, Some(126), "0644: {err}");
    assert!(err.contains("Permission denied"), "0644: {err}");
    let p711 = copy("hello-0711", 0o711);
    assert_eq!(run(&[p711.as_os_str()]).0, Some(0), "0711 runs");
    let fifo = d.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o755) }, 0);
    let (code, err) = run(&[fifo.as_os_str()]);
    assert_eq!(code, Some(126), "FIFO: {err}");
    assert!(err.contains("Permission denied"), "FIFO: {err}");
    let (code, err) = run(&[d.as_os_str()]);
    assert_eq!(code, Some(126), "directory: {err}");
    let frames = std::ffi::OsStr::new("--frames");
    let (code, err) = run(&[frames, fifo.as_os_str(), hello.as_os_str()]);
    assert_eq!(code, Some(125), "--frames FIFO: {err}");
    assert!(
        err.contains("No such device or address"),
        "--frames FIFO: {err}"
    );
    let (code, err) = run(&[frames, std::ffi::OsStr::new("/dev/full"), hello.as_os_str()]);
    assert_eq!(code, Some(125), "--frames /dev/full: {err}");
    assert!(
        err.contains("No space left on device"),
        "--frames /dev/full: {err}"
    );
    let _ = std::fs::remove_file(&fifo);
    // Under `ulimit -v 2000000` the 4 GiB window cannot be reserved: 126,
    // naming the limit.
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(EMU);
    c.arg(&hello);
    unsafe {
        c.pre_exec(|| {
            let rl = libc::rlimit {
                rlim_cur: 2_000_000 * 1024,
                rlim_max: 2_000_000 * 1024,
            };
            libc::setrlimit(libc::RLIMIT_AS, &rl);
            Ok(())
        });
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(126), "ulimit -v: {err}");
    assert!(
        err.contains("RLIMIT_AS (ulimit -v) is 2000000 KiB"),
        "ulimit -v: {err}"
    );
}

/// Run emu on `image`; expect status 126 and an `emu: ` message containing
/// `reason`.
fn refused(name: &str, image: &[u8], reason: &str) {
    let path = scratch().join(name);
    std::fs::write(&path, image).unwrap();
    chmod(&path, 0o755);
    let out = Command::new(EMU).arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(126),
        "{name}: status {}; stderr: {err}",
        out.status
    );
    assert!(err.starts_with("emu: "), "{name}: stderr: {err}");
    assert!(!err.contains("panicked"), "{name}: stderr: {err}");
    assert!(
        err.contains(reason),
        "{name}: expected {reason:?} in: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{name}: ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn malformed_images_are_refused() {
    let good = good_image();
    let l = loads(&good);
    assert!(l.len() >= 3, "stackdump has its PT_LOADs");

    let mut b = good.clone();
    b[1] = b'X';
    refused("bad-magic", &b, "bad magic");
    refused("text", b"#!/bin/sh\necho hi\n", "bad magic");
    refused("empty", b"", "bad magic");

    let mut b = good.clone();
    b[4] = 2; // ELFCLASS64
    refused("elfclass64", &b, "ELFCLASS64");

    let mut b = good.clone();
    b[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    refused("em-x86-64", &b, "EM_X86_64");

    refused("truncated-header", &good[..30], "truncated ELF header");
    refused(
        "truncated-phdrs",
        &good[..ph(&good, 1) + 4],
        "truncated program headers",
    );

    // Cut the file inside the text segment's bytes.
    let t = ph(&good, l[1]);
    let cut = u32_at(&good, t + 4) as usize + u32_at(&good, t + 16) as usize / 2;
    refused("truncated-segment", &good[..cut], "truncated file");

    // The third PT_LOAD moved onto the second (same page offset).
    let mut b = good.clone();
    let (s1, s2) = (ph(&b, l[1]), ph(&b, l[2]));
    let v1 = u32_at(&b, s1 + 8);
    let off2 = u32_at(&b, s2 + 4);
    put32(&mut b, s2 + 8, (v1 & !0xfff) | (off2 & 0xfff));
    refused("overlapping-loads", &b, "overlap");

    // A segment that runs past 4 GiB, and one above TASK_SIZE (0xffffe000).
    let mut b = good.clone();
    let s = ph(&b, *l.last().unwrap());
    let off = u32_at(&b, s + 4);
    put32(&mut b, s + 8, 0xffff_f000 | (off & 0xfff));
    put32(&mut b, s + 20, 0x2000);
    refused("beyond-4g", &b, "wraps past 4 GiB");
    put32(&mut b, s + 8, 0xffff_e000 | (off & 0xfff));
    put32(&mut b, s + 20, 0x10);
    refused("above-task-size", &b, "outside the user address space");

    // PT_INTERP (the GNU_STACK header turned into one) naming a
    // malformed interpreter: refused before anything runs, with the reason.
    let with_interp = |name: &[u8], nul: bool| {
        let mut b = good.clone();
        let n = u16::from_le_bytes([b[44], b[45]]) as usize;
        let k = (0..n)
            .find(|&k| u32_at(&b, ph(&b, k)) == 0x6474_e551)
            .expect("PT_GNU_STACK");
        let p = ph(&b, k);
        let at = b.len() as u32;
        b.extend_from_slice(name);
        if nul {
            b.push(0);
        }
        put32(&mut b, p, 3);
        put32(&mut b, p + 4, at);
        put32(&mut b, p + 16, name.len() as u32 + nul as u32);
        b
    };
    let interp = scratch().join("interp");
    let iname = interp.to_str().unwrap().as_bytes().to_vec();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("interp-not-elf", vec![b'#'; 100], "not an ELF file"),
        (
            "interp-text",
            b"#!/bin/sh\n".to_vec(),
            "shorter than an ELF header",
        ),
        (
            "interp-elf64",
            {
                let mut v = good.clone();
                v[4] = 2;
                v
            },
            "not an i386 ELF file",
        ),
        (
            "interp-truncated",
            good[..ph(&good, 1) + 4].to_vec(),
            "truncated program headers",
        ),
        (
            "interp-x86-64",
            {
                let mut v = good.clone();
                v[18] = 62;
                v
            },
            "not an i386 ELF file",
        ),
    ];
    for (name, bytes, reason) in cases {
        std::fs::write(&interp, bytes).unwrap();
        chmod(&interp, 0o755);
        refused(name, &with_interp(&iname, true), reason);
    }
    chmod(&interp, 0o644);
    refused(
        "interp-noexec",
        &with_interp(&iname, true),
        "Permission denied",
    );
    refused(
        "interp-unterminated",
        &with_interp(&iname, false),
        "not NUL-terminated",
    );
    // A missing interpreter: 127, as a shell gives for it.
    let path = scratch().join("interp-missing");
    std::fs::write(&path, with_interp(b"/nonexistent/ld-linux.so.2", true)).unwrap();
    chmod(&path, 0o755);
    let out = Command::new(EMU).arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(127), "stderr: {err}");
    assert!(
        err.starts_with("emu: ") && err.contains("interpreter /nonexistent/ld-linux.so.2"),
        "{err}"
    );

    let _ = std::fs::remove_dir_all(scratch());
}

#[test]
fn missing_program_is_127() {
    let out = Command::new(EMU)
        .arg(std::env::temp_dir().join(format!("emu-no-such-program-{}", std::process::id())))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(127), "stderr: {err}");
    assert!(
        err.starts_with("emu: ") && !err.contains("panicked"),
        "{err}"
    );
}

/// A one-segment static i386 executable whose code is `code`, loaded at
/// 0x08048000 with the entry right after the headers (0x08048054).
fn tiny_elf(code: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 84];
    b[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0]);
    let half = |b: &mut Vec<u8>, o: usize, v: u16| b[o..o + 2].copy_from_slice(&v.to_le_bytes());
    half(&mut b, 16, 2); // ET_EXEC
    half(&mut b, 18, 3); // EM_386
    put32(&mut b, 20, 1);
    put32(&mut b, 24, 0x0804_8054);
    put32(&mut b, 28, 52);
    half(&mut b, 40, 52);
    half(&mut b, 42, 32);
    half(&mut b, 44, 1);
    half(&mut b, 46, 40);
    let len = (84 + code.len()) as u32;
    for (k, v) in [1, 0, 0x0804_8000, 0x0804_8000, len, len, 5, 0x1000]
        .into_iter()
        .enumerate()
    {
        put32(&mut b, 52 + 4 * k, v);
    }
    b.extend_from_slice(code);
    b
}

/// EMU_DEBUG=1 names what emu lacks: a system call answered ENOSYS and an
/// instruction without a handler (rdtscp, which the emulated CPUID does not
/// advertise, so #UD and SIGILL are still right). Silent without it.
#[test]
fn emu_debug_names_missing_syscalls_and_instructions() {
    let code = [
        0xb8, 0x26, 0x02, 0, 0, // mov $550, %eax
        0xcd, 0x80, // int $0x80
        0x0f, 0x01, 0xf9, // rdtscp at 0x0804805b
    ];
    // Not under scratch(): malformed_images_are_refused removes that.
    let path = std::env::temp_dir().join(format!("emu-debug-log-{}", std::process::id()));
    std::fs::write(&path, tiny_elf(&code)).unwrap();
    chmod(&path, 0o755);
    let quiet = Command::new(EMU)
        .arg(&path)
        .env_remove("EMU_DEBUG")
        .output()
        .unwrap();
    let out = Command::new(EMU)
        .arg(&path)
        .env("EMU_DEBUG", "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(quiet.status.signal(), Some(4), "{:?}", quiet);
    assert!(quiet.stderr.is_empty(), "{:?}", quiet);
    assert_eq!(out.status.signal(), Some(4), "{:?}", out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("syscall 550 (?) -> ENOSYS"), "{err}");
    assert!(
        err.contains("no handler for Rdtscp ([0f, 01, f9]) at 0x804805b"),
        "{err}"
    );
    assert!(err.contains("fatal signal 4"), "{err}");
}
