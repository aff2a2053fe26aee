//! The kernel entry and exit paths, after Linux's `arch/x86/entry/entry_32.S`
//! and `common.c`. The hardware part (gate delivery, iret, sysenter,
//! sysexit) is in [`crate::arch::intr`]; this is what the kernel's first and
//! last instructions do: build `struct pt_regs` on the task's kernel stack,
//! dispatch, do the exit work, restore and return.

use super::signal;
use super::{syscall, ExitStatus, Task};
use crate::arch::intr::{self, Source};
use crate::arch::kmem::KFault;
use crate::arch::ptregs::{off, PtRegs};
use crate::arch::{
    entry_addr, gdt, LAST_EXCEPTION, RESCHEDULE_VECTOR, SYSCALL_VECTOR, SYSENTER_ENTRY,
};
use crate::cpu::flags::{IF, RF, TF, VM};
use crate::cpu::run::Event;
use crate::cpu::{vec, Exception, DS, EAX, EBP, EBX, ECX, EDI, EDX, ES, ESI, ESP, FS, GS};

/// thread_info layout at the base of the kernel stack.
pub mod thread_info {
    pub const FLAGS: u32 = 0;
    pub const SYSCALL_WORK: u32 = 4;
    /// flags: a signal is pending.
    pub const TIF_SIGPENDING: u32 = 1 << 2;
    /// syscall_work: report syscall entry and exit (ptrace, --frames).
    pub const SYSCALL_WORK_SYSCALL_TRACE: u32 = 1 << 2;
}

const ENOSYS_RET: u32 = (-38i32) as u32;

/// Handle an event from the CPU: a software interrupt, an exception, or sysenter.
pub fn handle(p: &mut Task, ev: Event) {
    match ev {
        Event::SoftInt(v, len) => {
            if let Err(e) = intr::deliver(&mut p.cpu, v, Source::Soft, None) {
                // A fault of the delivery (the gate's DPL for `int $0x81`)
                // is the instruction's: its eip is the int's own.
                p.cpu.eip = p.cpu.eip.wrapping_sub(len as u32);
                return interrupt(p, e.vector, Source::Exception, e.error_code);
            }
            kernel_text(p)
        }
        Event::Exception(e) => {
            if e.vector == vec::PF {
                // do_user_addr_fault: a write to a page tracked for a vfork
                // parent is recorded and retried (nothing is delivered).
                if e.error_code.unwrap_or(0) & 2 != 0
                    && p.cpu.mem.untrack(e.cr2 >> crate::mem::PAGE_SHIFT)
                {
                    return;
                }
                p.cr2 = e.cr2;
            }
            if e.vector == vec::DB {
                // A #DB's Exception carries its DR6 where a #PF's cr2 goes.
                p.dr6 = e.cr2;
            }
            interrupt(p, e.vector, Source::Exception, e.error_code)
        }
        Event::Sysenter => match intr::sysenter(&mut p.cpu) {
            Ok(()) => kernel_text(p),
            Err(e) => interrupt(p, e.vector, Source::Exception, e.error_code),
        },
        // This thread dropped its blocks; the others must too.
        Event::CodeWritten => p.tell_others_code(p.cpu.smc_page, p.cpu.smc_last),
        // Work from another thread or the host, at a block boundary: an
        // external interrupt, whose exit path does it.
        Event::Irq => interrupt(p, RESCHEDULE_VECTOR, Source::External, None),
    }
}

/// Deliver through the IDT, re-delivering a fault raised by the delivery
/// itself (e.g. #GP for `int $0x81`); a fault during that is a double fault.
fn interrupt(p: &mut Task, vector: u8, src: Source, error: Option<u32>) {
    let mut cur = (vector, src, error);
    for _ in 0..2 {
        match intr::deliver(&mut p.cpu, cur.0, cur.1, cur.2) {
            Ok(()) => return kernel_text(p),
            Err(e) => cur = (e.vector, Source::Exception, e.error_code),
        }
    }
    fatal(p, "double fault while delivering an exception");
}

#[cold]
fn fatal(p: &mut Task, why: &str) {
    crate::debug!("{why} at eip {:#x}", p.cpu.eip);
    super::exit::do_group_exit(p, ExitStatus::Signaled(super::SIGSEGV));
}

