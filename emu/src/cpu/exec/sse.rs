//! SSE, SSE2, SSE3 and SSSE3. TODO (issue 5): not implemented yet; every
//! SSE instruction is #UD until this lands.

use iced_x86::Instruction;

use crate::cpu::{Cpu, Inst};

/// XMM registers and MXCSR.
#[derive(Clone, Debug)]
pub struct Sse {
    pub xmm: [u128; 8],
    pub mxcsr: u32,
}

impl Default for Sse {
    fn default() -> Self {
        Sse { xmm: [0; 8], mxcsr: 0x1f80 }
    }
}

/// si_code for a SIGFPE raised by #XM (from MXCSR's flags and masks).
pub fn fpe_code(_c: &Cpu) -> i32 {
    0
}

pub fn decode(_ins: &Instruction, _d: &mut Inst) -> bool {
    false
}
