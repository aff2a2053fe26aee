/* An ET_EXEC with segments where a usual program's [vvar] and [vdso] go
 * (issue 12 item 8): linked with
 *   -Wl,--section-start=.hitext=0xf7ffc000   (the native [vdso] page)
 *   -Wl,--section-start=.hitext2=0xf7ff6000  (the first [vvar] page)
 *   -Wl,--section-start=.hidata=0xf7ff9000   (a [vvar] page, writable)
 * (see HISEG_LDFLAGS in the Makefile and emu/tests/syscalls_mm.rs).
 * Natively the vDSO goes below them and the program runs; it prints what
 * its segments hold and /proc/self/maps. */
#include "common.h"
#include <sys/auxv.h>

__attribute__((section(".hitext"), noinline)) int hi_fn(int x)
{
    return 3 * x + 1;
}

__attribute__((section(".hitext2"), noinline)) int hi_fn2(int x)
{
    return x * x;
}

__attribute__((section(".hidata"))) int hi_data[4] = { 7, 8, 9, 10 };

int main(void)
{
    printf("hi_fn at %p: %d\n", (void *)hi_fn, hi_fn(4));
    printf("hi_fn2 at %p: %d\n", (void *)hi_fn2, hi_fn2(5));
    hi_data[2] += 30;
    printf("hi_data at %p: %d %d\n", (void *)hi_data, hi_data[1], hi_data[2]);
    printf("AT_SYSINFO_EHDR: %#lx\n", getauxval(AT_SYSINFO_EHDR));
    printf("getpid through the vDSO: %d\n", getpid() > 0);
    maps();
    return 0;
}
