//! TODO: family not yet implemented.

use iced_x86::Instruction;

use crate::cpu::Inst;

pub fn decode(_ins: &Instruction, _d: &mut Inst) -> bool {
    false
}
