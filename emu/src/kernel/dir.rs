//! Directories and the namespace: getdents/getdents64/readdir, the working
//! directory, mkdir/rmdir/unlink/rename/link/symlink/readlink/mknod,
//! permissions and ownership, access checks, timestamps, umask.

use std::ffi::CString;

use super::abi::errno::Errno;
use super::abi::fs::{self as afs, at, Timespec32, Timespec64, Timeval32, Utimbuf};
use super::fs::{dirpos_kind, dirpos_to_guest, hres, hret};
use super::path::{self, Intent};
use super::syscall::SysResult;
use super::task::Task;

// --- getdents -------------------------------------------------------------------

/// Host linux_dirent64 records read from `h`.
struct HostDirent<'a> {
    ino: u64,
    off: i64,
    ty: u8,
    name: &'a [u8],
}

fn parse_dirents(buf: &[u8]) -> Vec<HostDirent<'_>> {
    let mut v = Vec::new();
    let mut k = 0;
    while k + afs::DIRENT64_NAME_OFF <= buf.len() {
        let ino = u64::from_ne_bytes(buf[k..k + 8].try_into().unwrap_or([0; 8]));
        let off = i64::from_ne_bytes(buf[k + 8..k + 16].try_into().unwrap_or([0; 8]));
        let reclen = u16::from_ne_bytes([buf[k + 16], buf[k + 17]]) as usize;
        let ty = buf[k + 18];
        if reclen == 0 || k + reclen > buf.len() {
            break;
        }
        let raw = &buf[k + afs::DIRENT64_NAME_OFF..k + reclen];
        let nl = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        v.push(HostDirent {
            ino,
            off,
            ty,
            name: &raw[..nl],
        });
        k += reclen;
    }
    v
}

/// Fill a guest getdents/getdents64 buffer: host records are re-encoded one
/// by one until the next does not fit; the host directory is then
/// repositioned after the last record taken, so no entry is lost and the
/// guest gets exactly the records Linux would give it.
/// Whether host directory fd `h` is this process's /proc/<pid>/fd or
/// fdinfo (or a thread's): its entries are host fd numbers, which the
/// guest must see as its own (the emulator's descriptors left out).
fn is_proc_fd_dir(h: i32) -> bool {
    let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{h}")) else {
        return false;
    };
    let me = format!("/proc/{}/", std::process::id());
    let t = std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str());
    t.starts_with(me.as_bytes()) && (t.ends_with(b"/fd") || t.ends_with(b"/fdinfo"))
}

/// The guest's name for a /proc/self/fd entry: its guest fd number, or
/// None for a host fd the guest does not have. "." and ".." stay.
fn proc_fd_entry_name(p: &Task, name: &[u8]) -> Option<Vec<u8>> {
    let Some(host) = std::str::from_utf8(name)
        .ok()
        .and_then(|n| n.parse::<i32>().ok())
    else {
        return Some(name.to_vec());
    };
    p.files().guest_of(host).map(|g| g.to_string().into_bytes())
}

