//! Translated-block cache.
//!
//! Blocks are decoded once (see [`super::decode`]) and looked up by guest
//! address through a direct-mapped table in front of a hash map. Pages that
//! hold cached code carry `P_CODE`; a guest write to such a page leaves the
//! block loop with `exit::SMC`, and the page's blocks are dropped here.

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::tcache::{self, Stored};
use super::{decode, Cpu, Handler, Inst};

/// What a block knows about itself, ahead of its instructions.
#[repr(C)]
pub struct BlockHeader {
    /// First and last page the block's bytes touch.
    pub pages: (u32, u32),
    /// Guest instructions in the block (`insts` has one more entry: the
    /// end marker).
    pub count: u32,
    /// The block ends by falling through to the next address (a length or
    /// page limit) rather than with an instruction that sets eip.
    pub falls: bool,
    /// The block lies in a mapped translation-cache file, where it runs in
    /// place (see [`tcache`]): nothing to free when it goes.
    pub mapped: bool,
    /// Successors seen so far (both arms of a jcc, a call's target, the
    /// last return addresses of a ret, the targets of side exits), filled
    /// on first use; see [`BlockCache::next`].
    pub links: [Cell<Link>; 2],
    /// What entering the block takes from [`Chaining::left`]: its count
    /// and one block (set by [`Block::boxed`]).
    pub cost: u64,
}

/// A block's link to a successor: valid while its epoch is the cache's.
/// The guest address and the epoch are one word ([`Link::key`]), so a
/// link is checked with one comparison.
#[derive(Clone, Copy)]
pub struct Link {
    pub key: u64,
    pub to: BlockPtr,
}

impl Default for Link {
    fn default() -> Self {
        Link::NONE
    }
}

impl Link {
    /// A link that never matches (epoch 0 is never current).
    pub const NONE: Link = Link {
        key: 0,
        to: std::ptr::null(),
    };

    /// The key of a link to `eip` made in epoch `epoch`.
    #[inline(always)]
    pub fn key(eip: u32, epoch: u32) -> u64 {
        eip as u64 | epoch_key(epoch)
    }

    /// Whether the link was made in epoch `epoch`.
    pub fn current(&self, epoch: u32) -> bool {
        self.key >> 32 == epoch as u64
    }
}

/// Epochs stay below this, under [`super::IrqLine::STALE`].
const EPOCHS: u32 = 1 << 31;

/// The epoch's half of a [`Link::key`].
#[inline(always)]
fn epoch_key(epoch: u32) -> u64 {
    (epoch as u64) << 32
}

/// A translated block: the header and the instructions inline after it, in
/// one allocation, so the run loop reaches the first handler with one load.
#[repr(C)]
pub struct Block {
    pub hdr: BlockHeader,
    /// `count` instructions and the end marker.
    pub insts: [Inst],
}

impl Block {
    /// A block of `insts` (ending with the end marker), in one allocation.
    pub fn boxed(hdr: BlockHeader, insts: &[Inst]) -> Box<Block> {
        // SAFETY: the copy writes all `insts.len()` instructions.
        unsafe {
            Self::build(hdr, insts.len(), |dst| {
                std::ptr::copy_nonoverlapping(insts.as_ptr(), dst, insts.len())
            })
        }
    }

    /// A block of `n` instructions (the end marker last) that `fill`
    /// writes in place, in one allocation.
    ///
    /// # Safety
    /// `fill` writes `n` whole instructions from the pointer it is given.
    pub unsafe fn build(
        mut hdr: BlockHeader,
        n: usize,
        fill: impl FnOnce(*mut Inst),
    ) -> Box<Block> {
        use std::alloc::{alloc, handle_alloc_error, Layout};
        assert!(n as u32 == hdr.count + 1);
        hdr.cost = chain_cost(hdr.count as u64);
        hdr.mapped = false;
        let layout = Layout::new::<BlockHeader>()
            .extend(Layout::array::<Inst>(n).expect("block size"))
            .expect("block size")
            .0
            .pad_to_align();
        // SAFETY: the layout is the one Rust gives the `#[repr(C)]` DST
        // (header, then the slice at Inst's alignment), non-zero in size;
        // every field is written before the Box is made.
        unsafe {
            let p = alloc(layout);
            if p.is_null() {
                handle_alloc_error(layout);
            }
            let b = std::ptr::slice_from_raw_parts_mut(p as *mut Inst, n) as *mut Block;
            std::ptr::addr_of_mut!((*b).hdr).write(hdr);
            let dst = std::ptr::addr_of_mut!((*b).insts) as *mut Inst;
            fill(dst);
            // The end marker knows its block, to go on through its links,
            // and so do the side exits.
            decode::chain_marker(&mut *dst.add(n - 1), b as *const BlockHeader);
            let side = super::exec::control::side_exits();
            for k in 0..n - 1 {
                let i = &mut *dst.add(k);
                if side.has(i.h) {
                    i.set_marker_block(b as *const BlockHeader);
                }
            }
            debug_assert_eq!(std::alloc::Layout::for_value(&*b), layout);
            Box::from_raw(b)
        }
    }

