//! The i386 CPU: registers, lazy flags, predecoded blocks and the run loop.

pub mod cache;
pub mod decode;
pub mod exec;
pub mod flags;
pub mod fuse;
pub mod guard;
pub mod live;
pub mod run;
pub mod tcache;

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};
use std::sync::Arc;

use crate::mem::{Mem, PageFault, PAGE_SHIFT, P_CODE, P_PRESENT, P_READ, P_WRITE};
pub use flags::Flags;

pub const EAX: usize = 0;
pub const ECX: usize = 1;
pub const EDX: usize = 2;
pub const EBX: usize = 3;
pub const ESP: usize = 4;
pub const EBP: usize = 5;
pub const ESI: usize = 6;
pub const EDI: usize = 7;
/// Pseudo register that always reads 0: "no base" / "no index".
pub const NOREG: u8 = 8;

/// Entries of [`Cpu::regs`]: one per value of a register byte.
pub const REG_SLOTS: usize = 256;

/// Segment register numbers, in hardware encoding order.
pub const ES: usize = 0;
pub const CS: usize = 1;
pub const SS: usize = 2;
pub const DS: usize = 3;
pub const FS: usize = 4;
pub const GS: usize = 5;

/// What made the CPU leave the block loop (`Cpu::exit`).
/// The `Cpu::irq` bit the host fault handler raises when a guest access
/// hit a file page past the end of its file (another process truncated
/// it): see kernel/hostsig.rs `guest_bus`. Defined here because block
/// translation looks at it (`BlockCache::get_slow`).
pub const IRQ_HOST_BUS: u32 = 8;

pub mod exit {
    pub const NONE: u8 = 0;
    /// An exception; details in `Cpu::exc`. `eip` is the faulting instruction.
    pub const EXC: u8 = 1;
    /// A write hit a page holding cached code; `eip` is set to the next instruction.
    pub const SMC: u8 = 2;
    /// The last exit an instruction inside a block may take. The ones
    /// after come only from terminators (int, sysenter, icebp), which set
    /// `eip` themselves and end their block: the chain's counts stand.
    pub const LAST_MIDBLOCK: u8 = SMC;
    /// `int n` / `int3` / `into` (trap-like); `eip` is after the instruction.
    pub const INT: u8 = 3;
    /// `sysenter`; `eip` is after the instruction.
    pub const SYSENTER: u8 = 4;
    /// A trap-type exception (`int1`/icebp): delivered like an exception,
    /// without the gate DPL check; `eip` is after the instruction.
    pub const TRAP: u8 = 5;
}

/// Addressing forms a memory handler is specialised for at translation
/// time (its `AM` parameter).
pub mod am {
    /// Any form: base + index * scale + displacement, 32- or 16-bit.
    pub const ANY: u8 = 0;
    /// Base (or none) + displacement with 32-bit addressing: no index.
    pub const BD: u8 = 1;
    /// Base (or none) + index * scale + displacement with 32-bit
    /// addressing: no test for 16-bit wrapping (which cost `ANY` four host
    /// instructions an access).
    pub const SIB: u8 = 2;

    /// The form of `i`'s memory operand (its memory fields set). `BD` and
    /// `SIB` are also only for es, ss and ds, whose checks one byte of the
    /// Cpu says are all off (`Cpu::dse_slow`), so their handlers do not
    /// look at the instruction's segment; fs, gs and cs take `ANY`.
    #[inline]
    pub fn of(i: &super::Inst) -> u8 {
        if i.a16 & 1 != 0 || (1u8 << (i.seg & 7)) & super::DSE == 0 {
            ANY
        } else if i.index == super::NOREG {
            BD
        } else {
            SIB
        }
    }
}

/// CPU exception vectors.
pub mod vec {
    pub const DE: u8 = 0;
    pub const DB: u8 = 1;
    pub const BP: u8 = 3;
    pub const OF: u8 = 4;
    pub const BR: u8 = 5;
    pub const UD: u8 = 6;
    pub const NM: u8 = 7;
    pub const TS: u8 = 10;
    pub const NP: u8 = 11;
    pub const SS: u8 = 12;
    pub const GP: u8 = 13;
    pub const PF: u8 = 14;
    pub const MF: u8 = 16;
    pub const AC: u8 = 17;
    pub const XM: u8 = 19;
}

/// A pending exception or software interrupt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exception {
    pub vector: u8,
    pub error_code: Option<u32>,
    /// Faulting linear address for #PF (cr2). For #DB: its DR6 ([`DR6_BS`]
    /// for a single step, 0 for icebp). For a software interrupt
    /// (`exit::INT`): the length of the instruction, which a fault while
    /// delivering it reports as the faulting one.
    pub cr2: u32,
}

/// The semantics of one predecoded instruction (a family handler such as
/// `alu::rr::<ADD, 2>`): pure plumbing around the family's pure functions.
pub type Sem = fn(&mut Cpu, &Inst);

/// A threaded handler: runs one instruction's semantics, then jumps
/// straight to the next instruction's handler (a tail call, so no guest
/// instruction returns to a central loop and every handler has its own
/// indirect jump, which the host's branch predictor learns separately).
/// The chain ends at the block's end marker, which returns; a fault or any
/// other exit returns at once, leaving the raising instruction in
/// `Cpu::exit_at`. Built only by [`th`], so no handler can forget to chain.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Handler(unsafe fn(&mut Cpu, *const Inst));

impl Handler {
    /// Run the chain starting at `i`, which must point into a block
    /// (instructions followed by an end marker).
    ///
    /// # Safety
    /// `i` points to a live instruction of a block that ends with a marker.
    #[inline(always)]
    pub unsafe fn run(cpu: &mut Cpu, i: *const Inst) {
        unsafe { ((*i).h.0)(cpu, i) }
    }

    /// `f` as a handler, as it is: `f` itself returns (block end markers)
    /// or chains (`fuse::th2`'s pairs).
    pub const fn raw(f: unsafe fn(&mut Cpu, *const Inst)) -> Handler {
        Handler(f)
    }

    /// The function address (tests and debugging).
    pub fn addr(self) -> usize {
        self.0 as usize
    }
}

/// How a threaded handler wraps its semantics ([`th`], [`th_load`],
/// [`th_safe`]).
pub mod wrap {
    /// Never leaves the block early: neither notes itself nor tests `exit`.
    pub const SAFE: u8 = 0;
    /// Only a host fault of its reads can end it, which lands outside the
    /// chain (`guard`): notes itself in `exit_at`, tests nothing.
    pub const LOAD: u8 = 1;
    /// May leave the block (a store's self-modifying code, an exception it
    /// raises, a system call): notes itself and tests `exit` after.
    pub const CHECKED: u8 = 2;

    /// Whether a handler of wrapping `w` tests `exit` after it: a load
    /// does where no host fault lands (hosts without `guard`).
    #[inline(always)]
    pub const fn tests(w: u8) -> bool {
        w == CHECKED || (w == LOAD && !super::guard::ACTIVE)
    }

    /// Run the semantics `F` on instruction `i` as wrapping `W` wraps
    /// them: true if the instruction left the block (the chain returns).
    ///
    /// # Safety
    /// `F` is zero-sized (its value is conjured from nothing) and `i`
    /// points to an instruction of a live block.
    #[inline(always)]
    pub unsafe fn run<F: Fn(&mut super::Cpu, &super::Inst) + Copy, const W: u8>(
        c: &mut super::Cpu,
        i: *const super::Inst,
    ) -> bool {
        // SAFETY: the caller's contract.
        let f: F = unsafe { std::mem::zeroed() };
        if W != SAFE {
            // The instruction that leaves, if it does: set before it
            // runs, for a host fault in it (see `guard`) as for any
            // other exit.
            c.exit_at = i;
        }
        f(c, unsafe { &*i });
        tests(W) && c.exit != super::exit::NONE
    }
}

