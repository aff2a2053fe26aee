//! `--frames FILE`: one JSON object per line at every syscall entry and
//! exit, with the `pt_regs` the kernel entry built.

use std::io::Write;

use super::syscall;
use crate::arch::ptregs::PtRegs;

pub struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
}

impl FrameLog {
    pub fn create(path: &std::path::Path) -> std::io::Result<FrameLog> {
        Ok(FrameLog {
            out: std::io::BufWriter::new(std::fs::File::create(path)?),
        })
    }

    pub fn write(&mut self, entry: bool, r: &PtRegs) {
        let _ = writeln!(self.out, "{}", format_frame(entry, r));
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

impl Drop for FrameLog {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `{"event":..,"nr":..,"name":..,"regs":{..}}` for one frame.
pub fn format_frame(entry: bool, r: &PtRegs) -> String {
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
    format!(
        "{{\"event\":\"{}\",\"nr\":{},\"name\":{},\"regs\":{{{}}}}}",
        if entry { "entry" } else { "exit" },
        nr,
        name,
        regs.join(",")
    )
}
