//! Guest paths to host paths.
//!
//! - `-L/--sysroot DIR`: an absolute guest path is looked up under DIR
//!   first and used from there if it exists, else on the host (as qemu -L).
//! - Paths through `/proc` are resolved component by component, as the
//!   kernel's path walk does ([`resolve`]): `.`, `..`, repeated slashes and
//!   symlinks (`self`, `thread-self`, `root`, `cwd`) are followed on the
//!   host, while the links whose host targets are the emulator's own
//!   (`<pid>/exe`, `<pid>/fd/N`) are the guest's. The walk ends with a
//!   [`ProcLoc`]: a file of the guest's own /proc/\<pid\> directory (or
//!   task/\<tid\> of one of its threads), which [`super::procfs`] emulates or
//!   refuses, or a /proc/\<pid\> of another process that runs emu, whose
//!   emulator-describing files are refused with EACCES.
//! - Relative paths are relative to the guest dirfd's host fd, or to the
//!   host working directory (which is the guest's); when that directory is
//!   in procfs the walk starts from its path.
//! - Guest and host pids are the same numbers (a guest process is a host
//!   process, a guest thread a host thread), so /proc/\<pid\> names the same
//!   process on both sides; only the contents differ.

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use super::abi::errno::Errno;
use super::abi::fs::at;
use super::task::Task;

/// statfs f_type of procfs (PROC_SUPER_MAGIC).
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// Most symlinks one lookup follows (MAXSYMLINKS).
const MAXSYMLINKS: u32 = 40;

/// What a path lookup is for: whether a final /proc/self/exe is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// open/openat with these guest flags.
    Open(u32),
    /// The final component is followed (stat, access, chdir, truncate...).
    Follow,
    /// The final component is not followed (lstat, readlink, unlink...).
    NoFollow,
}

impl Intent {
    /// Follow unless the *at call's flags have AT_SYMLINK_NOFOLLOW.
    pub fn from_at_flags(flags: u32) -> Intent {
        if flags & at::SYMLINK_NOFOLLOW != 0 {
            Intent::NoFollow
        } else {
            Intent::Follow
        }
    }
}

fn cstring(b: &[u8]) -> Result<CString, Errno> {
    CString::new(b).map_err(|_| Errno::EINVAL)
}

/// The guest fd an absolute path names through /dev/fd/N and
/// /dev/std{in,out,err} (when the final link is followed): guest fd
/// numbers are not the host's. (/proc/self/fd/N is the walk's.)
fn fd_path(path: &[u8], intent: Intent) -> Option<u32> {
    let num = |t: &[u8]| std::str::from_utf8(t).ok()?.parse::<u32>().ok();
    if intent == Intent::NoFollow {
        return None;
    }
    match path {
        b"/dev/stdin" => Some(0),
        b"/dev/stdout" => Some(1),
        b"/dev/stderr" => Some(2),
        _ => num(path.strip_prefix(b"/dev/fd/")?),
    }
}

/// The host path for an absolute guest path.
pub fn host_abs(p: &Task, path: &[u8], intent: Intent) -> Result<CString, Errno> {
    if let Some(fd) = fd_path(path, intent) {
        // A descriptor the guest does not have names nothing.
        let h = p.files().host(fd).unwrap_or(-1);
        return cstring(format!("/proc/self/fd/{h}").as_bytes());
    }
    if let Some(root) = p.sysroot() {
        if path != b"/" {
            let follow = match intent {
                Intent::Open(f) => f & super::abi::fs::o::NOFOLLOW == 0,
                Intent::Follow => true,
                Intent::NoFollow => false,
            };
            if let Some(real) = crate::loader::interp::in_sysroot(root, path, follow) {
                return cstring(&real);
            }
        }
    }
    cstring(path)
}

/// The host dirfd for a guest dirfd argument of an *at call.
pub fn host_dirfd(p: &Task, dirfd: u32) -> Result<i32, Errno> {
    if dirfd == at::FDCWD {
        Ok(libc::AT_FDCWD)
    } else {
        p.files().host(dirfd)
    }
}

