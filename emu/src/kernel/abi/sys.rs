//! Identity and system-information ABI of i386 Linux: utsname variants,
//! the compat sysinfo and rlimit structs, personality and prctl constants.

use bytemuck::{Pod, Zeroable};

/// `struct new_utsname` (uname, syscall 122): six 65-byte fields.
/// (bytemuck has no Pod for 65-byte arrays: [`utsname_bytes`] serialises.)
#[derive(Clone, Copy)]
#[repr(C)]
pub struct NewUtsname {
    pub sysname: [u8; 65],
    pub nodename: [u8; 65],
    pub release: [u8; 65],
    pub version: [u8; 65],
    pub machine: [u8; 65],
    pub domainname: [u8; 65],
}
const _: () = assert!(std::mem::size_of::<NewUtsname>() == 390);

/// `struct old_utsname` (olduname, syscall 109): five 65-byte fields.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct OldUtsname {
    pub sysname: [u8; 65],
    pub nodename: [u8; 65],
    pub release: [u8; 65],
    pub version: [u8; 65],
    pub machine: [u8; 65],
}
const _: () = assert!(std::mem::size_of::<OldUtsname>() == 325);

/// `struct oldold_utsname` (oldolduname, syscall 59): five 9-byte fields.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct OldOldUtsname {
    pub sysname: [u8; 9],
    pub nodename: [u8; 9],
    pub release: [u8; 9],
    pub version: [u8; 9],
    pub machine: [u8; 9],
}
const _: () = assert!(std::mem::size_of::<OldOldUtsname>() == 45);

/// The bytes of a utsname struct: its fields in order (repr(C) byte
/// arrays have no padding).
pub fn utsname_bytes(fields: &[&[u8]]) -> Vec<u8> {
    fields.iter().flat_map(|f| f.iter().copied()).collect()
}

impl NewUtsname {
    pub fn to_bytes(&self) -> Vec<u8> {
        utsname_bytes(&[
            &self.sysname,
            &self.nodename,
            &self.release,
            &self.version,
            &self.machine,
            &self.domainname,
        ])
    }
}

impl OldUtsname {
    pub fn to_bytes(&self) -> Vec<u8> {
        utsname_bytes(&[
            &self.sysname,
            &self.nodename,
            &self.release,
            &self.version,
            &self.machine,
        ])
    }
}

impl OldOldUtsname {
    pub fn to_bytes(&self) -> Vec<u8> {
        utsname_bytes(&[
            &self.sysname,
            &self.nodename,
            &self.release,
            &self.version,
            &self.machine,
        ])
    }
}

/// `struct compat_sysinfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sysinfo32 {
    pub uptime: i32,
    pub loads: [u32; 3],
    pub totalram: u32,
    pub freeram: u32,
    pub sharedram: u32,
    pub bufferram: u32,
    pub totalswap: u32,
    pub freeswap: u32,
    pub procs: u16,
    pub pad: u16,
    pub totalhigh: u32,
    pub freehigh: u32,
    pub mem_unit: u32,
    pub f: [u8; 8],
}
const _: () = assert!(std::mem::size_of::<Sysinfo32>() == 64);
const _: () = assert!(std::mem::offset_of!(Sysinfo32, procs) == 40);
const _: () = assert!(std::mem::offset_of!(Sysinfo32, mem_unit) == 52);

/// `struct compat_rlimit` (getrlimit, ugetrlimit, setrlimit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Rlimit32 {
    pub rlim_cur: u32,
    pub rlim_max: u32,
}
const _: () = assert!(std::mem::size_of::<Rlimit32>() == 8);

/// `struct rlimit64` (prlimit64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Rlimit64 {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}
const _: () = assert!(std::mem::size_of::<Rlimit64>() == 16);

pub const RLIM_NLIMITS: u32 = 16;
pub const RLIM64_INFINITY: u64 = u64::MAX;
/// COMPAT_RLIM_INFINITY (ugetrlimit, setrlimit).
pub const RLIM_INFINITY32: u32 = 0xffff_ffff;
/// COMPAT_RLIM_OLD_INFINITY (the old getrlimit, syscall 76).
pub const RLIM_OLD_INFINITY32: u32 = 0x7fff_ffff;

/// getrandom(2) flags.
pub const GRND_NONBLOCK: u32 = 1;
pub const GRND_RANDOM: u32 = 2;
pub const GRND_INSECURE: u32 = 4;

