/* Sockets: AF_UNIX socketpairs (stream and datagram), sendmsg/recvmsg with
 * SCM_RIGHTS and truncated control buffers, AF_INET over 127.0.0.1 (bind,
 * listen, connect, accept, names, options, shutdown, errors), the
 * socketcall multiplexer, sendmmsg/recvmmsg. */
#include "t.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <linux/net.h>
#include <signal.h>
#include <stdint.h>
#pragma GCC diagnostic ignored "-Wstringop-overflow"

static int send_fd(int s, int fd, int nfds)
{
	char cbuf[CMSG_SPACE(4 * 4)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {"F", 1};
	struct msghdr m = {0};
	m.msg_iov = &iov; m.msg_iovlen = 1;
	m.msg_control = cbuf; m.msg_controllen = CMSG_SPACE(4 * nfds);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(4 * nfds);
	for (int k = 0; k < nfds; k++)
		((int *)CMSG_DATA(c))[k] = fd;
	return sendmsg(s, &m, 0);
}

static void recv_fds(int s, int space, int flags)
{
	char cbuf[256];
	char d[4];
	struct iovec iov = {d, sizeof d};
	struct msghdr m = {0};
	m.msg_iov = &iov; m.msg_iovlen = 1;
	m.msg_control = cbuf; m.msg_controllen = space;
	long n = recvmsg(s, &m, flags);
	printf("recvmsg(space %d) = %ld", space, n);
	if (n < 0) { printf(" %s\n", en(errno)); return; }
	printf(" flags=%#x controllen=%d", m.msg_flags, (int)m.msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int nf = (c->cmsg_len - CMSG_LEN(0)) / 4;
		printf(" [len %d level %d type %d:", (int)c->cmsg_len, c->cmsg_level, c->cmsg_type);
		for (int k = 0; k < nf; k++) {
			int fd = ((int *)CMSG_DATA(c))[k];
			printf(" fd%d cloexec=%d", fd, fcntl(fd, F_GETFD));
		}
		printf("]");
	}
	printf("\n");
}

int main(void)
{
	int sv[2];
	char buf[128];
	setup();
	signal(SIGPIPE, SIG_IGN);

	/* AF_UNIX stream pair */
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T(send(sv[0], "hello", 5, 0));
	T(recv(sv[1], buf, sizeof buf, MSG_PEEK));
	T(recv(sv[1], buf, 3, 0));
	V("got %.3s", buf);
	T(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	T(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	T(write(sv[1], "back", 4));
	T(read(sv[0], buf, 4));
	int type = 0; socklen_t len = sizeof type;
	T(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
	V("type %d len %d", type, (int)len);
	struct sockaddr_un un;
	len = sizeof un;
	T(getsockname(sv[0], (struct sockaddr *)&un, &len));
	V("unix name len %d family %d", (int)len, un.sun_family);
	T(getpeername(sv[0], (struct sockaddr *)&un, &len));
	len = -1;
	T(getsockname(sv[0], (struct sockaddr *)&un, &len));

	/* fd passing */
	int p[2];
	T(pipe(p));
	T(send_fd(sv[0], p[1], 1));
	recv_fds(sv[1], 64, 0);
	T(write(p[1] + 100 > 0 ? 8 : 0, "", 0) >= -1);
	T(send_fd(sv[0], p[1], 3));
	recv_fds(sv[1], 64, MSG_CMSG_CLOEXEC);
	T(send_fd(sv[0], p[1], 3));
	recv_fds(sv[1], CMSG_LEN(4), 0);
	T(send_fd(sv[0], p[1], 2));
	recv_fds(sv[1], 8, 0);
	T(send_fd(sv[0], p[1], 2));
	recv_fds(sv[1], 0, 0);
	T(send_fd(sv[0], 99, 1));
	for (int fd = 3; fd < 20; fd++)
		if (fcntl(fd, F_GETFD) >= 0) printf(" open:%d", fd);
	printf("\n");
	/* a passed pipe end works */
	T(write(8, "via", 3));
	T(read(p[0], buf, 3));
	V("via passed fd: %.3s", buf);
	T(shutdown(sv[0], SHUT_WR));
	T(recv(sv[1], buf, sizeof buf, 0));
	T(send(sv[0], "x", 1, 0));
	T(shutdown(sv[0], 7));
	T(close(sv[0]));
	T(close(sv[1]));

	/* datagram pair */
	T(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
	T(fcntl(sv[0], F_GETFD));
	T(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	T(send(sv[0], "one", 3, 0));
	T(send(sv[0], "twotwo", 6, 0));
	T(recv(sv[1], buf, 2, 0));
	T(recv(sv[1], buf, 2, MSG_TRUNC));
	T(recv(sv[1], buf, 2, 0));
	struct mmsghdr mm[3];
	struct iovec iv[3];
	for (int k = 0; k < 3; k++) {
		iv[k].iov_base = k == 1 ? "bb" : "a";
		iv[k].iov_len = k == 1 ? 2 : 1;
		memset(&mm[k], 0, sizeof mm[k]);
		mm[k].msg_hdr.msg_iov = &iv[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
	T(sendmmsg(sv[0], mm, 3, 0));
	V("mmsg lens %u %u %u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	char rb[3][8];
	for (int k = 0; k < 3; k++) {
		iv[k].iov_base = rb[k]; iv[k].iov_len = 8; mm[k].msg_len = 0;
	}
	T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
	V("recvmmsg lens %u %u %u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
	T(socketpair(AF_INET, SOCK_STREAM, 0, sv));
	T(socketpair(AF_UNIX, 99, 0, sv));
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8));

	/* AF_INET loopback */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	T(ls);
	int one = 1;
	T(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	int v = 0; len = sizeof v;
	T(getsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	V("reuseaddr %d len %d", v, (int)len);
	T(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 2));
	T(setsockopt(ls, SOL_SOCKET, 9999, &one, sizeof one));
	T(setsockopt(ls, 9999, 1, &one, sizeof one));
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	T(bind(ls, (struct sockaddr *)&a, sizeof a));
	T(bind(ls, (struct sockaddr *)&a, sizeof a));
	T(bind(ls, (struct sockaddr *)&a, 3));
	len = sizeof a;
	T(getsockname(ls, (struct sockaddr *)&a, &len));
	V("bound %s len %d port nonzero %d", inet_ntoa(a.sin_addr), (int)len, a.sin_port != 0);
	/* a port nobody listens on: bound, not listening */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	T(connect(c, (struct sockaddr *)&a, sizeof a));
	T(close(c));
	T(listen(ls, 4));
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	T(c);
	T(connect(c, (struct sockaddr *)&a, sizeof a));
	T(connect(c, (struct sockaddr *)&a, sizeof a));
	struct sockaddr_in peer;
	len = sizeof peer;
	int s = accept(ls, (struct sockaddr *)&peer, &len);
	T(s);
	V("peer %s len %d", inet_ntoa(peer.sin_addr), (int)len);
	len = 4;
	T(getpeername(c, (struct sockaddr *)&peer, &len));
	V("short name len %d port match %d", (int)len, 1);
	T(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
	len = sizeof v;
	T(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	V("nodelay %d", v);
	struct timeval tv = {2, 500000}, tv2;
	T(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	len = sizeof tv2;
	T(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len));
	V("rcvtimeo %ld.%06ld len %d", (long)tv2.tv_sec, (long)tv2.tv_usec, (int)len);
	T(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
	struct linger lg = {1, 3};
	T(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	len = sizeof lg;
	T(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len));
	V("linger %d %d", lg.l_onoff, lg.l_linger);
	len = sizeof v;
	T(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len));
	T(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, (socklen_t *)8));
	T(send(c, "ping", 4, 0));
	T(recv(s, buf, sizeof buf, 0));
	V("got %.4s", buf);
	T(sendto(s, "pong", 4, 0, NULL, 0));
	len = sizeof peer;
	T(recvfrom(c, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len));
	V("recvfrom len %d", (int)len);
	T(shutdown(s, SHUT_WR));
	T(recv(c, buf, sizeof buf, 0));
	T(close(s));
	T(close(c));
	T(fcntl(ls, F_SETFL, O_NONBLOCK));
	T(accept(ls, NULL, NULL));
	T(accept4(ls, NULL, NULL, 0x1));
	T(listen(99, 1));
	T(listen(p[0], 1));

	/* UDP loopback with a name */
	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = 0;
	T(bind(u1, (struct sockaddr *)&a, sizeof a));
	len = sizeof a;
	T(getsockname(u1, (struct sockaddr *)&a, &len));
	T(sendto(u2, "dgram", 5, 0, (struct sockaddr *)&a, sizeof a));
	struct sockaddr_in from;
	len = sizeof from;
	T(recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
	V("from %s len %d", inet_ntoa(from.sin_addr), (int)len);
	T(sendto(u2, "x", 1, 0, (struct sockaddr *)&a, 200));
	T(send(u2, "x", 1, 0));
	struct iovec iov = {buf, 3};
	struct msghdr m = {0};
	m.msg_name = &from; m.msg_namelen = sizeof from;
	m.msg_iov = &iov; m.msg_iovlen = 1;
	T(sendto(u2, "trunc", 5, 0, (struct sockaddr *)&a, sizeof a));
	T(recvmsg(u1, &m, 0));
	V("msg flags %#x namelen %d", m.msg_flags, (int)m.msg_namelen);

	/* the socketcall multiplexer */
	unsigned long args[6] = {AF_UNIX, SOCK_STREAM, 0, (unsigned long)sv};
	T(syscall(SYS_socketcall, SYS_SOCKETPAIR, args));
	args[0] = sv[0]; args[1] = (unsigned long)"sc"; args[2] = 2; args[3] = 0;
	T(syscall(SYS_socketcall, SYS_SEND, args));
	args[0] = sv[1]; args[1] = (unsigned long)buf; args[2] = sizeof buf; args[3] = 0;
	T(syscall(SYS_socketcall, SYS_RECV, args));
	T(syscall(SYS_socketcall, 0, args));
	T(syscall(SYS_socketcall, 21, args));
	T(syscall(SYS_socketcall, SYS_SOCKET, (void *)8));
	args[0] = AF_INET; args[1] = SOCK_DGRAM; args[2] = 0;
	T(syscall(SYS_socketcall, SYS_SOCKET, args) >= 0);
	T(socket(AF_INET, SOCK_STREAM, 9999));
	T(socket(12345, SOCK_STREAM, 0));
	T(send(p[0], "x", 1, 0));
	return 0;
}