/// Resolve (guest dirfd, guest path) to (host dirfd, host path). Absolute
/// paths ignore the dirfd, as Linux does; an empty path (AT_EMPTY_PATH)
/// stays empty. Paths into files of other emu processes that describe the
/// emulator fail here (EACCES) for every use; see [`resolve`].
pub fn resolve_at(
    p: &Task,
    dirfd: u32,
    path: &[u8],
    intent: Intent,
) -> Result<(i32, CString), Errno> {
    let r = resolve(p, dirfd, path, intent)?;
    Ok((r.dfd, r.host))
}

/// Where a lookup through /proc ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcLoc {
    /// Not in a process's /proc directory (or not walked: no /proc in it).
    None,
    /// /proc/cpuinfo.
    Cpuinfo,
    /// The guest's own /proc/\<pid\> (or /proc/\<pid\>/task/\<tid\> of one of its
    /// threads, `tid`); `entry` is the path inside it ("" for itself).
    Own { tid: Option<u32>, entry: Vec<u8> },
    /// /proc/\<pid\> (or a task of it) of another process running emu.
    OtherEmu { pid: u32, entry: Vec<u8> },
}

impl ProcLoc {
    /// The entry inside a process directory, own or another emu's.
    pub fn entry(&self) -> Option<&[u8]> {
        match self {
            ProcLoc::Own { entry, .. } | ProcLoc::OtherEmu { entry, .. } => Some(entry),
            _ => None,
        }
    }

    /// Whether opening this is refused (EACCES): another emu process's
    /// files that describe the emulator, and the guest's own `pagemap`
    /// (host frames of emu's memory) and `map_files/` (host address
    /// ranges and files).
    pub fn refused_open(&self) -> bool {
        match self {
            ProcLoc::OtherEmu { entry, .. } => other_refused(entry),
            ProcLoc::Own { entry, .. } => {
                entry == b"pagemap" || entry == b"map_files" || entry.starts_with(b"map_files/")
            }
            _ => false,
        }
    }

    /// Whether every lookup of this is refused (EACCES): what lies below
    /// a refused directory (`map_files/<range>`, and another emu
    /// process's `fd/N`, `task/<tid>/...`). The refused entries themselves
    /// can be stat'ed, as natively (ls lists them).
    pub fn refused_lookup(&self) -> bool {
        match self {
            ProcLoc::OtherEmu { entry, .. } => entry.contains(&b'/') && other_refused(entry),
            ProcLoc::Own { entry, .. } => entry.starts_with(b"map_files/"),
            _ => false,
        }
    }

    /// The guest's own process entry `name`.
    pub fn is_own(&self, name: &[u8]) -> bool {
        matches!(self, ProcLoc::Own { entry, .. } if entry == name)
    }
}

/// A resolved guest path.
#[derive(Debug)]
pub struct Resolved {
    /// Host dirfd and path for the host's *at call.
    pub dfd: i32,
    pub host: CString,
    /// Where in /proc the path led.
    pub proc: ProcLoc,
    /// The path ended with a slash.
    pub trailing_slash: bool,
    /// emu walked the path (symlinks included) rather than leaving the
    /// lookup to the host.
    pub walked: bool,
}

/// Entries of another emu process's /proc/<pid> (and its tasks) whose
/// host contents or targets are the emulator's, refused with EACCES as
/// for a process the caller may not ptrace (opening them, reading the
/// exe link, following exe and fd/N, anything below fd/, fdinfo/, task/).
const OTHER_EMU_REFUSED: &[&[u8]] = &[
    b"maps",
    b"smaps",
    b"smaps_rollup",
    b"numa_maps",
    b"pagemap",
    b"mem",
    b"auxv",
    b"environ",
    b"cmdline",
    b"stat",
    b"statm",
    b"status",
    b"syscall",
    b"personality",
    b"exe",
    b"fd",
    b"fdinfo",
    b"map_files",
    b"limits",
    b"task",
];

/// Whether an entry of another emu process is refused (the first
/// component decides; task/<tid>/x is refused as a whole).
fn other_refused(entry: &[u8]) -> bool {
    let first = entry.split(|&c| c == b'/').next().unwrap_or(b"");
    OTHER_EMU_REFUSED.contains(&first)
}

/// Resolve (guest dirfd, guest path) for a use `intent`. Paths that
/// name nothing in /proc keep the plain rules (sysroot, /dev/fd); paths
/// that do are walked component by component (see the module doc).
pub fn resolve(p: &Task, dirfd: u32, path: &[u8], intent: Intent) -> Result<Resolved, Errno> {
    resolve_with(p, dirfd, path, intent, false)
}

