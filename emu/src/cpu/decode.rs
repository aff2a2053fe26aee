//! Translation of guest code into predecoded blocks.
//!
//! iced-x86 decodes each instruction once; the family modules under
//! [`super::exec`] turn it into an [`Inst`]: a monomorphised handler plus
//! pre-resolved operands. Nothing is decoded again when the block runs.

use iced_x86::{
    Decoder, DecoderError, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory,
    InstructionInfoOptions, Mnemonic, OpAccess, OpKind, Register,
};

use super::cache::BlockHeader;
use super::live::{self, Effect};
use super::{exec, th, vec, Cpu, Handler, Inst, NOREG};
use crate::mem::{Mem, PAGE_SHIFT, P_EXEC, P_PRESENT, P_READ};

/// Longest block, in guest instructions.
pub const MAX_BLOCK: usize = 64;
/// Side exits a block may have: past them a jcc ends it. Translating the
/// paths after every branch of a page, most never run, made a start
/// without the translation cache a quarter slower (busybox true 3.5 ->
/// 4.3 ms); four keep what the workloads gained (awk, python, sort
/// within 0.7%) at 3.9 ms, two lose a quarter of it.
const MAX_SIDE_EXITS: u32 = 4;

/// An instruction with handler `h` and no operands.
pub fn blank(h: Handler, eip: u32, len: u8) -> Inst {
    Inst {
        h,
        eip,
        len,
        r: 0,
        rm: 0,
        base: NOREG,
        index: NOREG,
        scale: 0,
        seg: super::DS as u8,
        a16: 0,
        disp: 0,
        imm: 0,
        imm2: 0,
    }
}

/// Raise #UD at this instruction.
fn h_ud(c: &mut Cpu, _: &Inst) {
    c.raise(vec::UD, None);
}

/// An instruction longer than 15 bytes raises #GP(0).
fn h_too_long(c: &mut Cpu, _: &Inst) {
    c.raise(vec::GP, Some(0));
}

/// Instruction fetch fault: #PF with cr2 = `imm`, error code in `imm2`.
fn h_fetch_fault(c: &mut Cpu, i: &Inst) {
    c.exit = super::exit::EXC;
    c.exc = super::Exception {
        vector: vec::PF,
        error_code: Some(i.imm2),
        cr2: i.imm,
    };
}

/// Decode the one instruction at the start of `bytes`, at `eip`, as a
/// block would hold it (None: no handler, or not an instruction). For
/// tests and tools; blocks come from [`translate`].
pub fn decode_one(bytes: &[u8], eip: u32) -> Option<Inst> {
    let mut dec = Decoder::with_ip(32, bytes, eip as u64, DecoderOptions::NONE);
    let ins = dec.decode();
    if ins.is_invalid() {
        return None;
    }
    let mut d = blank(th(h_ud), eip, ins.len() as u8);
    decode_inst(&ins, &mut d).then_some(d)
}

/// The end marker of a block whose terminator sets eip.
pub fn end_marker() -> Inst {
    blank(Handler::raw(h_end), 0, 0)
}

/// End marker of a block whose last instruction sets eip, on its own
/// (a single instruction's): the chain of threaded handlers returns here
/// to the run loop.
unsafe fn h_end(_: &mut Cpu, _: *const Inst) {}

/// End marker of a block that falls through to `imm2` (a length or page
/// limit, not a branch), on its own.
unsafe fn h_fall(c: &mut Cpu, i: *const Inst) {
    c.eip = unsafe { (*i).imm2 };
}

/// [`h_end`] of a block in the cache: the chain goes on into the next
/// block if this one is linked to it (see [`super::cache::chain_on`]).
unsafe fn h_end_chain(c: &mut Cpu, i: *const Inst) {
    unsafe { super::cache::chain_on(c, (*i).marker_block()) }
}

/// [`h_fall`] of a block in the cache.
unsafe fn h_fall_chain(c: &mut Cpu, i: *const Inst) {
    unsafe {
        c.eip = (*i).imm2;
        super::cache::chain_on(c, (*i).marker_block())
    }
}