/// The threaded handler of the semantics `f`: `f` inlined, then the jump to
/// the next instruction. `F` must be a function item (or a closure that
/// captures nothing), a zero-sized type: each gets its own copy of the
/// dispatch code.
#[inline(always)]
pub fn th<F: Fn(&mut Cpu, &Inst) + Copy>(f: F) -> Handler {
    const { assert!(std::mem::size_of::<F>() == 0) };
    let _ = f;
    Handler(threaded::<F, { wrap::CHECKED }>)
}

/// [`th`] for semantics that never leave the block early (register-only
/// ALU ops, moves, jumps): the test of `exit` after it is left out.
#[inline(always)]
pub fn th_safe<F: Fn(&mut Cpu, &Inst) + Copy>(f: F) -> Handler {
    const { assert!(std::mem::size_of::<F>() == 0) };
    let _ = f;
    Handler(threaded::<F, { wrap::SAFE }>)
}

/// [`th`] for semantics whose only way out is a fault of their memory
/// reads (loads into registers, compares with memory, pops, ret): with
/// `guard`, such a fault lands outside the chain, segment-limit and
/// alignment faults included (`Cpu::checked` gives an address that
/// faults), so nothing tests `exit` after them. They read no memory
/// after a write of their own, and raise nothing themselves.
#[inline(always)]
pub fn th_load<F: Fn(&mut Cpu, &Inst) + Copy>(f: F) -> Handler {
    const { assert!(std::mem::size_of::<F>() == 0) };
    let _ = f;
    Handler(threaded::<F, { wrap::LOAD }>)
}

/// See [`th`]. `i` keeps the provenance of the whole block, so stepping to
/// the next instruction stays inside the allocation.
unsafe fn threaded<F: Fn(&mut Cpu, &Inst) + Copy, const W: u8>(c: &mut Cpu, i: *const Inst) {
    // SAFETY: F is zero-sized (asserted in `th`, the only way to name this
    // function); `i` is an instruction of a block.
    if unsafe { wrap::run::<F, W>(c, i) } {
        return;
    }
    // SAFETY: every block ends with a marker, so the next instruction exists.
    unsafe {
        let n = i.add(1);
        ((*n).h.0)(c, n)
    }
}

/// A thread's interrupt line: the request bits (what it derefs to) and
/// the word its block transitions key their links with (the block cache's
/// epoch, see `cache::chain_on`). Another thread that wrote code this one
/// may have translated sets [`IrqLine::STALE`] there, before it raises the
/// request: from then on no link matches, and the chain returns to the run
/// loop at its next block boundary, which serves the request and drops the
/// code, instead of at the end of its span (a thread that saw the writer's
/// later stores never runs the old code through a link).
#[derive(Debug, Default)]
pub struct IrqLine {
    bits: AtomicU32,
    pub code: std::sync::atomic::AtomicU64,
}

impl IrqLine {
    /// The bit of [`IrqLine::code`] that makes every link stale (above
    /// any epoch: `cache` keeps them below 2^31).
    pub const STALE: u64 = 1 << 63;

    /// Translated code of this thread is stale (see [`IrqLine`]).
    pub fn code_written(&self) {
        self.code
            .fetch_or(Self::STALE, std::sync::atomic::Ordering::SeqCst);
    }

    /// The thread serves the request for stale code: links are current
    /// again once it has dropped the code.
    pub fn code_served(&self) {
        self.code
            .fetch_and(!Self::STALE, std::sync::atomic::Ordering::SeqCst);
    }
}

impl std::ops::Deref for IrqLine {
    type Target = AtomicU32;
    fn deref(&self) -> &AtomicU32 {
        &self.bits
    }
}

/// One predecoded instruction: a handler plus pre-resolved operands.
/// Register fields use hardware numbering; 8-bit registers are encoded as
/// `index | (high << 3)` (AH = 0 | 8), see [`Cpu::r8`].
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Inst {
    pub h: Handler,
    /// Address of this instruction.
    pub eip: u32,
    pub len: u8,
    /// modrm.reg operand, or the destination register.
    pub r: u8,
    /// modrm.rm register when the operand is a register.
    pub rm: u8,
    /// Memory operand: base and index registers (NOREG = none), scale shift.
    pub base: u8,
    pub index: u8,
    pub scale: u8,
    /// Segment register of the memory operand (bits 0-2), and
    /// [`SEG_W`] when the instruction writes that operand.
    pub seg: u8,
    /// Address-size mask selector: 0 = 32-bit, 1 = 16-bit addressing.
    pub a16: u8,
    pub disp: u32,
    pub imm: u32,
    /// Second immediate, or a branch target.
    pub imm2: u32,
}

const _: () = assert!(std::mem::size_of::<Inst>() == 32);

impl Inst {
    #[inline(always)]
    pub fn next(&self) -> u32 {
        self.eip.wrapping_add(self.len as u32)
    }

    /// Of an end marker: the block it ends (null: none, such as a copy
    /// that ends a single instruction), in `disp` and `imm`.
    #[inline(always)]
    pub fn marker_block(&self) -> cache::BlockPtr {
        (self.disp as usize | ((self.imm as u64) << 32) as usize) as cache::BlockPtr
    }

    /// Set what [`Inst::marker_block`] gives.
    pub fn set_marker_block(&mut self, b: cache::BlockPtr) {
        let a = b as usize as u64;
        self.disp = a as u32;
        self.imm = (a >> 32) as u32;
    }
}

/// Call `f(a, b, c, d)` so that every register but the result is kept
/// (`emu_call_preserving` saves what the C ABI lets `f` change), for the
/// cold paths in the middle of a handler that then goes on (a segment's
/// checks, a store that must check itself). A plain call there made the
/// compiler save callee-saved registers at every such handler's entry,
/// on the fast path too: three pushes and three pops per guest
/// instruction for most memory handlers. To the compiler this call
/// clobbers nothing, so the handlers need no frame. It is made below the
/// red zone, which a handler may use.
///
/// # Safety
/// `f` may be called with these arguments.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[inline(always)]
unsafe fn call_preserving(
    f: extern "C" fn(usize, usize, usize, usize) -> u64,
    a: usize,
    b: usize,
    c: usize,
    d: usize,
) -> u64 {
    let r: u64;
    // SAFETY: the stub keeps every register but rax and leaves the stack
    // as it was (it moves below the red zone first); what `f` reads and
    // writes is the caller's contract.
    unsafe {
        std::arch::asm!(
            "lea rsp, [rsp - 128]",
            "call {stub}",
            "lea rsp, [rsp + 128]",
            stub = sym emu_call_preserving,
            inout("rax") f => r,
            in("rdi") a,
            in("rsi") b,
            in("rdx") c,
            in("rcx") d,
            options(nostack),
        );
    }
    r
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
extern "C" {
    fn emu_call_preserving();
}

// rax: the function; rdi, rsi, rdx, rcx: its arguments; rax: its result.
// Every other register the C ABI lets a callee change (rcx, rdx, rsi, rdi,
// r8-r11, xmm0-15) is saved around the call; the stack is realigned.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".globl emu_call_preserving",
    ".type emu_call_preserving,@function",
    ".p2align 4",
    "emu_call_preserving:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbp, 0",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "push rcx",
    "push rdx",
    "push rsi",
    "push rdi",
    "push r8",
    "push r9",
    "push r10",
    "push r11",
    "and rsp, -16",
    "sub rsp, 256",
    "movdqu [rsp], xmm0",
    "movdqu [rsp + 16], xmm1",
    "movdqu [rsp + 32], xmm2",
    "movdqu [rsp + 48], xmm3",
    "movdqu [rsp + 64], xmm4",
    "movdqu [rsp + 80], xmm5",
    "movdqu [rsp + 96], xmm6",
    "movdqu [rsp + 112], xmm7",
    "movdqu [rsp + 128], xmm8",
    "movdqu [rsp + 144], xmm9",
    "movdqu [rsp + 160], xmm10",
    "movdqu [rsp + 176], xmm11",
    "movdqu [rsp + 192], xmm12",
    "movdqu [rsp + 208], xmm13",
    "movdqu [rsp + 224], xmm14",
    "movdqu [rsp + 240], xmm15",
    "call rax",
    "movdqu xmm0, [rsp]",
    "movdqu xmm1, [rsp + 16]",
    "movdqu xmm2, [rsp + 32]",
    "movdqu xmm3, [rsp + 48]",
    "movdqu xmm4, [rsp + 64]",
    "movdqu xmm5, [rsp + 80]",
    "movdqu xmm6, [rsp + 96]",
    "movdqu xmm7, [rsp + 112]",
    "movdqu xmm8, [rsp + 128]",
    "movdqu xmm9, [rsp + 144]",
    "movdqu xmm10, [rsp + 160]",
    "movdqu xmm11, [rsp + 176]",
    "movdqu xmm12, [rsp + 192]",
    "movdqu xmm13, [rsp + 208]",
    "movdqu xmm14, [rsp + 224]",
    "movdqu xmm15, [rsp + 240]",
    "lea rsp, [rbp - 64]",
    "pop r11",
    "pop r10",
    "pop r9",
    "pop r8",
    "pop rdi",
    "pop rsi",
    "pop rdx",
    "pop rcx",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
    ".size emu_call_preserving, .-emu_call_preserving",
);