/// The CPU is now at CPL 0 at a kernel text address: run that entry routine.
fn kernel_text(p: &mut Task) {
    let eip = p.cpu.eip;
    let r = if eip == entry_addr(SYSCALL_VECTOR) {
        entry_int80(p)
    } else if eip == entry_addr(RESCHEDULE_VECTOR) {
        entry_irq(p)
    } else if eip == SYSENTER_ENTRY {
        entry_sysenter(p)
    } else {
        match (0..=LAST_EXCEPTION).find(|&v| entry_addr(v) == eip) {
            Some(v) => entry_exception(p, v),
            None => Err(KFault(eip)),
        }
    };
    if r.is_err() {
        fatal(p, "kernel stack fault");
    }
}

// ---- kernel stack helpers ----

fn pop(p: &mut Task) -> Result<u32, KFault> {
    let sp = p.cpu.regs[ESP];
    let v = p.cpu.sys.kmem.r32(sp)?;
    p.cpu.regs[ESP] = sp.wrapping_add(4);
    Ok(v)
}

fn frame_r(p: &Task, o: u32) -> Result<u32, KFault> {
    p.cpu.sys.kmem.r32(p.frame + o)
}

fn frame_w(p: &mut Task, o: u32, v: u32) -> Result<(), KFault> {
    p.cpu.sys.kmem.w32(p.frame + o, v)
}

/// The registers SAVE_ALL saves, with `orig_eax` (the rest of
/// `struct pt_regs`, the hardware's frame, left zero).
fn saved_regs(p: &Task, orig_eax: u32) -> PtRegs {
    let c = &p.cpu;
    PtRegs {
        bx: c.regs[EBX],
        cx: c.regs[ECX],
        dx: c.regs[EDX],
        si: c.regs[ESI],
        di: c.regs[EDI],
        bp: c.regs[EBP],
        ax: c.regs[EAX],
        ds: c.segs[DS].sel,
        es: c.segs[ES].sel,
        fs: c.segs[FS].sel,
        gs: c.segs[GS].sel,
        orig_ax: orig_eax,
        ..Default::default()
    }
}

/// `pushl orig_eax` + SAVE_ALL (push gs, fs, es, ds, eax, ebp, edi, esi,
/// edx, ecx, ebx), giving `struct pt_regs` at esp with the hardware frame
/// above it. The twelve pushes are done as one 48-byte store of the same bytes.
fn save_all(p: &mut Task, orig_eax: u32) -> Result<(), KFault> {
    let r = saved_regs(p, orig_eax);
    let sp = p.cpu.regs[ESP].wrapping_sub(off::IP);
    p.cpu.sys.kmem.write_pod_prefix(sp, &r, off::IP as usize)?;
    p.cpu.regs[ESP] = sp;
    p.frame = sp;
    Ok(())
}

/// RESTORE_REGS: pop the general registers and the segment registers, then
/// drop orig_eax. Segment registers are reloaded through the descriptor
/// tables (which is how i386 Linux refreshes TLS after set_thread_area);
/// a reload that would give the same descriptor cache (same selector, no
/// descriptor-table write since it was loaded) is skipped.
/// `skip_cx_dx` leaves ecx/edx alone (the sysexit path loads them itself).
fn restore_regs(p: &mut Task, skip_cx_dx: bool) -> Result<bool, KFault> {
    let r = PtRegs::read(&p.cpu.sys.kmem, p.cpu.regs[ESP])?;
    Ok(restore_from(p, &r, skip_cx_dx))
}

/// [`restore_regs`] of the frame `r`, read from esp already.
fn restore_from(p: &mut Task, r: &PtRegs, skip_cx_dx: bool) -> bool {
    let c = &mut p.cpu;
    c.regs[EBX] = r.bx;
    if !skip_cx_dx {
        c.regs[ECX] = r.cx;
        c.regs[EDX] = r.dx;
    }
    c.regs[ESI] = r.si;
    c.regs[EDI] = r.di;
    c.regs[EBP] = r.bp;
    c.regs[EAX] = r.ax;
    let mut ok = true;
    for (s, sel) in [(DS, r.ds), (ES, r.es), (FS, r.fs), (GS, r.gs)] {
        if sel != c.segs[s].sel || c.seg_gen[s] != c.sys.desc_gen {
            ok &= c.load_seg(s, sel);
        }
    }
    c.regs[ESP] = c.regs[ESP].wrapping_add(off::IP);
    ok
}

