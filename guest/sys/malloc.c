/* glibc malloc on both of its paths: brk for small blocks, mmap for big
 * ones, realloc of a big block through mremap, and the maps it leaves. */
#include "common.h"
#include <malloc.h>

int main(void)
{
    unbuffered();
    void *small[64];
    for (int i = 0; i < 64; i++) {
        small[i] = malloc(16 + i * 24);
        memset(small[i], i, 16 + i * 24);
    }
    printf("small: %p .. %p\n", small[0], small[63]);
    for (int i = 0; i < 64; i += 2)
        free(small[i]);
    void *mid = malloc(100000);
    printf("mid (brk): %p\n", mid);
    char *big = malloc(1 << 20);
    printf("big (mmap): %p\n", big);
    memset(big, 0x5a, 1 << 20);
    char *bigger = realloc(big, 3 << 20);
    printf("realloc (mremap): %p %d %d\n", bigger, bigger[0], bigger[(1 << 20) - 1]);
    char *huge = calloc(64, 1 << 20);
    printf("calloc 64M: %p zero=%d\n", huge, huge[(64 << 20) - 1]);
    maps();
    free(huge);
    free(bigger);
    free(mid);
    for (int i = 1; i < 64; i += 2)
        free(small[i]);
    /* Trim: the heap shrinks back through brk. */
    malloc_trim(0);
    void *again = malloc(200 << 10);
    printf("again: %p\n", again);
    maps();
    return 0;
}
