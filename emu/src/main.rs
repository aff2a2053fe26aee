use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

mod binfmt;
use emu::kernel::{Config, ExitStatus, SyscallEntry, Task};
use emu::loader::LoadError;

/// Run an i386 Linux program, static or dynamically linked.
#[derive(Parser, Debug, Default, PartialEq)]
#[command(name = "emu", version, trailing_var_arg = true, after_help = BINFMT_HELP)]
struct Cli {
    /// Print statistics (key: value lines, then a strace -c -f table of
    /// every process's and thread's syscalls) to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Write every syscall's entry and exit pt_regs frame to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    frames: Option<std::path::PathBuf>,
    /// Print each syscall to stderr in strace's format (as `strace -f`).
    #[arg(long)]
    strace: bool,
    /// Print each syscall in strace's format to FILE instead of stderr (as
    /// `strace -f -o FILE`: each line starts with its task id).
    #[arg(long, value_name = "FILE")]
    strace_file: Option<std::path::PathBuf>,
    /// Serve gdb's remote protocol on 127.0.0.1:PORT (0: a free port, which
    /// is printed). The program runs at once; gdb can connect at any time
    /// (`target remote :PORT`), which stops it where it is.
    #[arg(long, value_name = "PORT")]
    gdb: Option<u16>,
    /// With --gdb: wait for gdb before the program's first instruction.
    #[arg(long, requires = "gdb")]
    gdb_wait: bool,
    /// How the vDSO's __kernel_vsyscall enters the kernel.
    #[arg(long, value_enum, default_value = "sysenter")]
    syscall_entry: EntryArg,
    /// Look up absolute guest paths (the interpreter and libraries of a
    /// dynamically linked program included) under DIR first, then on the
    /// host (as qemu -L). Default: $EMU_SYSROOT.
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    sysroot: Option<std::path::PathBuf>,
    /// Set VAR=VALUE in the guest's environment (repeatable).
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    set_env: Vec<std::ffi::OsString>,
    /// Remove VAR from the guest's environment (repeatable; applied before -E).
    #[arg(short = 'U', value_name = "VAR")]
    unset_env: Vec<std::ffi::OsString>,
    /// execve of a program that is not i386 fails with ENOEXEC instead of
    /// running it on the host.
    #[arg(long)]
    no_host_exec: bool,
    /// Neither take translations from earlier runs of the program nor keep
    /// this run's: by default they are kept in $EMU_CACHE_DIR, else
    /// $XDG_CACHE_HOME/emu, else ~/.cache/emu, one file per program (not
    /// with EMU_DEBUG set).
    #[arg(long)]
    no_cache: bool,
    /// Print the binfmt_misc registration line that makes the kernel run
    /// i386 ELF programs through this emu (flags F and P; see below).
    #[arg(long)]
    binfmt: bool,
    /// With --binfmt: write the line to /proc/sys/fs/binfmt_misc/register
    /// (as root, with binfmt_misc mounted).
    #[arg(long, requires = "binfmt")]
    register: bool,
    /// The i386 program to run, then its arguments. Everything after the
    /// program is the program's, options included (`emu bash --version`).
    #[arg(
        value_name = "PROGRAM [ARGS]",
        required_unless_present = "binfmt",
        num_args = 1..,
        trailing_var_arg = true
    )]
    command: Vec<std::ffi::OsString>,
}

const BINFMT_HELP: &str = "\
binfmt_misc: `emu --binfmt` prints a line for /proc/sys/fs/binfmt_misc/register
with qemu-i386's magic and mask and the flags F and P; `emu --binfmt --register`
writes it (as root). Then `./prog` of an i386 ELF runs under emu.
  F  fix binary: the kernel opens emu at registration, so the entry works
     in chroots and containers where emu's path does not exist.
  P  preserve argv[0]: the kernel passes the program's path and its original
     argv[0]; emu (seeing AT_FLAGS_PRESERVE_ARGV0) gives the guest that
     argv[0]. Without P the guest's argv[0] is its path.
  C  (not set) credentials from the program: a setuid i386 program would run
     emu with its privileges, and emu does not implement setuid for guests;
     C implies O (an open descriptor instead of the path).
Environment: EMU_SYSROOT=DIR is -L DIR when -L is not given.";

