//! futex(2) and futex_time64(2) on the host's futex.
//!
//! Guest memory is host memory, so a guest futex word is a host futex word
//! at `base + uaddr`: the host kernel keeps the wait queues, wakes waiters
//! between guest threads (host threads of one process) and between guest
//! processes sharing a MAP_SHARED page (the host keys a shared futex by the
//! page's inode or shmem object), does FUTEX_WAKE_OP's atomic operation and
//! the priority-inheritance protocol on the word (whose owner tids are the
//! host's, which are the guest's).
//!
//! What stays here is what the host cannot know: which guest pages exist.
//! Linux's own checks come first in its order (the timeout, the command,
//! alignment), then every word the command will read or write must be
//! mapped for the guest with the access it needs (EFAULT otherwise, where
//! the host would find the reservation's zero pages). A private FUTEX_WAKE
//! touches no memory and needs no mapping, as in Linux.
//!
//! FUTEX_WAIT's relative timeout becomes an absolute CLOCK_MONOTONIC
//! deadline (as the kernel's hrtimer is), so a host wait interrupted by a
//! host signal the guest does not see resumes with the same deadline.
//! FUTEX_FD (removed in 2.6.26) and unknown commands are ENOSYS.

use super::abi::errno::Errno;
use super::abi::futex::*;
use super::abi::time::{CLOCK_MONOTONIC, CLOCK_REALTIME, NSEC_PER_SEC};
use super::syscall::SysResult;
use super::task::Task;
use crate::mem::{PAGE_SHIFT, P_PRESENT, P_READ, P_WRITE};

/// KTIME_MAX: a timeout that never expires.
pub const KTIME_MAX: i64 = i64::MAX;
const KTIME_SEC_MAX: i64 = KTIME_MAX / NSEC_PER_SEC;

/// Does `cmd` take a timeout in its fourth argument (futex_cmd_has_timeout)?
pub fn cmd_has_timeout(cmd: u32) -> bool {
    matches!(
        cmd,
        FUTEX_WAIT | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI
    )
}

/// timespec64_valid.
pub fn timespec_valid(sec: i64, nsec: i64) -> bool {
    sec >= 0 && (nsec as u64) < NSEC_PER_SEC as u64
}

/// timespec64_to_ktime.
pub fn ktime(sec: i64, nsec: i64) -> i64 {
    if sec >= KTIME_SEC_MAX {
        KTIME_MAX
    } else {
        sec * NSEC_PER_SEC + nsec
    }
}

/// ktime_add_safe: saturates at KTIME_MAX.
pub fn ktime_add_safe(a: i64, b: i64) -> i64 {
    let r = (a as u64).wrapping_add(b as u64) as i64;
    if r < 0 || r < a || r < b {
        KTIME_MAX
    } else {
        r
    }
}

/// A wait's deadline: an absolute time on a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub clock: u32,
    pub ns: i64,
}

/// futex_init_timeout: the deadline for a validated timespec. FUTEX_WAIT's
/// timeout is relative to CLOCK_MONOTONIC; the others are absolute, on
/// CLOCK_REALTIME with FUTEX_CLOCK_REALTIME (LOCK_PI always is).
pub fn init_timeout(
    cmd: u32,
    op: u32,
    sec: i64,
    nsec: i64,
    now_mono: i64,
) -> Result<Deadline, Errno> {
    if !timespec_valid(sec, nsec) {
        return Err(Errno::EINVAL);
    }
    let t = ktime(sec, nsec);
    Ok(if cmd == FUTEX_WAIT {
        Deadline {
            clock: CLOCK_MONOTONIC,
            ns: ktime_add_safe(now_mono, t),
        }
    } else if cmd == FUTEX_LOCK_PI || op & FUTEX_CLOCK_REALTIME != 0 {
        Deadline {
            clock: CLOCK_REALTIME,
            ns: t,
        }
    } else {
        Deadline {
            clock: CLOCK_MONOTONIC,
            ns: t,
        }
    })
}

// ---- the syscalls ----

pub fn sys_futex(
    p: &mut Task,
    uaddr: u32,
    op: u32,
    val: u32,
    utime: u32,
    uaddr2: u32,
    val3: u32,
) -> SysResult {
    futex(p, uaddr, op, val, utime, uaddr2, val3, false)
}

