//! Ending tasks and waiting for them: exit, exit_group, the robust-futex
//! cleanup and clear_child_tid of `mm_release`, and wait4, waitpid and
//! waitid (Linux's kernel/exit.c).
//!
//! A guest process is a host process, so a guest's children are the emu
//! process's host children: wait4 and waitid are the host's, with the
//! guest's structs (the status word is the same on every Linux). A guest
//! that dies by a signal makes its emu process die by the same signal
//! (main.rs), so a parent, emulated or native, sees native statuses.
//!
//! Threads are host threads of one process, and their life is kept in the
//! thread group's [`GroupState`](super::task::GroupState):
//! - exit(2) ends one thread. The leader's host thread is the process's
//!   main thread and cannot end first, so an exited leader waits (as
//!   Linux's zombie leader does) until the last thread has gone and then
//!   returns its own status, which is the process's.
//! - exit_group(2) (and later a fatal signal) records the group's status,
//!   raises `irq::KILL` on every other thread and kicks it out of any
//!   blocking host call; each stops at its next block boundary or syscall
//!   return. The process's status is the group's.

use super::abi::sched::{wait as w, *};
use super::abi::time::Rusage32;
use super::syscall::SysResult;
use super::task::{irq, lock, Task};
use super::ExitStatus;
use crate::mem::{PAGE_SHIFT, P_PRESENT, P_READ, P_WRITE};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

// ---- exit and exit_group ----

pub fn sys_exit(p: &mut Task, status: u32) -> SysResult {
    exit_robust_list(p);
    super::vfork::release(p);
    // clear_child_tid is released when the host thread has all but gone
    // (see [`thread_gone`]): a joiner woken by it finds the thread gone
    // from /proc/self/task, as it practically always does natively.
    if p.is_leader() {
        release_child_tid(p);
    }
    p.exit = Some(ExitStatus::Exited((status & 0xff) as i32));
    Ok(0)
}

/// The last thing a guest thread's host thread does, after its task is
/// dropped: clear and wake its clear_child_tid word (pthread_join's).
pub fn thread_gone(mem: &crate::mem::Mem, ctid: u32) {
    if ctid == 0 || !ctid.is_multiple_of(4) {
        return;
    }
    let perm = mem.perm(ctid >> PAGE_SHIFT);
    if perm & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
        return;
    }
    let Some(host) = mem.host_range(ctid, 4) else {
        return;
    };
    // SAFETY: 4-aligned, inside a present writable guest page (made
    // writable on the host meanwhile if it holds translated code; the word
    // is data, and its translations stay as before).
    mem.with_host_access(ctid, 4, true, || unsafe {
        (*(host as *const AtomicU32)).store(0, SeqCst)
    });
    host_futex_wake(mem, ctid, 1);
}

pub fn sys_exit_group(p: &mut Task, status: u32) -> SysResult {
    do_group_exit(p, ExitStatus::Exited((status & 0xff) as i32));
    Ok(0)
}

/// do_group_exit: the whole thread group ends with `st` (the first of
/// several concurrent group exits wins, as signal->group_exit_code does).
pub fn do_group_exit(p: &mut Task, st: ExitStatus) {
    let st = {
        let mut g = lock(&p.group.state);
        *g.group_exit.get_or_insert(st)
    };
    p.exit = Some(st);
    if p.is_leader() {
        // Returning from the leader's run ends the process (and with it
        // every other host thread): tell the others, but do not wait.
        for t in others(p) {
            t.raise(irq::KILL);
            t.kick(p.pid);
        }
        p.group.changed.notify_all();
    } else {
        kill_others(p);
    }
}

/// The other live threads of `p`'s group.
pub fn others(p: &Task) -> Vec<Arc<super::task::TaskCtl>> {
    lock(&p.group.state)
        .threads
        .iter()
        .filter(|t| !Arc::ptr_eq(t, &p.ctl))
        .cloned()
        .collect()
}

