//! Files and I/O: the guest's file descriptor table and the syscalls that
//! move bytes (open, close, read, write and their vector/positional forms,
//! lseek, dup, pipe, fcntl, flock, truncate, sync, sendfile, memfd).
//!
//! Guest fd numbers are the guest's own: the table maps each to a host fd,
//! allocating the lowest free guest number as Linux does. Host fds opened
//! for the guest are close-on-exec and numbered 3 or above on the host (so
//! the emulator's own stdio stays put); the guest's close-on-exec flag is
//! kept in the table. Inherited host fds keep their numbers.
//!
//! Other parts of the file-system layer: [`super::path`] (guest path ->
//! host path, sysroot, /proc), [`super::stat`], [`super::dir`] (directory
//! entries and the namespace), [`super::poll`], [`super::net`],
//! [`super::ioctl`], [`super::procfs`].

use super::abi::errno::Errno;
use super::abi::fs::{self as afs, at, f, o, Flock, Flock64, Iovec};
use super::path;
use super::syscall::SysResult;
use super::task::Task;
use crate::loader::interp::{HostOpenHow as OpenHow, RESOLVE_NO_MAGICLINKS};

/// Largest single host I/O transfer through a kernel-side buffer; guest
/// lengths are clipped to it so a guest-supplied length never drives an
/// unbounded host allocation. (Zero-copy transfers into guest memory need
/// no clipping.)
pub const MAX_IO: u32 = 1 << 20;

/// Most iovecs a vector call takes (UIO_MAXIOV).
pub const UIO_MAXIOV: u32 = 1024;

/// Largest transfer Linux does in one call (MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// How directory offsets (d_off, lseek on a directory) are shown to the
/// guest. ext4 hands 32-bit callers 32-bit hash cookies where 64-bit callers
/// (the emulator) get 64-bit ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DirPos {
    #[default]
    Unknown,
    /// Offsets pass through unchanged.
    Plain,
    /// ext4 hash cookies: host `major << 32 | minor` is guest `major`.
    Ext4,
}

/// One guest file descriptor.
#[derive(Clone, Debug)]
pub struct Fd {
    /// The host fd.
    pub host: i32,
    /// FD_CLOEXEC as the guest sees it.
    pub cloexec: bool,
    /// Opened by the guest without O_LARGEFILE: F_GETFL hides the bit the
    /// 64-bit host forces on.
    pub no_largefile: bool,
    /// A regular file opened without O_LARGEFILE: writes and ftruncate
    /// stop at 2 GiB - 1 (EFBIG / EINVAL) as on i386.
    pub lfs_limit: bool,
    /// Directory offset translation, decided on first use.
    pub dirpos: DirPos,
    /// An emulated /proc file whose contents are made again when it is
    /// read from offset 0 (as a seq_file is generated at read time).
    pub proc_gen: Option<super::procfs::Gen>,
    /// /proc/\<pid\>/mem: reads and writes are the guest's memory.
    pub proc_mem: Option<std::sync::Arc<super::procmem::MemFile>>,
    /// The host fd is on procfs (a relative lookup from it is walked).
    pub procfs: bool,
}

impl Fd {
    pub fn new(host: i32, cloexec: bool) -> Fd {
        Fd {
            host,
            cloexec,
            no_largefile: false,
            lfs_limit: false,
            dirpos: DirPos::Unknown,
            proc_gen: None,
            proc_mem: None,
            procfs: false,
        }
    }
}

/// The file descriptor table and file-system context. The working
/// directory is the host process's (one guest process per emulator
/// process), mapped back through the sysroot by getcwd; the umask is the
/// host's.
#[derive(Debug)]
pub struct Files {
    fds: Vec<Option<Fd>>,
    /// The owner's RLIMIT_NOFILE soft limit: guest fd numbers stay below
    /// it. A copy of the thread group's limit, kept here because every
    /// allocation needs it (setrlimit updates it). Emulated rather than
    /// applied to the host: the emulator's own descriptors (the mapped
    /// executable, `--frames`) must not count against the guest's table,
    /// whose numbers are its own.
    pub nofile: u64,
}

impl Default for Files {
    fn default() -> Files {
        Files::new()
    }
}

impl Files {
    /// A table holding the host fds this process inherited (0, 1, 2 and any
    /// others), each under its own number. A close-on-exec descriptor was
    /// not inherited (exec closed those) but opened by emu itself before
    /// the guest starts (`--strace-file`, `--frames`, the trace's stderr):
    /// the guest does not see it, so its own descriptors are numbered as
    /// natively.
    pub fn new() -> Files {
        let mut t = Files::empty();
        for h in inherited_fds() {
            let fl = unsafe { libc::fcntl(h, libc::F_GETFD) };
            if fl < 0 || fl & libc::FD_CLOEXEC != 0 {
                continue;
            }
            let mut e = Fd::new(h, false);
            e.procfs = path::on_procfs(h);
            t.put(h as u32, e);
        }
        t
    }

    /// A table with no descriptors (tests).
    pub fn empty() -> Files {
        Files {
            fds: Vec::new(),
            nofile: host_nofile(),
        }
    }

    #[inline]
    pub fn get(&self, fd: u32) -> Result<&Fd, Errno> {
        match self.fds.get(fd as usize) {
            Some(Some(e)) => Ok(e),
            _ => Err(Errno::EBADF),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, fd: u32) -> Result<&mut Fd, Errno> {
        match self.fds.get_mut(fd as usize) {
            Some(Some(e)) => Ok(e),
            _ => Err(Errno::EBADF),
        }
    }

    /// The host fd for guest `fd` (-EBADF if it is not open).
    #[inline]
    pub fn host(&self, fd: u32) -> Result<i32, Errno> {
        self.get(fd).map(|e| e.host)
    }

    /// Guest fd numbers in use, ascending.
    pub fn open_fds(&self) -> impl Iterator<Item = u32> + '_ {
        self.fds
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_some())
            .map(|(k, _)| k as u32)
    }

    /// The guest fd whose host fd is `host`, if any.
    pub fn guest_of(&self, host: i32) -> Option<u32> {
        self.fds
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.host == host))
            .map(|k| k as u32)
    }

    fn put(&mut self, fd: u32, e: Fd) -> Option<Fd> {
        let k = fd as usize;
        if self.fds.len() <= k {
            self.fds.resize(k + 1, None);
        }
        self.fds[k].replace(e)
    }

    /// Lowest free guest number at or above `min`, below the fd limit.
    fn lowest_free(&self, min: u32) -> Result<u32, Errno> {
        let lim = self.nofile_limit();
        let mut k = min as usize;
        while k < self.fds.len() && self.fds[k].is_some() {
            k += 1;
        }
        if k as u64 >= lim as u64 {
            return Err(Errno::EMFILE);
        }
        Ok(k as u32)
    }

    /// Install host fd `e.host` under the lowest free guest number >= `min`.
    /// On failure the host fd is closed.
    pub fn install_min(&mut self, min: u32, e: Fd) -> Result<u32, Errno> {
        match self.lowest_free(min) {
            Ok(fd) => {
                self.put(fd, e);
                Ok(fd)
            }
            Err(err) => {
                unsafe { libc::close(e.host) };
                Err(err)
            }
        }
    }

    /// Install a host fd under the lowest free guest number.
    pub fn install(&mut self, e: Fd) -> Result<u32, Errno> {
        self.install_min(0, e)
    }

    /// Install a host fd we just created (moving it to 3 or above on the
    /// host), with the guest's close-on-exec flag.
    pub fn install_host(&mut self, host: i32, cloexec: bool) -> Result<u32, Errno> {
        let h = own_host_fd(host)?;
        self.install(Fd::new(h, cloexec))
    }

    /// Remove guest `fd` from the table, returning its entry (the host fd
    /// stays open).
    pub fn take(&mut self, fd: u32) -> Result<Fd, Errno> {
        match self.fds.get_mut(fd as usize) {
            Some(slot @ Some(_)) => Ok(slot.take().unwrap_or_else(|| Fd::new(-1, false))),
            _ => Err(Errno::EBADF),
        }
    }

    /// Put `e` at guest number `fd`, closing whatever was there.
    pub fn replace(&mut self, fd: u32, e: Fd) {
        if let Some(old) = self.put(fd, e) {
            unsafe { libc::close(old.host) };
        }
    }

    /// The table as a fork's child has it: the host fork copied every host
    /// descriptor under its own number.
    pub fn forked(&self) -> Files {
        Files {
            fds: self.fds.clone(),
            nofile: self.nofile,
        }
    }

    /// A copy of the table with its own host descriptors (dups of these),
    /// for a thread cloned without CLONE_FILES (dup_fd). A fork's child
    /// needs none: the host fork gave it copies under the same numbers.
    pub fn dup_all(&self) -> Result<Files, Errno> {
        let mut t = Files {
            fds: Vec::with_capacity(self.fds.len()),
            nofile: self.nofile,
        };
        for e in &self.fds {
            let copy = match e {
                Some(e) => {
                    let h = unsafe { libc::fcntl(e.host, libc::F_DUPFD_CLOEXEC, 3) };
                    if h < 0 {
                        let err = Errno::last();
                        t.close_all();
                        return Err(err);
                    }
                    Some(Fd {
                        host: h,
                        ..e.clone()
                    })
                }
                None => None,
            };
            t.fds.push(copy);
        }
        Ok(t)
    }

    /// Close every host descriptor of the table.
    fn close_all(&mut self) {
        for e in self.fds.drain(..).flatten() {
            unsafe { libc::close(e.host) };
        }
    }

    /// Every open guest descriptor: (guest fd, host fd, close-on-exec).
    pub fn entries(&self) -> Vec<(u32, i32, bool)> {
        self.fds
            .iter()
            .enumerate()
            .filter_map(|(k, e)| e.as_ref().map(|e| (k as u32, e.host, e.cloexec)))
            .collect()
    }

    /// For execve: close the guest's close-on-exec descriptors and return
    /// (guest fd, host fd) for the ones that survive. The caller arranges
    /// host fd numbers to equal the guest's in the new process.
    pub fn exec_prepare(&mut self) -> Vec<(u32, i32)> {
        let mut keep = Vec::new();
        for k in 0..self.fds.len() {
            if let Some(e) = &self.fds[k] {
                if e.cloexec {
                    unsafe { libc::close(e.host) };
                    self.fds[k] = None;
                } else {
                    keep.push((k as u32, e.host));
                }
            }
        }
        keep
    }
}

