/* pthreads on emu: atomics and mutexes across 8 threads, condition
 * variables, __thread, join and detach, deferred cancellation, gettid,
 * /proc/self/task, robust mutexes, code one thread writes and another
 * runs, fork and exec from a multithreaded process, and how the process
 * ends when its threads exit in different ways. */
#include "common.h"
#include <dirent.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

static int count_tasks(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ---- counters ---- */
static atomic_int acount;
static int mcount;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int tls = 100;
static pid_t tids[8];

static void *counter(void *arg)
{
    int id = (int)(long)arg;
    tls += id;
    tids[id] = gettid_();
    for (int i = 0; i < 100000; i++) {
        atomic_fetch_add(&acount, 1);
        pthread_mutex_lock(&count_lock);
        mcount++;
        pthread_mutex_unlock(&count_lock);
    }
    return (void *)(long)tls;
}

/* ---- producer/consumer ---- */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qnotempty = PTHREAD_COND_INITIALIZER, qnotfull = PTHREAD_COND_INITIALIZER;
static int queue[4], qhead, qlen;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= 1000; i++) {
        pthread_mutex_lock(&qlock);
        while (qlen == 4)
            pthread_cond_wait(&qnotfull, &qlock);
        queue[(qhead + qlen++) % 4] = i;
        pthread_cond_signal(&qnotempty);
        pthread_mutex_unlock(&qlock);
    }
    return 0;
}

static void *consumer(void *arg)
{
    long sum = 0;
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&qlock);
        while (qlen == 0)
            pthread_cond_wait(&qnotempty, &qlock);
        sum += queue[qhead];
        qhead = (qhead + 1) % 4;
        qlen--;
        pthread_cond_signal(&qnotfull);
        pthread_mutex_unlock(&qlock);
    }
    return (void *)sum;
}

/* ---- detached ---- */
static sem_t done;
static atomic_int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    atomic_fetch_add(&detached_ran, 1);
    sem_post(&done);
    return 0;
}

/* ---- cancellation ---- */
static atomic_int cancel_loops;
static void cleanup(void *arg)
{
    *(int *)arg = 1;
}
static int cleaned;
static void *cancellable(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup, &cleaned);
    for (;;) {
        atomic_fetch_add(&cancel_loops, 1);
        pthread_testcancel();
    }
    pthread_cleanup_pop(0);
    return 0;
}

/* ---- many threads alive at once ---- */
static pthread_barrier_t bar;
static void *waiter(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return 0;
}

/* ---- robust mutex ---- */
static pthread_mutex_t robust;
static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    return 0;
}

/* ---- code written by one thread, run by another ---- */
static unsigned char *code;
static atomic_int stage;
typedef int (*fn)(void);
static void set_code(int v)
{
    /* mov eax, v; ret */
    code[0] = 0xb8;
    memcpy(code + 1, &v, 4);
    code[5] = 0xc3;
}
static void *runner(void *arg)
{
    int *out = arg;
    out[0] = ((fn)code)();
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 2)
        ;
    out[1] = ((fn)code)();
    return 0;
}

/* ---- exec from a thread other than the leader ---- */
static const char *child_path;
static void *execer(void *arg)
{
    (void)arg;
    execl(child_path, "child", "tid", (char *)0);
    return 0;
}

static void *exit_group_from_thread(void *arg)
{
    usleep(20000);
    exit((int)(long)arg);
}

static void *sleeper(void *arg)
{
    (void)arg;
    pause();
    return 0;
}

static void *late_exit(void *arg)
{
    usleep(30000);
    printf("last thread exits with %d\n", (int)(long)arg);
    exit((int)(long)arg);
}

static void *late_return(void *arg)
{
    usleep(30000);
    printf("last thread returns\n");
    return arg;
}

