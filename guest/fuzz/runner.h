/* What the fuzz runners (insn.c, sys.c) share: reading the test's record
 * file, the result page the children write, and waiting for a child under
 * a watchdog. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The whole records of `size` bytes in `path`; exits with 2 on an error. */
static void *read_records(const char *path, size_t size, size_t *count)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        perror(path);
        exit(2);
    }
    size_t n = st.st_size / size;
    char *recs = malloc(n * size + 1);
    size_t got = 0;
    while (got < n * size) {
        ssize_t k = read(fd, recs + got, n * size - got);
        if (k <= 0) {
            perror("read");
            exit(2);
        }
        got += k;
    }
    close(fd);
    *count = n;
    return recs;
}

/* The page at `addr` shared with the children (they report in it). */
static void map_result(unsigned long addr)
{
    if (mmap((void *)addr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
        MAP_FAILED) {
        perror("mmap result");
        exit(2);
    }
}

/* main's start, the same in every runner: the records of the file named
 * by the one argument (`name` for the usage line), `*n` of them; the
 * result page at `result`; SIGCHLD blocked, in `chld` for wait_watchdog;
 * stdout fully buffered. */
static void *runner_start(int argc, char **argv, const char *name, size_t size, size_t *n,
                          unsigned long result, sigset_t *chld)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", name);
        exit(2);
    }
    void *recs = read_records(argv[1], size, n);
    map_result(result);
    sigemptyset(chld);
    sigaddset(chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, chld, 0);
    setvbuf(stdout, 0, _IOFBF, 1 << 16);
    return recs;
}

/* Wait for child `pid` (SIGCHLD blocked in `chld`) at most `secs` seconds,
 * then kill it; its status in *status. Returns 1 if it was killed. */
static int wait_watchdog(pid_t pid, int *status, const sigset_t *chld, int secs)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += secs;
    for (;;) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 0;
        struct timespec now, left;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = deadline.tv_sec - now.tv_sec;
        left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000;
        }
        if (left.tv_sec < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return 1;
        }
        sigtimedwait(chld, 0, &left);
    }
}
