//! The block run loop: look up (or translate) the block at eip, run it,
//! and leave for the kernel side when an instruction asks to.

use std::sync::atomic::Ordering::Relaxed;

use super::cache::{Block, BlockCache, BlockPtr};
use super::{exit, Cpu, Exception, Handler};

/// Why [`run`] returned to the kernel side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Exception or fault; `cpu.eip` is the faulting instruction (or, for
    /// #DB single-step, the next one).
    Exception(Exception),
    /// `int n` (including int3 and into); `cpu.eip` is after the instruction.
    /// Vector and instruction length.
    SoftInt(u8, u8),
    /// `sysenter`; `cpu.eip` is after the instruction.
    Sysenter,
    /// A store hit pages holding translated code (`cpu.smc_page..=smc_last`);
    /// `cpu.eip` is the next instruction. The kernel side drops the blocks
    /// there, in this thread's cache and in the others'.
    CodeWritten,
    /// Another thread raised `cpu.irq` (an interrupt request): checked
    /// between blocks, so `cpu.eip` is at a block boundary.
    Irq,
}

/// Execute block `b` and the blocks its chain goes on into (see
/// [`super::cache::Chaining`], which `cpu.chain` must be set up for); the
/// last of them is `cpu.chain.cur` after, unless the chain left early, for
/// which it fixes up `eip` and the instruction count.
#[inline(always)]
fn exec_block(cpu: &mut Cpu, b: &Block) {
    let n = b.hdr.count as u64;
    cpu.icount += n;
    cpu.chain.enter(n);
    super::guard::guest_chain(true);
    // SAFETY: the block's instructions end with its end marker.
    unsafe { Handler::run(cpu, b.insts.as_ptr()) };
    super::guard::guest_chain(false);
    cpu.chain.settle(&mut cpu.icount);
    if cpu.exit != exit::NONE && cpu.exit <= exit::LAST_MIDBLOCK {
        early_exit(cpu);
    }
}

/// The chain left early at instruction `exit_at` (its blocks counted in
/// `icount`): `eip` and `icount` as of that instruction.
#[cold]
#[inline(never)]
fn early_exit(cpu: &mut Cpu) {
    // SAFETY: `exit_at` was set by a handler of a live block's
    // instructions (the chain's), before it left.
    let b = unsafe { super::cache::block_of(cpu.exit_at) };
    let k = unsafe { cpu.exit_at.offset_from(b.insts.as_ptr()) } as usize;
    let n = b.hdr.count as usize;
    let i = &b.insts[k];
    match cpu.exit {
        exit::EXC => {
            cpu.eip = i.eip;
            cpu.icount -= (n - k) as u64;
        }
        _ => {
            // The instruction completed. Terminators set eip themselves; a
            // branch the block went on through continues at its target.
            if super::exec::control::is_inline(i.h) {
                cpu.eip = i.imm2;
            } else if k + 1 < n || b.hdr.falls {
                cpu.eip = i.next();
            }
            cpu.icount -= (n - k - 1) as u64;
        }
    }
}

