//! Sockets: socketcall(2) and the direct socket syscalls (359..373,
//! sendmmsg, recvmmsg). Socket addresses pass through; `msghdr`,
//! `mmsghdr` and control messages are translated between the i386 compat
//! layouts and the host's, with SCM_RIGHTS descriptors mapped between the
//! guest's and the host's fd numbers; SO_RCVTIMEO/SO_SNDTIMEO carry the
//! 32-bit timeval.

use super::abi::errno::Errno;
use super::abi::fs::{Timespec32, Timeval32};
use super::abi::net::{self as an, call, CmsgHdr, MMsgHdr, MsgHdr, SockFprog};
use super::fs::{self, hres, hret, install_pair, own_host_fd, Fd};
use super::syscall::SysResult;
use super::task::Task;

/// Largest control buffer handled (sock_kmalloc limits it similarly).
const CONTROL_MAX: usize = 64 * 1024;
/// Largest option value handled.
const OPT_MAX: usize = 64 * 1024;

fn flags_host(flags: u32) -> i32 {
    (flags & !an::MSG_CMSG_COMPAT) as i32
}

// --- creation -------------------------------------------------------------------------------

pub fn sys_socket(p: &mut Task, domain: u32, ty: u32, proto: u32) -> SysResult {
    let h = unsafe { libc::socket(domain as i32, (ty | an::SOCK_CLOEXEC) as i32, proto as i32) };
    let h = hres(h as i64)? as i32;
    p.files().install_host(h, ty & an::SOCK_CLOEXEC != 0)
}

pub fn sys_socketpair(p: &mut Task, domain: u32, ty: u32, proto: u32, sv: u32) -> SysResult {
    let mut h = [0i32; 2];
    let r = unsafe {
        libc::socketpair(
            domain as i32,
            (ty | an::SOCK_CLOEXEC) as i32,
            proto as i32,
            h.as_mut_ptr(),
        )
    };
    hres(r as i64)?;
    install_pair(p, h, ty & an::SOCK_CLOEXEC != 0, sv)
}

// --- addresses --------------------------------------------------------------------------------

/// move_addr_to_kernel: a guest sockaddr of `len` bytes.
fn addr_in(p: &mut Task, addr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    if len as i32 > an::SOCKADDR_MAX as i32 || (len as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len as usize];
    if len > 0 {
        p.read_user(addr, &mut b)?;
    }
    Ok(b)
}

/// move_addr_to_user: copy min(klen, *ulen) bytes and store klen.
fn addr_out(p: &mut Task, kaddr: &[u8], klen: u32, uaddr: u32, ulenp: u32) -> Result<(), Errno> {
    let ulen: i32 = p.read_struct(ulenp)?;
    if ulen < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (klen as usize).min(ulen as usize).min(kaddr.len());
    if n > 0 {
        p.write_user(uaddr, &kaddr[..n])?;
    }
    p.write_struct(ulenp, &(klen as i32))?;
    Ok(())
}

pub fn sys_bind(p: &mut Task, fd: u32, addr: u32, len: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let a = addr_in(p, addr, len)?;
    hret(unsafe { libc::bind(h, a.as_ptr() as *const libc::sockaddr, a.len() as u32) } as i64)
}

pub fn sys_connect(p: &mut Task, fd: u32, addr: u32, len: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let a = addr_in(p, addr, len)?;
    fs::cp(
        p,
        libc::SYS_connect,
        &[h as i64, a.as_ptr() as i64, a.len() as i64],
    )
}

pub fn sys_listen(p: &mut Task, fd: u32, backlog: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::listen(h, backlog as i32) } as i64)
}

pub fn sys_accept(p: &mut Task, fd: u32, addr: u32, lenp: u32) -> SysResult {
    sys_accept4(p, fd, addr, lenp, 0)
}

