//! strace's names for flags and values (its xlat tables) and the
//! `A|B|0x40` printing of flag sets.

use crate::kernel::abi::fs::{self as afs, at, o, poll as apoll};
use crate::kernel::abi::mm as am;
use crate::kernel::abi::net as anet;
use crate::kernel::abi::sched::{clone as cl, wait};
use crate::kernel::abi::signal as asig;
use crate::kernel::abi::sys as asys;
use crate::kernel::abi::time as atime;

pub(super) const SIGHOW: &[(u32, &str)] = &[
    (asig::SIG_BLOCK, "SIG_BLOCK"),
    (asig::SIG_UNBLOCK, "SIG_UNBLOCK"),
    (asig::SIG_SETMASK, "SIG_SETMASK"),
];

pub(super) const SA_FLAGS: &[(u32, &str)] = &[
    (asig::sa::RESTORER, "SA_RESTORER"),
    (asig::sa::ONSTACK, "SA_ONSTACK"),
    (asig::sa::RESTART, "SA_RESTART"),
    (0x2000_0000, "SA_INTERRUPT"),
    (asig::sa::NODEFER, "SA_NODEFER"),
    (asig::sa::RESETHAND, "SA_RESETHAND"),
    (asig::sa::SIGINFO, "SA_SIGINFO"),
    (asig::sa::NOCLDSTOP, "SA_NOCLDSTOP"),
    (asig::sa::NOCLDWAIT, "SA_NOCLDWAIT"),
];

