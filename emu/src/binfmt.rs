//! `emu --binfmt [--register]`: the binfmt_misc entry that makes the host
//! kernel run i386 ELF programs through emu (Documentation/admin-guide/
//! binfmt-misc.rst), and how emu reads its arguments when started by it.
//!
//! The magic and mask are qemu-i386's (qemu's scripts/qemu-binfmt-conf.sh):
//! the first 20 bytes of an ELF header, ELFCLASS32, little-endian, version
//! 1, any OS/ABI, e_type ET_EXEC or ET_DYN (the mask drops bit 0 of the low
//! byte) and e_machine EM_386.
//!
//! Flags in the line emu prints: `F` (fix binary: the kernel opens emu
//! when the entry is registered, so it keeps working inside chroots and
//! mount namespaces where emu's path does not exist) and `P` (preserve
//! argv[0]: the kernel passes the program's full path and then its
//! original argv[0] as two arguments, and sets AT_FLAGS_PRESERVE_ARGV0 in
//! emu's auxv, so emu can give the guest the argv[0] it was started with;
//! without `P` the guest sees its path as argv[0]). `C` (credentials from
//! the program, not from emu: a setuid i386 program would run emu with
//! its privileges; implies `O`, the kernel passing an open descriptor of
//! the program) is left out: emu does not implement setuid credentials for
//! a guest and loads programs by path.

/// binfmt_misc entry name.
pub const NAME: &str = "emu-i386";
/// qemu-i386's magic and mask, as the register syntax escapes them.
pub const MAGIC: &str = r"\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00";
pub const MASK: &str =
    r"\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";
pub const FLAGS: &str = "FP";
/// Where binfmt_misc is mounted; `EMU_BINFMT_MISC` overrides it (tests).
pub const DEFAULT_DIR: &str = "/proc/sys/fs/binfmt_misc";
/// AT_FLAGS_PRESERVE_ARGV0 in the host auxv's AT_FLAGS (linux/binfmts.h).
const AT_FLAGS_PRESERVE_ARGV0: libc::c_ulong = 1;

/// The registration line for interpreter `emu`.
pub fn line(emu: &std::path::Path) -> String {
    format!(
        ":{NAME}:M::{MAGIC}:{MASK}:{}:{FLAGS}",
        emu.to_string_lossy()
    )
}

/// The binfmt_misc directory to use.
pub fn dir() -> std::path::PathBuf {
    match std::env::var_os("EMU_BINFMT_MISC") {
        Some(d) if !d.is_empty() => d.into(),
        _ => DEFAULT_DIR.into(),
    }
}

/// Write `line` to `dir`/register. Err with a message saying why not.
pub fn register(dir: &std::path::Path, line: &str) -> Result<(), String> {
    use std::io::Write;
    let reg = dir.join("register");
    if dir.join(NAME).exists() {
        return Err(format!(
            "{} already exists: remove it first (echo -1 > {})",
            dir.join(NAME).display(),
            dir.join(NAME).display()
        ));
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&reg)
        .map_err(|e| {
            format!(
                "{}: {e} (binfmt_misc must be mounted there and writable: \
                 as root, mount -t binfmt_misc none {DEFAULT_DIR})",
                reg.display()
            )
        })?;
    // One write: binfmt_misc parses each write as one entry.
    f.write_all(line.as_bytes())
        .map_err(|e| format!("{}: {e}", reg.display()))
}

/// Whether the kernel started emu through a `P` entry: the arguments are
/// then the program's full path and its original argv[0].
pub fn preserve_argv0() -> bool {
    unsafe { libc::getauxval(libc::AT_FLAGS) & AT_FLAGS_PRESERVE_ARGV0 != 0 }
}

/// The guest's AT_EXECFN and argv from emu's PROGRAM [ARGS] (`command`,
/// never empty): with `preserve` (a `P` entry), the second word is the
/// original argv[0] and the arguments follow it; otherwise argv[0] is the
/// program's path.
pub fn guest_argv(command: &[std::ffi::OsString], preserve: bool) -> (Vec<u8>, Vec<Vec<u8>>) {
    use std::os::unix::ffi::OsStrExt;
    let execfn = command[0].as_bytes().to_vec();
    let mut args = &command[1..];
    let argv0 = match args.first() {
        Some(a0) if preserve => {
            args = &args[1..];
            a0.as_bytes().to_vec()
        }
        _ => execfn.clone(),
    };
    let mut argv = vec![argv0];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    (execfn, argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserved_argv0_comes_second() {
        let c = |v: &[&str]| -> Vec<std::ffi::OsString> { v.iter().map(|s| s.into()).collect() };
        let b = |v: &[&str]| -> Vec<Vec<u8>> { v.iter().map(|s| s.as_bytes().to_vec()).collect() };
        let cmd = c(&["/bin/prog", "-sh", "x"]);
        assert_eq!(
            guest_argv(&cmd, true),
            (b"/bin/prog".to_vec(), b(&["-sh", "x"]))
        );
        assert_eq!(
            guest_argv(&cmd, false),
            (b"/bin/prog".to_vec(), b(&["/bin/prog", "-sh", "x"]))
        );
        // An empty argv natively: only the path comes.
        assert_eq!(
            guest_argv(&c(&["/bin/prog"]), true),
            (b"/bin/prog".to_vec(), b(&["/bin/prog"]))
        );
    }

    #[test]
    fn line_is_qemu_i386s_magic_and_mask() {
        let l = line(std::path::Path::new("/usr/local/bin/emu"));
        assert_eq!(
            l,
            r":emu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/local/bin/emu:FP"
        );
        // The mask selects what the magic fixes, byte for byte.
        let bytes = |s: &str| -> Vec<u8> {
            let mut out = Vec::new();
            let b = s.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\\' {
                    out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
                    i += 4;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            out
        };
        let (m, k) = (bytes(MAGIC), bytes(MASK));
        assert_eq!(m.len(), 20);
        assert_eq!(k.len(), 20);
        // binfmt_misc: (header ^ magic) & mask == 0. An i386 ET_EXEC and
        // ET_DYN header match; x86-64 does not.
        let matches = |h: &[u8]| h.iter().zip(&k).zip(&m).all(|((h, k), m)| (h ^ m) & k == 0);
        let mut h = m.clone();
        assert!(matches(&h));
        h[16] = 3;
        assert!(matches(&h));
        h[4] = 2;
        assert!(!matches(&h));
    }
}
