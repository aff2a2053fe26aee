//! The stat family: stat64/lstat64/fstat64/fstatat64, statx, the old
//! `struct stat` and `__old_kernel_stat` calls, statfs/fstatfs and the
//! statfs64 pair, with the i386 layouts and the EOVERFLOW rules of
//! x86_64's ia32 compat layer (which is what i386 programs get natively on
//! this host).

use super::abi::errno::Errno;
use super::abi::fs::{self as afs, at, OldStat, Stat, Stat64, Statfs, Statfs64};
use super::fs::{hres, hret};
use super::path::{self, Intent};
use super::syscall::SysResult;
use super::task::Task;

/// Host fstatat with guest-resolved arguments.
fn host_fstatat(p: &Task, dirfd: u32, gpath: &[u8], flags: u32) -> Result<libc::stat, Errno> {
    let intent = Intent::from_at_flags(flags);
    let (dfd, hp) = path::resolve_at(p, dirfd, gpath, intent)?;
    let mut hflags = 0;
    if flags & at::SYMLINK_NOFOLLOW != 0 {
        hflags |= libc::AT_SYMLINK_NOFOLLOW;
    }
    if flags & at::NO_AUTOMOUNT != 0 {
        hflags |= libc::AT_NO_AUTOMOUNT;
    }
    if flags & at::EMPTY_PATH != 0 {
        hflags |= libc::AT_EMPTY_PATH;
        if gpath.is_empty() {
            if let Some(hp) = proc_stat_path(p, dirfd) {
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                hres(unsafe { libc::stat(hp.as_ptr(), &mut st) } as i64)?;
                return Ok(st);
            }
        }
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            dfd,
            hp.as_ptr(),
            &mut st as *mut libc::stat,
            hflags,
        )
    };
    hres(r)?;
    Ok(st)
}

fn host_fstat(p: &Task, fd: u32) -> Result<libc::stat, Errno> {
    let h = p.files().host(fd)?;
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    match proc_stat_path(p, fd) {
        Some(hp) => hres(unsafe { libc::stat(hp.as_ptr(), &mut st) } as i64)?,
        None => hres(unsafe { libc::fstat(h, &mut st) } as i64)?,
    };
    Ok(st)
}

/// For a guest fd holding an emulated /proc file (a memfd on the host), the
/// host /proc file whose metadata the guest's fstat should see.
fn proc_stat_path(p: &Task, fd: u32) -> Option<std::ffi::CString> {
    let f = p.files();
    let e = f.get(fd).ok()?;
    if e.proc_mem.is_some() {
        return Some(c"/proc/self/mem".to_owned());
    }
    e.proc_gen.map(|g| g.host_path())
}

/// cp_stat64 (arch/x86/kernel/sys_ia32.c): every field is stored, the
/// padding is left as the guest had it.
pub fn put_stat64(p: &mut Task, buf: u32, st: &libc::stat) -> SysResult {
    let mut g: Stat64 = p.read_struct(buf)?;
    g.st_dev = st.st_dev;
    g.st_ino_lo = st.st_ino as u32;
    g.st_ino = st.st_ino;
    g.st_mode = st.st_mode;
    g.st_nlink = st.st_nlink as u32;
    g.st_uid = st.st_uid;
    g.st_gid = st.st_gid;
    g.st_rdev = st.st_rdev;
    g.st_size = st.st_size;
    g.st_atime = st.st_atime as u32;
    g.st_atime_nsec = st.st_atime_nsec as u32;
    g.st_mtime = st.st_mtime as u32;
    g.st_mtime_nsec = st.st_mtime_nsec as u32;
    g.st_ctime = st.st_ctime as u32;
    g.st_ctime_nsec = st.st_ctime_nsec as u32;
    g.st_blksize = st.st_blksize as u32;
    g.st_blocks = st.st_blocks as u64;
    p.write_struct(buf, &g)?;
    Ok(0)
}

