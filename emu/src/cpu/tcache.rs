//! Translations kept on disk between runs.
//!
//! A block is a pure function of its address, of the bytes of its pages and
//! of whether the page after them may be fetched from (see
//! [`super::cache::Prior`], which takes blocks over across an exec on that
//! rule). Only a block that ends in a fetch fault (its last instruction
//! runs into a page that may not be fetched from) depends on the page
//! after; such blocks are not stored. So the blocks a run translated can be written out at its
//! end and taken again by the next run of the same program wherever its
//! pages hold the same bytes: a start then translates only what it has
//! not seen before. Every page of a stored block keeps its 128-bit XXH3;
//! a stored block is taken only when all its pages have that signature
//! now (checked once per page and run, then kept while the page is marked
//! as code, as for an exec's prior blocks).
//!
//! One file per program and emu binary, named by a hash of both: the
//! program file's device, inode, size and modification time, and emu's
//! GNU build ID. In `$EMU_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/emu`, else `~/.cache/emu` (created with mode 0700).
//! The file holds host code addresses (the handlers, with the address
//! one function of this binary had in the run that wrote it), so, like
//! Python's `__pycache__`, it is trusted only as far as its owner: emu
//! takes a file only if this user owns it and nobody else may write it,
//! its checksum holds, and every handler lies in this binary's code.
//! Anything else makes the file be ignored (and replaced at the end of the
//! run). Taken blocks run in place in the mapped file (see [`Stored`]), so
//! one thing can make a run fail: another program cutting the file short
//! (emu replaces files by rename, never in place) under a block that runs
//! there, which kills emu with a line that says so.
//!
//! Writing: at the end of a run, or at an exec that replaces the program
//! in the same process, when the run translated blocks the file did not
//! have. The file on disk then is read again and merged (its blocks stay,
//! unless their pages now hold other bytes or the run has the same block
//! anew), and the result replaces it by rename, so that runs of the same
//! program at once never see a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use super::cache::{AddrMap, Block, BlockBox, BlockHeader, BlockPtr};
use super::{decode, Inst};

const MAGIC: [u8; 8] = *b"emu-tc\x00\x04";
/// magic, key (16), page and block counts (4 + 4), the address of
/// [`anchor`] in the run that wrote the file (8), the address the records
/// name the file's mapping by (8, [`home_address`]).
const HEADER: usize = 8 + 16 + 4 + 4 + 8 + 8;
/// page (4), padding (4), signature (16).
const PAGE_ENTRY: usize = 24;
/// eip and record offset (0: an empty slot).
const INDEX_ENTRY: usize = 8;

/// Slots of the index for `n` blocks: a power of two at least twice `n`
/// (open addressing, at most half full).
fn slots(n: usize) -> usize {
    (2 * n).next_power_of_two()
}

/// The index slot where the search for `eip` starts, of `slots`.
fn home(eip: u32, slots: usize) -> usize {
    (eip.wrapping_mul(0x9e37_79b1) as usize) & (slots - 1)
}
/// checksum (8), eip (4), padding (4); the block follows as it lies in
/// memory (header, then instructions), so that it can run where it lies.
const RECORD: usize = 16;
/// A block's header, as in memory.
const HDR: usize = std::mem::size_of::<BlockHeader>();
const INST: usize = std::mem::size_of::<Inst>();
/// A stored block spans at most this many pages (translation reads one
/// page and the start of the next).
const MAX_SPAN: u32 = 2;
/// Files grow no bigger: old blocks are left out past it.
const MAX_FILE: usize = 64 << 20;

// The handler is the first field, the rest plain integers with no padding.
const _: () = assert!(INST == 32 && std::mem::offset_of!(Inst, eip) == 8);
// A block's instructions follow its header with no gap (`Block`'s layout),
// and records keep them aligned (the file's tables are 8-byte multiples).
const _: () = assert!(HDR % std::mem::align_of::<Inst>() == 0 && RECORD % 8 == 0);
const _: () = assert!(HEADER % 8 == 0 && PAGE_ENTRY % 8 == 0 && INDEX_ENTRY % 8 == 0);

/// Where a header's fields lie in its bytes.
mod at {
    use super::BlockHeader;
    use std::mem::offset_of;
    pub const PAGES: usize = offset_of!(BlockHeader, pages);
    pub const COUNT: usize = offset_of!(BlockHeader, count);
    pub const FALLS: usize = offset_of!(BlockHeader, falls);
    pub const MAPPED: usize = offset_of!(BlockHeader, mapped);
    pub const COST: usize = offset_of!(BlockHeader, cost);
}

/// Where the file of key `key` is mapped, if that range is free: the
/// blocks in its records name themselves (their end markers and side
/// exits hold their block's address) as they lie there, so that they can
/// run in place. One of 2^16 slots of [`MAX_FILE`] bytes in the 4 TiB from
/// 32 TiB up, far below where the host places mappings (near the top of
/// the 128 TiB), chosen by the key; taken (another file of the same slot
/// mapped in this process), the file is mapped elsewhere and its blocks
/// are copied out.
fn home_address(key: u128) -> usize {
    const BASE: usize = 0x2000_0000_0000;
    BASE + (key % (1 << 16)) as usize * MAX_FILE
}

/// The function handler addresses are stored relative to.
fn anchor() -> usize {
    anchor as fn() -> usize as usize
}

unsafe extern "C" {
    // Linker-defined bounds of this binary's code (GNU ld and lld).
    static __executable_start: u8;
    static etext: u8;
}

/// The addresses of this binary's code.
fn text() -> std::ops::Range<usize> {
    // Only the symbols' addresses are taken.
    std::ptr::addr_of!(__executable_start) as usize..std::ptr::addr_of!(etext) as usize
}

/// The default directory: `$EMU_CACHE_DIR`, `$XDG_CACHE_HOME/emu`,
/// `$HOME/.cache/emu`. None without any of them, or when the
/// `$XDG_CACHE_HOME` or `$HOME` named is not a directory (a HOME of
/// /nonexistent gets no cache made under it).
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("EMU_CACHE_DIR") {
        // Absolute now: the guest may change its directory before a save.
        return std::path::absolute(d).ok();
    }
    let (base, sub) = match var("XDG_CACHE_HOME") {
        Some(d) => (PathBuf::from(d), "emu"),
        None => (PathBuf::from(var("HOME")?), ".cache/emu"),
    };
    base.is_dir().then(|| base.join(sub))
}

