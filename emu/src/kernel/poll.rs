//! Waiting for descriptors: poll/ppoll, select/_newselect/pselect6 (i386
//! `fd_set` of 32-bit words, all built on the host's ppoll), epoll and
//! eventfd.
//!
//! The guest's signal mask arguments (ppoll, pselect6, epoll_pwait) are in
//! force for the wait ([`super::signal::with_temp_mask`]). The waits are
//! host calls a guest signal interrupts ([`Task::blocking`]).

use super::abi::errno::Errno;
use super::abi::fs::{EpollEvent, PollFd, SelArg, Timespec32, Timespec64, Timeval32};
use super::fs::{hres, hret};
use super::syscall::SysResult;
use super::task::Task;

/// A host fd that is never open: host poll reports POLLNVAL for it.
const NOT_OPEN: i32 = i32::MAX;

/// Size of the kernel's sigset_t for the guest (64 signals).
const SIGSET_SIZE: u32 = 8;

fn now() -> libc::timespec {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t
}

fn ns(t: &libc::timespec) -> i128 {
    t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128
}

fn from_ns(v: i128) -> libc::timespec {
    let v = v.max(0);
    libc::timespec {
        tv_sec: (v / 1_000_000_000).min(i64::MAX as i128) as i64,
        tv_nsec: (v % 1_000_000_000) as i64,
    }
}

/// A relative timeout and the absolute monotonic deadline it implies.
#[derive(Clone, Copy)]
struct Timeout {
    rel: libc::timespec,
    end: i128,
}

impl Timeout {
    fn new(rel: libc::timespec) -> Timeout {
        Timeout {
            rel,
            end: ns(&now()) + ns(&rel),
        }
    }
    /// Time left (zero once past the deadline).
    fn left(&self) -> libc::timespec {
        from_ns(self.end - ns(&now()))
    }
}

/// Host ppoll over already-translated pollfds.
fn host_ppoll(p: &Task, fds: &mut [libc::pollfd], to: Option<&Timeout>) -> Result<i64, Errno> {
    let ts = to.map(|t| t.rel);
    let tsp = ts.as_ref().map_or(0, |t| t as *const libc::timespec as i64);
    p.blocking(
        libc::SYS_ppoll,
        [fds.as_mut_ptr() as i64, fds.len() as i64, tsp, 0, 8, 0],
    )
}

// --- poll ------------------------------------------------------------------------------

fn do_poll(p: &mut Task, ufds: u32, nfds: u32, to: Option<Timeout>) -> SysResult {
    if nfds > p.files().nofile_limit() {
        return Err(Errno::EINVAL);
    }
    let mut g: Vec<PollFd> = vec![PollFd::default(); nfds as usize];
    p.read_user(ufds, bytemuck::cast_slice_mut(&mut g))?;
    let mut h: Vec<libc::pollfd> = g
        .iter()
        .map(|e| libc::pollfd {
            fd: if e.fd < 0 {
                -1
            } else {
                p.files().host(e.fd as u32).unwrap_or(NOT_OPEN)
            },
            events: e.events,
            revents: 0,
        })
        .collect();
    let n = host_ppoll(p, &mut h, to.as_ref())?;
    for (ge, he) in g.iter_mut().zip(&h) {
        ge.revents = he.revents;
    }
    p.write_user(ufds, bytemuck::cast_slice(&g))?;
    Ok(n as u32)
}

fn ms_timeout(ms: i32) -> Option<Timeout> {
    if ms < 0 {
        None
    } else {
        Some(Timeout::new(libc::timespec {
            tv_sec: (ms / 1000) as i64,
            tv_nsec: (ms % 1000) as i64 * 1_000_000,
        }))
    }
}

pub fn sys_poll(p: &mut Task, ufds: u32, nfds: u32, timeout: u32) -> SysResult {
    do_poll(p, ufds, nfds, ms_timeout(timeout as i32))
}

/// A sigmask argument: none, or the mask at `mask` (EINVAL unless `size`
/// is the kernel's sigset size).
fn read_sigmask(p: &mut Task, mask: u32, size: u32) -> Result<Option<u64>, Errno> {
    if mask == 0 {
        return Ok(None);
    }
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let m: [u32; 2] = p.read_struct(mask)?;
    Ok(Some(m[0] as u64 | (m[1] as u64) << 32))
}

