//! The guest's memory map: brk, mmap and friends. TODO (issue 4).

use super::syscall::SysResult;
use super::Process;

/// Mappings and program break of the process.
#[derive(Clone, Debug, Default)]
pub struct Mm {}

pub fn sys_brk(_p: &mut Process, _addr: u32) -> SysResult {
    Err(super::abi::errno::Errno::ENOSYS)
}