impl Cli {
    /// The command line. `emu PROGRAM ARGS...` with no option of emu's
    /// (the usual start: every argument after the program is the
    /// program's) is taken without clap, whose parser would be a fiftieth
    /// of the start (it builds the whole command first); anything else
    /// goes through clap.
    fn from_args(args: Vec<std::ffi::OsString>) -> Cli {
        use std::os::unix::ffi::OsStrExt;
        match args.get(1) {
            Some(prog) if !prog.as_bytes().starts_with(b"-") => Cli {
                command: args[1..].to_vec(),
                ..Cli::default()
            },
            _ => Cli::parse_from(args),
        }
    }
}

/// `--syscall-entry`: the CLI's spelling of [`SyscallEntry`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum EntryArg {
    /// `sysenter`, returning with `sysexit` when it can (Linux's default).
    #[default]
    Sysenter,
    /// `int $0x80`.
    Int80,
}

impl From<EntryArg> for SyscallEntry {
    fn from(e: EntryArg) -> SyscallEntry {
        match e {
            EntryArg::Sysenter => SyscallEntry::Sysenter,
            EntryArg::Int80 => SyscallEntry::Int80,
        }
    }
}

/// Apply -U VAR (removals) and then -E VAR=VALUE (replace in place or
/// append) to the guest environment.
fn edit_env(
    mut envp: Vec<Vec<u8>>,
    unset: &[std::ffi::OsString],
    set: &[std::ffi::OsString],
) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let key = |e: &[u8]| e.split(|&c| c == b'=').next().unwrap_or(e).to_vec();
    for u in unset {
        let k = u.as_bytes();
        envp.retain(|e| key(e) != k);
    }
    for s in set {
        let s = s.as_bytes();
        let k = key(s);
        match envp.iter_mut().find(|e| key(e) == k) {
            Some(e) => *e = s.to_vec(),
            None => envp.push(s.to_vec()),
        }
    }
    envp
}