fn identity(md: &std::fs::Metadata, out: &mut Vec<u8>) {
    use std::os::unix::fs::MetadataExt;
    for v in [
        md.dev(),
        md.ino(),
        md.size(),
        md.mtime() as u64,
        md.mtime_nsec() as u64,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// The GNU build ID of this binary's code (the linker's hash of it),
/// read from its own program headers: what names this emu's handlers. Not
/// the metadata of /proc/self/exe, which under valgrind (or any loader
/// that runs emu) is the loader's.
fn build_id() -> Option<Vec<u8>> {
    unsafe extern "C" fn each(
        info: *mut libc::dl_phdr_info,
        _: libc::size_t,
        out: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: the C library hands over a valid dl_phdr_info; the
        // notes of a loaded object are mapped readable.
        unsafe {
            let info = &*info;
            let out = &mut *(out as *mut Option<Vec<u8>>);
            for k in 0..info.dlpi_phnum as usize {
                let ph = &*info.dlpi_phdr.add(k);
                if ph.p_type != libc::PT_NOTE {
                    continue;
                }
                let notes = std::slice::from_raw_parts(
                    (info.dlpi_addr as usize + ph.p_vaddr as usize) as *const u8,
                    ph.p_memsz as usize,
                );
                let mut at = 0;
                while at + 12 <= notes.len() {
                    let word =
                        |o: usize| u32::from_ne_bytes(notes[o..o + 4].try_into().unwrap_or([0; 4]));
                    let (nsz, dsz, kind) = (word(at) as usize, word(at + 4) as usize, word(at + 8));
                    let name = at + 12;
                    let desc = name + nsz.next_multiple_of(4);
                    let end = desc + dsz.next_multiple_of(4);
                    if end > notes.len() {
                        break;
                    }
                    // NT_GNU_BUILD_ID, named "GNU\0".
                    if kind == 3 && notes[name..name + nsz] == *b"GNU\0" {
                        *out = Some(notes[desc..desc + dsz].to_vec());
                        return 1;
                    }
                    at = end;
                }
            }
            // The first object is the executable.
            1
        }
    }
    let mut out: Option<Vec<u8>> = None;
    // SAFETY: the callback only reads what it is given and writes `out`.
    unsafe { libc::dl_iterate_phdr(Some(each), &mut out as *mut _ as *mut libc::c_void) };
    out.filter(|id| !id.is_empty())
}

/// Where the translations of the program `prog` (its file's metadata) are
/// kept in `dir`: the file and its key. None if this binary has no build
/// ID to name its code by.
pub fn locate(dir: &Path, prog: &std::fs::Metadata) -> Option<(PathBuf, u128)> {
    static ME: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    let me = ME.get_or_init(|| {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&build_id()?);
        Some(v)
    });
    let mut v = me.clone()?;
    identity(prog, &mut v);
    let key = xxhash_rust::xxh3::xxh3_128(&v);
    Some((dir.join(format!("{key:032x}")), key))
}

/// A program's stored translations: its file, mapped. Nothing is decoded
/// up front: a block is found through the file's hash index and
/// checked (its own checksum, bounds, handlers) when it is taken, so
/// attaching a store costs the same for a file of ten blocks or of a
/// hundred thousand (an exec'd child that finds most of its code in the
/// exec's prior cache takes a few).
///
/// A block taken runs where it lies in the mapping (a private one: the
/// links its cache writes into its header copy that page only), so a
/// start costs no memory and no copy for the blocks it takes, which are
/// the page cache's pages of the file: a dynamically linked hello takes
/// about 1,300 blocks (800 KB), which as copies cost 200 fresh pages, a
/// page fault each. A record is run in place by one cache only (the first
/// to take it; another thread's cache takes a copy), only by a run whose
/// handlers lie where the file's writer had them (emu is linked static and
/// not position-independent: always, unless it is built otherwise), and
/// only from a mapping at the address the records were written for (see
/// [`home_address`]); else blocks are copied out, their handlers moved and
/// their markers made to name the copy.
///
/// The file: a header (magic, key, the counts, the writer's [`anchor`],
/// the address the records were written for),
/// the page table (page, signature; sorted), the index (eip, record
/// offset; open addressing on a hash of eip, at most half full), then the
/// records in eip order: each its own checksum and eip, then the block as
/// it lies in memory (its header with no links, its instructions).
pub struct Stored {
    /// The file, its header and tables checked; None: no (good) file.
    bytes: Option<Bytes>,
    /// Device and inode of the file as it was opened (None: none).
    file: Option<(u64, u64)>,
    npages: usize,
    nblocks: usize,
    /// What to add to a stored handler to make it this run's.
    delta: usize,
    /// The records can run in place: the handlers are this run's (`delta`
    /// 0) and the file is mapped where its records say (see [`home_address`]).
    at_home: bool,
    /// One bit per index slot: its record was taken to run in place.
    claimed: Box<[AtomicU64]>,
    /// Some record runs in place (so the mapping must stay).
    in_place: std::sync::atomic::AtomicBool,
    /// Record bytes copied out since the mapping's pages were last given
    /// back (see [`RELEASE_EVERY`]).
    taken: AtomicUsize,
    /// Where it came from and goes back to.
    pub path: PathBuf,
    pub key: u128,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u128_at(b: &[u8], at: usize) -> u128 {
    u128::from_le_bytes(b[at..at + 16].try_into().expect("16 bytes"))
}

/// A stored block's record, checked.
#[derive(Clone, Copy)]
pub struct Record {
    pub eip: u32,
    pub pages: (u32, u32),
    pub count: u32,
    pub falls: bool,
    /// Offset of the record in the file.
    at: usize,
    /// Its slot in the index.
    slot: usize,
}

impl Record {
    /// Bytes of the whole record.
    fn len(&self) -> usize {
        RECORD + HDR + (self.count as usize + 1) * INST
    }

    /// Offset of the block (its header) in the file.
    fn block_at(&self) -> usize {
        self.at + RECORD
    }
}

impl Stored {
    /// An empty store for `path`.
    pub fn empty(path: PathBuf, key: u128) -> Stored {
        Stored {
            bytes: None,
            file: None,
            npages: 0,
            nblocks: 0,
            delta: 0,
            at_home: false,
            claimed: Box::new([]),
            in_place: Default::default(),
            taken: Default::default(),
            path,
            key,
        }
    }

    /// Map and check the file at `path`; an empty store if it is absent or
    /// not to be trusted (see the module's documentation).
    pub fn load(path: PathBuf, key: u128) -> Stored {
        use std::os::unix::fs::MetadataExt;
        let read = read_trusted(&path, key);
        // Which file this is, good or not (see `reloaded`).
        let file = match &read {
            Some(r) => Some(r.1),
            None => std::fs::metadata(&path).ok().map(|m| (m.dev(), m.ino())),
        };
        match read.and_then(|(b, _)| tables(&b, key).map(|(np, nb)| (b, np, nb))) {
            Some((bytes, npages, nblocks)) => {
                let delta = anchor().wrapping_sub(u64_at(&bytes, 32) as usize);
                let at_home = delta == 0 && u64_at(&bytes, 40) as usize == bytes.base as usize;
                Stored {
                    bytes: Some(bytes),
                    file,
                    npages,
                    nblocks,
                    delta,
                    at_home,
                    claimed: (0..slots(nblocks).div_ceil(64))
                        .map(|_| AtomicU64::new(0))
                        .collect(),
                    ..Stored::empty(path, key)
                }
            }
            None => Stored {
                file,
                ..Stored::empty(path, key)
            },
        }
    }

    /// The file again, if the one at the path now is another (replaced
    /// by a save since this one was opened).
    fn reloaded(&self) -> Option<Stored> {
        use std::os::unix::fs::MetadataExt;
        let md = std::fs::metadata(&self.path).ok()?;
        (Some((md.dev(), md.ino())) != self.file).then(|| Stored::load(self.path.clone(), self.key))
    }

    /// `s`, or the file that replaced it at its path since (one stat).
    pub fn current(s: &Arc<Stored>) -> Arc<Stored> {
        s.reloaded().map_or_else(|| s.clone(), Arc::new)
    }

    fn bytes(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or_default()
    }

    /// Whether a block of this store runs in place in its mapping.
    pub fn in_place_taken(&self) -> bool {
        self.in_place.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The signature the file gives page `page`: a binary search of the
    /// page table (an unsorted, damaged one finds less, never a wrong
    /// page's entry).
    pub fn sig(&self, page: u32) -> Option<u128> {
        // `tables` checked the table lies in the file (and there is none
        // without a file).
        let t = self
            .bytes()
            .get(HEADER..HEADER + self.npages * PAGE_ENTRY)?;
        let entry = |k: usize| &t[k * PAGE_ENTRY..(k + 1) * PAGE_ENTRY];
        let (mut lo, mut hi) = (0, self.npages);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match u32_at(entry(mid), 0).cmp(&page) {
                std::cmp::Ordering::Equal => return Some(u128_at(entry(mid), 8)),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }

    fn index_base(&self) -> usize {
        HEADER + self.npages * PAGE_ENTRY
    }

    /// The index slot and record offset of the block at `eip`: a hash of
    /// eip and a linear probe of the index (at most half full, so probes
    /// are short; bounded by its size whatever the file says).
    fn find(&self, eip: u32) -> Option<(usize, usize)> {
        let n = slots(self.nblocks);
        let t = self
            .bytes()
            .get(self.index_base()..self.index_base() + n * INDEX_ENTRY)?;
        let mut k = home(eip, n);
        for _ in 0..n {
            let e = &t[k * INDEX_ENTRY..k * INDEX_ENTRY + 8];
            let off = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
            if off == 0 {
                return None;
            }
            if u32::from_le_bytes([e[0], e[1], e[2], e[3]]) == eip {
                return Some((k, off as usize));
            }
            k = (k + 1) & (n - 1);
        }
        None
    }

    pub fn has(&self, eip: u32) -> bool {
        self.find(eip).is_some()
    }

    pub fn len(&self) -> usize {
        self.nblocks
    }

    pub fn is_empty(&self) -> bool {
        self.nblocks == 0
    }

    /// The record of the block at `eip`, if it is whole: in the file, of
    /// that eip, a block's size and span, its checksum right and every
    /// handler in this binary's code. (A damaged record is only that
    /// block lost: it is translated instead.)
    pub fn record(&self, eip: u32) -> Option<Record> {
        self.record_to_take(eip).filter(|r| self.handlers_ok(r))
    }

    /// The record of the block at `eip` as [`Self::record`] finds it, but
    /// with its handlers unchecked: [`Self::take`] checks them.
    pub fn record_to_take(&self, eip: u32) -> Option<Record> {
        let (slot, at) = self.find(eip)?;
        self.record_at(at, slot).filter(|r| r.eip == eip)
    }

    /// The record at offset `at` (of index slot `slot`), if it lies in the
    /// file with a block's size and span, a header as its writer made it
    /// (no links: a record whose block ran in place and was linked fails
    /// here), and its checksum holds (its handlers unchecked).
    fn record_at(&self, at: usize, slot: usize) -> Option<Record> {
        let b = self.bytes();
        if at % 8 != 0
            || at < self.index_base() + slots(self.nblocks) * INDEX_ENTRY
            || at + RECORD + HDR > b.len()
        {
            return None;
        }
        let h = at + RECORD;
        let r = Record {
            eip: u32_at(b, at + 8),
            pages: (u32_at(b, h + at::PAGES), u32_at(b, h + at::PAGES + 4)),
            count: u32_at(b, h + at::COUNT),
            falls: b[h + at::FALLS] == 1,
            at,
            slot,
        };
        if r.count as usize > decode::MAX_BLOCK
            || b[h + at::FALLS] > 1
            || b[h + at::MAPPED] != 1
            || u64_at(b, h + at::COST) != super::cache::chain_cost(r.count as u64)
            || r.pages.1 < r.pages.0
            || r.pages.1 - r.pages.0 >= MAX_SPAN
            || at + r.len() > b.len()
            || xxhash_rust::xxh3::xxh3_64(&b[at + 8..at + r.len()]) != u64_at(b, at)
        {
            return None;
        }
        Some(r)
    }

    /// The instructions of record `r`, as bytes.
    fn insts(&self, r: &Record) -> &[u8] {
        &self.bytes()[r.block_at() + HDR..r.at + r.len()]
    }

    /// Whether every handler of record `r` lies in this binary's code.
    fn handlers_ok(&self, r: &Record) -> bool {
        let text = text();
        self.insts(r)
            .chunks_exact(INST)
            .all(|i| handler_at(self.delta, &text, u64_at(i, 0)).is_some())
    }

    /// The block of record `r` (from [`Self::record_to_take`]), which a
    /// cache takes to own: the record itself, to run in place, if it can
    /// (see [`Stored`]), else a copy. None if one of its handlers is not
    /// in this binary's code.
    pub fn take(&self, r: &Record) -> Option<BlockBox> {
        // (A record that cannot run where it lies is copied: the copy's
        // markers name the copy.)
        if self.at_home && self.runs_here(r) && self.claim(r.slot) {
            let map = self.bytes.as_ref()?;
            self.in_place
                .store(true, std::sync::atomic::Ordering::Relaxed);
            if let Some(k) = map.slot {
                IN_PLACE[k].store(true, SeqCst);
            }
            // SAFETY: `record_at` checked the record lies in the mapping,
            // 8-byte aligned (the mapping is page-aligned) and whole: a
            // header as `Block` has it (links none: zeros) and its
            // instructions, the end marker last, with handlers of this
            // binary and the end marker and side exits naming the block
            // where it lies (the mapping is at the address the file's
            // records were written for); the claim makes this cache its
            // only user, and the cache keeps this store (so the mapping)
            // while it has blocks from it (`BlockCache::keep`).
            return Some(unsafe {
                BlockBox::mapped(std::ptr::NonNull::new_unchecked(
                    map.base.add(r.block_at()) as *mut BlockHeader
                ))
            });
        }
        self.block(r).map(Into::into)
    }

    /// Whether record `r` can run where it lies: every handler in this
    /// binary's code, and its end marker and side exits naming it there
    /// (a file written for another address, or damaged, is not run).
    fn runs_here(&self, r: &Record) -> bool {
        let (text, side) = (text(), super::exec::control::side_exits());
        let here = self.bytes().as_ptr() as usize + r.block_at();
        let last = r.count as usize;
        self.insts(r).chunks_exact(INST).enumerate().all(|(k, i)| {
            let named = || u32_at(i, 20) as usize | (u32_at(i, 24) as usize) << 32;
            handler_at(self.delta, &text, u64_at(i, 0))
                .is_some_and(|h| k != last && !side.has_addr(h) || named() == here)
        })
    }

    /// Claim index slot `slot`'s record to run in place: false if it was.
    fn claim(&self, slot: usize) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let (w, bit) = (slot / 64, 1u64 << (slot % 64));
        self.claimed
            .get(w)
            .is_some_and(|c| c.fetch_or(bit, Relaxed) & bit == 0)
    }

    /// A copy of the block of record `r` (from [`Self::record_to_take`]),
    /// its handlers made this run's: None if one of them is not in this
    /// binary's code.
    pub fn block(&self, r: &Record) -> Option<Box<Block>> {
        let n = r.count as usize + 1;
        let src = self.insts(r);
        let (delta, text) = (self.delta, text());
        let hdr = BlockHeader {
            pages: r.pages,
            count: r.count,
            falls: r.falls,
            mapped: false,
            links: Default::default(),
            cost: 0,
        };
        let mut whole = true;
        // SAFETY: `record_at` checked the record lies in the file (`src`
        // is n instructions long); the rest of an Inst is plain integers
        // (`repr(C)`, no padding), so with the handlers made this run's
        // the n instructions are whole (`build` makes the markers name
        // the copy). A handler that does not lie in this binary's code
        // (the key names the build, and this build wrote the file)
        // becomes the anchor's address, and the block is dropped unrun.
        let b = unsafe {
            Block::build(hdr, n, |dst| {
                let dst = dst as *mut u8;
                std::ptr::copy_nonoverlapping(src.as_ptr(), dst, n * INST);
                for k in 0..n {
                    let h = dst.add(k * INST) as *mut u64;
                    let a = handler_at(delta, &text, h.read_unaligned()).unwrap_or_else(|| {
                        whole = false;
                        anchor()
                    });
                    h.write_unaligned(a as u64);
                }
            })
        };
        self.release_now_and_then(r.len());
        whole.then_some(b)
    }

    /// Count `n` bytes copied out of the mapping, and give its pages back
    /// every [`RELEASE_EVERY`] bytes: what has been taken lives on in the
    /// copies, and the file's pages would otherwise count in the process's
    /// RSS a second time. Not while blocks run in the mapping.
    fn release_now_and_then(&self, n: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.taken.fetch_add(n, Relaxed) + n < RELEASE_EVERY || self.in_place_taken() {
            return;
        }
        self.taken.store(0, Relaxed);
        if let Some(b) = &self.bytes {
            // SAFETY: a private mapping of a file that is never changed in
            // place, in which nothing was written (no block runs there): a
            // page read again after this is the same bytes from the page
            // cache.
            unsafe { libc::madvise(b.base as *mut libc::c_void, b.len, libc::MADV_DONTNEED) };
        }
    }

    /// The whole records the index names (in its order, which is no
    /// order).
    fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let base = self.index_base();
        let n = if self.bytes.is_some() {
            slots(self.nblocks)
        } else {
            0
        };
        (0..n).filter_map(move |k| {
            let at = u32_at(self.bytes(), base + k * INDEX_ENTRY + 4) as usize;
            self.record_at(at, k).filter(|r| self.handlers_ok(r))
        })
    }
}

/// The address a stored handler `h` names in this run (`delta` added: see
/// [`Stored::delta`]), if it lies in this binary's code (`text`).
fn handler_at(delta: usize, text: &std::ops::Range<usize>, h: u64) -> Option<usize> {
    let a = (h as usize).wrapping_add(delta);
    text.contains(&a).then_some(a)
}

/// The file's bytes, if this user owns it and no one else may write it.
///
/// Mapped, not read: only the pages a run uses come in, from the page
/// cache a few at a time, where reading the file into fresh memory cost a
/// page fault per page (a third of a dynamically linked hello's). A file
/// emu wrote is never changed in place (it is replaced by rename), so the
/// mapping keeps the bytes that were checked.
fn read_trusted(path: &Path, key: u128) -> Option<(Bytes, (u64, u64))> {
    use std::os::unix::fs::MetadataExt;
    let f = std::fs::File::open(path).ok()?;
    let md = f.metadata().ok()?;
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    if !md.is_file()
        || md.uid() != me
        || md.mode() & 0o022 != 0
        || md.len() > MAX_FILE as u64
        || md.len() < HEADER as u64
    {
        return None;
    }
    let b = Bytes::map(&f, md.len() as usize, home_address(key))?;
    Some((b, (md.dev(), md.ino())))
}

/// A mapped cache file. emu replaces files by rename, but another program
/// may truncate one in place while it is mapped: a read of a page past
/// the new end raises SIGBUS, which the host fault handler turns into a
/// page of zeros over it (`kernel::hostsig`), so the read goes on and
/// what it finds there fails the checks (an empty index slot, a checksum
/// that does not hold): blocks lost, the process unharmed.
struct Bytes {
    /// The mapping (private: blocks that run in place write their links
    /// there), with the provenance to write there.
    base: *mut u8,
    len: usize,
    /// Its slot in [`MAPPED`] (None: all were taken, unprotected).
    slot: Option<usize>,
}

impl Bytes {
    /// Map `len` bytes of `f` at `want` if that range is free, else where
    /// the host likes.
    fn map(f: &std::fs::File, len: usize, want: usize) -> Option<Bytes> {
        use std::os::fd::AsRawFd;
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let map = |at: usize, flags: i32| {
            // SAFETY: a new private mapping of a file emu never writes in
            // place (and a page someone cut off the file reads as zeros:
            // see below); MAP_FIXED_NOREPLACE never replaces a mapping.
            let p = unsafe {
                libc::mmap(
                    at as *mut libc::c_void,
                    len.max(1),
                    prot,
                    libc::MAP_PRIVATE | flags,
                    f.as_raw_fd(),
                    0,
                )
            };
            (p != libc::MAP_FAILED).then_some(p as *mut u8)
        };
        // (A kernel before 4.17 takes the address as a hint: anywhere else
        // does as well.)
        let base = map(want, libc::MAP_FIXED_NOREPLACE).or_else(|| map(0, 0))?;
        let (start, end) = (base as usize, base as usize + len);
        // (A slot's start 0 marks it free; no mapping starts there.)
        let slot = MAPPED
            .iter()
            .position(|(s, _)| s.compare_exchange(0, start, SeqCst, SeqCst).is_ok());
        if let Some(k) = slot {
            IN_PLACE[k].store(false, SeqCst);
            MAPPED[k].1.store(end, SeqCst);
        }
        Some(Bytes { base, len, slot })
    }
}

// SAFETY: the mapping is shared by the threads of a process read-only,
// but for the headers of blocks that run in place, each written by the
// one cache that claimed it (`Stored::claim`).
unsafe impl Send for Bytes {}
unsafe impl Sync for Bytes {}

/// The host address ranges [start, end) of the mapped cache files (0: a
/// free slot), for the fault handler. A process maps one or two at once
/// (its program's, and the one it exec-ed from).
static MAPPED: [(AtomicUsize, AtomicUsize); 8] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 8];

/// Of each slot of [`MAPPED`]: blocks run in place in that file.
static IN_PLACE: [std::sync::atomic::AtomicBool; 8] =
    [const { std::sync::atomic::AtomicBool::new(false) }; 8];

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the mapping, alive while self is.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        // Out of the table before the mapping goes.
        if let Some(k) = self.slot {
            MAPPED[k].1.store(0, SeqCst);
            MAPPED[k].0.store(0, SeqCst);
        }
        // SAFETY: the mapping `map` made, no longer used.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len.max(1)) };
    }
}

