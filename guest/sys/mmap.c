/* mmap/munmap/mprotect: placement, flags, errno, and the resulting
 * /proc/self/maps (raw syscalls: the kernel's answers, not glibc's). */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

#define MM(label, a, l, p, f, fd, off) R(label, syscall(SYS_mmap2, a, l, p, f, fd, off))
#define AP (MAP_PRIVATE | MAP_ANONYMOUS)

int main(void)
{
    unbuffered();
    MM("len0", 0, 0, 3, AP, -1, 0);
    MM("hint 0x1000 (raised to 0x10000)", 0x1000, 4096, 3, AP, -1, 0);
    MM("hint free", 0x10000000, 4096, 3, AP, -1, 0);
    MM("hint unaligned taken", 0x10000123, 4096, 3, AP, -1, 0);
    MM("fixed unaligned", 0x20000100, 4096, 3, AP | MAP_FIXED, -1, 0);
    MM("fixed above TASK_SIZE", 0xfffff000, 4096, 3, AP | MAP_FIXED, -1, 0);
    MM("fixed_noreplace over text", 0x08048000, 4096, 3, AP | MAP_FIXED_NOREPLACE, -1, 0);
    MM("fixed_noreplace free", 0x21000000, 4096, 3, AP | MAP_FIXED_NOREPLACE, -1, 0);
    MM("fixed over fixed", 0x21000000, 0x3000, 1, AP | MAP_FIXED, -1, 0);
    MM("too big", 0, 0xf0000000, 3, AP, -1, 0);
    MM("len wraps", 0, 0xfffff001, 3, AP, -1, 0);
    MM("big noreserve", 0, 0xc0000000, 3, AP | MAP_NORESERVE, -1, 0);
    R("munmap big", syscall(SYS_munmap, 0x37ff5000, 0xc0000000));
    MM("type 0", 0, 4096, 3, MAP_ANONYMOUS, -1, 0);
    MM("shared_validate anon", 0, 4096, 3, 3 | MAP_ANONYMOUS, -1, 0);
    MM("shared growsdown", 0, 4096, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    MM("bad fd", 0, 4096, 3, MAP_PRIVATE, 99, 0);
    MM("bad fd len0", 0, 0, 3, MAP_PRIVATE, 99, 0);
    MM("hugetlb", 0, 4096, 3, AP | MAP_HUGETLB, -1, 0);
    MM("droppable", 0, 4096, 3, 8 | MAP_ANONYMOUS, -1, 0);
    MM("prot 0x10 ignored", 0, 4096, 0x10, AP, -1, 0);
    MM("prot exec", 0, 4096, PROT_EXEC, AP, -1, 0);
    MM("prot write", 0, 4096, PROT_WRITE, AP, -1, 0);
    MM("4M", 0, 4 << 20, 3, AP, -1, 0);
    MM("4M shared", 0, 4 << 20, 3, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    MM("growsdown", 0, 0x4000, 3, AP | MAP_GROWSDOWN, -1, 0);
    MM("below growsdown (guard gap)", 0, 0x1000, 3, AP, -1, 0);
    MM("stack", 0, 0x1000, 3, AP | MAP_STACK, -1, 0);
    MM("locked", 0, 0x1000, 3, AP | MAP_LOCKED, -1, 0);
    MM("merges below", 0, 0x1000, 3, AP | MAP_LOCKED, -1, 0);
    int fd = open("/proc/self/exe", O_RDONLY);
    MM("file shared write on O_RDONLY", 0, 4096, 3, MAP_SHARED, fd, 0);
    long shro = syscall(SYS_mmap2, 0, 4096, 1, MAP_SHARED, fd, 0);
    R("file shared read", shro);
    MM("file private", 0, 4096, 3, MAP_PRIVATE, fd, 1);
    MM("file private same fd merges", 0, 4096, 3, MAP_PRIVATE, fd, 0);
    MM("file past eof", 0, 8192, 3, MAP_PRIVATE, fd, 0x100000);
    MM("file growsdown", 0, 4096, 1, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0);
    MM("file shared_validate unknown flag", 0, 4096, 1, 3 | MAP_SYNC, fd, 0);
    MM("file type 0", 0, 4096, 1, 0, fd, 0);
    R("old_mmap unaligned offset", ({ unsigned long a[6] = {0, 4096, 1, MAP_PRIVATE, fd, 1}; syscall(SYS_mmap, a); }));
    R("old_mmap", ({ unsigned long a[6] = {0, 4096, 1, MAP_PRIVATE, fd, 4096}; syscall(SYS_mmap, a); }));
    R("old_mmap efault", syscall(SYS_mmap, 0x30000000));
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    MM("directory", 0, 4096, 1, MAP_PRIVATE, dfd, 0);
    int wfd = open("/dev/null", O_WRONLY);
    MM("write-only fd", 0, 4096, 1, MAP_PRIVATE, wfd, 0);
    MM("/dev/null readable? no: O_WRONLY shared", 0, 4096, 2, MAP_SHARED, wfd, 0);
    R("munmap unaligned", syscall(SYS_munmap, 0x10000001, 4096));
    R("munmap len0", syscall(SYS_munmap, 0x10000000, 0));
    R("munmap hole", syscall(SYS_munmap, 0x30000000, 4096));
    R("munmap at TASK_SIZE", syscall(SYS_munmap, 0xffffe000, 4096));
    R("munmap above", syscall(SYS_munmap, 0xfffff000, 4096));
    R("munmap wrap", syscall(SYS_munmap, 0x10000000, 0xfffff000));
    R("munmap middle of fixed", syscall(SYS_munmap, 0x21001000, 0x1000));
    R("mprotect unaligned", syscall(SYS_mprotect, 0x10000001, 4096, 1));
    R("mprotect len0", syscall(SYS_mprotect, 0x10000000, 0, 1));
    R("mprotect hole", syscall(SYS_mprotect, 0x30000000, 4096, 1));
    R("mprotect bad prot", syscall(SYS_mprotect, 0x10000000, 4096, 0x100));
    R("mprotect bad prot hole", syscall(SYS_mprotect, 0x30000000, 4096, 0x100));
    R("mprotect PROT_SEM", syscall(SYS_mprotect, 0x10000000, 4096, 0x8 | PROT_READ));
    R("mprotect both grows", syscall(SYS_mprotect, 0x10000000, 4096, PROT_GROWSDOWN | PROT_GROWSUP | 1));
    R("mprotect growsdown on plain", syscall(SYS_mprotect, 0x10000000, 4096, PROT_GROWSDOWN | 1));
    R("mprotect wraps", syscall(SYS_mprotect, 0xfffff000, 0x2000, 1));
    R("mprotect across hole", syscall(SYS_mprotect, 0x21000000, 0x3000, 3));
    R("mprotect split", syscall(SYS_mprotect, 0x10000000, 0x1000, PROT_NONE));
    R("mprotect write on shared ro file", syscall(SYS_mprotect, shro, 0x1000, 3));
    maps();
    return 0;
}
