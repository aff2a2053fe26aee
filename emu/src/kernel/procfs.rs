//! Emulated /proc files: the ones whose host contents would describe the
//! emulator instead of the guest. Each is generated when opened and served
//! from a read-only memfd, so read, lseek, pread and fstat work naturally.
//!
//! - `/proc/self/maps` (and `/proc/<own pid>/maps`): the guest memory map.
//! - `/proc/self/cmdline` and `/proc/self/environ`: the guest's argument
//!   and environment strings, read from guest memory.
//! - `/proc/cpuinfo`: the emulated CPU (vendor, family, flags from CPUID).
//!
//! `/proc/self/exe` is handled as a path rewrite (see [`super::path`]) and
//! in readlink.

use std::fmt::Write;

use super::abi::errno::Errno;
use super::abi::fs::o;
use super::path;
use super::task::Task;
use crate::cpu::exec::misc;

/// Which emulated /proc file an open guest fd is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gen {
    Maps,
    Cmdline,
    Environ,
    Cpuinfo,
}

impl Gen {
    /// /proc/<pid> files are generated at read time (Linux's seq_file or
    /// a read of the process's memory): reading one from its start makes
    /// its contents again. They cannot be spliced from either.
    pub fn per_process(self) -> bool {
        self != Gen::Cpuinfo
    }

    /// The host's file of the same kind, whose metadata fstat shows (procfs
    /// sizes are 0 and st_blksize 1024, which stdio sizes its buffer by).
    pub fn host_path(self) -> &'static std::ffi::CStr {
        match self {
            Gen::Maps => c"/proc/self/maps",
            Gen::Cmdline => c"/proc/self/cmdline",
            Gen::Environ => c"/proc/self/environ",
            Gen::Cpuinfo => c"/proc/cpuinfo",
        }
    }
}

/// Which emulated /proc file `gpath` names, if any.
pub fn dynamic(p: &Task, gpath: &[u8]) -> Option<Gen> {
    if gpath == b"/proc/cpuinfo" {
        return Some(Gen::Cpuinfo);
    }
    match path::proc_self_tail(p, gpath)? {
        b"maps" => Some(Gen::Maps),
        b"cmdline" => Some(Gen::Cmdline),
        b"environ" => Some(Gen::Environ),
        _ => None,
    }
}

/// The current contents of an emulated /proc file.
pub fn generate(p: &Task, g: Gen) -> Vec<u8> {
    match g {
        Gen::Maps => maps(p),
        Gen::Cmdline => cmdline(p),
        Gen::Environ => environ(p),
        Gen::Cpuinfo => cpuinfo(),
    }
}

/// If `gpath` is an emulated /proc file and the open is read-only, the host
/// fd of a memfd holding its contents.
pub fn open(p: &Task, gpath: &[u8], flags: u32) -> Option<Result<i32, Errno>> {
    let contents = if gpath == b"/proc/cpuinfo" {
        cpuinfo()
    } else if path::proc_self_tail(p, gpath) == Some(b"maps") {
        maps(p)
    } else if path::proc_self_tail(p, gpath) == Some(b"cmdline") {
        cmdline(p)
    } else if path::proc_self_tail(p, gpath) == Some(b"environ") {
        environ(p)
    } else {
        return None;
    };
    if flags & o::ACCMODE != o::RDONLY || flags & (o::CREAT | o::TRUNC | o::PATH) != 0 {
        return None;
    }
    if flags & o::DIRECTORY != 0 {
        return Some(Err(Errno::ENOTDIR));
    }
    Some(memfd_with(b"proc", &contents, flags))
}

/// A sealed, read-only memfd holding `data`, positioned at 0.
pub fn memfd_with(name: &[u8], data: &[u8], flags: u32) -> Result<i32, Errno> {
    let mut n = name.to_vec();
    n.push(0);
    let h = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            n.as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    } as i32;
    if h < 0 {
        return Err(Errno::last());
    }
    let mut off = 0;
    while off < data.len() {
        let r = unsafe {
            libc::write(
                h,
                data[off..].as_ptr() as *const libc::c_void,
                data.len() - off,
            )
        };
        if r <= 0 {
            let e = Errno::last();
            unsafe { libc::close(h) };
            return Err(e);
        }
        off += r as usize;
    }
    unsafe {
        libc::fcntl(
            h,
            libc::F_ADD_SEALS,
            libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL,
        );
        libc::fchmod(h, 0o444);
        libc::lseek(h, 0, libc::SEEK_SET);
    }
    // Reopen read-only so F_GETFL and write() behave as for a read-only file.
    let path = format!("/proc/self/fd/{h}\0");
    let ro = unsafe {
        libc::open(
            path.as_ptr() as *const libc::c_char,
            libc::O_RDONLY | libc::O_CLOEXEC | (flags & o::NONBLOCK) as i32,
        )
    };
    if ro >= 0 {
        unsafe { libc::close(h) };
        Ok(ro)
    } else {
        Ok(h)
    }
}

