//! ELF32 headers: parsing, checking, placement and mapping.
//!
//! Only the ELF header and the program headers are read (as the kernel
//! does; section headers are ignored). Every size and offset from the file
//! is checked against the file length or the 4 GiB guest window before it is
//! used, and nothing is allocated on the host from a guest-supplied size
//! (the program header table is at most 128 entries, as in Linux).
//!
//! Mapping follows `elf_load` in fs/binfmt_elf.c page by page, segment by
//! segment in file order (a later segment replaces pages it shares with an
//! earlier one, as MAP_FIXED does):
//! - the file-backed pages `[pagestart(vaddr), pagealign(vaddr+filesz))` get
//!   the file's bytes around the segment too (whole pages are mapped), with
//!   the segment's permissions;
//! - if `memsz > filesz`, the rest of the last file page is zeroed only if
//!   the segment is writable (the kernel's `padzero` fails silently on a
//!   read-only page), and the pages after it up to `pagealign(vaddr+memsz)`
//!   are anonymous, zero and always read/write (+exec if PF_X), whatever
//!   the segment's flags (`vm_brk_flags`). Both verified natively.

use super::{
    invalid, map_anon, Layout, LoadError, ET_DYN_BASE, MMAP_MIN_ADDR, STATIC_PIE_BRK, TASK_SIZE,
};
use crate::mem::{Mem, PAGE_SIZE, P_EXEC, P_PRESENT, P_READ, P_WRITE};
use std::os::fd::{AsRawFd, BorrowedFd};

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_386: u16 = 3;
pub const EM_486: u16 = 6;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
/// sizeof(Elf32_Ehdr) and sizeof(Elf32_Phdr).
pub const EHDR_SIZE: usize = 52;
pub const PHDR_SIZE: usize = 32;
/// Linux refuses program header tables larger than a page (ELF_MIN_ALIGN).
pub const MAX_PHNUM: usize = 4096 / PHDR_SIZE;

const PAGE: u64 = PAGE_SIZE as u64;

fn page_start(a: u64) -> u64 {
    a & !(PAGE - 1)
}

fn page_align(a: u64) -> u64 {
    (a + PAGE - 1) & !(PAGE - 1)
}

/// One program header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phdr {
    pub p_type: u32,
    pub p_offset: u32,
    pub p_vaddr: u32,
    pub p_filesz: u32,
    pub p_memsz: u32,
    pub p_flags: u32,
    pub p_align: u32,
}

/// The parts of an ELF file the loader uses, checked.
#[derive(Clone, Debug)]
pub struct Elf {
    pub e_type: u16,
    pub entry: u32,
    pub phoff: u32,
    pub phnum: u16,
    pub phdrs: Vec<Phdr>,
    /// Flags of PT_GNU_STACK, if there is one.
    pub gnu_stack: Option<u32>,
    /// The PT_INTERP path (without its NUL), if there is one.
    pub interp: Option<Vec<u8>>,
}

/// PATH_MAX: the longest PT_INTERP Linux accepts.
pub const INTERP_MAX: u32 = 4096;

/// The PT_INTERP string as load_elf_binary checks it: 2 to PATH_MAX
/// bytes, inside the file, its last byte NUL (else ENOEXEC). The name is
/// what comes before the first NUL.
fn interp_name(image: &[u8], p: &Phdr) -> Result<Vec<u8>, LoadError> {
    if p.p_filesz < 2 || p.p_filesz > INTERP_MAX {
        return Err(invalid(format!(
            "bad PT_INTERP size {:#x} (2 to {INTERP_MAX})",
            p.p_filesz
        )));
    }
    let s = p.p_offset as usize;
    let b = image
        .get(s..s.saturating_add(p.p_filesz as usize))
        .ok_or_else(|| invalid("truncated file: PT_INTERP lies past its end"))?;
    if b.last() != Some(&0) {
        return Err(invalid("PT_INTERP is not NUL-terminated"));
    }
    Ok(b.split(|&c| c == 0).next().unwrap_or(&[]).to_vec())
}

/// Where and how each segment goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub bias: u32,
    pub entry: u32,
    pub phdr: u32,
    pub brk: u32,
    pub exec_stack: bool,
    pub read_implies_exec: bool,
    pub segs: Vec<Seg>,
}

/// A PT_LOAD, relocated, with the permissions of its file-backed pages and
/// of its anonymous (bss) pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub addr: u32,
    pub offset: u32,
    pub filesz: u32,
    pub memsz: u32,
    pub prot: u8,
    pub anon_prot: u8,
}