fn do_getdents(p: &mut Task, fd: u32, dirp: u32, count: u32, wide: bool) -> SysResult {
    let (h, kind) = dirpos_kind(p, fd)?;
    let fd_dir = p.files().get(fd)?.procfs && is_proc_fd_dir(h);
    let count = count.min(super::fs::MAX_IO) as usize;
    let mut out: Vec<u8> = Vec::with_capacity(count.min(65536));
    let mut hbuf = vec![0u8; count.clamp(64, 65536) + 512];
    let mut last_off: Option<i64> = None;
    let mut full = false;
    // filldir writes each record as it goes, so a buffer that runs into a
    // page the guest cannot write takes the records that end before it:
    // the one that would touch the page faults and ends the call (EFAULT
    // if it is the first).
    let valid = super::fs::user_prefix(p, dirp, count as u32, true).unwrap_or(0) as usize;
    let mut fault = false;
    loop {
        let n = unsafe { libc::syscall(libc::SYS_getdents64, h, hbuf.as_mut_ptr(), hbuf.len()) };
        if n < 0 {
            let e = Errno::last();
            if out.is_empty() {
                return Err(e);
            }
            break;
        }
        if n == 0 {
            break;
        }
        let ents = parse_dirents(&hbuf[..n as usize]);
        if ents.is_empty() {
            break;
        }
        for d in &ents {
            let renamed;
            let name: &[u8] = if fd_dir {
                match proc_fd_entry_name(p, d.name) {
                    Some(n) => {
                        renamed = n;
                        &renamed
                    }
                    None => {
                        last_off = Some(d.off);
                        continue;
                    }
                }
            } else {
                d.name
            };
            let reclen = if wide {
                afs::dirent64_reclen(name.len())
            } else {
                afs::dirent_reclen(name.len())
            };
            if out.len() + reclen > count {
                full = true;
                break;
            }
            // The bytes filldir touches: linux_dirent64 up to the name's
            // NUL; linux_dirent up to d_type in its last byte.
            let touched = if wide { 20 + name.len() } else { reclen };
            if out.len() + touched > valid {
                fault = true;
                full = true;
                break;
            }
            if !wide && d.ino > u32::MAX as u64 {
                if out.is_empty() {
                    // Reposition so a retry sees the same entry.
                    if let Some(o) = last_off {
                        unsafe { libc::lseek64(h, o, libc::SEEK_SET) };
                    }
                    return Err(Errno::EOVERFLOW);
                }
                full = true;
                break;
            }
            let goff = dirpos_to_guest(kind, d.off);
            let start = out.len();
            out.resize(start + reclen, 0);
            let r = &mut out[start..];
            if wide {
                r[0..8].copy_from_slice(&d.ino.to_le_bytes());
                r[8..16].copy_from_slice(&goff.to_le_bytes());
                r[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
                r[18] = d.ty;
                r[19..19 + name.len()].copy_from_slice(name);
            } else {
                r[0..4].copy_from_slice(&(d.ino as u32).to_le_bytes());
                r[4..8].copy_from_slice(&(goff as u32).to_le_bytes());
                r[8..10].copy_from_slice(&(reclen as u16).to_le_bytes());
                r[10..10 + name.len()].copy_from_slice(name);
                r[reclen - 1] = d.ty;
            }
            last_off = Some(d.off);
        }
        if full {
            break;
        }
        // Everything read was taken: read more if the guest buffer has room
        // for at least a minimal record.
        if out.len() + 24 > count {
            // Let the next call continue from the host position.
            break;
        }
    }
    if full {
        match last_off {
            Some(o) => {
                unsafe { libc::lseek64(h, o, libc::SEEK_SET) };
            }
            // Not even the first record fits or could be written (the
            // caller restores the position).
            None if fault => return Err(Errno::EFAULT),
            None => return Err(Errno::EINVAL),
        }
    }
    if out.is_empty() {
        if fault {
            return Err(Errno::EFAULT);
        }
        return Ok(0);
    }
    // The last record's padding may lie past the writable part: filldir
    // does not write it.
    p.write_user(dirp, &out[..out.len().min(valid)])?;
    Ok(out.len() as u32)
}

fn getdents_entry(p: &mut Task, fd: u32, dirp: u32, count: u32, wide: bool) -> SysResult {
    // Remember where the directory was, so a buffer too small for the first
    // record leaves the position unchanged (as Linux does).
    let h = p.files().host(fd)?;
    let pos = unsafe { libc::lseek64(h, 0, libc::SEEK_CUR) };
    let r = do_getdents(p, fd, dirp, count, wide);
    if matches!(r, Err(Errno::EINVAL) | Err(Errno::EFAULT)) && pos >= 0 {
        unsafe { libc::lseek64(h, pos, libc::SEEK_SET) };
    }
    r
}

pub fn sys_getdents(p: &mut Task, fd: u32, dirp: u32, count: u32) -> SysResult {
    getdents_entry(p, fd, dirp, count, false)
}

pub fn sys_getdents64(p: &mut Task, fd: u32, dirp: u32, count: u32) -> SysResult {
    getdents_entry(p, fd, dirp, count, true)
}

/// old_readdir (89): one `struct old_linux_dirent` per call, 1 at a
/// record, 0 at the end.
pub fn sys_readdir(p: &mut Task, fd: u32, dirp: u32, _count: u32) -> SysResult {
    let (h, kind) = dirpos_kind(p, fd)?;
    let pos0 = unsafe { libc::lseek64(h, 0, libc::SEEK_CUR) }.max(0);
    let mut hbuf = vec![0u8; 4096];
    let n = hres(unsafe { libc::syscall(libc::SYS_getdents64, h, hbuf.as_mut_ptr(), hbuf.len()) })?;
    if n == 0 {
        return Ok(0);
    }
    let ents = parse_dirents(&hbuf[..n as usize]);
    let Some(d) = ents.first() else {
        return Ok(0);
    };
    if d.ino > u32::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    // old_readdir reports the offset *of* the entry and consumes only that
    // one. We report where we started, which is the entry's offset except
    // for the first entry of an ext4 hashed directory (Linux gives that
    // entry's own hash there; nothing exposes it to us).
    unsafe { libc::lseek64(h, d.off, libc::SEEK_SET) };
    let mut r = vec![0u8; afs::OLD_DIRENT_NAME_OFF + d.name.len() + 1];
    r[0..4].copy_from_slice(&(d.ino as u32).to_le_bytes());
    r[4..8].copy_from_slice(&(dirpos_to_guest(kind, pos0) as u32).to_le_bytes());
    r[8..10].copy_from_slice(&(d.name.len() as u16).to_le_bytes());
    r[10..10 + d.name.len()].copy_from_slice(d.name);
    p.write_user(dirp, &r)?;
    Ok(1)
}

// --- working directory ---------------------------------------------------------------

pub fn sys_getcwd(p: &mut Task, buf: u32, size: u32) -> SysResult {
    let mut hb = vec![0u8; 4096];
    let n = hres(unsafe { libc::syscall(libc::SYS_getcwd, hb.as_mut_ptr(), hb.len()) })? as usize;
    let host = &hb[..n.saturating_sub(1)];
    let mut g = path::guest_view(p, host);
    g.push(0);
    if g.len() > size as usize {
        return Err(Errno::ERANGE);
    }
    p.write_user(buf, &g)?;
    Ok(g.len() as u32)
}

pub fn sys_chdir(p: &mut Task, pathname: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let (_, hp) = path::resolve_at(p, at::FDCWD, &gp, Intent::Follow)?;
    let r = hret(unsafe { libc::syscall(libc::SYS_chdir, hp.as_ptr()) });
    path::note_chdir();
    r
}

pub fn sys_fchdir(p: &mut Task, fd: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let r = hret(unsafe { libc::syscall(libc::SYS_fchdir, h) });
    path::note_chdir();
    r
}

pub fn sys_umask(_p: &mut Task, mask: u32) -> SysResult {
    Ok(unsafe { libc::umask((mask & 0o777) as libc::mode_t) } as u32)
}

// --- namespace ------------------------------------------------------------------------

fn at_path(
    p: &mut Task,
    dirfd: u32,
    pathname: u32,
    intent: Intent,
) -> Result<(i32, CString), Errno> {
    let gp = p.read_path(pathname)?;
    path::resolve_at(p, dirfd, &gp, intent)
}

pub fn sys_mkdir(p: &mut Task, pathname: u32, mode: u32) -> SysResult {
    sys_mkdirat(p, at::FDCWD, pathname, mode)
}

pub fn sys_mkdirat(p: &mut Task, dirfd: u32, pathname: u32, mode: u32) -> SysResult {
    let (d, hp) = at_path(p, dirfd, pathname, Intent::NoFollow)?;
    hret(unsafe { libc::syscall(libc::SYS_mkdirat, d, hp.as_ptr(), mode & 0o7777) })
}

pub fn sys_mknod(p: &mut Task, pathname: u32, mode: u32, dev: u32) -> SysResult {
    sys_mknodat(p, at::FDCWD, pathname, mode, dev)
}

pub fn sys_mknodat(p: &mut Task, dirfd: u32, pathname: u32, mode: u32, dev: u32) -> SysResult {
    let (d, hp) = at_path(p, dirfd, pathname, Intent::NoFollow)?;
    hret(unsafe { libc::syscall(libc::SYS_mknodat, d, hp.as_ptr(), mode, dev) })
}

pub fn sys_rmdir(p: &mut Task, pathname: u32) -> SysResult {
    let (d, hp) = at_path(p, at::FDCWD, pathname, Intent::NoFollow)?;
    hret(unsafe { libc::syscall(libc::SYS_unlinkat, d, hp.as_ptr(), libc::AT_REMOVEDIR) })
}

pub fn sys_unlink(p: &mut Task, pathname: u32) -> SysResult {
    sys_unlinkat(p, at::FDCWD, pathname, 0)
}

pub fn sys_unlinkat(p: &mut Task, dirfd: u32, pathname: u32, flags: u32) -> SysResult {
    if flags & !at::REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let (d, hp) = at_path(p, dirfd, pathname, Intent::NoFollow)?;
    let hf = if flags & at::REMOVEDIR != 0 {
        libc::AT_REMOVEDIR
    } else {
        0
    };
    hret(unsafe { libc::syscall(libc::SYS_unlinkat, d, hp.as_ptr(), hf) })
}

pub fn sys_rename(p: &mut Task, old: u32, new: u32) -> SysResult {
    sys_renameat2(p, at::FDCWD, old, at::FDCWD, new, 0)
}

pub fn sys_renameat(p: &mut Task, olddfd: u32, old: u32, newdfd: u32, new: u32) -> SysResult {
    sys_renameat2(p, olddfd, old, newdfd, new, 0)
}

pub fn sys_renameat2(
    p: &mut Task,
    olddfd: u32,
    old: u32,
    newdfd: u32,
    new: u32,
    flags: u32,
) -> SysResult {
    let (a, ap) = at_path(p, olddfd, old, Intent::NoFollow)?;
    let (b, bp) = at_path(p, newdfd, new, Intent::NoFollow)?;
    hret(unsafe { libc::syscall(libc::SYS_renameat2, a, ap.as_ptr(), b, bp.as_ptr(), flags) })
}

pub fn sys_link(p: &mut Task, old: u32, new: u32) -> SysResult {
    sys_linkat(p, at::FDCWD, old, at::FDCWD, new, 0)
}

pub fn sys_linkat(
    p: &mut Task,
    olddfd: u32,
    old: u32,
    newdfd: u32,
    new: u32,
    flags: u32,
) -> SysResult {
    if flags & !(at::SYMLINK_FOLLOW | at::EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let gp = path::read_path_at(p, old, flags)?;
    let intent = if flags & at::SYMLINK_FOLLOW != 0 {
        Intent::Follow
    } else {
        Intent::NoFollow
    };
    let (a, ap) = path::resolve_at(p, olddfd, &gp, intent)?;
    let (b, bp) = at_path(p, newdfd, new, Intent::NoFollow)?;
    let mut hf = 0;
    if flags & at::SYMLINK_FOLLOW != 0 {
        hf |= libc::AT_SYMLINK_FOLLOW;
    }
    if flags & at::EMPTY_PATH != 0 {
        hf |= libc::AT_EMPTY_PATH;
    }
    hret(unsafe { libc::syscall(libc::SYS_linkat, a, ap.as_ptr(), b, bp.as_ptr(), hf) })
}

pub fn sys_symlink(p: &mut Task, target: u32, linkpath: u32) -> SysResult {
    sys_symlinkat(p, target, at::FDCWD, linkpath)
}

pub fn sys_symlinkat(p: &mut Task, target: u32, newdfd: u32, linkpath: u32) -> SysResult {
    // The target is stored as given, not resolved.
    let t = p.read_path(target)?;
    let t = CString::new(t).map_err(|_| Errno::EINVAL)?;
    let (d, hp) = at_path(p, newdfd, linkpath, Intent::NoFollow)?;
    hret(unsafe { libc::syscall(libc::SYS_symlinkat, t.as_ptr(), d, hp.as_ptr()) })
}

pub fn sys_readlink(p: &mut Task, pathname: u32, buf: u32, size: u32) -> SysResult {
    sys_readlinkat(p, at::FDCWD, pathname, buf, size)
}

pub fn sys_readlinkat(p: &mut Task, dirfd: u32, pathname: u32, buf: u32, size: u32) -> SysResult {
    if (size as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    let gp = path::read_path_at(p, pathname, at::EMPTY_PATH)?;
    let target: Vec<u8> = if gp.is_empty() {
        // readlinkat(fd, "") reads the symlink fd itself (O_PATH).
        let d = path::host_dirfd(p, dirfd)?;
        host_readlink(d, &CString::default())?
    } else {
        let r = path::resolve(p, dirfd, &gp, Intent::NoFollow)?;
        if matches!(&r.proc, path::ProcLoc::OtherEmu { entry, .. } if entry == b"exe") {
            // Another emu process's program is not visible to this one.
            return Err(Errno::EACCES);
        }
        let own = match &r.proc {
            path::ProcLoc::Own { entry, .. } => Some(entry.as_slice()),
            _ => None,
        };
        match own {
            // The guest's program, not the emulator.
            Some(b"exe") => {
                use std::os::unix::ffi::OsStrExt;
                p.mm().exe.as_os_str().as_bytes().to_vec()
            }
            // The working directory as the guest sees it (the sysroot).
            Some(b"cwd") => path::guest_view(p, &host_readlink(r.dfd, &r.host)?),
            // fd/N of an emulated /proc file: the file's /proc name.
            Some(e) if e.starts_with(b"fd/") && proc_fd_name(p, &e[3..]).is_some() => {
                proc_fd_name(p, &e[3..]).unwrap_or_default()
            }
            // fd/N: the walk named the host's link of guest fd N's host fd.
            _ => host_readlink(r.dfd, &r.host)?,
        }
    };
    let n = target.len().min(size as usize);
    p.write_user(buf, &target[..n])?;
    Ok(n as u32)
}

/// What /proc/<pid>/fd/N shows for a guest fd holding an emulated /proc
/// file (the host's link would name a memfd): the file's /proc path.
fn proc_fd_name(p: &Task, n: &[u8]) -> Option<Vec<u8>> {
    let n: u32 = std::str::from_utf8(n).ok()?.parse().ok()?;
    let f = p.files();
    let e = f.get(n).ok()?;
    let (name, tid) = match (&e.proc_gen, &e.proc_mem) {
        (Some(g), _) => (g.name(), g.tid),
        (None, Some(_)) => ("mem", None),
        _ => return None,
    };
    Some(match (name, tid) {
        ("cpuinfo", _) => b"/proc/cpuinfo".to_vec(),
        (n, Some(t)) => format!("/proc/{}/task/{t}/{n}", p.pid).into_bytes(),
        (n, None) => format!("/proc/{}/{n}", p.pid).into_bytes(),
    })
}

fn host_readlink(d: i32, hp: &CString) -> Result<Vec<u8>, Errno> {
    let mut b = vec![0u8; 4096];
    let n = hres(unsafe {
        libc::syscall(
            libc::SYS_readlinkat,
            d,
            hp.as_ptr(),
            b.as_mut_ptr(),
            b.len(),
        )
    })? as usize;
    b.truncate(n);
    Ok(b)
}

// --- permissions and ownership -----------------------------------------------------------------

pub fn sys_chmod(p: &mut Task, pathname: u32, mode: u32) -> SysResult {
    sys_fchmodat(p, at::FDCWD, pathname, mode)
}

pub fn sys_fchmod(p: &mut Task, fd: u32, mode: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::syscall(libc::SYS_fchmod, h, mode as u16 as u32) })
}

pub fn sys_fchmodat(p: &mut Task, dirfd: u32, pathname: u32, mode: u32) -> SysResult {
    let (d, hp) = at_path(p, dirfd, pathname, Intent::Follow)?;
    hret(unsafe { libc::syscall(libc::SYS_fchmodat, d, hp.as_ptr(), mode as u16 as u32) })
}

pub fn sys_fchmodat2(p: &mut Task, dirfd: u32, pathname: u32, mode: u32, flags: u32) -> SysResult {
    if flags & !(at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let gp = path::read_path_at(p, pathname, flags)?;
    let intent = Intent::from_at_flags(flags);
    let (d, hp) = path::resolve_at(p, dirfd, &gp, intent)?;
    hret(unsafe { libc::syscall(452, d, hp.as_ptr(), mode as u16 as u32, flags) })
}

fn do_fchownat(p: &mut Task, dirfd: u32, gp: &[u8], uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let intent = Intent::from_at_flags(flags);
    let (d, hp) = if gp.is_empty() {
        (path::host_dirfd(p, dirfd)?, CString::default())
    } else {
        path::resolve_at(p, dirfd, gp, intent)?
    };
    let mut hf = 0;
    if flags & at::SYMLINK_NOFOLLOW != 0 {
        hf |= libc::AT_SYMLINK_NOFOLLOW;
    }
    if flags & at::EMPTY_PATH != 0 {
        hf |= libc::AT_EMPTY_PATH;
    }
    hret(unsafe { libc::syscall(libc::SYS_fchownat, d, hp.as_ptr(), uid, gid, hf) })
}

pub fn sys_chown32(p: &mut Task, pathname: u32, uid: u32, gid: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    do_fchownat(p, at::FDCWD, &gp, uid, gid, 0)
}

pub fn sys_lchown32(p: &mut Task, pathname: u32, uid: u32, gid: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    do_fchownat(p, at::FDCWD, &gp, uid, gid, at::SYMLINK_NOFOLLOW)
}

pub fn sys_fchown32(p: &mut Task, fd: u32, uid: u32, gid: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::syscall(libc::SYS_fchown, h, uid, gid) })
}