pub mod rlimit {
    pub const CPU: u32 = 0;
    pub const FSIZE: u32 = 1;
    pub const DATA: u32 = 2;
    pub const STACK: u32 = 3;
    pub const CORE: u32 = 4;
    pub const RSS: u32 = 5;
    pub const NPROC: u32 = 6;
    pub const NOFILE: u32 = 7;
    pub const MEMLOCK: u32 = 8;
    pub const AS: u32 = 9;
    pub const LOCKS: u32 = 10;
    pub const SIGPENDING: u32 = 11;
    pub const MSGQUEUE: u32 = 12;
    pub const NICE: u32 = 13;
    pub const RTPRIO: u32 = 14;
    pub const RTTIME: u32 = 15;
}

/// personality(2) values.
pub mod per {
    pub const PER_LINUX: u32 = 0;
    pub const PER_LINUX32: u32 = 0x0008;
    pub const PER_MASK: u32 = 0xff;
    pub const UNAME26: u32 = 0x002_0000;
    pub const ADDR_NO_RANDOMIZE: u32 = 0x004_0000;
    pub const ADDR_COMPAT_LAYOUT: u32 = 0x020_0000;
    pub const READ_IMPLIES_EXEC: u32 = 0x040_0000;
    /// personality(0xffffffff) only queries.
    pub const QUERY: u32 = 0xffff_ffff;
}

/// prctl(2) options handled here.
pub mod pr {
    pub const SET_PDEATHSIG: u32 = 1;
    pub const GET_PDEATHSIG: u32 = 2;
    pub const GET_DUMPABLE: u32 = 3;
    pub const SET_DUMPABLE: u32 = 4;
    pub const GET_UNALIGN: u32 = 5;
    pub const SET_UNALIGN: u32 = 6;
    pub const GET_KEEPCAPS: u32 = 7;
    pub const SET_KEEPCAPS: u32 = 8;
    pub const GET_FPEMU: u32 = 9;
    pub const SET_FPEMU: u32 = 10;
    pub const GET_FPEXC: u32 = 11;
    pub const SET_FPEXC: u32 = 12;
    pub const GET_TIMING: u32 = 13;
    pub const SET_TIMING: u32 = 14;
    pub const SET_NAME: u32 = 15;
    pub const GET_NAME: u32 = 16;
    pub const GET_ENDIAN: u32 = 19;
    pub const SET_ENDIAN: u32 = 20;
    pub const GET_SECCOMP: u32 = 21;
    pub const SET_SECCOMP: u32 = 22;
    pub const CAPBSET_READ: u32 = 23;
    pub const CAPBSET_DROP: u32 = 24;
    pub const GET_TSC: u32 = 25;
    pub const SET_TSC: u32 = 26;
    pub const GET_SECUREBITS: u32 = 27;
    pub const SET_SECUREBITS: u32 = 28;
    pub const SET_TIMERSLACK: u32 = 29;
    pub const GET_TIMERSLACK: u32 = 30;
    pub const MCE_KILL: u32 = 33;
    pub const MCE_KILL_GET: u32 = 34;
    pub const SET_MM: u32 = 35;
    pub const SET_CHILD_SUBREAPER: u32 = 36;
    pub const GET_CHILD_SUBREAPER: u32 = 37;
    pub const SET_NO_NEW_PRIVS: u32 = 38;
    pub const GET_NO_NEW_PRIVS: u32 = 39;
    pub const GET_TID_ADDRESS: u32 = 40;
    pub const SET_THP_DISABLE: u32 = 41;
    pub const GET_THP_DISABLE: u32 = 42;
    pub const MPX_ENABLE_MANAGEMENT: u32 = 43;
    pub const MPX_DISABLE_MANAGEMENT: u32 = 44;
    pub const SET_FP_MODE: u32 = 45;
    pub const GET_FP_MODE: u32 = 46;
    pub const CAP_AMBIENT: u32 = 47;
    pub const SVE_SET_VL: u32 = 50;
    pub const GET_SPECULATION_CTRL: u32 = 52;
    pub const SET_SPECULATION_CTRL: u32 = 53;
    pub const SET_IO_FLUSHER: u32 = 57;
    pub const GET_IO_FLUSHER: u32 = 58;
    pub const SET_SYSCALL_USER_DISPATCH: u32 = 59;
    pub const SCHED_CORE: u32 = 62;
    pub const SET_MDWE: u32 = 65;
    pub const GET_MDWE: u32 = 66;
    pub const SET_MEMORY_MERGE: u32 = 67;
    pub const GET_MEMORY_MERGE: u32 = 68;
    pub const GET_AUXV: u32 = 0x4155_5856;
    pub const SET_VMA: u32 = 0x5356_4d41;
    pub const SET_PTRACER: u32 = 0x5961_6d61;
}
