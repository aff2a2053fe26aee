//! The guest's memory map: the VMA list, brk, mmap and friends, page
//! faults that grow the stack, and `/proc/self/maps`.
//!
//! The model follows Linux (an x86_64 kernel running an i386 task with ASLR
//! off) closely enough that addresses, errno values and `/proc/self/maps`
//! agree with native runs:
//! - [`Mm`] keeps the VMAs (start, end, vm_flags, pgoff, backing). Ranges are
//!   split and merged as Linux's vma_merge does: adjacent VMAs with equal
//!   flags, the same backing object and contiguous page offsets merge, so a
//!   run of anonymous mmaps shows as one line, and mprotect/mlock/madvise on
//!   part of a VMA split it.
//! - Placement is the compat top-down allocator: the highest gap below the
//!   mmap base (0xf7ffe000) that fits, keeping the 1 MiB stack guard gap
//!   below MAP_GROWSDOWN mappings, falling back to a bottom-up search from
//!   TASK_UNMAPPED_BASE; hints are honoured when the range is free.
//! - Guest memory is the one host reservation of [`Mem`]. Private anonymous
//!   memory is the reservation itself (zeroed with MADV_DONTNEED). File
//!   mappings (private and shared) and shared anonymous mappings are real
//!   host mappings placed with MAP_FIXED over the guest window, so writes to
//!   a MAP_SHARED file reach the file, MAP_PRIVATE pages are copy-on-write
//!   views of the page cache, and a later host fork() would share exactly
//!   what Linux shares. When such a range is unmapped, anonymous memory is
//!   put back under it.
//! - Page permissions are enforced by the interpreter through
//!   [`Mem::set_perm`]. x86 pages without protection keys cannot be
//!   write-only or execute-only: any access right implies read (the VMA
//!   keeps the requested bits, which `/proc/self/maps` shows). File pages
//!   wholly past end-of-file (and pages of a shared anonymous mapping past
//!   its object) are left not-present; touching them raises SIGBUS
//!   (BUS_ADRERR) after [`user_fault`] has checked the file did not grow.
//! - Translated code on pages that are unmapped, remapped or change
//!   protection is dropped from the block cache.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use super::abi::errno::Errno;
use super::abi::mm::{self as am, madv};
use super::abi::sys::{per, rlimit};
use super::syscall::SysResult;
use super::task::{lock, Task};
use crate::loader::{self, Loaded};
use crate::mem::{Mem, PAGE_SHIFT, PAGE_SIZE, P_ALIAS, P_EXEC, P_FILE, P_PRESENT, P_READ, P_WRITE};

pub const PAGE: u32 = PAGE_SIZE;
const PAGE64: u64 = PAGE as u64;
const PAGE_MASK: u32 = !(PAGE - 1);
/// Highest user address + 1 of a compat task.
pub const TASK_SIZE: u32 = loader::TASK_SIZE;
/// stack_guard_gap: 256 pages kept free below a grows-down mapping.
pub const STACK_GUARD_GAP: u32 = loader::layout::STACK_GUARD_GAP;
/// The effective mmap_min_addr (CONFIG_LSM_MMAP_MIN_ADDR): hints below it
/// are raised to it, and searches never go below it.
pub const MMAP_MIN_ADDR: u32 = 0x1_0000;
/// TASK_UNMAPPED_BASE of a compat task (PAGE_ALIGN(TASK_SIZE / 3)): where
/// the bottom-up fallback search starts.
pub const TASK_UNMAPPED_BASE: u32 = loader::layout::TASK_UNMAPPED_BASE;
/// vm.max_map_count's default.
pub const MAX_MAP_COUNT: usize = 65530;

/// vm.max_map_count: the most VMAs a process may have (the host's
/// setting, read once; the guest's VMAs are counted as Linux counts its).
pub fn max_map_count() -> usize {
    static V: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        super::sys::host_sysctl("vm/max_map_count").map_or(MAX_MAP_COUNT, |v| v as usize)
    })
}

/// Host VMAs kept free for emu's own later needs, which it cannot refuse
/// (a new thread's stack and guard, malloc arenas, large allocations):
/// the guest's file and shared mappings, which each need a host VMA of
/// their own, may bring the host's count (emu's own VMAs included) up to
/// vm.max_map_count less this. Past it the guest's mmap fails with ENOMEM
/// (natively the same mapping would succeed only while the guest's own
/// VMA count is below the same limit).
pub const HOST_VMA_RESERVE: usize = 256;

/// A generous guess of emu's own host VMAs (its code and data, heap,
/// thread stacks, the window's pieces), which [`Mm::host_vma_room`]
/// replaces by the real count when the guest's mappings near the limit.
const EMU_OWN_VMAS: usize = 512;

/// The host VMAs of this process now: the lines of the host's
/// /proc/self/maps.
fn host_vma_count() -> Option<usize> {
    let maps = std::fs::read("/proc/self/maps").ok()?;
    Some(maps.iter().filter(|&&b| b == b'\n').count())
}

/// vm_flags bits (Linux's values).
pub mod vm {
    pub const READ: u64 = 0x1;
    pub const WRITE: u64 = 0x2;
    pub const EXEC: u64 = 0x4;
    pub const SHARED: u64 = 0x8;
    pub const MAYREAD: u64 = 0x10;
    pub const MAYWRITE: u64 = 0x20;
    pub const MAYEXEC: u64 = 0x40;
    pub const MAYSHARE: u64 = 0x80;
    pub const GROWSDOWN: u64 = 0x100;
    pub const PFNMAP: u64 = 0x400;
    pub const LOCKED: u64 = 0x2000;
    pub const IO: u64 = 0x4000;
    pub const SEQ_READ: u64 = 0x8000;
    pub const RAND_READ: u64 = 0x1_0000;
    pub const DONTCOPY: u64 = 0x2_0000;
    pub const DONTEXPAND: u64 = 0x4_0000;
    pub const LOCKONFAULT: u64 = 0x8_0000;
    pub const ACCOUNT: u64 = 0x10_0000;
    pub const NORESERVE: u64 = 0x20_0000;
    pub const HUGETLB: u64 = 0x40_0000;
    pub const WIPEONFORK: u64 = 0x200_0000;
    pub const DONTDUMP: u64 = 0x400_0000;
    pub const HUGEPAGE: u64 = 0x2000_0000;
    pub const NOHUGEPAGE: u64 = 0x4000_0000;
    pub const MERGEABLE: u64 = 0x8000_0000;
    pub const DROPPABLE: u64 = 1 << 32;
    pub const SEALED: u64 = 1 << 33;

    pub const ACCESS: u64 = READ | WRITE | EXEC;
    pub const LOCKED_MASK: u64 = LOCKED | LOCKONFAULT;
    pub const SPECIAL: u64 = IO | DONTEXPAND | PFNMAP;
    pub const MAY: u64 = MAYREAD | MAYWRITE | MAYEXEC;
}

/// What a VMA maps.
#[derive(Clone, Debug)]
pub enum Backing {
    /// Private anonymous memory (also bss, brk and the stack).
    Anon,
    /// Shared anonymous memory (a shmem object, "/dev/zero (deleted)").
    Shm(Arc<Shm>),
    /// A file mapped through a host mapping of the file.
    File(Arc<MapFile>),
    /// The program's own image, loaded by copying (shown as the executable).
    Exe,
    Vvar,
    VvarVclock,
    Vdso,
}

/// A shared anonymous object.
#[derive(Debug)]
pub struct Shm {
    /// Size in pages: pages past it raise SIGBUS.
    pub pages: u64,
}

/// A mapped file: a host fd of our own (the mapping holds a reference to
/// the open file, as a VMA does) and what `/proc/self/maps` shows.
#[derive(Debug)]
pub struct MapFile {
    pub fd: OwnedFd,
    pub name: String,
    pub dev: u64,
    pub ino: u64,
    /// A regular file (its size bounds the accessible pages).
    pub regular: bool,
    /// The file may shrink under the mapping (a regular file other than
    /// the running program, which cannot be truncated: ETXTBSY): its pages
    /// carry P_FILE, so the kernel side copies them fault-tolerantly.
    pub shrinks: bool,
}

impl MapFile {
    /// The running executable as a mapped file (its segments are host
    /// mappings of it: see `loader::elf::map`), shown under `path`.
    pub fn for_exe(file: &std::fs::File, path: &std::path::Path) -> std::io::Result<Arc<MapFile>> {
        use std::os::unix::fs::MetadataExt;
        let md = file.metadata()?;
        Ok(Arc::new(MapFile {
            fd: file.try_clone()?.into(),
            name: path.to_string_lossy().into_owned(),
            dev: md.dev(),
            ino: md.ino(),
            regular: md.file_type().is_file(),
            shrinks: false,
        }))
    }

    /// Pages of the file (rounded up) right now, or None when the size does
    /// not bound the mapping (devices).
    fn pages(&self) -> Option<u64> {
        if !self.regular {
            return None;
        }
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(self.fd.as_raw_fd(), &mut st) } != 0 {
            return None;
        }
        Some((st.st_size as u64).div_ceil(PAGE64))
    }
}

/// One mapping.
#[derive(Clone, Debug)]
pub struct Vma {
    pub start: u32,
    pub end: u32,
    pub flags: u64,
    /// Page offset of `start` in the backing object (anonymous memory: the
    /// page number of the address it was created at, as Linux sets it).
    pub pgoff: u64,
    pub backing: Backing,
}

impl Vma {
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// vma_is_anonymous: private anonymous memory (no vm_ops).
    pub fn is_anonymous(&self) -> bool {
        matches!(self.backing, Backing::Anon)
    }

    /// The VMA has a vm_file (shown with an offset, device and inode).
    pub fn has_file(&self) -> bool {
        matches!(
            self.backing,
            Backing::File(_) | Backing::Exe | Backing::Shm(_)
        )
    }

    /// Backed by a host mapping other than the plain reservation.
    fn host_mapped(&self) -> bool {
        matches!(self.backing, Backing::File(_) | Backing::Shm(_))
    }

    fn accessible(&self) -> bool {
        self.flags & vm::ACCESS != 0
    }

    /// For [vvar] and [vvar_vclock]: the index of the first page in the
    /// vvar block (see `loader::vdso::vvar_page_present`).
    fn vvar_page(&self) -> Option<u32> {
        let first = match self.backing {
            Backing::Vvar => 0,
            Backing::VvarVclock => loader::vdso::VVAR_DATA_PAGES,
            _ => return None,
        };
        Some(first + self.pgoff as u32)
    }

    /// Pages from `start` that can be touched without SIGBUS.
    fn valid_pages(&self) -> u64 {
        let n = (self.len() >> PAGE_SHIFT) as u64;
        let limit = match &self.backing {
            Backing::File(f) => f.pages(),
            Backing::Shm(s) => Some(s.pages),
            _ => None,
        };
        match limit {
            Some(l) => l.saturating_sub(self.pgoff).min(n),
            None => n,
        }
    }

    /// The part of this VMA in [start, end), with its page offset adjusted.
    fn slice(&self, start: u32, end: u32) -> Vma {
        let s = start.max(self.start);
        let e = end.min(self.end);
        Vma {
            start: s,
            end: e,
            pgoff: self.pgoff + ((s - self.start) >> PAGE_SHIFT) as u64,
            ..self.clone()
        }
    }
}

/// Interpreter permissions for vm_flags: any access right implies read.
pub fn page_perm(flags: u64) -> u8 {
    let mut p = P_PRESENT;
    if flags & vm::ACCESS != 0 {
        p |= P_READ;
    }
    if flags & vm::WRITE != 0 {
        p |= P_WRITE;
    }
    if flags & vm::EXEC != 0 {
        p |= P_EXEC;
    }
    p
}