/// The tail of every return to user mode: restore, then iret.
fn restore_all_iret(p: &mut Task) -> Result<(), KFault> {
    if !restore_regs(p, false)? {
        // A bad segment selector in the frame: Linux's fixup sends SIGSEGV.
        p.cpu.exit = crate::cpu::exit::NONE;
        return bad_return(p);
    }
    if intr::iret(&mut p.cpu).is_err() {
        return bad_return(p);
    }
    Ok(())
}

#[cold]
fn bad_return(p: &mut Task) -> Result<(), KFault> {
    use super::abi::signal::{si, Siginfo32, SIGSEGV};
    signal::force(p, Siginfo32::new(SIGSEGV, si::KERNEL));
    signal::do_signal(p);
    if p.exit.is_some() {
        return Ok(());
    }
    // The frame is now the handler's: return to it.
    restore_all_iret(p)
}

// ---- the syscall paths ----

/// `int $0x80` (entry_INT80_32).
fn entry_int80(p: &mut Task) -> Result<(), KFault> {
    let eax = p.cpu.regs[EAX];
    save_all(p, eax)?;
    frame_w(p, off::AX, ENOSYS_RET)?;
    do_syscall(p)?;
    exit_to_user_mode(p)?;
    restore_all_iret(p)
}

/// The sysenter entry (entry_SYSENTER_32 and do_SYSENTER_32). The five
/// pushes of the hardware-style frame and SAVE_ALL are one store of the
/// whole `pt_regs`, as `save_all` makes its twelve one.
fn entry_sysenter(p: &mut Task) -> Result<(), KFault> {
    // Switch from the entry stack to the task stack (TSS.sp1).
    let tss = p.cpu.sys.tr_base;
    let top = p.cpu.sys.kmem.r32(tss + crate::arch::tss::ESP1)?;
    let flags = p.cpu.eflags();
    let eax = p.cpu.regs[EAX];
    // do_fast_syscall_32 returns to the vDSO's int80 landing pad.
    let landing_pad = p.landing_pad();
    let mut r = PtRegs {
        ax: ENOSYS_RET,
        ip: landing_pad,
        cs: gdt::USER_CS_SEL,
        // sysenter cleared IF; it was set in user mode.
        flags: flags | IF,
        // The vDSO stashed the user esp in ebp.
        sp: p.cpu.regs[EBP],
        ss: gdt::USER_DS_SEL,
        ..saved_regs(p, eax)
    };
    // Fetch the sixth argument (ebp) from where the vDSO pushed it.
    let arg6 = p.cpu.mem.read_u32(r.sp);
    match arg6 {
        Ok(bp) => r.bp = bp,
        Err(_) => r.ax = (-14i32) as u32,
    }
    let sp = top.wrapping_sub(std::mem::size_of::<PtRegs>() as u32);
    *p.cpu.sys.kmem.pod_mut(sp)? = r;
    p.cpu.regs[ESP] = sp;
    p.frame = sp;
    if arg6.is_err() {
        exit_to_user_mode(p)?;
        return restore_all_iret(p);
    }
    do_syscall(p)?;
    exit_to_user_mode(p)?;
    if p.exit.is_some() {
        return Ok(());
    }
    // Opportunistic sysexit, when the frame allows it.
    let r = *p.cpu.sys.kmem.pod::<PtRegs>(p.frame)?;
    let can_sysexit = r.cs == gdt::USER_CS_SEL
        && r.ss == gdt::USER_DS_SEL
        && r.ip == landing_pad
        && r.flags & (RF | TF | VM) == 0;
    if !can_sysexit || p.cpu.regs[ESP] != p.frame {
        return restore_all_iret(p);
    }
    p.stats.sysexits += 1;
    // Restore everything but ecx/edx (which carry sp and ip for sysexit).
    if !restore_from(p, &r, true) {
        p.cpu.exit = crate::cpu::exit::NONE;
        return bad_return(p);
    }
    p.cpu.regs[EDX] = r.ip;
    p.cpu.regs[ECX] = r.sp;
    p.cpu.load_flags(r.flags, !0);
    if intr::sysexit(&mut p.cpu).is_err() {
        return bad_return(p);
    }
    Ok(())
}