/// Stop every other thread of the group and wait until each has left the
/// thread list (zap_other_threads). A kick can land just before a thread
/// enters a blocking host call, so it is repeated until the thread is gone.
pub fn kill_others(p: &Task) {
    let g = &p.group;
    loop {
        let rest = others(p);
        if rest.is_empty() {
            return;
        }
        for t in &rest {
            t.raise(irq::KILL);
            t.kick(p.pid);
        }
        g.changed.notify_all();
        let st = g.state.lock().unwrap_or_else(|e| e.into_inner());
        let _ = g.changed.wait_timeout(st, Duration::from_millis(2));
    }
}

/// de_thread: stop every other thread and wait until their host threads
/// (all but the leader's, which stays) have exited, so the new program
/// starts alone, as after a native exec.
pub fn de_thread(p: &Task) {
    let waiting: Vec<Arc<super::task::TaskCtl>> = {
        let g = lock(&p.group.state);
        g.threads
            .iter()
            .filter(|t| !Arc::ptr_eq(t, &p.ctl) && t.tid.load(SeqCst) != p.pid)
            .inspect(|t| t.gone.store(t.tid.load(SeqCst).max(1), SeqCst))
            .cloned()
            .collect()
    };
    kill_others(p);
    for t in waiting {
        t.wait_gone();
    }
}

/// The task's run loop has stopped (`p.exit` is set): take it off the
/// thread list. A thread other than the leader then ends (None is never
/// returned for it). The leader waits for the process to end and returns
/// its status, or returns None after taking over a program another thread
/// exec'd (its run loop then goes on with the new program).
pub fn finish(p: &mut Task) -> Option<ExitStatus> {
    // exit_mm's mm_release, for exit_group and deaths too.
    super::vfork::release(p);
    let own = p.exit.unwrap_or(ExitStatus::Exited(0));
    let group = p.group.clone();
    let mut g = group.state.lock().unwrap_or_else(|e| e.into_inner());
    g.threads.retain(|t| !Arc::ptr_eq(t, &p.ctl));
    group.changed.notify_all();
    if !p.is_leader() {
        return Some(g.group_exit.unwrap_or(own));
    }
    if g.group_exit.is_none() && g.exec.is_none() && g.leader_exit.is_none() {
        g.leader_exit = Some(own);
    }
    loop {
        if let Some(st) = g.group_exit {
            return Some(st);
        }
        if let Some(h) = g.exec.take() {
            drop(g);
            super::exec::take_over(p, *h);
            return None;
        }
        if g.threads.is_empty() {
            return Some(g.leader_exit.unwrap_or(own));
        }
        g = group.changed.wait(g).unwrap_or_else(|e| e.into_inner());
    }
}

/// Drop this task's translations of the code other threads wrote (the
/// ranges they left in `ctl.inval`).
pub fn forget_written_code(p: &mut Task) {
    let ranges = std::mem::take(&mut *lock(&p.ctl.inval));
    for (first, last) in ranges {
        p.cache.forget_range(first, last);
    }
}

/// Serve the task's interrupt line (see [`irq`]): drop code other threads
/// wrote, note signals the host handed over, and stop when told to.
pub fn serve_irq(p: &mut Task) {
    let bits = p.cpu.irq.swap(0, SeqCst);
    if bits & irq::INVALIDATE != 0 {
        p.cpu.irq.code_served();
        forget_written_code(p);
    }
    if bits & irq::SIGNAL != 0 {
        super::signal::note_host_signals(p);
    }
    if bits & irq::BUS != 0 {
        if let Some(addr) = super::mm::host_bus(p) {
            let info = super::abi::signal::Siginfo32::fault(
                super::abi::signal::SIGBUS,
                super::mm::BUS_ADRERR,
                addr,
            );
            super::signal::force(p, info);
        }
    }
    if bits & irq::KILL != 0 {
        // Keep KILL raised: whatever the thread does next (a syscall
        // return, a blocking wait) sees it too.
        p.cpu.irq.fetch_or(irq::KILL, SeqCst);
        if p.exit.is_none() {
            p.exit = Some(ExitStatus::Exited(0));
        }
    }
}

