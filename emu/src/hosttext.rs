//! emu's own machine code, made cheap for forked children.
//!
//! The handlers are about 4 MB of code mapped from the executable file.
//! Linux copies no page-table entries of a file mapping at fork (the
//! child faults them in as it runs: "a page fault will fill them
//! correctly"), only of a mapping that holds anonymous memory. A shell's
//! child under emu took 53 such faults (each mapping 16 pages around it)
//! between its fork and its exit, and ran its 4 MB of code through 4 KB
//! TLB entries. So before its first fork a process moves its code
//! ([`before_fork`]):
//!
//! - onto anonymous transparent huge pages where the host has them: the
//!   2 MB pages holding the code are copied to an aligned anonymous
//!   mapping, made executable and moved over the original by one
//!   `mremap` (the same bytes at the same addresses); a fork copies two
//!   page-directory entries and the child starts with the code mapped;
//! - else into an anonymous page of its file mapping: all of the code is
//!   mapped in, and one page of it is copied on write (the same byte
//!   written back), which gives the mapping the anonymous memory that
//!   makes a fork copy its entries.
//!
//! Either is done once per process tree (a child inherits it), at the
//! first fork, so a program that never forks pays nothing (the move costs
//! about 0.45 ms here, most of it two huge pages zeroed and 4 MB copied).
//! `EMU_FILE_TEXT=1` leaves the code in the file, for profilers that name
//! functions through the file mapping (perf).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

const HUGE: usize = 2 << 20;

static DONE: AtomicBool = AtomicBool::new(false);

/// How emu's code was prepared for forks ([`before_fork`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Onto anonymous huge pages (those of the range).
    Huge,
    /// Given an anonymous page (fork copies the entries).
    Shared,
    /// Left as it was (the host refused a step, or `EMU_FILE_TEXT`).
    No,
}

/// The mappings of maps text `maps`: range, permissions, from a file.
fn mappings(maps: &str) -> impl Iterator<Item = (Range<usize>, &str, bool)> {
    crate::hostmaps::lines(maps).map(|m| (m.start as usize..m.end as usize, m.perms, m.file()))
}

/// The `r-xp` file mapping holding address `at`, in maps text `maps`.
fn code_mapping(maps: &str, at: usize) -> Option<Range<usize>> {
    mappings(maps)
        .find_map(|(r, perms, file)| (file && perms == "r-xp" && r.contains(&at)).then_some(r))
}

/// Whether `want` is covered, without a gap, by file mappings that
/// nothing may write (their bytes can be copied and made executable).
fn read_only_files(maps: &str, want: &Range<usize>) -> bool {
    let mut at = want.start;
    for (r, perms, file) in mappings(maps) {
        if r.end <= at || r.start >= want.end {
            continue;
        }
        if r.start > at || !file || perms.as_bytes().get(1) != Some(&b'-') {
            return false;
        }
        at = r.end;
        if at >= want.end {
            return true;
        }
    }
    false
}

/// The 2 MB-aligned span to move onto huge pages for code mapping `code`:
/// the huge pages around it if the rest of them is read-only file
/// mappings (a static emu: headers before, read-only data after), else
/// the huge pages inside it; None if that is empty.
fn huge_span(maps: &str, code: &Range<usize>) -> Option<Range<usize>> {
    let around = code.start & !(HUGE - 1)..(code.end + HUGE - 1) & !(HUGE - 1);
    if read_only_files(maps, &around) {
        return Some(around);
    }
    let inside = (code.start + HUGE - 1) & !(HUGE - 1)..code.end & !(HUGE - 1);
    (inside.start < inside.end).then_some(inside)
}

/// Whether the host gives madvised mappings transparent huge pages.
fn huge_pages_on() -> bool {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_ok_and(|s| s.contains("[always]") || s.contains("[madvise]"))
}