/// [`resolve`], walking component by component whatever the path names:
/// for a path whose host lookup went through a magic link (a symlink
/// elsewhere to /proc/self/exe or /proc/self/fd/N), which the host would
/// resolve to emu's own files.
pub fn resolve_walking(
    p: &Task,
    dirfd: u32,
    path: &[u8],
    intent: Intent,
) -> Result<Resolved, Errno> {
    resolve_with(p, dirfd, path, intent, true)
}

fn resolve_with(
    p: &Task,
    dirfd: u32,
    path: &[u8],
    intent: Intent,
    force: bool,
) -> Result<Resolved, Errno> {
    let abs = path.first() == Some(&b'/');
    let trailing_slash = path.len() > 1 && path.last() == Some(&b'/');
    let plain = |dfd: i32, host: CString| Resolved {
        dfd,
        host,
        proc: ProcLoc::None,
        trailing_slash,
        walked: false,
    };
    if path.is_empty() {
        return Ok(plain(host_dirfd(p, dirfd)?, CString::default()));
    }
    let start = if abs {
        if !force && !path.split(|&c| c == b'/').any(|c| c == b"proc") {
            let host = host_abs(p, path, intent)?;
            if !reaches_proc(libc::AT_FDCWD, &host, intent) {
                return Ok(plain(libc::AT_FDCWD, host));
            }
            return resolve_with(p, dirfd, path, intent, true);
        }
        Vec::new()
    } else {
        let in_proc = if dirfd == at::FDCWD {
            cwd_in_proc()
        } else {
            p.files().get(dirfd)?.procfs
        };
        if !force && !in_proc && !path.split(|&c| c == b'/').any(|c| c == b"proc") {
            let (dfd, host) = (host_dirfd(p, dirfd)?, cstring(path)?);
            if !reaches_proc(dfd, &host, intent) {
                return Ok(plain(dfd, host));
            }
            return resolve_with(p, dirfd, path, intent, true);
        }
        start_dir(p, dirfd)?
    };
    let r = walk(p, start, path, intent)?;
    if r.proc.refused_lookup() {
        return Err(Errno::EACCES);
    }
    if r.proc == ProcLoc::None && r.dfd == libc::AT_FDCWD && p.sysroot().is_some() {
        // Outside /proc the sysroot rules apply to where the walk led.
        let host = host_abs(p, r.host.as_bytes(), intent)?;
        return Ok(Resolved { host, ..r });
    }
    Ok(r)
}

/// Whether the host's lookup of a path that names no /proc component
/// may still end in procfs: through a symlink elsewhere to /proc (`ln -s
/// /proc/self x`, then `x/maps`, `x/exe`, `x/fd/4`; or a link to
/// /proc/self/exe or /proc/self/fd/N), where the host would show the
/// emulator's own files (its executable, its own descriptors). Such a path
/// is walked as the guest's kernel would walk it. The final component is
/// looked at without following it: in procfs (reached through a symlink
/// among the directories) it is walked; a symlink the lookup follows is
/// followed here link by link, and walked when a target names a /proc
/// component or lands in procfs. One fstatat for a path that does not end
/// in a symlink; a path that does not resolve is left to the call itself.
fn reaches_proc(dfd: i32, host: &CString, intent: Intent) -> bool {
    let follow = match intent {
        Intent::Open(f) => f & super::abi::fs::o::NOFOLLOW == 0,
        Intent::Follow => true,
        Intent::NoFollow => false,
    };
    if host.is_empty() {
        return false;
    }
    let proc_dev = procfs_dev();
    let mut cur = host.as_bytes().to_vec();
    // Linux's limit on links followed in one lookup (MAXSYMLINKS).
    for _ in 0..40 {
        let Ok(c) = CString::new(cur.clone()) else {
            return false;
        };
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstatat(dfd, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
            return false;
        }
        if st.st_dev == proc_dev {
            return true;
        }
        if !follow || st.st_mode & libc::S_IFMT != libc::S_IFLNK {
            return false;
        }
        let mut buf = [0u8; 4096];
        let n = unsafe { libc::readlinkat(dfd, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return false;
        }
        let target = &buf[..n as usize];
        if target.split(|&b| b == b'/').any(|c| c == b"proc") {
            return true;
        }
        cur = if target.first() == Some(&b'/') {
            target.to_vec()
        } else {
            // Relative to the link's directory.
            let dir = match cur.iter().rposition(|&b| b == b'/') {
                Some(i) => cur[..=i].to_vec(),
                None => Vec::new(),
            };
            [dir, target.to_vec()].concat()
        };
    }
    false
}

/// procfs's device number.
fn procfs_dev() -> u64 {
    static DEV: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *DEV.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self")
            .map(|m| m.dev())
            .unwrap_or(u64::MAX)
    })
}

