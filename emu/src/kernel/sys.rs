//! Identity and system information: ids (32- and 16-bit), uname, sysinfo,
//! getrandom, prctl, personality, resource limits, priorities and
//! scheduling, and the per-thread addresses glibc registers at startup
//! (set_tid_address, set_robust_list, rseq).
//!
//! The guest is one host process, so ids, priorities, affinity and
//! credentials are the host's (host pids are the guest's pids) and most
//! calls pass straight through as raw host syscalls, with the i386 structs
//! and the compat layer's conversions (16-bit ids with the 65534 overflow
//! id, RLIM_INFINITY folding, the 32-bit sysinfo scaling) done here.
//! Limits that describe the guest's own memory (RLIMIT_AS, DATA, STACK,
//! RSS, MEMLOCK) are emulated: setting them must not constrain the
//! emulator's 4 GiB host reservation; [`super::mm`] enforces them.

use super::abi::errno::Errno;
use super::abi::sys::{self as asys, per, pr, rlimit, Rlimit32, Rlimit64};
use super::fs::hret;
use super::syscall::SysResult;
use super::task::lock;
use super::task::Task;

pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_IPC_LOCK: u32 = 14;
pub const CAP_SYS_RAWIO: u32 = 17;
pub const CAP_SYS_NICE: u32 = 23;
pub const CAP_SYS_RESOURCE: u32 = 24;

/// overflowuid / overflowgid: what 16-bit id calls show for ids > 65535.
pub const OVERFLOW_ID: u32 = 65534;
/// NGROUPS_MAX.
pub const NGROUPS_MAX: u32 = 65536;

/// One resource limit (u64::MAX is RLIM_INFINITY).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlim {
    pub cur: u64,
    pub max: u64,
}

/// The resource limits of a thread group (`signal->rlim`): the emulated
/// ones (see `emulated`) are kept here; the others are the host's.
#[derive(Clone, Debug)]
pub struct Rlimits {
    rlim: [Rlim; 16],
}

/// The personality a new program starts with: PER_LINUX32 |
/// ADDR_NO_RANDOMIZE, plus READ_IMPLIES_EXEC for a program without
/// PT_GNU_STACK (as under `setarch i686 -R`), plus ADDR_COMPAT_LAYOUT when
/// emu itself runs with it (`setarch -L emu ...`: [`host_compat_layout`]).
pub fn initial_personality(read_implies_exec: bool, compat_layout: bool) -> u32 {
    let mut personality = per::PER_LINUX32 | per::ADDR_NO_RANDOMIZE;
    if read_implies_exec {
        personality |= per::READ_IMPLIES_EXEC;
    }
    if compat_layout {
        personality |= per::ADDR_COMPAT_LAYOUT;
    }
    personality
}

/// Whether emu runs with the ADDR_COMPAT_LAYOUT personality (the legacy
/// bottom-up layout, `setarch -L`), which the first program inherits.
pub fn host_compat_layout() -> bool {
    let cur = unsafe { libc::personality(0xffff_ffff) };
    cur != -1 && cur & libc::ADDR_COMPAT_LAYOUT != 0
}

/// The host's integer setting `/proc/sys/NAME` (`vm/max_map_count`);
/// None when it cannot be read.
pub fn host_sysctl(name: &str) -> Option<u64> {
    use std::io::Read;
    // One read: an integer setting fits, and procfs gives it whole
    // (read_to_string would stat the file and read again for the end).
    let mut f = std::fs::File::open(format!("/proc/sys/{name}")).ok()?;
    let mut buf = [0u8; 32];
    let n = f.read(&mut buf).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

/// Limits kept only in the emulator (they describe guest memory, or the
/// guest's own descriptor table).
fn emulated(res: u32) -> bool {
    matches!(
        res,
        rlimit::DATA | rlimit::STACK | rlimit::RSS | rlimit::MEMLOCK | rlimit::AS | rlimit::NOFILE
    )
}

fn host_rlimit(res: u32) -> Rlim {
    let mut r = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    unsafe { libc::getrlimit(res as _, &mut r) };
    let f = |v: libc::rlim_t| {
        if v == libc::RLIM_INFINITY {
            u64::MAX
        } else {
            v
        }
    };
    Rlim {
        cur: f(r.rlim_cur),
        max: f(r.rlim_max),
    }
}

impl Rlimits {
    /// The limits the emulator process was started with.
    pub fn from_host() -> Rlimits {
        let mut rlim = [Rlim { cur: 0, max: 0 }; 16];
        for (k, r) in rlim.iter_mut().enumerate() {
            *r = host_rlimit(k as u32);
        }
        Rlimits { rlim }
    }

    /// A resource limit (`res` < 16).
    pub fn get(&self, res: u32) -> Rlim {
        let r = res as usize & 15;
        if emulated(res) {
            self.rlim[r]
        } else {
            host_rlimit(res)
        }
    }
}

/// The host process has capability `cap` in its effective set.
pub fn capable(cap: u32) -> bool {
    #[repr(C)]
    struct Hdr {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut h = Hdr {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut d = [Data::default(); 2];
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) };
    if r != 0 {
        return unsafe { libc::geteuid() } == 0;
    }
    let i = (cap / 32) as usize;
    i < 2 && d[i].effective & (1 << (cap % 32)) != 0
}

macro_rules! sc {
    ($nr:expr $(, $a:expr)*) => {
        hret(unsafe { libc::syscall($nr $(, $a as libc::c_long)*) })
    };
}

// ---- process ids ----

pub fn sys_getppid(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_getppid)
}

