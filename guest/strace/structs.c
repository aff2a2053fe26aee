/* Calls whose arguments strace decodes as structs, flags or signal
 * names, made with raw syscalls so that the same calls run natively and
 * under emu: stat64/lstat64/fstat64, nanosleep and clock_nanosleep (time32
 * and time64), rt_sigaction/rt_sigprocmask/kill/tgkill, writev/readv,
 * bind/connect on AF_UNIX, AF_INET and AF_INET6, poll, and failures with
 * bad pointers (printed as addresses). Compared with native `strace -f` by
 * emu/tests/strace.rs. Run it in an empty directory: it creates files
 * there. */
#define _GNU_SOURCE
#include <linux/fs.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct ts32 { int sec, nsec; };
struct ts64 { long long sec, nsec; };
struct ksigaction { void *handler; unsigned long flags; void *restorer; unsigned mask[2]; };

static volatile int got;
static void on_usr1(int s) { got = s; }
extern void restore_rt(void), restore_old(void);
__asm__(".text\nrestore_rt:\n movl $173, %eax\n int $0x80\n"
        "restore_old:\n popl %eax\n movl $119, %eax\n int $0x80\n");

#define BAD ((void *)0x10)
#define SA_RESTORER 0x04000000

/* Static, not on the stack: their addresses are the same natively and
 * under emu, whose initial stack is laid out a little differently. */
static char buf[200];
static char a[5], b[40];
static struct ts32 t = {0, 1000}, rem;
static struct ts64 t64 = {0, 2000};
static struct ksigaction sa, old;
static unsigned set[2], oset[2];
static int p[2];

