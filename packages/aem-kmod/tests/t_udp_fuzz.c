// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_udp_fuzz.c - random and malformed calls to the UDP service while
 * datagrams flow: attach with mutated arguments (random and stale fds,
 * pipes, TCP, unbound, connected, IPv6 and UDP-Lite sockets, /dev/aem
 * itself, random calls, flags, reserved fields and sizes), random evctl
 * operations on live events, send batches built right and then mutated
 * (random bytes in heads and messages, counts, lengths, families, ports),
 * bad argument pointers (NULL, unmapped, straddling an unmapped page),
 * raw AEM_IOC_CONTROL structs with random fields, fds closed and replaced
 * under attached events, peers flooding the sockets, polls and drains in
 * between.  Every call returns success or a documented errno; afterwards
 * every event, module reference and socket is gone.  The VM run checks
 * dmesg.
 *
 *   t_udp_fuzz [iterations] [seed]
 */
#include "fuzz.h"
#include "udp_util.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

enum { NFD = 24, MAX_IDS = 128, BUF = 1 << 18 };

static struct aem *aem;
static struct aem_service_info udp;
static int fds[NFD], v6[NFD], peer, peer6;
static uint16_t ports[NFD];
static uint64_t ids[MAX_IDS];
static unsigned int nids;
static unsigned long sent_ok;
static uint8_t *buf, *edge;	/* a batch buffer; a page before a hole */
static long page;

static int allowed(int err)
{
	switch (err) {
	case EINVAL: case EBADF: case ENOTSOCK: case EBUSY: case ENOENT:
	case ENOSPC: case EFAULT: case ENOMEM: case EMFILE: case EOPNOTSUPP:
		return 1;
	default:
		return 0;
	}
}

static struct fuzz_tally tally = { .allowed = allowed };

/* Refill slot @i with something socket-like (or not). */
static void refill(int i)
{
	struct sockaddr_storage ss;
	struct sockaddr_in any = { .sin_family = AF_INET };
	int p[2];

	if (fds[i] >= 0)
		close(fds[i]);
	fds[i] = -1;
	ports[i] = 0;
	v6[i] = 0;
	switch (rnd() % 10) {
	case 0:
		if (!pipe(p)) {
			fds[i] = p[0];
			close(p[1]);
		}
		break;
	case 1:
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		break;
	case 2:
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);	/* unbound */
		break;
	case 3:
		fds[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
		if (fds[i] >= 0)
			bind(fds[i], (void *)&any, sizeof(any));
		break;
	case 4:
		fds[i] = udp_socket("::1", 0, &ports[i]);
		v6[i] = 1;
		break;
	case 5:
		fds[i] = udp_socket("", 0, &ports[i]);
		udp_addr("127.0.0.1", 1 + rnd() % 65535, &ss);
		connect(fds[i], (void *)&ss, sizeof(struct sockaddr_in));
		break;
	default:
		fds[i] = udp_socket("", rnd() % 2 ? 4096 : 0, &ports[i]);
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
		return 1000 + rnd() % 100;	/* closed */
	default:
		return fds[rnd() % NFD];
	}
}

static uint64_t pick_id(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd() % 4 ? rnd() % 1000 : rnd();
	default:
		return nids ? ids[rnd() % nids] : 1;
	}
}

static void op_attach(void)
{
	struct aem_udp_args a = { .fd = pick_fd() };
	uint32_t len = sizeof(a), call = rnd() % 4 ? 0 : rnd() % 300;
	uint64_t id = 0;
	long ret;

	if (rnd() % 10 == 0)
		a.flags = (uint32_t)rnd();
	if (rnd() % 20 == 0)
		a.reserved = rnd();
	if (rnd() % 15 == 0)
		len = rnd() % 40;
	ret = aem_entry(aem, udp.service_id, udp.first_call + call, &a, len,
			rnd(), rnd() % 256, rnd() % 3 ? AEM_ENTRY_F_START : 0,
			&id);
	fuzz_note(&tally, ret, "attach");
	if (!ret && nids < MAX_IDS)
		ids[nids++] = id;
	else if (!ret)
		aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
}

/* A destination: mostly the slots' sockets, sometimes anything. */
static void pick_dest(struct sockaddr_storage *ss)
{
	int i = rnd() % NFD;

	switch (rnd() % 6) {
	case 0:
		udp_addr("::1", (uint16_t)rnd(), ss);
		break;
	case 1:
		udp_addr("127.0.0.1", (uint16_t)rnd(), ss);
		break;
	case 2:
		udp_addr("10.99.0.1", (uint16_t)rnd(), ss);	/* no route */
		break;
	default:
		udp_addr(v6[i] ? "::1" : "127.0.0.1", ports[i] ? ports[i] : 9,
			 ss);
		break;
	}
}

/* Build a batch in @p (room @cap); returns its length. */
static uint32_t build_batch(uint8_t *p, uint32_t cap, uint32_t *count)
{
	uint32_t used = sizeof(struct aem_udp_send), n = 1 + rnd() % 16;
	static uint8_t data[AEM_UDP_DATAGRAM_MAX + 16];

	*count = 0;
	while (*count < n) {
		struct sockaddr_storage ss;
		/* Now and then a large one, or one too large. */
		uint32_t len = rnd() % 64 ? rnd() % 1500 :
			       AEM_UDP_DATAGRAM_MAX - 8 + rnd() % 16;

		if (used + aem_udp_msg_size(len) > cap)
			break;
		pick_dest(&ss);
		aem_udp_msg_put(p + used, (void *)&ss, data, len);
		used += aem_udp_msg_size(len);
		(*count)++;
	}
	memset(p, 0, sizeof(struct aem_udp_send));
	((struct aem_udp_send *)p)->count = *count;
	return used;
}