/// cp_compat_stat: the i386 `struct stat`, with EOVERFLOW for an inode,
/// link count or size that does not fit.
pub fn to_stat(st: &libc::stat) -> Result<Stat, Errno> {
    if st.st_ino > u32::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    if st.st_nlink > u16::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    if st.st_size as u64 > afs::MAX_NON_LFS as u64 {
        return Err(Errno::EOVERFLOW);
    }
    Ok(Stat {
        st_dev: st.st_dev as u32,
        st_ino: st.st_ino as u32,
        st_mode: st.st_mode as u16,
        st_nlink: st.st_nlink as u16,
        st_uid: afs::high2low(st.st_uid),
        st_gid: afs::high2low(st.st_gid),
        st_rdev: st.st_rdev as u32,
        st_size: st.st_size as u32,
        st_blksize: st.st_blksize as u32,
        st_blocks: st.st_blocks as u32,
        st_atime: st.st_atime as u32,
        st_atime_nsec: st.st_atime_nsec as u32,
        st_mtime: st.st_mtime as u32,
        st_mtime_nsec: st.st_mtime_nsec as u32,
        st_ctime: st.st_ctime as u32,
        st_ctime_nsec: st.st_ctime_nsec as u32,
        unused4: 0,
        unused5: 0,
    })
}

fn major(dev: u64) -> u32 {
    ((dev >> 8) & 0xfff) as u32 | ((dev >> 32) & !0xfff) as u32
}

fn minor(dev: u64) -> u32 {
    (dev & 0xff) as u32 | ((dev >> 12) & !0xff) as u32
}

/// old_encode_dev: 8-bit major and minor.
fn old_encode_dev(dev: u64) -> u16 {
    ((major(dev) << 8) | (minor(dev) & 0xff)) as u16
}

/// cp_old_stat as a 64-bit kernel runs it (no size check).
pub fn to_old_stat(st: &libc::stat) -> Result<OldStat, Errno> {
    if st.st_ino > u16::MAX as u64 || st.st_nlink > u16::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    Ok(OldStat {
        st_dev: old_encode_dev(st.st_dev),
        st_ino: st.st_ino as u16,
        st_mode: st.st_mode as u16,
        st_nlink: st.st_nlink as u16,
        st_uid: afs::high2low(st.st_uid),
        st_gid: afs::high2low(st.st_gid),
        st_rdev: old_encode_dev(st.st_rdev),
        pad: 0,
        st_size: st.st_size as u32,
        st_atime: st.st_atime as u32,
        st_mtime: st.st_mtime as u32,
        st_ctime: st.st_ctime as u32,
    })
}

// --- stat64 -----------------------------------------------------------------

pub fn sys_stat64(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, 0)?;
    put_stat64(p, buf, &st)
}

pub fn sys_lstat64(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, at::SYMLINK_NOFOLLOW)?;
    put_stat64(p, buf, &st)
}

pub fn sys_fstat64(p: &mut Task, fd: u32, buf: u32) -> SysResult {
    let st = host_fstat(p, fd)?;
    put_stat64(p, buf, &st)
}

pub fn sys_fstatat64(p: &mut Task, dirfd: u32, pathname: u32, buf: u32, flags: u32) -> SysResult {
    if flags & !(at::SYMLINK_NOFOLLOW | at::NO_AUTOMOUNT | at::EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let gp = path::read_path_at(p, pathname, flags)?;
    let st = host_fstatat(p, dirfd, &gp, flags)?;
    put_stat64(p, buf, &st)
}

// --- struct stat --------------------------------------------------------------

fn put_stat(p: &mut Task, buf: u32, st: &libc::stat) -> SysResult {
    let g = to_stat(st)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

pub fn sys_stat(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, 0)?;
    put_stat(p, buf, &st)
}

pub fn sys_lstat(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, at::SYMLINK_NOFOLLOW)?;
    put_stat(p, buf, &st)
}

pub fn sys_fstat(p: &mut Task, fd: u32, buf: u32) -> SysResult {
    let st = host_fstat(p, fd)?;
    put_stat(p, buf, &st)
}

fn put_old_stat(p: &mut Task, buf: u32, st: &libc::stat) -> SysResult {
    let g = to_old_stat(st)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

pub fn sys_oldstat(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, 0)?;
    put_old_stat(p, buf, &st)
}

pub fn sys_oldlstat(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let gp = p.read_path(pathname)?;
    let st = host_fstatat(p, at::FDCWD, &gp, at::SYMLINK_NOFOLLOW)?;
    put_old_stat(p, buf, &st)
}

pub fn sys_oldfstat(p: &mut Task, fd: u32, buf: u32) -> SysResult {
    let st = host_fstat(p, fd)?;
    put_old_stat(p, buf, &st)
}

// --- statx --------------------------------------------------------------------

