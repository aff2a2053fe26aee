//! Where translated blocks live: bump allocation in 16 KiB chunks, so a
//! block costs a few host instructions instead of a trip through malloc
//! (a block is 100 bytes to 2 KiB, past malloc's small-size caches), and
//! blocks translated one after another (a loop and the code it calls) sit
//! side by side in the host cache.
//!
//! Each thread fills a chunk of its own. A chunk counts its live blocks
//! plus one while a thread still fills it, and goes back to the host when
//! the count drops to zero, whichever thread frees the last block. A chunk
//! is held by any one live block in it, so memory held is at most a chunk
//! per live block in the worst case (code rewritten again and again with
//! long-lived blocks between), and about the blocks' own size otherwise.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Chunk size, also its alignment: a block finds its chunk by masking.
const CHUNK: usize = 16 << 10;

/// Where a chunk's allocations start: after its count, a cache line in.
const START: usize = 64;

/// The largest allocation (a block of `decode::MAX_BLOCK` instructions is
/// about 2 KiB).
pub const MAX: usize = CHUNK - START;

fn chunk_layout() -> Layout {
    Layout::from_size_align(CHUNK, CHUNK).expect("chunk layout")
}

/// The chunk a thread allocates from, and the offset of its free space.
struct Filling {
    chunk: Cell<*mut u8>,
    off: Cell<usize>,
}

impl Drop for Filling {
    fn drop(&mut self) {
        let c = self.chunk.replace(std::ptr::null_mut());
        if !c.is_null() {
            // SAFETY: the thread's reference to its chunk, dropped once.
            unsafe { release(c) };
        }
    }
}

thread_local! {
    static FILLING: Filling = const {
        Filling {
            chunk: Cell::new(std::ptr::null_mut()),
            off: Cell::new(0),
        }
    };
}

/// The live count at the start of chunk `c`.
///
/// # Safety
/// `c` is a chunk that is still allocated.
unsafe fn live<'a>(c: *mut u8) -> &'a AtomicUsize {
    unsafe { &*(c as *const AtomicUsize) }
}

/// A new chunk, counting `refs` references.
fn new_chunk(refs: usize) -> *mut u8 {
    // SAFETY: the layout is non-zero in size.
    let c = unsafe { alloc(chunk_layout()) };
    if c.is_null() {
        handle_alloc_error(chunk_layout());
    }
    // SAFETY: the chunk starts with room for its count, suitably aligned.
    unsafe { (c as *mut AtomicUsize).write(AtomicUsize::new(refs)) };
    c
}

/// Drop one reference to chunk `c`, freeing it with the last.
///
/// # Safety
/// The caller holds a reference to `c` and gives it up.
unsafe fn release(c: *mut u8) {
    if unsafe { live(c) }.fetch_sub(1, Ordering::AcqRel) == 1 {
        // SAFETY: nothing refers to the chunk any more.
        unsafe { dealloc(c, chunk_layout()) };
    }
}

/// Memory for `layout` (at most [`MAX`] bytes, aligned to at most 64),
/// given back with [`free`].
pub fn alloc_in_chunk(layout: Layout) -> NonNull<u8> {
    assert!(layout.size() <= MAX && layout.align() <= START);
    let p = FILLING.try_with(|f| {
        let mut c = f.chunk.get();
        let mut off = f.off.get().next_multiple_of(layout.align());
        if c.is_null() || off + layout.size() > CHUNK {
            if !c.is_null() {
                // SAFETY: the thread's reference to its full chunk.
                unsafe { release(c) };
            }
            c = new_chunk(1);
            f.chunk.set(c);
            off = START;
        }
        // SAFETY: `c` is the thread's chunk, alive while it holds it.
        unsafe { live(c) }.fetch_add(1, Ordering::Relaxed);
        f.off.set(off + layout.size());
        // SAFETY: `off + size` is inside the chunk.
        unsafe { c.add(off) }
    });
    // A thread that is exiting (its chunk gone): a chunk for this alone.
    let p = p.unwrap_or_else(|_| unsafe { new_chunk(1).add(START) });
    NonNull::new(p).expect("inside a chunk")
}

/// Give back what [`alloc_in_chunk`] returned.
///
/// # Safety
/// `p` came from [`alloc_in_chunk`] and is not used again.
pub unsafe fn free(p: NonNull<u8>) {
    let c = (p.as_ptr() as usize & !(CHUNK - 1)) as *mut u8;
    // SAFETY: the allocation's reference to its chunk.
    unsafe { release(c) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Allocations come one after another, each chunk goes when its last
    /// allocation does (a chunk's count is one per allocation while the
    /// thread fills another), and another thread may free them.
    #[test]
    fn chunks_count_their_allocations() {
        let l = Layout::from_size_align(1000, 16).unwrap();
        let a: Vec<NonNull<u8>> = (0..40).map(|_| alloc_in_chunk(l)).collect();
        let chunk = |p: &NonNull<u8>| p.as_ptr() as usize & !(CHUNK - 1);
        assert_eq!(a[1].as_ptr() as usize - a[0].as_ptr() as usize, 1008);
        let first = chunk(&a[0]);
        let in_first = a.iter().filter(|p| chunk(p) == first).count();
        assert_eq!(in_first, MAX / 1008);
        // The first chunk is full: its count is its allocations.
        assert_eq!(
            unsafe { live(first as *mut u8) }.load(Ordering::Relaxed),
            in_first
        );
        let addrs: Vec<usize> = a.iter().map(|p| p.as_ptr() as usize).collect();
        std::thread::spawn(move || {
            for p in addrs {
                unsafe { free(NonNull::new(p as *mut u8).unwrap()) };
            }
        })
        .join()
        .unwrap();
    }
}
