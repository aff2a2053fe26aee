//! Signal frames of an i386 task on x86_64 Linux (arch/x86/kernel/signal_32.c,
//! arch/x86/kernel/fpu/signal.c): `sigframe_ia32` for handlers without
//! SA_SIGINFO, `rt_sigframe_ia32` for handlers with it, and sigreturn and
//! rt_sigreturn, which undo them.
//!
//! The stack, from high to low addresses: the FXSAVE image (512 bytes,
//! 64-byte aligned) with Linux's software-reserved bytes at offset 464,
//! right below it the legacy fsave header (`struct fregs_state` plus
//! `status` and `magic`) that makes `struct _fpstate_32`, then the frame,
//! aligned so that `(sp + 4) % 16 == 0` at the handler's first instruction.
//!
//! emu's CPU has no XSAVE (its CPUID says so), so the FPU state is what
//! Linux writes for such a CPU: FXSAVE only, `uc_flags` 0, the software
//! bytes describing a 512-byte FP/SSE state.

use super::abi::signal::{
    self as asig, rt_sigframe as rt, sigframe as sf, Sigcontext32, Siginfo32,
};
use super::signal::{set_blocked, SigAction};
use super::syscall::SysResult;
use super::task::Task;
use crate::arch::gdt::{USER_CS_SEL, USER_DS_SEL};
use crate::arch::ptregs::{off, PtRegs};
use crate::cpu::exec::x87;
use crate::cpu::flags::{DF, RF, TF};

/// FIX_EFLAGS: the flags sigreturn takes from the frame.
const FIX_EFLAGS: u32 = 0x0004_0000 /* AC */ | RF | 0x800 /* OF */ | DF | TF | 0x80 /* SF */
    | 0x40 /* ZF */ | 0x10 /* AF */ | 0x4 /* PF */ | 0x1 /* CF */;
const FXSAVE_SIZE: u32 = 512;
/// Offset of `struct _fpx_sw_bytes` in the FXSAVE image.
const SW_BYTES: usize = 464;
/// XFEATURE_MASK_FPSSE: the state a CPU without XSAVE has.
const XFEATURES_FPSSE: u64 = 3;
/// FP_XSTATE_MAGIC2_SIZE.
const MAGIC2_SIZE: u32 = 4;

/// The registers the signal interrupted.
fn regs(p: &Task) -> Option<PtRegs> {
    PtRegs::read(&p.cpu.sys.kmem, p.frame).ok()
}

fn write_regs(p: &mut Task, r: &PtRegs) -> bool {
    p.cpu
        .sys
        .kmem
        .write_pod_prefix(p.frame, r, off::SIZE as usize)
        .is_ok()
}

/// get_sigframe: where the frame and the FPU state go (None: nowhere
/// sensible, which is a SIGSEGV).
fn get_sigframe(p: &Task, r: &PtRegs, act: &SigAction, frame_size: u32) -> Option<(u32, u32)> {
    let mut sp = r.sp;
    let nested = p.sig.on_altstack(sp);
    let mut entering = false;
    if act.flags & asig::sa::ONSTACK != 0 {
        if p.sig.ss_flags(sp) == 0 {
            sp = p.sig.alt_sp.wrapping_add(p.sig.alt_size);
            entering = true;
        }
    } else if !nested
        && r.ss != USER_DS_SEL
        && act.flags & asig::sa::RESTORER == 0
        && act.restorer != 0
    {
        // The legacy stack switching.
        sp = act.restorer;
        entering = true;
    }
    // fpu__alloc_mathframe.
    let buf_fx = sp.wrapping_sub(FXSAVE_SIZE) & !63;
    let fpstate = buf_fx.wrapping_sub(asig::FREGS_SIZE);
    let frame = (fpstate.wrapping_sub(frame_size).wrapping_add(4) & !15).wrapping_sub(4);
    if (nested || entering) && !p.sig.on_altstack(frame) {
        return None;
    }
    Some((frame, fpstate))
}

