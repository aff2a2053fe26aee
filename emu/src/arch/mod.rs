//! The protected-mode machinery of the emulated CPU: descriptor tables in
//! hardware format (GDT, IDT, TSS) held in kernel memory ([`kmem`]), the
//! system registers that point at them, and the hardware side of kernel
//! entry and exit: interrupt/exception delivery, `iret`, `sysenter` and
//! `sysexit` ([`intr`]). The Linux side (`entry_32.S`) is in `kernel::entry`.

pub mod desc;
pub mod intr;
pub mod kmem;
pub mod ptregs;

use desc::Desc;
use kmem::*;

/// GDT layout: the one an i386 process sees on x86_64 Linux, so user
/// selectors match native (user CS 0x23, user DS 0x2b, TLS 12..14 = 0x63..).
pub mod gdt {
    pub const KERNEL32_CS: u32 = 1;
    /// Kernel code; also IA32_SYSENTER_CS, so SS = +8, user CS = +16, user SS = +24.
    pub const KERNEL_CS: u32 = 2;
    pub const KERNEL_DS: u32 = 3;
    pub const USER32_CS: u32 = 4;
    pub const USER_DS: u32 = 5;
    pub const USER_CS64: u32 = 6;
    pub const TSS: u32 = 8;
    pub const TLS_MIN: u32 = 12;
    pub const TLS_ENTRIES: u32 = 3;
    pub const CPUNODE: u32 = 15;

    pub const fn sel(entry: u32, rpl: u16) -> u16 {
        ((entry as u16) << 3) | rpl
    }
    pub const KERNEL_CS_SEL: u16 = sel(KERNEL_CS, 0);
    pub const KERNEL_DS_SEL: u16 = sel(KERNEL_DS, 0);
    pub const USER_CS_SEL: u16 = sel(USER32_CS, 3);
    pub const USER_DS_SEL: u16 = sel(USER_DS, 3);
    pub const TSS_SEL: u16 = sel(TSS, 0);
}

/// i386 TSS field offsets.
pub mod tss {
    pub const ESP0: u32 = 4;
    pub const SS0: u32 = 8;
    /// Unused ring-1 slot that Linux uses to find the task stack from sysenter.
    pub const ESP1: u32 = 12;
    pub const IOMAP_BASE: u32 = 102;
    pub const SIZE: u32 = 104;
}

/// Gate types (IDT).
pub const GATE_INTERRUPT: u8 = 0xe;
pub const GATE_TRAP: u8 = 0xf;

/// Vector of the Linux system call gate.
pub const SYSCALL_VECTOR: u8 = 0x80;
/// The IPI another CPU sends to make this one look at its work (Linux's
/// RESCHEDULE_VECTOR): emu raises it when another thread, or the host,
/// gave this thread something to do (a signal, code to forget, a stop).
pub const RESCHEDULE_VECTOR: u8 = 0xfd;
/// Highest CPU exception vector with a gate (19 = #XM).
pub const LAST_EXCEPTION: u8 = 19;

/// Kernel text address of the entry routine for `vector`.
pub const fn entry_addr(vector: u8) -> u32 {
    KBASE + TEXT_OFF + vector as u32 * 8
}
/// Kernel text address of the sysenter entry (IA32_SYSENTER_EIP).
pub const SYSENTER_ENTRY: u32 = KBASE + TEXT_OFF + 0x800;

/// A 32-bit interrupt or trap gate (SDM vol. 3, 6.11).
pub fn gate(offset: u32, sel: u16, typ: u8, dpl: u8) -> u64 {
    let o = offset as u64;
    (o & 0xffff)
        | ((sel as u64) << 16)
        | ((typ as u64 & 0xf) << 40)
        | ((dpl as u64 & 3) << 45)
        | (1 << 47)
        | ((o >> 16) << 48)
}

/// Decoded gate descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub offset: u32,
    pub sel: u16,
    pub typ: u8,
    pub dpl: u8,
    pub present: bool,
}