/// Syscall entry work, dispatch through the table, syscall exit work.
fn do_syscall(p: &mut Task) -> Result<(), KFault> {
    p.syscalls += 1;
    let ti = p.cpu.sys.thread_info();
    let work = p.cpu.sys.kmem.r32(ti + thread_info::SYSCALL_WORK)?;
    if work & thread_info::SYSCALL_WORK_SYSCALL_TRACE != 0 {
        return do_syscall_work(p);
    }
    let nr = frame_r(p, off::ORIG_AX)?;
    if nr < syscall::NR_SYSCALLS {
        // bx, cx, dx, si, di, bp: the first six words of pt_regs.
        let args: [u32; 6] = p.cpu.sys.kmem.read_pod(p.frame + off::BX)?;
        let ret = syscall::invoke(p, nr, args);
        frame_w(p, off::AX, ret)?;
    } else {
        // ax already holds -ENOSYS (as Linux leaves it).
        syscall::enosys(nr);
    }
    Ok(())
}

/// [`do_syscall`] with work to report at entry and exit: the embedder's
/// hooks, `--frames`, strace and its counts.
#[cold]
#[inline(never)]
fn do_syscall_work(p: &mut Task) -> Result<(), KFault> {
    let mut nr = frame_r(p, off::ORIG_AX)?;
    // The embedder's hooks stop first, as ptrace's syscall-entry stop
    // comes before the tracepoints (syscall_trace_enter).
    let hooked = super::hooks::wants_syscall(p, nr);
    if hooked {
        super::hooks::syscall_stop(p, false)?;
        nr = frame_r(p, off::ORIG_AX)?;
    }
    p.trace_frame(true);
    if nr < syscall::NR_SYSCALLS {
        // bx, cx, dx, si, di, bp: the first six words of pt_regs.
        let args: [u32; 6] = p.cpu.sys.kmem.read_pod(p.frame + off::BX)?;
        let traced = p
            .cfg
            .strace
            .is_some()
            .then(|| super::strace::enter(p, nr, args));
        if let Some(t) = &traced {
            if syscall::RET[nr as usize] == syscall::Fmt::Void {
                // exit and exit_group: strace prints them before they happen.
                super::strace::exit(p, p.cfg.strace.as_ref().unwrap(), t, None);
            }
        }
        // (exit and exit_group do not return: strace -c leaves them out.)
        let timed = (p.cfg.syscall_stats.is_some()
            && syscall::RET[nr as usize] != syscall::Fmt::Void)
            .then(std::time::Instant::now);
        let ret = syscall::invoke(p, nr, args);
        frame_w(p, off::AX, ret)?;
        if let (Some(t0), Some(s)) = (timed, &p.cfg.syscall_stats) {
            s.add(nr, ret, t0.elapsed());
        }
        if let Some(t) = &traced {
            if syscall::RET[nr as usize] != syscall::Fmt::Void {
                super::strace::exit(p, p.cfg.strace.as_ref().unwrap(), t, Some(ret));
            }
        }
    } else {
        // ax already holds -ENOSYS (as Linux leaves it).
        syscall::enosys(nr);
    }
    if p.exit.is_none() {
        p.trace_frame(false);
        // (syscall_exit_work: the tracepoint, then ptrace's exit stop.)
        if hooked {
            super::hooks::syscall_stop(p, true)?;
        }
    }
    Ok(())
}

/// exit_to_user_mode: requests from other threads, then signals (and the
/// syscall restart rules, which a restart code in ax always needs).
fn exit_to_user_mode(p: &mut Task) -> Result<(), KFault> {
    if p.cpu.irq.load(std::sync::atomic::Ordering::Relaxed) != 0 {
        super::exit::serve_irq(p);
        if p.exit.is_some() {
            return Ok(());
        }
    }
    let ti = p.cpu.sys.thread_info();
    let work = p.cpu.sys.kmem.r32(ti + thread_info::FLAGS)? & thread_info::TIF_SIGPENDING != 0;
    if work || restart_code(p) {
        signal::do_signal(p);
    }
    Ok(())
}

/// Does the frame hold a syscall's restart code (-ERESTARTSYS and the
/// like, which must never reach user mode)?
fn restart_code(p: &Task) -> bool {
    let ax = p.cpu.sys.kmem.r32(p.frame + off::AX).unwrap_or(0);
    (512..=516).contains(&ax.wrapping_neg())
}

/// The external interrupt's entry (common_interrupt): the vector's slot
/// becomes orig_eax -1, SAVE_ALL, the work, and iret.
fn entry_irq(p: &mut Task) -> Result<(), KFault> {
    save_all(p, u32::MAX)?;
    exit_to_user_mode(p)?;
    if p.exit.is_some() {
        return Ok(());
    }
    restore_all_iret(p)
}