/// The canonical host path (components) of the directory a relative
/// lookup starts from.
fn start_dir(p: &Task, dirfd: u32) -> Result<Vec<Vec<u8>>, Errno> {
    let target = if dirfd == at::FDCWD {
        std::env::current_dir().map_err(|_| Errno::ENOENT)?
    } else {
        let h = p.files().host(dirfd)?;
        std::fs::read_link(format!("/proc/self/fd/{h}")).map_err(|_| Errno::ENOENT)?
    };
    Ok(components(target.as_os_str().as_bytes()))
}

fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&c| c == b'/')
        .filter(|c| !c.is_empty())
        .map(|c| c.to_vec())
        .collect()
}

fn join(cur: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    for c in cur {
        v.push(b'/');
        v.extend_from_slice(c);
    }
    if v.is_empty() {
        v.push(b'/');
    }
    v
}

/// 0: not known yet, 1: the working directory is not in procfs, 2: it is.
static CWD_PROC: AtomicU8 = AtomicU8::new(0);

/// Whether the (host and guest) working directory is in procfs.
fn cwd_in_proc() -> bool {
    match CWD_PROC.load(Relaxed) {
        0 => {
            note_chdir();
            CWD_PROC.load(Relaxed) == 2
        }
        v => v == 2,
    }
}

/// After chdir/fchdir: remember whether the new directory is in procfs.
pub fn note_chdir() {
    let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
    let inproc = unsafe { libc::statfs(c".".as_ptr(), &mut sf) } == 0
        && sf.f_type as i64 == PROC_SUPER_MAGIC;
    CWD_PROC.store(if inproc { 2 } else { 1 }, Relaxed);
}

/// Whether host fd `h` is on procfs.
pub fn on_procfs(h: i32) -> bool {
    let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
    unsafe { libc::fstatfs(h, &mut sf) == 0 && sf.f_type as i64 == PROC_SUPER_MAGIC }
}

/// The emulator's own executable (another process running it is another
/// guest process).
fn emu_exe() -> &'static Option<std::path::PathBuf> {
    static EXE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    EXE.get_or_init(|| std::fs::read_link("/proc/self/exe").ok())
}

/// Whether host process `pid` runs emu. A process whose exe link cannot
/// be read (another user's, or not dumpable) is not one this guest
/// started, and the host's answers for it are what native gives.
fn runs_emu(pid: u32) -> bool {
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(t) => emu_exe().as_ref().is_some_and(|e| *e == t),
        Err(_) => false,
    }
}

/// Whether `tid` is one of the guest's own threads (pid included).
fn own_task(p: &Task, tid: u32) -> bool {
    if tid == p.pid || tid == p.tid {
        return true;
    }
    let st = super::task::lock(&p.group.state);
    st.threads.iter().any(|t| t.tid.load(Relaxed) == tid)
}

fn number(c: &[u8]) -> Option<u32> {
    if c.is_empty() || c.len() > 10 || !c.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(c).ok()?.parse().ok()
}

/// Where the canonical host path `cur` (components) is in /proc.
pub fn classify(p: &Task, cur: &[Vec<u8>]) -> ProcLoc {
    if cur.first().map(|c| c.as_slice()) != Some(b"proc") || !proc_at_root() {
        return ProcLoc::None;
    }
    let Some(pid) = cur.get(1).and_then(|c| number(c)) else {
        if cur.len() == 2 && cur[1] == b"cpuinfo" {
            return ProcLoc::Cpuinfo;
        }
        return ProcLoc::None;
    };
    let rest = &cur[2..];
    let own = own_task(p, pid);
    if own {
        let (tid, rest) = match rest {
            [t, n, tail @ ..] if t.as_slice() == b"task" && number(n).is_some() => {
                let tid = number(n).unwrap_or(0);
                if !own_task(p, tid) {
                    return ProcLoc::None;
                }
                (Some(tid), tail)
            }
            _ => (None, rest),
        };
        let tid = match tid {
            None if pid != p.pid => Some(pid),
            t => t,
        };
        return ProcLoc::Own {
            tid,
            entry: join(rest)[1..].to_vec(),
        };
    }
    if runs_emu(pid) {
        return ProcLoc::OtherEmu {
            pid,
            entry: join(rest)[1..].to_vec(),
        };
    }
    ProcLoc::None
}

