// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_udp.c - the UDP service on loopback: echo (peer, payload, user data,
 * receive time), 500 datagrams moved into the ring by one poll, a full
 * ring holding datagrams back without loss or reordering, the largest
 * datagram (65,507 bytes) both ways, one larger than the ring dropped and
 * counted, IPv6 and IPv4-mapped peers, a batch of 300 sent in one ioctl,
 * per-datagram send errors, a batch stopped by a full send buffer and
 * resumed on WRITABLE, drops past a small SO_RCVBUF counted exactly, an
 * ICMP error on a connected socket, pause and resume, detach and
 * re-attach, every argument check, and every socket and module reference
 * released.
 */
#include "udp_util.h"

#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static struct aem_service_info udp;

static uint64_t attach(struct aem *aem, int fd, uint64_t user_data)
{
	uint64_t id = 0;

	if (aem_udp_attach(aem, &udp, fd, user_data, AEM_ENTRY_F_START, &id))
		tap_bail("attach");
	return id;
}

static unsigned long long realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- echo -------------------------------------------------------------- */

static void test_echo(struct aem *aem, const char *host)
{
	struct ucollect c;
	struct ubatch b;
	struct sockaddr_storage peer;
	unsigned long one = 1;
	unsigned long long t0, t1;
	uint16_t sport, cport;
	int sfd = udp_socket(host, 0, &sport), cfd = udp_socket(host, 0, &cport);
	int v6 = strchr(host, ':') != NULL, i;
	char buf[16] = { 0 };
	uint64_t id;
	struct urec *r;

	ucollect_init(&c);
	ubatch_init(&b, 4096);
	id = attach(aem, sfd, 42);
	t0 = realtime_ns();
	is_ret(udp_sendto(cfd, host, sport, "hello", 5), 5, "%s: client sends hello",
	       host);
	ok(ucollect_until(aem, &c, udatagrams, &one, 3000),
	   "%s: a DATAGRAM record arrives", host);
	t1 = realtime_ns();
	i = ufind(&c, AEM_UDP_DATAGRAM, id);
	if (i < 0)
		tap_bail("no datagram");
	r = &c.recs[i];
	ok(r->len == 5 && !memcmp(r->data, "hello", 5) && r->user_data == 42,
	   "%s: it carries the 5 bytes and the event's user data", host);
	ok(r->addr.family == (v6 ? AF_INET6 : AF_INET) &&
	   r->addr.port == cport &&
	   (v6 ? !memcmp(r->addr.addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) :
		 !memcmp(r->addr.addr, "\x7f\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0",
			 16)) && r->addr.scope_id == 0,
	   "%s: the peer is the client's address and port %u", host,
	   r->addr.port);
	ok((unsigned long long)r->value >= t0 - 1000000 &&
	   (unsigned long long)r->value <= t1,
	   "%s: receive time between send and drain (%lld ns after send)",
	   host, (long long)(r->value - t0));
	/* The reply goes back to the record's peer through a send batch. */
	aem_udp_sockaddr(&r->addr, &peer);
	ubatch_add(&b, (void *)&peer, "world", 5);
	is_ret(ubatch_send(aem, id, &b), 1, "%s: a batch of one is sent", host);
	ok(ubatch_head(&b)->sent == 1 && ubatch_head(&b)->errors == 0 &&
	   ubatch_head(&b)->status == 0, "%s: sent 1, no errors", host);
	ok(recv(cfd, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "world", 5),
	   "%s: the client receives the reply", host);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "%s: shut the event down", host);
	close(sfd);
	close(cfd);
	free(b.buf);
	ucollect_free(&c);
}

