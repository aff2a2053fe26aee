//! Part 1: mutated ELF executables under emu.
//!
//! Seeds: the small static i386 programs in guest/bin (freestanding, a few
//! hundred bytes to a few KiB each) and, when gcc -m32 can build it, a
//! static glibc hello (guest/sys/hello.c: PT_TLS, PT_GNU_STACK,
//! PT_GNU_RELRO, PT_NOTE). Each input applies one to three mutations to
//! one seed: ELF header fields and e_ident bytes, program header fields
//! (p_type, p_offset, p_vaddr, p_filesz, p_memsz, p_flags, p_align) set to
//! boundary values, program header counts, duplicated (overlapping)
//! segments, huge segments, PT_INTERP with real, missing or unterminated
//! paths, PT_TLS and PT_GNU_STACK variants, the entry point, truncation,
//! random bytes and appended garbage.
//!
//! emu passes when it exits (any status: the guest's, `emu: <reason>` with
//! 126, 127) or dies of a signal it reproduces for its guest, without a
//! line of its own distress (support::DISTRESS). A run that times out, or
//! ends by SIGABRT or SIGKILL, is run natively too: it passes only when the
//! native run ends the same way (the mutated program itself loops, or
//! aborts).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use super::common;
use super::support::{self, Rng};

const PART: u64 = 1;
pub const TIER: &str = "fuzz tier (ELF mutation)";
const TIMEOUT: Duration = Duration::from_secs(3);

/// The seed programs: (name, bytes).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(common::guest_dir().join("bin"))
        .expect("guest/bin")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        if let Ok(b) = std::fs::read(&p) {
            if b.starts_with(b"\x7fELF") {
                v.push((p.file_name().unwrap().to_string_lossy().into_owned(), b));
            }
        }
    }
    let hello = common::build_static_c(
        &common::guest_dir().join("sys/hello.c"),
        &[common::guest_dir().join("sys/common.h")],
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guest-fuzz/glibc-hello"),
        &["-O1"],
    );
    if let Some(b) = hello.and_then(|p| std::fs::read(p).ok()) {
        v.push(("glibc-hello".into(), b));
    }
    v
}

fn rd32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes(x.try_into().unwrap()))
        .unwrap_or(0)
}

fn rd16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|x| u16::from_le_bytes(x.try_into().unwrap()))
        .unwrap_or(0)
}

fn wr32(b: &mut [u8], at: usize, v: u32) {
    if let Some(x) = b.get_mut(at..at + 4) {
        x.copy_from_slice(&v.to_le_bytes());
    }
}

fn wr16(b: &mut [u8], at: usize, v: u16) {
    if let Some(x) = b.get_mut(at..at + 2) {
        x.copy_from_slice(&v.to_le_bytes());
    }
}

/// A 32-bit value near `orig` or at a boundary.
fn value32(r: &mut Rng, orig: u32, flen: u32) -> u32 {
    match r.below(16) {
        0 => 0,
        1 => 0xffff_ffff,
        2 => orig.wrapping_add(1),
        3 => orig.wrapping_sub(1),
        4 => orig.wrapping_add(0x1000),
        5 => orig ^ (1 << r.below(32)),
        6 => flen,
        7 => flen.wrapping_add(r.below(0x2000) as u32),
        8 => *r.pick(&[0x7fff_ffff, 0x8000_0000, 0xc000_0000, 0xbfff_f000]),
        9 => *r.pick(&[0xffff_f000, 0xffff_e000, 0xf7ff_c000, 0xffff_fffc]),
        10 => *r.pick(&[0x0804_8000, 0x0804_7fff, 0x1000, 0x10000]),
        11 => r.below(64) as u32,
        12 => orig.wrapping_add(r.u32() & 0xfff),
        13 => orig & !0xfff,
        _ => r.u32(),
    }
}

fn value16(r: &mut Rng, orig: u16) -> u16 {
    match r.below(8) {
        0 => 0,
        1 => 0xffff,
        2 => orig.wrapping_add(1),
        3 => orig.wrapping_sub(1),
        4 => r.below(64) as u16,
        5 => orig ^ (1 << r.below(16)),
        6 => *r.pick(&[32, 52, 56, 0x8000, 100, 0x7fff]),
        _ => r.u32() as u16,
    }
}

const P_TYPES: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    0x6474_e550,
    0x6474_e551,
    0x6474_e552,
    0x6474_e553,
    0x7000_0000,
    0x6fff_ffff,
];

/// Where program header `k` is (from the current header, which may
/// itself be mutated).
fn phdr_at(b: &[u8], k: u32) -> usize {
    rd32(b, 28) as usize + k as usize * 32
}

fn phnum(b: &[u8]) -> u32 {
    (rd16(b, 44) as u32).min(64)
}

