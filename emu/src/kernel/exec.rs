//! execve and execveat: Linux's `do_execveat_common`, `bprm_execve`,
//! `load_script` and `begin_new_exec` (fs/exec.c, fs/binfmt_script.c).
//!
//! - **Before the point of no return** everything that can fail is done
//!   and fails with the caller intact: the argument strings are copied
//!   (E2BIG, EFAULT), the file is opened and checked (ENOENT, ENOTDIR,
//!   ELOOP, EACCES for a non-regular or non-executable file), `#!` lines
//!   are resolved as binfmt_script does (interpreter plus one optional
//!   argument; at most five levels, then ELOOP; the interpreter looked up
//!   through `-L` first), and an i386 ELF is checked as the loader will
//!   load it (ENOEXEC, E2BIG).
//! - **An i386 ELF replaces the guest image inside this emu process**,
//!   keeping the pid (`exec_binprm`): other threads are ended (de_thread;
//!   when the caller is not the leader, the leader's host thread takes the
//!   new program over, so that its tid is the pid as after a native exec),
//!   the robust list and clear_child_tid are released and a vfork parent
//!   goes on, close-on-exec descriptors are closed, the address space is
//!   emptied and the program loaded into it with a fresh CPU (registers,
//!   FPU, TLS entries, LDT), and the syscall returns 0 into the new
//!   program's `pt_regs` (`start_thread`). comm and /proc/self/exe follow.
//! - **Anything else** (a host program, or a format only the host knows)
//!   goes to the host's execve, as qemu-user does: the guest's descriptors
//!   are given their guest numbers on the host first (and put back if the
//!   host's execve fails). `--no-host-exec` makes that ENOEXEC instead.
//!   A dynamically linked i386 program is loaded with its interpreter
//!   ([`loader::interp`]), found through `-L` first; a missing one is
//!   ENOENT, a non-executable one EACCES, one shorter than an ELF header
//!   EIO, one that is not i386 ELF ELIBBAD.

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Arc, Mutex};

use super::abi::errno::Errno;
use super::abi::fs::at;
use super::mm::{MapFile, Mm};
use super::path::{self, Intent};
use super::syscall::SysResult;
use super::task::{lock, Task};
use super::{exit, fs, sys};
use crate::arch::ptregs::{off, PtRegs};
use crate::arch::{gdt, kmem};
use crate::cpu::Cpu;
use crate::loader::{self, LoadError};

/// MAX_ARG_STRLEN: the longest argument or environment string, NUL included.
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// The most argument and environment bytes (strings plus a 64-bit kernel's
/// pointer each) any stack rlimit allows: _STK_LIM / 4 * 3.
const MAX_ARG_SPACE: usize = (8 << 20) / 4 * 3;
/// BINPRM_BUF_SIZE: how much of the file the format handlers look at.
const BINPRM_BUF_SIZE: usize = 256;
/// Interpreter levels (`#!` lines) before ELOOP.
const MAX_DEPTH: u32 = 5;

const EM_386: u16 = 3;

pub fn sys_execve(p: &mut Task, filename: u32, argv: u32, envp: u32) -> SysResult {
    do_execveat(p, at::FDCWD, filename, argv, envp, 0)
}

pub fn sys_execveat(
    p: &mut Task,
    dirfd: u32,
    filename: u32,
    argv: u32,
    envp: u32,
    flags: u32,
) -> SysResult {
    do_execveat(p, dirfd, filename, argv, envp, flags)
}

/// What the program to run is.
enum Kind {
    /// An i386 ELF, mapped for the loader.
    I386(memmap2::Mmap),
    /// Something the host's execve gets.
    Host,
}

/// `struct linux_binprm`: the program found, and what it is given.
pub struct Bprm {
    kind: Kind,
    /// The opened program (after `#!` resolution).
    file: std::fs::File,
    /// How the host finds it: (host dirfd, host path).
    dirfd: i32,
    path: CString,
    /// The filename as given to execve (AT_EXECFN; comm is its base name).
    filename: Vec<u8>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
}

