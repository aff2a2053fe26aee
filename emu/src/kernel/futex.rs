//! futex(2) and futex_time64(2): kernel/futex/ of Linux for the
//! non-PI commands (WAIT, WAIT_BITSET, WAKE, WAKE_BITSET, REQUEUE,
//! CMP_REQUEUE, WAKE_OP), with Linux's argument checks and their order.
//!
//! The guest is one thread today, so nothing can wake a waiter: a WAIT
//! whose value matches sleeps until its timeout (ETIMEDOUT) or, without
//! one, forever (as a lone native thread would, until a signal kills it),
//! and a WAKE finds no waiters (0). The wait queues are kept anyway, keyed
//! as Linux keys them, so that threads only need a scheduler to park and
//! resume waiters ([`Futexes`] is the hash bucket list; see [`block`]).
//!
//! The PI commands (LOCK_PI, LOCK_PI2, UNLOCK_PI, TRYLOCK_PI,
//! WAIT_REQUEUE_PI, CMP_REQUEUE_PI) and the long-removed FUTEX_FD are
//! -ENOSYS, which is what Linux returns for commands it does not know.

use super::abi::errno::Errno;
use super::abi::futex::*;
use super::abi::time::{CLOCK_MONOTONIC, CLOCK_REALTIME, NSEC_PER_SEC};
use super::syscall::SysResult;
use super::Process;

/// KTIME_MAX: a timeout that never expires.
pub const KTIME_MAX: i64 = i64::MAX;
const KTIME_SEC_MAX: i64 = KTIME_MAX / NSEC_PER_SEC;

/// What a futex is known by (`union futex_key`). The process has one mm,
/// so a private futex is its address; a shared one on the process's own
/// memory is its address too, but never matches a private one (Linux
/// marks shared keys with FUT_OFF_MMSHARED or keys them by inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FutexKey {
    pub addr: u32,
    pub shared: bool,
}

/// A thread parked on a futex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    pub tid: u32,
    pub key: FutexKey,
    pub bitset: u32,
}

/// The futex wait queues (Linux's hash buckets, as one FIFO list: waiters
/// of equal priority are woken in the order they queued).
#[derive(Clone, Debug, Default)]
pub struct Futexes {
    waiters: Vec<Waiter>,
}

impl Futexes {
    pub fn enqueue(&mut self, w: Waiter) {
        self.waiters.push(w);
    }

    /// Take `tid` off its queue (a timeout or a signal ended its wait);
    /// false when a wake already did.
    pub fn dequeue(&mut self, tid: u32) -> bool {
        let n = self.waiters.len();
        self.waiters.retain(|w| w.tid != tid);
        self.waiters.len() != n
    }

    pub fn waiters(&self) -> &[Waiter] {
        &self.waiters
    }

    /// futex_wake: wake waiters on `key` whose bitset intersects `bitset`,
    /// at least one and at most `nr_wake` (Linux counts before it checks,
    /// so 0 or a negative count still wakes one). Returns the woken tids.
    pub fn wake(&mut self, key: FutexKey, nr_wake: i32, bitset: u32) -> Vec<u32> {
        let mut woken = Vec::new();
        let mut i = 0;
        while i < self.waiters.len() {
            let w = self.waiters[i];
            if w.key == key && w.bitset & bitset != 0 {
                self.waiters.remove(i);
                woken.push(w.tid);
                if woken.len() as i64 >= nr_wake as i64 {
                    break;
                }
            } else {
                i += 1;
            }
        }
        woken
    }

    /// futex_requeue (non-PI): wake up to `nr_wake` waiters on `key1` and
    /// move up to `nr_requeue` more to `key2`. Returns the woken tids and
    /// the number requeued (the syscall returns their sum).
    pub fn requeue(
        &mut self,
        key1: FutexKey,
        key2: FutexKey,
        nr_wake: i32,
        nr_requeue: i32,
    ) -> (Vec<u32>, u32) {
        let (nr_wake, nr_requeue) = (nr_wake as i64, nr_requeue as i64);
        let mut woken = Vec::new();
        let mut task_count: i64 = 0;
        let mut i = 0;
        while i < self.waiters.len() {
            if task_count - nr_wake >= nr_requeue {
                break;
            }
            if self.waiters[i].key != key1 {
                i += 1;
                continue;
            }
            task_count += 1;
            if task_count <= nr_wake {
                woken.push(self.waiters.remove(i).tid);
                continue;
            }
            self.waiters[i].key = key2;
            i += 1;
        }
        let requeued = task_count as u32 - woken.len() as u32;
        (woken, requeued)
    }
}

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

