//! `/proc/<pid>/mem` of the guest's own process: the guest's memory, with
//! file offsets as guest addresses (fs/proc/base.c `mem_rw`).
//!
//! - Transfers go a page-sized chunk at a time, each as far as
//!   `access_remote_vm` gets: a chunk that moves nothing ends the call, with
//!   EIO if nothing moved at all. Offsets at or past 4 GiB, unmapped guest
//!   pages, `[vvar]` (VM_IO|VM_PFNMAP) and file pages past end-of-file move
//!   nothing.
//! - FOLL_FORCE (`proc_mem.force_override=always`, the default): a read may
//!   see pages without PROT_READ, a write may change pages without
//!   PROT_WRITE as long as the mapping is private (copy-on-write, as
//!   debuggers rely on for breakpoints in code); a read-only shared mapping
//!   refuses the write (EIO). Written code pages are dropped from the block
//!   cache, as for any self-modifying code.
//! - An address just below a grows-down stack grows it first, as
//!   `__access_remote_vm` does.
//! - `lseek` sets (SEEK_SET) or moves (SEEK_CUR) the position to any 64-bit
//!   value, negative ones included (FMODE_UNSIGNED_OFFSET); other whences
//!   are EINVAL. A read at a position that is negative as a loff_t works
//!   only while `count < -pos` (rw_verify_area), then moves nothing (the
//!   address is far above 4 GiB): EIO.
//! - The file belongs to the memory it was opened on: after execve (a new
//!   address space) it reads and writes nothing (0), as a file whose mm has
//!   gone. A fork child's inherited descriptor reaches the parent's memory,
//!   as natively, through the host descriptor the parent opened (the
//!   checks use the child's map, the parent's as of the fork).
//!
//! The copies go through the host's /proc/self/mem at the guest window's
//! host addresses (never outside the window: `Mem::host_range` bounds each
//! one), so the host kernel does the copy-on-write of read-only private
//! file mappings and reports pages past end-of-file as errors instead of
//! SIGBUS. The guest's descriptor is an empty memfd (mode 0600) that only
//! holds its place in the table: I/O on it that emu does not route here
//! (sendfile, splice, mmap) is refused as natively (EINVAL, ENODEV).

use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};

use super::abi::errno::Errno;
use super::mm::{vm, Mm};
use super::syscall::SysResult;
use super::task::Task;
use crate::mem::{PAGE_SHIFT, PAGE_SIZE, P_PRESENT, P_TRACK};

/// Largest transfer Linux does in one call (MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// An open /proc/\<pid\>/mem: the address space it was opened on and the
/// file position (shared by dup'ed descriptors, as one open file is).
#[derive(Debug)]
pub struct MemFile {
    mm: Weak<Mutex<Mm>>,
    pos: AtomicI64,
    /// Opened for reading, for writing (FMODE_READ, FMODE_WRITE).
    readable: bool,
    writable: bool,
    /// The host's /proc/self/mem as the opening process had it (None if
    /// the host refused), and that process: a fork child inherits the
    /// descriptor, which still reaches the opener's memory (see
    /// [`MemFile::remote`]).
    host: Option<std::fs::File>,
    opener: u32,
}

impl MemFile {
    /// The file opened with guest access mode `acc` (O_RDONLY, O_WRONLY,
    /// O_RDWR).
    pub fn new(p: &Task, acc: u32) -> Arc<MemFile> {
        use super::abi::fs::o;
        let host = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/self/mem")
            .ok();
        Arc::new(MemFile {
            mm: Arc::downgrade(&p.mm),
            pos: AtomicI64::new(0),
            readable: acc != o::WRONLY,
            writable: acc == o::WRONLY || acc == o::RDWR,
            host,
            opener: std::process::id(),
        })
    }

