//! fork, vfork, clone and clone3: Linux's `kernel_clone` and
//! `copy_process` (kernel/fork.c), in the same steps.
//!
//! 1. The syscalls turn their arguments into one [`CloneArgs`] (clone3
//!    copies and checks its struct as `copy_clone_args_from_user` does).
//! 2. [`kernel_clone`] checks the flags as `copy_process` checks them.
//! 3. The new task is made:
//!    - **CLONE_THREAD**: a host thread (`clone_thread`). It gets a copy
//!      of this task's CPU, including its kernel stack with the `pt_regs`
//!      of this syscall, where `ax` becomes 0 and `sp` the new stack (as
//!      `copy_thread` does), TLS from `esi` with CLONE_SETTLS, the shared
//!      mm, the descriptor table (shared with CLONE_FILES, else copied),
//!      and returns to user mode through [`entry::ret_from_fork`].
//!    - **otherwise**: a host process (`fork_process`): the emu process
//!      forks itself, which copies guest memory copy-on-write, the host
//!      descriptors under their numbers and this very kernel stack. The
//!      child carries on in this handler and returns 0 from it, which is
//!      its `ret_from_fork`; the parent returns the child's pid. Guest pids
//!      are host pids, so they agree with `ps`, `kill` and wait.
//! 4. The parent writes CLONE_PARENT_SETTID, the child CLONE_CHILD_SETTID
//!    (before it runs any guest code), and CLONE_VFORK makes the parent
//!    wait until the child execs or exits (`wait_for_vfork_done`).
//!
//! Where emu differs from the kernel, deliberately:
//! - A child that shares memory but is not a thread (CLONE_VM without
//!   CLONE_THREAD, as vfork and posix_spawn ask for) is a forked host
//!   process with a copy of the memory. With CLONE_VFORK the parent waits
//!   until the child execs or exits, and the pages the child wrote are
//!   written back into the parent first ([`super::vfork`]), so stores
//!   through the shared memory reach it (posix_spawn's exec error, say).
//!   Without CLONE_VFORK the parent does not see the child's stores.
//! - CLONE_FILES, CLONE_FS and CLONE_SIGHAND without CLONE_THREAD likewise
//!   give copies. Threads always share the host's cwd and umask unless
//!   cloned without CLONE_FS, when the new host thread unshares them.
//! - clone3 is implemented with its whole struct: set_tid and
//!   CLONE_INTO_CGROUP go to the host's clone3, which applies its own
//!   permission checks; CLONE_PIDFD gives a pidfd of the host child.
//! - Namespace flags on a fork go to the host's clone, which creates the
//!   namespaces or refuses as it would natively; with CLONE_THREAD they
//!   are EINVAL.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use super::abi::errno::Errno;
use super::abi::sched::{clone as cf, CloneArgs, CLONE_ARGS_SIZE_VER0, MAX_PID_NS_LEVEL};
use super::syscall::SysResult;
use super::task::{lock, TaskCtl, ThreadGroup};
use super::{entry, exit, Task};
use crate::arch::ptregs::off;
use crate::cpu::cache::BlockCache;

const SIGCHLD: u64 = 17;
/// _NSIG: the highest exit signal clone3 accepts.
const NSIG: u64 = 64;
/// Host stack of a guest thread's interpreter loop.
const THREAD_STACK: usize = 8 << 20;

/// What the clone family asks for, as `struct kernel_clone_args`.
#[derive(Clone, Debug, Default)]
pub struct Args {
    pub flags: u64,
    /// Where CLONE_PIDFD stores the pidfd.
    pub pidfd: u32,
    pub child_tid: u32,
    pub parent_tid: u32,
    pub exit_signal: u64,
    /// The child's stack pointer (0: the parent's).
    pub stack: u32,
    /// CLONE_SETTLS: the guest's `struct user_desc *`.
    pub tls: u32,
    pub set_tid: Vec<i32>,
    /// CLONE_INTO_CGROUP: a guest descriptor of the cgroup directory.
    pub cgroup: u32,
}

pub fn sys_fork(p: &mut Task) -> SysResult {
    kernel_clone(
        p,
        Args {
            exit_signal: SIGCHLD,
            ..Args::default()
        },
    )
}

pub fn sys_vfork(p: &mut Task) -> SysResult {
    kernel_clone(
        p,
        Args {
            flags: cf::VFORK | cf::VM,
            exit_signal: SIGCHLD,
            ..Args::default()
        },
    )
}