/* An AF_INET6 socket bound to :: receives IPv4 as IPv4-mapped. */
static void test_mapped(struct aem *aem)
{
	struct ucollect c;
	unsigned long one = 1;
	uint16_t sport, cport;
	int sfd = udp_socket("::", 0, &sport), cfd = udp_socket("", 0, &cport);
	uint64_t id = attach(aem, sfd, 0);
	struct urec *r;

	ucollect_init(&c);
	udp_sendto(cfd, "127.0.0.1", sport, "v4", 2);
	ok(ucollect_until(aem, &c, udatagrams, &one, 3000) && c.n >= 1,
	   "dual-stack: a datagram from 127.0.0.1 arrives");
	r = &c.recs[0];
	ok(r->addr.family == AF_INET6 && r->addr.port == cport &&
	   !memcmp(r->addr.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\1", 16),
	   "its peer is ::ffff:127.0.0.1, as recvfrom() says");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(sfd);
	close(cfd);
	ucollect_free(&c);
}

/* ---- one poll moves every queued datagram ------------------------------- */

static void test_batch_receive(void)
{
	enum { N = 500, LEN = 100 };
	struct ucollect c;
	struct aem *aem;
	uint16_t sport, cport;
	int sfd = udp_socket("", 4 << 20, &sport), cfd = udp_socket("", 0, &cport);
	uint8_t p[LEN];
	uint32_t seq = 0, i, in_order = 1;
	uint64_t id;
	int polled, drained;

	ucollect_init(&c);
	if (aem_open(&aem, NULL, 256) ||
	    aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	id = attach(aem, sfd, 0);
	aem_wait(aem, 0);	/* START's own look: nothing queued yet */
	aem_drain(aem, NULL, NULL, 0);
	for (i = 0; i < N; i++) {
		useq_fill(p, LEN, i);
		if (udp_sendto(cfd, "127.0.0.1", sport, p, LEN) != LEN)
			tap_bail("sendto");
	}
	polled = aem_wait(aem, 1000);
	drained = aem_drain(aem, ucollect_cb, &c, 0);
	ok(polled == 1 && drained == N && c.datagrams == N,
	   "one poll moved all %d queued datagrams into the ring (%d)", N,
	   drained);
	for (i = 0; i < c.n; i++)
		if (!useq_check(c.recs[i].data, c.recs[i].len, &seq) ||
		    seq != i)
			in_order = 0;
	ok(in_order, "in order, each intact");
	ok(aem_dropped(aem) == 0 && c.drops == -1,
	   "nothing dropped, no DROPS record");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	aem_close(aem);
	close(sfd);
	close(cfd);
	ucollect_free(&c);
}

/* ---- a full ring holds datagrams back ----------------------------------- */

struct seqcheck {
	uint32_t next;
	int bad;
};

static void check_seq(const struct aem_record *rec,
		      const struct aem_udp_addr *addr, const uint8_t *p,
		      uint32_t len, void *arg)
{
	struct seqcheck *k = arg;
	uint32_t seq;

	(void)rec;
	(void)addr;
	if (!useq_check(p, len, &seq) || seq != k->next)
		k->bad = 1;
	k->next++;
}

static void test_full_ring(void)
{
	enum { N = 2000, LEN = 200 };
	struct seqcheck k = { 0 };
	struct ucollect c;
	struct aem *aem;
	uint16_t sport, cport;
	int sfd = udp_socket("", 4 << 20, &sport), cfd = udp_socket("", 0, &cport);
	unsigned long want = N;
	uint32_t flags_seen = 0, i;
	uint8_t p[LEN];
	uint64_t id;

	ucollect_init(&c);
	c.on_datagram = check_seq;
	c.arg = &k;
	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	id = attach(aem, sfd, 0);
	for (i = 0; i < N; i++) {
		useq_fill(p, LEN, i);
		udp_sendto(cfd, "127.0.0.1", sport, p, LEN);
	}
	aem_wait(aem, 0);	/* prepare fills the one-page ring */
	flags_seen = aem_ring_flags(aem);
	ok(flags_seen & AEM_RING_F_BACKLOG,
	   "a one-page ring fills: backlog flagged");
	i = ucollect_until(aem, &c, udatagrams, &want, 10000);
	ok(i, "draining and flushing brings all %d (%lu)", N, c.datagrams);
	ok(!k.bad, "in order, each intact");
	ok(aem_dropped(aem) == 0 && c.drops == -1,
	   "nothing dropped on the way");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	aem_close(aem);
	close(sfd);
	close(cfd);
	ucollect_free(&c);
}

/* ---- the largest datagram ----------------------------------------------- */

static void test_large(void)
{
	const uint32_t max = AEM_UDP_DATAGRAM_MAX;
	struct ucollect c;
	struct ubatch b;
	struct sockaddr_storage peer;
	struct aem *aem, *small;
	uint16_t sport, cport;
	int sfd = udp_socket("", 1 << 20, &sport);
	int cfd = udp_socket("", 1 << 20, &cport);
	unsigned long one = 1;
	uint8_t *p = malloc(max), *q = malloc(max + 1);
	uint32_t seq = 0;
	uint64_t id;
	ssize_t n;

	ucollect_init(&c);
	ubatch_init(&b, 2 * max + 256);
	if (!p || !q)
		tap_bail("malloc");
	if (aem_open(&aem, NULL, 64) ||
	    aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	id = attach(aem, sfd, 0);
	useq_fill(p, max, 7);
	is_ret(udp_sendto(cfd, "127.0.0.1", sport, p, max), max,
	       "client sends %u bytes", max);
	ok(ucollect_until(aem, &c, udatagrams, &one, 3000) && c.n == 1,
	   "one record carries it");
	ok(c.n == 1 && c.recs[0].len == max &&
	   useq_check(c.recs[0].data, max, &seq) && seq == 7,
	   "all %u bytes, intact", max);
	aem_udp_sockaddr(&c.recs[0].addr, &peer);
	useq_fill(p, max, 8);
	ubatch_add(&b, (void *)&peer, p, max);
	is_ret(ubatch_send(aem, id, &b), 1, "a %u-byte datagram sent back",
	       max);
	n = recv(cfd, q, max + 1, 0);
	ok(n == max && useq_check(q, max, &seq) && seq == 8,
	   "the client receives %zd bytes, intact", n);
	/* Too large for the send batch: refused, counted, the next goes. */
	ubatch_reset(&b);
	ubatch_add(&b, (void *)&peer, p, max + 1);
	ubatch_add(&b, (void *)&peer, "next", 4);
	is_ret(ubatch_send(aem, id, &b), 2, "a batch of a too-large and a small one");
	ok(ubatch_head(&b)->sent == 1 && ubatch_head(&b)->errors == 1 &&
	   ubatch_head(&b)->first_error == EMSGSIZE,
	   "the %u-byte one refused with EMSGSIZE, the next sent", max + 1);
	ok(recv(cfd, q, max + 1, 0) == 4, "the client receives the next one");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	aem_close(aem);
	ucollect_reset(&c);

	/* A ring of 4 pages cannot hold 20,000 bytes: dropped and counted. */
	if (aem_open(&small, NULL, 4) ||
	    aem_lookup(small, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	id = attach(small, sfd, 0);
	udp_sendto(cfd, "127.0.0.1", sport, p, 20000);
	udp_sendto(cfd, "127.0.0.1", sport, "after", 5);
	ok(ucollect_until(small, &c, udatagrams, &one, 3000) &&
	   c.recs[0].len == 5,
	   "4-page ring: the 20,000-byte datagram is not delivered, the next is");
	ok(c.drops == 1, "it is counted in the DROPS record (%lld)", c.drops);
	aem_close(small);
	close(sfd);
	close(cfd);
	free(p);
	free(q);
	free(b.buf);
	ucollect_free(&c);
}

/* ---- a batch sent in one ioctl ------------------------------------------ */

static void test_batch_send(struct aem *aem)
{
	enum { N = 300, LEN = 120 };
	struct sockaddr_storage to, bad6, badfam;
	struct aem_udp_msg *m;
	struct ubatch b;
	uint16_t sport, cport;
	int sfd = udp_socket("", 0, &sport), cfd = udp_socket("", 4 << 20, &cport);
	uint8_t p[LEN], q[LEN + 1];
	uint32_t i, seq = 0, got = 0, in_order = 1;
	uint64_t id = attach(aem, sfd, 0);
	ssize_t n;

	ubatch_init(&b, N * aem_udp_msg_size(LEN) + 4096);
	udp_addr("127.0.0.1", cport, &to);
	for (i = 0; i < N; i++) {
		useq_fill(p, LEN, i);
		ubatch_add(&b, (void *)&to, p, LEN);
	}
	is_ret(ubatch_send(aem, id, &b), N, "%d datagrams in one ioctl", N);
	ok(ubatch_head(&b)->sent == N && ubatch_head(&b)->errors == 0,
	   "all sent");
	while ((n = recv(cfd, q, sizeof(q), MSG_DONTWAIT)) > 0) {
		if (n != LEN || !useq_check(q, LEN, &seq) || seq != got)
			in_order = 0;
		got++;
	}
	ok(got == N && in_order, "the peer receives %u of %d, in order", got,
	   N);

	/* Per-datagram errors: the batch goes on. */
	ubatch_reset(&b);
	udp_addr("::1", cport, &bad6);
	badfam = to;
	ubatch_add(&b, (void *)&to, "a", 1);
	ubatch_add(&b, (void *)&badfam, "b", 1);
	m = (void *)(b.buf + b.used - aem_udp_msg_size(1));
	m->addr.family = AF_UNIX;
	ubatch_add(&b, (void *)&bad6, "c", 1);
	ubatch_add(&b, (void *)&to, "d", 1);
	is_ret(ubatch_send(aem, id, &b), 4, "a batch of 4 with 2 bad ones");
	ok(ubatch_head(&b)->sent == 2 && ubatch_head(&b)->errors == 2 &&
	   ubatch_head(&b)->first_error == EINVAL,
	   "2 sent, 2 refused, the first with EINVAL (sent %u errors %u first %d)",
	   ubatch_head(&b)->sent, ubatch_head(&b)->errors,
	   ubatch_head(&b)->first_error);
	ok(ubatch_head(&b)->first_failed == 1,
	   "the first refused is the second message (%u)",
	   ubatch_head(&b)->first_failed);
	ok(recv(cfd, q, sizeof(q), 0) == 1 && q[0] == 'a' &&
	   recv(cfd, q, sizeof(q), 0) == 1 && q[0] == 'd',
	   "the good ones arrive");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(sfd);
	close(cfd);
	free(b.buf);
}

/*
 * A full send buffer: datagrams to a neighbour that never answers ARP wait
 * in the neighbour's queue, charged to the socket, so a small SO_SNDBUF
 * fills; when resolution fails they are freed and WRITABLE follows.
 * Needs the dummy network device (dummy.ko in the VM).
 */
static void test_blocked(struct aem *aem)
{
	struct sockaddr_storage to;
	struct ucollect c;
	struct ubatch b;
	uint16_t sport;
	int sfd, sndbuf = 4096, i;
	uint8_t p[1000] = { 0 };
	uint64_t id;
	int done;

	if (run("insmod /aem/dummy.ko numdummies=1 2>/dev/null; "
		"ip link set dummy0 up arp on && "
		"ip addr add 10.77.0.1/24 dev dummy0 && "
		"echo 1 > /proc/sys/net/ipv4/neigh/dummy0/mcast_solicit && "
		"echo 100 > /proc/sys/net/ipv4/neigh/dummy0/retrans_time_ms")) {
		ok(1, "# SKIP no dummy network device for the full send buffer");
		return;
	}
	ucollect_init(&c);
	ubatch_init(&b, 64 * aem_udp_msg_size(sizeof(p)) + 64);
	sfd = udp_socket("10.77.0.1", 0, &sport);
	setsockopt(sfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	id = attach(aem, sfd, 0);
	udp_addr("10.77.0.2", 9, &to);
	for (i = 0; i < 64; i++)
		ubatch_add(&b, (void *)&to, p, sizeof(p));
	done = ubatch_send(aem, id, &b);
	ok(done > 0 && done < 64 &&
	   (ubatch_head(&b)->status & AEM_UDP_SEND_BLOCKED),
	   "the batch stops at a full send buffer: BLOCKED after %d", done);
	ok(ubatch_head(&b)->sent == (uint32_t)done &&
	   ubatch_head(&b)->errors == 0, "what was handled was sent");
	ok(ucollect_until(aem, &c, has_ukind, (void *)AEM_UDP_WRITABLE, 5000),
	   "WRITABLE once the queued datagrams are gone");
	ok(c.writable == 1, "one WRITABLE record (%u)", c.writable);
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(sfd);
	free(b.buf);
	ucollect_free(&c);
	run("ip link set dummy0 down");
}

/* ---- drops --------------------------------------------------------------- */

static void test_drops(struct aem *aem)
{
	enum { N = 400, LEN = 500 };
	struct ucollect c;
	uint16_t sport, cport;
	int sfd = udp_socket("", 2048, &sport), cfd = udp_socket("", 0, &cport);
	uint8_t p[LEN] = { 0 };
	unsigned long long end;
	unsigned long lost0 = softnet_dropped(), lost;
	uint64_t id;
	int i;

	ucollect_init(&c);
	/* Attached but not polled: the socket's small buffer fills. */
	id = attach(aem, sfd, 0);
	for (i = 0; i < N; i++)
		udp_sendto(cfd, "127.0.0.1", sport, p, LEN);
	end = now_ns() + 3000000000ULL;
	do {
		aem_wait(aem, 20);
		aem_drain(aem, ucollect_cb, &c, 0);
		lost = softnet_dropped() - lost0;
	} while (c.datagrams + (c.drops > 0 ? c.drops : 0) + lost < N &&
		 now_ns() < end);
	ok(c.drops > 0, "past a 2 KiB SO_RCVBUF: a DROPS record (%lld)",
	   c.drops);
	ok(c.datagrams + c.drops + lost == N,
	   "received %lu + socket drops %lld + input backlog drops %lu = sent %d: none hidden",
	   c.datagrams, c.drops, lost, N);
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(sfd);
	close(cfd);
	ucollect_free(&c);
}

/* ---- an ICMP error on a connected socket --------------------------------- */

static void test_icmp_error(struct aem *aem)
{
	struct sockaddr_storage to;
	struct ucollect c;
	struct ubatch b;
	uint16_t sport, gone;
	int sfd = udp_socket("", 0, &sport), gfd = udp_socket("", 0, &gone);
	uint64_t id;
	int i;

	ucollect_init(&c);
	ubatch_init(&b, 256);
	close(gfd);	/* nobody listens on @gone now */
	udp_addr("127.0.0.1", gone, &to);
	if (connect(sfd, (void *)&to, sizeof(struct sockaddr_in)))
		tap_bail("connect");
	id = attach(aem, sfd, 0);
	ubatch_add(&b, (void *)&to, "x", 1);
	is_ret(ubatch_send(aem, id, &b), 1, "send to a closed port");
	ok(ucollect_until(aem, &c, has_ukind, (void *)AEM_UDP_ERROR, 3000),
	   "an ERROR record follows");
	i = ufind(&c, AEM_UDP_ERROR, id);
	ok(i >= 0 && c.recs[i].value == ECONNREFUSED, "ECONNREFUSED");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(sfd);
	free(b.buf);
	ucollect_free(&c);
}

/* ---- pause, detach, re-attach --------------------------------------------- */

static void test_stop_start_reattach(struct aem *aem)
{
	struct ucollect c;
	struct pollfd pfd;
	uint16_t sport, cport;
	int sfd = udp_socket("", 0, &sport), cfd = udp_socket("", 0, &cport);
	unsigned long want;
	char buf[8];
	uint64_t id, id2;

	ucollect_init(&c);
	id = attach(aem, sfd, 0);
	udp_sendto(cfd, "127.0.0.1", sport, "1", 1);
	want = 1;
	ucollect_until(aem, &c, udatagrams, &want, 3000);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_STOP, 0), 0, "STOP pauses reading");
	udp_sendto(cfd, "127.0.0.1", sport, "2", 1);
	udp_sendto(cfd, "127.0.0.1", sport, "3", 1);
	sleep_ms(50);
	aem_wait(aem, 50);
	aem_drain(aem, ucollect_cb, &c, 0);
	ok(c.datagrams == 1, "no records while paused (%lu)", c.datagrams);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0, "START resumes");
	want = 3;
	ok(ucollect_until(aem, &c, udatagrams, &want, 3000) && c.n == 3 &&
	   c.recs[1].data[0] == '2' && c.recs[2].data[0] == '3',
	   "what arrived meanwhile comes, in order");
	is_ret(aem_udp_attach(aem, &udp, sfd, 0, AEM_ENTRY_F_START, NULL),
	       -EBUSY, "a second event on the socket: EBUSY");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0, "detach");
	/* Detached: the socket is the process's again. */
	udp_sendto(cfd, "127.0.0.1", sport, "4", 1);
	pfd = (struct pollfd){ .fd = sfd, .events = POLLIN };
	ok(poll(&pfd, 1, 1000) == 1 && recv(sfd, buf, sizeof(buf), 0) == 1 &&
	   buf[0] == '4', "after detach poll() and recv() on the fd work");
	id2 = attach(aem, sfd, 5);
	udp_sendto(cfd, "127.0.0.1", sport, "5", 1);
	want = 4;
	ok(ucollect_until(aem, &c, udatagrams, &want, 3000) &&
	   c.recs[c.n - 1].event_id == id2 && c.recs[c.n - 1].data[0] == '5',
	   "re-attached: records again, of the new event");
	/* The event holds the socket: closing the fd leaves it working. */
	close(sfd);
	udp_sendto(cfd, "127.0.0.1", sport, "6", 1);
	want = 5;
	ok(ucollect_until(aem, &c, udatagrams, &want, 3000),
	   "fd closed while attached: datagrams still arrive");
	is_ret(aem_evctl(aem, id2, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shutdown releases the socket");
	close(cfd);
	ucollect_free(&c);
}

/* ---- validation ---------------------------------------------------------- */

static long attach_raw(struct aem *aem, uint32_t call, struct aem_udp_args *a,
		       uint32_t len, uint32_t flags)
{
	return aem_entry(aem, udp.service_id, udp.first_call + call, a, len, 0,
			 0, flags, NULL);
}

static struct aem_udp_args *uargs(struct aem_udp_args *a, int fd)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	return a;
}

static void test_validation(struct aem *aem)
{
	struct aem_udp_args a;
	uint16_t port;
	int bound = udp_socket("", 0, &port), one = 1, p[2];
	int unbound = socket(AF_INET, SOCK_DGRAM, 0);
	int tcp = socket(AF_INET, SOCK_STREAM, 0);
	int lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	int gro = udp_socket("", 0, &port);
	struct sockaddr_in any = { .sin_family = AF_INET };

	if (pipe(p))
		tap_bail("pipe");
	if (lite >= 0)
		bind(lite, (void *)&any, sizeof(any));
	setsockopt(gro, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
#define A(fd_) uargs(&a, (fd_))
	is_ret(attach_raw(aem, 0, A(-1), sizeof(a), 0), -EBADF, "fd -1: EBADF");
	is_ret(attach_raw(aem, 0, A(999), sizeof(a), 0), -EBADF,
	       "closed fd: EBADF");
	is_ret(attach_raw(aem, 0, A(p[0]), sizeof(a), 0), -ENOTSOCK,
	       "a pipe: ENOTSOCK");
	is_ret(attach_raw(aem, 0, A(aem_fd(aem)), sizeof(a), 0), -ENOTSOCK,
	       "/dev/aem itself: ENOTSOCK");
	is_ret(attach_raw(aem, 0, A(tcp), sizeof(a), 0), -EINVAL,
	       "TCP: EINVAL");
	is_ret(attach_raw(aem, 0, A(unbound), sizeof(a), 0), -EINVAL,
	       "an unbound UDP socket: EINVAL");
	if (lite >= 0)
		is_ret(attach_raw(aem, 0, A(lite), sizeof(a), 0), -EINVAL,
		       "UDP-Lite: EINVAL");
	is_ret(attach_raw(aem, 0, A(gro), sizeof(a), 0), -EINVAL,
	       "UDP_GRO on: EINVAL");
	A(bound)->flags = 1;
	is_ret(attach_raw(aem, 0, &a, sizeof(a), 0), -EINVAL, "flags: EINVAL");
	A(bound)->reserved = 1;
	is_ret(attach_raw(aem, 0, &a, sizeof(a), 0), -EINVAL,
	       "reserved: EINVAL");
	is_ret(attach_raw(aem, 0, A(bound), sizeof(a) - 4, 0), -EINVAL,
	       "short args: EINVAL");
	is_ret(attach_raw(aem, 1, A(bound), sizeof(a), 0), -EINVAL,
	       "call 1: EINVAL");
#undef A
	close(p[0]);
	close(p[1]);
	close(bound);
	close(unbound);
	close(tcp);
	if (lite >= 0)
		close(lite);
	close(gro);
}

static void test_control_validation(struct aem *aem)
{
	struct aem_service_info timers;
	struct sockaddr_storage to;
	struct aem_udp_send *hd;
	struct ubatch b;
	uint16_t port;
	int sfd = udp_socket("", 0, &port);
	uint64_t id = attach(aem, sfd, 0), idle, tid;
	struct aem_control co;
	uint32_t keep;
	int ifd;

	ubatch_init(&b, 4096);
	udp_addr("127.0.0.1", port, &to);
	ubatch_add(&b, (void *)&to, "abc", 3);
	hd = (void *)b.buf;
	is_ret(aem_control(aem, id, 2, b.buf, b.used), -EINVAL,
	       "unknown operation: EINVAL");
	is_ret(aem_control(aem, id + 1000, AEM_UDP_OP_SEND, b.buf, b.used),
	       -ENOENT, "unknown event: ENOENT");
	is_ret(aem_control(aem, 0, AEM_UDP_OP_SEND, b.buf, b.used), -ENOENT,
	       "event 0: ENOENT");
	if (aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &timers) ||
	    aem_timer_create(aem, &timers, 1000000000, 0, 0, 0, &tid))
		tap_bail("timer");
	is_ret(aem_control(aem, tid, AEM_UDP_OP_SEND, b.buf, b.used),
	       -EOPNOTSUPP, "a timer event: EOPNOTSUPP");
	aem_evctl(aem, tid, AEM_EVCTL_SHUTDOWN, 0);
	memset(&co, 0, sizeof(co));
	co.event_id = id;
	co.op = AEM_UDP_OP_SEND;
	co.arg = (uintptr_t)b.buf;
	co.arg_len = b.used;
	co.flags = 1;
	is_ret(ioctl(aem_fd(aem), AEM_IOC_CONTROL, &co) ? -errno : 0, -EINVAL,
	       "control flags: EINVAL");
	co.flags = 0;
	co.reserved[1] = 1;
	is_ret(ioctl(aem_fd(aem), AEM_IOC_CONTROL, &co) ? -errno : 0, -EINVAL,
	       "control reserved: EINVAL");
	co.reserved[1] = 0;
	co.arg_len = AEM_CONTROL_ARG_MAX + 1;
	is_ret(ioctl(aem_fd(aem), AEM_IOC_CONTROL, &co) ? -errno : 0, -EINVAL,
	       "control arg_len too large: EINVAL");
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, NULL, 64), -EINVAL,
	       "NULL argument: EINVAL");
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, (void *)1, 64), -EFAULT,
	       "bad pointer: EFAULT");
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, b.buf, 16), -EINVAL,
	       "shorter than the head: EINVAL");
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, b.buf,
			   AEM_UDP_SEND_BYTES_MAX + 8), -EINVAL,
	       "longer than AEM_UDP_SEND_BYTES_MAX: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, 0, b.used), -EINVAL,
	       "count 0: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, AEM_UDP_SEND_COUNT_MAX + 1, b.used),
	       -EINVAL, "count over the maximum: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, 2, b.used), -EINVAL,
	       "more messages than bytes: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, 1, b.used + 8), -EINVAL,
	       "bytes after the messages: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, 1, b.used - 8), -EINVAL,
	       "a message past the end: EINVAL");
	memset(hd, 0, sizeof(*hd));
	hd->count = 1;
	hd->sent = 1;
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, b.buf, b.used), -EINVAL,
	       "an out field set on input: EINVAL");
	hd->sent = 0;
	hd->flags = 1;
	is_ret(aem_control(aem, id, AEM_UDP_OP_SEND, b.buf, b.used), -EINVAL,
	       "head flags: EINVAL");
	keep = ((struct aem_udp_msg *)(hd + 1))->flags;
	((struct aem_udp_msg *)(hd + 1))->flags = 1;
	is_ret(aem_udp_send(aem, id, b.buf, 1, b.used), 1,
	       "message flags: handled");
	ok(hd->errors == 1 && hd->first_error == EINVAL,
	   "refused with EINVAL");
	((struct aem_udp_msg *)(hd + 1))->flags = keep;
	ifd = udp_socket("", 0, &port);
	if (aem_udp_attach(aem, &udp, ifd, 0, 0, &idle))
		tap_bail("attach");
	is_ret(aem_udp_send(aem, idle, b.buf, 1, b.used), -EINVAL,
	       "an event never started: EINVAL");
	is_ret(aem_udp_send(aem, id, b.buf, 1, b.used), 1,
	       "after all that, the batch is sent");
	aem_evctl(aem, idle, AEM_EVCTL_SHUTDOWN, 0);
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(ifd);
	close(sfd);
	free(b.buf);
}

int main(void)
{
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used(), socks1;
	struct aem *aem;

	diag("t_udp: the UDP service on loopback");
	if (aem_open(&aem, NULL, 64))
		tap_bail("aem_open");
	is_ret(aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp), 0,
	       "lookup udp 1.0.0");
	ok(udp.ncalls == 1, "one call");
	test_echo(aem, "127.0.0.1");
	test_echo(aem, "::1");
	test_mapped(aem);
	test_batch_send(aem);
	test_drops(aem);
	test_icmp_error(aem);
	test_stop_start_reattach(aem);
	test_validation(aem);
	test_control_validation(aem);
	test_blocked(aem);
	aem_close(aem);
	test_batch_receive();
	test_full_ring();
	test_large();
	ok(refs_back("aem_udp", udp0, core0, 2000), "module references back (%ld, %ld)",
	   module_refcnt("aem_udp") - udp0, module_refcnt("aem_core") - core0);
	socks1 = sockets_settle(socks0, 3000);
	ok(socks1 <= socks0, "every socket released (%ld -> %ld)", socks0,
	   socks1);
	return tap_done();
}