/// Host fds open in this process right now (the inherited ones when called
/// before the emulator opens anything).
fn inherited_fds() -> Vec<i32> {
    let mut v = Vec::new();
    match std::fs::read_dir("/proc/self/fd") {
        Ok(rd) => {
            // The directory's own fd is open while we iterate: identify it
            // by trying again after the iterator is dropped.
            let names: Vec<i32> = rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect();
            for h in names {
                if unsafe { libc::fcntl(h, libc::F_GETFD) } >= 0 {
                    v.push(h);
                }
            }
        }
        Err(_) => {
            for h in 0..3 {
                if unsafe { libc::fcntl(h, libc::F_GETFD) } >= 0 {
                    v.push(h);
                }
            }
        }
    }
    v.sort_unstable();
    v
}

/// The host's RLIMIT_NOFILE soft limit (what a new table starts with).
fn host_nofile() -> u64 {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 {
        return 1024;
    }
    rl.rlim_cur
}

impl Files {
    /// RLIMIT_NOFILE's soft limit as a bound on fd numbers.
    pub fn nofile_limit(&self) -> u32 {
        self.nofile.min(1 << 20) as u32
    }
}

/// Make a freshly created host fd ours: close-on-exec and numbered >= 3.
pub fn own_host_fd(h: i32) -> Result<i32, Errno> {
    if h >= 3 {
        return Ok(h);
    }
    let n = unsafe { libc::fcntl(h, libc::F_DUPFD_CLOEXEC, 3) };
    let err = Errno::last();
    unsafe { libc::close(h) };
    if n < 0 {
        Err(err)
    } else {
        Ok(n)
    }
}

/// The host fd behind guest fd `fd` (for file-backed mmap and friends).
pub fn host_fd(p: &Task, fd: u32) -> Result<i32, Errno> {
    p.files().host(fd)
}

/// A host syscall's result: -1 means errno.
#[inline]
pub fn hres(r: i64) -> Result<i64, Errno> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// A host syscall that may block (see [`Task::blocking`]), as the guest's
/// result.
pub fn cp(p: &Task, nr: libc::c_long, a: &[i64]) -> SysResult {
    let mut args = [0i64; 6];
    args[..a.len()].copy_from_slice(a);
    p.blocking(nr, args).map(|v| v as u32)
}

/// A host syscall's result as the guest's u32.
#[inline]
pub fn hret(r: i64) -> SysResult {
    hres(r).map(|v| v as u32)
}

/// Join a 64-bit value passed in two registers (low, high).
#[inline]
pub fn lohi(lo: u32, hi: u32) -> i64 {
    ((hi as u64) << 32 | lo as u64) as i64
}

// ---------------------------------------------------------------------------
// Guest buffers for host I/O.

/// Length of the accessible prefix of [addr, addr+len) (`write`: the guest
/// may write it). A fault on the first byte is -EFAULT; a later fault
/// shortens the transfer, as Linux's partial copies do.
/// Pages the access would fault in (a stack growing down) are faulted in
/// first, as the kernel's fault handler does for its own accesses.
pub fn user_prefix(p: &mut Task, addr: u32, len: u32, write: bool) -> Result<u32, Errno> {
    if len == 0 {
        return Ok(0);
    }
    let len = (len as u64).min((1u64 << 32) - addr as u64) as u32;
    let need = if write {
        crate::mem::P_WRITE
    } else {
        crate::mem::P_READ
    };
    let mut r = p.cpu.mem.check(addr, len, need, write, false);
    if let Err(pf) = r {
        if super::mm::fault_in_user(p, pf.addr, len - pf.addr.wrapping_sub(addr).min(len)) {
            r = p.cpu.mem.check(addr, len, need, write, false);
        }
    }
    match r {
        Ok(()) => Ok(len),
        Err(pf) => {
            let n = pf.addr.wrapping_sub(addr);
            if n == 0 || n > len {
                Err(Errno::EFAULT)
            } else {
                Ok(n)
            }
        }
    }
}

/// Host pointer/length for a guest buffer the host will fill.
pub fn out_buf(p: &mut Task, addr: u32, len: u32) -> Result<(*mut u8, usize), Errno> {
    let n = user_prefix(p, addr, len, true)?;
    let b = p.user_buf_mut(addr, n)?;
    Ok((b, n as usize))
}

/// A guest buffer the host fills (read, pread64, recv, readv), laid out
/// so that the host kernel touches exactly what Linux would: Linux writes
/// a buffer only as the file produces data (a read at end of file or from
/// /dev/null never touches it; a socket or pipe waits for data first and
/// then fails a chunk it cannot copy, EFAULT with nothing consumed; a
/// regular file copies up to the first bad byte). So a buffer that is not
/// writable throughout gets a scratch mapping: its writable prefix (a
/// guest page boundary, so the scratch keeps the page offset), then
/// PROT_NONE pages for the rest, and the host kernel's own behaviour
/// decides; [`HostOut::finish`] copies what landed in the prefix to the
/// guest. A buffer writable throughout is guest memory itself, and so is
/// a writable prefix longer than [`SCRATCH_MAX`] (a short transfer).
pub struct HostOut {
    pub ptr: *mut u8,
    pub len: usize,
    /// With a scratch: the guest's writable prefix (address, length).
    back: Option<(u32, usize)>,
    _scratch: Option<Scratch>,
}

impl HostOut {
    /// The host call filled `k` bytes: what of them lies in the guest's
    /// writable prefix goes to the guest (nothing to do without a scratch).
    pub fn finish(&self, p: &mut Task, k: usize) {
        if let Some((addr, n)) = self.back {
            let m = k.min(n);
            if m > 0 {
                // SAFETY: the first n bytes of the scratch are readable.
                let src = unsafe { std::slice::from_raw_parts(self.ptr as *const u8, m) };
                let _ = p.write_user(addr, src);
            }
        }
    }

    /// [`HostOut::finish`] for a host call's result.
    pub fn done(&self, p: &mut Task, r: SysResult) -> SysResult {
        if let Ok(k) = r {
            self.finish(p, k as usize);
        }
        r
    }
}

pub fn host_out(p: &mut Task, addr: u32, len: u32) -> Result<HostOut, Errno> {
    let len = len.min(MAX_RW_COUNT as u32);
    let prefix = match user_prefix(p, addr, len, true) {
        Ok(n) => n,
        Err(Errno::EFAULT) => 0,
        Err(e) => return Err(e),
    };
    if prefix == len || prefix > SCRATCH_MAX {
        let ptr = p.user_buf_mut(addr, prefix)?;
        return Ok(HostOut {
            ptr,
            len: prefix as usize,
            back: None,
            _scratch: None,
        });
    }
    let (sc, ptr) = Scratch::with_prefix(addr, len, prefix)?;
    Ok(HostOut {
        ptr,
        len: len as usize,
        back: Some((addr, prefix as usize)),
        _scratch: Some(sc),
    })
}

/// Host pointer/length for a guest buffer the host will read.
pub fn in_buf(p: &mut Task, addr: u32, len: u32) -> Result<(*const u8, usize), Errno> {
    let n = user_prefix(p, addr, len, false)?;
    let b = p.user_buf(addr, n)?;
    Ok((b.as_ptr(), b.len()))
}

