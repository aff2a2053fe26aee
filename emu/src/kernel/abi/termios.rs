//! Terminal and generic-file ioctls of i386 Linux (asm-generic/ioctls.h,
//! which x86 uses), with the structs they carry. These layouts are the same
//! on the x86_64 host; the numbers are defined here so guest values never
//! come from the host's headers.

use bytemuck::{Pod, Zeroable};

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TCGETA: u32 = 0x5405;
pub const TCSETA: u32 = 0x5406;
pub const TCSETAW: u32 = 0x5407;
pub const TCSETAF: u32 = 0x5408;
pub const TCSBRK: u32 = 0x5409;
pub const TCXONC: u32 = 0x540A;
pub const TCFLSH: u32 = 0x540B;
pub const TIOCEXCL: u32 = 0x540C;
pub const TIOCNXCL: u32 = 0x540D;
pub const TIOCSCTTY: u32 = 0x540E;
pub const TIOCGPGRP: u32 = 0x540F;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCOUTQ: u32 = 0x5411;
pub const TIOCSTI: u32 = 0x5412;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const TIOCMGET: u32 = 0x5415;
pub const TIOCMBIS: u32 = 0x5416;
pub const TIOCMBIC: u32 = 0x5417;
pub const TIOCMSET: u32 = 0x5418;
pub const TIOCGSOFTCAR: u32 = 0x5419;
pub const TIOCSSOFTCAR: u32 = 0x541A;
pub const FIONREAD: u32 = 0x541B;
pub const TIOCCONS: u32 = 0x541D;
pub const TIOCPKT: u32 = 0x5420;
pub const FIONBIO: u32 = 0x5421;
pub const TIOCNOTTY: u32 = 0x5422;
pub const TIOCSETD: u32 = 0x5423;
pub const TIOCGETD: u32 = 0x5424;
pub const TCSBRKP: u32 = 0x5425;
pub const TIOCSBRK: u32 = 0x5427;
pub const TIOCCBRK: u32 = 0x5428;
pub const TIOCGSID: u32 = 0x5429;
pub const TCGETS2: u32 = 0x802c_542a;
pub const TCSETS2: u32 = 0x402c_542b;
pub const TCSETSW2: u32 = 0x402c_542c;
pub const TCSETSF2: u32 = 0x402c_542d;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;
pub const TIOCGDEV: u32 = 0x8004_5432;
pub const TIOCSIG: u32 = 0x4004_5436;
pub const TIOCVHANGUP: u32 = 0x5437;
pub const TIOCGPKT: u32 = 0x8004_5438;
pub const TIOCGPTLCK: u32 = 0x8004_5439;
pub const TIOCGEXCL: u32 = 0x8004_5440;
pub const TIOCGPTPEER: u32 = 0x5441;
pub const FIONCLEX: u32 = 0x5450;
pub const FIOCLEX: u32 = 0x5451;
pub const FIOASYNC: u32 = 0x5452;
pub const FIOQSIZE: u32 = 0x5460;
/// Socket ioctls (linux/sockios.h) with identical layouts.
pub const FIOSETOWN: u32 = 0x8901;
pub const SIOCSPGRP: u32 = 0x8902;
pub const FIOGETOWN: u32 = 0x8903;
pub const SIOCGPGRP: u32 = 0x8904;
pub const SIOCATMARK: u32 = 0x8905;
/// Interface requests: `struct ifreq` is 32 bytes on i386, 40 on x86_64;
/// these read or return data in the first 32 bytes.
pub const SIOCGIFNAME: u32 = 0x8910;
pub const SIOCGIFFLAGS: u32 = 0x8913;
pub const SIOCGIFADDR: u32 = 0x8915;
pub const SIOCGIFDSTADDR: u32 = 0x8917;
pub const SIOCGIFBRDADDR: u32 = 0x8919;
pub const SIOCGIFNETMASK: u32 = 0x891b;
pub const SIOCGIFMETRIC: u32 = 0x891d;
pub const SIOCGIFMTU: u32 = 0x8921;
pub const SIOCGIFHWADDR: u32 = 0x8927;
pub const SIOCGIFINDEX: u32 = 0x8933;
pub const SIOCGIFTXQLEN: u32 = 0x8942;
pub const IFREQ_SIZE: usize = 32;
pub const HOST_IFREQ_SIZE: usize = 40;

