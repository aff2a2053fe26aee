//! Guard pages: the host's MMU checks the guest's permissions.
//!
//! Guest memory is one host reservation (`mem`), whose host protection
//! follows the guest's page table (`mem::host_prot`): a page the guest may
//! read is readable on the host, every other page (unmapped, PROT_NONE,
//! the guard past 4 GiB) is PROT_NONE; a page a guest store goes through
//! as it is (writable, no translated code on it, not tracked for a vfork
//! parent) is writable, every other readable page read-only. So a
//! handler's read or write of guest memory is one plain host access, with
//! no permission test and no page-crossing test ([`Cpu::rd`], `Cpu::wr`):
//! an access the guest may not make raises a host SIGSEGV.
//!
//! A store to translated code is self-modifying code, not a fault:
//! [`claim`] makes the page writable (it loses `P_CODE`), notes the code
//! written in the running `Cpu` (`exit::SMC`, as `Cpu::wr_slow` does) and
//! lets the store be made again. Stores check themselves instead
//! (`Cpu::soft_writes`) while the guest blocks or ignores SIGSEGV (the
//! host would kill emu rather than call its handler), in a vfork child
//! (tracked pages), and for good once the host runs out of mappings
//! (`mem::writes_soft`: read-only pages among writable ones cost host
//! mappings a guest near its own limit does not have).
//!
//! Any other fault becomes the guest's #PF at the exact instruction, with
//! the state from before it, as a longjmp out of the handler chain:
//! - the run loops run inside [`guarded`] (on [`protect`]), which keeps
//!   the host stack pointer of its entry (an assembly trampoline,
//!   `emu_guard_enter`, that saves the callee-saved registers on its own
//!   stack);
//! - the host fault handler (kernel/hostsig.rs) asks [`claim`]: a SIGSEGV
//!   at an address of the window, on a thread that has marked a chain as
//!   running ([`guest_chain`]), is the guest's. It notes the window offset
//!   and whether the host access was a write, and moves the interrupted
//!   context to `emu_guard_landing` with the trampoline's stack pointer,
//!   so the signal's return pops the saved registers and returns 1 from
//!   the trampoline;
//! - every handler that may fault stores its instruction in
//!   `Cpu::exit_at` before it runs (`cpu::threaded`), so the run loop
//!   knows which instruction faulted, as for a fault it found itself;
//! - the accesses are assembly that takes the `Cpu` as an operand
//!   (`Cpu::host_load`, `Cpu::host_store`), so the compiler keeps every
//!   store of guest state that comes before one in program order before
//!   it, and every store after it after it: the state at the fault is the
//!   state the checked path would have left (an instruction commits
//!   nothing before its last possible fault).
//!
//! The frames skipped are the interpreter's own (handlers, the block
//! run), which own nothing that needs dropping. The kernel side writes
//! guest memory through host pointers after its own checks, and makes
//! pages with translated code writable first (`Mem::prepare_write`).
//!
//! The kernel side and the translator check permissions before they
//! touch guest memory, but another guest thread may unmap or protect it
//! in between: their copies run under [`kernel`], where such a fault
//! gives an error (EFAULT, a fetch fault) instead of emu's death.

use std::cell::Cell;

use super::Cpu;

/// A thread's guard state (thread-local: the host fault handler runs on
/// the faulting thread).
struct State {
    /// Host stack pointer of the innermost [`protect`] (0: none).
    sp: Cell<usize>,
    /// The guest window it accesses (a process may hold several: the
    /// library runs machines side by side): its host address and its
    /// permission table.
    base: Cell<usize>,
    perms: Cell<*const std::sync::atomic::AtomicU8>,
    /// The Cpu of the innermost [`guarded`] (null outside), which a store
    /// to translated code tells.
    cpu: Cell<*mut Cpu>,
    /// What accesses guest memory where a fault may be the guest's.
    running: Cell<Running>,
    /// The fault [`claim`] took: window offset (past 4 GiB for the guard
    /// after the window) and whether the host access was a write.
    fault: Cell<u64>,
    write: Cell<bool>,
    /// The host address of the last kernel-side copy's fault ([`copy`]).
    kfault: Cell<usize>,
    /// This thread's gs base (see [`set_gs`]; 0: not set by emu).
    gs: Cell<usize>,
}

