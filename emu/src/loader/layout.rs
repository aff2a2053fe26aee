//! The address-space layout of a new program, as Linux picks it at exec
//! for an i386 task on an x86_64 kernel with ASLR off
//! (`arch_pick_mmap_layout` in arch/x86/mm/mmap.c, `setup_arg_pages` and
//! `bprm_stack_limits` in fs/exec.c, `get_unmapped_area` for what exec
//! maps without an address: a static-PIE and the vDSO).
//!
//! Measured on the project host (Linux 6.18, `setarch i686 -R`,
//! `/proc/self/maps` of a static program):
//! - RLIMIT_STACK 8 MiB (or anything up to 127 MiB): mmap_base 0xf7ffe000,
//!   the vDSO at 0xf7ffc000. The gap below the stack is the rlimit plus the
//!   1 MiB stack guard gap (plus the stack randomization pad, 0 with ASLR
//!   off), clamped to [128 MiB, TASK_SIZE / 6 * 5].
//! - 1 GiB: mmap_base 0xffffe000 - 0x40100000 = 0xbfefe000.
//! - `unlimited` (or more than 5/6 of TASK_SIZE): mmap_base 0x2aaab000,
//!   still top-down. Current x86 kernels no longer switch an unlimited
//!   stack to the legacy layout (`mmap_is_legacy` checks only
//!   ADDR_COMPAT_LAYOUT and vm.legacy_va_layout).
//! - The legacy (bottom-up) layout, under `setarch -L` (ADDR_COMPAT_LAYOUT)
//!   or vm.legacy_va_layout=1: mappings, the vDSO first, go up from
//!   TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE / 3) = 0x55555000.
//! - An rlimit below the 128 KiB stack_expand shrinks the initial
//!   `[stack]`: `ulimit -s 100` gives fffe5000-ffffe000.

use super::TASK_SIZE;
use crate::mem::PAGE_SIZE;

/// stack_guard_gap: 256 pages kept free below a grows-down mapping.
pub const STACK_GUARD_GAP: u32 = 256 * PAGE_SIZE;
/// TASK_UNMAPPED_BASE of a compat task: PAGE_ALIGN(TASK_SIZE / 3).
pub const TASK_UNMAPPED_BASE: u32 = (TASK_SIZE / 3 + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
/// The smallest gap between the stack top and mmap_base.
pub const MIN_GAP: u64 = 128 << 20;
/// The largest: 5/6 of TASK_SIZE.
pub const MAX_GAP: u64 = TASK_SIZE as u64 / 6 * 5;
/// How far Linux expands the stack below the argument pages at exec
/// (`stack_expand` in setup_arg_pages), rlimit permitting.
pub const STACK_EXPAND: u32 = 0x20000;
/// _STK_LIM (8 MiB) and ARG_MAX (32 pages): the bounds of the argument
/// space in bprm_stack_limits.
const STK_LIM: u64 = 8 << 20;
const ARG_MAX: u64 = 32 * PAGE_SIZE as u64;
/// The lowest address the kernel's own searches return (mmap_min_addr as
/// the LSM raises it).
const SEARCH_FLOOR: u32 = 0x1_0000;
/// RLIM_INFINITY as the layout sees it.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// What the layout of a new program depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// RLIMIT_STACK's soft limit at exec ([`RLIM_INFINITY`] for unlimited).
    pub stack_rlimit: u64,
    /// The legacy bottom-up layout (ADDR_COMPAT_LAYOUT, vm.legacy_va_layout).
    pub legacy: bool,
}

impl Default for Layout {
    /// The usual 8 MiB stack limit, top-down.
    fn default() -> Layout {
        Layout {
            stack_rlimit: 8 << 20,
            legacy: false,
        }
    }
}

fn page_align(a: u64) -> u64 {
    (a + PAGE_SIZE as u64 - 1) & !(PAGE_SIZE as u64 - 1)
}

impl Layout {
    /// The layout for a task whose RLIMIT_STACK is `stack_rlimit`, with
    /// the ADDR_COMPAT_LAYOUT personality or not, on this host (whose
    /// vm.legacy_va_layout also selects the legacy layout).
    pub fn new(stack_rlimit: u64, compat_layout: bool) -> Layout {
        Layout {
            stack_rlimit,
            legacy: compat_layout || legacy_va_layout(),
        }
    }

    /// mm->mmap_base: where top-down searches start (TASK_UNMAPPED_BASE,
    /// where bottom-up ones start, in the legacy layout).
    pub fn mmap_base(&self) -> u32 {
        if self.legacy {
            return TASK_UNMAPPED_BASE;
        }
        let mut gap = self.stack_rlimit;
        // stack_maxrandom_size is 0 with ASLR off; values near
        // RLIM_INFINITY would overflow.
        let pad = STACK_GUARD_GAP as u64;
        if let Some(g) = gap.checked_add(pad) {
            gap = g;
        }
        let gap = gap.clamp(MIN_GAP, MAX_GAP);
        page_align(TASK_SIZE as u64 - gap) as u32
    }

    /// How many bytes of argument and environment strings (and their
    /// pointers) execve accepts (bprm_stack_limits).
    pub fn arg_limit(&self) -> u64 {
        (STK_LIM / 4 * 3).min(self.stack_rlimit / 4).max(ARG_MAX)
    }

