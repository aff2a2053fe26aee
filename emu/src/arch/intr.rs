//! Hardware semantics of privilege transitions (Intel SDM vol. 3 ch. 6 and
//! the IRET, SYSENTER and SYSEXIT pages of vol. 2): what the CPU does before
//! the first kernel instruction and after the last one.

use super::gdt;
use super::{Gate, GATE_INTERRUPT, GATE_TRAP};
use crate::cpu::flags::{IF, NT, RF, TF, VM};
use crate::cpu::{vec, Cpu, Exception, Seg, CS, DS, ES, ESP, FS, GS, SS};

/// EFLAGS bits that iret may load at CPL 0 (everything but VM, VIF, VIP).
const IRET_MASK_CPL0: u32 = 0x0024_7fd5 | (3 << 12);

/// What raised the interrupt: it decides the gate DPL check and EXT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `int n`, `int3`, `into`: the gate's DPL must be >= CPL.
    Soft,
    /// A CPU exception (or `int1`/icebp, which is not DPL-checked).
    Exception,
    /// An external interrupt (an IPI): no DPL check, EXT set.
    External,
}

#[cold]
fn fault(vector: u8, code: u32) -> Exception {
    Exception {
        vector,
        error_code: Some(code),
        cr2: 0,
    }
}

/// A flat 4 GiB segment as sysenter/sysexit load it (fixed descriptor
/// values: code 0x9b/0xfb or data 0x93/0xf3 by CPL).
fn flat(sel: u16, code: bool) -> Seg {
    let dpl = (sel & 3) as u8;
    Seg {
        sel,
        base: 0,
        limit: 0xffff_ffff,
        attr: 0x93 | (dpl << 5) | if code { 8 } else { 0 },
        big: true,
    }
}

/// The outcome of validating a gate for a given vector, source and CPL:
/// everything delivery needs except the stack pointer (read from the TSS
/// each time, since it changes per task).
#[derive(Clone, Copy, Debug)]
pub struct GateTransition {
    offset: u32,
    cs: Seg,
    ss: Seg,
    new_cpl: u8,
    /// EFLAGS bits cleared on entry (IF too for interrupt gates).
    clear: u32,
}

/// Memo of successful gate validations. Validation is a pure function of
/// the IDT, GDT/LDT, TSS.ss0 and the CPL; entries are valid while no
/// descriptor table has been written (`System::desc_gen`). Failures are
/// never cached: they always take the full path and raise their fault.
#[derive(Clone, Debug)]
pub struct GateCache {
    entries: Box<[Option<(u64, u8, Source, GateTransition)>]>,
}

impl Default for GateCache {
    fn default() -> Self {
        GateCache {
            entries: vec![None; 256].into_boxed_slice(),
        }
    }
}

/// Memo of the last successful iret validation: (generation, cpl, cs, ss) -> caches.
pub type IretCache = Option<(u64, u8, u16, u16, Seg, Seg)>;