/// [`Cpu::checked`] through [`call_preserving`].
#[inline(always)]
fn checked_preserving(c: &Cpu, s: usize, off: u32, size: u32) -> u32 {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        extern "C" fn f(c: usize, s: usize, off: usize, size: usize) -> u64 {
            // SAFETY: the Cpu `checked_preserving` passes, alive and
            // not borrowed mutably during the call.
            unsafe { (*(c as *const Cpu)).checked(s, off as u32, size as u32) as u64 }
        }
        // SAFETY: `f` takes these arguments.
        unsafe {
            call_preserving(f, c as *const Cpu as usize, s, off as usize, size as usize) as u32
        }
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    c.checked(s, off, size)
}

/// The memory operand's size in bytes, as the decoder recorded it in the
/// upper bits of `a16` (0: unknown, treated as 1; 127: 512, fxsave).
#[inline(always)]
fn mem_size(i: &Inst) -> u32 {
    match i.a16 >> 1 {
        127 => 512,
        n => n as u32,
    }
}

/// Encode `size` for `Inst::a16`'s upper bits (see `mem_size`).
pub fn mem_size_code(size: usize) -> u8 {
    if size > 126 {
        127
    } else {
        size as u8
    }
}

/// DR6's single-step bit (BS), which a single-step #DB carries in
/// `Exception::cr2` (icebp's #DB carries 0).
pub const DR6_BS: u32 = 1 << 14;

/// In a segment number given to [`Cpu::lin`] (and in `Inst::seg`): the
/// access writes, so a read-only or code segment refuses it.
pub const SEG_W: usize = 8;
/// es, ss and ds as a mask of segment numbers: the segments Linux keeps
/// flat, which `am::BD` and `am::SIB` handlers test together.
pub const DSE: u8 = 1 << ES | 1 << SS | 1 << DS;

/// Where an access that broke a segment limit goes: a page no guest
/// mapping can reach (above TASK_SIZE), with room for any access size.
pub const LIMIT_POISON: u32 = 0xffff_f000;

/// Segment register state: selector and the descriptor base/limit cached
/// from the GDT/LDT when it was loaded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seg {
    pub sel: u16,
    pub base: u32,
    pub limit: u32,
    /// Access byte of the cached descriptor (type, S, DPL, P).
    pub attr: u8,
    /// The descriptor's D/B bit (an expand-down segment's upper bound is
    /// 0xffffffff with it, 0xffff without).
    pub big: bool,
}

impl Seg {
    pub fn dpl(&self) -> u8 {
        (self.attr >> 5) & 3
    }
    /// A conforming code segment.
    pub fn conforming_code(&self) -> bool {
        self.attr & 0x1c == 0x1c
    }
}

pub struct Cpu {
    /// General registers (0..8); the rest are always 0, so "no base" and
    /// "no index" (NOREG) read 0. 256 of them, so that an instruction's
    /// register byte indexes them as it is: no mask, no bounds check (a
    /// mask was 5% of the host instructions busybox awk ran).
    pub regs: [u32; REG_SLOTS],
    pub eip: u32,
    pub flags: Flags,
    /// Segment bases, indexed ES..GS: 0 for every segment whose
    /// `lim_mask` bit is clear (see [`Cpu::lin_sized`]).
    pub seg_base: [u32; 8],
    /// Segments whose accesses take the checked path (bit n for segment
    /// n): `seg_slow`, or every segment while alignment checking is on
    /// (EFLAGS.AC at CPL 3). Zero for the flat segments Linux gives and
    /// AC clear, so `ea` pays one test.
    /// Bits 8..15 repeat bits 0..7, so that a segment number with
    /// [`SEG_W`] tests the same bit, unmasked.
    pub lim_mask: u32,
    /// Segments that need a check of their own: a null selector, a limit
    /// below 4 GiB, an expand-down segment, one that refuses reads or
    /// writes (code segments, so always CS; read-only data), or one with a
    /// base (gs for TLS: an offset crossing 4 GiB is #GP there, though the
    /// linear address wraps legally).
    pub seg_slow: u8,
    /// Of `lim_mask`, the segments whose only check is that last one (a
    /// writable data segment with a base and the 4 GiB limit, AC clear):
    /// `lin` checks them inline and leaves only offsets near 4 GiB to the
    /// checked path.
    pub lim_based: u8,
    /// The segments whose only check is the offset limit (see
    /// `lim_based`, which is this while AC is clear).
    pub based_only: u8,
    /// `lim_mask`'s bits of es, ss and ds ([`DSE`]): zero when none of the
    /// three needs a check, which the `am::BD` and `am::SIB` forms test.
    pub dse_slow: u8,
    /// A limit violation found by `ea`/`lin` (its vector: #GP or #SS),
    /// raised when the access to the poison address faults.
    pub lim_fault: std::cell::Cell<u8>,
    pub segs: [Seg; 6],
    /// `sys.desc_gen` when each segment register was last loaded.
    pub seg_gen: [u64; 6],
    /// Non-zero when the block loop must stop; see [`exit`].
    pub exit: u8,
    pub exc: Exception,
    /// Page written while holding cached code (valid when exit == SMC).
    pub smc_page: u32,
    /// Last page of the range written while holding cached code (a write
    /// may span two code pages; everything in smc_page..=smc_last is dropped).
    pub smc_last: u32,
    /// The instruction that set `exit` (see [`Handler`]).
    pub exit_at: *const Inst,
    /// Retired instruction count.
    pub icount: u64,
    /// Where blocks go on into their successors (see [`cache::Chaining`]).
    pub chain: cache::Chaining,
    /// This thread needs stores that check themselves instead of the
    /// host's check (see `guard`): the guest blocks or ignores SIGSEGV
    /// (the host would then not call emu's handler for a store to
    /// translated code) or its memory tracks writes (a vfork child).
    /// Counted in `mem::writes_soft`, which the stores test; kept by the
    /// kernel side before each run ([`Cpu::set_soft_writes`]).
    pub soft_writes: bool,
    membase: *mut u8,
    perms: *const AtomicU8,
    pub mem: Arc<Mem>,
    /// Interrupt request: non-zero when another thread wants this one to
    /// stop at the next block boundary (see `kernel::task::irq`), and the
    /// word block transitions key their links with ([`IrqLine`]).
    pub irq: Arc<IrqLine>,
    /// x87/MMX state.
    pub fpu: exec::x87::Fpu,
    /// SSE state.
    pub sse: exec::sse::Sse,
    /// Privilege level, descriptor tables, MSRs and kernel memory.
    pub sys: crate::arch::System,
}

unsafe impl Send for Cpu {}

