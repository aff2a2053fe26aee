//! Time ABI of i386 Linux: the old 32-bit timespec/timeval (legacy
//! syscalls), the 64-bit `__kernel_timespec` (the *_time64 syscalls), and
//! the tms, rusage and timex structs as the ia32 compat layer lays them out.

use bytemuck::{Pod, Zeroable};

pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
pub const CLOCK_REALTIME_COARSE: u32 = 5;
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
pub const CLOCK_BOOTTIME: u32 = 7;
pub const CLOCK_REALTIME_ALARM: u32 = 8;
pub const CLOCK_BOOTTIME_ALARM: u32 = 9;
pub const CLOCK_TAI: u32 = 11;

pub const TIMER_ABSTIME: u32 = 1;

pub const NSEC_PER_SEC: i64 = 1_000_000_000;

/// `struct old_timespec32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Timespec32 {
    pub tv_sec: i32,
    pub tv_nsec: i32,
}
const _: () = assert!(std::mem::size_of::<Timespec32>() == 8);

/// `struct __kernel_timespec` (the time64 syscalls): 16 bytes, 4-aligned
/// on i386. tv_nsec is a 64-bit field of which the kernel reads only the
/// low 32 bits from a compat task (the high half is padding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C, packed)]
pub struct Timespec64 {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}
const _: () = assert!(std::mem::size_of::<Timespec64>() == 16);

/// `struct old_timeval32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Timeval32 {
    pub tv_sec: i32,
    pub tv_usec: i32,
}
const _: () = assert!(std::mem::size_of::<Timeval32>() == 8);

/// `struct timezone`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Timezone {
    pub tz_minuteswest: i32,
    pub tz_dsttime: i32,
}
const _: () = assert!(std::mem::size_of::<Timezone>() == 8);

/// `struct compat_tms` (times).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Tms {
    pub tms_utime: i32,
    pub tms_stime: i32,
    pub tms_cutime: i32,
    pub tms_cstime: i32,
}
const _: () = assert!(std::mem::size_of::<Tms>() == 16);

/// `struct compat_rusage` (getrusage, wait4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Rusage32 {
    pub ru_utime: Timeval32,
    pub ru_stime: Timeval32,
    /// ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt,
    /// ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals,
    /// ru_nvcsw, ru_nivcsw.
    pub longs: [i32; 14],
}
const _: () = assert!(std::mem::size_of::<Rusage32>() == 72);
const _: () = assert!(std::mem::offset_of!(Rusage32, longs) == 16);

impl Rusage32 {
    /// Convert a host rusage, truncating the longs as the compat layer does.
    pub fn from_host(r: &libc::rusage) -> Rusage32 {
        let tv = |t: &libc::timeval| Timeval32 {
            tv_sec: t.tv_sec as i32,
            tv_usec: t.tv_usec as i32,
        };
        Rusage32 {
            ru_utime: tv(&r.ru_utime),
            ru_stime: tv(&r.ru_stime),
            longs: [
                r.ru_maxrss as i32,
                r.ru_ixrss as i32,
                r.ru_idrss as i32,
                r.ru_isrss as i32,
                r.ru_minflt as i32,
                r.ru_majflt as i32,
                r.ru_nswap as i32,
                r.ru_inblock as i32,
                r.ru_oublock as i32,
                r.ru_msgsnd as i32,
                r.ru_msgrcv as i32,
                r.ru_nsignals as i32,
                r.ru_nvcsw as i32,
                r.ru_nivcsw as i32,
            ],
        }
    }
}

/// `struct old_timex32` (adjtimex, clock_adjtime).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Timex32 {
    pub modes: u32,
    pub offset: i32,
    pub freq: i32,
    pub maxerror: i32,
    pub esterror: i32,
    pub status: i32,
    pub constant: i32,
    pub precision: i32,
    pub tolerance: i32,
    pub time: Timeval32,
    pub tick: i32,
    pub ppsfreq: i32,
    pub jitter: i32,
    pub shift: i32,
    pub stabil: i32,
    pub jitcnt: i32,
    pub calcnt: i32,
    pub errcnt: i32,
    pub stbcnt: i32,
    pub tai: i32,
    pub pad: [i32; 11],
}
const _: () = assert!(std::mem::size_of::<Timex32>() == 128);
const _: () = assert!(std::mem::offset_of!(Timex32, tick) == 44);

/// `struct __kernel_timex` (clock_adjtime64): the same bytes as the
/// 64-bit host's `struct timex`, padding fields included.
pub const KERNEL_TIMEX_SIZE: usize = 208;
const _: () = assert!(std::mem::size_of::<libc::timex>() == KERNEL_TIMEX_SIZE);
