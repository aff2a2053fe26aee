//! modify_ldt: the task's local descriptor table (read, write, write_old,
//! read_default), as arch/x86/kernel/ldt.c implements it. The LDT lives in
//! [`crate::arch::System::ldt`]; selectors with TI = 1 load from it.

use super::abi::{errno::Errno, UserDesc};
use super::syscall::SysResult;
use super::task::Task;
use crate::arch::desc::Desc;

/// LDT_ENTRIES and LDT_ENTRY_SIZE.
pub const LDT_ENTRIES: u32 = 8192;
pub const LDT_ENTRY_SIZE: u32 = 8;

/// LDT_empty: the descriptor that clears an entry.
fn is_empty(d: &UserDesc) -> bool {
    d.base_addr == 0
        && d.limit == 0
        && d.contents() == 0
        && d.read_exec_only()
        && !d.seg_32bit()
        && !d.limit_in_pages()
        && d.seg_not_present()
        && !d.useable()
}

/// fill_ldt: a user_desc as a hardware descriptor (DPL 3, S = 1, with the
/// accessed bit set so the table can be mapped read-only).
pub fn fill_ldt(d: &UserDesc, oldmode: bool) -> Desc {
    let typ = (((!d.read_exec_only()) as u8) << 1) | ((d.contents() as u8) << 2) | 1;
    Desc::segment(
        d.base_addr,
        d.limit,
        typ,
        3,
        !d.seg_not_present(),
        d.useable() && !oldmode,
        d.seg_32bit(),
        d.limit_in_pages(),
    )
}

pub fn sys_modify_ldt(p: &mut Task, func: u32, ptr: u32, bytecount: u32) -> SysResult {
    match func {
        0 => read_ldt(p, ptr, bytecount),
        1 => write_ldt(p, ptr, bytecount, true),
        2 => read_default_ldt(p, ptr, bytecount),
        0x11 => write_ldt(p, ptr, bytecount, false),
        _ => Err(Errno::ENOSYS),
    }
}

fn read_ldt(p: &mut Task, ptr: u32, bytecount: u32) -> SysResult {
    if p.cpu.sys.ldt.is_empty() {
        return Ok(0);
    }
    let bytecount = bytecount.min(LDT_ENTRY_SIZE * LDT_ENTRIES);
    let mut bytes: Vec<u8> = p.cpu.sys.ldt.iter().flat_map(|d| d.to_le_bytes()).collect();
    bytes.resize(bytecount as usize, 0);
    p.write_user(ptr, &bytes)?;
    Ok(bytecount)
}

/// The default LDT of a 64-bit kernel reads as 128 zero bytes.
fn read_default_ldt(p: &mut Task, ptr: u32, bytecount: u32) -> SysResult {
    let n = bytecount.min(128);
    p.write_user(ptr, &vec![0u8; n as usize])?;
    Ok(n)
}

fn write_ldt(p: &mut Task, ptr: u32, bytecount: u32, oldmode: bool) -> SysResult {
    if bytecount != 16 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 16];
    p.read_user(ptr, &mut b)?;
    let d = UserDesc::from_bytes(&b);
    if d.entry_number >= LDT_ENTRIES {
        return Err(Errno::EINVAL);
    }
    if d.contents() == 3 && (oldmode || !d.seg_not_present()) {
        return Err(Errno::EINVAL);
    }
    let desc = if (oldmode && d.base_addr == 0 && d.limit == 0) || is_empty(&d) {
        Desc(0)
    } else {
        fill_ldt(&d, oldmode)
    };
    p.cpu.sys.set_ldt_entry(d.entry_number, desc);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldt_descriptor_encoding() {
        // Wine-style data segment: base 0x1000, limit 0xfffff pages, 32-bit.
        let u = UserDesc {
            entry_number: 0,
            base_addr: 0x1000,
            limit: 0xfffff,
            flags: 1 | 16,
        };
        let d = fill_ldt(&u, false);
        assert_eq!(d.base(), 0x1000);
        assert_eq!(d.limit(), 0xffff_ffff);
        assert!(d.is_writable_data() && d.present() && d.dpl() == 3);
        assert_eq!(d.typ(), 3);
        assert_eq!(d.0, 0x00cf_f300_1000_ffff);
    }
}