/// One mutation of `b`, described.
fn mutate(r: &mut Rng, b: &mut Vec<u8>) -> String {
    let flen = b.len() as u32;
    let nph = phnum(b).max(1);
    let ph = |r: &mut Rng, b: &[u8]| phdr_at(b, r.below(nph as u64) as u32);
    match r.below(20) {
        0..=2 => {
            // ELF header field.
            const F32: &[(usize, &str)] = &[
                (20, "e_version"),
                (24, "e_entry"),
                (28, "e_phoff"),
                (32, "e_shoff"),
                (36, "e_flags"),
            ];
            const F16: &[(usize, &str)] = &[
                (16, "e_type"),
                (18, "e_machine"),
                (40, "e_ehsize"),
                (42, "e_phentsize"),
                (44, "e_phnum"),
                (46, "e_shentsize"),
                (48, "e_shnum"),
                (50, "e_shstrndx"),
            ];
            if r.chance(1, 2) {
                let &(at, name) = r.pick(F32);
                let v = value32(r, rd32(b, at), flen);
                wr32(b, at, v);
                format!("{name}={v:#x}")
            } else {
                let &(at, name) = r.pick(F16);
                let v = value16(r, rd16(b, at));
                wr16(b, at, v);
                format!("{name}={v:#x}")
            }
        }
        3 => {
            let at = r.below(16) as usize;
            let v = if r.chance(1, 2) {
                r.u32() as u8
            } else {
                *r.pick(&[0, 1, 2, 3, 0xff])
            };
            if let Some(x) = b.get_mut(at) {
                *x = v;
            }
            format!("e_ident[{at}]={v:#x}")
        }
        4..=8 => {
            // Program header field.
            const F: &[(usize, &str)] = &[
                (0, "p_type"),
                (4, "p_offset"),
                (8, "p_vaddr"),
                (12, "p_paddr"),
                (16, "p_filesz"),
                (20, "p_memsz"),
                (24, "p_flags"),
                (28, "p_align"),
            ];
            let base = ph(r, b);
            let &(off, name) = r.pick(F);
            let v = if off == 0 && r.chance(3, 4) {
                *r.pick(P_TYPES)
            } else if off == 24 && r.chance(1, 2) {
                r.below(8) as u32
            } else {
                value32(r, rd32(b, base + off), flen)
            };
            wr32(b, base + off, v);
            format!("{name}@{base:#x}={v:#x}")
        }
        9 => {
            // Duplicate a header over another (overlapping segments),
            // shifted a little.
            let (from, to) = (ph(r, b), ph(r, b));
            let mut h = [0u8; 32];
            if let Some(x) = b.get(from..from + 32) {
                h.copy_from_slice(x);
            }
            let shift = *r.pick(&[0u32, 1, 0x800, 0x1000, 0xfffff000]);
            let va = rd32(&h, 8).wrapping_add(shift);
            wr32(&mut h, 8, va);
            if let Some(x) = b.get_mut(to..to + 32) {
                x.copy_from_slice(&h);
            }
            format!("phdr {from:#x} copied to {to:#x}, vaddr+{shift:#x}")
        }
        10 => {
            let v = *r.pick(&[0u16, 1, 2, 0xffff, 100, 0x10]);
            let v = if r.chance(1, 2) {
                rd16(b, 44).wrapping_add(1)
            } else {
                v
            };
            wr16(b, 44, v);
            format!("e_phnum={v}")
        }
        11 => {
            // A huge segment.
            let base = ph(r, b);
            wr32(b, base, 1);
            let va = rd32(b, base + 8);
            let v = match r.below(4) {
                0 => 0xffff_f000u32.wrapping_sub(va),
                1 => 0x8000_0000,
                2 => 0xffff_ffff,
                _ => 0x4000_0000,
            };
            wr32(b, base + 20, v);
            if r.chance(1, 3) {
                wr32(b, base + 16, v);
            }
            format!("PT_LOAD@{base:#x} memsz={v:#x}")
        }
        12 => {
            // PT_INTERP with a path appended to the file.
            let base = ph(r, b);
            let path: &[u8] = *r.pick::<&[u8]>(&[
                &b"/lib/ld-linux.so.2\0"[..],
                b"/nonexistent/ld.so\0",
                b"/proc/self/exe\0",
                b"/bin/sh\0",
                b"no-nul-at-the-end",
                b"\0",
            ]);
            let off = b.len() as u32;
            b.extend_from_slice(path);
            wr32(b, base, 3);
            wr32(b, base + 4, off);
            let sz = if r.chance(1, 4) {
                value32(r, path.len() as u32, flen)
            } else {
                path.len() as u32
            };
            wr32(b, base + 16, sz);
            format!(
                "PT_INTERP@{base:#x} {:?} filesz {sz:#x}",
                String::from_utf8_lossy(path)
            )
        }
        13 => {
            // PT_TLS with odd sizes and alignments.
            let base = ph(r, b);
            wr32(b, base, 7);
            let memsz = value32(r, rd32(b, base + 20), flen);
            let align = *r.pick(&[0u32, 1, 3, 4, 64, 0x1000, 0x8000_0000]);
            wr32(b, base + 20, memsz);
            wr32(b, base + 28, align);
            format!("PT_TLS@{base:#x} memsz={memsz:#x} align={align:#x}")
        }
        14 => {
            let base = ph(r, b);
            let flags = r.below(8) as u32 | if r.chance(1, 4) { r.u32() } else { 0 };
            wr32(b, base, 0x6474_e551);
            wr32(b, base + 24, flags);
            format!("PT_GNU_STACK@{base:#x} flags={flags:#x}")
        }
        15 => {
            let n = match r.below(3) {
                0 => r.below(64),
                1 => r.below(0x40 + 32 * nph as u64 + 64),
                _ => r.below(flen as u64),
            } as usize;
            b.truncate(n);
            format!("truncated to {n}")
        }
        16 | 17 => {
            let k = 1 + r.below(8);
            let limit = if r.chance(1, 2) {
                512.min(b.len())
            } else {
                b.len()
            };
            let mut at = Vec::new();
            for _ in 0..k {
                if limit == 0 {
                    break;
                }
                let i = r.below(limit as u64) as usize;
                b[i] = r.u32() as u8;
                at.push(i);
            }
            format!("random bytes at {at:?}")
        }
        18 => {
            let n = r.below(256) as usize;
            for _ in 0..n {
                b.push(r.u32() as u8);
            }
            format!("{n} bytes appended")
        }
        _ => {
            let v = value32(r, rd32(b, 24), flen);
            wr32(b, 24, v);
            format!("e_entry={v:#x}")
        }
    }
}

