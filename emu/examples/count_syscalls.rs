//! Count a program's syscalls: `cargo run --example count_syscalls --
//! PROGRAM [ARGS...]` runs the i386 program under emu (its output as
//! usual) and then prints, on stderr, how many times it made each syscall.
//!
//! It registers a syscall-entry hook that counts by number; exit and
//! exit_group are counted too (they have an entry, not an exit). A child
//! the program forks counts in its own copy of the hook (a fork copies the
//! process) and its counts are not added here.
//!
//! Try it on a bundled guest: `cargo run --example count_syscalls --
//! guest/lib/bin/files /etc/hostname /nonexistent`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use emu::machine::{BuildError, Builder, ExitStatus, Hooks};

/// Run `prog` with arguments `args` (argv[0] is `prog`) and the host's
/// environment to its end: its status and its syscall counts by number.
pub fn count_syscalls(
    prog: &str,
    args: &[String],
) -> Result<(ExitStatus, BTreeMap<u32, u64>), BuildError> {
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let c = counts.clone();
    let hooks = Hooks::new().on_syscall_entry(move |ctx| {
        *c.lock().unwrap().entry(ctx.nr()).or_insert(0) += 1;
    });
    let argv = std::iter::once(prog.to_string()).chain(args.iter().cloned());
    let envp = std::env::vars().map(|(k, v)| format!("{k}={v}"));
    let mut m = Builder::from_path(prog)
        .argv(argv)
        .envp(envp)
        .hooks(hooks)
        .build()?;
    let st = m.run_to_exit();
    let counts = counts.lock().unwrap().clone();
    Ok((st, counts))
}

/// The counts as a table, most frequent first: `count name` lines.
pub fn table(counts: &BTreeMap<u32, u64>) -> String {
    let mut rows: Vec<(u32, u64)> = counts.iter().map(|(&n, &c)| (n, c)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut s = String::new();
    for (nr, c) in rows {
        let name = emu::kernel::syscall::name(nr)
            .map(str::to_string)
            .unwrap_or_else(|| format!("syscall_{nr}"));
        s += &format!("{c:>8} {name}\n");
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((prog, rest)) = args.split_first() else {
        eprintln!("usage: count_syscalls PROGRAM [ARGS...]");
        std::process::exit(2);
    };
    match count_syscalls(prog, rest) {
        Ok((st, counts)) => {
            eprint!("{}", table(&counts));
            eprintln!("{prog}: {st:?}");
            std::process::exit(match st {
                ExitStatus::Exited(c) => c,
                ExitStatus::Signaled(s) => 128 + s,
            });
        }
        Err(e) => {
            eprintln!("count_syscalls: {prog}: {e}");
            std::process::exit(127);
        }
    }
}
