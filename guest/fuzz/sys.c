/* Random system calls: the runner of the fuzz tier's syscall part
 * (emu/tests/fuzz.rs writes the calls, runs this under emu and checks that
 * emu never panics, faults, aborts or hangs; nothing is compared).
 *
 * sys FILE: FILE holds records (struct rec), one per child: a seed for the
 * scratch buffer and up to NCALLS calls (number and six arguments, chosen
 * and filtered by the test). For each record a forked child
 *   - maps SCRATCH (64 KiB) and fills it with random bytes from the seed,
 *     with no '/' or '.' and one byte in eight NUL, so any path it holds is
 *     a short name in the current directory (the test's temporary one);
 *   - sends stdout to /dev/null and stderr to ERRFILE, limits files to
 *     1 MiB (RLIMIT_FSIZE) and arms a 200 ms real-time timer whose
 *     SIGALRM (default action) ends a child blocked in a call;
 *   - makes the calls with int $0x80, noting each in RESULT (a shared page),
 *     and exits with exit_group(0).
 * The parent prints one line per record:
 *   INDEX STATUS CALLS NR MARK
 * STATUS is x<exit status>, k<signal> or H (still running after WATCHDOG
 * seconds: killed), CALLS how many calls were started, NR the last one's
 * number, MARK 1 when ERRFILE holds a line of emu's own distress (a Rust
 * panic, "emu: internal fault", a Rust runtime abort), else 0; such lines
 * are copied to stdout prefixed with "! ".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define SCRATCH 0x10000000u
#define SCRATCH_SIZE 0x10000u
#define RESULT 0x40000000u
#define NCALLS 16
#define WATCHDOG 20
#define ERRFILE "child.err"
#define ERRMAX (1 << 20)

struct call {
    uint32_t nr, a[6];
};

struct rec {
    uint32_t seed, n;
    struct call c[NCALLS];
};

struct result {
    uint32_t calls, nr;
};

#define R ((volatile struct result *)RESULT)

static void __attribute__((noreturn)) raw_exit(int code) {
    for (;;)
        __asm__ volatile("int $0x80" : : "a"(252), "b"(code) : "memory");
}

/* uint32_t raw_syscall(const struct call *): the call through int $0x80,
 * every argument register loaded from the struct. */
__asm__(".text\n"
        ".globl raw_syscall\n"
        "raw_syscall:\n"
        "push %ebp\n"
        "push %ebx\n"
        "push %esi\n"
        "push %edi\n"
        "mov 20(%esp), %eax\n"
        "mov 4(%eax), %ebx\n"
        "mov 8(%eax), %ecx\n"
        "mov 12(%eax), %edx\n"
        "mov 16(%eax), %esi\n"
        "mov 20(%eax), %edi\n"
        "mov 24(%eax), %ebp\n"
        "mov 0(%eax), %eax\n"
        "int $0x80\n"
        "pop %edi\n"
        "pop %esi\n"
        "pop %ebx\n"
        "pop %ebp\n"
        "ret\n");
uint32_t raw_syscall(const struct call *c);

static void child(const struct rec *r, int errfd, int null) {
    uint8_t *s = mmap((void *)SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (s == MAP_FAILED)
        _exit(120);
    uint32_t x = r->seed | 1;
    for (uint32_t i = 0; i < SCRATCH_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint8_t b = x >> 24;
        if ((x & 7) == 0 || b == '/' || b == '.')
            b = 0;
        s[i] = b;
    }
    dup2(null, 1);
    dup2(errfd, 2);
    if (errfd > 2)
        close(errfd);
    if (null > 2)
        close(null);
    struct rlimit fs = {ERRMAX, ERRMAX};
    setrlimit(RLIMIT_FSIZE, &fs);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    struct itimerval it = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &it, 0);
    struct call calls[NCALLS];
    memcpy(calls, r->c, sizeof calls);
    uint32_t n = r->n > NCALLS ? NCALLS : r->n;
    for (uint32_t i = 0; i < n; i++) {
        R->nr = calls[i].nr;
        R->calls = i + 1;
        raw_syscall(&calls[i]);
    }
    raw_exit(0);
}

/* Lines of emu's own distress in the child's stderr. */
static int scan(void) {
    static char buf[ERRMAX + 1];
    int fd = open(ERRFILE, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, ERRMAX);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    static const char *marks[] = {"panicked at", "emu: internal fault", "has overflowed its stack",
                                  "fatal runtime error", "memory allocation of"};
    int found = 0;
    for (unsigned m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        char *p = memmem(buf, n, marks[m], strlen(marks[m]));
        if (p) {
            char *e = memchr(p, '\n', buf + n - p);
            int len = e ? e - p : (int)(buf + n - p);
            printf("! %.*s\n", len > 300 ? 300 : len, p);
            found = 1;
        }
    }
    return found;
}

int main(int argc, char **argv) {
    size_t n;
    sigset_t chld;
    struct rec *recs = runner_start(argc, argv, "sys", sizeof(struct rec), &n, RESULT, &chld);
    int null = open("/dev/null", O_RDWR);
    for (size_t i = 0; i < n; i++) {
        memset((void *)R, 0, sizeof *R);
        /* A fresh file: a child may have changed the old one's mode. */
        unlink(ERRFILE);
        int errfd = open(ERRFILE, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
        if (errfd < 0 || null < 0) {
            perror("open");
            return 2;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            child(&recs[i], errfd, null);
        close(errfd);
        int status = 0;
        int hung = wait_watchdog(pid, &status, &chld, WATCHDOG);
        int mark = scan();
        if (hung)
            printf("%zu H %u %u %d\n", i, R->calls, R->nr, mark);
        else if (WIFSIGNALED(status))
            printf("%zu k%d %u %u %d\n", i, WTERMSIG(status), R->calls, R->nr, mark);
        else
            printf("%zu x%d %u %u %d\n", i, WEXITSTATUS(status), R->calls, R->nr, mark);
    }
    unlink(ERRFILE);
    printf("done %zu\n", n);
    return 0;
}
