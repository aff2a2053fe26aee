//! The formats of `syscalls.tbl`: one argument, struct or result value
//! as strace shows it, and the selector formats' choices.

use std::fmt::Write as _;

use bytemuck::Pod;

use super::names::*;
use super::{interrupted, signame, MAX_STR};
use crate::arch::ptregs;
use crate::kernel::abi::fs::{self as afs, at};
use crate::kernel::abi::mm as am;
use crate::kernel::abi::net as anet;
use crate::kernel::abi::sched::clone as cl;
use crate::kernel::abi::signal as asig;
use crate::kernel::abi::sys as asys;
use crate::kernel::abi::UserDesc;
use crate::kernel::syscall::Fmt;
use crate::kernel::task::Task;

pub(super) fn ptr(v: u32) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// C's `%#x`: `0` for zero.
pub(super) fn cx(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// C's `%#03o` (strace's modes and umasks: `0644`, `022`, `000`).
pub(super) fn oct(v: u32) -> String {
    format!("{:0>3}", format!("0{v:o}"))
}

/// A `T` at guest address `a`, if it can be read.
pub(super) fn read<T: Pod>(p: &Task, a: u32) -> Option<T> {
    let mut v = T::zeroed();
    p.cpu
        .mem
        .read_bytes(a, bytemuck::bytes_of_mut(&mut v))
        .ok()
        .map(|_| v)
}

/// One input argument (number `k` of `args`) formatted on entry.
pub(super) fn arg(p: &Task, f: Fmt, k: usize, args: &[u32; 6]) -> String {
    let v = args[k];
    let next = args.get(k + 1).copied().unwrap_or(0);
    match f {
        Fmt::Int | Fmt::Newtask => (v as i32).to_string(),
        Fmt::Uint => v.to_string(),
        Fmt::Hex => cx(v as u64),
        Fmt::Ptr | Fmt::Obuf | Fmt::Xobuf | Fmt::Rem | Fmt::Rem64 => ptr(v),
        Fmt::IoctlReq => match IOCTLS.iter().find(|&&(n, _)| n == v) {
            Some((_, name)) => name.to_string(),
            // strace's decoding of an unknown request.
            None => format!(
                "_IOC({}, {}, {}, {})",
                [
                    "_IOC_NONE",
                    "_IOC_WRITE",
                    "_IOC_READ",
                    "_IOC_READ|_IOC_WRITE"
                ][(v >> 30) as usize],
                cx(((v >> 8) & 0xff) as u64),
                cx((v & 0xff) as u64),
                cx(((v >> 16) & 0x3fff) as u64)
            ),
        },
        Fmt::Fd => (v as i32).to_string(),
        Fmt::Atfd => {
            if v == at::FDCWD {
                "AT_FDCWD".into()
            } else {
                (v as i32).to_string()
            }
        }
        Fmt::Str => path(p, v),
        Fmt::Cstr => string(p, v),
        Fmt::Buf => quoted(p, v, next.min(MAX_STR), next > MAX_STR),
        Fmt::Oct => oct(v),
        Fmt::Oflags => oflags(v),
        Fmt::Fflags => flags(v, OPEN, "0", "O_???"),
        Fmt::Prot => flags(v, PROT, "PROT_NONE", "PROT_???"),
        Fmt::Mflags => mflags(v),
        Fmt::Pgoff => cx(v as u64 * 4096),
        Fmt::Void => String::new(),
        Fmt::Sig => sig(v),
        Fmt::SigHow => xval(v, SIGHOW, "SIG_???"),
        Fmt::Sigset => or_ptr(v, read::<u64>(p, v).map(sigset)),
        Fmt::Sigact => or_ptr(v, read::<asig::Sigaction32>(p, v).map(|a| sigact(&a))),
        Fmt::Stat64 => or_ptr(v, read::<afs::Stat64>(p, v).map(|st| stat64(&st))),
        Fmt::Ts => or_ptr(
            v,
            read::<afs::Timespec32>(p, v)
                .map(|t| format!("{{tv_sec={}, tv_nsec={}}}", t.tv_sec, t.tv_nsec)),
        ),
        Fmt::Ts64 => or_ptr(
            v,
            read::<afs::Timespec64>(p, v).map(|t| {
                let (sec, nsec) = (t.tv_sec, t.tv_nsec);
                format!("{{tv_sec={sec}, tv_nsec={nsec}}}")
            }),
        ),
        Fmt::Tv => or_ptr(
            v,
            read::<afs::Timeval32>(p, v)
                .map(|t| format!("{{tv_sec={}, tv_usec={}}}", t.tv_sec, t.tv_usec)),
        ),
        Fmt::Iov => iovecs(p, v, next, None),
        Fmt::Sockaddr => sockaddr(p, v, next),
        Fmt::Pollfd => pollfds(p, v, next, false),
        Fmt::Clockid => xval(v, CLOCKS, "CLOCK_???"),
        Fmt::Tflags => flags(v, TFLAGS, "0", "TIMER_???"),
        Fmt::Af => xval(v, AFS, "AF_???"),
        Fmt::Socktype => socktype(v),
        Fmt::Ipproto => match args[0] as u16 {
            anet::AF_INET | anet::AF_INET6 => xval(v, IPPROTOS, "IPPROTO_???"),
            _ => v.to_string(),
        },
        Fmt::Atflags => flags(v, ATFLAGS, "0", "AT_???"),
        Fmt::Rlimres => xval(v, RLIMITS, "RLIMIT_???"),
        Fmt::Rlim32 => or_ptr(
            v,
            read::<asys::Rlimit32>(p, v).map(|r| {
                let l = |x: u32| match x {
                    asys::RLIM_INFINITY32 => "RLIM_INFINITY".to_string(),
                    x if x > 1024 && x % 1024 == 0 => format!("{}*1024", x / 1024),
                    x => x.to_string(),
                };
                format!("{{rlim_cur={}, rlim_max={}}}", l(r.rlim_cur), l(r.rlim_max))
            }),
        ),
        Fmt::Rlim64 => or_ptr(
            v,
            read::<asys::Rlimit64>(p, v).map(|r| {
                let l = |x: u64| match x {
                    asys::RLIM64_INFINITY => "RLIM64_INFINITY".to_string(),
                    x if x > 1024 && x % 1024 == 0 => format!("{}*1024", x / 1024),
                    x => x.to_string(),
                };
                let (cur, max) = (r.rlim_cur, r.rlim_max);
                format!("{{rlim_cur={}, rlim_max={}}}", l(cur), l(max))
            }),
        ),
        Fmt::Grnd => flags(v, GRND, "0", "GRND_???"),
        Fmt::FdPair => or_ptr(
            v,
            read::<[i32; 2]>(p, v).map(|f| format!("[{}, {}]", f[0], f[1])),
        ),
        Fmt::FutexOp | Fmt::FutexOp64 => futex_op(v),
        Fmt::Bitset => match v {
            u32::MAX => "FUTEX_BITSET_MATCH_ANY".into(),
            v => cx(v as u64),
        },
        Fmt::WakeOp => wake_op(v),
        Fmt::CloneFlags => clone_flags(v),
        Fmt::Argv => argv(p, v),
        Fmt::Dents | Fmt::Dents64 | Fmt::OutStr | Fmt::EpollEvs | Fmt::SockaddrP => ptr(v),
        Fmt::SockLen => or_ptr(v, read_u32(p, v).map(|n| format!("[{n}]"))),
        Fmt::SokLevel => xval(v, SOL, "SOL_???"),
        Fmt::SokOpt => match args.get(k.wrapping_sub(1)).copied() {
            Some(1) => xval(v, SO, "SO_???"),
            Some(6) => xval(v, TCPOPT, "TCP_???"),
            _ => v.to_string(),
        },
        Fmt::SokVal => sokval(p, v, args.get(k + 1).copied().unwrap_or(0)),
        Fmt::MsgFlags => flags(v, MSGFLAGS, "0", "MSG_???"),
        Fmt::ShutHow => xval(v, SHUT, "SHUT_???"),
        Fmt::SockFlags => flags(v, SOCKFLAGS, "0", "SOCK_???"),
        Fmt::RenameFlags => flags(v, RENAME, "0", "RENAME_???"),
        Fmt::MsFlags => flags(v, MSFLAGS, "0", "MS_???"),
        Fmt::EpollOp => xval(v, EPOLLOPS, "EPOLL_CTL_???"),
        Fmt::EpollEv => or_ptr(v, read::<afs::EpollEvent>(p, v).map(|e| epoll_event(&e))),
        Fmt::Itimer => xval(v, ITIMERS, "ITIMER_???"),
        Fmt::Itv => or_ptr(
            v,
            read::<[afs::Timeval32; 2]>(p, v).map(|t| {
                let tv =
                    |t: &afs::Timeval32| format!("{{tv_sec={}, tv_usec={}}}", t.tv_sec, t.tv_usec);
                format!("{{it_interval={}, it_value={}}}", tv(&t[0]), tv(&t[1]))
            }),
        ),
        Fmt::Utsname => {
            // sysname and nodename, the first two 65-byte fields.
            let off = std::mem::offset_of!(asys::NewUtsname, nodename);
            let mut b = vec![0u8; 2 * off];
            if v == 0 || p.cpu.mem.read_bytes(v, &mut b).is_err() {
                return ptr(v);
            }
            let field = |f: &[u8]| {
                let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                escape(&f[..end])
            };
            format!(
                "{{sysname={}, nodename={}, ...}}",
                field(&b[..off]),
                field(&b[off..])
            )
        }
        Fmt::PrctlOp => xval(v, PRCTL, "PR_???"),
        Fmt::Envp => or_ptr(
            v,
            count_ptrs(p, v).map(|n| format!("{} /* {n} vars */", ptr(v))),
        ),
        Fmt::Amode => flags(v, AMODE, "F_OK", "?_OK"),
        Fmt::Whence => xval(v, WHENCE, "SEEK_???"),
        Fmt::LlseekOff => ((args[1] as u64) << 32 | args[2] as u64)
            .cast_signed()
            .to_string(),
        Fmt::I64At => or_ptr(v, read::<i64>(p, v).map(|n| format!("[{n}]"))),
        Fmt::FcntlCmd => xval(v, FCNTL, "F_???"),
        Fmt::FdFlags => flags(v, FDFLAGS, "0", "FD_???"),
        Fmt::Flock | Fmt::FlockOut => or_ptr(
            v,
            read::<afs::Flock>(p, v).map(|l| {
                let pid = (f == Fmt::FlockOut).then_some(l.l_pid);
                flock(l.l_type, l.l_whence, l.l_start as i64, l.l_len as i64, pid)
            }),
        ),
        Fmt::Flock64 | Fmt::Flock64Out => or_ptr(
            v,
            read::<afs::Flock64>(p, v).map(|l| {
                let (t, w, st, ln, pid) = (l.l_type, l.l_whence, l.l_start, l.l_len, l.l_pid);
                flock(t, w, st, ln, (f == Fmt::Flock64Out).then_some(pid))
            }),
        ),
        Fmt::CloneArgs => clone_args(p, v, args[1]),
        Fmt::IntAt => or_ptr(v, read::<i32>(p, v).map(|n| format!("[{n}]"))),
        Fmt::CloneArgsOut => String::new(),
        Fmt::Udesc => udesc(p, v),
        Fmt::Wstatus => or_ptr(v, read::<u32>(p, v).map(wstatus)),
        Fmt::Wopts => flags(v, WOPTS, "0", "W???"),
        Fmt::Madv => xval(v, MADV, "MADV_???"),
        Fmt::Stack => or_ptr(
            v,
            read::<asig::Stack32>(p, v).map(|st| {
                format!(
                    "{{ss_sp={}, ss_flags={}, ss_size={}}}",
                    ptr(st.ss_sp),
                    flags(st.ss_flags, SS_FLAGS, "0", "SS_???"),
                    st.ss_size
                )
            }),
        ),
        Fmt::MmapArgs => or_ptr(
            v,
            read::<am::MmapArgs>(p, v).map(|m| {
                format!(
                    "{}, {}, {}, {}, {}, {}",
                    ptr(m.addr),
                    m.len,
                    flags(m.prot, PROT, "PROT_NONE", "PROT_???"),
                    mflags(m.flags),
                    m.fd as i32,
                    cx(m.offset as u64)
                )
            }),
        ),
        Fmt::StatxFlags => {
            let sync = match v & at::STATX_SYNC_TYPE {
                0 => "AT_STATX_SYNC_AS_STAT".to_string(),
                0x2000 => "AT_STATX_FORCE_SYNC".to_string(),
                0x4000 => "AT_STATX_DONT_SYNC".to_string(),
                t => format!("{t:#x}"),
            };
            match v & !at::STATX_SYNC_TYPE {
                0 => sync,
                rest => format!("{sync}|{}", flags(rest, ATFLAGS, "0", "AT_???")),
            }
        }
        Fmt::StatxMask => flags(v, STATX_MASK, "0", "STATX_???"),
        Fmt::Statx => or_ptr(
            v,
            read::<afs::Statx>(p, v).map(|st| {
                let (attrs, size) = (st.stx_attributes, st.stx_size);
                format!(
                    "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={size}, ...}}",
                    flags(st.stx_mask, STATX_MASK, "0", "STATX_???"),
                    flags64(attrs, STATX_ATTRS, "0", "STATX_ATTR_???"),
                    mode(st.stx_mode as u32)
                )
            }),
        ),
        Fmt::RtFrame | Fmt::OldFrame => {
            let rt = f == Fmt::RtFrame;
            // The handler's `ret` popped pretcode; sigreturn's stub also
            // popped the signal number.
            let sp = p.cpu.sys.kmem.r32(p.frame + ptregs::off::SP).unwrap_or(0);
            let mask = if rt {
                let uc = sp.wrapping_sub(4).wrapping_add(asig::rt_sigframe::UC);
                let at = uc.wrapping_add(std::mem::offset_of!(asig::Ucontext32, uc_sigmask) as u32);
                read::<u64>(p, at)
            } else {
                let frame = sp.wrapping_sub(8);
                let old = frame
                    .wrapping_add(asig::sigframe::SC)
                    .wrapping_add(std::mem::offset_of!(asig::Sigcontext32, oldmask) as u32);
                let extra = frame.wrapping_add(asig::sigframe::EXTRAMASK);
                read::<u32>(p, old)
                    .zip(read::<u32>(p, extra))
                    .map(|(lo, hi)| lo as u64 | (hi as u64) << 32)
            };
            match mask {
                Some(m) => format!("{{mask={}}}", sigset(m)),
                None => ptr(sp),
            }
        }
        Fmt::Uinfo => udesc(p, v),
    }
}

/// `struct user_desc` as strace prints it.
pub(super) fn udesc(p: &Task, v: u32) -> String {
    let mut b = [0u8; 16];
    if v == 0 || p.cpu.mem.read_bytes(v, &mut b).is_err() {
        return ptr(v);
    }
    let u = UserDesc::from_bytes(&b);
    // C's %#08x.
    let x08 = |v: u32| {
        if v == 0 {
            "00000000".to_string()
        } else {
            format!("{v:#08x}")
        }
    };
    format!(
        "{{entry_number={}, base_addr={}, limit={}, seg_32bit={}, contents={}, \
         read_exec_only={}, limit_in_pages={}, seg_not_present={}, useable={}}}",
        u.entry_number as i32,
        x08(u.base_addr),
        x08(u.limit),
        u.seg_32bit() as u8,
        u.contents(),
        u.read_exec_only() as u8,
        u.limit_in_pages() as u8,
        u.seg_not_present() as u8,
        u.useable() as u8
    )
}

/// When a chosen argument is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    In,
    Out,
    /// On exit, right after the previous argument.
    Glued,
}