impl Seg {
    /// The pages it occupies, [start, end).
    pub fn pages(&self) -> (u32, u32) {
        let end = page_align(self.addr as u64 + self.memsz as u64);
        (page_start(self.addr as u64) as u32, end as u32)
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        0 => " (EM_NONE)",
        2 => " (EM_SPARC)",
        8 => " (EM_MIPS)",
        20 => " (EM_PPC)",
        21 => " (EM_PPC64)",
        40 => " (EM_ARM)",
        62 => " (EM_X86_64)",
        183 => " (EM_AARCH64)",
        243 => " (EM_RISCV)",
        _ => "",
    }
}

impl Elf {
    /// Parse and check the ELF header and the program headers.
    pub fn parse(image: &[u8]) -> Result<Elf, LoadError> {
        if image.len() < 4 || image[..4] != *b"\x7fELF" {
            return Err(invalid("not an ELF executable (bad magic)"));
        }
        if image.len() < 16 {
            return Err(invalid("truncated ELF header"));
        }
        match image[4] {
            1 => {}
            2 => return Err(invalid("64-bit ELF (ELFCLASS64), not an i386 executable")),
            c => {
                return Err(invalid(format!(
                    "bad ELF class {c}, not an i386 executable"
                )))
            }
        }
        if image[5] != 1 {
            return Err(invalid("big-endian or invalid ELF data encoding, not i386"));
        }
        if image.len() < EHDR_SIZE {
            return Err(invalid(format!(
                "truncated ELF header ({} bytes, need {EHDR_SIZE})",
                image.len()
            )));
        }
        // goblin reads the header; the checks below give the reasons.
        let eh = goblin::elf32::header::Header::parse(image)
            .map_err(|e| invalid(format!("bad ELF header: {e}")))?;
        let (e_type, e_machine, entry) = (eh.e_type, eh.e_machine, eh.e_entry);
        let (phoff, phentsize, phnum) = (eh.e_phoff, eh.e_phentsize, eh.e_phnum);
        if e_machine != EM_386 && e_machine != EM_486 {
            return Err(invalid(format!(
                "wrong machine {e_machine}{}, not an i386 executable",
                machine_name(e_machine)
            )));
        }
        match e_type {
            ET_EXEC | ET_DYN => {}
            1 => return Err(invalid("relocatable object (ET_REL), not an executable")),
            4 => return Err(invalid("core file (ET_CORE), not an executable")),
            t => return Err(invalid(format!("unknown ELF type {t}, not an executable"))),
        }
        if phentsize as usize != PHDR_SIZE {
            return Err(invalid(format!("bad program header size {phentsize}")));
        }
        if phnum == 0 || phnum as usize > MAX_PHNUM {
            return Err(invalid(format!(
                "bad program header count {phnum} (1 to {MAX_PHNUM})"
            )));
        }
        let end = phoff as u64 + phnum as u64 * PHDR_SIZE as u64;
        if end > image.len() as u64 {
            return Err(invalid(format!(
                "truncated program headers (end at {end:#x}, file has {:#x} bytes)",
                image.len()
            )));
        }
        let raw = goblin::elf32::program_header::ProgramHeader::parse(
            image,
            phoff as usize,
            phnum as usize,
            goblin::container::Endian::Little,
        )
        .map_err(|e| invalid(format!("bad program headers: {e}")))?;
        let mut phdrs = Vec::with_capacity(phnum as usize);
        let mut gnu_stack = None;
        let mut interp = None;
        for r in &raw {
            let p = Phdr {
                p_type: r.p_type,
                p_offset: r.p_offset,
                p_vaddr: r.p_vaddr,
                p_filesz: r.p_filesz,
                p_memsz: r.p_memsz,
                p_flags: r.p_flags,
                p_align: r.p_align,
            };
            match p.p_type {
                // Only the first PT_INTERP counts, as in load_elf_binary.
                PT_INTERP if interp.is_none() => interp = Some(interp_name(image, &p)?),
                PT_GNU_STACK => gnu_stack = Some(p.p_flags),
                _ => {}
            }
            phdrs.push(p);
        }
        let elf = Elf {
            e_type,
            entry,
            phoff,
            phnum,
            phdrs,
            gnu_stack,
            interp,
        };
        elf.check_loads(image.len())?;
        Ok(elf)
    }