    /// The thin pointer the lookup tables keep.
    #[inline(always)]
    pub fn thin(&self) -> BlockPtr {
        self as *const Block as *const BlockHeader
    }

    /// The block a thin pointer names.
    ///
    /// # Safety
    /// `p` came from [`Block::thin`] of a block that is still alive.
    #[inline(always)]
    pub unsafe fn from_thin<'a>(p: BlockPtr) -> &'a Block {
        unsafe {
            let n = (*p).count as usize + 1;
            &*(std::ptr::slice_from_raw_parts(p as *const Inst, n) as *const Block)
        }
    }
}

/// A block as the lookup tables hold it: the address of its header.
pub type BlockPtr = *const BlockHeader;

/// A block the cache owns, held by the address of its header: 8 bytes
/// where a `Box<Block>` (a pointer and the length) takes 16, so the block
/// map's entries are 16 bytes instead of 24 and a third fewer of its pages
/// are touched (a new program's map fills about a page per 250 blocks).
pub struct BlockBox(std::ptr::NonNull<BlockHeader>);

impl From<Box<Block>> for BlockBox {
    fn from(b: Box<Block>) -> BlockBox {
        BlockBox(std::ptr::NonNull::from(Box::leak(b)).cast())
    }
}

impl BlockBox {
    /// See [`Block::thin`].
    #[inline(always)]
    pub fn thin(&self) -> BlockPtr {
        self.0.as_ptr()
    }

    /// The block whose header is at `p`, in a mapped translation-cache
    /// file (`mapped` set), owned by the cache that takes it.
    ///
    /// # Safety
    /// `p` is a whole block in a mapping that outlives the box (the
    /// cache keeps its store, see `BlockCache::keep`), used by no other
    /// cache.
    pub unsafe fn mapped(p: std::ptr::NonNull<BlockHeader>) -> BlockBox {
        BlockBox(p)
    }
}

impl std::ops::Deref for BlockBox {
    type Target = Block;
    fn deref(&self) -> &Block {
        // SAFETY: the header of a live block this box owns.
        unsafe { Block::from_thin(self.0.as_ptr()) }
    }
}

impl Drop for BlockBox {
    fn drop(&mut self) {
        // SAFETY: a mapped block is the file's (alive: the cache keeps
        // its store); any other came from a `Box<Block>` (`From`), which
        // `from_thin` makes again whole (its length is in the header),
        // and this box is its only owner.
        unsafe {
            if (*self.0.as_ptr()).mapped {
                return;
            }
            let b: *const Block = Block::from_thin(self.0.as_ptr());
            drop(Box::from_raw(b as *mut Block));
        }
    }
}

/// Block chaining: a block's end marker goes on into the successor its
/// links name for the new eip, a tail call into that block's first
/// handler, so a linked run of blocks never returns to the run loop. The
/// loop sets this up before each block it runs; the markers keep it.
///
/// A transition costs what the run loop cannot do for it, and no more:
/// one subtraction counts both the instructions and the block down in
/// `left` (the run loop adds what went to `Cpu::icount` and the block
/// count after, [`Chaining::settle`]), `cur` is written only when the
/// chain returns (a fault or exit finds its block from `Cpu::exit_at`:
/// [`block_of`]), and an interrupt request waits for the run loop, at most
/// `run::CHAIN_SPAN` instructions away.
#[derive(Clone, Copy)]
pub struct Chaining {
    /// Instructions the chain may still enter, counted down by whole
    /// blocks (a block goes on into the next while its count fits), above
    /// [`BLOCK_BITS`]; below, blocks counted down from [`BLOCKS`].
    pub left: u64,
    /// `left` when the chain started: what it ran is `start - left`.
    pub start: u64,
    /// The word links are keyed with: the cache's epoch as the high half
    /// of a [`Link::key`] (links of another are stale), in this thread's
    /// interrupt line (`Cpu::irq`, see [`super::IrqLine`]), where another
    /// thread that wrote code makes every link stale.
    line: *const AtomicU64,
    /// The block whose chain returned last, which the run loop links
    /// from (set when a chain returns, not while it runs).
    pub cur: BlockPtr,
    /// Blocks entered from another block's end marker (`--stats`).
    pub count: u64,
    /// The cache's direct-mapped table and its length, for the successors
    /// no link names (a ret's callers, an indirect jump's targets).
    fast: *const (u32, BlockPtr),
    fast_len: usize,
    /// Whether the chain may replace a block's second link with a
    /// successor it found in the direct-mapped table (not while a fork's
    /// child spends its link budget).
    relink: bool,
    /// Successors found in the direct-mapped table (`--stats`): every
    /// eighth replaces the block's second link (see [`chain_on`]).
    pub table: u64,
}