static void mutate(uint8_t *p, uint32_t len)
{
	unsigned int k, n = 1 + rnd() % 4;

	for (k = 0; k < n; k++) {
		/* Mostly the heads: the first 64 bytes, and message heads. */
		uint32_t at = rnd() % 2 ? rnd() % (len < 64 ? len : 64) :
			      rnd() % len;

		p[at] ^= (uint8_t)(1 << (rnd() % 8));
	}
}

static void op_send(void)
{
	uint32_t count, len;
	uint64_t id = pick_id();
	void *arg = buf;
	long ret;

	len = build_batch(buf, BUF, &count);
	switch (rnd() % 12) {
	case 0: case 1:
		mutate(buf, len);
		break;
	case 2:
		len = rnd() % 2 ? len + 8 * (rnd() % 4) - 12 : (uint32_t)rnd();
		break;
	case 3:
		arg = rnd() % 2 ? NULL : (void *)(uintptr_t)(rnd() % 4096);
		break;
	case 4: {
		/* The batch runs into an unmapped page. */
		uint32_t n = len < (uint32_t)page ? len : (uint32_t)page;

		memcpy(edge + page - n / 2, buf, n);
		arg = edge + page - n / 2;
		break;
	}
	default:
		break;
	}
	ret = aem_control(aem, id, rnd() % 10 ? AEM_UDP_OP_SEND : rnd() % 5,
			  arg, len);
	fuzz_note(&tally, ret, "send");
	if (ret > 0)
		sent_ok += ret;
}

static void op_raw_control(void)
{
	struct aem_control co = {
		.event_id = pick_id(),
		.op = rnd() % 4,
		.arg = (uintptr_t)buf,
		.arg_len = (uint32_t)rnd() % (BUF + 1),
	};

	if (rnd() % 3 == 0)
		co.flags = (uint32_t)rnd();
	if (rnd() % 3 == 0)
		co.reserved0 = (uint32_t)rnd();
	if (rnd() % 3 == 0)
		co.reserved[rnd() % 2] = rnd();
	if (rnd() % 4 == 0)
		co.arg_len = (uint32_t)rnd();
	if (rnd() % 4 == 0)
		co.arg = rnd();
	fuzz_note(&tally, ioctl(aem_fd(aem), AEM_IOC_CONTROL, &co) < 0 ?
		  -errno : 0, "raw control");
}

static void op_traffic(void)
{
	static uint8_t p[2000];
	int i = rnd() % NFD, k, n = 1 + rnd() % 16;

	switch (rnd() % 4) {
	case 0:	/* close or replace an fd under a possibly attached event */
		refill(i);
		break;
	default:	/* the peer floods a slot */
		for (k = 0; k < n && ports[i]; k++)
			udp_sendto(v6[i] ? peer6 : peer,
				   v6[i] ? "::1" : "127.0.0.1", ports[i], p,
				   rnd() % sizeof(p));
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : now_ns();
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	uint16_t pport;
	unsigned long i;
	int j;

	signal(SIGPIPE, SIG_IGN);
	fuzz_seed(seed);
	diag("t_udp_fuzz %lu %llu", iterations, (unsigned long long)seed);
	page = sysconf(_SC_PAGESIZE);
	buf = malloc(BUF);
	edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!buf || edge == MAP_FAILED || munmap(edge + page, page))
		tap_bail("buffers");
	if (aem_open(&aem, NULL, 2) ||
	    aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	peer = udp_socket("", 0, &pport);
	peer6 = udp_socket("::1", 0, &pport);
	for (j = 0; j < NFD; j++) {
		fds[j] = -1;
		refill(j);
	}
	for (i = 0; i < iterations; i++) {
		switch (rnd() % 10) {
		case 0: case 1: case 2:
			op_attach();
			break;
		case 3:
			fuzz_random_evctl(&tally, aem, ids, &nids);
			break;
		case 4: case 5:
			op_send();
			break;
		case 6:
			op_raw_control();
			break;
		case 7:
			aem_wait(aem, 0);
			aem_drain(aem, NULL, NULL, 0);
			break;
		default:
			op_traffic();
			break;
		}
	}
	aem_drain(aem, NULL, NULL, 0);
	diag("%lu calls, %lu succeeded (%lu datagrams handled); EINVAL %lu EBADF %lu ENOTSOCK %lu EBUSY %lu ENOENT %lu EFAULT %lu EOPNOTSUPP %lu",
	     tally.calls, tally.successes, sent_ok, tally.counts[EINVAL],
	     tally.counts[EBADF], tally.counts[ENOTSOCK], tally.counts[EBUSY],
	     tally.counts[ENOENT], tally.counts[EFAULT],
	     tally.counts[EOPNOTSUPP]);
	ok(tally.unexpected == 0, "only documented errors (%lu unexpected)",
	   tally.unexpected);
	ok(tally.successes > 100 && sent_ok > 100,
	   "some calls succeeded (%lu), some datagrams went (%lu)",
	   tally.successes, sent_ok);
	ok(module_refcnt("aem_udp") == udp0 + nids,
	   "one module reference per live event (%ld)",
	   module_refcnt("aem_udp") - udp0);
	aem_close(aem);
	for (j = 0; j < NFD; j++)
		if (fds[j] >= 0)
			close(fds[j]);
	close(peer);
	close(peer6);
	ok(refs_back("aem_udp", udp0, core0, 2000),
	   "every reference dropped after close");
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
	free(buf);
	munmap(edge, page);
	return tap_done();
}