/// What the leader needs to run a program another thread exec'd.
pub struct Handoff {
    bprm: Bprm,
    personality: u32,
    files: Arc<Mutex<fs::Files>>,
    /// The exec'ing call's number (execve or execveat), for the new frame.
    nr: u32,
    /// The exec'ing thread's signal mask, which the program inherits.
    blocked: u64,
    /// The exec'ing thread.
    from: Arc<super::task::TaskCtl>,
}

fn do_execveat(
    p: &mut Task,
    dirfd: u32,
    fname: u32,
    argv: u32,
    envp: u32,
    flags: u32,
) -> SysResult {
    if flags & !(at::EMPTY_PATH | at::SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = path::read_path_at(p, fname, flags)?;
    let mut argv = copy_strings(p, argv)?;
    let envp = copy_strings(p, envp)?;
    // Linux >= 5.18: an empty argv gets "" so argv[0] exists.
    if argv.is_empty() {
        argv.push(Vec::new());
    }
    // bprm->filename: the path, or /dev/fd/N[/path] for a descriptor.
    let filename = if name.first() == Some(&b'/') || dirfd == at::FDCWD {
        name.clone()
    } else if name.is_empty() {
        format!("/dev/fd/{dirfd}").into_bytes()
    } else {
        let mut f = format!("/dev/fd/{dirfd}/").into_bytes();
        f.extend_from_slice(&name);
        f
    };
    let (hdir, hpath) = if name.is_empty() {
        (p.files().host(dirfd)?, CString::default())
    } else {
        let intent = if flags & at::SYMLINK_NOFOLLOW != 0 {
            Intent::NoFollow
        } else {
            Intent::Follow
        };
        path::resolve_at(p, dirfd, &name, intent)?
    };
    let b = prepare(p, hdir, hpath, flags, filename, argv, envp)?;
    match b.kind {
        Kind::I386(_) => exec_i386(p, b),
        Kind::Host => exec_host(p, b),
    }
}

/// copy_strings: a NULL-terminated array of string pointers from the
/// guest, with Linux's limits (each string at most MAX_ARG_STRLEN with its
/// NUL, all of them within the largest argument space; E2BIG beyond).
fn copy_strings(p: &mut Task, mut addr: u32) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut space = 0usize;
    loop {
        let s = p.read_u32(addr)?;
        if s == 0 {
            return Ok(out);
        }
        let v = match p.read_cstr(s, MAX_ARG_STRLEN - 1) {
            Err(Errno::ENAMETOOLONG) => return Err(Errno::E2BIG),
            r => r?,
        };
        space += v.len() + 1 + 8;
        if space > MAX_ARG_SPACE {
            return Err(Errno::E2BIG);
        }
        out.push(v);
        addr = addr.wrapping_add(4);
    }
}