/// The guest's /proc/self/maps, from the memory layer.
pub fn maps(p: &Task) -> Vec<u8> {
    super::mm::proc_maps(p).into_bytes()
}

/// Guest memory [a, b) as far as it is readable (Linux's access_remote_vm
/// stops at the first unreadable page).
fn guest_range(p: &Task, a: u32, b: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = a;
    while at < b {
        let n = (b - at).min(0x1000 - (at & 0xfff));
        if p.cpu
            .mem
            .check(at, n, crate::mem::P_READ, false, false)
            .is_err()
        {
            break;
        }
        let mut b = vec![0u8; n as usize];
        let got = p.cpu.mem.copy_checked(at, &mut b);
        out.extend_from_slice(&b[..got]);
        if got < n as usize {
            break;
        }
        at += n;
    }
    out
}

/// /proc/self/cmdline (get_mm_cmdline): the argv strings as they are in
/// guest memory now. When the program has overwritten the NUL ending them
/// (setproctitle), it is the first string from arg_start (up to a page,
/// with its NUL), which may run on into the environment.
pub fn cmdline(p: &Task) -> Vec<u8> {
    let (start, end, env_start, env_end) = {
        let mm = p.mm();
        (mm.arg_start, mm.arg_end, mm.env_start, mm.env_end)
    };
    if start >= end {
        return Vec::new();
    }
    // The overflow may only run into an environment right above argv.
    let env_end = if env_start != end || env_end < env_start {
        end
    } else {
        env_end
    };
    let len = env_end - start;
    if guest_range(p, end - 1, end)
        .first()
        .is_some_and(|&c| c != 0)
    {
        let page = guest_range(p, start, start.saturating_add(0x1000));
        let got = page.len();
        let mut n = page.iter().position(|&c| c == 0).unwrap_or(got);
        if n < got {
            n += 1;
        }
        return page[..n.min(len as usize)].to_vec();
    }
    guest_range(p, start, end)
}

/// /proc/self/environ: the envp strings area as it is in guest memory.
pub fn environ(p: &Task) -> Vec<u8> {
    let (start, end) = {
        let mm = p.mm();
        (mm.env_start, mm.env_end)
    };
    guest_range(p, start, end)
}

/// Linux's names for CPUID feature bits, as /proc/cpuinfo prints them.
const LEAF1_EDX: [&str; 32] = [
    "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep", "mtrr", "pge",
    "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx", "fxsr", "sse",
    "sse2", "ss", "ht", "tm", "ia64", "pbe",
];
const LEAF1_ECX: [&str; 32] = [
    "pni",
    "pclmulqdq",
    "dtes64",
    "monitor",
    "ds_cpl",
    "vmx",
    "smx",
    "est",
    "tm2",
    "ssse3",
    "cid",
    "sdbg",
    "fma",
    "cx16",
    "xtpr",
    "pdcm",
    "",
    "pcid",
    "dca",
    "sse4_1",
    "sse4_2",
    "x2apic",
    "movbe",
    "popcnt",
    "tsc_deadline_timer",
    "aes",
    "xsave",
    "",
    "avx",
    "f16c",
    "rdrand",
    "hypervisor",
];
const EXT1_EDX: [&str; 32] = [
    "", "", "", "", "", "", "", "", "", "", "", "syscall", "", "", "", "", "", "", "", "mp", "nx",
    "", "mmxext", "", "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm", "3dnowext", "3dnow",
];
const EXT1_ECX: [&str; 32] = [
    "lahf_lm",
    "cmp_legacy",
    "svm",
    "extapic",
    "cr8_legacy",
    "abm",
    "sse4a",
    "misalignsse",
    "3dnowprefetch",
    "osvw",
    "ibs",
    "xop",
    "skinit",
    "wdt",
    "",
    "lwp",
    "fma4",
    "tce",
    "",
    "nodeid_msr",
    "",
    "tbm",
    "topoext",
    "perfctr_core",
    "perfctr_nb",
    "",
    "bpext",
    "ptsc",
    "perfctr_llc",
    "mwaitx",
    "",
    "",
];
const LEAF7_EBX: [&str; 32] = [
    "fsgsbase",
    "tsc_adjust",
    "sgx",
    "bmi1",
    "hle",
    "avx2",
    "",
    "smep",
    "bmi2",
    "erms",
    "invpcid",
    "rtm",
    "cqm",
    "",
    "mpx",
    "rdt_a",
    "avx512f",
    "avx512dq",
    "rdseed",
    "adx",
    "smap",
    "avx512ifma",
    "",
    "clflushopt",
    "clwb",
    "intel_pt",
    "avx512pf",
    "avx512er",
    "avx512cd",
    "sha_ni",
    "avx512bw",
    "avx512vl",
];