/// The SDM's checks for delivering `vector` through the IDT (protected
/// mode, interrupt/trap gates, to an inner privilege level).
fn validate_gate(cpu: &Cpu, vector: u8, src: Source) -> Result<GateTransition, Exception> {
    let ext = (src != Source::Soft) as u32;
    let idt_err = ((vector as u32) << 3) | 2 | ext;
    let (idt_base, idt_limit) = cpu.sys.idtr;
    if vector as u32 * 8 + 7 > idt_limit as u32 {
        return Err(fault(vec::GP, idt_err));
    }
    let raw = cpu
        .sys
        .kmem
        .r64(idt_base + vector as u32 * 8)
        .map_err(|_| fault(vec::GP, idt_err))?;
    let g = Gate::decode(raw);
    if g.typ != GATE_INTERRUPT && g.typ != GATE_TRAP {
        return Err(fault(vec::GP, idt_err));
    }
    let cpl = cpu.sys.cpl;
    if src == Source::Soft && g.dpl < cpl {
        return Err(fault(vec::GP, idt_err));
    }
    if !g.present {
        return Err(fault(vec::NP, idt_err));
    }
    // The target code segment.
    if g.sel & !3 == 0 {
        return Err(fault(vec::GP, ext));
    }
    let sel_err = (g.sel as u32 & !3) | ext;
    let csd = cpu.desc(g.sel).ok_or(fault(vec::GP, sel_err))?;
    if !csd.is_code() || csd.dpl() > cpl {
        return Err(fault(vec::GP, sel_err));
    }
    if !csd.present() {
        return Err(fault(vec::NP, sel_err));
    }
    let conforming = csd.typ() & 4 != 0;
    if conforming || csd.dpl() == cpl {
        // Intra-privilege delivery only happens for faults in kernel code,
        // which this machine never executes.
        return Err(fault(vec::GP, sel_err));
    }
    let new_cpl = csd.dpl();
    // Inter-privilege: the new stack segment comes from the TSS.
    let ss0 = cpu
        .sys
        .kmem
        .r16(cpu.sys.tr_base + 8 + 8 * new_cpl as u32)
        .map_err(|_| fault(vec::TS, cpu.sys.tr as u32))?;
    let ssd = match cpu.desc(ss0) {
        Some(d)
            if ss0 & !3 != 0
                && (ss0 & 3) as u8 == new_cpl
                && d.is_writable_data()
                && d.dpl() == new_cpl =>
        {
            d
        }
        _ => return Err(fault(vec::TS, ss0 as u32 & !3)),
    };
    if !ssd.present() {
        return Err(fault(vec::SS, ss0 as u32 & !3));
    }
    let mut clear = TF | NT | RF | VM;
    if g.typ == GATE_INTERRUPT {
        clear |= IF;
    }
    Ok(GateTransition {
        offset: g.offset,
        cs: Seg {
            sel: (g.sel & !3) | new_cpl as u16,
            base: csd.base(),
            limit: csd.limit(),
            attr: csd.access(),
            big: csd.db(),
        },
        ss: Seg {
            sel: ss0,
            base: ssd.base(),
            limit: ssd.limit(),
            attr: ssd.access(),
            big: ssd.db(),
        },
        new_cpl,
        clear,
    })
}

/// Deliver interrupt or exception `vector` through the IDT from user mode:
/// gate lookup, DPL check, stack switch from the TSS, push of ss, esp,
/// eflags, cs, eip (and the error code), flag clearing, CPL 0.
/// On failure returns the exception the delivery itself raised.
/// Fault-class exceptions (as opposed to traps: #DB, #BP, #OF): the
/// EFLAGS image they push has RF set (SDM vol. 3, 17.3.1.1), so that the
/// restarted instruction does not hit an instruction breakpoint again.
fn is_fault(vector: u8) -> bool {
    [
        vec::DE,
        vec::BR,
        vec::UD,
        vec::NM,
        vec::TS,
        vec::NP,
        vec::SS,
        vec::GP,
    ]
    .into_iter()
    .chain([vec::PF, vec::MF, vec::AC, vec::XM])
    .any(|v| v == vector)
}