/// bprm_execve's search: open the program, follow `#!` lines, and find
/// which loader runs it.
fn prepare(
    p: &mut Task,
    mut dirfd: i32,
    mut path: CString,
    mut flags: u32,
    filename: Vec<u8>,
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Bprm, Errno> {
    for depth in 0.. {
        if depth > MAX_DEPTH {
            return Err(Errno::ELOOP);
        }
        let (file, readable) = open_exec(dirfd, &path, flags)?;
        if !readable {
            // An execute-only program: only the kernel can read it, so
            // only the host can run it (emu cannot load it).
            if p.cfg.no_host_exec {
                return Err(Errno::EACCES);
            }
            return Ok(Bprm {
                kind: Kind::Host,
                file,
                dirfd,
                path,
                filename,
                argv,
                envp,
            });
        }
        let mut buf = [0u8; BINPRM_BUF_SIZE];
        let n = read_head(&file, &mut buf)?;
        let head = &buf[..n];
        if head.starts_with(b"#!") {
            let (name, arg) = parse_shebang(&buf)?;
            // The script's path as this level named it (bprm->interp).
            let script = if depth == 0 {
                filename.clone()
            } else {
                path.as_bytes().to_vec()
            };
            let mut nargv = vec![name.clone()];
            nargv.extend(arg);
            nargv.push(script);
            nargv.extend(argv.drain(..).skip(1));
            argv = nargv;
            let (d, hp) = if name.first() == Some(&b'/') {
                (libc::AT_FDCWD, path::host_abs(p, &name, Intent::Follow)?)
            } else {
                (
                    libc::AT_FDCWD,
                    CString::new(name).map_err(|_| Errno::ENOENT)?,
                )
            };
            dirfd = d;
            path = hp;
            flags = 0;
            continue;
        }
        let kind = if head.starts_with(b"\x7fELF") && is_i386(head) {
            let image = unsafe { memmap2::Mmap::map(&file) }.map_err(|_| Errno::ENOEXEC)?;
            match loader::check(
                &image,
                &filename,
                &argv,
                &envp,
                &exec_layout(p),
                p.sysroot(),
            ) {
                Ok(()) => Kind::I386(image),
                Err(LoadError::TooBig(_)) => return Err(Errno::E2BIG),
                // The interpreter: missing, not executable, not i386.
                Err(LoadError::NotFound(_)) => return Err(Errno::ENOENT),
                Err(LoadError::Access(_)) => return Err(Errno::EACCES),
                Err(LoadError::BadInterp(_)) => return Err(Errno::ELIBBAD),
                Err(LoadError::ShortInterp(_)) => return Err(Errno::EIO),
                Err(_) => return Err(Errno::ENOEXEC),
            }
        } else if !p.cfg.no_host_exec {
            Kind::Host
        } else {
            return Err(Errno::ENOEXEC);
        };
        return Ok(Bprm {
            kind,
            file,
            dirfd,
            path,
            filename,
            argv,
            envp,
        });
    }
    unreachable!()
}

/// ELFCLASS32, little-endian, EM_386.
fn is_i386(head: &[u8]) -> bool {
    head.len() >= 20
        && head[4] == 1
        && head[5] == 1
        && u16::from_le_bytes([head[18], head[19]]) == EM_386
}

/// do_open_execat: open for reading; a file that is not regular, or that
/// the caller may not execute, or on a noexec mount, is EACCES. The kernel
/// reads the program whatever the caller may read; emu, which runs as the
/// caller, cannot read an execute-only one (mode 0711 of another user):
/// that file is opened with O_PATH instead and the flag is false.
fn open_exec(dirfd: i32, path: &CStr, flags: u32) -> Result<(std::fs::File, bool), Errno> {
    let open = |mode: i32| {
        if path.is_empty() {
            // AT_EMPTY_PATH: the file the descriptor names.
            let proc = CString::new(format!("/proc/self/fd/{dirfd}")).map_err(|_| Errno::ENOENT)?;
            Ok(unsafe { libc::open(proc.as_ptr(), mode | libc::O_CLOEXEC) })
        } else {
            let mut oflags = mode | libc::O_CLOEXEC;
            if flags & at::SYMLINK_NOFOLLOW != 0 {
                oflags |= libc::O_NOFOLLOW;
            }
            Ok(unsafe { libc::openat(dirfd, path.as_ptr(), oflags) })
        }
    };
    let mut readable = true;
    let mut h = open(libc::O_RDONLY)?;
    if h < 0 && Errno::last() == Errno::EACCES {
        h = open(libc::O_PATH)?;
        readable = false;
        if h < 0 {
            return Err(Errno::EACCES);
        }
    }
    if h < 0 {
        return Err(Errno::last());
    }
    let file = unsafe { std::fs::File::from_raw_fd(h) };
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(h, &mut st) } != 0 {
        return Err(Errno::last());
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::EACCES);
    }
    let x = unsafe {
        libc::faccessat(
            h,
            c"".as_ptr(),
            libc::X_OK,
            libc::AT_EMPTY_PATH | libc::AT_EACCESS,
        )
    };
    if x != 0 {
        return Err(Errno::EACCES);
    }
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatvfs(h, &mut vfs) } == 0 && vfs.f_flag & libc::ST_NOEXEC != 0 {
        return Err(Errno::EACCES);
    }
    Ok((file, readable))
}

/// The first BINPRM_BUF_SIZE bytes (fewer for a short file; the rest of
/// `buf` stays zero, as the kernel's buffer does).
fn read_head(file: &std::fs::File, buf: &mut [u8]) -> Result<usize, Errno> {
    let n = unsafe {
        libc::pread(
            file.as_raw_fd(),
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            0,
        )
    };
    if n < 0 {
        Err(Errno::last())
    } else {
        Ok(n as usize)
    }
}