fn same_backing(a: &Backing, b: &Backing) -> bool {
    match (a, b) {
        (Backing::Anon, Backing::Anon) | (Backing::Exe, Backing::Exe) => true,
        (Backing::File(x), Backing::File(y)) => Arc::ptr_eq(x, y),
        (Backing::Shm(x), Backing::Shm(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

fn page_align(len: u64) -> u64 {
    (len + PAGE64 - 1) & !(PAGE64 - 1)
}

/// Mappings and program break of the process.
#[derive(Clone, Debug, Default)]
pub struct Mm {
    vmas: BTreeMap<u32, Vma>,
    pub start_brk: u32,
    pub brk: u32,
    /// The data segment bounds (for RLIMIT_DATA on brk).
    pub start_data: u32,
    pub end_data: u32,
    /// The initial stack pointer: the VMA holding it is `[stack]`.
    pub start_stack: u32,
    /// Top of the top-down mmap area (the start of the bottom-up one in
    /// the legacy layout).
    pub mmap_base: u32,
    /// The legacy bottom-up layout (`loader::Layout::legacy`).
    pub legacy: bool,
    /// mm->def_flags (VM_LOCKED after mlockall(MCL_FUTURE)).
    pub def_flags: u64,
    /// vm.mmap_min_addr (the DAC limit below which unprivileged mappings fail).
    pub dac_min_addr: u32,
    /// Host path of the running program (/proc/self/exe).
    pub exe: std::path::PathBuf,
    /// The argv strings [arg_start, arg_end) and the envp strings
    /// [env_start, env_end) on the initial stack.
    pub arg_start: u32,
    pub arg_end: u32,
    pub env_start: u32,
    pub env_end: u32,
    /// Placement cache (Linux's augmented gap tree in miniature): when
    /// Some(a), [a, mmap_base) has no free page, so the top-down search
    /// starts below a. Dropped whenever a VMA leaves the map.
    full_above: Option<u32>,
    /// An upper bound on the process's host VMAs: emu's own (guessed at
    /// [`EMU_OWN_VMAS`] until counted) plus 2 for each host mapping (file
    /// or shared) of the guest's. Recounted when it nears the limit
    /// ([`Mm::host_vma_room`]).
    host_vmas: usize,
    /// mm->start_code and end_code: the executable segments' lowest
    /// address and the end of their file data (/proc/self/stat, statm).
    pub start_code: u32,
    pub end_code: u32,
    /// mm->saved_auxv: the auxv pairs the loader wrote, AT_NULL last.
    pub saved_auxv: Vec<(u32, u32)>,
}

impl Mm {
    /// The memory map of a freshly loaded program: its segments (as the
    /// loader mapped them), \[vvar\]/\[vvar_vclock\]/\[vdso\] and \[stack\].
    /// `exe`: the segments are host mappings of this file (they are then
    /// file VMAs like any other; without it they are copies, shown as the
    /// executable).
    pub fn new(l: &Loaded, image: &[u8], vdso_base: Option<u32>, exe: Option<Arc<MapFile>>) -> Mm {
        let mut mm = Mm {
            start_brk: l.brk,
            brk: l.brk,
            start_stack: l.sp,
            mmap_base: l.layout.mmap_base(),
            legacy: l.layout.legacy,
            dac_min_addr: dac_mmap_min_addr(),
            arg_start: l.arg_start,
            arg_end: l.arg_end,
            env_start: l.arg_end,
            env_end: l.env_end,
            saved_auxv: l.auxv.clone(),
            host_vmas: EMU_OWN_VMAS,
            ..Mm::default()
        };
        let rie = l.read_implies_exec;
        if let Ok(elf) = loader::elf::Elf::parse(image) {
            if let Ok(plan) = elf.plan(l.stack_start, &l.layout) {
                let backing = exe.clone().map_or(Backing::Exe, Backing::File);
                let (start_data, end_data) = mm.add_segments(&plan.segs, &backing);
                // mm->start_code/end_code: the executable segments.
                let (mut start_code, mut end_code) = (u32::MAX, 0u32);
                for s in plan.segs.iter().filter(|s| s.prot & P_EXEC != 0) {
                    start_code = start_code.min(s.addr);
                    end_code = end_code.max(s.addr.wrapping_add(s.filesz));
                }
                mm.start_data = start_data;
                mm.end_data = end_data;
                if start_code != u32::MAX {
                    mm.start_code = start_code;
                    mm.end_code = end_code;
                }
            }
        }
        if let Some(i) = &l.interp {
            use std::os::unix::fs::MetadataExt;
            let md = i.file.metadata();
            let f = i.file.try_clone().ok().map(|fd| {
                Arc::new(MapFile {
                    fd: fd.into(),
                    name: i.name.clone(),
                    dev: md.as_ref().map_or(0, |m| m.dev()),
                    ino: md.as_ref().map_or(0, |m| m.ino()),
                    regular: true,
                    // Not the running program: others may truncate it.
                    shrinks: true,
                })
            });
            if let Some(f) = f {
                mm.add_segments(&i.plan.segs, &Backing::File(f));
            }
        }
        if let Some(base) = vdso_base {
            let vvar = base - loader::vdso::VVAR_PAGES * PAGE;
            let special =
                vm::READ | vm::MAYREAD | vm::IO | vm::PFNMAP | vm::DONTEXPAND | vm::DONTDUMP;
            mm.replace(Vma {
                start: vvar,
                end: vvar + loader::vdso::VVAR_DATA_PAGES * PAGE,
                flags: special,
                pgoff: 0,
                backing: Backing::Vvar,
            });
            mm.replace(Vma {
                start: vvar + loader::vdso::VVAR_DATA_PAGES * PAGE,
                end: base,
                flags: special,
                pgoff: 0,
                backing: Backing::VvarVclock,
            });
            mm.replace(Vma {
                start: base,
                end: base + loader::vdso::VDSO_PAGES * PAGE,
                flags: vm::READ | vm::EXEC | vm::MAY | vm::DONTEXPAND,
                pgoff: 0,
                backing: Backing::Vdso,
            });
        }
        let mut sf = vm::READ | vm::WRITE | vm::MAY | vm::GROWSDOWN | vm::ACCOUNT;
        if l.exec_stack || rie {
            sf |= vm::EXEC;
        }
        mm.replace(Vma {
            start: l.stack_start,
            end: loader::STACK_TOP,
            flags: sf,
            pgoff: (l.stack_start >> PAGE_SHIFT) as u64,
            backing: Backing::Anon,
        });
        mm
    }

    /// VMAs for loaded ELF segments (as `loader::elf::map` mapped them):
    /// the file pages with `backing`, the bss pages past them anonymous.
    /// Returns the data bounds (highest segment start, highest file end).
    fn add_segments(&mut self, segs: &[loader::elf::Seg], backing: &Backing) -> (u32, u32) {
        let mut start_data = 0u32;
        let mut end_data = 0u32;
        for s in segs {
            start_data = start_data.max(s.addr);
            end_data = end_data.max(s.addr.wrapping_add(s.filesz));
            let lo = s.addr & PAGE_MASK;
            let anon_lo = if s.filesz > 0 {
                let fe = page_align(s.addr as u64 + s.filesz as u64) as u32;
                let pgoff = (s.offset - (s.addr - lo)) as u64 >> PAGE_SHIFT;
                let mut f = flags_of_perm(s.prot) | vm::MAY;
                if s.prot & P_WRITE != 0 {
                    f |= vm::ACCOUNT;
                }
                self.replace(Vma {
                    start: lo,
                    end: fe,
                    flags: f,
                    pgoff,
                    backing: backing.clone(),
                });
                fe
            } else {
                lo
            };
            let hi = page_align(s.addr as u64 + s.memsz as u64) as u32;
            if s.memsz > s.filesz && hi > anon_lo {
                self.replace(Vma {
                    start: anon_lo,
                    end: hi,
                    flags: flags_of_perm(s.anon_prot) | vm::MAY | vm::ACCOUNT,
                    pgoff: (anon_lo >> PAGE_SHIFT) as u64,
                    backing: Backing::Anon,
                });
            }
        }
        (start_data, end_data)
    }

    // ---- the VMA list ----

    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    pub fn map_count(&self) -> usize {
        self.vmas.len()
    }

    /// The VMA containing `addr`.
    pub fn find(&self, addr: u32) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
    }

    /// find_vma: the first VMA ending above `addr`.
    pub fn find_vma(&self, addr: u32) -> Option<&Vma> {
        self.find(addr)
            .or_else(|| self.vmas.range(addr..).next().map(|(_, v)| v))
    }

    fn prev_of(&self, start: u32) -> Option<&Vma> {
        self.vmas.range(..start).next_back().map(|(_, v)| v)
    }

    /// VMAs intersecting [start, end), in order.
    pub fn range(&self, start: u32, end: u64) -> Vec<Vma> {
        let mut out = Vec::new();
        if let Some(v) = self.find(start) {
            out.push(v.clone());
        }
        let from = start.saturating_add(1);
        if end > from as u64 {
            let hi = end.min(u32::MAX as u64 + 1);
            for (_, v) in self.vmas.range(from..) {
                if v.start as u64 >= hi {
                    break;
                }
                if v.start > start {
                    out.push(v.clone());
                }
            }
        }
        out
    }

    pub fn intersects(&self, start: u32, end: u64) -> bool {
        match self.find_vma(start) {
            Some(v) => (v.start as u64) < end,
            None => false,
        }
    }

    /// Split the VMA containing `addr` so a VMA starts at `addr`.
    fn split(&mut self, addr: u32) {
        let Some(v) = self.find(addr).cloned() else {
            return;
        };
        if v.start == addr {
            return;
        }
        let lo = v.slice(v.start, addr);
        let hi = v.slice(addr, v.end);
        self.vmas.insert(lo.start, lo);
        self.vmas.insert(hi.start, hi);
    }

    /// Take the VMAs in [start, end) out of the list (splitting at the edges).
    fn carve(&mut self, start: u32, end: u64) -> Vec<Vma> {
        if self.intersects(start, end) {
            self.full_above = None;
        }
        self.split(start);
        if end <= u32::MAX as u64 {
            self.split(end as u32);
        }
        let keys: Vec<u32> = self
            .vmas
            .range(start..)
            .take_while(|(k, _)| (**k as u64) < end)
            .map(|(k, _)| *k)
            .collect();
        keys.into_iter()
            .filter_map(|k| self.vmas.remove(&k))
            .collect()
    }

    fn can_merge(&self, a: &Vma, b: &Vma) -> bool {
        a.end == b.start
            && a.flags == b.flags
            && a.flags & vm::SPECIAL == 0
            && !matches!(a.backing, Backing::Vdso | Backing::Vvar | Backing::VvarVclock)
            && b.pgoff == a.pgoff + (a.len() >> PAGE_SHIFT) as u64
            && same_backing(&a.backing, &b.backing)
            // The first brk VMA never merges with what ends at start_brk.
            && !(a.end == self.start_brk && a.is_anonymous())
    }

    /// Merge the VMAs meeting at `addr` if they are compatible.
    fn merge_at(&mut self, addr: u32) {
        let Some(b) = self.vmas.get(&addr).cloned() else {
            return;
        };
        let Some(a) = self.prev_of(addr).cloned() else {
            return;
        };
        if self.can_merge(&a, &b) {
            self.vmas.remove(&addr);
            if let Some(v) = self.vmas.get_mut(&a.start) {
                v.end = b.end;
            }
        }
    }

    /// Insert `v` over a free range and merge it with its neighbours.
    fn insert(&mut self, v: Vma) {
        let (s, e) = (v.start, v.end);
        self.vmas.insert(s, v);
        self.merge_at(e);
        self.merge_at(s);
        // Lower the known-full top of the mmap area over what now joins it.
        let mut top = match self.full_above {
            Some(t) => t,
            None => self.covered_down_to(self.mmap_base),
        };
        if e == top && s < top {
            top = self.covered_down_to(s);
        }
        self.full_above = Some(top);
    }

    /// Whether the host has room for one more host mapping of the guest's
    /// (a file or shared mapping: its own host VMA, and perhaps one more
    /// piece of the reservation) within vm.max_map_count less emu's
    /// reserve. `host_vmas` is an upper bound on the process's host VMAs
    /// (each mapping adds 2); when it reaches the limit, the host's real
    /// count replaces it (the lines of /proc/self/maps, emu's own VMAs
    /// included). The bound is at least twice the real growth, so the
    /// recounts come at geometrically shrinking distances: a long run of
    /// mappings reads the maps file O(log n) times.
    fn host_vma_room(&mut self) -> bool {
        let limit = max_map_count().saturating_sub(HOST_VMA_RESERVE);
        if self.host_vmas + 2 <= limit {
            return true;
        }
        self.host_vmas = host_vma_count().unwrap_or(self.count_host_vmas() + 2048);
        self.host_vmas + 2 <= limit
    }

    /// An upper bound on the host VMAs in the window now (the fallback when
    /// /proc/self/maps cannot be read): each host-mapped
    /// VMA (guest splits may be one host VMA: counted apart), each piece of
    /// the anonymous reservation between them, and the top one.
    fn count_host_vmas(&self) -> usize {
        let mut n = 1;
        let mut prev_end = None;
        for v in self.vmas.values().filter(|v| v.host_mapped()) {
            n += 1;
            if prev_end != Some(v.start) {
                n += 1;
            }
            prev_end = Some(v.end);
        }
        n
    }

    /// The lowest `a` such that VMAs cover [a, from) without a hole.
    fn covered_down_to(&self, from: u32) -> u32 {
        let mut top = from;
        while let Some(p) = self.prev_of(top).filter(|p| p.end == top) {
            top = p.start;
        }
        top
    }

    /// Insert replacing whatever is there (MAP_FIXED semantics, no side effects).
    fn replace(&mut self, v: Vma) {
        if v.is_empty() {
            return;
        }
        self.carve(v.start, v.end as u64);
        self.insert(v);
    }

    /// Change the flags of [start, end) (inside one VMA) and re-merge.
    fn set_flags(&mut self, start: u32, end: u32, flags: u64) {
        self.split(start);
        self.split(end);
        if let Some(v) = self.vmas.get_mut(&start) {
            v.flags = flags;
        }
        self.merge_at(end);
        self.merge_at(start);
    }

    // ---- placement ----

    /// vm_start_gap: the start of `v` less the guard gap below a stack.
    fn start_gap(v: &Vma) -> u32 {
        if v.flags & vm::GROWSDOWN != 0 {
            v.start.saturating_sub(STACK_GUARD_GAP)
        } else {
            v.start
        }
    }

    /// Free intervals [s, e) clipped to [low, high), highest first (lazily:
    /// a search that stops at the first fit walks only the VMAs above it).
    fn gaps_rev(&self, low: u32, high: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mut top = high as u64;
        let mut it = self.vmas.range(..high).rev();
        let mut done = false;
        std::iter::from_fn(move || {
            while !done {
                let Some((_, v)) = it.next() else {
                    done = true;
                    if (low as u64) < top {
                        return Some((low, top as u32));
                    }
                    return None;
                };
                let mut gap = None;
                if (v.end as u64) < top {
                    let s = v.end.max(low) as u64;
                    if s < top {
                        gap = Some((s as u32, top as u32));
                    }
                }
                top = top.min(v.start as u64);
                if top <= low as u64 {
                    done = true;
                }
                if gap.is_some() {
                    return gap;
                }
            }
            None
        })
    }

    /// unmapped_area_topdown (below the known-full top of the mmap area
    /// when the search starts at the mmap base).
    fn topdown(&self, len: u32, low: u32, high: u32) -> Option<u32> {
        let low = low.max(MMAP_MIN_ADDR);
        let mut high = high;
        if let Some(f) = self.full_above {
            if high == self.mmap_base && f < high {
                high = f;
            }
        }
        'retry: loop {
            for (s, e) in self.gaps_rev(low, high) {
                if e - s < len {
                    continue;
                }
                if let Some(next) = self.vmas.range(e..).next().map(|(_, v)| v) {
                    if next.flags & vm::GROWSDOWN != 0 && Self::start_gap(next) < e {
                        high = Self::start_gap(next);
                        continue 'retry;
                    }
                }
                return Some(e - len);
            }
            return None;
        }
    }

    /// unmapped_area (bottom-up), for the legacy fallback.
    fn bottomup(&self, len: u32, low: u32, high: u32) -> Option<u32> {
        let mut low = low.max(MMAP_MIN_ADDR);
        'retry: loop {
            let mut gaps: Vec<(u32, u32)> = self.gaps_rev(low, high).collect();
            gaps.reverse();
            for (s, e) in gaps {
                if e - s < len {
                    continue;
                }
                if let Some(next) = self.vmas.range(e..).next().map(|(_, v)| v) {
                    if next.flags & vm::GROWSDOWN != 0
                        && (Self::start_gap(next) as u64) < s as u64 + len as u64 - 1
                    {
                        low = next.end;
                        continue 'retry;
                    }
                }
                return Some(s);
            }
            return None;
        }
    }

    /// get_unmapped_area for a compat task: MAP_FIXED checks, hints, the
    /// top-down search and its bottom-up fallback. `privileged` tells
    /// whether the task has CAP_SYS_RAWIO (mappings below vm.mmap_min_addr);
    /// it is asked only for such addresses.
    pub fn get_unmapped_area(
        &self,
        addr: u32,
        len: u64,
        fixed: bool,
        privileged: impl Fn() -> bool,
    ) -> Result<u32, Errno> {
        if len > TASK_SIZE as u64 {
            return Err(Errno::ENOMEM);
        }
        let len32 = len as u32;
        let a = if fixed {
            addr
        } else {
            let mut found = None;
            if addr != 0 {
                let h = addr & PAGE_MASK;
                if TASK_SIZE - len32 >= h {
                    match self.find_vma(h) {
                        None => found = Some(h),
                        Some(v) if h as u64 + len <= Self::start_gap(v) as u64 => found = Some(h),
                        _ => {}
                    }
                }
            }
            match found {
                Some(h) => h,
                None if self.legacy => self.legacy_bottomup(0, len32).ok_or(Errno::ENOMEM)?,
                None => self
                    .topdown(len32, PAGE, self.mmap_base)
                    .or_else(|| {
                        let h = if addr != 0 { addr & PAGE_MASK } else { 0 };
                        self.legacy_bottomup(h, len32)
                    })
                    .ok_or(Errno::ENOMEM)?,
            }
        };
        if a as u64 > TASK_SIZE as u64 - len {
            return Err(Errno::ENOMEM);
        }
        if a & !PAGE_MASK != 0 {
            return Err(Errno::EINVAL);
        }
        if a < self.dac_min_addr && !privileged() {
            return Err(Errno::EPERM);
        }
        Ok(a)
    }

    /// arch_get_unmapped_area (the legacy bottom-up layout).
    fn legacy_bottomup(&self, hint: u32, len: u32) -> Option<u32> {
        if hint != 0 && TASK_SIZE - len >= hint {
            match self.find_vma(hint) {
                None => return Some(hint),
                Some(v) if hint as u64 + len as u64 <= Self::start_gap(v) as u64 => {
                    return Some(hint)
                }
                _ => {}
            }
        }
        self.bottomup(len, TASK_UNMAPPED_BASE, TASK_SIZE)
    }

    // ---- accounting ----

    /// total_vm in pages.
    pub fn total_vm(&self) -> u64 {
        self.vmas
            .values()
            .map(|v| (v.len() >> PAGE_SHIFT) as u64)
            .sum()
    }

    /// data_vm: private writable non-stack mappings, in pages.
    pub fn data_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| is_data_mapping(v.flags))
            .map(|v| (v.len() >> PAGE_SHIFT) as u64)
            .sum()
    }

    /// stack_vm: grows-down mappings, in pages.
    pub fn stack_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| v.flags & vm::GROWSDOWN != 0)
            .map(|v| (v.len() >> PAGE_SHIFT) as u64)
            .sum()
    }

    /// exec_vm: executable, not writable, not stack mappings, in pages.
    pub fn exec_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| v.flags & (vm::EXEC | vm::WRITE | vm::GROWSDOWN) == vm::EXEC)
            .map(|v| (v.len() >> PAGE_SHIFT) as u64)
            .sum()
    }

    /// locked_vm in pages.
    pub fn locked_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| v.flags & vm::LOCKED != 0)
            .map(|v| (v.len() >> PAGE_SHIFT) as u64)
            .sum()
    }

    /// The page-granular range [start, end) is covered by VMAs without holes.
    fn covered(&self, start: u32, end: u64) -> bool {
        let mut at = start as u64;
        for v in self.range(start, end) {
            if v.start as u64 > at {
                return false;
            }
            at = v.end as u64;
        }
        at >= end
    }

    /// Whether changing [start, end) would split [vvar], [vvar_vclock] or
    /// [vdso], which Linux refuses (special_mapping_split: EINVAL).
    fn splits_special(&self, start: u32, end: u64) -> bool {
        self.range(start, end).iter().any(|v| {
            matches!(
                v.backing,
                Backing::Vdso | Backing::Vvar | Backing::VvarVclock
            ) && (v.start < start || v.end as u64 > end)
        })
    }

    fn any_sealed(&self, start: u32, end: u64) -> bool {
        self.range(start, end)
            .iter()
            .any(|v| v.flags & vm::SEALED != 0)
    }
}

