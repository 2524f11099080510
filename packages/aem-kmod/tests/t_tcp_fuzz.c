// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_tcp_fuzz.c - random and malformed calls to the TCP service while data
 * flows: attach with mutated arguments (random and stale fds, pipes, UDP,
 * /dev/aem itself, listeners, connecting sockets, random calls, flags,
 * chunks, sizes), random evctl operations on live events, fds closed and
 * peers reset under attached events, polls and flushes in between.  Every
 * call returns success or a documented errno; afterwards every event,
 * module reference and socket is gone.
 *
 *   t_tcp_fuzz [iterations] [seed]
 */
#include "fuzz.h"
#include "tcp_util.h"

#include <signal.h>

enum { NFD = 24, MAX_IDS = 128 };

static struct aem *aem;
static struct aem_service_info tcp;
static int fds[NFD], peers[NFD];
static uint64_t ids[MAX_IDS];
static unsigned int nids;
static uint16_t port;
static int lfd;

static int allowed(int err)
{
	switch (err) {
	case EINVAL: case EBADF: case ENOTSOCK: case EBUSY: case ENOENT:
	case ENOSPC: case EFAULT: case ENOMEM: case EMFILE:
		return 1;
	default:
		return 0;
	}
}

static struct fuzz_tally tally = { .allowed = allowed };

/* Refill slot @i with something socket-like (or not). */
static void refill(int i)
{
	int p[2];

	if (fds[i] >= 0)
		close(fds[i]);
	if (peers[i] >= 0)
		close(peers[i]);
	fds[i] = peers[i] = -1;
	switch (rnd() % 8) {
	case 0:
		if (!pipe(p)) {
			fds[i] = p[0];
			peers[i] = p[1];
		}
		break;
	case 1:
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		break;
	case 2:
		fds[i] = tcp_client(port, 1);	/* connecting */
		break;
	case 3: {
		uint16_t p2;

		fds[i] = tcp_listener(&p2, 4);
		break;
	}
	default:
		peers[i] = tcp_client(port, 0);
		fds[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		break;
	}
}

static int pick_fd(void)
{
	switch (rnd() % 10) {
	case 0:
		return (int)rnd();
	case 1:
		return -1;
	case 2:
		return aem_fd(aem);
	case 3:
		return lfd;
	case 4:
		return 1000 + rnd() % 100;	/* closed */
	default:
		return fds[rnd() % NFD];
	}
}

static void op_attach(void)
{
	static const uint32_t chunks[] = { 0, 1, 63, 64, 100, 4056, 4057,
					   65536, 0xffffffff };
	struct aem_tcp_args a = {
		.fd = pick_fd(),
		.chunk = rnd() % 3 ? 0 : chunks[rnd() % 9],
	};
	uint32_t len = sizeof(a), call = rnd() % 4 ? rnd() % 2 : rnd() % 300;
	uint64_t id = 0;
	long ret;

	if (rnd() % 10 == 0)
		a.flags = (uint32_t)rnd() & 7;
	if (rnd() % 20 == 0)
		a.reserved = (uint32_t)rnd();
	if (rnd() % 15 == 0)
		len = rnd() % 40;
	ret = aem_entry(aem, tcp.service_id, tcp.first_call + call, &a, len,
			rnd(), rnd() % 256, rnd() % 3 ? AEM_ENTRY_F_START : 0,
			&id);
	fuzz_note(&tally, ret, "attach");
	if (!ret && nids < MAX_IDS)
		ids[nids++] = id;
	else if (!ret)
		aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
}

static void op_traffic(void)
{
	int i = rnd() % NFD;
	static char buf[4096];

	switch (rnd() % 5) {
	case 0:	/* the peer writes */
		if (peers[i] >= 0)
			(void)!send(peers[i], buf, 1 + rnd() % sizeof(buf),
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case 1: {	/* the peer resets */
		struct linger lg = { 1, 0 };

		if (peers[i] >= 0 && rnd() % 10 == 0) {
			setsockopt(peers[i], SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
			close(peers[i]);
			peers[i] = -1;
		}
		break;
	}
	case 2:	/* we write on the fd */
		(void)!send(fds[i], buf, 1 + rnd() % sizeof(buf),
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case 3:	/* close or replace an fd under a possibly attached event */
		if (rnd() % 4 == 0)
			refill(i);
		break;
	default:
		(void)!shutdown(fds[i], rnd() % 3);
		break;
	}
}

static int drain_close(const struct aem_record *rec, void *arg)
{
	const struct aem_tcp_record *tr = (const void *)rec->payload;

	(void)arg;
	/* An accepted fd is ours to close (or to keep as a new target). */
	if (rec->type == AEM_REC_TCP && tr->kind == AEM_TCP_ACCEPT)
		close((int)tr->value);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : now_ns();
	long tcp0 = module_refcnt("aem_tcp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	unsigned long i;
	int j;

	signal(SIGPIPE, SIG_IGN);
	fuzz_seed(seed);
	diag("t_tcp_fuzz %lu %llu", iterations, (unsigned long long)seed);
	if (aem_open(&aem, NULL, 2) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		tap_bail("open");
	lfd = tcp_listener(&port, 256);
	for (j = 0; j < NFD; j++) {
		fds[j] = peers[j] = -1;
		refill(j);
	}
	for (i = 0; i < iterations; i++) {
		switch (rnd() % 8) {
		case 0: case 1: case 2:
			op_attach();
			break;
		case 3: case 4:
			fuzz_random_evctl(&tally, aem, ids, &nids);
			break;
		case 5:
			aem_wait(aem, 0);
			aem_drain(aem, drain_close, NULL, 0);
			break;
		default:
			op_traffic();
			break;
		}
	}
	aem_drain(aem, drain_close, NULL, 0);
	diag("%lu calls, %lu succeeded; EINVAL %lu EBADF %lu ENOTSOCK %lu EBUSY %lu ENOENT %lu",
	     tally.calls, tally.successes, tally.counts[EINVAL],
	     tally.counts[EBADF], tally.counts[ENOTSOCK], tally.counts[EBUSY],
	     tally.counts[ENOENT]);
	ok(tally.unexpected == 0, "only documented errors (%lu unexpected)",
	   tally.unexpected);
	ok(tally.successes > 100, "some calls succeeded (%lu)",
	   tally.successes);
	ok(module_refcnt("aem_tcp") == tcp0 + nids,
	   "one module reference per live event (%ld)",
	   module_refcnt("aem_tcp") - tcp0);
	aem_close(aem);
	for (j = 0; j < NFD; j++) {
		if (fds[j] >= 0)
			close(fds[j]);
		if (peers[j] >= 0)
			close(peers[j]);
	}
	close(lfd);
	for (j = 0; j < 200 && module_refcnt("aem_tcp") != tcp0; j++)
		sleep_ms(10);
	ok(module_refcnt("aem_tcp") == tcp0 &&
	   module_refcnt("aem_core") == core0,
	   "every reference dropped after close");
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
	return tap_done();
}