/// binfmt_script's parse of a `#!` line in the 256-byte buffer: the
/// interpreter, and everything after it (trimmed) as one optional
/// argument. Without a newline the interpreter must end inside the
/// buffer (ENOEXEC otherwise); the argument may be cut.
pub fn parse_shebang(buf: &[u8; BINPRM_BUF_SIZE]) -> Result<(Vec<u8>, Option<Vec<u8>>), Errno> {
    let spacetab = |c: u8| c == b' ' || c == b'\t';
    let terminator = |c: u8| spacetab(c) || c == 0;
    let last = buf.len() - 1;
    let next_non_spacetab =
        |from: usize, to: usize| (from..=to).find(|&k| k < buf.len() && !spacetab(buf[k]));
    let next_terminator = |from: usize, to: usize| (from..=to).find(|&k| terminator(buf[k]));
    let mut i_end = match buf.iter().position(|&c| c == b'\n') {
        Some(k) => k,
        None => {
            let Some(k) = next_non_spacetab(2, last) else {
                return Err(Errno::ENOEXEC);
            };
            if next_terminator(k, last).is_none() {
                return Err(Errno::ENOEXEC);
            }
            last
        }
    };
    while i_end > 2 && spacetab(buf[i_end - 1]) {
        i_end -= 1;
    }
    let Some(i_name) = next_non_spacetab(2, i_end).filter(|&k| k < i_end) else {
        return Err(Errno::ENOEXEC);
    };
    let i_sep = next_terminator(i_name, i_end).filter(|&k| k < i_end);
    let name_end = i_sep.unwrap_or(i_end);
    let name = buf[i_name..name_end].to_vec();
    // The name stops at a NUL too (the kernel's strings are C strings).
    let name: Vec<u8> = name.split(|&c| c == 0).next().unwrap_or(&[]).to_vec();
    let arg = match i_sep {
        Some(s) if buf[s] != 0 => next_non_spacetab(s, i_end).filter(|&a| a < i_end).map(|a| {
            let v = &buf[a..i_end];
            v.split(|&c| c == 0).next().unwrap_or(&[]).to_vec()
        }),
        _ => None,
    };
    Ok((name, arg))
}

// ---- an i386 program, in this process ----

fn exec_i386(p: &mut Task, b: Bprm) -> SysResult {
    // The point of no return: de_thread.
    if !exit::others(p).is_empty() {
        exit::de_thread(p);
        if !p.is_leader() {
            // The leader's host thread runs the new program (its tid is
            // the pid); this thread ends.
            let h = Handoff {
                bprm: b,
                personality: p.personality,
                blocked: p.sig.blocked,
                files: p.files.clone(),
                nr: p.cpu.sys.kmem.r32(p.frame + off::ORIG_AX).unwrap_or(11),
                from: p.ctl.clone(),
            };
            // The leader starts the program once this thread is gone.
            p.ctl.gone.store(p.tid, std::sync::atomic::Ordering::SeqCst);
            lock(&p.group.state).exec = Some(Box::new(h));
            p.group.changed.notify_all();
            p.exit = Some(super::ExitStatus::Exited(0));
            return Ok(0);
        }
    }
    exec_binprm(p, b);
    Ok(0)
}

/// The leader takes over a program another thread exec'd (see
/// [`super::exit::finish`]), and returns to user mode in it.
pub fn take_over(p: &mut Task, h: Handoff) {
    h.from.wait_gone();
    {
        let mut g = lock(&p.group.state);
        g.threads.push(p.ctl.clone());
        g.leader_exit = None;
    }
    p.cpu.irq.store(0, std::sync::atomic::Ordering::SeqCst);
    p.exit = None;
    p.personality = h.personality;
    p.files = h.files;
    super::signal::set_blocked(p, h.blocked);
    exec_binprm_nr(p, h.bprm, h.nr);
    if p.exit.is_none() {
        super::entry::ret_to_user(p);
    }
}

/// The rest of the exec, on the task that will run the program.
fn exec_binprm(p: &mut Task, b: Bprm) {
    let nr = p.cpu.sys.kmem.r32(p.frame + off::ORIG_AX).unwrap_or(11);
    exec_binprm_nr(p, b, nr);
}

