/* The CPU's running clock, measured: a chain of dependent adds, one per
 * cycle on every x86 core since the Pentium Pro, timed for about 0.3 s
 * after a warm-up (so that the clock has left any idle state). Prints the
 * median of 5 measurements in MHz. compare.py runs it natively to turn
 * times into host cycles: /proc/cpuinfo's "cpu MHz" in a VM is the
 * nominal clock (2596 MHz on the EPYC this was written on, which runs at
 * 3.6 GHz). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double measure(unsigned long n)
{
    unsigned x = 0;
    double t0 = now();
    for (unsigned long i = 0; i < n; i += 16)
        __asm__ volatile(
            "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\t"
            "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\t"
            "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\t"
            "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0"
            : "+r"(x));
    return n / (now() - t0) / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    double m[5];
    measure(200000000UL);
    for (int k = 0; k < 5; k++)
        m[k] = measure(200000000UL);
    qsort(m, 5, sizeof m[0], cmp);
    printf("%.0f\n", m[2]);
    return 0;
}