/// is_data_mapping: writable, private, not a stack.
fn is_data_mapping(flags: u64) -> bool {
    flags & (vm::WRITE | vm::SHARED | vm::GROWSDOWN) == vm::WRITE
}

fn flags_of_perm(p: u8) -> u64 {
    let mut f = 0;
    if p & P_READ != 0 {
        f |= vm::READ;
    }
    if p & P_WRITE != 0 {
        f |= vm::WRITE;
    }
    if p & P_EXEC != 0 {
        f |= vm::EXEC;
    }
    f
}

fn calc_vm_prot(prot: u32) -> u64 {
    let mut f = 0;
    if prot & am::PROT_READ != 0 {
        f |= vm::READ;
    }
    if prot & am::PROT_WRITE != 0 {
        f |= vm::WRITE;
    }
    if prot & am::PROT_EXEC != 0 {
        f |= vm::EXEC;
    }
    f
}

/// Read once per emu process tree (every exec made a child read it again:
/// five host system calls of the 98 a shell's `busybox true` cost).
fn dac_mmap_min_addr() -> u32 {
    static V: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        super::sys::host_sysctl("vm/mmap_min_addr")
            .map(|v| v.min(MMAP_MIN_ADDR as u64) as u32)
            .unwrap_or(PAGE)
    })
}

// ---- host side ----

/// The host address of guest [addr, addr+len) for a host mmap, mremap,
/// madvise or mincore; ENOMEM if the range is not inside the window
/// (`Mem::host_range` decides), so no host call can reach past it.
fn host_ptr(mem: &Mem, addr: u32, len: u32) -> Result<*mut libc::c_void, Errno> {
    mem.host_range(addr, len as usize)
        .map(|h| h as *mut libc::c_void)
        .ok_or(Errno::ENOMEM)
}

/// Put plain private anonymous memory back under [addr, addr+len); false
/// when the host refused (ENOMEM: its map count).
fn host_restore_anon(mem: &Mem, addr: u32, len: u32) -> bool {
    if len == 0 {
        return true;
    }
    let Ok(at) = host_ptr(mem, addr, len) else {
        return false;
    };
    #[cfg(test)]
    if tests::FAIL_RESTORE.with(|f| f.get()) {
        return false;
    }
    let r = unsafe {
        libc::mmap(
            at,
            len as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if r == libc::MAP_FAILED {
        crate::debug!(
            "cannot restore anonymous memory at {addr:#x}+{len:#x}: {}",
            std::io::Error::last_os_error()
        );
        return false;
    }
    mem.sync_host(addr, len);
    true
}

fn host_map_file(
    mem: &Mem,
    addr: u32,
    len: u32,
    fd: i32,
    pgoff: u64,
    shared: bool,
    writable: bool,
) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    let kind = if shared {
        libc::MAP_SHARED
    } else {
        libc::MAP_PRIVATE
    };
    let at = host_ptr(mem, addr, len)?;
    let r = unsafe {
        libc::mmap(
            at,
            len as usize,
            prot,
            kind | libc::MAP_FIXED,
            fd,
            (pgoff << PAGE_SHIFT) as libc::off_t,
        )
    };
    if r == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    mem.sync_host(addr, len);
    Ok(())
}

fn host_map_shm(mem: &Mem, addr: u32, len: u32) -> Result<(), Errno> {
    let at = host_ptr(mem, addr, len)?;
    let r = unsafe {
        libc::mmap(
            at,
            len as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if r == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    mem.sync_host(addr, len);
    Ok(())
}

/// Any page of [addr, addr+len) resident on the host (the VMA has had
/// pages faulted in: Linux's anon_vma is set).
fn host_touched(mem: &Mem, addr: u32, len: u32) -> bool {
    let n = (len >> PAGE_SHIFT) as usize;
    if n == 0 {
        return false;
    }
    let mut v = vec![0u8; n];
    let Ok(at) = host_ptr(mem, addr, len) else {
        return true;
    };
    let r = unsafe { libc::mincore(at, len as usize, v.as_mut_ptr()) };
    r != 0 || v.iter().any(|b| b & 1 != 0)
}

/// A shared-writable host mapping of `h` is possible (the fd is open for writing).
fn fd_access(h: i32) -> Result<(bool, bool), Errno> {
    let fl = unsafe { libc::fcntl(h, libc::F_GETFL) };
    if fl < 0 {
        return Err(Errno::EBADF);
    }
    if fl & libc::O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    let acc = fl & libc::O_ACCMODE;
    Ok((
        acc == libc::O_RDONLY || acc == libc::O_RDWR,
        acc == libc::O_WRONLY || acc == libc::O_RDWR,
    ))
}

fn fd_noexec(h: i32) -> bool {
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    unsafe { libc::fstatvfs(h, &mut s) == 0 && s.f_flag & libc::ST_NOEXEC != 0 }
}

/// Path of a host fd as the guest sees it (the sysroot prefix removed).
fn fd_name(p: &Task, h: i32) -> String {
    let link = std::fs::read_link(format!("/proc/self/fd/{h}")).unwrap_or_default();
    guest_path(p, &link.to_string_lossy())
}

fn guest_path(p: &Task, host: &str) -> String {
    if let Some(root) = p.sysroot() {
        let r = root.to_string_lossy();
        let r = r.trim_end_matches('/');
        if !r.is_empty() {
            if let Some(rest) = host.strip_prefix(r) {
                if rest.starts_with('/') {
                    return rest.to_string();
                }
            }
        }
    }
    host.to_string()
}

/// The MapFile for host fd `h`: an existing one when a VMA already maps the
/// same open file (so adjacent mappings of one fd merge, as Linux compares
/// struct file), otherwise a new one holding a duplicate of `h`.
fn map_file(p: &Task, mm: &Mm, h: i32) -> Result<Arc<MapFile>, Errno> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(h, &mut st) } != 0 {
        return Err(Errno::last());
    }
    for v in mm.vmas() {
        if let Backing::File(f) = &v.backing {
            if f.dev == st.st_dev && f.ino == st.st_ino && same_open_file(h, f.fd.as_raw_fd()) {
                return Ok(f.clone());
            }
        }
    }
    let d = unsafe { libc::fcntl(h, libc::F_DUPFD_CLOEXEC, 3) };
    if d < 0 {
        return Err(Errno::last());
    }
    Ok(Arc::new(MapFile {
        fd: unsafe { OwnedFd::from_raw_fd(d) },
        name: fd_name(p, h),
        dev: st.st_dev,
        ino: st.st_ino,
        regular: st.st_mode & libc::S_IFMT == libc::S_IFREG,
        shrinks: st.st_mode & libc::S_IFMT == libc::S_IFREG,
    }))
}

/// kcmp(KCMP_FILE): two fds of this process refer to the same open file.
fn same_open_file(a: i32, b: i32) -> bool {
    const KCMP_FILE: libc::c_long = 0;
    let pid = unsafe { libc::getpid() } as libc::c_long;
    let r = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            pid,
            pid,
            KCMP_FILE,
            a as libc::c_long,
            b as libc::c_long,
        )
    };
    r == 0
}

// ---- applying a VMA to the guest memory ----

/// Set the interpreter permissions of `v`'s pages: its protection on the
/// pages that exist, not-present past end-of-file.
fn apply_perm(mem: &Mem, v: &Vma) {
    let valid = v.valid_pages().min((v.len() >> PAGE_SHIFT) as u64) as u32;
    let split = v.start + (valid << PAGE_SHIFT);
    if split > v.start {
        let file = match &v.backing {
            Backing::File(f) if f.shrinks => P_FILE | P_ALIAS,
            Backing::Shm(_) => P_ALIAS,
            _ => 0,
        };
        mem.set_perm(v.start, split - v.start, page_perm(v.flags) | file);
    }
    if v.end > split {
        mem.unmap(split, v.end - split);
    }
    if let Some(first) = v.vvar_page() {
        for (k, a) in (v.start..v.end).step_by(PAGE as usize).enumerate() {
            if !loader::vdso::vvar_page_present(first + k as u32) {
                mem.unmap(a, PAGE);
            }
        }
    }
}

/// Remove [start, end) from the map with all side effects (the guts of
/// munmap). ENOMEM when the host cannot put anonymous memory back under a
/// file or shared mapping (its own map count): the VMAs before that one are
/// gone, that one and the rest stay as they were, so no guest range is
/// ever left over the wrong host memory.
fn unmap_range(p: &mut Task, mm: &mut Mm, start: u32, end: u64) -> Result<(), Errno> {
    let r = restore_host(p, mm, start, end);
    let done = match r {
        Ok(()) => end,
        Err(at) => at as u64,
    };
    let removed = mm.carve(start, done);
    release(p, &removed);
    r.map_err(|_| Errno::ENOMEM)
}

/// Put anonymous memory back under the host mappings (file, shared) of
/// [start, end), in order; Err(address) of the first one the host refused.
fn restore_host(p: &mut Task, mm: &mut Mm, start: u32, end: u64) -> Result<(), u32> {
    let e32 = end.min(u32::MAX as u64 + 1);
    for v in mm.range(start, end) {
        if !v.host_mapped() {
            continue;
        }
        let piece_end = (v.end as u64).min(e32);
        let s = v.start.max(start);
        let len = (piece_end - s as u64) as u32;
        if !host_restore_anon(&p.cpu.mem, s, len) {
            return Err(s);
        }
    }
    Ok(())
}

/// The identity of the object a VMA maps, for the alias table: a file's
/// device and inode, a shared anonymous object's address. None for what
/// cannot be aliased (private anonymous memory, the running program).
fn alias_object(v: &Vma) -> Option<(u64, u64)> {
    match &v.backing {
        Backing::File(f) if f.shrinks => Some((f.dev, f.ino)),
        Backing::Shm(s) => Some((u64::MAX, Arc::as_ptr(s) as u64)),
        _ => None,
    }
}

/// Host fd `h` was written (write, pwrite, ...): if the file is mapped and
/// code was translated from it, every mapping's translations of it go
/// (issue 12 item 7: new code written with pwrite must run).
pub fn file_written(p: &mut Task, h: i32) {
    if !p.cpu.mem.any_code_objects() {
        return;
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(h, &mut st) } != 0 {
        return;
    }
    for (s, n) in p.cpu.mem.object_code_pages((st.st_dev, st.st_ino)) {
        p.forget_code(s << PAGE_SHIFT, n << PAGE_SHIFT);
    }
}

/// Drop the memory of VMAs that left the map (their host mappings, if
/// any, have been replaced by anonymous memory already).
fn release(p: &mut Task, removed: &[Vma]) {
    for v in removed {
        if alias_object(v).is_some() {
            p.cpu
                .mem
                .alias_remove(v.start >> PAGE_SHIFT, v.end >> PAGE_SHIFT);
        }
        p.cpu.mem.unmap(v.start, v.len());
        p.forget_code(v.start, v.len());
    }
}

/// A fork's child's side of dup_mmap: VMAs marked MADV_DONTFORK are not
/// in the child, and MADV_WIPEONFORK ones read as zero there. (The host
/// fork copied everything; `mm` is the child's copy of the map.)
pub fn fork_fixup(p: &mut Task, mm: &mut Mm) {
    let marked: Vec<Vma> = mm
        .vmas()
        .filter(|v| v.flags & (vm::DONTCOPY | vm::WIPEONFORK) != 0)
        .cloned()
        .collect();
    for v in marked {
        if v.flags & vm::DONTCOPY != 0 {
            let _ = unmap_range(p, mm, v.start, v.end as u64);
        } else {
            p.cpu.mem.discard(v.start, v.len());
        }
    }
}