/// Has another thread told this one to stop?
pub fn killed(p: &Task) -> bool {
    p.cpu.irq.load(SeqCst) & irq::KILL != 0
}

// ---- mm_release: clear_child_tid and the robust list ----

/// What a thread leaving its memory does (exit, and exec): walk the robust
/// futex list, then clear and wake `clear_child_tid`.
pub fn mm_release(p: &mut Task) {
    exit_robust_list(p);
    // wait_for_vfork_done's parent goes on.
    super::vfork::release(p);
    release_child_tid(p);
}

/// Clear and wake clear_child_tid now (Linux does only when another user
/// of the mm remains).
fn release_child_tid(p: &mut Task) {
    let ctid = std::mem::take(&mut p.clear_child_tid);
    if ctid != 0 && others_share_mm(p) && p.write_u32(ctid, 0).is_ok() {
        host_futex_wake(&p.cpu.mem, ctid, 1);
    }
}

/// Linux clears clear_child_tid only when another user of the mm remains.
fn others_share_mm(p: &Task) -> bool {
    lock(&p.group.state).threads.len() > 1
}

/// FUTEX_WAKE (shared, as Linux wakes clear_child_tid and robust futexes)
/// on a guest word.
fn host_futex_wake(mem: &crate::mem::Mem, uaddr: u32, n: i32) {
    let Some(host) = mem.host_range(uaddr, 4) else {
        return;
    };
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            host,
            libc::FUTEX_WAKE,
            n,
            0usize,
            0usize,
            0,
        )
    };
}

/// exit_robust_list: for every robust mutex this thread holds (and the one
/// it was taking or releasing), mark the owner dead and wake a waiter.
fn exit_robust_list(p: &mut Task) {
    let head_addr = std::mem::take(&mut p.robust_list);
    if head_addr == 0 {
        return;
    }
    let Ok(head) = p.read_struct::<RobustListHead32>(head_addr) else {
        return;
    };
    let entry_of = |v: u32| (v & !1, v & 1 != 0);
    let (mut entry, mut pi) = entry_of(head.next);
    let (pending, pending_pi) = entry_of(head.list_op_pending);
    let word = |e: u32| e.wrapping_add(head.futex_offset as u32);
    let mut limit = ROBUST_LIST_LIMIT;
    while entry != head_addr {
        // Read the next entry before the word is released.
        let next = p.read_u32(entry);
        if entry != pending {
            handle_futex_death(p, word(entry), pi, false);
        }
        let Ok(n) = next else { return };
        (entry, pi) = entry_of(n);
        limit -= 1;
        if limit == 0 {
            break;
        }
    }
    if pending != 0 {
        handle_futex_death(p, word(pending), pending_pi, true);
    }
}

/// handle_futex_death: if this thread owns the word, set OWNER_DIED (keeping
/// WAITERS) and wake one waiter; a pending op on an unowned word wakes one
/// waiter too (the lock may have been released but the wake not done).
fn handle_futex_death(p: &mut Task, uaddr: u32, pi: bool, pending_op: bool) {
    if !uaddr.is_multiple_of(4) {
        return;
    }
    let perm = p.cpu.mem.perm(uaddr >> PAGE_SHIFT);
    if perm & (P_PRESENT | P_READ | P_WRITE) != P_PRESENT | P_READ | P_WRITE {
        return;
    }
    let Some(host) = p.cpu.mem.host_range(uaddr, 4) else {
        return;
    };
    // Translated code on the page: writable on the host first, dropped.
    for page in p.cpu.mem.prepare_write(uaddr, 4) {
        p.forget_code(page << PAGE_SHIFT, 4);
    }
    // SAFETY: 4-aligned, inside a present writable guest page.
    let word = unsafe { &*(host as *const AtomicU32) };
    let tid = p.tid;
    loop {
        let uval = word.load(SeqCst);
        if pending_op && !pi && uval == 0 {
            host_futex_wake(&p.cpu.mem, uaddr, 1);
            return;
        }
        if uval & FUTEX_TID_MASK != tid {
            return;
        }
        let new = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if word.compare_exchange(uval, new, SeqCst, SeqCst).is_ok() {
            if !pi && uval & FUTEX_WAITERS != 0 {
                host_futex_wake(&p.cpu.mem, uaddr, 1);
            }
            return;
        }
    }
}