/// Whether host address `addr` lies in a mapped cache file, and if so
/// whether blocks run in place there: for the host fault handler, which
/// lays a page of zeros over a page past the end of a file cut short under
/// its mapping (see `Bytes`), unless blocks ran there.
/// Async-signal-safe: atomics.
pub fn in_mapped_file(addr: usize) -> Option<bool> {
    MAPPED.iter().zip(&IN_PLACE).find_map(|((s, e), p)| {
        let (s, e) = (s.load(SeqCst), e.load(SeqCst));
        (s != 0 && (s..e).contains(&addr)).then(|| p.load(SeqCst))
    })
}

/// How many bytes of records a run copies out of the mapped file between
/// two releases of its pages ([`Stored::release_now_and_then`]): page
/// faults (on the page cache, which still holds the file) against RSS.
/// The host maps 16 pages around each faulting one, so scattered takes
/// soon map most of a file: python's start (10 MB of records) peaked at
/// 31 MB with 2 MB here, 28.5 MB with 512 KB, 26.6 MB with 128 KB
/// (23.7 MB with --no-cache, 7.3 MB native), its time the same within
/// the noise.
const RELEASE_EVERY: usize = 128 << 10;

/// Check a file's header (magic, key, tables inside the file): its page
/// and block counts. Nothing is read past it, so attaching a file costs
/// the same whatever its size. The tables need no checksum: what they
/// give only selects (a page's signature, a record's offset), and a block
/// is taken only if its record, checked whole, names that eip and its
/// pages hash to what the table says, so a damaged entry can only lose
/// blocks.
fn tables(b: &[u8], key: u128) -> Option<(usize, usize)> {
    if b.len() < HEADER || b[..8] != MAGIC || u128_at(b, 8) != key {
        return None;
    }
    let npages = u32_at(b, 24) as usize;
    let nblocks = u32_at(b, 28) as usize;
    let end = HEADER
        .checked_add(npages.checked_mul(PAGE_ENTRY)?)?
        .checked_add(slots(nblocks).checked_mul(INDEX_ENTRY)?)?;
    (end <= b.len()).then_some((npages, nblocks))
}

