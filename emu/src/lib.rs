//! emu: an i386 Linux user-mode emulator (an interpreter, no JIT).
//!
//! - [`mem`]: the guest address space (one 4 GiB reservation) and page permissions.
//! - [`cpu`]: registers, lazy flags, predecoded blocks, the block cache and run loop.
//! - [`loader`]: ELF loading and the initial process stack.
//! - [`kernel`]: the Linux side: syscalls, processes and threads, signals.
//! - [`debug`](mod@debug): EMU_DEBUG diagnostics.
//! - [`machine`]: the embeddable machine ([`Builder`], [`Machine`]): run a
//!   guest from Rust, with [hooks](kernel::hooks), instruction budgets and
//!   access to its registers and memory.
//! - [`snapshot`]: saving and restoring a machine.
//! - [`gdb`]: the `--gdb` remote stub.

pub mod arch;
pub mod cpu;
pub mod debug;
pub mod gdb;
pub mod hostmaps;
pub mod hosttext;
pub mod kernel;
pub mod loader;
pub mod machine;
pub mod mem;
pub mod snapshot;

pub use machine::{Builder, Machine};
