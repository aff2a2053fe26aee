//! Access to guest (user) memory from syscall handlers: copy_from_user and
//! copy_to_user with Linux's semantics (a bad pointer is -EFAULT, never a
//! host crash), and typed access to `#[repr(C)]` ABI structs via bytemuck.
//!
//! Writes invalidate translated code on the pages they touch, so a read()
//! into a code page behaves like a guest store (self-modifying code).
//!
//! An access that faults first takes the page-fault path a user access
//! would ([`super::mm::fault_in_user`]: the stack grows down to it) and is
//! retried once; only then is it -EFAULT, as in the kernel, whose fault
//! handler runs before the exception fixup.

use super::abi::errno::Errno;
use super::task::Task;

/// Longest path or string a handler reads from the guest (PATH_MAX).
pub const PATH_MAX: usize = 4096;

impl Task {
    /// The page-fault path of a kernel access that faulted on
    /// [addr, addr+len): fault the pages in as a user fault would (grow the
    /// stack), true when something changed and the access should be retried.
    fn fault_in(&mut self, addr: u32, len: usize) -> bool {
        let len = (len as u64).min((1u64 << 32) - addr as u64) as u32;
        super::mm::fault_in_user(self, addr, len)
    }

    /// copy_from_user into `out`.
    pub fn read_user(&mut self, addr: u32, out: &mut [u8]) -> Result<(), Errno> {
        if self.cpu.mem.read_bytes(addr, out).is_ok() {
            return Ok(());
        }
        if self.fault_in(addr, out.len()) {
            return self
                .cpu
                .mem
                .read_bytes(addr, out)
                .map_err(|_| Errno::EFAULT);
        }
        Err(Errno::EFAULT)
    }

    /// copy_to_user from `data`.
    pub fn write_user(&mut self, addr: u32, data: &[u8]) -> Result<(), Errno> {
        let smc = match self.cpu.mem.write_bytes(addr, data) {
            Ok(smc) => smc,
            Err(_) if self.fault_in(addr, data.len()) => self
                .cpu
                .mem
                .write_bytes(addr, data)
                .map_err(|_| Errno::EFAULT)?,
            Err(_) => return Err(Errno::EFAULT),
        };
        for page in smc {
            self.forget_code(page << crate::mem::PAGE_SHIFT, crate::mem::PAGE_SIZE);
        }
        Ok(())
    }

    /// Read a `#[repr(C)]` plain-old-data struct from guest memory.
    pub fn read_struct<T: bytemuck::Pod>(&mut self, addr: u32) -> Result<T, Errno> {
        let mut v = T::zeroed();
        self.read_user(addr, bytemuck::bytes_of_mut(&mut v))?;
        Ok(v)
    }

    /// Write a `#[repr(C)]` plain-old-data struct to guest memory.
    pub fn write_struct<T: bytemuck::Pod>(&mut self, addr: u32, v: &T) -> Result<(), Errno> {
        self.write_user(addr, bytemuck::bytes_of(v))
    }

    pub fn read_u32(&mut self, addr: u32) -> Result<u32, Errno> {
        self.read_struct::<u32>(addr)
    }

    pub fn write_u32(&mut self, addr: u32, v: u32) -> Result<(), Errno> {
        self.write_struct(addr, &v)
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    /// A string that does not end within `max` bytes is -ENAMETOOLONG.
    pub fn read_cstr(&mut self, addr: u32, max: usize) -> Result<Vec<u8>, Errno> {
        let s = match self.cpu.mem.read_cstr(addr, max + 1) {
            Ok(s) => s,
            // strncpy_from_user faults in the page it stopped at.
            Err(pf) if self.fault_in(pf.addr, 1) => self
                .cpu
                .mem
                .read_cstr(addr, max + 1)
                .map_err(|_| Errno::EFAULT)?,
            Err(_) => return Err(Errno::EFAULT),
        };
        if s.len() > max {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(s)
    }

    /// Read a path argument (PATH_MAX, as Linux's getname).
    pub fn read_path(&mut self, addr: u32) -> Result<Vec<u8>, Errno> {
        let p = self.read_cstr(addr, PATH_MAX - 1)?;
        if p.is_empty() {
            return Err(Errno::ENOENT);
        }
        Ok(p)
    }

    /// Host pointer to guest memory [addr, addr+len) if the guest may write
    /// all of it, for zero-copy host I/O into guest buffers (read, recv).
    /// Code pages in the range are invalidated first. A raw pointer: other
    /// guest threads may touch the bytes meanwhile, as natively.
    pub fn user_buf_mut(&mut self, addr: u32, len: u32) -> Result<*mut u8, Errno> {
        let mem = self.cpu.mem.clone();
        if mem
            .check(addr, len, crate::mem::P_WRITE, true, false)
            .is_err()
        {
            self.fault_in(addr, len as usize);
            mem.check(addr, len, crate::mem::P_WRITE, true, false)
                .map_err(|_| Errno::EFAULT)?;
        }
        if len > 0 {
            for page in crate::mem::page_range(addr, len) {
                if mem.perm(page) & crate::mem::P_CODE != 0 {
                    self.forget_code(page << crate::mem::PAGE_SHIFT, crate::mem::PAGE_SIZE);
                }
            }
        }
        self.cpu
            .mem
            .host_ptr(addr, len, crate::mem::P_WRITE)
            .map_err(|_| Errno::EFAULT)
    }

    /// Host view of guest memory [addr, addr+len) that the guest may read,
    /// for zero-copy host I/O from guest buffers (write, send).
    pub fn user_buf(&mut self, addr: u32, len: u32) -> Result<&[u8], Errno> {
        if self.cpu.mem.slice(addr, len).is_err() {
            self.fault_in(addr, len as usize);
        }
        self.cpu.mem.slice(addr, len).map_err(|_| Errno::EFAULT)
    }
}