pub fn sys_statx(
    p: &mut Task,
    dirfd: u32,
    pathname: u32,
    flags: u32,
    mask: u32,
    buf: u32,
) -> SysResult {
    // statx(fd, NULL, AT_EMPTY_PATH) is allowed (Linux 6.11).
    let gp = if pathname == 0 && flags & at::EMPTY_PATH != 0 {
        Vec::new()
    } else {
        path::read_path_at(p, pathname, flags)?
    };
    let intent = Intent::from_at_flags(flags);
    let mut flags = flags;
    let (dfd, hp) = if gp.is_empty() {
        let h = path::host_dirfd(p, dirfd)?;
        match proc_stat_path(p, dirfd).filter(|_| flags & at::EMPTY_PATH != 0) {
            Some(hp) => {
                flags &= !at::EMPTY_PATH;
                (libc::AT_FDCWD, hp)
            }
            None => (h, std::ffi::CString::default()),
        }
    } else {
        path::resolve_at(p, dirfd, &gp, intent)?
    };
    // The AT_* flag values are the same on the host.
    let mut out = [0u8; afs::STATX_SIZE];
    let r = unsafe {
        libc::syscall(
            libc::SYS_statx,
            dfd,
            hp.as_ptr(),
            flags as i32,
            mask,
            out.as_mut_ptr(),
        )
    };
    hres(r)?;
    p.write_user(buf, &out)?;
    Ok(0)
}

// --- statfs ---------------------------------------------------------------------

/// The x86_64 kernel's `struct statfs` (the host's libc hides f_flags).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct HostStatfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}
const _: () = assert!(std::mem::size_of::<HostStatfs>() == 120);

fn fsid(sf: &HostStatfs) -> [i32; 2] {
    sf.f_fsid
}

/// put_compat_statfs.
pub fn to_statfs(sf: &HostStatfs) -> Result<Statfs, Errno> {
    let hi = |v: u64| v & 0xffff_ffff_0000_0000 != 0;
    if hi(sf.f_blocks | sf.f_bfree | sf.f_bavail | sf.f_bsize as u64 | sf.f_frsize as u64) {
        return Err(Errno::EOVERFLOW);
    }
    if sf.f_files != u64::MAX && hi(sf.f_files) {
        return Err(Errno::EOVERFLOW);
    }
    if sf.f_ffree != u64::MAX && hi(sf.f_ffree) {
        return Err(Errno::EOVERFLOW);
    }
    Ok(Statfs {
        f_type: sf.f_type as u32,
        f_bsize: sf.f_bsize as u32,
        f_blocks: sf.f_blocks as u32,
        f_bfree: sf.f_bfree as u32,
        f_bavail: sf.f_bavail as u32,
        f_files: sf.f_files as u32,
        f_ffree: sf.f_ffree as u32,
        f_fsid: fsid(sf),
        f_namelen: sf.f_namelen as u32,
        f_frsize: sf.f_frsize as u32,
        f_flags: sf.f_flags as u32,
        f_spare: [0; 4],
    })
}

/// put_compat_statfs64.
pub fn to_statfs64(sf: &HostStatfs) -> Result<Statfs64, Errno> {
    if (sf.f_bsize as u64 | sf.f_frsize as u64) & 0xffff_ffff_0000_0000 != 0 {
        return Err(Errno::EOVERFLOW);
    }
    Ok(Statfs64 {
        f_type: sf.f_type as u32,
        f_bsize: sf.f_bsize as u32,
        f_blocks: sf.f_blocks,
        f_bfree: sf.f_bfree,
        f_bavail: sf.f_bavail,
        f_files: sf.f_files,
        f_ffree: sf.f_ffree,
        f_fsid: fsid(sf),
        f_namelen: sf.f_namelen as u32,
        f_frsize: sf.f_frsize as u32,
        f_flags: sf.f_flags as u32,
        f_spare: [0; 4],
    })
}

fn host_statfs(p: &mut Task, pathname: u32) -> Result<HostStatfs, Errno> {
    let gp = p.read_path(pathname)?;
    let (_, hp) = path::resolve_at(p, at::FDCWD, &gp, Intent::Follow)?;
    let mut sf = HostStatfs::default();
    hres(unsafe { libc::syscall(libc::SYS_statfs, hp.as_ptr(), &mut sf as *mut HostStatfs) })?;
    Ok(sf)
}

fn host_fstatfs(p: &Task, fd: u32) -> Result<HostStatfs, Errno> {
    let h = p.files().host(fd)?;
    let mut sf = HostStatfs::default();
    hres(unsafe { libc::syscall(libc::SYS_fstatfs, h, &mut sf as *mut HostStatfs) })?;
    Ok(sf)
}

