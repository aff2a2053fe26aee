//! Generates the syscall dispatch, names and strace formats from
//! `src/kernel/syscalls.tbl` (the single source of truth).

use std::fmt::Write;

fn main() {
    link_for_startup();
    let tbl = "src/kernel/syscalls.tbl";
    println!("cargo:rerun-if-changed={tbl}");
    let text = std::fs::read_to_string(tbl).expect("read syscalls.tbl");
    let mut rows = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert!(
            f.len() >= 5,
            "syscalls.tbl:{}: expected `nr name handler ret args`",
            ln + 1
        );
        let nr: usize = f[0].parse().expect("nr");
        assert_eq!(
            nr,
            rows.len(),
            "syscalls.tbl:{}: numbers must be dense and ascending",
            ln + 1
        );
        // An optional last token `@class` says what an interrupted call
        // returns (see syscall.rs, `Restart`).
        let (f, restart) = match f.last() {
            Some(t) if t.starts_with('@') => (&f[..f.len() - 1], t[1..].to_string()),
            _ => (&f[..], "sys".to_string()),
        };
        let args: Vec<(String, String)> = if f[4] == "-" {
            vec![]
        } else {
            f[4..]
                .iter()
                .map(|a| {
                    let (fmt, name) = a.split_once(':').expect("arg is fmt:name");
                    (fmt.to_string(), name.to_string())
                })
                .collect()
        };
        assert!(args.len() <= 6);
        rows.push((
            nr,
            f[1].to_string(),
            f[2].to_string(),
            f[3].to_string(),
            args,
            restart,
        ));
    }
    let fmt_variant = |s: &str| match s {
        "int" => "Int",
        "uint" => "Uint",
        "hex" => "Hex",
        "ptr" => "Ptr",
        "fd" => "Fd",
        "str" => "Str",
        "buf" => "Buf",
        "oct" => "Oct",
        "void" => "Void",
        "atfd" => "Atfd",
        "obuf" => "Obuf",
        "oflags" => "Oflags",
        "prot" => "Prot",
        "mflags" => "Mflags",
        "pgoff" => "Pgoff",
        "sig" => "Sig",
        "sighow" => "SigHow",
        "sigset" => "Sigset",
        "sigact" => "Sigact",
        "stat64" => "Stat64",
        "ts" => "Ts",
        "ts64" => "Ts64",
        "tv" => "Tv",
        "iov" => "Iov",
        "sockaddr" => "Sockaddr",
        "pollfd" => "Pollfd",
        "clockid" => "Clockid",
        "tflags" => "Tflags",
        "af" => "Af",
        "socktype" => "Socktype",
        "ipproto" => "Ipproto",
        "atflags" => "Atflags",
        "rlimres" => "Rlimres",
        "rlim32" => "Rlim32",
        "rlim64" => "Rlim64",
        "grnd" => "Grnd",
        "uinfo" => "Uinfo",
        "newtask" => "Newtask",
        "rtframe" => "RtFrame",
        "oldframe" => "OldFrame",
        "fdpair" => "FdPair",
        "fflags" => "Fflags",
        "futexop" => "FutexOp",
        "futexop64" => "FutexOp64",
        "cloneflags" => "CloneFlags",
        "udesc" => "Udesc",
        "wstatus" => "Wstatus",
        "wopts" => "Wopts",
        "madv" => "Madv",
        "stack" => "Stack",
        "mmapargs" => "MmapArgs",
        "statxflags" => "StatxFlags",
        "statxmask" => "StatxMask",
        "statx" => "Statx",
        "bitset" => "Bitset",
        "wakeop" => "WakeOp",
        "xobuf" => "Xobuf",
        "ioctlreq" => "IoctlReq",
        "cloneargs" => "CloneArgs",
        "argv" => "Argv",
        "envp" => "Envp",
        "amode" => "Amode",
        "whence" => "Whence",
        "llseekoff" => "LlseekOff",
        "fcntlcmd" => "FcntlCmd",
        "dents" => "Dents",
        "dents64" => "Dents64",
        "prctlop" => "PrctlOp",
        "cstr" => "Cstr",
        "utsname" => "Utsname",
        "renameflags" => "RenameFlags",
        "msflags" => "MsFlags",
        "outstr" => "OutStr",
        "epollop" => "EpollOp",
        "epollev" => "EpollEv",
        "epollevs" => "EpollEvs",
        "itimer" => "Itimer",
        "itv" => "Itv",
        "rem" => "Rem",
        "rem64" => "Rem64",
        "sockaddrp" => "SockaddrP",
        "socklen" => "SockLen",
        "soklevel" => "SokLevel",
        "sokopt" => "SokOpt",
        "sokval" => "SokVal",
        "msgflags" => "MsgFlags",
        "shuthow" => "ShutHow",
        "sockflags" => "SockFlags",
        other => panic!("unknown format {other}"),
    };
    let mut o = String::new();
    writeln!(
        o,
        "/// Number of entries in the table (numbers >= this give -ENOSYS)."
    )
    .unwrap();
    writeln!(o, "pub const NR_SYSCALLS: u32 = {};", rows.len()).unwrap();
    writeln!(
        o,
        "/// Syscall names by number (\"\" for unassigned numbers)."
    )
    .unwrap();
    writeln!(o, "pub static NAMES: [&str; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(o, "    {:?},", if r.1 == "-" { "" } else { &r.1 }).unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(o, "/// Return-value format by number.").unwrap();
    writeln!(o, "pub static RET: [Fmt; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(o, "    Fmt::{},", fmt_variant(&r.3)).unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(o, "/// Argument formats and names by number.").unwrap();
    writeln!(o, "pub static ARGS: [&[(Fmt, &str)]; {}] = [", rows.len()).unwrap();
    for r in &rows {
        let a: Vec<String> =
            r.4.iter()
                .map(|(f, n)| {
                    let f = f.strip_prefix('>').unwrap_or(f);
                    format!("(Fmt::{}, {:?})", fmt_variant(f), n)
                })
                .collect();
        writeln!(o, "    &[{}],", a.join(", ")).unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(
        o,
        "/// Bit k: argument k is shown on exit (`>fmt` in the table: what the call writes)."
    )
    .unwrap();
    writeln!(o, "pub static OUT: [u8; {}] = [", rows.len()).unwrap();
    for r in &rows {
        let m =
            r.4.iter()
                .enumerate()
                .fold(0u8, |m, (k, (f, _))| m | ((f.starts_with('>') as u8) << k));
        writeln!(o, "    {m:#04x},").unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(o, "/// What each call returns when a signal interrupts it.").unwrap();
    writeln!(o, "pub static RESTART: [Restart; {}] = [", rows.len()).unwrap();
    for r in &rows {
        let v = match r.5.as_str() {
            "sys" => "Sys",
            "nohand" => "NoHand",
            "eintr" => "Eintr",
            other => panic!("unknown restart class @{other}"),
        };
        writeln!(o, "    Restart::{v},").unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(o, "/// Whether a handler exists for each number.").unwrap();
    writeln!(o, "pub static IMPLEMENTED: [bool; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(o, "    {},", r.2 != "-").unwrap();
    }
    writeln!(o, "];").unwrap();
    writeln!(
        o,
        "/// Call the handler for `nr` with the six argument registers."
    )
    .unwrap();
    writeln!(o, "#[inline]").unwrap();
    writeln!(
        o,
        "pub fn dispatch(p: &mut Task, nr: u32, a: [u32; 6]) -> SysResult {{"
    )
    .unwrap();
    writeln!(o, "    #[allow(unused_variables)]").unwrap();
    writeln!(o, "    let _ = a;").unwrap();
    writeln!(o, "    match nr {{").unwrap();
    for r in rows.iter().filter(|r| r.2 != "-") {
        let (module, func) = r.2.rsplit_once("::").expect("handler is module::function");
        // The signal-frame formats describe the user stack, not a
        // register: the handler does not take them.
        let regs = r.4.iter().filter(|(f, _)| !f.ends_with("frame")).count();
        let args: Vec<String> = (0..regs).map(|k| format!("a[{k}]")).collect();
        let sep = if args.is_empty() { "" } else { ", " };
        writeln!(
            o,
            "        {} => super::{}::sys_{}(p{}{}),",
            r.0,
            module,
            func,
            sep,
            args.join(", ")
        )
        .unwrap();
    }
    writeln!(o, "        _ => Err(Errno::ENOSYS),").unwrap();
    writeln!(o, "    }}").unwrap();
    writeln!(o, "}}").unwrap();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("syscalls.rs");
    std::fs::write(out, o).unwrap();
}

/// Link the `emu` binary so that starting it costs little (issue 11, step
/// 8): on Linux with GNU tools, as a position-dependent executable (no
/// relative relocations to apply, and no copy-on-write faults on the
/// pages holding the handler tables) with lazy binding of the few libc
/// functions it imports. Only the binary: tests, benches and proc macros
/// are linked as the toolchain prefers.
fn link_for_startup() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=emu=-no-pie");
        println!("cargo:rustc-link-arg-bin=emu=-Wl,-z,lazy");
    }
}