/// The end marker of a block that does not end in a branch.
pub fn fall_marker(next: u32) -> Inst {
    let mut m = blank(Handler::raw(h_fall), next, 0);
    m.imm2 = next;
    m
}

/// Make end marker `m` the marker of block `b` in the cache, which goes
/// on into the blocks `b` links to; with `b` null, a marker on its own
/// again (to end a copy of one instruction).
pub fn chain_marker(m: &mut Inst, b: super::cache::BlockPtr) {
    let fall = m.h.addr() == Handler::raw(h_fall).addr()
        || m.h.addr() == Handler::raw(h_fall_chain).addr();
    let (alone, chained) = if fall {
        (Handler::raw(h_fall), Handler::raw(h_fall_chain))
    } else {
        (Handler::raw(h_end), Handler::raw(h_end_chain))
    };
    m.h = if b.is_null() { alone } else { chained };
    m.set_marker_block(b);
}

/// Whether `m` is the end marker of a block in the cache (which names
/// its block).
pub fn is_chain_marker(m: &Inst) -> bool {
    m.h.addr() == Handler::raw(h_end_chain).addr()
        || m.h.addr() == Handler::raw(h_fall_chain).addr()
}

/// Whether code may be fetched from `page`.
pub fn fetchable(mem: &Mem, page: u32) -> bool {
    mem.perm(page) & (P_PRESENT | P_READ | P_EXEC) == P_PRESENT | P_READ | P_EXEC
}

fn fetch_fault(mem: &Mem, at: u32, eip: u32) -> Inst {
    let p = mem.perm(at >> PAGE_SHIFT);
    let present = crate::mem::pte_present(p, mem.base().wrapping_add(at as usize));
    fetch_fault_at(at, eip, present)
}

/// [`translate`] while other threads may unmap the code meanwhile: a
/// host fault in the decoder (a page gone since its check) translates
/// again with the permissions now, which gives the fetch fault.
pub fn translate_racing(mem: &Mem, eip: u32, out: &mut Vec<Inst>) -> BlockHeader {
    for _ in 0..3 {
        if let Ok(hdr) = super::guard::kernel(mem, || translate(mem, eip, out)) {
            return hdr;
        }
    }
    fault_block(eip, fetch_fault(mem, eip, eip), out)
}

/// The instruction at `eip` that raises an instruction-fetch #PF at `at`.
fn fetch_fault_at(at: u32, eip: u32, present: bool) -> Inst {
    let f = crate::mem::PageFault {
        addr: at,
        present,
        write: false,
        fetch: true,
    };
    let mut i = blank(th(h_fetch_fault), eip, 0);
    i.imm = at;
    i.imm2 = f.error_code();
    i
}

/// A block of one instruction, `fault`, at `eip`'s page.
fn fault_block(eip: u32, fault: Inst, out: &mut Vec<Inst>) -> BlockHeader {
    let page = eip >> PAGE_SHIFT;
    out.clear();
    let hdr = BlockHeader {
        pages: (page, page),
        count: 0,
        falls: false,
        mapped: false,
        links: Default::default(),
        cost: 0,
    };
    out.push(fault);
    end(hdr, out, None, &[])
}

/// Whether any of a block's instructions `insts` (its end marker left out)
/// is a fetch fault: only these have no length.
pub fn fetch_faults(insts: &[Inst]) -> bool {
    insts.iter().any(|i| i.len == 0)
}

/// The block for code that could not be read (the host raised SIGBUS
/// while `translate` read it: a file page past the end of its file, see
/// [`super::IRQ_HOST_BUS`]): a not-present instruction-fetch #PF at
/// `eip`, which the kernel side turns into the guest's SIGBUS.
#[cold]
pub fn unreadable_block(eip: u32, out: &mut Vec<Inst>) -> BlockHeader {
    fault_block(eip, fetch_fault_at(eip, eip, false), out)
}