/// Write the blocks `live` (this run's), with the signatures `signed` of
/// the bytes their pages held when they were made, merged with the file
/// now on disk, replacing it. A block with a page not signed is left out.
pub fn save<'a>(
    path: &Path,
    key: u128,
    signed: &AddrMap<u128>,
    live: impl Iterator<Item = (u32, &'a Block)>,
) -> std::io::Result<()> {
    let mut sigs: AddrMap<u128> = AddrMap::default();
    // Each block's record: eip, length and where its bytes come from.
    // They are made (a live block's, or an old one's again from the old
    // file) only as they are written, so a save holds no second copy of
    // the blocks.
    let mut recs: Vec<(u32, usize, Source)> = Vec::new();
    let mut taken: AddrMap<()> = AddrMap::default();
    let mut size = 0;
    for (eip, b) in live {
        let (first, last) = b.hdr.pages;
        if last < first
            || last - first >= MAX_SPAN
            || !(first..=last).all(|p| signed.contains_key(&p))
            || decode::fetch_faults(&b.insts[..b.hdr.count as usize])
        {
            continue;
        }
        for p in first..=last {
            sigs.insert(p, signed[&p]);
        }
        let len = RECORD + HDR + b.insts.len() * INST;
        size += len;
        recs.push((eip, len, Source::Live(b)));
        taken.insert(eip, ());
    }
    // The blocks on disk that this run did not make again, where their
    // pages' signatures agree with this run's.
    let old = Stored::load(path.to_path_buf(), key);
    // (Their handlers are kept as they are, so only if they are where
    // this run's are: the file names one anchor for all. A fresh private
    // mapping: the links this run wrote into its own are not in it.)
    let kept = (old.delta == 0)
        .then(|| old.records())
        .into_iter()
        .flatten();
    for r in kept {
        if taken.contains_key(&r.eip) || size + r.len() > MAX_FILE / 2 {
            continue;
        }
        let agree = (r.pages.0..=r.pages.1).all(|p| match (sigs.get(&p), old.sig(p)) {
            (Some(now), Some(then)) => *now == then,
            (None, Some(_)) => true,
            _ => false,
        });
        if !agree {
            continue;
        }
        for p in r.pages.0..=r.pages.1 {
            if let Some(s) = old.sig(p) {
                sigs.entry(p).or_insert(s);
            }
        }
        size += r.len();
        recs.push((r.eip, r.len(), Source::Old(r)));
        taken.insert(r.eip, ());
    }
    recs.sort_unstable_by_key(|r| r.0);
    let mut pages: Vec<(u32, u128)> = sigs.into_iter().collect();
    pages.sort_unstable_by_key(|e| e.0);
    let nslots = slots(recs.len());
    let mut tables = Vec::with_capacity(pages.len() * PAGE_ENTRY + nslots * INDEX_ENTRY);
    for (p, s) in &pages {
        tables.extend_from_slice(&p.to_le_bytes());
        tables.extend_from_slice(&[0; 4]);
        tables.extend_from_slice(&s.to_le_bytes());
    }
    let mut index = vec![0u8; nslots * INDEX_ENTRY];
    let mut at = HEADER + pages.len() * PAGE_ENTRY + nslots * INDEX_ENTRY;
    for &(eip, len, _) in &recs {
        let mut k = home(eip, nslots);
        while index[k * INDEX_ENTRY + 4..k * INDEX_ENTRY + 8] != [0; 4] {
            k = (k + 1) & (nslots - 1);
        }
        index[k * INDEX_ENTRY..k * INDEX_ENTRY + 4].copy_from_slice(&eip.to_le_bytes());
        index[k * INDEX_ENTRY + 4..k * INDEX_ENTRY + 8].copy_from_slice(&(at as u32).to_le_bytes());
        at += len;
    }
    tables.extend_from_slice(&index);
    let mut head = Vec::with_capacity(HEADER);
    head.extend_from_slice(&MAGIC);
    head.extend_from_slice(&key.to_le_bytes());
    head.extend_from_slice(&(pages.len() as u32).to_le_bytes());
    head.extend_from_slice(&(recs.len() as u32).to_le_bytes());
    head.extend_from_slice(&(anchor() as u64).to_le_bytes());
    let mapped_at = home_address(key);
    head.extend_from_slice(&(mapped_at as u64).to_le_bytes());
    // The guest's RLIMIT_FSIZE is emu's too: a file past it would raise
    // SIGXFSZ, which kills (a shell's `ulimit -f 1`).
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) } != 0
        || (lim.rlim_cur != libc::RLIM_INFINITY && lim.rlim_cur < at as u64)
    {
        return Err(std::io::Error::from_raw_os_error(libc::EFBIG));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let new_file = !path.exists();
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        w.write_all(&head)?;
        w.write_all(&tables)?;
        let mut buf = Vec::new();
        let mut at = HEADER + tables.len();
        for &(eip, len, src) in &recs {
            match src {
                Source::Live(b) => {
                    let h = &b.hdr;
                    let insts = b.insts.iter().copied();
                    let whole = (h.pages, h.count, h.falls, insts);
                    record_bytes(eip, whole, mapped_at + at + RECORD, &mut buf);
                    w.write_all(&buf)?;
                }
                Source::Old(r) => {
                    // Its blocks' addresses are where it lay in the old
                    // file: made again for where it lies in this one.
                    // SAFETY: a record `records` took whole: `count` + 1
                    // instructions, their handlers in this binary's code
                    // (`delta` 0), the rest plain integers.
                    let insts = old
                        .insts(&r)
                        .chunks_exact(INST)
                        .map(|i| unsafe { std::ptr::read_unaligned(i.as_ptr() as *const Inst) });
                    let whole = (r.pages, r.count, r.falls, insts);
                    record_bytes(eip, whole, mapped_at + at + RECORD, &mut buf);
                    w.write_all(&buf)?;
                    old.release_now_and_then(len);
                }
            }
            at += len;
        }
        w.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    // The directory grows by a file per program and emu build: when a new
    // file makes it too big, the least recently used go.
    if written.is_ok() && new_file {
        trim(dir, MAX_DIR, KEEP_DIR);
    }
    written
}