pub fn sys_getpid(p: &mut Task) -> SysResult {
    Ok(p.pid)
}

pub fn sys_gettid(p: &mut Task) -> SysResult {
    Ok(p.tid)
}

pub fn sys_getpgrp(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_getpgid, 0)
}

pub fn sys_getpgid(_p: &mut Task, pid: u32) -> SysResult {
    sc!(libc::SYS_getpgid, pid as i32)
}

pub fn sys_getsid(_p: &mut Task, pid: u32) -> SysResult {
    sc!(libc::SYS_getsid, pid as i32)
}

pub fn sys_setpgid(_p: &mut Task, pid: u32, pgid: u32) -> SysResult {
    sc!(libc::SYS_setpgid, pid as i32, pgid as i32)
}

pub fn sys_setsid(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_setsid)
}

// ---- user and group ids ----

/// high2lowuid: a 32-bit id as a 16-bit call returns it.
fn high2low(id: u32) -> u32 {
    if id & !0xffff != 0 {
        OVERFLOW_ID
    } else {
        id
    }
}

/// low2highuid: a 16-bit argument, with (u16)-1 meaning "unchanged".
fn low2high(id: u32) -> u32 {
    let id = id & 0xffff;
    if id == 0xffff {
        u32::MAX
    } else {
        id
    }
}

pub fn sys_getuid32(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_getuid)
}
pub fn sys_geteuid32(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_geteuid)
}
pub fn sys_getgid32(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_getgid)
}
pub fn sys_getegid32(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_getegid)
}
pub fn sys_getuid(p: &mut Task) -> SysResult {
    sys_getuid32(p).map(high2low)
}
pub fn sys_geteuid(p: &mut Task) -> SysResult {
    sys_geteuid32(p).map(high2low)
}
pub fn sys_getgid(p: &mut Task) -> SysResult {
    sys_getgid32(p).map(high2low)
}
pub fn sys_getegid(p: &mut Task) -> SysResult {
    sys_getegid32(p).map(high2low)
}

pub fn sys_setuid32(_p: &mut Task, uid: u32) -> SysResult {
    sc!(libc::SYS_setuid, uid)
}
pub fn sys_setgid32(_p: &mut Task, gid: u32) -> SysResult {
    sc!(libc::SYS_setgid, gid)
}
pub fn sys_setuid(p: &mut Task, uid: u32) -> SysResult {
    sys_setuid32(p, low2high(uid))
}
pub fn sys_setgid(p: &mut Task, gid: u32) -> SysResult {
    sys_setgid32(p, low2high(gid))
}
pub fn sys_setreuid32(_p: &mut Task, r: u32, e: u32) -> SysResult {
    sc!(libc::SYS_setreuid, r, e)
}
pub fn sys_setregid32(_p: &mut Task, r: u32, e: u32) -> SysResult {
    sc!(libc::SYS_setregid, r, e)
}
pub fn sys_setreuid(p: &mut Task, r: u32, e: u32) -> SysResult {
    sys_setreuid32(p, low2high(r), low2high(e))
}
pub fn sys_setregid(p: &mut Task, r: u32, e: u32) -> SysResult {
    sys_setregid32(p, low2high(r), low2high(e))
}
pub fn sys_setresuid32(_p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    sc!(libc::SYS_setresuid, r, e, s)
}
pub fn sys_setresgid32(_p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    sc!(libc::SYS_setresgid, r, e, s)
}
pub fn sys_setresuid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    sys_setresuid32(p, low2high(r), low2high(e), low2high(s))
}
pub fn sys_setresgid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    sys_setresgid32(p, low2high(r), low2high(e), low2high(s))
}
pub fn sys_setfsuid32(_p: &mut Task, id: u32) -> SysResult {
    sc!(libc::SYS_setfsuid, id)
}
pub fn sys_setfsgid32(_p: &mut Task, id: u32) -> SysResult {
    sc!(libc::SYS_setfsgid, id)
}
pub fn sys_setfsuid(p: &mut Task, id: u32) -> SysResult {
    sys_setfsuid32(p, low2high(id))
}
pub fn sys_setfsgid(p: &mut Task, id: u32) -> SysResult {
    sys_setfsgid32(p, low2high(id))
}