/// Does this instruction end a block? (Anything that sets eip itself.)
fn is_terminator(ins: &Instruction) -> bool {
    ins.flow_control() != FlowControl::Next
        || matches!(
            ins.mnemonic(),
            Mnemonic::Int
                | Mnemonic::Int3
                | Mnemonic::Into
                | Mnemonic::Int1
                | Mnemonic::Sysenter
                | Mnemonic::Popf
                | Mnemonic::Popfd
        )
}

/// Decode the block starting at `eip` into `out`: its instructions, then
/// the end marker. `out` is scratch space (kept by the caller so that
/// each block costs one exact allocation).
pub fn translate(mem: &Mem, eip: u32, out: &mut Vec<Inst>) -> BlockHeader {
    let page = eip >> PAGE_SHIFT;
    if !fetchable(mem, page) {
        return fault_block(eip, fetch_fault(mem, eip, eip), out);
    }
    out.clear();
    let mut hdr = BlockHeader {
        pages: (page, page),
        count: 0,
        falls: false,
        mapped: false,
        links: Default::default(),
        cost: 0,
    };
    let page_start = page << PAGE_SHIFT;
    let page_end = (page as u64 + 1) << PAGE_SHIFT;
    let mut avail = (page_end - page_start as u64) as u32;
    let next_ok = page_end < (1 << 32) && fetchable(mem, page + 1);
    if next_ok {
        avail += 15;
    }
    // The whole page (and what an instruction at its end may need of the
    // next), so that the block can go on at a branch target in the page.
    let bytes =
        unsafe { std::slice::from_raw_parts(mem.base().add(page_start as usize), avail as usize) };
    let mut dec = Decoder::with_ip(32, bytes, page_start as u64, DecoderOptions::NONE);
    dec.set_position((eip - page_start) as usize)
        .expect("inside the page");
    dec.set_ip(eip as u64);
    let mut ins = Instruction::default();
    // Each instruction's flag effect, for `live::relax_block` (a barrier
    // unless set: #UD, fetch faults).
    let mut fx = [Effect::BARRIER; MAX_BLOCK];
    let mut sides = 0;
    loop {
        let at = dec.ip() as u32;
        dec.decode_out(&mut ins);
        if ins.is_invalid() {
            if dec.last_error() == DecoderError::NoMoreBytes {
                // The instruction runs into a page we may not fetch from.
                out.push(fetch_fault(mem, page_end as u32, at));
            } else if ins.len() >= 15 {
                // Longer than the 15-byte limit: #GP(0), not #UD.
                out.push(blank(th(h_too_long), at, 15));
            } else {
                out.push(blank(th(h_ud), at, ins.len() as u8));
            }
            return end(hdr, out, None, &fx);
        }
        let len = ins.len() as u8;
        let end_at = at as u64 + len as u64;
        if end_at > page_end {
            hdr.pages.1 = page + 1;
        }
        let mut d = blank(th(h_ud), at, len);
        if !decode_inst(&ins, &mut d) {
            crate::debug!(
                "no handler for {:?} ({:02x?}) at {at:#x}: it raises #UD",
                ins.code(),
                &bytes[(at - page_start) as usize..][..len as usize]
            );
            d.h = th(h_ud);
            out.push(d);
            return end(hdr, out, None, &fx);
        }
        // A direct jmp or call to this page: the block goes on at the
        // target (while there is room for the rest).
        let inline = if out.len() + 1 < MAX_BLOCK && end_at < page_end {
            exec::control::inline_branch(&mut d, page)
        } else {
            None
        };
        // A conditional branch with the rest of the page after it, in
        // the first half of a block: the block goes on with the next
        // instruction, leaving at the branch only when it is taken (a
        // side exit). Every flag is live there, as at a block's end.
        // (Later in a block, going on made blocks end at the length limit
        // in sha256's rounds, and the falls between them cost it a
        // quarter more time for 2% more host instructions.)
        let side = inline.is_none()
            && sides < MAX_SIDE_EXITS
            && out.len() + 1 < MAX_BLOCK / 2
            && end_at < page_end
            && exec::control::side_exit(&mut d);
        fx[out.len()] = if side {
            Effect::BARRIER
        } else {
            live::effect(&ins)
        };
        out.push(d);
        if side {
            sides += 1;
            continue;
        }
        if let Some(t) = inline {
            dec.set_position((t - page_start) as usize)
                .expect("inside the page");
            dec.set_ip(t as u64);
            continue;
        }
        if is_terminator(&ins) {
            return end(hdr, out, None, &fx);
        }
        if end_at >= page_end || out.len() >= MAX_BLOCK {
            return end(hdr, out, Some(end_at as u32), &fx);
        }
    }
}

