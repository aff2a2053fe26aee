//! File-system ABI of i386 Linux: open flags, *at flags, fcntl commands and
//! the structs of the stat, statfs, dirent, flock, iovec and time families,
//! laid out exactly as the i386 kernel (and x86_64's ia32 compat layer)
//! reads and writes them.

use bytemuck::{Pod, Zeroable};

/// `open` flags (asm-generic/fcntl.h, which x86 uses unchanged).
pub mod o {
    pub const ACCMODE: u32 = 0o3;
    pub const RDONLY: u32 = 0o0;
    pub const WRONLY: u32 = 0o1;
    pub const RDWR: u32 = 0o2;
    pub const CREAT: u32 = 0o100;
    pub const EXCL: u32 = 0o200;
    pub const NOCTTY: u32 = 0o400;
    pub const TRUNC: u32 = 0o1000;
    pub const APPEND: u32 = 0o2000;
    pub const NONBLOCK: u32 = 0o4000;
    pub const DSYNC: u32 = 0o10000;
    pub const ASYNC: u32 = 0o20000;
    pub const DIRECT: u32 = 0o40000;
    /// 0x8000: meaningful on i386 (files over 2 GiB), forced on 64-bit.
    pub const LARGEFILE: u32 = 0o100000;
    pub const DIRECTORY: u32 = 0o200000;
    pub const NOFOLLOW: u32 = 0o400000;
    pub const NOATIME: u32 = 0o1000000;
    pub const CLOEXEC: u32 = 0o2000000;
    pub const SYNC: u32 = 0o4000000 | DSYNC;
    pub const PATH: u32 = 0o10000000;
    pub const TMPFILE: u32 = 0o20000000 | DIRECTORY;
    /// Every flag open(2) accepts (VALID_OPEN_FLAGS); others are ignored.
    pub const VALID: u32 = ACCMODE
        | CREAT
        | EXCL
        | NOCTTY
        | TRUNC
        | APPEND
        | NONBLOCK
        | DSYNC
        | ASYNC
        | DIRECT
        | LARGEFILE
        | DIRECTORY
        | NOFOLLOW
        | NOATIME
        | CLOEXEC
        | SYNC
        | PATH
        | TMPFILE;
}

/// Guest open/status flag bits and their host values, both ways. (The
/// guest's O_LARGEFILE is 0o100000; the 64-bit host has no such bit, but
/// Linux reports it back in F_GETFL, so it is carried at the same value.)
const OPEN_FLAGS: [(u32, i32); 16] = [
    (o::CREAT, libc::O_CREAT),
    (o::EXCL, libc::O_EXCL),
    (o::NOCTTY, libc::O_NOCTTY),
    (o::TRUNC, libc::O_TRUNC),
    (o::APPEND, libc::O_APPEND),
    (o::NONBLOCK, libc::O_NONBLOCK),
    (o::DSYNC, libc::O_DSYNC),
    (o::ASYNC, libc::O_ASYNC),
    (o::DIRECT, libc::O_DIRECT),
    (o::LARGEFILE, 0o100000),
    (o::DIRECTORY, libc::O_DIRECTORY),
    (o::NOFOLLOW, libc::O_NOFOLLOW),
    (o::NOATIME, libc::O_NOATIME),
    (o::CLOEXEC, libc::O_CLOEXEC),
    (o::SYNC & !o::DSYNC, libc::O_SYNC & !libc::O_DSYNC),
    (o::PATH, libc::O_PATH),
];

/// Translate guest open flags to the host's, bit by bit.
pub fn open_flags_to_host(g: u32) -> i32 {
    let mut h = match g & o::ACCMODE {
        o::RDONLY => libc::O_RDONLY,
        o::WRONLY => libc::O_WRONLY,
        o::RDWR => libc::O_RDWR,
        _ => 3, // accepted by the kernel (ioctl-only access)
    };
    // O_TMPFILE's own bit (it includes O_DIRECTORY) only goes to the host.
    let tmpfile = (
        o::TMPFILE & !o::DIRECTORY,
        libc::O_TMPFILE & !libc::O_DIRECTORY,
    );
    for (gb, hb) in OPEN_FLAGS.into_iter().chain([tmpfile]) {
        if g & gb != 0 {
            h |= hb;
        }
    }
    h
}