impl Gate {
    pub fn decode(v: u64) -> Gate {
        Gate {
            offset: ((v & 0xffff) | ((v >> 48) << 16)) as u32,
            sel: (v >> 16) as u16,
            typ: ((v >> 40) & 0xf) as u8,
            dpl: ((v >> 45) & 3) as u8,
            present: v >> 47 & 1 != 0,
        }
    }
}

/// The CPU's system state: privilege level, descriptor-table registers,
/// task register, sysenter MSRs, and the kernel memory they point into.
#[derive(Clone)]
pub struct System {
    pub cpl: u8,
    pub gdtr: (u32, u16),
    pub idtr: (u32, u16),
    pub tr: u16,
    pub tr_base: u32,
    pub sysenter_cs: u32,
    pub sysenter_esp: u32,
    pub sysenter_eip: u32,
    pub kmem: KMem,
    /// Bumped on every GDT or LDT write: a segment register loaded at the
    /// current generation with the same selector would reload to the same
    /// descriptor cache, so the reload can be skipped.
    pub desc_gen: u64,
    /// The LDT (modify_ldt), raw 8-byte descriptors; selectors with TI = 1
    /// index it, and entries past its end are beyond the LDT limit.
    pub ldt: Vec<u64>,
    /// Memos of validated gate deliveries and irets (see `intr`).
    pub gate_cache: intr::GateCache,
    pub iret_cache: intr::IretCache,
}

impl Default for System {
    fn default() -> Self {
        System::new()
    }
}

impl System {
    /// Build the tables as Linux sets them up, and enter user mode (CPL 3).
    pub fn new() -> System {
        let mut s = System {
            cpl: 3,
            gdtr: (KBASE + GDT_OFF, (gdt_limit()) as u16),
            idtr: (KBASE + IDT_OFF, (IDT_ENTRIES * 8 - 1) as u16),
            tr: gdt::TSS_SEL,
            tr_base: KBASE + TSS_OFF,
            sysenter_cs: gdt::KERNEL_CS_SEL as u32,
            sysenter_esp: KBASE + ENTRY_STACK_OFF + ENTRY_STACK_SIZE,
            sysenter_eip: SYSENTER_ENTRY,
            kmem: KMem::default(),
            desc_gen: 0,
            ldt: Vec::new(),
            gate_cache: Default::default(),
            iret_cache: None,
        };
        let flat = |typ, dpl| Desc::segment(0, 0xfffff, typ, dpl, true, false, true, true);
        let set_gdt = |k: &mut KMem, e: u32, d: Desc| k.w64(KBASE + GDT_OFF + e * 8, d.0).unwrap();
        set_gdt(&mut s.kmem, gdt::KERNEL32_CS, flat(0xb, 0));
        set_gdt(&mut s.kmem, gdt::KERNEL_CS, flat(0xb, 0));
        set_gdt(&mut s.kmem, gdt::KERNEL_DS, flat(0x3, 0));
        set_gdt(&mut s.kmem, gdt::USER32_CS, flat(0xb, 3));
        set_gdt(&mut s.kmem, gdt::USER_DS, flat(0x3, 3));
        // 64-bit user code (L = 1, D = 0), as on x86_64.
        set_gdt(
            &mut s.kmem,
            gdt::USER_CS64,
            Desc(Desc::segment(0, 0xfffff, 0xb, 3, true, false, false, true).0 | 1 << 53),
        );
        // 32-bit available TSS (system descriptor, S = 0, type 9).
        let tss = Desc(
            Desc::segment(
                KBASE + TSS_OFF,
                tss::SIZE - 1,
                0x9,
                0,
                true,
                false,
                false,
                false,
            )
            .0 & !(1 << 44),
        );
        set_gdt(&mut s.kmem, gdt::TSS, tss);
        // Per-CPU descriptor whose limit encodes cpu 0 / node 0 (read with lsl by getcpu).
        set_gdt(
            &mut s.kmem,
            gdt::CPUNODE,
            Desc::segment(0, 0, 0x5, 3, true, false, true, false),
        );
        // TSS: kernel stack for ring 0, and ESP1 = the task stack for sysenter.
        let top = KBASE + STACK_OFF + THREAD_SIZE - STACK_PADDING;
        s.kmem.w32(KBASE + TSS_OFF + tss::ESP0, top).unwrap();
        s.kmem
            .w32(KBASE + TSS_OFF + tss::SS0, gdt::KERNEL_DS_SEL as u32)
            .unwrap();
        s.kmem.w32(KBASE + TSS_OFF + tss::ESP1, top).unwrap();
        s.kmem
            .w16(KBASE + TSS_OFF + tss::IOMAP_BASE, tss::SIZE as u16)
            .unwrap();
        // IDT: exceptions 0..19 as DPL 0 interrupt gates, except int3 and into
        // (DPL 3, so user code may raise them); 0x80 a DPL 3 trap gate. Every
        // other vector is present with DPL 0, so `int n` from user mode is #GP.
        for v in 0..=255u8 {
            let (typ, dpl) = match v {
                3 | 4 => (GATE_INTERRUPT, 3),
                SYSCALL_VECTOR => (GATE_TRAP, 3),
                _ => (GATE_INTERRUPT, 0),
            };
            s.kmem
                .w64(
                    KBASE + IDT_OFF + v as u32 * 8,
                    gate(entry_addr(v), gdt::KERNEL_CS_SEL, typ, dpl),
                )
                .unwrap();
        }
        s
    }