/// A guest timespec (32-bit or time64) that must be a valid duration.
fn read_timespec(p: &mut Task, addr: u32, wide: bool) -> Result<libc::timespec, Errno> {
    let t = super::time::get_ts(p, addr, wide)?;
    if t.tv_sec < 0 || !(0..1_000_000_000).contains(&t.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(t)
}

/// Write the time left back (errors ignored, as Linux does).
fn write_timespec(p: &mut Task, addr: u32, t: &libc::timespec, wide: bool) {
    let _ = if wide {
        p.write_struct(
            addr,
            &Timespec64 {
                tv_sec: t.tv_sec,
                tv_nsec: t.tv_nsec,
            },
        )
    } else {
        p.write_struct(
            addr,
            &Timespec32 {
                tv_sec: t.tv_sec as i32,
                tv_nsec: t.tv_nsec as i32,
            },
        )
    };
}

/// The timeout a (possibly null) timespec pointer gives: None waits forever.
fn opt_timeout(p: &mut Task, tsp: u32, wide: bool) -> Result<Option<Timeout>, Errno> {
    if tsp == 0 {
        return Ok(None);
    }
    Ok(Some(Timeout::new(read_timespec(p, tsp, wide)?)))
}

fn do_ppoll(
    p: &mut Task,
    ufds: u32,
    nfds: u32,
    tsp: u32,
    sigmask: u32,
    size: u32,
    wide: bool,
) -> SysResult {
    let to = opt_timeout(p, tsp, wide)?;
    let mask = read_sigmask(p, sigmask, size)?;
    let r = super::signal::with_temp_mask(p, mask, |p| do_poll(p, ufds, nfds, to));
    if let (Some(t), true) = (to, tsp != 0) {
        if !matches!(r, Err(Errno::EFAULT)) {
            write_timespec(p, tsp, &t.left(), wide);
        }
    }
    r
}

pub fn sys_ppoll(
    p: &mut Task,
    ufds: u32,
    nfds: u32,
    tsp: u32,
    sigmask: u32,
    size: u32,
) -> SysResult {
    do_ppoll(p, ufds, nfds, tsp, sigmask, size, false)
}

pub fn sys_ppoll_time64(
    p: &mut Task,
    ufds: u32,
    nfds: u32,
    tsp: u32,
    sigmask: u32,
    size: u32,
) -> SysResult {
    do_ppoll(p, ufds, nfds, tsp, sigmask, size, true)
}

// --- select -----------------------------------------------------------------------------

const POLLIN_SET: i16 =
    libc::POLLIN | libc::POLLRDNORM | libc::POLLRDBAND | libc::POLLHUP | libc::POLLERR;
const POLLOUT_SET: i16 = libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND | libc::POLLERR;
const POLLEX_SET: i16 = libc::POLLPRI;

/// The kernel trims select's `n` to the size of the fd table; a table
/// holds at least BITS_PER_LONG (64 on the host) descriptors and grows in
/// powers of two.
fn fdtable_size(p: &Task) -> u32 {
    let maxfd = p.files().open_fds().last().unwrap_or(0);
    if maxfd < 64 {
        64
    } else {
        (maxfd + 1).next_power_of_two().max(128)
    }
}

fn read_set(p: &mut Task, addr: u32, words: usize) -> Result<Vec<u32>, Errno> {
    let mut v = vec![0u32; words];
    if addr != 0 {
        p.read_user(addr, bytemuck::cast_slice_mut(&mut v))?;
    }
    Ok(v)
}

fn do_select(
    p: &mut Task,
    n: u32,
    inp: u32,
    outp: u32,
    exp: u32,
    to: Option<Timeout>,
) -> SysResult {
    if (n as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let n = n.min(fdtable_size(p));
    let words = n.div_ceil(32) as usize;
    let sets = [
        read_set(p, inp, words)?,
        read_set(p, outp, words)?,
        read_set(p, exp, words)?,
    ];
    let bit = |s: &Vec<u32>, k: u32| s[(k / 32) as usize] >> (k % 32) & 1 != 0;
    let mut fds: Vec<(u32, libc::pollfd)> = Vec::new();
    for k in 0..n {
        let (i, o, e) = (bit(&sets[0], k), bit(&sets[1], k), bit(&sets[2], k));
        if !(i || o || e) {
            continue;
        }
        let h = p.files().host(k)?;
        let mut ev = 0;
        if i {
            ev |= libc::POLLIN | libc::POLLRDNORM | libc::POLLRDBAND;
        }
        if o {
            ev |= libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND;
        }
        if e {
            ev |= libc::POLLPRI;
        }
        fds.push((
            k,
            libc::pollfd {
                fd: h,
                events: ev,
                revents: 0,
            },
        ));
    }
    let mut hp: Vec<libc::pollfd> = fds.iter().map(|f| f.1).collect();
    host_ppoll(p, &mut hp, to.as_ref())?;
    let mut res = [vec![0u32; words], vec![0u32; words], vec![0u32; words]];
    let mut count = 0u32;
    for ((k, _), h) in fds.iter().zip(&hp) {
        let k = *k;
        let w = (k / 32) as usize;
        let b = 1u32 << (k % 32);
        for (s, mask) in [(0, POLLIN_SET), (1, POLLOUT_SET), (2, POLLEX_SET)] {
            if sets[s][w] & b != 0 && h.revents & mask != 0 {
                res[s][w] |= b;
                count += 1;
            }
        }
    }
    for (s, addr) in [inp, outp, exp].into_iter().enumerate() {
        if addr != 0 {
            p.write_user(addr, bytemuck::cast_slice(&res[s]))?;
        }
    }
    Ok(count)
}

fn select_timeval(p: &mut Task, n: u32, inp: u32, outp: u32, exp: u32, tvp: u32) -> SysResult {
    let to = if tvp == 0 {
        None
    } else {
        let tv: Timeval32 = p.read_struct(tvp)?;
        // Normalised like poll_select_set_timeout after the division.
        let sec = tv.tv_sec as i64 + (tv.tv_usec / 1_000_000) as i64;
        let nsec = (tv.tv_usec % 1_000_000) as i64 * 1000;
        if sec < 0 || nsec < 0 {
            return Err(Errno::EINVAL);
        }
        Some(Timeout::new(libc::timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        }))
    };
    let r = do_select(p, n, inp, outp, exp, to);
    if let Some(t) = to {
        if !matches!(
            r,
            Err(Errno::EFAULT) | Err(Errno::EBADF) | Err(Errno::EINVAL)
        ) {
            let l = t.left();
            let _ = p.write_struct(
                tvp,
                &Timeval32 {
                    tv_sec: l.tv_sec as i32,
                    tv_usec: (l.tv_nsec / 1000) as i32,
                },
            );
        }
    }
    r
}

pub fn sys_newselect(p: &mut Task, n: u32, inp: u32, outp: u32, exp: u32, tvp: u32) -> SysResult {
    select_timeval(p, n, inp, outp, exp, tvp)
}

/// select (82): old_select, the arguments in a struct.
pub fn sys_old_select(p: &mut Task, args: u32) -> SysResult {
    let a: SelArg = p.read_struct(args)?;
    select_timeval(p, a.n, a.inp, a.outp, a.exp, a.tvp)
}

#[allow(clippy::too_many_arguments)]
fn do_pselect(
    p: &mut Task,
    n: u32,
    inp: u32,
    outp: u32,
    exp: u32,
    tsp: u32,
    sig: u32,
    wide: bool,
) -> SysResult {
    let to = opt_timeout(p, tsp, wide)?;
    let mask = if sig != 0 {
        let s: [u32; 2] = p.read_struct(sig)?;
        read_sigmask(p, s[0], s[1])?
    } else {
        None
    };
    let r = super::signal::with_temp_mask(p, mask, |p| do_select(p, n, inp, outp, exp, to));
    if let Some(t) = to {
        if !matches!(
            r,
            Err(Errno::EFAULT) | Err(Errno::EBADF) | Err(Errno::EINVAL)
        ) {
            write_timespec(p, tsp, &t.left(), wide);
        }
    }
    r
}

pub fn sys_pselect6(
    p: &mut Task,
    n: u32,
    inp: u32,
    outp: u32,
    exp: u32,
    tsp: u32,
    sig: u32,
) -> SysResult {
    do_pselect(p, n, inp, outp, exp, tsp, sig, false)
}

pub fn sys_pselect6_time64(
    p: &mut Task,
    n: u32,
    inp: u32,
    outp: u32,
    exp: u32,
    tsp: u32,
    sig: u32,
) -> SysResult {
    do_pselect(p, n, inp, outp, exp, tsp, sig, true)
}

// --- epoll ------------------------------------------------------------------------------

const EPOLL_CLOEXEC: u32 = super::abi::fs::o::CLOEXEC;
/// Most events one epoll_wait returns (INT_MAX / sizeof(struct epoll_event)).
const EP_MAX_EVENTS: u32 = (i32::MAX as u32) / 12;

pub fn sys_epoll_create(p: &mut Task, size: u32) -> SysResult {
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    sys_epoll_create1(p, 0)
}

pub fn sys_epoll_create1(p: &mut Task, flags: u32) -> SysResult {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let h = hres(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } as i64)? as i32;
    p.files().install_host(h, flags & EPOLL_CLOEXEC != 0)
}