/// A register, its format, strace's name for it and when it is shown, as
/// a selector format's value chooses them.
pub(super) type Chosen = (usize, Fmt, Option<&'static str>, When);

/// What a selector format chooses: the arguments in the order shown,
/// whether the `, ` before those shown on exit is printed on exit, and the
/// result's format when it is not the table's.
pub(super) struct Sel {
    pub(super) args: Vec<Chosen>,
    pub(super) exit_sep: bool,
    pub(super) ret: Option<Fmt>,
}

impl Sel {
    fn new(args: Vec<Chosen>) -> Sel {
        Sel {
            args,
            exit_sep: false,
            ret: None,
        }
    }
}

/// The arguments a selector format's value chooses (see [`Fmt::FutexOp`],
/// [`Fmt::CloneFlags`], [`Fmt::CloneArgs`]), in the order shown, and
/// whether the `, ` before those shown on exit is printed on exit.
pub(super) fn select(p: &Task, f: Fmt, v: u32, args: &[u32; 6]) -> Option<Sel> {
    use crate::kernel::abi::futex as fx;
    match f {
        Fmt::FutexOp | Fmt::FutexOp64 => {
            let ts = if f == Fmt::FutexOp {
                Fmt::Ts
            } else {
                Fmt::Ts64
            };
            let val = (2, Fmt::Uint);
            let timeout = (3, ts);
            let val2 = (3, Fmt::Uint);
            let uaddr2 = (4, Fmt::Ptr);
            let val3 = (5, Fmt::Uint);
            let bitset = (5, Fmt::Bitset);
            let rest: Vec<(usize, Fmt)> = match v & 127 {
                fx::FUTEX_WAIT => vec![val, timeout],
                fx::FUTEX_LOCK_PI | fx::FUTEX_LOCK_PI2 => vec![timeout],
                fx::FUTEX_WAIT_BITSET => vec![val, timeout, bitset],
                fx::FUTEX_WAKE_BITSET => vec![val, bitset],
                fx::FUTEX_REQUEUE => vec![val, val2, uaddr2],
                fx::FUTEX_CMP_REQUEUE | fx::FUTEX_CMP_REQUEUE_PI => {
                    vec![val, val2, uaddr2, val3]
                }
                fx::FUTEX_WAKE_OP => vec![val, val2, uaddr2, (5, Fmt::WakeOp)],
                fx::FUTEX_WAIT_REQUEUE_PI => vec![val, timeout, uaddr2],
                fx::FUTEX_FD | fx::FUTEX_WAKE => vec![val],
                fx::FUTEX_UNLOCK_PI | fx::FUTEX_TRYLOCK_PI => vec![],
                _ => vec![val, (3, Fmt::Ptr), uaddr2, (5, Fmt::Hex)],
            };
            let mut l = vec![(0, Fmt::Ptr, None, When::In), (1, f, None, When::In)];
            l.extend(rest.into_iter().map(|(i, f)| (i, f, None, When::In)));
            Some(Sel::new(l))
        }
        Fmt::CloneFlags => {
            let fl = v & !(cl::CSIGNAL as u32);
            // strace shows the pointers on exit, parent_tid's target
            // filled in.
            let mut l = vec![
                (1, Fmt::Ptr, Some("child_stack"), When::In),
                (0, Fmt::CloneFlags, Some("flags"), When::In),
            ];
            if fl & (cl::PARENT_SETTID | cl::PIDFD) as u32 != 0 {
                l.push((2, Fmt::IntAt, Some("parent_tid"), When::Out));
            }
            if fl & cl::SETTLS as u32 != 0 {
                l.push((3, Fmt::Udesc, Some("tls"), When::Out));
            }
            if fl & (cl::CHILD_SETTID | cl::CHILD_CLEARTID) as u32 != 0 {
                l.push((4, Fmt::Ptr, Some("child_tidptr"), When::Out));
            }
            Some(Sel {
                exit_sep: true,
                ..Sel::new(l)
            })
        }
        // strace shows what clone3 writes back (and the size after it) on
        // exit only when it writes something: a pidfd or the parent's tid.
        Fmt::CloneArgs => {
            let fl = read::<u64>(p, v).unwrap_or(0);
            let writes = args[1] >= crate::kernel::abi::sched::CLONE_ARGS_SIZE_VER0
                && fl & (cl::PIDFD | cl::PARENT_SETTID) != 0;
            Some(if writes {
                Sel {
                    exit_sep: true,
                    ..Sel::new(vec![
                        (0, Fmt::CloneArgs, None, When::In),
                        (0, Fmt::CloneArgsOut, None, When::Glued),
                        (1, Fmt::Uint, None, When::Out),
                    ])
                }
            } else {
                Sel::new(vec![
                    (0, Fmt::CloneArgs, None, When::In),
                    (1, Fmt::Uint, None, When::In),
                ])
            })
        }
        Fmt::PrctlOp => {
            let op = (0, Fmt::PrctlOp, None, When::In);
            let l = match v {
                PR_SET_NAME => vec![op, (1, Fmt::Cstr, None, When::In)],
                PR_GET_NAME => vec![op, (1, Fmt::Cstr, None, When::Out)],
                PR_SET_PDEATHSIG => vec![op, (1, Fmt::Sig, None, When::In)],
                PR_GET_DUMPABLE | PR_GET_KEEPCAPS | PR_GET_NO_NEW_PRIVS => vec![op],
                _ => vec![
                    op,
                    (1, Fmt::Hex, None, When::In),
                    (2, Fmt::Hex, None, When::In),
                    (3, Fmt::Hex, None, When::In),
                    (4, Fmt::Hex, None, When::In),
                ],
            };
            Some(Sel::new(l))
        }
        // EPOLL_CTL_DEL ignores the event: strace shows its address.
        Fmt::EpollOp => Some(Sel::new(vec![
            (0, Fmt::Fd, None, When::In),
            (1, Fmt::EpollOp, None, When::In),
            (2, Fmt::Fd, None, When::In),
            match v {
                afs::epoll::CTL_DEL => (3, Fmt::Ptr, None, When::In),
                _ => (3, Fmt::EpollEv, None, When::In),
            },
        ])),
        Fmt::LlseekOff => Some(Sel::new(vec![
            (0, Fmt::Fd, None, When::In),
            (1, Fmt::LlseekOff, None, When::In),
            (3, Fmt::I64At, None, When::Out),
            (4, Fmt::Whence, None, When::Out),
        ])),
        Fmt::FcntlCmd => {
            use crate::kernel::abi::fs::f;
            let head = vec![
                (0, Fmt::Fd, None, When::In),
                (1, Fmt::FcntlCmd, None, When::In),
            ];
            let arg = match v {
                f::GETFD
                | f::GETFL
                | f::GETOWN
                | f::GETSIG
                | f::GETLEASE
                | f::GETPIPE_SZ
                | f::GET_SEALS => None,
                f::DUPFD | f::DUPFD_CLOEXEC | f::DUPFD_QUERY | f::SETOWN | f::SETPIPE_SZ => {
                    Some(Fmt::Int)
                }
                f::SETSIG => Some(Fmt::Sig),
                f::SETFD => Some(Fmt::FdFlags),
                f::SETFL => Some(Fmt::Oflags),
                f::SETLK | f::SETLKW | f::OFD_SETLK | f::OFD_SETLKW => Some(Fmt::Flock),
                f::SETLK64 | f::SETLKW64 => Some(Fmt::Flock64),
                _ => Some(Fmt::Hex),
            };
            let mut l = head;
            match (v, arg) {
                (f::GETLK | f::OFD_GETLK, _) => l.push((2, Fmt::FlockOut, None, When::Out)),
                (f::GETLK64, _) => l.push((2, Fmt::Flock64Out, None, When::Out)),
                (_, Some(a)) => l.push((2, a, None, When::In)),
                (_, None) => {}
            }
            let ret = match v {
                f::GETFD => Some(Fmt::FdFlags),
                f::GETFL => Some(Fmt::Oflags),
                _ => None,
            };
            Some(Sel { ret, ..Sel::new(l) })
        }
        _ => None,
    }
}

/// A futex operation: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
pub(super) fn futex_op(v: u32) -> String {
    use crate::kernel::abi::futex as fx;
    const CMDS: [&str; 14] = [
        "WAIT",
        "WAKE",
        "FD",
        "REQUEUE",
        "CMP_REQUEUE",
        "WAKE_OP",
        "LOCK_PI",
        "UNLOCK_PI",
        "TRYLOCK_PI",
        "WAIT_BITSET",
        "WAKE_BITSET",
        "WAIT_REQUEUE_PI",
        "CMP_REQUEUE_PI",
        "LOCK_PI2",
    ];
    let known = fx::FUTEX_PRIVATE_FLAG | fx::FUTEX_CLOCK_REALTIME | 127;
    match CMDS.get((v & 127) as usize) {
        Some(c) if v & !known == 0 => {
            let mut s = format!("FUTEX_{c}");
            if v & fx::FUTEX_PRIVATE_FLAG != 0 {
                s.push_str("_PRIVATE");
            }
            if v & fx::FUTEX_CLOCK_REALTIME != 0 {
                s.push_str("|FUTEX_CLOCK_REALTIME");
            }
            s
        }
        _ => format!("{} /* FUTEX_??? */", cx(v as u64)),
    }
}

/// FUTEX_WAKE_OP's encoded operation:
/// `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1`.
pub(super) fn wake_op(v: u32) -> String {
    const OPS: [&str; 5] = [
        "FUTEX_OP_SET",
        "FUTEX_OP_ADD",
        "FUTEX_OP_OR",
        "FUTEX_OP_ANDN",
        "FUTEX_OP_XOR",
    ];
    const CMPS: [&str; 6] = [
        "FUTEX_OP_CMP_EQ",
        "FUTEX_OP_CMP_NE",
        "FUTEX_OP_CMP_LT",
        "FUTEX_OP_CMP_LE",
        "FUTEX_OP_CMP_GT",
        "FUTEX_OP_CMP_GE",
    ];
    let mut s = String::new();
    if (v >> 28) & 8 != 0 {
        s.push_str("FUTEX_OP_OPARG_SHIFT<<28|");
    }
    let op = (v >> 28) & 7;
    match OPS.get(op as usize) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "{op} /* FUTEX_OP_??? */");
        }
    }
    let _ = write!(s, "<<28|{}<<12|", cx(((v >> 12) & 0xfff) as u64));
    let cmp = (v >> 24) & 0xf;
    match CMPS.get(cmp as usize) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "{cmp} /* FUTEX_OP_CMP_??? */");
        }
    }
    let _ = write!(s, "<<24|{}", cx((v & 0xfff) as u64));
    s
}

