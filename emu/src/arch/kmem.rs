//! Emulated kernel memory: the GDT, IDT, TSS, the entry stack and the
//! task's kernel stack, at kernel linear addresses from [`KBASE`].
//!
//! This is a separate buffer, not part of the guest's address space, so no
//! guest instruction can address it: it plays the part of supervisor-only
//! pages above the user/kernel split. Only the arch code reads and writes it.

/// Kernel linear address of the start of kernel memory.
pub const KBASE: u32 = 0xc100_0000;

/// Layout, as offsets from KBASE.
pub const GDT_OFF: u32 = 0x0000;
/// GDT entries (Linux x86_64 uses 16; entries 12..14 are TLS).
pub const GDT_ENTRIES: u32 = 32;
pub const TSS_OFF: u32 = 0x0100;
pub const IDT_OFF: u32 = 0x0800;
pub const IDT_ENTRIES: u32 = 256;
/// Kernel text: gate and MSR targets. Nothing is stored here; a control
/// transfer to one of these addresses runs the matching Rust entry routine.
pub const TEXT_OFF: u32 = 0x1000;
/// Small per-CPU entry stack used by sysenter (IA32_SYSENTER_ESP points at its top).
pub const ENTRY_STACK_OFF: u32 = 0x1c00;
pub const ENTRY_STACK_SIZE: u32 = 0x400;
/// The task's kernel stack: THREAD_SIZE bytes, aligned, thread_info at its base.
pub const STACK_OFF: u32 = 0x2000;
pub const THREAD_SIZE: u32 = 0x2000;
/// i386 keeps 8 bytes free at the top of the kernel stack (TOP_OF_KERNEL_STACK_PADDING).
pub const STACK_PADDING: u32 = 8;
pub const KMEM_SIZE: u32 = STACK_OFF + THREAD_SIZE;

/// A fault inside kernel memory: an address outside the emulated kernel
/// region. It means an emulator bug or a corrupt descriptor (e.g. a limit
/// check missed), and is reported as #GP/#DF by the callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KFault(pub u32);

/// Held as words, so that a frame at an aligned address is a `&PtRegs`
/// in place ([`KMem::pod`]).
#[derive(Clone)]
pub struct KMem {
    words: Box<[u64]>,
}

impl Default for KMem {
    fn default() -> Self {
        KMem {
            words: vec![0; KMEM_SIZE as usize / 8].into_boxed_slice(),
        }
    }
}

impl KMem {
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.words)
    }

    #[inline(always)]
    fn bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut(&mut self.words)
    }

    /// The plain-old-data struct (e.g. `PtRegs`) at `a`, in place: Err
    /// outside kernel memory or at an address not aligned for it.
    #[inline(always)]
    pub fn pod<T: bytemuck::Pod>(&self, a: u32) -> Result<&T, KFault> {
        let n = std::mem::size_of::<T>();
        let o = self.off(a, n as u32)?;
        bytemuck::try_from_bytes(&self.bytes()[o..o + n]).map_err(|_| KFault(a))
    }

    /// [`KMem::pod`], to write.
    #[inline(always)]
    pub fn pod_mut<T: bytemuck::Pod>(&mut self, a: u32) -> Result<&mut T, KFault> {
        let n = std::mem::size_of::<T>();
        let o = self.off(a, n as u32)?;
        bytemuck::try_from_bytes_mut(&mut self.bytes_mut()[o..o + n]).map_err(|_| KFault(a))
    }

    #[inline(always)]
    fn off(&self, a: u32, n: u32) -> Result<usize, KFault> {
        let o = a.wrapping_sub(KBASE);
        if o <= KMEM_SIZE - n {
            Ok(o as usize)
        } else {
            Err(KFault(a))
        }
    }

    #[inline(always)]
    pub fn r32(&self, a: u32) -> Result<u32, KFault> {
        let o = self.off(a, 4)?;
        Ok(u32::from_le_bytes(
            self.bytes()[o..o + 4].try_into().unwrap(),
        ))
    }

    #[inline(always)]
    pub fn w32(&mut self, a: u32, v: u32) -> Result<(), KFault> {
        let o = self.off(a, 4)?;
        self.bytes_mut()[o..o + 4].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    #[inline(always)]
    pub fn r64(&self, a: u32) -> Result<u64, KFault> {
        let o = self.off(a, 8)?;
        Ok(u64::from_le_bytes(
            self.bytes()[o..o + 8].try_into().unwrap(),
        ))
    }

    #[inline(always)]
    pub fn w64(&mut self, a: u32, v: u64) -> Result<(), KFault> {
        let o = self.off(a, 8)?;
        self.bytes_mut()[o..o + 8].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Read a plain-old-data struct (e.g. `PtRegs`) at `a`.
    #[inline(always)]
    pub fn read_pod<T: bytemuck::Pod>(&self, a: u32) -> Result<T, KFault> {
        let n = std::mem::size_of::<T>() as u32;
        let o = self.off(a, n)?;
        Ok(bytemuck::pod_read_unaligned(
            &self.bytes()[o..o + n as usize],
        ))
    }

    /// Write raw bytes at `a`.
    #[inline(always)]
    pub fn write_bytes(&mut self, a: u32, b: &[u8]) -> Result<(), KFault> {
        let o = self.off(a, b.len() as u32)?;
        self.bytes_mut()[o..o + b.len()].copy_from_slice(b);
        Ok(())
    }

    /// Write the first `len` bytes of a plain-old-data struct at `a`.
    #[inline(always)]
    pub fn write_pod_prefix<T: bytemuck::Pod>(
        &mut self,
        a: u32,
        v: &T,
        len: usize,
    ) -> Result<(), KFault> {
        let b = &bytemuck::bytes_of(v)[..len];
        let o = self.off(a, len as u32)?;
        self.bytes_mut()[o..o + len].copy_from_slice(b);
        Ok(())
    }

    #[inline(always)]
    pub fn r16(&self, a: u32) -> Result<u16, KFault> {
        let o = self.off(a, 2)?;
        Ok(u16::from_le_bytes(
            self.bytes()[o..o + 2].try_into().unwrap(),
        ))
    }

    #[inline(always)]
    pub fn w16(&mut self, a: u32, v: u16) -> Result<(), KFault> {
        let o = self.off(a, 2)?;
        self.bytes_mut()[o..o + 2].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }
}
