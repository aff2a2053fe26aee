/* exec of the program the process runs (emu takes over the old
 * translations of code that is the same at the same address, see
 * cpu/cache.rs `Prior`): the new program must run its own code wherever
 * it differs, however it came to differ.
 *
 * The parent runs f() and code it writes at a fixed address (two
 * functions), and forks; the child execs this program again with "child",
 * which runs f(), maps the same code at the fixed address and runs one of
 * its functions, maps other code there and runs the other one, rewrites
 * it in place, and patches f itself. In a second round the parent has
 * patched f before the fork. Natively each call prints what its current
 * bytes compute. */
#include "common.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define AT ((unsigned char *)0x30000000)

__attribute__((noinline, aligned(4096))) int f(int x)
{
    return x * 3 + 1;
}

/* mov eax, v; ret */
static void code(unsigned char *b, int v)
{
    b[0] = 0xb8;
    memcpy(b + 1, &v, 4);
    b[5] = 0xc3;
}

/* Called through a volatile pointer: the compiler cannot know its result. */
static int (*volatile fp)(int) = f;

static int call(unsigned char *at)
{
    return ((int (*)(void))at)();
}

static void map_code(int v)
{
    unsigned char *p = mmap(AT, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != AT) {
        printf("mmap failed\n");
        exit(1);
    }
    code(p, v);
    code(p + 16, v + 100);
}

static void patch_f(int v)
{
    unsigned char *page = (unsigned char *)((unsigned long)f & ~4095ul);
    if (mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)) {
        printf("mprotect failed\n");
        exit(1);
    }
    code((unsigned char *)f, v);
}

int main(int argc, char **argv)
{
    unbuffered();
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("child f(5) = %d\n", fp(5));
        map_code(1); /* the bytes the parent had there */
        printf("child same bytes: %d\n", call(AT));
        munmap(AT, 4096);
        map_code(2); /* other bytes at the same address */
        /* AT + 16 ran in the parent but not yet here. */
        printf("child new mapping: %d %d\n", call(AT + 16), call(AT));
        code(AT, 3); /* rewritten in place */
        printf("child rewritten: %d\n", call(AT));
        /* The same bytes as the parent's again, in place: same blocks. */
        code(AT, 1);
        code(AT + 16, 101);
        printf("child same again: %d %d\n", call(AT), call(AT + 16));
        patch_f(42);
        printf("child patched f(5) = %d\n", fp(5));
        return 0;
    }
    printf("parent f(5) = %d\n", fp(5));
    map_code(1);
    printf("parent at: %d %d\n", call(AT), call(AT + 16));
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            /* The parent's f changes before the fork: the child's fresh
             * image has the file's f again. */
            patch_f(7);
            printf("parent patched f(5) = %d\n", fp(5));
        }
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", argv[0], "child", (char *)0);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("round %d: child status %d\n", round, WEXITSTATUS(st));
    }
    return 0;
}