/// Copy `span` (mapped and readable) to anonymous huge pages and move
/// them over it, executable.
///
/// # Safety
/// `span` is 2 MB-aligned, mapped, readable, and holds no data anything
/// writes (code and read-only data).
unsafe fn move_to_huge(span: &Range<usize>) -> bool {
    let len = span.end - span.start;
    // SAFETY: a fresh mapping of our own (with room to align it), the
    // caller's span copied in, then moved over the span. Another thread
    // running code in the span meanwhile faults in the instant between
    // the unmapping and the move, and its fault waits for the mapping
    // lock the `mremap` holds: it then runs the same bytes.
    unsafe {
        let raw = libc::mmap(
            std::ptr::null_mut(),
            len + HUGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if raw == libc::MAP_FAILED {
            return false;
        }
        let (raw, end) = (raw as usize, raw as usize + len + HUGE);
        let t = (raw + HUGE - 1) & !(HUGE - 1);
        let ok = libc::madvise(t as *mut _, len, libc::MADV_HUGEPAGE) == 0 && {
            std::ptr::copy_nonoverlapping(span.start as *const u8, t as *mut u8, len);
            libc::mprotect(t as *mut _, len, libc::PROT_READ | libc::PROT_EXEC) == 0
                && libc::mremap(
                    t as *mut _,
                    len,
                    len,
                    libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                    span.start as *mut libc::c_void,
                ) != libc::MAP_FAILED
        };
        // What is left of the mapping: all of it on failure, else the
        // slack around the moved span.
        if ok {
            libc::munmap(raw as *mut _, t - raw);
            libc::munmap((t + len) as *mut _, end - (t + len));
        } else {
            libc::munmap(raw as *mut _, end - raw);
        }
        ok
    }
}

/// Map all of `code` in and copy one page of it on write.
///
/// # Safety
/// `code` is emu's code mapping, whole.
unsafe fn share(code: &Range<usize>) -> bool {
    let (p, len) = (code.start as *mut libc::c_void, code.end - code.start);
    // SAFETY: the range stays executable throughout, and the byte written
    // is the byte read: the page copied holds what it held (another
    // thread running code there runs the same bytes either side).
    unsafe {
        // All of it in (page-cache hits): a child gets every entry, also
        // of code this process has not run yet (exec, exit).
        libc::madvise(p, len, libc::MADV_POPULATE_READ);
        let rx = libc::PROT_READ | libc::PROT_EXEC;
        if libc::mprotect(p, len, rx | libc::PROT_WRITE) != 0 {
            return false;
        }
        let last = (code.end - 1) as *mut u8;
        last.write_volatile(last.read_volatile());
        libc::mprotect(p, len, rx) == 0
    }
}

/// Prepare emu's code for this process's forks (see the module
/// documentation); at once if done before in this process or a parent.
pub fn before_fork() -> Moved {
    if DONE.swap(true, Ordering::Relaxed) || std::env::var_os("EMU_FILE_TEXT").is_some() {
        return Moved::No;
    }
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return Moved::No;
    };
    let Some(code) = code_mapping(&maps, before_fork as fn() -> Moved as usize) else {
        return Moved::No;
    };
    if huge_pages_on() {
        if let Some(span) = huge_span(&maps, &code) {
            // SAFETY: `huge_span` gives aligned code, or code with
            // read-only file mappings around it.
            if unsafe { move_to_huge(&span) } {
                return Moved::Huge;
            }
        }
    }
    // SAFETY: the code mapping, whole.
    if unsafe { share(&code) } {
        Moved::Shared
    } else {
        Moved::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
00400000-00401000 r--p 00000000 fe:00 5423234   /work/emu
00401000-007fe000 r-xp 00001000 fe:00 5423234   /work/emu
007fe000-008ee000 r--p 003fe000 fe:00 5423234   /work/emu
008ee000-0091e000 r--p 004ed000 fe:00 5423234   /work/emu
0091e000-00921000 rw-p 0051d000 fe:00 5423234   /work/emu
00921000-00928000 rw-p 00000000 00:00 0
0abf0000-0ac7c000 rw-p 00000000 00:00 0         [heap]
";

    /// A static emu's code takes the two huge pages around it; a layout
    /// where those would take in writable data takes the ones inside.
    #[test]
    fn spans_cover_only_read_only_file_mappings() {
        let code = code_mapping(MAPS, 0x500000).expect("the code");
        assert_eq!(code, 0x401000..0x7fe000);
        assert_eq!(huge_span(MAPS, &code), Some(0x400000..0x800000));
        assert!(!read_only_files(MAPS, &(0x800000..0xa00000)), "rw-p data");
        assert!(!read_only_files(MAPS, &(0xa00000..0xc00000)), "a gap");
        // Data in the last huge page: only whole pages inside the code.
        let tight = MAPS.replace("007fe000-008ee000 r--p", "007fe000-008ee000 rw-p");
        let big = "00200000-00a01000 r-xp 0 fe:00 1 /e\n00a01000-00a02000 rw-p 0 fe:00 1 /e\n";
        assert_eq!(huge_span(&tight, &code), None, "no whole huge page inside");
        let code = code_mapping(big, 0x300000).expect("the code");
        assert_eq!(huge_span(big, &code), Some(0x200000..0xa00000));
        assert_eq!(code_mapping(MAPS, 0x900000), None, "not code");
    }

    /// The anonymous memory of the mapping holding `at`, in kB.
    fn anon_kb(at: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut lines = smaps.lines();
        while let Some(l) = lines.next() {
            if crate::hostmaps::parse(l).is_some_and(|m| m.range().contains(&(at as u64))) {
                let kb = lines
                    .find_map(|l| l.strip_prefix("Anonymous:"))
                    .expect("the field");
                return kb.trim().trim_end_matches(" kB").parse().unwrap();
            }
        }
        panic!("no mapping holds {at:#x}")
    }

    /// Both ways on this test binary's code: it still runs after each,
    /// and its mapping holds anonymous memory (which a fork copies).
    #[test]
    fn code_prepared_for_forks_still_runs() {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let at = before_fork as fn() -> Moved as usize;
        let code = code_mapping(&maps, at).expect("the code mapping");
        assert_eq!(anon_kb(at), 0, "a fresh file mapping");
        // SAFETY: the code mapping, whole.
        assert!(
            unsafe { share(&code) },
            "the host refused the copy on write"
        );
        assert!(anon_kb(at) > 0, "shared: no anonymous page");
        let moved = before_fork();
        assert_ne!(moved, Moved::No, "the host took neither way");
        assert_eq!(before_fork(), Moved::No, "once");
        // Huge pages: those of the span (a PIE's code keeps its ends in
        // the file).
        let probe = match moved {
            Moved::Huge => huge_span(&maps, &code).expect("a span").start,
            _ => at,
        };
        assert!(anon_kb(probe) > 0, "{moved:?}: no anonymous memory");
        // Code runs after the move, as before.
        assert_eq!(code_mapping(MAPS, 0x500000), Some(0x401000..0x7fe000));
    }
}