thread_local! {
    static S: State = const {
        State {
            sp: Cell::new(0),
            base: Cell::new(0),
            perms: Cell::new(std::ptr::null()),
            cpu: Cell::new(std::ptr::null_mut()),
            running: Cell::new(Running::Nothing),
            fault: Cell::new(0),
            write: Cell::new(false),
            kfault: Cell::new(0),
            gs: Cell::new(0),
        }
    };
}

/// What runs where a host fault in the guest window is the guest's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Running {
    Nothing,
    /// A handler chain (guest code).
    Guest,
    /// A kernel-side copy or the translator ([`kernel`]).
    Kernel,
}

/// Note that a handler chain runs (`on`), or has ended. (Which block it
/// is, the run loop knows from `Cpu::chain`.)
#[inline(always)]
pub fn guest_chain(on: bool) {
    let r = if on { Running::Guest } else { Running::Nothing };
    S.with(|s| s.running.set(r));
}

/// A host fault [`protect`] caught.
pub struct Landed {
    /// The window offset of the fault.
    pub off: u64,
    /// The host access was a write.
    pub write: bool,
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

/// Whether guest accesses go unchecked through the host's MMU (else
/// `Cpu::rd` and `Cpu::wr` check the page table themselves).
pub const ACTIVE: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

struct Ctx<F, R> {
    f: Option<F>,
    out: Option<R>,
}

unsafe extern "C-unwind" fn tramp<F: FnOnce() -> R, R>(p: *mut u8) {
    // SAFETY: `p` is the Ctx `protect` made, alive during the call.
    let c = unsafe { &mut *(p as *mut Ctx<F, R>) };
    if let Some(f) = c.f.take() {
        c.out = Some(f());
    }
}

/// Run `f` where a host fault in the guest window at `base` lands while
/// `State::chain` is set: Ok(its result), or Err(the fault). `f` must not
/// own anything that needs dropping (it is abandoned on a fault), nor
/// hold a lock. Nests.
#[inline(never)]
pub fn protect<R, F: FnOnce() -> R>(mem: &crate::mem::Mem, f: F) -> Result<R, Landed> {
    protect_window(mem.base(), mem.perms_ptr(), f)
}

/// [`protect`] for the window at `base` with the permission table `perms`.
#[inline(always)]
fn protect_window<R, F: FnOnce() -> R>(
    base: *mut u8,
    perms: *const std::sync::atomic::AtomicU8,
    f: F,
) -> Result<R, Landed> {
    ensure_handler();
    let mut ctx = Ctx {
        f: Some(f),
        out: None,
    };
    S.with(|s| {
        let prev = s.sp.get();
        let prev_base = s.base.replace(base as usize);
        let prev_perms = s.perms.replace(perms);
        // SAFETY: the trampoline calls `tramp` with `ctx`, alive here.
        let landed = unsafe {
            enter(
                s.sp.as_ptr(),
                tramp::<F, R>,
                std::ptr::addr_of_mut!(ctx) as *mut u8,
            )
        };
        s.sp.set(prev);
        s.base.set(prev_base);
        s.perms.set(prev_perms);
        if landed {
            s.running.set(Running::Nothing);
            return Err(Landed {
                off: s.fault.get(),
                write: s.write.get(),
            });
        }
        ctx.out.ok_or(Landed {
            off: 0,
            write: false,
        })
    })
}

/// [`protect`] for guest code: Err after a fault, which is then `cpu`'s
/// pending #PF (`exit::EXC`, `Cpu::exc`), with `Cpu::exit_at` at the
/// faulting instruction.
pub fn guarded<R, F: FnOnce(&mut Cpu) -> R>(cpu: &mut Cpu, f: F) -> Result<R, ()> {
    let cp: *mut Cpu = cpu;
    // SAFETY: `cpu` is only used through `cp` until `f` is done.
    unsafe { guarded_raw(cp, || f(&mut *cp)) }
}

/// [`guarded`] for a `cpu` that `f` reaches through a pointer of its own
/// (the run loop that serves its events: the kernel side, between two
/// runs of guest code, uses the Cpu through its task).
///
/// # Safety
/// `cpu` is alive until this returns, and no reference to it is live
/// while `f` runs but those `f` makes.
pub unsafe fn guarded_raw<R, F: FnOnce() -> R>(cpu: *mut Cpu, f: F) -> Result<R, ()> {
    // The window's address and table, not the Mem (an Arc clone here was
    // two atomic operations per run, a tenth of a syscall's round trip).
    let (base, perms) = unsafe { ((*cpu).mem.base(), (*cpu).mem.perms_ptr()) };
    let prev = S.with(|s| s.cpu.replace(cpu));
    let prev_gs = set_gs(base as usize);
    let r = protect_window(base, perms, f).map_err(|l| {
        if l.off != NOTED {
            unsafe { &mut *cpu }.guest_fault(l.off, l.write);
        }
    });
    if prev_gs != 0 && prev_gs != base as usize {
        set_gs(prev_gs);
    }
    S.with(|s| s.cpu.set(prev));
    r
}

/// Make `base` (a guest window) this thread's gs base, if it is not
/// already: returns the one before (0: none yet). Guest code reaches its
/// memory gs-relative with the guest address in a 32-bit register
/// (`Cpu::host_load`, `Cpu::host_store`): one host instruction, where
/// the window's base loaded from the Cpu, the address zero-extended and
/// added to it cost three before every access (-4% to -7% of the host
/// instructions of the benchmark workloads). Nothing else on an x86-64 Linux host uses gs (glibc's
/// and Rust's thread-local storage are fs-relative); a thread keeps its
/// base until it runs another window (the library's machines side by
/// side), forks copy it, and the host's signal handlers run with it.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(super) fn set_gs(base: usize) -> usize {
    let prev = S.with(|s| s.gs.get());
    if prev != base {
        /// `ARCH_SET_GS` of the host's `arch_prctl(2)`.
        const ARCH_SET_GS: libc::c_int = 0x1001;
        // SAFETY: sets this thread's gs base, which nothing but guest
        // accesses use.
        let r = unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, base) };
        assert_eq!(r, 0, "arch_prctl(ARCH_SET_GS)");
        S.with(|s| s.gs.set(base));
    }
    prev
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn set_gs(_: usize) -> usize {
    0
}

