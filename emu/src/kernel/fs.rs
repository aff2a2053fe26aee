//! Files and I/O.

use super::abi::errno::Errno;
use super::syscall::SysResult;
use super::Process;

/// The file descriptor table and file-system context (cwd, umask). TODO (issue 4).
#[derive(Debug, Default)]
pub struct Files {}

/// Largest single host I/O transfer; guest lengths are clipped to it so a
/// guest-supplied length never drives an unbounded host allocation.
pub const MAX_IO: u32 = 1 << 20;

pub fn sys_write(p: &mut Process, fd: u32, buf: u32, len: u32) -> SysResult {
    let len = len.min(MAX_IO);
    let data = p.user_buf(buf, len)?;
    let n = unsafe { libc::write(fd as i32, data.as_ptr() as *const libc::c_void, data.len()) };
    if n < 0 {
        Err(Errno::last())
    } else {
        Ok(n as u32)
    }
}