pub fn sys_fchownat(
    p: &mut Task,
    dirfd: u32,
    pathname: u32,
    uid: u32,
    gid: u32,
    flags: u32,
) -> SysResult {
    let gp = path::read_path_at(p, pathname, flags)?;
    do_fchownat(p, dirfd, &gp, uid, gid, flags)
}

pub fn sys_chown16(p: &mut Task, pathname: u32, uid: u32, gid: u32) -> SysResult {
    sys_chown32(p, pathname, afs::low2high(uid), afs::low2high(gid))
}

pub fn sys_lchown16(p: &mut Task, pathname: u32, uid: u32, gid: u32) -> SysResult {
    sys_lchown32(p, pathname, afs::low2high(uid), afs::low2high(gid))
}

pub fn sys_fchown16(p: &mut Task, fd: u32, uid: u32, gid: u32) -> SysResult {
    sys_fchown32(p, fd, afs::low2high(uid), afs::low2high(gid))
}

// --- access ------------------------------------------------------------------------------------

pub fn sys_access(p: &mut Task, pathname: u32, mode: u32) -> SysResult {
    sys_faccessat2(p, at::FDCWD, pathname, mode, 0)
}

pub fn sys_faccessat(p: &mut Task, dirfd: u32, pathname: u32, mode: u32) -> SysResult {
    sys_faccessat2(p, dirfd, pathname, mode, 0)
}