/// A guest buffer the host reads (write, pwrite, writev, send), laid out
/// for the host call so that the host kernel touches exactly what Linux
/// would: Linux reads a buffer only as the file consumes it (/dev/null
/// never reads it, a regular file copies up to the first bad byte and
/// returns a short count, a pipe fails a whole page it could not fill),
/// which emu cannot know per file. So when the buffer runs into a page
/// the guest cannot read (unmapped, PROT_NONE, or a file page past its
/// file's end), the host gets a scratch copy: the readable prefix, then
/// PROT_NONE pages for the rest, and the host kernel's own behaviour
/// decides. A buffer that is readable throughout is guest memory itself
/// (zero-copy). The copy is of guest memory that exists, capped at
/// [`SCRATCH_MAX`]: a longer readable prefix is passed alone (a short
/// transfer, as for a regular file).
pub struct HostIn {
    pub ptr: *const u8,
    pub len: usize,
    _scratch: Option<Scratch>,
}

/// Longest readable prefix a [`HostIn`] copies.
pub const SCRATCH_MAX: u32 = 1 << 20;

/// A host mapping of our own, unmapped on drop.
pub struct Scratch(*mut libc::c_void, usize);

impl Scratch {
    /// A scratch standing in for the guest buffer [addr, addr+len): the
    /// same offset in its first page, the first `prefix` bytes readable
    /// and writable (they end on a page boundary unless prefix is len),
    /// PROT_NONE after them. Returns it and the buffer's start in it.
    fn with_prefix(addr: u32, len: u32, prefix: u32) -> Result<(Scratch, *mut u8), Errno> {
        let off = (addr & 0xfff) as usize;
        let total = (off + len as usize).next_multiple_of(4096);
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if m == libc::MAP_FAILED {
            return Err(Errno::ENOMEM);
        }
        let sc = Scratch(m, total);
        let head = off + prefix as usize;
        if prefix > 0 && unsafe { libc::mprotect(m, head, libc::PROT_READ | libc::PROT_WRITE) } != 0
        {
            return Err(Errno::ENOMEM);
        }
        Ok((sc, unsafe { (m as *mut u8).add(off) }))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.0, self.1) };
    }
}

/// The guest buffer [addr, addr+len) (len > 0) for the host to read; see
/// [`HostIn`].
pub fn host_in(p: &mut Task, addr: u32, len: u32) -> Result<HostIn, Errno> {
    let len = len.min(MAX_RW_COUNT as u32);
    let prefix = match user_prefix(p, addr, len, false) {
        Ok(n) => n,
        Err(_) => 0,
    };
    if prefix == len || prefix > SCRATCH_MAX {
        let b = p.user_buf(addr, prefix)?;
        return Ok(HostIn {
            ptr: b.as_ptr(),
            len: b.len(),
            _scratch: None,
        });
    }
    let (sc, ptr) = Scratch::with_prefix(addr, len, prefix)?;
    let off = (addr & 0xfff) as usize;
    let m = unsafe { ptr.sub(off) } as *mut libc::c_void;
    if prefix > 0 {
        // The prefix ends where a page the guest cannot read starts.
        let head = off + prefix as usize;
        // SAFETY: [m+off, m+head) is ours and writable.
        let dst =
            unsafe { std::slice::from_raw_parts_mut((m as *mut u8).add(off), prefix as usize) };
        let got = p.cpu.mem.copy_checked(addr, dst);
        if got < prefix as usize {
            // A file page past its end: unreadable from there on.
            let from = (off + got).next_multiple_of(4096);
            unsafe {
                libc::mprotect(
                    (m as *mut u8).add(from) as *mut libc::c_void,
                    head - from.min(head),
                    libc::PROT_NONE,
                )
            };
        }
    }
    Ok(HostIn {
        ptr: unsafe { (m as *const u8).add(off) },
        len: len as usize,
        _scratch: Some(sc),
    })
}

/// A guest iovec array, as rw_copy_check_uvector checks it: at most
/// UIO_MAXIOV entries, none with a negative length (EINVAL).
pub fn read_iovecs(p: &mut Task, iov: u32, cnt: u32) -> Result<Vec<Iovec>, Errno> {
    if cnt > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; cnt as usize * 8];
    p.read_user(iov, &mut raw)?;
    let vs: Vec<Iovec> = raw
        .chunks_exact(8)
        .map(bytemuck::pod_read_unaligned)
        .collect();
    if vs.iter().any(|v| (v.len as i32) < 0) {
        return Err(Errno::EINVAL);
    }
    Ok(vs)
}

/// Host iovecs built from a guest iovec array, with what keeps them valid.
pub struct HostIovecs {
    pub iov: Vec<libc::iovec>,
    pub keep: Vec<HostIn>,
    /// For readv: the buffers the host fills, in order (see [`HostOut`]).
    pub outs: Vec<HostOut>,
}

impl HostIovecs {
    /// The host call filled `k` bytes across the buffers in order: give
    /// each scratch its share (see [`HostOut::finish`]).
    pub fn finish(&self, p: &mut Task, mut k: usize) {
        for o in &self.outs {
            o.finish(p, k);
            k = k.saturating_sub(o.len);
        }
    }

    /// [`HostIovecs::finish`] for a host call's result.
    pub fn done(&self, p: &mut Task, r: SysResult) -> SysResult {
        if let Ok(k) = r {
            self.finish(p, k as usize);
        }
        r
    }
}

/// Read a guest iovec array into host iovecs. `write`: the host writes
/// into the buffers (readv): each is a [`HostOut`], up to and including
/// the first that is not writable throughout (the host's copy stops
/// there, as Linux's does). Otherwise (writev) each buffer is a
/// [`HostIn`].
pub fn host_iovecs(p: &mut Task, iov: u32, cnt: u32, write: bool) -> Result<HostIovecs, Errno> {
    let vs = read_iovecs(p, iov, cnt)?;
    let mut total: u64 = 0;
    let mut out = Vec::with_capacity(vs.len());
    let mut keep = Vec::new();
    let mut outs = Vec::new();
    for v in &vs {
        if total >= MAX_RW_COUNT {
            break;
        }
        let want = (v.len as u64).min(MAX_RW_COUNT - total) as u32;
        if want == 0 {
            continue;
        }
        if !write {
            let b = host_in(p, v.base, want)?;
            out.push(libc::iovec {
                iov_base: b.ptr as *mut libc::c_void,
                iov_len: b.len,
            });
            total += b.len as u64;
            keep.push(b);
            continue;
        }
        let b = host_out(p, v.base, want)?;
        out.push(libc::iovec {
            iov_base: b.ptr as *mut libc::c_void,
            iov_len: b.len,
        });
        total += b.len as u64;
        let whole = b.len == want as usize && b.back.is_none();
        outs.push(b);
        if !whole {
            break;
        }
    }
    Ok(HostIovecs {
        iov: out,
        keep,
        outs,
    })
}

// ---------------------------------------------------------------------------
// open / close.