/// Close a block: give its instructions the handlers their dead flags
/// allow (`fx`: their flag effects, see [`live`]), fuse its pairs into
/// superinstructions ([`super::fuse`]), count them and append the end
/// marker (falling through to `fall`, if given).
fn end(mut hdr: BlockHeader, out: &mut Vec<Inst>, fall: Option<u32>, fx: &[Effect]) -> BlockHeader {
    let n = out.len().min(fx.len());
    let relaxed = live::relax_block(&mut out[..n], &fx[..n]);
    super::fuse::fuse(&mut out[..], n, relaxed);
    hdr.count = out.len() as u32;
    // A side exit taken skips the instructions after it.
    let count = out.len();
    for (k, i) in out.iter_mut().enumerate() {
        if exec::control::is_side_exit(i.h) {
            i.rm = (count - k - 1) as u8;
        }
    }
    hdr.falls = fall.is_some();
    out.push(match fall {
        Some(next) => fall_marker(next),
        None => end_marker(),
    });
    hdr
}

/// Try each instruction family in turn.
fn decode_inst(ins: &Instruction, d: &mut Inst) -> bool {
    exec::alu::decode(ins, d)
        || exec::mov::decode(ins, d)
        || exec::control::decode(ins, d)
        || exec::shift::decode(ins, d)
        || exec::bit::decode(ins, d)
        || exec::muldiv::decode(ins, d)
        || exec::string::decode(ins, d)
        || exec::bcd::decode(ins, d)
        || exec::misc::decode(ins, d)
        || exec::sysdesc::decode(ins, d)
        || exec::x87::decode(ins, d)
        || exec::mmx::decode(ins, d)
        || exec::sse::decode(ins, d)
}

// ---- operand helpers shared by the family decoders ----

/// Operand size code: 0 = 8, 1 = 16, 2 = 32 bits.
pub type Size = u8;

/// Hardware code and size of a general-purpose register. 8-bit high
/// registers are encoded `index | 8`.
pub fn gpr(r: Register) -> Option<(u8, Size)> {
    use Register::*;
    Some(match r {
        AL => (0, 0),
        CL => (1, 0),
        DL => (2, 0),
        BL => (3, 0),
        AH => (8, 0),
        CH => (9, 0),
        DH => (10, 0),
        BH => (11, 0),
        AX => (0, 1),
        CX => (1, 1),
        DX => (2, 1),
        BX => (3, 1),
        SP => (4, 1),
        BP => (5, 1),
        SI => (6, 1),
        DI => (7, 1),
        EAX => (0, 2),
        ECX => (1, 2),
        EDX => (2, 2),
        EBX => (3, 2),
        ESP => (4, 2),
        EBP => (5, 2),
        ESI => (6, 2),
        EDI => (7, 2),
        _ => return Option::None,
    })
}

/// Segment register number (ES=0 .. GS=5).
pub fn sreg(r: Register) -> Option<u8> {
    use Register::*;
    Some(match r {
        ES => 0,
        CS => 1,
        SS => 2,
        DS => 3,
        FS => 4,
        GS => 5,
        _ => return Option::None,
    })
}

/// A decoded operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opnd {
    /// General register code and size.
    Reg(u8, Size),
    /// Memory; the address fields of the `Inst` have been filled.
    Mem,
    Imm(u32),
    Other,
}

