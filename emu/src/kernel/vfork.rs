//! vfork's shared memory, by write-back.
//!
//! A child that shares its parent's memory without being a thread
//! (CLONE_VM|CLONE_VFORK: vfork, glibc's posix_spawn) is a forked host
//! process with a copy-on-write copy of the guest memory (see fork.rs).
//! Linux's child writes the parent's own memory, and programs rely on it:
//! posix_spawn's child stores its exec error where the parent reads it, and
//! a vfork child's stack frames overwrite the parent's stack below its sp.
//! So the pages the child has written are sent back to the parent, which
//! waits anyway (`wait_for_vfork_done`), and stored there before it
//! resumes: when the child execs (before its memory goes), before a host
//! execve (whose success ends the child's side), and when it exits.
//!
//! The written pages are found as the kernel would find them: in the
//! child, every writable page of its private mappings is write-protected
//! for tracking (`P_TRACK`); the first store to one, by the guest (a #PF
//! that the kernel entry fixes up and retries) or by the kernel side
//! (copy_to_user), makes it writable again and records it.
//!
//! Deliberate differences: mappings the child creates or removes are not
//! reflected in the parent, and the parent's other threads, which keep
//! running, may see a page they wrote meanwhile replaced by the child's copy.

use std::os::fd::{AsRawFd, OwnedFd};

use super::abi::errno::Errno;
use super::task::{lock, Task};
use crate::mem::{PAGE_SHIFT, PAGE_SIZE, P_PRESENT, P_WRITE};

/// Pages per record sent back (a run of consecutive written pages).
const RUN_PAGES: u32 = 64;

/// A vfork child's end of the pipe its parent waits on.
pub struct VforkDone {
    pipe: OwnedFd,
    /// The child shares the parent's memory (CLONE_VM): write back.
    write_back: bool,
}

/// In the child, right after the fork: track the writes to the private
/// mappings when it shares the parent's memory.
pub fn child_start(p: &Task, pipe: OwnedFd, shares_vm: bool) -> VforkDone {
    if shares_vm {
        for (start, end) in private_ranges(p) {
            p.cpu.mem.track_writes(start, end - start);
        }
    }
    VforkDone {
        pipe,
        write_back: shares_vm,
    }
}

/// The private (not MAP_SHARED) mappings, whose pages a child has copies of.
fn private_ranges(p: &Task) -> Vec<(u32, u32)> {
    lock(&p.mm)
        .vmas()
        .filter(|v| v.flags & super::mm::vm::SHARED == 0)
        .map(|v| (v.start, v.end))
        .collect()
}

/// Runs (first address, length) of the recorded pages.
fn runs(mut pages: Vec<u32>) -> Vec<(u32, u32)> {
    pages.sort_unstable();
    pages.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for pg in pages {
        let a = pg << PAGE_SHIFT;
        match runs.last_mut() {
            Some((s, l)) if *s as u64 + *l as u64 == a as u64 && *l < RUN_PAGES * PAGE_SIZE => {
                *l += PAGE_SIZE
            }
            _ => runs.push((a, PAGE_SIZE)),
        }
    }
    runs
}

/// Send the pages written since the last flush to the waiting parent.
pub fn flush(p: &mut Task) {
    let Some(v) = &p.vfork_done else { return };
    if !v.write_back {
        return;
    }
    let fd = v.pipe.as_raw_fd();
    let runs = runs(p.cpu.mem.take_written());
    for &(addr, len) in &runs {
        let mut rec = Vec::with_capacity(8 + len as usize);
        rec.extend_from_slice(&addr.to_le_bytes());
        rec.extend_from_slice(&len.to_le_bytes());
        let Some(h) = p.cpu.mem.host_range(addr, len as usize) else {
            continue;
        };
        // SAFETY: [addr, addr+len) is inside the guest window (a VMA).
        let src = unsafe { std::slice::from_raw_parts(h, len as usize) };
        rec.extend_from_slice(src);
        if !write_all(fd, &rec) {
            break;
        }
    }
    // Still tracked, in case the child goes on (a failed host exec).
    for &(addr, len) in &runs {
        p.cpu.mem.track_writes(addr, len);
    }
}

fn write_all(fd: i32, mut b: &[u8]) -> bool {
    while !b.is_empty() {
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        if n < 0 {
            if Errno::last() == Errno::EINTR {
                continue;
            }
            return false;
        }
        b = &b[n as usize..];
    }
    true
}

/// mm_release's vfork_done: write back, then let the parent go on.
pub fn release(p: &mut Task) {
    flush(p);
    p.vfork_done = None;
}

/// Read exactly `b.len()` bytes; false at end of file (or when this task
/// is told to stop). A plain host read, not a cancellation point: Linux's
/// vfork wait is killable only, so a pending guest signal (the child's own
/// SIGCHLD, say) must not end it, nor make it spin.
fn read_full(p: &Task, fd: i32, b: &mut [u8]) -> bool {
    let mut got = 0;
    while got < b.len() {
        let rest = &mut b[got..];
        let n = unsafe { libc::read(fd, rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            0 => return false,
            n if n > 0 => got += n as usize,
            _ if Errno::last() == Errno::EINTR && !super::exit::killed(p) => {}
            _ => return false,
        }
    }
    true
}

/// wait_for_vfork_done: store what the child sends until it has exec'd
/// or exited (end of file), or this task is told to stop. Linux waits
/// killably: guest signals are taken when the parent returns.
pub fn wait_for_vfork_done(p: &mut Task, r: OwnedFd) {
    let fd = r.as_raw_fd();
    let mut head = [0u8; 8];
    let mut data = Vec::new();
    while read_full(p, fd, &mut head) {
        let addr = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > RUN_PAGES * PAGE_SIZE
            || addr & (PAGE_SIZE - 1) != 0
            || addr.checked_add(len).is_none()
        {
            return;
        }
        data.resize(len as usize, 0);
        if !read_full(p, fd, &mut data) {
            return;
        }
        store(p, addr, &data);
    }
}

/// Store the child's copy of [addr, addr+len) where this process still
/// maps it writable, dropping translations of code there.
fn store(p: &mut Task, addr: u32, data: &[u8]) {
    let mut code = false;
    for (k, chunk) in data.chunks(PAGE_SIZE as usize).enumerate() {
        let a = addr + (k as u32) * PAGE_SIZE;
        // Only where the parent may write too (the host mapping of a
        // page it may not write can be read-only).
        let perm = p.cpu.mem.perm(a >> PAGE_SHIFT);
        if perm & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
            continue;
        }
        // Translated code there: writable on the host first, dropped after.
        code |= !p.cpu.mem.prepare_write(a, chunk.len() as u32).is_empty();
        let Some(dst) = p.cpu.mem.host_range(a, chunk.len()) else {
            continue;
        };
        // SAFETY: a mapped guest page, inside the window.
        unsafe { std::ptr::copy_nonoverlapping(chunk.as_ptr(), dst, chunk.len()) };
    }
    if code {
        p.forget_code(addr, data.len() as u32);
    }
}
