/* TLS in the program itself: initialised and zero __thread data
 * (local-exec and initial-exec in a PIE or non-PIE), its initial image in
 * each new thread, and an initial-exec variable of libc (errno). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

__thread int tdata = 42;
__thread int tbss;
__thread char tstr[32] = "main thread";
extern __thread int tie __attribute__((tls_model("initial-exec")));
__thread int tie = 7;

static void *worker(void *arg)
{
    int k = (int)(long)arg;
    printf("thread %d: tdata %d tbss %d tie %d tstr %s\n", k, tdata, tbss, tie, tstr);
    tdata += k;
    tbss = k * 10;
    snprintf(tstr, sizeof tstr, "worker %d", k);
    errno = 1000 + k;
    printf("thread %d after: tdata %d tbss %d tstr %s errno %d\n", k, tdata, tbss, tstr, errno);
    return 0;
}

int main(void)
{
    tdata = 1;
    tbss = 2;
    errno = 0;
    for (long k = 1; k <= 3; k++) {
        pthread_t t;
        pthread_create(&t, 0, worker, (void *)k);
        pthread_join(t, 0);
    }
    printf("main: tdata %d tbss %d tie %d tstr %s errno %d\n", tdata, tbss, tie, tstr, errno);
    printf("distinct: %d\n", &tdata != 0 && (char *)&tbss != (char *)&tdata);
    return 0;
}