fn getres(gid: bool) -> Result<[u32; 3], Errno> {
    let mut v = [0u32; 3];
    let nr = if gid {
        libc::SYS_getresgid
    } else {
        libc::SYS_getresuid
    };
    let (a, b, c) = (v.as_mut_ptr(), unsafe { v.as_mut_ptr().add(1) }, unsafe {
        v.as_mut_ptr().add(2)
    });
    hret(unsafe { libc::syscall(nr, a, b, c) })?;
    Ok(v)
}

fn put_res(p: &mut Task, ptrs: [u32; 3], v: [u32; 3], wide: bool) -> SysResult {
    for (ptr, id) in ptrs.into_iter().zip(v) {
        if wide {
            p.write_u32(ptr, id)?;
        } else {
            p.write_user(ptr, &(high2low(id) as u16).to_le_bytes())?;
        }
    }
    Ok(0)
}

pub fn sys_getresuid32(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let v = getres(false)?;
    put_res(p, [r, e, s], v, true)
}
pub fn sys_getresgid32(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let v = getres(true)?;
    put_res(p, [r, e, s], v, true)
}
pub fn sys_getresuid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let v = getres(false)?;
    put_res(p, [r, e, s], v, false)
}
pub fn sys_getresgid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let v = getres(true)?;
    put_res(p, [r, e, s], v, false)
}

fn host_groups() -> Result<Vec<u32>, Errno> {
    let n = unsafe { libc::syscall(libc::SYS_getgroups, 0, std::ptr::null_mut::<u32>()) };
    if n < 0 {
        return Err(Errno::last());
    }
    let mut v = vec![0u32; n as usize];
    let m = unsafe { libc::syscall(libc::SYS_getgroups, n, v.as_mut_ptr()) };
    if m < 0 {
        return Err(Errno::last());
    }
    v.truncate(m as usize);
    Ok(v)
}