/// The link word of a chain never set up: nothing matches, the chain
/// returns at its first block boundary.
static NO_LINE: AtomicU64 = AtomicU64::new(super::IrqLine::STALE);

/// [`Chaining::left`]'s bits below its instruction count.
const BLOCK_BITS: u32 = 24;
/// The block count a chain starts from: more than a chain can enter
/// (one of at most `run::CHAIN_SPAN` instructions), so it never borrows
/// from the instructions above it.
const BLOCKS: u64 = (1 << BLOCK_BITS) - 1;

/// [`BlockHeader::cost`] of a block of `count` instructions.
pub(super) fn chain_cost(count: u64) -> u64 {
    count << BLOCK_BITS | 1
}

impl Default for Chaining {
    fn default() -> Self {
        Chaining {
            left: 0,
            start: 0,
            line: &NO_LINE,
            cur: std::ptr::null(),
            count: 0,
            fast: std::ptr::null(),
            fast_len: 0,
            relink: false,
            table: 0,
        }
    }
}

impl Chaining {
    /// Room for a chain: blocks may go on into each other while
    /// `icount + counts <= end` after them (0: never, for the debugger's
    /// breakpoint loop). See [`Chaining::enter`].
    #[inline(always)]
    pub fn room(&mut self, icount: u64, end: u64) {
        // At most a span or a budget's end away: a few thousand.
        let n = end.saturating_sub(icount).min(1 << 32);
        self.left = n << BLOCK_BITS | BLOCKS;
    }

    /// The chain starts with a block of `n` instructions, counted in
    /// `Cpu::icount` already.
    #[inline(always)]
    pub fn enter(&mut self, n: u64) {
        let room = (self.left >> BLOCK_BITS).saturating_sub(n);
        self.left = room << BLOCK_BITS | BLOCKS;
        self.start = self.left;
    }

    /// Stop going on into further blocks (TF was set): the blocks entered
    /// so far stay counted.
    pub fn stop(&mut self) {
        let room = self.left & !BLOCKS;
        self.start = self.start.wrapping_sub(room);
        self.left -= room;
    }

    /// Add the instructions of the blocks the chain entered to `icount`,
    /// and the blocks to `count` (again: adds nothing).
    #[inline(always)]
    pub fn settle(&mut self, icount: &mut u64) {
        // Below zero when a side exit left the run loop's own block
        // (counted in `icount` before the chain) early.
        let ran = self.start.wrapping_sub(self.left) as i64;
        *icount = icount.wrapping_add((ran >> BLOCK_BITS) as u64);
        self.count += (ran & BLOCKS as i64) as u64;
        self.start = self.left;
    }

    /// A side exit left its block with `n` of its instructions not run:
    /// they do not count (the room they took stays taken).
    #[inline(always)]
    pub fn skip(&mut self, n: u8) {
        self.start = self.start.wrapping_sub((n as u64) << BLOCK_BITS);
    }
}

/// The block whose instruction `i` is: found from its end marker, which
/// names it.
///
/// # Safety
/// `i` points into a live block of the cache.
#[cold]
pub unsafe fn block_of<'a>(mut i: *const Inst) -> &'a Block {
    unsafe {
        while !decode::is_chain_marker(&*i) {
            i = i.add(1);
        }
        Block::from_thin((*i).marker_block())
    }
}

/// The end of block `from`'s chain: go on into the block at `c.eip` if a
/// current link of `from` (or the direct-mapped table) names it and its
/// count fits in `c.chain.left`, else return to the run loop with `from`
/// in `c.chain.cur`.
///
/// # Safety
/// `from` is a live block of the cache `c.chain` was set up from
/// ([`BlockCache::chaining`]), unchanged since.
#[inline(always)]
pub unsafe fn chain_on(c: &mut Cpu, from: BlockPtr) {
    let eip = c.eip;
    // SAFETY: `from` is alive (the caller's contract), and so is every
    // block a current link names: blocks go only with an epoch change.
    unsafe {
        // The same tests as `BlockCache::next` and `get`, written out: as
        // shared helpers returning an Option (b049e34) the compiler gave
        // this path an instruction more per block (sort +1.5% Ir).
        let links = &(*from).links;
        let word = (*c.chain.line).load(Relaxed);
        let key = eip as u64 | word;
        let l = links[0].get();
        let to = if l.key == key {
            l.to
        } else {
            let l = links[1].get();
            if l.key == key {
                l.to
            } else {
                // Code written by another thread: the run loop drops it.
                if word & super::IrqLine::STALE != 0 {
                    c.chain.cur = from;
                    return;
                }
                // The direct-mapped table (the run loop would look there
                // next); only the run loop changes the links.
                let e = *c.chain.fast.add(slot(eip, c.chain.fast_len));
                if e.0 != eip || e.1.is_null() {
                    c.chain.cur = from;
                    return;
                }
                // Links are made by the run loop when the table misses, so
                // a block whose links went to other successors (an
                // indirect call's earlier targets, a function's callers
                // from start-up) kept coming here for a successor the
                // table holds (perl's op dispatch: 68% of its block ends).
                // Every eighth such successor takes the second link: one
                // that stays in use is linked soon, and one of several
                // alternating does not cost a store at every miss.
                c.chain.table += 1;
                if c.chain.relink && c.chain.table & 7 == 0 {
                    links[1].set(Link { key, to: e.1 });
                }
                e.1
            }
        };
        let Some(left) = c.chain.left.checked_sub((*to).cost) else {
            c.chain.cur = from;
            return;
        };
        c.chain.left = left;
        Handler::run(c, Block::from_thin(to).insts.as_ptr())
    }
}