fn fixup_open(p: &mut Task, h: i32, flags: u32) -> SysResult {
    let h = own_host_fd(h)?;
    if flags & o::TRUNC != 0 {
        super::mm::fd_resized(p, h);
    }
    let mut e = Fd::new(h, flags & o::CLOEXEC != 0);
    if path::on_procfs(h) {
        e.procfs = true;
        if flags & o::PATH == 0 {
            // Whatever spelling led here (a symlink outside /proc, say), a
            // file that describes the emulator is the guest's or refused.
            let loc = path::proc_loc_of_fd(p, h);
            if loc != path::ProcLoc::None {
                let r = path::Resolved {
                    dfd: libc::AT_FDCWD,
                    host: std::ffi::CString::new(format!("/proc/self/fd/{h}")).unwrap_or_default(),
                    proc: loc,
                    trailing_slash: false,
                    walked: true,
                };
                if let Some(o) = super::procfs::open(p, &r, flags) {
                    unsafe { libc::close(h) };
                    return install_proc(p, o?, flags);
                }
            }
        }
    }
    if flags & o::LARGEFILE == 0 && flags & o::PATH == 0 {
        // generic_file_open: a file too big for a 32-bit off_t.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let reg =
            unsafe { libc::fstat(h, &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFREG;
        if reg && st.st_size > afs::MAX_NON_LFS {
            unsafe { libc::close(h) };
            return Err(Errno::EOVERFLOW);
        }
        e.no_largefile = true;
        e.lfs_limit = reg;
    }
    p.files().install(e)
}

/// Install the host fd of an emulated /proc file, remembering whether its
/// contents are generated at read time or are the guest's memory.
fn install_proc(p: &mut Task, o: super::procfs::Opened, flags: u32) -> SysResult {
    let (h, gen, mem) = match o {
        super::procfs::Opened::Gen(h, g) => (h, Some(g), None),
        super::procfs::Opened::Mem(h, m) => (h, None, Some(m)),
    };
    let fd = p.files().install_host(h, flags & o::CLOEXEC != 0)?;
    if let Ok(e) = p.files().get_mut(fd) {
        e.proc_gen = gen;
        e.proc_mem = mem;
    }
    Ok(fd)
}

/// What read and write need of guest `fd`, in one table lookup.
struct IoFd {
    host: i32,
    /// A generated /proc file (made again when read from its start).
    gen: bool,
    /// The 2 GiB write limit of a file opened without O_LARGEFILE.
    lfs_limit: bool,
    /// Its /proc/<pid>/mem file, if it is one.
    mem: Option<std::sync::Arc<super::procmem::MemFile>>,
}

#[inline]
fn io_fd(p: &Task, fd: u32) -> Result<IoFd, Errno> {
    let f = p.files();
    let e = f.get(fd)?;
    Ok(IoFd {
        host: e.host,
        gen: e.proc_gen.is_some(),
        lfs_limit: e.lfs_limit,
        mem: e.proc_mem.clone(),
    })
}

/// The /proc/<pid>/mem file of guest `fd`, if it is one.
fn mem_file(p: &Task, fd: u32) -> Option<std::sync::Arc<super::procmem::MemFile>> {
    p.files().get(fd).ok()?.proc_mem.clone()
}

/// Before a read of guest `fd` at `pos` (None: the file position): an
/// emulated /proc file read from its start is generated afresh, so it
/// shows the process as it is now, not as it was at open.
fn refresh_proc(p: &mut Task, fd: u32, pos: Option<i64>) {
    let Ok(e) = p.files().get(fd).cloned() else {
        return;
    };
    let (Some(gen), h) = (e.proc_gen.filter(|g| g.per_process()), e.host) else {
        return;
    };
    let cur = unsafe { libc::lseek64(h, 0, libc::SEEK_CUR) };
    if pos.unwrap_or(cur) != 0 {
        return;
    }
    let fl = unsafe { libc::fcntl(h, libc::F_GETFL) };
    let nonblock = if fl >= 0 && fl & libc::O_NONBLOCK != 0 {
        o::NONBLOCK
    } else {
        0
    };
    let data = super::procfs::generate(p, gen);
    if let Ok(n) = super::procfs::memfd_with(b"proc", &data, nonblock) {
        unsafe {
            libc::dup3(n, h, libc::O_CLOEXEC);
            libc::close(n);
            // A pread keeps the file position.
            if cur > 0 {
                libc::lseek64(h, cur, libc::SEEK_SET);
            }
        }
    }
}

/// openat with guest flags; `dirfd` is a guest dirfd (or AT_FDCWD).
pub fn do_openat(p: &mut Task, dirfd: u32, pathname: u32, flags: u32, mode: u32) -> SysResult {
    let gpath = p.read_path(pathname)?;
    let flags = flags & o::VALID;
    let intent = path::Intent::Open(flags);
    let r = path::resolve(p, dirfd, &gpath, intent)?;
    let walked = r.walked;
    match open_resolved(p, r, flags, mode, !walked) {
        // The host's lookup crossed a magic link (a symlink elsewhere to
        // /proc/self/exe or fd/N, which would be emu's own): walk the
        // path as the guest's kernel would instead.
        Err(Errno::ELOOP) if !walked => {
            let r = path::resolve_walking(p, dirfd, &gpath, intent)?;
            open_resolved(p, r, flags, mode, false)
        }
        res => res,
    }
}

/// Open a resolved path; `no_magic`: refuse (ELOOP) to cross the host's
/// magic links, which only a path emu did not walk can reach.
fn open_resolved(
    p: &mut Task,
    r: path::Resolved,
    flags: u32,
    mode: u32,
    no_magic: bool,
) -> SysResult {
    if let Some(o) = super::procfs::open(p, &r, flags) {
        return install_proc(p, o?, flags);
    }
    let (dfd, hp) = (r.dfd, r.host);
    if exe_busy(p, dfd, &hp, flags) {
        return Err(Errno::ETXTBSY);
    }
    let hflags = afs::open_flags_to_host(flags) | libc::O_CLOEXEC;
    let mode = if flags & o::CREAT != 0 || flags & o::TMPFILE == o::TMPFILE {
        mode & 0o7777
    } else {
        0
    };
    // Blocking: opening a FIFO waits for the other end.
    let h = if no_magic {
        let how = OpenHow {
            flags: hflags as u32 as u64,
            mode: mode as u64,
            resolve: RESOLVE_NO_MAGICLINKS,
        };
        let args = [
            dfd as i64,
            hp.as_ptr() as i64,
            &how as *const OpenHow as i64,
            std::mem::size_of::<OpenHow>() as i64,
            0,
            0,
        ];
        match p.blocking(libc::SYS_openat2, args) {
            // A host kernel without openat2 (before 5.6).
            Err(Errno::ENOSYS) => None,
            r => Some(r? as i32),
        }
    } else {
        None
    };
    let h = match h {
        Some(h) => h,
        None => p.blocking(
            libc::SYS_openat,
            [
                dfd as i64,
                hp.as_ptr() as i64,
                hflags as i64,
                mode as i64,
                0,
                0,
            ],
        )? as i32,
    };
    fixup_open(p, h, flags)
}

/// execve's deny_write_access: the running program cannot be opened for
/// writing (or truncated) while it runs: ETXTBSY, through any path to it
/// (/proc/self/exe, its own name, a hard link). Without this emu's host
/// mappings of the program would change under it.
fn exe_busy(p: &Task, dfd: i32, hp: &std::ffi::CStr, flags: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    if flags & o::ACCMODE == o::RDONLY && flags & o::TRUNC == 0 {
        return false;
    }
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatat64(dfd, hp.as_ptr(), &mut st, 0) } != 0 {
        return false;
    }
    let Ok(md) = std::fs::metadata(&p.mm().exe) else {
        return false;
    };
    st.st_dev == md.dev() && st.st_ino == md.ino()
}

pub fn sys_open(p: &mut Task, pathname: u32, flags: u32, mode: u32) -> SysResult {
    do_openat(p, at::FDCWD, pathname, flags, mode)
}

pub fn sys_openat(p: &mut Task, dirfd: u32, pathname: u32, flags: u32, mode: u32) -> SysResult {
    do_openat(p, dirfd, pathname, flags, mode)
}

pub fn sys_creat(p: &mut Task, pathname: u32, mode: u32) -> SysResult {
    // i386 creat is the native ksys_creat, which forces O_LARGEFILE on a
    // 64-bit kernel (open and openat are compat entries that do not).
    do_openat(
        p,
        at::FDCWD,
        pathname,
        o::CREAT | o::WRONLY | o::TRUNC | o::LARGEFILE,
        mode,
    )
}

pub fn sys_openat2(p: &mut Task, dirfd: u32, pathname: u32, how: u32, size: u32) -> SysResult {
    // struct open_how: extensible, at least 24 bytes; bytes past the known
    // fields must be zero.
    if size < 24 {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; size as usize];
    p.read_user(how, &mut raw)?;
    if raw[24..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let h: afs::OpenHow = bytemuck::pod_read_unaligned(&raw[..24]);
    if h.flags > u32::MAX as u64 || (h.flags as u32) & !o::VALID != 0 {
        return Err(Errno::EINVAL);
    }
    // openat2 has no compat entry: O_LARGEFILE is forced as on 64-bit.
    let flags = h.flags as u32 | o::LARGEFILE;
    let gpath = p.read_path(pathname)?;
    let r = path::resolve(p, dirfd, &gpath, path::Intent::Open(flags))?;
    if let Some(o) = super::procfs::open(p, &r, flags) {
        return install_proc(p, o?, flags);
    }
    let (dfd, hp) = (r.dfd, r.host);
    let hhow: [u64; 3] = [
        (afs::open_flags_to_host(flags) | libc::O_CLOEXEC) as u64,
        h.mode,
        h.resolve,
    ];
    let r = unsafe { libc::syscall(libc::SYS_openat2, dfd, hp.as_ptr(), hhow.as_ptr(), 24usize) }
        as i64;
    let hfd = hres(r)? as i32;
    fixup_open(p, hfd, flags)
}

pub fn sys_close(p: &mut Task, fd: u32) -> SysResult {
    let e = p.files().take(fd)?;
    let r = unsafe { libc::close(e.host) };
    if r < 0 {
        let err = Errno::last();
        // The descriptor is gone whatever close reports, except EBADF,
        // which cannot happen for a host fd we own.
        if err == Errno::EINTR {
            return Err(Errno::EINTR);
        }
        return Err(err);
    }
    Ok(0)
}

pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

pub fn sys_close_range(p: &mut Task, first: u32, last: u32, flags: u32) -> SysResult {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let fds: Vec<u32> = p
        .files()
        .open_fds()
        .filter(|&k| k >= first && k <= last)
        .collect();
    for k in fds {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            if let Ok(e) = p.files().get_mut(k) {
                e.cloexec = true;
            }
        } else if let Ok(e) = p.files().take(k) {
            unsafe { libc::close(e.host) };
        }
    }
    Ok(0)
}

// ---------------------------------------------------------------------------
// read / write.

pub fn sys_read(p: &mut Task, fd: u32, buf: u32, count: u32) -> SysResult {
    let IoFd {
        host: h, gen, mem, ..
    } = io_fd(p, fd)?;
    if let Some(m) = mem {
        return super::procmem::rw(p, &m, buf, count, None, false);
    }
    if gen {
        // The host fd keeps its number (the new contents are dup3'ed onto it).
        refresh_proc(p, fd, None);
    }
    if count == 0 {
        return hret(unsafe { libc::read(h, std::ptr::null_mut(), 0) } as i64);
    }
    let b = host_out(p, buf, count)?;
    let r = cp(p, libc::SYS_read, &[h as i64, b.ptr as i64, b.len as i64]);
    b.done(p, r)
}

/// generic_write_check_limits for a file without O_LARGEFILE: a write at
/// or past 2 GiB - 1 is EFBIG, one crossing it is shortened. `pos` None is
/// the file position (or the end with O_APPEND).
fn lfs_clip(h: i32, pos: Option<i64>, count: usize) -> Result<usize, Errno> {
    let pos = match pos {
        Some(v) => v,
        None => {
            let fl = unsafe { libc::fcntl(h, libc::F_GETFL) };
            if fl >= 0 && fl & libc::O_APPEND != 0 {
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                unsafe { libc::fstat(h, &mut st) };
                st.st_size
            } else {
                unsafe { libc::lseek64(h, 0, libc::SEEK_CUR) }
            }
        }
    };
    let max = afs::MAX_NON_LFS;
    if pos >= max {
        if count > 0 || pos > max {
            return Err(Errno::EFBIG);
        }
        return Ok(0);
    }
    Ok(count.min((max - pos) as usize))
}

/// Whether guest fd `fd` has the 2 GiB write limit.
#[inline]
fn lfs_limited(p: &Task, fd: u32) -> bool {
    p.files().get(fd).is_ok_and(|e| e.lfs_limit)
}

pub fn sys_write(p: &mut Task, fd: u32, buf: u32, count: u32) -> SysResult {
    let IoFd {
        host: h,
        lfs_limit,
        mem,
        ..
    } = io_fd(p, fd)?;
    if let Some(m) = mem {
        return super::procmem::rw(p, &m, buf, count, None, true);
    }
    if count == 0 {
        return hret(unsafe { libc::write(h, std::ptr::null(), 0) } as i64);
    }
    let b = host_in(p, buf, count)?;
    let mut n = b.len;
    if lfs_limit {
        n = lfs_clip(h, None, n)?;
    }
    let r = cp(p, libc::SYS_write, &[h as i64, b.ptr as i64, n as i64]);
    if matches!(r, Ok(n) if n > 0) {
        super::mm::file_written(p, h);
    }
    r
}

pub fn sys_pread64(p: &mut Task, fd: u32, buf: u32, count: u32, lo: u32, hi: u32) -> SysResult {
    let pos = lohi(lo, hi);
    refresh_proc(p, fd, Some(pos));
    let h = p.files().host(fd)?;
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(m) = mem_file(p, fd) {
        return super::procmem::rw(p, &m, buf, count, Some(pos), false);
    }
    if count == 0 {
        return hret(unsafe { libc::pread64(h, std::ptr::null_mut(), 0, pos) } as i64);
    }
    let b = host_out(p, buf, count)?;
    let r = hret(unsafe { libc::pread64(h, b.ptr as *mut libc::c_void, b.len, pos) } as i64);
    b.done(p, r)
}

pub fn sys_pwrite64(p: &mut Task, fd: u32, buf: u32, count: u32, lo: u32, hi: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let pos = lohi(lo, hi);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(m) = mem_file(p, fd) {
        return super::procmem::rw(p, &m, buf, count, Some(pos), true);
    }
    if count == 0 {
        return hret(unsafe { libc::pwrite64(h, std::ptr::null(), 0, pos) } as i64);
    }
    let b = host_in(p, buf, count)?;
    let mut n = b.len;
    if lfs_limited(p, fd) {
        n = lfs_clip(h, Some(pos), n)?;
    }
    let r = hret(unsafe { libc::pwrite64(h, b.ptr as *const libc::c_void, n, pos) } as i64);
    if matches!(r, Ok(n) if n > 0) {
        super::mm::file_written(p, h);
    }
    r
}

fn vec_io(
    p: &mut Task,
    fd: u32,
    iov: u32,
    cnt: u32,
    pos: Option<i64>,
    flags: u32,
    write: bool,
) -> SysResult {
    if let Some(m) = mem_file(p, fd) {
        if flags != 0 {
            // No FMODE_NOWAIT and no other RWF_ flag applies.
            return Err(Errno::EOPNOTSUPP);
        }
        return super::procmem::rw_vec(p, &m, iov, cnt, pos.filter(|&x| x >= 0), write);
    }
    if !write {
        refresh_proc(p, fd, pos.filter(|&x| x >= 0));
    }
    let h = p.files().host(fd)?;
    let mut hv = host_iovecs(p, iov, cnt, !write)?;
    let v = &mut hv.iov;
    if write && lfs_limited(p, fd) {
        let total: usize = v.iter().map(|x| x.iov_len).sum();
        let mut allow = lfs_clip(h, pos.filter(|&x| x >= 0), total)?;
        for x in v.iter_mut() {
            x.iov_len = x.iov_len.min(allow);
            allow -= x.iov_len;
        }
        v.retain(|x| x.iov_len > 0);
    }
    let (ptr, n) = if v.is_empty() {
        (std::ptr::null(), 0)
    } else {
        (v.as_ptr(), v.len())
    };
    let (h, ptr, n) = (h as i64, ptr as i64, n as i64);
    let r = match (pos, write) {
        (None, false) if flags == 0 => cp(p, libc::SYS_readv, &[h, ptr, n]),
        (None, true) if flags == 0 => cp(p, libc::SYS_writev, &[h, ptr, n]),
        _ => {
            let pos = pos.unwrap_or(-1);
            let nr = if write {
                libc::SYS_pwritev2
            } else {
                libc::SYS_preadv2
            };
            // On x86_64 the whole offset is pos_l (pos_h is ignored).
            p.blocking(nr, [h, ptr, n, pos, 0, flags as i64])
                .map(|v| v as u32)
        }
    };
    let r = hv.done(p, r);
    drop(hv);
    if write && matches!(r, Ok(n) if n > 0) {
        super::mm::file_written(p, h as i32);
    }
    r
}

pub fn sys_readv(p: &mut Task, fd: u32, iov: u32, cnt: u32) -> SysResult {
    vec_io(p, fd, iov, cnt, None, 0, false)
}

pub fn sys_writev(p: &mut Task, fd: u32, iov: u32, cnt: u32) -> SysResult {
    vec_io(p, fd, iov, cnt, None, 0, true)
}

pub fn sys_preadv(p: &mut Task, fd: u32, iov: u32, cnt: u32, lo: u32, hi: u32) -> SysResult {
    let pos = lohi(lo, hi);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    vec_io(p, fd, iov, cnt, Some(pos), 0, false)
}

pub fn sys_pwritev(p: &mut Task, fd: u32, iov: u32, cnt: u32, lo: u32, hi: u32) -> SysResult {
    let pos = lohi(lo, hi);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    vec_io(p, fd, iov, cnt, Some(pos), 0, true)
}

pub fn sys_preadv2(
    p: &mut Task,
    fd: u32,
    iov: u32,
    cnt: u32,
    lo: u32,
    hi: u32,
    flags: u32,
) -> SysResult {
    let pos = lohi(lo, hi);
    vec_io(p, fd, iov, cnt, Some(pos), flags, false)
}

pub fn sys_pwritev2(
    p: &mut Task,
    fd: u32,
    iov: u32,
    cnt: u32,
    lo: u32,
    hi: u32,
    flags: u32,
) -> SysResult {
    let pos = lohi(lo, hi);
    vec_io(p, fd, iov, cnt, Some(pos), flags, true)
}

// ---------------------------------------------------------------------------
// lseek.

/// Decide how directory offsets of guest `fd` are translated.
pub fn dirpos_kind(p: &mut Task, fd: u32) -> Result<(i32, DirPos), Errno> {
    let e = p.files().get(fd)?.clone();
    let h = e.host;
    if e.dirpos != DirPos::Unknown {
        return Ok((h, e.dirpos));
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let mut kind = DirPos::Plain;
    if unsafe { libc::fstat(h, &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFDIR {
        let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstatfs(h, &mut sf) } == 0 && sf.f_type as u32 == 0xEF53 {
            kind = DirPos::Ext4;
        }
    }
    if let Ok(e) = p.files().get_mut(fd) {
        e.dirpos = kind;
    }
    Ok((h, kind))
}

/// ext4's 64-bit end-of-directory cookie and the 32-bit one.
const EXT4_EOF_64: i64 = i64::MAX;
const EXT4_EOF_32: i64 = 0x7fff_ffff;

/// Host directory offset -> the guest's.
pub fn dirpos_to_guest(kind: DirPos, off: i64) -> i64 {
    match kind {
        DirPos::Ext4 if off == EXT4_EOF_64 => EXT4_EOF_32,
        DirPos::Ext4 if off as u64 > u32::MAX as u64 => ((off as u64) >> 32) as i64,
        _ => off,
    }
}

/// Guest directory offset -> the host's.
pub fn dirpos_to_host(kind: DirPos, off: i64, hashed: bool) -> i64 {
    match kind {
        DirPos::Ext4 if hashed && off == EXT4_EOF_32 => EXT4_EOF_64,
        DirPos::Ext4 if hashed && off > 0 => ((off as u64) << 32) as i64,
        _ => off,
    }
}

/// Whether the host directory uses hash cookies (its current offset or
/// end offset is beyond 32 bits).
fn dir_hashed(h: i32) -> bool {
    let cur = unsafe { libc::lseek64(h, 0, libc::SEEK_CUR) };
    if cur as u64 > u32::MAX as u64 {
        return true;
    }
    let end = unsafe { libc::lseek64(h, 0, libc::SEEK_END) };
    unsafe { libc::lseek64(h, cur, libc::SEEK_SET) };
    end == EXT4_EOF_64
}

fn do_lseek(p: &mut Task, fd: u32, off: i64, whence: u32) -> Result<i64, Errno> {
    if let Some(m) = mem_file(p, fd) {
        return m.lseek(off, whence);
    }
    let (h, kind) = dirpos_kind(p, fd)?;
    if whence > 4 {
        return Err(Errno::EINVAL);
    }
    let off = if kind == DirPos::Ext4 && whence == libc::SEEK_SET as u32 {
        dirpos_to_host(kind, off, dir_hashed(h))
    } else {
        off
    };
    let r = hres(unsafe { libc::lseek64(h, off, whence as i32) })?;
    Ok(dirpos_to_guest(kind, r))
}

pub fn sys_lseek(p: &mut Task, fd: u32, off: u32, whence: u32) -> SysResult {
    // compat lseek: the offset is sign-extended and the 64-bit result is
    // returned in eax, truncated.
    do_lseek(p, fd, off as i32 as i64, whence).map(|r| r as u32)
}

pub fn sys_llseek(p: &mut Task, fd: u32, hi: u32, lo: u32, result: u32, whence: u32) -> SysResult {
    let r = do_lseek(p, fd, lohi(lo, hi), whence)?;
    p.write_struct(result, &r)?;
    Ok(0)
}

// ---------------------------------------------------------------------------
// dup, pipe, fcntl.

fn dup_entry(p: &Task, fd: u32) -> Result<Fd, Errno> {
    let e = p.files().get(fd)?.clone();
    let h = unsafe { libc::fcntl(e.host, libc::F_DUPFD_CLOEXEC, 3) };
    if h < 0 {
        return Err(Errno::last());
    }
    Ok(Fd {
        host: h,
        cloexec: false,
        no_largefile: e.no_largefile,
        lfs_limit: e.lfs_limit,
        dirpos: e.dirpos,
        proc_gen: e.proc_gen,
        proc_mem: e.proc_mem,
        procfs: e.procfs,
    })
}

pub fn sys_dup(p: &mut Task, fd: u32) -> SysResult {
    let e = dup_entry(p, fd)?;
    p.files().install(e)
}

fn do_dup3(p: &mut Task, old: u32, new: u32, cloexec: bool) -> SysResult {
    if new as u64 >= p.files().nofile_limit() as u64 {
        return Err(Errno::EBADF);
    }
    let mut e = dup_entry(p, old)?;
    e.cloexec = cloexec;
    p.files().replace(new, e);
    Ok(new)
}

pub fn sys_dup2(p: &mut Task, old: u32, new: u32) -> SysResult {
    if old == new {
        p.files().get(old)?;
        return Ok(new);
    }
    do_dup3(p, old, new, false)
}

pub fn sys_dup3(p: &mut Task, old: u32, new: u32, flags: u32) -> SysResult {
    if flags & !o::CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    if old == new {
        return Err(Errno::EINVAL);
    }
    do_dup3(p, old, new, flags & o::CLOEXEC != 0)
}

pub fn sys_pipe(p: &mut Task, fds: u32) -> SysResult {
    sys_pipe2(p, fds, 0)
}

/// O_NOTIFICATION_PIPE (= O_EXCL).
const O_NOTIFICATION_PIPE: u32 = o::EXCL;

/// Create a host object pair and install it as two guest fds written to
/// `out`; if the write faults, neither fd is installed.
pub fn install_pair(p: &mut Task, h: [i32; 2], cloexec: bool, out: u32) -> SysResult {
    let a = own_host_fd(h[0]);
    let b = own_host_fd(h[1]);
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for x in [a, b].into_iter().flatten() {
                unsafe { libc::close(x) };
            }
            return Err(Errno::EMFILE);
        }
    };
    let ga = p
        .files()
        .install(Fd::new(a, cloexec))
        .inspect_err(|_| unsafe {
            libc::close(b);
        })?;
    let gb = match p.files().install(Fd::new(b, cloexec)) {
        Ok(g) => g,
        Err(e) => {
            if let Ok(x) = p.files().take(ga) {
                unsafe { libc::close(x.host) };
            }
            return Err(e);
        }
    };
    let pair = [ga, gb];
    if let Err(e) = p.write_struct(out, &pair) {
        for g in pair {
            if let Ok(x) = p.files().take(g) {
                unsafe { libc::close(x.host) };
            }
        }
        return Err(e);
    }
    Ok(0)
}

pub fn sys_pipe2(p: &mut Task, fds: u32, flags: u32) -> SysResult {
    if flags & !(o::CLOEXEC | o::NONBLOCK | o::DIRECT | O_NOTIFICATION_PIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut h = [0i32; 2];
    let hflags = afs::open_flags_to_host(flags & (o::NONBLOCK | o::DIRECT | O_NOTIFICATION_PIPE))
        | libc::O_CLOEXEC;
    if unsafe { libc::pipe2(h.as_mut_ptr(), hflags) } < 0 {
        return Err(Errno::last());
    }
    install_pair(p, h, flags & o::CLOEXEC != 0, fds)
}

fn getfl(p: &Task, fd: u32) -> SysResult {
    let e = p.files().get(fd)?.clone();
    let r = unsafe { libc::fcntl(e.host, libc::F_GETFL) };
    if r < 0 {
        return Err(Errno::last());
    }
    let mut g = afs::open_flags_from_host(r);
    if e.no_largefile {
        g &= !o::LARGEFILE;
    }
    Ok(g)
}

fn lock_cmd_host(cmd: u32) -> i32 {
    match cmd {
        f::GETLK | f::GETLK64 => libc::F_GETLK,
        f::SETLK | f::SETLK64 => libc::F_SETLK,
        f::SETLKW | f::SETLKW64 => libc::F_SETLKW,
        f::OFD_GETLK => libc::F_OFD_GETLK,
        f::OFD_SETLK => libc::F_OFD_SETLK,
        _ => libc::F_OFD_SETLKW,
    }
}

fn do_lock(p: &mut Task, h: i32, cmd: u32, arg: u32, wide: bool) -> SysResult {
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    if wide {
        let g: Flock64 = p.read_struct(arg)?;
        fl.l_type = g.l_type;
        fl.l_whence = g.l_whence;
        fl.l_start = g.l_start;
        fl.l_len = g.l_len;
        fl.l_pid = g.l_pid;
    } else {
        let g: Flock = p.read_struct(arg)?;
        fl.l_type = g.l_type;
        fl.l_whence = g.l_whence;
        fl.l_start = g.l_start as i64;
        fl.l_len = g.l_len as i64;
        fl.l_pid = g.l_pid;
    }
    let hcmd = lock_cmd_host(cmd);
    // F_SETLKW waits for the lock.
    let r = p.blocking(
        libc::SYS_fcntl,
        [
            h as i64,
            hcmd as i64,
            &mut fl as *mut libc::flock as i64,
            0,
            0,
            0,
        ],
    )?;
    if hcmd == libc::F_GETLK || hcmd == libc::F_OFD_GETLK {
        if wide {
            let g = Flock64 {
                l_type: fl.l_type,
                l_whence: fl.l_whence,
                l_start: fl.l_start,
                l_len: fl.l_len,
                l_pid: fl.l_pid,
            };
            p.write_struct(arg, &g)?;
        } else {
            // fixup_compat_flock: the result must fit 32-bit offsets.
            if fl.l_start > i32::MAX as i64 || fl.l_len > i32::MAX as i64 {
                return Err(Errno::EOVERFLOW);
            }
            let g = Flock {
                l_type: fl.l_type,
                l_whence: fl.l_whence,
                l_start: fl.l_start as i32,
                l_len: fl.l_len as i32,
                l_pid: fl.l_pid,
            };
            p.write_struct(arg, &g)?;
        }
    }
    Ok(r as u32)
}

fn do_fcntl(p: &mut Task, fd: u32, cmd: u32, arg: u32, is64: bool) -> SysResult {
    match cmd {
        f::DUPFD | f::DUPFD_CLOEXEC => {
            p.files().get(fd)?;
            let lim = p.files().nofile_limit();
            if arg >= lim {
                return Err(Errno::EINVAL);
            }
            let mut e = dup_entry(p, fd)?;
            e.cloexec = cmd == f::DUPFD_CLOEXEC;
            p.files().install_min(arg, e)
        }
        f::GETFD => Ok(p.files().get(fd)?.cloexec as u32),
        f::SETFD => {
            p.files().get_mut(fd)?.cloexec = arg & f::FD_CLOEXEC != 0;
            Ok(0)
        }
        f::GETFL => getfl(p, fd),
        f::SETFL => {
            let h = p.files().host(fd)?;
            let hf = afs::open_flags_to_host(arg & afs::SETFL_MASK);
            hret(unsafe { libc::fcntl(h, libc::F_SETFL, hf) } as i64)
        }
        f::GETLK | f::SETLK | f::SETLKW => {
            let h = p.files().host(fd)?;
            do_lock(p, h, cmd, arg, false)
        }
        f::GETLK64 | f::SETLK64 | f::SETLKW64 | f::OFD_GETLK | f::OFD_SETLK | f::OFD_SETLKW => {
            // compat fcntl (55) rejects the OFD commands but, on this
            // kernel, takes the flock64 ones like fcntl64.
            if !is64 && cmd >= f::OFD_GETLK {
                return Err(Errno::EINVAL);
            }
            let h = p.files().host(fd)?;
            do_lock(p, h, cmd, arg, true)
        }
        f::GETOWN_EX | f::SETOWN_EX | f::GETOWNER_UIDS | f::GET_RW_HINT | f::SET_RW_HINT => {
            // 8-byte arguments with identical guest and host layouts:
            // struct f_owner_ex {int type; pid_t pid}, uid_t[2], u64 hint.
            let h = p.files().host(fd)?;
            let (ptr, n) = if cmd == f::SETOWN_EX || cmd == f::SET_RW_HINT {
                let (ptr, n) = in_buf(p, arg, 8)?;
                (ptr as *mut u8, n)
            } else {
                out_buf(p, arg, 8)?
            };
            if n < 8 {
                return Err(Errno::EFAULT);
            }
            hret(unsafe { libc::fcntl(h, cmd as i32, ptr) } as i64)
        }
        f::SETOWN
        | f::GETOWN
        | f::SETSIG
        | f::GETSIG
        | f::SETLEASE
        | f::GETLEASE
        | f::NOTIFY
        | f::SETPIPE_SZ
        | f::GETPIPE_SZ
        | f::ADD_SEALS
        | f::GET_SEALS
        | f::CANCELLK => {
            let h = p.files().host(fd)?;
            hret(unsafe { libc::fcntl(h, cmd as i32, arg as i32 as libc::c_long) } as i64)
        }
        f::DUPFD_QUERY => {
            let h = p.files().host(fd)?;
            let other = match p.files().host(arg) {
                Ok(o) => o,
                Err(_) => return Err(Errno::EBADF),
            };
            hret(unsafe { libc::fcntl(h, cmd as i32, other) } as i64)
        }
        _ => {
            p.files().get(fd)?;
            Err(Errno::EINVAL)
        }
    }
}

pub fn sys_fcntl(p: &mut Task, fd: u32, cmd: u32, arg: u32) -> SysResult {
    do_fcntl(p, fd, cmd, arg, false)
}

pub fn sys_fcntl64(p: &mut Task, fd: u32, cmd: u32, arg: u32) -> SysResult {
    do_fcntl(p, fd, cmd, arg, true)
}

pub fn sys_flock(p: &mut Task, fd: u32, op: u32) -> SysResult {
    let h = p.files().host(fd)?;
    cp(p, libc::SYS_flock, &[h as i64, op as i64])
}

// ---------------------------------------------------------------------------
// sync, truncate, allocation hints.

pub fn sys_fsync(p: &mut Task, fd: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::fsync(h) } as i64)
}