/// copy_fpstate_to_sigframe for an ia32 frame: the fsave header at
/// `fpstate`, the FXSAVE image right above it.
fn save_fpstate(p: &mut Task, r: &PtRegs, fpstate: u32) -> bool {
    let fx = x87::fxsave_image(&mut p.cpu);
    let mut img = [0u8; FXSAVE_SIZE as usize];
    img[..fx.len()].copy_from_slice(&fx);
    // save_sw_bytes: the FP/SSE state, 512 bytes, as a CPU without XSAVE
    // has it (extended_size counts the magic2 word and the fsave header).
    let w32 = |b: &mut [u8], o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    w32(&mut img, SW_BYTES, asig::FP_XSTATE_MAGIC1);
    w32(
        &mut img,
        SW_BYTES + 4,
        FXSAVE_SIZE + MAGIC2_SIZE + asig::FREGS_SIZE,
    );
    img[SW_BYTES + 8..SW_BYTES + 16].copy_from_slice(&XFEATURES_FPSSE.to_le_bytes());
    w32(&mut img, SW_BYTES + 16, FXSAVE_SIZE);
    // convert_from_fxsr: the i387 environment (64-bit kernel: fcs is the
    // user cs, fos the user ds), the registers in stack order, then
    // status and the FXSR magic.
    let f = &p.cpu.fpu;
    let mut h = [0u8; asig::FREGS_SIZE as usize];
    let env = [
        f.cw as u32 | 0xffff_0000,
        f.status() as u32 | 0xffff_0000,
        f.full_tags() as u32 | 0xffff_0000,
        u32::from_le_bytes(fx[8..12].try_into().unwrap_or_default()),
        r.cs as u32,
        u32::from_le_bytes(fx[16..20].try_into().unwrap_or_default()),
        r.ds as u32 | 0xffff_0000,
    ];
    for (k, v) in env.iter().enumerate() {
        w32(&mut h, 4 * k, *v);
    }
    for k in 0..8 {
        h[28 + 10 * k..38 + 10 * k].copy_from_slice(&fx[32 + 16 * k..42 + 16 * k]);
    }
    h[108..110].copy_from_slice(&f.status().to_le_bytes());
    h[110..112].copy_from_slice(&asig::X86_FXSR_MAGIC.to_le_bytes());
    p.write_user(fpstate, &h).is_ok() && p.write_user(fpstate + asig::FREGS_SIZE, &img).is_ok()
}

/// fpu__restore_sig for an ia32 frame: the FXSAVE image, with the fsave
/// header's environment and registers over it (convert_to_fxsr). False
/// for an unreadable frame or reserved MXCSR bits. A null `fpstate` resets
/// the FPU.
fn restore_fpstate(p: &mut Task, fpstate: u32) -> bool {
    if fpstate == 0 {
        p.cpu.fpu.init();
        p.cpu.sse = Default::default();
        return true;
    }
    let mut h = [0u8; asig::FREGS_SIZE as usize];
    let mut img = [0u8; FXSAVE_SIZE as usize];
    if p.read_user(fpstate, &mut h).is_err()
        || p.read_user(fpstate.wrapping_add(asig::FREGS_SIZE), &mut img)
            .is_err()
    {
        return false;
    }
    let r32 = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or_default());
    let mut fx = [0u8; 288];
    fx.copy_from_slice(&img[..288]);
    let twd = r32(&h, 8);
    // twd_i387_to_fxsr: a register is valid unless its tag is empty (3).
    let abridged = (0..8).fold(0u8, |t, k| t | (((twd >> (2 * k)) & 3 != 3) as u8) << k);
    fx[0..2].copy_from_slice(&h[0..2]);
    fx[2..4].copy_from_slice(&h[4..6]);
    fx[4] = abridged;
    fx[6..8].copy_from_slice(&((r32(&h, 16) >> 16) as u16).to_le_bytes());
    fx[8..12].copy_from_slice(&h[12..16]);
    fx[12..16].fill(0);
    fx[16..20].copy_from_slice(&h[20..24]);
    fx[20..24].fill(0);
    for k in 0..8 {
        fx[32 + 16 * k..42 + 16 * k].copy_from_slice(&h[28 + 10 * k..38 + 10 * k]);
    }
    // MXCSR with reserved bits set is rejected (a bad frame), as
    // fpu__restore_sig does before FXRSTOR could fault on it.
    x87::fxrstor_image(&mut p.cpu, &fx)
}

/// setup_sigcontext from the interrupted registers.
fn sigcontext(p: &Task, r: &PtRegs, fpstate: u32, mask: u64) -> Sigcontext32 {
    Sigcontext32 {
        gs: r.gs as u32,
        fs: r.fs as u32,
        es: r.es as u32,
        ds: r.ds as u32,
        di: r.di,
        si: r.si,
        bp: r.bp,
        sp: r.sp,
        bx: r.bx,
        dx: r.dx,
        cx: r.cx,
        ax: r.ax,
        trapno: p.sig.trapno,
        err: p.sig.err,
        ip: r.ip,
        cs: r.cs as u32,
        flags: r.flags,
        sp_at_signal: r.sp,
        ss: r.ss as u32,
        fpstate,
        oldmask: mask as u32,
        cr2: p.sig.cr2,
    }
}