/// Where a record [`save`] writes comes from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A block of this run.
    Live(&'a Block),
    /// A record of the file on disk.
    Old(Record),
}

/// The record of the block at `eip` (checksum, eip, then the block as it
/// lies in memory with its header as made: no links) of pages, count,
/// whether it falls through and instructions as given, in `out`, for the
/// block to lie at host address `addr` (its end marker and side exits
/// name it there).
fn record_bytes(
    eip: u32,
    (pages, count, falls, insts): ((u32, u32), u32, bool, impl ExactSizeIterator<Item = Inst>),
    addr: usize,
    out: &mut Vec<u8>,
) {
    out.clear();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&eip.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let mut h = [0u8; HDR];
    let (first, last) = pages;
    h[at::PAGES..at::PAGES + 4].copy_from_slice(&first.to_le_bytes());
    h[at::PAGES + 4..at::PAGES + 8].copy_from_slice(&last.to_le_bytes());
    h[at::COUNT..at::COUNT + 4].copy_from_slice(&count.to_le_bytes());
    h[at::FALLS] = falls as u8;
    h[at::MAPPED] = 1;
    let cost = super::cache::chain_cost(count as u64);
    h[at::COST..at::COST + 8].copy_from_slice(&cost.to_le_bytes());
    out.extend_from_slice(&h);
    let side = super::exec::control::side_exits();
    let last = insts.len() - 1;
    for (k, mut i) in insts.enumerate() {
        if k == last || side.has(i.h) {
            i.set_marker_block(addr as BlockPtr);
        }
        // SAFETY: Inst is `repr(C)` with no padding (asserted above): the
        // handlers as addresses (the file names where this run had
        // `anchor`).
        out.extend_from_slice(unsafe {
            std::slice::from_raw_parts(&i as *const Inst as *const u8, INST)
        });
    }
    let sum = xxhash_rust::xxh3::xxh3_64(&out[8..]);
    out[..8].copy_from_slice(&sum.to_le_bytes());
}

