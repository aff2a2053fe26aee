//! The guest (i386 Linux) ABI: error numbers, constants and structs as the
//! guest sees them. Never mix these with the host's `libc::` values.

pub mod errno;
pub mod fs;
pub mod futex;
pub mod mm;
pub mod net;
pub mod sched;
pub mod signal;
pub mod sys;
pub mod termios;
pub mod time;

/// `struct user_desc` (set_thread_area, get_thread_area, modify_ldt).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct UserDesc {
    pub entry_number: u32,
    pub base_addr: u32,
    pub limit: u32,
    /// seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1
    /// seg_not_present:1 useable:1 (lm:1 unused on i386)
    pub flags: u32,
}
const _: () = assert!(std::mem::size_of::<UserDesc>() == 16);
const _: () = assert!(std::mem::offset_of!(UserDesc, flags) == 12);

impl UserDesc {
    pub fn from_bytes(b: &[u8; 16]) -> UserDesc {
        let w = |k: usize| u32::from_le_bytes(b[k * 4..k * 4 + 4].try_into().unwrap());
        UserDesc {
            entry_number: w(0),
            base_addr: w(1),
            limit: w(2),
            flags: w(3),
        }
    }
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        for (k, v) in [self.entry_number, self.base_addr, self.limit, self.flags]
            .iter()
            .enumerate()
        {
            b[k * 4..k * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
    pub fn seg_32bit(&self) -> bool {
        self.flags & 1 != 0
    }
    pub fn contents(&self) -> u32 {
        (self.flags >> 1) & 3
    }
    pub fn read_exec_only(&self) -> bool {
        self.flags & 8 != 0
    }
    pub fn limit_in_pages(&self) -> bool {
        self.flags & 16 != 0
    }
    pub fn seg_not_present(&self) -> bool {
        self.flags & 32 != 0
    }
    pub fn useable(&self) -> bool {
        self.flags & 64 != 0
    }
}