/// The handler's registers (as the ia32 setup functions and handle_signal
/// leave them): its stack and entry point, the signal in ax, the user
/// data segments, DF, RF and TF clear.
fn enter_handler(
    p: &mut Task,
    mut r: PtRegs,
    frame: u32,
    act: &SigAction,
    sig: u32,
    dx: u32,
    cx: u32,
) -> bool {
    r.sp = frame;
    r.ip = act.handler;
    r.ax = sig;
    r.dx = dx;
    r.cx = cx;
    r.ds = USER_DS_SEL;
    r.es = USER_DS_SEL;
    r.ss = USER_DS_SEL;
    r.cs = USER_CS_SEL;
    r.flags &= !(DF | RF | TF);
    write_regs(p, &r)
}

/// Where the handler returns: sa_restorer with SA_RESTORER, else the
/// vDSO's __kernel_sigreturn or __kernel_rt_sigreturn (the frame's own
/// retcode without a vDSO).
fn restorer(p: &Task, act: &SigAction, vdso_off: u32, retcode: u32) -> u32 {
    if act.flags & asig::sa::RESTORER != 0 {
        act.restorer
    } else if p.landing_pad() != 0 {
        p.landing_pad() - crate::loader::vdso::INT80_LANDING_PAD + vdso_off
    } else {
        retcode
    }
}

/// Linux drops SS_AUTODISARM's stack once a frame is on it.
fn autodisarm(p: &mut Task, act: &SigAction) {
    if act.flags & asig::sa::ONSTACK != 0 && p.sig.alt_flags & asig::SS_AUTODISARM != 0 {
        p.sig.alt_sp = 0;
        p.sig.alt_size = 0;
        p.sig.alt_flags = 0;
    }
}

/// ia32_setup_frame: a `sigframe_ia32` for a handler without SA_SIGINFO.
pub fn setup_frame(p: &mut Task, sig: u32, act: &SigAction, mask: u64) -> bool {
    let Some(r) = regs(p) else { return false };
    let Some((frame, fpstate)) = get_sigframe(p, &r, act, asig::SIGFRAME_SIZE) else {
        return false;
    };
    if !save_fpstate(p, &r, fpstate) {
        return false;
    }
    let sc = sigcontext(p, &r, fpstate, mask);
    let ret = restorer(
        p,
        act,
        crate::loader::vdso::KERNEL_SIGRETURN,
        frame + sf::RETCODE,
    );
    let ok = p.write_u32(frame + sf::PRETCODE, ret).is_ok()
        && p.write_u32(frame + sf::SIG, sig).is_ok()
        && p.write_struct(frame + sf::SC, &sc).is_ok()
        && p.write_u32(frame + sf::EXTRAMASK, (mask >> 32) as u32)
            .is_ok()
        && p.write_user(frame + sf::RETCODE, &asig::RETCODE).is_ok();
    if !ok {
        return false;
    }
    autodisarm(p, act);
    enter_handler(p, r, frame, act, sig, 0, 0)
}

/// ia32_setup_rt_frame: an `rt_sigframe_ia32` for an SA_SIGINFO handler.
pub fn setup_rt_frame(
    p: &mut Task,
    sig: u32,
    act: &SigAction,
    info: &Siginfo32,
    mask: u64,
) -> bool {
    let Some(r) = regs(p) else { return false };
    let Some((frame, fpstate)) = get_sigframe(p, &r, act, asig::RT_SIGFRAME_SIZE) else {
        return false;
    };
    if !save_fpstate(p, &r, fpstate) {
        return false;
    }
    let uc = asig::Ucontext32 {
        // UC_FP_XSTATE only with XSAVE.
        uc_flags: 0,
        uc_link: 0,
        uc_stack: asig::Stack32 {
            ss_sp: p.sig.alt_sp,
            ss_flags: p.sig.ss_flags(r.sp) | p.sig.alt_flags,
            ss_size: p.sig.alt_size,
        },
        uc_mcontext: sigcontext(p, &r, fpstate, mask),
        uc_sigmask: [mask as u32, (mask >> 32) as u32],
    };
    let ret = restorer(
        p,
        act,
        crate::loader::vdso::KERNEL_RT_SIGRETURN,
        frame + rt::RETCODE,
    );
    let ok = p.write_u32(frame + rt::PRETCODE, ret).is_ok()
        && p.write_u32(frame + rt::SIG, sig).is_ok()
        && p.write_u32(frame + rt::PINFO, frame + rt::INFO).is_ok()
        && p.write_u32(frame + rt::PUC, frame + rt::UC).is_ok()
        && p.write_struct(frame + rt::INFO, info).is_ok()
        && p.write_struct(frame + rt::UC, &uc).is_ok()
        && p.write_user(frame + rt::RETCODE, &asig::RT_RETCODE).is_ok();
    if !ok {
        return false;
    }
    autodisarm(p, act);
    enter_handler(p, r, frame, act, sig, frame + rt::INFO, frame + rt::UC)
}