/// Whether /proc is procfs's root (the walk only knows procfs there).
fn proc_at_root() -> bool {
    static AT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AT.get_or_init(|| {
        let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        unsafe {
            libc::statfs(c"/proc".as_ptr(), &mut sf) == 0
                && sf.f_type as i64 == PROC_SUPER_MAGIC
                && libc::stat(c"/proc".as_ptr(), &mut st) == 0
                && st.st_ino == 1
        }
    })
}

fn host_lstat(path: &[u8]) -> Option<libc::stat> {
    let c = CString::new(path).ok()?;
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::lstat(c.as_ptr(), &mut st) } == 0).then_some(st)
}

fn host_readlink(path: &[u8]) -> Option<Vec<u8>> {
    let t = std::fs::read_link(std::ffi::OsStr::from_bytes(path)).ok()?;
    Some(t.as_os_str().as_bytes().to_vec())
}

/// The walk stops at host path `hp`: the components still to go are the
/// host's own lookup.
fn host_rest(
    mut hp: Vec<u8>,
    todo: &VecDeque<Vec<u8>>,
    trailing_slash: bool,
) -> Result<Resolved, Errno> {
    for r in todo {
        hp.push(b'/');
        hp.extend_from_slice(r);
    }
    if trailing_slash {
        hp.push(b'/');
    }
    Ok(Resolved {
        dfd: libc::AT_FDCWD,
        host: cstring(&hp)?,
        proc: ProcLoc::None,
        trailing_slash,
        walked: true,
    })
}