pub fn deliver(
    cpu: &mut Cpu,
    vector: u8,
    src: Source,
    error: Option<u32>,
) -> Result<(), Exception> {
    let key = (cpu.sys.desc_gen, cpu.sys.cpl, src);
    let t = match cpu.sys.gate_cache.entries[vector as usize] {
        Some((gen, cpl, s, t)) if (gen, cpl, s) == key => t,
        _ => {
            let t = validate_gate(cpu, vector, src)?;
            cpu.sys.gate_cache.entries[vector as usize] = Some((key.0, key.1, key.2, t));
            t
        }
    };
    let esp0 = cpu
        .sys
        .kmem
        .r32(cpu.sys.tr_base + 4 + 8 * t.new_cpl as u32)
        .map_err(|_| fault(vec::TS, cpu.sys.tr as u32))?;
    // Push ss, esp, eflags, cs, eip (and the error code) on the new stack:
    // one store of the frame as it lies in memory, lowest address first.
    let eflags = cpu.eflags()
        | if src == Source::Exception && is_fault(vector) {
            RF
        } else {
            0
        };
    let frame = [
        error.unwrap_or(0),
        cpu.eip,
        cpu.segs[CS].sel as u32,
        eflags,
        cpu.regs[ESP],
        cpu.segs[SS].sel as u32,
    ];
    let sp = if let Some(_) = error {
        let sp = esp0.wrapping_sub(24);
        cpu.sys
            .kmem
            .write_pod_prefix(sp, &frame, 24)
            .map_err(|_| fault(vec::SS, 0))?;
        sp
    } else {
        let sp = esp0.wrapping_sub(20);
        let f5: [u32; 5] = [frame[1], frame[2], frame[3], frame[4], frame[5]];
        cpu.sys
            .kmem
            .write_pod_prefix(sp, &f5, 20)
            .map_err(|_| fault(vec::SS, 0))?;
        sp
    };
    // Commit: CPL, CS:EIP, SS:ESP, flags.
    cpu.load_flags(eflags & !t.clear, !0);
    cpu.sys.cpl = t.new_cpl;
    cpu.segs[CS] = t.cs;
    cpu.segs[SS] = t.ss;
    cpu.seg_base[CS] = t.cs.base;
    cpu.seg_base[SS] = t.ss.base;
    cpu.refresh_limit(CS);
    cpu.refresh_limit(SS);
    cpu.regs[ESP] = sp;
    cpu.eip = t.offset;
    Ok(())
}

/// `iret` from CPL 0 to an outer level, with the SDM's checks. The stack
/// (in kernel memory) holds eip, cs, eflags, esp, ss.
pub fn iret(cpu: &mut Cpu) -> Result<(), Exception> {
    let sp = cpu.regs[ESP];
    let cpl = cpu.sys.cpl;
    // Pop eip, cs, eflags and, for an outer level, esp and ss.
    let [eip, cs, eflags, esp, ss]: [u32; 5] =
        cpu.sys.kmem.read_pod(sp).map_err(|_| fault(vec::SS, 0))?;
    let (cs, ss) = (cs as u16, ss as u16);
    let (csc, ssc) = match cpu.sys.iret_cache {
        Some((gen, c, s_cs, s_ss, a, b))
            if (gen, c, s_cs, s_ss) == (cpu.sys.desc_gen, cpl, cs, ss) =>
        {
            (a, b)
        }
        _ => {
            let (a, b) = validate_iret(cpu, cs, ss)?;
            cpu.sys.iret_cache = Some((cpu.sys.desc_gen, cpl, cs, ss, a, b));
            (a, b)
        }
    };
    // RF only suppresses instruction breakpoints (not emulated) for the
    // first instruction, and the CPU clears it once that completes: take
    // it as already done, so later frames and pushf never see it.
    cpu.load_flags(eflags & !RF, IRET_MASK_CPL0);
    cpu.sys.cpl = (cs & 3) as u8;
    cpu.segs[CS] = csc;
    cpu.segs[SS] = ssc;
    cpu.seg_base[CS] = csc.base;
    cpu.seg_base[SS] = ssc.base;
    cpu.refresh_limit(CS);
    cpu.refresh_limit(SS);
    cpu.regs[ESP] = esp;
    cpu.eip = eip;
    null_inaccessible_segments(cpu);
    Ok(())
}