pub fn sys_futex_time64(
    p: &mut Task,
    uaddr: u32,
    op: u32,
    val: u32,
    utime: u32,
    uaddr2: u32,
    val3: u32,
) -> SysResult {
    futex(p, uaddr, op, val, utime, uaddr2, val3, true)
}

fn now(clock: u32) -> i64 {
    let id = if clock == CLOCK_REALTIME {
        libc::CLOCK_REALTIME
    } else {
        libc::CLOCK_MONOTONIC
    };
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(id, &mut t) };
    t.tv_sec * NSEC_PER_SEC + t.tv_nsec
}

/// How a command uses a futex word: not at all, read it, or read and
/// write it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    None,
    Read,
    Write,
}

/// The words `cmd` touches: (uaddr, uaddr2).
fn accesses(cmd: u32) -> (Access, Access) {
    use Access::*;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => (Read, None),
        FUTEX_WAKE | FUTEX_WAKE_BITSET | FUTEX_REQUEUE => (None, None),
        FUTEX_CMP_REQUEUE => (Read, None),
        FUTEX_WAKE_OP => (None, Write),
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_TRYLOCK_PI | FUTEX_UNLOCK_PI => (Write, None),
        FUTEX_WAIT_REQUEUE_PI => (Read, Write),
        FUTEX_CMP_REQUEUE_PI => (Read, Write),
        _ => (None, None),
    }
}

#[allow(clippy::too_many_arguments)]
fn futex(
    p: &mut Task,
    uaddr: u32,
    op: u32,
    val: u32,
    utime: u32,
    uaddr2: u32,
    val3: u32,
    wide: bool,
) -> SysResult {
    let cmd = op & FUTEX_CMD_MASK;
    let mut deadline = None;
    if utime != 0 && cmd_has_timeout(cmd) {
        let ts = super::time::get_ts(p, utime, wide)?;
        deadline = Some(init_timeout(
            cmd,
            op,
            ts.tv_sec,
            ts.tv_nsec,
            now(CLOCK_MONOTONIC),
        )?);
    }
    if op & FUTEX_CLOCK_REALTIME != 0
        && !matches!(
            cmd,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(Errno::ENOSYS);
    }
    if cmd == FUTEX_FD || cmd > FUTEX_LOCK_PI2 {
        return Err(Errno::ENOSYS);
    }
    let shared = op & FUTEX_PRIVATE_FLAG == 0;
    let two = matches!(
        cmd,
        FUTEX_REQUEUE
            | FUTEX_CMP_REQUEUE
            | FUTEX_WAKE_OP
            | FUTEX_WAIT_REQUEUE_PI
            | FUTEX_CMP_REQUEUE_PI
    );
    get_key(p, uaddr, shared)?;
    if two {
        get_key(p, uaddr2, shared)?;
    }
    if cmd == FUTEX_WAKE_OP && (val3 >> 28) & !FUTEX_OP_OPARG_SHIFT > FUTEX_OP_XOR {
        // An unknown operation fails before the word is touched (the
        // comparison is checked only after the operation, by the host).
        return Err(Errno::ENOSYS);
    }
    let (a1, a2) = accesses(cmd);
    check_access(p, uaddr, a1)?;
    if two {
        check_access(p, uaddr2, a2)?;
    }
    // The host's stores (FUTEX_WAKE_OP, the PI operations) to a word on
    // translated code: the page must be writable on the host first, and
    // the code goes after.
    let mut written = Vec::new();
    for (a, acc) in [(uaddr, a1), (uaddr2, a2)] {
        if matches!(acc, Access::Write) {
            written.extend(p.cpu.mem.prepare_write(a, 4));
        }
    }
    let host = |a: u32| {
        p.cpu
            .mem
            .host_range(a, 4)
            .map(|h| h as usize)
            .ok_or(Errno::EFAULT)
    };
    let host1 = host(uaddr)?;
    let host2 = if two { host(uaddr2)? } else { 0 };
    // FUTEX_WAIT waits as WAIT_BITSET with any bit, on an absolute deadline.
    let (hop, hval3) = if cmd == FUTEX_WAIT {
        (
            (op & FUTEX_PRIVATE_FLAG) | FUTEX_WAIT_BITSET,
            FUTEX_BITSET_MATCH_ANY,
        )
    } else {
        (op, val3)
    };
    let ts = deadline.map(|d| libc::timespec {
        tv_sec: d.ns / NSEC_PER_SEC,
        tv_nsec: d.ns % NSEC_PER_SEC,
    });
    // The fourth argument: the timeout, or val2 for the commands that
    // take a count there (the compat entry passes it as an integer).
    let arg4: usize = if cmd_has_timeout(cmd) {
        ts.as_ref()
            .map_or(0, |t| t as *const libc::timespec as usize)
    } else {
        utime as usize
    };
    let r = p.blocking(
        libc::SYS_futex,
        [
            host1 as i64,
            hop as i64,
            val as i64,
            arg4 as i64,
            host2 as i64,
            hval3 as i64,
        ],
    )?;
    for page in written {
        p.forget_code(page << PAGE_SHIFT, 4);
    }
    Ok(r as u32)
}