int main(int argc, char **argv)
{
    if (argc > 1)
        return 0; /* the execve at the end */
    umask(022);
    int fd = syscall(SYS_open, "data.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    /* stat family */
    syscall(SYS_write, fd, "0123456789abcdef", 16);
    syscall(SYS_fstat64, fd, buf);
    syscall(SYS_stat64, "data.txt", buf);
    syscall(SYS_lstat64, ".", buf);
    syscall(SYS_stat64, "missing", buf);
    syscall(SYS_stat64, "data.txt", BAD);
    syscall(SYS_fstat64, 99, buf);
    syscall(SYS_fstat64, fd, BAD);
    syscall(SYS_fstatat64, AT_FDCWD, "data.txt", buf, 0);
    syscall(SYS_fstatat64, AT_FDCWD, "data.txt", buf, AT_SYMLINK_NOFOLLOW);
    syscall(SYS_stat64, "/dev/null", buf);
    /* writev / readv */
    struct iovec iov[3] = {
        {"hello ", 6}, {"world\n", 6}, {"\x01\x02tail", 6},
    };
    syscall(SYS_writev, fd, iov, 3);
    syscall(SYS_writev, fd, iov, 0);
    syscall(SYS_writev, fd, BAD, 2);
    syscall(SYS_close, fd);
    fd = syscall(SYS_open, "data.txt", O_RDONLY);
    struct iovec riov[2] = {{a, sizeof a}, {b, sizeof b}};
    syscall(SYS_readv, fd, riov, 2);
    syscall(SYS_readv, fd, riov, 2);
    /* time */
    syscall(SYS_nanosleep, &t, NULL);
    syscall(SYS_nanosleep, &t, &rem);
    syscall(SYS_nanosleep, BAD, NULL);
    t.nsec = 2000000000;
    syscall(SYS_nanosleep, &t, NULL);
    t.nsec = 1000;
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &t, NULL);
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL);
    syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &t64, NULL);
    syscall(SYS_clock_gettime, CLOCK_BOOTTIME, BAD);
    /* signals */
    sa.handler = on_usr1;
    sa.flags = SA_RESTORER | SA_RESTART | SA_SIGINFO;
    sa.restorer = restore_rt;
    sa.mask[0] = 1u << (SIGINT - 1) | 1u << (SIGTERM - 1);
    syscall(SYS_rt_sigaction, SIGUSR1, &sa, &old, 8);
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
    sa.handler = SIG_IGN;
    sa.flags = SA_RESTORER | SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESETHAND;
    sa.mask[0] = ~0u;
    sa.mask[1] = ~0u;
    syscall(SYS_rt_sigaction, SIGUSR2, &sa, NULL, 8);
    syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8);
    syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8);
    syscall(SYS_rt_sigaction, 40, NULL, &old, 8);
    syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8);
    set[0] = 1u << (SIGUSR2 - 1) | 1u << (SIGHUP - 1);
    set[1] = 1u << 2;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, set, oset, 8);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, set, NULL, 8);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, oset, 8);
    set[0] = ~0u; set[1] = ~0u;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, oset, 8);
    set[0] = 0; set[1] = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, oset, 8);
    syscall(SYS_rt_sigprocmask, 7, set, NULL, 8);
    set[0] = 1u << (SIGHUP - 1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, set, NULL, 8);
    syscall(SYS_kill, getpid(), SIGUSR1);
    syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
    syscall(SYS_kill, getpid(), 0);
    /* A handler without SA_SIGINFO: the old frame and sigreturn. */
    sa.handler = on_usr1;
    sa.flags = SA_RESTORER;
    sa.restorer = restore_old;
    sa.mask[0] = sa.mask[1] = 0;
    syscall(SYS_rt_sigaction, SIGALRM, &sa, NULL, 8);
    syscall(SYS_kill, getpid(), SIGALRM);
    syscall(SYS_pipe2, p, O_CLOEXEC);
    /* sockets */
    int s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {AF_UNIX};
    strcpy(un.sun_path, "strace.sock");
    unlink(un.sun_path);
    syscall(SYS_bind, s, &un, sizeof un);
    syscall(SYS_listen, s, 4);
    int c = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    syscall(SYS_connect, c, &un, sizeof un);
    syscall(SYS_connect, c, BAD, sizeof un);
    static struct sockaddr_un peer;
    static socklen_t plen;
    plen = sizeof peer;
    int a = syscall(SYS_accept4, s, &peer, &plen, SOCK_CLOEXEC);
    plen = sizeof peer;
    syscall(SYS_getsockname, s, &peer, &plen);
    plen = sizeof peer;
    syscall(SYS_getpeername, c, &peer, &plen);
    static int one = 1, val;
    static socklen_t vlen;
    syscall(SYS_setsockopt, c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    vlen = sizeof val;
    syscall(SYS_getsockopt, c, SOL_SOCKET, SO_TYPE, &val, &vlen);
    syscall(SYS_sendto, c, "ping", 4, MSG_NOSIGNAL, NULL, 0);
    plen = sizeof peer;
    syscall(SYS_recvfrom, a, buf, 16, MSG_DONTWAIT, &peer, &plen);
    syscall(SYS_recvfrom, a, buf, 16, MSG_DONTWAIT, NULL, NULL);
    syscall(SYS_shutdown, c, SHUT_WR);
    unlink(un.sun_path);
    int s4 = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in in = {AF_INET, htons(9), {htonl(INADDR_LOOPBACK)}};
    syscall(SYS_bind, s4, &in, sizeof in);
    in.sin_port = htons(7);
    syscall(SYS_connect, s4, &in, sizeof in);
    int s6 = syscall(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in6 in6 = {AF_INET6, htons(7)};
    in6.sin6_addr = in6addr_loopback;
    syscall(SYS_connect, s6, &in6, sizeof in6);
    /* poll */
    syscall(SYS_pipe, p);
    syscall(SYS_write, p[1], "x", 1);
    struct pollfd pf[3] = {{p[0], POLLIN | POLLPRI}, {p[1], POLLOUT}, {-1, POLLIN}};
    syscall(SYS_poll, pf, 3, 0);
    syscall(SYS_read, p[0], buf, 1);
    syscall(SYS_poll, pf, 1, 0);
    syscall(SYS_poll, BAD, 1, 0);
    /* fcntl, access, lseek */
    fd = syscall(SYS_open, "data.txt", O_RDWR);
    syscall(SYS_fcntl64, fd, F_GETFD);
    syscall(SYS_fcntl64, fd, F_SETFD, FD_CLOEXEC);
    syscall(SYS_fcntl64, fd, F_GETFD);
    syscall(SYS_fcntl64, fd, F_GETFL);
    syscall(SYS_fcntl64, fd, F_SETFL, O_RDWR | O_NONBLOCK | O_APPEND);
    syscall(SYS_fcntl64, fd, F_GETFL);
    syscall(SYS_fcntl64, fd, F_DUPFD_CLOEXEC, 20);
    static struct flock64 lk = {F_WRLCK, SEEK_SET, 0, 4};
    syscall(SYS_fcntl64, fd, F_SETLK64, &lk);
    syscall(SYS_fcntl64, fd, F_GETLK64, &lk);
    syscall(SYS_fcntl64, fd, 0x7777, 5);
    syscall(SYS_access, "data.txt", R_OK | W_OK);
    syscall(SYS_access, "missing", F_OK);
    syscall(SYS_faccessat, AT_FDCWD, "data.txt", X_OK);
    syscall(SYS_lseek, fd, 3, SEEK_SET);
    syscall(SYS_lseek, fd, -2, SEEK_END);
    static long long pos;
    syscall(SYS__llseek, fd, 0, 5, &pos, SEEK_CUR);
    syscall(SYS__llseek, fd, 1, 0, &pos, SEEK_SET);
    /* *at calls, dup3, socketpair, getcwd, msync */
    syscall(SYS_mkdirat, AT_FDCWD, "sub", 0750);
    syscall(SYS_renameat2, AT_FDCWD, "sub", AT_FDCWD, "sub2", RENAME_NOREPLACE);
    syscall(SYS_unlinkat, AT_FDCWD, "sub2", AT_REMOVEDIR);
    syscall(SYS_dup3, fd, 30, O_CLOEXEC);
    static int sv[2];
    syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET, 0, sv);
    syscall(SYS_getcwd, buf, sizeof buf);
    syscall(SYS_getcwd, buf, 1);
    void *m = (void *)syscall(SYS_mmap2, 0, 4096, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    syscall(SYS_msync, m, 4096, MS_SYNC | MS_INVALIDATE);
    /* epoll */
    int ep = syscall(SYS_epoll_create, 1);
    static struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 0x100000007ULL}};
    ev.data.u64 = (unsigned long long)sv[1] | 1ULL << 32;
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sv[1], &ev);
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, 99, &ev);
    syscall(SYS_write, sv[0], "e", 1);
    static struct epoll_event evs[4];
    syscall(SYS_epoll_wait, ep, evs, 4, 0);
    syscall(SYS_epoll_wait, ep, BAD, 4, 0);
    /* interval timers */
    static struct itimerval itv = {{0, 0}, {100, 0}}, zero, cur;
    syscall(SYS_setitimer, ITIMER_REAL, &itv, NULL);
    syscall(SYS_setitimer, ITIMER_REAL, &zero, NULL);
    syscall(SYS_getitimer, ITIMER_REAL, &cur);
    syscall(SYS_unlink, "data.txt");
    if (got != SIGALRM)
        return 1;
    /* execve: argv and envp as strace shows them */
    char *args[] = {argv[0], "again", "a \"quoted\" arg", NULL};
    syscall(SYS_execve, argv[0], args, environ);
    return 1;
}
