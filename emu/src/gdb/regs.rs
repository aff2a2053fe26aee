//! The i386 register file as gdb sees it, and its copy to and from a task.
//!
//! The layout is gdb's i386 GNU/Linux one with SSE (`g` packet order): the
//! 16 core registers (eax..edi, eip, eflags, cs, ss, ds, es, fs, gs), st0-7
//! (10 bytes each), the eight x87 control registers (fctrl, fstat, ftag,
//! fiseg, fioff, foseg, fooff, fop), xmm0-7, mxcsr, then orig_eax (gdb's
//! register 41). `gdbstub_arch`'s `X86CoreRegs` holds all but orig_eax.
//!
//! A thread stopped in user mode has its registers in its `Cpu`; one
//! stopped in the kernel (at a signal's delivery) has its general and
//! segment registers, eip and eflags in its `pt_regs` frame, which the
//! return to user mode restores. The x87/SSE state is the `Cpu`'s in both.

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, Registers};
use gdbstub_arch::x86::reg::X86CoreRegs;

use crate::arch::ptregs::PtRegs;
use crate::cpu::exec::x87::{fxrstor_image, fxsave_image};
use crate::cpu::{CS, DS, EAX, EBP, EBX, ECX, EDI, EDX, ES, ESI, ESP, FS, GS, SS};
use crate::kernel::task::Task;

/// The target: i386 on GNU/Linux. The description names no registers, so
/// gdb takes its own i386 GNU/Linux SSE layout (with orig_eax).
pub enum I386 {}

const TDESC: &str = r#"<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>i386</architecture><osabi>GNU/Linux</osabi></target>"#;

impl Arch for I386 {
    type Usize = u32;
    type Registers = Regs;
    type RegId = RegId;
    type BreakpointKind = usize;

    fn target_description_xml() -> Option<&'static str> {
        Some(TDESC)
    }
}

/// The `g` packet: the core, x87 and SSE registers, then orig_eax.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub core: X86CoreRegs,
    pub orig_eax: u32,
}

/// Size of the core part of the `g` packet (X86CoreRegs).
const CORE_BYTES: usize = 0x134;

impl Registers for Regs {
    type ProgramCounter = u32;