pub const NCCS: usize = 19;

/// The kernel's `struct termios` (TCGETS/TCSETS), 36 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}
const _: () = assert!(std::mem::size_of::<Termios>() == 36);

/// `struct termios2` (TCGETS2), 44 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Termios2 {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
    pub c_ispeed: u32,
    pub c_ospeed: u32,
}
const _: () = assert!(std::mem::size_of::<Termios2>() == 44);

/// `struct termio` (TCGETA), 18 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Termio {
    pub c_iflag: u16,
    pub c_oflag: u16,
    pub c_cflag: u16,
    pub c_lflag: u16,
    pub c_line: u8,
    pub c_cc: [u8; 8],
    pub pad: u8,
}
const _: () = assert!(std::mem::size_of::<Termio>() == 18);

/// `struct winsize`, 8 bytes.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}
const _: () = assert!(std::mem::size_of::<Winsize>() == 8);

/// How an ioctl's argument is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// The argument is a value, not a pointer.
    Val,
    /// The kernel reads `n` bytes at the pointer.
    In(usize),
    /// The kernel writes `n` bytes at the pointer.
    Out(usize),
    /// Both.
    InOut(usize),
}

/// The pass-through ioctls (same number, same layout on the host).
pub fn arg_of(cmd: u32) -> Option<Arg> {
    use Arg::*;
    let t = std::mem::size_of::<Termios>();
    Some(match cmd {
        TCGETS => Out(t),
        TCSETS | TCSETSW | TCSETSF => In(t),
        TCGETS2 => Out(44),
        TCSETS2 | TCSETSW2 | TCSETSF2 => In(44),
        TCGETA => Out(18),
        TCSETA | TCSETAW | TCSETAF => In(18),
        TCSBRK | TCSBRKP | TCXONC | TCFLSH | TIOCSCTTY | TIOCNOTTY | TIOCEXCL | TIOCNXCL
        | TIOCSBRK | TIOCCBRK | TIOCVHANGUP | TIOCSIG | TIOCCONS => Val,
        TIOCGPGRP | TIOCGSID | TIOCOUTQ | FIONREAD | TIOCMGET | TIOCGETD | TIOCGSOFTCAR
        | TIOCGPTN | TIOCGDEV | TIOCGPKT | TIOCGPTLCK | TIOCGEXCL | FIOGETOWN | SIOCGPGRP
        | SIOCATMARK => Out(4),
        TIOCSPGRP | TIOCMBIS | TIOCMBIC | TIOCMSET | TIOCSETD | TIOCSSOFTCAR | TIOCPKT
        | FIONBIO | FIOASYNC | TIOCSPTLCK | FIOSETOWN | SIOCSPGRP => In(4),
        TIOCSTI => In(1),
        TIOCGWINSZ => Out(8),
        TIOCSWINSZ => In(8),
        FIOQSIZE => Out(8),
        _ => return None,
    })
}

/// Whether `cmd` is one of the supported `struct ifreq` requests.
pub fn is_ifreq(cmd: u32) -> bool {
    matches!(
        cmd,
        SIOCGIFNAME
            | SIOCGIFFLAGS
            | SIOCGIFADDR
            | SIOCGIFDSTADDR
            | SIOCGIFBRDADDR
            | SIOCGIFNETMASK
            | SIOCGIFMETRIC
            | SIOCGIFMTU
            | SIOCGIFHWADDR
            | SIOCGIFINDEX
            | SIOCGIFTXQLEN
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_host() {
        assert_eq!(TCGETS, libc::TCGETS as u32);
        assert_eq!(TIOCGWINSZ, libc::TIOCGWINSZ as u32);
        assert_eq!(FIONREAD, libc::FIONREAD as u32);
        assert_eq!(FIONBIO, libc::FIONBIO as u32);
        assert_eq!(TIOCGPTN, libc::TIOCGPTN as u32);
        assert_eq!(
            std::mem::size_of::<Winsize>(),
            std::mem::size_of::<libc::winsize>()
        );
        assert_eq!(arg_of(TCGETS), Some(Arg::Out(36)));
        assert_eq!(arg_of(0x1234), None);
    }
}