impl Cpu {
    pub fn new(mem: Arc<Mem>) -> Cpu {
        let mut c = Cpu {
            regs: [0; REG_SLOTS],
            eip: 0,
            flags: Flags::default(),
            seg_base: [0; 8],
            lim_mask: 0,
            seg_slow: 0,
            lim_based: 0,
            based_only: 0,
            dse_slow: 0,
            lim_fault: std::cell::Cell::new(0),
            segs: [Seg::default(); 6],
            seg_gen: [0; 6],
            exit: exit::NONE,
            exc: Exception::default(),
            smc_page: 0,
            smc_last: 0,
            exit_at: std::ptr::null(),
            icount: 0,
            chain: Default::default(),
            soft_writes: false,
            membase: mem.base(),
            perms: mem.perms_ptr(),
            mem,
            irq: Arc::default(),
            fpu: Default::default(),
            sse: Default::default(),
            sys: crate::arch::System::new(),
        };
        let user_data = Seg {
            sel: 0x2b,
            base: 0,
            limit: 0xffff_ffff,
            attr: 0xf3,
            big: true,
        };
        c.segs = [
            user_data,
            Seg {
                sel: 0x23,
                attr: 0xfb,
                ..user_data
            },
            user_data,
            user_data,
            Seg::default(),
            Seg::default(),
        ];
        c.refresh_limits();
        c
    }

    /// A copy of this CPU for a new thread sharing the same memory
    /// (clone with CLONE_VM): every register, the FPU/SSE state and the
    /// system state (descriptor tables with the TLS entries, the kernel
    /// stack holding the current `pt_regs`), with its own interrupt line.
    pub fn clone_for_thread(&self) -> Cpu {
        Cpu {
            regs: self.regs,
            eip: self.eip,
            flags: self.flags,
            seg_base: self.seg_base,
            lim_mask: self.lim_mask,
            seg_slow: self.seg_slow,
            lim_based: self.lim_based,
            based_only: self.based_only,
            dse_slow: self.dse_slow,
            lim_fault: std::cell::Cell::new(0),
            segs: self.segs,
            seg_gen: self.seg_gen,
            exit: exit::NONE,
            exc: Exception::default(),
            smc_page: 0,
            smc_last: 0,
            exit_at: std::ptr::null(),
            icount: 0,
            chain: Default::default(),
            soft_writes: false,
            membase: self.membase,
            perms: self.perms,
            mem: self.mem.clone(),
            irq: Arc::default(),
            fpu: self.fpu.clone(),
            sse: self.sse.clone(),
            sys: self.sys.clone(),
        }
    }

    /// Execute the one instruction `i` on its own (its semantics, without
    /// chaining to anything after it). Exits are left in `exit` as the
    /// run loop would see them; eip is not advanced.
    pub fn exec_one(&mut self, i: &Inst) {
        let one = [*i, decode::end_marker()];
        guard::run_insts(self, &one);
    }

    /// A CPU over fresh memory with [0x10000, 0x20000) mapped read-write
    /// and esp at 0x18000 (unit tests).
    #[cfg(test)]
    pub fn for_tests() -> Cpu {
        let m = Mem::new().unwrap();
        m.map_zero(0x10000, 0x10000, P_READ | P_WRITE);
        let mut c = Cpu::new(Arc::new(m));
        c.regs[ESP] = 0x18000;
        c
    }

    // ---- registers ----

    #[inline(always)]
    pub fn r8(&self, r: u8) -> u32 {
        (self.regs[(r & 7) as usize] >> ((r >> 3) * 8)) & 0xff
    }

    #[inline(always)]
    pub fn set_r8(&mut self, r: u8, v: u32) {
        let sh = (r >> 3) * 8;
        let x = &mut self.regs[(r & 7) as usize];
        *x = (*x & !(0xff << sh)) | ((v & 0xff) << sh);
    }

    #[inline(always)]
    pub fn r16(&self, r: u8) -> u32 {
        self.regs[r as usize] & 0xffff
    }

    #[inline(always)]
    pub fn set_r16(&mut self, r: u8, v: u32) {
        let x = &mut self.regs[r as usize];
        *x = (*x & 0xffff_0000) | (v & 0xffff);
    }

    /// Read a register of size `sz` (0 = 8, 1 = 16, 2 = 32 bits).
    #[inline(always)]
    pub fn reg(&self, sz: u8, r: u8) -> u32 {
        match sz {
            0 => self.r8(r),
            1 => self.r16(r),
            _ => self.regs[r as usize],
        }
    }

    #[inline(always)]
    pub fn set_reg(&mut self, sz: u8, r: u8, v: u32) {
        match sz {
            0 => self.set_r8(r, v),
            1 => self.set_r16(r, v),
            _ => self.regs[r as usize] = v,
        }
    }

    /// Offset (effective address before the segment base) of the
    /// instruction's memory operand, wrapped to 16 bits for 0x67 addressing.
    #[inline(always)]
    pub fn offset(&self, i: &Inst) -> u32 {
        let off = self.offset_am::<{ am::SIB }>(i);
        if i.a16 & 1 != 0 {
            off & 0xffff
        } else {
            off
        }
    }

    /// Linear address of the instruction's memory operand.
    #[inline(always)]
    pub fn ea(&self, i: &Inst) -> u32 {
        self.ea_am::<{ am::ANY }>(i)
    }

    /// Linear address of the memory operand of an instruction decoded in
    /// addressing form `AM` (see [`am`]).
    #[inline(always)]
    pub fn ea_am<const AM: u8>(&self, i: &Inst) -> u32 {
        let off = self.offset_am::<AM>(i);
        if AM != am::ANY {
            // es, ss or ds (see `am::of`): one test of a byte for the
            // three, without the instruction's segment byte (two host
            // instructions an access fewer than `lin_sized`'s test).
            if self.dse_slow != 0 {
                std::hint::cold_path();
                return self.lin_sized(i.seg as usize, off, || mem_size(i));
            }
            debug_assert!(self.seg_unchecked(i.seg as usize));
            return off;
        }
        self.lin_sized(i.seg as usize, off, || mem_size(i))
    }

    /// Offset of the memory operand in addressing form `AM`: `am::BD`
    /// skips the index, the scale and 16-bit wrapping, `am::SIB` the
    /// wrapping, which those forms do not have.
    #[inline(always)]
    pub fn offset_am<const AM: u8>(&self, i: &Inst) -> u32 {
        match AM {
            am::BD => self.regs[i.base as usize].wrapping_add(i.disp),
            am::SIB => self.regs[i.base as usize]
                .wrapping_add(self.regs[i.index as usize].wrapping_shl(i.scale as u32))
                .wrapping_add(i.disp),
            _ => self.offset(i),
        }
    }

    /// Linear address of `size` bytes at `off` in segment `s & 7`, for the
    /// implicit operands (string instructions) that do not go through `ea`;
    /// `s` carries [`SEG_W`] for a write.
    #[inline(always)]
    pub fn lin(&self, s: usize, off: u32, size: u32) -> u32 {
        self.lin_sized(s, off, || size)
    }

    /// [`Cpu::lin`] with the size computed only where it is needed: a
    /// based segment whose only check is the offset limit of 4 GiB (gs
    /// with a TLS base) is done here unless the access crosses it,
    /// arithmetic that needs no frame. i386 TLS lives below the thread
    /// pointer, so `%gs:-4` (offset 0xffff_fffc) and its neighbours are
    /// the common case, not an edge (busybox awk summing 1 MiB makes
    /// 900,000 such accesses; through the out-of-line call they were 4% of
    /// its host instructions). The rest go to [`Cpu::checked`], out of
    /// line, so the flat segments' path in every memory handler stays one
    /// test. The empty `asm!` keeps the size's loads (an instruction's
    /// `a16`) and the segment's bit on the segment's path: without it the
    /// compiler hoisted them into every memory handler's flat path.
    #[inline(always)]
    pub fn lin_sized(&self, s: usize, off: u32, size: impl FnOnce() -> u32) -> u32 {
        if !self.seg_unchecked(s) {
            std::hint::cold_path();
            let mut seg = s & 7;
            // SAFETY: an empty instruction sequence.
            unsafe {
                std::arch::asm!("/* {0} */", inout(reg) seg, options(nostack, preserves_flags))
            };
            // Masked again after the asm, so the index is known in bounds:
            // a bounds check's panic call would give every memory handler
            // a stack frame (a push and a pop on its fast path too).
            let seg = seg & 7;
            let size = size();
            if (self.lim_based >> seg) & 1 == 0 || off.checked_add(size.max(1) - 1).is_none() {
                return checked_preserving(self, s, off, size);
            }
            return off.wrapping_add(self.seg_base[seg]);
        }
        // Every segment with a base has its `lim_mask` bit (see
        // `refresh_limit`): here the base is 0.
        debug_assert_eq!(self.seg_base[s & 7], 0);
        off
    }

