//! Translated-block cache.
//!
//! Blocks are decoded once (see [`super::decode`]) and looked up by guest
//! address through a direct-mapped table in front of a hash map. Pages that
//! hold cached code carry `P_CODE`; a guest write to such a page leaves the
//! block loop with `exit::SMC`, and the page's blocks are dropped here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{decode, Cpu, Inst};

pub struct Block {
    pub start: u32,
    /// First and last page the block's bytes touch.
    pub pages: (u32, u32),
    pub insts: Box<[Inst]>,
}

/// log2 of the direct-mapped table's size: it starts small (a short-lived
/// program, or a fork's child about to exec, touches few of its pages) and
/// grows to `FAST_BITS` as blocks accumulate.
const FAST_BITS: u32 = 14;
const FAST_BITS_START: u32 = 10;

/// Hash of a guest address: one multiplication (the hash map takes its
/// top bits), instead of SipHash, which translation paid per block.
#[derive(Default, Clone, Copy)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(b as u32 ^ (self.0 as u32));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type AddrMap<V> = HashMap<u32, V, BuildHasherDefault<AddrHasher>>;

pub struct BlockCache {
    fast: Box<[(u32, *const Block)]>,
    map: AddrMap<Box<Block>>,
    by_page: AddrMap<Vec<u32>>,
    /// Blocks translated so far.
    pub translated: u64,
    /// Instructions of the block being translated.
    scratch: Vec<Inst>,
    /// Blocks executed.
    pub executed: u64,
}

// The raw pointers point into blocks this cache owns (boxed in `map`), so
// moving the cache to another thread moves everything they point at.
unsafe impl Send for BlockCache {}

impl Default for BlockCache {
    fn default() -> Self {
        BlockCache {
            fast: vec![(0, std::ptr::null()); 1 << FAST_BITS_START].into_boxed_slice(),
            map: AddrMap::with_capacity_and_hasher(1 << FAST_BITS_START, Default::default()),
            by_page: AddrMap::with_capacity_and_hasher(64, Default::default()),
            translated: 0,
            scratch: Vec::with_capacity(64),
            executed: 0,
        }
    }
}

/// Slot of `eip` in a direct-mapped table of `len` (a power of two) entries.
#[inline(always)]
fn slot(eip: u32, len: usize) -> usize {
    (eip ^ (eip >> FAST_BITS)) as usize & (len - 1)
}

impl BlockCache {
    #[inline(always)]
    pub fn get(&mut self, cpu: &Cpu) -> *const Block {
        let eip = cpu.eip;
        let e = self.fast[slot(eip, self.fast.len())];
        if e.0 == eip && !e.1.is_null() {
            return e.1;
        }
        self.get_slow(cpu)
    }

    #[cold]
    #[inline(never)]
    fn get_slow(&mut self, cpu: &Cpu) -> *const Block {
        let eip = cpu.eip;
        let p: *const Block = match self.map.get(&eip) {
            Some(b) => &**b,
            None => {
                // Mark the page before reading it, so that a store another
                // thread makes while this one decodes traps as SMC. (A block
                // running into the next page marks that one after decoding.)
                cpu.mem.mark_code(eip >> crate::mem::PAGE_SHIFT);
                let b = Box::new(decode::translate(&cpu.mem, eip, &mut self.scratch));
                self.translated += 1;
                for page in b.pages.0..=b.pages.1 {
                    cpu.mem.mark_code(page);
                    self.by_page.entry(page).or_default().push(eip);
                }
                let p: *const Block = &*b;
                self.map.insert(eip, b);
                if self.map.len() > self.fast.len() / 2 && self.fast.len() < 1 << FAST_BITS {
                    // Grow (x4); the new table fills again from the map.
                    self.fast = vec![(0, std::ptr::null()); self.fast.len() * 4].into_boxed_slice();
                }
                p
            }
        };
        let n = self.fast.len();
        self.fast[slot(eip, n)] = (eip, p);
        p
    }

    /// Drop every block that touches `page`, and the page's P_CODE (this
    /// thread saw the store that made its code stale).
    pub fn invalidate_page(&mut self, cpu: &Cpu, page: u32) {
        cpu.mem.clear_code(page);
        self.forget_page(page);
    }

    /// Drop every block that touches `page`, leaving its P_CODE alone:
    /// another thread's store made the code stale, and this thread may
    /// have translated the page again since (a P_CODE left set costs at
    /// most one needless SMC exit).
    pub fn forget_page(&mut self, page: u32) {
        let Some(starts) = self.by_page.remove(&page) else {
            return;
        };
        for s in starts {
            if let Some(b) = self.map.remove(&s) {
                let n = self.fast.len();
                let sl = &mut self.fast[slot(s, n)];
                if sl.0 == s {
                    *sl = (0, std::ptr::null());
                }
                // Unlink from the other page it may span.
                for p in b.pages.0..=b.pages.1 {
                    if p != page {
                        if let Some(v) = self.by_page.get_mut(&p) {
                            v.retain(|&x| x != s);
                        }
                    }
                }
            }
        }
    }

    /// Drop the blocks on the pages a self-modifying write touched.
    pub fn invalidate_smc(&mut self, cpu: &Cpu) {
        for page in cpu.smc_page..=cpu.smc_last {
            self.invalidate_page(cpu, page);
        }
    }

    /// Drop everything (exec, munmap of code, ...).
    pub fn flush(&mut self, cpu: &Cpu) {
        for &page in self.by_page.keys() {
            cpu.mem.clear_code(page);
        }
        self.map.clear();
        self.by_page.clear();
        self.fast
            .iter_mut()
            .for_each(|e| *e = (0, std::ptr::null()));
    }

    /// Drop the blocks on pages in [addr, addr+len) (munmap, mprotect).
    pub fn invalidate_range(&mut self, cpu: &Cpu, addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        let r = crate::mem::page_range(addr, len);
        for page in self.cached_pages(*r.start(), *r.end()) {
            self.invalidate_page(cpu, page);
        }
    }

    /// [`Self::forget_page`] for every page in `first..=last`.
    pub fn forget_range(&mut self, first: u32, last: u32) {
        for page in self.cached_pages(first, last) {
            self.forget_page(page);
        }
    }

    /// The pages in `first..=last` that hold cached blocks (walking
    /// whichever is shorter: the range or the cached pages).
    fn cached_pages(&self, first: u32, last: u32) -> Vec<u32> {
        let n = (last - first) as usize + 1;
        if n <= self.by_page.len() {
            (first..=last)
                .filter(|p| self.by_page.contains_key(p))
                .collect()
        } else {
            self.by_page
                .keys()
                .copied()
                .filter(|p| (first..=last).contains(p))
                .collect()
        }
    }
}