/// Whether this thread's gs base is `base` (as [`set_gs`] set it).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(super) fn gs_is(base: usize) -> bool {
    S.with(|s| s.gs.get()) == base
}

/// Run `f`, which reads or writes guest memory that another thread may
/// unmap meanwhile (the kernel side after its permission check, the
/// translator): Err(the window offset of the fault) if the host refused
/// a page.
pub fn kernel<R, F: FnOnce() -> R>(mem: &crate::mem::Mem, f: F) -> Result<R, u64> {
    protect(mem, || {
        S.with(|s| s.running.set(Running::Kernel));
        let r = f();
        S.with(|s| s.running.set(Running::Nothing));
        r
    })
    .map_err(|l| l.off)
}

/// Copy `n` bytes from `src` to `dst` (`mem`'s memory on one side), as
/// Linux's copy_from_user and copy_to_user do: one `rep movsb`
/// (`emu_kcopy`) whose fault the host fault handler turns into a return
/// with the bytes left ([`kcopy_fixup`], an exception-table entry of
/// one), so a copy that goes well costs no more than the copy. Err if
/// the host refused a page (another thread unmapped or protected it
/// since the caller's check, or a file page lies past the end of its
/// file).
///
/// # Safety
/// Both ranges lie in host memory mapped for this process: the guest's
/// inside `mem`'s window (checked by the caller: a page unmapped since
/// faults), the other the caller's own.
pub unsafe fn copy(
    mem: &crate::mem::Mem,
    dst: *mut u8,
    src: *const u8,
    n: usize,
) -> Result<(), CopyFault> {
    ensure_handler();
    // SAFETY: the caller's contract; a fault ends the copy.
    let left = unsafe { kcopy(dst, src, n) };
    if left == 0 {
        return Ok(());
    }
    kcopy_failed(mem, S.with(|s| s.kfault.get()), n - left)
}

/// Where a kernel-side [`copy`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyFault {
    /// The window offset of the fault.
    pub off: u64,
    /// The bytes copied before it (the string copy may stop a little
    /// short of the faulting byte, as Linux's copy_user knows).
    pub done: usize,
}