thread_local! {
    /// The Cpu this thread is running guest code on (null outside
    /// [`run`]), for [`stop_running`].
    static RUNNING: std::cell::Cell<*mut Cpu> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// From the host fault handler (kernel/hostsig.rs): end the guest
/// instruction that is running on this thread with `exc`, as if it had
/// raised it (the chain leaves after it, with `eip` at it). False when
/// this thread runs no guest code. Async-signal-safe. The instruction
/// itself finishes first (its access completes on whatever the handler
/// put there); the writes are volatile because they come from outside
/// the interpreter's view of `cpu`.
#[cold]
pub fn stop_running(exc: Exception) -> bool {
    let c = RUNNING.with(|r| r.get());
    if c.is_null() {
        return false;
    }
    // SAFETY: `c` is the Cpu `run` is running, alive until it returns;
    // the handler interrupted that thread outside a handler chain (a
    // chain's faults land instead: `guard::land_exception`).
    unsafe {
        std::ptr::addr_of_mut!((*c).exc).write_volatile(exc);
        std::ptr::addr_of_mut!((*c).exit).write_volatile(exit::EXC);
    }
    true
}

/// Run guest code until something needs the kernel side.
pub fn run(cpu: &mut Cpu, cache: &mut BlockCache) -> Event {
    let (cpu, cache): (*mut Cpu, *mut BlockCache) = (cpu, cache);
    // SAFETY: the body is the only user of `cpu` and `cache`.
    let body = || run_loop::<false>(unsafe { &mut *cpu }, unsafe { &mut *cache }, 0);
    running(cpu, || unsafe { guarded(cpu, body, |ev| ev) })
}

/// [`run`] that serves its own events: `serve` (the kernel side) takes
/// each, and says whether guest code goes on at once, without leaving the
/// loop, its fault guard and its registration for the host's signals (a
/// vDSO getpid's round trip, 1,372 host instructions, costs 113 fewer).
/// None when `serve` said
/// stop, or when it replaced the guest's memory (execve: the guard knows
/// the window it entered with); Some(the event) of a host fault that
/// landed in guest code, which the caller serves.
///
/// # Safety
/// `cpu` and `cache` are alive until this returns. `serve` may use them
/// (through pointers of its own): no reference made here is live while
/// it runs.
pub unsafe fn run_serving(
    cpu: *mut Cpu,
    cache: *mut BlockCache,
    mut serve: impl FnMut(Event) -> bool,
) -> Option<Event> {
    let window = unsafe { ((*cpu).mem.base(), (*cpu).mem.perms_ptr()) };
    let body = || loop {
        let ev = run_loop::<false>(unsafe { &mut *cpu }, unsafe { &mut *cache }, 0);
        // The kernel side is not guest code: a host SIGBUS there must not
        // end an instruction (`stop_running`).
        RUNNING.with(|r| r.set(std::ptr::null_mut()));
        let go = serve(ev);
        RUNNING.with(|r| r.set(cpu));
        if !go || unsafe { ((*cpu).mem.base(), (*cpu).mem.perms_ptr()) } != window {
            return None;
        }
    };
    unsafe { running(cpu, || guarded(cpu, body, Some)) }
}

/// `body` (a run loop) where a host fault of a guest read lands (see
/// `cpu::guard`): the block that ran ends at the faulting instruction
/// with its #PF, as if the instruction had found the fault itself, and
/// `ev` makes the loop's result of that event.
///
/// # Safety
/// As [`run_serving`]'s: `body` reaches `cpu` (and the block cache) itself.
#[inline(always)]
unsafe fn guarded<R>(cpu: *mut Cpu, body: impl FnOnce() -> R, ev: impl FnOnce(Event) -> R) -> R {
    match unsafe { super::guard::guarded_raw(cpu, body) } {
        Ok(r) => r,
        Err(_) => {
            let cpu = unsafe { &mut *cpu };
            // The chain's blocks are alive: only invalidation (never
            // inside a chain) frees them.
            cpu.chain.settle(&mut cpu.icount);
            early_exit(cpu);
            cpu.exit = exit::NONE;
            ev(take_fault(cpu))
        }
    }
}

/// `f` with `cpu` registered as this thread's running Cpu (for
/// [`stop_running`]).
#[inline(always)]
fn running<R>(cpu: *mut Cpu, f: impl FnOnce() -> R) -> R {
    RUNNING.with(|r| r.set(cpu));
    let v = f();
    RUNNING.with(|r| r.set(std::ptr::null_mut()));
    v
}

/// [`run`] with an instruction budget: stop when `cpu.icount` reaches
/// `end` (None), or earlier with an event. The count is exact: the block
/// that would cross `end` runs one instruction at a time up to it, each
/// counting one as in a whole block (a rep string instruction is one).
/// An event of the last instruction (a syscall, a fault) is returned
/// first; the next call returns None at once.
pub fn run_until(cpu: &mut Cpu, cache: &mut BlockCache, end: u64) -> Option<Event> {
    let (cp, kp): (*mut Cpu, *mut BlockCache) = (cpu, cache);
    // SAFETY: the body is the only user of `cpu` and `cache` meanwhile.
    let body = || run_loop::<true>(unsafe { &mut *cp }, unsafe { &mut *kp }, end);
    let ev = running(cp, || unsafe { guarded(cp, body, |ev| ev) });
    match ev {
        // The loop leaves with Irq at the end of the budget. An interrupt
        // request raised meanwhile stays in `cpu.irq` for the next run.
        Event::Irq if cpu.icount >= end => None,
        ev => Some(ev),
    }
}

/// How many instructions blocks go on into each other (see
/// [`super::cache::Chaining`]) before the run loop looks again. A chain of
/// handlers is a chain of tail calls only where the compiler makes every
/// handler's last call a jump, as the release build does; where one calls
/// instead (the test profile's debug assertions give some handlers stack
/// frames), the host stack grows with every instruction of the chain, so
/// the span bounds it there, and in release a handler that stopped being
/// a jump (a compiler change) costs stack, not a crash. A return to the
/// loop every 4096 instructions costs nothing measurable, and bounds how
/// long an interrupt request (`cpu.irq`) waits: the chain does not look.
const CHAIN_SPAN: u64 = if cfg!(debug_assertions) { 256 } else { 4096 };

/// The run loop, monomorphized without the budget's checks for [`run`].
/// With BUDGET it returns [`Event::Irq`] when `cpu.icount` reaches `end`.
#[inline(always)]
fn run_loop<const BUDGET: bool>(cpu: &mut Cpu, cache: &mut BlockCache, end: u64) -> Event {
    // The block that just ran, whose links find the next one.
    let mut prev: BlockPtr = std::ptr::null();
    loop {
        if BUDGET && cpu.icount >= end {
            return Event::Irq;
        }
        if cpu.flags.bits & super::flags::TF != 0 {
            prev = std::ptr::null();
            if let Some(ev) = step(cpu, cache) {
                return ev;
            }
            continue;
        }
        if cpu.irq.load(Relaxed) != 0 {
            return Event::Irq;
        }
        let b = if prev.is_null() {
            cache.get(cpu)
        } else {
            cache.next(cpu, prev)
        };
        if BUDGET {
            // SAFETY: as below.
            let n = unsafe { Block::from_thin(b) }.hdr.count as u64;
            if cpu.icount + n > end {
                return budget_tail(cpu, cache, end);
            }
        }
        cache.executed += 1;
        let span = cpu.icount.saturating_add(CHAIN_SPAN);
        cache.chaining(cpu, if BUDGET { span.min(end) } else { span });
        // SAFETY: blocks are only freed by invalidation, which happens
        // outside the loop or in `take_exit` (after which it returns), so
        // `b` and `prev` are alive.
        exec_block(cpu, unsafe { Block::from_thin(b) });
        if cpu.exit != exit::NONE {
            if let Some(ev) = take_exit(cpu, cache) {
                return ev;
            }
        }
        prev = cpu.chain.cur;
    }
}

/// The end of a budget inside a block: its instructions one at a time
/// until `cpu.icount` is `end` ([`Event::Irq`]) or one leaves for the
/// kernel side.
#[cold]
#[inline(never)]
fn budget_tail(cpu: &mut Cpu, cache: &mut BlockCache, end: u64) -> Event {
    while cpu.icount < end {
        if let Some(ev) = one(cpu, cache, false) {
            return ev;
        }
    }
    Event::Irq
}

#[cold]
fn take_exit(cpu: &mut Cpu, cache: &mut BlockCache) -> Option<Event> {
    let e = cpu.exit;
    cpu.exit = exit::NONE;
    match e {
        exit::SMC => {
            cache.invalidate_smc(cpu);
            Some(Event::CodeWritten)
        }
        exit::EXC => Some(take_fault(cpu)),
        exit::INT => Some(Event::SoftInt(cpu.exc.vector, cpu.exc.cr2 as u8)),
        exit::TRAP => Some(Event::Exception(cpu.exc)),
        _ => Some(Event::Sysenter),
    }
}

/// The event of the pending exception (`exit` taken).
fn take_fault(cpu: &mut Cpu) -> Event {
    if cpu.exc.vector == super::vec::PF {
        page_fault_details(cpu);
    }
    Event::Exception(cpu.exc)
}

/// What a #PF's error code and vector owe to the faulting instruction's
/// memory operands, which the fast paths do not look at: the instruction
/// decoded again once (a cold path) for [`read_for_write`] and
/// [`straddle_4g`].
#[cold]
#[inline(never)]
fn page_fault_details(cpu: &mut Cpu) {
    let Some((ins, _)) = decode_again(cpu, cpu.eip) else {
        return;
    };
    let mut info = iced_x86::InstructionInfoFactory::new();
    let used = info.info(&ins).used_memory().to_vec();
    read_for_write(cpu, &used);
    straddle_4g(cpu, &ins, &used);
}

/// The offset of memory operand `m` in its segment, from the registers
/// (wrapped to the operand's address size).
fn operand_offset(cpu: &Cpu, m: &iced_x86::UsedMemory) -> u64 {
    let reg = |r: iced_x86::Register| -> u64 {
        match super::decode::gpr(r) {
            Some((n, sz)) => cpu.reg(sz, n) as u64,
            None => 0,
        }
    };
    let off = reg(m.base())
        .wrapping_add(reg(m.index()).wrapping_mul(m.scale() as u64))
        .wrapping_add(m.displacement());
    if m.address_size() == iced_x86::CodeSize::Code16 {
        off & 0xffff
    } else {
        off & 0xffff_ffff
    }
}

/// A read #PF (W clear) of a read-modify-write operand (add [m],r; xchg;
/// cmpxchg; bts; inc; not; shifts ...): the CPU reads it for writing, so
/// its error code says write (W set), also where the page is not
/// readable. emu's reads do not know why they read: the fault's address
/// is looked for in the instruction's read-write operands (`used`).
fn read_for_write(cpu: &mut Cpu, used: &[iced_x86::UsedMemory]) {
    use iced_x86::OpAccess;
    let Some(code) = cpu.exc.error_code else {
        return;
    };
    if code & 0x12 != 0 {
        return;
    }
    for m in used {
        if !matches!(m.access(), OpAccess::ReadWrite | OpAccess::ReadCondWrite) {
            continue;
        }
        let Some(s) = super::decode::sreg(m.segment()) else {
            continue;
        };
        let lin =
            operand_offset(cpu, m).wrapping_add(cpu.seg_base[s as usize] as u64) & 0xffff_ffff;
        let size = m.memory_size().size().max(1) as u64;
        if (cpu.exc.cr2 as u64).wrapping_sub(lin) & 0xffff_ffff < size {
            cpu.exc.error_code = Some(code | 2);
            return;
        }
    }
}

/// [`run`] for the debugger's breakpoints: blocks run as there, until one
/// holds an instruction at an address `hit` names. None then (the caller
/// goes an instruction at a time from `eip`, the block's start), else the
/// event for the kernel side.
#[cold]
pub fn run_unless(
    cpu: &mut Cpu,
    cache: &mut BlockCache,
    hit: impl Fn(u32) -> bool,
) -> Option<Event> {
    let (cp, kp): (*mut Cpu, *mut BlockCache) = (cpu, cache);
    // SAFETY: the body is the only user of `cpu` and `cache` meanwhile.
    let body = || run_unless_loop(unsafe { &mut *cp }, unsafe { &mut *kp }, hit);
    running(cp, || unsafe { guarded(cp, body, Some) })
}

fn run_unless_loop(
    cpu: &mut Cpu,
    cache: &mut BlockCache,
    hit: impl Fn(u32) -> bool,
) -> Option<Event> {
    let mut prev: BlockPtr = std::ptr::null();
    loop {
        if cpu.flags.bits & super::flags::TF != 0 {
            return Some(run(cpu, cache));
        }
        if cpu.irq.load(Relaxed) != 0 {
            return Some(Event::Irq);
        }
        let b = if prev.is_null() {
            cache.get(cpu)
        } else {
            cache.next(cpu, prev)
        };
        // SAFETY: as in `run`.
        let blk = unsafe { Block::from_thin(b) };
        if blk.insts[..blk.hdr.count as usize]
            .iter()
            .any(|i| hit(i.eip))
        {
            return None;
        }
        cache.executed += 1;
        // Every block is looked at for breakpoints first: none goes on
        // into the next.
        cache.chaining(cpu, 0);
        exec_block(cpu, blk);
        if cpu.exit != exit::NONE {
            if let Some(ev) = take_exit(cpu, cache) {
                return Some(ev);
            }
        }
        prev = b;
    }
}

/// A page fault that an access straddling 4 GiB raised (at the top of the
/// address space, or past the wrap for an operand emu reads out of order,
/// such as frstor's register area): with a flat segment (base 0, the 4 GiB limit) the access
/// broke the segment limit, which hardware checks before paging, so it is
/// #GP(0), or #SS(0) through SS (SDM vol. 3 5.3). The fast memory paths do
/// not look for this; here each memory operand (`used`) of the faulting
/// instruction `ins` has its offset checked. An operand in a segment with
/// a base is left alone: its linear address wraps legally.
fn straddle_4g(cpu: &mut Cpu, ins: &iced_x86::Instruction, used: &[iced_x86::UsedMemory]) {
    use iced_x86::OpAccess;
    for m in used {
        if m.access() == OpAccess::NoMemAccess {
            continue;
        }
        let Some(s) = super::decode::sreg(m.segment()) else {
            continue;
        };
        if cpu.seg_base[s as usize] != 0 || m.address_size() != iced_x86::CodeSize::Code32 {
            continue;
        }
        let off = operand_offset(cpu, m);
        // Only the operand that faulted (at cr2, somewhere in it).
        // A rep string instruction's operands have no size of their own:
        // each element is one access.
        let full = match m.memory_size().size() {
            0 if ins.is_string_instruction() => string_element(ins),
            n => n.max(1) as u64,
        };
        if (cpu.exc.cr2 as u64).wrapping_sub(off) & 0xffff_ffff >= full {
            continue;
        }
        // ... and by the kind of access that faulted: a movs reading an
        // unmapped ds:[0] is not the straddling es:[0xffffffff] it writes.
        let wrote = cpu.exc.error_code.unwrap_or(0) & 2 != 0;
        let fits = match m.access() {
            OpAccess::Read | OpAccess::CondRead => !wrote,
            OpAccess::Write | OpAccess::CondWrite => wrote,
            _ => true,
        };
        if !fits {
            continue;
        }
        // Operands accessed piece by piece: only the first piece's limit
        // check comes before paging. The x87 environment and state
        // (fldenv, frstor, fnsave, ...) start with the control word; a far
        // pointer (les, lds, ljmp m16:32, ...) with its offset; bound's
        // pair with its lower bound.
        use iced_x86::MemorySize as Ms;
        let size = match m.memory_size() {
            Ms::SegPtr32 => 4,
            Ms::SegPtr16 => 2,
            _ if ins.mnemonic() == iced_x86::Mnemonic::Bound => full / 2,
            _ if full > 16 => 2,
            _ => full,
        };
        if off + size > 1 << 32 {
            let v = if s as usize == super::SS {
                super::vec::SS
            } else {
                super::vec::GP
            };
            cpu.exc = Exception {
                vector: v,
                error_code: Some(0),
                cr2: 0,
            };
            return;
        }
    }
}

/// The instruction at `eip` in CS decoded again from guest memory, with
/// its bytes (for the cold paths that need more than its `Inst`); None if
/// it does not decode.
fn decode_again(cpu: &Cpu, eip: u32) -> Option<(iced_x86::Instruction, [u8; 15])> {
    let at = cpu.seg_base[super::CS].wrapping_add(eip);
    let mut bytes = [0u8; 15];
    let mut n = 0;
    while n < bytes.len() && cpu.mapped(at.wrapping_add(n as u32)) {
        bytes[n] = cpu.mem.read_raw(at.wrapping_add(n as u32), 1)[0];
        n += 1;
    }
    let ins =
        iced_x86::Decoder::with_ip(32, &bytes[..n], eip as u64, iced_x86::DecoderOptions::NONE)
            .decode();
    (!ins.is_invalid()).then_some((ins, bytes))
}

/// A rep-prefixed string instruction: its address size, and for cmps and
/// scas the ZF value with which it goes on (repe: 1, repne: 0).
#[derive(Clone, Copy)]
struct RepString {
    a16: bool,
    until: Option<bool>,
}

/// Whether the instruction at `eip` is a rep string instruction (decoded
/// again: single-stepping is a cold path).
fn rep_string(cpu: &Cpu, eip: u32) -> Option<RepString> {
    use iced_x86::Mnemonic;
    let (ins, bytes) = decode_again(cpu, eip)?;
    if !ins.is_string_instruction() {
        return None;
    }
    let repe = ins.has_rep_prefix() || ins.has_repe_prefix();
    let repne = ins.has_repne_prefix();
    if !repe && !repne {
        return None;
    }
    let compares = matches!(
        ins.mnemonic(),
        Mnemonic::Cmpsb
            | Mnemonic::Cmpsw
            | Mnemonic::Cmpsd
            | Mnemonic::Scasb
            | Mnemonic::Scasw
            | Mnemonic::Scasd
    );
    Some(RepString {
        // A string instruction is prefixes and one opcode byte: 0x67
        // among them is the address-size prefix.
        a16: bytes[..ins.len()].contains(&0x67),
        until: compares.then_some(repe && !repne),
    })
}

fn count(cpu: &Cpu, a16: bool) -> u32 {
    let c = cpu.regs[super::ECX];
    if a16 {
        c & 0xffff
    } else {
        c
    }
}

fn set_count(cpu: &mut Cpu, a16: bool, n: u32) {
    let c = &mut cpu.regs[super::ECX];
    *c = if a16 {
        (*c & !0xffff) | (n & 0xffff)
    } else {
        n
    };
}

/// The element size of string instruction `ins` (movsd: 4).
fn string_element(ins: &iced_x86::Instruction) -> u64 {
    use iced_x86::Mnemonic::*;
    match ins.mnemonic() {
        Movsw | Cmpsw | Scasw | Lodsw | Stosw | Insw | Outsw => 2,
        Movsd | Cmpsd | Scasd | Lodsd | Stosd | Insd | Outsd => 4,
        _ => 1,
    }
}

/// Single-step one instruction with TF set, then deliver #DB.
#[cold]
#[inline(never)]
fn step(cpu: &mut Cpu, cache: &mut BlockCache) -> Option<Event> {
    match one(cpu, cache, true) {
        None | Some(Event::CodeWritten) => Some(Event::Exception(Exception {
            vector: super::vec::DB,
            error_code: None,
            cr2: super::DR6_BS,
        })),
        ev => ev,
    }
}

/// Execute the one instruction at `eip` (one iteration of a rep string
/// instruction), as a TF single step does, without the #DB: None when it
/// completed, `Event::CodeWritten` when it completed and wrote translated
/// code (this cache has dropped it; the others have not been told), else
/// the event it left for the kernel side. For the debugger's checked mode.
#[cold]
pub fn step_one(cpu: &mut Cpu, cache: &mut BlockCache) -> Option<Event> {
    one(cpu, cache, true)
}

/// Run the instruction at eip on its own: None when it retired without
/// leaving the loop, `Event::CodeWritten` when it retired and wrote
/// translated code (this cache has dropped it), else the event. `trap` is
/// single-stepping (TF) and the debugger's steps: a rep string
/// instruction runs one iteration (SDM vol. 3 18.3.1.4); without it (an
/// instruction budget) the instruction runs whole.
#[cold]
fn one(cpu: &mut Cpu, cache: &mut BlockCache, trap: bool) -> Option<Event> {
    let b = unsafe { Block::from_thin(cache.get(cpu)) };
    // The block's first instruction alone, followed by an end marker that
    // sets eip past it unless it is the block's terminator.
    let mut first = b.insts[0];
    // A branch the block went on through runs in its block-ending form,
    // and an instruction whose flags the block found dead its exact
    // handler (the run may stop right after it: see `live`).
    let own = super::fuse::unfused(&first);
    let was_inline = super::exec::control::sets_eip_alone(own);
    let alone = super::exec::control::outline(own);
    first.h = super::live::exact(alone);
    let marker = if was_inline {
        super::decode::end_marker()
    } else if b.hdr.count == 1 {
        // The block's marker, without its block: the instruction runs alone.
        let mut m = b.insts[1];
        super::decode::chain_marker(&mut m, std::ptr::null());
        m
    } else {
        super::decode::fall_marker(first.next())
    };
    let one = [first, marker];
    cpu.icount += 1;
    // A rep string instruction traps after each iteration (SDM vol. 3
    // 18.3.1.4): run one, and stay on the instruction while it would go on.
    let rep = match trap {
        true => rep_string(cpu, first.eip).filter(|r| count(cpu, r.a16) > 1),
        false => None,
    };
    let n = rep.map_or(0, |r| count(cpu, r.a16));
    if let Some(r) = rep {
        set_count(cpu, r.a16, 1);
    }
    super::guard::run_insts(cpu, &one);
    if let Some(r) = rep {
        if cpu.exit == exit::EXC {
            set_count(cpu, r.a16, n);
        } else {
            set_count(cpu, r.a16, n - 1);
            let zf = cpu.flags.get() & super::flags::ZF != 0;
            let goes_on = match r.until {
                None => true,
                Some(want_zf) => zf == want_zf,
            };
            if goes_on {
                cpu.eip = first.eip;
            }
        }
    }
    if cpu.exit != exit::NONE {
        if cpu.exit == exit::SMC {
            if !was_inline && (b.hdr.count > 1 || b.hdr.falls) {
                cpu.eip = first.next();
            }
            cpu.exit = exit::NONE;
            cache.invalidate_smc(cpu);
            // (Single-stepping, other threads' caches are not told about
            // the store: #DB comes first.)
            return Some(Event::CodeWritten);
        } else {
            if cpu.exit == exit::EXC {
                cpu.eip = first.eip;
                cpu.icount -= 1;
            }
            return take_exit(cpu, cache);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{flags, vec, EAX, ECX, ESP};
    use crate::mem::{P_EXEC, P_READ};

    /// mov eax,1; jmp +9; (ud2); add eax,2; call +8; add eax,100; ud2 ...
    /// and at 0x20020: add eax,4; ret.
    fn cpu() -> Cpu {
        let mut c = Cpu::for_tests();
        c.mem.map_zero(0x20000, 0x1000, P_READ | P_EXEC);
        let code: &[(u32, &[u8])] = &[
            (0x20000, &[0xb8, 1, 0, 0, 0]),
            (0x20005, &[0xeb, 0x09]),
            (0x20007, &[0x0f, 0x0b]),
            (0x20010, &[0x83, 0xc0, 0x02]),
            (0x20013, &[0xe8, 0x08, 0, 0, 0]),
            (0x20018, &[0x83, 0xc0, 0x64]),
            (0x2001b, &[0x0f, 0x0b]),
            (0x20020, &[0x83, 0xc0, 0x04, 0xc3]),
        ];
        for (a, b) in code {
            c.mem.write_raw(*a, b);
        }
        c.eip = 0x20000;
        c
    }

    /// A block goes on through a direct jmp and call into its page, and
    /// runs exactly as the instructions would one by one.
    #[test]
    fn blocks_go_on_through_direct_branches() {
        let mut c = cpu();
        let mut scratch = Vec::new();
        let hdr = crate::cpu::decode::translate(&c.mem, 0x20000, &mut scratch);
        let eips: Vec<u32> = scratch[..hdr.count as usize]
            .iter()
            .map(|i| i.eip)
            .collect();
        assert_eq!(eips, [0x20000, 0x20005, 0x20010, 0x20013, 0x20020, 0x20023]);
        let sp = c.regs[ESP];
        let mut cache = BlockCache::default();
        let ev = run(&mut c, &mut cache);
        assert!(
            matches!(ev, Event::Exception(e) if e.vector == vec::UD),
            "{ev:?}"
        );
        assert_eq!((c.eip, c.regs[EAX], c.regs[ESP]), (0x2001b, 107, sp));
        assert_eq!(c.icount, 7);
    }

    /// A Cpu about to run `code` at 0x20000.
    fn running_code(code: &[u8]) -> Cpu {
        let mut c = Cpu::for_tests();
        c.mem.map_zero(0x20000, 0x1000, P_READ | P_EXEC);
        c.mem.write_raw(0x20000, code);
        c.eip = 0x20000;
        c
    }

    /// mov ecx,1000; l: add eax,1; dec ecx; jnz l; ud2: a block that
    /// runs into itself 999 times.
    fn counted_loop() -> Cpu {
        running_code(&[
            0xb9, 0xe8, 0x03, 0, 0, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0x0f, 0x0b,
        ])
    }

    /// Linked blocks go on into each other without the run loop (its
    /// lookups count `executed`), with the instruction count exact.
    #[test]
    fn linked_blocks_chain() {
        let mut c = counted_loop();
        let mut cache = BlockCache::default();
        let ev = run(&mut c, &mut cache);
        assert!(
            matches!(ev, Event::Exception(e) if e.vector == vec::UD),
            "{ev:?}"
        );
        assert_eq!((c.eip, c.regs[EAX], c.regs[ECX]), (0x2000b, 1000, 0));
        assert_eq!(c.icount, 1 + 3 * 1000);
        // The first block, then the loop's 999 times: each goes on through
        // its jnz (a side exit) to the ud2.
        assert_eq!(cache.executed + c.chain.count, 1000);
        // The run loop runs the first block, the loop block twice before it
        // is linked to itself, and the loop block once a span is over: of
        // whole blocks, each taking its 4 instructions from the span
        // (3 of them run: a taken side exit gives back no room).
        let spans = 4000 / (CHAIN_SPAN - 3) + 1;
        assert!(cache.executed <= 4 + spans, "{}", cache.executed);
    }

    /// A block whose links went to other successors relinks to one the
    /// direct-mapped table gives it: a dispatcher (`jmp *%ebx`, on its own
    /// page) goes to t1 and t2 alternately, linking both, then to t3 only,
    /// which the table has had since the start jumped there. Without
    /// relinking, each of the 195 jumps to t3 goes through the table.
    #[test]
    fn chains_relink_to_the_successors_in_use() {
        let mut c = Cpu::for_tests();
        c.mem.map_zero(0x20000, 0x2000, P_READ | P_EXEC);
        // 0x20000: t1: add eax,1; jmp next / 0x20010: t2: add eax,2; jmp
        // next / 0x20020: t3: add eax,3 / next: dec ecx; jz out; mov
        // ebx,t3; cmp ecx,196; jb disp; mov ebx,t1; test ecx,1; jz disp;
        // mov ebx,t2; disp: jmp 0x21010 / out: ud2
        c.mem.write_raw(0x20000, &[0x83, 0xc0, 0x01, 0xeb, 0x1e]);
        c.mem.write_raw(0x20010, &[0x83, 0xc0, 0x02, 0xeb, 0x0e]);
        c.mem.write_raw(
            0x20020,
            &[
                0x83, 0xc0, 0x03, 0x49, 0x74, 0x24, 0xbb, 0x20, 0x00, 0x02, 0x00, 0x81, 0xf9, 0xc4,
                0x00, 0x00, 0x00, 0x72, 0x12, 0xbb, 0x00, 0x00, 0x02, 0x00, 0xf7, 0xc1, 0x01, 0x00,
                0x00, 0x00, 0x74, 0x05, 0xbb, 0x10, 0x00, 0x02, 0x00, 0xe9, 0xc6, 0x0f, 0x00, 0x00,
                0x0f, 0x0b,
            ],
        );
        // 0x21000: start: mov ecx,201; xor eax,eax; jmp t3 / 0x21010:
        // disp: jmp *%ebx
        c.mem.write_raw(
            0x21000,
            &[
                0xb9, 0xc9, 0x00, 0x00, 0x00, 0x31, 0xc0, 0xe9, 0x14, 0xf0, 0xff, 0xff,
            ],
        );
        c.mem.write_raw(0x21010, &[0xff, 0xe3]);
        c.eip = 0x21000;
        let mut cache = BlockCache::default();
        let ev = run(&mut c, &mut cache);
        assert!(
            matches!(ev, Event::Exception(e) if e.vector == vec::UD),
            "{ev:?}"
        );
        // t3 at the start, then t1, t2, t1, t2, t1 (ecx 200 to 196), then
        // t3 195 times.
        assert_eq!((c.eip, c.regs[EAX]), (0x2004a, 3 + 7 + 3 * 195));
        assert!(c.chain.table <= 12, "{} through the table", c.chain.table);
    }

    /// A budget ends exactly where it says, also inside a chain of blocks.
    #[test]
    fn budgets_end_inside_chains() {
        for end in [2, 7, 300, 2999] {
            let mut c = counted_loop();
            let mut cache = BlockCache::default();
            assert_eq!(run_until(&mut c, &mut cache, end), None, "{end}");
            assert_eq!(c.icount, end);
            // After the mov, each instruction is one of add, dec, jnz.
            let (n, k) = ((end - 1) / 3, (end - 1) % 3);
            let adds = n as u32 + (k > 0) as u32;
            let eip = [0x20005, 0x20008, 0x20009][k as usize];
            assert_eq!((c.eip, c.regs[EAX]), (eip, adds), "{end}");
        }
    }

    /// mov ecx,3; l: dec ecx; jz out; add eax,1; jmp l; out: ud2. One
    /// superblock: its jmp goes on inline, its jz is a side exit.
    fn side_exit_loop() -> Cpu {
        running_code(&[
            0xb9, 3, 0, 0, 0, 0x49, 0x74, 0x05, 0x83, 0xc0, 0x01, 0xeb, 0xf8, 0x0f, 0x0b,
        ])
    }

    /// A side exit taken leaves its block with the instructions after it
    /// uncounted, in the run loop's own block as in a chained one; a
    /// budget that ends anywhere, and single steps, see the same
    /// instructions one at a time.
    #[test]
    fn side_exits_count_what_ran() {
        let mut c = side_exit_loop();
        let mut cache = BlockCache::default();
        let ev = run(&mut c, &mut cache);
        assert!(
            matches!(ev, Event::Exception(e) if e.vector == vec::UD),
            "{ev:?}"
        );
        // mov, 2 x (dec, jz, add, jmp), dec, jz taken; the ud2 faults.
        assert_eq!(
            (c.icount, c.eip, c.regs[EAX], c.regs[ECX]),
            (11, 0x2000d, 2, 0)
        );
        for end in 1..=11 {
            let mut b = side_exit_loop();
            let mut cache = BlockCache::default();
            assert_eq!(run_until(&mut b, &mut cache, end), None, "{end}");
            let mut s = side_exit_loop();
            s.flags.bits |= flags::TF;
            let mut cache = BlockCache::default();
            for _ in 0..end {
                let ev = run(&mut s, &mut cache);
                assert!(
                    matches!(ev, Event::Exception(e) if e.vector == vec::DB),
                    "{ev:?}"
                );
            }
            assert_eq!(b.icount, end);
            assert_eq!(
                (b.eip, b.regs[EAX], b.regs[ECX]),
                (s.eip, s.regs[EAX], s.regs[ECX]),
                "{end}"
            );
        }
    }

    /// An interrupt request stops a chain at the next block's boundary.
    #[test]
    fn interrupt_requests_stop_chains() {
        let mut c = counted_loop();
        let mut cache = BlockCache::default();
        c.irq.store(1, Relaxed);
        assert_eq!(run(&mut c, &mut cache), Event::Irq);
        assert_eq!(c.icount, 0);
    }

    /// Single-stepping a branch the block went on through stops at its
    /// target, as for any branch.
    #[test]
    fn single_step_follows_inline_branches() {
        let mut c = cpu();
        c.flags.bits |= flags::TF;
        let mut cache = BlockCache::default();
        let mut seen = Vec::new();
        for _ in 0..5 {
            let ev = run(&mut c, &mut cache);
            assert!(
                matches!(ev, Event::Exception(e) if e.vector == vec::DB),
                "{ev:?}"
            );
            seen.push(c.eip);
        }
        assert_eq!(seen, [0x20005, 0x20010, 0x20013, 0x20020, 0x20023]);
        assert_eq!(c.regs[EAX], 7);
    }
}