static void ends(const char *label, void (*f)(void))
{
    pid_t c = fork();
    if (c == 0) {
        f();
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    printf("%s: %s\n", label, wstr(st));
}

static void exec_from_thread(void)
{
    pthread_t t;
    pthread_create(&t, 0, execer, 0);
    pthread_join(t, 0);
}

static void exit_from_thread_while_main_blocks(void)
{
    int p[2];
    pipe(p);
    pthread_t t;
    pthread_create(&t, 0, exit_group_from_thread, (void *)7L);
    char b;
    read(p[0], &b, 1);
}

static void exit_while_others_wait(void)
{
    pthread_t t;
    pthread_create(&t, 0, sleeper, 0);
    pthread_create(&t, 0, sleeper, 0);
    usleep(10000);
    exit(8);
}

static void main_thread_exits_first(void)
{
    pthread_t t;
    pthread_create(&t, 0, late_exit, (void *)9L);
    pthread_exit(0);
}

static void main_thread_exits_last_returns(void)
{
    pthread_t t;
    pthread_create(&t, 0, late_return, 0);
    pthread_exit(0);
}

int main(int argc, char **argv)
{
    unbuffered();
    find_bindir(argv[0]);
    (void)argc;
    child_path = helper("child");

    printf("main: gettid == getpid %d, tasks %d\n", gettid_() == getpid(), count_tasks());

    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        pthread_create(&t[i], 0, counter, (void *)i);
    long tsum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        tsum += (long)r;
    }
    int distinct = 1;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j] && tids[i] != getpid();
    printf("counters: atomic %d mutex %d, __thread sum %ld, main's %d, tids distinct %d\n",
           acount, mcount, tsum, tls, distinct);

    pthread_t pr, co;
    pthread_create(&pr, 0, producer, 0);
    pthread_create(&co, 0, consumer, 0);
    void *sum;
    pthread_join(pr, 0);
    pthread_join(co, &sum);
    printf("producer/consumer sum %ld\n", (long)sum);

    sem_init(&done, 0, 0);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], &at, detached, 0);
    for (int i = 0; i < 4; i++)
        sem_wait(&done);
    printf("detached threads ran: %d\n", detached_ran);
    R("join a detached thread", pthread_join(t[0], 0) == EINVAL);

    pthread_t ct;
    pthread_create(&ct, 0, cancellable, 0);
    while (atomic_load(&cancel_loops) < 1000)
        ;
    printf("pthread_cancel: %d\n", pthread_cancel(ct));
    void *cr;
    pthread_join(ct, &cr);
    printf("cancelled: %d, cleanup ran: %d\n", cr == PTHREAD_CANCELED, cleaned);

    pthread_barrier_init(&bar, 0, 17);
    pthread_t many[16];
    for (int i = 0; i < 16; i++)
        pthread_create(&many[i], 0, waiter, 0);
    pthread_barrier_wait(&bar);
    printf("tasks with 16 more threads: %d\n", count_tasks());
    pthread_barrier_wait(&bar);
    for (int i = 0; i < 16; i++)
        pthread_join(many[i], 0);
    /* A joined thread may still be finishing its exit: give it a second. */
    for (int i = 0; i < 1000 && count_tasks() > 1; i++)
        usleep(1000);
    printf("tasks after joining: %d\n", count_tasks());

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_t rt;
    pthread_create(&rt, 0, die_holding, 0);
    pthread_join(rt, 0);
    int r = pthread_mutex_lock(&robust);
    printf("robust mutex after owner died: %s\n", ename(r));
    printf("consistent: %d, unlock: %d\n", pthread_mutex_consistent(&robust),
           pthread_mutex_unlock(&robust));

    code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    set_code(1);
    int out[2];
    pthread_t rn;
    pthread_create(&rn, 0, runner, out);
    while (atomic_load(&stage) != 1)
        ;
    set_code(2);
    atomic_store(&stage, 2);
    pthread_join(rn, 0);
    printf("code written by another thread: before %d after %d\n", out[0], out[1]);

    /* fork from a multithreaded process: the child has one thread. */
    pthread_barrier_init(&bar, 0, 3);
    pthread_create(&many[0], 0, waiter, 0);
    pthread_create(&many[1], 0, waiter, 0);
    pthread_barrier_wait(&bar);
    pid_t c = fork();
    if (c == 0) {
        char *m = malloc(100000);
        printf("forked child: tasks %d, malloc ok %d\n", count_tasks(), m != 0);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    pthread_barrier_wait(&bar);
    pthread_join(many[0], 0);
    pthread_join(many[1], 0);
    printf("fork from threads: %s\n", wstr(st));

    ends("exec from a non-leader thread", exec_from_thread);
    ends("exit from a thread while main blocks", exit_from_thread_while_main_blocks);
    ends("exit while other threads wait", exit_while_others_wait);
    ends("main thread exits first, last calls exit", main_thread_exits_first);
    ends("main thread exits first, last returns", main_thread_exits_last_returns);
    return 0;
}
