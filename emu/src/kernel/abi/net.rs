//! Socket ABI of i386 Linux: socketcall numbers, the compat `msghdr`,
//! `mmsghdr` and `cmsghdr` layouts, and the option constants that need
//! translating. Socket addresses (`sockaddr_*`) have the same bytes on i386
//! and x86_64 and pass through.

use bytemuck::{Pod, Zeroable};

/// socketcall(2) call numbers (linux/net.h).
pub mod call {
    pub const SOCKET: u32 = 1;
    pub const BIND: u32 = 2;
    pub const CONNECT: u32 = 3;
    pub const LISTEN: u32 = 4;
    pub const ACCEPT: u32 = 5;
    pub const GETSOCKNAME: u32 = 6;
    pub const GETPEERNAME: u32 = 7;
    pub const SOCKETPAIR: u32 = 8;
    pub const SEND: u32 = 9;
    pub const RECV: u32 = 10;
    pub const SENDTO: u32 = 11;
    pub const RECVFROM: u32 = 12;
    pub const SHUTDOWN: u32 = 13;
    pub const SETSOCKOPT: u32 = 14;
    pub const GETSOCKOPT: u32 = 15;
    pub const SENDMSG: u32 = 16;
    pub const RECVMSG: u32 = 17;
    pub const ACCEPT4: u32 = 18;
    pub const RECVMMSG: u32 = 19;
    pub const SENDMMSG: u32 = 20;
    /// Arguments each call takes (nargs[] in net/socket.c).
    pub const NARGS: [usize; 21] = [
        0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4,
    ];
}

/// Address families.
pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;
pub const AF_PACKET: u16 = 17;

/// Socket types (the low bits of socket(2)'s type).
pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_RDM: u32 = 4;
pub const SOCK_SEQPACKET: u32 = 5;
pub const SOCK_DCCP: u32 = 6;
pub const SOCK_PACKET: u32 = 10;

/// IP protocols (netinet/in.h) that socket(2) takes for AF_INET/AF_INET6.
pub const IPPROTO_IP: u32 = 0;
pub const IPPROTO_ICMP: u32 = 1;
pub const IPPROTO_TCP: u32 = 6;
pub const IPPROTO_UDP: u32 = 17;
pub const IPPROTO_IPV6: u32 = 41;
pub const IPPROTO_ICMPV6: u32 = 58;
pub const IPPROTO_SCTP: u32 = 132;
pub const IPPROTO_UDPLITE: u32 = 136;
pub const IPPROTO_RAW: u32 = 255;

/// `struct sockaddr_un`, 110 bytes. (bytemuck has no Pod for 108-byte
/// arrays: [`SockaddrUn::from_bytes`] reads one.)
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct SockaddrUn {
    pub family: u16,
    pub path: [u8; 108],
}
const _: () = assert!(std::mem::size_of::<SockaddrUn>() == 110);
const _: () = assert!(std::mem::offset_of!(SockaddrUn, path) == 2);

impl SockaddrUn {
    /// The address in the first bytes of `b` (missing bytes are zero).
    pub fn from_bytes(b: &[u8]) -> SockaddrUn {
        let mut a = SockaddrUn {
            family: 0,
            path: [0; 108],
        };
        let mut fam = [0u8; 2];
        for (d, s) in fam.iter_mut().zip(b) {
            *d = *s;
        }
        a.family = u16::from_le_bytes(fam);
        for (d, s) in a.path.iter_mut().zip(b.iter().skip(2)) {
            *d = *s;
        }
        a
    }
}

/// `struct sockaddr_in`, 16 bytes (port and address in network order).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct SockaddrIn {
    pub family: u16,
    pub port: [u8; 2],
    pub addr: [u8; 4],
    pub zero: [u8; 8],
}
const _: () = assert!(std::mem::size_of::<SockaddrIn>() == 16);

