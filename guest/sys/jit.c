/* Code written through an alias (issue 12 item 7): a memfd mapped
 * read-write at one address and read-execute at another (the W^X pattern
 * of JITs). New code written through the writable alias, with pwrite,
 * with write after lseek, copy_file_range or sendfile, must run the next
 * time the executable alias is called: 1, 2, 3, ... natively. */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

/* Another thread runs the code between the main thread's rewrites: its
 * translations must go too. */
static pthread_barrier_t bar;
static int (*shared_f)(void);
static int seen[3];

static void *runner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        pthread_barrier_wait(&bar);
        seen[i] = shared_f();
        pthread_barrier_wait(&bar);
    }
    return 0;
}

/* mov $imm, %eax; ret */
static void code(unsigned char *b, int v)
{
    b[0] = 0xb8;
    memcpy(b + 1, &v, 4);
    b[5] = 0xc3;
}

int main(void)
{
    unbuffered();
    int fd = syscall(SYS_memfd_create, "jit", 0);
    ftruncate(fd, 4096);
    unsigned char *w = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *x = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    int (*f)(void) = (int (*)(void))x;
    unsigned char b[8];
    code(w, 1);
    printf("%d\n", f());
    code(w, 2); /* a store through the writable alias */
    printf("%d\n", f());
    code(b, 3);
    pwrite(fd, b, 6, 0); /* the file itself */
    printf("%d\n", f());
    code(b, 4);
    lseek(fd, 0, SEEK_SET);
    write(fd, b, 6);
    printf("%d\n", f());
    /* copy_file_range and sendfile into the file. */
    int src = syscall(SYS_memfd_create, "src", 0);
    code(b, 6);
    pwrite(src, b, 6, 0);
    long long oi = 0, oo = 0;
    syscall(SYS_copy_file_range, src, &oi, fd, &oo, 6, 0);
    printf("%d\n", f());
    code(b, 7);
    pwrite(src, b, 6, 0);
    off_t so = 0;
    lseek(fd, 0, SEEK_SET);
    sendfile(fd, src, &so, 6);
    printf("%d\n", f());
    close(src);
    /* A third alias, private, not yet written: sees the file. */
    unsigned char *y = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    int (*g)(void) = (int (*)(void))y;
    printf("%d\n", g());
    code(w + 16, 5);
    code(w, 0); /* the first bytes: jmp to +16 */
    w[0] = 0xeb;
    w[1] = 14;
    printf("%d %d\n", f(), g());

    pthread_t t;
    pthread_barrier_init(&bar, 0, 2);
    shared_f = f;
    pthread_create(&t, 0, runner, 0);
    for (int i = 0; i < 3; i++) {
        code(w, 10 + i);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
    }
    pthread_join(t, 0);
    printf("thread: %d %d %d\n", seen[0], seen[1], seen[2]);

    /* The executable alias moved by mremap is still an alias. */
    unsigned char *hole = mmap(0, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *x2 = mremap(x, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, hole + 4096);
    int (*h)(void) = (int (*)(void))x2;
    printf("moved: %d", h());
    code(w, 20);
    printf(" %d", h());
    code(w, 21);
    printf(" %d\n", h());
    /* A writable alias made after the code was translated. */
    unsigned char *w2 = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    code(w2, 30);
    printf("late alias: %d\n", h());
    return 0;
}