/// clone's flags and exit signal: `CLONE_VM|CLONE_VFORK|SIGCHLD`.
pub(super) fn clone_flags(v: u32) -> String {
    let signal = v & cl::CSIGNAL as u32;
    let fl = v & !(cl::CSIGNAL as u32);
    if fl == 0 {
        return sig(signal);
    }
    let mut s = flags(fl, CLONE, "0", "CLONE_???");
    if signal != 0 {
        s.push('|');
        s.push_str(&sig(signal));
    }
    s
}

/// clone3's `struct clone_args` of `size` bytes, on entry.
pub(super) fn clone_args(p: &Task, a: u32, size: u32) -> String {
    let ver0 = crate::kernel::abi::sched::CLONE_ARGS_SIZE_VER0;
    if size < ver0 {
        return ptr(a);
    }
    let mut b = [0u8; std::mem::size_of::<crate::kernel::abi::sched::CloneArgs>()];
    let n = (size as usize).min(b.len());
    if a == 0 || p.cpu.mem.read_bytes(a, &mut b[..n]).is_err() {
        return ptr(a);
    }
    let c: crate::kernel::abi::sched::CloneArgs = bytemuck::pod_read_unaligned(&b);
    let fl = c.flags;
    let mut s = format!("{{flags={}", flags64(fl, CLONE3, "0", "CLONE_???"));
    let p64 = |v: u64| {
        if v == 0 {
            "NULL".to_string()
        } else {
            format!("{v:#x}")
        }
    };
    if fl & cl::PIDFD != 0 {
        let _ = write!(s, ", pidfd={}", p64(c.pidfd));
    }
    if fl & (cl::CHILD_SETTID | cl::CHILD_CLEARTID) != 0 {
        let _ = write!(s, ", child_tid={}", p64(c.child_tid));
    }
    if fl & cl::PARENT_SETTID != 0 {
        let _ = write!(s, ", parent_tid={}", p64(c.parent_tid));
    }
    if c.exit_signal < i32::MAX as u64 {
        let _ = write!(s, ", exit_signal={}", sig(c.exit_signal as u32));
    } else {
        let _ = write!(s, ", exit_signal={}", c.exit_signal);
    }
    let _ = write!(
        s,
        ", stack={}, stack_size={}",
        p64(c.stack),
        cx(c.stack_size)
    );
    if fl & cl::SETTLS != 0 {
        let _ = write!(s, ", tls={}", udesc(p, c.tls as u32));
    }
    if c.set_tid != 0 || c.set_tid_size != 0 {
        let _ = write!(
            s,
            ", set_tid={}, set_tid_size={}",
            p64(c.set_tid),
            c.set_tid_size
        );
    }
    if n > std::mem::offset_of!(crate::kernel::abi::sched::CloneArgs, cgroup)
        && (c.cgroup != 0 || fl & cl::INTO_CGROUP != 0)
    {
        let _ = write!(s, ", cgroup={}", c.cgroup);
    }
    s.push('}');
    s
}