pub fn sys_accept4(p: &mut Task, fd: u32, addr: u32, lenp: u32, flags: u32) -> SysResult {
    if flags & !(an::SOCK_CLOEXEC | an::SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let h = p.files().host(fd)?;
    let mut kb = [0u8; an::SOCKADDR_MAX];
    let mut klen = kb.len() as libc::socklen_t;
    let r = p.blocking(
        libc::SYS_accept4,
        [
            h as i64,
            kb.as_mut_ptr() as i64,
            &mut klen as *mut libc::socklen_t as i64,
            (flags | an::SOCK_CLOEXEC) as i64,
            0,
            0,
        ],
    )?;
    let nh = own_host_fd(r as i32)?;
    if addr != 0 {
        if let Err(e) = addr_out(p, &kb, klen, addr, lenp) {
            unsafe { libc::close(nh) };
            return Err(e);
        }
    }
    p.files()
        .install(Fd::new(nh, flags & an::SOCK_CLOEXEC != 0))
}

fn name_common(p: &mut Task, fd: u32, addr: u32, lenp: u32, peer: bool) -> SysResult {
    let h = p.files().host(fd)?;
    let ulen: i32 = p.read_struct(lenp)?;
    if ulen < 0 {
        return Err(Errno::EINVAL);
    }
    let mut kb = [0u8; an::SOCKADDR_MAX];
    let mut klen = kb.len() as libc::socklen_t;
    let r = unsafe {
        if peer {
            libc::getpeername(h, kb.as_mut_ptr() as *mut libc::sockaddr, &mut klen)
        } else {
            libc::getsockname(h, kb.as_mut_ptr() as *mut libc::sockaddr, &mut klen)
        }
    };
    hres(r as i64)?;
    addr_out(p, &kb, klen, addr, lenp)?;
    Ok(0)
}

pub fn sys_getsockname(p: &mut Task, fd: u32, addr: u32, lenp: u32) -> SysResult {
    name_common(p, fd, addr, lenp, false)
}

pub fn sys_getpeername(p: &mut Task, fd: u32, addr: u32, lenp: u32) -> SysResult {
    name_common(p, fd, addr, lenp, true)
}

pub fn sys_shutdown(p: &mut Task, fd: u32, how: u32) -> SysResult {
    let h = p.files().host(fd)?;
    hret(unsafe { libc::shutdown(h, how as i32) } as i64)
}

// --- data -------------------------------------------------------------------------------------

pub fn sys_sendto(
    p: &mut Task,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    addr: u32,
    alen: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    let a = if addr != 0 {
        Some(addr_in(p, addr, alen)?)
    } else {
        None
    };
    let b = if len == 0 {
        None
    } else {
        Some(fs::host_in(p, buf, len)?)
    };
    let (ptr, n) = b.as_ref().map_or((std::ptr::null(), 0), |b| (b.ptr, b.len));
    let (ap, al) = a
        .as_ref()
        .map_or((std::ptr::null(), 0), |a| (a.as_ptr(), a.len() as u32));
    fs::cp(
        p,
        libc::SYS_sendto,
        &[
            h as i64,
            ptr as i64,
            n as i64,
            flags_host(flags) as i64,
            ap as i64,
            al as i64,
        ],
    )
}

pub fn sys_send(p: &mut Task, fd: u32, buf: u32, len: u32, flags: u32) -> SysResult {
    sys_sendto(p, fd, buf, len, flags, 0, 0)
}

pub fn sys_recvfrom(
    p: &mut Task,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    addr: u32,
    lenp: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    let out = if len == 0 {
        None
    } else {
        Some(fs::host_out(p, buf, len)?)
    };
    let (ptr, n) = out
        .as_ref()
        .map_or((std::ptr::null_mut(), 0), |b| (b.ptr, b.len));
    let mut kb = [0u8; an::SOCKADDR_MAX];
    let mut klen = kb.len() as libc::socklen_t;
    let (ka, kl) = if addr != 0 {
        (
            kb.as_mut_ptr() as i64,
            &mut klen as *mut libc::socklen_t as i64,
        )
    } else {
        (0, 0)
    };
    let n = p.blocking(
        libc::SYS_recvfrom,
        [
            h as i64,
            ptr as i64,
            n as i64,
            flags_host(flags) as i64,
            ka,
            kl,
        ],
    )?;
    if let Some(b) = &out {
        b.finish(p, n as usize);
    }
    if addr != 0 {
        addr_out(p, &kb, klen, addr, lenp)?;
    }
    Ok(n as u32)
}

pub fn sys_recv(p: &mut Task, fd: u32, buf: u32, len: u32, flags: u32) -> SysResult {
    sys_recvfrom(p, fd, buf, len, flags, 0, 0)
}

// --- options ----------------------------------------------------------------------------------

fn is_timeo(level: u32, name: u32) -> bool {
    level as i32 == an::SOL_SOCKET && (name == an::SO_RCVTIMEO_OLD || name == an::SO_SNDTIMEO_OLD)
}

pub fn sys_setsockopt(
    p: &mut Task,
    fd: u32,
    level: u32,
    name: u32,
    val: u32,
    len: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    if (len as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    if is_timeo(level, name) {
        if (len as usize) < std::mem::size_of::<Timeval32>() {
            return Err(Errno::EINVAL);
        }
        let tv: Timeval32 = p.read_struct(val)?;
        let ht = libc::timeval {
            tv_sec: tv.tv_sec as i64,
            tv_usec: tv.tv_usec as i64,
        };
        let r = unsafe {
            libc::setsockopt(
                h,
                level as i32,
                name as i32,
                &ht as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as u32,
            )
        };
        return hret(r as i64);
    }
    if level as i32 == an::SOL_SOCKET
        && (name == an::SO_ATTACH_FILTER || name == an::SO_ATTACH_REUSEPORT_CBPF)
    {
        if (len as usize) < std::mem::size_of::<SockFprog>() {
            return Err(Errno::EINVAL);
        }
        let fp: SockFprog = p.read_struct(val)?;
        let n = fp.len as usize * 8;
        let mut prog = vec![0u8; n];
        p.read_user(fp.filter, &mut prog)?;
        let hf = libc::sock_fprog {
            len: fp.len,
            filter: prog.as_mut_ptr() as *mut libc::sock_filter,
        };
        let r = unsafe {
            libc::setsockopt(
                h,
                level as i32,
                name as i32,
                &hf as *const libc::sock_fprog as *const libc::c_void,
                std::mem::size_of::<libc::sock_fprog>() as u32,
            )
        };
        return hret(r as i64);
    }
    let n = (len as usize).min(OPT_MAX);
    let mut b = vec![0u8; n];
    if n > 0 {
        p.read_user(val, &mut b)?;
    }
    let r = unsafe {
        libc::setsockopt(
            h,
            level as i32,
            name as i32,
            if val == 0 && n == 0 {
                std::ptr::null()
            } else {
                b.as_ptr() as *const libc::c_void
            },
            n as u32,
        )
    };
    hret(r as i64)
}

pub fn sys_getsockopt(
    p: &mut Task,
    fd: u32,
    level: u32,
    name: u32,
    val: u32,
    lenp: u32,
) -> SysResult {
    let h = p.files().host(fd)?;
    let ulen: i32 = p.read_struct(lenp)?;
    if ulen < 0 {
        return Err(Errno::EINVAL);
    }
    if is_timeo(level, name) {
        let mut ht = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        let mut hl = std::mem::size_of::<libc::timeval>() as u32;
        let r = unsafe {
            libc::getsockopt(
                h,
                level as i32,
                name as i32,
                &mut ht as *mut libc::timeval as *mut libc::c_void,
                &mut hl,
            )
        };
        hres(r as i64)?;
        let g = Timeval32 {
            tv_sec: ht.tv_sec as i32,
            tv_usec: ht.tv_usec as i32,
        };
        let n = (ulen as usize).min(8);
        p.write_user(val, &bytemuck::bytes_of(&g)[..n])?;
        p.write_struct(lenp, &(n as i32))?;
        return Ok(0);
    }
    let n = (ulen as usize).min(OPT_MAX);
    let mut b = vec![0u8; n];
    let mut hl = n as u32;
    let r = unsafe {
        libc::getsockopt(
            h,
            level as i32,
            name as i32,
            b.as_mut_ptr() as *mut libc::c_void,
            &mut hl,
        )
    };
    hres(r as i64)?;
    let w = (hl as usize).min(n);
    if w > 0 {
        p.write_user(val, &b[..w])?;
    }
    p.write_struct(lenp, &(hl as i32))?;
    Ok(0)
}

// --- msghdr -----------------------------------------------------------------------------------

/// A host msghdr and the buffers it points to.
struct HostMsg {
    name: [u8; an::SOCKADDR_MAX],
    namelen: u32,
    /// The host iovecs and what keeps their scratch buffers mapped (and,
    /// receiving, copies what lands in them to the guest: `finish`).
    vecs: Option<fs::HostIovecs>,
    control: Vec<u8>,
}

impl HostMsg {
    fn hdr(&mut self, with_name: bool) -> libc::msghdr {
        let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
        if with_name {
            m.msg_name = self.name.as_mut_ptr() as *mut libc::c_void;
            m.msg_namelen = self.namelen;
        }
        if let Some(v) = &mut self.vecs {
            m.msg_iov = v.iov.as_mut_ptr();
            m.msg_iovlen = v.iov.len() as _;
        }
        if !self.control.is_empty() {
            m.msg_control = self.control.as_mut_ptr() as *mut libc::c_void;
            m.msg_controllen = self.control.len() as _;
        }
        m
    }
}

/// get_compat_msghdr plus the iovec import.
fn import_msg(p: &mut Task, g: &MsgHdr, recv: bool) -> Result<HostMsg, Errno> {
    if g.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    if g.iovlen > fs::UIO_MAXIOV {
        return Err(Errno::EMSGSIZE);
    }
    let mut m = HostMsg {
        name: [0; an::SOCKADDR_MAX],
        namelen: 0,
        vecs: None,
        control: Vec::new(),
    };
    if g.name != 0 {
        if recv {
            m.namelen = an::SOCKADDR_MAX as u32;
        } else {
            let a = addr_in(p, g.name, g.namelen as u32)?;
            m.name[..a.len()].copy_from_slice(&a);
            m.namelen = a.len() as u32;
        }
    }
    let v = fs::host_iovecs(p, g.iov, g.iovlen, recv).map_err(|e| {
        if e == Errno::EINVAL && g.iovlen > fs::UIO_MAXIOV {
            Errno::EMSGSIZE
        } else {
            e
        }
    })?;
    m.vecs = Some(v);
    Ok(m)
}

/// Guest control messages -> host (sendmsg).
fn control_to_host(p: &mut Task, g: &MsgHdr) -> Result<Vec<u8>, Errno> {
    let total = g.controllen as usize;
    if total == 0 || g.control == 0 {
        return Ok(Vec::new());
    }
    if total > CONTROL_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut raw = vec![0u8; total];
    p.read_user(g.control, &mut raw)?;
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + an::CMSG_HDR <= total {
        let c: CmsgHdr = bytemuck::pod_read_unaligned(&raw[off..off + an::CMSG_HDR]);
        let clen = c.len as usize;
        if clen < an::CMSG_HDR || off + clen > total {
            return Err(Errno::EINVAL);
        }
        let data = &raw[off + an::CMSG_HDR..off + clen];
        let hdata: Vec<u8> = if c.level == an::SOL_SOCKET && c.ty == an::SCM_RIGHTS {
            let mut v = Vec::with_capacity(data.len());
            for ch in data.chunks_exact(4) {
                let gfd = i32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
                let hfd = if gfd < 0 {
                    return Err(Errno::EBADF);
                } else {
                    p.files().host(gfd as u32)?
                };
                v.extend_from_slice(&hfd.to_ne_bytes());
            }
            v
        } else {
            data.to_vec()
        };
        let hlen = an::HOST_CMSG_HDR + hdata.len();
        let start = out.len();
        out.resize(start + an::host_cmsg_align(hlen), 0);
        out[start..start + 8].copy_from_slice(&(hlen as u64).to_ne_bytes());
        out[start + 8..start + 12].copy_from_slice(&c.level.to_ne_bytes());
        out[start + 12..start + 16].copy_from_slice(&c.ty.to_ne_bytes());
        out[start + 16..start + 16 + hdata.len()].copy_from_slice(&hdata);
        off += an::cmsg_align(clen);
    }
    Ok(out)
}

/// Host control messages -> guest (recvmsg): returns (bytes, MSG_CTRUNC?).
/// Received descriptors are installed as guest fds; ones that do not fit
/// are closed.
fn control_to_guest(p: &mut Task, host: &[u8], space: usize, cloexec: bool) -> (Vec<u8>, bool) {
    let mut out: Vec<u8> = Vec::new();
    let mut trunc = false;
    let mut off = 0usize;
    let mut left = space;
    while off + an::HOST_CMSG_HDR <= host.len() {
        let hlen = u64::from_ne_bytes(host[off..off + 8].try_into().unwrap_or([0; 8])) as usize;
        let level = i32::from_ne_bytes(host[off + 8..off + 12].try_into().unwrap_or([0; 4]));
        let ty = i32::from_ne_bytes(host[off + 12..off + 16].try_into().unwrap_or([0; 4]));
        if hlen < an::HOST_CMSG_HDR || off + hlen > host.len() {
            break;
        }
        let data = &host[off + an::HOST_CMSG_HDR..off + hlen];
        off += an::host_cmsg_align(hlen);
        if level == an::SOL_SOCKET && ty == an::SCM_RIGHTS {
            let hfds: Vec<i32> = data
                .chunks_exact(4)
                .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let fdmax = if left <= an::CMSG_HDR {
                0
            } else {
                (left - an::CMSG_HDR) / 4
            };
            let mut gfds = Vec::new();
            for (k, &h) in hfds.iter().enumerate() {
                if k >= fdmax {
                    unsafe { libc::close(h) };
                    continue;
                }
                if let Ok(g) = own_host_fd(h).and_then(|h| p.files().install(Fd::new(h, cloexec))) {
                    gfds.push(g);
                }
            }
            if !gfds.is_empty() {
                let clen = an::CMSG_HDR + gfds.len() * 4;
                let start = out.len();
                out.extend_from_slice(&(clen as u32).to_le_bytes());
                out.extend_from_slice(&level.to_le_bytes());
                out.extend_from_slice(&ty.to_le_bytes());
                for g in &gfds {
                    out.extend_from_slice(&g.to_le_bytes());
                }
                let sp = an::cmsg_align(clen).min(left);
                out.resize(start + sp, 0);
                left -= sp;
            }
            if gfds.len() < hfds.len() || (!hfds.is_empty() && fdmax == 0) {
                trunc = true;
            }
            continue;
        }
        // Timestamps carry a 64-bit time on the host.
        let conv: Vec<u8>;
        let data: &[u8] =
            if level == an::SOL_SOCKET && ty == an::SO_TIMESTAMP_OLD && data.len() == 16 {
                let s = i64::from_ne_bytes(data[0..8].try_into().unwrap_or([0; 8]));
                let u = i64::from_ne_bytes(data[8..16].try_into().unwrap_or([0; 8]));
                conv = bytemuck::bytes_of(&Timeval32 {
                    tv_sec: s as i32,
                    tv_usec: u as i32,
                })
                .to_vec();
                &conv
            } else if level == an::SOL_SOCKET
                && (ty == an::SO_TIMESTAMPNS_OLD || ty == an::SO_TIMESTAMPING_OLD)
                && data.len().is_multiple_of(16)
            {
                let mut v = Vec::new();
                for ch in data.chunks_exact(16) {
                    let s = i64::from_ne_bytes(ch[0..8].try_into().unwrap_or([0; 8]));
                    let n = i64::from_ne_bytes(ch[8..16].try_into().unwrap_or([0; 8]));
                    v.extend_from_slice(bytemuck::bytes_of(&Timespec32 {
                        tv_sec: s as i32,
                        tv_nsec: n as i32,
                    }));
                }
                conv = v;
                &conv
            } else {
                data
            };
        // put_cmsg_compat.
        if left < an::CMSG_HDR {
            trunc = true;
            continue;
        }
        let mut clen = an::CMSG_HDR + data.len();
        if left < clen {
            trunc = true;
            clen = left;
        }
        let start = out.len();
        out.extend_from_slice(&(clen as u32).to_le_bytes());
        out.extend_from_slice(&level.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&data[..clen - an::CMSG_HDR]);
        let sp = an::cmsg_align(an::CMSG_HDR + data.len()).min(left);
        out.resize(start + sp, 0);
        left -= sp;
    }
    (out, trunc)
}

fn do_sendmsg(p: &mut Task, fd: u32, msg: u32, flags: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let g: MsgHdr = p.read_struct(msg)?;
    let mut m = import_msg(p, &g, false)?;
    m.control = control_to_host(p, &g)?;
    let hdr = m.hdr(g.name != 0);
    fs::cp(
        p,
        libc::SYS_sendmsg,
        &[
            h as i64,
            &hdr as *const libc::msghdr as i64,
            flags_host(flags) as i64,
        ],
    )
}

pub fn sys_sendmsg(p: &mut Task, fd: u32, msg: u32, flags: u32) -> SysResult {
    do_sendmsg(p, fd, msg, flags)
}

fn do_recvmsg(p: &mut Task, fd: u32, msg: u32, flags: u32) -> SysResult {
    let h = p.files().host(fd)?;
    let g: MsgHdr = p.read_struct(msg)?;
    let mut m = import_msg(p, &g, true)?;
    let space = if g.control == 0 {
        0
    } else {
        (g.controllen as usize).min(CONTROL_MAX)
    };
    if space > 0 {
        m.control = vec![0u8; (space * 2 + 64).min(2 * CONTROL_MAX)];
    }
    let mut hdr = m.hdr(g.name != 0);
    let hflags = flags_host(flags) | libc::MSG_CMSG_CLOEXEC;
    let n = p.blocking(
        libc::SYS_recvmsg,
        [
            h as i64,
            &mut hdr as *mut libc::msghdr as i64,
            hflags as i64,
            0,
            0,
            0,
        ],
    )?;
    if let Some(v) = &m.vecs {
        v.finish(p, n as usize);
    }
    // usize in glibc's msghdr, u32 in musl's.
    #[allow(clippy::unnecessary_cast)]
    let ctl_len = (hdr.msg_controllen as usize).min(m.control.len());
    let (ctl, trunc) = control_to_guest(
        p,
        &m.control[..ctl_len],
        space,
        flags & an::MSG_CMSG_CLOEXEC != 0,
    );
    if !ctl.is_empty() {
        p.write_user(g.control, &ctl)?;
    }
    if g.name != 0 {
        let klen = hdr.msg_namelen;
        let ulen = (g.namelen as usize).min(an::SOCKADDR_MAX);
        let w = (klen as usize).min(ulen);
        if w > 0 {
            p.write_user(g.name, &m.name[..w])?;
        }
        p.write_struct(msg + 4, &(klen as i32))?;
    }
    let mut mf = hdr.msg_flags as u32 & !an::MSG_CMSG_COMPAT;
    if flags & an::MSG_CMSG_CLOEXEC == 0 {
        // Added for the host's sake; the guest did not ask for it.
        mf &= !an::MSG_CMSG_CLOEXEC;
    }
    if trunc {
        mf |= an::MSG_CTRUNC;
    }
    p.write_struct(msg + 20, &(ctl.len() as u32))?;
    p.write_struct(msg + 24, &mf)?;
    Ok(n as u32)
}

pub fn sys_recvmsg(p: &mut Task, fd: u32, msg: u32, flags: u32) -> SysResult {
    do_recvmsg(p, fd, msg, flags)
}

pub fn sys_sendmmsg(p: &mut Task, fd: u32, vec: u32, vlen: u32, flags: u32) -> SysResult {
    p.files().host(fd)?;
    let vlen = vlen.min(fs::UIO_MAXIOV);
    let mut done = 0u32;
    while done < vlen {
        let at = vec + done * std::mem::size_of::<MMsgHdr>() as u32;
        match do_sendmsg(p, fd, at, flags) {
            Ok(n) => {
                p.write_struct(at + 28, &n)?;
                done += 1;
            }
            Err(e) => {
                if done == 0 {
                    return Err(e);
                }
                break;
            }
        }
    }
    Ok(done)
}

fn do_recvmmsg(
    p: &mut Task,
    fd: u32,
    vec: u32,
    vlen: u32,
    flags: u32,
    timeout: Option<(u32, bool)>,
) -> SysResult {
    p.files().host(fd)?;
    if let Some((t, wide)) = timeout {
        // Validate the timeout; it is honoured between messages only.
        if wide {
            let _: super::abi::fs::Timespec64 = p.read_struct(t)?;
        } else {
            let _: Timespec32 = p.read_struct(t)?;
        }
    }
    let vlen = vlen.min(fs::UIO_MAXIOV);
    let mut done = 0u32;
    let mut fl = flags;
    while done < vlen {
        let at = vec + done * std::mem::size_of::<MMsgHdr>() as u32;
        match do_recvmsg(p, fd, at, fl & !an::MSG_WAITFORONE) {
            Ok(n) => {
                p.write_struct(at + 28, &n)?;
                done += 1;
                if flags & an::MSG_WAITFORONE != 0 {
                    fl |= an::MSG_DONTWAIT;
                }
            }
            Err(e) => {
                if done == 0 {
                    return Err(e);
                }
                break;
            }
        }
    }
    Ok(done)
}

pub fn sys_recvmmsg(
    p: &mut Task,
    fd: u32,
    vec: u32,
    vlen: u32,
    flags: u32,
    timeout: u32,
) -> SysResult {
    let t = (timeout != 0).then_some((timeout, false));
    do_recvmmsg(p, fd, vec, vlen, flags, t)
}

pub fn sys_recvmmsg_time64(
    p: &mut Task,
    fd: u32,
    vec: u32,
    vlen: u32,
    flags: u32,
    timeout: u32,
) -> SysResult {
    let t = (timeout != 0).then_some((timeout, true));
    do_recvmmsg(p, fd, vec, vlen, flags, t)
}

// --- socketcall ------------------------------------------------------------------------------

pub fn sys_socketcall(p: &mut Task, callno: u32, args: u32) -> SysResult {
    if !(1..=call::SENDMMSG).contains(&callno) {
        return Err(Errno::EINVAL);
    }
    let n = call::NARGS[callno as usize];
    let mut a = [0u32; 6];
    let mut raw = vec![0u8; n * 4];
    p.read_user(args, &mut raw)?;
    for (k, c) in raw.chunks_exact(4).enumerate() {
        a[k] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    match callno {
        call::SOCKET => sys_socket(p, a[0], a[1], a[2]),
        call::BIND => sys_bind(p, a[0], a[1], a[2]),
        call::CONNECT => sys_connect(p, a[0], a[1], a[2]),
        call::LISTEN => sys_listen(p, a[0], a[1]),
        call::ACCEPT => sys_accept4(p, a[0], a[1], a[2], 0),
        call::GETSOCKNAME => sys_getsockname(p, a[0], a[1], a[2]),
        call::GETPEERNAME => sys_getpeername(p, a[0], a[1], a[2]),
        call::SOCKETPAIR => sys_socketpair(p, a[0], a[1], a[2], a[3]),
        call::SEND => sys_sendto(p, a[0], a[1], a[2], a[3], 0, 0),
        call::RECV => sys_recvfrom(p, a[0], a[1], a[2], a[3], 0, 0),
        call::SENDTO => sys_sendto(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        call::RECVFROM => sys_recvfrom(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        call::SHUTDOWN => sys_shutdown(p, a[0], a[1]),
        call::SETSOCKOPT => sys_setsockopt(p, a[0], a[1], a[2], a[3], a[4]),
        call::GETSOCKOPT => sys_getsockopt(p, a[0], a[1], a[2], a[3], a[4]),
        call::SENDMSG => sys_sendmsg(p, a[0], a[1], a[2]),
        call::RECVMSG => sys_recvmsg(p, a[0], a[1], a[2]),
        call::ACCEPT4 => sys_accept4(p, a[0], a[1], a[2], a[3]),
        call::RECVMMSG => sys_recvmmsg(p, a[0], a[1], a[2], a[3], a[4]),
        _ => sys_sendmmsg(p, a[0], a[1], a[2], a[3]),
    }
}