/// ret_from_fork for a new thread: the copy of its parent's kernel stack
/// holds the clone syscall's `pt_regs` with ax = 0; finish the syscall
/// (its exit frame for `--frames`, exit work) and return to user mode
/// with iret.
pub fn ret_from_fork(p: &mut Task) {
    ret_to_user(p);
}

/// The tail of a syscall that did not come back through its own entry
/// path (a new thread; a program another thread exec'd): the exit trace,
/// exit work and iret, with `p.frame` at the top of the kernel stack.
pub fn ret_to_user(p: &mut Task) {
    let ti = p.cpu.sys.thread_info();
    let work = p
        .cpu
        .sys
        .kmem
        .r32(ti + thread_info::SYSCALL_WORK)
        .unwrap_or(0);
    let mut r = Ok(());
    if work & thread_info::SYSCALL_WORK_SYSCALL_TRACE != 0 {
        p.trace_frame(false);
        let nr = frame_r(p, off::ORIG_AX).unwrap_or(u32::MAX);
        if super::hooks::wants_syscall(p, nr) {
            r = super::hooks::syscall_stop(p, true);
        }
    }
    let r = r.and_then(|_| exit_to_user_mode(p)).and_then(|_| {
        if p.exit.is_some() {
            Ok(())
        } else {
            restore_all_iret(p)
        }
    });
    if r.is_err() {
        fatal(p, "kernel stack fault");
    }
}

// ---- exceptions ----

/// An exception entry (the idtentry stubs + handle_exception): the error
/// code (or -1) takes the orig_eax slot, SAVE_ALL, then the C handler gets
/// the error code and orig_eax becomes -1.
fn entry_exception(p: &mut Task, v: u8) -> Result<(), KFault> {
    // The error code the CPU pushed (or -1) sits in the orig_eax slot; the
    // handler gets it and orig_eax becomes -1 (no syscall to restart).
    let error = if has_error_code(v) { pop(p)? } else { u32::MAX };
    save_all(p, u32::MAX)?;
    let ip = frame_r(p, off::IP)?;
    let mut f = signal::for_exception(v, error, ip, p.cr2, p.dr6, &p.cpu);
    if v == vec::PF {
        // An instruction fetch the host's SIGBUS stopped (the block was
        // unreadable): the file goes back under the page first, and the
        // SIGBUS is this fault's (below), not a second one.
        let _ = super::mm::host_bus(p);
        // The memory layer's part of the fault: grow a stack, or map file
        // pages that now exist (then re-execute); SIGBUS past the end of a
        // mapped object.
        match super::mm::user_fault(p, p.cr2, error) {
            super::mm::Fault::Retry => return restore_all_iret(p),
            super::mm::Fault::Bus => {
                f.info = super::abi::signal::Siginfo32::fault(
                    super::abi::signal::SIGBUS,
                    signal::BUS_ADRERR,
                    p.cr2,
                );
            }
            super::mm::Fault::Access => f.info.code = signal::SEGV_ACCERR,
            super::mm::Fault::Segv => {}
        }
    }
    if super::hooks::has_exception_hook(p) {
        let error = has_error_code(v).then_some(error);
        if super::hooks::exception_stop(p, v, error, &f.info)? {
            exit_to_user_mode(p)?;
            if p.exit.is_some() {
                return Ok(());
            }
            return restore_all_iret(p);
        }
    }
    signal::force_fault(p, f);
    exit_to_user_mode(p)?;
    if p.exit.is_some() {
        return Ok(());
    }
    restore_all_iret(p)
}

/// Exceptions for which the CPU pushes an error code.
pub fn has_error_code(v: u8) -> bool {
    matches!(v, 8 | 10..=14 | 17 | 21)
}

/// Exception kinds the CPU reports, for tests and stats.
pub fn exception_name(e: &Exception) -> &'static str {
    match e.vector {
        vec::DE => "#DE",
        vec::DB => "#DB",
        vec::BP => "#BP",
        vec::OF => "#OF",
        vec::BR => "#BR",
        vec::UD => "#UD",
        vec::NP => "#NP",
        vec::SS => "#SS",
        vec::GP => "#GP",
        vec::PF => "#PF",
        vec::MF => "#MF",
        vec::XM => "#XM",
        _ => "#??",
    }
}