/// What clone3 wrote back: ` => {parent_tid=[N]}` (nothing if it failed).
pub(super) fn clone_args_out(p: &Task, a: u32, size: u32, ok: Option<u32>) -> String {
    if ok.is_none() || size < crate::kernel::abi::sched::CLONE_ARGS_SIZE_VER0 {
        return String::new();
    }
    let Some(c) = read::<crate::kernel::abi::sched::CloneArgs>(p, a) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if c.flags & cl::PIDFD != 0 {
        let fd = read::<i32>(p, c.pidfd as u32).map_or(ptr(c.pidfd as u32), |n| format!("[{n}]"));
        parts.push(format!("pidfd={fd}"));
    }
    if c.flags & cl::PARENT_SETTID != 0 {
        let t = read::<i32>(p, c.parent_tid as u32)
            .map_or(ptr(c.parent_tid as u32), |n| format!("[{n}]"));
        parts.push(format!("parent_tid={t}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" => {{{}}}", parts.join(", "))
    }
}

/// A wait status as strace shows it.
pub(super) fn wstatus(s: u32) -> String {
    let signal = s & 0x7f;
    let body = if signal == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        format!(
            "WIFSTOPPED(s) && WSTOPSIG(s) == {}",
            signame((s >> 8) & 0xff)
        )
    } else if s == 0xffff {
        "WIFCONTINUED(s)".to_string()
    } else {
        let core = if s & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {}{core}", signame(signal))
    };
    format!("[{{{body}}}]")
}

/// execve's argv: `["ls", "-l"]` (32 strings at most, then `...`).
pub(super) fn argv(p: &Task, a: u32) -> String {
    if a == 0 {
        return ptr(a);
    }
    let mut s = String::from("[");
    for k in 0..=MAX_STR {
        let Some(sp) = read::<u32>(p, a.wrapping_add(k * 4)) else {
            if k == 0 {
                return ptr(a);
            }
            let _ = write!(s, ", ... /* {} */", ptr(a.wrapping_add(k * 4)));
            break;
        };
        if sp == 0 {
            break;
        }
        if k > 0 {
            s.push_str(", ");
        }
        if k == MAX_STR {
            s.push_str("...");
            break;
        }
        s.push_str(&string(p, sp));
    }
    s.push(']');
    s
}

/// The number of pointers before the NULL of a pointer array (envp).
pub(super) fn count_ptrs(p: &Task, a: u32) -> Option<u32> {
    let mut n = 0u32;
    loop {
        match read::<u32>(p, a.wrapping_add(n.wrapping_mul(4)))? {
            0 => return Some(n),
            _ if n >= 1 << 20 => return Some(n),
            _ => n += 1,
        }
    }
}

/// A u32 at guest address `a`.
pub(super) fn read_u32(p: &Task, a: u32) -> Option<u32> {
    if a == 0 {
        return None;
    }
    read::<u32>(p, a)
}

/// An int socket option's value `[1]` (other lengths: the address).
fn sokval(p: &Task, a: u32, len: u32) -> String {
    match (len, read::<i32>(p, a)) {
        (4, Some(n)) if a != 0 => format!("[{n}]"),
        _ => ptr(a),
    }
}

/// `{events=EPOLLIN, data={u32=4, u64=4}}`.
pub(super) fn epoll_event(e: &afs::EpollEvent) -> String {
    let (ev, data) = (e.events, e.data);
    format!(
        "{{events={}, data={{u32={}, u64={data}}}}}",
        flags(ev, EPOLL, "0", "EPOLL???"),
        data as u32
    )
}

/// A lock as fcntl's F_*LK commands take it; `l_pid` in F_GETLK's answer.
pub(super) fn flock(ty: i16, whence: i16, start: i64, len: i64, pid: Option<i32>) -> String {
    let ty = xval(ty as u16 as u32, LOCKTYPES, "F_???");
    let whence = xval(whence as u16 as u32, WHENCE, "SEEK_???");
    let mut s = format!("{{l_type={ty}, l_whence={whence}, l_start={start}, l_len={len}");
    if let Some(pid) = pid {
        let _ = write!(s, ", l_pid={pid}");
    }
    s.push('}');
    s
}

/// An output argument formatted on exit: `ok` is the result of a call that
/// succeeded (`None`: it failed, and the argument is its address).
pub(super) fn out_arg(
    p: &Task,
    f: Fmt,
    k: usize,
    args: &[u32; 6],
    saved: &[u32; 6],
    ok: Option<u32>,
    ret: Option<u32>,
) -> String {
    let v = args[k];
    match (f, ok) {
        (Fmt::SockaddrP, Some(_)) if v != 0 => {
            let len = args.get(k + 1).and_then(|&l| read_u32(p, l)).unwrap_or(0);
            sockaddr(p, v, len)
        }
        (Fmt::SockLen, _) if v != 0 => {
            let before = saved[k];
            match (ok, read_u32(p, v)) {
                (Some(_), Some(after)) if after != before => format!("[{before} => {after}]"),
                (Some(_), Some(after)) => format!("[{after}]"),
                _ => format!("[{before}]"),
            }
        }
        (Fmt::SokVal, Some(_)) => {
            // getsockopt: as long as the length it wrote.
            let len = args.get(k + 1).and_then(|&l| read_u32(p, l)).unwrap_or(0);
            sokval(p, v, len)
        }
        // What a sleep interrupted by a signal had left.
        (Fmt::Rem | Fmt::Rem64, None) if ret.is_some_and(interrupted) => {
            let ts = if f == Fmt::Rem { Fmt::Ts } else { Fmt::Ts64 };
            arg(p, ts, k, args)
        }
        (Fmt::Obuf, Some(r)) => quoted(p, v, r, r > MAX_STR),
        (Fmt::Xobuf, Some(r)) => {
            let mut b = vec![0u8; r.min(MAX_STR) as usize];
            if p.cpu.mem.read_bytes(v, &mut b).is_err() {
                return ptr(v);
            }
            let mut s = String::from("\"");
            for c in b {
                let _ = write!(s, "\\x{c:02x}");
            }
            s.push('"');
            if r > MAX_STR {
                s.push_str("...");
            }
            s
        }
        // wait4 with WNOHANG and no child to report writes no status.
        (Fmt::Wstatus, Some(0)) => ptr(v),
        (Fmt::CloneArgsOut, ok) => clone_args_out(p, v, args[1], ok),
        (Fmt::OutStr, Some(_)) => path(p, v),
        (Fmt::EpollEvs, Some(r)) => {
            let mut s = String::from("[");
            for k in 0..r.min(MAX_STR + 1) {
                if k > 0 {
                    s.push_str(", ");
                }
                if k == MAX_STR {
                    s.push_str("...");
                    break;
                }
                match read::<afs::EpollEvent>(p, v.wrapping_add(k * 12)) {
                    Some(e) => s.push_str(&epoll_event(&e)),
                    None => {
                        s.push_str("...");
                        break;
                    }
                }
            }
            s.push(']');
            s
        }
        (Fmt::Dents | Fmt::Dents64, Some(r)) => {
            // d_reclen: after d_ino and d_off (u32s, or u64s for dirent64).
            let at = if f == Fmt::Dents64 { 16 } else { 8 };
            let mut n = 0;
            let mut off = 0u32;
            while off < r {
                match read::<u16>(p, v.wrapping_add(off + at)) {
                    Some(len) if len > 0 => {
                        n += 1;
                        off += len as u32;
                    }
                    _ => break,
                }
            }
            format!("{} /* {n} entries */", ptr(v))
        }
        (Fmt::Iov, _) => iovecs(p, v, args.get(k + 1).copied().unwrap_or(0), Some(ok)),
        (Fmt::Ptr | Fmt::Obuf | Fmt::Xobuf | Fmt::Rem | Fmt::Rem64, _) | (_, None) => ptr(v),
        (_, Some(_)) => arg(p, f, k, args),
    }
}

/// What follows the result of a call that returned `r`: pollfd's revents,
/// set_thread_area's entry number.
pub(super) fn suffix(p: &Task, f: Fmt, k: usize, args: &[u32; 6], r: u32) -> String {
    match f {
        Fmt::Pollfd if r == 0 => " (Timeout)".into(),
        Fmt::Pollfd => {
            let n = args.get(k + 1).copied().unwrap_or(0);
            format!(" ({})", pollfds(p, args[k], n, true))
        }
        Fmt::Uinfo => match read::<u32>(p, args[k]) {
            Some(n) => format!(" (entry_number={n})"),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// The decoded struct, or the address it could not be read from.
pub(super) fn or_ptr(a: u32, s: Option<String>) -> String {
    match s {
        Some(s) if a != 0 => s,
        _ => ptr(a),
    }
}

/// A signal number as strace prints it (`SIGINT`, `0`).
pub(super) fn sig(v: u32) -> String {
    let n = v as i32;
    if n > 0 && n as u32 <= asig::NSIG {
        signame(n as u32)
    } else {
        n.to_string()
    }
}

/// A 64-bit signal set: `[INT TERM]`, or the signals not in it after `~`
/// when it holds two thirds of them or more (`~[KILL STOP]`).
pub(super) fn sigset(set: u64) -> String {
    let (set, mut s) = if set.count_ones() >= 64 * 2 / 3 {
        (!set, String::from("~["))
    } else {
        (set, String::from("["))
    };
    let mut first = true;
    for n in 1..=64u32 {
        if set >> (n - 1) & 1 != 0 {
            if !first {
                s.push(' ');
            }
            first = false;
            let name = signame(n);
            s.push_str(name.strip_prefix("SIG").unwrap_or(&name));
        }
    }
    s.push(']');
    s
}

/// `struct sigaction`: `{sa_handler=..., sa_mask=[...], sa_flags=...,
/// sa_restorer=...}` (the restorer only with SA_RESTORER).
pub(super) fn sigact(a: &asig::Sigaction32) -> String {
    let handler = match a.handler {
        asig::SIG_DFL => "SIG_DFL".to_string(),
        asig::SIG_IGN => "SIG_IGN".to_string(),
        u32::MAX => "SIG_ERR".to_string(),
        h => ptr(h),
    };
    let mask = a.mask[0] as u64 | (a.mask[1] as u64) << 32;
    let mut s = format!(
        "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
        sigset(mask),
        flags(a.flags, SA_FLAGS, "0", "SA_???")
    );
    if a.flags & asig::sa::RESTORER != 0 {
        let _ = write!(s, ", sa_restorer={}", ptr(a.restorer));
    }
    s.push('}');
    s
}

/// strace's symbolic mode: `S_IFREG|0644`.
pub(super) fn mode(m: u32) -> String {
    let ty = match m & afs::S_IFMT {
        0 => "",
        afs::S_IFSOCK => "S_IFSOCK|",
        afs::S_IFLNK => "S_IFLNK|",
        afs::S_IFREG => "S_IFREG|",
        afs::S_IFBLK => "S_IFBLK|",
        afs::S_IFDIR => "S_IFDIR|",
        afs::S_IFCHR => "S_IFCHR|",
        afs::S_IFIFO => "S_IFIFO|",
        _ => return oct(m),
    };
    let mut s = ty.to_string();
    for (bit, name) in [
        (afs::S_ISUID, "S_ISUID|"),
        (afs::S_ISGID, "S_ISGID|"),
        (afs::S_ISVTX, "S_ISVTX|"),
    ] {
        if m & bit != 0 {
            s.push_str(name);
        }
    }
    s.push_str(&oct(m & 0o777));
    s
}

/// `makedev(0x1, 0x3)` for a Linux device number.
pub(super) fn makedev(d: u64) -> String {
    let major = ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff);
    let minor = (d & 0xff) | ((d >> 12) & !0xff);
    format!("makedev({}, {})", cx(major), cx(minor))
}

/// `struct stat64` in strace's abbreviated form.
pub(super) fn stat64(st: &afs::Stat64) -> String {
    let m = st.st_mode;
    let rest = match m & afs::S_IFMT {
        afs::S_IFCHR | afs::S_IFBLK => format!("st_rdev={}", makedev(st.st_rdev)),
        _ => {
            let size = st.st_size;
            format!("st_size={size}")
        }
    };
    format!("{{st_mode={}, {rest}, ...}}", mode(m))
}

/// An iovec array of `n` elements at `a`: on entry (`out` None) every
/// buffer as long as its iov_len; on exit (`out` Some) the bytes the call
/// returned (Some(Some(r))), or the addresses if it failed (Some(None)).
pub(super) fn iovecs(p: &Task, a: u32, n: u32, out: Option<Option<u32>>) -> String {
    if a == 0 {
        return ptr(a);
    }
    if n == 0 {
        return "[]".into();
    }
    let mut left = match out {
        Some(Some(r)) => r,
        _ => u32::MAX,
    };
    let mut s = String::from("[");
    for k in 0..n.min(1024) {
        if k > 0 {
            s.push_str(", ");
        }
        if k == MAX_STR {
            s.push_str("...");
            break;
        }
        let Some(v) = read::<afs::Iovec>(p, a.wrapping_add(k * 8)) else {
            if k == 0 {
                return ptr(a);
            }
            let _ = write!(s, "... /* {} */", ptr(a.wrapping_add(k * 8)));
            break;
        };
        let base = match out {
            Some(None) => ptr(v.base),
            _ => {
                let len = v.len.min(left);
                left -= len;
                quoted(p, v.base, len, len > MAX_STR)
            }
        };
        let _ = write!(s, "{{iov_base={base}, iov_len={}}}", v.len);
    }
    s.push(']');
    s
}

/// A socket address of `len` bytes at `a`.
pub(super) fn sockaddr(p: &Task, a: u32, len: u32) -> String {
    if a == 0 {
        return ptr(a);
    }
    if (len as i32) < 2 {
        return ptr(a);
    }
    let len = (len as usize).min(anet::SOCKADDR_MAX);
    let mut b = vec![0u8; len];
    if p.cpu.mem.read_bytes(a, &mut b).is_err() {
        return ptr(a);
    }
    let fam = u16::from_le_bytes([b[0], b[1]]);
    let mut s = format!("{{sa_family={}", xval(fam as u32, AFS, "AF_???"));
    let raw = |s: &mut String| {
        if len > 2 {
            let _ = write!(s, ", sa_data={}", escape(&b[2..]));
        }
    };
    match fam {
        anet::AF_UNIX => {
            let un = anet::SockaddrUn::from_bytes(&b);
            let path = &un.path[..(len - 2).min(un.path.len())];
            if len > 2 {
                if path[0] != 0 {
                    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                    let _ = write!(s, ", sun_path={}", escape(&path[..end]));
                } else {
                    let _ = write!(s, ", sun_path=@{}", escape(&path[1..]));
                }
            }
        }
        anet::AF_INET if len >= std::mem::size_of::<anet::SockaddrIn>() => {
            let sin: anet::SockaddrIn = bytemuck::pod_read_unaligned(&b[..16]);
            let ip = std::net::Ipv4Addr::from(sin.addr);
            let _ = write!(
                s,
                ", sin_port=htons({}), sin_addr=inet_addr(\"{ip}\")",
                u16::from_be_bytes(sin.port)
            );
        }
        anet::AF_INET6 if len >= 24 => {
            let mut full = [0u8; 28];
            full[..len.min(28)].copy_from_slice(&b[..len.min(28)]);
            let sin6: anet::SockaddrIn6 = bytemuck::pod_read_unaligned(&full);
            let ip = std::net::Ipv6Addr::from(sin6.addr);
            let _ = write!(
                s,
                ", sin6_port=htons({}), sin6_flowinfo=htonl({}), \
                 inet_pton(AF_INET6, \"{ip}\", &sin6_addr)",
                u16::from_be_bytes(sin6.port),
                u32::from_be_bytes(sin6.flowinfo)
            );
            if len > 24 {
                let _ = write!(s, ", sin6_scope_id={}", sin6.scope_id);
            }
        }
        _ => raw(&mut s),
    }
    s.push('}');
    s
}

/// A pollfd array of `n` elements at `a`: the events asked for, or (for
/// `revents`) the ones that happened, of the descriptors that have some.
pub(super) fn pollfds(p: &Task, a: u32, n: u32, revents: bool) -> String {
    if a == 0 {
        return ptr(a);
    }
    let mut s = String::from("[");
    let mut shown = 0;
    for k in 0..n.min(4096) {
        let Some(f) = read::<afs::PollFd>(p, a.wrapping_add(k * 8)) else {
            if k == 0 {
                return ptr(a);
            }
            break;
        };
        if revents && f.revents == 0 {
            continue;
        }
        if shown > 0 {
            s.push_str(", ");
        }
        if shown == MAX_STR {
            s.push_str("...");
            break;
        }
        shown += 1;
        if revents {
            let r = flags(f.revents as u16 as u32, POLL, "0", "POLL???");
            let _ = write!(s, "{{fd={}, revents={r}}}", f.fd);
        } else if f.fd < 0 {
            let _ = write!(s, "{{fd={}}}", f.fd);
        } else {
            let e = flags(f.events as u16 as u32, POLL, "0", "POLL???");
            let _ = write!(s, "{{fd={}, events={e}}}", f.fd);
        }
    }
    s.push(']');
    s
}

/// socket(2)'s type: `SOCK_STREAM|SOCK_CLOEXEC`.
pub(super) fn socktype(v: u32) -> String {
    let mut s = xval(v & anet::SOCK_TYPE_MASK, SOCKTYPES, "SOCK_???");
    let rest = v & !anet::SOCK_TYPE_MASK;
    if rest != 0 {
        s.push('|');
        s.push_str(&flags(rest, SOCKFLAGS, "0", "SOCK_???"));
    }
    s
}

/// The name of `v` in `names`, else `0x.. /* unknown */`.
pub(super) fn xval(v: u32, names: &[(u32, &str)], unknown: &str) -> String {
    match names.iter().find(|&&(n, _)| n == v) {
        Some((_, name)) => name.to_string(),
        None => format!("{} /* {unknown} */", cx(v as u64)),
    }
}

/// A NUL-terminated guest string, quoted and cut as strace does; the
/// pointer if it cannot be read.
pub(super) fn string(p: &Task, a: u32) -> String {
    string_max(p, a, MAX_STR)
}

/// A pathname: strace shows it whole (up to PATH_MAX), not cut at `-s`.
pub(super) fn path(p: &Task, a: u32) -> String {
    string_max(p, a, PATH_MAX)
}

/// Longest pathname (PATH_MAX, with its NUL).
pub(super) const PATH_MAX: u32 = 4096;

/// A NUL-terminated guest string of at most `max` bytes shown, quoted.
pub(super) fn string_max(p: &Task, a: u32, max: u32) -> String {
    if a == 0 {
        return "NULL".into();
    }
    let mut bytes = Vec::new();
    let mut more = false;
    loop {
        let mut b = [0u8];
        if p.cpu
            .mem
            .read_bytes(a.wrapping_add(bytes.len() as u32), &mut b)
            .is_err()
        {
            if bytes.is_empty() {
                return ptr(a);
            }
            break;
        }
        if b[0] == 0 {
            break;
        }
        if bytes.len() as u32 == max {
            more = true;
            break;
        }
        bytes.push(b[0]);
    }
    let mut s = escape(&bytes);
    if more {
        s.push_str("...");
    }
    s
}

/// `n` bytes at `a`, quoted, with `...` after when `more`.
pub(super) fn quoted(p: &Task, a: u32, n: u32, more: bool) -> String {
    let n = n.min(MAX_STR);
    let mut b = vec![0u8; n as usize];
    if p.cpu.mem.read_bytes(a, &mut b).is_err() {
        return ptr(a);
    }
    let mut s = escape(&b);
    if more {
        s.push_str("...");
    }
    s
}

/// strace's quoting: printable ASCII as is, C escapes for the usual
/// controls, octal for the rest (three digits only before a digit).
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let next_digit = b.get(k + 1).is_some_and(|d| (b'0'..=b'7').contains(d));
                if next_digit {
                    let _ = write!(s, "\\{c:03o}");
                } else {
                    let _ = write!(s, "\\{c:o}");
                }
            }
        }
    }
    s.push('"');
    s
}
