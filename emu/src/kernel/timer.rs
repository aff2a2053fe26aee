//! Timers that send signals or wake descriptors: alarm, setitimer and
//! getitimer (REAL, VIRTUAL, PROF), POSIX timers (timer_create and
//! friends, 32- and 64-bit time), and timerfd.
//!
//! They are the host's: a guest process is a host process, so the host's
//! timers of the emu process are the guest's, and the signals they send
//! arrive as any other (see [`super::hostsig`]). ITIMER_VIRTUAL and
//! ITIMER_PROF count the emu process's CPU time, which is the guest's.
//! Timer ids are the host's; the guest's structs are converted.

use bytemuck::{Pod, Zeroable};

use super::abi::errno::Errno;
use super::abi::fs::o;
use super::abi::time::{Timespec32, Timespec64, Timeval32};
use super::fs::hret;
use super::syscall::SysResult;
use super::task::Task;

pub fn sys_alarm(_p: &mut Task, seconds: u32) -> SysResult {
    hret(unsafe { libc::syscall(libc::SYS_alarm, seconds) })
}

// ---- itimers ----

/// `struct old_itimerval32`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
struct Itimerval32 {
    interval: Timeval32,
    value: Timeval32,
}
const _: () = assert!(std::mem::size_of::<Itimerval32>() == 16);

fn tv_host(t: Timeval32) -> libc::timeval {
    libc::timeval {
        tv_sec: t.tv_sec as i64,
        tv_usec: t.tv_usec as i64,
    }
}

fn tv_guest(t: libc::timeval) -> Timeval32 {
    Timeval32 {
        tv_sec: t.tv_sec as i32,
        tv_usec: t.tv_usec as i32,
    }
}

fn itv_guest(v: &libc::itimerval) -> Itimerval32 {
    Itimerval32 {
        interval: tv_guest(v.it_interval),
        value: tv_guest(v.it_value),
    }
}

pub fn sys_setitimer(p: &mut Task, which: u32, new: u32, old: u32) -> SysResult {
    let n = if new != 0 {
        let v: Itimerval32 = p.read_struct(new)?;
        libc::itimerval {
            it_interval: tv_host(v.interval),
            it_value: tv_host(v.value),
        }
    } else {
        // A NULL new value disarms the timer (Linux allows it, with a warning).
        unsafe { std::mem::zeroed() }
    };
    let mut o: libc::itimerval = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_setitimer, which as i32, &n, &mut o) })?;
    if old != 0 {
        p.write_struct(old, &itv_guest(&o))?;
    }
    Ok(0)
}

pub fn sys_getitimer(p: &mut Task, which: u32, cur: u32) -> SysResult {
    let mut o: libc::itimerval = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_getitimer, which as i32, &mut o) })?;
    p.write_struct(cur, &itv_guest(&o))?;
    Ok(0)
}

// ---- itimerspec, 32- and 64-bit ----

fn read_its(p: &mut Task, addr: u32, wide: bool) -> Result<libc::itimerspec, Errno> {
    let conv = |s: i64, n: i64| libc::timespec {
        tv_sec: s,
        tv_nsec: n,
    };
    Ok(if wide {
        let v: [Timespec64; 2] = p.read_struct(addr)?;
        let (a, b) = (v[0], v[1]);
        // The high half of a compat task's tv_nsec is padding.
        libc::itimerspec {
            it_interval: conv(a.tv_sec, a.tv_nsec as i32 as i64),
            it_value: conv(b.tv_sec, b.tv_nsec as i32 as i64),
        }
    } else {
        let v: [Timespec32; 2] = p.read_struct(addr)?;
        libc::itimerspec {
            it_interval: conv(v[0].tv_sec as i64, v[0].tv_nsec as i64),
            it_value: conv(v[1].tv_sec as i64, v[1].tv_nsec as i64),
        }
    })
}

fn write_its(p: &mut Task, addr: u32, v: &libc::itimerspec, wide: bool) -> Result<(), Errno> {
    if wide {
        p.write_struct(
            addr,
            &[
                Timespec64 {
                    tv_sec: v.it_interval.tv_sec,
                    tv_nsec: v.it_interval.tv_nsec,
                },
                Timespec64 {
                    tv_sec: v.it_value.tv_sec,
                    tv_nsec: v.it_value.tv_nsec,
                },
            ],
        )
    } else {
        p.write_struct(
            addr,
            &[
                Timespec32 {
                    tv_sec: v.it_interval.tv_sec as i32,
                    tv_nsec: v.it_interval.tv_nsec as i32,
                },
                Timespec32 {
                    tv_sec: v.it_value.tv_sec as i32,
                    tv_nsec: v.it_value.tv_nsec as i32,
                },
            ],
        )
    }
}

// ---- POSIX timers ----

/// `struct compat_sigevent`: the value, signal, notify kind, and the tid
/// for SIGEV_THREAD_ID (64 bytes).
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
struct Sigevent32 {
    value: u32,
    signo: i32,
    notify: i32,
    tid: i32,
    pad: [u32; 12],
}
const _: () = assert!(std::mem::size_of::<Sigevent32>() == 64);