    /// Read GDT entry `idx` (no limit check: callers check against gdtr).
    pub fn gdt_entry(&self, idx: u32) -> Option<Desc> {
        if idx * 8 + 7 > self.gdtr.1 as u32 {
            return None;
        }
        self.kmem.r64(self.gdtr.0 + idx * 8).ok().map(Desc)
    }

    pub fn set_gdt_entry(&mut self, idx: u32, d: Desc) {
        if idx * 8 + 7 <= self.gdtr.1 as u32 {
            let _ = self.kmem.w64(self.gdtr.0 + idx * 8, d.0);
            self.desc_gen += 1;
        }
    }

    /// Read LDT entry `idx` (None past the LDT's limit).
    pub fn ldt_entry(&self, idx: u32) -> Option<Desc> {
        self.ldt.get(idx as usize).map(|&d| Desc(d))
    }

    /// Write LDT entry `idx`, growing the LDT to hold it.
    pub fn set_ldt_entry(&mut self, idx: u32, d: Desc) {
        let i = idx as usize;
        if self.ldt.len() <= i {
            self.ldt.resize(i + 1, 0);
        }
        self.ldt[i] = d.0;
        self.desc_gen += 1;
    }

    /// Address of the task's thread_info (the base of its kernel stack).
    pub fn thread_info(&self) -> u32 {
        KBASE + STACK_OFF
    }
}

const fn gdt_limit() -> u32 {
    GDT_ENTRIES * 8 - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_linux() {
        let s = System::new();
        assert_eq!(s.gdt_entry(gdt::USER_DS).unwrap().0, 0x00cf_f300_0000_ffff);
        assert_eq!(
            s.gdt_entry(gdt::USER32_CS).unwrap().0,
            0x00cf_fb00_0000_ffff
        );
        assert_eq!(
            s.gdt_entry(gdt::KERNEL_CS).unwrap().0,
            0x00cf_9b00_0000_ffff
        );
        let g = Gate::decode(s.kmem.r64(s.idtr.0 + 0x80 * 8).unwrap());
        assert_eq!((g.typ, g.dpl, g.sel, g.present), (GATE_TRAP, 3, 0x10, true));
        assert_eq!(g.offset, entry_addr(0x80));
        let g = Gate::decode(s.kmem.r64(s.idtr.0 + 0x81 * 8).unwrap());
        assert_eq!(g.dpl, 0);
        assert_eq!(gdt::sel(gdt::TLS_MIN, 3), 0x63);
    }
}