// ---- wait4, waitpid, waitid ----

pub fn sys_wait4(p: &mut Task, pid: u32, status: u32, options: u32, ru: u32) -> SysResult {
    let mut st: libc::c_int = 0;
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    let rp = if ru != 0 {
        &mut r as *mut libc::rusage
    } else {
        std::ptr::null_mut()
    };
    let got = p.blocking(
        libc::SYS_wait4,
        [
            pid as i32 as i64,
            &mut st as *mut libc::c_int as i64,
            options as i64,
            rp as i64,
            0,
            0,
        ],
    )?;
    if got > 0 {
        if status != 0 {
            p.write_u32(status, st as u32)?;
        }
        if ru != 0 {
            p.write_struct(ru, &Rusage32::from_host(&r))?;
        }
    }
    Ok(got as u32)
}

pub fn sys_waitpid(p: &mut Task, pid: u32, status: u32, options: u32) -> SysResult {
    sys_wait4(p, pid, status, options, 0)
}

pub fn sys_waitid(
    p: &mut Task,
    which: u32,
    upid: u32,
    infop: u32,
    options: u32,
    ru: u32,
) -> SysResult {
    // A pidfd is a guest descriptor.
    let id = if which == w::P_PIDFD {
        p.files().host(upid)? as u32
    } else {
        upid
    };
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    let rp = if ru != 0 {
        &mut r as *mut libc::rusage
    } else {
        std::ptr::null_mut()
    };
    p.blocking(
        libc::SYS_waitid,
        [
            which as i64,
            id as i64,
            &mut si as *mut libc::siginfo_t as i64,
            options as i64,
            rp as i64,
            0,
        ],
    )?;
    if ru != 0 {
        p.write_struct(ru, &Rusage32::from_host(&r))?;
    }
    if infop != 0 {
        // WNOHANG with nothing to report leaves the host's zeroed siginfo:
        // the guest's is zeroed too, as Linux's compat waitid writes it.
        let out = SiginfoChld32 {
            si_signo: si.si_signo,
            si_errno: 0,
            si_code: si.si_code,
            si_pid: unsafe { si.si_pid() },
            si_uid: unsafe { si.si_uid() },
            si_status: unsafe { si.si_status() },
            si_utime: 0,
            si_stime: 0,
            pad: [0; 24],
        };
        // Linux writes only signo, errno, code, pid, uid and status.
        p.write_user(infop, &bytemuck::bytes_of(&out)[..24])?;
    }
    Ok(0)
}

/// Die by the signal the guest died by, so that whoever waits for emu sees
/// the guest's status. A core-dumping signal dumps core if RLIMIT_CORE
/// allows, as natively (the core bit in the status follows), without the
/// guest's 4 GiB window (MADV_DONTDUMP in `Mem`).
pub fn die_by_signal(sig: i32) -> ! {
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        // kill, not raise: raise targets glibc's idea of this thread, which
        // a raw clone (fork with an exotic exit signal) leaves stale.
        libc::kill(libc::getpid(), sig);
    }
    // (Only if the signal did not kill: 128 + sig, as a shell reports it.)
    unsafe { libc::_exit(128 + sig) }
}
