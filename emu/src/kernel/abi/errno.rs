//! Linux errno values (asm-generic/errno-base.h, errno.h) as the guest sees them.

/// A guest errno. Handlers return `Err(Errno::X)`; only the dispatcher turns
/// it into `-errno` in eax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u32);

macro_rules! errnos {
    ($($name:ident = $v:literal,)*) => {
        impl Errno { $(pub const $name: Errno = Errno($v);)* }
        /// Name of an errno value, for strace output.
        pub fn name(e: u32) -> Option<&'static str> {
            match e { $($v => Some(stringify!($name)),)* _ => None }
        }
    };
}

errnos! {
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
    EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, ENOTBLK = 15,
    EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
    ENFILE = 23, EMFILE = 24, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29,
    EROFS = 30, EMLINK = 31, EPIPE = 32, EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36,
    ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENOMSG = 42, EIDRM = 43, ENOSTR = 60,
    ENODATA = 61, ETIME = 62, ENOSR = 63, EREMOTE = 66, ENOLINK = 67, EPROTO = 71, EMULTIHOP = 72,
    EBADMSG = 74, EOVERFLOW = 75, ELIBBAD = 80, EILSEQ = 84, EUSERS = 87, ENOTSOCK = 88, EDESTADDRREQ = 89,
    EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92, EPROTONOSUPPORT = 93, ESOCKTNOSUPPORT = 94,
    EOPNOTSUPP = 95, EPFNOSUPPORT = 96, EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99,
    ENETDOWN = 100, ENETUNREACH = 101, ENETRESET = 102, ECONNABORTED = 103, ECONNRESET = 104,
    ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107, ESHUTDOWN = 108, ETOOMANYREFS = 109,
    ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTDOWN = 112, EHOSTUNREACH = 113, EALREADY = 114,
    EINPROGRESS = 115, ESTALE = 116, EDQUOT = 122, ECANCELED = 125, EOWNERDEAD = 130,
    ENOTRECOVERABLE = 131, ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514,
    ENOIOCTLCMD = 515, ERESTART_RESTARTBLOCK = 516,
}

impl Errno {
    /// Translate a host errno to the guest's. Linux x86_64 and i386 share
    /// the generic numbering, but the mapping is explicit so a non-Linux
    /// host or an unexpected value never leaks through.
    pub fn from_host(e: i32) -> Errno {
        macro_rules! map {
            ($($n:ident)*) => { match e { $(x if x == libc::$n => Errno::$n,)* _ => Errno::EIO } };
        }
        map!(EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT
             ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG
             ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY
             ELOOP ENOMSG EIDRM ENODATA ETIME EOVERFLOW EILSEQ ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE
             ENOPROTOOPT EPROTONOSUPPORT EOPNOTSUPP EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN
             ENETUNREACH ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ETIMEDOUT ECONNREFUSED
             EHOSTUNREACH EALREADY EINPROGRESS ESTALE EDQUOT ECANCELED)
    }

    /// The last host error, translated.
    pub fn last() -> Errno {
        Errno::from_host(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }
}
