//! `--frames FILE`: one JSON object per line at every syscall entry and
//! exit, with the `pt_regs` the kernel entry built.
//!
//! Once the program has made a second task (a thread or a process), every
//! line also carries `"tid"`, the task's thread id, and is written with one
//! `write(2)` to the file opened for appending, so the lines of processes
//! sharing the file never mix.

use std::io::Write;
use std::os::fd::AsRawFd;

use super::syscall;
use crate::arch::ptregs::PtRegs;

pub struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
    /// More than one task writes (see the module docs).
    shared: bool,
    /// The first write error (a full disk, /dev/full, a closed pipe):
    /// reported when the program ends, which then fails.
    err: Option<std::io::Error>,
}

impl FrameLog {
    /// Create (or truncate) `path`. A FIFO without a reader is an error
    /// (ENXIO) rather than a wait for one.
    pub fn create(path: &std::path::Path) -> std::io::Result<FrameLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)?;
        // Writes block as usual from now on.
        unsafe {
            let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
        }
        Ok(FrameLog {
            out: std::io::BufWriter::new(f),
            shared: false,
            err: None,
        })
    }

    pub fn write(&mut self, entry: bool, r: &PtRegs, tid: u32) {
        let r = if self.shared {
            let line = format!("{}\n", format_frame_tid(entry, r, Some(tid)));
            self.out.get_mut().write_all(line.as_bytes())
        } else {
            writeln!(self.out, "{}", format_frame(entry, r))
        };
        self.note(r);
    }

    pub fn flush(&mut self) {
        let r = self.out.flush();
        self.note(r);
    }

    fn note(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            self.err.get_or_insert(e);
        }
    }

    /// Flush, and the first error any write met.
    pub fn finish(&mut self) -> Option<&std::io::Error> {
        self.flush();
        self.err.as_ref()
    }

    /// A second task is about to write: from now on lines carry the tid
    /// and go out whole, appended.
    pub fn set_shared(&mut self) {
        if self.shared {
            return;
        }
        self.flush();
        let fd = self.out.get_ref().as_raw_fd();
        unsafe {
            let fl = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_APPEND);
        }
        self.shared = true;
    }
}

impl Drop for FrameLog {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `{"event":..,"nr":..,"name":..,"regs":{..}}` for one frame.
pub fn format_frame(entry: bool, r: &PtRegs) -> String {
    format_frame_tid(entry, r, None)
}

/// [`format_frame`] with `"tid":N` after the event when `tid` is given.
pub fn format_frame_tid(entry: bool, r: &PtRegs, tid: Option<u32>) -> String {
    let nr = r.orig_ax;
    let name = match syscall::name(nr) {
        Some(n) => format!("\"{n}\""),
        None => "null".to_string(),
    };
    let regs: Vec<String> = r
        .named()
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    let tid = tid.map_or(String::new(), |t| format!(",\"tid\":{t}"));
    format!(
        "{{\"event\":\"{}\"{},\"nr\":{},\"name\":{},\"regs\":{{{}}}}}",
        if entry { "entry" } else { "exit" },
        tid,
        nr,
        name,
        regs.join(",")
    )
}
