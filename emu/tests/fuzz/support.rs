//! What the fuzz tier's parts share: the seed and time budget, the PRNG,
//! running a program unprivileged with a timeout, and telling emu's own
//! distress from a guest's fate.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common;

/// The default seed, so CI runs the same inputs every time.
pub const DEFAULT_SEED: u64 = 0x00e5_f022_1200_0012;
/// The default budget of the tier, in seconds.
pub const DEFAULT_SECS: f64 = 60.0;

/// `EMU_FUZZ_SEED` (decimal or 0x-hex), else [`DEFAULT_SEED`].
pub fn seed() -> u64 {
    match std::env::var("EMU_FUZZ_SEED") {
        Ok(s) => {
            let s = s.trim();
            let v = match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => s.parse(),
            };
            v.unwrap_or_else(|_| panic!("EMU_FUZZ_SEED={s:?} is not a number"))
        }
        Err(_) => DEFAULT_SEED,
    }
}

/// `EMU_FUZZ_SECS` when set.
fn secs_env() -> Option<f64> {
    std::env::var("EMU_FUZZ_SECS").ok().map(|s| {
        s.trim()
            .parse()
            .unwrap_or_else(|_| panic!("EMU_FUZZ_SECS={s:?} is not a number"))
    })
}

/// The tier's wall time in seconds: `EMU_FUZZ_SECS`, else [`DEFAULT_SECS`].
pub fn total_secs() -> f64 {
    secs_env().unwrap_or(DEFAULT_SECS)
}

/// Is this a long run (where a known difference not seen may be removed)?
pub fn long_run() -> bool {
    total_secs() >= 600.0
}

/// How long a part runs.
///
/// With `EMU_FUZZ_SECS` set: for `share` of it (the instruction part all
/// of it on one test thread, the other two half each on the other).
/// Without: a fixed number of inputs (`default_count`, sized to take about
/// [`DEFAULT_SECS`] in all on this project's 2-core machines), so every CI
/// run sees the same inputs and a difference cannot appear because a
/// machine was faster; a deadline of twice the share stops it on a slow
/// machine (which then covers a prefix of the same inputs).
pub struct Budget {
    until: Instant,
    max: Option<u64>,
}

impl Budget {
    pub fn new(share: f64, default_count: u64) -> Budget {
        match secs_env() {
            Some(s) => Budget {
                until: Instant::now() + Duration::from_secs_f64(s * share),
                max: None,
            },
            None => Budget {
                until: Instant::now() + Duration::from_secs_f64(2.0 * DEFAULT_SECS * share),
                max: Some(default_count),
            },
        }
    }

    /// May input `next` (counting from 0) still run?
    pub fn more(&self, next: u64) -> bool {
        self.max.is_none_or(|m| next < m) && Instant::now() < self.until
    }

    /// How many of the inputs from `next` on fit, at most `batch`.
    pub fn batch(&self, next: u64, batch: u64) -> u64 {
        match self.max {
            Some(m) => batch.min(m.saturating_sub(next)),
            None => batch,
        }
    }
}

/// splitmix64: small, fast, good enough, and every input is a function of
/// (seed, part, index) alone, so any one can be regenerated.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, part: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ part.wrapping_mul(0xd1b5_4a32_d192_ed03));
        r.0 ^= r
            .next()
            .wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn u32(&mut self) -> u32 {
        self.next() as u32
    }

    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next().checked_rem(n).unwrap_or(0)
    }

    /// True with probability num/den.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// A directory of the tier's under the cargo temp dir, created fresh.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(format!("{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("fuzz scratch dir");
    if is_root() {
        // The unprivileged runs write here.
        let c = std::ffi::CString::new(d.as_os_str().as_encoded_bytes()).unwrap();
        unsafe { libc::chown(c.as_ptr(), NOBODY, NOBODY) };
    }
    d
}

/// Where failing inputs are kept for replay.
pub fn failure_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&d);
    d
}

const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Make `cmd` safe to point at random code and random system calls: as
/// root it runs as nobody (uid and gid 65534, no supplementary groups) with
/// at most 64 processes, so nothing it does can reach other users'
/// processes or files, the network configuration or the clock; stdin is
/// /dev/null and stdout piped.
pub fn sandbox(cmd: &mut Command) {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    if is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
        // SAFETY: setrlimit is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                let rl = libc::rlimit {
                    rlim_cur: 64,
                    rlim_max: 64,
                };
                libc::setrlimit(libc::RLIMIT_NPROC, &rl);
                Ok(())
            });
        }
    }
}

/// How a run ended.
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    /// As a shell shows it; -1 when unknown.
    pub status: i32,
    pub timed_out: bool,
}

/// Run `cmd` sandboxed ([`sandbox`]), killed (with its process group)
/// after `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Ran {
    sandbox(&mut cmd);
    let w = common::spawn_and_wait(cmd, timeout);
    let stderr = String::from_utf8_lossy(&w.stderr).into_owned();
    Ran {
        stdout: String::from_utf8_lossy(&w.stdout).into_owned(),
        timed_out: stderr.contains("[killed after"),
        stderr,
        status: w.status,
    }
}

/// emu on `prog args`.
pub fn emu_cmd(prog: &Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg(prog).args(args);
    c
}

/// `prog args` natively, as i686 with ASLR off.
pub fn native_cmd(prog: &Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new("setarch");
    c.args(["i686", "-R"]).arg(prog).args(args);
    c
}

/// What emu writes when it, not its guest, is in trouble: a Rust panic,
/// its host fault handler's line (kernel/hostsig.rs), Rust runtime aborts
/// (stack overflow, allocation failure, other fatal errors).
pub const DISTRESS: &[&str] = &[
    "panicked at",
    "emu: internal fault:",
    "has overflowed its stack",
    "memory allocation of",
    "fatal runtime error",
];

/// The first line of `stderr` that shows emu's own distress.
pub fn distress(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find(|l| DISTRESS.iter().any(|m| l.contains(m)))
}

/// Did emu itself fail (not its guest)? A distress line, or exit status
/// 101 (a panic) with "panicked" anywhere, or a kill by SIGABRT (an abort:
/// no guest of this tier raises SIGABRT itself, see the callers).
pub fn emu_failed(r: &Ran) -> Option<String> {
    if let Some(l) = distress(&r.stderr) {
        return Some(format!("emu distress (status {}): {l}", r.status));
    }
    if r.status == 101 && r.stderr.contains("panicked") {
        return Some("emu panicked (status 101)".into());
    }
    None
}

/// At most `n` characters of the end of `s`.
pub fn tail(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut i = s.len() - n;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The runner program guest/fuzz/`name`.c, built with gcc -m32 -static;
/// None after [`common::skip`] says why not.
pub fn runner(tier: &str, name: &str) -> Option<PathBuf> {
    let src = common::guest_dir().join("fuzz").join(format!("{name}.c"));
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("guest-fuzz")
        .join(name);
    let dir = common::guest_dir().join("fuzz");
    let built = common::build_static_c(
        &src,
        &[dir.join("runner.h")],
        &out,
        &[
            "-O1",
            "-Wall",
            "-fno-stack-protector",
            "-fno-pie",
            "-no-pie",
        ],
    );
    if built.is_none() {
        common::skip(tier, "gcc -m32 -static cannot build the fuzz runners");
    }
    built
}
