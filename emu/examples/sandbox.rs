//! Sandbox a program's file opens: `cargo run --example sandbox -- DIR
//! PROGRAM [ARGS...]` runs the i386 program under emu and makes every
//! `open`, `creat`, `openat` and `openat2` of a path outside DIR fail with
//! EACCES (the call is skipped: the file is never touched).
//!
//! A syscall-entry hook, filtered to those four calls, reads the path
//! argument from guest memory, makes it absolute (against the working
//! directory, or the directory an openat's descriptor names), resolves
//! `.`, `..` and the symbolic links of the part that exists, and injects
//! -EACCES when the result is not DIR or under it.
//!
//! This is a demonstration, not a security boundary: another thread of the
//! guest can change the path between the check and the open, and the other
//! calls that name paths (rename, unlink, execve, truncate, ...) are not
//! filtered. With a sysroot (`-L`), absolute paths would be looked up
//! there first; this example sets none.
//!
//! Try it on a bundled guest: `cargo run --example sandbox -- /etc
//! guest/lib/bin/files /etc/hostname /proc/version`.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use emu::machine::{BuildError, Builder, ExitStatus, Hooks, SyscallCtx, SyscallFilter};

const NR_OPEN: u32 = 5;
const NR_CREAT: u32 = 8;
const NR_OPENAT: u32 = 295;
const NR_OPENAT2: u32 = 437;
const AT_FDCWD: u32 = -100i32 as u32;
const EACCES: i32 = 13;

/// `path` with `.` and `..` resolved by name, then the symbolic links of
/// its longest existing prefix resolved (what the kernel would open).
pub fn resolve(path: &Path) -> PathBuf {
    let mut clean = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::Normal(n) => clean.push(n),
            _ => {}
        }
    }
    // Canonicalize the longest prefix that exists, keep the rest.
    let mut rest = Vec::new();
    let mut head = clean.clone();
    loop {
        if let Ok(c) = std::fs::canonicalize(&head) {
            let mut r = c;
            for n in rest.iter().rev() {
                r.push(n);
            }
            return r;
        }
        match (head.file_name().map(|n| n.to_os_string()), head.parent()) {
            (Some(n), Some(p)) => {
                rest.push(n);
                head = p.to_path_buf();
            }
            _ => return clean,
        }
    }
}

/// Is `path` (absolute and resolved) `root` or under it?
pub fn inside(root: &Path, path: &Path) -> bool {
    path.starts_with(root)
}

/// The path an open-like call at its entry stop would open, absolute and
/// resolved; None if its argument cannot be read (the call then fails with
/// EFAULT by itself) or its descriptor is not a directory we can name.
fn target(ctx: &mut SyscallCtx<'_>) -> Option<PathBuf> {
    let a = ctx.args();
    let (dirfd, ptr) = match ctx.nr() {
        NR_OPENAT | NR_OPENAT2 => (a[0], a[1]),
        _ => (AT_FDCWD, a[0]),
    };
    let raw = ctx.read_cstr(ptr, 4096).ok()?;
    let p = Path::new(OsStr::from_bytes(&raw));
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else if dirfd == AT_FDCWD {
        std::env::current_dir().ok()?.join(p)
    } else {
        let host = emu::kernel::fs::host_fd(ctx.task(), dirfd).ok()?;
        std::fs::read_link(format!("/proc/self/fd/{host}"))
            .ok()?
            .join(p)
    };
    Some(resolve(&abs))
}

/// Hooks that deny opens outside `root` (canonical) with EACCES, noting
/// each denied path in `denied`.
pub fn sandbox_hooks(root: PathBuf, denied: Arc<Mutex<Vec<PathBuf>>>) -> Hooks {
    Hooks::new()
        .filter(SyscallFilter::only(&[
            NR_OPEN, NR_CREAT, NR_OPENAT, NR_OPENAT2,
        ]))
        .on_syscall_entry(move |ctx| {
            let Some(t) = target(ctx) else {
                return;
            };
            if !inside(&root, &t) {
                denied.lock().unwrap().push(t);
                ctx.inject(-EACCES);
            }
        })
}

/// Run `prog` (argv[0] is `prog`, then `args`, with the host's
/// environment) to its end with opens outside `dir` denied: its status and
/// the paths it was denied.
pub fn run_sandboxed(
    dir: &Path,
    prog: &str,
    args: &[String],
) -> Result<(ExitStatus, Vec<PathBuf>), BuildError> {
    let root = std::fs::canonicalize(dir).map_err(BuildError::Io)?;
    let denied = Arc::new(Mutex::new(Vec::new()));
    let argv = std::iter::once(prog.to_string()).chain(args.iter().cloned());
    let envp = std::env::vars().map(|(k, v)| format!("{k}={v}"));
    let mut m = Builder::from_path(prog)
        .argv(argv)
        .envp(envp)
        .hooks(sandbox_hooks(root, denied.clone()))
        .build()?;
    let st = m.run_to_exit();
    let denied = denied.lock().unwrap().clone();
    Ok((st, denied))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: sandbox DIR PROGRAM [ARGS...]");
        std::process::exit(2);
    }
    match run_sandboxed(Path::new(&args[0]), &args[1], &args[2..]) {
        Ok((st, denied)) => {
            for d in &denied {
                eprintln!("sandbox: denied {}", d.display());
            }
            std::process::exit(match st {
                ExitStatus::Exited(c) => c,
                ExitStatus::Signaled(s) => 128 + s,
            });
        }
        Err(e) => {
            eprintln!("sandbox: {e}");
            std::process::exit(127);
        }
    }
}
