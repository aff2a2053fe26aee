//! Guard-page reads: the host's MMU checks the guest's read permission.
//!
//! Guest memory is one host reservation (`mem`), whose host protection
//! follows the guest's page table: a page the guest may read is readable
//! on the host, every other page (unmapped, PROT_NONE, the guard past
//! 4 GiB) is PROT_NONE. So a handler's read of guest memory is one plain
//! host load, with no permission test and no page-crossing test
//! ([`Cpu::rd`]): a load the guest may not make raises a host SIGSEGV.
//!
//! That fault becomes the guest's #PF at the exact instruction, with the
//! state from before it, as a longjmp out of the handler chain:
//! - the run loops run inside [`guarded`], which keeps the host stack
//!   pointer of its entry (an assembly trampoline, `emu_guard_enter`, that
//!   saves the callee-saved registers on its own stack);
//! - the host fault handler (kernel/hostsig.rs) asks [`claim`]: a SIGSEGV
//!   at an address of the window, on a thread whose handler chain is
//!   running (`Guard::chain`), is the guest's. It notes the guest address
//!   and whether the host access was a write, and moves the interrupted
//!   context to `emu_guard_landing` with the trampoline's stack pointer,
//!   so the signal's return pops the saved registers and returns 1 from
//!   the trampoline;
//! - every handler that may fault stores its instruction in
//!   `Cpu::exit_at` before it runs (`cpu::threaded`), so the run loop
//!   knows which instruction faulted, as for a fault it found itself;
//! - the loads are assembly that takes the `Cpu` as an operand
//!   (`Cpu::rd`), so the compiler keeps every store of guest state that
//!   comes before the load in program order before it, and every store
//!   after it after it: the state at the fault is the state the checked
//!   path would have left (an instruction commits nothing before its
//!   last possible fault).
//!
//! The frames skipped are the interpreter's own (handlers, the block
//! run), which own nothing that needs dropping. Writes keep their
//! software check (`Cpu::wr`): stores to pages holding translated code
//! must be seen, and the kernel side writes guest memory through host
//! pointers.

use std::cell::Cell;

use super::Cpu;

/// The guard state of a thread's `Cpu`.
pub struct Guard {
    /// Host stack pointer of the innermost [`guarded`] (0: none).
    sp: usize,
    /// While a handler chain runs, non-null (the block it belongs to, for
    /// the run loop's landing): a fault in the window is the guest's.
    pub chain: *const (),
    /// The fault [`claim`] took: guest address (past 4 GiB for the guard
    /// after the window) and whether the host access was a write.
    fault: u64,
    write: bool,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard {
            sp: 0,
            chain: std::ptr::null(),
            fault: 0,
            write: false,
        }
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".text",
    ".globl emu_guard_enter",
    ".type emu_guard_enter,@function",
    ".p2align 4",
    // rdi: where to store the stack pointer; rsi: the function; rdx: its
    // argument. Returns 0, or 1 through emu_guard_landing.
    "emu_guard_enter:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbp, 0",
    "push rbx",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbx, 0",
    "push r12",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r12, 0",
    "push r13",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r13, 0",
    "push r14",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r14, 0",
    "push r15",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r15, 0",
    "sub rsp, 8",
    ".cfi_adjust_cfa_offset 8",
    "mov [rdi], rsp",
    "mov rdi, rdx",
    "call rsi",
    "xor eax, eax",
    "2:",
    "add rsp, 8",
    ".cfi_adjust_cfa_offset -8",
    "pop r15",
    ".cfi_adjust_cfa_offset -8",
    "pop r14",
    ".cfi_adjust_cfa_offset -8",
    "pop r13",
    ".cfi_adjust_cfa_offset -8",
    "pop r12",
    ".cfi_adjust_cfa_offset -8",
    "pop rbx",
    ".cfi_adjust_cfa_offset -8",
    "pop rbp",
    ".cfi_adjust_cfa_offset -8",
    "ret",
    // Entered from a signal's return with rsp as stored above.
    ".cfi_adjust_cfa_offset 56",
    ".globl emu_guard_landing",
    "emu_guard_landing:",
    "mov eax, 1",
    "jmp 2b",
    ".cfi_endproc",
    ".size emu_guard_enter, .-emu_guard_enter",
);

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C-unwind" {
    fn emu_guard_enter(
        sp: *mut usize,
        f: unsafe extern "C-unwind" fn(*mut u8),
        arg: *mut u8,
    ) -> u32;
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" {
    fn emu_guard_landing();
}

/// Whether guest reads go unchecked through the host's MMU (else
/// `Cpu::rd` checks the page table itself).
pub const ACTIVE: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

thread_local! {
    /// The Cpu of this thread's innermost [`guarded`] (null outside).
    static CUR: Cell<*mut Cpu> = const { Cell::new(std::ptr::null_mut()) };
}

struct Ctx<F, R> {
    f: Option<F>,
    cpu: *mut Cpu,
    out: Option<R>,
}

