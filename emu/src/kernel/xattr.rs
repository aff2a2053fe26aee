//! Extended attributes: set/get/list/removexattr and their l- and f-
//! forms (fs/xattr.c), on the host file the guest path or descriptor
//! names. coreutils' `ls -l` asks for ACLs and SELinux labels through them.
//!
//! Limits as Linux's: a name is 1 to XATTR_NAME_MAX bytes (ERANGE
//! otherwise), a value set is at most XATTR_SIZE_MAX (E2BIG), and a get or
//! list buffer larger than XATTR_SIZE_MAX / XATTR_LIST_MAX is clamped to
//! it, so no guest size drives a larger host allocation.

use std::ffi::CString;

use super::abi::errno::Errno;
use super::abi::fs::at;
use super::fs::hres;
use super::path::{self, Intent};
use super::syscall::SysResult;
use super::task::Task;

/// linux/limits.h.
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: u32 = 65536;
const XATTR_LIST_MAX: u32 = 65536;
/// Guest setxattr flags (linux/xattr.h).
const XATTR_CREATE: u32 = 1;
const XATTR_REPLACE: u32 = 2;

/// What the call names: a host path (following the last link or not) or
/// a host descriptor.
enum Target {
    Path(CString, bool),
    Fd(i32),
}

fn path_target(p: &mut Task, path: u32, follow: bool) -> Result<Target, Errno> {
    let gp = p.read_path(path)?;
    let intent = if follow {
        Intent::Follow
    } else {
        Intent::NoFollow
    };
    let (d, hp) = path::resolve_at(p, at::FDCWD, &gp, intent)?;
    if d != libc::AT_FDCWD {
        return Err(Errno::EINVAL);
    }
    Ok(Target::Path(hp, follow))
}

fn fd_target(p: &Task, fd: u32) -> Result<Target, Errno> {
    Ok(Target::Fd(p.files().host(fd)?))
}

/// strncpy_from_user of the attribute name, checked as Linux does.
fn read_name(p: &mut Task, name: u32) -> Result<CString, Errno> {
    let n = p.read_cstr(name, XATTR_NAME_MAX + 1).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    if n.is_empty() || n.len() > XATTR_NAME_MAX {
        return Err(Errno::ERANGE);
    }
    CString::new(n).map_err(|_| Errno::ERANGE)
}