/// The guest-memory side of get_futex_key: the word must be 4-aligned
/// (EINVAL); a shared key pins the page, so it must be mapped readable
/// (get_user_pages faults nothing in), and a read-only page of private
/// anonymous memory "will never change" and is refused (read-only file
/// and shmem pages are fine). A private key needs no access.
fn get_key(p: &Task, uaddr: u32, shared: bool) -> Result<(), Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !shared {
        return Ok(());
    }
    let perm = p.cpu.mem.perm(uaddr >> PAGE_SHIFT);
    if perm & (P_PRESENT | P_READ) != P_PRESENT | P_READ {
        return Err(Errno::EFAULT);
    }
    if perm & P_WRITE == 0 {
        use super::mm::Backing;
        let ok = p.mm().find_vma(uaddr).is_some_and(|v| {
            v.start <= uaddr
                && matches!(v.backing, Backing::Shm(_) | Backing::File(_) | Backing::Exe)
        });
        if !ok {
            return Err(Errno::EFAULT);
        }
    }
    Ok(())
}

/// A word the command reads or writes must be mapped for the guest with
/// that access (EFAULT), where the host would find the reservation's
/// zero pages.
fn check_access(p: &Task, uaddr: u32, access: Access) -> Result<(), Errno> {
    let perm = p.cpu.mem.perm(uaddr >> PAGE_SHIFT);
    let readable = perm & (P_PRESENT | P_READ) == P_PRESENT | P_READ;
    let ok = match access {
        Access::None => true,
        Access::Read => readable,
        Access::Write => readable && perm & P_WRITE != 0,
    };
    if ok {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert!(timespec_valid(0, 0));
        assert!(timespec_valid(5, 999_999_999));
        assert!(!timespec_valid(-1, 0));
        assert!(!timespec_valid(0, 1_000_000_000));
        assert!(!timespec_valid(0, -1));
        assert_eq!(ktime(1, 5), 1_000_000_005);
        assert_eq!(ktime(i64::MAX, 0), KTIME_MAX);
        assert_eq!(ktime_add_safe(KTIME_MAX - 1, 10), KTIME_MAX);
        assert_eq!(
            init_timeout(FUTEX_WAIT, 0, 1, 0, 100),
            Ok(Deadline {
                clock: CLOCK_MONOTONIC,
                ns: 1_000_000_100
            })
        );
        assert_eq!(
            init_timeout(FUTEX_WAIT_BITSET, FUTEX_CLOCK_REALTIME, 7, 0, 100),
            Ok(Deadline {
                clock: CLOCK_REALTIME,
                ns: 7_000_000_000
            })
        );
        assert_eq!(
            init_timeout(FUTEX_WAIT_BITSET, FUTEX_PRIVATE_FLAG, 7, 0, 100),
            Ok(Deadline {
                clock: CLOCK_MONOTONIC,
                ns: 7_000_000_000
            })
        );
        assert_eq!(
            init_timeout(FUTEX_WAIT, 0, 0, NSEC_PER_SEC, 0),
            Err(Errno::EINVAL)
        );
        assert!(cmd_has_timeout(FUTEX_WAIT));
        assert!(!cmd_has_timeout(FUTEX_WAKE));
        assert!(!cmd_has_timeout(FUTEX_CMP_REQUEUE));
    }
}
