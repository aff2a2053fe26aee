//! Guest address space: one 4 GiB host reservation plus a guard, with a
//! page-granular permission table checked on every guest access.
//!
//! A guest address `a` lives at host address `base + a`. Because guest
//! addresses are `u32` and the reservation covers 2^32 bytes plus a guard
//! page, no guest address (even with an access of up to 16 bytes starting at
//! 0xffff_ffff) can reach host memory outside the window.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

pub const PAGE_SIZE: u32 = 4096;
pub const PAGE_SHIFT: u32 = 12;
const NPAGES: usize = 1 << 20;
const RESERVE: usize = (1usize << 32) + 2 * PAGE_SIZE as usize;
/// The guest address space's size: every guest range ends at or below it.
const WINDOW: u64 = 1 << 32;

/// Page is mapped (present).
pub const P_PRESENT: u8 = 1;
pub const P_READ: u8 = 2;
pub const P_WRITE: u8 = 4;
pub const P_EXEC: u8 = 8;
/// Page holds code that is cached in translated blocks. A write to such a
/// page takes the slow path, which reports self-modifying code.
pub const P_CODE: u8 = 16;
/// Page is writable, but its first write is to be recorded first (a vfork
/// child's stores, which its parent gets back): P_WRITE stays clear until
/// then, so the write faults and [`Mem::untrack`] records it.
pub const P_TRACK: u8 = 32;
/// Page is a host mapping of a file that may shrink under it (a regular
/// file mapped by the guest): a host access past the file's end raises
/// SIGBUS. The interpreter ignores the bit; a kernel-side copy that meets
/// such a page fails instead (`cpu::guard::copy`, [`Mem::read_bytes`]),
/// and the bit tells its #PF present.
pub const P_FILE: u8 = 64;
/// Page is a host mapping of a shared object (a file or shared memory)
/// that other guest pages may also map (an alias): translations made from
/// it mark every alias as code, and a write to any alias drops them
/// (see [`Aliases`]).
pub const P_ALIAS: u8 = 128;

/// Which guest pages map the same page of a host object: guest page ranges
/// with the object's identity and page offset. Kept by the kernel as file
/// and shared mappings come and go; read by the block cache when it
/// translates or invalidates a P_ALIAS page, and by write()/pwrite() to a
/// mapped file.
#[derive(Default)]
pub struct Aliases {
    /// start page -> (pages, object, page offset of start in the object).
    ranges: std::collections::BTreeMap<u32, (u32, (u64, u64), u64)>,
    /// Objects some of whose pages hold translated code.
    code_objs: std::collections::HashSet<(u64, u64)>,
}

impl Aliases {
    /// The object and page offset guest page `page` maps.
    fn ident(&self, page: u32) -> Option<((u64, u64), u64)> {
        let (&s, &(n, obj, off)) = self.ranges.range(..=page).next_back()?;
        (page < s + n).then_some((obj, off + (page - s) as u64))
    }

    /// Every guest page mapping the same object page as `page` (itself
    /// included), or just `page`.
    fn of(&self, page: u32) -> Vec<u32> {
        let Some((obj, off)) = self.ident(page) else {
            return vec![page];
        };
        self.ranges
            .iter()
            .filter(|(_, (n, o, start))| *o == obj && off >= *start && off < start + *n as u64)
            .map(|(&s, (_, _, start))| s + (off - start) as u32)
            .collect()
    }

    fn remove(&mut self, first: u32, end: u32) {
        // Ranges do not overlap: the one starting below `first` that
        // reaches into it, and those starting inside.
        let mut hit: Vec<u32> = self
            .ranges
            .range(..first)
            .next_back()
            .filter(|(&s, (n, _, _))| s + n > first)
            .map(|(&s, _)| s)
            .into_iter()
            .collect();
        hit.extend(self.ranges.range(first..end).map(|(&s, _)| s));
        for s in hit {
            let (n, obj, off) = self.ranges.remove(&s).unwrap();
            if s < first {
                self.ranges.insert(s, (first - s, obj, off));
            }
            if s + n > end {
                self.ranges
                    .insert(end, (s + n - end, obj, off + (end - s) as u64));
            }
        }
    }
}

/// The P bit of the #PF error code native Linux would report for a fault
/// on a mapped guest page with permissions `perm` at host address `host`:
/// whether the hardware page tables hold the page. Linux never maps in a
/// PROT_NONE page and maps the others on first touch (plus fault-around for
/// files), so the answer is the host's own page table entry for the same
/// page of emu's window (/proc/self/pagemap, bit 63), which the guest's own
/// accesses populated. Without pagemap, a mapped page counts as present.
#[cold]
pub fn pte_present(perm: u8, host: *const u8) -> bool {
    use std::os::unix::fs::FileExt;
    use std::sync::Mutex;
    if perm & P_PRESENT == 0 {
        return false;
    }
    if perm & (P_READ | P_WRITE | P_EXEC) == 0 {
        return false;
    }
    // One descriptor per process: after a fork, /proc/self of the parent's
    // descriptor would still be the parent.
    static PAGEMAP: Mutex<Option<(u32, Option<std::fs::File>)>> = Mutex::new(None);
    let mut g = PAGEMAP.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    if g.as_ref().is_none_or(|(p, _)| *p != pid) {
        *g = Some((pid, std::fs::File::open("/proc/self/pagemap").ok()));
    }
    let Some((_, Some(f))) = g.as_ref() else {
        return true;
    };
    let mut e = [0u8; 8];
    let off = (host as u64 / PAGE_SIZE as u64) * 8;
    match f.read_exact_at(&mut e, off) {
        Ok(()) => u64::from_le_bytes(e) >> 63 != 0,
        Err(_) => true,
    }
}