/// Translate host file status flags (F_GETFL) to the guest's.
pub fn open_flags_from_host(h: i32) -> u32 {
    let mut g = (h & libc::O_ACCMODE) as u32;
    for (gb, hb) in OPEN_FLAGS {
        if h & hb != 0 {
            g |= gb;
        }
    }
    g
}

/// `*at` flags and the special directory fd.
pub mod at {
    /// AT_FDCWD as the guest passes it (-100).
    pub const FDCWD: u32 = -100i32 as u32;
    pub const SYMLINK_NOFOLLOW: u32 = 0x100;
    pub const EACCESS: u32 = 0x200;
    pub const REMOVEDIR: u32 = 0x200;
    pub const SYMLINK_FOLLOW: u32 = 0x400;
    pub const NO_AUTOMOUNT: u32 = 0x800;
    pub const EMPTY_PATH: u32 = 0x1000;
    pub const STATX_SYNC_TYPE: u32 = 0x6000;
    /// renameat2 flags.
    pub const RENAME_NOREPLACE: u32 = 1;
    pub const RENAME_EXCHANGE: u32 = 2;
    pub const RENAME_WHITEOUT: u32 = 4;
}

/// fcntl commands (asm-generic/fcntl.h; the 64-bit lock commands are the
/// i386 numbers 12..14).
pub mod f {
    pub const DUPFD: u32 = 0;
    pub const GETFD: u32 = 1;
    pub const SETFD: u32 = 2;
    pub const GETFL: u32 = 3;
    pub const SETFL: u32 = 4;
    pub const GETLK: u32 = 5;
    pub const SETLK: u32 = 6;
    pub const SETLKW: u32 = 7;
    pub const SETOWN: u32 = 8;
    pub const GETOWN: u32 = 9;
    pub const SETSIG: u32 = 10;
    pub const GETSIG: u32 = 11;
    pub const GETLK64: u32 = 12;
    pub const SETLK64: u32 = 13;
    pub const SETLKW64: u32 = 14;
    pub const SETOWN_EX: u32 = 15;
    pub const GETOWN_EX: u32 = 16;
    pub const GETOWNER_UIDS: u32 = 17;
    pub const OFD_GETLK: u32 = 36;
    pub const OFD_SETLK: u32 = 37;
    pub const OFD_SETLKW: u32 = 38;
    pub const SETLEASE: u32 = 1024;
    pub const GETLEASE: u32 = 1025;
    pub const NOTIFY: u32 = 1026;
    pub const DUPFD_QUERY: u32 = 1027;
    pub const CANCELLK: u32 = 1029;
    pub const DUPFD_CLOEXEC: u32 = 1030;
    pub const SETPIPE_SZ: u32 = 1031;
    pub const GETPIPE_SZ: u32 = 1032;
    pub const ADD_SEALS: u32 = 1033;
    pub const GET_SEALS: u32 = 1034;
    pub const GET_RW_HINT: u32 = 1035;
    pub const SET_RW_HINT: u32 = 1036;
    pub const GET_FILE_RW_HINT: u32 = 1037;
    pub const SET_FILE_RW_HINT: u32 = 1038;
    /// FD_CLOEXEC.
    pub const FD_CLOEXEC: u32 = 1;
    /// Lock types.
    pub const RDLCK: i16 = 0;
    pub const WRLCK: i16 = 1;
    pub const UNLCK: i16 = 2;
}

/// File status flags F_SETFL may change (SETFL_MASK).
pub const SETFL_MASK: u32 = o::APPEND | o::NONBLOCK | o::DIRECT | o::NOATIME | o::ASYNC;