/// The cache directory's size past which [`trim`] removes files, and the
/// size it brings it down to.
const MAX_DIR: u64 = 256 << 20;
const KEEP_DIR: u64 = 192 << 20;

/// If the cache files in `dir` (names of 32 hex digits: nothing else is
/// touched) take more than `max` bytes, remove the least recently used
/// (by access time, which Linux's relatime keeps to the day) until they
/// take `keep` at most.
fn trim(dir: &Path, max: u64, keep: u64) {
    use std::os::unix::fs::MetadataExt;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(i64, u64, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.as_encoded_bytes();
            n.len() == 32 && n.iter().all(u8::is_ascii_hexdigit)
        })
        .filter_map(|e| {
            let md = e.metadata().ok()?;
            md.is_file().then(|| (md.atime(), md.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    if total <= max {
        return;
    }
    files.sort_unstable_by_key(|f| f.0);
    for (_, len, path) in files {
        if total <= keep {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::cache::BlockCache;
    use crate::cpu::run::{run, Event};
    use crate::cpu::{vec, Cpu, EAX, ECX};
    use crate::mem::{P_EXEC, P_READ};

    /// mov ecx,N; l: add eax,3; dec ecx; jnz l; ud2 at 0x20000, and at
    /// 0x21000 (another page): mov eax,7; ud2.
    fn cpu(n: u8) -> Cpu {
        let mut c = Cpu::for_tests();
        c.mem.map_zero(0x20000, 0x2000, P_READ | P_EXEC);
        let code = [
            0xb9, n, 0, 0, 0, 0x83, 0xc0, 0x03, 0x49, 0x75, 0xfa, 0x0f, 0x0b,
        ];
        c.mem.write_raw(0x20000, &code);
        c.mem.write_raw(0x21000, &[0xb8, 7, 0, 0, 0, 0x0f, 0x0b]);
        c.eip = 0x20000;
        c
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("emu-tcache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// A test's key: its own, so that tests running at once map their
    /// files at their own addresses (see `home_address`).
    fn key(path: &Path) -> u128 {
        xxhash_rust::xxh3::xxh3_128(path.as_os_str().as_encoded_bytes())
    }

    /// A cache file cut short under its mapping (by another program:
    /// emu replaces its files by rename) reads as zeros past the cut
    /// instead of killing the process with SIGBUS, and its pages before
    /// the cut as they were; a mapping dropped leaves the table.
    #[test]
    fn a_file_cut_under_its_mapping_reads_as_zeros() {
        crate::kernel::hostsig::install_fault_handlers();
        let d = dir("cut");
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("prog");
        std::fs::write(&path, vec![0xa5u8; 3 * 4096]).unwrap();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let b = Bytes::map(&f, 3 * 4096, home_address(0x5eed)).unwrap();
        assert!(b.slot.is_some());
        assert_eq!((b[0], b[4096], b[3 * 4096 - 1]), (0xa5, 0xa5, 0xa5));
        f.set_len(4096 + 100).unwrap();
        // The last page is past the end: zeros. The cut page keeps its
        // bytes up to the end and zeros after (as the host gives them).
        assert_eq!(b[2 * 4096], 0);
        assert_eq!(b[3 * 4096 - 1], 0);
        assert_eq!((b[0], b[4096 + 99], b[4096 + 100]), (0xa5, 0xa5, 0));
        let (start, k) = (b.as_ptr() as usize, b.slot.unwrap());
        assert_eq!(MAPPED[k].0.load(SeqCst), start);
        assert_eq!(in_mapped_file(start + 2 * 4096), Some(false));
        drop(b);
        assert_eq!(MAPPED[k].0.load(SeqCst), 0);
        assert_eq!(in_mapped_file(start + 2 * 4096), None);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Run `c` to its ud2 with a cache taking blocks from the file at
    /// `path`, then keep its blocks there: (eax, ecx, the cache).
    fn run_stored(mut c: Cpu, path: &Path) -> (u32, u32, BlockCache) {
        let mut cache = BlockCache::default();
        cache.set_store(Some(Arc::new(Stored::load(path.to_path_buf(), key(path)))));
        let ev = run(&mut c, &mut cache);
        assert!(
            matches!(ev, Event::Exception(e) if e.vector == vec::UD),
            "{ev:?}"
        );
        cache.save();
        (c.regs[EAX], c.regs[ECX], cache)
    }

    /// A second run takes every block the first translated, with the same
    /// instructions, and runs them to the same result.
    #[test]
    fn stored_blocks_run_as_translated() {
        let path = dir("same").join("prog");
        let (eax, ecx, first) = run_stored(cpu(100), &path);
        assert_eq!((eax, ecx), (300, 0));
        // Two superblocks: from the mov, and the loop's (each goes on
        // through its jnz to the ud2).
        assert_eq!((first.translated, first.loaded), (2, 0));
        let (eax, ecx, second) = run_stored(cpu(100), &path);
        assert_eq!((eax, ecx), (300, 0));
        assert_eq!((second.translated, second.loaded), (0, 2));
        // Instruction by instruction, the handlers made addresses again.
        let stored = Stored::load(path.clone(), key(&path));
        assert_eq!(stored.len(), 2);
        let c = cpu(100);
        for eip in [0x20000, 0x20005] {
            let b = stored
                .block(&stored.record(eip).expect("stored"))
                .expect("whole");
            let mut fresh = Vec::new();
            let hdr = decode::translate(&c.mem, eip, &mut fresh);
            assert_eq!(b.hdr.count, hdr.count, "{eip:#x}");
            assert_eq!(b.hdr.falls, hdr.falls, "{eip:#x}");
            // (The end markers differ: a live block's goes on into others.)
            let n = hdr.count as usize;
            for (x, y) in b.insts[..n].iter().zip(&fresh[..n]) {
                assert_eq!(x.h.addr(), y.h.addr(), "{eip:#x}");
                assert_eq!((x.eip, x.len, x.r, x.rm), (y.eip, y.len, y.r, y.rm));
                // (A side exit names its block in imm: the live one's.)
                if !crate::cpu::exec::control::is_side_exit(x.h) {
                    assert_eq!(x.imm, y.imm);
                } else {
                    assert_eq!(x.marker_block(), b.thin());
                }
            }
        }
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// Run `cpu(100)` to its ud2 with a cache taking blocks from `store`,
    /// which has both: the cache, having taken them and translated none.
    fn run_taking(store: &Arc<Stored>) -> BlockCache {
        let mut c = cpu(100);
        let mut cache = BlockCache::default();
        cache.set_store(Some(store.clone()));
        let ev = run(&mut c, &mut cache);
        assert!(matches!(ev, Event::Exception(e) if e.vector == vec::UD));
        assert_eq!((c.regs[EAX], cache.translated, cache.loaded), (300, 0, 2));
        cache
    }

    /// Blocks taken from a file run where they lie in its mapping, each
    /// for one cache: another cache of the same store (a thread's) takes
    /// copies, and both run right.
    #[test]
    fn stored_blocks_run_in_place_for_one_cache() {
        let path = dir("inplace").join("prog");
        run_stored(cpu(100), &path);
        let store = Arc::new(Stored::load(path.clone(), key(&path)));
        assert!(!store.in_place_taken());
        let at = store.bytes().as_ptr() as usize;
        assert_eq!(in_mapped_file(at), Some(false));
        let first = run_taking(&store);
        assert!(store.in_place_taken());
        // The fault handler no longer lays zeros over a page cut off it.
        assert_eq!(in_mapped_file(at), Some(true));
        assert_eq!(first.mapped_at(0x20000), Some(true));
        assert_eq!(first.mapped_at(0x20005), Some(true));
        let second = run_taking(&store);
        assert_eq!(second.mapped_at(0x20000), Some(false));
        assert_eq!(second.mapped_at(0x20005), Some(false));
        // Dropping a cache frees its copies and leaves the file's blocks.
        drop(second);
        drop(first);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A file written by a run whose handlers lay elsewhere (an emu built
    /// position-independent, loaded at another address) gives copies with
    /// the handlers moved, never blocks in place.
    #[test]
    fn a_file_of_another_anchor_gives_moved_copies() {
        use std::os::unix::fs::PermissionsExt;
        let path = dir("moved").join("prog");
        run_stored(cpu(100), &path);
        let mut b = std::fs::read(&path).unwrap();
        const D: u64 = 0x1000;
        let anchor_then = u64_at(&b, 32) + D;
        b[32..40].copy_from_slice(&anchor_then.to_le_bytes());
        let s = Stored::load(path.clone(), key(&path));
        for eip in [0x20000, 0x20005] {
            let (_, at) = s.find(eip).unwrap();
            let r = s.record_at(at, 0).unwrap();
            for k in 0..=r.count as usize {
                let h = r.block_at() + HDR + k * INST;
                let moved = u64_at(&b, h) + D;
                b[h..h + 8].copy_from_slice(&moved.to_le_bytes());
            }
            let sum = xxhash_rust::xxh3::xxh3_64(&b[at + 8..at + r.len()]);
            b[at..at + 8].copy_from_slice(&sum.to_le_bytes());
        }
        drop(s);
        std::fs::write(&path, &b).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let store = Arc::new(Stored::load(path.clone(), key(&path)));
        assert_eq!(store.len(), 2);
        let cache = run_taking(&store);
        assert_eq!(cache.mapped_at(0x20000), Some(false));
        assert!(!store.in_place_taken());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A file mapped away from the address its records name (another
    /// mapping there: here, the same file mapped before) gives copies.
    #[test]
    fn a_file_away_from_home_gives_copies() {
        let path = dir("away").join("prog");
        run_stored(cpu(100), &path);
        let first = Stored::load(path.clone(), key(&path));
        let second = Arc::new(Stored::load(path.clone(), key(&path)));
        assert!(first.at_home && !second.at_home);
        let cache = run_taking(&second);
        assert_eq!(cache.mapped_at(0x20000), Some(false));
        assert!(!second.in_place_taken());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A block that ran in place and was linked is not taken again from
    /// its record (whose header now differs), and a save writes it as
    /// made: no links.
    #[test]
    fn a_linked_block_in_place_is_saved_without_links() {
        use crate::cpu::cache::{page_sig, Link};
        let path = dir("linked").join("prog");
        run_stored(cpu(100), &path);
        let store = Stored::load(path.clone(), key(&path));
        let r = store.record_to_take(0x20000).expect("record");
        let b = store.take(&r).expect("taken");
        assert!(b.hdr.mapped);
        assert_eq!(
            b.thin() as usize,
            store.bytes().as_ptr() as usize + r.block_at()
        );
        b.hdr.links[0].set(Link {
            key: Link::key(0x20005, 7),
            to: b.thin(),
        });
        assert!(
            store.record_to_take(0x20000).is_none(),
            "its record changed"
        );
        assert!(store.record_to_take(0x20005).is_some());
        let c = cpu(100);
        let mut sigs = AddrMap::default();
        sigs.insert(0x20, page_sig(&c.mem, 0x20).unwrap());
        save(&path, key(&path), &sigs, [(0x20000, &*b)].into_iter()).unwrap();
        drop(b);
        let again = Stored::load(path.clone(), key(&path));
        assert_eq!(again.len(), 2);
        let r = again.record(0x20000).expect("saved whole");
        let links = r.block_at() + std::mem::offset_of!(BlockHeader, links);
        assert!(again.bytes()[links..links + 32].iter().all(|&x| x == 0));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// Code that differs from what was stored is translated again (and
    /// replaces the stored blocks); blocks of other runs stay in the file.
    #[test]
    fn changed_code_is_translated_again() {
        let path = dir("changed").join("prog");
        run_stored(cpu(100), &path);
        // Another entry point, on another page: added to the file.
        let mut c = cpu(100);
        c.eip = 0x21000;
        let (eax, _, other) = run_stored(c, &path);
        assert_eq!((eax, other.translated), (7, 1));
        assert_eq!(Stored::load(path.clone(), key(&path)).len(), 3);
        // ecx = 5 now: the loop's page differs, the other page does not.
        let (eax, ecx, third) = run_stored(cpu(5), &path);
        assert_eq!((eax, ecx), (15, 0));
        assert_eq!((third.translated, third.loaded), (2, 0));
        let stored = Stored::load(path.clone(), key(&path));
        assert_eq!(stored.len(), 3);
        // (Their mappings of the file go: the next one maps at its home.)
        drop((other, third, stored));
        let mut c = cpu(5);
        c.eip = 0x21000;
        let (eax, _, fourth) = run_stored(c, &path);
        assert_eq!((eax, fourth.translated, fourth.loaded), (7, 0, 1));
        // A record the third run kept from the file (moved in it) runs in
        // place where it lies now.
        assert_eq!(fourth.mapped_at(0x21000), Some(true));
        let (eax, _, fifth) = run_stored(cpu(5), &path);
        assert_eq!((eax, fifth.translated, fifth.loaded), (15, 0, 2));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A directory past its size loses its least recently used files, and
    /// nothing but cache files.
    #[test]
    fn trimming_removes_the_least_recently_used() {
        let d = dir("trim");
        std::fs::create_dir_all(&d).unwrap();
        let name = |k: u32| d.join(format!("{k:032x}"));
        for k in 0..5u32 {
            std::fs::write(name(k), vec![0u8; 1000]).unwrap();
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + k as u64);
            let f = std::fs::File::options().write(true).open(name(k)).unwrap();
            f.set_times(std::fs::FileTimes::new().set_accessed(t))
                .unwrap();
        }
        std::fs::write(d.join("notes.txt"), vec![0u8; 10_000]).unwrap();
        trim(&d, 6000, 5000);
        let left = |k| name(k).exists();
        assert!([0, 1, 2, 3, 4].map(left) == [true; 5], "under the limit");
        trim(&d, 4000, 2500);
        assert_eq!([0, 1, 2, 3, 4].map(left), [false, false, false, true, true]);
        assert!(d.join("notes.txt").exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A file that is damaged, of another key, or writable by others is
    /// not taken: the run translates, and writes a good file again.
    #[test]
    fn untrusted_files_are_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let path = dir("untrusted").join("prog");
        run_stored(cpu(100), &path);
        let good = std::fs::read(&path).unwrap();
        assert_eq!(Stored::load(path.clone(), key(&path)).len(), 2);
        assert!(Stored::load(path.clone(), key(&path) ^ 1).is_empty());
        let damaged = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            f(&mut b);
            std::fs::write(&path, &b).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            Stored::load(path.clone(), key(&path)).is_empty()
        };
        assert!(damaged(&|b| b[31] ^= 0x10), "a count past the file");
        assert!(damaged(&|b| b.truncate(HEADER + 8)), "truncated");
        assert!(damaged(&|b| b.clear()), "empty");
        assert!(damaged(&|b| b[0] ^= 1), "magic");
        // A damaged page table entry: the blocks on that page are lost.
        let mut b = good.clone();
        b[HEADER + 1] ^= 1;
        std::fs::write(&path, &b).unwrap();
        let s = Stored::load(path.clone(), key(&path));
        let c = cpu(100);
        let mut taken = 0;
        for eip in [0x20000, 0x20005] {
            let r = s.record(eip).expect("record");
            let page = r.pages.0;
            taken += (s.sig(page) == super::super::cache::page_sig(&c.mem, page)) as u32;
        }
        assert_eq!(taken, 0, "page table");
        // A damaged record is that block lost, translated again.
        let record = |f: &dyn Fn(&mut Vec<u8>, usize)| {
            let mut b = good.clone();
            // The first record, after the tables.
            let at = HEADER + u32_at(&b, 24) as usize * PAGE_ENTRY + slots(2) * INDEX_ENTRY;
            f(&mut b, at);
            std::fs::write(&path, &b).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let s = Stored::load(path.clone(), key(&path));
            let eip = u32_at(&b, at + 8);
            // The run's path (handlers checked as the block is made)
            // refuses what `record` refuses.
            let taken = s.record_to_take(eip).and_then(|r| s.block(&r));
            assert_eq!(taken.is_some(), s.record(eip).is_some());
            (s.len(), s.record(eip).is_some())
        };
        assert_eq!(
            record(&|b, at| b[at + RECORD + 9] ^= 1),
            (2, false),
            "record"
        );
        // A handler outside this binary's code, with the checksum made right.
        let handler = |b: &mut Vec<u8>, at: usize| {
            b[at + RECORD + HDR + 7] ^= 0x40;
            let n = (u32_at(b, at + RECORD + at::COUNT) as usize + 1) * INST;
            let sum = xxhash_rust::xxh3::xxh3_64(&b[at + 8..at + RECORD + HDR + n]);
            b[at..at + 8].copy_from_slice(&sum.to_le_bytes());
        };
        assert_eq!(record(&handler), (2, false), "handler");
        assert_eq!(record(&|_, _| ()), (2, true), "the good file");
        // The last record (the highest eip) cut short: that block lost.
        let mut b = good.clone();
        b.truncate(b.len() - 1);
        std::fs::write(&path, &b).unwrap();
        let s = Stored::load(path.clone(), key(&path));
        assert!(s.record(0x20005).is_none() && s.len() == 2, "cut short");
        assert!(s.record(0x20000).is_some());
        std::fs::write(&path, &good).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert!(
            Stored::load(path.clone(), key(&path)).is_empty(),
            "group-writable"
        );
        let (eax, _, again) = run_stored(cpu(100), &path);
        assert_eq!((eax, again.translated, again.loaded), (300, 2, 0));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(Stored::load(path.clone(), key(&path)).len(), 2);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