    /// Whether an access to segment `s & 7` (with [`SEG_W`] for a write)
    /// needs no segment check: a flat segment, alignment checks off (see
    /// `lim_mask`). Its address is the offset.
    #[inline(always)]
    pub fn seg_unchecked(&self, s: usize) -> bool {
        self.lim_mask.wrapping_shr(s as u32) & 1 == 0
    }

    /// The segment checks of an access to segment `s & 7` (SDM vol. 3 5.3,
    /// 5.4 and 6.15 #AC): the linear address when [off, off+size) is inside
    /// the segment, the segment's type allows the access (no writes to code
    /// or read-only data, no reads of execute-only code) and, with EFLAGS.AC
    /// set, the address is aligned. Otherwise the fault (#SS for a stack
    /// segment's limit, #GP(0) else, and always #GP(0) through a null
    /// selector; #AC(0) for misalignment) is noted and an address that
    /// always page-faults is returned, so the access itself raises it.
    #[cold]
    #[inline(never)]
    fn checked(&self, s: usize, off: u32, size: u32) -> u32 {
        let write = s & SEG_W != 0;
        let s = s & 7;
        let g = &self.segs[s.min(5)];
        let last = off as u64 + size.max(1) as u64 - 1;
        let in_limit = if g.sel & !3 == 0 && s != CS {
            false
        } else if g.attr & 0x1c == 0x14 {
            // Expand-down data: valid offsets are (limit, upper].
            let upper = if g.big { 0xffff_ffffu64 } else { 0xffff };
            off as u64 > g.limit as u64 && last <= upper
        } else {
            last <= g.limit as u64
        };
        // Type bits of the access byte: 8 = code, 2 = readable (code) or
        // writable (data).
        let typ_ok = if g.attr & 8 != 0 {
            !write && g.attr & 2 != 0
        } else {
            !write || g.attr & 2 != 0
        };
        let fault = if !in_limit {
            if s == SS && g.sel & !3 != 0 {
                vec::SS
            } else {
                vec::GP
            }
        } else if !typ_ok {
            vec::GP
        } else {
            let lin = off.wrapping_add(self.seg_base[s]);
            if self.misaligned(lin, size) {
                vec::AC
            } else {
                return lin;
            }
        };
        self.lim_fault.set(fault);
        LIMIT_POISON
    }

    /// An access the alignment check refuses (SDM vol. 3 table 6-7): with
    /// EFLAGS.AC set at CPL 3, words must be 2-aligned, doublewords and
    /// 48-bit far pointers 4-aligned, quadwords and 80-bit reals 8-aligned.
    /// 16-byte operands are left alone (movups and friends are exempt;
    /// movaps and friends raise #GP on their own).
    fn misaligned(&self, lin: u32, size: u32) -> bool {
        if self.flags.bits & flags::AC == 0 || self.sys.cpl != 3 {
            return false;
        }
        let align = match size {
            2 => 2,
            4 | 6 => 4,
            8 | 10 => 8,
            _ => return false,
        };
        lin & (align - 1) != 0
    }

    /// Recompute `lim_mask` after segment registers change.
    pub fn refresh_limits(&mut self) {
        for s in 0..self.segs.len() {
            self.refresh_limit(s);
        }
    }

    /// Recompute segment `s`'s bit of `seg_slow` (and `lim_mask`).
    #[inline]
    pub fn refresh_limit(&mut self, s: usize) {
        let g = &self.segs[s];
        let null = g.sel & !3 == 0 && s != CS;
        let expand_down = g.attr & 0x1c == 0x14;
        let code = g.attr & 8 != 0;
        let read_only = !code && g.attr & 2 == 0;
        // A segment with a base (TLS in gs) too: its offsets are checked
        // against the limit (an access straddling offset 4 GiB is #GP),
        // which paging cannot see since the linear address wraps legally.
        let based = g.base != 0;
        let other = null || expand_down || code || read_only || g.limit != 0xffff_ffff;
        let check = other || based;
        self.seg_slow = (self.seg_slow & !(1 << s)) | ((check as u8) << s);
        let only_based = based && !other;
        self.based_only = (self.based_only & !(1 << s)) | ((only_based as u8) << s);
        self.refresh_ac();
    }

    /// Load CS and SS with flat descriptors (base 0, the 4 GiB limit: what
    /// sysenter and sysexit load from their MSR), leaving the segment
    /// checks as [`Cpu::refresh_limit`] of both would: a code segment is
    /// checked (data through `cs:` is read-only), a flat stack is not.
    #[inline]
    pub fn load_flat_cs_ss(&mut self, cs: Seg, ss: Seg) {
        debug_assert!(cs.base == 0 && cs.limit == !0 && cs.attr & 0x18 == 0x18);
        debug_assert!(ss.base == 0 && ss.limit == !0 && ss.attr & 0x1e == 0x12);
        self.segs[CS] = cs;
        self.segs[SS] = ss;
        self.seg_base[CS] = 0;
        self.seg_base[SS] = 0;
        let both = (1 << CS | 1 << SS) as u8;
        self.seg_slow = (self.seg_slow & !both) | 1 << CS;
        self.based_only &= !both;
        self.refresh_ac();
    }

    /// Recompute `lim_mask` from `seg_slow` and EFLAGS.AC: while alignment
    /// checking is on, every access takes the checked path.
    #[inline]
    pub fn refresh_ac(&mut self) {
        let ac = self.flags.bits & flags::AC != 0;
        let m = (self.seg_slow | if ac { 0x3f } else { 0 }) as u32;
        self.lim_mask = m | m << SEG_W;
        self.dse_slow = m as u8 & DSE;
        self.lim_based = if ac { 0 } else { self.based_only };
    }

    /// Load EFLAGS bits under `writable` (popf, iret, sigreturn), keeping
    /// the alignment-check state current.
    pub fn load_flags(&mut self, v: u32, writable: u32) {
        self.flags.load(v, writable);
        self.refresh_ac();
        if self.flags.bits & flags::TF != 0 {
            // Single steps start: blocks stop going on into the next (popf
            // and iret end their blocks, so the run loop looks next).
            self.chain.stop();
        }
    }

    pub fn set_eflags(&mut self, v: u32) {
        self.load_flags(v, 0xffff_ffff);
    }

    pub fn eflags(&self) -> u32 {
        self.flags.get()
    }

    // ---- exceptions ----

    #[cold]
    #[inline(never)]
    pub fn raise(&mut self, vector: u8, error_code: Option<u32>) {
        self.exit = exit::EXC;
        self.exc = Exception {
            vector,
            error_code,
            cr2: 0,
        };
    }

    #[cold]
    #[inline(never)]
    pub fn page_fault(&mut self, f: PageFault) {
        let lim = self.lim_fault.replace(0);
        if lim != 0 && f.addr >> PAGE_SHIFT == LIMIT_POISON >> PAGE_SHIFT {
            // The access `ea` found outside its segment.
            return self.raise(lim, Some(0));
        }
        let mut f = f;
        let perm = self.perm(f.addr >> PAGE_SHIFT);
        // A write to a page tracked for a vfork parent is retried by the
        // kernel entry, never delivered: its P bit does not matter.
        let tracked = f.write && perm & crate::mem::P_TRACK != 0;
        if f.present && !tracked {
            f.present = crate::mem::pte_present(perm, self.host(f.addr));
        }
        self.exit = exit::EXC;
        self.exc = Exception {
            vector: vec::PF,
            error_code: Some(f.error_code()),
            cr2: f.addr,
        };
    }