unsafe extern "C-unwind" fn tramp<F: FnOnce(&mut Cpu) -> R, R>(p: *mut u8) {
    // SAFETY: `p` is the Ctx `guarded` made, alive during the call.
    let c = unsafe { &mut *(p as *mut Ctx<F, R>) };
    if let Some(f) = c.f.take() {
        c.out = Some(f(unsafe { &mut *c.cpu }));
    }
}

/// Run `f` where a host fault of a guest read in a handler chain lands:
/// Ok(its result), or after such a fault Err(the chain's `Guard::chain`),
/// the fault being then `cpu`'s pending #PF (`exit::EXC`, `Cpu::exc`),
/// with `Cpu::exit_at` at the faulting instruction. `f` must not own
/// anything that needs dropping (it is abandoned on a fault). Nests.
#[inline(never)]
pub fn guarded<R, F: FnOnce(&mut Cpu) -> R>(cpu: &mut Cpu, f: F) -> Result<R, *const ()> {
    ensure_handler();
    let cp: *mut Cpu = cpu;
    let mut ctx = Ctx {
        f: Some(f),
        cpu: cp,
        out: None,
    };
    // SAFETY: the trampoline calls `tramp` with `ctx`; `cp` stays valid.
    unsafe {
        let prev_sp = (*cp).guard.sp;
        let prev_cpu = CUR.with(|c| c.replace(cp));
        let landed = enter(
            std::ptr::addr_of_mut!((*cp).guard.sp),
            tramp::<F, R>,
            std::ptr::addr_of_mut!(ctx) as *mut u8,
        );
        CUR.with(|c| c.set(prev_cpu));
        let g = &mut (*cp).guard;
        g.sp = prev_sp;
        if landed {
            let chain = std::mem::replace(&mut g.chain, std::ptr::null());
            let (addr, write) = (std::ptr::read_volatile(&g.fault), g.write);
            (*cp).guest_read_fault(addr, write);
            return Err(chain);
        }
    }
    ctx.out.ok_or(std::ptr::null())
}

/// Run the chain of `insts` (instructions ending with an end marker) on
/// its own: single steps, budgets' ends, unit tests. A fault in it is
/// left pending as the checked path would leave it.
pub fn run_insts(cpu: &mut Cpu, insts: &[super::Inst]) {
    debug_assert!(
        insts.last().is_some_and(|m| m.len == 0),
        "ends with a marker"
    );
    let _ = guarded(cpu, |c| {
        c.guard.chain = insts.as_ptr().cast();
        // SAFETY: `insts` ends with an end marker.
        unsafe { super::Handler::run(c, insts.as_ptr()) };
        c.guard.chain = std::ptr::null();
    });
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn enter(sp: *mut usize, f: unsafe extern "C-unwind" fn(*mut u8), arg: *mut u8) -> bool {
    unsafe { emu_guard_enter(sp, f, arg) != 0 }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
unsafe fn enter(_: *mut usize, f: unsafe extern "C-unwind" fn(*mut u8), arg: *mut u8) -> bool {
    unsafe { f(arg) };
    false
}

/// From the host fault handler (async-signal-safe): a SIGSEGV at host
/// address `addr` while this thread runs a handler chain under
/// [`guarded`], in the guest window or the guard after it, is the
/// guest's read fault (`write`: the host's error code said write). The
/// interrupted context `uc` is moved to the landing; true then.
pub fn claim(addr: usize, write: bool, uc: *mut libc::c_void) -> bool {
    let Some(off) = crate::mem::window_offset(addr) else {
        return false;
    };
    let c = CUR.with(|c| c.get());
    if c.is_null() || uc.is_null() {
        return false;
    }
    // SAFETY: `c` is the Cpu of the guarded call running on this thread,
    // which the signal interrupted; its fields are written volatile, as
    // from outside the interpreter's view.
    unsafe {
        let g = std::ptr::addr_of_mut!((*c).guard);
        if std::ptr::addr_of!((*g).chain).read_volatile().is_null() {
            return false;
        }
        let sp = std::ptr::addr_of!((*g).sp).read_volatile();
        if sp == 0 {
            return false;
        }
        std::ptr::addr_of_mut!((*g).fault).write_volatile(off);
        std::ptr::addr_of_mut!((*g).write).write_volatile(write);
        land(uc, sp)
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn land(uc: *mut libc::c_void, sp: usize) -> bool {
    let uc = uc as *mut libc::ucontext_t;
    unsafe {
        (*uc).uc_mcontext.gregs[libc::REG_RSP as usize] = sp as i64;
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] =
            emu_guard_landing as *const () as usize as i64;
    }
    true
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
unsafe fn land(_: *mut libc::c_void, _: usize) -> bool {
    false
}

/// The host fault handler, installed once (the kernel side installs it
/// at start anyway; unit tests run guest code without that).
fn ensure_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(crate::kernel::hostsig::install_fault_handlers);
}