/// i386 clone: ebx = flags, ecx = newsp, edx = parent_tidptr, esi = tls,
/// edi = child_tidptr (CONFIG_CLONE_BACKWARDS).
pub fn sys_clone(
    p: &mut Task,
    flags: u32,
    newsp: u32,
    parent_tid: u32,
    tls: u32,
    child_tid: u32,
) -> SysResult {
    let flags = flags as u64;
    let args = Args {
        flags: flags & !cf::CSIGNAL,
        // Legacy clone returns the pidfd through parent_tid.
        pidfd: parent_tid,
        child_tid,
        parent_tid,
        exit_signal: flags & cf::CSIGNAL,
        stack: newsp,
        tls,
        ..Args::default()
    };
    kernel_clone(p, args)
}

pub fn sys_clone3(p: &mut Task, uargs: u32, size: u32) -> SysResult {
    // copy_clone_args_from_user.
    if size > crate::mem::PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; size as usize];
    p.read_user(uargs, &mut raw)?;
    let known = std::mem::size_of::<CloneArgs>();
    if raw.len() > known && raw[known..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    raw.resize(known.max(raw.len()), 0);
    let a: CloneArgs = bytemuck::pod_read_unaligned(&raw[..known]);
    if a.set_tid_size > MAX_PID_NS_LEVEL
        || (a.set_tid == 0 && a.set_tid_size != 0)
        || (a.set_tid != 0 && a.set_tid_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    // An i386 task's pointers are 32-bit.
    let ptr = |v: u64| u32::try_from(v).map_err(|_| Errno::EINVAL);
    let mut set_tid = Vec::new();
    if a.set_tid_size > 0 {
        let mut b = vec![0u8; a.set_tid_size as usize * 4];
        p.read_user(ptr(a.set_tid)?, &mut b)?;
        set_tid = b
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
    }
    if a.flags & cf::INTO_CGROUP != 0 && a.cgroup > i32::MAX as u64 {
        return Err(Errno::EINVAL);
    }
    // clone3_args_valid.
    let known_flags = cf::LEGACY | cf::CLEAR_SIGHAND | cf::INTO_CGROUP;
    if a.flags & !known_flags != 0
        || (a.flags & (cf::SIGHAND | cf::CLEAR_SIGHAND)) == (cf::SIGHAND | cf::CLEAR_SIGHAND)
        || (a.flags & (cf::THREAD | cf::PARENT) != 0 && a.exit_signal != 0)
        || a.exit_signal & !cf::CSIGNAL != 0
        || a.exit_signal > NSIG
        || (a.stack == 0) != (a.stack_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    // The stack grows down from stack + stack_size.
    let stack = if a.stack != 0 {
        ptr(a.stack.wrapping_add(a.stack_size))?
    } else {
        0
    };
    kernel_clone(
        p,
        Args {
            flags: a.flags,
            pidfd: ptr(a.pidfd)?,
            child_tid: ptr(a.child_tid)?,
            parent_tid: ptr(a.parent_tid)?,
            exit_signal: a.exit_signal,
            stack,
            tls: ptr(a.tls)?,
            set_tid,
            cgroup: a.cgroup as u32,
        },
    )
}

/// kernel_clone: check the flags as copy_process does, then make the task.
pub fn kernel_clone(p: &mut Task, a: Args) -> SysResult {
    let f = a.flags;
    let both = |x: u64| f & x == x;
    if both(cf::NEWNS | cf::FS) || both(cf::NEWUSER | cf::FS) {
        return Err(Errno::EINVAL);
    }
    // Thread groups share signals; sharing signal handlers implies
    // sharing the VM.
    if (f & cf::THREAD != 0 && f & cf::SIGHAND == 0) || (f & cf::SIGHAND != 0 && f & cf::VM == 0) {
        return Err(Errno::EINVAL);
    }
    if f & cf::THREAD != 0 && f & cf::NEW_ANY & !cf::NEWTIME != 0 {
        return Err(Errno::EINVAL);
    }
    if f & cf::PIDFD != 0 && f & (cf::DETACHED | cf::THREAD) != 0 {
        return Err(Errno::EINVAL);
    }
    // One pointer cannot take both the pidfd and the tid (legacy clone
    // passes both through parent_tid).
    if f & cf::PIDFD != 0 && f & cf::PARENT_SETTID != 0 && a.pidfd == a.parent_tid {
        return Err(Errno::EINVAL);
    }
    if f & cf::THREAD != 0 {
        clone_thread(p, a)
    } else {
        fork_process(p, a)
    }
}

// ---- host threads and fork ----

/// A guest thread's host thread: whether it has left emu's code (it is
/// ending inside std), and its handle.
type HostThread = (
    Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
);

/// The host threads of this process's guest threads, and the lock that
/// keeps a fork from copying the process while one of them starts or ends
/// inside std. std's thread start and end take a process-wide lock of their
/// own (the table of its stack-overflow handlers): a child copied while
/// another thread held it deadlocks at its first new thread (seen: a fork
/// right after another thread's end, then pthread_create in the child).
/// A thread is spawned, and says it is ending, under this lock; a fork, and
/// every spawn, first joins the threads that are ending (which also frees
/// their stacks), and a fork holds the lock while the host copies.
static HOST_THREADS: Mutex<Vec<HostThread>> = Mutex::new(Vec::new());

/// Join the host threads that have left emu's code.
fn reap(threads: &mut Vec<HostThread>) {
    let mut k = 0;
    while k < threads.len() {
        if threads[k].0.load(std::sync::atomic::Ordering::SeqCst) {
            let (_, h) = threads.swap_remove(k);
            let _ = h.join();
        } else {
            k += 1;
        }
    }
}

// ---- a new process ----

/// The host side of a fork: `fork()` for the plain case (glibc then keeps
/// its allocator usable in the child of a multithreaded process), else
/// the raw clone3 with the exit signal, CLONE_PARENT, namespaces, set_tid
/// or a cgroup.
fn host_fork(p: &Task, a: &Args) -> Result<i32, Errno> {
    crate::hosttext::before_fork();
    let host_flags = a.flags & (cf::PARENT | cf::NEW_ANY | cf::INTO_CGROUP);
    if a.exit_signal == SIGCHLD && host_flags == 0 && a.set_tid.is_empty() {
        let pid = unsafe { libc::fork() };
        return if pid < 0 { Err(Errno::last()) } else { Ok(pid) };
    }
    if a.set_tid.is_empty() && a.flags & cf::INTO_CGROUP == 0 {
        // The legacy call: it takes any exit signal in the low byte (only
        // clone3 checks that it is a valid signal).
        let flags = host_flags | a.exit_signal;
        let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
        return if pid < 0 {
            Err(Errno::last())
        } else {
            Ok(pid as i32)
        };
    }
    let cgroup = if a.flags & cf::INTO_CGROUP != 0 {
        p.files().host(a.cgroup)? as u64
    } else {
        0
    };
    let ca = CloneArgs {
        flags: host_flags,
        exit_signal: a.exit_signal,
        set_tid: if a.set_tid.is_empty() {
            0
        } else {
            a.set_tid.as_ptr() as u64
        },
        set_tid_size: a.set_tid.len() as u64,
        cgroup,
        ..CloneArgs::default()
    };
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &ca as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid < 0 {
        Err(Errno::last())
    } else {
        Ok(pid as i32)
    }
}

/// A new process: the emu process forks (see the module docs).
fn fork_process(p: &mut Task, a: Args) -> SysResult {
    // copy_thread's CLONE_SETTLS checks, made before there is a child.
    let tls = if a.flags & cf::SETTLS != 0 {
        Some(super::tls::read_tls(p, a.tls, false)?)
    } else {
        None
    };
    let vfork = if a.flags & cf::VFORK != 0 {
        Some(vfork_pipe()?)
    } else {
        None
    };
    // A child that translated code this program's file lacks (a shell's
    // path between fork and exec) wrote it back: the children from now on
    // take it from there.
    p.cache.refresh_store();
    // Buffered output would be written twice.
    p.flush_frames();
    if let Some(f) = &p.cfg.frames {
        lock(f).set_shared();
    }
    // No host thread starts or ends inside std while the host copies (see
    // HOST_THREADS); taken before the rest, which a starting thread takes.
    let mut host_threads = lock(&HOST_THREADS);
    reap(&mut host_threads);
    // Hold the shared structures still while the host copies them, so no
    // other thread's half-done change is copied, and the child's copies of
    // these locks are not held by a thread that does not exist there.
    let (mm_arc, files_arc, group) = (p.mm.clone(), p.files.clone(), p.group.clone());
    let mm = lock(&mm_arc);
    let files = lock(&files_arc);
    let rlim = lock(&group.rlim);
    let state = lock(&group.state);
    // No signal handler may run between the fork and the child's idea of
    // its own task (signals stay pending on the host meanwhile).
    let block = super::hostsig::BlockAll::new();
    let pid = host_fork(p, &a);
    if pid == Ok(0) {
        // The child's one thread: the others' handles name threads it
        // does not have (never joined or detached here).
        std::mem::forget(std::mem::take(&mut *host_threads));
    }
    drop(host_threads);
    match pid {
        Err(e) => {
            drop(block);
            Err(e)
        }
        Ok(0) => {
            // The child: its own copies of everything, one thread.
            crate::mem::soft_writers_forked(p.cpu.soft_writes);
            let me = unsafe { libc::getpid() } as u32;
            let mut new_mm = mm.clone();
            let new_files = files.forked();
            let new_rlim = rlim.clone();
            drop((state, rlim, files, mm));
            p.pid = me;
            p.tid = me;
            p.forked = true;
            p.cache.forked();
            p.cpu.irq = Arc::default();
            p.ctl = TaskCtl::new(me, p.cpu.irq.clone());
            p.group = ThreadGroup::new(new_rlim, p.ctl.clone());
            super::hostsig::set_current(&p.ctl);
            drop(block);
            // The child's own dispositions (CLONE_SIGHAND cannot be
            // shared across processes here), nothing pending.
            p.sighand = super::signal::share_or_copy(p, false);
            if a.flags & cf::CLEAR_SIGHAND != 0 {
                super::signal::clear_handlers(p);
            }
            p.sig.pending.clear();
            super::mm::fork_fixup(p, &mut new_mm);
            p.mm = Arc::new(Mutex::new(new_mm));
            p.files = Arc::new(Mutex::new(new_files));
            // A vfork parent up the tree waits for our parent, not for us.
            p.vfork_done = vfork.map(|(r, w)| {
                drop(r);
                super::vfork::child_start(p, w, a.flags & cf::VM != 0)
            });
            p.clear_child_tid = if a.flags & cf::CHILD_CLEARTID != 0 {
                a.child_tid
            } else {
                0
            };
            if let Some(t) = tls {
                super::tls::install_tls(p, t);
            }
            if a.stack != 0 {
                let _ = p.cpu.sys.kmem.w32(p.frame + off::SP, a.stack);
            }
            if a.flags & cf::CHILD_SETTID != 0 {
                let _ = p.write_u32(a.child_tid, me);
            }
            Ok(0)
        }
        Ok(child) => {
            drop(block);
            drop((state, rlim, files, mm));
            p.cache.parent_forked();
            let child = child as u32;
            if a.flags & cf::PARENT_SETTID != 0 {
                let _ = p.write_u32(a.parent_tid, child);
            }
            if a.flags & cf::PIDFD != 0 {
                let fd = host_pidfd(p, child)?;
                let _ = p.write_u32(a.pidfd, fd);
            }
            if let Some((r, w)) = vfork {
                drop(w);
                super::vfork::wait_for_vfork_done(p, r);
            }
            Ok(child)
        }
    }
}

/// A pidfd of host process `pid`, installed as a guest descriptor
/// (close-on-exec, as CLONE_PIDFD's is).
fn host_pidfd(p: &mut Task, pid: u32) -> Result<u32, Errno> {
    let h = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_int, 0) };
    if h < 0 {
        return Err(Errno::last());
    }
    p.files().install_host(h as i32, true)
}