    // ---- guest memory, as the CPU sees it ----

    /// Whether guest address `a` lies in a mapping (whatever its protection).
    pub fn mapped(&self, a: u32) -> bool {
        self.perm(a >> PAGE_SHIFT) & crate::mem::P_PRESENT != 0
    }

    #[inline(always)]
    fn perm(&self, page: u32) -> u8 {
        unsafe { (*self.perms.add(page as usize)).load(Relaxed) }
    }

    #[inline(always)]
    fn host(&self, a: u32) -> *mut u8 {
        unsafe { self.membase.add(a as usize) }
    }

    /// The `N` (1, 2, 4 or 8) bytes at guest `a` as one host load, with
    /// no check: the host's page protection is the guest's
    /// ([`guard`]). Assembly that takes `self` as an operand, so the
    /// compiler orders every store to the CPU state around it as written
    /// (the state at a fault is the state before the instruction).
    ///
    /// # Safety
    /// Only inside [`guard::guarded`] with a chain noted ([`guard::guest_chain`]).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[inline(always)]
    unsafe fn host_load<const N: usize>(&mut self, a: u32) -> u64 {
        use std::arch::asm;
        let c = self as *mut Cpu;
        let v: u64;
        // gs-relative with a 32-bit address register (see `guard::set_gs`).
        self.gs_is_window();
        // One instruction, the operands the same for every size.
        macro_rules! load {
            ($t:literal) => {
                asm!("/* {c} */", $t, a = in(reg) a, c = in(reg) c, v = lateout(reg) v,
                     options(nostack, preserves_flags, readonly))
            };
        }
        unsafe {
            match N {
                1 => load!("movzx {v:e}, byte ptr gs:[{a:e}]"),
                2 => load!("movzx {v:e}, word ptr gs:[{a:e}]"),
                4 => load!("mov {v:e}, dword ptr gs:[{a:e}]"),
                _ => load!("mov {v}, qword ptr gs:[{a:e}]"),
            }
        }
        v
    }

    /// The `N` (1, 2, 4 or 8) low bytes of `v` to guest `a` as one host
    /// store, with no check (see [`Cpu::host_load`]). A store to a page
    /// holding translated code faults on the host and is made again after
    /// `guard::claim` has noted the code written in `exit`, which the
    /// handler reads after it (the assembly may write `self`).
    ///
    /// # Safety
    /// As [`Cpu::host_load`].
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[inline(always)]
    unsafe fn host_store<const N: usize>(&mut self, a: u32, v: u64) {
        use std::arch::asm;
        let c = self as *mut Cpu;
        self.gs_is_window();
        macro_rules! store {
            ($t:literal) => {
                asm!("/* {c} */", $t, a = in(reg) a, c = in(reg) c, v = in(reg) v,
                     options(nostack, preserves_flags))
            };
        }
        unsafe {
            match N {
                1 => store!("mov byte ptr gs:[{a:e}], {v:l}"),
                2 => store!("mov word ptr gs:[{a:e}], {v:x}"),
                4 => store!("mov dword ptr gs:[{a:e}], {v:e}"),
                _ => store!("mov qword ptr gs:[{a:e}], {v}"),
            }
        }
    }

    /// gs-relative accesses reach this Cpu's window: inside
    /// [`guard::guarded`] they do (it sets the base); the unit tests also
    /// read and write a Cpu's memory directly, with several Cpus on one
    /// thread, so there the base follows the Cpu accessed.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[inline(always)]
    fn gs_is_window(&self) {
        #[cfg(test)]
        guard::set_gs(self.membase as usize);
        debug_assert!(
            guard::gs_is(self.membase as usize),
            "gs is not this window's"
        );
    }

    /// Whether this thread needs stores that check themselves (see
    /// `soft_writes`); counted process-wide.
    pub fn set_soft_writes(&mut self, on: bool) {
        if on != self.soft_writes {
            self.soft_writes = on;
            crate::mem::soft_writer(on);
        }
    }

    /// The #PF of a guest access the host refused ([`guard::claim`]) at
    /// window offset `off` (at or past 4 GiB: the wrap to page 0; `write`
    /// as the host's error code said), as the checked path would raise it.
    #[cold]
    #[inline(never)]
    pub(crate) fn guest_fault(&mut self, off: u64, write: bool) {
        let addr = off as u32;
        let p = self.perm(addr >> PAGE_SHIFT);
        self.page_fault(PageFault {
            addr,
            present: p & P_PRESENT != 0,
            write,
            fetch: false,
        });
    }