pub fn sys_fdatasync(p: &mut Task, fd: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::fdatasync(h) } as i64)
}

pub fn sys_sync(_p: &mut Task) -> SysResult {
    unsafe { libc::sync() };
    Ok(0)
}

pub fn sys_syncfs(p: &mut Task, fd: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::syncfs(h) } as i64)
}

fn do_truncate(p: &mut Task, pathname: u32, len: i64) -> SysResult {
    let gpath = p.read_path(pathname)?;
    let (dfd, hp) = path::resolve_at(p, at::FDCWD, &gpath, path::Intent::Follow)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    if exe_busy(p, dfd, &hp, o::WRONLY) {
        return Err(Errno::ETXTBSY);
    }
    let r = hret(unsafe { libc::syscall(libc::SYS_truncate, hp.as_ptr(), len) })?;
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::stat(hp.as_ptr(), &mut st) } == 0 {
        super::mm::file_resized(p, st.st_dev, st.st_ino);
    }
    Ok(r)
}

pub fn sys_truncate(p: &mut Task, pathname: u32, len: u32) -> SysResult {
    do_truncate(p, pathname, len as i32 as i64)
}

pub fn sys_truncate64(p: &mut Task, pathname: u32, lo: u32, hi: u32) -> SysResult {
    do_truncate(p, pathname, lohi(lo, hi))
}

