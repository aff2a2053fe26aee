/* Waiting: poll/ppoll, select/_newselect/old select/pselect6 with the i386
 * fd_set, epoll (packed 12-byte events) and eventfd, on pipes and
 * sockets, with zero and short timeouts. */
#include "t.h"
#include <poll.h>
#include <sys/select.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <stdint.h>
#include <signal.h>
#include <time.h>
#pragma GCC diagnostic ignored "-Wstringop-overflow"

static void showpoll(struct pollfd *p, int n)
{
	printf("revents:");
	for (int k = 0; k < n; k++)
		printf(" %d:%#x", p[k].fd, p[k].revents);
	printf("\n");
}

static void showset(const char *w, fd_set *s, int n)
{
	printf("%s:", w);
	for (int k = 0; k < n; k++)
		if (FD_ISSET(k, s)) printf(" %d", k);
	printf("\n");
}

int main(void)
{
	int p[2], q[2];
	char c;
	setup();
	signal(SIGPIPE, SIG_IGN);
	T(pipe(p));
	T(pipe2(q, O_NONBLOCK | O_CLOEXEC));
	T(fcntl(q[0], F_GETFL) & O_NONBLOCK);
	T(fcntl(q[1], F_GETFD));
	T(pipe2(q, 0x40));
	T(read(q[0], &c, 1));
	T(pipe((int *)8));

	/* poll */
	struct pollfd pf[4] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-5, POLLIN, 0}, {77, POLLIN, 0}};
	T(poll(pf, 4, 0));
	showpoll(pf, 4);
	T(write(p[1], "ab", 2));
	T(poll(pf, 2, 100));
	showpoll(pf, 2);
	T(poll(pf, 1, -1));
	T(poll((void *)8, 1, 0));
	T(poll(pf, 0, 10));
	struct timespec ts = {0, 1000000};
	T(ppoll(pf, 2, &ts, NULL));
	ts.tv_nsec = 2000000000;
	T(ppoll(pf, 2, &ts, NULL));
	ts.tv_sec = 0; ts.tv_nsec = 1000;
	T(read(p[0], &c, 1));
	T(read(p[0], &c, 1));
	T(ppoll(pf, 1, &ts, NULL));
	V("ppoll left %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t mask;
	sigemptyset(&mask);
	T(syscall(SYS_ppoll, pf, 1, NULL, &mask, 4));
	T(syscall(SYS_ppoll, pf, 2, NULL, &mask, 8));

	/* select */
	fd_set r, w, e;
	FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
	FD_SET(p[0], &r); FD_SET(p[1], &w); FD_SET(p[0], &e);
	struct timeval tv = {0, 0};
	T(select(p[1] + 1, &r, &w, &e, &tv));
	showset("r", &r, 16); showset("w", &w, 16); showset("e", &e, 16);
	T(write(p[1], "x", 1));
	FD_ZERO(&r); FD_ZERO(&w);
	FD_SET(p[0], &r); FD_SET(p[1], &w);
	tv.tv_sec = 1; tv.tv_usec = 0;
	T(select(p[1] + 1, &r, &w, NULL, &tv));
	showset("r", &r, 16); showset("w", &w, 16);
	V("tv changed: %d", tv.tv_sec < 1 || tv.tv_usec > 0 ? 1 : tv.tv_sec == 1);
	FD_ZERO(&r);
	FD_SET(40, &r);
	T(select(41, &r, NULL, NULL, &tv));
	FD_ZERO(&r);
	FD_SET(200, &r);
	tv.tv_sec = 0; tv.tv_usec = 0;
	T(select(201, &r, NULL, NULL, &tv));
	T(select(-1, NULL, NULL, NULL, &tv));
	tv.tv_sec = -1;
	T(select(1, NULL, NULL, NULL, &tv));
	tv.tv_sec = 0; tv.tv_usec = 2000;
	T(select(0, NULL, NULL, NULL, &tv));
	V("select sleep left %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
	FD_ZERO(&r); FD_SET(p[0], &r);
	struct { unsigned long n; fd_set *in, *out, *ex; struct timeval *tv; } sa = {p[0] + 1, &r, NULL, NULL, &tv};
	T(syscall(SYS_select, &sa));
	showset("old select r", &r, 16);
	FD_ZERO(&r); FD_SET(p[0], &r);
	T(syscall(SYS__newselect, p[0] + 1, &r, NULL, NULL, NULL));
	ts.tv_sec = 0; ts.tv_nsec = 0;
	FD_ZERO(&r); FD_SET(p[0], &r); FD_SET(q[0], &r);
	T(pselect(q[0] + 1, &r, NULL, NULL, &ts, &mask));
	showset("pselect r", &r, 16);
	T(read(p[0], &c, 1));
	FD_ZERO(&r); FD_SET(p[0], &r);
	T(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));

	/* hang-up */
	int h[2];
	T(pipe(h));
	T(close(h[1]));
	struct pollfd hp = {h[0], POLLIN, 0};
	T(poll(&hp, 1, 0));
	showpoll(&hp, 1);
	FD_ZERO(&r); FD_SET(h[0], &r);
	T(select(h[0] + 1, &r, NULL, NULL, &tv));
	T(read(h[0], &c, 1));
	T(pipe(h));
	T(close(h[0]));
	T(write(h[1], "x", 1));
	hp.fd = h[1]; hp.events = POLLOUT;
	T(poll(&hp, 1, 0));
	showpoll(&hp, 1);

	/* epoll */
	V("epoll_event size %d", (int)sizeof(struct epoll_event));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	T(ep);
	T(fcntl(ep, F_GETFD));
	T(epoll_create(0));
	T(epoll_create1(1));
	struct epoll_event ev = {EPOLLIN, {.u64 = 0x1122334455667788ULL}};
	T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	ev.events = EPOLLOUT; ev.data.u64 = 42;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	T(epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
	T(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev));
	T(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev));
	int reg = open("reg", O_CREAT | O_RDWR, 0600);
	T(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
	struct epoll_event out[8];
	memset(out, 0xee, sizeof out);
	T(epoll_wait(ep, out, 8, 0));
	V("ev0 %#x %llx", out[0].events, (unsigned long long)out[0].data.u64);
	T(write(p[1], "yz", 2));
	T(epoll_wait(ep, out, 8, 100));
	for (int k = 0; k < 2; k++)
		V("ev %#x %llx", out[k].events, (unsigned long long)out[k].data.u64);
	T(epoll_wait(ep, out, 1, 0));
	T(epoll_wait(ep, out, 0, 0));
	T(epoll_wait(ep, (void *)8, 8, 0));
	T(epoll_wait(p[0], out, 8, 0));
	T(epoll_pwait(ep, out, 8, 0, &mask));
	T(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	T(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	T(read(p[0], &c, 1));
	T(read(p[0], &c, 1));
	T(epoll_wait(ep, out, 8, 10));
	ev.events = EPOLLIN | EPOLLET; ev.data.u64 = 7;
	T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	T(write(p[1], "a", 1));
	T(epoll_wait(ep, out, 8, 0));
	T(epoll_wait(ep, out, 8, 0));
	struct { int64_t s, ns; } t2 = {0, 1000};
	T(syscall(SYS_epoll_pwait2, ep, out, 8, &t2, NULL, 8));

	/* eventfd */
	int efd = eventfd(3, EFD_NONBLOCK);
	T(efd);
	uint64_t v = 0;
	T(read(efd, &v, 8));
	V("eventfd %llu", (unsigned long long)v);
	T(read(efd, &v, 8));
	T(read(efd, &v, 4));
	v = 5;
	T(write(efd, &v, 8));
	v = 0xffffffffffffffffULL;
	T(write(efd, &v, 8));
	struct pollfd ep2 = {efd, POLLIN | POLLOUT, 0};
	T(poll(&ep2, 1, 0));
	showpoll(&ep2, 1);
	T(close(efd));
	efd = eventfd(2, EFD_SEMAPHORE | EFD_CLOEXEC);
	T(fcntl(efd, F_GETFD));
	T(read(efd, &v, 8));
	V("sem %llu", (unsigned long long)v);
	T(syscall(SYS_eventfd, 1));
	T(eventfd(0, 0x10));

	/* socketpair readiness */
	int sv[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd sp[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN | POLLOUT, 0}};
	T(poll(sp, 2, 0));
	showpoll(sp, 2);
	T(shutdown(sv[1], SHUT_WR));
	T(poll(sp, 2, 0));
	showpoll(sp, 2);
	return 0;
}