    /// Read `N` (1, 2 or 4) bytes. On a fault, records #PF and returns None.
    #[inline(always)]
    pub fn rd<const N: usize>(&mut self, a: u32) -> Option<u32> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        if guard::ACTIVE {
            // SAFETY: inside the window (plus its guard for a read
            // crossing 4 GiB); a read the guest may not make faults on the
            // host and lands in `guard::guarded`.
            return Some(unsafe { self.host_load::<N>(a) } as u32);
        }
        if (a & 0xfff) as usize <= 0x1000 - N {
            let p = self.perm(a >> PAGE_SHIFT);
            if p & (P_PRESENT | P_READ) == P_PRESENT | P_READ {
                let h = self.host(a);
                return Some(unsafe {
                    match N {
                        1 => *h as u32,
                        2 => (h as *const u16).read_unaligned() as u32,
                        _ => (h as *const u32).read_unaligned(),
                    }
                });
            }
        }
        self.rd_slow(a, N as u32).map(|v| v as u32)
    }

    #[inline(always)]
    pub fn rd8(&mut self, a: u32) -> Option<u32> {
        self.rd::<1>(a)
    }
    #[inline(always)]
    pub fn rd16(&mut self, a: u32) -> Option<u32> {
        self.rd::<2>(a)
    }
    #[inline(always)]
    pub fn rd32(&mut self, a: u32) -> Option<u32> {
        self.rd::<4>(a)
    }

    /// Read by operand size (0 = 8, 1 = 16, 2 = 32 bits).
    #[inline(always)]
    pub fn rd_sz(&mut self, sz: u8, a: u32) -> Option<u32> {
        match sz {
            0 => self.rd::<1>(a),
            1 => self.rd::<2>(a),
            _ => self.rd::<4>(a),
        }
    }

    #[inline(always)]
    pub fn wr_sz(&mut self, sz: u8, a: u32, v: u32) -> Option<()> {
        match sz {
            0 => self.wr::<1>(a, v),
            1 => self.wr::<2>(a, v),
            _ => self.wr::<4>(a, v),
        }
    }

    /// Read 8 bytes (x87 and MMX operands).
    #[inline(always)]
    pub fn rd64(&mut self, a: u32) -> Option<u64> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        if guard::ACTIVE {
            // SAFETY: as in `rd`.
            return Some(unsafe { self.host_load::<8>(a) });
        }
        if (a & 0xfff) <= 0x1000 - 8 {
            let p = self.perm(a >> PAGE_SHIFT);
            if p & (P_PRESENT | P_READ) == P_PRESENT | P_READ {
                // SAFETY: the access lies in one readable page of the window.
                return Some(unsafe { (self.host(a) as *const u64).read_unaligned() });
            }
        }
        self.rd_slow(a, 8)
    }

    /// Write 8 bytes (x87 and MMX operands).
    #[inline(always)]
    pub fn wr64(&mut self, a: u32, v: u64) -> Option<()> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        if guard::ACTIVE && !crate::mem::writes_soft() {
            // SAFETY: as in `wr`.
            unsafe { self.host_store::<8>(a, v) };
            return Some(());
        }
        if (a & 0xfff) <= 0x1000 - 8 {
            let p = self.perm(a >> PAGE_SHIFT);
            if p & (P_PRESENT | P_WRITE | P_CODE) == P_PRESENT | P_WRITE {
                // SAFETY: one writable, non-code page of the window.
                unsafe { (self.host(a) as *mut u64).write_unaligned(v) };
                return Some(());
            }
        }
        self.wr_slow(a, 8, v)
    }

    /// Read up to 16 bytes byte-wise, handling page crossing and wrap at 4 GiB.
    #[cold]
    #[inline(never)]
    pub fn rd_slow(&mut self, a: u32, n: u32) -> Option<u64> {
        let mut v = 0u64;
        for k in 0..n.min(8) {
            let b = a.wrapping_add(k);
            let p = self.perm(b >> PAGE_SHIFT);
            if p & (P_PRESENT | P_READ) != P_PRESENT | P_READ {
                self.page_fault(PageFault {
                    addr: b.max(a),
                    present: p & P_PRESENT != 0,
                    write: false,
                    fetch: false,
                });
                return None;
            }
            v |= (unsafe { *self.host(b) } as u64) << (8 * k);
        }
        Some(v)
    }

    #[inline(always)]
    pub fn wr<const N: usize>(&mut self, a: u32, v: u32) -> Option<()> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        if guard::ACTIVE && !crate::mem::writes_soft() {
            // SAFETY: as in `rd`; a store the guest may not make as it is
            // faults on the host (`guard::claim`).
            unsafe { self.host_store::<N>(a, v as u64) };
            return Some(());
        }
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            extern "C" fn f<const N: usize>(c: usize, a: usize, v: usize, _: usize) -> u64 {
                // SAFETY: the Cpu `wr` passes, which it borrows mutably
                // and does not touch during the call.
                unsafe {
                    (*(c as *mut Cpu))
                        .wr_soft::<N>(a as u32, v as u32)
                        .is_some() as u64
                }
            }
            let cp: *mut Cpu = self;
            // SAFETY: `f` takes these arguments.
            let ok = unsafe { call_preserving(f::<N>, cp as usize, a as usize, v as usize, 0) };
            (ok != 0).then_some(())
        }
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        self.wr_soft::<N>(a, v)
    }

    /// [`Cpu::wr`] where stores check themselves: out of line (see
    /// [`call_preserving`]).
    #[cold]
    #[inline(never)]
    fn wr_soft<const N: usize>(&mut self, a: u32, v: u32) -> Option<()> {
        if (a & 0xfff) as usize <= 0x1000 - N {
            let p = self.perm(a >> PAGE_SHIFT);
            if p & (P_PRESENT | P_WRITE | P_CODE) == P_PRESENT | P_WRITE {
                let h = self.host(a);
                unsafe {
                    match N {
                        1 => *h = v as u8,
                        2 => (h as *mut u16).write_unaligned(v as u16),
                        _ => (h as *mut u32).write_unaligned(v),
                    }
                }
                return Some(());
            }
        }
        self.wr_slow(a, N as u32, v as u64)
    }

    #[inline(always)]
    pub fn wr8(&mut self, a: u32, v: u32) -> Option<()> {
        self.wr::<1>(a, v)
    }
    #[inline(always)]
    pub fn wr16(&mut self, a: u32, v: u32) -> Option<()> {
        self.wr::<2>(a, v)
    }
    #[inline(always)]
    pub fn wr32(&mut self, a: u32, v: u32) -> Option<()> {
        self.wr::<4>(a, v)
    }

    /// Slow write: page crossing, wrap, faults, and code pages (SMC).
    /// All pages are checked before any byte is written, as on hardware.
    #[cold]
    #[inline(never)]
    pub fn wr_slow(&mut self, a: u32, n: u32, v: u64) -> Option<()> {
        for k in 0..n {
            let b = a.wrapping_add(k);
            let p = self.perm(b >> PAGE_SHIFT);
            if p & (P_PRESENT | P_WRITE) != P_PRESENT | P_WRITE {
                self.page_fault(PageFault {
                    addr: b.max(a),
                    present: p & P_PRESENT != 0,
                    write: true,
                    fetch: false,
                });
                return None;
            }
        }
        for k in 0..n {
            let b = a.wrapping_add(k);
            let page = b >> PAGE_SHIFT;
            if self.perm(page) & P_CODE != 0 {
                self.mem.clear_code(page);
                if self.exit != exit::SMC {
                    self.exit = exit::SMC;
                    self.smc_page = page;
                    self.smc_last = page;
                } else {
                    self.smc_page = self.smc_page.min(page);
                    self.smc_last = self.smc_last.max(page);
                }
            }
            unsafe { *self.host(b) = (v >> (8 * k)) as u8 };
        }
        Some(())
    }

    /// Host pointer for an aligned, in-page access of `n` bytes that the
    /// guest may read and write, for locked (atomic) read-modify-write.
    /// Returns None if the fast conditions do not hold (caller falls back).
    #[inline(always)]
    pub fn rmw_ptr(&self, a: u32, n: u32) -> Option<*mut u8> {
        if a & (n - 1) == 0
            && self.perm(a >> PAGE_SHIFT) & (P_PRESENT | P_READ | P_WRITE | P_CODE)
                == P_PRESENT | P_READ | P_WRITE
        {
            Some(self.host(a))
        } else {
            None
        }
    }

    /// Read-modify-write of an `SZ`-sized operand at `a` (0 = 8, 1 = 16, 2 = 32
    /// bits). With `LOCK`, an aligned in-page operand is updated with a host
    /// compare-and-swap loop, so it is atomic against other guest threads.
    /// `f` maps the old value to the new one; the old value is returned.
    #[inline(always)]
    pub fn rmw<const SZ: u8, const LOCK: bool>(
        &mut self,
        a: u32,
        mut f: impl FnMut(u32) -> u32,
    ) -> Option<u32> {
        use std::sync::atomic::{AtomicU16, AtomicU32, Ordering::SeqCst};
        if LOCK {
            if let Some(p) = self.rmw_ptr(a, 1 << SZ) {
                macro_rules! cas {
                    ($t:ty, $u:ty) => {{
                        let at = unsafe { &*(p as *const $t) };
                        let mut old = at.load(SeqCst);
                        loop {
                            let new = f(old as u32) as $u;
                            match at.compare_exchange_weak(old, new, SeqCst, SeqCst) {
                                Ok(_) => return Some(old as u32),
                                Err(x) => old = x,
                            }
                        }
                    }};
                }
                match SZ {
                    0 => cas!(AtomicU8, u8),
                    1 => cas!(AtomicU16, u16),
                    _ => cas!(AtomicU32, u32),
                }
            }
        }
        let old = self.rd_sz(SZ, a)?;
        self.wr_sz(SZ, a, f(old))?;
        Some(old)
    }

    // ---- stack ----

    #[inline(always)]
    pub fn push32(&mut self, v: u32) -> Option<()> {
        let sp = self.regs[ESP].wrapping_sub(4);
        self.wr32(self.lin(SS, sp, 4), v)?;
        self.regs[ESP] = sp;
        Some(())
    }

    #[inline(always)]
    pub fn pop32(&mut self) -> Option<u32> {
        let sp = self.regs[ESP];
        let v = self.rd32(self.lin(SS, sp, 4))?;
        self.regs[ESP] = sp.wrapping_add(4);
        Some(v)
    }

    #[inline(always)]
    pub fn push16(&mut self, v: u32) -> Option<()> {
        let sp = self.regs[ESP].wrapping_sub(2);
        self.wr16(self.lin(SS, sp, 2), v)?;
        self.regs[ESP] = sp;
        Some(())
    }

    #[inline(always)]
    pub fn pop16(&mut self) -> Option<u32> {
        let sp = self.regs[ESP];
        let v = self.rd16(self.lin(SS, sp, 2))?;
        self.regs[ESP] = sp.wrapping_add(2);
        Some(v)
    }

    /// The descriptor a selector names (TI = 1: the LDT, as modify_ldt
    /// builds it); None past the table's limit.
    pub fn desc(&self, sel: u16) -> Option<crate::arch::desc::Desc> {
        if sel & 4 != 0 {
            self.sys.ldt_entry((sel >> 3) as u32)
        } else {
            self.sys.gdt_entry((sel >> 3) as u32)
        }
    }

    /// Load a segment register (mov/pop to ds, es, fs, gs, ss) from a
    /// selector through the GDT, with the SDM's protection checks for the
    /// current CPL. Returns false after raising #GP/#NP/#SS.
    pub fn load_seg(&mut self, seg: usize, sel: u16) -> bool {
        let rpl = (sel & 3) as u8;
        let cpl = self.sys.cpl;
        let err = (sel & !3) as u32;
        if sel & !3 == 0 {
            if seg == SS || seg == CS {
                self.raise(vec::GP, Some(0));
                return false;
            }
            self.segs[seg] = Seg {
                sel,
                base: 0,
                limit: 0,
                attr: 0,
                big: false,
            };
            self.seg_base[seg] = 0;
            self.refresh_limit(seg);
            return true;
        }
        let Some(d) = self.desc(sel) else {
            self.raise(vec::GP, Some(err));
            return false;
        };
        let ok = if seg == SS {
            rpl == cpl && d.is_writable_data() && d.dpl() == cpl
        } else {
            let conforming_code = d.is_code() && d.typ() & 4 != 0;
            d.is_readable() && (conforming_code || (rpl <= d.dpl() && cpl <= d.dpl()))
        };
        if !ok {
            self.raise(vec::GP, Some(err));
            return false;
        }
        if !d.present() {
            self.raise(if seg == SS { vec::SS } else { vec::NP }, Some(err));
            return false;
        }
        let (base, limit) = (d.base(), d.limit());
        self.segs[seg] = Seg {
            sel,
            base,
            limit,
            attr: d.access(),
            big: d.db(),
        };
        self.seg_base[seg] = base;
        self.seg_gen[seg] = self.sys.desc_gen;
        self.refresh_limit(seg);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat CS and SS loaded at once leave the segment checks as loading
    /// each through `refresh_limit` does, from any state before.
    #[test]
    fn flat_cs_ss_checks_as_refresh_limit() {
        let flat = |sel: u16, attr: u8| Seg {
            sel,
            base: 0,
            limit: !0,
            attr,
            big: true,
        };
        for before in [0u8, 0x3f, 1 << SS, 1 << CS | 1 << GS] {
            for ac in [0, flags::AC] {
                let setup = || {
                    let mut c = Cpu::for_tests();
                    c.seg_slow = before;
                    c.based_only = before & 0x30;
                    c.flags.bits |= ac;
                    c.refresh_ac();
                    c
                };
                let (mut c, mut d) = (setup(), setup());
                c.load_flat_cs_ss(flat(0x73, 0xfb), flat(0x7b, 0xf3));
                d.segs[CS] = flat(0x73, 0xfb);
                d.segs[SS] = flat(0x7b, 0xf3);
                d.refresh_limit(CS);
                d.refresh_limit(SS);
                assert_eq!(
                    (c.seg_slow, c.based_only, c.lim_mask, c.lim_based),
                    (d.seg_slow, d.based_only, d.lim_mask, d.lim_based)
                );
            }
        }
    }

    /// The `am::BD` and `am::SIB` forms are only es, ss and ds, and test
    /// the three at once (`dse_slow`): their addresses and limit faults
    /// are those of the full check (`am::ANY`'s path), with each of the
    /// three flat, based, limited or alignment-checked, and fs and gs take
    /// `am::ANY`.
    #[test]
    fn dse_forms_check_as_any() {
        let insts: [(&[u8], u8); 6] = [
            (&[0x8b, 0x43, 0x08], am::BD),              // mov eax, [ebx+8]
            (&[0x8b, 0x45, 0x08], am::BD),              // mov eax, [ebp+8] (ss)
            (&[0x26, 0x8b, 0x44, 0x8b, 0x08], am::SIB), // mov eax, es:[ebx+ecx*4+8]
            (&[0x89, 0x44, 0x4c, 0x04], am::SIB),       // mov [esp+ecx*2+4], eax (ss, write)
            (&[0x65, 0x8b, 0x43, 0x08], am::ANY),       // mov eax, gs:[ebx+8]
            (&[0x64, 0x8b, 0x03], am::ANY),             // mov eax, fs:[ebx]
        ];
        let seg = |base: u32, limit: u32, attr: u8| Seg {
            sel: 0x7b,
            base,
            limit,
            attr,
            big: true,
        };
        // Cases where the check found a fault, and where it added a base.
        let (mut faults, mut based) = (0, 0);
        for s in [ES, SS, DS, GS] {
            for (g, ac) in [
                (seg(0, !0, 0xf3), false),
                (seg(0, !0, 0xf3), true),
                (seg(0x1000, !0, 0xf3), false),
                (seg(0, 0xfff, 0xf3), false),
                (seg(0, !0, 0xf1), false), // read-only
            ] {
                let mut c = Cpu::for_tests();
                c.segs[s] = g;
                c.seg_base[s] = g.base;
                if ac {
                    c.flags.bits |= flags::AC;
                    c.sys.cpl = 3;
                }
                c.refresh_limits();
                for (bytes, form) in insts {
                    let i = crate::cpu::decode::decode_one(bytes, 0x1000).unwrap();
                    assert_eq!(am::of(&i), form, "{bytes:x?}");
                    for (b, x) in [(0x100, 0), (0xff8, 0), (0x2001, 1), (0xffff_fff0, 0)] {
                        for r in [EBX, EBP, ESP] {
                            c.regs[r] = b;
                        }
                        c.regs[ECX] = x;
                        let got = match form {
                            am::BD => c.ea_am::<{ am::BD }>(&i),
                            am::SIB => c.ea_am::<{ am::SIB }>(&i),
                            _ => c.ea_am::<{ am::ANY }>(&i),
                        };
                        let got = (got, c.lim_fault.replace(0));
                        let want = (c.ea_am::<{ am::ANY }>(&i), c.lim_fault.replace(0));
                        assert_eq!(got, want, "{bytes:x?} seg {s} {g:?} ac {ac} at {b:#x}");
                        faults += (want.1 != 0) as u32;
                        based += (want.1 == 0 && want.0 != c.offset(&i)) as u32;
                    }
                }
            }
        }
        assert!(faults > 20 && based > 5, "{faults} faults, {based} based");
    }

    /// gs with a TLS base and the 4 GiB limit: offsets below the thread
    /// pointer (`%gs:-4`) wrap to linear addresses under the base, an
    /// access that crosses offset 4 GiB breaks the limit (#GP), and both
    /// agree with the full check.
    #[test]
    fn based_segments_take_negative_offsets() {
        let mut c = Cpu::for_tests();
        c.segs[GS] = Seg {
            sel: 0x33,
            base: 0x1_0000,
            limit: 0xffff_ffff,
            attr: 0xf3,
            big: true,
        };
        c.seg_base[GS] = 0x1_0000;
        c.refresh_limits();
        assert_ne!(c.lim_based & (1 << GS), 0);
        for (off, size) in [
            (0xffff_fffcu32, 4),
            (0xffff_fff8, 8),
            (0xffff_fe00, 512),
            (0x10, 4),
        ] {
            let lin = off.wrapping_add(0x1_0000);
            assert_eq!(c.lin(GS, off, size), lin, "{off:#x}");
            assert_eq!(c.checked(GS, off, size), lin, "{off:#x}");
            assert_eq!(c.lim_fault.get(), 0);
        }
        for (off, size) in [(0xffff_fffe, 4), (0xffff_fff9, 8), (0xffff_fe01, 512)] {
            assert_eq!(c.lin(GS, off, size), LIMIT_POISON, "{off:#x}");
            assert_eq!(c.lim_fault.replace(0), vec::GP);
        }
    }
}
