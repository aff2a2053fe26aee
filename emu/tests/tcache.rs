//! The translation cache (emu/src/cpu/tcache.rs): a run takes the blocks
//! an earlier run of the same program translated, and runs exactly as a
//! run that translates them.
//!
//! Every bundled guest (guest/bin: instruction families, self-modifying
//! code, each CPU exception with its frame) runs three times in a fresh
//! cache directory: without the cache, cold (translating and writing the
//! file) and warm (taking the blocks from it). The three must agree in
//! stdout, stderr, exit status and every syscall's register frames, and
//! the warm run must take its blocks from the file. The file itself is
//! checked where it matters: `--no-cache` writes none, and a damaged file
//! is ignored and replaced.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("emu-tcache-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Out {
    run: common::Run,
    frames: String,
    /// `--stats`: blocks translated and blocks taken from the file.
    translated: u64,
    loaded: u64,
}

fn stat(stderr: &str, key: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in:\n{stderr}"))
}

/// Run bundled guest `name` with the cache in `dir` (`cached` false:
/// --no-cache). EMU_CACHE_DIR is set either way: the environment, and so
/// the stack the frames show, is the same in every run.
fn run(name: &str, dir: &Path, cached: bool, tag: &str) -> Out {
    // Beside the cache directory (each test has its own).
    let frames = dir.with_extension(format!("{name}-{tag}.frames"));
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.arg("--stats").arg("--frames").arg(&frames);
    c.env("EMU_CACHE_DIR", dir);
    if !cached {
        c.arg("--no-cache");
    }
    c.arg(common::guest_bin(name));
    let mut run = common::run(c);
    // A process id differs from run to run: those exits are left out.
    let f = std::fs::read_to_string(&frames)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            !(l.contains(r#""event":"exit""#)
                && ["getpid", "gettid", "getppid"]
                    .iter()
                    .any(|n| l.contains(&format!(r#""name":"{n}""#))))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let _ = std::fs::remove_file(&frames);
    let translated = stat(&run.stderr, "blocks: ");
    let loaded = stat(&run.stderr, "blocks_loaded: ");
    // The statistics differ by design; the guest's own stderr comes first.
    let cut = run
        .stderr
        .find("instructions: ")
        .unwrap_or(run.stderr.len());
    run.stderr.truncate(cut);
    Out {
        run,
        frames: f,
        translated,
        loaded,
    }
}

fn guests() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(common::guest_dir().join("bin"))
        .expect("guest/bin")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    assert!(v.len() >= 30, "bundled guests: {v:?}");
    v
}

#[test]
fn warm_runs_match_cold_runs_and_uncached_runs() {
    let dir = fresh_dir("guests");
    let mut loaded = 0;
    for name in guests() {
        let plain = run(&name, &dir, false, "plain");
        let cold = run(&name, &dir, true, "cold");
        let warm = run(&name, &dir, true, "warm");
        for (what, o) in [("cold", &cold), ("warm", &warm)] {
            assert_eq!(o.run.stdout, plain.run.stdout, "{name}: {what} stdout");
            assert_eq!(o.run.stderr, plain.run.stderr, "{name}: {what} stderr");
            assert_eq!(o.run.status, plain.run.status, "{name}: {what} status");
            assert_eq!(o.frames, plain.frames, "{name}: {what} frames");
        }
        assert_eq!(cold.loaded, 0, "{name}");
        assert!(cold.translated > 0, "{name}");
        // Blocks are only taken where the bytes are what they were: a
        // program that rewrites its code (smc) translates those again. A
        // fetch fault (fault_exec jumps to a page without PROT_EXEC) is
        // not kept.
        assert!(warm.loaded > 0, "{name}: nothing taken from the file");
        let again = match name.as_str() {
            "smc" => None,
            "fault_exec" => Some(1),
            _ => Some(0),
        };
        if let Some(n) = again {
            assert_eq!(warm.translated, n, "{name}: translated again");
            assert_eq!(warm.loaded, cold.translated - n, "{name}");
        }
        loaded += warm.loaded;
    }
    eprintln!("warm runs took {loaded} blocks from their files");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_cache_writes_nothing() {
    let dir = fresh_dir("none");
    let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
    c.env("EMU_CACHE_DIR", &dir)
        .arg("--no-cache")
        .arg(common::guest_bin("hello"));
    let r = common::run(c);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!dir.exists(), "--no-cache made {}", dir.display());
}

/// A damaged file is ignored, a damaged block in it is that block lost
/// (the run translates, and is right), and both are replaced by good ones.
#[test]
fn damaged_files_are_replaced() {
    let dir = fresh_dir("damaged");
    let cold = run("alu", &dir, true, "cold");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cache dir")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let good = std::fs::read(file).unwrap();
    let n = good.len();
    // The magic: the whole file. A byte of the last record: one block.
    for (at, lost) in [(0, cold.translated), (n - 1, 1)] {
        let mut b = good.clone();
        b[at] ^= 0xff;
        std::fs::write(file, &b).unwrap();
        let damaged = run("alu", &dir, true, "damaged");
        assert_eq!(damaged.run.stdout, cold.run.stdout, "{at}");
        assert_eq!(
            (damaged.loaded, damaged.translated),
            (cold.translated - lost, lost),
            "{at}"
        );
        let warm = run("alu", &dir, true, "warm");
        assert_eq!(warm.run.stdout, cold.run.stdout);
        assert_eq!((warm.loaded, warm.translated), (cold.translated, 0), "{at}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
