//! Segment descriptors in hardware format (Intel SDM vol. 3, 3.4.5).

/// A raw 8-byte segment descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Desc(pub u64);

impl Desc {
    /// Build a code/data descriptor (S = 1).
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        base: u32,
        limit20: u32,
        typ: u8,
        dpl: u8,
        present: bool,
        avl: bool,
        db: bool,
        gran: bool,
    ) -> Desc {
        let limit20 = limit20 as u64 & 0xf_ffff;
        let base = base as u64;
        let v = (limit20 & 0xffff)
            | ((base & 0xff_ffff) << 16)
            | ((typ as u64 & 0xf) << 40)
            | (1 << 44)
            | ((dpl as u64 & 3) << 45)
            | ((present as u64) << 47)
            | ((limit20 >> 16) << 48)
            | ((avl as u64) << 52)
            | ((db as u64) << 54)
            | ((gran as u64) << 55)
            | ((base >> 24) << 56);
        Desc(v)
    }

    pub fn base(&self) -> u32 {
        (((self.0 >> 16) & 0xff_ffff) | ((self.0 >> 56) << 24)) as u32
    }
    /// The raw 20-bit limit field.
    pub fn limit20(&self) -> u32 {
        ((self.0 & 0xffff) | (((self.0 >> 48) & 0xf) << 16)) as u32
    }
    /// The limit in bytes, scaled by the granularity bit.
    pub fn limit(&self) -> u32 {
        if self.gran() {
            (self.limit20() << 12) | 0xfff
        } else {
            self.limit20()
        }
    }
    /// The access byte (bits 40..47: type, S, DPL, P).
    pub fn access(&self) -> u8 {
        (self.0 >> 40) as u8
    }
    pub fn typ(&self) -> u8 {
        ((self.0 >> 40) & 0xf) as u8
    }
    /// S bit: code/data (true) or system.
    pub fn s(&self) -> bool {
        self.0 >> 44 & 1 != 0
    }
    pub fn dpl(&self) -> u8 {
        ((self.0 >> 45) & 3) as u8
    }
    pub fn present(&self) -> bool {
        self.0 >> 47 & 1 != 0
    }
    pub fn avl(&self) -> bool {
        self.0 >> 52 & 1 != 0
    }
    /// L bit: a 64-bit code segment.
    pub fn long(&self) -> bool {
        self.0 >> 53 & 1 != 0
    }
    pub fn db(&self) -> bool {
        self.0 >> 54 & 1 != 0
    }
    pub fn gran(&self) -> bool {
        self.0 >> 55 & 1 != 0
    }
    pub fn is_code(&self) -> bool {
        self.s() && self.typ() & 8 != 0
    }
    /// Usable as a data segment by mov/pop: data, or readable code.
    pub fn is_readable(&self) -> bool {
        self.s() && (self.typ() & 8 == 0 || self.typ() & 2 != 0)
    }
    pub fn is_writable_data(&self) -> bool {
        self.s() && self.typ() & 8 == 0 && self.typ() & 2 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = Desc::segment(0x1234_5678, 0xfffff, 0x3, 3, true, true, true, true);
        assert_eq!(d.base(), 0x1234_5678);
        assert_eq!(d.limit(), 0xffff_ffff);
        assert_eq!(d.dpl(), 3);
        assert!(d.present() && d.avl() && d.db() && d.s() && d.is_writable_data());
        // The flat user data segment of Linux: 0x00cff3000000ffff.
        assert_eq!(
            Desc::segment(0, 0xfffff, 0x3, 3, true, false, true, true).0,
            0x00cf_f300_0000_ffff
        );
    }
}
