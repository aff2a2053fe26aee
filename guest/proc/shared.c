/* Memory shared between processes: futex wait/wake across a fork over a
 * MAP_SHARED page, process-shared pthread mutexes and condition
 * variables, atomics from both sides, and MADV_DONTFORK/WIPEONFORK. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

static long futex(atomic_int *w, int op, int val, const struct timespec *t)
{
    return syscall(SYS_futex, w, op, val, t, 0, 0);
}

struct shm {
    atomic_int word;
    atomic_int counter;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int ready, value;
};

int main(void)
{
    unbuffered();
    struct shm *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    /* The child waits on the shared word; the parent's wakes reach it (a
     * wake with the word unchanged sends it back to waiting, so the
     * parent wakes until one finds it: however slowly the child starts),
     * then the parent changes the word and wakes it for good. */
    pid_t c = fork();
    if (c == 0) {
        while (atomic_load(&s->word) == 0)
            futex(&s->word, FUTEX_WAIT, 0, 0);
        printf("child woke, word %d\n", atomic_load(&s->word));
        _exit(0);
    }
    long woken = 0;
    for (int i = 0; i < 100000 && woken == 0; i++) {
        woken = futex(&s->word, FUTEX_WAKE, 1, 0);
        if (!woken)
            usleep(1000);
    }
    atomic_store(&s->word, 1);
    futex(&s->word, FUTEX_WAKE, 1, 0);
    int st;
    waitpid(c, &st, 0);
    printf("parent woke %ld, child %s\n", woken, wstr(st));
    /* A private wake does not reach a shared waiter in another process. */
    atomic_store(&s->word, 0);
    c = fork();
    if (c == 0) {
        struct timespec t = {0, 200000000};
        long r = futex(&s->word, FUTEX_WAIT, 0, &t);
        printf("shared waiter: %ld %s\n", r, r ? ename(errno) : "");
        _exit(0);
    }
    usleep(50000);
    printf("private wake finds: %ld\n", futex(&s->word, FUTEX_WAKE_PRIVATE, 1, 0));
    waitpid(c, &st, 0);

    /* Process-shared mutex and condition variable. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->m, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&s->cv, &ca);
    c = fork();
    if (c == 0) {
        pthread_mutex_lock(&s->m);
        while (!s->ready)
            pthread_cond_wait(&s->cv, &s->m);
        printf("child got %d\n", s->value);
        pthread_mutex_unlock(&s->m);
        _exit(0);
    }
    usleep(20000);
    pthread_mutex_lock(&s->m);
    s->value = 42;
    s->ready = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->m);
    waitpid(c, &st, 0);
    printf("condvar child: %s\n", wstr(st));

    /* Atomics from four processes at once. */
    for (int k = 0; k < 4; k++)
        if (fork() == 0) {
            for (int i = 0; i < 50000; i++)
                atomic_fetch_add(&s->counter, 1);
            _exit(0);
        }
    for (int k = 0; k < 4; k++)
        wait(&st);
    printf("shared counter: %d\n", atomic_load(&s->counter));

    /* Private memory is copied: the child's stores stay its own. */
    static int priv = 1;
    c = fork();
    if (c == 0) {
        priv = 2;
        _exit(priv);
    }
    waitpid(c, &st, 0);
    printf("private after child wrote: %d (child %s)\n", priv, wstr(st));

    /* MADV_DONTFORK: gone in the child; MADV_WIPEONFORK: zero there. */
    char *a = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *b = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 'a';
    b[0] = 'b';
    R("MADV_DONTFORK", madvise(a, 8192, MADV_DONTFORK));
    R("MADV_WIPEONFORK", madvise(b, 8192, MADV_WIPEONFORK));
    c = fork();
    if (c == 0) {
        printf("child: wiped byte %d\n", b[0]);
        printf("child: mincore of the dontfork range: %s\n",
               mincore(a, 4096, (unsigned char *)b) ? ename(errno) : "mapped");
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("parent still has %c %c\n", a[0], b[0]);
    return 0;
}
