//! The lines of the host's /proc/self/maps: emu's own process, not the
//! guest's (whose maps `kernel::mm` writes).

use std::ops::Range;

/// One mapping of emu's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostMap<'a> {
    pub start: u64,
    pub end: u64,
    /// `r-xp` and the like.
    pub perms: &'a str,
    /// `major:minor`, in hex.
    pub dev: &'a str,
    pub inode: &'a str,
    /// The first word of the path or name, if any (`/usr/bin/x`, `[heap]`).
    pub path: Option<&'a str>,
}

impl HostMap<'_> {
    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }

    /// Mapped from a file (a path, not `[heap]` and the like).
    pub fn file(&self) -> bool {
        self.path.is_some_and(|p| p.starts_with('/'))
    }
}

/// One line, if it has the fields up to the inode.
pub fn parse(line: &str) -> Option<HostMap<'_>> {
    let mut f = line.split_whitespace();
    let (a, b) = f.next()?.split_once('-')?;
    let (start, end) = (
        u64::from_str_radix(a, 16).ok()?,
        u64::from_str_radix(b, 16).ok()?,
    );
    let perms = f.next()?;
    let _offset = f.next()?;
    let (dev, inode) = (f.next()?, f.next()?);
    Some(HostMap {
        start,
        end,
        perms,
        dev,
        inode,
        path: f.next(),
    })
}

/// The mappings of maps text `maps`, in order.
pub fn lines(maps: &str) -> impl Iterator<Item = HostMap<'_>> {
    maps.lines().filter_map(parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_and_without_a_path() {
        let maps = "\
00401000-007fe000 r-xp 00001000 fe:00 5423234   /work/emu
7f0000000000-7f0000001000 rw-s 00000000 00:01 1025   /dev/zero (deleted)
00921000-00928000 rw-p 00000000 00:00 0
7ffc9000-7ffca000 r--p 00000000 00:00 0   [vvar]
bad line
";
        let v: Vec<_> = lines(maps).collect();
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].range(), 0x401000..0x7fe000);
        assert_eq!(
            (v[0].perms, v[0].path, v[0].file()),
            ("r-xp", Some("/work/emu"), true)
        );
        assert_eq!(
            (v[1].dev, v[1].inode, v[1].path),
            ("00:01", "1025", Some("/dev/zero"))
        );
        assert_eq!((v[2].path, v[2].file()), (None, false));
        assert_eq!((v[3].path, v[3].file()), (Some("[vvar]"), false));
    }
}