    /// The PT_LOAD headers with their index in the table.
    pub fn loads(&self) -> impl Iterator<Item = (usize, &Phdr)> {
        self.phdrs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.p_type == PT_LOAD)
    }

    fn check_loads(&self, file_len: usize) -> Result<(), LoadError> {
        let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
        for (k, p) in self.loads() {
            if p.p_filesz > p.p_memsz {
                return Err(invalid(format!(
                    "segment {k}: p_filesz {:#x} is larger than p_memsz {:#x}",
                    p.p_filesz, p.p_memsz
                )));
            }
            let fend = p.p_offset as u64 + p.p_filesz as u64;
            if p.p_filesz > 0 && fend > file_len as u64 {
                return Err(invalid(format!(
                    "truncated file: segment {k} needs bytes up to {fend:#x}, file has {file_len:#x}"
                )));
            }
            if p.p_filesz > 0 && (p.p_offset ^ p.p_vaddr) & (PAGE_SIZE - 1) != 0 {
                return Err(invalid(format!(
                    "segment {k}: p_offset {:#x} and p_vaddr {:#x} differ modulo the page size",
                    p.p_offset, p.p_vaddr
                )));
            }
            let end = p.p_vaddr as u64 + p.p_memsz as u64;
            if end > 1 << 32 {
                return Err(invalid(format!(
                    "segment {k} ({:#x} + {:#x}) wraps past 4 GiB",
                    p.p_vaddr, p.p_memsz
                )));
            }
            if p.p_memsz > 0 {
                ranges.push((p.p_vaddr as u64, end, k));
            }
        }
        if self.loads().next().is_none() {
            return Err(invalid("no loadable (PT_LOAD) segments"));
        }
        ranges.sort_unstable();
        for w in ranges.windows(2) {
            let ((a0, a1, i), (b0, b1, j)) = (w[0], w[1]);
            if b0 < a1 {
                return Err(invalid(format!(
                    "segments {i} ({a0:#x}-{a1:#x}) and {j} ({b0:#x}-{b1:#x}) overlap"
                )));
            }
        }
        Ok(())
    }

    /// Largest power-of-two p_align of the PT_LOADs, at least a page
    /// (`maximum_alignment` in binfmt_elf.c).
    pub fn max_align(&self) -> u64 {
        let a = self
            .loads()
            .map(|(_, p)| p.p_align as u64)
            .filter(|a| a.is_power_of_two())
            .max()
            .unwrap_or(0);
        page_align(a)
    }

    /// The load bias: 0 for ET_EXEC; for a static-PIE, what Linux's mmap
    /// of the whole image span gives: top-down below the mmap base, or
    /// bottom-up from it in the legacy layout.
    fn bias(&self, layout: &Layout) -> Result<u32, LoadError> {
        if self.e_type != ET_DYN {
            return Ok(0);
        }
        if self.interp.is_some() {
            // A PIE with an interpreter: ELF_ET_DYN_BASE, aligned down to
            // the largest p_align, less the first segment's address
            // (load_elf_binary, ASLR off).
            let align = self.max_align();
            let mut at = ET_DYN_BASE as u64;
            if align > PAGE {
                at &= !(align - 1);
            }
            let first = self.loads().next().map(|(_, p)| p.p_vaddr).unwrap_or(0);
            return Ok(page_start((at as u32).wrapping_sub(first) as u64) as u32);
        }
        let lo = self
            .loads()
            .map(|(_, p)| page_start(p.p_vaddr as u64))
            .min()
            .unwrap_or(0);
        let hi = self
            .loads()
            .map(|(_, p)| p.p_vaddr as u64 + p.p_memsz as u64)
            .max()
            .unwrap_or(0);
        let total = page_align(hi - lo);
        let base = layout.mmap_base() as u64;
        let too_large = || {
            invalid(format!(
                "position-independent image spans {total:#x} bytes, too large to place"
            ))
        };
        let align = self.max_align();
        let mut at = if layout.legacy {
            let at = (base + align - 1) & !(align - 1);
            if at + total > TASK_SIZE as u64 {
                return Err(too_large());
            }
            at
        } else {
            if total > base - MMAP_MIN_ADDR as u64 {
                return Err(too_large());
            }
            base - total
        };
        let first = self.loads().next().map(|(_, p)| p.p_vaddr).unwrap_or(0);
        Ok(if align > PAGE {
            at &= !(align - 1);
            page_start((at as u32).wrapping_sub(first) as u64) as u32
        } else {
            (at as u32).wrapping_sub(page_start(first as u64) as u32)
        })
    }

    /// Place the image. `stack_low` is the lowest address the initial stack
    /// will occupy; no segment may reach it.
    pub fn plan(&self, stack_low: u32, layout: &Layout) -> Result<Plan, LoadError> {
        let bias = self.bias(layout)?;
        self.plan_at(bias, stack_low, self.gnu_stack.is_none())
    }

    /// Place the image at `bias`, with READ_IMPLIES_EXEC as given (an
    /// interpreter gets the main program's: the personality is set before
    /// anything is mapped).
    pub fn plan_at(
        &self,
        bias: u32,
        stack_low: u32,
        read_implies_exec: bool,
    ) -> Result<Plan, LoadError> {
        let exec_stack = self.gnu_stack.is_none_or(|f| f & PF_X != 0);
        let mut segs = Vec::new();
        let mut phdr = 0;
        let mut brk = 0u64;
        for (k, p) in self.loads() {
            let addr = p.p_vaddr.wrapping_add(bias);
            let end = addr as u64 + p.p_memsz as u64;
            if addr >= TASK_SIZE || end > TASK_SIZE as u64 {
                return Err(invalid(format!(
                    "segment {k} ({addr:#x}-{end:#x}) lies outside the user address space (below {TASK_SIZE:#x})"
                )));
            }
            let maps = p.p_filesz > 0 || p.p_memsz > 0;
            if maps && page_start(addr as u64) < MMAP_MIN_ADDR as u64 {
                return Err(invalid(format!(
                    "segment {k} at {addr:#x} is below the lowest mappable address {MMAP_MIN_ADDR:#x}"
                )));
            }
            if maps && page_align(end) > stack_low as u64 {
                return Err(invalid(format!(
                    "segment {k} ({addr:#x}-{end:#x}) overlaps the stack ({stack_low:#x}-{TASK_SIZE:#x})"
                )));
            }
            if p.p_offset <= self.phoff
                && (self.phoff as u64) < p.p_offset as u64 + p.p_filesz as u64
            {
                phdr = (self.phoff - p.p_offset).wrapping_add(addr);
            }
            brk = brk.max(end);
            let (r, w, x) = (
                p.p_flags & PF_R != 0,
                p.p_flags & PF_W != 0,
                p.p_flags & PF_X != 0,
            );
            // x86 pages cannot be write- or exec-only: any access right
            // implies read. READ_IMPLIES_EXEC adds exec to PROT_READ.
            let mut prot = 0;
            if r || w || x {
                prot |= P_READ;
            }
            if w {
                prot |= P_WRITE;
            }
            if x || (read_implies_exec && r) {
                prot |= P_EXEC;
            }
            let mut anon_prot = P_READ | P_WRITE;
            if x || read_implies_exec {
                anon_prot |= P_EXEC;
            }
            segs.push(Seg {
                addr,
                offset: p.p_offset,
                filesz: p.p_filesz,
                memsz: p.p_memsz,
                prot,
                anon_prot,
            });
        }
        let entry = self.entry.wrapping_add(bias);
        if entry >= TASK_SIZE {
            return Err(invalid(format!(
                "entry point {entry:#x} lies outside the user address space"
            )));
        }
        let brk = if self.e_type == ET_DYN && self.interp.is_none() {
            STATIC_PIE_BRK
        } else {
            page_align(brk) as u32
        };
        Ok(Plan {
            bias,
            entry,
            phdr,
            brk,
            exec_stack,
            read_implies_exec,
            segs,
        })
    }
}

