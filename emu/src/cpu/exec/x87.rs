//! x87 FPU and MMX. TODO (issue 5): not implemented yet; every x87/MMX
//! instruction is #UD until this lands.

use iced_x86::Instruction;

use crate::cpu::{Cpu, Inst};

/// x87 register file and control/status state (also the MMX registers).
#[derive(Clone, Debug, Default)]
pub struct Fpu {}

/// si_code for a SIGFPE raised by #MF (Linux's math_error).
pub fn fpe_code(_c: &Cpu) -> i32 {
    0
}

pub fn decode(_ins: &Instruction, _d: &mut Inst) -> bool {
    false
}
