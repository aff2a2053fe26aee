//! Protected-mode structures: segment descriptors (GDT/LDT entries), and
//! later the IDT, TSS and the kernel entry paths.

pub mod desc;