/// Why a guest access failed: what the CPU reports as a #PF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFault {
    pub addr: u32,
    /// The page was present (protection violation) rather than unmapped.
    pub present: bool,
    pub write: bool,
    pub fetch: bool,
}

impl PageFault {
    /// x86 #PF error code: P, W/R, U/S (always user), I/D.
    pub fn error_code(&self) -> u32 {
        (self.present as u32) | ((self.write as u32) << 1) | 4 | ((self.fetch as u32) << 4)
    }
}

/// Result of a write that went through the slow path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Ok,
    /// The write hit a page with cached code; the page number is returned so
    /// the run loop can invalidate its blocks.
    Smc(u32),
}

pub struct Mem {
    _map: memmap2::MmapMut,
    base: *mut u8,
    /// One permission byte per guest page, in an anonymous mapping of its
    /// own (zero pages until written, and cheap to zero again).
    perm_map: memmap2::MmapMut,
    /// Pages whose P_TRACK was taken by a write, in order.
    written: std::sync::Mutex<Vec<u32>>,
    /// Guest pages that map the same object page (P_ALIAS pages).
    aliases: std::sync::Mutex<Aliases>,
    /// Some pages track writes (`P_TRACK`: a vfork child's memory).
    tracking: std::sync::atomic::AtomicBool,
}

// The raw base pointer refers into `_map`, which lives as long as `Mem`.
unsafe impl Send for Mem {}
unsafe impl Sync for Mem {}

/// Host address of the latest guest window (0 before the first): what
/// the host fault handler needs to tell a fault in guest memory from one
/// in emu's own (kernel/hostsig.rs). A process runs one guest, so one
/// window is in use at a time.
static WINDOW_BASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The guest address of host address `host` if it lies in the guest
/// window (async-signal-safe: one atomic load).
pub fn guest_addr_of(host: usize) -> Option<u32> {
    let base = WINDOW_BASE.load(Relaxed);
    let off = host.wrapping_sub(base);
    (base != 0 && off < 1 << 32).then_some(off as u32)
}

/// The offset from the start of the window at `base` of host address
/// `host`, if it lies in the window or the guard after it
/// (async-signal-safe).
pub fn window_offset(base: usize, host: usize) -> Option<u64> {
    let off = host.wrapping_sub(base);
    (base != 0 && off < RESERVE).then_some(off as u64)
}

/// Host protections of a window page ([`host_prot`]).
pub const HOST_NONE: u8 = 0;
pub const HOST_READ: u8 = 1;
pub const HOST_RW: u8 = 2;

/// Whether the guest may read a page with permissions `perm`.
#[inline]
pub fn host_readable(perm: u8) -> bool {
    perm & (P_PRESENT | P_READ) == P_PRESENT | P_READ
}

/// Whether a guest store to a page with permissions `perm` goes through
/// as it is: writable, no translated code on it, not tracked.
#[inline]
pub fn fast_writable(perm: u8) -> bool {
    perm & (P_PRESENT | P_WRITE | P_CODE) == P_PRESENT | P_WRITE
}

/// The host protection of a guest page with permissions `perm` (see
/// `cpu::guard`): readable exactly when the guest may read it (so a read
/// needs no check), writable exactly when a guest store goes through as
/// it is (so a store needs none: one to a page with translated code or
/// a tracked one faults on the host, which tells the self-modifying code
/// or the vfork tracking). Every page the guest may write it may read
/// (`P_WRITE` comes with `P_READ`).
#[inline]
pub fn host_prot(perm: u8) -> u8 {
    if !host_readable(perm) {
        HOST_NONE
    } else if fast_writable(perm) {
        HOST_RW
    } else {
        HOST_READ
    }
}

/// Non-zero while guest stores must check themselves instead of relying
/// on the host's protection (`Cpu::wr`): the number of threads for which
/// the host would not call emu's handler for a store to translated code
/// or a tracked page (the guest blocks or ignores SIGSEGV, a vfork child:
/// `Cpu::soft_writes`), plus [`SOFT_FOR_GOOD`] once the host refused to
/// split the window's mappings further (its max_map_count: a guest near
/// its own limit has as many mappings, and read-only pages among writable
/// ones double that). From then on, pages the guest may read but not
/// write as they are are read-write on the host too: read-only and
/// read-write neighbours merge again. One word for all of it, so a store
/// pays one test.
static WRITES_SOFT: AtomicU32 = AtomicU32::new(0);
const SOFT_FOR_GOOD: u32 = 1 << 31;