/// How many links a fork's child leaves unmade at first (after the fork,
/// and after an exec in it), going on through the direct-mapped table
/// instead. Its blocks are its parent's, on pages the two share until one
/// writes them: a link written into a block's header copies the page
/// (4 KB and a fault, about 2 us here). A shell's child runs a few
/// thousand instructions to its exec and a short program after: linking
/// its blocks cost 70 page copies each time (a fifth of the faults of
/// `sh -c` running `busybox true` in a loop). A child that runs on links
/// once these lookups are spent. The parent gets the same budget after
/// each fork: its links written while the child lives copy the pages as
/// well (a shell's loop, relinking its returns, copied about 19 pages an
/// iteration: sh loop of 200, 51,700 -> 47,900 page faults, and about 8%
/// of its time in alternating runs).
const LINK_BUDGET: u32 = 4096;

/// log2 of the direct-mapped table's size: it starts small (a short-lived
/// program, or a fork's child about to exec, touches few of its pages) and
/// grows to `FAST_BITS` as blocks accumulate: x4 once there are twice as
/// many blocks as entries. (Growing at half as many cost a dynamically
/// linked hello, 2,200 blocks, 63 page faults of a 256 KB table, about
/// 80 us; most lookups go through block links anyway.)
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
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(29) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type AddrMap<V> = HashMap<u32, V, BuildHasherDefault<AddrHasher>>;

pub struct BlockCache {
    fast: Box<[(u32, BlockPtr)]>,
    map: AddrMap<BlockBox>,
    by_page: AddrMap<Vec<u32>>,
    /// Blocks translated so far.
    pub translated: u64,
    /// Instructions of the block being translated.
    scratch: Vec<Inst>,
    /// Blocks executed.
    pub executed: u64,
    /// Links made before the last invalidation are stale: dropping a block
    /// moves the epoch on instead of finding every link that points at it.
    epoch: u32,
    /// The translations of the program before the last exec, for code the
    /// new one has again at the same address (see [`Prior`]).
    prior: Option<Box<Prior>>,
    /// Signatures ([`page_sig`]) of pages in `by_page`, taken when the page
    /// got its first block (every fork's child that execs inherits them; a
    /// page without one could not be fetched from); dropped with the page's
    /// blocks.
    sigs: AddrMap<u128>,
    /// Blocks taken over from `prior` instead of translated.
    pub adopted: u64,
    /// The program's translations from earlier runs (see [`tcache`]),
    /// shared by its threads, with this cache's verdicts on their pages.
    store: Option<Arc<Stored>>,
    store_same: AddrMap<bool>,
    /// Blocks taken from `store` instead of translated.
    pub loaded: u64,
    /// Blocks made in this process that `store` lacks: the reason to
    /// write it back.
    fresh: u64,
    /// Links still to leave unmade (see [`LINK_BUDGET`]).
    link_budget: u32,
    /// Stores this cache took blocks from before `store` (an exec's
    /// program before, a file replaced since): blocks taken from them run
    /// in their mappings, which must outlive them. (After `map` and
    /// `prior`, which drop first.)
    keep: Vec<Arc<Stored>>,
}

/// The block cache of the program an exec replaced, kept so that the new
/// program takes over the blocks of code it has too, at the same address,
/// instead of translating them again. A shell running the same busybox
/// for every command, or any fork whose child execs the binary its parent
/// runs, finds most of its code there.
///
/// A block is a pure function of the bytes of its pages, of whether its
/// pages and the one after them may be fetched from (a block stops, or
/// ends with a fetch fault, where fetching stops), and of its address: it
/// is taken over when, in the new program, all of these are as they were.
/// The bytes are compared through a 128-bit XXH3 of each page, taken when
/// the old program's page got its first block and again when the new
/// program first runs code on the page.
pub struct Prior {
    /// The old blocks, with the signatures of their pages (`sigs`; a page
    /// without one could not be fetched from).
    cache: BlockCache,
    /// Whether the page after each of those could be fetched from.
    next_fetchable: AddrMap<bool>,
    /// The verdicts on pages of the new program so far.
    same: AddrMap<bool>,
    /// The old cache came from a fork's parent (copy-on-write pages that
    /// are not freed, see `exec.rs`).
    forked: bool,
}

