//! `EMU_DEBUG=1`: diagnostics on stderr for what a guest hit that emu does
//! not do (an instruction without a handler, a system call answered ENOSYS)
//! and for deaths emu causes itself. Read once; never on the hot path.
//! With it, the translation cache is off (`cpu/tcache.rs`): every block is
//! translated, so translation's diagnostics appear on every run.

use std::sync::OnceLock;

/// Whether EMU_DEBUG is set (non-empty).
pub fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("EMU_DEBUG").is_some_and(|v| !v.is_empty()))
}

/// Print `emu[pid]: <msg>` when EMU_DEBUG is set.
#[cold]
#[inline(never)]
pub fn log(msg: std::fmt::Arguments) {
    if on() {
        eprintln!("emu[{}]: {msg}", std::process::id());
    }
}

/// `debug!("fmt", args..)`: [`log`] with format arguments built only when on.
#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => {
        if $crate::debug::on() {
            $crate::debug::log(format_args!($($t)*));
        }
    };
}