fn do_ftruncate(p: &mut Task, fd: u32, len: i64) -> SysResult {
    let h = p.files().host(fd)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    // do_sys_ftruncate(small=1): over 2 GiB needs O_LARGEFILE.
    if len > afs::MAX_NON_LFS && p.files().get(fd)?.no_largefile {
        return Err(Errno::EINVAL);
    }
    let r = hret(unsafe { libc::syscall(libc::SYS_ftruncate, h, len) })?;
    super::mm::fd_resized(p, h);
    super::mm::file_written(p, h);
    Ok(r)
}

pub fn sys_ftruncate(p: &mut Task, fd: u32, len: u32) -> SysResult {
    do_ftruncate(p, fd, len as i32 as i64)
}

pub fn sys_ftruncate64(p: &mut Task, fd: u32, lo: u32, hi: u32) -> SysResult {
    do_ftruncate(p, fd, lohi(lo, hi))
}

pub fn sys_fadvise64(p: &mut Task, fd: u32, lo: u32, hi: u32, len: u32, advice: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let r = unsafe {
        libc::syscall(
            libc::SYS_fadvise64,
            h,
            lohi(lo, hi),
            len as i32 as i64,
            advice as i32,
        )
    };
    hret(r)
}

pub fn sys_fadvise64_64(
    p: &mut Task,
    fd: u32,
    lo: u32,
    hi: u32,
    llo: u32,
    lhi: u32,
    advice: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    let r = unsafe {
        libc::syscall(
            libc::SYS_fadvise64,
            h,
            lohi(lo, hi),
            lohi(llo, lhi),
            advice as i32,
        )
    };
    hret(r)
}

