//! Memory-management ABI of i386 Linux: mmap/mprotect/mremap/madvise/msync
//! flags and the `mmap_arg_struct` of old_mmap (asm-generic/mman*.h, which
//! x86 uses unchanged).

use bytemuck::{Pod, Zeroable};

pub const PROT_NONE: u32 = 0;
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
pub const PROT_SEM: u32 = 8;
pub const PROT_GROWSDOWN: u32 = 0x0100_0000;
pub const PROT_GROWSUP: u32 = 0x0200_0000;

pub const MAP_SHARED: u32 = 0x01;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
pub const MAP_DROPPABLE: u32 = 0x08;
pub const MAP_TYPE: u32 = 0x0f;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
pub const MAP_32BIT: u32 = 0x40;
pub const MAP_GROWSDOWN: u32 = 0x0100;
pub const MAP_DENYWRITE: u32 = 0x0800;
pub const MAP_EXECUTABLE: u32 = 0x1000;
pub const MAP_LOCKED: u32 = 0x2000;
pub const MAP_NORESERVE: u32 = 0x4000;
pub const MAP_POPULATE: u32 = 0x8000;
pub const MAP_NONBLOCK: u32 = 0x1_0000;
pub const MAP_STACK: u32 = 0x2_0000;
pub const MAP_HUGETLB: u32 = 0x4_0000;
pub const MAP_SYNC: u32 = 0x8_0000;
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
pub const MAP_UNINITIALIZED: u32 = 0x400_0000;
/// LEGACY_MAP_MASK: the flags MAP_SHARED accepts (others are dropped);
/// MAP_SHARED_VALIDATE refuses anything else with EOPNOTSUPP.
pub const LEGACY_MAP_MASK: u32 = MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_UNINITIALIZED
    | MAP_GROWSDOWN
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB;

pub const MREMAP_MAYMOVE: u32 = 1;
pub const MREMAP_FIXED: u32 = 2;
pub const MREMAP_DONTUNMAP: u32 = 4;

pub const MS_ASYNC: u32 = 1;
pub const MS_INVALIDATE: u32 = 2;
pub const MS_SYNC: u32 = 4;

pub const MCL_CURRENT: u32 = 1;
pub const MCL_FUTURE: u32 = 2;
pub const MCL_ONFAULT: u32 = 4;
pub const MLOCK_ONFAULT: u32 = 1;

pub mod madv {
    pub const NORMAL: u32 = 0;
    pub const RANDOM: u32 = 1;
    pub const SEQUENTIAL: u32 = 2;
    pub const WILLNEED: u32 = 3;
    pub const DONTNEED: u32 = 4;
    pub const FREE: u32 = 8;
    pub const REMOVE: u32 = 9;
    pub const DONTFORK: u32 = 10;
    pub const DOFORK: u32 = 11;
    pub const MERGEABLE: u32 = 12;
    pub const UNMERGEABLE: u32 = 13;
    pub const HUGEPAGE: u32 = 14;
    pub const NOHUGEPAGE: u32 = 15;
    pub const DONTDUMP: u32 = 16;
    pub const DODUMP: u32 = 17;
    pub const WIPEONFORK: u32 = 18;
    pub const KEEPONFORK: u32 = 19;
    pub const COLD: u32 = 20;
    pub const PAGEOUT: u32 = 21;
    pub const POPULATE_READ: u32 = 22;
    pub const POPULATE_WRITE: u32 = 23;
    pub const DONTNEED_LOCKED: u32 = 24;
    pub const COLLAPSE: u32 = 25;
    pub const HWPOISON: u32 = 100;
    pub const SOFT_OFFLINE: u32 = 101;
    pub const GUARD_INSTALL: u32 = 102;
    pub const GUARD_REMOVE: u32 = 103;
}

/// `struct mmap_arg_struct` (old_mmap, syscall 90).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct MmapArgs {
    pub addr: u32,
    pub len: u32,
    pub prot: u32,
    pub flags: u32,
    pub fd: u32,
    pub offset: u32,
}
const _: () = assert!(std::mem::size_of::<MmapArgs>() == 24);
const _: () = assert!(std::mem::offset_of!(MmapArgs, offset) == 20);
