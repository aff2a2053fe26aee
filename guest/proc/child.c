/* The program the guest/proc tests exec: what it does depends on argv[1].
 *   exit N        exit with status N
 *   signal S      kill itself with signal S
 *   segv          dereference NULL
 *   abort         abort()
 *   exe           print /proc/self/exe's base name
 *   args          print argc and every argument
 *   env NAME      print getenv(NAME)
 *   fds A B ...   say which of the descriptors A, B, ... are open
 *   ppid          print whether getppid() is argv[2]
 *   stop          stop itself with SIGSTOP; when continued, exit 5 once
 *                 SIGUSR1 comes
 *   sleep N       sleep N milliseconds, then exit 0
 *   tid           print whether gettid() is getpid() and the thread count
 *   (else)        print the arguments after argv[0]
 */
#include "common.h"
#include <dirent.h>
#include <time.h>

static void on_usr1(int s)
{
    (void)s;
}

int main(int argc, char **argv)
{
    unbuffered();
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "exit"))
        return atoi(argv[2]);
    if (!strcmp(m, "signal")) {
        kill(getpid(), atoi(argv[2]));
        return 100;
    }
    if (!strcmp(m, "segv"))
        return *(volatile int *)0;
    if (!strcmp(m, "abort"))
        abort();
    if (!strcmp(m, "exe")) {
        char b[4096];
        ssize_t n = readlink("/proc/self/exe", b, sizeof b - 1);
        b[n > 0 ? n : 0] = 0;
        char *s = strrchr(b, '/');
        printf("exe: %s\n", s ? s + 1 : b);
        return 0;
    }
    if (!strcmp(m, "args")) {
        printf("argc %d:", argc);
        for (int i = 0; i < argc; i++) {
            /* argv[0] may be a path: only its base name is stable. */
            const char *a = argv[i];
            if (i == 0 && strrchr(a, '/'))
                a = strrchr(a, '/') + 1;
            printf(" [%s]", a);
        }
        printf("\n");
        return 0;
    }
    if (!strcmp(m, "env")) {
        const char *v = getenv(argv[2]);
        printf("env %s=%s\n", argv[2], v ? v : "(unset)");
        return 0;
    }
    if (!strcmp(m, "fds")) {
        for (int i = 2; i < argc; i++)
            printf("fd %s: %s\n", argv[i], fcntl(atoi(argv[i]), F_GETFD) >= 0 ? "open" : "closed");
        return 0;
    }
    if (!strcmp(m, "ppid")) {
        printf("ppid is the expected one: %d\n", getppid() == atoi(argv[2]));
        return 0;
    }
    if (!strcmp(m, "stop")) {
        /* Exit only when told (SIGUSR1, blocked until sigsuspend), so the
         * parent's WCONTINUED wait sees the continue, never the exit. */
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, 0);
        sigset_t block, none;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, &none);
        raise(SIGSTOP);
        sigdelset(&none, SIGUSR1);
        sigsuspend(&none);
        return 5;
    }
    if (!strcmp(m, "tid")) {
        int n = 0;
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        while (d && (e = readdir(d)))
            n += e->d_name[0] != '.';
        printf("tid == pid: %d, threads %d\n", (pid_t)syscall(SYS_gettid) == getpid(), n);
        return 0;
    }
    if (!strcmp(m, "sleep")) {
        struct timespec t = {0, atoi(argv[2]) * 1000000L};
        nanosleep(&t, 0);
        return 0;
    }
    /* Anything else (a script's name, say): print the arguments. */
    printf("no mode, argc %d:", argc);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
}