pub fn sys_fallocate(
    p: &mut Task,
    fd: u32,
    mode: u32,
    lo: u32,
    hi: u32,
    llo: u32,
    lhi: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    let r = unsafe {
        libc::syscall(
            libc::SYS_fallocate,
            h,
            mode as i32,
            lohi(lo, hi),
            lohi(llo, lhi),
        )
    };
    let r = hret(r);
    if r.is_ok() {
        // Punched holes and changed sizes show through mappings of it.
        super::mm::fd_resized(p, h);
        super::mm::file_written(p, h);
    }
    r
}

/// After a transfer into guest fd `out` (sendfile, splice,
/// copy_file_range): code translated from a mapping of that file goes.
fn written_to(p: &mut Task, out: u32, r: SysResult) -> SysResult {
    if matches!(r, Ok(n) if n > 0) {
        let h = p.files().host(out);
        if let Ok(h) = h {
            super::mm::file_written(p, h);
        }
    }
    r
}

// ---------------------------------------------------------------------------
// sendfile, copy_file_range, splice.

/// Guest `fd` is an emulated /proc/<pid> file, which Linux cannot splice
/// from (no splice_read).
fn no_splice_read(p: &Task, fd: u32) -> bool {
    p.files()
        .get(fd)
        .is_ok_and(|e| e.proc_gen.is_some_and(|g| g.per_process()) || e.proc_mem.is_some())
}