    fn pc(&self) -> u32 {
        self.core.eip
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        self.core.gdb_serialize(&mut write_byte);
        for b in self.orig_eax.to_le_bytes() {
            write_byte(Some(b));
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() < CORE_BYTES {
            return Err(());
        }
        self.core.gdb_deserialize(&bytes[..CORE_BYTES])?;
        if let Some(o) = bytes.get(CORE_BYTES..CORE_BYTES + 4) {
            self.orig_eax = u32::from_le_bytes([o[0], o[1], o[2], o[3]]);
        }
        Ok(())
    }
}

/// A register by gdb's number (0..=41).
#[derive(Clone, Copy, Debug)]
pub struct RegId(pub usize);

impl gdbstub::arch::RegId for RegId {
    fn from_raw_id(id: usize) -> Option<(RegId, Option<NonZeroUsize>)> {
        let size = match id {
            0..=15 | 24..=31 | 40 | 41 => 4,
            16..=23 => 10,
            32..=39 => 16,
            _ => return None,
        };
        Some((RegId(id), NonZeroUsize::new(size)))
    }
}

/// The EFLAGS bits a debugger may change (Linux's FLAG_MASK: CF PF AF ZF
/// SF TF DF OF NT RF AC).
const FLAG_MASK: u32 = 0x54dd5;

/// Read the registers of `p`, stopped in user mode or (`frame`) in the
/// kernel with its user registers in its `pt_regs`.
pub fn read(p: &mut Task, frame: bool, r: &mut Regs) -> Result<(), ()> {
    let c = &mut p.cpu;
    let g = &mut r.core;
    if frame {
        let f = PtRegs::read(&c.sys.kmem, p.frame).map_err(|_| ())?;
        (g.eax, g.ecx, g.edx, g.ebx) = (f.ax, f.cx, f.dx, f.bx);
        (g.esp, g.ebp, g.esi, g.edi) = (f.sp, f.bp, f.si, f.di);
        (g.eip, g.eflags) = (f.ip, f.flags);
        let s = &mut g.segments;
        (s.cs, s.ss, s.ds) = (f.cs as u32, f.ss as u32, f.ds as u32);
        (s.es, s.fs, s.gs) = (f.es as u32, f.fs as u32, f.gs as u32);
        r.orig_eax = f.orig_ax;
    } else {
        let x = &c.regs;
        (g.eax, g.ecx, g.edx, g.ebx) = (x[EAX], x[ECX], x[EDX], x[EBX]);
        (g.esp, g.ebp, g.esi, g.edi) = (x[ESP], x[EBP], x[ESI], x[EDI]);
        (g.eip, g.eflags) = (c.eip, c.eflags());
        let sel = |i: usize| c.segs[i].sel as u32;
        let s = &mut g.segments;
        (s.cs, s.ss, s.ds) = (sel(CS), sel(SS), sel(DS));
        (s.es, s.fs, s.gs) = (sel(ES), sel(FS), sel(GS));
        r.orig_eax = u32::MAX;
    }
    let img = fxsave_image(c);
    let w16 = |o: usize| u16::from_le_bytes([img[o], img[o + 1]]) as u32;
    let w32 = |o: usize| u32::from_le_bytes([img[o], img[o + 1], img[o + 2], img[o + 3]]);
    for (k, st) in g.st.iter_mut().enumerate() {
        st.copy_from_slice(&img[32 + 16 * k..42 + 16 * k]);
    }
    let f = &mut g.fpu;
    f.fctrl = w16(0);
    f.fstat = w16(2);
    f.ftag = c.fpu.full_tags() as u32;
    // emu keeps no FCS/FDS (stored as zero, as FXSAVE does on CPUs that
    // deprecate them).
    (f.fiseg, f.fioff, f.foseg, f.fooff) = (0, w32(8), 0, w32(16));
    f.fop = w16(6);
    g.xmm = c.sse.xmm;
    g.mxcsr = c.sse.mxcsr;
    Ok(())
}

/// Write the registers of `p` (see [`read`]). Refused: a segment selector
/// the CPU would not load, a change of cs or ss, MXCSR reserved bits.
pub fn write(p: &mut Task, frame: bool, r: &Regs) -> Result<(), ()> {
    let c = &mut p.cpu;
    let g = &r.core;
    // The x87 and SSE state, through an FXSAVE image (which also checks
    // MXCSR): the full tag word becomes the abridged one.
    let mut img = fxsave_image(c);
    img[0..2].copy_from_slice(&(g.fpu.fctrl as u16).to_le_bytes());
    img[2..4].copy_from_slice(&(g.fpu.fstat as u16).to_le_bytes());
    let tags = (0..8).fold(0u8, |t, k| {
        t | (((g.fpu.ftag >> (2 * k) & 3 != 3) as u8) << k)
    });
    img[4] = tags;
    img[6..8].copy_from_slice(&(g.fpu.fop as u16 & 0x7ff).to_le_bytes());
    img[8..12].copy_from_slice(&g.fpu.fioff.to_le_bytes());
    img[16..20].copy_from_slice(&g.fpu.fooff.to_le_bytes());
    img[24..28].copy_from_slice(&g.mxcsr.to_le_bytes());
    for (k, st) in g.st.iter().enumerate() {
        img[32 + 16 * k..42 + 16 * k].copy_from_slice(st);
    }
    for (k, x) in g.xmm.iter().enumerate() {
        img[160 + 16 * k..176 + 16 * k].copy_from_slice(&x.to_le_bytes());
    }
    let s = &g.segments;
    if frame {
        let k = &mut c.sys.kmem;
        let mut f = PtRegs::read(k, p.frame).map_err(|_| ())?;
        if s.cs != f.cs as u32 || s.ss != f.ss as u32 {
            return Err(());
        }
        if !fxrstor_image(c, &img) {
            return Err(());
        }
        (f.ax, f.cx, f.dx, f.bx) = (g.eax, g.ecx, g.edx, g.ebx);
        (f.sp, f.bp, f.si, f.di) = (g.esp, g.ebp, g.esi, g.edi);
        f.ip = g.eip;
        f.flags = (f.flags & !FLAG_MASK) | (g.eflags & FLAG_MASK);
        (f.ds, f.es, f.fs, f.gs) = (s.ds as u16, s.es as u16, s.fs as u16, s.gs as u16);
        f.orig_ax = r.orig_eax;
        // (A bad data selector fails the return to user mode: SIGSEGV, as
        // for a bad sigreturn frame.)
        c.sys
            .kmem
            .write_bytes(p.frame, bytemuck::bytes_of(&f))
            .map_err(|_| ())?;
        return Ok(());
    }
    if s.cs != c.segs[CS].sel as u32 || s.ss != c.segs[SS].sel as u32 {
        return Err(());
    }
    if !fxrstor_image(c, &img) {
        return Err(());
    }
    for (i, sel) in [(DS, s.ds), (ES, s.es), (FS, s.fs), (GS, s.gs)] {
        if sel > 0xffff {
            return Err(());
        }
        if sel as u16 != c.segs[i].sel && !c.load_seg(i, sel as u16) {
            // (load_seg raised the #GP a guest's load would get.)
            c.exit = crate::cpu::exit::NONE;
            return Err(());
        }
    }
    let x = &mut c.regs;
    (x[EAX], x[ECX], x[EDX], x[EBX]) = (g.eax, g.ecx, g.edx, g.ebx);
    (x[ESP], x[EBP], x[ESI], x[EDI]) = (g.esp, g.ebp, g.esi, g.edi);
    c.eip = g.eip;
    c.load_flags(g.eflags, FLAG_MASK);
    Ok(())
}