pub fn sys_statfs(p: &mut Task, pathname: u32, buf: u32) -> SysResult {
    let sf = host_statfs(p, pathname)?;
    let g = to_statfs(&sf)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

pub fn sys_fstatfs(p: &mut Task, fd: u32, buf: u32) -> SysResult {
    let sf = host_fstatfs(p, fd)?;
    let g = to_statfs(&sf)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

pub fn sys_statfs64(p: &mut Task, pathname: u32, sz: u32, buf: u32) -> SysResult {
    if sz as usize != std::mem::size_of::<Statfs64>() {
        return Err(Errno::EINVAL);
    }
    let sf = host_statfs(p, pathname)?;
    let g = to_statfs64(&sf)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

pub fn sys_fstatfs64(p: &mut Task, fd: u32, sz: u32, buf: u32) -> SysResult {
    if sz as usize != std::mem::size_of::<Statfs64>() {
        return Err(Errno::EINVAL);
    }
    let sf = host_fstatfs(p, fd)?;
    let g = to_statfs64(&sf)?;
    p.write_struct(buf, &g)?;
    Ok(0)
}

/// ustat(2) is gone from the host's x86_64 table? It still exists; pass
/// the 32-bit dev through. (struct ustat: i32 f_tfree, u32 f_tinode,
/// char f_fname\[6\], char f_fpack\[6\] -> 20 bytes on i386.)
pub fn sys_ustat(p: &mut Task, dev: u32, ubuf: u32) -> SysResult {
    let mut out = [0u8; 32];
    let r = unsafe { libc::syscall(libc::SYS_ustat, dev, out.as_mut_ptr()) };
    hret(r)?;
    // Host: i32 f_tfree(4) pad(4) u64 f_tinode(8) f_fname[6] f_fpack[6].
    let mut g = [0u8; 20];
    g[0..4].copy_from_slice(&out[0..4]);
    g[4..8].copy_from_slice(&out[8..12]);
    g[8..20].copy_from_slice(&out[16..28]);
    p.write_user(ubuf, &g)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st() -> libc::stat {
        let mut s: libc::stat = unsafe { std::mem::zeroed() };
        s.st_dev = 0x801;
        s.st_ino = 12345;
        s.st_mode = 0o100644;
        s.st_nlink = 1;
        s.st_uid = 1000;
        s.st_gid = 70000;
        s.st_size = 4096;
        s.st_blksize = 4096;
        s.st_blocks = 8;
        s.st_mtime = 1_700_000_000;
        s.st_mtime_nsec = 5;
        s
    }

    #[test]
    fn stat_translation() {
        let g = to_stat(&st()).unwrap();
        assert_eq!(g.st_gid, 65534);
        assert_eq!(g.st_uid, 1000);
        assert_eq!(g.st_mode, 0o100644);
        assert_eq!(g.st_size, 4096);
        assert_eq!(g.st_mtime_nsec, 5);
        let mut big = st();
        big.st_size = 1 << 31;
        assert_eq!(to_stat(&big).unwrap_err(), Errno::EOVERFLOW);
        big = st();
        big.st_ino = 1 << 32;
        assert_eq!(to_stat(&big).unwrap_err(), Errno::EOVERFLOW);
        let o = to_old_stat(&st()).unwrap();
        assert_eq!(o.st_dev, 0x801);
        assert_eq!(o.st_ino, 12345);
        big = st();
        big.st_ino = 70000;
        assert_eq!(to_old_stat(&big).unwrap_err(), Errno::EOVERFLOW);
    }

    #[test]
    fn dev_numbers() {
        // new_encode_dev(major 259, minor 0x12345).
        let dev: u64 = 0x45 | (259 << 8) | (0x123 << 20);
        assert_eq!(major(dev), 259);
        assert_eq!(minor(dev), 0x12345);
    }

    #[test]
    fn statfs_overflow() {
        let mut sf = HostStatfs {
            f_blocks: 100,
            f_files: u64::MAX,
            f_bsize: 4096,
            ..Default::default()
        };
        assert!(to_statfs(&sf).is_ok());
        sf.f_blocks = 1 << 33;
        assert_eq!(to_statfs(&sf).unwrap_err(), Errno::EOVERFLOW);
        let b = { to_statfs64(&sf).unwrap().f_blocks };
        assert_eq!(b, 1 << 33);
    }
}