/// Fill the memory-operand fields of `d` from `ins`.
pub fn set_mem(ins: &Instruction, d: &mut Inst) -> bool {
    let base = ins.memory_base();
    let index = ins.memory_index();
    d.base = NOREG;
    d.index = NOREG;
    let mut a16 = false;
    if base != Register::None {
        let Some((b, sz)) = gpr(base) else {
            return false;
        };
        a16 |= sz == 1;
        d.base = b;
    }
    if index != Register::None {
        let Some((x, sz)) = gpr(index) else {
            return false;
        };
        a16 |= sz == 1;
        d.index = x;
    }
    if base == Register::None && index == Register::None && ins.memory_displ_size() == 2 {
        a16 = true;
    }
    d.scale = ins.memory_index_scale().trailing_zeros() as u8;
    d.disp = ins.memory_displacement32();
    d.a16 = a16 as u8 | super::mem_size_code(ins.memory_size().size()) << 1;
    let Some(s) = sreg(ins.memory_segment()) else {
        return false;
    };
    d.seg = s | if writes_mem(ins) {
        super::SEG_W as u8
    } else {
        0
    };
    true
}

/// Whether `ins` writes its explicit memory operand, so a read-only or
/// code segment must refuse it (see `Cpu::lin`). x86 only ever writes a
/// memory operand that comes first, so others are not looked up.
fn writes_mem(ins: &Instruction) -> bool {
    thread_local! {
        static INFO: std::cell::RefCell<InstructionInfoFactory> =
            std::cell::RefCell::new(InstructionInfoFactory::new());
    }
    if ins.op0_kind() != OpKind::Memory {
        return false;
    }
    // arpl reads its operand first and writes it only to raise the RPL:
    // the read's page fault comes first, so it is not checked as a write
    // at address generation.
    if ins.mnemonic() == Mnemonic::Arpl {
        return false;
    }
    // The common cases without iced's general (and slower) lookup.
    match ins.mnemonic() {
        Mnemonic::Mov
        | Mnemonic::Add
        | Mnemonic::Sub
        | Mnemonic::And
        | Mnemonic::Or
        | Mnemonic::Xor
        | Mnemonic::Inc
        | Mnemonic::Dec
        | Mnemonic::Pop => return true,
        Mnemonic::Cmp
        | Mnemonic::Test
        | Mnemonic::Push
        | Mnemonic::Call
        | Mnemonic::Jmp
        | Mnemonic::Bt
        | Mnemonic::Fld
        | Mnemonic::Fild => return false,
        _ => {}
    }
    INFO.with_borrow_mut(|f| {
        let opts =
            InstructionInfoOptions::NO_MEMORY_USAGE | InstructionInfoOptions::NO_REGISTER_USAGE;
        matches!(
            f.info_options(ins, opts).op0_access(),
            OpAccess::Write | OpAccess::ReadWrite | OpAccess::CondWrite | OpAccess::ReadCondWrite
        )
    })
}

/// Decode operand `n`, filling memory fields of `d` when it is memory.
pub fn opnd(ins: &Instruction, n: u32, d: &mut Inst) -> Opnd {
    match ins.op_kind(n) {
        OpKind::Register => match gpr(ins.op_register(n)) {
            Some((r, s)) => Opnd::Reg(r, s),
            None => Opnd::Other,
        },
        OpKind::Memory => {
            if set_mem(ins, d) {
                Opnd::Mem
            } else {
                Opnd::Other
            }
        }
        OpKind::Immediate8
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32 => Opnd::Imm(ins.immediate(n) as u32),
        _ => Opnd::Other,
    }
}

/// A general register's number, whatever its size.
pub fn any_gpr(r: Register) -> Option<u8> {
    gpr(r).map(|(n, _)| n)
}

/// A 32-bit general register's number.
pub fn gpr32(r: Register) -> Option<u8> {
    match gpr(r) {
        Some((n, 2)) => Some(n),
        _ => None,
    }
}

