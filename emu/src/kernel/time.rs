//! Time: the clocks, sleeping, times/getrusage and clock adjustment, in
//! both the legacy forms (32-bit time_t in `old_timespec32`/`old_timeval32`)
//! and the *_time64 forms (64-bit `__kernel_timespec`).
//!
//! The clocks are the host's: each call is the host syscall with the
//! guest's clock id (pid-based CPU clocks use host pids, which are the
//! guest's; fd-based dynamic clocks get the guest fd translated), and the
//! result is converted as the compat layer converts it (tv_sec truncated to
//! 32 bits for the legacy calls; the padding half of a 64-bit tv_nsec
//! ignored on input).

use super::abi::errno::Errno;
use super::abi::time::{
    Rusage32, Timespec32, Timespec64, Timeval32, Timex32, Timezone, Tms, CLOCK_MONOTONIC,
    KERNEL_TIMEX_SIZE, NSEC_PER_SEC, TIMER_ABSTIME,
};
use super::fs::hret;
use super::syscall::SysResult;
use super::task::Task;

/// The host clock id for guest clock id `clk`: an fd-based dynamic clock
/// (CLOCKFD: `~fd << 3 | 3`) names a guest fd.
pub(super) fn host_clock(p: &Task, clk: u32) -> Result<libc::clockid_t, Errno> {
    let c = clk as i32;
    if c < 0 && c & 7 == 3 {
        let fd = !(c >> 3) as u32;
        let h = super::fs::host_fd(p, fd).map_err(|_| Errno::EINVAL)?;
        return Ok(((!h) << 3) | 3);
    }
    Ok(c)
}

fn host_ts(t: &libc::timespec) -> (i64, i64) {
    (t.tv_sec, t.tv_nsec)
}

/// Write a time as `old_timespec32` or `__kernel_timespec`.
fn put_ts(p: &mut Task, addr: u32, t: (i64, i64), wide: bool) -> Result<(), Errno> {
    if wide {
        p.write_struct(
            addr,
            &Timespec64 {
                tv_sec: t.0,
                tv_nsec: t.1,
            },
        )
    } else {
        p.write_struct(
            addr,
            &Timespec32 {
                tv_sec: t.0 as i32,
                tv_nsec: t.1 as i32,
            },
        )
    }
}

/// Read a timespec (the high half of a 64-bit tv_nsec is padding).
pub(super) fn get_ts(p: &mut Task, addr: u32, wide: bool) -> Result<libc::timespec, Errno> {
    if wide {
        let t: Timespec64 = p.read_struct(addr)?;
        Ok(libc::timespec {
            tv_sec: t.tv_sec,
            tv_nsec: (t.tv_nsec as u64 & 0xffff_ffff) as i64,
        })
    } else {
        let t: Timespec32 = p.read_struct(addr)?;
        Ok(libc::timespec {
            tv_sec: t.tv_sec as i64,
            tv_nsec: t.tv_nsec as i64,
        })
    }
}

// ---- reading and setting clocks ----

pub fn sys_time(p: &mut Task, tloc: u32) -> SysResult {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut t) };
    let s = t.tv_sec as i32;
    if tloc != 0 {
        p.write_u32(tloc, s as u32)?;
    }
    Ok(s as u32)
}

pub fn sys_stime(p: &mut Task, tptr: u32) -> SysResult {
    let s = p.read_u32(tptr)? as i32;
    let t = libc::timespec {
        tv_sec: s as i64,
        tv_nsec: 0,
    };
    hret(unsafe { libc::syscall(libc::SYS_clock_settime, libc::CLOCK_REALTIME, &t) })
}

pub fn sys_gettimeofday(p: &mut Task, tv: u32, tz: u32) -> SysResult {
    let mut t = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut z = [0i32; 2];
    hret(unsafe { libc::syscall(libc::SYS_gettimeofday, &mut t, z.as_mut_ptr()) })?;
    if tv != 0 {
        p.write_struct(
            tv,
            &Timeval32 {
                tv_sec: t.tv_sec as i32,
                tv_usec: t.tv_usec as i32,
            },
        )?;
    }
    if tz != 0 {
        p.write_struct(
            tz,
            &Timezone {
                tz_minuteswest: z[0],
                tz_dsttime: z[1],
            },
        )?;
    }
    Ok(0)
}