    /// vfs_read/vfs_write: the file must be open for the direction.
    fn may(&self, write: bool) -> Result<(), Errno> {
        if (write && !self.writable) || (!write && !self.readable) {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// The file still belongs to the running address space.
    fn live(&self, p: &Task) -> bool {
        self.mm.upgrade().is_some_and(|m| Arc::ptr_eq(&m, &p.mm))
    }

    /// In a fork child (another host process than the opener): the file is
    /// the opener's memory, as natively (the mm the file was opened on),
    /// reached through the opener's host descriptor. After an execve in
    /// the opener's own process it is not: that address space is gone.
    fn remote(&self) -> Option<&std::fs::File> {
        self.host
            .as_ref()
            .filter(|_| std::process::id() != self.opener)
    }

    /// mem_lseek.
    pub fn lseek(&self, off: i64, whence: u32) -> Result<i64, Errno> {
        match whence {
            0 => {
                self.pos.store(off, SeqCst);
                Ok(off)
            }
            1 => {
                let v = self.pos.load(SeqCst).wrapping_add(off);
                self.pos.store(v, SeqCst);
                Ok(v)
            }
            _ => Err(Errno::EINVAL),
        }
    }
}

/// The host's /proc/self/mem, opened once per host process.
fn host_mem() -> Result<std::sync::MutexGuard<'static, Option<(u32, std::fs::File)>>, Errno> {
    static MEM: Mutex<Option<(u32, std::fs::File)>> = Mutex::new(None);
    let mut g = MEM.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    if g.as_ref().is_none_or(|(p, _)| *p != pid) {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/self/mem")
            .map_err(|_| Errno::EIO)?;
        *g = Some((pid, f));
    }
    Ok(g)
}

/// check_vma_flags for a FOLL_FORCE access: may this VMA be read or
/// written through the mem file.
fn vma_allows(flags: u64, write: bool) -> bool {
    if flags & (vm::IO | vm::PFNMAP) != 0 {
        return false;
    }
    if write {
        // is_cow_mapping: private and may become writable.
        flags & vm::WRITE != 0 || flags & (vm::SHARED | vm::MAYWRITE) == vm::MAYWRITE
    } else {
        flags & vm::READ != 0 || flags & vm::MAYREAD != 0
    }
}

/// access_remote_vm: move up to `buf.len()` bytes at guest `addr` (a
/// 64-bit address: past 4 GiB nothing is mapped); the count moved. (Also
/// the debugger's access, as ptrace's.)
pub fn access(p: &mut Task, addr: u64, buf: &mut [u8], write: bool) -> usize {
    access_in(p, addr, buf, write, None)
}

/// [`access`], or with `remote` the memory of the fork parent that opened
/// the file (see [`MemFile::remote`]): its host descriptor moves the data,
/// and the checks use this process's map, which is the parent's as it was
/// at the fork (pages the parent mapped since then are not seen, and a
/// write to its code does not reach its translations).
fn access_in(
    p: &mut Task,
    addr: u64,
    buf: &mut [u8],
    write: bool,
    remote: Option<&std::fs::File>,
) -> usize {
    let mut done = 0;
    while done < buf.len() {
        let at = addr + done as u64;
        if at >= 1 << 32 {
            break;
        }
        let a = at as u32;
        let in_page = (PAGE_SIZE - (a & (PAGE_SIZE - 1))) as usize;
        let n = in_page.min(buf.len() - done);
        let flags = {
            let mm = p.mm();
            mm.find(a).map(|v| v.flags)
        };
        let flags = match flags {
            Some(f) => f,
            // Below a stack: grow it (or map pages a file grew into).
            None if super::mm::fault_in_user(p, a, 1) => match p.mm().find(a) {
                Some(v) => v.flags,
                None => break,
            },
            None => break,
        };
        if !vma_allows(flags, write) {
            break;
        }
        let perm = p.cpu.mem.perm(a >> PAGE_SHIFT);
        if let Some(f) = remote {
            let Some(host) = p.cpu.mem.host_range(a, n) else {
                break;
            };
            let moved = host_io(f, &mut buf[done..done + n], host, write);
            done += moved;
            if moved < n {
                break;
            }
            continue;
        }
        if perm & P_PRESENT == 0 && !super::mm::fault_in_user(p, a, 1) {
            // A file page past end-of-file.
            break;
        }
        if write && perm & P_TRACK != 0 {
            // A vfork child's store, which its parent gets back.
            p.cpu.mem.untrack(a >> PAGE_SHIFT);
        }
        let Some(host) = p.cpu.mem.host_range(a, n) else {
            break;
        };
        let Ok(g) = host_mem() else {
            break;
        };
        let Some((_, f)) = g.as_ref() else {
            break;
        };
        let moved = host_io(f, &mut buf[done..done + n], host, write);
        drop(g);
        if write && moved > 0 {
            // Written code runs as written (self-modifying code).
            p.forget_code(a, moved as u32);
        }
        done += moved;
        if moved < n {
            break;
        }
    }
    done
}

/// One transfer through a host /proc/<pid>/mem at host address `host`:
/// the bytes moved (0 when the host refused).
fn host_io(f: &std::fs::File, chunk: &mut [u8], host: *mut u8, write: bool) -> usize {
    let r = if write {
        f.write_at(chunk, host as u64)
    } else {
        f.read_at(chunk, host as u64)
    };
    r.unwrap_or(0)
}

/// mem_rw on the guest buffer [buf, buf+count) at `*pos`.
fn mem_rw(
    p: &mut Task,
    mf: &MemFile,
    buf: u32,
    count: u32,
    pos: &mut i64,
    write: bool,
) -> SysResult {
    let remote = if mf.live(p) {
        None
    } else {
        match mf.remote() {
            Some(f) => Some(f),
            None => return Ok(0),
        }
    };
    let mut count = (count as u64).min(MAX_RW_COUNT) as u32;
    // rw_verify_area with FMODE_UNSIGNED_OFFSET.
    if *pos < 0 && count as i64 >= pos.wrapping_neg() {
        return Err(Errno::EOVERFLOW);
    }
    let mut addr = *pos as u64;
    let mut copied: Result<u32, Errno> = Ok(0);
    let mut ubuf = buf;
    let mut page = vec![0u8; PAGE_SIZE as usize];
    while count > 0 {
        let len = count.min(PAGE_SIZE) as usize;
        if write && p.read_user(ubuf, &mut page[..len]).is_err() {
            copied = Err(Errno::EFAULT);
            break;
        }
        let n = access_in(p, addr, &mut page[..len], write, remote);
        if n == 0 {
            if copied == Ok(0) {
                copied = Err(Errno::EIO);
            }
            break;
        }
        if !write && p.write_user(ubuf, &page[..n]).is_err() {
            copied = Err(Errno::EFAULT);
            break;
        }
        ubuf = ubuf.wrapping_add(n as u32);
        addr = addr.wrapping_add(n as u64);
        copied = copied.map(|c| c + n as u32);
        count -= n as u32;
    }
    *pos = addr as i64;
    copied
}

/// read/write (`pos` None: the file position) or pread64/pwrite64.
pub fn rw(
    p: &mut Task,
    mf: &MemFile,
    buf: u32,
    count: u32,
    pos: Option<i64>,
    write: bool,
) -> SysResult {
    mf.may(write)?;
    match pos {
        Some(mut at) => mem_rw(p, mf, buf, count, &mut at, write),
        None => {
            let mut at = mf.pos.load(SeqCst);
            let r = mem_rw(p, mf, buf, count, &mut at, write);
            mf.pos.store(at, SeqCst);
            r
        }
    }
}

/// readv/writev/preadv/pwritev: one iovec after another
/// (do_loop_readv_writev), stopping at the first short transfer.
pub fn rw_vec(
    p: &mut Task,
    mf: &MemFile,
    iov: u32,
    cnt: u32,
    pos: Option<i64>,
    write: bool,
) -> SysResult {
    mf.may(write)?;
    let vs = super::fs::read_iovecs(p, iov, cnt)?;
    let mut at = pos.unwrap_or_else(|| mf.pos.load(SeqCst));
    let mut total: u32 = 0;
    let mut err = None;
    for v in &vs {
        if v.len == 0 {
            continue;
        }
        let want = v.len.min((MAX_RW_COUNT as u32).saturating_sub(total));
        if want == 0 {
            break;
        }
        match mem_rw(p, mf, v.base, want, &mut at, write) {
            Ok(n) => {
                total += n;
                if n != v.len {
                    break;
                }
            }
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    if pos.is_none() {
        mf.pos.store(at, SeqCst);
    }
    match err {
        Some(e) if total == 0 => Err(e),
        _ => Ok(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foll_force_rules() {
        let ro_private = vm::READ | vm::MAYREAD | vm::MAYWRITE | vm::MAYEXEC;
        assert!(vma_allows(ro_private, true));
        assert!(vma_allows(ro_private, false));
        let ro_shared = vm::READ | vm::MAYREAD | vm::MAYWRITE | vm::SHARED | vm::MAYSHARE;
        assert!(!vma_allows(ro_shared, true));
        assert!(vma_allows(ro_shared, false));
        let none_private = vm::MAYREAD | vm::MAYWRITE;
        assert!(vma_allows(none_private, true));
        assert!(vma_allows(none_private, false));
        let vvar = vm::READ | vm::MAYREAD | vm::IO | vm::PFNMAP;
        assert!(!vma_allows(vvar, false));
    }
}