fn getgroups(p: &mut Task, size: u32, list: u32, wide: bool) -> SysResult {
    if (size as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let g = host_groups()?;
    let n = g.len() as u32;
    if size == 0 {
        return Ok(n);
    }
    if n > size {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = if wide {
        g.iter().flat_map(|x| x.to_le_bytes()).collect()
    } else {
        g.iter()
            .flat_map(|x| (high2low(*x) as u16).to_le_bytes())
            .collect()
    };
    p.write_user(list, &bytes)?;
    Ok(n)
}

fn setgroups(p: &mut Task, size: u32, list: u32, wide: bool) -> SysResult {
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let w = if wide { 4 } else { 2 };
    let mut raw = vec![0u8; (size * w) as usize];
    p.read_user(list, &mut raw)?;
    let g: Vec<u32> = if wide {
        raw.chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        raw.chunks(2)
            .map(|c| low2high(u16::from_le_bytes([c[0], c[1]]) as u32))
            .collect()
    };
    sc!(libc::SYS_setgroups, g.len(), g.as_ptr())
}

pub fn sys_getgroups32(p: &mut Task, size: u32, list: u32) -> SysResult {
    getgroups(p, size, list, true)
}
pub fn sys_getgroups(p: &mut Task, size: u32, list: u32) -> SysResult {
    getgroups(p, size, list, false)
}
pub fn sys_setgroups32(p: &mut Task, size: u32, list: u32) -> SysResult {
    setgroups(p, size, list, true)
}
pub fn sys_setgroups(p: &mut Task, size: u32, list: u32) -> SysResult {
    setgroups(p, size, list, false)
}

/// capget/capset: the header and data structs are the same on both ABIs.
pub fn sys_capget(p: &mut Task, hdr: u32, data: u32) -> SysResult {
    let mut h: [u32; 2] = p.read_struct(hdr)?;
    let mut d = [0u32; 6];
    let dp = if data == 0 {
        std::ptr::null_mut()
    } else {
        d.as_mut_ptr()
    };
    let r = unsafe { libc::syscall(libc::SYS_capget, h.as_mut_ptr(), dp) };
    let e = Errno::last();
    p.write_struct(hdr, &h)?;
    if r < 0 {
        return Err(e);
    }
    if data != 0 {
        let n = if h[0] == 0x1998_0330 { 3 } else { 6 };
        let bytes: Vec<u8> = d[..n].iter().flat_map(|x| x.to_le_bytes()).collect();
        p.write_user(data, &bytes)?;
    }
    Ok(0)
}

pub fn sys_capset(p: &mut Task, hdr: u32, data: u32) -> SysResult {
    let mut h: [u32; 2] = p.read_struct(hdr)?;
    let n = if h[0] == 0x1998_0330 { 3 } else { 6 };
    let mut d = [0u32; 6];
    if data != 0 {
        let mut raw = vec![0u8; n * 4];
        p.read_user(data, &mut raw)?;
        for (k, c) in raw.chunks(4).enumerate() {
            d[k] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
    }
    let dp = if data == 0 {
        std::ptr::null_mut()
    } else {
        d.as_mut_ptr()
    };
    let r = unsafe { libc::syscall(libc::SYS_capset, h.as_mut_ptr(), dp) };
    let e = Errno::last();
    if r < 0 {
        if e == Errno::EINVAL {
            let _ = p.write_struct(hdr, &h);
        }
        return Err(e);
    }
    Ok(0)
}

// ---- uname and system information ----

fn host_uname() -> libc::utsname {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    u
}

fn field<const N: usize>(src: &[libc::c_char], max: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (k, c) in src.iter().take(max.min(N)).enumerate() {
        if *c == 0 {
            break;
        }
        out[k] = *c as u8;
    }
    out
}

/// The machine field: "i686" under PER_LINUX32, the host's otherwise.
fn machine<const N: usize>(p: &Task, u: &libc::utsname, max: usize) -> [u8; N] {
    if p.personality & per::PER_MASK == per::PER_LINUX32 {
        let mut out = [0u8; N];
        out[..4].copy_from_slice(b"i686");
        out
    } else {
        field(&u.machine, max)
    }
}

pub fn sys_uname(p: &mut Task, buf: u32) -> SysResult {
    let u = host_uname();
    let n = asys::NewUtsname {
        sysname: field(&u.sysname, 64),
        nodename: field(&u.nodename, 64),
        release: field(&u.release, 64),
        version: field(&u.version, 64),
        machine: machine(p, &u, 64),
        domainname: field(&u.domainname, 64),
    };
    p.write_user(buf, &n.to_bytes())?;
    Ok(0)
}

pub fn sys_olduname(p: &mut Task, buf: u32) -> SysResult {
    let u = host_uname();
    let n = asys::OldUtsname {
        sysname: field(&u.sysname, 64),
        nodename: field(&u.nodename, 64),
        release: field(&u.release, 64),
        version: field(&u.version, 64),
        machine: machine(p, &u, 64),
    };
    p.write_user(buf, &n.to_bytes())?;
    Ok(0)
}

pub fn sys_oldolduname(p: &mut Task, buf: u32) -> SysResult {
    if buf == 0 {
        return Err(Errno::EFAULT);
    }
    let u = host_uname();
    let n = asys::OldOldUtsname {
        sysname: field(&u.sysname, 8),
        nodename: field(&u.nodename, 8),
        release: field(&u.release, 8),
        version: field(&u.version, 8),
        machine: machine(p, &u, 8),
    };
    p.write_user(buf, &n.to_bytes())?;
    Ok(0)
}

fn set_name(p: &mut Task, name: u32, len: u32, nr: libc::c_long) -> SysResult {
    if len > 64 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len as usize];
    p.read_user(name, &mut b)?;
    hret(unsafe { libc::syscall(nr, b.as_ptr(), len as libc::c_long) })
}

pub fn sys_sethostname(p: &mut Task, name: u32, len: u32) -> SysResult {
    set_name(p, name, len, libc::SYS_sethostname)
}

pub fn sys_setdomainname(p: &mut Task, name: u32, len: u32) -> SysResult {
    set_name(p, name, len, libc::SYS_setdomainname)
}

pub fn sys_sysinfo(p: &mut Task, info: u32) -> SysResult {
    let mut s: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut s) } != 0 {
        return Err(Errno::last());
    }
    let mut v = [
        s.totalram as u64,
        s.freeram as u64,
        s.sharedram as u64,
        s.bufferram as u64,
        s.totalswap as u64,
        s.freeswap as u64,
        s.totalhigh as u64,
        s.freehigh as u64,
    ];
    let mut unit = s.mem_unit;
    // compat_sys_sysinfo: scale down when a value does not fit 32 bits.
    if (v[0] >> 32) != 0 || (v[4] >> 32) != 0 {
        let mut bits = 0;
        while unit < 4096 {
            unit <<= 1;
            bits += 1;
        }
        for x in &mut v {
            *x >>= bits;
        }
    }
    let out = asys::Sysinfo32 {
        uptime: s.uptime as i32,
        loads: [s.loads[0] as u32, s.loads[1] as u32, s.loads[2] as u32],
        totalram: v[0] as u32,
        freeram: v[1] as u32,
        sharedram: v[2] as u32,
        bufferram: v[3] as u32,
        totalswap: v[4] as u32,
        freeswap: v[5] as u32,
        procs: s.procs,
        pad: 0,
        totalhigh: v[6] as u32,
        freehigh: v[7] as u32,
        mem_unit: unit,
        f: [0; 8],
    };
    p.write_struct(info, &out)?;
    Ok(0)
}