pub fn sys_faccessat2(p: &mut Task, dirfd: u32, pathname: u32, mode: u32, flags: u32) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(at::EACCESS | at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let gp = path::read_path_at(p, pathname, flags)?;
    let intent = Intent::from_at_flags(flags);
    let (d, hp) = if gp.is_empty() {
        (path::host_dirfd(p, dirfd)?, CString::default())
    } else {
        path::resolve_at(p, dirfd, &gp, intent)?
    };
    hret(unsafe { libc::syscall(libc::SYS_faccessat2, d, hp.as_ptr(), mode, flags) })
}

// --- timestamps -----------------------------------------------------------------------------------

/// utimensat on the host; `gp` None means the dirfd itself (a NULL path).
fn do_utimens(
    p: &mut Task,
    dirfd: u32,
    gp: Option<&[u8]>,
    ts: Option<[libc::timespec; 2]>,
    flags: u32,
) -> SysResult {
    let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    let intent = Intent::from_at_flags(flags);
    let (d, hp) = match gp {
        None => (path::host_dirfd(p, dirfd)?, None),
        Some([]) => (path::host_dirfd(p, dirfd)?, Some(CString::default())),
        Some(g) => {
            let (d, hp) = path::resolve_at(p, dirfd, g, intent)?;
            (d, Some(hp))
        }
    };
    let hpp = hp.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    hret(unsafe { libc::syscall(libc::SYS_utimensat, d, hpp, tsp, flags) })
}