/// Map the planned segments into `mem` (fresh: never-mapped pages are zero).
/// The plan comes from [`Elf::plan`] on the same image, so every file range
/// is inside `image` and every address range inside the guest window.
///
/// With `file` (the open executable whose contents `image` is), the file
/// pages are mapped into the window privately, as Linux's `elf_map` does:
/// nothing is copied, and pages the guest never touches are never read.
/// Without it (or for a segment whose offset and address disagree modulo
/// the page size) they are copied from `image`. Returns whether every
/// file-backed page came from a host mapping of `file`.
pub fn map(mem: &Mem, image: &[u8], plan: &Plan, file: Option<BorrowedFd<'_>>) -> bool {
    let mut all_mapped = true;
    for s in &plan.segs {
        let addr = s.addr as u64;
        let page_lo = page_start(addr);
        let mem_end = addr + s.memsz as u64;
        let anon_lo = if s.filesz > 0 {
            let file_end = page_align(addr + s.filesz as u64);
            let n = (file_end - page_lo) as usize;
            let foff = s.offset as usize - (addr - page_lo) as usize;
            let mapped = match file {
                Some(fd) if foff % PAGE_SIZE as usize == 0 => {
                    map_file_pages(mem, page_lo as u32, n, fd, foff)
                }
                _ => false,
            };
            // After the host mapping (which it gives its protection), before
            // a copy (which then finds the pages accessible).
            mem.set_perm(page_lo as u32, n as u32, s.prot | P_PRESENT);
            if !mapped {
                all_mapped = false;
                // Bytes past the end of the file read as zero.
                let src = image.get(foff..).unwrap_or(&[]);
                let avail = src.len().min(n);
                mem.write_raw(page_lo as u32, &src[..avail]);
                mem.fill_raw(page_lo as u32 + avail as u32, (n - avail) as u32, 0);
            }
            if s.memsz > s.filesz && s.prot & P_WRITE != 0 {
                let z = addr + s.filesz as u64;
                mem.fill_raw(z as u32, (file_end - z) as u32, 0);
            }
            file_end
        } else {
            page_lo
        };
        if s.memsz > s.filesz {
            let hi = page_align(mem_end);
            if hi > anon_lo {
                map_anon(mem, anon_lo as u32, (hi - anon_lo) as u32, s.anon_prot);
            }
        }
    }
    all_mapped
}