/// `struct stat64` (arch/x86/include/uapi/asm/stat.h), packed, 96 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Stat64 {
    pub st_dev: u64,
    pub pad0: [u8; 4],
    pub st_ino_lo: u32,
    pub st_mode: u32,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub pad3: [u8; 4],
    pub st_size: i64,
    pub st_blksize: u32,
    pub st_blocks: u64,
    pub st_atime: u32,
    pub st_atime_nsec: u32,
    pub st_mtime: u32,
    pub st_mtime_nsec: u32,
    pub st_ctime: u32,
    pub st_ctime_nsec: u32,
    pub st_ino: u64,
}
const _: () = assert!(std::mem::size_of::<Stat64>() == 96);
const _: () = assert!(std::mem::offset_of!(Stat64, st_ino_lo) == 12);
const _: () = assert!(std::mem::offset_of!(Stat64, st_rdev) == 32);
const _: () = assert!(std::mem::offset_of!(Stat64, st_size) == 44);
const _: () = assert!(std::mem::offset_of!(Stat64, st_blocks) == 56);
const _: () = assert!(std::mem::offset_of!(Stat64, st_ino) == 88);

/// The i386 `struct stat` (compat_stat), 64 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Stat {
    pub st_dev: u32,
    pub st_ino: u32,
    pub st_mode: u16,
    pub st_nlink: u16,
    pub st_uid: u16,
    pub st_gid: u16,
    pub st_rdev: u32,
    pub st_size: u32,
    pub st_blksize: u32,
    pub st_blocks: u32,
    pub st_atime: u32,
    pub st_atime_nsec: u32,
    pub st_mtime: u32,
    pub st_mtime_nsec: u32,
    pub st_ctime: u32,
    pub st_ctime_nsec: u32,
    pub unused4: u32,
    pub unused5: u32,
}
const _: () = assert!(std::mem::size_of::<Stat>() == 64);
const _: () = assert!(std::mem::offset_of!(Stat, st_rdev) == 16);

/// `struct __old_kernel_stat`, 32 bytes (oldstat, oldfstat, oldlstat).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct OldStat {
    pub st_dev: u16,
    pub st_ino: u16,
    pub st_mode: u16,
    pub st_nlink: u16,
    pub st_uid: u16,
    pub st_gid: u16,
    pub st_rdev: u16,
    pub pad: u16,
    pub st_size: u32,
    pub st_atime: u32,
    pub st_mtime: u32,
    pub st_ctime: u32,
}
const _: () = assert!(std::mem::size_of::<OldStat>() == 32);

/// `struct statfs` (compat_statfs), 64 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Statfs {
    pub f_type: u32,
    pub f_bsize: u32,
    pub f_blocks: u32,
    pub f_bfree: u32,
    pub f_bavail: u32,
    pub f_files: u32,
    pub f_ffree: u32,
    pub f_fsid: [i32; 2],
    pub f_namelen: u32,
    pub f_frsize: u32,
    pub f_flags: u32,
    pub f_spare: [u32; 4],
}
const _: () = assert!(std::mem::size_of::<Statfs>() == 64);

/// `struct statfs64` (compat_statfs64, packed), 84 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Statfs64 {
    pub f_type: u32,
    pub f_bsize: u32,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: u32,
    pub f_frsize: u32,
    pub f_flags: u32,
    pub f_spare: [u32; 4],
}
const _: () = assert!(std::mem::size_of::<Statfs64>() == 84);
const _: () = assert!(std::mem::offset_of!(Statfs64, f_fsid) == 48);

/// `struct compat_flock` (fcntl F_GETLK/F_SETLK/F_SETLKW), 16 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub l_start: i32,
    pub l_len: i32,
    pub l_pid: i32,
}
const _: () = assert!(std::mem::size_of::<Flock>() == 16);

/// `struct compat_flock64` (packed on x86), 24 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Flock64 {
    pub l_type: i16,
    pub l_whence: i16,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
}
const _: () = assert!(std::mem::size_of::<Flock64>() == 24);
const _: () = assert!(std::mem::offset_of!(Flock64, l_len) == 12);

/// `struct iovec` (compat_iovec).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Iovec {
    pub base: u32,
    pub len: u32,
}
const _: () = assert!(std::mem::size_of::<Iovec>() == 8);

/// `struct old_timespec32`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Timespec32 {
    pub tv_sec: i32,
    pub tv_nsec: i32,
}
const _: () = assert!(std::mem::size_of::<Timespec32>() == 8);

/// `struct __kernel_timespec` (the time64 syscalls), 16 bytes, 4-aligned
/// on i386.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Timespec64 {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}
const _: () = assert!(std::mem::size_of::<Timespec64>() == 16);