/// FUTEX_WAKE_OP's operand fields: (op, cmp, oparg, cmparg), with oparg
/// already `1 << oparg` for FUTEX_OP_OPARG_SHIFT (a shift outside 0..31 is
/// masked, as Linux does after logging a complaint).
pub fn decode_wake_op(encoded: u32) -> (u32, u32, i32, i32) {
    let op = (encoded & 0x7000_0000) >> 28;
    let cmp = (encoded & 0x0f00_0000) >> 24;
    let sext12 = |v: u32| ((v << 20) as i32) >> 20;
    let mut oparg = sext12((encoded & 0x00ff_f000) >> 12);
    let cmparg = sext12(encoded & 0xfff);
    if encoded & (FUTEX_OP_OPARG_SHIFT << 28) != 0 {
        oparg = 1i32.wrapping_shl((oparg & 31) as u32);
    }
    (op, cmp, oparg, cmparg)
}

/// The new value of the word FUTEX_WAKE_OP operates on
/// (arch_futex_atomic_op_inuser); ENOSYS for an unknown operation.
pub fn wake_op_apply(op: u32, oparg: i32, old: u32) -> Result<u32, Errno> {
    let a = oparg as u32;
    Ok(match op {
        FUTEX_OP_SET => a,
        FUTEX_OP_ADD => old.wrapping_add(a),
        FUTEX_OP_OR => old | a,
        FUTEX_OP_ANDN => old & !a,
        FUTEX_OP_XOR => old ^ a,
        _ => return Err(Errno::ENOSYS),
    })
}

/// FUTEX_WAKE_OP's comparison of the old value (signed); ENOSYS for an
/// unknown comparison (the operation has been done by then).
pub fn wake_op_cmp(cmp: u32, old: u32, cmparg: i32) -> Result<bool, Errno> {
    let o = old as i32;
    Ok(match cmp {
        FUTEX_OP_CMP_EQ => o == cmparg,
        FUTEX_OP_CMP_NE => o != cmparg,
        FUTEX_OP_CMP_LT => o < cmparg,
        FUTEX_OP_CMP_GE => o >= cmparg,
        FUTEX_OP_CMP_LE => o <= cmparg,
        FUTEX_OP_CMP_GT => o > cmparg,
        _ => return Err(Errno::ENOSYS),
    })
}

// ---- the syscalls ----

