/* 4 equal units of independent integer work, run on T threads (argv[1]):
 * with 2 threads on a 2-core machine the wall time should halve. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned sink[4];

static void *work(void *arg)
{
    int first = (int)(long)arg >> 8, n = (int)(long)arg & 0xff;
    for (int u = first; u < first + n; u++) {
        unsigned x = u + 1;
        for (int i = 0; i < 30000000; i++)
            x = x * 1664525u + 1013904223u;
        sink[u] = x;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int t = argc > 1 ? atoi(argv[1]) : 1;
    pthread_t th[4];
    int per = 4 / t;
    for (int k = 0; k < t; k++)
        pthread_create(&th[k], 0, work, (void *)(long)((k * per) << 8 | per));
    for (int k = 0; k < t; k++)
        pthread_join(th[k], 0);
    printf("%u\n", sink[0] ^ sink[1] ^ sink[2] ^ sink[3]);
    return 0;
}
