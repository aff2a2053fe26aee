//! Task lifetime and identity.

use super::syscall::SysResult;
use super::{ExitStatus, Task};

pub fn sys_exit(p: &mut Task, status: u32) -> SysResult {
    // Single-threaded for now: exit of the only thread ends the process.
    p.exit = Some(ExitStatus::Exited((status & 0xff) as i32));
    Ok(0)
}

pub fn sys_exit_group(p: &mut Task, status: u32) -> SysResult {
    p.exit = Some(ExitStatus::Exited((status & 0xff) as i32));
    Ok(0)
}

pub fn sys_getpid(p: &mut Task) -> SysResult {
    Ok(p.pid)
}