/// ia32_restore_sigcontext: the registers, CPL 3 selectors, the frame's
/// share of the flags, no syscall to restart, the FPU state.
fn restore_sigcontext(p: &mut Task, sc_addr: u32) -> bool {
    p.sig.restart = super::signal::Restart::None;
    let Ok(sc) = p.read_struct::<Sigcontext32>(sc_addr) else {
        return false;
    };
    let Some(mut r) = regs(p) else { return false };
    r.bx = sc.bx;
    r.cx = sc.cx;
    r.dx = sc.dx;
    r.si = sc.si;
    r.di = sc.di;
    r.bp = sc.bp;
    r.ax = sc.ax;
    r.sp = sc.sp;
    r.ip = sc.ip;
    r.cs = sc.cs as u16 | 3;
    r.ss = sc.ss as u16 | 3;
    r.flags = (r.flags & !FIX_EFLAGS) | (sc.flags & FIX_EFLAGS);
    r.orig_ax = u32::MAX;
    // reload_segments: RPL 3, except that null selectors (0..=3) stay as
    // they are (fixup_rpl, Linux 6.9+); loaded on the way out.
    let fixup_rpl = |sel: u32| {
        if sel & 0xffff <= 3 {
            sel as u16
        } else {
            sel as u16 | 3
        }
    };
    r.gs = fixup_rpl(sc.gs);
    r.fs = fixup_rpl(sc.fs);
    r.ds = fixup_rpl(sc.ds);
    r.es = fixup_rpl(sc.es);
    write_regs(p, &r) && restore_fpstate(p, sc.fpstate)
}

/// A bad frame: SIGSEGV (signal_fault), and sigreturn returns 0.
fn bad_frame(p: &mut Task) -> SysResult {
    super::signal::force(p, Siginfo32::new(asig::SIGSEGV, asig::si::KERNEL));
    Ok(0)
}

/// The value sigreturn returns: the restored ax (so the syscall exit
/// leaves it in place).
fn restored_ax(p: &Task) -> SysResult {
    Ok(p.cpu.sys.kmem.r32(p.frame + off::AX).unwrap_or(0))
}

pub fn sys_sigreturn(p: &mut Task) -> SysResult {
    let sp = p.cpu.sys.kmem.r32(p.frame + off::SP).unwrap_or(0);
    // The handler's ret and __kernel_sigreturn's pop took pretcode and sig.
    let frame = sp.wrapping_sub(8);
    let (Ok(lo), Ok(hi)) = (
        p.read_u32(frame + sf::SC + std::mem::offset_of!(Sigcontext32, oldmask) as u32),
        p.read_u32(frame + sf::EXTRAMASK),
    ) else {
        return bad_frame(p);
    };
    set_blocked(p, lo as u64 | (hi as u64) << 32);
    if !restore_sigcontext(p, frame + sf::SC) {
        return bad_frame(p);
    }
    restored_ax(p)
}

pub fn sys_rt_sigreturn(p: &mut Task) -> SysResult {
    let sp = p.cpu.sys.kmem.r32(p.frame + off::SP).unwrap_or(0);
    let frame = sp.wrapping_sub(4);
    let uc = frame + rt::UC;
    let Ok(mask) =
        p.read_struct::<[u32; 2]>(uc + std::mem::offset_of!(asig::Ucontext32, uc_sigmask) as u32)
    else {
        return bad_frame(p);
    };
    set_blocked(p, mask[0] as u64 | (mask[1] as u64) << 32);
    if !restore_sigcontext(
        p,
        uc + std::mem::offset_of!(asig::Ucontext32, uc_mcontext) as u32,
    ) {
        return bad_frame(p);
    }
    // restore_altstack: as sigaltstack would, failures other than a bad
    // pointer ignored.
    let ss = uc + std::mem::offset_of!(asig::Ucontext32, uc_stack) as u32;
    if p.read_struct::<asig::Stack32>(ss).is_err() {
        return bad_frame(p);
    }
    let _ = super::signal::sys_sigaltstack(p, ss, 0);
    restored_ax(p)
}