/// Map `len` bytes of `fd` from `off` (page-aligned; the range ends in the
/// file's last page at the latest, as the plan checked) privately over
/// [addr, addr+len) of the window. Host-writable: guest permissions are
/// the page table's business, and a write copies the page, as on Linux.
fn map_file_pages(mem: &Mem, addr: u32, len: usize, fd: BorrowedFd<'_>, off: usize) -> bool {
    let Some(at) = mem.host_range(addr, len) else {
        return false;
    };
    let r = unsafe {
        libc::mmap(
            at as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_FIXED,
            fd.as_raw_fd(),
            off as libc::off_t,
        )
    };
    // The host protection comes with the permissions (`map`).
    r != libc::MAP_FAILED
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ELF32 image builder for tests.
    pub struct Builder {
        pub e_type: u16,
        pub machine: u16,
        pub entry: u32,
        pub phdrs: Vec<Phdr>,
        pub body: Vec<u8>,
    }

    impl Builder {
        /// An ET_EXEC with the program headers at offset 52 and a body that
        /// starts at file offset 0x1000 (the builder fills up to there).
        pub fn new(e_type: u16) -> Builder {
            Builder {
                e_type,
                machine: EM_386,
                entry: 0,
                phdrs: Vec::new(),
                body: Vec::new(),
            }
        }

        pub fn ph(mut self, p_type: u32, off: u32, va: u32, fsz: u32, msz: u32, fl: u32) -> Self {
            self.phdrs.push(Phdr {
                p_type,
                p_offset: off,
                p_vaddr: va,
                p_filesz: fsz,
                p_memsz: msz,
                p_flags: fl,
                p_align: 0x1000,
            });
            self
        }

        pub fn build(&self) -> Vec<u8> {
            let mut b = vec![0u8; 0x1000];
            b[..4].copy_from_slice(b"\x7fELF");
            b[4] = 1;
            b[5] = 1;
            b[6] = 1;
            b[16..18].copy_from_slice(&self.e_type.to_le_bytes());
            b[18..20].copy_from_slice(&self.machine.to_le_bytes());
            b[20..24].copy_from_slice(&1u32.to_le_bytes());
            b[24..28].copy_from_slice(&self.entry.to_le_bytes());
            b[28..32].copy_from_slice(&52u32.to_le_bytes());
            b[40..42].copy_from_slice(&52u16.to_le_bytes());
            b[42..44].copy_from_slice(&32u16.to_le_bytes());
            b[44..46].copy_from_slice(&(self.phdrs.len() as u16).to_le_bytes());
            for (k, p) in self.phdrs.iter().enumerate() {
                let o = 52 + 32 * k;
                for (i, v) in [
                    p.p_type, p.p_offset, p.p_vaddr, p.p_vaddr, p.p_filesz, p.p_memsz, p.p_flags,
                    p.p_align,
                ]
                .iter()
                .enumerate()
                {
                    b[o + 4 * i..o + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            b.extend_from_slice(&self.body);
            b
        }
    }

    fn exec_image() -> Builder {
        let mut b = Builder::new(ET_EXEC)
            .ph(PT_LOAD, 0, 0x0804_8000, 0x1000, 0x1000, PF_R)
            .ph(PT_LOAD, 0x1000, 0x0804_9000, 0x10, 0x10, PF_R | PF_X)
            .ph(PT_LOAD, 0x1010, 0x0804_a010, 0x20, 0x3000, PF_R | PF_W)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.entry = 0x0804_9000;
        b.body = (0..0x40u8).collect();
        b
    }

    fn err(image: &[u8]) -> String {
        match Elf::parse(image).and_then(|e| e.plan(0xfffd_d000, &Layout::default())) {
            Err(LoadError::Invalid(s)) => s,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_plans_exec() {
        let img = exec_image().build();
        let elf = Elf::parse(&img).unwrap();
        assert_eq!(elf.phnum, 4);
        let p = elf.plan(0xfffd_d000, &Layout::default()).unwrap();
        assert_eq!(p.bias, 0);
        assert_eq!(p.entry, 0x0804_9000);
        assert_eq!(p.phdr, 0x0804_8034);
        assert_eq!(p.brk, 0x0804_e000); // pagealign(0x0804a010 + 0x3000)
        assert!(!p.exec_stack && !p.read_implies_exec);
        assert_eq!(p.segs[0].prot, P_READ);
        assert_eq!(p.segs[1].prot, P_READ | P_EXEC);
        assert_eq!(p.segs[2].prot, P_READ | P_WRITE);
    }

    /// `img` mapped by [`map`], copied (`via_file` false) or as host
    /// mappings of a file holding it.
    fn mapped(img: &[u8], plan: &Plan, via_file: bool) -> Mem {
        use std::io::Write;
        use std::os::fd::AsFd;
        let mem = Mem::new().unwrap();
        if via_file {
            let mut f = tempfile_in_target();
            f.write_all(img).unwrap();
            assert!(
                map(&mem, img, plan, Some(f.as_fd())),
                "every page file-mapped"
            );
        } else {
            assert!(!map(&mem, img, plan, None));
        }
        mem
    }

    /// An unlinked scratch file (the mapping keeps its pages).
    fn tempfile_in_target() -> std::fs::File {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "emu-elf-map-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    #[test]
    fn maps_pages_like_the_kernel() {
        for via_file in [false, true] {
            maps_pages_like_the_kernel_via(via_file);
        }
    }

    fn maps_pages_like_the_kernel_via(via_file: bool) {
        let img = exec_image().build();
        let elf = Elf::parse(&img).unwrap();
        let plan = elf.plan(0xfffd_d000, &Layout::default()).unwrap();
        let mem = mapped(&img, &plan, via_file);
        // Text page: the segment plus the rest of the file page.
        assert_eq!(mem.perm(0x08049), P_PRESENT | P_READ | P_EXEC);
        assert_eq!(mem.read_raw(0x0804_9000, 4), &[0, 1, 2, 3]);
        assert_eq!(mem.read_raw(0x0804_9010, 2), &[0x10, 0x11]);
        // Data: bytes before vaddr in its page come from the file, the bss
        // tail of the page is zeroed (writable segment).
        assert_eq!(mem.read_raw(0x0804_a000, 2), &[0, 1]);
        assert_eq!(mem.read_raw(0x0804_a010, 2), &[0x10, 0x11]);
        assert_eq!(mem.read_raw(0x0804_a030, 0x10), &[0u8; 0x10]);
        for pg in 0x0804a..0x0804e {
            assert_eq!(mem.perm(pg), P_PRESENT | P_READ | P_WRITE, "page {pg:#x}");
        }
        assert_eq!(mem.perm(0x0804e), 0);
    }

    #[test]
    fn readonly_bss_keeps_file_tail_and_gets_rw_anon_pages() {
        for via_file in [false, true] {
            readonly_bss_via(via_file);
        }
    }

    fn readonly_bss_via(via_file: bool) {
        let mut b = Builder::new(ET_EXEC)
            .ph(PT_LOAD, 0, 0x0804_8000, 0x1008, 0x3000, PF_R)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.body = vec![0xaa; 0x20];
        let img = b.build();
        let elf = Elf::parse(&img).unwrap();
        let plan = elf.plan(0xfffd_d000, &Layout::default()).unwrap();
        let mem = mapped(&img, &plan, via_file);
        // Not zeroed: padzero fails on a read-only page.
        assert_eq!(mem.read_raw(0x0804_9008, 4), &[0xaa; 4]);
        // Past EOF within the last file page: zero.
        assert_eq!(mem.read_raw(0x0804_9020, 4), &[0; 4]);
        assert_eq!(mem.perm(0x08049), P_PRESENT | P_READ);
        assert_eq!(mem.perm(0x0804a), P_PRESENT | P_READ | P_WRITE);
        assert_eq!(mem.perm(0x0804b), 0);
    }

    #[test]
    fn no_gnu_stack_means_read_implies_exec() {
        let mut b = exec_image();
        b.phdrs.pop();
        let p = Elf::parse(&b.build())
            .unwrap()
            .plan(0xfffd_d000, &Layout::default())
            .unwrap();
        assert!(p.exec_stack && p.read_implies_exec);
        assert_eq!(p.segs[0].prot, P_READ | P_EXEC);
        assert_eq!(p.segs[2].prot, P_READ | P_WRITE | P_EXEC);
        assert_eq!(p.segs[2].anon_prot, P_READ | P_WRITE | P_EXEC);
        let mut b = exec_image();
        b.phdrs[3].p_flags = PF_R | PF_W | PF_X;
        let p = Elf::parse(&b.build())
            .unwrap()
            .plan(0xfffd_d000, &Layout::default())
            .unwrap();
        assert!(p.exec_stack && !p.read_implies_exec);
        assert_eq!(p.segs[0].prot, P_READ);
    }

    #[test]
    fn static_pie_goes_below_mmap_base() {
        // Native: a static-PIE whose PT_LOADs span 0..0xad0b0 loads at
        // 0xf7f50000 (= 0xf7ffe000 - 0xae000) and its brk is 0x56555000.
        let mut b = Builder::new(ET_DYN)
            .ph(PT_LOAD, 0, 0, 0x1000, 0x1000, PF_R)
            .ph(PT_LOAD, 0x1aec, 0xa6aec, 0x10, 0x65c4, PF_R | PF_W)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.body = vec![0; 0x1000];
        b.entry = 0x3650;
        let p = Elf::parse(&b.build())
            .unwrap()
            .plan(0xfffd_d000, &Layout::default())
            .unwrap();
        assert_eq!(p.bias, 0xf7f5_0000);
        assert_eq!(p.entry, 0xf7f5_3650);
        assert_eq!(p.phdr, 0xf7f5_0034);
        assert_eq!(p.brk, STATIC_PIE_BRK);
        assert_eq!(p.segs[0].pages(), (0xf7f5_0000, 0xf7f5_1000));
        // Below the mmap base of a 1 GiB stack rlimit, and bottom-up from
        // TASK_UNMAPPED_BASE in the legacy layout.
        let big = Layout {
            stack_rlimit: 1 << 30,
            legacy: false,
        };
        let elf = Elf::parse(&b.build()).unwrap();
        assert_eq!(elf.plan(0xfffd_d000, &big).unwrap().bias, 0xbfe5_0000);
        let legacy = Layout {
            legacy: true,
            ..big
        };
        assert_eq!(elf.plan(0xfffd_d000, &legacy).unwrap().bias, 0x5555_5000);
        // With 2 MiB alignment (native: span 0x8040b0 -> 0xf7600000).
        for ph in b.phdrs.iter_mut() {
            ph.p_align = 0x20_0000;
        }
        b.phdrs[1].p_vaddr = 0x7fdaec;
        b.phdrs[1].p_offset = 0x1aec;
        let p = Elf::parse(&b.build())
            .unwrap()
            .plan(0xfffd_d000, &Layout::default())
            .unwrap();
        assert_eq!(p.bias, 0xf760_0000);
    }

    #[test]
    fn rejects_malformed_headers() {
        let good = exec_image().build();
        assert!(err(b"\x7fEL").contains("bad magic"));
        let mut b = good.clone();
        b[1] = b'X';
        assert!(err(&b).contains("bad magic"));
        let mut b = good.clone();
        b[4] = 2;
        assert!(err(&b).contains("ELFCLASS64"));
        let mut b = good.clone();
        b[18] = 62;
        assert!(err(&b).contains("EM_X86_64"));
        assert!(err(&good[..40]).contains("truncated ELF header"));
        assert!(err(&good[..100]).contains("truncated program headers"));
        let mut b = good.clone();
        b[16] = 1;
        assert!(err(&b).contains("ET_REL"));
        let mut b = good.clone();
        b[44] = 0;
        assert!(err(&b).contains("program header count"));
        let mut b = good.clone();
        b[42] = 40;
        assert!(err(&b).contains("program header size"));
    }

    #[test]
    fn rejects_bad_segments() {
        let t = |f: &dyn Fn(&mut Builder)| {
            let mut b = exec_image();
            f(&mut b);
            err(&b.build())
        };
        assert!(t(&|b| b.body.truncate(0x20)).contains("truncated file"));
        assert!(t(&|b| b.phdrs[1].p_vaddr = 0x0804_8000).contains("overlap"));
        assert!(t(&|b| b.phdrs[2].p_filesz = 0x4000).contains("larger than p_memsz"));
        assert!(t(&|b| b.phdrs[1].p_offset = 0x1004).contains("modulo the page size"));
        assert!(t(&|b| {
            b.phdrs[2].p_vaddr = 0xffff_f010;
            b.phdrs[2].p_offset = 0x1010;
        })
        .contains("wraps past 4 GiB"));
        assert!(t(&|b| {
            b.phdrs[2].p_vaddr = 0xffff_e010;
            b.phdrs[2].p_memsz = 0x20;
        })
        .contains("outside the user address space"));
        assert!(t(&|b| {
            b.phdrs[2].p_vaddr = 0xfffd_c010;
        })
        .contains("overlaps the stack"));
        assert!(t(&|b| {
            b.phdrs[0].p_vaddr = 0;
        })
        .contains("lowest mappable"));
        assert!(t(&|b| b.entry = 0xffff_f000).contains("entry point"));
        assert!(t(&|b| b.phdrs.retain(|p| p.p_type != PT_LOAD)).contains("no loadable"));
        let interp = |name: &[u8], filesz: u32| {
            let mut b = exec_image();
            b.phdrs[3] = Phdr {
                p_type: PT_INTERP,
                p_offset: 0x1000,
                p_filesz: filesz,
                ..Default::default()
            };
            b.body[..name.len()].copy_from_slice(name);
            Elf::parse(&b.build()).map(|e| e.interp)
        };
        assert_eq!(interp(b"/ld\0", 4).unwrap(), Some(b"/ld".to_vec()));
        // The name ends at the first NUL; the last byte must be NUL.
        assert_eq!(interp(b"/l\0d\0", 5).unwrap(), Some(b"/l".to_vec()));
        let e = |r: Result<Option<Vec<u8>>, LoadError>| match r {
            Err(LoadError::Invalid(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(e(interp(b"/ld!", 4)).contains("not NUL-terminated"));
        assert!(e(interp(b"\0", 1)).contains("bad PT_INTERP size"));
        assert!(e(interp(b"/ld\0", 4097)).contains("bad PT_INTERP size"));
        assert!(e(interp(b"/ld\0", 0x100)).contains("past its end"));
    }

    #[test]
    fn pie_with_interpreter_goes_to_et_dyn_base() {
        // Native (setarch -R): a gcc -m32 -pie program is mapped at
        // 0x56555000 and its brk follows its bss.
        let mut b = Builder::new(ET_DYN)
            .ph(PT_INTERP, 0x1000, 0, 4, 4, PF_R)
            .ph(PT_LOAD, 0, 0, 0x1000, 0x1000, PF_R)
            .ph(PT_LOAD, 0x1010, 0x2010, 0x10, 0x2000, PF_R | PF_W)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.body = b"/ld\0".repeat(8);
        b.entry = 0x1000;
        let img = b.build();
        let elf = Elf::parse(&img).unwrap();
        let p = elf.plan(0xfffd_d000, &Layout::default()).unwrap();
        assert_eq!(p.bias, ET_DYN_BASE);
        assert_eq!(p.phdr, ET_DYN_BASE + 0x34);
        assert_eq!(p.brk, ET_DYN_BASE + 0x5000);
        for ph in b.phdrs.iter_mut() {
            ph.p_align = 0x20_0000;
        }
        let p = Elf::parse(&b.build())
            .unwrap()
            .plan(0xfffd_d000, &Layout::default())
            .unwrap();
        assert_eq!(p.bias, 0x5640_0000);
    }

    #[test]
    fn shared_pages_follow_map_fixed_order() {
        // Two segments sharing page 0x0804a000: the second's file page
        // replaces the first's bss tail, as MAP_FIXED does natively.
        let mut b = Builder::new(ET_EXEC)
            .ph(PT_LOAD, 0x1000, 0x0804_a000, 0x10, 0x20, PF_R | PF_W)
            .ph(PT_LOAD, 0x1040, 0x0804_a040, 0x10, 0x10, PF_R)
            .ph(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
        b.body = vec![0x55; 0x60];
        let img = b.build();
        let elf = Elf::parse(&img).unwrap();
        let plan = elf.plan(0xfffd_d000, &Layout::default()).unwrap();
        let mem = mapped(&img, &plan, false);
        assert_eq!(mem.read_raw(0x0804_a010, 1), &[0x55]);
        assert_eq!(mem.perm(0x0804a), P_PRESENT | P_READ);
    }
}
