/* dlopen/dlsym/dlclose of libm.so.6 and of this tier's own library
 * (libdyntest.so beside the program: a constructor, TLS of the
 * general-dynamic model through ___tls_get_addr, an ifunc), dladdr,
 * dl_iterate_phdr and dlerror for a missing library. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int show_obj(struct dl_phdr_info *i, size_t size, void *data)
{
    (void)size;
    (void)data;
    printf("object %s at %#lx, %d phdrs\n", i->dlpi_name[0] ? i->dlpi_name : "(main)",
           (unsigned long)i->dlpi_addr, i->dlpi_phnum);
    return 0;
}

static char dir[4096];

static void *thread_tls(void *arg)
{
    int (*bump)(int) = (int (*)(int))arg;
    int a = bump(5);
    int b = bump(7);
    printf("thread tls: %d %d\n", a, b);
    return 0;
}

int main(int argc, char **argv)
{
    strncpy(dir, argv[0], sizeof dir - 32);
    char *s = strrchr(dir, '/');
    if (s)
        s[1] = 0;
    else
        strcpy(dir, "./");

    void *m = dlopen("libm.so.6", RTLD_NOW);
    if (!m) {
        printf("dlopen libm: %s\n", dlerror());
        return 1;
    }
    double (*c)(double) = (double (*)(double))dlsym(m, "cos");
    double (*pw)(double, double) = (double (*)(double, double))dlsym(m, "pow");
    double (*sq)(double) = (double (*)(double))dlsym(m, "sqrt");
    printf("cos(1) = %.17g\npow(2, 0.5) = %.17g\nsqrt(2) = %.17g\n", c(1.0), pw(2, 0.5), sq(2));
    printf("exp via dlsym %.17g\n", ((double (*)(double))dlsym(m, "exp"))(1.0));
    Dl_info info;
    if (dladdr((void *)c, &info))
        printf("dladdr(cos): %s %s\n", strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname, info.dli_sname);
    printf("missing symbol: %s\n", dlsym(m, "no_such_symbol") ? "found" : "NULL");

    void *bad = dlopen("libno-such-library.so.7", RTLD_LAZY);
    printf("missing library: %s, %s\n", bad ? "loaded" : "NULL", bad ? "" : dlerror());

    /* "bare": by name, through LD_LIBRARY_PATH. */
    char lib[4200];
    if (argc > 1 && strcmp(argv[1], "bare") == 0)
        snprintf(lib, sizeof lib, "libdyntest.so");
    else
        snprintf(lib, sizeof lib, "%slibdyntest.so", dir);
    void *t = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
    if (!t) {
        printf("dlopen libdyntest: %s\n", dlerror());
        return 1;
    }
    int (*bump)(int) = (int (*)(int))dlsym(t, "dyntest_bump");
    const char *(*which)(void) = (const char *(*)(void))dlsym(t, "dyntest_which");
    printf("tls: %d %d %d\n", bump(1), bump(2), bump(3));
    printf("ifunc: %s\n", which());
    pthread_t th;
    pthread_create(&th, 0, thread_tls, (void *)bump);
    pthread_join(th, 0);
    printf("tls after thread: %d\n", bump(0));
    dl_iterate_phdr(show_obj, 0);
    printf("dlclose: %d %d\n", dlclose(t), dlclose(m));
    return 0;
}
