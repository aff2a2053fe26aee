/* Kernel-side access to guest buffers (issue 12 items 6 and 11): the
 * kernel touches a buffer only when and as far as it uses it.
 *  - write() of a bad buffer: /dev/null never reads it (full count), a
 *    regular file or a pipe copies up to the fault (short count, or
 *    EFAULT when nothing was copied); pwrite and writev alike.
 *  - getdents64 into a buffer that runs into an unmapped page: the
 *    entries that fit before it.
 *  - a path, a struct or a buffer in a file mapping whose file was
 *    truncated under it: EFAULT from the syscall (emu must not die of
 *    SIGBUS), and SIGBUS (BUS_ADRERR, si_addr) when the program itself
 *    touches the page.
 * argv[1]: a scratch directory. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define PG 4096

/* Two pages: the first mapped read-write, the second unmapped. */
static char *edge(void)
{
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'a', PG);
    munmap(p + PG, PG);
    return p;
}

static void writes(const char *dir)
{
    char path[512];
    char *p = edge();
    char *bad = p + PG; /* unmapped */
    int null = open("/dev/null", O_WRONLY);
    R("write null bad", syscall(SYS_write, null, bad, 32));
    R("write null NULL", syscall(SYS_write, null, 0, 32));
    R("write null edge", syscall(SYS_write, null, p + PG - 100, 8192));
    R("pwrite null bad", syscall(SYS_pwrite64, null, bad, 32, 0, 0));
    struct iovec iv[2] = {{p, 10}, {bad, 20}};
    R("writev null", syscall(SYS_writev, null, iv, 2));
    int zero = open("/dev/zero", O_WRONLY);
    R("write zero bad", syscall(SYS_write, zero, bad, 32));

    snprintf(path, sizeof path, "%s/kaccess-file", dir);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    R("write file bad", syscall(SYS_write, f, bad, 32));
    R("write file edge", syscall(SYS_write, f, p + PG - 100, 8192));
    R("pwrite file edge", syscall(SYS_pwrite64, f, p + PG - 300, 8192, 1000, 0));
    R("pwrite file bad", syscall(SYS_pwrite64, f, bad, 10, 0, 0));
    R("writev file", syscall(SYS_writev, f, iv, 2));
    struct stat st;
    fstat(f, &st);
    printf("file size %ld\n", (long)st.st_size);
    close(f);
    unlink(path);

    int pp[2];
    pipe(pp);
    R("write pipe bad", syscall(SYS_write, pp[1], bad, 32));
    R("write pipe edge", syscall(SYS_write, pp[1], p + PG - 100, 8192));
    char buf[256];
    fcntl(pp[0], F_SETFL, O_NONBLOCK);
    R("read pipe", read(pp[0], buf, sizeof buf));

    /* A PROT_NONE page is as bad as an unmapped one. */
    char *n = mmap(0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    R("write null none", syscall(SYS_write, null, n, 32));
    R("write pipe none", syscall(SYS_write, pp[1], n, 32));
    R("read zero bad", syscall(SYS_read, open("/dev/zero", O_RDONLY), bad, 32));
}

/* read() into a buffer the process cannot write: the file's read decides
 * whether it touches it (/dev/null and a file at its end return 0, data
 * is EFAULT, a buffer bad from its second page gives a short count). */
static void on_alarm(int sig)
{
    (void)sig;
}

static void reads(const char *dir)
{
    char path[512];
    char *p = edge();
    char *bad = p + PG; /* unmapped */
    R("read null bad", syscall(SYS_read, open("/dev/null", O_RDONLY), bad, 32));
    R("read null NULL", syscall(SYS_read, open("/dev/null", O_RDONLY), 0, 32));
    R("read zero bad", syscall(SYS_read, open("/dev/zero", O_RDONLY), bad, 32));
    R("read zero edge", syscall(SYS_read, open("/dev/zero", O_RDONLY), p + PG - 100, 8192));
    snprintf(path, sizeof path, "%s/kaccess-reads-%d", dir, getpid());
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    R("read empty file bad", syscall(SYS_read, f, bad, 32));
    R("pread empty file bad", syscall(SYS_pread64, f, bad, 32, 0, 0));
    write(f, "0123456789", 10);
    R("pread file bad", syscall(SYS_pread64, f, bad, 32, 0, 0));
    R("pread file edge", syscall(SYS_pread64, f, p + PG - 4, 10, 0, 0));
    close(f);
    unlink(path);

    /* Pipes and sockets copy a chunk at a time: a chunk that does not fit
     * the writable part is EFAULT with nothing consumed; an empty one
     * waits for data first (here: until a timer's signal, EINTR). */
    int pp[2];
    pipe(pp);
    write(pp[1], "abcdef", 6);
    char two[8] = {0};
    struct iovec v[2] = {{two, 2}, {bad, 10}};
    R("readv pipe, second iovec bad", syscall(SYS_readv, pp[0], v, 2));
    R("read pipe edge", syscall(SYS_read, pp[0], p + PG - 3, 6));
    R("read pipe after", syscall(SYS_read, pp[0], two, 8));
    printf("  got %.6s\n", two);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    R("recv empty socket bad", syscall(SYS_recvfrom, sv[0], bad, 10, 0, 0, 0));
    write(sv[1], "xyz", 3);
    R("recv socket bad", syscall(SYS_recvfrom, sv[0], bad, 10, 0, 0, 0));
    R("recv socket edge", syscall(SYS_recvfrom, sv[0], p + PG - 1, 10, 0, 0, 0));
    memset(two, 0, sizeof two);
    R("recv socket after", syscall(SYS_recvfrom, sv[0], two, 8, 0, 0, 0));
    printf("  got %.3s\n", two);
    write(sv[1], "uvw", 3);
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    struct iovec mv[2] = {{two, 1}, {bad, 10}};
    mh.msg_iov = mv;
    mh.msg_iovlen = 2;
    R("recvmsg second iovec bad", syscall(SYS_recvmsg, sv[0], &mh, 0));
    R("recv after recvmsg", syscall(SYS_recvfrom, sv[0], two, 8, 0, 0, 0));
    printf("  got %.3s\n", two);
}

static void dents(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kaccess-dir", dir);
    mkdir(path, 0700);
    for (int i = 0; i < 40; i++) {
        char f[600];
        snprintf(f, sizeof f, "%s/entry-with-a-longish-name-%02d", path, i);
        close(open(f, O_CREAT | O_WRONLY, 0600));
    }
    int d = open(path, O_RDONLY | O_DIRECTORY);
    char *p = edge();
    /* 200 bytes before the hole: a few entries fit (each takes 48). */
    char *b = p + PG - 200;
    int total = 0, calls = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, d, b, 4096);
        if (n <= 0) {
            printf("getdents64 last: %s\n", n == 0 ? "0" : ename(errno));
            break;
        }
        calls++;
        for (long o = 0; o < n;) {
            struct dirent64 *e = (struct dirent64 *)(b + o);
            if (e->d_name[0] != '.')
                total++;
            o += e->d_reclen;
        }
        if (calls == 1)
            printf("getdents64 first: %ld\n", n);
    }
    printf("entries %d in %d calls\n", total, calls);
    /* Wholly bad: EFAULT. */
    lseek(d, 0, SEEK_SET);
    R("getdents64 bad", syscall(SYS_getdents64, d, p + PG, 4096));
    /* Too small for one entry: EINVAL, before any fault. */
    R("getdents64 small", syscall(SYS_getdents64, d, p + PG - 8, 4096));
    close(d);
    for (int i = 0; i < 40; i++) {
        char f[600];
        snprintf(f, sizeof f, "%s/entry-with-a-longish-name-%02d", path, i);
        unlink(f);
    }
    rmdir(path);
}