pub fn sys_settimeofday(p: &mut Task, tv: u32, tz: u32) -> SysResult {
    let t = if tv != 0 {
        let v: Timeval32 = p.read_struct(tv)?;
        if v.tv_usec < 0 || v.tv_usec > 1_000_000 {
            return Err(Errno::EINVAL);
        }
        Some(libc::timeval {
            tv_sec: v.tv_sec as i64,
            tv_usec: v.tv_usec as i64,
        })
    } else {
        None
    };
    let z = if tz != 0 {
        let v: Timezone = p.read_struct(tz)?;
        Some([v.tz_minuteswest, v.tz_dsttime])
    } else {
        None
    };
    let tp = t.as_ref().map_or(std::ptr::null(), |x| x as *const _);
    let zp = z.as_ref().map_or(std::ptr::null(), |x| x.as_ptr());
    hret(unsafe { libc::syscall(libc::SYS_settimeofday, tp, zp) })
}

fn clock_gettime(p: &mut Task, clk: u32, tp: u32, wide: bool) -> SysResult {
    let c = host_clock(p, clk)?;
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    hret(unsafe { libc::syscall(libc::SYS_clock_gettime, c, &mut t) })?;
    put_ts(p, tp, host_ts(&t), wide)?;
    Ok(0)
}

pub fn sys_clock_gettime(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_gettime(p, clk, tp, false)
}

pub fn sys_clock_gettime64(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_gettime(p, clk, tp, true)
}

fn clock_settime(p: &mut Task, clk: u32, tp: u32, wide: bool) -> SysResult {
    let t = get_ts(p, tp, wide)?;
    let c = host_clock(p, clk)?;
    hret(unsafe { libc::syscall(libc::SYS_clock_settime, c, &t) })
}

pub fn sys_clock_settime(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_settime(p, clk, tp, false)
}

pub fn sys_clock_settime64(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_settime(p, clk, tp, true)
}

fn clock_getres(p: &mut Task, clk: u32, tp: u32, wide: bool) -> SysResult {
    let c = host_clock(p, clk)?;
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    hret(unsafe { libc::syscall(libc::SYS_clock_getres, c, &mut t) })?;
    if tp != 0 {
        put_ts(p, tp, host_ts(&t), wide)?;
    }
    Ok(0)
}

pub fn sys_clock_getres(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_getres(p, clk, tp, false)
}

pub fn sys_clock_getres_time64(p: &mut Task, clk: u32, tp: u32) -> SysResult {
    clock_getres(p, clk, tp, true)
}

// ---- sleeping ----
//
// A relative sleep becomes a sleep until an absolute deadline, so that an
// interrupted one can go on through restart_syscall (ERESTART_RESTARTBLOCK,
// hrtimer_nanosleep_restart) and tell the time left.

fn now(clock: i32) -> (i64, i64) {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(clock, &mut t) };
    (t.tv_sec, t.tv_nsec)
}

fn add(a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    let mut s = a.0.saturating_add(b.0);
    let mut n = a.1 + b.1;
    if n >= NSEC_PER_SEC {
        n -= NSEC_PER_SEC;
        s = s.saturating_add(1);
    }
    (s, n)
}

fn sub(a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    let mut s = a.0 - b.0;
    let mut n = a.1 - b.1;
    if n < 0 {
        n += NSEC_PER_SEC;
        s -= 1;
    }
    if s < 0 {
        (0, 0)
    } else {
        (s, n)
    }
}

