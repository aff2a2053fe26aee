//! Instruction semantics, one module per family. Each module has pure
//! semantic functions, monomorphised handlers, and a `decode` that turns an
//! iced instruction into an [`crate::cpu::Inst`] (returning false if the
//! instruction is not in its family).

pub mod alu;
pub mod bcd;
pub mod bit;
pub mod control;
pub mod misc;
pub mod mmx;
pub mod mov;
pub mod muldiv;
pub mod shift;
pub mod sse;
pub mod string;
pub mod sysdesc;
pub mod x87;
