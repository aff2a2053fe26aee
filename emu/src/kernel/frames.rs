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
}

impl FrameLog {
    pub fn create(path: &std::path::Path) -> std::io::Result<FrameLog> {
        Ok(FrameLog {
            out: std::io::BufWriter::new(std::fs::File::create(path)?),
            shared: false,
        })
    }

    pub fn write(&mut self, entry: bool, r: &PtRegs, tid: u32) {
        if self.shared {
            let line = format!("{}\n", format_frame_tid(entry, r, Some(tid)));
            let _ = self.out.get_mut().write_all(line.as_bytes());
        } else {
            let _ = writeln!(self.out, "{}", format_frame(entry, r));
        }
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
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