/// `struct old_timeval32`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Timeval32 {
    pub tv_sec: i32,
    pub tv_usec: i32,
}
const _: () = assert!(std::mem::size_of::<Timeval32>() == 8);

/// `struct utimbuf` (utime).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Utimbuf {
    pub actime: i32,
    pub modtime: i32,
}

pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `struct compat_linux_dirent` header (getdents): d_ino, d_off, d_reclen,
/// then the name, a NUL and d_type in the record's last byte.
pub const DIRENT_NAME_OFF: usize = 10;
/// `struct linux_dirent64` header: d_ino, d_off, d_reclen, d_type, name.
pub const DIRENT64_NAME_OFF: usize = 19;

/// Record length of a `compat_linux_dirent` for a name of `namlen` bytes.
pub fn dirent_reclen(namlen: usize) -> usize {
    (DIRENT_NAME_OFF + namlen + 2 + 3) & !3
}

/// Record length of a `linux_dirent64` for a name of `namlen` bytes.
pub fn dirent64_reclen(namlen: usize) -> usize {
    (DIRENT64_NAME_OFF + namlen + 1 + 7) & !7
}

/// `struct old_linux_dirent` (readdir): d_ino, d_offset, d_namlen, d_name.
pub const OLD_DIRENT_NAME_OFF: usize = 10;

/// `struct epoll_event`: packed on x86 (12 bytes), as on x86_64.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C, packed)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}
const _: () = assert!(std::mem::size_of::<EpollEvent>() == 12);

/// epoll_ctl's operations and the epoll-only event bits (the others are
/// poll's).
pub mod epoll {
    pub const CTL_ADD: u32 = 1;
    pub const CTL_DEL: u32 = 2;
    pub const CTL_MOD: u32 = 3;
    pub const EXCLUSIVE: u32 = 1 << 28;
    pub const WAKEUP: u32 = 1 << 29;
    pub const ONESHOT: u32 = 1 << 30;
    pub const ET: u32 = 1 << 31;
}

/// `struct pollfd`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}
const _: () = assert!(std::mem::size_of::<PollFd>() == 8);

/// `struct sel_arg_struct` (old select, syscall 82).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct SelArg {
    pub n: u32,
    pub inp: u32,
    pub outp: u32,
    pub exp: u32,
    pub tvp: u32,
}

/// `struct open_how` (openat2).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct OpenHow {
    pub flags: u64,
    pub mode: u64,
    pub resolve: u64,
}
const _: () = assert!(std::mem::size_of::<OpenHow>() == 24);

/// Size of `struct statx` (arch-independent).
pub const STATX_SIZE: usize = 256;

/// `struct statx_timestamp`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub reserved: i32,
}
const _: () = assert!(std::mem::size_of::<StatxTimestamp>() == 16);

/// `struct statx` (include/uapi/linux/stat.h), the same on every arch.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub spare3: [u64; 12],
}
const _: () = assert!(std::mem::size_of::<Statx>() == STATX_SIZE);
const _: () = assert!(std::mem::offset_of!(Statx, stx_mode) == 28);
const _: () = assert!(std::mem::offset_of!(Statx, stx_size) == 40);
const _: () = assert!(std::mem::offset_of!(Statx, stx_atime) == 64);
const _: () = assert!(std::mem::offset_of!(Statx, stx_mnt_id) == 144);

/// statx's mask bits and attributes.
pub mod statx {
    pub const TYPE: u32 = 0x1;
    pub const MODE: u32 = 0x2;
    pub const NLINK: u32 = 0x4;
    pub const UID: u32 = 0x8;
    pub const GID: u32 = 0x10;
    pub const ATIME: u32 = 0x20;
    pub const MTIME: u32 = 0x40;
    pub const CTIME: u32 = 0x80;
    pub const INO: u32 = 0x100;
    pub const SIZE: u32 = 0x200;
    pub const BLOCKS: u32 = 0x400;
    pub const BASIC_STATS: u32 = 0x7ff;
    pub const BTIME: u32 = 0x800;
    pub const ALL: u32 = 0xfff;
    pub const MNT_ID: u32 = 0x1000;
    pub const DIOALIGN: u32 = 0x2000;
    pub const MNT_ID_UNIQUE: u32 = 0x4000;
    pub const SUBVOL: u32 = 0x8000;
    pub const WRITE_ATOMIC: u32 = 0x1_0000;
    pub const DIO_READ_ALIGN: u32 = 0x2_0000;