/// A source operand `n` that is a register of one class (`reg` maps it to
/// its number, which goes in `d.rm`) or memory (`d`'s memory fields): `d.h`
/// becomes `hr` or `hm` accordingly. False for anything else.
pub fn reg_or_mem(
    ins: &Instruction,
    n: u32,
    d: &mut Inst,
    reg: fn(Register) -> Option<u8>,
    hr: super::Handler,
    hm: super::Handler,
) -> bool {
    match ins.op_kind(n) {
        OpKind::Register => match reg(ins.op_register(n)) {
            Some(s) => {
                d.rm = s;
                d.h = hr;
                true
            }
            None => false,
        },
        OpKind::Memory if set_mem(ins, d) => {
            d.h = hm;
            true
        }
        _ => false,
    }
}

/// Size of operand `n`: a register's size, or the memory operand's size.
pub fn op_size(ins: &Instruction, n: u32) -> Option<Size> {
    match ins.op_kind(n) {
        OpKind::Register => gpr(ins.op_register(n)).map(|x| x.1),
        OpKind::Memory => match ins.memory_size().size() {
            1 => Some(0),
            2 => Some(1),
            4 => Some(2),
            _ => None,
        },
        _ => None,
    }
}

/// Pick the monomorphised handler for a size code and the addressing form
/// of `d`'s memory operand (`f`'s parameters end with `AM, SZ`; `safe` or
/// `load` first: that wrapper, see `cpu::th_safe` and `cpu::th_load`).
#[macro_export]
macro_rules! by_form {
    ($w:ident $d:expr, $sz:expr, $f:ident $(:: <$($p:tt),*>)?) => {
        match $crate::cpu::am::of($d) {
            $crate::cpu::am::BD => {
                $crate::by_size!($w $sz, $f::<$($($p,)*)? { $crate::cpu::am::BD }>)
            }
            $crate::cpu::am::SIB => {
                $crate::by_size!($w $sz, $f::<$($($p,)*)? { $crate::cpu::am::SIB }>)
            }
            _ => $crate::by_size!($w $sz, $f::<$($($p,)*)? { $crate::cpu::am::ANY }>),
        }
    };
    ($d:expr, $sz:expr, $f:ident $(:: <$($p:tt),*>)?) => {
        match $crate::cpu::am::of($d) {
            $crate::cpu::am::BD => $crate::by_size!($sz, $f::<$($($p,)*)? { $crate::cpu::am::BD }>),
            $crate::cpu::am::SIB => {
                $crate::by_size!($sz, $f::<$($($p,)*)? { $crate::cpu::am::SIB }>)
            }
            _ => $crate::by_size!($sz, $f::<$($($p,)*)? { $crate::cpu::am::ANY }>),
        }
    };
}

/// Pick the monomorphised handler for a size code (`safe`: one that never
/// leaves the block early, see `cpu::th_safe`; `load`: one that only
/// reads memory, see `cpu::th_load`).
#[macro_export]
macro_rules! by_size {
    (safe $sz:expr, $f:ident $(:: <$($p:tt),*>)?) => {
        match $sz {
            0 => $crate::cpu::th_safe($f::<$($($p,)*)? 0>),
            1 => $crate::cpu::th_safe($f::<$($($p,)*)? 1>),
            _ => $crate::cpu::th_safe($f::<$($($p,)*)? 2>),
        }
    };
    (load $sz:expr, $f:ident $(:: <$($p:tt),*>)?) => {
        match $sz {
            0 => $crate::cpu::th_load($f::<$($($p,)*)? 0>),
            1 => $crate::cpu::th_load($f::<$($($p,)*)? 1>),
            _ => $crate::cpu::th_load($f::<$($($p,)*)? 2>),
        }
    };
    ($sz:expr, $f:ident :: <$($p:tt),*>) => {
        match $sz {
            0 => $crate::cpu::th($f::<$($p,)* 0>),
            1 => $crate::cpu::th($f::<$($p,)* 1>),
            _ => $crate::cpu::th($f::<$($p,)* 2>),
        }
    };
    ($sz:expr, $f:ident) => {
        match $sz {
            0 => $crate::cpu::th($f::<0>),
            1 => $crate::cpu::th($f::<1>),
            _ => $crate::cpu::th($f::<2>),
        }
    };
}