/// The SDM's checks of the CS and SS selectors popped by an iret to an
/// outer privilege level; returns their descriptor caches.
fn validate_iret(cpu: &Cpu, cs: u16, ss: u16) -> Result<(Seg, Seg), Exception> {
    let rpl = (cs & 3) as u8;
    if rpl <= cpu.sys.cpl {
        // Return to the same level: never used (kernel code is not emulated).
        return Err(fault(vec::GP, cs as u32 & !3));
    }
    if cs & !3 == 0 {
        return Err(fault(vec::GP, 0));
    }
    let csd = cpu.desc(cs).ok_or(fault(vec::GP, cs as u32 & !3))?;
    let conforming = csd.typ() & 4 != 0;
    if !csd.is_code() || (conforming && csd.dpl() > rpl) || (!conforming && csd.dpl() != rpl) {
        return Err(fault(vec::GP, cs as u32 & !3));
    }
    if !csd.present() {
        return Err(fault(vec::NP, cs as u32 & !3));
    }
    if ss & !3 == 0 {
        return Err(fault(vec::GP, 0));
    }
    let ssd = cpu.desc(ss).ok_or(fault(vec::GP, ss as u32 & !3))?;
    if (ss & 3) as u8 != rpl || !ssd.is_writable_data() || ssd.dpl() != rpl {
        return Err(fault(vec::GP, ss as u32 & !3));
    }
    if !ssd.present() {
        return Err(fault(vec::SS, ss as u32 & !3));
    }
    Ok((
        Seg {
            sel: cs,
            base: csd.base(),
            limit: csd.limit(),
            attr: csd.access(),
            big: csd.db(),
        },
        Seg {
            sel: ss,
            base: ssd.base(),
            limit: ssd.limit(),
            attr: ssd.access(),
            big: ssd.db(),
        },
    ))
}

/// On a return to an outer level, data segment registers that the new CPL
/// may not use are loaded with null (SDM: IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL).
/// The check uses each register's cached descriptor, as the hardware does.
fn null_inaccessible_segments(cpu: &mut Cpu) {
    for s in [ES, DS, FS, GS] {
        let seg = cpu.segs[s];
        if seg.sel & !3 != 0 && !seg.conforming_code() && seg.dpl() < cpu.sys.cpl {
            cpu.segs[s] = Seg::default();
            cpu.seg_base[s] = 0;
            cpu.refresh_limit(s);
        }
    }
}

/// `sysenter`: flat CS/SS from IA32_SYSENTER_CS, ESP and EIP from the MSRs,
/// CPL 0, VM/IF/RF cleared. Nothing is saved.
pub fn sysenter(cpu: &mut Cpu) -> Result<(), Exception> {
    let cs = cpu.sys.sysenter_cs as u16 & 0xfffc;
    if cs == 0 {
        return Err(fault(vec::GP, 0));
    }
    // Only VM, IF and RF written (cleared): the arithmetic flags stay
    // lazy; the entry code evaluates EFLAGS once, for pt_regs.
    cpu.load_flags(0, VM | IF | RF);
    ring0(cpu, cs);
    cpu.regs[ESP] = cpu.sys.sysenter_esp;
    cpu.eip = cpu.sys.sysenter_eip;
    Ok(())
}

/// CPL 0 with flat code selector `cs` and stack selector `cs + 8`.
fn ring0(cpu: &mut Cpu, cs: u16) {
    cpu.sys.cpl = 0;
    cpu.load_flat_cs_ss(flat(cs, true), flat(cs + 8, false));
}

/// Kernel mode on the kernel stack at `esp`, as after a transition from
/// user mode, for a frame the kernel built itself (a new program's
/// `pt_regs`, returned to with iret).
pub fn kernel_mode(cpu: &mut Cpu, esp: u32) {
    ring0(cpu, gdt::KERNEL_CS_SEL);
    cpu.regs[ESP] = esp;
}

/// `sysexit`: CPL 3 with CS = SYSENTER_CS+16, SS = SYSENTER_CS+24 (RPL 3),
/// EIP = EDX, ESP = ECX.
pub fn sysexit(cpu: &mut Cpu) -> Result<(), Exception> {
    let base = cpu.sys.sysenter_cs as u16 & 0xfffc;
    if cpu.sys.cpl != 0 || base == 0 {
        return Err(fault(vec::GP, 0));
    }
    cpu.sys.cpl = 3;
    cpu.load_flat_cs_ss(flat((base + 16) | 3, true), flat((base + 24) | 3, false));
    debug_assert_eq!(cpu.segs[CS].sel, gdt::USER_CS_SEL);
    cpu.eip = cpu.regs[crate::cpu::EDX];
    cpu.regs[ESP] = cpu.regs[crate::cpu::ECX];
    Ok(())
}