fn setx(p: &mut Task, t: Target, name: u32, value: u32, size: u32, flags: u32) -> SysResult {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(p, name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut v = vec![0u8; size as usize];
    if size > 0 {
        p.read_user(value, &mut v)?;
    }
    let mut hf = 0;
    if flags & XATTR_CREATE != 0 {
        hf |= libc::XATTR_CREATE;
    }
    if flags & XATTR_REPLACE != 0 {
        hf |= libc::XATTR_REPLACE;
    }
    let vp = v.as_ptr() as *const libc::c_void;
    let r = match &t {
        Target::Path(hp, true) => unsafe {
            libc::setxattr(hp.as_ptr(), name.as_ptr(), vp, v.len(), hf)
        },
        Target::Path(hp, false) => unsafe {
            libc::lsetxattr(hp.as_ptr(), name.as_ptr(), vp, v.len(), hf)
        },
        Target::Fd(h) => unsafe { libc::fsetxattr(*h, name.as_ptr(), vp, v.len(), hf) },
    };
    hres(r as i64).map(|v| v as u32)
}

fn getx(p: &mut Task, t: Target, name: u32, value: u32, size: u32) -> SysResult {
    let name = read_name(p, name)?;
    let size = size.min(XATTR_SIZE_MAX);
    let mut v = vec![0u8; size as usize];
    let vp = v.as_mut_ptr() as *mut libc::c_void;
    let r = match &t {
        Target::Path(hp, true) => unsafe {
            libc::getxattr(hp.as_ptr(), name.as_ptr(), vp, v.len())
        },
        Target::Path(hp, false) => unsafe {
            libc::lgetxattr(hp.as_ptr(), name.as_ptr(), vp, v.len())
        },
        Target::Fd(h) => unsafe { libc::fgetxattr(*h, name.as_ptr(), vp, v.len()) },
    };
    let n = hres(r as i64)? as usize;
    if size > 0 {
        p.write_user(value, &v[..n.min(v.len())])?;
    }
    Ok(n as u32)
}

fn listx(p: &mut Task, t: Target, list: u32, size: u32) -> SysResult {
    let size = size.min(XATTR_LIST_MAX);
    let mut v = vec![0u8; size as usize];
    let vp = v.as_mut_ptr() as *mut libc::c_char;
    let r = match &t {
        Target::Path(hp, true) => unsafe { libc::listxattr(hp.as_ptr(), vp, v.len()) },
        Target::Path(hp, false) => unsafe { libc::llistxattr(hp.as_ptr(), vp, v.len()) },
        Target::Fd(h) => unsafe { libc::flistxattr(*h, vp, v.len()) },
    };
    let n = hres(r as i64)? as usize;
    if size > 0 {
        p.write_user(list, &v[..n.min(v.len())])?;
    }
    Ok(n as u32)
}

fn removex(p: &mut Task, t: Target, name: u32) -> SysResult {
    let name = read_name(p, name)?;
    let r = match &t {
        Target::Path(hp, true) => unsafe { libc::removexattr(hp.as_ptr(), name.as_ptr()) },
        Target::Path(hp, false) => unsafe { libc::lremovexattr(hp.as_ptr(), name.as_ptr()) },
        Target::Fd(h) => unsafe { libc::fremovexattr(*h, name.as_ptr()) },
    };
    hres(r as i64).map(|v| v as u32)
}

pub fn sys_setxattr(
    p: &mut Task,
    path: u32,
    name: u32,
    value: u32,
    size: u32,
    flags: u32,
) -> SysResult {
    let t = path_target(p, path, true)?;
    setx(p, t, name, value, size, flags)
}

pub fn sys_lsetxattr(
    p: &mut Task,
    path: u32,
    name: u32,
    value: u32,
    size: u32,
    flags: u32,
) -> SysResult {
    let t = path_target(p, path, false)?;
    setx(p, t, name, value, size, flags)
}

pub fn sys_fsetxattr(
    p: &mut Task,
    fd: u32,
    name: u32,
    value: u32,
    size: u32,
    flags: u32,
) -> SysResult {
    let t = fd_target(p, fd)?;
    setx(p, t, name, value, size, flags)
}

pub fn sys_getxattr(p: &mut Task, path: u32, name: u32, value: u32, size: u32) -> SysResult {
    let t = path_target(p, path, true)?;
    getx(p, t, name, value, size)
}

pub fn sys_lgetxattr(p: &mut Task, path: u32, name: u32, value: u32, size: u32) -> SysResult {
    let t = path_target(p, path, false)?;
    getx(p, t, name, value, size)
}

pub fn sys_fgetxattr(p: &mut Task, fd: u32, name: u32, value: u32, size: u32) -> SysResult {
    let t = fd_target(p, fd)?;
    getx(p, t, name, value, size)
}

pub fn sys_listxattr(p: &mut Task, path: u32, list: u32, size: u32) -> SysResult {
    let t = path_target(p, path, true)?;
    listx(p, t, list, size)
}

pub fn sys_llistxattr(p: &mut Task, path: u32, list: u32, size: u32) -> SysResult {
    let t = path_target(p, path, false)?;
    listx(p, t, list, size)
}

pub fn sys_flistxattr(p: &mut Task, fd: u32, list: u32, size: u32) -> SysResult {
    let t = fd_target(p, fd)?;
    listx(p, t, list, size)
}

pub fn sys_removexattr(p: &mut Task, path: u32, name: u32) -> SysResult {
    let t = path_target(p, path, true)?;
    removex(p, t, name)
}

pub fn sys_lremovexattr(p: &mut Task, path: u32, name: u32) -> SysResult {
    let t = path_target(p, path, false)?;
    removex(p, t, name)
}

pub fn sys_fremovexattr(p: &mut Task, fd: u32, name: u32) -> SysResult {
    let t = fd_target(p, fd)?;
    removex(p, t, name)
}
