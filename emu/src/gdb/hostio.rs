//! gdb's file access on the target (`vFile:` packets, for its default
//! `target:` sysroot): read-only opens of host files, and the guest's own
//! `/proc/<pid>/maps`, which gdb reads to find the vDSO's extent (the
//! vDSO's symbols then come from guest memory).

use std::os::unix::fs::FileExt;

use gdbstub::target::ext::host_io::{
    HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat, HostIoFstatOps,
    HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoPread, HostIoPreadOps,
    HostIoResult, HostIoStat,
};

use super::server::Stub;

/// A file gdb has open.
pub enum Open {
    /// Generated contents (a /proc file of the guest).
    Bytes(Vec<u8>),
    Host(std::fs::File),
}

/// `/proc/<pid>/maps` or `/proc/<pid>/task/<tid>/maps`.
fn is_proc_maps(name: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(name) else {
        return false;
    };
    let parts: Vec<&str> = s.split('/').collect();
    let num = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        ["", "proc", p, "maps"] => num(p),
        ["", "proc", p, "task", t, "maps"] => num(p) && num(t),
        _ => false,
    }
}

fn errno<E>(e: HostIoErrno) -> HostIoError<E> {
    HostIoError::Errno(e)
}

impl HostIo for Stub {
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }
    fn support_pread(&mut self) -> Option<HostIoPreadOps<'_, Self>> {
        Some(self)
    }
    fn support_fstat(&mut self) -> Option<HostIoFstatOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for Stub {
    fn open(
        &mut self,
        name: &[u8],
        flags: HostIoOpenFlags,
        _mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        use std::os::unix::ffi::OsStrExt;
        if flags.bits() & 3 != 0 {
            return Err(errno(HostIoErrno::EROFS));
        }
        let f = if is_proc_maps(name) {
            let m = self
                .d
                .with_task(None, |p, _| crate::kernel::procfs::maps(p))
                .ok_or(errno(HostIoErrno::EIO))?;
            Open::Bytes(m)
        } else {
            Open::Host(std::fs::File::open(std::ffi::OsStr::from_bytes(name))?)
        };
        let fd = match self.files.iter().position(|f| f.is_none()) {
            Some(k) => k,
            None => {
                self.files.push(None);
                self.files.len() - 1
            }
        };
        self.files[fd] = Some(f);
        Ok(fd as u32)
    }
}

impl HostIoClose for Stub {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        match self.files.get_mut(fd as usize).and_then(|f| f.take()) {
            Some(_) => Ok(()),
            None => Err(errno(HostIoErrno::EBADF)),
        }
    }
}

impl HostIoPread for Stub {
    fn pread(
        &mut self,
        fd: u32,
        count: usize,
        off: u64,
        buf: &mut [u8],
    ) -> HostIoResult<usize, Self> {
        let n = count.min(buf.len());
        match self.files.get(fd as usize) {
            Some(Some(Open::Bytes(b))) => {
                let from = (off as usize).min(b.len());
                let k = n.min(b.len() - from);
                buf[..k].copy_from_slice(&b[from..from + k]);
                Ok(k)
            }
            Some(Some(Open::Host(f))) => Ok(f.read_at(&mut buf[..n], off)?),
            _ => Err(errno(HostIoErrno::EBADF)),
        }
    }
}

impl HostIoFstat for Stub {
    fn fstat(&mut self, fd: u32) -> HostIoResult<HostIoStat, Self> {
        use std::os::unix::fs::MetadataExt;
        let (size, mode, ino, dev, mtime) = match self.files.get(fd as usize) {
            Some(Some(Open::Bytes(b))) => (b.len() as u64, 0o100444, 0, 0, 0),
            Some(Some(Open::Host(f))) => {
                let m = f.metadata()?;
                (m.size(), m.mode(), m.ino(), m.dev(), m.mtime())
            }
            _ => return Err(errno(HostIoErrno::EBADF)),
        };
        Ok(HostIoStat {
            st_dev: dev as u32,
            st_ino: ino as u32,
            st_mode: HostIoOpenMode::from_bits_truncate(mode),
            st_nlink: 1,
            st_uid: 0,
            st_gid: 0,
            st_rdev: 0,
            st_size: size,
            st_blksize: 4096,
            st_blocks: size.div_ceil(512),
            st_atime: mtime as u32,
            st_mtime: mtime as u32,
            st_ctime: mtime as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_maps_names() {
        assert!(super::is_proc_maps(b"/proc/1/maps"));
        assert!(super::is_proc_maps(b"/proc/1/task/77/maps"));
        assert!(!super::is_proc_maps(b"/proc/self/maps"));
        assert!(!super::is_proc_maps(b"/proc/1/task/maps"));
        assert!(!super::is_proc_maps(b"/etc/maps"));
    }
}