static sigjmp_buf jb;
static char *bus_base;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("signal %d code %d addr base+%#lx\n", sig, si->si_code,
           (unsigned long)((char *)si->si_addr - bus_base));
    siglongjmp(jb, 1);
}

static void truncated(const char *dir, int by_child)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kaccess-trunc", dir);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[2 * PG];
    memset(page, 0, sizeof page);
    snprintf(page + PG, PG, "%s", path); /* a path string on page 2 */
    write(f, page, sizeof page);
    char *m = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
    /* The same pages as code, mapped before the truncation. */
    char *x = mmap(0, 2 * PG, PROT_READ | PROT_EXEC, MAP_SHARED, f, 0);
    R("open before", syscall(SYS_open, m + PG, O_RDONLY) >= 0);
    if (by_child) {
        /* Another process truncates: this one learns nothing of it. */
        if (fork() == 0) {
            ftruncate(f, PG);
            _exit(0);
        }
        wait(0);
    } else {
        ftruncate(f, PG);
    }
    char *s = m + PG;
    R("open", syscall(SYS_open, s, O_RDONLY));
    R("stat64", syscall(SYS_stat64, s, page));
    R("access", syscall(SYS_access, s, 0));
    char other[600];
    snprintf(other, sizeof other, "%s-other", path);
    int o = open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
    R("write from", syscall(SYS_write, o, s, 16));
    R("pwrite from", syscall(SYS_pwrite64, o, s, 16, 0, 0));
    close(o);
    unlink(other);
    int null = open("/dev/null", O_WRONLY);
    R("write null from", syscall(SYS_write, null, s, 16));
    R("read into", syscall(SYS_read, open("/dev/zero", O_RDONLY), s, 16));
    R("uname into", syscall(SYS_uname, s));
    R("gettimeofday into", syscall(SYS_gettimeofday, s, 0));
    R("clock_gettime into", syscall(SYS_clock_gettime, 0, s));
    R("nanosleep from", syscall(SYS_nanosleep, s, 0));
    R("sigaction from", syscall(SYS_rt_sigaction, SIGUSR1, s, 0, 8));
    R("pipe into", syscall(SYS_pipe, s));
    R("getcwd into", syscall(SYS_getcwd, s, 100));
    R("first page still", m[0] == 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0);
    bus_base = m;
    if (!sigsetjmp(jb, 1)) {
        volatile char c = s[5];
        printf("read past eof: %d\n", c);
    }
    if (!sigsetjmp(jb, 1)) {
        s[7] = 1;
        printf("wrote past eof\n");
    }
    if (by_child) {
        /* Code on the truncated page: the fetch faults (emu learns of the
         * truncation from the host's SIGBUS while it translates). */
        bus_base = x;
        if (x != MAP_FAILED && !sigsetjmp(jb, 1)) {
            ((void (*)(void))(x + PG + 16))();
            printf("ran past eof\n");
        }
        bus_base = m;
    }
    if (x != MAP_FAILED)
        munmap(x, 2 * PG);
    /* The file grows again: the page is back, reading zeros. */
    ftruncate(f, 2 * PG);
    R("after regrow", s[0]);
    close(f);
    unlink(path);
}

int main(int argc, char **argv)
{
    unbuffered();
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    const char *w = argc > 2 ? argv[2] : "all";
    if (!strcmp(w, "all") || !strcmp(w, "writes"))
        writes(dir);
    if (!strcmp(w, "all") || !strcmp(w, "dents"))
        dents(dir);
    if (!strcmp(w, "all") || !strcmp(w, "reads"))
        reads(dir);
    if (!strcmp(w, "all") || !strcmp(w, "truncated"))
        truncated(dir, 0);
    if (!strcmp(w, "all") || !strcmp(w, "truncated-by-child"))
        truncated(dir, 1);
    return 0;
}