fn ts(sec: i64, nsec: i64) -> libc::timespec {
    libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    }
}

pub fn sys_utime(p: &mut Task, pathname: u32, times: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let t = if times == 0 {
        None
    } else {
        let u: Utimbuf = p.read_struct(times)?;
        Some([ts(u.actime as i64, 0), ts(u.modtime as i64, 0)])
    };
    do_utimens(p, at::FDCWD, Some(&gp), t, 0)
}

fn read_timevals(p: &mut Task, times: u32) -> Result<Option<[libc::timespec; 2]>, Errno> {
    if times == 0 {
        return Ok(None);
    }
    let tv: [Timeval32; 2] = p.read_struct(times)?;
    for t in &tv {
        if t.tv_usec < 0 || t.tv_usec > 999_999 {
            return Err(Errno::EINVAL);
        }
    }
    Ok(Some([
        ts(tv[0].tv_sec as i64, tv[0].tv_usec as i64 * 1000),
        ts(tv[1].tv_sec as i64, tv[1].tv_usec as i64 * 1000),
    ]))
}

pub fn sys_utimes(p: &mut Task, pathname: u32, times: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let t = read_timevals(p, times)?;
    do_utimens(p, at::FDCWD, Some(&gp), t, 0)
}

pub fn sys_futimesat(p: &mut Task, dirfd: u32, pathname: u32, times: u32) -> SysResult {
    let gp = if pathname == 0 {
        None
    } else {
        Some(p.read_path(pathname)?)
    };
    let t = read_timevals(p, times)?;
    do_utimens(p, dirfd, gp.as_deref(), t, 0)
}

