/* Faults and stack growth, one scenario per run (argv[1]): the exit
 * status (139 SIGSEGV, 135 SIGBUS) or the output is what is compared. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>

static int deep(int n)
{
    volatile char pad[1000];
    pad[0] = n;
    return n ? deep(n - 1) + pad[0] : 0;
}

static void stack_line(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char b[512];
    while (fgets(b, sizeof b, f))
        if (strstr(b, "[stack]"))
            fputs(b, stdout);
    fclose(f);
}

int main(int argc, char **argv)
{
    unbuffered();
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "stack")) {
        /* 2 MB of frames: the stack grows page by page. */
        stack_line();
        printf("deep: %d\n", deep(2000));
        stack_line();
        return 0;
    }
    if (!strcmp(w, "alloca")) {
        /* One big jump below the stack (no probing): still grows. */
        volatile char *p = __builtin_alloca(4 << 20);
        p[0] = 1;
        /* Touch what the calls below will use, so only user accesses grow it. */
        for (int i = 0; i < 16384; i += 512)
            p[-i] = 0;
        stack_line();
        return p[0];
    }
    if (!strcmp(w, "kernel-stack")) {
        /* The kernel's own access grows the stack: read() into a buffer
         * reaching below the stack VMA. */
        char *p = __builtin_alloca(1 << 20);
        int fd = open("/dev/zero", O_RDONLY);
        long n = syscall(SYS_read, fd, p, 1 << 20);
        printf("read: %ld\n", n);
        stack_line();
        return 0;
    }
    if (!strcmp(w, "rlimit")) {
        struct rlimit r = {256 << 10, RLIM_INFINITY};
        setrlimit(RLIMIT_STACK, &r);
        stack_line();
        printf("deep: %d\n", deep(100));
        fflush(stdout);
        deep(1000); /* past 256 KiB: SIGSEGV */
        return 0;
    }
    if (!strcmp(w, "guard")) {
        /* A mapping just below the stack blocks growth within the gap. */
        long top = 0xfffdd000;
        syscall(SYS_mmap2, top - 0x100000 - 0x1000, 0x1000, 3, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        volatile char *p = (char *)(top - 0x100000 + 0x100);
        *p = 1;
        return 0;
    }
    int fd = open("/proc/self/exe", O_RDONLY);
    if (!strcmp(w, "eof")) {
        volatile char *p = (char *)syscall(SYS_mmap2, 0, 0x2000, PROT_READ, MAP_PRIVATE, fd, 0x100000);
        return p[0];
    }
    if (!strcmp(w, "shm-grown")) {
        volatile char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, 3, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        p = (char *)syscall(SYS_mremap, p, 0x1000, 0x2000, MREMAP_MAYMOVE);
        p[0] = 1;
        printf("first page ok\n");
        p[0x1000] = 1;
        return 0;
    }
    if (!strcmp(w, "write-ro")) {
        volatile char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("%d\n", p[0]);
        p[0] = 1;
        return 0;
    }
    if (!strcmp(w, "none")) {
        volatile char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p[0];
    }
    if (!strcmp(w, "unmapped")) {
        volatile char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        syscall(SYS_munmap, p, 0x1000);
        return p[0];
    }
    if (!strcmp(w, "relro")) {
        /* glibc made RELRO read-only at startup. */
        volatile int *p = (int *)0x080eb000;
        FILE *f = fopen("/proc/self/maps", "r");
        char b[512];
        while (fgets(b, sizeof b, f))
            if (strstr(b, "r--p") && strstr(b, "/fault") && !strstr(b, " 00000000 "))
                p = (int *)strtoul(b, 0, 16);
        fclose(f);
        *p = 0;
        return 0;
    }
    if (!strcmp(w, "exec-nx")) {
        /* Jumping to a non-executable page. */
        char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 0xc3;
        ((void (*)(void))p)();
        return 0;
    }
    if (!strcmp(w, "exec-mprotect")) {
        /* Code runs, then its page loses exec: the next call faults. */
        char *p = (char *)syscall(SYS_mmap2, 0, 0x1000, 7, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 0xb8; p[1] = 42; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0xc3; /* mov $42,%eax; ret */
        printf("%d\n", ((int (*)(void))p)());
        syscall(SYS_mprotect, p, 0x1000, PROT_READ);
        printf("%d\n", ((int (*)(void))p)());
        return 0;
    }
    if (!strcmp(w, "exec-remap")) {
        /* Code replaced by a new mapping at the same address runs anew. */
        char *p = (char *)syscall(SYS_mmap2, 0x30000000, 0x1000, 7, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 0xb8; p[1] = 1; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0xc3;
        printf("%d\n", ((int (*)(void))p)());
        syscall(SYS_mmap2, 0x30000000, 0x1000, 7, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        p[0] = 0xb8; p[1] = 2; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0xc3;
        printf("%d\n", ((int (*)(void))p)());
        syscall(SYS_madvise, p, 0x1000, MADV_DONTNEED);
        printf("%d\n", p[0]);
        return 0;
    }
    printf("unknown scenario\n");
    return 2;
}
