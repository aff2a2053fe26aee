//! The i386 `struct pt_regs` (arch/x86/include/asm/ptrace.h, CONFIG_X86_32):
//! the kernel-mode stack frame built by the hardware push (ss, sp, flags,
//! cs, ip), `pushl orig_eax` and SAVE_ALL.

use super::kmem::{KFault, KMem};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PtRegs {
    pub bx: u32,
    pub cx: u32,
    pub dx: u32,
    pub si: u32,
    pub di: u32,
    pub bp: u32,
    pub ax: u32,
    pub ds: u16,
    pub __dsh: u16,
    pub es: u16,
    pub __esh: u16,
    pub fs: u16,
    pub __fsh: u16,
    pub gs: u16,
    pub __gsh: u16,
    pub orig_ax: u32,
    pub ip: u32,
    pub cs: u16,
    pub __csh: u16,
    pub flags: u32,
    pub sp: u32,
    pub ss: u16,
    pub __ssh: u16,
}

/// Byte offsets of the fields (PT_EBX .. PT_OLDSS in entry_32.S).
pub mod off {
    pub const BX: u32 = 0;
    pub const CX: u32 = 4;
    pub const DX: u32 = 8;
    pub const SI: u32 = 12;
    pub const DI: u32 = 16;
    pub const BP: u32 = 20;
    pub const AX: u32 = 24;
    pub const DS: u32 = 28;
    pub const ES: u32 = 32;
    pub const FS: u32 = 36;
    pub const GS: u32 = 40;
    pub const ORIG_AX: u32 = 44;
    pub const IP: u32 = 48;
    pub const CS: u32 = 52;
    pub const FLAGS: u32 = 56;
    pub const SP: u32 = 60;
    pub const SS: u32 = 64;
    pub const SIZE: u32 = 68;
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<PtRegs>() == off::SIZE as usize);
    assert!(offset_of!(PtRegs, bx) == off::BX as usize);
    assert!(offset_of!(PtRegs, cx) == off::CX as usize);
    assert!(offset_of!(PtRegs, dx) == off::DX as usize);
    assert!(offset_of!(PtRegs, si) == off::SI as usize);
    assert!(offset_of!(PtRegs, di) == off::DI as usize);
    assert!(offset_of!(PtRegs, bp) == off::BP as usize);
    assert!(offset_of!(PtRegs, ax) == off::AX as usize);
    assert!(offset_of!(PtRegs, ds) == off::DS as usize);
    assert!(offset_of!(PtRegs, es) == off::ES as usize);
    assert!(offset_of!(PtRegs, fs) == off::FS as usize);
    assert!(offset_of!(PtRegs, gs) == off::GS as usize);
    assert!(offset_of!(PtRegs, orig_ax) == off::ORIG_AX as usize);
    assert!(offset_of!(PtRegs, ip) == off::IP as usize);
    assert!(offset_of!(PtRegs, cs) == off::CS as usize);
    assert!(offset_of!(PtRegs, flags) == off::FLAGS as usize);
    assert!(offset_of!(PtRegs, sp) == off::SP as usize);
    assert!(offset_of!(PtRegs, ss) == off::SS as usize);
};

impl PtRegs {
    /// Read the frame at kernel address `a`.
    pub fn read(k: &KMem, a: u32) -> Result<PtRegs, KFault> {
        k.read_pod(a)
    }

    /// The fields in struct order, with their names, as `--frames` prints them.
    pub fn named(&self) -> [(&'static str, u32); 17] {
        [
            ("bx", self.bx),
            ("cx", self.cx),
            ("dx", self.dx),
            ("si", self.si),
            ("di", self.di),
            ("bp", self.bp),
            ("ax", self.ax),
            ("ds", self.ds as u32),
            ("es", self.es as u32),
            ("fs", self.fs as u32),
            ("gs", self.gs as u32),
            ("orig_ax", self.orig_ax),
            ("ip", self.ip),
            ("cs", self.cs as u32),
            ("flags", self.flags),
            ("sp", self.sp),
            ("ss", self.ss as u32),
        ]
    }
}