/// Whether stores must check themselves (see [`WRITES_SOFT`]).
///
/// Every guest store tests this. On x86-64 the test is one compare of
/// the word in memory and a branch: the compiler loads an atomic into a
/// register first, and takes the static's address with another
/// instruction (4 host instructions a store, against 2).
#[inline(always)]
pub fn writes_soft() -> bool {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: reads the static's word, as a relaxed atomic load would
    // (an aligned 4-byte load is atomic on x86), and touches nothing else.
    unsafe {
        std::arch::asm!(
            "cmp dword ptr [rip + {w}], 0",
            "jne {soft}",
            w = sym WRITES_SOFT,
            soft = label { return true },
            options(readonly, nostack),
        );
        false
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        WRITES_SOFT.load(Relaxed) != 0
    }
}

/// A thread starts (`on`) or stops needing stores that check themselves.
pub fn soft_writer(on: bool) {
    if on {
        WRITES_SOFT.fetch_add(1, Relaxed);
    } else {
        WRITES_SOFT.fetch_sub(1, Relaxed);
    }
}

/// In a fork's child, the only thread: the other threads' counts go
/// (`mine`: this thread's own).
pub fn soft_writers_forked(mine: bool) {
    let keep = WRITES_SOFT.load(Relaxed) & SOFT_FOR_GOOD;
    WRITES_SOFT.store(keep | mine as u32, Relaxed);
}

/// Whether the host's mappings ran out (see [`WRITES_SOFT`]).
fn soft_for_good() -> bool {
    WRITES_SOFT.load(Relaxed) & SOFT_FOR_GOOD != 0
}