/// `struct sockaddr_in6`, 28 bytes (port and flowinfo in network order).
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct SockaddrIn6 {
    pub family: u16,
    pub port: [u8; 2],
    pub flowinfo: [u8; 4],
    pub addr: [u8; 16],
    pub scope_id: u32,
}
const _: () = assert!(std::mem::size_of::<SockaddrIn6>() == 28);
const _: () = assert!(std::mem::offset_of!(SockaddrIn6, scope_id) == 24);

/// socket(2) type flags.
pub const SOCK_NONBLOCK: u32 = 0o4000;
pub const SOCK_CLOEXEC: u32 = 0o2000000;
pub const SOCK_TYPE_MASK: u32 = 0xf;

/// msg flags that need attention.
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_WAITFORONE: u32 = 0x10000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
/// Kernel-internal: marks a compat caller; a user-supplied one is ignored.
pub const MSG_CMSG_COMPAT: u32 = 0x8000_0000;
pub const MSG_CTRUNC: u32 = 0x8;

/// Levels and options.
pub const SOL_SOCKET: i32 = 1;
pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;
pub const SO_RCVTIMEO_OLD: u32 = 20;
pub const SO_SNDTIMEO_OLD: u32 = 21;
pub const SO_ATTACH_FILTER: u32 = 26;
pub const SO_TIMESTAMP_OLD: i32 = 29;
pub const SO_TIMESTAMPNS_OLD: i32 = 35;
pub const SO_TIMESTAMPING_OLD: i32 = 37;
pub const SO_ATTACH_REUSEPORT_CBPF: u32 = 51;

/// Largest socket address (sizeof(struct sockaddr_storage)).
pub const SOCKADDR_MAX: usize = 128;

/// `struct compat_msghdr`, 28 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct MsgHdr {
    pub name: u32,
    pub namelen: i32,
    pub iov: u32,
    pub iovlen: u32,
    pub control: u32,
    pub controllen: u32,
    pub flags: u32,
}
const _: () = assert!(std::mem::size_of::<MsgHdr>() == 28);
const _: () = assert!(std::mem::offset_of!(MsgHdr, controllen) == 20);

/// `struct compat_mmsghdr`, 32 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct MMsgHdr {
    pub hdr: MsgHdr,
    pub len: u32,
}
const _: () = assert!(std::mem::size_of::<MMsgHdr>() == 32);

/// `struct compat_cmsghdr`, 12 bytes; data follows 4-aligned.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct CmsgHdr {
    pub len: u32,
    pub level: i32,
    pub ty: i32,
}
pub const CMSG_HDR: usize = 12;
const _: () = assert!(std::mem::size_of::<CmsgHdr>() == CMSG_HDR);

/// CMSG_COMPAT_ALIGN.
pub fn cmsg_align(n: usize) -> usize {
    (n + 3) & !3
}

/// The host's CMSG_ALIGN (8 on x86_64).
pub fn host_cmsg_align(n: usize) -> usize {
    (n + 7) & !7
}
pub const HOST_CMSG_HDR: usize = 16;

/// `struct compat_sock_fprog` (SO_ATTACH_FILTER): u16 len, pad, u32 filter.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct SockFprog {
    pub len: u16,
    pub pad: u16,
    pub filter: u32,
}
const _: () = assert!(std::mem::size_of::<SockFprog>() == 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_generic_linux() {
        assert_eq!(SOCK_NONBLOCK, libc::SOCK_NONBLOCK as u32);
        assert_eq!(SOCK_CLOEXEC, libc::SOCK_CLOEXEC as u32);
        assert_eq!(MSG_CMSG_CLOEXEC, libc::MSG_CMSG_CLOEXEC as u32);
        assert_eq!(SOL_SOCKET, libc::SOL_SOCKET);
        assert_eq!(cmsg_align(13), 16);
        assert_eq!(host_cmsg_align(20), 24);
        assert_eq!(call::NARGS[call::RECVFROM as usize], 6);
    }
}
