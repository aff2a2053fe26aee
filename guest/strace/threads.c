/* A call that blocks in one thread while another prints: strace -f shows
 * the blocked call as `read(3,  <unfinished ...>` and later
 * `<... read resumed>"go", 16) = 2`. The reader thread blocks in read on
 * a pipe; the main thread sleeps (so the read has started), writes a line
 * and then the pipe. Then a forked child does the same with the parent's
 * wait4 blocking, and a posix_spawn child (clone3 with CLONE_VFORK: the
 * parent blocks in clone3 until the child's execve). Compared with
 * native `strace -f` by emu/tests/strace.rs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static char buf[16];

static void pause_ms(int ms)
{
    struct timespec t = {0, ms * 1000000L};
    syscall(SYS_nanosleep, &t, NULL);
}

static void *reader(void *arg)
{
    (void)arg;
    syscall(SYS_read, p[0], buf, sizeof buf);
    /* So that the main thread is waiting in pthread_join's futex when
     * this thread ends (else that futex call is up to the scheduler). */
    pause_ms(100);
    return 0;
}

extern char **environ;

int main(int argc, char **argv)
{
    if (argc > 1)
        return 3; /* the posix_spawn child */
    pthread_t t;
    syscall(SYS_pipe, p);
    pthread_create(&t, 0, reader, 0);
    pause_ms(200);
    syscall(SYS_write, 1, "main\n", 5);
    syscall(SYS_write, p[1], "go", 2);
    pthread_join(t, 0);
    pid_t c = fork();
    if (c == 0) {
        pause_ms(200);
        syscall(SYS_write, 1, "child\n", 6);
        syscall(SYS_exit_group, 3);
    }
    int st;
    syscall(SYS_wait4, c, &st, 0, NULL);
    if (WEXITSTATUS(st) != 3)
        return 1;
    /* posix_spawn: clone3 with CLONE_VM|CLONE_VFORK, the parent blocked
     * in it until the child's execve. */
    char *args[] = {argv[0], "child", NULL};
    posix_spawn(&c, argv[0], NULL, NULL, args, environ);
    syscall(SYS_wait4, c, &st, 0, NULL);
    return WEXITSTATUS(st) == 3 ? 0 : 1;
}