impl Drop for Prior {
    fn drop(&mut self) {
        if self.forked {
            // The parent's blocks: freeing them would copy their pages.
            let c = std::mem::replace(&mut self.cache, BlockCache::placeholder());
            std::mem::forget(c);
        }
    }
}

/// The signature of a page for [`Prior`]: XXH3-128 of its bytes if it may
/// be fetched from, else None.
pub(super) fn page_sig(mem: &crate::mem::Mem, page: u32) -> Option<u128> {
    if !decode::fetchable(mem, page) {
        return None;
    }
    // SAFETY: the page lies in the guest window and was mapped readable;
    // another thread unmapping it meanwhile makes the read fail (the
    // guard), not crash.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            mem.base().add((page as usize) << crate::mem::PAGE_SHIFT),
            1 << crate::mem::PAGE_SHIFT,
        )
    };
    super::guard::kernel(mem, || xxhash_rust::xxh3::xxh3_128(bytes)).ok()
}

/// Whether pages `first..=last` hold the bytes they held when signed
/// (`then`: their signatures then). Each page's verdict is kept in
/// `same`; a page found the same is marked as code at once, so that
/// whatever changes it later (a store, which then leaves the block loop,
/// munmap, mprotect, a write by the kernel side) goes through the
/// invalidation paths, which drop the verdict. Its signature goes into
/// `signed` (the cache's `sigs`, which would otherwise hash it again).
fn unchanged(
    mem: &crate::mem::Mem,
    same: &mut AddrMap<bool>,
    then: impl Fn(u32) -> Option<u128>,
    signed: &mut AddrMap<u128>,
    (first, last): (u32, u32),
) -> bool {
    for page in first..=last {
        let v = match same.get(&page) {
            Some(&v) => v,
            None => {
                let old = then(page);
                let v = old.is_some() && page_sig(mem, page) == old;
                if let (true, Some(s)) = (v, old) {
                    mem.mark_code_and_aliases(page);
                    signed.insert(page, s);
                }
                same.insert(page, v);
                v
            }
        };
        if !v {
            return false;
        }
    }
    true
}

/// Forget the verdicts of [`unchanged`] on pages `first..=last`.
fn forget_verdicts(same: &mut AddrMap<bool>, first: u32, last: u32) {
    if (last - first) as usize <= same.len() {
        for page in first..=last {
            same.remove(&page);
        }
    } else {
        same.retain(|p, _| !(first..=last).contains(p));
    }
}

// The raw pointers point into blocks this cache owns (boxed in `map`), so
// moving the cache to another thread moves everything they point at.
unsafe impl Send for BlockCache {}

impl BlockCache {
    /// A cache that holds nothing and allocates nothing: what an exec
    /// leaves in the task while [`BlockCache::for_exec`] makes the new
    /// one (in a fork's child running a shell's command, every time: the
    /// default's tables cost about four page faults to make and drop).
    pub fn placeholder() -> BlockCache {
        BlockCache {
            fast: Vec::new().into_boxed_slice(),
            map: AddrMap::default(),
            by_page: AddrMap::default(),
            translated: 0,
            scratch: Vec::new(),
            executed: 0,
            epoch: 1,
            prior: None,
            adopted: 0,
            sigs: AddrMap::default(),
            store: None,
            store_same: AddrMap::default(),
            loaded: 0,
            fresh: 0,
            link_budget: 0,
            keep: Vec::new(),
        }
    }
}