/// /proc/<pid>/mem has neither splice_read nor splice_write nor
/// copy_file_range: EINVAL as a source or destination of sendfile,
/// splice and copy_file_range.
fn is_mem(p: &Task, fd: u32) -> bool {
    p.files().get(fd).is_ok_and(|e| e.proc_mem.is_some())
}

fn do_sendfile(p: &mut Task, out: u32, inp: u32, offp: u32, count: u32, wide: bool) -> SysResult {
    let hin = p.files().host(inp)?;
    let hout = p.files().host(out)?;
    if is_mem(p, out) {
        return Err(Errno::EINVAL);
    }
    // /proc/<pid> files have no splice_read: sendfile from them is EINVAL.
    let unspliceable = no_splice_read(p, inp) && count != 0;
    let count = count as u64;
    if offp == 0 {
        if unspliceable {
            return Err(Errno::EINVAL);
        }
        // Without an offset pointer the limit is the file systems' own
        // (compat sendfile passes max = 0 then).
        return cp(
            p,
            libc::SYS_sendfile,
            &[hout as i64, hin as i64, 0, count as i64],
        );
    }
    let mut pos: i64 = if wide {
        p.read_struct::<i64>(offp)?
    } else {
        p.read_struct::<i32>(offp)? as i64
    };
    let mut count = count;
    if !wide && pos >= 0 && pos as u64 + count > afs::MAX_NON_LFS as u64 {
        if pos >= afs::MAX_NON_LFS {
            return Err(Errno::EOVERFLOW);
        }
        count = (afs::MAX_NON_LFS - pos) as u64;
    }
    if unspliceable && pos >= 0 {
        return Err(Errno::EINVAL);
    }
    let r = p.blocking(
        libc::SYS_sendfile,
        [
            hout as i64,
            hin as i64,
            &mut pos as *mut i64 as i64,
            count as i64,
            0,
            0,
        ],
    )?;
    if wide {
        p.write_struct(offp, &pos)?;
    } else {
        p.write_struct(offp, &(pos as i32))?;
    }
    Ok(r as u32)
}

pub fn sys_sendfile(p: &mut Task, out: u32, inp: u32, offp: u32, count: u32) -> SysResult {
    let r = do_sendfile(p, out, inp, offp, count, false);
    written_to(p, out, r)
}

pub fn sys_sendfile64(p: &mut Task, out: u32, inp: u32, offp: u32, count: u32) -> SysResult {
    let r = do_sendfile(p, out, inp, offp, count, true);
    written_to(p, out, r)
}

/// Read an optional loff_t pointer argument.
fn opt_off(p: &mut Task, ptr: u32) -> Result<Option<i64>, Errno> {
    if ptr == 0 {
        Ok(None)
    } else {
        p.read_struct::<i64>(ptr).map(Some)
    }
}

/// copy_file_range and splice: host call `sysno` between two guest fds,
/// each with an optional in/out loff_t pointer (read before, written back
/// after). `check` runs once the offsets are read, before the call.
#[allow(clippy::too_many_arguments)]
fn transfer_with_offsets(
    p: &mut Task,
    sysno: libc::c_long,
    (fin, offin): (u32, u32),
    (fout, offout): (u32, u32),
    len: u32,
    flags: u32,
    check: impl FnOnce(&Task) -> Result<(), Errno>,
) -> SysResult {
    let hin = p.files().host(fin)?;
    let hout = p.files().host(fout)?;
    if is_mem(p, fin) || is_mem(p, fout) {
        return Err(Errno::EINVAL);
    }
    let mut a = opt_off(p, offin)?;
    let mut b = opt_off(p, offout)?;
    check(p)?;
    let pa = a.as_mut().map_or(std::ptr::null_mut(), |x| x as *mut i64);
    let pb = b.as_mut().map_or(std::ptr::null_mut(), |x| x as *mut i64);
    let n = p.blocking(
        sysno,
        [
            hin as i64,
            pa as i64,
            hout as i64,
            pb as i64,
            len as i64,
            flags as i64,
        ],
    )?;
    if let Some(v) = a {
        p.write_struct(offin, &v)?;
    }
    if let Some(v) = b {
        p.write_struct(offout, &v)?;
    }
    Ok(n as u32)
}

pub fn sys_copy_file_range(
    p: &mut Task,
    fin: u32,
    offin: u32,
    fout: u32,
    offout: u32,
    len: u32,
    flags: u32,
) -> SysResult {
    let r = transfer_with_offsets(
        p,
        libc::SYS_copy_file_range,
        (fin, offin),
        (fout, offout),
        len,
        flags,
        |_| Ok(()),
    );
    written_to(p, fout, r)
}

pub fn sys_splice(
    p: &mut Task,
    fin: u32,
    offin: u32,
    fout: u32,
    offout: u32,
    len: u32,
    flags: u32,
) -> SysResult {
    let r = transfer_with_offsets(
        p,
        libc::SYS_splice,
        (fin, offin),
        (fout, offout),
        len,
        flags,
        |p| {
            if no_splice_read(p, fin) && len != 0 {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        },
    );
    written_to(p, fout, r)
}

pub fn sys_tee(p: &mut Task, fin: u32, fout: u32, len: u32, flags: u32) -> SysResult {
    let hin = p.files().host(fin)?;
    let hout = p.files().host(fout)?;
    cp(
        p,
        libc::SYS_tee,
        &[hin as i64, hout as i64, len as i64, flags as i64],
    )
}

// ---------------------------------------------------------------------------
// memfd.

pub const MFD_CLOEXEC: u32 = 1;
pub const MFD_ALLOW_SEALING: u32 = 2;
pub const MFD_HUGETLB: u32 = 4;
pub const MFD_NOEXEC_SEAL: u32 = 8;
pub const MFD_EXEC: u32 = 0x10;

pub fn sys_memfd_create(p: &mut Task, name: u32, flags: u32) -> SysResult {
    // The name is at most 249 bytes (NAME_MAX - "memfd:").
    let n = p.read_cstr(name, 4096).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::EINVAL
        } else {
            e
        }
    })?;
    if n.len() > 249 {
        return Err(Errno::EINVAL);
    }
    let hflags = (flags & !MFD_CLOEXEC) | MFD_CLOEXEC;
    let c = std::ffi::CString::new(n).map_err(|_| Errno::EINVAL)?;
    let h = hres(unsafe { libc::syscall(libc::SYS_memfd_create, c.as_ptr(), hflags) })? as i32;
    p.files().install_host(h, flags & MFD_CLOEXEC != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_numbering() {
        let mut t = Files::empty();
        let mk = || {
            let h = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            assert!(h >= 0);
            Fd::new(h, false)
        };
        assert_eq!(t.install(mk()).unwrap(), 0);
        assert_eq!(t.install(mk()).unwrap(), 1);
        assert_eq!(t.install(mk()).unwrap(), 2);
        let e = t.take(1).unwrap();
        unsafe { libc::close(e.host) };
        assert_eq!(t.install(mk()).unwrap(), 1);
        assert_eq!(t.install_min(10, mk()).unwrap(), 10);
        assert_eq!(t.install(mk()).unwrap(), 3);
        assert_eq!(t.open_fds().collect::<Vec<_>>(), vec![0, 1, 2, 3, 10]);
        assert!(t.get(4).is_err());
        t.replace(4, mk());
        assert!(t.get(4).is_ok());
        for k in t.open_fds().collect::<Vec<_>>() {
            let e = t.take(k).unwrap();
            unsafe { libc::close(e.host) };
        }
    }

    #[test]
    fn dir_offsets() {
        assert_eq!(dirpos_to_guest(DirPos::Ext4, i64::MAX), 0x7fff_ffff);
        assert_eq!(
            dirpos_to_guest(DirPos::Ext4, 0x1234_5678_9abc_def0),
            0x1234_5678
        );
        assert_eq!(dirpos_to_guest(DirPos::Ext4, 12), 12);
        assert_eq!(dirpos_to_guest(DirPos::Plain, i64::MAX), i64::MAX);
        assert_eq!(
            dirpos_to_host(DirPos::Ext4, 0x1234_5678, true),
            0x1234_5678_0000_0000
        );
        assert_eq!(dirpos_to_host(DirPos::Ext4, 0x7fff_ffff, true), i64::MAX);
        assert_eq!(dirpos_to_host(DirPos::Ext4, 0, true), 0);
    }

    #[test]
    fn lohi_join() {
        assert_eq!(lohi(0xffff_ffff, 0x7fff_ffff), i64::MAX);
        assert_eq!(lohi(5, 1), (1 << 32) + 5);
        assert_eq!(lohi(0xffff_ffff, 0xffff_ffff), -1);
    }
}
