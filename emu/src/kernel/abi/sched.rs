//! Process-creation and wait ABI of i386 Linux: clone flags and
//! `struct clone_args` (include/uapi/linux/sched.h), the wait options and
//! `idtype_t` (include/uapi/linux/wait.h), the compat siginfo that waitid
//! fills, and the robust-futex list (include/uapi/linux/futex.h).

use bytemuck::{Pod, Zeroable};

/// clone flags.
pub mod clone {
    /// The exit signal in the low byte (legacy clone only).
    pub const CSIGNAL: u64 = 0xff;
    /// clone3 only: a new time namespace (shares a CSIGNAL bit).
    pub const NEWTIME: u64 = 0x80;
    pub const VM: u64 = 0x100;
    pub const FS: u64 = 0x200;
    pub const FILES: u64 = 0x400;
    pub const SIGHAND: u64 = 0x800;
    pub const PIDFD: u64 = 0x1000;
    pub const PTRACE: u64 = 0x2000;
    pub const VFORK: u64 = 0x4000;
    pub const PARENT: u64 = 0x8000;
    pub const THREAD: u64 = 0x10000;
    pub const NEWNS: u64 = 0x20000;
    pub const SYSVSEM: u64 = 0x40000;
    pub const SETTLS: u64 = 0x80000;
    pub const PARENT_SETTID: u64 = 0x10_0000;
    pub const CHILD_CLEARTID: u64 = 0x20_0000;
    /// Ignored (was CLONE_DETACHED; kept as a flag for old glibc).
    pub const DETACHED: u64 = 0x40_0000;
    pub const UNTRACED: u64 = 0x80_0000;
    pub const CHILD_SETTID: u64 = 0x100_0000;
    pub const NEWCGROUP: u64 = 0x200_0000;
    pub const NEWUTS: u64 = 0x400_0000;
    pub const NEWIPC: u64 = 0x800_0000;
    pub const NEWUSER: u64 = 0x1000_0000;
    pub const NEWPID: u64 = 0x2000_0000;
    pub const NEWNET: u64 = 0x4000_0000;
    pub const IO: u64 = 0x8000_0000;
    /// clone3 only.
    pub const CLEAR_SIGHAND: u64 = 0x1_0000_0000;
    pub const INTO_CGROUP: u64 = 0x2_0000_0000;
    /// Every namespace flag.
    pub const NEW_ANY: u64 =
        NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME;
    /// The flags legacy clone knows (CLONE_LEGACY_FLAGS).
    pub const LEGACY: u64 = 0xffff_ffff;
}

/// `struct clone_args` (clone3), all fields 64-bit; an i386 caller's
/// pointers sit in their low halves.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}
const _: () = assert!(std::mem::size_of::<CloneArgs>() == 88);
const _: () = assert!(std::mem::offset_of!(CloneArgs, set_tid) == 64);

/// CLONE_ARGS_SIZE_VER0: clone3's smallest struct (up to `tls`).
pub const CLONE_ARGS_SIZE_VER0: u32 = 64;
/// MAX_PID_NS_LEVEL: the most entries set_tid may have.
pub const MAX_PID_NS_LEVEL: u64 = 32;

/// wait options.
pub mod wait {
    pub const WNOHANG: u32 = 1;
    pub const WUNTRACED: u32 = 2;
    pub const WSTOPPED: u32 = 2;
    pub const WEXITED: u32 = 4;
    pub const WCONTINUED: u32 = 8;
    pub const WNOWAIT: u32 = 0x0100_0000;
    pub const WNOTHREAD: u32 = 0x2000_0000;
    pub const WALL: u32 = 0x4000_0000;
    pub const WCLONE: u32 = 0x8000_0000;
    /// waitid's idtype_t.
    pub const P_ALL: u32 = 0;
    pub const P_PID: u32 = 1;
    pub const P_PGID: u32 = 2;
    pub const P_PIDFD: u32 = 3;
}

/// The SIGCHLD part of a `compat_siginfo_t` (128 bytes), as waitid fills it:
/// signo, errno, code, then the `_sigchld` union member.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct SiginfoChld32 {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_status: i32,
    pub si_utime: i32,
    pub si_stime: i32,
    pub pad: [u32; 24],
}
const _: () = assert!(std::mem::size_of::<SiginfoChld32>() == 128);
const _: () = assert!(std::mem::offset_of!(SiginfoChld32, si_pid) == 12);
const _: () = assert!(std::mem::offset_of!(SiginfoChld32, si_status) == 20);

/// `struct compat_robust_list_head`: the list (its `next`), the offset
/// from an entry to its futex word, and the entry being locked or
/// unlocked right now.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct RobustListHead32 {
    pub next: u32,
    pub futex_offset: i32,
    pub list_op_pending: u32,
}
const _: () = assert!(std::mem::size_of::<RobustListHead32>() == 12);

/// The robust futex word: the owner's tid and two flag bits.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// ROBUST_LIST_LIMIT: at most this many entries are walked.
pub const ROBUST_LIST_LIMIT: u32 = 2048;