fn invalidate(p: &mut Task, start: u32, len: u32) {
    p.forget_code(start, len);
}

fn privileged_rawio() -> bool {
    super::sys::capable(super::sys::CAP_SYS_RAWIO)
}

fn ipc_lock() -> bool {
    super::sys::capable(super::sys::CAP_IPC_LOCK)
}

/// may_expand_vm: RLIMIT_AS, and RLIMIT_DATA for data mappings.
fn may_expand_vm(p: &Task, mm: &Mm, flags: u64, npages: u64) -> bool {
    let as_lim = p.rlim_cur(rlimit::AS);
    if as_lim != u64::MAX && mm.total_vm() + npages > as_lim >> PAGE_SHIFT {
        return false;
    }
    if is_data_mapping(flags) {
        let d = p.rlim_cur(rlimit::DATA);
        if d != u64::MAX && mm.data_vm() + npages > d >> PAGE_SHIFT {
            return false;
        }
    }
    true
}

/// mlock_future_ok.
fn mlock_future_ok(p: &Task, mm: &Mm, flags: u64, bytes: u64) -> bool {
    if flags & vm::LOCKED == 0 || ipc_lock() {
        return true;
    }
    let lim = p.rlim_cur(rlimit::MEMLOCK);
    lim == u64::MAX || mm.locked_vm() + (bytes >> PAGE_SHIFT) <= lim >> PAGE_SHIFT
}

fn can_do_mlock(p: &Task) -> bool {
    p.rlim_cur(rlimit::MEMLOCK) != 0 || ipc_lock()
}

/// The overcommit heuristic (vm.overcommit_memory = 0): a single private
/// writable mapping larger than RAM + swap fails.
fn overcommit_ok(npages: u64) -> bool {
    // The host's size and policy, read once each; the policy (a /proc
    // read, about 9 us here) only for a mapping past RAM + swap, which
    // only "always overcommit" (1) lets through.
    static SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static ALWAYS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let size = *SIZE.get_or_init(|| {
        let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
        if unsafe { libc::sysinfo(&mut si) } != 0 {
            return u64::MAX;
        }
        let unit = si.mem_unit.max(1) as u64;
        (si.totalram as u64 + si.totalswap as u64) * unit / PAGE64
    });
    npages <= size
        || *ALWAYS.get_or_init(|| super::sys::host_sysctl("vm/overcommit_memory") == Some(1))
}

// ---- brk ----

pub fn sys_brk(p: &mut Task, brk: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    let orig = mm.brk;
    let r = do_brk(p, mm, brk);
    if !r {
        mm.brk = orig;
    }
    Ok(mm.brk)
}

fn do_brk(p: &mut Task, mm: &mut Mm, brk: u32) -> bool {
    if brk < mm.start_brk {
        return false;
    }
    let dl = p.rlim_cur(rlimit::DATA);
    if dl != u64::MAX
        && (brk - mm.start_brk) as u64 + mm.end_data.saturating_sub(mm.start_data) as u64 > dl
    {
        return false;
    }
    let newbrk = page_align(brk as u64);
    let oldbrk = page_align(mm.brk as u64) as u32;
    if newbrk == oldbrk as u64 {
        mm.brk = brk;
        return true;
    }
    if brk <= mm.brk {
        // Shrink: only if a VMA lies in [newbrk, oldbrk).
        let newbrk = newbrk as u32;
        let Some(v) = mm.find_vma(newbrk) else {
            return false;
        };
        if v.start >= oldbrk {
            return false;
        }
        if mm.any_sealed(newbrk, oldbrk as u64) {
            return false;
        }
        mm.brk = brk;
        let _ = unmap_range(p, mm, newbrk, oldbrk as u64);
        return true;
    }
    if newbrk > TASK_SIZE as u64 || mm.map_count() > max_map_count() {
        return false;
    }
    if let Some(next) = mm.find_vma(oldbrk) {
        if (next.start as u64) < newbrk + PAGE64 + STACK_GUARD_GAP as u64
            && newbrk + PAGE64 > Mm::start_gap(next) as u64
        {
            return false;
        }
    }
    let newbrk = newbrk as u32;
    let len = newbrk - oldbrk;
    let mut flags = vm::READ | vm::WRITE | vm::MAY | vm::ACCOUNT | mm.def_flags;
    if p.personality & per::READ_IMPLIES_EXEC != 0 {
        flags |= vm::EXEC;
    }
    if !may_expand_vm(p, mm, flags, (len >> PAGE_SHIFT) as u64)
        || !mlock_future_ok(p, mm, flags, len as u64)
        || (flags & vm::NORESERVE == 0 && !overcommit_ok((len >> PAGE_SHIFT) as u64))
    {
        return false;
    }
    // Extend the brk VMA (the one ending at oldbrk, starting at or above
    // start_brk), or start a new one.
    let brkvma = mm
        .prev_of(oldbrk)
        .filter(|v| v.end == oldbrk && v.start >= mm.start_brk && mm.brk > mm.start_brk)
        .cloned();
    match brkvma {
        Some(v) if v.flags == flags && v.is_anonymous() => {
            if let Some(x) = mm.vmas.get_mut(&v.start) {
                x.end = newbrk;
            }
            mm.merge_at(newbrk);
        }
        _ => mm.insert(Vma {
            start: oldbrk,
            end: newbrk,
            flags,
            pgoff: (oldbrk >> PAGE_SHIFT) as u64,
            backing: Backing::Anon,
        }),
    }
    p.cpu
        .mem
        .map_zero(oldbrk, len, page_perm(flags) & !P_PRESENT);
    invalidate(p, oldbrk, len);
    mm.brk = brk;
    true
}

// ---- mmap ----

pub fn sys_mmap2(
    p: &mut Task,
    addr: u32,
    len: u32,
    prot: u32,
    flags: u32,
    fd: u32,
    pgoff: u32,
) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    do_mmap(p, mm, addr, len, prot, flags, fd, pgoff as u64)
}

/// old_mmap (90): the arguments are in a struct; the offset is in bytes.
pub fn sys_old_mmap(p: &mut Task, args: u32) -> SysResult {
    let a: am::MmapArgs = p.read_struct(args)?;
    if a.offset & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    do_mmap(
        p,
        mm,
        a.addr,
        a.len,
        a.prot,
        a.flags,
        a.fd,
        (a.offset >> PAGE_SHIFT) as u64,
    )
}