fn exec_binprm_nr(p: &mut Task, b: Bprm, nr: u32) {
    if let Err(e) = begin_new_exec(p, b, nr) {
        // Past the point of no return: the process dies (SIGSEGV, as
        // Linux's force_fatal_sig after a failed load).
        crate::debug!("execve failed after the point of no return: {e}");
        exit::do_group_exit(p, super::ExitStatus::Signaled(super::SIGSEGV));
    }
}

/// The layout the new program gets: from the caller's RLIMIT_STACK (the
/// bprm's rlim_stack) and its ADDR_COMPAT_LAYOUT personality bit.
fn exec_layout(p: &Task) -> loader::Layout {
    use super::abi::sys::{per, rlimit};
    loader::Layout::new(
        p.rlim_cur(rlimit::STACK),
        p.personality & per::ADDR_COMPAT_LAYOUT != 0,
    )
}

fn begin_new_exec(p: &mut Task, b: Bprm, nr: u32) -> Result<(), LoadError> {
    let Kind::I386(image) = &b.kind else {
        return Err(LoadError::Invalid("not an i386 program".into()));
    };
    // exec_mm_release: the robust list, clear_child_tid, vfork_done.
    exit::mm_release(p);
    p.files().exec_prepare();
    // flush_signal_handlers: caught signals to the default, ignored ones
    // stay ignored; the mask and pending signals stay; no alternate stack.
    lock(&p.sighand).exec_reset();
    p.sig.alt_sp = 0;
    p.sig.alt_size = 0;
    p.sig.alt_flags = 0;
    // The old program's translations stay, for the code the new one has
    // at the same addresses (a fork's child execing its parent's program,
    // a shell's commands from one busybox). A fork's child's are its
    // parent's pages, shared copy-on-write: they are never freed, which
    // would copy every page only to throw it away.
    let mem = p.cpu.mem.clone();
    // The program ends in this process: keep what it translated for its
    // next run (code other threads wrote, now ended, goes first, so that
    // every block kept, here and in the prior cache, is what its pages
    // hold). A fork's child keeps only what it translated itself (code
    // its parent never ran, such as a shell's path from fork to exec),
    // once: the parent takes the new file at its next fork.
    p.save_translations();
    let prev_store = p.cache.store();
    let old = std::mem::replace(&mut p.cache, crate::cpu::cache::BlockCache::placeholder());
    p.cache = crate::cpu::cache::BlockCache::for_exec(old, &mem, p.forked);
    p.forked = false;
    if let Ok(md) = b.file.metadata() {
        p.attach_tcache(&md, prev_store);
    }
    // A new address space in the same window.
    mem.reset()
        .map_err(|e| LoadError::Invalid(format!("cannot reset guest memory: {e}")))?;
    let exe =
        std::fs::read_link(format!("/proc/self/fd/{}", b.file.as_raw_fd())).unwrap_or_else(|_| {
            std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b.path.as_bytes()))
        });
    let mf = MapFile::for_exe(&b.file, &exe).map_err(|e| LoadError::Invalid(e.to_string()))?;
    let mut vdso = None;
    let entry = p.cfg.entry;
    let layout = exec_layout(p);
    let l = loader::load_with(
        &mem,
        image,
        Some(b.file.as_fd()),
        &b.filename,
        &b.argv,
        &b.envp,
        &layout,
        p.cfg.sysroot.clone().as_deref(),
        |mem, area| {
            let (v, m) = loader::vdso::map(mem, area, entry)?;
            vdso = Some(m);
            Ok(Some(v))
        },
    )?;
    let mut mm = Mm::new(
        &l,
        image,
        vdso.map(|m| m.base),
        Some(mf).filter(|_| l.file_mapped),
    );
    mm.exe = exe;
    p.mm = Arc::new(Mutex::new(mm));
    p.vdso_landing_pad = Arc::new(std::sync::atomic::AtomicU32::new(
        vdso.map_or(0, |m| m.landing_pad),
    ));
    if l.read_implies_exec {
        p.personality |= super::abi::sys::per::READ_IMPLIES_EXEC;
    }
    sys::set_comm(&b.filename);
    // A fresh CPU on the same memory and interrupt line; the syscall trace
    // flag stays.
    let ti = p.cpu.sys.thread_info() + super::entry::thread_info::SYSCALL_WORK;
    let work = p.cpu.sys.kmem.r32(ti).unwrap_or(0);
    let irq = p.cpu.irq.clone();
    p.cpu = Cpu::new(mem);
    p.cpu.irq = irq;
    let _ = p.cpu.sys.kmem.w32(ti, work);
    start_thread(p, l.entry, l.sp, nr);
    Ok(())
}

