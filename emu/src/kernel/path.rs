//! Guest paths to host paths.
//!
//! - `-L/--sysroot DIR`: an absolute guest path is looked up under DIR
//!   first and used from there if it exists, else on the host (as qemu -L).
//! - `/proc/self/exe` (and `/proc/<own pid>/exe`, `/proc/thread-self/exe`)
//!   is the guest program, not the emulator.
//! - Relative paths are relative to the guest dirfd's host fd, or to the
//!   host working directory (which is the guest's).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::abi::errno::Errno;
use super::abi::fs::at;
use super::task::Task;

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

/// `/proc/self/<what>` for this process: the tail after the pid part, or
/// None if the path is not this process's /proc directory.
pub fn proc_self_tail<'a>(p: &Task, path: &'a [u8]) -> Option<&'a [u8]> {
    let rest = path.strip_prefix(b"/proc/")?;
    let (head, tail) = match rest.iter().position(|&c| c == b'/') {
        Some(k) => (&rest[..k], &rest[k + 1..]),
        None => (rest, &b""[..]),
    };
    let pid = p.pid.to_string();
    if head == b"self" || head == b"thread-self" || head == pid.as_bytes() {
        // /proc/<pid>/task/<pid>/x is the same thread directory.
        if let Some(t) = tail.strip_prefix(b"task/") {
            let (tid, tt) = match t.iter().position(|&c| c == b'/') {
                Some(k) => (&t[..k], &t[k + 1..]),
                None => (t, &b""[..]),
            };
            if tid == pid.as_bytes() {
                return Some(tt);
            }
            return None;
        }
        Some(tail)
    } else {
        None
    }
}

/// Whether `path` names this process's /proc exe link.
pub fn is_self_exe(p: &Task, path: &[u8]) -> bool {
    proc_self_tail(p, path) == Some(b"exe")
}

fn cstring(b: &[u8]) -> Result<CString, Errno> {
    CString::new(b).map_err(|_| Errno::EINVAL)
}

/// The guest fd an absolute path names through /proc/self/fd/N (always),
/// or /dev/fd/N and /dev/std{in,out,err} (when the final link is
/// followed): guest fd numbers are not the host's.
fn fd_path(p: &Task, path: &[u8], intent: Intent) -> Option<u32> {
    let num = |t: &[u8]| std::str::from_utf8(t).ok()?.parse::<u32>().ok();
    if let Some(n) = proc_self_tail(p, path).and_then(|t| t.strip_prefix(b"fd/")) {
        return num(n);
    }
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
    if intent != Intent::NoFollow && is_self_exe(p, path) {
        return cstring(p.mm().exe.as_os_str().as_bytes());
    }
    if let Some(fd) = fd_path(p, path, intent) {
        // A descriptor the guest does not have names nothing.
        let h = p.files().host(fd).unwrap_or(-1);
        return cstring(format!("/proc/self/fd/{h}").as_bytes());
    }
    if let Some(root) = p.sysroot() {
        if path != b"/" {
            let mut cand = root.as_os_str().as_bytes().to_vec();
            cand.extend_from_slice(path);
            let c = cstring(&cand)?;
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            if unsafe { libc::lstat(c.as_ptr(), &mut st) } == 0 {
                return Ok(c);
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
/// stays empty.
pub fn resolve_at(
    p: &Task,
    dirfd: u32,
    path: &[u8],
    intent: Intent,
) -> Result<(i32, CString), Errno> {
    if path.first() == Some(&b'/') {
        return Ok((libc::AT_FDCWD, host_abs(p, path, intent)?));
    }
    Ok((host_dirfd(p, dirfd)?, cstring(path)?))
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