/// The longest prefix of [addr, addr+len) the guest may write.
fn writable_prefix(p: &Task, addr: u32, len: u32) -> u32 {
    if len == 0 {
        return 0;
    }
    let mut n = 0u32;
    for page in crate::mem::page_range(addr, len) {
        if p.cpu.mem.perm(page) & (crate::mem::P_PRESENT | crate::mem::P_WRITE)
            != crate::mem::P_PRESENT | crate::mem::P_WRITE
        {
            break;
        }
        let pend = ((page as u64 + 1) << 12).min(addr as u64 + len as u64);
        n = (pend - addr as u64) as u32;
    }
    n
}

pub fn sys_getrandom(p: &mut Task, buf: u32, count: u32, flags: u32) -> SysResult {
    // Flags are checked first (by the host, with an empty buffer).
    sc!(libc::SYS_getrandom, 0usize, 0usize, flags)?;
    let count = count.min(i32::MAX as u32).min(super::fs::MAX_IO);
    if count == 0 {
        return Ok(0);
    }
    let n = writable_prefix(p, buf, count);
    if n == 0 {
        return Err(Errno::EFAULT);
    }
    let out = p.user_buf_mut(buf, n)?;
    hret(unsafe { libc::syscall(libc::SYS_getrandom, out, n as usize, flags) })
}

// ---- personality and prctl ----

pub fn sys_personality(p: &mut Task, persona: u32) -> SysResult {
    let old = p.personality;
    if persona != per::QUERY {
        p.personality = persona;
    }
    Ok(old)
}

/// Name the host thread as the guest's comm (what PR_GET_NAME, ps and
/// /proc/self/comm show): the program's base name, 15 bytes at most.
pub fn set_comm(path: &[u8]) {
    let base = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    let mut n = [0u8; 16];
    let l = base.len().min(15);
    n[..l].copy_from_slice(&base[..l]);
    unsafe { libc::prctl(libc::PR_SET_NAME, n.as_ptr()) };
}