pub fn sys_futex(
    p: &mut Process,
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
    p: &mut Process,
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

#[allow(clippy::too_many_arguments)]
fn futex(
    p: &mut Process,
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
    do_futex(p, uaddr, op, val, deadline, uaddr2, utime, val3)
}

#[allow(clippy::too_many_arguments)]
fn do_futex(
    p: &mut Process,
    uaddr: u32,
    op: u32,
    val: u32,
    deadline: Option<Deadline>,
    uaddr2: u32,
    val2: u32,
    val3: u32,
) -> SysResult {
    let cmd = op & FUTEX_CMD_MASK;
    let shared = op & FUTEX_PRIVATE_FLAG == 0;
    if op & FUTEX_CLOCK_REALTIME != 0
        && !matches!(
            cmd,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT => wait(p, uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAIT_BITSET => wait(p, uaddr, shared, val, deadline, val3),
        FUTEX_WAKE => wake(p, uaddr, shared, val as i32, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAKE_BITSET => wake(p, uaddr, shared, val as i32, val3),
        FUTEX_REQUEUE => requeue(p, uaddr, shared, uaddr2, val as i32, val2 as i32, None),
        FUTEX_CMP_REQUEUE => requeue(
            p,
            uaddr,
            shared,
            uaddr2,
            val as i32,
            val2 as i32,
            Some(val3),
        ),
        FUTEX_WAKE_OP => wake_op(p, uaddr, shared, uaddr2, val as i32, val2 as i32, val3),
        _ => Err(Errno::ENOSYS),
    }
}

/// get_futex_key: the word must be 4-aligned. A private key needs no
/// access (access_ok passes every 32-bit address on a 64-bit kernel); a
/// shared one pins the page (get_user_pages, which faults nothing in), so
/// it must be mapped readable, and writable when `write`. A read-only page
/// of private anonymous memory "will never change" and is refused too;
/// read-only file and shmem pages are fine.
fn get_key(p: &Process, uaddr: u32, shared: bool, write: bool) -> Result<FutexKey, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if shared {
        use super::mm::Backing;
        use crate::mem::{P_PRESENT, P_READ, P_WRITE};
        let perm = p.cpu.mem.perm(uaddr >> crate::mem::PAGE_SHIFT);
        let need = P_PRESENT | P_READ | if write { P_WRITE } else { 0 };
        if perm & need != need {
            return Err(Errno::EFAULT);
        }
        if perm & P_WRITE == 0 {
            let ok = p.mm.find_vma(uaddr).is_some_and(|v| {
                v.start <= uaddr
                    && matches!(v.backing, Backing::Shm(_) | Backing::File(_) | Backing::Exe)
            });
            if !ok {
                return Err(Errno::EFAULT);
            }
        }
    }
    Ok(FutexKey {
        addr: uaddr,
        shared,
    })
}

fn wait(
    p: &mut Process,
    uaddr: u32,
    shared: bool,
    val: u32,
    deadline: Option<Deadline>,
    bitset: u32,
) -> SysResult {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = get_key(p, uaddr, shared, false)?;
    if p.read_u32(uaddr)? != val {
        return Err(Errno::EAGAIN);
    }
    block(p, key, bitset, deadline)
}

/// Park the current thread on `key` until a wake or the deadline. With one
/// thread nothing can wake it: sleep out the deadline (or forever).
fn block(p: &mut Process, key: FutexKey, bitset: u32, deadline: Option<Deadline>) -> SysResult {
    let tid = p.pid;
    p.futex.enqueue(Waiter { tid, key, bitset });
    match deadline {
        Some(d) => {
            let clock = if d.clock == CLOCK_REALTIME {
                libc::CLOCK_REALTIME
            } else {
                libc::CLOCK_MONOTONIC
            };
            let t = libc::timespec {
                tv_sec: d.ns / NSEC_PER_SEC,
                tv_nsec: d.ns % NSEC_PER_SEC,
            };
            // Host signals the guest does not see (none are delivered yet)
            // must not end the wait early.
            while unsafe {
                libc::clock_nanosleep(clock, libc::TIMER_ABSTIME, &t, std::ptr::null_mut())
            } == libc::EINTR
            {}
        }
        None => loop {
            unsafe { libc::pause() };
        },
    }
    if p.futex.dequeue(tid) {
        Err(Errno::ETIMEDOUT)
    } else {
        Ok(0)
    }
}

fn wake(p: &mut Process, uaddr: u32, shared: bool, nr_wake: i32, bitset: u32) -> SysResult {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = get_key(p, uaddr, shared, false)?;
    Ok(p.futex.wake(key, nr_wake, bitset).len() as u32)
}

fn requeue(
    p: &mut Process,
    uaddr: u32,
    shared: bool,
    uaddr2: u32,
    nr_wake: i32,
    nr_requeue: i32,
    cmpval: Option<u32>,
) -> SysResult {
    if nr_wake < 0 || nr_requeue < 0 {
        return Err(Errno::EINVAL);
    }
    let key1 = get_key(p, uaddr, shared, false)?;
    let key2 = get_key(p, uaddr2, shared, false)?;
    if let Some(v) = cmpval {
        if p.read_u32(uaddr)? != v {
            return Err(Errno::EAGAIN);
        }
    }
    let (woken, requeued) = p.futex.requeue(key1, key2, nr_wake, nr_requeue);
    Ok(woken.len() as u32 + requeued)
}

fn wake_op(
    p: &mut Process,
    uaddr: u32,
    shared: bool,
    uaddr2: u32,
    nr_wake: i32,
    nr_wake2: i32,
    encoded: u32,
) -> SysResult {
    let key1 = get_key(p, uaddr, shared, false)?;
    let key2 = get_key(p, uaddr2, shared, true)?;
    let (op, cmp, oparg, cmparg) = decode_wake_op(encoded);
    // An unknown operation fails before the word is touched.
    wake_op_apply(op, oparg, 0)?;
    // The atomic read-modify-write of *uaddr2 (a fault is EFAULT; the
    // word is not changed unless it can be written).
    let old = p.read_u32(uaddr2)?;
    let new = wake_op_apply(op, oparg, old)?;
    p.write_u32(uaddr2, new)?;
    let hit = wake_op_cmp(cmp, old, cmparg)?;
    let mut n = p.futex.wake(key1, nr_wake, FUTEX_BITSET_MATCH_ANY).len() as u32;
    if hit {
        n += p.futex.wake(key2, nr_wake2, FUTEX_BITSET_MATCH_ANY).len() as u32;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(a: u32) -> FutexKey {
        FutexKey {
            addr: a,
            shared: false,
        }
    }

    fn w(tid: u32, a: u32, bitset: u32) -> Waiter {
        Waiter {
            tid,
            key: key(a),
            bitset,
        }
    }

    #[test]
    fn wake_counts_and_bitsets() {
        let mut f = Futexes::default();
        assert!(f.wake(key(0x1000), 1, !0).is_empty());
        for (t, b) in [(1, 1), (2, 2), (3, 3), (4, 1)] {
            f.enqueue(w(t, 0x1000, b));
        }
        f.enqueue(w(5, 0x2000, !0));
        // FIFO, bitset filtered, at most nr_wake.
        assert_eq!(f.wake(key(0x1000), 2, 1), vec![1, 3]);
        // nr_wake 0 still wakes one (Linux counts before checking).
        assert_eq!(f.wake(key(0x1000), 0, !0), vec![2]);
        // Shared and private keys on one address never match.
        let sk = FutexKey {
            addr: 0x1000,
            shared: true,
        };
        assert!(f.wake(sk, i32::MAX, !0).is_empty());
        assert_eq!(f.wake(key(0x1000), i32::MAX, !0), vec![4]);
        assert_eq!(f.waiters().len(), 1);
        assert!(f.dequeue(5));
        assert!(!f.dequeue(5));
    }

    #[test]
    fn requeue_wakes_then_moves() {
        let mut f = Futexes::default();
        for t in 1..=5 {
            f.enqueue(w(t, 0x1000, !0));
        }
        let (woken, moved) = f.requeue(key(0x1000), key(0x2000), 1, 2);
        assert_eq!((woken, moved), (vec![1], 2));
        assert_eq!(f.wake(key(0x2000), 10, !0), vec![2, 3]);
        assert_eq!(f.wake(key(0x1000), 10, !0), vec![4, 5]);
        // Nothing to wake or move.
        assert_eq!(f.requeue(key(0x1000), key(0x2000), 1, 1), (vec![], 0));
    }

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

    #[test]
    fn wake_op_encoding() {
        // FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0): glibc's unlock.
        let enc = (FUTEX_OP_ADD << 28) | (FUTEX_OP_CMP_GT << 24) | (1 << 12);
        assert_eq!(decode_wake_op(enc), (FUTEX_OP_ADD, FUTEX_OP_CMP_GT, 1, 0));
        // 12-bit fields are sign-extended.
        let enc = (FUTEX_OP_SET << 28) | (FUTEX_OP_CMP_LT << 24) | (0xfff << 12) | 0x800;
        assert_eq!(
            decode_wake_op(enc),
            (FUTEX_OP_SET, FUTEX_OP_CMP_LT, -1, -2048)
        );
        // OPARG_SHIFT: 1 << oparg, the shift masked to 0..31.
        let enc = ((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT) << 28) | (33 << 12);
        assert_eq!(decode_wake_op(enc), (FUTEX_OP_OR, 0, 2, 0));
        assert_eq!(wake_op_apply(FUTEX_OP_SET, 7, 1), Ok(7));
        assert_eq!(wake_op_apply(FUTEX_OP_ADD, -1, 0), Ok(u32::MAX));
        assert_eq!(wake_op_apply(FUTEX_OP_OR, 6, 1), Ok(7));
        assert_eq!(wake_op_apply(FUTEX_OP_ANDN, 6, 7), Ok(1));
        assert_eq!(wake_op_apply(FUTEX_OP_XOR, 3, 5), Ok(6));
        assert_eq!(wake_op_apply(5, 0, 0), Err(Errno::ENOSYS));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_GT, u32::MAX, 0), Ok(false));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_LT, u32::MAX, 0), Ok(true));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_EQ, 3, 3), Ok(true));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_NE, 3, 3), Ok(false));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_LE, 3, 3), Ok(true));
        assert_eq!(wake_op_cmp(FUTEX_OP_CMP_GE, 2, 3), Ok(false));
        assert_eq!(wake_op_cmp(6, 0, 0), Err(Errno::ENOSYS));
    }
}