/// The flags line of /proc/cpuinfo for the emulated CPU.
pub fn cpu_flags() -> String {
    let mut v: Vec<&str> = Vec::new();
    let push = |v: &mut Vec<&'static str>, names: &[&'static str; 32], bits: u32| {
        for (k, n) in names.iter().enumerate() {
            if bits & (1 << k) != 0 && !n.is_empty() {
                v.push(n);
            }
        }
    };
    let l0 = misc::cpuid(0);
    let l1 = misc::cpuid(1);
    push(&mut v, &LEAF1_EDX, l1[3]);
    let e0 = misc::cpuid(0x8000_0000);
    let e1 = if e0[0] >= 0x8000_0001 {
        misc::cpuid(0x8000_0001)
    } else {
        [0; 4]
    };
    push(&mut v, &EXT1_EDX, e1[3]);
    push(&mut v, &LEAF1_ECX, l1[2]);
    push(&mut v, &EXT1_ECX, e1[2]);
    if l0[0] >= 7 {
        let l7 = misc::cpuid(7);
        push(&mut v, &LEAF7_EBX, l7[1]);
    }
    v.join(" ")
}

/// /proc/cpuinfo for the emulated CPU, one block per host CPU.
pub fn cpuinfo() -> Vec<u8> {
    let l0 = misc::cpuid(0);
    let l1 = misc::cpuid(1);
    let mut vendor = Vec::new();
    for r in [l0[1], l0[3], l0[2]] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    let vendor = String::from_utf8_lossy(&vendor).into_owned();
    let sig = l1[0];
    let mut family = (sig >> 8) & 0xf;
    let mut model = (sig >> 4) & 0xf;
    if family == 0xf {
        family += (sig >> 20) & 0xff;
    }
    if family >= 6 {
        model |= ((sig >> 16) & 0xf) << 4;
    }
    let stepping = sig & 0xf;
    let mut brand = Vec::new();
    if misc::cpuid(0x8000_0000)[0] >= 0x8000_0004 {
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            for r in misc::cpuid(leaf) {
                brand.extend_from_slice(&r.to_le_bytes());
            }
        }
    }
    let brand = String::from_utf8_lossy(&brand)
        .trim_end_matches('\0')
        .trim()
        .to_string();
    let flags = cpu_flags();
    let fpu = if l1[3] & 1 != 0 { "yes" } else { "no" };
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    for cpu in 0..n {
        let _ = write!(
            s,
            "processor\t: {cpu}\n\
             vendor_id\t: {vendor}\n\
             cpu family\t: {family}\n\
             model\t\t: {model}\n\
             model name\t: {brand}\n\
             stepping\t: {stepping}\n\
             fdiv_bug\t: no\n\
             f00f_bug\t: no\n\
             coma_bug\t: no\n\
             fpu\t\t: {fpu}\n\
             fpu_exception\t: {fpu}\n\
             cpuid level\t: {}\n\
             wp\t\t: yes\n\
             flags\t\t: {flags}\n\
             bugs\t\t:\n\
             bogomips\t: 2000.00\n\
             cache_alignment\t: 64\n\
             address sizes\t: 32 bits physical, 32 bits virtual\n\
             power management:\n\n",
            l0[0]
        );
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_describes_the_emulated_cpu() {
        let s = String::from_utf8(cpuinfo()).unwrap();
        assert!(s.starts_with("processor\t: 0\nvendor_id\t: GenuineIntel\n"));
        assert!(s.contains("\ncpu family\t: 6\n"));
        let flags = cpu_flags();
        assert!(flags.split(' ').any(|f| f == "tsc"));
        assert!(flags.split(' ').any(|f| f == "cx8"));
        assert!(flags.split(' ').any(|f| f == "cmov"));
    }

    #[test]
    fn memfd_serves_contents() {
        let h = memfd_with(b"t", b"hello\n", 0).unwrap();
        let mut b = [0u8; 16];
        let n = unsafe { libc::read(h, b.as_mut_ptr() as *mut libc::c_void, 16) };
        assert_eq!(&b[..n as usize], b"hello\n");
        let w = unsafe { libc::write(h, b.as_ptr() as *const libc::c_void, 1) };
        assert!(w < 0);
        unsafe { libc::close(h) };
    }
}
