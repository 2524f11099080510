// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * b_udp_echo.c - load generator of the UDP benchmark: request/response
 * against an echo server on 127.0.0.1:@port, @inflight requests of @size
 * bytes outstanding (each numbered; a new one for each answer), for
 * @seconds.  A request unanswered for 200 ms counts as lost and is sent
 * again.  It reads and writes in batches (recvmmsg, sendmmsg), so one of
 * its wake-ups answers many replies and the server, not the load, is what
 * is measured.  Prints "msgs <answered> lost <lost> secs <elapsed> rate
 * <per second>".  Its own process: the server's system calls are the
 * server's alone.
 *
 *   b_udp_echo port inflight size seconds
 */
#include "udp_util.h"

#include <poll.h>

enum { BATCH = 64, LOST_MS = 200, MAX_INFLIGHT = 65536 };

int main(int argc, char **argv)
{
	static uint8_t rbuf[BATCH][2048], sbuf[BATCH][2048];
	struct mmsghdr rmsg[BATCH], smsg[BATCH];
	struct iovec riov[BATCH], siov[BATCH];
	struct sockaddr_storage to;
	unsigned long long msgs = 0, lost = 0, t0, end, now, *sent_at;
	int port, inflight, size, secs, fd, i, nsend;
	socklen_t tolen;
	uint16_t me;

	if (argc < 5)
		return 2;
	port = atoi(argv[1]);
	inflight = atoi(argv[2]);
	size = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (inflight < 1 || inflight > MAX_INFLIGHT || size < 4 ||
	    size > (int)sizeof(sbuf[0]))
		return 2;
	sent_at = calloc(inflight, sizeof(*sent_at));
	if (!sent_at)
		return 1;
	fd = udp_socket("", 4 << 20, &me);
	tolen = udp_addr("127.0.0.1", port, &to);
	for (i = 0; i < BATCH; i++) {
		riov[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
		rmsg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &riov[i],
							 .msg_iovlen = 1 } };
		memset(sbuf[i], 'u', size);
		siov[i] = (struct iovec){ sbuf[i], size };
		smsg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to,
							 .msg_namelen = tolen,
							 .msg_iov = &siov[i],
							 .msg_iovlen = 1 } };
	}

	t0 = now_ns();
	end = t0 + secs * 1000000000ULL;
	/* The first requests, a batch at a time. */
	for (i = 0; i < inflight;) {
		for (nsend = 0; nsend < BATCH && i < inflight; nsend++, i++) {
			memcpy(sbuf[nsend], &i, 4);
			sent_at[i] = t0;
		}
		if (sendmmsg(fd, smsg, nsend, 0) < 0)
			return 1;
	}
	for (now = t0; now < end; now = now_ns()) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n, k;

		if (poll(&p, 1, 50) > 0) {
			n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
			nsend = 0;
			for (k = 0; k < n; k++) {
				uint32_t slot;

				if (rmsg[k].msg_len < 4)
					continue;
				memcpy(&slot, rbuf[k], 4);
				if (slot >= (uint32_t)inflight)
					continue;
				msgs++;
				sent_at[slot] = now;
				memcpy(sbuf[nsend++], &slot, 4);
			}
			if (nsend && sendmmsg(fd, smsg, nsend, 0) < 0)
				return 1;
		}
		/* Requests unanswered for too long: lost, sent again. */
		now = now_ns();
		nsend = 0;
		for (i = 0; i < inflight; i++) {
			if (now - sent_at[i] < LOST_MS * 1000000ULL)
				continue;
			lost++;
			sent_at[i] = now;
			memcpy(sbuf[nsend++], &i, 4);
			if (nsend == BATCH) {
				sendmmsg(fd, smsg, nsend, 0);
				nsend = 0;
			}
		}
		if (nsend)
			sendmmsg(fd, smsg, nsend, 0);
	}
	printf("msgs %llu lost %llu secs %.3f rate %.0f\n", msgs, lost,
	       (now - t0) / 1e9, msgs / ((now - t0) / 1e9));
	return 0;
}
