//! ELF loading (goblin) and the initial process stack.

use crate::mem::{Mem, P_EXEC, P_READ, P_WRITE};

/// Where the initial stack ends (exclusive), as on native i386 with ASLR off.
pub const STACK_TOP: u32 = 0xffff_e000;
/// Size of the initial stack mapping.
pub const STACK_SIZE: u32 = 0x21000;

#[derive(Debug)]
pub enum LoadError {
    /// The program could not be opened (exit 127).
    NotFound(String),
    /// The program is not a loadable i386 executable (exit 126).
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadError::NotFound(s) | LoadError::Invalid(s) => f.write_str(s),
        }
    }
}

/// What the loader set up.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub entry: u32,
    pub sp: u32,
    /// Initial program break (page-aligned end of bss).
    pub brk: u32,
}

fn invalid(s: impl Into<String>) -> LoadError {
    LoadError::Invalid(s.into())
}

/// Load a static i386 ELF image and build the initial stack.
pub fn load(
    mem: &Mem,
    image: &[u8],
    execfn: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, LoadError> {
    use goblin::elf::{header, program_header as ph, Elf};
    let elf = Elf::parse(image).map_err(|e| invalid(format!("not an ELF executable: {e}")))?;
    if elf.is_64 || elf.header.e_machine != header::EM_386 {
        return Err(invalid("not an i386 ELF executable"));
    }
    let mut brk = 0u32;
    for p in elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == ph::PT_LOAD)
    {
        let (va, memsz, off, filesz) = (
            p.p_vaddr as u32,
            p.p_memsz as u32,
            p.p_offset as usize,
            p.p_filesz as usize,
        );
        let mut prot = 0;
        if p.p_flags & ph::PF_R != 0 {
            prot |= P_READ;
        }
        if p.p_flags & ph::PF_W != 0 {
            prot |= P_WRITE;
        }
        if p.p_flags & ph::PF_X != 0 {
            prot |= P_EXEC | P_READ;
        }
        mem.map_zero(va, memsz, prot);
        let data = image
            .get(off..off + filesz)
            .ok_or_else(|| invalid("truncated segment"))?;
        mem.raw_mut(va, filesz as u32).copy_from_slice(data);
        brk = brk.max((va + memsz + 0xfff) & !0xfff);
    }
    mem.map_zero(STACK_TOP - STACK_SIZE, STACK_SIZE, P_READ | P_WRITE);
    // Strings, then argc/argv/envp/auxv.
    let mut sp = STACK_TOP - 4;
    let mut put = |s: &[u8]| -> u32 {
        sp -= s.len() as u32 + 1;
        mem.raw_mut(sp, s.len() as u32).copy_from_slice(s);
        mem.raw_mut(sp + s.len() as u32, 1)[0] = 0;
        sp
    };
    let _ = put(execfn);
    let envs: Vec<u32> = envp
        .iter()
        .rev()
        .map(|s| put(s))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let args: Vec<u32> = argv
        .iter()
        .rev()
        .map(|s| put(s))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut words = vec![args.len() as u32];
    words.extend(&args);
    words.push(0);
    words.extend(&envs);
    words.push(0);
    words.extend([6, 4096, 9, elf.entry as u32, 0, 0]);
    sp = (sp - words.len() as u32 * 4) & !15;
    for (k, w) in words.iter().enumerate() {
        mem.raw_mut(sp + 4 * k as u32, 4)
            .copy_from_slice(&w.to_le_bytes());
    }
    Ok(Loaded {
        entry: elf.entry as u32,
        sp,
        brk,
    })
}
