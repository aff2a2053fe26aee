//! set_thread_area / get_thread_area: the three TLS entries of the GDT
//! (12, 13, 14), as an i386 process sees them on x86_64 Linux.

use super::abi::{errno::Errno, UserDesc};
use super::syscall::SysResult;
use super::task::Task;
use crate::arch::desc::Desc;

pub const GDT_ENTRY_TLS_MIN: u32 = 12;
pub const GDT_ENTRY_TLS_ENTRIES: u32 = 3;

fn read_desc(p: &Task, addr: u32) -> Result<UserDesc, Errno> {
    let mut b = [0u8; 16];
    p.cpu
        .mem
        .read_bytes(addr, &mut b)
        .map_err(|_| Errno::EFAULT)?;
    Ok(UserDesc::from_bytes(&b))
}

/// The "empty" descriptor that clears an entry (LDT_empty in Linux).
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

/// Encode a user_desc as a GDT entry: Linux's fill_ldt, shared with
/// modify_ldt (DPL 3, S = 1, and the accessed bit set, as natively: `lar`
/// of a TLS selector shows it).
pub fn to_desc(d: &UserDesc) -> Desc {
    super::ldt::fill_ldt(d, false)
}

/// Decode a GDT entry back into a user_desc, as Linux's fill_user_desc does.
pub fn from_desc(idx: u32, d: Desc) -> UserDesc {
    let flags = (d.db() as u32)
        | (((d.typ() as u32 >> 2) & 3) << 1)
        | ((((d.typ() >> 1) & 1) ^ 1) as u32) << 3
        | (d.gran() as u32) << 4
        | ((!d.present()) as u32) << 5
        | (d.avl() as u32) << 6;
    UserDesc {
        entry_number: idx,
        base_addr: d.base(),
        limit: d.limit20(),
        flags,
    }
}

pub fn sys_set_thread_area(p: &mut Task, u_info: u32) -> SysResult {
    do_set_thread_area(p, u_info, true)
}

/// do_set_thread_area: set TLS entry `u_info->entry_number`, or with
/// `can_allocate` (set_thread_area, not CLONE_SETTLS) the first free one
/// for -1, written back to the guest.
pub fn do_set_thread_area(p: &mut Task, u_info: u32, can_allocate: bool) -> SysResult {
    let t = read_tls(p, u_info, can_allocate)?;
    install_tls(p, t);
    Ok(0)
}

/// A checked TLS request: the GDT entry and its descriptor.
#[derive(Clone, Copy, Debug)]
pub struct Tls {
    pub idx: u32,
    pub desc: Desc,
}

/// The checking half of do_set_thread_area (everything that can fail).
pub fn read_tls(p: &mut Task, u_info: u32, can_allocate: bool) -> Result<Tls, Errno> {
    let mut d = read_desc(p, u_info)?;
    let mut idx = d.entry_number;
    if idx == u32::MAX && can_allocate {
        idx = (0..GDT_ENTRY_TLS_ENTRIES)
            .find(|&k| p.cpu.sys.gdt_entry(GDT_ENTRY_TLS_MIN + k) == Some(Desc(0)))
            .map(|k| k + GDT_ENTRY_TLS_MIN)
            .ok_or(Errno::ESRCH)?;
        d.entry_number = idx;
        p.cpu
            .mem
            .write_bytes(u_info, &d.entry_number.to_le_bytes())
            .map_err(|_| Errno::EFAULT)?;
    }
    if !(GDT_ENTRY_TLS_MIN..GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES).contains(&idx) {
        return Err(Errno::EINVAL);
    }
    // Linux rejects code segments that are not present-or-empty (contents == 3).
    if d.contents() == 3 && !d.seg_not_present() {
        return Err(Errno::EINVAL);
    }
    Ok(Tls {
        idx,
        desc: if is_empty(&d) { Desc(0) } else { to_desc(&d) },
    })
}

/// The installing half: write the GDT entry. Segment registers holding
/// this selector pick up the new descriptor when the return to user mode
/// reloads them from pt_regs (as on i386).
pub fn install_tls(p: &mut Task, t: Tls) {
    p.cpu.sys.set_gdt_entry(t.idx, t.desc);
}

pub fn sys_get_thread_area(p: &mut Task, u_info: u32) -> SysResult {
    let d = read_desc(p, u_info)?;
    let idx = d.entry_number;
    if !(GDT_ENTRY_TLS_MIN..GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES).contains(&idx) {
        return Err(Errno::EINVAL);
    }
    let out = from_desc(idx, p.cpu.sys.gdt_entry(idx).unwrap_or_default());
    p.cpu
        .mem
        .write_bytes(u_info, &out.to_bytes())
        .map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_tls_descriptor_round_trips() {
        // glibc: seg_32bit, limit 0xfffff in pages, useable.
        let u = UserDesc {
            entry_number: 12,
            base_addr: 0x80f_3840,
            limit: 0xfffff,
            flags: 1 | 16 | 64,
        };
        let d = to_desc(&u);
        assert_eq!(d.base(), 0x80f_3840);
        assert_eq!(d.limit(), 0xffff_ffff);
        assert!(d.is_writable_data() && d.present() && d.dpl() == 3);
        assert_eq!(from_desc(12, d), u);
        // The empty entry decodes as Linux reports it.
        assert_eq!(from_desc(13, Desc(0)).flags, 8 | 32);
    }
}