fn utimensat_common(
    p: &mut Task,
    dirfd: u32,
    pathname: u32,
    t: Option<[libc::timespec; 2]>,
    flags: u32,
) -> SysResult {
    let gp = if pathname == 0 {
        None
    } else {
        Some(path::read_path_at(p, pathname, flags)?)
    };
    do_utimens(p, dirfd, gp.as_deref(), t, flags)
}

/// The two timespecs of utimensat (32-bit or time64), None for a null
/// pointer.
fn read_utimens(
    p: &mut Task,
    times: u32,
    wide: bool,
) -> Result<Option<[libc::timespec; 2]>, Errno> {
    if times == 0 {
        return Ok(None);
    }
    let size = if wide {
        std::mem::size_of::<Timespec64>()
    } else {
        std::mem::size_of::<Timespec32>()
    } as u32;
    let a = super::time::get_ts(p, times, wide)?;
    let b = super::time::get_ts(p, times.wrapping_add(size), wide)?;
    Ok(Some([a, b]))
}

pub fn sys_utimensat(p: &mut Task, dirfd: u32, pathname: u32, times: u32, flags: u32) -> SysResult {
    let t = read_utimens(p, times, false)?;
    utimensat_common(p, dirfd, pathname, t, flags)
}

pub fn sys_utimensat_time64(
    p: &mut Task,
    dirfd: u32,
    pathname: u32,
    times: u32,
    flags: u32,
) -> SysResult {
    let t = read_utimens(p, times, true)?;
    utimensat_common(p, dirfd, pathname, t, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_host_dirents() {
        // Build two linux_dirent64 records.
        let mut b = Vec::new();
        for (ino, off, name) in [(5u64, 1i64, &b"."[..]), (7, 2, b"file")] {
            let reclen = afs::dirent64_reclen(name.len());
            let start = b.len();
            b.resize(start + reclen, 0);
            b[start..start + 8].copy_from_slice(&ino.to_ne_bytes());
            b[start + 8..start + 16].copy_from_slice(&off.to_ne_bytes());
            b[start + 16..start + 18].copy_from_slice(&(reclen as u16).to_ne_bytes());
            b[start + 18] = 4;
            b[start + 19..start + 19 + name.len()].copy_from_slice(name);
        }
        let v = parse_dirents(&b);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].name, b"file");
        assert_eq!(v[1].ino, 7);
        assert_eq!(v[1].off, 2);
        assert_eq!(v[0].ty, 4);
    }

    #[test]
    fn dirpos_plain_passes() {
        assert_eq!(dirpos_to_guest(super::super::fs::DirPos::Plain, 77), 77);
    }
}