/// The window offset of a kernel-side copy's fault at host address
/// `addr`, which must lie in `mem`'s window: a fault anywhere else is
/// emu's own bug, reported as [`crate::kernel::hostsig`] reports one.
#[cold]
#[inline(never)]
fn kcopy_failed(mem: &crate::mem::Mem, addr: usize, done: usize) -> Result<(), CopyFault> {
    match crate::mem::window_offset(mem.base() as usize, addr) {
        Some(off) => Err(CopyFault { off, done }),
        None => {
            eprintln!(
                "{} kernel-side copy at host address {addr:#x}, outside the guest window",
                crate::kernel::hostsig::INTERNAL_FAULT
            );
            std::process::abort()
        }
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".globl emu_kcopy",
    ".type emu_kcopy,@function",
    ".p2align 4",
    // rdi: dst, rsi: src, rdx: n. Returns the bytes not copied: 0, or
    // what was left when the copy faulted (emu_kcopy_fixup).
    //
    // `rep movsb` starts slowly where the CPU lacks fast short strings
    // (FSRM): on a Zen 1, 12 ns for 4 bytes and 34 ns for 64, against 4
    // and 10 for a loop of words. Under 256 bytes the copy is that loop
    // (8 bytes at a time, then 4, then one at a time):
    // a fault of a word goes on a byte at a time from the same place
    // (emu_kcopy_bytes), so the bytes left are exact as rep movsb's.
    "emu_kcopy:",
    ".cfi_startproc",
    "mov rcx, rdx",
    "cmp rcx, 256",
    "jae 5f",
    "cmp rcx, 8",
    "jb 3f",
    "2:",
    ".globl emu_kcopy_qload",
    "emu_kcopy_qload:",
    "mov rax, [rsi]",
    ".globl emu_kcopy_qstore",
    "emu_kcopy_qstore:",
    "mov [rdi], rax",
    "add rsi, 8",
    "add rdi, 8",
    "sub rcx, 8",
    "cmp rcx, 8",
    "jae 2b",
    "3:",
    "cmp rcx, 4",
    "jb 6f",
    ".globl emu_kcopy_dload",
    "emu_kcopy_dload:",
    "mov eax, [rsi]",
    ".globl emu_kcopy_dstore",
    "emu_kcopy_dstore:",
    "mov [rdi], eax",
    "add rsi, 4",
    "add rdi, 4",
    "sub rcx, 4",
    ".globl emu_kcopy_bytes",
    "emu_kcopy_bytes:",
    "6:",
    "test rcx, rcx",
    "jz 4f",
    ".globl emu_kcopy_bload",
    "emu_kcopy_bload:",
    "mov al, [rsi]",
    ".globl emu_kcopy_bstore",
    "emu_kcopy_bstore:",
    "mov [rdi], al",
    "inc rsi",
    "inc rdi",
    "dec rcx",
    "jmp 6b",
    "4:",
    "xor eax, eax",
    "ret",
    "5:",
    ".globl emu_kcopy_insn",
    "emu_kcopy_insn:",
    "rep movsb",
    ".globl emu_kcopy_fixup",
    "emu_kcopy_fixup:",
    "mov rax, rcx",
    "ret",
    ".cfi_endproc",
    ".size emu_kcopy, .-emu_kcopy",
);

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" {
    fn emu_kcopy(dst: *mut u8, src: *const u8, n: usize) -> usize;
    fn emu_kcopy_qload();
    fn emu_kcopy_qstore();
    fn emu_kcopy_dload();
    fn emu_kcopy_dstore();
    fn emu_kcopy_bytes();
    fn emu_kcopy_bload();
    fn emu_kcopy_bstore();
    fn emu_kcopy_insn();
    fn emu_kcopy_fixup();
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn kcopy(dst: *mut u8, src: *const u8, n: usize) -> usize {
    unsafe { emu_kcopy(dst, src, n) }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
unsafe fn kcopy(dst: *mut u8, src: *const u8, n: usize) -> usize {
    unsafe { std::ptr::copy(src, dst, n) };
    0
}

/// From the host fault handler (async-signal-safe): a SIGSEGV or SIGBUS
/// at host address `addr` raised by `emu_kcopy`'s copy is a kernel-side
/// copy's fault: it returns the bytes it had left, and the address is
/// kept for [`copy`]. True if so.
///
/// # Safety
/// From the host fault handler of this thread, with `uc` the context the
/// signal saved (or null).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub unsafe fn kcopy_fixup(addr: usize, uc: *mut libc::c_void) -> bool {
    if uc.is_null() {
        return false;
    }
    let uc = uc as *mut libc::ucontext_t;
    // SAFETY: the context of the fault this thread's handler serves.
    unsafe {
        let rip = &mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize];
        let at = *rip as usize;
        let is = |f: unsafe extern "C" fn()| at == f as *const () as usize;
        let to: unsafe extern "C" fn() = if is(emu_kcopy_qload)
            || is(emu_kcopy_qstore)
            || is(emu_kcopy_dload)
            || is(emu_kcopy_dstore)
        {
            // A word's fault: the bytes of the word before it copy.
            emu_kcopy_bytes
        } else if is(emu_kcopy_bload) || is(emu_kcopy_bstore) || is(emu_kcopy_insn) {
            emu_kcopy_fixup
        } else {
            return false;
        };
        S.with(|s| s.kfault.set(addr));
        *rip = to as *const () as usize as i64;
    }
    true
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub unsafe fn kcopy_fixup(_: usize, _: *mut libc::c_void) -> bool {
    false
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
        guest_chain(true);
        // SAFETY: `insts` ends with an end marker.
        unsafe { super::Handler::run(c, insts.as_ptr()) };
        guest_chain(false);
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
/// address `addr` while this thread runs a handler chain or a kernel-side
/// copy under [`protect`], in its guest window or the guard after it, is
/// the guest's (`write`: the host's error code said write). A guest store
/// to a page holding translated code is self-modifying code: the page
/// becomes writable, the running Cpu notes the code written (as
/// `Cpu::wr_slow` would) and the store is made again. Any other fault
/// moves the interrupted context `uc` to the landing. True if claimed.
///
/// # Safety
/// From the host fault handler of this thread, with `uc` the context the
/// signal saved (or null).
pub unsafe fn claim(addr: usize, write: bool, uc: *mut libc::c_void) -> bool {
    if uc.is_null() {
        return false;
    }
    S.with(|s| {
        let running = s.running.get();
        if running == Running::Nothing || s.sp.get() == 0 {
            return false;
        }
        let Some(off) = crate::mem::window_offset(s.base.get(), addr) else {
            return false;
        };
        let page = (off >> crate::mem::PAGE_SHIFT) as u32;
        let cpu = s.cpu.get();
        if write
            && running == Running::Guest
            && !cpu.is_null()
            && off < 1 << 32
            // SAFETY: the window and table of the running machine.
            && unsafe { crate::mem::unprotect_code(s.base.get() as *mut u8, s.perms.get(), page) }
        {
            // SAFETY: the Cpu of the guarded call this thread runs.
            unsafe { note_code_written(cpu, page) };
            return true;
        }
        s.fault.set(off);
        s.write.set(write);
        // SAFETY: the context of the fault this thread's handler serves.
        unsafe { land(uc, s.sp.get()) }
    })
}

/// The window offset of a landing whose exception is in the `Cpu`
/// already ([`land_exception`]).
const NOTED: u64 = u64::MAX;

/// From the host fault handler (async-signal-safe): end the guest
/// instruction running on this thread at once with `exc`, as a fault of
/// its access (the access does not complete), landing as [`claim`] does.
/// False (nothing done) when this thread runs no handler chain.
///
/// # Safety
/// `uc` is the context of the fault this thread's handler serves.
pub unsafe fn land_exception(exc: super::Exception, uc: *mut libc::c_void) -> bool {
    use std::ptr::addr_of_mut;
    if uc.is_null() {
        return false;
    }
    S.with(|s| {
        let cpu = s.cpu.get();
        if s.running.get() != Running::Guest || s.sp.get() == 0 || cpu.is_null() {
            return false;
        }
        // SAFETY: the Cpu of the guarded call this thread runs, which the
        // interrupted handler does not touch again.
        unsafe {
            addr_of_mut!((*cpu).exc).write_volatile(exc);
            addr_of_mut!((*cpu).exit).write_volatile(super::exit::EXC);
        }
        s.fault.set(NOTED);
        s.write.set(false);
        // SAFETY: the caller's contract.
        unsafe { land(uc, s.sp.get()) }
    })
}

/// `Cpu::exit` = SMC over `page` too (volatile: from outside the
/// interpreter's view; the handler that stored reads `exit` after it).
unsafe fn note_code_written(c: *mut Cpu, page: u32) {
    use std::ptr::{addr_of, addr_of_mut};
    unsafe {
        if addr_of!((*c).exit).read_volatile() != super::exit::SMC {
            addr_of_mut!((*c).smc_page).write_volatile(page);
            addr_of_mut!((*c).smc_last).write_volatile(page);
            addr_of_mut!((*c).exit).write_volatile(super::exit::SMC);
        } else {
            let first = addr_of!((*c).smc_page).read_volatile().min(page);
            let last = addr_of!((*c).smc_last).read_volatile().max(page);
            addr_of_mut!((*c).smc_page).write_volatile(first);
            addr_of_mut!((*c).smc_last).write_volatile(last);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::{Mem, P_EXEC, P_READ, P_WRITE};

    /// A copy from a page the host refuses ends with the fault's offset,
    /// and the thread goes on; a readable one copies.
    #[test]
    fn kernel_copies_survive_a_page_gone() {
        let m = Mem::new().unwrap();
        m.map_zero(0x10000, 0x2000, P_READ | P_WRITE);
        m.write_raw(0x10ffe, &[1, 2]);
        let mut buf = [0u8; 4];
        let src = m.host_range(0x10ffe, 4).unwrap();
        let copy = |d: *mut u8, n| unsafe { copy(&m, d, src, n) };
        assert_eq!(copy(buf.as_mut_ptr(), 4), Ok(()));
        assert_eq!(buf, [1, 2, 0, 0]);
        // Unmapped behind the copy's back (as by another thread).
        m.unmap(0x11000, 0x1000);
        let f = copy(buf.as_mut_ptr(), 4).unwrap_err();
        assert_eq!(f.off, 0x11000);
        assert_eq!(f.done, 2);
        assert_eq!(copy(buf.as_mut_ptr(), 2), Ok(()));
    }

    /// A copy that faults part of the way, reading or writing the guest,
    /// by words (short copies) or by `rep movsb` (long ones), says exactly
    /// how far it got, and copied that far.
    #[test]
    fn kernel_copies_stop_at_the_exact_byte() {
        let m = Mem::new().unwrap();
        m.map_zero(0x10000, 0x1000, P_READ | P_WRITE);
        let pattern: Vec<u8> = (0..600u32).map(|i| (i * 7 + 1) as u8).collect();
        for n in [1usize, 4, 8, 13, 64, 255, 256, 300, 600] {
            for k in [0usize, 1, 5, 8, 17, 200].into_iter().filter(|&k| k < n) {
                let at = 0x11000 - k as u32;
                // From the guest into a host buffer.
                m.write_raw(at, &pattern[..k]);
                let mut buf = vec![0u8; n];
                let src = m.host_range(at, k.max(1)).unwrap();
                let f = unsafe { copy(&m, buf.as_mut_ptr(), src, n) }.unwrap_err();
                assert_eq!((f.off, f.done), (0x11000, k), "read n={n} k={k}");
                assert_eq!(&buf[..k], &pattern[..k]);
                // From a host buffer into the guest.
                m.write_raw(at, &vec![0; k]);
                let dst = m.host_range(at, k.max(1)).unwrap() as *mut u8;
                let f = unsafe { copy(&m, dst, pattern.as_ptr(), n) }.unwrap_err();
                assert_eq!((f.off, f.done), (0x11000, k), "write n={n} k={k}");
                let mut back = vec![0u8; k];
                assert!(m.read_bytes(at, &mut back).is_ok());
                assert_eq!(back, pattern[..k]);
            }
        }
    }

    /// With two windows in the process (the library's machines side by
    /// side), a fault in the older one is still the guest's.
    #[test]
    fn faults_land_in_any_window() {
        let m1 = Mem::new().unwrap();
        let _m2 = Mem::new().unwrap();
        let mut buf = [0u8; 4];
        let src = m1.host_range(0x30000, 4).unwrap();
        let f = unsafe { copy(&m1, buf.as_mut_ptr(), src, 4) }.unwrap_err();
        assert_eq!((f.off, f.done), (0x30000, 0));
    }

    /// Code whose page the host refuses while the table still says
    /// fetchable (another thread's munmap racing the translation) gives a
    /// fetch fault, not a host crash.
    #[test]
    fn translation_survives_a_page_gone() {
        let m = Mem::new().unwrap();
        m.map_zero(0x20000, 0x1000, P_READ | P_EXEC);
        m.write_raw(0x20000, &[0x90, 0x90, 0xc3]);
        let mut out = Vec::new();
        let hdr = super::super::decode::translate_racing(&m, 0x20000, &mut out);
        assert_eq!(hdr.count, 3);
        // The host protection changes, the page table not yet.
        let h = m.host_range(0x20000, 0x1000).unwrap();
        unsafe { libc::mprotect(h as *mut libc::c_void, 0x1000, libc::PROT_NONE) };
        let hdr = super::super::decode::translate_racing(&m, 0x20000, &mut out);
        assert_eq!(hdr.count, 1);
        assert_eq!(out[0].len, 0, "a fetch fault");
        m.sync_host(0x20000, 0x1000);
    }
}
