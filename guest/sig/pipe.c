/* SIGPIPE and SIGXFSZ, in children: writing to a pipe (and a socket) whose
 * reading end is closed, with the default action, ignored, blocked, and
 * with a handler; a write past RLIMIT_FSIZE, ignored and by default. */
#include "common.h"
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

static volatile int handled, handled_sig, handled_code;
static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    handled++;
    handled_sig = sig;
    handled_code = si->si_code;
}

/* mode 0: default; 1: ignored; 2: handler; 3: blocked */
static void setup(int sig, int mode)
{
    if (mode == 1)
        signal(sig, SIG_IGN);
    else if (mode == 2)
        on(sig, on_sig, 1, 0, 0);
    else if (mode == 3)
        mask1(SIG_BLOCK, sig);
}

static const char *modes[] = {"default", "ignored", "handler", "blocked"};

/* Where report writes: stdout, or a pipe to the parent when stdout may be
 * a file subject to RLIMIT_FSIZE. */
static int out = 1;

static void report(const char *label, long r)
{
    int e = errno;
    char b[256];
    int n = snprintf(b, sizeof b, "  %s: %ld%s%s, handled %d", label, r, r < 0 ? " -" : "",
                     r < 0 ? ename(e) : "", handled);
    if (handled)
        n += snprintf(b + n, sizeof b - n, " (sig %d code %d)", handled_sig, handled_code);
    b[n++] = '\n';
    write(out, b, n);
}

static void epipe(int mode, int kind)
{
    static const char *kinds[] = {"pipe write", "pipe writev", "socketpair send", "socketpair write"};
    printf("%s, SIGPIPE %s:\n", kinds[kind], modes[mode]);
    pid_t c = fork();
    if (c == 0) {
        setup(SIGPIPE, mode);
        int p[2];
        if (kind < 2)
            pipe(p);
        else
            socketpair(AF_UNIX, SOCK_STREAM, 0, p);
        close(p[0]);
        errno = 0;
        long r;
        if (kind == 0 || kind == 3)
            r = write(p[1], "data", 4);
        else if (kind == 1) {
            struct iovec v[2] = {{"da", 2}, {"ta", 2}};
            r = writev(p[1], v, 2);
        } else
            r = send(p[1], "data", 4, 0);
        report("write", r);
        if (mode == 3) {
            sigset_t s;
            sigpending(&s);
            printf("  pending: %s\n", setstr(&s));
        }
        if (kind == 2) {
            errno = 0;
            r = send(p[1], "data", 4, MSG_NOSIGNAL);
            report("send MSG_NOSIGNAL", r);
        }
        _exit(0);
    }
    printf("  child: %s\n", reap(c));
}

static void efbig(int mode)
{
    printf("RLIMIT_FSIZE 10, SIGXFSZ %s:\n", modes[mode]);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        out = p[1];
        setup(SIGXFSZ, mode);
        struct rlimit rl = {10, 10};
        errno = 0;
        report("setrlimit", setrlimit(RLIMIT_FSIZE, &rl));
        int fd = open("big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        errno = 0;
        long r = write(fd, "0123456789abcdefghij", 20);
        report("write 20", r);
        errno = 0;
        r = write(fd, "x", 1);
        report("write 1 more", r);
        errno = 0;
        r = pwrite(fd, "y", 1, 100);
        report("pwrite at 100", r);
        errno = 0;
        r = ftruncate(fd, 50);
        report("ftruncate 50", r);
        errno = 0;
        r = pwrite(fd, "z", 1, 5);
        report("pwrite at 5", r);
        close(fd);
        if (mode == 3) {
            sigset_t s;
            sigpending(&s);
            char b[300];
            write(out, b, snprintf(b, sizeof b, "  pending: %s\n", setstr(&s)));
        }
        _exit(0);
    }
    close(p[1]);
    char line[1024];
    long k;
    while ((k = read(p[0], line, sizeof line)) > 0)
        fwrite(line, 1, k, stdout);
    close(p[0]);
    printf("  child: %s\n", reap(c));
    int fd = open("big", O_RDONLY);
    char b[32];
    long n = read(fd, b, sizeof b);
    printf("  file: %ld bytes [%.*s]\n", n, (int)(n > 0 ? n : 0), b);
    close(fd);
    unlink("big");
}

int main(void)
{
    unbuffered();
    for (int mode = 0; mode < 4; mode++)
        epipe(mode, 0);
    epipe(0, 1);
    epipe(2, 1);
    epipe(0, 2);
    epipe(1, 2);
    epipe(0, 3);
    for (int mode = 0; mode < 4; mode++)
        efbig(mode);
    return 0;
}