/// The pipe a vfork parent waits on: the child holds the write end until
/// it execs or exits (mm_release), and the read end then sees EOF. Both
/// ends are close-on-exec, so a host exec releases the parent too, and
/// numbered high, out of the way of the descriptors a host exec arranges.
fn vfork_pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0i32; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Errno::last());
    }
    let high = |h: i32| {
        let n = unsafe { libc::fcntl(h, libc::F_DUPFD_CLOEXEC, 512) };
        if n < 0 {
            h
        } else {
            unsafe { libc::close(h) };
            n
        }
    };
    let (r, w) = (high(fds[0]), high(fds[1]));
    Ok(unsafe { (OwnedFd::from_raw_fd(r), OwnedFd::from_raw_fd(w)) })
}

// ---- a new thread ----

/// A new thread of this group: a host thread running a copy of this CPU.
fn clone_thread(p: &mut Task, a: Args) -> SysResult {
    let files = if a.flags & cf::FILES != 0 {
        p.files.clone()
    } else {
        Arc::new(Mutex::new(p.files().dup_all()?))
    };
    let cpu = p.cpu.clone_for_thread();
    let ctl = TaskCtl::new(0, cpu.irq.clone());
    let mut child = Task {
        cpu,
        cache: BlockCache::with_store(p.cache.store()),
        pid: p.pid,
        tid: 0,
        ctl: ctl.clone(),
        syscalls: 0,
        exit: None,
        frame: p.frame,
        cr2: 0,
        dr6: 0,
        // The same mm: a moved vDSO moves for both.
        vdso_landing_pad: p.vdso_landing_pad.clone(),
        // copy_process: nothing pending; no alternate stack for a thread
        // that shares the VM (unless it is a vfork child).
        sig: super::signal::SigState {
            blocked: p.sig.blocked,
            ..Default::default()
        },
        sighand: p.sighand.clone(),
        stats: Default::default(),
        personality: p.personality,
        clear_child_tid: if a.flags & cf::CHILD_CLEARTID != 0 {
            a.child_tid
        } else {
            0
        },
        robust_list: 0,
        forked: false,
        vfork_done: None,
        mm: p.mm.clone(),
        files,
        group: p.group.clone(),
        cfg: p.cfg.clone(),
        hook_stop: false,
    };
    // copy_thread: the child returns 0, on its own stack.
    let k = &mut child.cpu.sys.kmem;
    k.w32(child.frame + off::AX, 0).map_err(|_| Errno::EFAULT)?;
    if a.stack != 0 {
        k.w32(child.frame + off::SP, a.stack)
            .map_err(|_| Errno::EFAULT)?;
    }
    if a.flags & cf::SETTLS != 0 {
        let t = super::tls::read_tls(p, a.tls, false)?;
        super::tls::install_tls(&mut child, t);
    }
    let vfork = if a.flags & cf::VFORK != 0 {
        let (r, w) = vfork_pipe()?;
        // A thread shares the memory itself: nothing to write back.
        child.vfork_done = Some(super::vfork::child_start(p, w, false));
        Some(r)
    } else {
        None
    };
    if let Some(f) = &p.cfg.frames {
        lock(f).set_shared();
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Option<u32>>(1);
    let unshare_fs = a.flags & cf::FS == 0;
    // The new host thread starts with every signal blocked until it knows
    // its task; then it takes the guest mask it inherited.
    let block = super::hostsig::BlockAll::new();
    // No fork until the thread is past std's start (see HOST_THREADS).
    let mut host_threads = lock(&HOST_THREADS);
    reap(&mut host_threads);
    let ending = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ends = ending.clone();
    let spawned = std::thread::Builder::new()
        .name("guest-thread".into())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            guest_thread(child, unshare_fs, tx, a);
            // Into std's end, which no fork may copy half done.
            let _g = lock(&HOST_THREADS);
            ends.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    drop(block);
    let spawned = match spawned {
        Ok(h) => h,
        Err(_) => return Err(Errno::EAGAIN),
    };
    let started = rx.recv();
    host_threads.push((ending, spawned));
    drop(host_threads);
    let tid = match started {
        Ok(Some(tid)) => tid,
        _ => return Err(Errno::EINTR),
    };
    if let Some(r) = vfork {
        super::vfork::wait_for_vfork_done(p, r);
    }
    Ok(tid)
}

/// A guest thread's host thread: take its task, join the group, tell the
/// parent its tid (`tx`), run, and end.
fn guest_thread(
    child: Task,
    unshare_fs: bool,
    tx: std::sync::mpsc::SyncSender<Option<u32>>,
    a: Args,
) {
    let mut c = child;
    if unshare_fs {
        unsafe { libc::unshare(libc::CLONE_FS) };
    }
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
    c.tid = tid;
    c.ctl.tid.store(tid, std::sync::atomic::Ordering::SeqCst);
    super::hostsig::set_current(&c.ctl);
    super::hostsig::apply_mask(c.sig.blocked);
    // Join the group unless it is already ending.
    let joined = {
        let mut g = lock(&c.group.state);
        if g.group_exit.is_some() {
            false
        } else {
            g.threads.push(c.ctl.clone());
            true
        }
    };
    if !joined {
        let _ = tx.send(None);
        return;
    }
    // The tids are in place before the parent returns and before
    // the child runs guest code (copy_process, schedule_tail).
    if a.flags & cf::PARENT_SETTID != 0 {
        let _ = c.write_u32(a.parent_tid, tid);
    }
    if a.flags & cf::CHILD_SETTID != 0 {
        let _ = c.write_u32(a.child_tid, tid);
    }
    let _ = tx.send(Some(tid));
    entry::ret_from_fork(&mut c);
    if c.exit.is_none() {
        c.run();
    }
    c.cpu.set_soft_writes(false);
    let (mem, ctid, ctl) = (c.cpu.mem.clone(), c.clear_child_tid, c.ctl.clone());
    drop(c);
    exit::thread_gone(&mem, ctid);
    ctl.host_thread_ends();
}