impl Default for BlockCache {
    fn default() -> Self {
        BlockCache {
            fast: vec![(0, std::ptr::null()); 1 << FAST_BITS_START].into_boxed_slice(),
            // Room for 512 blocks (1,024 buckets, 16 KB): `busybox true`
            // takes 660, with room for 1,024 (2,048 buckets) a shell's
            // exec'd child wrote into 4 pages more, and its loop of 100
            // `busybox true` took 126-137 ms instead of 117-124 (4
            // alternating rounds); a bigger program grows the map once.
            map: AddrMap::with_capacity_and_hasher(1 << (FAST_BITS_START - 1), Default::default()),
            by_page: AddrMap::with_capacity_and_hasher(64, Default::default()),
            scratch: Vec::with_capacity(64),
            ..BlockCache::placeholder()
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
    pub fn get(&mut self, cpu: &Cpu) -> BlockPtr {
        let eip = cpu.eip;
        let e = self.fast[slot(eip, self.fast.len())];
        if e.0 == eip && !e.1.is_null() {
            return e.1;
        }
        self.get_slow(cpu)
    }

    /// Set `cpu.chain` up for the run loop's next block: blocks go on into
    /// each other while `icount + count <= end` after them (see
    /// [`Chaining`]).
    #[inline(always)]
    pub fn chaining(&self, cpu: &mut Cpu, end: u64) {
        cpu.chain.room(cpu.icount, end);
        let line = &cpu.irq.code;
        cpu.chain.line = line;
        let key = epoch_key(self.epoch);
        if line.load(Relaxed) & !super::IrqLine::STALE != key {
            // A new epoch (or a new line: a fork's child), keeping a
            // stale mark another thread may set meanwhile.
            let _ = line.fetch_update(Relaxed, Relaxed, |w| Some(w & super::IrqLine::STALE | key));
        }
        cpu.chain.fast = self.fast.as_ptr();
        cpu.chain.fast_len = self.fast.len();
        cpu.chain.relink = self.link_budget == 0;
    }

    /// The block at `cpu.eip`, which `from` (still alive) just ran into:
    /// through `from`'s links, or looked up and linked.
    #[inline(always)]
    pub fn next(&mut self, cpu: &Cpu, from: BlockPtr) -> BlockPtr {
        let eip = cpu.eip;
        // SAFETY: `from` is alive: nothing was invalidated since it ran.
        let links = unsafe { &(*from).links };
        let key = Link::key(eip, self.epoch);
        for l in links {
            let l = l.get();
            if l.key == key {
                return l.to;
            }
        }
        self.link(cpu, from)
    }

    #[cold]
    #[inline(never)]
    fn link(&mut self, cpu: &Cpu, from: BlockPtr) -> BlockPtr {
        let to = self.get(cpu);
        if self.link_budget > 0 {
            // A fork's child, early on: see `LINK_BUDGET`.
            self.link_budget -= 1;
            return to;
        }
        // Lookup and translation drop nothing, so `from` is still alive.
        let links = unsafe { &(*from).links };
        // Slot 0 keeps the first successor found; slot 1 the latest other.
        let k = links[0].get().current(self.epoch) as usize;
        links[k].set(Link {
            key: Link::key(cpu.eip, self.epoch),
            to,
        });
        to
    }

    /// Make every link stale (a block is about to be dropped).
    fn unlink_all(&mut self) {
        self.epoch += 1;
        if self.epoch == EPOCHS {
            // Wrapped: links from 2^31 invalidations ago would look current.
            for b in self.map.values() {
                for l in &b.hdr.links {
                    l.set(Link::NONE);
                }
            }
            self.epoch = 1;
        }
    }

    #[cold]
    #[inline(never)]
    fn get_slow(&mut self, cpu: &Cpu) -> BlockPtr {
        let eip = cpu.eip;
        let p: BlockPtr = match self.map.get(&eip) {
            Some(b) => b.thin(),
            None => {
                // Mark the page before reading it, so that a store another
                // thread makes while this one decodes traps as SMC. (A block
                // running into the next page marks that one after decoding.)
                cpu.mem.mark_code_and_aliases(eip >> crate::mem::PAGE_SHIFT);
                let b = match self.adopt(cpu, eip).or_else(|| self.take_stored(cpu, eip)) {
                    Some(b) => b,
                    None => {
                        let mut hdr = decode::translate_racing(&cpu.mem, eip, &mut self.scratch);
                        if cpu.irq.load(std::sync::atomic::Ordering::Relaxed) & super::IRQ_HOST_BUS
                            != 0
                        {
                            // The host raised SIGBUS while the code was read
                            // (the run loop serves the line before each
                            // block, so it was raised here): what was decoded
                            // is the fault handler's zero page, not code.
                            hdr = decode::unreadable_block(eip, &mut self.scratch);
                        }
                        self.translated += 1;
                        self.fresh += 1;
                        Block::boxed(hdr, &self.scratch).into()
                    }
                };
                for page in b.hdr.pages.0..=b.hdr.pages.1 {
                    cpu.mem.mark_code_and_aliases(page);
                    // (Room for a few blocks at once: a page's first
                    // blocks came one push and one growth each.)
                    self.by_page
                        .entry(page)
                        .or_insert_with(|| Vec::with_capacity(8))
                        .push(eip);
                    // What the page holds now, which its blocks were made
                    // from (or found the same as): what a later run must
                    // find there to take them (see `save`).
                    if let Entry::Vacant(e) = self.sigs.entry(page) {
                        if let Some(s) = page_sig(&cpu.mem, page) {
                            e.insert(s);
                        }
                    }
                }
                let p = b.thin();
                self.map.insert(eip, b);
                if self.map.len() > self.fast.len() * 2 && self.fast.len() < 1 << FAST_BITS {
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

    /// The cache for the program an exec loads into `mem`, which still
    /// holds the old program: `old` (this task's cache until now; `forked`
    /// if it is a fork's parent's, shared copy-on-write) is kept as its
    /// [`Prior`], with the signatures of the pages its blocks were read
    /// from. Call it before the old address space goes.
    pub fn for_exec(mut old: BlockCache, mem: &crate::mem::Mem, forked: bool) -> BlockCache {
        // Only one program back: an older one's blocks go now.
        drop(old.prior.take());
        let mut new = BlockCache::default();
        if old.map.is_empty() || old.epoch + 1 == EPOCHS {
            if forked {
                std::mem::forget(old);
            }
            return new;
        }
        let next_fetchable = old
            .by_page
            .keys()
            .map(|&page| page.wrapping_add(1))
            .map(|next| (next, decode::fetchable(mem, next)))
            .collect();
        // The old blocks' links are stale in the new cache: their epochs
        // are at most the old one.
        new.epoch = old.epoch + 1;
        // Blocks it adopts may lie in the old cache's stores' mappings.
        new.keep = std::mem::take(&mut old.keep);
        new.keep
            .extend(old.store.clone().filter(|s| s.in_place_taken()));
        if forked {
            new.link_budget = LINK_BUDGET;
        }
        new.prior = Some(Box::new(Prior {
            cache: old,
            next_fetchable,
            same: AddrMap::default(),
            forked,
        }));
        new
    }

    /// The old program's block at `cpu.eip`, if the new program has the
    /// same code there (see [`Prior`] and [`unchanged`]), taken out of the
    /// prior cache.
    fn adopt(&mut self, cpu: &Cpu, eip: u32) -> Option<BlockBox> {
        let prior = self.prior.as_mut()?;
        let (first, last) = prior.cache.map.get(&eip)?.hdr.pages;
        // Of the page after, only whether it may be fetched from counts
        // (a block that reads its bytes spans it).
        let next = last.wrapping_add(1);
        let Prior {
            cache,
            same,
            next_fetchable,
            ..
        } = &mut **prior;
        let then = |p| cache.sigs.get(&p).copied();
        if next_fetchable.get(&next) != Some(&decode::fetchable(&cpu.mem, next))
            || !unchanged(&cpu.mem, same, then, &mut self.sigs, (first, last))
        {
            return None;
        }
        let b = prior.cache.map.remove(&eip)?;
        self.adopted += 1;
        if !self.store.as_ref().is_some_and(|s| s.has(eip)) {
            self.fresh += 1;
        }
        Some(b)
    }

    /// The stored block at `cpu.eip` (see [`tcache`]), if its pages hold
    /// what they held when it was stored; on the rule of [`Self::adopt`].
    fn take_stored(&mut self, cpu: &Cpu, eip: u32) -> Option<BlockBox> {
        let store = self.store.as_ref()?;
        let r = store.record_to_take(eip)?;
        let then = |p| store.sig(p);
        if !unchanged(
            &cpu.mem,
            &mut self.store_same,
            then,
            &mut self.sigs,
            r.pages,
        ) {
            return None;
        }
        let b = store.take(&r)?;
        self.loaded += 1;
        Some(b)
    }

    /// An empty cache taking blocks from `store` (a new thread's).
    pub fn with_store(store: Option<Arc<Stored>>) -> BlockCache {
        let mut c = BlockCache::default();
        c.set_store(store);
        c
    }

    /// Take the program's translations from earlier runs from `store`
    /// (shared with its other threads).
    pub fn set_store(&mut self, store: Option<Arc<Stored>>) {
        self.keep_store();
        if store.as_ref().is_some_and(|s| !s.is_empty()) {
            // Its blocks run in the file's pages (see `tcache::Stored`),
            // where a link copies the page: see `LINK_BUDGET`.
            self.link_budget = self.link_budget.max(LINK_BUDGET);
        }
        self.store = store;
        self.store_same.clear();
        self.fresh = 0;
    }

    /// Take the store's file again if another process replaced it (a
    /// fork's child wrote what it translated): one stat.
    pub fn refresh_store(&mut self) {
        let Some(old) = &self.store else {
            return;
        };
        let now = Stored::current(old);
        if !Arc::ptr_eq(&now, old) {
            self.keep_store();
            self.store = Some(now);
            // The verdicts were on the old file's signatures.
            self.store_same.clear();
        }
    }

    /// Keep the store about to be replaced while blocks may run in its
    /// mapping.
    fn keep_store(&mut self) {
        if let Some(s) = self.store.take() {
            if s.in_place_taken() && !self.keep.iter().any(|k| Arc::ptr_eq(k, &s)) {
                self.keep.push(s);
            }
        }
    }

    /// Whether the block at `eip` runs in place in a mapped file (None:
    /// no block there).
    #[cfg(test)]
    pub fn mapped_at(&self, eip: u32) -> Option<bool> {
        self.map.get(&eip).map(|b| b.hdr.mapped)
    }

    /// The store this cache takes blocks from.
    pub fn store(&self) -> Option<Arc<Stored>> {
        self.store.clone()
    }

    /// A fork's child counts only the blocks it makes itself as missing
    /// from the store: the parent writes back what it made.
    pub fn forked(&mut self) {
        self.fresh = 0;
        self.link_budget = LINK_BUDGET;
    }

    /// A fork's parent: its blocks are on pages it now shares with the
    /// child until one of them writes there, so it too leaves links
    /// unmade for a while (see [`LINK_BUDGET`]).
    pub fn parent_forked(&mut self) {
        self.link_budget = LINK_BUDGET;
    }

    /// Write this cache's blocks back to its store's file (see
    /// [`tcache::save`]) if it made blocks the file lacks.
    pub fn save(&mut self) {
        let Some(store) = &self.store else {
            return;
        };
        if !worth_saving(self.fresh as usize, store.len()) {
            return;
        }
        let live = self.map.iter().map(|(&eip, b)| (eip, &**b));
        match tcache::save(&store.path, store.key, &self.sigs, live) {
            Ok(()) => self.fresh = 0,
            Err(e) => crate::debug!("translation cache {}: {e}", store.path.display()),
        }
    }

    /// The new program's code on pages `first..=last` may have changed:
    /// the verdicts on them are taken again.
    fn drop_verdicts(&mut self, first: u32, last: u32) {
        forget_verdicts(&mut self.store_same, first, last);
        if let Some(prior) = self.prior.as_mut() {
            forget_verdicts(&mut prior.same, first, last);
        }
    }

    /// Drop every block that touches `page`, and the page's P_CODE (this
    /// thread saw the store that made its code stale).
    pub fn invalidate_page(&mut self, cpu: &Cpu, page: u32) {
        if cpu.mem.perm(page) & crate::mem::P_ALIAS != 0 {
            // A page of a shared object: its aliases' code is stale too.
            for a in cpu.mem.aliases_of(page) {
                cpu.mem.clear_code(a);
                self.forget_page(a);
            }
            return;
        }
        cpu.mem.clear_code(page);
        self.forget_page(page);
    }

    /// Drop every block that touches `page`, leaving its P_CODE alone:
    /// another thread's store made the code stale, and this thread may
    /// have translated the page again since (a P_CODE left set costs at
    /// most one needless SMC exit).
    pub fn forget_page(&mut self, page: u32) {
        self.drop_verdicts(page, page);
        self.sigs.remove(&page);
        let Some(starts) = self.by_page.remove(&page) else {
            return;
        };
        self.unlink_all();
        for s in starts {
            if let Some(b) = self.map.remove(&s) {
                let n = self.fast.len();
                let sl = &mut self.fast[slot(s, n)];
                if sl.0 == s {
                    *sl = (0, std::ptr::null());
                }
                // Unlink from the other page it may span.
                for p in b.hdr.pages.0..=b.hdr.pages.1 {
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
        if let Some(prior) = self.prior.as_mut() {
            prior.same.clear();
        }
        self.store_same.clear();
        self.sigs.clear();
        for &page in self.by_page.keys() {
            cpu.mem.clear_code(page);
        }
        self.unlink_all();
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
        self.drop_verdicts(*r.start(), *r.end());
        for page in self.cached_pages(*r.start(), *r.end()) {
            self.invalidate_page(cpu, page);
        }
        // Pages marked as code only as aliases of code elsewhere.
        let both = crate::mem::P_ALIAS | crate::mem::P_CODE;
        for page in r {
            if cpu.mem.perm(page) & both == both {
                self.invalidate_page(cpu, page);
            }
        }
    }

    /// [`Self::forget_page`] for every page in `first..=last`.
    pub fn forget_range(&mut self, first: u32, last: u32) {
        self.drop_verdicts(first, last);
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

/// Whether a run that made `fresh` blocks the file of `stored` blocks
/// lacks should write the file again. Writing costs about a block's
/// translation per block in the file, and a run that translates anything
/// pays a fixed cost first (iced's tables, about 100 blocks' worth); so
/// a few blocks more than a big file holds are left out: python's hash
/// seed varies its paths from run to run, and every start found a dozen
/// new blocks of its 40,000 and wrote 10 MB (+50 ms, +20 MB RSS). They
/// are translated again next time instead. A cold run (nothing stored)
/// and a shell's child that made its few blocks before exec still write.
fn worth_saving(fresh: usize, stored: usize) -> bool {
    fresh > 0 && (fresh + 100) * 128 >= stored
}

#[cfg(test)]
mod tests {
    use super::worth_saving;

    /// The file is written after a cold run and when a run adds much to
    /// it, not when a big file would be written again for a few blocks.
    #[test]
    fn saves_what_pays() {
        assert!(worth_saving(1, 0), "a cold run");
        assert!(!worth_saving(0, 0), "nothing new");
        assert!(worth_saving(30, 3_000), "a shell child's pre-exec blocks");
        assert!(!worth_saving(15, 40_000), "python's dozen new blocks");
        assert!(worth_saving(300, 40_000), "another python script");
    }
}
