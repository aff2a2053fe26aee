/* File-backed mappings: MAP_SHARED writes reach the file, MAP_PRIVATE ones
 * do not, pages appear when the file grows, mremap and msync. argv[1] is a
 * scratch file path (recreated). */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

static const char *path;

/* The maps lines of our file, without device and inode. */
static void file_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char b[512], range[64], perm[8], off[32], dev[16], ino[32], name[400];
    while (fgets(b, sizeof b, f)) {
        name[0] = 0;
        if (sscanf(b, "%63s %7s %31s %15s %31s %399s", range, perm, off, dev, ino, name) >= 5 && !strcmp(name, path))
            printf("  %s %s %s\n", range, perm, off);
    }
    fclose(f);
}

static void file_bytes(int fd, long at)
{
    char c[2] = {0, 0};
    pread(fd, c, 2, at);
    printf("file[%ld]=%d,%d\n", at, c[0], c[1]);
}

int main(int argc, char **argv)
{
    unbuffered();
    if (argc < 2)
        return 2;
    path = argv[1];
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[5000];
    for (int i = 0; i < 5000; i++)
        buf[i] = i % 100;
    write(fd, buf, sizeof buf);

    char *sh = (char *)syscall(SYS_mmap2, 0x40000000, 0x3000, 3, MAP_SHARED, fd, 0);
    char *pr = (char *)syscall(SYS_mmap2, 0x41000000, 0x3000, 3, MAP_PRIVATE, fd, 0);
    printf("maps at %p %p\n", sh, pr);
    printf("read through both: %d %d %d\n", sh[99], pr[99], sh[4999]);
    printf("tail of the last page reads zero: %d %d\n", sh[5000], pr[8191]);
    sh[0] = 'X';
    sh[4999] = 'Y';
    file_bytes(fd, 0);
    file_bytes(fd, 4998);
    printf("private sees shared write before its own: %c\n", pr[0]);
    pr[1] = 'P';
    file_bytes(fd, 0);
    sh[1] = 'Q';
    printf("private after its own write: %c %c\n", pr[0], pr[1]);
    pwrite(fd, "W", 1, 2);
    printf("write() shows in the shared map: %c\n", sh[2]);
    R("msync", syscall(SYS_msync, sh, 0x3000, MS_SYNC));
    R("msync invalidate", syscall(SYS_msync, sh, 0x1000, MS_INVALIDATE));
    R("madvise dontneed private", syscall(SYS_madvise, pr, 0x1000, MADV_DONTNEED));
    printf("private after dontneed: %c %c\n", pr[0], pr[1]);
    /* Grow the file: the third page becomes accessible. */
    ftruncate(fd, 12000);
    sh[0x2000] = 'Z';
    file_bytes(fd, 0x2000);
    printf("private sees it: %c\n", pr[0x2000]);
    char *g = (char *)syscall(SYS_mremap, sh, 0x3000, 0x4000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x42000000);
    printf("moved: %p %c %c\n", g, g[0], g[0x2000]);
    g[3] = 'M';
    file_bytes(fd, 2);
    R("mremap grow in place", syscall(SYS_mremap, g, 0x4000, 0x5000, 0));
    R("madvise remove", syscall(SYS_madvise, g + 0x1000, 0x1000, MADV_REMOVE));
    file_bytes(fd, 0x1000);
    int ro = open(path, O_RDONLY);
    char *r = (char *)syscall(SYS_mmap2, 0x43000000, 0x1000, PROT_READ, MAP_SHARED, ro, 0);
    printf("read-only shared: %c\n", r[0]);
    R("mprotect write on read-only shared", syscall(SYS_mprotect, r, 0x1000, 3));
    R("mprotect write on read-only private", syscall(SYS_mprotect, 0x41000000, 0x1000, 3));
    char *r2 = (char *)syscall(SYS_mmap2, 0x43001000, 0x1000, PROT_READ, MAP_SHARED, ro, 1);
    printf("same fd, next page: %p\n", r2);
    int wo = open(path, O_WRONLY);
    R("mmap write-only fd", syscall(SYS_mmap2, 0, 0x1000, PROT_WRITE, MAP_SHARED, wo, 0));
    int ap = open(path, O_RDWR | O_APPEND);
    R("mmap shared writable O_APPEND", syscall(SYS_mmap2, 0, 0x1000, 3, MAP_SHARED, ap, 0));
    file_maps();
    R("munmap", syscall(SYS_munmap, 0x42000000, 0x5000));
    file_maps();
    close(fd);
    unlink(path);
    return 0;
}