pub fn sys_epoll_ctl(p: &mut Task, epfd: u32, op: u32, fd: u32, event: u32) -> SysResult {
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    let has_event = op != libc::EPOLL_CTL_DEL as u32;
    if has_event {
        let g: EpollEvent = p.read_struct(event)?;
        ev.events = g.events;
        ev.u64 = g.data;
    }
    let he = p.files().host(epfd)?;
    let hf = p.files().host(fd)?;
    hret(unsafe { libc::epoll_ctl(he, op as i32, hf, &mut ev) } as i64)
}

fn do_epoll_wait(
    p: &mut Task,
    epfd: u32,
    events: u32,
    maxevents: u32,
    to: Option<Timeout>,
) -> SysResult {
    if maxevents as i32 <= 0 || maxevents > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let he = p.files().host(epfd)?;
    let cap = maxevents.min(1024) as usize;
    let mut hv: Vec<libc::epoll_event> = vec![libc::epoll_event { events: 0, u64: 0 }; cap];
    let tsp = to
        .as_ref()
        .map_or(0, |t| &t.rel as *const libc::timespec as i64);
    let n = p.blocking(
        libc::SYS_epoll_pwait2,
        [he as i64, hv.as_mut_ptr() as i64, cap as i64, tsp, 0, 0],
    )? as usize;
    let g: Vec<EpollEvent> = hv[..n]
        .iter()
        .map(|e| EpollEvent {
            events: e.events,
            data: e.u64,
        })
        .collect();
    p.write_user(events, bytemuck::cast_slice(&g))?;
    Ok(n as u32)
}

