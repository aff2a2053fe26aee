/* libdyntest.so: a shared library for the dynamic tier, built with
 * -shared -fPIC. Its TLS is general-dynamic (every access through
 * ___tls_get_addr), its constructor prints (LD_PRELOAD shows it running
 * first), and dyntest_which is an ifunc resolved with the CPU's features. */
#include <stdio.h>

static __thread int counter = 100;
__thread char tls_buf[64] = "initial";

int dyntest_bump(int by)
{
    counter += by;
    tls_buf[0] = (char)('a' + counter % 26);
    return counter;
}

static const char *with_sse2(void) { return "sse2"; }
static const char *without_sse2(void) { return "no sse2"; }

static const char *(*resolve_which(void))(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse2") ? with_sse2 : without_sse2;
}

const char *dyntest_which(void) __attribute__((ifunc("resolve_which")));

__attribute__((constructor)) static void ctor(void)
{
    printf("libdyntest constructor (counter %d)\n", counter);
    fflush(stdout);
}
