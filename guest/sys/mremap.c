/* mremap, madvise, mincore, mlock, msync, mseal and brk: errno and
 * effects, then /proc/self/maps. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

#define AP (MAP_PRIVATE | MAP_ANONYMOUS)
#define MREMAP(label, a, o, n, f, na) R(label, syscall(SYS_mremap, a, o, n, f, na))

int main(void)
{
    unbuffered();
    char *a = (char *)syscall(SYS_mmap2, 0, 0x3000, 3, AP, -1, 0);
    strcpy(a, "hello");
    strcpy(a + 0x2000, "world");
    printf("a=%p\n", a);
    MREMAP("bad flags", a, 0x3000, 0x4000, 8, 0);
    MREMAP("fixed without maymove", a, 0x3000, 0x4000, MREMAP_FIXED, 0x20000000);
    MREMAP("unaligned", a + 1, 0x3000, 0x4000, 0, 0);
    MREMAP("new_len 0", a, 0x3000, 0, 0, 0);
    MREMAP("hole shrink", 0x30000000, 0x3000, 0x1000, 0, 0);
    MREMAP("hole grow", 0x30000000, 0x1000, 0x3000, 0, 0);
    /* Shrinking at the top of the address space: addr + new_len passes
     * 4 GiB (found by the fuzz tier; emu's arithmetic overflowed). */
    MREMAP("shrink past 4 GiB", 0xfffff000, 0x1000d610, 0x10000299, MREMAP_MAYMOVE, 0);
    MREMAP("same size", a, 0x3000, 0x3000, 0, 0);
    MREMAP("hole same size", 0x30000000, 0x3000, 0x3000, 0, 0);
    MREMAP("grow, no room, no move", a, 0x3000, 0x5000, 0, 0);
    char *b = (char *)syscall(SYS_mremap, a, 0x3000, 0x5000, MREMAP_MAYMOVE, 0);
    printf("b=%p %s %s\n", b, b, b + 0x2000);
    MREMAP("old range past the vma", b, 0x6000, 0x7000, MREMAP_MAYMOVE, 0);
    MREMAP("shrink", b, 0x5000, 0x1000, 0, 0);
    MREMAP("fixed overlapping", b, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED, b);
    MREMAP("fixed unaligned target", b, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20000010);
    MREMAP("fixed", b, 0x1000, 0x2000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20000000);
    printf("%s\n", (char *)0x20000000);
    MREMAP("dontunmap resizing", 0x20000000, 0x2000, 0x3000, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    MREMAP("dontunmap", 0x20000000, 0x2000, 0x2000, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    printf("old after dontunmap: %d\n", *(char *)0x20000000);
    MREMAP("across vmas", 0x08048000, 0x2000, 0x3000, MREMAP_MAYMOVE, 0);
    char *c = (char *)syscall(SYS_mmap2, 0x40000000, 0x1000, 3, AP, -1, 0);
    c[0] = 'c';
    MREMAP("grow in place", c, 0x1000, 0x3000, 0, 0);
    printf("c[0]=%c c[0x2fff]=%d\n", c[0], c[0x2fff]);
    MREMAP("grow from the middle", c, 0x1000, 0x2000, 0, 0);
    MREMAP("grow from the middle, move", c, 0x1000, 0x2000, MREMAP_MAYMOVE, 0);
    char *s = (char *)syscall(SYS_mmap2, 0x50000000, 0x1000, 3, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    s[5] = 42;
    MREMAP("shared grow", s, 0x1000, 0x2000, 0, 0);
    MREMAP("old_len 0, private", 0x40001000, 0, 0x1000, MREMAP_MAYMOVE, 0);
    char *s2 = (char *)syscall(SYS_mremap, s, 0, 0x1000, MREMAP_MAYMOVE, 0);
    printf("old_len 0, shared: %p sees %d\n", s2, s2[5]);
    s2[6] = 43;
    printf("and writes back: %d\n", s[6]);
    /* A file mapping grows with the file's following pages. */
    int fd = open("/proc/self/exe", O_RDONLY);
    unsigned char *f = (unsigned char *)syscall(SYS_mmap2, 0x58000000, 0x1000, 1, MAP_PRIVATE, fd, 0);
    MREMAP("file grow in place", f, 0x1000, 0x2000, 0, 0);
    printf("file bytes %02x %02x %02x\n", f[1], f[2], f[0x1000] == ((unsigned char *)0x08049000)[0]);
    unsigned char *g = (unsigned char *)syscall(SYS_mremap, f, 0x2000, 0x3000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x59000000);
    printf("file moved to %p: %02x %02x\n", g, g[1], g[0x2000] == ((unsigned char *)0x0804a000)[0]);

    char *d = (char *)syscall(SYS_mmap2, 0x60000000, 0x4000, 3, AP, -1, 0);
    d[0] = 5;
    d[0x1000] = 6;
    R("madvise dontneed", syscall(SYS_madvise, d, 0x1000, MADV_DONTNEED));
    printf("%d %d\n", d[0], d[0x1000]);
    R("madvise unaligned", syscall(SYS_madvise, d + 1, 0x1000, MADV_DONTNEED));
    R("madvise bad advice", syscall(SYS_madvise, d, 0x1000, 999));
    R("madvise 5", syscall(SYS_madvise, d, 0x1000, 5));
    R("madvise hole", syscall(SYS_madvise, d, 0x5000, MADV_DONTNEED));
    R("madvise hole normal", syscall(SYS_madvise, d, 0x5000, MADV_NORMAL));
    R("madvise hole willneed", syscall(SYS_madvise, 0x30000000, 0x1000, MADV_WILLNEED));
    R("madvise len 0", syscall(SYS_madvise, 0x30000000, 0, MADV_DONTNEED));
    R("madvise free on a file", syscall(SYS_madvise, g, 0x1000, MADV_FREE));
    R("madvise remove on private", syscall(SYS_madvise, d, 0x1000, MADV_REMOVE));
    R("madvise dontfork", syscall(SYS_madvise, d + 0x1000, 0x1000, MADV_DONTFORK));
    R("madvise wipeonfork on a file", syscall(SYS_madvise, g, 0x1000, MADV_WIPEONFORK));
    R("madvise hugepage", syscall(SYS_madvise, d + 0x3000, 0x1000, MADV_HUGEPAGE));
    char *n = (char *)syscall(SYS_mmap2, 0x61000000, 0x1000, PROT_NONE, AP, -1, 0);
    R("madvise populate PROT_NONE", syscall(SYS_madvise, n, 0x1000, MADV_POPULATE_READ));
    char *e = (char *)syscall(SYS_mmap2, 0x62000000, 0x2000, 1, MAP_PRIVATE, fd, 0x100000);
    R("madvise populate past eof", syscall(SYS_madvise, e, 0x1000, MADV_POPULATE_READ));
    R("madvise populate write on read-only", syscall(SYS_madvise, g, 0x1000, MADV_POPULATE_WRITE));
    R("madvise populate", syscall(SYS_madvise, d, 0x2000, MADV_POPULATE_WRITE));
    R("madvise hwpoison", syscall(SYS_madvise, d, 0x1000, 100));
    R("madvise cold", syscall(SYS_madvise, d, 0x1000, MADV_COLD));
    R("madvise dontneed on private file", syscall(SYS_madvise, g, 0x1000, MADV_DONTNEED));
    printf("file bytes after dontneed %02x\n", g[1]);

    unsigned char v[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    R("madvise dontneed all", syscall(SYS_madvise, d, 0x4000, MADV_DONTNEED));
    d[0x2000] = 1;
    R("mincore", syscall(SYS_mincore, d, 0x4000, v));
    printf("%d %d %d %d %d\n", v[0], v[1], v[2], v[3], v[4]);
    R("mincore unaligned", syscall(SYS_mincore, d + 1, 0x1000, v));
    R("mincore hole", syscall(SYS_mincore, d, 0x5000, v));
    R("mincore efault", syscall(SYS_mincore, d, 0x1000, 0x30000000));
    R("mincore len 0", syscall(SYS_mincore, d, 0, v));
    R("mincore PROT_NONE", syscall(SYS_mincore, n, 0x1000, v));
    printf("%d\n", v[0]);

    R("mlock", syscall(SYS_mlock, d, 0x1000));
    R("mlock hole", syscall(SYS_mlock, d, 0x5000));
    R("mlock unaligned", syscall(SYS_mlock, d + 1, 0x1000));
    R("mlock past eof", syscall(SYS_mlock, e, 0x1000));
    R("madvise dontneed locked", syscall(SYS_madvise, d, 0x1000, MADV_DONTNEED));
    R("msync invalidate locked", syscall(SYS_msync, d, 0x1000, MS_INVALIDATE));
    R("munlock", syscall(SYS_munlock, d, 0x1000));
    R("mlock2 bad flags", syscall(SYS_mlock2, d, 0x1000, 2));
    R("mlock2 onfault", syscall(SYS_mlock2, d + 0x2000, 0x1000, 1));
    R("mlockall 0", syscall(SYS_mlockall, 0));
    R("mlockall onfault alone", syscall(SYS_mlockall, 4));
    R("mlockall bad", syscall(SYS_mlockall, 8));
    R("mlockall future", syscall(SYS_mlockall, MCL_FUTURE));
    R("mmap under mlockall", syscall(SYS_mmap2, 0x63000000, 0x1000, 3, AP, -1, 0));
    R("munlockall", syscall(SYS_munlockall));
    R("mmap after munlockall", syscall(SYS_mmap2, 0x63001000, 0x1000, 3, AP, -1, 0));
    R("msync", syscall(SYS_msync, d, 0x1000, MS_SYNC));
    R("msync sync|async", syscall(SYS_msync, d, 0x1000, MS_SYNC | MS_ASYNC));
    R("msync bad flag", syscall(SYS_msync, d, 0x1000, 8));
    R("msync hole", syscall(SYS_msync, d, 0x5000, MS_SYNC));
    R("msync hole async", syscall(SYS_msync, 0x5fffe000, 0x3000, MS_ASYNC));
    R("msync unaligned", syscall(SYS_msync, d + 1, 0x1000, MS_SYNC));
    R("msync len 0", syscall(SYS_msync, 0x30000000, 0, MS_SYNC));

    char *z = (char *)syscall(SYS_mmap2, 0x64000000, 0x3000, 3, AP, -1, 0);
    R("mseal bad flags", syscall(462, z, 0x1000, 1));
    R("mseal unaligned", syscall(462, z + 1, 0x1000, 0));
    R("mseal hole", syscall(462, z, 0x4000, 0));
    R("mseal", syscall(462, z + 0x1000, 0x1000, 0));
    R("munmap sealed", syscall(SYS_munmap, z, 0x3000));
    R("mprotect sealed", syscall(SYS_mprotect, z + 0x1000, 0x1000, 1));
    R("mremap sealed", syscall(SYS_mremap, z + 0x1000, 0x1000, 0x2000, MREMAP_MAYMOVE, 0));
    R("mmap fixed over sealed", syscall(SYS_mmap2, z, 0x3000, 3, AP | MAP_FIXED, -1, 0));
    R("munmap next to sealed", syscall(SYS_munmap, z, 0x1000));

    R("brk 0", syscall(SYS_brk, 0));
    long b0 = syscall(SYS_brk, 0);
    R("brk below start", syscall(SYS_brk, 0x1000));
    R("brk huge", syscall(SYS_brk, 0xf0000000));
    R("brk +1", syscall(SYS_brk, b0 + 1));
    R("brk +0x10000", syscall(SYS_brk, b0 + 0x10000));
    ((char *)b0)[0xffff] = 1;
    R("brk back", syscall(SYS_brk, b0 + 0x800));
    R("brk into a mapping", syscall(SYS_brk, 0x10000000));
    maps();
    return 0;
}