pub(super) const CLOCKS: &[(u32, &str)] = &[
    (atime::CLOCK_REALTIME, "CLOCK_REALTIME"),
    (atime::CLOCK_MONOTONIC, "CLOCK_MONOTONIC"),
    (atime::CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"),
    (atime::CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"),
    (atime::CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"),
    (atime::CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"),
    (atime::CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"),
    (atime::CLOCK_BOOTTIME, "CLOCK_BOOTTIME"),
    (atime::CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM"),
    (atime::CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM"),
    (atime::CLOCK_TAI, "CLOCK_TAI"),
];

pub(super) const TFLAGS: &[(u32, &str)] = &[(atime::TIMER_ABSTIME, "TIMER_ABSTIME")];

pub(super) const AFS: &[(u32, &str)] = &[
    (anet::AF_UNSPEC as u32, "AF_UNSPEC"),
    (anet::AF_UNIX as u32, "AF_UNIX"),
    (anet::AF_INET as u32, "AF_INET"),
    (anet::AF_INET6 as u32, "AF_INET6"),
    (anet::AF_NETLINK as u32, "AF_NETLINK"),
    (anet::AF_PACKET as u32, "AF_PACKET"),
];

pub(super) const SOCKTYPES: &[(u32, &str)] = &[
    (anet::SOCK_STREAM, "SOCK_STREAM"),
    (anet::SOCK_DGRAM, "SOCK_DGRAM"),
    (anet::SOCK_RAW, "SOCK_RAW"),
    (anet::SOCK_RDM, "SOCK_RDM"),
    (anet::SOCK_SEQPACKET, "SOCK_SEQPACKET"),
    (anet::SOCK_DCCP, "SOCK_DCCP"),
    (anet::SOCK_PACKET, "SOCK_PACKET"),
];

pub(super) const SOCKFLAGS: &[(u32, &str)] = &[
    (anet::SOCK_CLOEXEC, "SOCK_CLOEXEC"),
    (anet::SOCK_NONBLOCK, "SOCK_NONBLOCK"),
];

pub(super) const IPPROTOS: &[(u32, &str)] = &[
    (anet::IPPROTO_IP, "IPPROTO_IP"),
    (anet::IPPROTO_ICMP, "IPPROTO_ICMP"),
    (anet::IPPROTO_TCP, "IPPROTO_TCP"),
    (anet::IPPROTO_UDP, "IPPROTO_UDP"),
    (anet::IPPROTO_IPV6, "IPPROTO_IPV6"),
    (anet::IPPROTO_ICMPV6, "IPPROTO_ICMPV6"),
    (anet::IPPROTO_SCTP, "IPPROTO_SCTP"),
    (anet::IPPROTO_UDPLITE, "IPPROTO_UDPLITE"),
    (anet::IPPROTO_RAW, "IPPROTO_RAW"),
];

pub(super) const ATFLAGS: &[(u32, &str)] = &[
    (at::SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"),
    (at::REMOVEDIR, "AT_REMOVEDIR"),
    (at::SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"),
    (at::NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"),
    (at::EMPTY_PATH, "AT_EMPTY_PATH"),
];

pub(super) const RLIMITS: &[(u32, &str)] = &[
    (asys::rlimit::CPU, "RLIMIT_CPU"),
    (asys::rlimit::FSIZE, "RLIMIT_FSIZE"),
    (asys::rlimit::DATA, "RLIMIT_DATA"),
    (asys::rlimit::STACK, "RLIMIT_STACK"),
    (asys::rlimit::CORE, "RLIMIT_CORE"),
    (asys::rlimit::RSS, "RLIMIT_RSS"),
    (asys::rlimit::NPROC, "RLIMIT_NPROC"),
    (asys::rlimit::NOFILE, "RLIMIT_NOFILE"),
    (asys::rlimit::MEMLOCK, "RLIMIT_MEMLOCK"),
    (asys::rlimit::AS, "RLIMIT_AS"),
    (asys::rlimit::LOCKS, "RLIMIT_LOCKS"),
    (asys::rlimit::SIGPENDING, "RLIMIT_SIGPENDING"),
    (asys::rlimit::MSGQUEUE, "RLIMIT_MSGQUEUE"),
    (asys::rlimit::NICE, "RLIMIT_NICE"),
    (asys::rlimit::RTPRIO, "RLIMIT_RTPRIO"),
    (asys::rlimit::RTTIME, "RLIMIT_RTTIME"),
];

pub(super) const GRND: &[(u32, &str)] = &[
    (asys::GRND_NONBLOCK, "GRND_NONBLOCK"),
    (asys::GRND_RANDOM, "GRND_RANDOM"),
    (asys::GRND_INSECURE, "GRND_INSECURE"),
];

pub(super) const POLL: &[(u32, &str)] = &[
    (apoll::POLLIN, "POLLIN"),
    (apoll::POLLPRI, "POLLPRI"),
    (apoll::POLLOUT, "POLLOUT"),
    (apoll::POLLERR, "POLLERR"),
    (apoll::POLLHUP, "POLLHUP"),
    (apoll::POLLNVAL, "POLLNVAL"),
    (apoll::POLLRDNORM, "POLLRDNORM"),
    (apoll::POLLRDBAND, "POLLRDBAND"),
    (apoll::POLLWRNORM, "POLLWRNORM"),
    (apoll::POLLWRBAND, "POLLWRBAND"),
    (apoll::POLLMSG, "POLLMSG"),
    (apoll::POLLREMOVE, "POLLREMOVE"),
    (apoll::POLLRDHUP, "POLLRDHUP"),
];

/// The tty and file ioctls programs make most (asm-generic/ioctls.h).
pub(super) const IOCTLS: &[(u32, &str)] = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x5405, "TCGETA"),
    (0x5406, "TCSETA"),
    (0x5407, "TCSETAW"),
    (0x5408, "TCSETAF"),
    (0x5409, "TCSBRK"),
    (0x540a, "TCXONC"),
    (0x540b, "TCFLSH"),
    (0x540c, "TIOCEXCL"),
    (0x540d, "TIOCNXCL"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5411, "TIOCOUTQ"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5429, "TIOCGSID"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x8004_5430, "TIOCGPTN"),
    (0x4004_5431, "TIOCSPTLCK"),
];

pub(super) const PR_SET_PDEATHSIG: u32 = 1;
pub(super) const PR_GET_DUMPABLE: u32 = 3;
pub(super) const PR_GET_KEEPCAPS: u32 = 7;
pub(super) const PR_SET_NAME: u32 = 15;
pub(super) const PR_GET_NAME: u32 = 16;
pub(super) const PR_GET_NO_NEW_PRIVS: u32 = 39;

/// prctl options (linux/prctl.h).
pub(super) const PRCTL: &[(u32, &str)] = &[
    (PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (PR_GET_DUMPABLE, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (5, "PR_GET_UNALIGN"),
    (6, "PR_SET_UNALIGN"),
    (PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (9, "PR_GET_FPEMU"),
    (10, "PR_SET_FPEMU"),
    (11, "PR_GET_FPEXC"),
    (12, "PR_SET_FPEXC"),
    (13, "PR_GET_TIMING"),
    (14, "PR_SET_TIMING"),
    (PR_SET_NAME, "PR_SET_NAME"),
    (PR_GET_NAME, "PR_GET_NAME"),
    (19, "PR_GET_ENDIAN"),
    (20, "PR_SET_ENDIAN"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (25, "PR_GET_TSC"),
    (26, "PR_SET_TSC"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (29, "PR_SET_TIMERSLACK"),
    (30, "PR_GET_TIMERSLACK"),
    (31, "PR_TASK_PERF_EVENTS_DISABLE"),
    (32, "PR_TASK_PERF_EVENTS_ENABLE"),
    (33, "PR_MCE_KILL"),
    (34, "PR_MCE_KILL_GET"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (45, "PR_SET_FP_MODE"),
    (46, "PR_GET_FP_MODE"),
    (47, "PR_CAP_AMBIENT"),
    (0x5359_4d41, "PR_SET_VMA"),
];

pub(super) const RENAME: &[(u32, &str)] = &[
    (at::RENAME_NOREPLACE, "RENAME_NOREPLACE"),
    (at::RENAME_EXCHANGE, "RENAME_EXCHANGE"),
    (at::RENAME_WHITEOUT, "RENAME_WHITEOUT"),
];

pub(super) const MSFLAGS: &[(u32, &str)] = &[
    (am::MS_ASYNC, "MS_ASYNC"),
    (am::MS_SYNC, "MS_SYNC"),
    (am::MS_INVALIDATE, "MS_INVALIDATE"),
];

pub(super) const EPOLLOPS: &[(u32, &str)] = &[
    (afs::epoll::CTL_ADD, "EPOLL_CTL_ADD"),
    (afs::epoll::CTL_DEL, "EPOLL_CTL_DEL"),
    (afs::epoll::CTL_MOD, "EPOLL_CTL_MOD"),
];

pub(super) const EPOLL: &[(u32, &str)] = &[
    (apoll::POLLIN, "EPOLLIN"),
    (apoll::POLLPRI, "EPOLLPRI"),
    (apoll::POLLOUT, "EPOLLOUT"),
    (apoll::POLLERR, "EPOLLERR"),
    (apoll::POLLHUP, "EPOLLHUP"),
    (apoll::POLLNVAL, "EPOLLNVAL"),
    (apoll::POLLRDNORM, "EPOLLRDNORM"),
    (apoll::POLLRDBAND, "EPOLLRDBAND"),
    (apoll::POLLWRNORM, "EPOLLWRNORM"),
    (apoll::POLLWRBAND, "EPOLLWRBAND"),
    (apoll::POLLMSG, "EPOLLMSG"),
    (apoll::POLLRDHUP, "EPOLLRDHUP"),
    (afs::epoll::EXCLUSIVE, "EPOLLEXCLUSIVE"),
    (afs::epoll::WAKEUP, "EPOLLWAKEUP"),
    (afs::epoll::ONESHOT, "EPOLLONESHOT"),
    (afs::epoll::ET, "EPOLLET"),
];

pub(super) const ITIMERS: &[(u32, &str)] = &[
    (0, "ITIMER_REAL"),
    (1, "ITIMER_VIRTUAL"),
    (2, "ITIMER_PROF"),
];

pub(super) const SOL: &[(u32, &str)] = &[
    (0, "SOL_IP"),
    (1, "SOL_SOCKET"),
    (6, "SOL_TCP"),
    (17, "SOL_UDP"),
    (41, "SOL_IPV6"),
    (58, "SOL_ICMPV6"),
    (255, "SOL_RAW"),
];

/// SOL_SOCKET options (asm-generic/socket.h, the i386 numbers).
pub(super) const SO: &[(u32, &str)] = &[
    (1, "SO_DEBUG"),
    (2, "SO_REUSEADDR"),
    (3, "SO_TYPE"),
    (4, "SO_ERROR"),
    (5, "SO_DONTROUTE"),
    (6, "SO_BROADCAST"),
    (7, "SO_SNDBUF"),
    (8, "SO_RCVBUF"),
    (9, "SO_KEEPALIVE"),
    (10, "SO_OOBINLINE"),
    (11, "SO_NO_CHECK"),
    (12, "SO_PRIORITY"),
    (13, "SO_LINGER"),
    (14, "SO_BSDCOMPAT"),
    (15, "SO_REUSEPORT"),
    (16, "SO_PASSCRED"),
    (17, "SO_PEERCRED"),
    (18, "SO_RCVLOWAT"),
    (19, "SO_SNDLOWAT"),
    (20, "SO_RCVTIMEO_OLD"),
    (21, "SO_SNDTIMEO_OLD"),
    (25, "SO_BINDTODEVICE"),
    (26, "SO_ATTACH_FILTER"),
    (29, "SO_TIMESTAMP_OLD"),
    (30, "SO_ACCEPTCONN"),
    (32, "SO_SNDBUFFORCE"),
    (33, "SO_RCVBUFFORCE"),
    (34, "SO_PASSSEC"),
    (38, "SO_PROTOCOL"),
    (39, "SO_DOMAIN"),
];

pub(super) const TCPOPT: &[(u32, &str)] = &[
    (1, "TCP_NODELAY"),
    (2, "TCP_MAXSEG"),
    (3, "TCP_CORK"),
    (4, "TCP_KEEPIDLE"),
    (5, "TCP_KEEPINTVL"),
    (6, "TCP_KEEPCNT"),
];

/// send/recv flags, in strace's order (its msg_flags).
pub(super) const MSGFLAGS: &[(u32, &str)] = &[
    (0x1, "MSG_OOB"),
    (0x2, "MSG_PEEK"),
    (0x4, "MSG_DONTROUTE"),
    (0x8, "MSG_CTRUNC"),
    (0x10, "MSG_PROBE"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x200, "MSG_FIN"),
    (0x400, "MSG_SYN"),
    (0x800, "MSG_CONFIRM"),
    (0x1000, "MSG_RST"),
    (0x2000, "MSG_ERRQUEUE"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x1_0000, "MSG_WAITFORONE"),
    (0x4_0000, "MSG_BATCH"),
    (0x400_0000, "MSG_ZEROCOPY"),
    (0x2000_0000, "MSG_FASTOPEN"),
    (0x4000_0000, "MSG_CMSG_CLOEXEC"),
];

pub(super) const SHUT: &[(u32, &str)] = &[(0, "SHUT_RD"), (1, "SHUT_WR"), (2, "SHUT_RDWR")];

pub(super) const AMODE: &[(u32, &str)] = &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")];

pub(super) const WHENCE: &[(u32, &str)] = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];

pub(super) const FDFLAGS: &[(u32, &str)] = &[(afs::f::FD_CLOEXEC, "FD_CLOEXEC")];

pub(super) const LOCKTYPES: &[(u32, &str)] = &[
    (afs::f::RDLCK as u32, "F_RDLCK"),
    (afs::f::WRLCK as u32, "F_WRLCK"),
    (afs::f::UNLCK as u32, "F_UNLCK"),
];

pub(super) const FCNTL: &[(u32, &str)] = &[
    (afs::f::DUPFD, "F_DUPFD"),
    (afs::f::GETFD, "F_GETFD"),
    (afs::f::SETFD, "F_SETFD"),
    (afs::f::GETFL, "F_GETFL"),
    (afs::f::SETFL, "F_SETFL"),
    (afs::f::GETLK, "F_GETLK"),
    (afs::f::SETLK, "F_SETLK"),
    (afs::f::SETLKW, "F_SETLKW"),
    (afs::f::SETOWN, "F_SETOWN"),
    (afs::f::GETOWN, "F_GETOWN"),
    (afs::f::SETSIG, "F_SETSIG"),
    (afs::f::GETSIG, "F_GETSIG"),
    (afs::f::GETLK64, "F_GETLK64"),
    (afs::f::SETLK64, "F_SETLK64"),
    (afs::f::SETLKW64, "F_SETLKW64"),
    (afs::f::SETOWN_EX, "F_SETOWN_EX"),
    (afs::f::GETOWN_EX, "F_GETOWN_EX"),
    (afs::f::GETOWNER_UIDS, "F_GETOWNER_UIDS"),
    (afs::f::OFD_GETLK, "F_OFD_GETLK"),
    (afs::f::OFD_SETLK, "F_OFD_SETLK"),
    (afs::f::OFD_SETLKW, "F_OFD_SETLKW"),
    (afs::f::SETLEASE, "F_SETLEASE"),
    (afs::f::GETLEASE, "F_GETLEASE"),
    (afs::f::NOTIFY, "F_NOTIFY"),
    (afs::f::DUPFD_QUERY, "F_DUPFD_QUERY"),
    (afs::f::CANCELLK, "F_CANCELLK"),
    (afs::f::DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"),
    (afs::f::SETPIPE_SZ, "F_SETPIPE_SZ"),
    (afs::f::GETPIPE_SZ, "F_GETPIPE_SZ"),
    (afs::f::ADD_SEALS, "F_ADD_SEALS"),
    (afs::f::GET_SEALS, "F_GET_SEALS"),
    (afs::f::GET_RW_HINT, "F_GET_RW_HINT"),
    (afs::f::SET_RW_HINT, "F_SET_RW_HINT"),
    (afs::f::GET_FILE_RW_HINT, "F_GET_FILE_RW_HINT"),
    (afs::f::SET_FILE_RW_HINT, "F_SET_FILE_RW_HINT"),
];

pub(super) const SS_FLAGS: &[(u32, &str)] = &[
    (asig::SS_ONSTACK, "SS_ONSTACK"),
    (asig::SS_DISABLE, "SS_DISABLE"),
    (asig::SS_AUTODISARM, "SS_AUTODISARM"),
];

pub(super) const WOPTS: &[(u32, &str)] = &[
    (wait::WNOHANG, "WNOHANG"),
    (wait::WUNTRACED, "WUNTRACED"),
    (wait::WEXITED, "WEXITED"),
    (wait::WCONTINUED, "WCONTINUED"),
    (wait::WNOWAIT, "WNOWAIT"),
    (wait::WNOTHREAD, "__WNOTHREAD"),
    (wait::WALL, "__WALL"),
    (wait::WCLONE, "__WCLONE"),
];

pub(super) const MADV: &[(u32, &str)] = &[
    (am::madv::NORMAL, "MADV_NORMAL"),
    (am::madv::RANDOM, "MADV_RANDOM"),
    (am::madv::SEQUENTIAL, "MADV_SEQUENTIAL"),
    (am::madv::WILLNEED, "MADV_WILLNEED"),
    (am::madv::DONTNEED, "MADV_DONTNEED"),
    (am::madv::FREE, "MADV_FREE"),
    (am::madv::REMOVE, "MADV_REMOVE"),
    (am::madv::DONTFORK, "MADV_DONTFORK"),
    (am::madv::DOFORK, "MADV_DOFORK"),
    (am::madv::MERGEABLE, "MADV_MERGEABLE"),
    (am::madv::UNMERGEABLE, "MADV_UNMERGEABLE"),
    (am::madv::HUGEPAGE, "MADV_HUGEPAGE"),
    (am::madv::NOHUGEPAGE, "MADV_NOHUGEPAGE"),
    (am::madv::DONTDUMP, "MADV_DONTDUMP"),
    (am::madv::DODUMP, "MADV_DODUMP"),
    (am::madv::WIPEONFORK, "MADV_WIPEONFORK"),
    (am::madv::KEEPONFORK, "MADV_KEEPONFORK"),
    (am::madv::COLD, "MADV_COLD"),
    (am::madv::PAGEOUT, "MADV_PAGEOUT"),
    (am::madv::POPULATE_READ, "MADV_POPULATE_READ"),
    (am::madv::POPULATE_WRITE, "MADV_POPULATE_WRITE"),
    (am::madv::DONTNEED_LOCKED, "MADV_DONTNEED_LOCKED"),
    (am::madv::COLLAPSE, "MADV_COLLAPSE"),
    (am::madv::HWPOISON, "MADV_HWPOISON"),
    (am::madv::SOFT_OFFLINE, "MADV_SOFT_OFFLINE"),
    (am::madv::GUARD_INSTALL, "MADV_GUARD_INSTALL"),
    (am::madv::GUARD_REMOVE, "MADV_GUARD_REMOVE"),
];

pub(super) const CLONE: &[(u32, &str)] = &[
    (cl::VM as u32, "CLONE_VM"),
    (cl::FS as u32, "CLONE_FS"),
    (cl::FILES as u32, "CLONE_FILES"),
    (cl::SIGHAND as u32, "CLONE_SIGHAND"),
    (cl::PIDFD as u32, "CLONE_PIDFD"),
    (cl::PTRACE as u32, "CLONE_PTRACE"),
    (cl::VFORK as u32, "CLONE_VFORK"),
    (cl::PARENT as u32, "CLONE_PARENT"),
    (cl::THREAD as u32, "CLONE_THREAD"),
    (cl::NEWNS as u32, "CLONE_NEWNS"),
    (cl::SYSVSEM as u32, "CLONE_SYSVSEM"),
    (cl::SETTLS as u32, "CLONE_SETTLS"),
    (cl::PARENT_SETTID as u32, "CLONE_PARENT_SETTID"),
    (cl::CHILD_CLEARTID as u32, "CLONE_CHILD_CLEARTID"),
    (cl::DETACHED as u32, "CLONE_DETACHED"),
    (cl::UNTRACED as u32, "CLONE_UNTRACED"),
    (cl::CHILD_SETTID as u32, "CLONE_CHILD_SETTID"),
    (cl::NEWCGROUP as u32, "CLONE_NEWCGROUP"),
    (cl::NEWUTS as u32, "CLONE_NEWUTS"),
    (cl::NEWIPC as u32, "CLONE_NEWIPC"),
    (cl::NEWUSER as u32, "CLONE_NEWUSER"),
    (cl::NEWPID as u32, "CLONE_NEWPID"),
    (cl::NEWNET as u32, "CLONE_NEWNET"),
    (cl::IO as u32, "CLONE_IO"),
];

/// clone3's flags: clone's and the 64-bit ones.
pub(super) const CLONE3: &[(u64, &str)] = &[
    (cl::VM, "CLONE_VM"),
    (cl::FS, "CLONE_FS"),
    (cl::FILES, "CLONE_FILES"),
    (cl::SIGHAND, "CLONE_SIGHAND"),
    (cl::PIDFD, "CLONE_PIDFD"),
    (cl::PTRACE, "CLONE_PTRACE"),
    (cl::VFORK, "CLONE_VFORK"),
    (cl::PARENT, "CLONE_PARENT"),
    (cl::THREAD, "CLONE_THREAD"),
    (cl::NEWNS, "CLONE_NEWNS"),
    (cl::SYSVSEM, "CLONE_SYSVSEM"),
    (cl::SETTLS, "CLONE_SETTLS"),
    (cl::PARENT_SETTID, "CLONE_PARENT_SETTID"),
    (cl::CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
    (cl::DETACHED, "CLONE_DETACHED"),
    (cl::UNTRACED, "CLONE_UNTRACED"),
    (cl::CHILD_SETTID, "CLONE_CHILD_SETTID"),
    (cl::NEWCGROUP, "CLONE_NEWCGROUP"),
    (cl::NEWUTS, "CLONE_NEWUTS"),
    (cl::NEWIPC, "CLONE_NEWIPC"),
    (cl::NEWUSER, "CLONE_NEWUSER"),
    (cl::NEWPID, "CLONE_NEWPID"),
    (cl::NEWNET, "CLONE_NEWNET"),
    (cl::IO, "CLONE_IO"),
    (cl::CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"),
    (cl::INTO_CGROUP, "CLONE_INTO_CGROUP"),
];

pub(super) const STATX_MASK: &[(u32, &str)] = &[
    (afs::statx::ALL, "STATX_ALL"),
    (afs::statx::BASIC_STATS, "STATX_BASIC_STATS"),
    (afs::statx::TYPE, "STATX_TYPE"),
    (afs::statx::MODE, "STATX_MODE"),
    (afs::statx::NLINK, "STATX_NLINK"),
    (afs::statx::UID, "STATX_UID"),
    (afs::statx::GID, "STATX_GID"),
    (afs::statx::ATIME, "STATX_ATIME"),
    (afs::statx::MTIME, "STATX_MTIME"),
    (afs::statx::CTIME, "STATX_CTIME"),
    (afs::statx::INO, "STATX_INO"),
    (afs::statx::SIZE, "STATX_SIZE"),
    (afs::statx::BLOCKS, "STATX_BLOCKS"),
    (afs::statx::BTIME, "STATX_BTIME"),
    (afs::statx::MNT_ID, "STATX_MNT_ID"),
    (afs::statx::DIOALIGN, "STATX_DIOALIGN"),
    (afs::statx::MNT_ID_UNIQUE, "STATX_MNT_ID_UNIQUE"),
    (afs::statx::SUBVOL, "STATX_SUBVOL"),
    (afs::statx::WRITE_ATOMIC, "STATX_WRITE_ATOMIC"),
    (afs::statx::DIO_READ_ALIGN, "STATX_DIO_READ_ALIGN"),
];

pub(super) const STATX_ATTRS: &[(u64, &str)] = &[
    (afs::statx::ATTR_COMPRESSED, "STATX_ATTR_COMPRESSED"),
    (afs::statx::ATTR_IMMUTABLE, "STATX_ATTR_IMMUTABLE"),
    (afs::statx::ATTR_APPEND, "STATX_ATTR_APPEND"),
    (afs::statx::ATTR_NODUMP, "STATX_ATTR_NODUMP"),
    (afs::statx::ATTR_ENCRYPTED, "STATX_ATTR_ENCRYPTED"),
    (afs::statx::ATTR_AUTOMOUNT, "STATX_ATTR_AUTOMOUNT"),
    (afs::statx::ATTR_MOUNT_ROOT, "STATX_ATTR_MOUNT_ROOT"),
    (afs::statx::ATTR_VERITY, "STATX_ATTR_VERITY"),
    (afs::statx::ATTR_DAX, "STATX_ATTR_DAX"),
    (afs::statx::ATTR_WRITE_ATOMIC, "STATX_ATTR_WRITE_ATOMIC"),
];

pub(super) const PROT: &[(u32, &str)] = &[
    (am::PROT_READ, "PROT_READ"),
    (am::PROT_WRITE, "PROT_WRITE"),
    (am::PROT_EXEC, "PROT_EXEC"),
    (am::PROT_SEM, "PROT_SEM"),
    (am::PROT_GROWSDOWN, "PROT_GROWSDOWN"),
    (am::PROT_GROWSUP, "PROT_GROWSUP"),
];

pub(super) const MAP: &[(u32, &str)] = &[
    (am::MAP_FIXED, "MAP_FIXED"),
    (am::MAP_ANONYMOUS, "MAP_ANONYMOUS"),
    (am::MAP_32BIT, "MAP_32BIT"),
    (am::MAP_GROWSDOWN, "MAP_GROWSDOWN"),
    (am::MAP_DENYWRITE, "MAP_DENYWRITE"),
    (am::MAP_EXECUTABLE, "MAP_EXECUTABLE"),
    (am::MAP_LOCKED, "MAP_LOCKED"),
    (am::MAP_NORESERVE, "MAP_NORESERVE"),
    (am::MAP_POPULATE, "MAP_POPULATE"),
    (am::MAP_NONBLOCK, "MAP_NONBLOCK"),
    (am::MAP_STACK, "MAP_STACK"),
    (am::MAP_HUGETLB, "MAP_HUGETLB"),
    (am::MAP_SYNC, "MAP_SYNC"),
    (am::MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    (am::MAP_UNINITIALIZED, "MAP_UNINITIALIZED"),
];

/// In strace's order (its open_mode_flags), O_ASYNC as FASYNC.
pub(super) const OPEN: &[(u32, &str)] = &[
    (o::CREAT, "O_CREAT"),
    (o::EXCL, "O_EXCL"),
    (o::NOCTTY, "O_NOCTTY"),
    (o::TRUNC, "O_TRUNC"),
    (o::APPEND, "O_APPEND"),
    (o::NONBLOCK, "O_NONBLOCK"),
    (o::SYNC, "O_SYNC"),
    (o::SYNC & !o::DSYNC, "__O_SYNC"),
    (o::DSYNC, "O_DSYNC"),
    (o::DIRECT, "O_DIRECT"),
    (o::LARGEFILE, "O_LARGEFILE"),
    (o::NOFOLLOW, "O_NOFOLLOW"),
    (o::NOATIME, "O_NOATIME"),
    (o::CLOEXEC, "O_CLOEXEC"),
    (o::PATH, "O_PATH"),
    (o::TMPFILE, "O_TMPFILE"),
    (o::TMPFILE & !o::DIRECTORY, "__O_TMPFILE"),
    (o::DIRECTORY, "O_DIRECTORY"),
    (o::ASYNC, "FASYNC"),
];

/// `A|B|0x40` for the bits of `v` named in `names` (multi-bit names first
/// when they match whole); `none` when `v` is 0.
pub(super) fn flags(v: u32, names: &[(u32, &str)], none: &str, unknown: &str) -> String {
    if v == 0 {
        return none.into();
    }
    let mut parts = Vec::new();
    let mut left = v;
    for &(bit, name) in names {
        if bit != 0 && left & bit == bit {
            parts.push(name.to_string());
            left &= !bit;
        }
    }
    if left != 0 {
        // strace adds a comment only when no name matched.
        if parts.is_empty() {
            parts.push(format!("{left:#x} /* {unknown} */"));
        } else {
            parts.push(format!("{left:#x}"));
        }
    }
    parts.join("|")
}

/// [`flags`] of a 64-bit value.
pub(super) fn flags64(v: u64, names: &[(u64, &str)], none: &str, unknown: &str) -> String {
    if v == 0 {
        return none.into();
    }
    let mut parts = Vec::new();
    let mut left = v;
    for &(bit, name) in names {
        if bit != 0 && left & bit == bit {
            parts.push(name.to_string());
            left &= !bit;
        }
    }
    if left != 0 {
        if parts.is_empty() {
            parts.push(format!("{left:#x} /* {unknown} */"));
        } else {
            parts.push(format!("{left:#x}"));
        }
    }
    parts.join("|")
}

pub(super) fn oflags(v: u32) -> String {
    let mode = match v & o::ACCMODE {
        o::RDONLY => "O_RDONLY",
        o::WRONLY => "O_WRONLY",
        o::RDWR => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let rest = v & !o::ACCMODE;
    if rest == 0 {
        return mode.into();
    }
    format!("{mode}|{}", flags(rest, OPEN, "", "O_???"))
}

pub(super) fn mflags(v: u32) -> String {
    let ty = match v & am::MAP_TYPE {
        am::MAP_SHARED => "MAP_SHARED".to_string(),
        am::MAP_PRIVATE => "MAP_PRIVATE".to_string(),
        am::MAP_SHARED_VALIDATE => "MAP_SHARED_VALIDATE".to_string(),
        0 => "MAP_FILE".to_string(),
        t => format!("{t:#x} /* MAP_??? */"),
    };
    let rest = v & !am::MAP_TYPE;
    if rest == 0 {
        return ty;
    }
    format!("{ty}|{}", flags(rest, MAP, "", "MAP_???"))
}