/// Input `index` of `seed`: the mutated file and how it was made.
pub fn input(seed: u64, index: u64, seeds: &[(String, Vec<u8>)]) -> (Vec<u8>, String) {
    let mut r = Rng::new(seed, PART, index);
    let (name, orig) = r.pick(seeds);
    let mut b = orig.clone();
    let mut how = vec![name.clone()];
    for _ in 0..1 + r.below(3) {
        how.push(mutate(&mut r, &mut b));
    }
    (b, how.join("; "))
}

pub struct Report {
    pub inputs: u64,
    pub outcomes: BTreeMap<String, u64>,
    pub failures: Vec<String>,
}

fn outcome(r: &support::Ran) -> String {
    if r.timed_out {
        "timeout".into()
    } else if r.status == 126 && r.stderr.contains("emu: ") {
        "refused (emu: reason, 126)".into()
    } else if r.status > 128 {
        format!("guest signal {}", r.status - 128)
    } else if r.status == 0 {
        "exit 0".into()
    } else {
        "exit, nonzero".into()
    }
}

pub fn run(seed: u64, budget: &support::Budget) -> Report {
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no seed programs in guest/bin");
    let dir = support::scratch_dir("elf");
    let prog = dir.join("prog");
    let mut rep = Report {
        inputs: 0,
        outcomes: BTreeMap::new(),
        failures: Vec::new(),
    };
    let native = common::setarch_ok().is_ok();
    let mut index = 0;
    while budget.more(index) && rep.failures.len() < 5 {
        let (b, how) = input(seed, index, &seeds);
        index += 1;
        rep.inputs += 1;
        let _ = std::fs::remove_file(&prog);
        std::fs::write(&prog, &b).expect("write mutated ELF");
        std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let mut c = support::emu_cmd(&prog, &[] as &[&OsStr]);
        c.current_dir(&dir).env_clear().env("PATH", "/usr/bin:/bin");
        let e = support::run(c, TIMEOUT);
        let fail = |why: String| {
            let f = support::failure_dir().join(format!("elf-{seed:#x}-{}", index - 1));
            let _ = std::fs::write(&f, &b);
            let _ =
                std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o755));
            format!(
                "input #{} ({how}): {why}\n    kept as {}\n    emu stderr: {}",
                index - 1,
                f.display(),
                support::tail(&e.stderr, 1500)
            )
        };
        if let Some(f) = support::emu_failed(&e) {
            rep.failures.push(fail(f));
            continue;
        }
        let mut o = outcome(&e);
        if e.timed_out || e.status == 134 || e.status == 137 {
            // Confirm natively: the program itself loops or aborts.
            if !native {
                rep.failures.push(fail(format!(
                    "{o} under emu, and no native run to compare (status {})",
                    e.status
                )));
                continue;
            }
            let mut c = support::native_cmd(&prog, &[]);
            c.current_dir(&dir).env_clear().env("PATH", "/usr/bin:/bin");
            let n = support::run(c, TIMEOUT);
            if n.timed_out != e.timed_out || (!e.timed_out && n.status != e.status) {
                rep.failures.push(fail(format!(
                    "emu: {o} (status {}); native: {} (status {})",
                    e.status,
                    outcome(&n),
                    n.status
                )));
                continue;
            }
            o.push_str(" (natively too)");
        }
        *rep.outcomes.entry(o).or_default() += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    rep
}