/// The component walk: `cur` is the canonical host directory the lookup
/// starts in (components, no symlinks), `path` the guest's path.
fn walk(p: &Task, mut cur: Vec<Vec<u8>>, path: &[u8], intent: Intent) -> Result<Resolved, Errno> {
    // A final "/" or "/." asks for a directory (ENOTDIR otherwise).
    let trailing_slash = path.len() > 1 && (path.last() == Some(&b'/') || path.ends_with(b"/."));
    let mut todo: VecDeque<Vec<u8>> = components(path).into();
    let follow_last = match intent {
        Intent::NoFollow => trailing_slash,
        Intent::Open(f) => f & super::abi::fs::o::NOFOLLOW == 0 || trailing_slash,
        Intent::Follow => true,
    };
    let mut links = 0u32;
    let mut splice = |todo: &mut VecDeque<Vec<u8>>, cur: &mut Vec<Vec<u8>>, target: &[u8]| {
        links += 1;
        if links > MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        if target.first() == Some(&b'/') {
            cur.clear();
        }
        for c in components(target).into_iter().rev() {
            todo.push_front(c);
        }
        Ok(())
    };
    while let Some(c) = todo.pop_front() {
        if c == b"." {
            continue;
        }
        if c == b".." {
            cur.pop();
            continue;
        }
        let last = todo.iter().all(|x| x.as_slice() == b".");
        let follow = !last || follow_last;
        let here = classify(p, &cur);
        match (&here, c.as_slice()) {
            (ProcLoc::Own { entry, .. }, b"exe") if entry.is_empty() && follow => {
                // The guest's program, not the emulator.
                let exe = p.mm().exe.as_os_str().as_bytes().to_vec();
                splice(&mut todo, &mut cur, &exe)?;
                continue;
            }
            (ProcLoc::Own { entry, .. }, n) if entry == b"fd" && !follow => {
                // The link itself (lstat, readlink): the host's link for
                // the guest fd's host fd, named as the guest's.
                let h = number(n)
                    .and_then(|n| p.files().host(n).ok())
                    .ok_or(Errno::ENOENT)?;
                let mut entry = b"fd/".to_vec();
                entry.extend_from_slice(n);
                let tid = match &here {
                    ProcLoc::Own { tid, .. } => *tid,
                    _ => None,
                };
                return Ok(Resolved {
                    dfd: libc::AT_FDCWD,
                    host: cstring(format!("/proc/self/fd/{h}").as_bytes())?,
                    proc: ProcLoc::Own { tid, entry },
                    trailing_slash,
                    walked: true,
                });
            }
            (ProcLoc::Own { entry, .. }, n) if entry == b"fd" => {
                let h = number(n)
                    .and_then(|n| p.files().host(n).ok())
                    .ok_or(Errno::ENOENT)?;
                if on_procfs(h) {
                    // A /proc file or directory of the guest's: walk on
                    // from where it is.
                    if let Some(t) = host_readlink(format!("/proc/self/fd/{h}").as_bytes()) {
                        if t.first() == Some(&b'/') {
                            splice(&mut todo, &mut cur, &t)?;
                            continue;
                        }
                    }
                }
                // Anything else (pipes, sockets, deleted files): the host
                // follows its own magic link for the rest of the path.
                let hp = format!("/proc/self/fd/{h}").into_bytes();
                return host_rest(hp, &todo, trailing_slash);
            }
            (ProcLoc::Own { entry, .. }, n) if entry == b"fdinfo" => {
                // fdinfo/N describes guest fd N: the host's fdinfo of its fd.
                let h = number(n)
                    .and_then(|n| p.files().host(n).ok())
                    .ok_or(Errno::ENOENT)?;
                cur.push(h.to_string().into_bytes());
                continue;
            }
            (ProcLoc::OtherEmu { entry, .. }, b"exe") if entry.is_empty() && follow => {
                return Err(Errno::EACCES);
            }
            (ProcLoc::OtherEmu { entry, .. }, _) if entry == b"fd" && follow => {
                return Err(Errno::EACCES);
            }
            _ => {}
        }
        cur.push(c);
        let hp = join(&cur);
        let Some(st) = host_lstat(&hp) else {
            // Missing or not searchable: the host's own lookup of the
            // rest gives the error.
            return host_rest(hp, &todo, trailing_slash);
        };
        if st.st_mode & libc::S_IFMT == libc::S_IFLNK && follow {
            let t = host_readlink(&hp).ok_or(Errno::ENOENT)?;
            cur.pop();
            splice(&mut todo, &mut cur, &t)?;
        }
    }
    let proc = classify(p, &cur);
    let mut hp = join(&cur);
    if trailing_slash && hp != b"/" {
        hp.push(b'/');
    }
    Ok(Resolved {
        dfd: libc::AT_FDCWD,
        host: cstring(&hp)?,
        proc,
        trailing_slash,
        walked: true,
    })
}

/// Where a host fd that is on procfs is, as the guest sees it: the walk's
/// classification of the file's path (the post-open check of every open,
/// which catches spellings the walk never saw, e.g. a symlink elsewhere
/// pointing into /proc).
pub fn proc_loc_of_fd(p: &Task, h: i32) -> ProcLoc {
    match host_readlink(format!("/proc/self/fd/{h}").as_bytes()) {
        Some(t) if t.first() == Some(&b'/') => classify(p, &components(&t)),
        _ => ProcLoc::None,
    }
}

/// Read a path argument that may be empty when `flags` has AT_EMPTY_PATH.
pub fn read_path_at(p: &mut Task, addr: u32, flags: u32) -> Result<Vec<u8>, Errno> {
    if flags & at::EMPTY_PATH != 0 {
        let s = p.read_cstr(addr, super::uaccess::PATH_MAX - 1)?;
        Ok(s)
    } else {
        p.read_path(addr)
    }
}

/// A host path as the guest sees it: the sysroot prefix removed.
pub fn guest_view(p: &Task, host: &[u8]) -> Vec<u8> {
    if let Some(root) = p.sysroot() {
        let r = root.as_os_str().as_bytes();
        let r = r.strip_suffix(b"/").unwrap_or(r);
        if !r.is_empty() {
            if let Some(rest) = host.strip_prefix(r) {
                if rest.is_empty() {
                    return b"/".to_vec();
                }
                if rest.first() == Some(&b'/') {
                    return rest.to_vec();
                }
            }
        }
    }
    host.to_vec()
}

/// `-L/--sysroot`: canonicalise the directory once.
pub fn sysroot(dir: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}