/// start_thread (with ELF_PLAT_INIT): the new program's `pt_regs` at the
/// top of the kernel stack, as the syscall will return into it: ip and sp
/// of the new image, the user selectors, IF set, every other register 0
/// (the return value, 0, goes into ax).
fn start_thread(p: &mut Task, ip: u32, sp: u32, nr: u32) {
    let top = kmem::KBASE + kmem::STACK_OFF + kmem::THREAD_SIZE - kmem::STACK_PADDING;
    let frame = top - off::SIZE;
    let r = PtRegs {
        ds: gdt::USER_DS_SEL,
        es: gdt::USER_DS_SEL,
        orig_ax: nr,
        ip,
        cs: gdt::USER_CS_SEL,
        flags: crate::cpu::flags::IF | 2,
        sp,
        ss: gdt::USER_DS_SEL,
        ..PtRegs::default()
    };
    let _ = p
        .cpu
        .sys
        .kmem
        .write_pod_prefix(frame, &r, off::SIZE as usize);
    crate::arch::intr::kernel_mode(&mut p.cpu, frame);
    p.frame = frame;
}

// ---- anything else: the host's execve ----

/// The host's execve, with the guest's descriptors under their guest
/// numbers. On failure everything is put back and the error returned.
fn exec_host(p: &mut Task, b: Bprm) -> SysResult {
    let cstrs = |v: &[Vec<u8>]| -> Result<Vec<CString>, Errno> {
        v.iter()
            .map(|s| CString::new(s.clone()).map_err(|_| Errno::EINVAL))
            .collect()
    };
    let argv = cstrs(&b.argv)?;
    let envp = cstrs(&b.envp)?;
    let mut av: Vec<*const libc::c_char> = argv.iter().map(|s| s.as_ptr()).collect();
    av.push(std::ptr::null());
    let mut ev: Vec<*const libc::c_char> = envp.iter().map(|s| s.as_ptr()).collect();
    ev.push(std::ptr::null());
    p.flush_frames();
    // A vfork parent's memory gets the child's stores before a successful
    // exec closes its pipe.
    super::vfork::flush(p);
    let undo = FdArrangement::apply(&p.files().entries())?;
    // What the guest has not asked to ignore is not ignored (emu ignores
    // SIGPIPE for itself; exec keeps ignored signals ignored).
    let old_pipe = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    super::strace::leaving(p);
    let r = if b.path.is_empty() {
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                b.file.as_raw_fd(),
                c"".as_ptr(),
                av.as_ptr(),
                ev.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        }
    } else {
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                b.dirfd,
                b.path.as_ptr(),
                av.as_ptr(),
                ev.as_ptr(),
                0,
            )
        }
    };
    let e = if r < 0 { Errno::last() } else { Errno::EIO };
    super::strace::stayed(p);
    unsafe { libc::signal(libc::SIGPIPE, old_pipe) };
    undo.restore();
    Err(e)
}

/// The guest's descriptors moved to their guest numbers for a host exec,
/// with what it takes to undo that.
struct FdArrangement {
    /// (fd number, what was there: a saved copy and its FD_CLOEXEC, or nothing).
    replaced: Vec<(i32, Option<(i32, bool)>)>,
    /// Host fds whose FD_CLOEXEC was set for the exec (guest close-on-exec).
    marked: Vec<i32>,
}