pub fn sys_epoll_wait(
    p: &mut Task,
    epfd: u32,
    events: u32,
    maxevents: u32,
    timeout: u32,
) -> SysResult {
    do_epoll_wait(p, epfd, events, maxevents, ms_timeout(timeout as i32))
}

pub fn sys_epoll_pwait(
    p: &mut Task,
    epfd: u32,
    events: u32,
    maxevents: u32,
    timeout: u32,
    sigmask: u32,
    size: u32,
) -> SysResult {
    let mask = read_sigmask(p, sigmask, size)?;
    let to = ms_timeout(timeout as i32);
    super::signal::with_temp_mask(p, mask, |p| do_epoll_wait(p, epfd, events, maxevents, to))
}

pub fn sys_epoll_pwait2(
    p: &mut Task,
    epfd: u32,
    events: u32,
    maxevents: u32,
    tsp: u32,
    sigmask: u32,
    size: u32,
) -> SysResult {
    let to = opt_timeout(p, tsp, true)?;
    let mask = read_sigmask(p, sigmask, size)?;
    super::signal::with_temp_mask(p, mask, |p| do_epoll_wait(p, epfd, events, maxevents, to))
}

// --- eventfd ------------------------------------------------------------------------------

const EFD_SEMAPHORE: u32 = 1;
const EFD_CLOEXEC: u32 = super::abi::fs::o::CLOEXEC;
const EFD_NONBLOCK: u32 = super::abi::fs::o::NONBLOCK;

pub fn sys_eventfd(p: &mut Task, count: u32) -> SysResult {
    sys_eventfd2(p, count, 0)
}

pub fn sys_eventfd2(p: &mut Task, count: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut hf = libc::EFD_CLOEXEC;
    if flags & EFD_SEMAPHORE != 0 {
        hf |= libc::EFD_SEMAPHORE;
    }
    if flags & EFD_NONBLOCK != 0 {
        hf |= libc::EFD_NONBLOCK;
    }
    let h = hres(unsafe { libc::eventfd(count, hf) } as i64)? as i32;
    p.files().install_host(h, flags & EFD_CLOEXEC != 0)
}