/// ksys_mmap_pgoff + do_mmap + mmap_region.
pub fn do_mmap(
    p: &mut Task,
    mm: &mut Mm,
    addr: u32,
    len: u32,
    prot: u32,
    flags: u32,
    fd: u32,
    pgoff: u64,
) -> SysResult {
    let mut flags = flags;
    let anon = flags & am::MAP_ANONYMOUS != 0;
    let host = if anon {
        if flags & am::MAP_HUGETLB != 0 {
            // No huge pages are reserved (vm.nr_hugepages = 0).
            return Err(if len == 0 {
                Errno::EINVAL
            } else {
                Errno::ENOMEM
            });
        }
        None
    } else {
        Some(super::fs::host_fd(p, fd)?)
    };
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let mut prot = prot;
    if prot & am::PROT_READ != 0
        && p.personality & per::READ_IMPLIES_EXEC != 0
        && !host.is_some_and(fd_noexec)
    {
        prot |= am::PROT_EXEC;
    }
    if flags & am::MAP_FIXED_NOREPLACE != 0 {
        flags |= am::MAP_FIXED;
    }
    let fixed = flags & am::MAP_FIXED != 0;
    let mut addr = addr;
    if !fixed {
        addr &= PAGE_MASK;
        if addr != 0 && addr < MMAP_MIN_ADDR {
            addr = MMAP_MIN_ADDR;
        }
    }
    let len = page_align(len as u64);
    if len > u32::MAX as u64 {
        return Err(Errno::ENOMEM);
    }
    if mm.map_count() > max_map_count() {
        return Err(Errno::ENOMEM);
    }
    let mut vmf = calc_vm_prot(prot) | mm.def_flags | vm::MAY;
    if flags & am::MAP_GROWSDOWN != 0 {
        vmf |= vm::GROWSDOWN;
    }
    if flags & am::MAP_LOCKED != 0 {
        vmf |= vm::LOCKED;
    }
    if flags & am::MAP_STACK != 0 {
        vmf |= vm::NOHUGEPAGE;
    }
    let addr = mm.get_unmapped_area(addr, len, fixed, privileged_rawio)?;
    let len = len as u32;
    let end = addr as u64 + len as u64;
    if flags & am::MAP_FIXED_NOREPLACE != 0 && mm.intersects(addr, end) {
        return Err(Errno::EEXIST);
    }
    if flags & am::MAP_LOCKED != 0 && !can_do_mlock(p) {
        return Err(Errno::EPERM);
    }
    if !mlock_future_ok(p, mm, vmf, len as u64) {
        return Err(Errno::EAGAIN);
    }
    let mut file_w = false;
    let mut pgoff = pgoff;
    let kind = flags & am::MAP_TYPE;
    if let Some(h) = host {
        let (readable, writable) = fd_access(h)?;
        file_w = writable;
        match kind {
            am::MAP_SHARED | am::MAP_SHARED_VALIDATE => {
                if kind == am::MAP_SHARED {
                    flags &= am::LEGACY_MAP_MASK;
                } else if flags & !am::LEGACY_MAP_MASK != 0 {
                    return Err(Errno::EOPNOTSUPP);
                }
                if prot & am::PROT_WRITE != 0 && !writable {
                    return Err(Errno::EACCES);
                }
                vmf |= vm::SHARED | vm::MAYSHARE;
                if !writable {
                    vmf &= !(vm::MAYWRITE | vm::SHARED);
                }
            }
            am::MAP_PRIVATE => {}
            _ => return Err(Errno::EINVAL),
        }
        if !readable {
            return Err(Errno::EACCES);
        }
        if fd_noexec(h) {
            if vmf & vm::EXEC != 0 {
                return Err(Errno::EPERM);
            }
            vmf &= !vm::MAYEXEC;
        }
        if vmf & vm::GROWSDOWN != 0 {
            return Err(Errno::EINVAL);
        }
    } else {
        match kind {
            am::MAP_SHARED => {
                if vmf & vm::GROWSDOWN != 0 {
                    return Err(Errno::EINVAL);
                }
                pgoff = 0;
                vmf |= vm::SHARED | vm::MAYSHARE;
            }
            am::MAP_DROPPABLE | am::MAP_PRIVATE => {
                if kind == am::MAP_DROPPABLE {
                    if flags & am::MAP_LOCKED != 0 || vmf & vm::GROWSDOWN != 0 {
                        return Err(Errno::EINVAL);
                    }
                    vmf |= vm::DROPPABLE | vm::WIPEONFORK | vm::DONTDUMP;
                }
                pgoff = (addr >> PAGE_SHIFT) as u64;
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    if flags & am::MAP_NORESERVE != 0 {
        vmf |= vm::NORESERVE;
    }
    // mmap_region.
    if fixed && mm.any_sealed(addr, end) {
        return Err(Errno::EPERM);
    }
    let npages = (len >> PAGE_SHIFT) as u64;
    // Pages replaced by a MAP_FIXED mapping do not count twice.
    let replaced: u64 = if fixed {
        mm.range(addr, end)
            .iter()
            .map(|v| (v.slice(addr, end.min(u32::MAX as u64) as u32).len() >> PAGE_SHIFT) as u64)
            .sum()
    } else {
        0
    };
    if !may_expand_vm(p, mm, vmf, npages.saturating_sub(replaced)) {
        return Err(Errno::ENOMEM);
    }
    if vmf & (vm::SHARED | vm::NORESERVE | vm::WRITE) == vm::WRITE {
        vmf |= vm::ACCOUNT;
        if !overcommit_ok(npages) {
            return Err(Errno::ENOMEM);
        }
    }
    // The host side first, so that a host failure (its map count) leaves
    // the guest's map as it was: ENOMEM, as natively at vm.max_map_count.
    if (host.is_some() || vmf & vm::SHARED != 0) && !mm.host_vma_room() {
        return Err(Errno::ENOMEM);
    }
    let backing = match host {
        Some(h) => {
            let mf = map_file(p, mm, h)?;
            let shared = vmf & vm::SHARED != 0;
            host_map_file(&p.cpu.mem, addr, len, h, pgoff, shared, !shared || file_w)?;
            mm.host_vmas += 2;
            Backing::File(mf)
        }
        None if vmf & vm::SHARED != 0 => {
            host_map_shm(&p.cpu.mem, addr, len)?;
            mm.host_vmas += 2;
            Backing::Shm(Arc::new(Shm { pages: npages }))
        }
        None => {
            // Anonymous memory replaces host mappings under a MAP_FIXED
            // range; if the host refuses, the ones done are unmapped
            // (as a failed MAP_FIXED may leave the range) and the rest
            // stay whole.
            if let Err(at) = restore_host(p, mm, addr, end) {
                let removed = mm.carve(addr, at as u64);
                release(p, &removed);
                return Err(Errno::ENOMEM);
            }
            Backing::Anon
        }
    };
    let v = Vma {
        start: addr,
        end: addr + len,
        flags: vmf,
        pgoff,
        backing,
    };
    // The old mappings under a MAP_FIXED range go away; a new host mapping
    // has already replaced their host pages.
    let removed = mm.carve(addr, end);
    for r in &removed {
        if alias_object(r).is_some() {
            p.cpu
                .mem
                .alias_remove(r.start >> PAGE_SHIFT, r.end >> PAGE_SHIFT);
        }
        p.cpu.mem.unmap(r.start, r.len());
    }
    if let Some(obj) = alias_object(&v) {
        p.cpu
            .mem
            .alias_add(addr >> PAGE_SHIFT, len >> PAGE_SHIFT, obj, v.pgoff);
    }
    if !v.host_mapped() {
        p.cpu.mem.discard(addr, len);
    }
    apply_perm(&p.cpu.mem, &v);
    invalidate(p, addr, len);
    mm.insert(v);
    Ok(addr)
}

// ---- munmap ----

pub fn sys_munmap(p: &mut Task, addr: u32, len: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if addr & !PAGE_MASK != 0 || addr > TASK_SIZE || len > TASK_SIZE - addr {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len as u64);
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr as u64 + len;
    if mm.any_sealed(addr, end) {
        return Err(Errno::EPERM);
    }
    if mm.splits_special(addr, end) {
        return Err(Errno::EINVAL);
    }
    // vms_gather_munmap_vmas: a hole in the middle of a VMA makes one more.
    if let Some(v) = mm.find(addr) {
        if v.start < addr && (v.end as u64) > end && mm.map_count() >= max_map_count() {
            return Err(Errno::ENOMEM);
        }
    }
    unmap_range(p, mm, addr, end)?;
    Ok(0)
}

// ---- mprotect ----

pub fn sys_mprotect(p: &mut Task, start: u32, len: u32, prot: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    do_mprotect(p, mm, start, len, prot)
}

/// pkey_mprotect: without protection keys only pkey -1 is valid.
pub fn sys_pkey_mprotect(p: &mut Task, start: u32, len: u32, prot: u32, pkey: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if pkey != u32::MAX {
        return Err(Errno::EINVAL);
    }
    do_mprotect(p, mm, start, len, prot)
}

/// pkey_alloc: a CPU without PKU has no keys to give.
pub fn sys_pkey_alloc(_p: &mut Task, flags: u32, init: u32) -> SysResult {
    if flags != 0 || init & !3 != 0 {
        return Err(Errno::EINVAL);
    }
    Err(Errno::ENOSPC)
}

pub fn sys_pkey_free(_p: &mut Task, _pkey: u32) -> SysResult {
    Err(Errno::EINVAL)
}

fn do_mprotect(p: &mut Task, mm: &mut Mm, start: u32, len: u32, prot: u32) -> SysResult {
    let grows = prot & (am::PROT_GROWSDOWN | am::PROT_GROWSUP);
    let prot = prot & !grows;
    if grows == am::PROT_GROWSDOWN | am::PROT_GROWSUP {
        return Err(Errno::EINVAL);
    }
    if start & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let len = page_align(len as u64);
    let mut start = start;
    let end = start as u64 + len;
    if prot & !(am::PROT_READ | am::PROT_WRITE | am::PROT_EXEC | am::PROT_SEM) != 0 {
        return Err(Errno::EINVAL);
    }
    let rier = p.personality & per::READ_IMPLIES_EXEC != 0 && prot & am::PROT_READ != 0;
    let first = match mm.find_vma(start) {
        Some(v) if (v.start as u64) < end => v.clone(),
        _ => return Err(Errno::ENOMEM),
    };
    if grows & am::PROT_GROWSDOWN != 0 {
        if first.start as u64 >= end {
            return Err(Errno::ENOMEM);
        }
        start = first.start;
        if first.flags & vm::GROWSDOWN == 0 {
            return Err(Errno::EINVAL);
        }
    } else if first.start > start {
        return Err(Errno::ENOMEM);
    }
    if mm.any_sealed(start, end) {
        return Err(Errno::EPERM);
    }
    let mut tmp = start;
    for v in mm.range(start, end) {
        if v.start > tmp {
            return Err(Errno::ENOMEM);
        }
        let mut newflags = calc_vm_prot(prot) | (v.flags & !vm::ACCESS);
        if rier && v.flags & vm::MAYEXEC != 0 {
            newflags |= vm::EXEC;
        }
        // Each access right needs its VM_MAY* bit.
        if (newflags & !(newflags >> 4)) & vm::ACCESS != 0 {
            return Err(Errno::EACCES);
        }
        let s = tmp.max(v.start);
        let e = (v.end as u64).min(end) as u32;
        if newflags & vm::WRITE != 0 {
            if v.flags & (vm::ACCOUNT | vm::WRITE | vm::SHARED | vm::NORESERVE | vm::HUGETLB) == 0 {
                newflags |= vm::ACCOUNT;
            }
        } else if v.flags & vm::ACCOUNT != 0
            && v.is_anonymous()
            && !host_touched(&p.cpu.mem, v.start, v.len())
        {
            newflags &= !vm::ACCOUNT;
        }
        if newflags != v.flags {
            if mm.splits_special(s, e as u64) {
                return Err(Errno::EINVAL);
            }
            // split_vma refuses at vm.max_map_count, one split at a time.
            let splits = (s > v.start) as usize + (e < v.end) as usize;
            if splits > 0 && mm.map_count() + splits > max_map_count() {
                return Err(Errno::ENOMEM);
            }
            mm.set_flags(s, e, newflags);
            let piece = v.slice(s, e);
            apply_perm(
                &p.cpu.mem,
                &Vma {
                    flags: newflags,
                    ..piece
                },
            );
            invalidate(p, s, e - s);
        }
        tmp = e;
        if tmp as u64 >= end {
            break;
        }
    }
    if (tmp as u64) < end {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

// ---- mremap ----

pub fn sys_mremap(
    p: &mut Task,
    addr: u32,
    old_len: u32,
    new_len: u32,
    flags: u32,
    new_addr: u32,
) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    use am::{MREMAP_DONTUNMAP as DONTUNMAP, MREMAP_FIXED as FIXED, MREMAP_MAYMOVE as MAYMOVE};
    if flags & !(MAYMOVE | FIXED | DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & FIXED != 0 && flags & MAYMOVE == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & DONTUNMAP != 0 && (flags & MAYMOVE == 0 || old_len != new_len) {
        return Err(Errno::EINVAL);
    }
    if addr & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = page_align(old_len as u64);
    let new_len = page_align(new_len as u64);
    if new_len == 0 {
        return Err(Errno::EINVAL);
    }
    // Moving or cutting part of [vdso]/[vvar] splits it.
    let old_end = addr as u64 + old_len;
    if mm.splits_special(addr, old_end)
        || (new_len < old_len
            && addr as u64 + new_len < 1 << 32
            && mm.splits_special((addr as u64 + new_len) as u32, old_end))
    {
        return Err(Errno::EINVAL);
    }
    if flags & FIXED != 0 && mm.splits_special(new_addr, new_addr as u64 + new_len) {
        return Err(Errno::EINVAL);
    }
    if flags & (FIXED | DONTUNMAP) != 0 {
        return mremap_to(p, mm, addr, old_len, new_addr, new_len, flags);
    }
    // The range must lie in one VMA.
    let v = match mm.find(addr) {
        Some(v) => v.clone(),
        None => return Err(Errno::EFAULT),
    };
    if old_len > (v.end - addr) as u64 {
        return Err(Errno::EFAULT);
    }
    // Both fit below TASK_SIZE from here on, or the growth fails.
    if new_len > TASK_SIZE as u64 {
        return Err(Errno::ENOMEM);
    }
    let (old_len, new_len) = (old_len as u32, new_len as u32);
    if v.flags & vm::SEALED != 0 {
        return Err(Errno::EPERM);
    }
    if old_len >= new_len {
        if old_len > new_len {
            unmap_range(p, mm, addr + new_len, addr as u64 + old_len as u64)?;
        }
        return Ok(addr);
    }
    vma_to_resize(p, mm, &v, old_len, new_len)?;
    let delta = new_len - old_len;
    if old_len == v.end - addr && expandable(mm, &v, delta) {
        expand_in_place(p, mm, &v, delta);
        return Ok(addr);
    }
    if flags & MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let to = mm.get_unmapped_area(0, new_len as u64, false, privileged_rawio)?;
    move_vma(p, mm, &v, addr, old_len, new_len, to, false)
}

/// Checks of vma_to_resize for a growing remap.
fn vma_to_resize(p: &Task, mm: &Mm, v: &Vma, old_len: u32, new_len: u32) -> Result<(), Errno> {
    if old_len == 0 && v.flags & vm::MAYSHARE == 0 {
        return Err(Errno::EINVAL);
    }
    if new_len == old_len {
        return Ok(());
    }
    if v.flags & (vm::DONTEXPAND | vm::PFNMAP) != 0 {
        return Err(Errno::EFAULT);
    }
    let delta = new_len.saturating_sub(old_len) as u64;
    if !mlock_future_ok(p, mm, v.flags, delta) {
        return Err(Errno::EAGAIN);
    }
    if !may_expand_vm(p, mm, v.flags, delta >> PAGE_SHIFT) {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

fn expandable(mm: &Mm, v: &Vma, delta: u32) -> bool {
    let end = v.end as u64 + delta as u64;
    if end > TASK_SIZE as u64 {
        return false;
    }
    !mm.intersects(v.end, end)
}

fn expand_in_place(p: &mut Task, mm: &mut Mm, v: &Vma, delta: u32) {
    let (old_end, new_end) = (v.end, v.end + delta);
    let ext = Vma {
        start: old_end,
        end: new_end,
        pgoff: v.pgoff + (v.len() >> PAGE_SHIFT) as u64,
        ..v.clone()
    };
    match &v.backing {
        Backing::File(f) => {
            let shared = v.flags & vm::SHARED != 0;
            let w = !shared || fd_access(f.fd.as_raw_fd()).map(|a| a.1).unwrap_or(false);
            if host_map_file(
                &p.cpu.mem,
                old_end,
                delta,
                f.fd.as_raw_fd(),
                ext.pgoff,
                shared,
                w,
            )
            .is_err()
            {
                p.cpu.mem.discard(old_end, delta);
            }
        }
        // A shared object keeps its size: the new pages raise SIGBUS.
        Backing::Shm(_) => {}
        _ => p.cpu.mem.discard(old_end, delta),
    }
    if let Some(x) = mm.vmas.get_mut(&v.start) {
        x.end = new_end;
    }
    mm.merge_at(new_end);
    apply_perm(&p.cpu.mem, &ext);
    invalidate(p, old_end, delta);
}

fn mremap_to(
    p: &mut Task,
    mm: &mut Mm,
    addr: u32,
    old_len: u64,
    new_addr: u32,
    new_len: u64,
    flags: u32,
) -> SysResult {
    use am::{MREMAP_DONTUNMAP as DONTUNMAP, MREMAP_FIXED as FIXED};
    if new_addr & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if new_len > TASK_SIZE as u64 || new_addr as u64 > TASK_SIZE as u64 - new_len {
        return Err(Errno::EINVAL);
    }
    let new_len = new_len as u32;
    let (a0, a1) = (addr as u64, addr as u64 + old_len);
    let (b0, b1) = (new_addr as u64, new_addr as u64 + new_len as u64);
    if a1 > b0 && b1 > a0 {
        return Err(Errno::EINVAL);
    }
    if flags & FIXED != 0 {
        if mm.any_sealed(new_addr, b1) {
            return Err(Errno::EPERM);
        }
        unmap_range(p, mm, new_addr, b1)?;
    }
    let old_len = if old_len > new_len as u64 {
        let cut = addr as u64 + new_len as u64;
        if cut <= u32::MAX as u64 {
            if mm.any_sealed(cut as u32, a1) {
                return Err(Errno::EPERM);
            }
            unmap_range(p, mm, cut as u32, a1)?;
        }
        new_len
    } else {
        old_len as u32
    };
    let v = match mm.find(addr) {
        Some(v) => v.clone(),
        None => return Err(Errno::EFAULT),
    };
    if old_len as u64 > (v.end - addr) as u64 {
        return Err(Errno::EFAULT);
    }
    if v.flags & vm::SEALED != 0 {
        return Err(Errno::EPERM);
    }
    vma_to_resize(p, mm, &v, old_len, new_len)?;
    if flags & DONTUNMAP != 0 && !may_expand_vm(p, mm, v.flags, (old_len >> PAGE_SHIFT) as u64) {
        return Err(Errno::ENOMEM);
    }
    let to = if flags & FIXED != 0 {
        mm.get_unmapped_area(new_addr, new_len as u64, true, privileged_rawio)?
    } else {
        mm.get_unmapped_area(new_addr, new_len as u64, false, privileged_rawio)?
    };
    move_vma(
        p,
        mm,
        &v,
        addr,
        old_len,
        new_len,
        to,
        flags & DONTUNMAP != 0,
    )
}

/// move_vma: the pages of [addr, addr+old_len) (inside `v`) go to `to`,
/// growing to `new_len`.
fn move_vma(
    p: &mut Task,
    mm: &mut Mm,
    v: &Vma,
    addr: u32,
    old_len: u32,
    new_len: u32,
    to: u32,
    dontunmap: bool,
) -> SysResult {
    let mem = p.cpu.mem.clone();
    let piece = v.slice(addr, addr + old_len);
    let pgoff = v.pgoff + ((addr - v.start) >> PAGE_SHIFT) as u64;
    let newv = Vma {
        start: to,
        end: to + new_len,
        flags: v.flags,
        pgoff,
        backing: v.backing.clone(),
    };
    // Move the host pages.
    let moved = if old_len == 0 {
        // Duplicate a shared mapping (old_len 0).
        let r = unsafe {
            libc::mremap(
                host_ptr(&mem, addr, old_len.max(1))?,
                0,
                new_len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                host_ptr(&mem, to, new_len)?,
            )
        };
        r != libc::MAP_FAILED
    } else {
        let mut fl = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED;
        if dontunmap {
            fl |= libc::MREMAP_DONTUNMAP;
        }
        let r = unsafe {
            libc::mremap(
                host_ptr(&mem, addr, old_len)?,
                old_len as usize,
                old_len as usize,
                fl,
                host_ptr(&mem, to, old_len)?,
            )
        };
        r != libc::MAP_FAILED
    };
    if moved {
        // The host left a hole (or, with DONTUNMAP, an empty mapping of
        // the same kind, as Linux leaves): anonymous memory goes back
        // into a hole.
        if old_len > 0 && !dontunmap {
            host_restore_anon(&mem, addr, old_len);
        }
    } else {
        // Copy instead (the range spans several host mappings).
        match &v.backing {
            Backing::Shm(_) => return Err(Errno::ENOMEM),
            Backing::File(f) => {
                let shared = v.flags & vm::SHARED != 0;
                let w = !shared || fd_access(f.fd.as_raw_fd()).map(|a| a.1).unwrap_or(false);
                host_map_file(&mem, to, old_len, f.fd.as_raw_fd(), pgoff, shared, w)?;
                if !shared {
                    let valid = (piece.valid_pages() as u32) << PAGE_SHIFT;
                    copy_host(&mem, addr, to, valid.min(old_len));
                }
            }
            _ => {
                if old_len > 0 {
                    copy_host(&mem, addr, to, old_len);
                }
            }
        }
        if !dontunmap && piece.host_mapped() {
            host_restore_anon(&mem, addr, old_len);
        } else if old_len > 0 {
            mem.discard(addr, old_len);
        }
    }
    // The growth beyond the moved pages.
    if new_len > old_len {
        let ext_start = to + old_len;
        let ext_len = new_len - old_len;
        match &v.backing {
            Backing::File(f) => {
                let shared = v.flags & vm::SHARED != 0;
                let w = !shared || fd_access(f.fd.as_raw_fd()).map(|a| a.1).unwrap_or(false);
                let off = pgoff + (old_len >> PAGE_SHIFT) as u64;
                if host_map_file(&mem, ext_start, ext_len, f.fd.as_raw_fd(), off, shared, w)
                    .is_err()
                {
                    mem.discard(ext_start, ext_len);
                }
            }
            Backing::Shm(_) if old_len == 0 => {}
            _ => mem.discard(ext_start, ext_len),
        }
    }
    // The list.
    if !dontunmap && old_len > 0 {
        let _ = mm.carve(addr, addr as u64 + old_len as u64);
        if alias_object(v).is_some() {
            mem.alias_remove(addr >> PAGE_SHIFT, (addr + old_len) >> PAGE_SHIFT);
        }
        mem.unmap(addr, old_len);
    } else if dontunmap && v.flags & vm::LOCKED_MASK != 0 {
        let cur = v.flags & !vm::LOCKED_MASK;
        mm.set_flags(addr, addr + old_len, cur);
    }
    if old_len > 0 {
        invalidate(p, addr, old_len);
    }
    let removed = mm.carve(to, to as u64 + new_len as u64);
    for r in &removed {
        if alias_object(r).is_some() {
            mem.alias_remove(r.start >> PAGE_SHIFT, r.end >> PAGE_SHIFT);
        }
        mem.unmap(r.start, r.len());
    }
    // The new place is an alias of the same object pages.
    if let Some(obj) = alias_object(&newv) {
        mem.alias_add(to >> PAGE_SHIFT, new_len >> PAGE_SHIFT, obj, newv.pgoff);
    }
    apply_perm(&mem, &newv);
    invalidate(p, to, new_len);
    let vdso = matches!(newv.backing, Backing::Vdso);
    mm.insert(newv);
    if vdso {
        super::vdso::moved(p, to);
    }
    Ok(to)
}

fn copy_host(mem: &Mem, from: u32, to: u32, len: u32) {
    if len == 0 {
        return;
    }
    mem.copy_raw(from, to, len);
}

// ---- madvise ----

fn madvise_valid(b: u32) -> bool {
    matches!(
        b,
        madv::NORMAL
            | madv::RANDOM
            | madv::SEQUENTIAL
            | madv::WILLNEED
            | madv::DONTNEED
            | madv::FREE
            | madv::REMOVE
            | madv::DONTFORK
            | madv::DOFORK
            | madv::MERGEABLE
            | madv::UNMERGEABLE
            | madv::HUGEPAGE
            | madv::NOHUGEPAGE
            | madv::DONTDUMP
            | madv::DODUMP
            | madv::WIPEONFORK
            | madv::KEEPONFORK
            | madv::COLD
            | madv::PAGEOUT
            | madv::POPULATE_READ
            | madv::POPULATE_WRITE
            | madv::DONTNEED_LOCKED
            | madv::COLLAPSE
    )
}

pub fn sys_madvise(p: &mut Task, start: u32, len: u32, behavior: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if !madvise_valid(behavior) {
        return Err(Errno::EINVAL);
    }
    if start & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let end = start as u64 + page_align(len as u64);
    if end == start as u64 {
        return Ok(0);
    }
    if matches!(behavior, madv::POPULATE_READ | madv::POPULATE_WRITE) {
        return madvise_populate(mm, start, end, behavior == madv::POPULATE_WRITE);
    }
    let discard = matches!(
        behavior,
        madv::DONTNEED | madv::DONTNEED_LOCKED | madv::FREE | madv::PAGEOUT | madv::COLD
    );
    if discard {
        // Sealed read-only anonymous memory cannot be discarded.
        for v in mm.range(start, end) {
            if v.flags & vm::SEALED != 0 && v.is_anonymous() && v.flags & vm::WRITE == 0 {
                return Err(Errno::EPERM);
            }
        }
    }
    let mut unmapped = false;
    let mut at = start as u64;
    for v in mm.range(start, end) {
        if v.start as u64 > at {
            unmapped = true;
        }
        let s = (v.start as u64).max(start as u64) as u32;
        let e = (v.end as u64).min(end) as u32;
        madvise_vma(p, mm, &v, s, e, behavior)?;
        at = v.end as u64;
    }
    if at < end || unmapped {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

fn madvise_vma(
    p: &mut Task,
    mm: &mut Mm,
    v: &Vma,
    s: u32,
    e: u32,
    behavior: u32,
) -> Result<(), Errno> {
    let set = |mm: &mut Mm, f: u64| {
        if f != v.flags {
            mm.set_flags(s, e, f);
        }
    };
    let f = v.flags;
    match behavior {
        madv::NORMAL => set(mm, f & !(vm::SEQ_READ | vm::RAND_READ)),
        madv::RANDOM => set(mm, (f & !vm::SEQ_READ) | vm::RAND_READ),
        madv::SEQUENTIAL => set(mm, (f & !vm::RAND_READ) | vm::SEQ_READ),
        madv::DONTFORK | madv::DOFORK => {
            if f & vm::IO != 0 {
                return Err(Errno::EINVAL);
            }
            set(
                mm,
                if behavior == madv::DONTFORK {
                    f | vm::DONTCOPY
                } else {
                    f & !vm::DONTCOPY
                },
            );
        }
        madv::WIPEONFORK | madv::KEEPONFORK => {
            if behavior == madv::WIPEONFORK && (!v.is_anonymous() || f & vm::SHARED != 0) {
                return Err(Errno::EINVAL);
            }
            set(
                mm,
                if behavior == madv::WIPEONFORK {
                    f | vm::WIPEONFORK
                } else {
                    f & !vm::WIPEONFORK
                },
            );
        }
        madv::DONTDUMP => set(mm, f | vm::DONTDUMP),
        madv::DODUMP => {
            if f & vm::SPECIAL != 0 {
                return Err(Errno::EINVAL);
            }
            set(mm, f & !vm::DONTDUMP);
        }
        madv::MERGEABLE => {
            if f & (vm::SHARED | vm::MAYSHARE | vm::SPECIAL | vm::HUGETLB) == 0 {
                set(mm, f | vm::MERGEABLE);
            }
        }
        madv::UNMERGEABLE => set(mm, f & !vm::MERGEABLE),
        madv::HUGEPAGE => set(mm, (f & !vm::NOHUGEPAGE) | vm::HUGEPAGE),
        madv::NOHUGEPAGE => set(mm, (f & !vm::HUGEPAGE) | vm::NOHUGEPAGE),
        madv::WILLNEED => {}
        madv::COLD | madv::PAGEOUT => {
            if f & (vm::LOCKED | vm::PFNMAP | vm::HUGETLB) != 0 {
                return Err(Errno::EINVAL);
            }
        }
        madv::COLLAPSE => return Err(Errno::EINVAL),
        madv::DONTNEED | madv::DONTNEED_LOCKED | madv::FREE => {
            let locked = if behavior == madv::DONTNEED_LOCKED {
                0
            } else {
                vm::LOCKED
            };
            if f & (locked | vm::PFNMAP | vm::HUGETLB) != 0 {
                return Err(Errno::EINVAL);
            }
            if behavior == madv::FREE && !v.is_anonymous() {
                return Err(Errno::EINVAL);
            }
            match v.backing {
                // The special pages come back as they were.
                Backing::Vdso | Backing::Vvar | Backing::VvarVclock => {}
                _ => {
                    let advice = if behavior == madv::FREE {
                        libc::MADV_FREE
                    } else {
                        libc::MADV_DONTNEED
                    };
                    unsafe {
                        libc::madvise(host_ptr(&p.cpu.mem, s, e - s)?, (e - s) as usize, advice);
                    }
                    invalidate(p, s, e - s);
                }
            }
        }
        madv::REMOVE => {
            if f & vm::LOCKED != 0 || !v.host_mapped() {
                return Err(Errno::EINVAL);
            }
            if f & (vm::SHARED | vm::MAYWRITE) != (vm::SHARED | vm::MAYWRITE) {
                return Err(Errno::EACCES);
            }
            let r = unsafe {
                libc::madvise(
                    host_ptr(&p.cpu.mem, s, e - s)?,
                    (e - s) as usize,
                    libc::MADV_REMOVE,
                )
            };
            if r != 0 {
                return Err(Errno::last());
            }
            invalidate(p, s, e - s);
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

fn madvise_populate(mm: &mut Mm, start: u32, end: u64, write: bool) -> SysResult {
    let mut at = start as u64;
    while at < end {
        let Some(v) = mm.find(at as u32).cloned() else {
            return Err(Errno::ENOMEM);
        };
        if v.flags & (vm::IO | vm::PFNMAP) != 0 {
            return Err(Errno::EINVAL);
        }
        let need = if write { vm::WRITE } else { vm::READ };
        if v.flags & need == 0 {
            return Err(Errno::EINVAL);
        }
        let e = (v.end as u64).min(end);
        let valid_end = v.start as u64 + (v.valid_pages() << PAGE_SHIFT);
        if valid_end < e {
            return Err(Errno::EFAULT);
        }
        at = e;
    }
    Ok(0)
}

// ---- mincore ----

pub fn sys_mincore(p: &mut Task, start: u32, len: u32, vec: u32) -> SysResult {
    if start & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let mut pages = (len >> PAGE_SHIFT) as u64 + (len & !PAGE_MASK != 0) as u64;
    let mut addr = start as u64;
    let mut out = vec;
    let mut buf = vec![0u8; PAGE as usize];
    while pages > 0 {
        // mmap_lock is held per chunk and dropped for the copy to the
        // guest (which may fault the stack in), as Linux does.
        let Some(v) = p.mm().find(addr as u32).cloned() else {
            return Err(Errno::ENOMEM);
        };
        let n = pages
            .min(PAGE as u64)
            .min((v.end as u64 - addr) >> PAGE_SHIFT) as usize;
        let at = host_ptr(&p.cpu.mem, addr as u32, (n << PAGE_SHIFT) as u32)?;
        let r = unsafe { libc::mincore(at, n << PAGE_SHIFT, buf.as_mut_ptr()) };
        if r != 0 {
            buf[..n].fill(0);
        }
        for b in &mut buf[..n] {
            *b &= 1;
        }
        p.write_user(out, &buf[..n])?;
        out = out.wrapping_add(n as u32);
        addr += (n as u64) << PAGE_SHIFT;
        pages -= n as u64;
    }
    Ok(0)
}

// ---- msync ----

pub fn sys_msync(p: &mut Task, start: u32, len: u32, flags: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if flags & !(am::MS_ASYNC | am::MS_INVALIDATE | am::MS_SYNC) != 0 {
        return Err(Errno::EINVAL);
    }
    if start & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & am::MS_ASYNC != 0 && flags & am::MS_SYNC != 0 {
        return Err(Errno::EINVAL);
    }
    let end = start as u64 + page_align(len as u64);
    if end == start as u64 {
        return Ok(0);
    }
    let mut start = start as u64;
    let mut unmapped = false;
    loop {
        let Some(v) = mm.find_vma(start as u32).cloned() else {
            return Err(Errno::ENOMEM);
        };
        if (v.start as u64) >= end {
            return Err(Errno::ENOMEM);
        }
        if start < v.start as u64 {
            if flags == am::MS_ASYNC {
                return Err(Errno::ENOMEM);
            }
            start = v.start as u64;
            unmapped = true;
        }
        if flags & am::MS_INVALIDATE != 0 && v.flags & vm::LOCKED != 0 {
            return Err(Errno::EBUSY);
        }
        let fend = (v.end as u64).min(end);
        if flags & am::MS_SYNC != 0 && v.flags & vm::SHARED != 0 {
            if let Backing::File(_) = v.backing {
                let at = host_ptr(&p.cpu.mem, start as u32, (fend - start) as u32)?;
                let r = unsafe { libc::msync(at, (fend - start) as usize, libc::MS_SYNC) };
                if r != 0 {
                    return Err(Errno::last());
                }
            }
        }
        start = v.end as u64;
        if start >= end {
            break;
        }
    }
    if unmapped {
        Err(Errno::ENOMEM)
    } else {
        Ok(0)
    }
}

// ---- mlock ----

pub fn sys_mlock(p: &mut Task, start: u32, len: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    do_mlock(p, mm, start, len, vm::LOCKED)
}

pub fn sys_mlock2(p: &mut Task, start: u32, len: u32, flags: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if flags & !am::MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    let mut f = vm::LOCKED;
    if flags & am::MLOCK_ONFAULT != 0 {
        f |= vm::LOCKONFAULT;
    }
    do_mlock(p, mm, start, len, f)
}

pub fn sys_munlock(p: &mut Task, start: u32, len: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    let len = page_align(len as u64 + (start & !PAGE_MASK) as u64);
    apply_lock_flags(mm, start & PAGE_MASK, len, 0)?;
    Ok(0)
}

fn do_mlock(p: &mut Task, mm: &mut Mm, start: u32, len: u32, flags: u64) -> SysResult {
    if !can_do_mlock(p) {
        return Err(Errno::EPERM);
    }
    let len = page_align(len as u64 + (start & !PAGE_MASK) as u64);
    let start = start & PAGE_MASK;
    let lim = p.rlim_cur(rlimit::MEMLOCK);
    let cap = ipc_lock();
    if lim != u64::MAX && !cap {
        let mut locked = (len >> PAGE_SHIFT) + mm.locked_vm();
        if locked > lim >> PAGE_SHIFT {
            // Pages of the range already locked do not count twice.
            let already: u64 = mm
                .range(start, start as u64 + len)
                .iter()
                .filter(|v| v.flags & vm::LOCKED != 0)
                .map(|v| {
                    let s = (v.start as u64).max(start as u64);
                    let e = (v.end as u64).min(start as u64 + len);
                    (e - s) >> PAGE_SHIFT
                })
                .sum();
            locked -= already;
        }
        if locked > lim >> PAGE_SHIFT {
            return Err(Errno::ENOMEM);
        }
    }
    apply_lock_flags(mm, start, len, flags)?;
    // __mm_populate: pages past end-of-file cannot be faulted in.
    if flags & vm::LOCKONFAULT == 0 {
        for v in mm.range(start, start as u64 + len) {
            if v.flags & (vm::IO | vm::PFNMAP) != 0 || !v.accessible() {
                continue;
            }
            let e = (v.end as u64).min(start as u64 + len);
            if (v.start as u64 + (v.valid_pages() << PAGE_SHIFT)) < e {
                return Err(Errno::ENOMEM);
            }
        }
    }
    Ok(0)
}

/// apply_vma_lock_flags.
fn apply_lock_flags(mm: &mut Mm, start: u32, len: u64, flags: u64) -> Result<(), Errno> {
    let end = start as u64 + len;
    if end == start as u64 {
        return Ok(());
    }
    if mm.find(start).is_none() {
        return Err(Errno::ENOMEM);
    }
    let mut tmp = start as u64;
    for v in mm.range(start, end) {
        if v.start as u64 > tmp {
            return Err(Errno::ENOMEM);
        }
        let s = tmp as u32;
        let e = (v.end as u64).min(end) as u32;
        mlock_fixup(mm, &v, s, e, (v.flags & !vm::LOCKED_MASK) | flags);
        tmp = e as u64;
    }
    if tmp < end {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

fn mlock_fixup(mm: &mut Mm, v: &Vma, s: u32, e: u32, newflags: u64) {
    if newflags == v.flags
        || v.flags & vm::SPECIAL != 0
        || v.flags & (vm::HUGETLB | vm::DROPPABLE) != 0
        || matches!(
            v.backing,
            Backing::Vdso | Backing::Vvar | Backing::VvarVclock
        )
    {
        return;
    }
    mm.set_flags(s, e, newflags);
}

pub fn sys_mlockall(p: &mut Task, flags: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if flags == 0
        || flags & !(am::MCL_CURRENT | am::MCL_FUTURE | am::MCL_ONFAULT) != 0
        || flags == am::MCL_ONFAULT
    {
        return Err(Errno::EINVAL);
    }
    if !can_do_mlock(p) {
        return Err(Errno::EPERM);
    }
    let lim = p.rlim_cur(rlimit::MEMLOCK);
    if flags & am::MCL_CURRENT != 0
        && lim != u64::MAX
        && mm.total_vm() > lim >> PAGE_SHIFT
        && !ipc_lock()
    {
        return Err(Errno::ENOMEM);
    }
    apply_mlockall(mm, flags);
    Ok(0)
}

pub fn sys_munlockall(p: &mut Task) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    apply_mlockall(mm, 0);
    Ok(0)
}

fn apply_mlockall(mm: &mut Mm, flags: u32) {
    mm.def_flags &= !vm::LOCKED_MASK;
    if flags & am::MCL_FUTURE != 0 {
        mm.def_flags |= vm::LOCKED;
        if flags & am::MCL_ONFAULT != 0 {
            mm.def_flags |= vm::LOCKONFAULT;
        }
        if flags & am::MCL_CURRENT == 0 {
            return;
        }
    }
    let mut to_add = 0;
    if flags & am::MCL_CURRENT != 0 {
        to_add |= vm::LOCKED;
        if flags & am::MCL_ONFAULT != 0 {
            to_add |= vm::LOCKONFAULT;
        }
    }
    let all: Vec<Vma> = mm.vmas().cloned().collect();
    for v in all {
        // The VMA may have merged with an earlier one: look it up again.
        let Some(cur) = mm.find(v.start).cloned() else {
            continue;
        };
        let nf = (cur.flags & !vm::LOCKED_MASK) | to_add;
        mlock_fixup(mm, &cur, v.start.max(cur.start), v.end.min(cur.end), nf);
    }
}

// ---- mseal ----

pub fn sys_mseal(p: &mut Task, start: u32, len: u32, flags: u32) -> SysResult {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    if start & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let end = start as u64 + page_align(len as u64);
    if end > u32::MAX as u64 + 1 {
        return Err(Errno::EINVAL);
    }
    if end == start as u64 {
        return Ok(0);
    }
    if !mm.covered(start, end) {
        return Err(Errno::ENOMEM);
    }
    for v in mm.range(start, end) {
        let s = v.start.max(start);
        let e = (v.end as u64).min(end) as u32;
        if v.flags & vm::SEALED == 0 {
            mm.set_flags(s, e, v.flags | vm::SEALED);
        }
    }
    Ok(0)
}

// ---- page faults ----

/// si_code of a SIGBUS for an access past the end of a mapped object.
pub const BUS_ADRERR: i32 = 2;

/// What to do with a user page fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The fault was fixed (the stack grew, or a file grew under a
    /// mapping): re-execute the instruction.
    Retry,
    /// SIGBUS, BUS_ADRERR: a page past the end of the mapped object.
    Bus,
    /// SIGSEGV as the CPU reported it.
    Segv,
    /// SIGSEGV, SEGV_ACCERR: a VMA covers the address but forbids the
    /// access (whether or not the page is present).
    Access,
}

/// Handle a user-mode #PF at `addr` with x86 error code `error` before
/// Linux's bad_area: grow a stack VMA, or map pages a file has grown into.
pub fn user_fault(p: &mut Task, addr: u32, error: u32) -> Fault {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    let Some(v) = mm.find_vma(addr).cloned() else {
        return Fault::Segv;
    };
    if v.start > addr {
        if v.flags & vm::GROWSDOWN != 0 && expand_stack(p, mm, &v, addr) {
            return Fault::Retry;
        }
        return Fault::Segv;
    }
    if error & 1 != 0 {
        // A protection fault on a present page.
        return Fault::Segv;
    }
    // Linux's access_error: a write to a mapping without write access, a
    // read of one without any access (PROT_NONE, a segment without flags)
    // is SIGSEGV; an instruction fetch from one without exec access ends
    // there too, after Linux maps the page in. (The pages already have
    // their permissions, so re-applying them and retrying would fault
    // forever.)
    if !v.accessible()
        || (error & 2 != 0 && v.flags & vm::WRITE == 0)
        || (error & 0x10 != 0 && v.flags & vm::EXEC == 0)
    {
        return Fault::Access;
    }
    if v.host_mapped() {
        let valid = v.valid_pages();
        let page = ((addr - v.start) >> PAGE_SHIFT) as u64;
        if page < valid {
            apply_perm(&p.cpu.mem, &v);
            return Fault::Retry;
        }
        return Fault::Bus;
    }
    // A read of a page the kernel does not populate in [vvar] (vvar_fault:
    // VM_FAULT_SIGBUS); stores and fetches fail the VMA's access check.
    if v.vvar_page().is_some() {
        if error & (PF_WRITE | PF_INSTR) == 0 {
            return Fault::Bus;
        }
        return Fault::Access;
    }
    Fault::Segv
}

/// x86 page-fault error code bits: a write, an instruction fetch.
const PF_WRITE: u32 = 1 << 1;
const PF_INSTR: u32 = 1 << 4;

/// A file changed size through this process (ftruncate, truncate, open
/// with O_TRUNC): the pages of every mapping of it past its new end become
/// not-present, so a guest access there raises SIGBUS (BUS_ADRERR) and a
/// kernel access fails with EFAULT, as natively; their translations go.
/// (Pages it grows into come back on their first access, in
/// [`user_fault`].) A file another process truncates is caught later: the
/// kernel side copies file pages fault-tolerantly (P_FILE).
pub fn file_resized(p: &mut Task, dev: u64, ino: u64) {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    let hit: Vec<Vma> = mm
        .vmas()
        .filter(|v| matches!(&v.backing, Backing::File(f) if f.dev == dev && f.ino == ino))
        .cloned()
        .collect();
    for v in hit {
        apply_perm(&p.cpu.mem, &v);
        let valid = v.valid_pages() as u32;
        let split = v.start + (valid << PAGE_SHIFT);
        if v.end > split {
            invalidate(p, split, v.end - split);
        }
    }
}

/// Serve a host SIGBUS in guest memory (`irq::BUS`, raised by
/// `hostsig::guest_bus`, which left a zero page there): put the file back
/// under the page, make the pages past the file's new end not-present,
/// and drop code translated from the page. Returns the guest address when
/// the guest is to get SIGBUS (BUS_ADRERR) for it; None when nothing was
/// pending.
pub fn host_bus(p: &mut Task) -> Option<u32> {
    let v = p.ctl.bus.swap(0, std::sync::atomic::Ordering::SeqCst);
    if v == 0 {
        return None;
    }
    let addr = v as u32;
    let page = addr & !(PAGE_SIZE - 1);
    let file = {
        let mm = lock(&p.mm);
        mm.find_vma(addr)
            .filter(|v| v.start <= addr)
            .and_then(|v| match &v.backing {
                Backing::File(f) => {
                    let shared = v.flags & vm::SHARED != 0;
                    let w = !shared || fd_access(f.fd.as_raw_fd()).map(|a| a.1).unwrap_or(false);
                    let pgoff = v.pgoff + ((page - v.start) >> PAGE_SHIFT) as u64;
                    let fd = f.fd.as_raw_fd();
                    // The host maps past the end of a file (the access
                    // SIGBUSes again; the page is not-present below).
                    let _ = host_map_file(&p.cpu.mem, page, PAGE_SIZE, fd, pgoff, shared, w);
                    Some((f.dev, f.ino))
                }
                _ => None,
            })
    };
    if let Some((dev, ino)) = file {
        file_resized(p, dev, ino);
    }
    invalidate(p, page, PAGE_SIZE);
    Some(addr)
}

/// [`file_resized`] for host fd `h` (after a host call that may have
/// changed its file's size).
pub fn fd_resized(p: &mut Task, h: i32) {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(h, &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFREG {
        file_resized(p, st.st_dev, st.st_ino);
    }
}

/// The #PF hook for the exception path: true when the stack grew under
/// `addr` and the instruction should be re-executed.
pub fn fault_in_stack(p: &mut Task, addr: u32) -> bool {
    let mm_arc = p.mm.clone();
    let mm = &mut *lock(&mm_arc);
    match mm.find_vma(addr).cloned() {
        Some(v) if v.start > addr && v.flags & vm::GROWSDOWN != 0 => expand_stack(p, mm, &v, addr),
        _ => false,
    }
}

/// expand_downwards + acct_stack_growth.
fn expand_stack(p: &mut Task, mm: &mut Mm, v: &Vma, addr: u32) -> bool {
    let address = addr & PAGE_MASK;
    if address < mm.dac_min_addr && !privileged_rawio() {
        return false;
    }
    if let Some(prev) = mm.prev_of(v.start) {
        if prev.flags & vm::GROWSDOWN == 0
            && prev.accessible()
            && address.wrapping_sub(prev.end) < STACK_GUARD_GAP
        {
            return false;
        }
    }
    let size = (v.end - address) as u64;
    let grow = ((v.start - address) >> PAGE_SHIFT) as u64;
    if !may_expand_vm(p, mm, v.flags, grow) {
        return false;
    }
    let lim = p.rlim_cur(rlimit::STACK);
    if lim != u64::MAX && size > lim {
        return false;
    }
    if v.flags & vm::LOCKED != 0 {
        let ml = p.rlim_cur(rlimit::MEMLOCK);
        if ml != u64::MAX && !ipc_lock() && mm.locked_vm() + grow > ml >> PAGE_SHIFT {
            return false;
        }
    }
    let Some(mut x) = mm.vmas.remove(&v.start) else {
        return false;
    };
    x.start = address;
    x.pgoff -= grow;
    let len = v.start - address;
    p.cpu.mem.discard(address, len);
    p.cpu.mem.set_perm(address, len, page_perm(x.flags));
    invalidate(p, address, len);
    mm.vmas.insert(address, x);
    true
}

/// What Linux's fault handler does for a kernel access (copy_to_user,
/// copy_from_user) to [addr, addr+len) that hits a missing page: grow a
/// stack VMA down over it, or map file pages that now exist. Returns true
/// if a page was fixed up, so the caller should retry the access; false
/// means the access really fails (-EFAULT).
pub fn fault_in_user(p: &mut Task, addr: u32, len: u32) -> bool {
    if len == 0 {
        return false;
    }
    let mut fixed = false;
    for page in crate::mem::page_range(addr, len) {
        if p.cpu.mem.perm(page) & P_PRESENT != 0 {
            continue;
        }
        let a = if page == addr >> PAGE_SHIFT {
            addr
        } else {
            page << PAGE_SHIFT
        };
        if user_fault(p, a, 0) != Fault::Retry {
            break;
        }
        fixed = true;
    }
    fixed
}

// ---- /proc/self/maps ----

/// `/proc/self/maps`, in Linux's exact format.
pub fn proc_maps(p: &Task) -> String {
    let mut out = String::new();
    for (_, line) in proc_maps_vmas(p) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Each VMA with its `/proc/self/maps` line (without the newline): the
/// header lines of smaps, too.
pub fn proc_maps_vmas(p: &Task) -> Vec<(Vma, String)> {
    use std::fmt::Write;
    use std::os::unix::fs::MetadataExt;
    let mm = &*p.mm();
    let exe = std::fs::metadata(&mm.exe).ok();
    let exe_name = guest_path(p, &mm.exe.to_string_lossy());
    let mut host_maps: Option<String> = None;
    let mut out = Vec::new();
    for v in mm.vmas() {
        let (dev, ino, name): (u64, u64, Option<String>) = match &v.backing {
            Backing::Anon => {
                let name = if v.start < mm.brk && v.end > mm.start_brk {
                    Some("[heap]".to_string())
                } else if v.start <= mm.start_stack && v.end >= mm.start_stack {
                    Some("[stack]".to_string())
                } else {
                    None
                };
                (0, 0, name)
            }
            Backing::Exe => (
                exe.as_ref().map_or(0, |m| m.dev()),
                exe.as_ref().map_or(0, |m| m.ino()),
                Some(exe_name.clone()),
            ),
            Backing::File(f) => (f.dev, f.ino, Some(f.name.clone())),
            Backing::Shm(_) => {
                let hm = host_maps.get_or_insert_with(|| {
                    std::fs::read_to_string("/proc/self/maps").unwrap_or_default()
                });
                let (d, i) = host_dev_ino(hm, p.cpu.mem.base() as u64 + v.start as u64);
                (d, i, Some("/dev/zero (deleted)".to_string()))
            }
            Backing::Vvar => (0, 0, Some("[vvar]".to_string())),
            Backing::VvarVclock => (0, 0, Some("[vvar_vclock]".to_string())),
            Backing::Vdso => (0, 0, Some("[vdso]".to_string())),
        };
        let off = if v.has_file() {
            v.pgoff << PAGE_SHIFT
        } else {
            0
        };
        let (maj, min) = (
            libc::major(dev as libc::dev_t),
            libc::minor(dev as libc::dev_t),
        );
        let mut line = String::new();
        let _ = write!(
            line,
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            v.start,
            v.end,
            if v.flags & vm::READ != 0 { 'r' } else { '-' },
            if v.flags & vm::WRITE != 0 { 'w' } else { '-' },
            if v.flags & vm::EXEC != 0 { 'x' } else { '-' },
            if v.flags & vm::MAYSHARE != 0 {
                's'
            } else {
                'p'
            },
            off,
            maj,
            min,
            ino
        );
        if let Some(n) = name {
            while line.len() < 72 {
                line.push(' ');
            }
            line.push(' ');
            line.push_str(&n);
        }
        out.push((v.clone(), line));
    }
    out
}

/// Device and inode of the host mapping holding host address `a`.
fn host_dev_ino(maps: &str, a: u64) -> (u64, u64) {
    let Some(m) = crate::hostmaps::lines(maps).find(|m| m.range().contains(&a)) else {
        return (0, 0);
    };
    let (ma, mi) = m.dev.split_once(':').unwrap_or(("0", "0"));
    let ma = u32::from_str_radix(ma, 16).unwrap_or(0);
    let mi = u32::from_str_radix(mi, 16).unwrap_or(0);
    (libc::makedev(ma, mi), m.inode.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(start: u32, end: u32, flags: u64) -> Vma {
        Vma {
            start,
            end,
            flags,
            pgoff: (start >> PAGE_SHIFT) as u64,
            backing: Backing::Anon,
        }
    }

    const RW: u64 = vm::READ | vm::WRITE | vm::MAY | vm::ACCOUNT;

    fn base() -> Mm {
        let mut mm = Mm {
            mmap_base: loader::MMAP_BASE,
            start_brk: 0x080f_1000,
            brk: 0x080f_1000,
            dac_min_addr: 0x1000,
            start_stack: 0xffff_d000,
            ..Mm::default()
        };
        mm.replace(anon(0x0804_8000, 0x0804_9000, vm::READ | vm::MAY));
        mm.replace(Vma {
            start: 0xf7ff6000,
            end: 0xf7ffc000,
            flags: vm::READ | vm::PFNMAP | vm::IO,
            pgoff: 0,
            backing: Backing::Vvar,
        });
        mm.replace(Vma {
            start: 0xf7ffc000,
            end: 0xf7ffe000,
            flags: vm::READ | vm::EXEC | vm::DONTEXPAND,
            pgoff: 0,
            backing: Backing::Vdso,
        });
        mm.replace(anon(0xfffd_d000, 0xffff_e000, RW | vm::GROWSDOWN));
        mm
    }

    #[test]
    fn topdown_starts_below_vvar() {
        let mut mm = base();
        let a = mm.get_unmapped_area(0, 0x1000, false, || false).unwrap();
        assert_eq!(a, 0xf7ff_5000);
        mm.insert(anon(a, a + 0x1000, RW));
        let b = mm.get_unmapped_area(0, 0x31000, false, || false).unwrap();
        assert_eq!(b, 0xf7fc_4000);
        mm.insert(anon(b, b + 0x31000, RW));
        // Adjacent anonymous mappings with the same flags merge.
        assert_eq!(mm.map_count(), 5);
        assert_eq!(mm.find(0xf7ff_5000).unwrap().start, 0xf7fc_4000);
        // A different protection does not merge.
        let c = mm.get_unmapped_area(0, 0x3000, false, || false).unwrap();
        assert_eq!(c, 0xf7fc_1000);
        mm.insert(anon(c, c + 0x3000, vm::READ | vm::MAY));
        assert_eq!(mm.map_count(), 6);
    }

    #[test]
    fn hints_fixed_and_limits() {
        let mm = base();
        // A free hint is used; one inside a mapping is not.
        assert_eq!(
            mm.get_unmapped_area(0x1000_0000, 0x1000, false, || false),
            Ok(0x1000_0000)
        );
        assert_eq!(
            mm.get_unmapped_area(0x0804_8000, 0x1000, false, || false),
            Ok(0xf7ff_5000)
        );
        assert_eq!(
            mm.get_unmapped_area(0x2000_0100, 0x1000, true, || false),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            mm.get_unmapped_area(0xffff_f000, 0x1000, true, || false),
            Err(Errno::ENOMEM)
        );
        assert_eq!(
            mm.get_unmapped_area(0, 0x1000, true, || false),
            Err(Errno::EPERM)
        );
        assert_eq!(mm.get_unmapped_area(0, 0x1000, true, || true), Ok(0));
        assert_eq!(
            mm.get_unmapped_area(0, 0xf000_0000, false, || false),
            Err(Errno::ENOMEM)
        );
    }

    #[test]
    fn stack_guard_gap_below_growsdown() {
        let mut mm = base();
        mm.insert(anon(0x377e_d000, 0x377f_1000, RW | vm::GROWSDOWN));
        mm.mmap_base = 0x377f_1000;
        let a = mm.get_unmapped_area(0, 0x1000, false, || false).unwrap();
        assert_eq!(a, 0x376e_c000);
    }

    #[test]
    fn split_and_merge_with_pgoff() {
        let mut mm = base();
        mm.insert(anon(0x6000_0000, 0x6000_4000, RW));
        mm.set_flags(0x6000_1000, 0x6000_2000, RW | vm::DONTCOPY);
        assert_eq!(mm.range(0x6000_0000, 0x6000_4000).len(), 3);
        let mid = mm.find(0x6000_1000).unwrap();
        assert_eq!(mid.pgoff, 0x60001);
        mm.set_flags(0x6000_1000, 0x6000_2000, RW);
        assert_eq!(mm.range(0x6000_0000, 0x6000_4000).len(), 1);
        // A moved piece (pgoff from elsewhere) does not merge.
        let mut moved = anon(0x6000_4000, 0x6000_5000, RW);
        moved.pgoff = 0x12345;
        mm.insert(moved);
        assert_eq!(mm.range(0x6000_0000, 0x6000_5000).len(), 2);
        // Carving the middle leaves two pieces with the right offsets.
        let gone = mm.carve(0x6000_1000, 0x6000_2000);
        assert_eq!(gone.len(), 1);
        assert_eq!(mm.find(0x6000_2000).unwrap().pgoff, 0x60002);
        assert!(mm.find(0x6000_1000).is_none());
        assert!(!mm.covered(0x6000_0000, 0x6000_3000));
        assert!(mm.covered(0x6000_2000, 0x6000_4000));
    }

    #[test]
    fn brk_area_does_not_merge_with_bss() {
        let mut mm = base();
        mm.insert(anon(0x080e_e000, 0x080f_1000, RW));
        mm.insert(anon(0x080f_1000, 0x080f_2000, RW));
        assert_eq!(mm.find(0x080f_1000).unwrap().start, 0x080f_1000);
        mm.insert(anon(0x080f_2000, 0x080f_3000, RW));
        assert_eq!(mm.find(0x080f_2000).unwrap().start, 0x080f_1000);
    }

    #[test]
    fn bottomup_fallback() {
        let mut mm = base();
        mm.mmap_base = 0x0001_2000;
        let a = mm.get_unmapped_area(0, 0x1000, false, || false).unwrap();
        assert_eq!(a, 0x0001_1000);
        let b = mm.get_unmapped_area(0, 0x10000, false, || false).unwrap();
        assert_eq!(b, TASK_UNMAPPED_BASE);
    }

    thread_local! {
        // Make host_restore_anon fail (as the host's map count would).
        pub static FAIL_RESTORE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// When the host cannot put anonymous memory back under a shared
    /// mapping, munmap and a MAP_FIXED anonymous mmap over it fail with
    /// ENOMEM and leave it whole (its data, its VMA), instead of leaving
    /// a guest range over the wrong host memory (issue 12 item 5).
    #[test]
    fn host_failure_leaves_mappings_whole() {
        let mut p = process();
        let a = sys_mmap2(&mut p, 0, 0x2000, 3, 0x21, u32::MAX, 0).unwrap();
        let b = sys_mmap2(&mut p, 0, 0x1000, 3, 0x21, u32::MAX, 0).unwrap();
        assert_eq!(b + 0x1000, a);
        p.write_user(a, b"shared").unwrap();
        p.write_user(b, b"other").unwrap();
        FAIL_RESTORE.with(|f| f.set(true));
        assert_eq!(sys_munmap(&mut p, a, 0x2000), Err(Errno::ENOMEM));
        assert_eq!(
            sys_mmap2(&mut p, a, 0x1000, 3, 0x32, u32::MAX, 0),
            Err(Errno::ENOMEM)
        );
        FAIL_RESTORE.with(|f| f.set(false));
        let mut out = [0u8; 6];
        p.read_user(a, &mut out).unwrap();
        assert_eq!(&out, b"shared");
        assert!(proc_maps(&p).contains(&format!("{a:08x}-{:08x} rw-s", a + 0x2000)));
        // Over both, failing at the first: nothing changes.
        let n = p.mm().map_count();
        FAIL_RESTORE.with(|f| f.set(true));
        assert_eq!(sys_munmap(&mut p, b, 0x3000), Err(Errno::ENOMEM));
        FAIL_RESTORE.with(|f| f.set(false));
        assert_eq!(p.mm().map_count(), n);
        // Now it works, and fresh anonymous memory there reads zero.
        assert_eq!(sys_munmap(&mut p, b, 0x3000), Ok(0));
        let c = sys_mmap2(&mut p, a, 0x1000, 3, 0x32, u32::MAX, 0).unwrap();
        assert_eq!(c, a);
        p.read_user(a, &mut out).unwrap();
        assert_eq!(out, [0u8; 6]);
    }

    /// A process for a small static image (text, rodata, data+bss) with
    /// the vDSO, as the loader maps it.
    fn process() -> Task {
        use crate::loader::elf::tests::Builder;
        use crate::loader::elf::{ET_EXEC, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_LOAD};
        let mut b = Builder::new(ET_EXEC)
            .ph(PT_LOAD, 0, 0x0804_8000, 0x1000, 0x1000, PF_R)
            .ph(PT_LOAD, 0x1000, 0x0804_9000, 0x10, 0x10, PF_R | PF_X)
            .ph(PT_LOAD, 0x1010, 0x0804_b010, 0x20, 0x3000, PF_R | PF_W)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.entry = 0x0804_9000;
        b.body = vec![0x90; 0x40];
        let img = b.build();
        let p = Task::new(
            &img,
            b"/x/prog",
            &[b"prog".to_vec()],
            &[],
            super::super::SyscallEntry::Sysenter,
        )
        .unwrap();
        p.mm().exe = std::path::PathBuf::from("/x/prog");
        p
    }

    #[test]
    fn proc_maps_of_a_fresh_process() {
        let p = process();
        let m = proc_maps(&p);
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(
            lines[0],
            "08048000-08049000 r--p 00000000 00:00 0                                  /x/prog"
        );
        assert_eq!(
            lines[1],
            "08049000-0804a000 r-xp 00001000 00:00 0                                  /x/prog"
        );
        // The data page comes from the file; the bss beyond it is anonymous.
        assert_eq!(
            lines[2],
            "0804b000-0804c000 rw-p 00001000 00:00 0                                  /x/prog"
        );
        assert_eq!(lines[3], "0804c000-0804f000 rw-p 00000000 00:00 0 ");
        assert_eq!(
            &lines[4..],
            &[
                "f7ff6000-f7ffa000 r--p 00000000 00:00 0                                  [vvar]",
                "f7ffa000-f7ffc000 r--p 00000000 00:00 0                                  [vvar_vclock]",
                "f7ffc000-f7ffe000 r-xp 00000000 00:00 0                                  [vdso]",
                "fffdd000-ffffe000 rw-p 00000000 00:00 0                                  [stack]",
            ]
        );
        assert_eq!(p.mm().brk, 0x0804_f000);
    }

    #[test]
    fn syscalls_update_map_and_permissions() {
        let mut p = process();
        // brk grows a [heap] VMA separate from the bss.
        assert_eq!(sys_brk(&mut p, 0), Ok(0x0804_f000));
        assert_eq!(sys_brk(&mut p, 0x0805_0800), Ok(0x0805_0800));
        assert_eq!(p.cpu.mem.perm(0x08050), P_PRESENT | P_READ | P_WRITE);
        assert!(proc_maps(&p).contains(
            "0804f000-08051000 rw-p 00000000 00:00 0                                  [heap]"
        ));
        // Shrinking releases the pages.
        assert_eq!(sys_brk(&mut p, 0x0804_f000), Ok(0x0804_f000));
        assert_eq!(p.cpu.mem.perm(0x08050), 0);
        // Anonymous mmap below the vvar; contents zero, PROT_NONE present.
        let a = sys_mmap2(&mut p, 0, 0x2000, 3, 0x22, u32::MAX, 0).unwrap();
        assert_eq!(a, 0xf7ff_4000);
        p.write_user(a, b"abc").unwrap();
        assert_eq!(sys_mprotect(&mut p, a + 0x1000, 0x1000, 0), Ok(0));
        assert_eq!(p.cpu.mem.perm((a >> 12) + 1), P_PRESENT);
        assert!(p.read_user(a + 0x1000, &mut [0u8; 1]).is_err());
        assert!(proc_maps(&p).contains("f7ff4000-f7ff5000 rw-p"));
        assert!(proc_maps(&p).contains("f7ff5000-f7ff6000 ---p"));
        // mremap moves the contents.
        let b = sys_mremap(&mut p, a, 0x1000, 0x3000, 1, 0).unwrap();
        let mut out = [0u8; 3];
        p.read_user(b, &mut out).unwrap();
        assert_eq!(&out, b"abc");
        assert_eq!(p.cpu.mem.perm(a >> 12), 0);
        // A fresh mapping at the old place reads zero.
        let c = sys_mmap2(&mut p, a, 0x1000, 3, 0x32, u32::MAX, 0).unwrap();
        assert_eq!(c, a);
        p.read_user(a, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0]);
        // Shared anonymous memory is a host mapping; unmapping restores
        // plain memory.
        let s = sys_mmap2(&mut p, 0, 0x1000, 3, 0x21, u32::MAX, 0).unwrap();
        p.write_user(s, b"x").unwrap();
        assert!(proc_maps(&p).contains("/dev/zero (deleted)"));
        assert_eq!(sys_munmap(&mut p, s, 0x1000), Ok(0));
        let t = sys_mmap2(&mut p, s, 0x1000, 3, 0x32, u32::MAX, 0).unwrap();
        assert_eq!(t, s);
        p.read_user(s, &mut out[..1]).unwrap();
        assert_eq!(out[0], 0);
        // Stack growth on a fault below [stack], within RLIMIT_STACK.
        assert_eq!(user_fault(&mut p, 0xfffd_cffc, 6), Fault::Retry);
        assert_eq!(p.mm().find(0xfffd_c000).unwrap().end, 0xffff_e000);
        assert_eq!(user_fault(&mut p, 0x1000_0000, 6), Fault::Segv);
        assert!(fault_in_user(&mut p, 0xfffd_a000, 0x10));
        assert!(p.write_user(0xfffd_a000, &[1; 16]).is_ok());
    }

    #[test]
    fn maps_format() {
        let v = anon(0x0804_8000, 0x0804_9000, vm::READ);
        assert_eq!(page_perm(v.flags), P_PRESENT | P_READ);
        assert_eq!(page_perm(vm::WRITE), P_PRESENT | P_READ | P_WRITE);
        assert_eq!(page_perm(vm::EXEC), P_PRESENT | P_READ | P_EXEC);
        assert_eq!(page_perm(0), P_PRESENT);
        let hm = "7f0000000000-7f0000001000 rw-s 00000000 00:01 1025                       /dev/zero (deleted)\n";
        assert_eq!(
            host_dev_ino(hm, 0x7f00_0000_0000),
            (libc::makedev(0, 1), 1025)
        );
    }
}