pub fn sys_prctl(p: &mut Task, option: u32, a2: u32, a3: u32, a4: u32, a5: u32) -> SysResult {
    let raw = |o: u32, a: u64, b: u64, c: u64, d: u64| -> SysResult {
        hret(unsafe {
            libc::syscall(
                libc::SYS_prctl,
                o as libc::c_long,
                a as libc::c_long,
                b as libc::c_long,
                c as libc::c_long,
                d as libc::c_long,
            )
        })
    };
    let (a2w, a3w, a4w, a5w) = (a2 as u64, a3 as u64, a4 as u64, a5 as u64);
    match option {
        pr::SET_NAME => {
            let mut n = [0u8; 16];
            let s = p.cpu.mem.read_cstr(a2, 16).map_err(|_| Errno::EFAULT)?;
            let l = s.len().min(15);
            n[..l].copy_from_slice(&s[..l]);
            hret(unsafe { libc::syscall(libc::SYS_prctl, libc::PR_SET_NAME, n.as_ptr()) })
        }
        pr::GET_NAME => {
            let mut n = [0u8; 16];
            hret(unsafe { libc::syscall(libc::SYS_prctl, libc::PR_GET_NAME, n.as_mut_ptr()) })?;
            p.write_user(a2, &n)?;
            Ok(0)
        }
        pr::GET_PDEATHSIG | pr::GET_CHILD_SUBREAPER | pr::GET_TSC | pr::GET_IO_FLUSHER => {
            let mut v: i32 = 0;
            hret(unsafe {
                libc::syscall(libc::SYS_prctl, option as libc::c_long, &mut v as *mut i32)
            })?;
            p.write_u32(a2, v as u32)?;
            Ok(0)
        }
        pr::GET_TID_ADDRESS => {
            // A 64-bit kernel stores a full pointer.
            p.write_user(a2, &(p.clear_child_tid as u64).to_le_bytes())?;
            Ok(0)
        }
        pr::SET_PDEATHSIG
        | pr::GET_DUMPABLE
        | pr::SET_DUMPABLE
        | pr::GET_KEEPCAPS
        | pr::SET_KEEPCAPS
        | pr::GET_TIMING
        | pr::SET_TIMING
        | pr::GET_SECCOMP
        | pr::CAPBSET_READ
        | pr::CAPBSET_DROP
        | pr::SET_TSC
        | pr::GET_SECUREBITS
        | pr::SET_SECUREBITS
        | pr::SET_TIMERSLACK
        | pr::GET_TIMERSLACK
        | pr::MCE_KILL
        | pr::MCE_KILL_GET
        | pr::SET_CHILD_SUBREAPER
        | pr::SET_NO_NEW_PRIVS
        | pr::GET_NO_NEW_PRIVS
        | pr::SET_THP_DISABLE
        | pr::GET_THP_DISABLE
        | pr::CAP_AMBIENT
        | pr::GET_SPECULATION_CTRL
        | pr::SET_SPECULATION_CTRL
        | pr::SET_IO_FLUSHER
        | pr::SET_PTRACER
        | pr::GET_MEMORY_MERGE
        | pr::SET_MEMORY_MERGE => raw(option, a2w, a3w, a4w, a5w),
        pr::GET_MDWE => Ok(0),
        // Filters and syscall redirection would apply to the emulator's own
        // host syscalls; report them unsupported.
        pr::SET_SECCOMP | pr::SET_SYSCALL_USER_DISPATCH | pr::SET_MDWE | pr::SET_MM => {
            Err(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

// ---- thread registration ----

pub fn sys_set_tid_address(p: &mut Task, tidptr: u32) -> SysResult {
    p.clear_child_tid = tidptr;
    sys_gettid(p)
}

/// sizeof(struct compat_robust_list_head).
const ROBUST_LIST_HEAD_SIZE: u32 = 12;

pub fn sys_set_robust_list(p: &mut Task, head: u32, len: u32) -> SysResult {
    if len != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    p.robust_list = head;
    Ok(0)
}

pub fn sys_get_robust_list(p: &mut Task, pid: u32, head_ptr: u32, len_ptr: u32) -> SysResult {
    let me = sys_gettid(p)?;
    let head = if pid == 0 || pid == me || pid == p.pid {
        p.robust_list
    } else {
        if unsafe { libc::kill(pid as i32, 0) } != 0 && Errno::last() == Errno::ESRCH {
            return Err(Errno::ESRCH);
        }
        0
    };
    p.write_u32(len_ptr, ROBUST_LIST_HEAD_SIZE)?;
    p.write_u32(head_ptr, head)?;
    Ok(0)
}

/// rseq: not provided (glibc then runs without it, as on a kernel before 4.18).
pub fn sys_rseq(_p: &mut Task, _rseq: u32, _len: u32, _flags: u32, _sig: u32) -> SysResult {
    Err(Errno::ENOSYS)
}

// ---- resource limits ----

fn check_res(res: u32) -> Result<(), Errno> {
    if res >= asys::RLIM_NLIMITS {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// do_prlimit on the guest itself.
fn do_prlimit(p: &mut Task, res: u32, new: Option<Rlim>) -> Result<Rlim, Errno> {
    check_res(res)?;
    let old = p.rlim(res);
    if let Some(n) = new {
        if n.cur > n.max {
            return Err(Errno::EINVAL);
        }
        if res == rlimit::NOFILE {
            let nr_open = host_sysctl("fs/nr_open").unwrap_or(1 << 20);
            if n.max > nr_open {
                return Err(Errno::EPERM);
            }
        }
        if emulated(res) {
            if n.max > old.max && !capable(CAP_SYS_RESOURCE) {
                return Err(Errno::EPERM);
            }
            lock(&p.group.rlim).rlim[res as usize] = n;
            if res == rlimit::NOFILE {
                p.files().nofile = n.cur;
            }
        } else {
            let f = |v: u64| {
                if v == u64::MAX {
                    libc::RLIM_INFINITY
                } else {
                    v
                }
            };
            let r = libc::rlimit {
                rlim_cur: f(n.cur),
                rlim_max: f(n.max),
            };
            if unsafe { libc::setrlimit(res as _, &r) } != 0 {
                return Err(Errno::last());
            }
            lock(&p.group.rlim).rlim[res as usize] = n;
        }
    }
    Ok(old)
}

fn fold32(v: u64, inf: u32) -> u32 {
    if v > inf as u64 {
        inf
    } else {
        v as u32
    }
}

/// The old getrlimit (76): values above 0x7fffffff read as 0x7fffffff.
pub fn sys_getrlimit(p: &mut Task, res: u32, rlim: u32) -> SysResult {
    check_res(res)?;
    let r = p.rlim(res);
    let out = Rlimit32 {
        rlim_cur: fold32(r.cur, asys::RLIM_OLD_INFINITY32),
        rlim_max: fold32(r.max, asys::RLIM_OLD_INFINITY32),
    };
    p.write_struct(rlim, &out)?;
    Ok(0)
}

pub fn sys_ugetrlimit(p: &mut Task, res: u32, rlim: u32) -> SysResult {
    check_res(res)?;
    let r = p.rlim(res);
    let out = Rlimit32 {
        rlim_cur: fold32(r.cur, asys::RLIM_INFINITY32),
        rlim_max: fold32(r.max, asys::RLIM_INFINITY32),
    };
    p.write_struct(rlim, &out)?;
    Ok(0)
}

pub fn sys_setrlimit(p: &mut Task, res: u32, rlim: u32) -> SysResult {
    let r: Rlimit32 = p.read_struct(rlim)?;
    let f = |v: u32| {
        if v == asys::RLIM_INFINITY32 {
            u64::MAX
        } else {
            v as u64
        }
    };
    do_prlimit(
        p,
        res,
        Some(Rlim {
            cur: f(r.rlim_cur),
            max: f(r.rlim_max),
        }),
    )?;
    Ok(0)
}

pub fn sys_prlimit64(p: &mut Task, pid: u32, res: u32, new: u32, old: u32) -> SysResult {
    let newv = if new != 0 {
        let r: Rlimit64 = p.read_struct(new)?;
        Some(Rlim {
            cur: r.rlim_cur,
            max: r.rlim_max,
        })
    } else {
        None
    };
    let me = sys_gettid(p)?;
    if pid != 0 && pid != me && pid != p.pid {
        // Another process: the host's view of it.
        check_res(res)?;
        let n = newv.map(|r| libc::rlimit64 {
            rlim_cur: r.cur,
            rlim_max: r.max,
        });
        let mut o = libc::rlimit64 {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let np = n.as_ref().map_or(std::ptr::null(), |x| x as *const _);
        let op = if old != 0 {
            &mut o as *mut _
        } else {
            std::ptr::null_mut()
        };
        hret(unsafe { libc::syscall(libc::SYS_prlimit64, pid as i32, res, np, op) })?;
        if old != 0 {
            p.write_struct(
                old,
                &Rlimit64 {
                    rlim_cur: o.rlim_cur,
                    rlim_max: o.rlim_max,
                },
            )?;
        }
        return Ok(0);
    }
    let o = do_prlimit(p, res, newv)?;
    if old != 0 {
        p.write_struct(
            old,
            &Rlimit64 {
                rlim_cur: o.cur,
                rlim_max: o.max,
            },
        )?;
    }
    Ok(0)
}

// ---- priorities and scheduling ----

pub fn sys_getpriority(_p: &mut Task, which: u32, who: u32) -> SysResult {
    sc!(libc::SYS_getpriority, which as i32, who as i32)
}

pub fn sys_setpriority(_p: &mut Task, which: u32, who: u32, prio: u32) -> SysResult {
    sc!(libc::SYS_setpriority, which as i32, who as i32, prio as i32)
}

/// nice(2) (not in the x86_64 table): setpriority relative to the current value.
pub fn sys_nice(_p: &mut Task, inc: u32) -> SysResult {
    let inc = (inc as i32).clamp(-40, 40);
    let cur = 20 - sc!(libc::SYS_getpriority, 0, 0)? as i32;
    let nice = (cur + inc).clamp(-20, 19);
    if inc < 0 && nice < cur && !capable(CAP_SYS_NICE) {
        let rl = host_rlimit(rlimit::NICE).cur;
        let floor = 20 - rl.min(40) as i32;
        if nice < floor {
            return Err(Errno::EPERM);
        }
    }
    sc!(libc::SYS_setpriority, 0, 0, nice)?;
    Ok(0)
}

pub fn sys_sched_yield(_p: &mut Task) -> SysResult {
    sc!(libc::SYS_sched_yield)
}

pub fn sys_sched_getscheduler(_p: &mut Task, pid: u32) -> SysResult {
    sc!(libc::SYS_sched_getscheduler, pid as i32)
}

pub fn sys_sched_get_priority_max(_p: &mut Task, policy: u32) -> SysResult {
    sc!(libc::SYS_sched_get_priority_max, policy as i32)
}

pub fn sys_sched_get_priority_min(_p: &mut Task, policy: u32) -> SysResult {
    sc!(libc::SYS_sched_get_priority_min, policy as i32)
}

pub fn sys_sched_getparam(p: &mut Task, pid: u32, param: u32) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let mut v: i32 = 0;
    sc!(libc::SYS_sched_getparam, pid as i32, &mut v as *mut i32)?;
    p.write_u32(param, v as u32)?;
    Ok(0)
}

pub fn sys_sched_setparam(p: &mut Task, pid: u32, param: u32) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let v = p.read_u32(param)? as i32;
    sc!(libc::SYS_sched_setparam, pid as i32, &v as *const i32)
}

pub fn sys_sched_setscheduler(p: &mut Task, pid: u32, policy: u32, param: u32) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let v = p.read_u32(param)? as i32;
    sc!(
        libc::SYS_sched_setscheduler,
        pid as i32,
        policy as i32,
        &v as *const i32
    )
}

/// sched_setattr / sched_getattr: `struct sched_attr` has the same layout on
/// both ABIs (fixed-width fields), versioned by its size field.
pub fn sys_sched_setattr(p: &mut Task, pid: u32, attr: u32, flags: u32) -> SysResult {
    if attr == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let size = p.read_u32(attr)?;
    let size = if size == 0 { 48 } else { size };
    if !(48..=4096).contains(&size) {
        // E2BIG: the kernel writes its own size back.
        let _ = p.write_u32(attr, 56);
        return Err(Errno::E2BIG);
    }
    let mut b = vec![0u8; size as usize];
    p.read_user(attr, &mut b)?;
    let r = unsafe { libc::syscall(libc::SYS_sched_setattr, pid as i32, b.as_mut_ptr(), flags) };
    let e = Errno::last();
    if r < 0 {
        if e == Errno::E2BIG {
            let _ = p.write_user(attr, &b[..4]);
        }
        return Err(e);
    }
    Ok(0)
}

pub fn sys_sched_getattr(p: &mut Task, pid: u32, attr: u32, size: u32, flags: u32) -> SysResult {
    if attr == 0 || (pid as i32) < 0 || !(48..=4096).contains(&size) || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; size as usize];
    sc!(
        libc::SYS_sched_getattr,
        pid as i32,
        b.as_mut_ptr(),
        size,
        flags
    )?;
    let n = (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).clamp(4, size as usize);
    p.write_user(attr, &b[..n])?;
    Ok(0)
}

pub fn sys_sched_getaffinity(p: &mut Task, pid: u32, len: u32, mask: u32) -> SysResult {
    let ncpu = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) }.max(1) as u64;
    if (len as u64) * 8 < ncpu || len & 3 != 0 {
        return Err(Errno::EINVAL);
    }
    // The host wants a multiple of 8 bytes.
    let hl = ((len.min(4096) + 7) & !7) as usize;
    let mut b = vec![0u8; hl];
    let r = sc!(libc::SYS_sched_getaffinity, pid as i32, hl, b.as_mut_ptr())?;
    let n = r.min(len);
    p.write_user(mask, &b[..n as usize])?;
    Ok(n)
}

pub fn sys_sched_setaffinity(p: &mut Task, pid: u32, len: u32, mask: u32) -> SysResult {
    let n = len.min(512);
    let mut b = vec![0u8; ((n + 7) & !7) as usize];
    p.read_user(mask, &mut b[..n as usize])?;
    sc!(libc::SYS_sched_setaffinity, pid as i32, b.len(), b.as_ptr())
}

pub fn sys_getcpu(p: &mut Task, cpu: u32, node: u32, _cache: u32) -> SysResult {
    let (mut c, mut n) = (0u32, 0u32);
    sc!(
        libc::SYS_getcpu,
        &mut c as *mut u32,
        &mut n as *mut u32,
        0usize
    )?;
    if cpu != 0 {
        p.write_u32(cpu, c)?;
    }
    if node != 0 {
        p.write_u32(node, n)?;
    }
    Ok(0)
}

pub fn sys_ioprio_get(_p: &mut Task, which: u32, who: u32) -> SysResult {
    sc!(libc::SYS_ioprio_get, which as i32, who as i32)
}

pub fn sys_ioprio_set(_p: &mut Task, which: u32, who: u32, prio: u32) -> SysResult {
    sc!(libc::SYS_ioprio_set, which as i32, who as i32, prio as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-read sysctl gives what the whole file says; a missing one
    /// and a non-integer one give None.
    #[test]
    fn host_sysctls_read_whole() {
        for name in ["vm/max_map_count", "vm/mmap_min_addr", "fs/nr_open"] {
            let text = std::fs::read_to_string(format!("/proc/sys/{name}")).unwrap();
            assert_eq!(host_sysctl(name), text.trim().parse().ok(), "{name}");
            assert!(host_sysctl(name).is_some(), "{name}");
        }
        assert_eq!(host_sysctl("vm/no_such_setting"), None);
        assert_eq!(host_sysctl("kernel/ostype"), None);
    }

    #[test]
    fn sixteen_bit_ids() {
        assert_eq!(high2low(0), 0);
        assert_eq!(high2low(65535), 65535);
        assert_eq!(high2low(65536), OVERFLOW_ID);
        assert_eq!(low2high(0xffff), u32::MAX);
        assert_eq!(low2high(0x1_0005), 5);
    }

    #[test]
    fn rlimit_folding() {
        assert_eq!(fold32(u64::MAX, asys::RLIM_INFINITY32), 0xffff_ffff);
        assert_eq!(fold32(u64::MAX, asys::RLIM_OLD_INFINITY32), 0x7fff_ffff);
        assert_eq!(fold32(8 << 20, asys::RLIM_OLD_INFINITY32), 8 << 20);
    }

    #[test]
    fn personality_default() {
        assert_eq!(initial_personality(true, false), 0x0044_0008);
        assert_eq!(initial_personality(false, false), 0x0004_0008);
        assert_eq!(initial_personality(false, true), 0x0024_0008);
    }
}
