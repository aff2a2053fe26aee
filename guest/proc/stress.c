/* Stress: 64 threads each doing 100,000 lock-prefixed increments give the
 * exact total; 500 fork/exec/wait cycles leave no child, no zombie and no
 * descriptor behind. */
#include "common.h"
#include <dirent.h>
#include <pthread.h>

static volatile unsigned counter;
static volatile unsigned long long wide;

static void *inc(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        __asm__ volatile("lock incl %0" : "+m"(counter));
        /* A 64-bit counter through cmpxchg8b. */
        __atomic_fetch_add(&wide, 1, __ATOMIC_SEQ_CST);
    }
    return 0;
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    unbuffered();
    find_bindir(argv[0]);
    (void)argc;
    pthread_t t[64];
    for (int i = 0; i < 64; i++)
        pthread_create(&t[i], 0, inc, 0);
    for (int i = 0; i < 64; i++)
        pthread_join(t[i], 0);
    printf("64 threads x 100000: lock incl %u, cmpxchg8b %llu\n", counter, wide);

    int fds = count_fds();
    const char *child = helper("child");
    int bad = 0;
    for (int i = 0; i < 500; i++) {
        pid_t c = fork();
        if (c == 0) {
            execl(child, "child", "exit", "0", (char *)0);
            _exit(126);
        }
        int st;
        if (waitpid(c, &st, 0) != c || st != 0)
            bad++;
    }
    int st;
    errno = 0;
    pid_t left = waitpid(-1, &st, WNOHANG);
    printf("500 fork/exec/wait: %d failed, then waitpid: %d %s, fds %s\n", bad, (int)left,
           ename(errno), count_fds() == fds ? "unchanged" : "changed");
    return 0;
}