/// The host's `struct sigevent` (x86_64 layout): value (8), signo,
/// notify, then the tid.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct HostSigevent {
    value: u64,
    signo: i32,
    notify: i32,
    tid: i32,
    pad: [u32; 11],
}
const _: () = assert!(std::mem::size_of::<HostSigevent>() == 64);

pub fn sys_timer_create(p: &mut Task, clockid: u32, sevp: u32, timerid: u32) -> SysResult {
    let ev = if sevp != 0 {
        let e: Sigevent32 = p.read_struct(sevp)?;
        Some(HostSigevent {
            value: e.value as u64,
            signo: e.signo,
            notify: e.notify,
            tid: e.tid,
            pad: [0; 11],
        })
    } else {
        None
    };
    let clk = super::time::host_clock(p, clockid)?;
    let mut id: libc::c_int = 0;
    let ep = ev
        .as_ref()
        .map_or(std::ptr::null(), |e| e as *const HostSigevent);
    hret(unsafe { libc::syscall(libc::SYS_timer_create, clk, ep, &mut id) })?;
    if let Err(e) = p.write_u32(timerid, id as u32) {
        unsafe { libc::syscall(libc::SYS_timer_delete, id) };
        return Err(e);
    }
    Ok(0)
}

fn timer_settime(p: &mut Task, id: u32, flags: u32, new: u32, old: u32, wide: bool) -> SysResult {
    let n = read_its(p, new, wide)?;
    let mut o: libc::itimerspec = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_timer_settime, id as i32, flags as i32, &n, &mut o) })?;
    if old != 0 {
        write_its(p, old, &o, wide)?;
    }
    Ok(0)
}

fn timer_gettime(p: &mut Task, id: u32, cur: u32, wide: bool) -> SysResult {
    let mut o: libc::itimerspec = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_timer_gettime, id as i32, &mut o) })?;
    write_its(p, cur, &o, wide)?;
    Ok(0)
}

pub fn sys_timer_settime(p: &mut Task, id: u32, flags: u32, new: u32, old: u32) -> SysResult {
    timer_settime(p, id, flags, new, old, false)
}

pub fn sys_timer_settime64(p: &mut Task, id: u32, flags: u32, new: u32, old: u32) -> SysResult {
    timer_settime(p, id, flags, new, old, true)
}

pub fn sys_timer_gettime(p: &mut Task, id: u32, cur: u32) -> SysResult {
    timer_gettime(p, id, cur, false)
}

pub fn sys_timer_gettime64(p: &mut Task, id: u32, cur: u32) -> SysResult {
    timer_gettime(p, id, cur, true)
}

pub fn sys_timer_getoverrun(_p: &mut Task, id: u32) -> SysResult {
    hret(unsafe { libc::syscall(libc::SYS_timer_getoverrun, id as i32) })
}

pub fn sys_timer_delete(_p: &mut Task, id: u32) -> SysResult {
    hret(unsafe { libc::syscall(libc::SYS_timer_delete, id as i32) })
}

// ---- timerfd ----

pub fn sys_timerfd_create(p: &mut Task, clockid: u32, flags: u32) -> SysResult {
    if flags & !(o::CLOEXEC | o::NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let clk = super::time::host_clock(p, clockid)?;
    let mut hf = libc::TFD_CLOEXEC;
    if flags & o::NONBLOCK != 0 {
        hf |= libc::TFD_NONBLOCK;
    }
    let h = unsafe { libc::syscall(libc::SYS_timerfd_create, clk, hf) };
    if h < 0 {
        return Err(Errno::last());
    }
    p.files().install_host(h as i32, flags & o::CLOEXEC != 0)
}

fn timerfd_settime(p: &mut Task, fd: u32, flags: u32, new: u32, old: u32, wide: bool) -> SysResult {
    let h = p.files().host(fd)?;
    let n = read_its(p, new, wide)?;
    let mut o: libc::itimerspec = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_timerfd_settime, h, flags as i32, &n, &mut o) })?;
    if old != 0 {
        write_its(p, old, &o, wide)?;
    }
    Ok(0)
}

fn timerfd_gettime(p: &mut Task, fd: u32, cur: u32, wide: bool) -> SysResult {
    let h = p.files().host(fd)?;
    let mut o: libc::itimerspec = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_timerfd_gettime, h, &mut o) })?;
    write_its(p, cur, &o, wide)?;
    Ok(0)
}

pub fn sys_timerfd_settime(p: &mut Task, fd: u32, flags: u32, new: u32, old: u32) -> SysResult {
    timerfd_settime(p, fd, flags, new, old, false)
}

pub fn sys_timerfd_settime64(p: &mut Task, fd: u32, flags: u32, new: u32, old: u32) -> SysResult {
    timerfd_settime(p, fd, flags, new, old, true)
}

pub fn sys_timerfd_gettime(p: &mut Task, fd: u32, cur: u32) -> SysResult {
    timerfd_gettime(p, fd, cur, false)
}

pub fn sys_timerfd_gettime64(p: &mut Task, fd: u32, cur: u32) -> SysResult {
    timerfd_gettime(p, fd, cur, true)
}
