// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * b_tcp_echo.c - load generator of the TCP benchmark: @conns connections to
 * 127.0.0.1:@port, each keeping @depth length-prefixed messages of @size
 * bytes in flight (a new one for each echo received), for @seconds.  Prints
 * "msgs <echoed> secs <elapsed> rate <per second>".  It runs in its own
 * process so the server's system calls are the server's alone.
 *
 *   b_tcp_echo port conns depth size seconds
 */
#include "tcp_util.h"

#include <sys/epoll.h>

struct conn {
	int fd;
	uint32_t have;		/* bytes of the current reply */
	uint32_t want;		/* its total size, header included */
};

int main(int argc, char **argv)
{
	int port, nconn, depth, size, secs, ep, i;
	unsigned long long msgs = 0, t0, end;
	struct epoll_event evs[256];
	static uint8_t buf[1 << 16];
	struct conn *c;
	uint8_t *msg;

	if (argc < 6)
		return 2;
	port = atoi(argv[1]);
	nconn = atoi(argv[2]);
	depth = atoi(argv[3]);
	size = atoi(argv[4]);
	secs = atoi(argv[5]);
	c = calloc(nconn, sizeof(*c));
	msg = malloc(4 + size);
	if (!c || !msg)
		return 1;
	msg[0] = size >> 24;
	msg[1] = size >> 16;
	msg[2] = size >> 8;
	msg[3] = size;
	memset(msg + 4, 'm', size);
	ep = epoll_create1(0);
	for (i = 0; i < nconn; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		int one = 1, d;

		c[i].fd = tcp_client(port, 0);
		if (c[i].fd < 0)
			return 1;
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c[i].want = 4 + size;
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
		for (d = 0; d < depth; d++)
			if (write_all(c[i].fd, msg, 4 + size))
				return 1;
	}
	t0 = now_ns();
	end = t0 + secs * 1000000000ULL;
	while (now_ns() < end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (i = 0; i < n; i++) {
			struct conn *k = &c[evs[i].data.u32];
			ssize_t got = read(k->fd, buf, sizeof(buf));
			int done = 0;

			if (got <= 0)
				return 1;
			/* Every reply has the same size: count whole ones. */
			k->have += got;
			while (k->have >= k->want) {
				k->have -= k->want;
				done++;
			}
			msgs += done;
			while (done--)
				if (write_all(k->fd, msg, 4 + size))
					return 1;
		}
	}
	printf("msgs %llu secs %.3f rate %.0f\n", msgs, (now_ns() - t0) / 1e9,
	       msgs / ((now_ns() - t0) / 1e9));
	return 0;
}