/// Sleep on `clock` until `deadline`; interrupted by a guest signal, the
/// time left goes to `rmtp` and the sleep is set up to be restarted.
pub(super) fn sleep_until(
    p: &mut Task,
    clock: i32,
    deadline: (i64, i64),
    rmtp: u32,
    wide: bool,
) -> SysResult {
    let t = libc::timespec {
        tv_sec: deadline.0,
        tv_nsec: deadline.1,
    };
    loop {
        let r = p.blocking(
            libc::SYS_clock_nanosleep,
            [
                clock as i64,
                libc::TIMER_ABSTIME as i64,
                &t as *const libc::timespec as i64,
                0,
                0,
                0,
            ],
        );
        match r {
            Ok(_) => return Ok(0),
            Err(Errno::EINTR) if super::signal::signal_pending(p) => {
                if rmtp != 0 {
                    put_ts(p, rmtp, sub(deadline, now(clock)), wide)?;
                }
                p.sig.restart = super::signal::Restart::Sleep {
                    clock,
                    deadline,
                    rmtp,
                    wide,
                };
                return Err(Errno::ERESTART_RESTARTBLOCK);
            }
            Err(Errno::EINTR) if !super::exit::killed(p) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn clock_nanosleep(p: &mut Task, clk: u32, flags: u32, rq: u32, rm: u32, wide: bool) -> SysResult {
    let t = get_ts(p, rq, wide)?;
    if t.tv_sec < 0 || !(0..NSEC_PER_SEC).contains(&t.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let c = host_clock(p, clk)?;
    if flags & TIMER_ABSTIME != 0 {
        // An absolute sleep needs no time left: it is simply restarted.
        let r = p.blocking(
            libc::SYS_clock_nanosleep,
            [
                c as i64,
                libc::TIMER_ABSTIME as i64,
                &t as *const libc::timespec as i64,
                0,
                0,
                0,
            ],
        );
        return match r {
            Err(Errno::EINTR) if super::signal::signal_pending(p) => Err(Errno::ERESTARTNOHAND),
            r => r.map(|v| v as u32),
        };
    }
    // Check the clock as the kernel would before sleeping on it.
    let mut probe = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    if unsafe { libc::clock_gettime(c, &mut probe) } != 0 {
        return Err(Errno::last());
    }
    sleep_until(p, c, add(now(c), (t.tv_sec, t.tv_nsec)), rm, wide)
}

pub fn sys_clock_nanosleep(p: &mut Task, clk: u32, flags: u32, rq: u32, rm: u32) -> SysResult {
    clock_nanosleep(p, clk, flags, rq, rm, false)
}

pub fn sys_clock_nanosleep_time64(
    p: &mut Task,
    clk: u32,
    flags: u32,
    rq: u32,
    rm: u32,
) -> SysResult {
    clock_nanosleep(p, clk, flags, rq, rm, true)
}

pub fn sys_nanosleep(p: &mut Task, rq: u32, rm: u32) -> SysResult {
    clock_nanosleep(p, CLOCK_MONOTONIC, 0, rq, rm, false)
}

// ---- process times ----

pub fn sys_times(p: &mut Task, buf: u32) -> SysResult {
    let mut t = libc::tms {
        tms_utime: 0,
        tms_stime: 0,
        tms_cutime: 0,
        tms_cstime: 0,
    };
    let r = unsafe { libc::syscall(libc::SYS_times, &mut t) };
    if buf != 0 {
        p.write_struct(
            buf,
            &Tms {
                tms_utime: t.tms_utime as i32,
                tms_stime: t.tms_stime as i32,
                tms_cutime: t.tms_cutime as i32,
                tms_cstime: t.tms_cstime as i32,
            },
        )?;
    }
    // The clock_t return value, truncated to 32 bits (it may look negative).
    Ok(r as u32)
}

pub fn sys_getrusage(p: &mut Task, who: u32, ru: u32) -> SysResult {
    let w = who as i32;
    if !matches!(
        w,
        libc::RUSAGE_SELF | libc::RUSAGE_CHILDREN | libc::RUSAGE_THREAD
    ) {
        return Err(Errno::EINVAL);
    }
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    hret(unsafe { libc::syscall(libc::SYS_getrusage, w, &mut r) })?;
    p.write_struct(ru, &Rusage32::from_host(&r))?;
    Ok(0)
}

// ---- clock adjustment ----

fn timex_to_host(t: &Timex32) -> libc::timex {
    let mut h: libc::timex = unsafe { std::mem::zeroed() };
    h.modes = t.modes;
    h.offset = t.offset as i64;
    h.freq = t.freq as i64;
    h.maxerror = t.maxerror as i64;
    h.esterror = t.esterror as i64;
    h.status = t.status;
    h.constant = t.constant as i64;
    h.precision = t.precision as i64;
    h.tolerance = t.tolerance as i64;
    h.time.tv_sec = t.time.tv_sec as i64;
    h.time.tv_usec = t.time.tv_usec as i64;
    h.tick = t.tick as i64;
    h.ppsfreq = t.ppsfreq as i64;
    h.jitter = t.jitter as i64;
    h.shift = t.shift;
    h.stabil = t.stabil as i64;
    h.jitcnt = t.jitcnt as i64;
    h.calcnt = t.calcnt as i64;
    h.errcnt = t.errcnt as i64;
    h.stbcnt = t.stbcnt as i64;
    h.tai = t.tai;
    h
}

fn timex_from_host(h: &libc::timex) -> Timex32 {
    Timex32 {
        modes: h.modes,
        offset: h.offset as i32,
        freq: h.freq as i32,
        maxerror: h.maxerror as i32,
        esterror: h.esterror as i32,
        status: h.status,
        constant: h.constant as i32,
        precision: h.precision as i32,
        tolerance: h.tolerance as i32,
        time: Timeval32 {
            tv_sec: h.time.tv_sec as i32,
            tv_usec: h.time.tv_usec as i32,
        },
        tick: h.tick as i32,
        ppsfreq: h.ppsfreq as i32,
        jitter: h.jitter as i32,
        shift: h.shift,
        stabil: h.stabil as i32,
        jitcnt: h.jitcnt as i32,
        calcnt: h.calcnt as i32,
        errcnt: h.errcnt as i32,
        stbcnt: h.stbcnt as i32,
        tai: h.tai,
        pad: [0; 11],
    }
}

fn adjtime32(p: &mut Task, clk: Option<u32>, buf: u32) -> SysResult {
    let t: Timex32 = p.read_struct(buf)?;
    let mut h = timex_to_host(&t);
    let r = match clk {
        None => unsafe { libc::syscall(libc::SYS_adjtimex, &mut h) },
        Some(c) => {
            let c = host_clock(p, c)?;
            unsafe { libc::syscall(libc::SYS_clock_adjtime, c, &mut h) }
        }
    };
    let state = hret(r)?;
    p.write_struct(buf, &timex_from_host(&h))?;
    Ok(state)
}

pub fn sys_adjtimex(p: &mut Task, buf: u32) -> SysResult {
    adjtime32(p, None, buf)
}

pub fn sys_clock_adjtime(p: &mut Task, clk: u32, buf: u32) -> SysResult {
    adjtime32(p, Some(clk), buf)
}

/// clock_adjtime64: `struct __kernel_timex` is the host's struct timex.
pub fn sys_clock_adjtime64(p: &mut Task, clk: u32, buf: u32) -> SysResult {
    let mut b = [0u8; KERNEL_TIMEX_SIZE];
    p.read_user(buf, &mut b)?;
    let c = host_clock(p, clk)?;
    let state = hret(unsafe { libc::syscall(libc::SYS_clock_adjtime, c, b.as_mut_ptr()) })?;
    p.write_user(buf, &b)?;
    Ok(state)
}

// ---- sched_rr_get_interval ----

fn rr_interval(p: &mut Task, pid: u32, tp: u32, wide: bool) -> SysResult {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    hret(unsafe { libc::syscall(libc::SYS_sched_rr_get_interval, pid as i32, &mut t) })?;
    put_ts(p, tp, host_ts(&t), wide)?;
    Ok(0)
}

pub fn sys_sched_rr_get_interval(p: &mut Task, pid: u32, tp: u32) -> SysResult {
    rr_interval(p, pid, tp, false)
}

pub fn sys_sched_rr_get_interval_time64(p: &mut Task, pid: u32, tp: u32) -> SysResult {
    rr_interval(p, pid, tp, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timex_round_trip() {
        let t = Timex32 {
            modes: 0,
            offset: -5,
            freq: 123,
            status: 0x40,
            tick: 10000,
            tai: 37,
            time: Timeval32 {
                tv_sec: 1_700_000_000,
                tv_usec: 999_999,
            },
            ..Timex32::default()
        };
        assert_eq!(timex_from_host(&timex_to_host(&t)), t);
    }
}