fn main() -> ExitCode {
    use std::os::unix::ffi::OsStrExt;
    let cli = Cli::from_args(std::env::args_os().collect());
    if cli.binfmt {
        let me = std::env::current_exe().and_then(std::fs::canonicalize);
        let me = match me {
            Ok(p) => p,
            Err(e) => {
                eprintln!("emu: cannot find emu's own path: {e}");
                return ExitCode::from(1);
            }
        };
        let line = binfmt::line(&me);
        if !cli.register {
            println!("{line}");
            return ExitCode::SUCCESS;
        }
        return match binfmt::register(&binfmt::dir(), &line) {
            Ok(()) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(m) => {
                eprintln!("emu: {m}");
                ExitCode::from(1)
            }
        };
    }
    let path = std::path::Path::new(&cli.command[0]);
    // Started by binfmt_misc with P: the path, then the original argv[0].
    let (execfn, argv) = binfmt::guest_argv(&cli.command, binfmt::preserve_argv0());
    let envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            e
        })
        .collect();
    let envp = edit_env(envp, &cli.unset_env, &cli.set_env);
    let t0 = Instant::now();
    let first_pid = std::process::id();
    let exe = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let frames = match &cli.frames {
        Some(f) => match emu::kernel::frames::FrameLog::create(f) {
            Ok(log) => Some(std::sync::Mutex::new(log)),
            Err(e) => {
                eprintln!("emu: {}: {e}", f.display());
                return ExitCode::from(125);
            }
        },
        None => None,
    };
    let strace = match (&cli.strace_file, cli.strace) {
        (Some(f), _) => match std::fs::File::create(f) {
            Ok(file) => Some(emu::kernel::strace::Strace::new(file, true)),
            Err(e) => {
                eprintln!("emu: {}: {e}", f.display());
                return ExitCode::from(125);
            }
        },
        // A descriptor of emu's own (close-on-exec, above the guest's):
        // the guest redirecting its fd 2 does not move the trace.
        (None, true) => match std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
            Ok(fd) => Some(emu::kernel::strace::Strace::new(fd.into(), false)),
            Err(e) => {
                eprintln!("emu: stderr: {e}");
                return ExitCode::from(125);
            }
        },
        (None, false) => None,
    };
    // -L wins over EMU_SYSROOT (as qemu's -L over QEMU_LD_PREFIX).
    let sysroot = cli.sysroot.clone().or_else(|| {
        std::env::var_os("EMU_SYSROOT")
            .filter(|s| !s.is_empty())
            .map(std::path::PathBuf::from)
    });
    let syscall_stats = cli.stats.then(emu::kernel::strace::SyscallStats::default);
    let cfg = Config {
        syscall_stats,
        sysroot: sysroot.as_deref().map(emu::kernel::path::sysroot),
        entry: cli.syscall_entry.into(),
        frames,
        strace,
        no_host_exec: cli.no_host_exec,
        hooks: None,
        gdb: cli.gdb.map(|_| emu::gdb::Debugger::new(cli.gdb_wait)),
        // EMU_DEBUG reports what translation finds (an instruction without
        // a handler): it translates every block.
        tcache: if cli.no_cache || emu::debug::on() {
            None
        } else {
            emu::cpu::tcache::default_dir()
        },
    };
    let loaded = Task::from_file(path, &exe, &execfn, &argv, &envp, std::sync::Arc::new(cfg));
    let mut p = match loaded {
        Ok(p) => p,
        Err(LoadError::NotFound(m)) => {
            // The program itself, or its interpreter (named in `m`).
            let shown = path.display().to_string();
            if m.starts_with(&shown) {
                eprintln!("emu: {m}");
            } else {
                eprintln!("emu: {shown}: {m}");
            }
            return ExitCode::from(127);
        }
        Err(
            LoadError::Invalid(m)
            | LoadError::TooBig(m)
            | LoadError::Access(m)
            | LoadError::BadInterp(m)
            | LoadError::ShortInterp(m),
        ) => {
            eprintln!("emu: {}: {m}", path.display());
            return ExitCode::from(126);
        }
    };
    if let (Some(d), Some(port)) = (&p.cfg.gdb, cli.gdb) {
        // After loading: the guest's descriptor table does not get the socket.
        match d.listen(&p, port) {
            Ok(a) => eprintln!("emu: gdb: listening on {a}"),
            Err(e) => {
                eprintln!("emu: --gdb {port}: {e}");
                return ExitCode::from(125);
            }
        }
    }
    let st = p.run();
    // Translations made this run, for the next (see --no-cache).
    p.save_translations();
    if let Some(d) = &p.cfg.gdb {
        d.exited(st);
    }
    if let (Some(log), Some(f)) = (&p.cfg.frames, &cli.frames) {
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = log.finish() {
            eprintln!("emu: {}: frames not written: {e}", f.display());
            return ExitCode::from(125);
        }
    }
    if cli.stats {
        let secs = t0.elapsed().as_secs_f64();
        eprintln!("instructions: {}", p.cpu.icount);
        eprintln!("blocks: {}", p.cache.translated);
        eprintln!("blocks_taken_over: {}", p.cache.adopted);
        eprintln!("blocks_loaded: {}", p.cache.loaded);
        eprintln!("block_execs: {}", p.cache.executed + p.cpu.chain.count);
        eprintln!("chain_table: {}", p.cpu.chain.table);
        eprintln!("syscalls: {}", p.syscalls);
        eprintln!("sysexits: {}", p.stats.sysexits);
        eprintln!("seconds: {secs:.6}");
        eprintln!("mips: {:.1}", p.cpu.icount as f64 / secs / 1e6);
        // The table counts every process and thread (shared counters): the
        // first process prints it, as strace -c -f does once.
        if let (Some(s), true) = (&p.cfg.syscall_stats, std::process::id() == first_pid) {
            eprint!("{}", s.table());
        }
    }
    // The address space, the block cache and the rest go with the process:
    // tearing them down here only costs time at exit.
    std::mem::forget(p);
    match st {
        ExitStatus::Exited(c) => ExitCode::from(c as u8),
        ExitStatus::Signaled(s) => emu::kernel::exit::die_by_signal(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command line without options of emu's means what clap makes of
    /// it, the program's own options and emu's spellings included.
    #[test]
    fn plain_command_lines_parse_as_clap_does() {
        let lines: &[&[&str]] = &[
            &["emu", "prog"],
            &["emu", "./prog", "a", "b"],
            &["emu", "bash", "--version"],
            &["emu", "prog", "--stats", "-L", "/x", "--", "-E", "A=1"],
            &["emu", ""],
            &["emu", "prog", "-"],
        ];
        for l in lines {
            let args: Vec<std::ffi::OsString> = l.iter().map(Into::into).collect();
            let clap = Cli::try_parse_from(args.clone()).unwrap();
            assert_eq!(Cli::from_args(args), clap, "{l:?}");
        }
        // With an option of emu's, clap parses.
        let args: Vec<std::ffi::OsString> = ["emu", "--stats", "-E", "A=1", "prog", "x"]
            .iter()
            .map(Into::into)
            .collect();
        let cli = Cli::from_args(args);
        assert!(cli.stats);
        assert_eq!(cli.set_env, ["A=1"]);
        assert_eq!(cli.command, ["prog", "x"]);
    }
}