/// The host's mappings ran out: stores check themselves from now on,
/// and every read-only page of the window at `base` (permission table
/// `perms`) becomes read-write on the host, which merges it with its
/// neighbours (see [`WRITES_SOFT`]). Async-signal-safe (atomics and
/// mprotect).
#[cold]
fn soften_writes(base: *mut u8, perms: *const AtomicU8) {
    WRITES_SOFT.fetch_or(SOFT_FOR_GOOD, std::sync::atomic::Ordering::SeqCst);
    // SAFETY: `perms` has NPAGES entries.
    let perm = |p: usize| unsafe { (*perms.add(p)).load(Relaxed) };
    let mut page = 0usize;
    while page < NPAGES {
        if host_prot(perm(page)) != HOST_READ {
            page += 1;
            continue;
        }
        let first = page;
        while page < NPAGES && host_prot(perm(page)) == HOST_READ {
            page += 1;
        }
        // Merging never needs a new mapping; a shared mapping of a file
        // opened read-only stays read-only (the guest cannot write it).
        let at = unsafe { base.add(first << PAGE_SHIFT) } as *mut libc::c_void;
        unsafe {
            libc::mprotect(
                at,
                (page - first) << PAGE_SHIFT,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
    }
}

/// From the host fault handler: a guest store hit `page`, which holds
/// translated code and which the guest may write: the page loses
/// `P_CODE` and becomes writable on the host, so the store can be made
/// again (async-signal-safe: an atomic and an mprotect). True if it was
/// such a page.
///
/// # Safety
/// `base` and `perms` are a live window's ([`Mem::base`],
/// [`Mem::perms_ptr`]) and `page` a guest page number.
pub unsafe fn unprotect_code(base: *mut u8, perms: *const AtomicU8, page: u32) -> bool {
    // SAFETY: `perms` is a window's table (NPAGES entries), `page` < NPAGES.
    let e = unsafe { &*perms.add(page as usize) };
    let v = e.load(Relaxed);
    if v & (P_PRESENT | P_WRITE | P_CODE) != P_PRESENT | P_WRITE | P_CODE {
        return false;
    }
    e.fetch_and(!P_CODE, Relaxed);
    let at = unsafe { base.add((page as usize) << PAGE_SHIFT) } as *mut libc::c_void;
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    if unsafe { libc::mprotect(at, PAGE_SIZE as usize, rw) } != 0 {
        // No mapping left to split this page off: stores check themselves
        // from now on, and the read-only pages merge again.
        soften_writes(base, perms);
        unsafe { libc::mprotect(at, PAGE_SIZE as usize, rw) };
    }
    true
}

impl Mem {
    pub fn new() -> std::io::Result<Mem> {
        // MAP_NORESERVE: the reservation is address space, not a commitment
        // (which a fork would otherwise double).
        let mut map = memmap2::MmapOptions::new()
            .len(RESERVE)
            .no_reserve_swap()
            .map_anon()?;
        let base = map.as_mut_ptr();
        // Nothing is mapped yet: no page is readable (see `host_readable`).
        if unsafe { libc::mprotect(base as *mut libc::c_void, RESERVE, libc::PROT_NONE) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // Not in emu's core dumps (a guest's crash dumps emu's core only
        // so that the parent sees the core bit).
        unsafe { libc::madvise(base as *mut libc::c_void, RESERVE, libc::MADV_DONTDUMP) };
        let perm_map = memmap2::MmapOptions::new().len(NPAGES).map_anon()?;
        WINDOW_BASE.store(base as usize, Relaxed);
        Ok(Mem {
            _map: map,
            base,
            perm_map,
            written: Default::default(),
            aliases: Default::default(),
            tracking: Default::default(),
        })
    }

    /// The permission table. AtomicU8 has the size, alignment and bit
    /// validity of u8, and the mapping lives as long as `self`.
    #[inline(always)]
    fn perms(&self) -> &[AtomicU8] {
        unsafe { std::slice::from_raw_parts(self.perm_map.as_ptr() as *const AtomicU8, NPAGES) }
    }

    /// Forget every mapping (execve's new address space): every page is
    /// unmapped and reads as zero again, and the host memory behind the
    /// window (anonymous, file or shared mappings placed in it) is given
    /// back. Only when no other thread runs in this memory.
    pub fn reset(&self) -> std::io::Result<()> {
        let r = unsafe {
            libc::mmap(
                self.base as *mut libc::c_void,
                RESERVE,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        unsafe { libc::madvise(self.base as *mut libc::c_void, RESERVE, libc::MADV_DONTDUMP) };
        let r = unsafe {
            libc::madvise(
                self.perm_map.as_ptr() as *mut libc::c_void,
                NPAGES,
                libc::MADV_DONTNEED,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.take_written();
        self.tracking.store(false, Relaxed);
        *self.aliases.lock().unwrap_or_else(|e| e.into_inner()) = Aliases::default();
        Ok(())
    }

    fn alias_table(&self) -> std::sync::MutexGuard<'_, Aliases> {
        self.aliases.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Guest pages [first, first+n) map pages [off, off+n) of `obj`.
    ///
    /// An object page that holds code through another alias is code here
    /// too: the block cache marks a page's aliases only when the page
    /// first becomes code (see [`Mem::mark_alias_code`]), so an alias
    /// made later is marked here.
    pub fn alias_add(&self, first: u32, n: u32, obj: (u64, u64), off: u64) {
        let mut t = self.alias_table();
        t.remove(first, first + n);
        t.ranges.insert(first, (n, obj, off));
        if !t.code_objs.contains(&obj) {
            return;
        }
        for (&s, &(m, o, start)) in &t.ranges {
            if o != obj || s == first {
                continue;
            }
            let (lo, hi) = (start.max(off), (start + m as u64).min(off + n as u64));
            for k in lo..hi {
                if self.perm(s + (k - start) as u32) & P_CODE != 0 {
                    self.mark_code(first + (k - off) as u32);
                }
            }
        }
    }

    /// Guest pages [first, end) map no object any more.
    pub fn alias_remove(&self, first: u32, end: u32) {
        self.alias_table().remove(first, end);
    }

    /// The guest pages that map the same object page as `page` (a
    /// P_ALIAS page), itself included.
    pub fn aliases_of(&self, page: u32) -> Vec<u32> {
        self.alias_table().of(page)
    }

    /// Code is being translated from P_ALIAS page `page`, which was not
    /// code yet: mark every alias of it as code too, so that a store
    /// through any of them leaves the block loop as self-modifying code.
    /// (Aliases made later are marked by [`Mem::alias_add`].)
    #[cold]
    pub fn mark_alias_code(&self, page: u32) {
        let mut t = self.alias_table();
        if let Some((obj, _)) = t.ident(page) {
            t.code_objs.insert(obj);
        }
        for a in t.of(page) {
            self.mark_code(a);
        }
    }

    /// The guest pages mapping `obj` if some page of it holds code (after
    /// a write to the object's file): every such page's translations are
    /// stale.
    pub fn object_code_pages(&self, obj: (u64, u64)) -> Vec<(u32, u32)> {
        let t = self.alias_table();
        if !t.code_objs.contains(&obj) {
            return Vec::new();
        }
        t.ranges
            .iter()
            .filter(|(_, (_, o, _))| *o == obj)
            .map(|(&s, (n, _, _))| (s, *n))
            .collect()
    }

    /// Whether any object's pages hold code (cheap test before a write
    /// looks up its file).
    pub fn any_code_objects(&self) -> bool {
        !self.alias_table().code_objs.is_empty()
    }

    #[inline(always)]
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    #[inline(always)]
    pub fn perms_ptr(&self) -> *const AtomicU8 {
        self.perms().as_ptr()
    }

    #[inline(always)]
    pub fn perm(&self, page: u32) -> u8 {
        self.perms()[page as usize].load(Relaxed)
    }

    /// Set the permission bits (P_PRESENT|P_READ|P_WRITE|P_EXEC, and
    /// P_FILE) of the pages covering [addr, addr+len). The P_CODE bit is
    /// preserved.
    pub fn set_perm(&self, addr: u32, len: u32, prot: u8) {
        if len == 0 {
            return;
        }
        for p in page_range(addr, len) {
            let e = &self.perms()[p as usize];
            let code = e.load(Relaxed) & P_CODE;
            e.store(prot | code, Relaxed);
        }
        self.sync_host(addr, len);
    }

    /// Give the host pages of [addr, addr+len) the protection the guest's
    /// permissions ask for ([`host_prot`]): after every change of the
    /// permissions, and after the host maps something new there.
    pub fn sync_host(&self, addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        let mut pages = page_range(addr, len).peekable();
        while let Some(first) = pages.next() {
            let prot = host_prot(self.perm(first));
            let mut end = first + 1;
            while pages
                .next_if(|&p| host_prot(self.perm(p)) == prot)
                .is_some()
            {
                end += 1;
            }
            self.protect(first, end - first, prot);
        }
    }

    /// mprotect pages [first, first+n) of the window to `prot`
    /// ([`host_prot`]). Read-write falls back to read-only where the host
    /// object refuses writing (a shared mapping of a file opened
    /// read-only, which the guest cannot write either).
    fn protect(&self, first: u32, n: u32, prot: u8) {
        let prot = if prot == HOST_READ && soft_for_good() {
            HOST_RW
        } else {
            prot
        };
        let p = match prot {
            HOST_NONE => libc::PROT_NONE,
            HOST_READ => libc::PROT_READ,
            _ => libc::PROT_READ | libc::PROT_WRITE,
        };
        if self.mprotect(first, n, p) {
            return;
        }
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOMEM) {
            // The host's mappings ran out (see `WRITES_SOFT`).
            if !soft_for_good() {
                self.soften_writes();
                return self.protect(first, n, prot);
            }
            if prot != HOST_NONE {
                self.widen_readable(first, n);
            }
            // A page that cannot become PROT_NONE stays accessible.
            crate::debug!("host mappings exhausted at guest page {first:#x}");
            return;
        }
        if prot == HOST_RW {
            // A shared mapping of a file opened read-only, which the guest
            // cannot write either: page by page, since only some of the
            // range may be one.
            for k in first..first + n {
                if !self.mprotect(k, 1, p) {
                    self.mprotect(k, 1, libc::PROT_READ);
                }
            }
        }
    }

    /// mprotect pages [first, first+n) of the window; whether the host did.
    fn mprotect(&self, first: u32, n: u32, prot: i32) -> bool {
        let at = unsafe { self.base.add((first as usize) << PAGE_SHIFT) };
        unsafe { libc::mprotect(at as *mut libc::c_void, (n as usize) << PAGE_SHIFT, prot) == 0 }
    }

    /// Out of host mappings, pages [first, first+n) must become readable
    /// inside an unreadable run: they go read-write together with the
    /// unreadable pages between them and the nearest readable page (at
    /// most 16 away), which merges mappings instead of splitting one. The
    /// guest can then read those few pages, which it may not: the one
    /// difference left when the host's mappings run out.
    fn widen_readable(&self, first: u32, n: u32) {
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let end = first + n;
        let right = (end..(end + 16).min(NPAGES as u32)).find(|&p| host_readable(self.perm(p)));
        let left = (first.saturating_sub(16)..first)
            .rev()
            .find(|&p| host_readable(self.perm(p)));
        let done = match (left, right) {
            (Some(l), Some(r)) if first - l <= r - end => self.mprotect(l + 1, end - l - 1, rw),
            (_, Some(r)) => self.mprotect(first, r - first, rw),
            (Some(l), None) => self.mprotect(l + 1, end - l - 1, rw),
            (None, None) => false,
        };
        if !done {
            crate::debug!("guest pages {first:#x}+{n} stay unreadable on the host");
        }
    }

    #[cold]
    fn soften_writes(&self) {
        soften_writes(self.base, self.perms_ptr());
    }

    /// Run `f` with [addr, addr+len) readable (and with `write` writable)
    /// on the host even where the guest may not read or write (the kernel
    /// side's raw accesses: the loader, the debugger, snapshots), then give
    /// the pages their protection back.
    pub fn with_host_access<R>(
        &self,
        addr: u32,
        len: usize,
        write: bool,
        f: impl FnOnce() -> R,
    ) -> R {
        let enough = |p: u32| {
            let h = host_prot(self.perm(p));
            h == HOST_RW || (!write && h == HOST_READ)
        };
        if len == 0 || page_range(addr, len as u32).all(enough) {
            return f();
        }
        // Only the pages that lack it, so no page loses access meanwhile
        // (another thread may be storing to its writable neighbours).
        let want = if write { HOST_RW } else { HOST_READ };
        for p in page_range(addr, len as u32).filter(|&p| !enough(p)) {
            self.protect(p, 1, want);
        }
        let r = f();
        self.sync_host(addr, len as u32);
        r
    }

    /// Before the kernel side stores to [addr, addr+len) through host
    /// pointers (the guest may write it): the pages there holding
    /// translated code lose `P_CODE` and become writable on the host. The
    /// pages that held code, whose translations the caller drops after
    /// the store.
    pub fn prepare_write(&self, addr: u32, len: u32) -> Vec<u32> {
        let mut code = Vec::new();
        if len == 0 {
            return code;
        }
        for p in page_range(addr, len) {
            if self.perm(p) & P_CODE != 0 {
                self.clear_code(p);
                code.push(p);
            }
        }
        code
    }

    /// Set the bits `set` and clear the bits `clear` (one of them is 0) of
    /// `page`'s permissions, and its host protection with them; the old
    /// permissions.
    fn update(&self, page: u32, set: u8, clear: u8) -> u8 {
        let e = &self.perms()[page as usize];
        let old = if set != 0 {
            e.fetch_or(set, Relaxed)
        } else {
            e.fetch_and(!clear, Relaxed)
        };
        let new = (old | set) & !clear;
        if host_prot(new) != host_prot(old) {
            self.protect(page, 1, host_prot(new));
        }
        old
    }

    /// Map [addr, addr+len) with `prot`, zero-filled. The host pages are
    /// released (MADV_DONTNEED), so they read as zero and cost no host
    /// memory until the guest touches them.
    pub fn map_zero(&self, addr: u32, len: u32, prot: u8) {
        if len == 0 {
            return;
        }
        self.discard(addr, len);
        self.set_perm(addr, len, prot | P_PRESENT);
    }

    /// Drop the contents of the pages covering [addr, addr+len): they read
    /// as zero afterwards and their host memory is returned.
    pub fn discard(&self, addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        let start = (addr & !(PAGE_SIZE - 1)) as usize;
        let end =
            ((addr as u64 + len as u64 + PAGE_SIZE as u64 - 1) & !(PAGE_SIZE as u64 - 1)) as usize;
        let r = unsafe {
            libc::madvise(
                self.base.add(start) as *mut libc::c_void,
                end - start,
                libc::MADV_DONTNEED,
            )
        };
        if r != 0 {
            // Not expected on Linux; fall back to writing zeros.
            unsafe { std::ptr::write_bytes(self.base.add(start), 0, end - start) };
        }
    }

    pub fn unmap(&self, addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        for p in page_range(addr, len) {
            let e = &self.perms()[p as usize];
            e.store(e.load(Relaxed) & P_CODE, Relaxed);
        }
        self.sync_host(addr, len);
    }

    pub fn mark_code(&self, page: u32) {
        self.update(page, P_CODE, 0);
    }

    /// Mark `page` as holding code and, the first time, its aliases too
    /// (see [`Mem::mark_alias_code`]; a page that was code already had
    /// them marked).
    pub fn mark_code_and_aliases(&self, page: u32) {
        let old = self.update(page, P_CODE, 0);
        if old & (P_CODE | P_ALIAS) == P_ALIAS {
            self.mark_alias_code(page);
        }
    }

    pub fn clear_code(&self, page: u32) {
        self.update(page, 0, P_CODE);
    }

    /// Track the writes to the writable pages of [addr, addr+len): their
    /// P_WRITE becomes P_TRACK until the first write.
    pub fn track_writes(&self, addr: u32, len: u32) {
        self.tracking.store(true, Relaxed);
        for p in page_range(addr, len) {
            let e = &self.perms()[p as usize];
            let v = e.load(Relaxed);
            if v & (P_PRESENT | P_WRITE) == P_PRESENT | P_WRITE {
                e.store((v & !P_WRITE) | P_TRACK, Relaxed);
            }
        }
        self.sync_host(addr, len);
    }

    /// A write hit `page`: if it is tracked, make it writable and record
    /// it (true); the write is then retried.
    #[cold]
    pub fn untrack(&self, page: u32) -> bool {
        let e = &self.perms()[page as usize];
        let v = e.load(Relaxed);
        if v & P_TRACK == 0 {
            return false;
        }
        e.store((v & !P_TRACK) | P_WRITE, Relaxed);
        self.protect(page, 1, host_prot(v & !P_TRACK | P_WRITE));
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(page);
        true
    }

    /// Whether some pages track writes ([`Mem::track_writes`]).
    pub fn tracking(&self) -> bool {
        self.tracking.load(Relaxed)
    }

    /// The pages [`Mem::untrack`] recorded since the last call.
    pub fn take_written(&self) -> Vec<u32> {
        std::mem::take(&mut *self.written.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Check that [addr, addr+len) is accessible with `need` bits.
    pub fn check(
        &self,
        addr: u32,
        len: u32,
        need: u8,
        write: bool,
        fetch: bool,
    ) -> Result<(), PageFault> {
        if len == 0 {
            return Ok(());
        }
        if addr as u64 + len as u64 > WINDOW {
            // Past the top of the address space: no guest range wraps (a
            // kernel access_ok refuses it), and none reaches past the window.
            return Err(PageFault {
                addr: 0,
                present: false,
                write,
                fetch,
            });
        }
        for p in page_range(addr, len) {
            let mut f = self.perm(p);
            if f & P_TRACK != 0 && need & P_WRITE != 0 && self.untrack(p) {
                f = self.perm(p);
            }
            if f & (P_PRESENT | need) != (P_PRESENT | need) {
                let fa = if p == addr >> PAGE_SHIFT {
                    addr
                } else {
                    p << PAGE_SHIFT
                };
                return Err(PageFault {
                    addr: fa,
                    present: f & P_PRESENT != 0,
                    write,
                    fetch,
                });
            }
        }
        Ok(())
    }

    /// The host address of the guest range [addr, addr+len), or None when
    /// the range does not lie inside the window (it runs past 4 GiB). Every
    /// guest range becomes a host pointer here, so nothing outside `mem/`
    /// decides whether a host address is the guest's.
    #[inline]
    pub fn host_range(&self, addr: u32, len: usize) -> Option<*mut u8> {
        if addr as u64 + len as u64 > WINDOW {
            return None;
        }
        // SAFETY: addr + len <= 4 GiB <= the reservation's size.
        Some(unsafe { self.base.add(addr as usize) })
    }

    /// [`Mem::host_range`] for ranges the caller has already bounded.
    fn host(&self, addr: u32, len: usize) -> *mut u8 {
        self.host_range(addr, len)
            .expect("guest range checked to lie inside the window")
    }

    /// Host slice of guest memory, after a permission check (which refuses
    /// ranges past 4 GiB). Used by the loader and the kernel for host I/O:
    /// reading it in emu could raise SIGBUS on a P_FILE page, which the
    /// host kernel turns into EFAULT for its own accesses.
    pub fn slice(&self, addr: u32, len: u32) -> Result<&[u8], PageFault> {
        self.check(addr, len, P_READ, false, false)?;
        // SAFETY: inside the window (checked); guest memory stays mapped
        // while `self` lives.
        Ok(unsafe { std::slice::from_raw_parts(self.host(addr, len as usize), len as usize) })
    }

    /// Host pointer to [addr, addr+len) for host I/O (read(2) into a guest
    /// buffer) after a permission check for `need`. A raw pointer, not a
    /// slice: other guest threads may write the same bytes meanwhile, as
    /// they may natively.
    pub fn host_ptr(&self, addr: u32, len: u32, need: u8) -> Result<*mut u8, PageFault> {
        self.check(addr, len, need, need & P_WRITE != 0, false)?;
        Ok(self.host(addr, len as usize))
    }

    /// Copy `data` to guest memory at `addr` without a permission check
    /// (kernel-side setup: the loader, the vDSO, tests).
    pub fn write_raw(&self, addr: u32, data: &[u8]) {
        let dst = self.host(addr, data.len());
        // SAFETY: inside the window; a copy through raw pointers, no
        // reference to guest memory is made.
        self.with_host_access(addr, data.len(), true, || unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len())
        });
    }

    /// Set [addr, addr+len) to `byte` without a permission check.
    pub fn fill_raw(&self, addr: u32, len: u32, byte: u8) {
        let dst = self.host(addr, len as usize);
        // SAFETY: inside the window.
        self.with_host_access(addr, len as usize, true, || unsafe {
            std::ptr::write_bytes(dst, byte, len as usize)
        });
    }

    /// Copy guest [from, from+len) to [to, to+len) (they may overlap)
    /// without a permission check (mremap's copy of pages it cannot move).
    pub fn copy_raw(&self, from: u32, to: u32, len: u32) {
        let (Some(src), Some(dst)) = (
            self.host_range(from, len as usize),
            self.host_range(to, len as usize),
        ) else {
            return;
        };
        // SAFETY: both ranges lie inside the window, accessible meanwhile.
        self.with_host_access(from, len as usize, false, || {
            self.with_host_access(to, len as usize, true, || unsafe {
                std::ptr::copy(src, dst, len as usize)
            })
        });
    }

    /// Copy [addr, addr+len) out of guest memory without a permission check.
    pub fn read_raw(&self, addr: u32, len: u32) -> Vec<u8> {
        let src = self.host(addr, len as usize);
        let mut v = vec![0u8; len as usize];
        // SAFETY: inside the window.
        self.with_host_access(addr, len as usize, false, || unsafe {
            std::ptr::copy_nonoverlapping(src, v.as_mut_ptr(), len as usize)
        });
        v
    }

    /// The #PF of a kernel-side copy that stopped at `f`: on a page of a
    /// file, past the end of the file (present, as a host SIGBUS says);
    /// otherwise on a page another thread unmapped since the check.
    #[cold]
    fn copy_fault(&self, f: crate::cpu::guard::CopyFault, write: bool) -> PageFault {
        let file = f.off < WINDOW && self.perm((f.off >> PAGE_SHIFT) as u32) & P_FILE != 0;
        PageFault {
            addr: f.off as u32,
            present: file,
            write,
            fetch: false,
        }
    }

    /// Copy guest [addr, addr+n) (checked) to `dst`. A page that went away
    /// since the check, or a file page past the end of its file, gives
    /// the PageFault a kernel access there gets (the host's fault becomes
    /// -EFAULT, never emu's death).
    fn copy_out(&self, addr: u32, dst: *mut u8, n: usize, write: bool) -> Result<(), PageFault> {
        let src = self.host(addr, n);
        // SAFETY: checked; a fault ends the copy.
        unsafe { crate::cpu::guard::copy(self, dst, src, n) }.map_err(|f| self.copy_fault(f, write))
    }

    /// Kernel-side read (copy_from_user).
    pub fn read_bytes(&self, addr: u32, out: &mut [u8]) -> Result<(), PageFault> {
        self.check(addr, out.len() as u32, P_READ, false, false)?;
        self.copy_out(addr, out.as_mut_ptr(), out.len(), false)
    }

    /// Copy [addr, addr+len) of guest memory that has been checked to
    /// `dst` as far as the host can read it (a file page past the end of
    /// its file stops the copy): the bytes copied.
    pub fn copy_checked(&self, addr: u32, dst: &mut [u8]) -> usize {
        let Some(src) = self.host_range(addr, dst.len()) else {
            return 0;
        };
        // SAFETY: checked by the caller; a fault ends the copy.
        match unsafe { crate::cpu::guard::copy(self, dst.as_mut_ptr(), src, dst.len()) } {
            Ok(()) => dst.len(),
            Err(f) => f.done,
        }
    }

    /// Kernel-side write (copy_to_user). Reports pages holding cached code,
    /// looked at after the store: a thread that starts translating one of
    /// them marks it first, so a translation that may have read the old
    /// bytes is never missed.
    pub fn write_bytes(&self, addr: u32, data: &[u8]) -> Result<Vec<u32>, PageFault> {
        self.check(addr, data.len() as u32, P_WRITE, true, false)?;
        let mut smc = self.prepare_write(addr, data.len() as u32);
        let dst = self.host(addr, data.len());
        let mut tries = 0;
        // SAFETY: checked; a fault ends the copy.
        while let Err(f) = unsafe { crate::cpu::guard::copy(self, dst, data.as_ptr(), data.len()) }
        {
            // Another thread has translated code there since (try again),
            // or unmapped it; or a file page lies past the file's end.
            tries += 1;
            let fault = self.copy_fault(f, true);
            let page = (f.off >> PAGE_SHIFT) as u32;
            if tries > 2
                || fault.present
                || self.perm(page) & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE
            {
                return Err(fault);
            }
            smc.extend(self.prepare_write(page << PAGE_SHIFT, PAGE_SIZE));
        }
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if !data.is_empty() {
            for p in page_range(addr, data.len() as u32) {
                if self.perm(p) & P_CODE != 0 && !smc.contains(&p) {
                    smc.push(p);
                }
            }
        }
        Ok(smc)
    }

    pub fn read_u32(&self, addr: u32) -> Result<u32, PageFault> {
        let mut b = [0u8; 4];
        self.read_bytes(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Read a NUL-terminated string of at most `max` bytes.
    pub fn read_cstr(&self, addr: u32, max: usize) -> Result<Vec<u8>, PageFault> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let p = a >> PAGE_SHIFT;
            self.check(a, 1, P_READ, false, false)?;
            let page_end = ((p as u64 + 1) << PAGE_SHIFT) as u64;
            // A piece at a time (strings are short), copied as the
            // kernel side copies: a file page may be past the file's end,
            // and another thread may unmap the page meanwhile.
            let n = (page_end - a as u64).min((max - out.len()) as u64).min(256) as u32;
            let mut chunk = [0u8; 256];
            self.copy_out(a, chunk.as_mut_ptr(), n as usize, false)?;
            let s = &chunk[..n as usize];
            if let Some(z) = s.iter().position(|&c| c == 0) {
                out.extend_from_slice(&s[..z]);
                return Ok(out);
            }
            out.extend_from_slice(s);
            a = a.wrapping_add(n);
            if a == 0 {
                break;
            }
        }
        Ok(out)
    }
}

/// Page numbers covering [addr, addr+len), len > 0; wraps are clipped at 4 GiB.
pub fn page_range(addr: u32, len: u32) -> std::ops::RangeInclusive<u32> {
    let first = addr >> PAGE_SHIFT;
    let last = ((addr as u64 + len.max(1) as u64 - 1).min(u32::MAX as u64) as u32) >> PAGE_SHIFT;
    first..=last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_and_faults() {
        let m = Mem::new().unwrap();
        m.map_zero(0x1000, 0x1000, P_READ);
        assert!(m.check(0x1000, 4, P_READ, false, false).is_ok());
        let e = m.check(0x1ffe, 4, P_READ, false, false).unwrap_err();
        assert_eq!(
            e,
            PageFault {
                addr: 0x2000,
                present: false,
                write: false,
                fetch: false
            }
        );
        let e = m.check(0x1000, 4, P_WRITE, true, false).unwrap_err();
        assert!(e.present && e.write);
        assert_eq!(e.error_code(), 7);
    }

    #[test]
    fn top_of_window_is_inside_reservation() {
        let m = Mem::new().unwrap();
        m.map_zero(0xffff_f000, 0x1000, P_READ | P_WRITE);
        m.write_raw(0xffff_fffc, &[1, 2, 3, 4]);
        assert_eq!(m.read_u32(0xffff_fffc).unwrap(), 0x0403_0201);
        // A range running past 4 GiB is refused, whatever its length,
        // though its first page is mapped.
        assert!(m.check(0xffff_fffe, 4, P_READ, false, false).is_err());
        assert!(m
            .check(0xffff_f000, 0x8000_0000, P_READ, false, false)
            .is_err());
        assert!(m.slice(0xffff_f000, 0x2000).is_err());
        assert!(m.host_range(0xffff_f000, 0x1001).is_none());
        assert!(m.host_range(0xffff_f000, 0x1000).is_some());
    }

    #[test]
    fn cstr_across_pages() {
        let m = Mem::new().unwrap();
        m.map_zero(0x1000, 0x2000, P_READ | P_WRITE);
        m.write_raw(0x1ffe, b"abc\0");
        assert_eq!(m.read_cstr(0x1ffe, 100).unwrap(), b"abc");
        assert_eq!(m.read_cstr(0x1ffe, 2).unwrap(), b"ab");
    }
}