    pub const ATTR_COMPRESSED: u64 = 0x4;
    pub const ATTR_IMMUTABLE: u64 = 0x10;
    pub const ATTR_APPEND: u64 = 0x20;
    pub const ATTR_NODUMP: u64 = 0x40;
    pub const ATTR_ENCRYPTED: u64 = 0x800;
    pub const ATTR_AUTOMOUNT: u64 = 0x1000;
    pub const ATTR_MOUNT_ROOT: u64 = 0x2000;
    pub const ATTR_VERITY: u64 = 0x10_0000;
    pub const ATTR_DAX: u64 = 0x20_0000;
    pub const ATTR_WRITE_ATOMIC: u64 = 0x40_0000;
}

/// Mode bits.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// poll(2) event bits (asm-generic/poll.h, as on i386).
pub mod poll {
    pub const POLLIN: u32 = 0x0001;
    pub const POLLPRI: u32 = 0x0002;
    pub const POLLOUT: u32 = 0x0004;
    pub const POLLERR: u32 = 0x0008;
    pub const POLLHUP: u32 = 0x0010;
    pub const POLLNVAL: u32 = 0x0020;
    pub const POLLRDNORM: u32 = 0x0040;
    pub const POLLRDBAND: u32 = 0x0080;
    pub const POLLWRNORM: u32 = 0x0100;
    pub const POLLWRBAND: u32 = 0x0200;
    pub const POLLMSG: u32 = 0x0400;
    pub const POLLREMOVE: u32 = 0x1000;
    pub const POLLRDHUP: u32 = 0x2000;
}

/// Largest offset a non-O_LARGEFILE file may reach (MAX_NON_LFS).
pub const MAX_NON_LFS: i64 = 0x7fff_ffff;

/// Encode a device number as the kernel's `new_encode_dev` (and
/// `huge_encode_dev`) from major and minor.
pub fn encode_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12)
}

/// The 16-bit uid the old (`*16`) interfaces report: values past 65535 are
/// the overflow id (65534), as `high2lowuid`.
pub fn high2low(id: u32) -> u16 {
    if id > 0xffff {
        65534
    } else {
        id as u16
    }
}

/// A 16-bit id argument widened: (u16)-1 stays -1 (`low2highuid`).
pub fn low2high(id: u32) -> u32 {
    let id = id & 0xffff;
    if id == 0xffff {
        u32::MAX
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_roundtrip() {
        for bit in 0..32 {
            let g = 1u32 << bit;
            if g & o::VALID == 0 {
                continue;
            }
            let h = open_flags_to_host(g);
            let back = open_flags_from_host(h);
            if g & o::TMPFILE == 0 || g == o::DIRECTORY {
                assert_eq!(back, g, "bit {bit}");
            }
        }
        assert_eq!(open_flags_to_host(o::LARGEFILE), 0x8000);
        assert_eq!(
            open_flags_to_host(o::CLOEXEC | o::RDWR),
            libc::O_CLOEXEC | libc::O_RDWR
        );
    }

    #[test]
    fn dirent_lengths() {
        // "." : 10 + 1 + 2 = 13 -> 16; getdents64: 19 + 1 + 1 = 21 -> 24.
        assert_eq!(dirent_reclen(1), 16);
        assert_eq!(dirent64_reclen(1), 24);
        assert_eq!(dirent_reclen(2), 16);
        assert_eq!(dirent_reclen(4), 16);
        assert_eq!(dirent_reclen(5), 20);
        assert_eq!(dirent64_reclen(4), 24);
        assert_eq!(dirent64_reclen(5), 32);
    }

    #[test]
    fn ids() {
        assert_eq!(high2low(70000), 65534);
        assert_eq!(high2low(1000), 1000);
        assert_eq!(low2high(0xffff), u32::MAX);
        assert_eq!(low2high(0x1_0005), 5);
        assert_eq!(encode_dev(8, 1), 0x801);
        assert_eq!(encode_dev(1, 0x1234), 0x1200134);
    }
}