    /// The start of the initial `[stack]` (setup_arg_pages): the argument
    /// pages from `low_page` up to the stack top, expanded by
    /// [`STACK_EXPAND`] as far as the rlimit allows, never below the
    /// page of the initial stack pointer `sp_page` the tables reach.
    pub fn stack_start(&self, low_page: u32, sp_page: u32) -> u32 {
        let rlim = self.stack_rlimit.min(TASK_SIZE as u64) & !(PAGE_SIZE as u64 - 1);
        let size = (TASK_SIZE - low_page) as u64;
        let expand = rlim.min(size + STACK_EXPAND as u64);
        let base = (TASK_SIZE as u64).saturating_sub(expand) as u32;
        base.min(low_page).min(sp_page)
    }

    /// get_unmapped_area(NULL, 0, len) at exec time, when only `busy`
    /// (page-aligned [start, end) ranges: the segments) and the initial
    /// stack from `stack_start` are mapped: the highest free range below
    /// mmap_base (keeping the guard gap below the stack), else the lowest
    /// from TASK_UNMAPPED_BASE up; in the legacy layout only the latter.
    pub fn place(&self, busy: &[(u32, u32)], stack_start: u32, len: u32) -> Option<u32> {
        let mut ranges: Vec<(u64, u64)> = busy
            .iter()
            .filter(|r| r.1 > r.0)
            .map(|&(s, e)| (s as u64, e as u64))
            .collect();
        ranges.push((
            stack_start.saturating_sub(STACK_GUARD_GAP) as u64,
            TASK_SIZE as u64,
        ));
        let len = len as u64;
        let overlapping = |s: u64, e: u64| ranges.iter().filter(move |r| r.0 < e && s < r.1);
        if !self.legacy {
            let mut end = self.mmap_base() as u64;
            while end >= SEARCH_FLOOR as u64 + len {
                match overlapping(end - len, end).map(|r| r.0).min() {
                    None => return Some((end - len) as u32),
                    Some(lo) => end = lo,
                }
            }
        }
        let mut start = TASK_UNMAPPED_BASE as u64;
        while start + len <= TASK_SIZE as u64 {
            match overlapping(start, start + len).map(|r| r.1).max() {
                None => return Some(start as u32),
                Some(hi) => start = hi,
            }
        }
        None
    }
}

/// vm.legacy_va_layout of the host (0 when it cannot be read), read once
/// per emu process tree (an exec read it twice: ten host system calls).
fn legacy_va_layout() -> bool {
    static V: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        crate::kernel::sys::host_sysctl("vm/legacy_va_layout").is_some_and(|v| v != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(rlim: u64) -> Layout {
        Layout {
            stack_rlimit: rlim,
            legacy: false,
        }
    }

    #[test]
    fn mmap_base_follows_the_stack_rlimit_as_native() {
        assert_eq!(TASK_UNMAPPED_BASE, 0x5555_5000);
        assert_eq!(top(8 << 20).mmap_base(), 0xf7ff_e000);
        assert_eq!(top(100 << 10).mmap_base(), 0xf7ff_e000);
        assert_eq!(top(1 << 30).mmap_base(), 0xbfef_e000);
        assert_eq!(top(RLIM_INFINITY).mmap_base(), 0x2aaa_b000);
        assert_eq!(top(4_000_000 << 10).mmap_base(), 0x2aaa_b000);
        let legacy = Layout {
            legacy: true,
            ..Layout::default()
        };
        assert_eq!(legacy.mmap_base(), TASK_UNMAPPED_BASE);
    }

    #[test]
    fn initial_stack_and_argument_limits() {
        let l = top(8 << 20);
        assert_eq!(l.stack_start(0xffff_d000, 0xffff_d000), 0xfffd_d000);
        assert_eq!(l.arg_limit(), 2 << 20);
        let l = top(100 << 10);
        assert_eq!(l.stack_start(0xffffd000, 0xffffd000), 0xfffe_5000);
        assert_eq!(l.arg_limit(), ARG_MAX);
        assert_eq!(top(1 << 30).arg_limit(), 6 << 20);
        assert_eq!(top(RLIM_INFINITY).arg_limit(), 6 << 20);
        // Never above the strings and tables.
        assert_eq!(top(4096).stack_start(0xffff_c000, 0xffff_b000), 0xffff_b000);
    }

    #[test]
    fn places_below_mmap_base_around_segments() {
        let l = top(8 << 20);
        // Native: segments at f7ff7000 (1 page) and f7ffc000 (1 page) put
        // the 8-page vvar+vDSO block at f7fef000.
        let busy = [
            (0x0804_8000, 0x080f_1000),
            (0xf7ff7000, 0xf7ff8000),
            (0xf7ffc000, 0xf7ffd000),
        ];
        assert_eq!(l.place(&busy, 0xfffd_d000, 0x8000), Some(0xf7fe_f000));
        assert_eq!(l.place(&busy[..1], 0xfffd_d000, 0x8000), Some(0xf7ff_6000));
        // Legacy: bottom-up from TASK_UNMAPPED_BASE.
        let legacy = Layout { legacy: true, ..l };
        assert_eq!(legacy.place(&busy, 0xfffd_d000, 0x8000), Some(0x5555_5000));
        let busy = [(0x5555_0000, 0x5555_6000)];
        assert_eq!(legacy.place(&busy, 0xfffd_d000, 0x8000), Some(0x5555_6000));
        // Nothing fits below: the bottom-up fallback.
        let busy = [(0x0001_0000, 0xf800_0000)];
        assert_eq!(l.place(&busy, 0xfffd_d000, 0x8000), Some(0xf800_0000));
        assert_eq!(
            l.place(&[(0x1_0000, 0xffff_0000)], 0xffff_0000, 0x8000),
            None
        );
    }
}
