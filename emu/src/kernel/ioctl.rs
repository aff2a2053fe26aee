//! ioctl: terminal, generic-file and a few socket requests whose layout is
//! the same on the host pass through with the guest pointer checked;
//! FIOCLEX/FIONCLEX act on the guest's table; everything else is -ENOTTY,
//! which is what Linux answers for a request the file does not know.

use super::abi::errno::Errno;
use super::abi::termios::{self as t, Arg};
use super::fs::hret;
use super::syscall::SysResult;
use super::task::Task;

/// A host pointer the host kernel refuses (-EFAULT): used where a guest
/// pointer is bad, so the host decides between its other errors (ENOTTY,
/// EBADF...) and EFAULT in Linux's own order.
pub const BAD_PTR: usize = usize::MAX - 4095;

/// Host pointer for guest [addr, addr+len): the real one if the guest may
/// access all of it (`write`: write it), else [`BAD_PTR`].
pub fn host_ptr(p: &mut Task, addr: u32, len: usize, write: bool) -> usize {
    if len == 0 {
        return p
            .cpu
            .mem
            .host_range(addr, 0)
            .map_or(BAD_PTR, |h| h as usize);
    }
    if addr as u64 + len as u64 > 1 << 32 {
        return BAD_PTR;
    }
    if write {
        match p.user_buf_mut(addr, len as u32) {
            Ok(b) => b as usize,
            Err(_) => BAD_PTR,
        }
    } else {
        match p.user_buf(addr, len as u32) {
            Ok(b) => b.as_ptr() as usize,
            Err(_) => BAD_PTR,
        }
    }
}

pub fn sys_ioctl(p: &mut Task, fd: u32, cmd: u32, arg: u32) -> SysResult {
    let h = p.files().host(fd)?;
    match cmd {
        t::FIOCLEX | t::FIONCLEX => {
            p.files().get_mut(fd)?.cloexec = cmd == t::FIOCLEX;
            return Ok(0);
        }
        t::TIOCGPTPEER => {
            // Opens the pty's peer: a new fd.
            let flags = super::abi::fs::open_flags_to_host(arg) | libc::O_CLOEXEC;
            let r = unsafe { libc::ioctl(h, libc::TIOCGPTPEER as _, flags) };
            if r < 0 {
                return Err(Errno::last());
            }
            return p
                .files()
                .install_host(r, arg & super::abi::fs::o::CLOEXEC != 0);
        }
        _ => {}
    }
    if t::is_ifreq(cmd) {
        let mut hb = [0u8; t::HOST_IFREQ_SIZE];
        let ok = p.read_user(arg, &mut hb[..t::IFREQ_SIZE]).is_ok();
        let ptr = if ok {
            hb.as_mut_ptr() as usize
        } else {
            BAD_PTR
        };
        let r = unsafe { libc::ioctl(h, cmd as _, ptr) } as i64;
        let v = hret(r)?;
        p.write_user(arg, &hb[..t::IFREQ_SIZE])?;
        return Ok(v);
    }
    let r = match t::arg_of(cmd) {
        Some(Arg::Val) => unsafe { libc::ioctl(h, cmd as _, arg as libc::c_ulong) },
        Some(Arg::In(n)) => {
            let ptr = host_ptr(p, arg, n, false);
            unsafe { libc::ioctl(h, cmd as _, ptr) }
        }
        Some(Arg::Out(n)) | Some(Arg::InOut(n)) => {
            let ptr = host_ptr(p, arg, n, true);
            unsafe { libc::ioctl(h, cmd as _, ptr) }
        }
        None => return Err(Errno::ENOTTY),
    };
    hret(r as i64)
}