impl FdArrangement {
    /// `entries`: (guest fd, host fd, guest close-on-exec).
    fn apply(entries: &[(u32, i32, bool)]) -> Result<FdArrangement, Errno> {
        let high = |h: i32| unsafe { libc::fcntl(h, libc::F_DUPFD_CLOEXEC, 1024) };
        let keep: Vec<(i32, i32)> = entries
            .iter()
            .filter(|e| !e.2)
            .map(|&(g, h, _)| (g as i32, h))
            .collect();
        // Copies of the sources first: placing one may overwrite another.
        let mut srcs = Vec::with_capacity(keep.len());
        for &(_, h) in &keep {
            let c = high(h);
            if c < 0 {
                let e = Errno::last();
                srcs.iter().for_each(|&c| unsafe {
                    libc::close(c);
                });
                return Err(e);
            }
            srcs.push(c);
        }
        let mut a = FdArrangement {
            replaced: Vec::new(),
            marked: Vec::new(),
        };
        for (&(g, _), &src) in keep.iter().zip(&srcs) {
            let fl = unsafe { libc::fcntl(g, libc::F_GETFD) };
            let saved = if fl >= 0 {
                Some((high(g), fl & libc::FD_CLOEXEC != 0))
            } else {
                None
            };
            a.replaced.push((g, saved));
            if unsafe { libc::dup2(src, g) } < 0 {
                let e = Errno::last();
                srcs.iter().for_each(|&c| unsafe {
                    libc::close(c);
                });
                a.restore();
                return Err(e);
            }
        }
        srcs.iter().for_each(|&c| unsafe {
            libc::close(c);
        });
        // The guest's close-on-exec descriptors must not survive.
        let targets: Vec<i32> = keep.iter().map(|k| k.0).collect();
        for &(_, h, cloexec) in entries {
            if cloexec && !targets.contains(&h) {
                let fl = unsafe { libc::fcntl(h, libc::F_GETFD) };
                if fl >= 0 && fl & libc::FD_CLOEXEC == 0 {
                    unsafe { libc::fcntl(h, libc::F_SETFD, fl | libc::FD_CLOEXEC) };
                    a.marked.push(h);
                }
            }
        }
        Ok(a)
    }

    /// Put every descriptor back as it was.
    fn restore(self) {
        for h in self.marked {
            let fl = unsafe { libc::fcntl(h, libc::F_GETFD) };
            unsafe { libc::fcntl(h, libc::F_SETFD, fl & !libc::FD_CLOEXEC) };
        }
        for (g, saved) in self.replaced.into_iter().rev() {
            match saved {
                Some((c, cloexec)) => unsafe {
                    libc::dup3(c, g, if cloexec { libc::O_CLOEXEC } else { 0 });
                    libc::close(c);
                },
                None => unsafe {
                    libc::close(g);
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(s: &[u8]) -> [u8; BINPRM_BUF_SIZE] {
        let mut b = [0u8; BINPRM_BUF_SIZE];
        b[..s.len()].copy_from_slice(s);
        b
    }

    #[test]
    fn shebang_lines() {
        let p = |s: &[u8]| parse_shebang(&buf(s));
        assert_eq!(p(b"#!/bin/sh\necho"), Ok((b"/bin/sh".to_vec(), None)));
        assert_eq!(
            p(b"#! /usr/bin/env  python3 -u \n"),
            Ok((b"/usr/bin/env".to_vec(), Some(b"python3 -u".to_vec())))
        );
        assert_eq!(
            p(b"#!/bin/awk\t-f\n"),
            Ok((b"/bin/awk".to_vec(), Some(b"-f".to_vec())))
        );
        assert_eq!(p(b"#!\n"), Err(Errno::ENOEXEC));
        assert_eq!(p(b"#!   \t\n"), Err(Errno::ENOEXEC));
        // No newline: a short file's zero padding ends the name.
        assert_eq!(p(b"#!/bin/sh"), Ok((b"/bin/sh".to_vec(), None)));
        // A name that fills the buffer is truncated: refused.
        let mut long = b"#!/".to_vec();
        long.resize(BINPRM_BUF_SIZE, b'x');
        assert_eq!(p(&long), Err(Errno::ENOEXEC));
        // A long argument is cut, not refused.
        let mut arg = b"#!/bin/sh ".to_vec();
        arg.resize(BINPRM_BUF_SIZE, b'a');
        let (n, a) = p(&arg).unwrap();
        assert_eq!(n, b"/bin/sh");
        assert_eq!(a.unwrap().len(), BINPRM_BUF_SIZE - 1 - 10);
    }
}
