// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_tcp.c - the TCP service on loopback: accept records carrying an
 * installed fd and the peer's address, data records in order (an 8 MiB
 * transfer through a 4-page ring, checked byte by byte), flow control (a
 * full ring leaves the bytes in the socket, no fd installed without its
 * record), writable after EAGAIN, connected, peer close, reset, pause and
 * resume without loss, argument validation, and every socket and module
 * reference released.
 */
#include "tcp_util.h"

#include <pthread.h>
#include <signal.h>

static struct aem_service_info tcp;

static int three_accepts(struct tcollect *c, void *arg)
{
	unsigned int i, n = 0;

	(void)arg;
	for (i = 0; i < c->n; i++)
		n += c->recs[i].kind == AEM_TCP_ACCEPT;
	return n >= 3;
}

static int nbytes(struct tcollect *c, void *arg)
{
	return c->bytes >= *(unsigned long long *)arg;
}

/* ---- accept ------------------------------------------------------------ */

static void test_accept_and_data(struct aem *aem)
{
	struct tcollect c = { 0 };
	uint16_t port;
	int lfd = tcp_listener(&port, 16);
	int cfd, afd, fl, i;
	uint64_t lid, cid;
	struct trec *r;

	is_ret(aem_tcp_attach(aem, &tcp, lfd, AEM_TCP_CALL_LISTENER, 0, 7,
			      AEM_ENTRY_F_START, &lid), 0,
	       "attach a listener");
	cfd = tcp_client(port, 0);
	ok(cfd >= 0, "client connects");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_ACCEPT, 3000),
	   "an ACCEPT record arrives");
	i = tfind(&c, AEM_TCP_ACCEPT, lid);
	if (i < 0)
		tap_bail("no accept record");
	r = &c.recs[i];
	afd = (int)r->value;
	ok(r->user_data == 7 && r->len == sizeof(struct aem_tcp_addr),
	   "record: event's user data, address length %u", r->len);
	fl = fcntl(afd, F_GETFL);
	ok(fl >= 0 && (fl & O_NONBLOCK) &&
	   (fcntl(afd, F_GETFD) & FD_CLOEXEC),
	   "fd %d is installed, non-blocking and close-on-exec", afd);
	ok(r->addr.family == AF_INET && r->addr.port == local_port(cfd) &&
	   !memcmp(r->addr.addr, "\x7f\0\0\1", 4),
	   "peer address 127.0.0.1:%u", r->addr.port);
	tcollect_reset(&c);

	is_ret(aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 0, 8,
			      AEM_ENTRY_F_START, &cid), 0,
	       "attach the accepted connection");
	ok(write_all(cfd, "hello", 5) == 0, "client sends hello");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_DATA, 3000),
	   "a DATA record arrives");
	i = tfind(&c, AEM_TCP_DATA, cid);
	ok(i >= 0 && c.recs[i].len == 5 && !memcmp(c.recs[i].data, "hello", 5)
	   && c.recs[i].user_data == 8,
	   "it carries the 5 bytes");
	tcollect_reset(&c);

	/* The reply is an ordinary write on the fd. */
	ok(write(afd, "world", 5) == 5, "reply with write() on the fd");
	{
		char buf[8] = { 0 };

		ok(read(cfd, buf, 5) == 5 && !memcmp(buf, "world", 5),
		   "client reads the reply");
	}

	ok(shutdown(cfd, SHUT_WR) == 0, "client sends FIN");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_PEER_CLOSED,
			  3000), "a PEER_CLOSED record arrives");
	is_ret(aem_evctl(aem, cid, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shut the connection event down");
	is_ret(aem_evctl(aem, lid, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shut the listener event down");
	close(afd);
	close(cfd);
	close(lfd);
	tcollect_reset(&c);
	free(c.recs);
}

/* ---- an 8 MiB transfer through a small ring ---------------------------- */

struct checker {
	uint64_t seed, pos, bad_at;
	int bad;
};

static void check_data(uint64_t id, const uint8_t *p, uint32_t len, void *arg)
{
	struct checker *k = arg;
	uint32_t i;

	(void)id;
	for (i = 0; i < len; i++) {
		if (!k->bad && p[i] != stream_byte(k->seed, k->pos + i)) {
			k->bad = 1;
			k->bad_at = k->pos + i;
		}
	}
	k->pos += len;
}

struct sender {
	int fd;
	uint64_t seed, total;
	int stop_after_ms;
};

static void *send_stream(void *arg)
{
	struct sender *s = arg;
	uint8_t buf[65536];
	uint64_t pos = 0;

	while (pos < s->total) {
		size_t n = s->total - pos < sizeof(buf) ? s->total - pos :
							  sizeof(buf);

		stream_fill(s->seed, pos, buf, n);
		if (write_all(s->fd, buf, n))
			break;
		pos += n;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

static void test_large_transfer(void)
{
	const uint64_t total = 8ULL << 20;
	struct checker k = { .seed = 0x1234 };
	struct tcollect c = { .on_data = check_data, .arg = &k };
	struct sender s = { .seed = 0x1234, .total = total };
	unsigned long long want = total;
	uint32_t flags_seen = 0;
	struct aem *aem;
	pthread_t th;
	uint16_t port;
	int lfd, afd;
	uint64_t id;

	if (aem_open(&aem, NULL, 4) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		tap_bail("open");
	lfd = tcp_listener(&port, 4);
	s.fd = tcp_client(port, 0);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	ok(s.fd >= 0 && afd >= 0, "connected pair");
	is_ret(aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 1000, 0,
			      AEM_ENTRY_F_START, &id), 0,
	       "attach with 1000-byte chunks, 16 KiB ring");
	pthread_create(&th, NULL, send_stream, &s);
	/* Let the sender get ahead: the ring fills, the socket holds the rest. */
	sleep_ms(200);
	{
		unsigned long long end = now_ns() + 60000000000ULL;

		while (c.bytes < want && now_ns() < end) {
			flags_seen |= aem_ring_flags(aem);
			aem_drain(aem, tcollect_cb, &c, 0);
			if (c.bytes < want)
				aem_wait(aem, 20);
		}
	}
	ok(c.bytes == total, "all %llu bytes arrived (%llu)", want, c.bytes);
	ok(!k.bad, "in order, byte for byte%s", k.bad ? " (mismatch)" : "");
	if (k.bad)
		diag("first bad byte at %llu", (unsigned long long)k.bad_at);
	ok(flags_seen & AEM_RING_F_BACKLOG,
	   "the ring filled and the rest waited (backlog flagged)");
	ok(aem_dropped(aem) == 0, "nothing dropped");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_PEER_CLOSED,
			  3000), "PEER_CLOSED after the last byte");
	pthread_join(th, NULL);
	aem_close(aem);
	close(afd);
	close(s.fd);
	close(lfd);
	free(c.recs);
}

/* ---- accept with a full ring ------------------------------------------- */

static void test_accept_full_ring(void)
{
	struct tcollect c = { 0 };
	struct aem *aem;
	uint16_t port;
	int lfd, cfd[3], afd, wfd, fds0, fds1, i, accepts = 0, ok_fds = 1;
	uint64_t lid, did;
	char big[8192];

	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		tap_bail("open");
	lfd = tcp_listener(&port, 16);
	/* Fill the one-page ring with data first. */
	wfd = tcp_client(port, 0);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 0, 0,
		       AEM_ENTRY_F_START, &did);
	memset(big, 'x', sizeof(big));
	write_all(wfd, big, sizeof(big));
	sleep_ms(100);
	aem_wait(aem, 0);	/* prepare runs: one 4 KiB record fills it */
	is_ret(aem_tcp_attach(aem, &tcp, lfd, AEM_TCP_CALL_LISTENER, 0, 0,
			      AEM_ENTRY_F_START, &lid), 0, "attach listener");
	for (i = 0; i < 3; i++)
		cfd[i] = tcp_client(port, 0);
	sleep_ms(100);
	fds0 = count_fds();
	aem_wait(aem, 0);
	aem_wait(aem, 0);
	fds1 = count_fds();
	ok(fds1 == fds0, "ring full: no fd installed (%d -> %d)", fds0, fds1);
	ok(aem_ring_flags(aem) & AEM_RING_F_BACKLOG, "backlog flagged");
	tcollect_until(aem, &c, three_accepts, NULL, 5000);
	for (i = 0; i < (int)c.n; i++) {
		if (c.recs[i].kind != AEM_TCP_ACCEPT)
			continue;
		accepts++;
		if (fcntl((int)c.recs[i].value, F_GETFD) < 0)
			ok_fds = 0;
		close((int)c.recs[i].value);
	}
	ok(accepts == 3 && ok_fds,
	   "after draining: 3 ACCEPT records, each fd installed (%d)",
	   accepts);
	aem_close(aem);
	for (i = 0; i < 3; i++)
		close(cfd[i]);
	close(wfd);
	close(afd);
	close(lfd);
	tcollect_reset(&c);
	free(c.recs);
}

/* ---- writable, connect, reset ------------------------------------------ */

static void test_writable(struct aem *aem)
{
	struct tcollect c = { 0 };
	static char buf[65536];
	uint16_t port;
	int lfd = tcp_listener(&port, 4), cfd, afd, eagain = 0, sndbuf = 4096;
	unsigned long long sent = 0;
	uint64_t id;

	cfd = tcp_client(port, 0);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	setsockopt(afd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 0, 0,
		       AEM_ENTRY_F_START, &id);
	/*
	 * Write until EAGAIN; ACKs of what is in flight may free room and
	 * legitimately report WRITABLE, so go on until the peer's window is
	 * shut and a quiet 200 ms pass.
	 */
	for (int round = 0; round < 50; round++) {
		while (sent < (64ULL << 20)) {
			ssize_t n = write(afd, buf, sizeof(buf));

			if (n < 0) {
				eagain = errno == EAGAIN;
				break;
			}
			sent += n;
		}
		tcollect_reset(&c);
		sleep_ms(200);
		aem_drain(aem, tcollect_cb, &c, 0);
		if (tfind(&c, AEM_TCP_WRITABLE, id) < 0)
			break;
	}
	ok(eagain, "write() hits EAGAIN after %llu bytes", sent);
	ok(tfind(&c, AEM_TCP_WRITABLE, id) < 0, "no WRITABLE while full");
	/* The peer reads: room appears, one record says so. */
	{
		unsigned long long got = 0;

		while (got < sent) {
			ssize_t n = read(cfd, buf, sizeof(buf));

			if (n <= 0)
				break;
			got += n;
			if (tfind(&c, AEM_TCP_WRITABLE, id) < 0)
				aem_drain(aem, tcollect_cb, &c, 0);
		}
	}
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_WRITABLE, 3000),
	   "WRITABLE once the peer read");
	tcollect_reset(&c);
	/* START re-arms: with room now, WRITABLE at once. */
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0, "START re-arms");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_WRITABLE, 1000),
	   "WRITABLE at once when there is room");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(afd);
	close(cfd);
	close(lfd);
	tcollect_reset(&c);
	free(c.recs);
}

static void test_connect_and_reset(struct aem *aem)
{
	struct tcollect c = { 0 };
	struct linger lg = { 1, 0 };
	uint16_t port;
	int lfd = tcp_listener(&port, 4), cfd, afd, i;
	uint64_t id, aid;

	cfd = tcp_client(port, 1);
	ok(cfd >= 0, "non-blocking connect started");
	is_ret(aem_entry(aem, tcp.service_id,
			 tcp.first_call + AEM_TCP_CALL_CONNECTION,
			 &(struct aem_tcp_args){ .fd = cfd,
						 .flags = AEM_TCP_F_CONNECT },
			 sizeof(struct aem_tcp_args), 0, 0, AEM_ENTRY_F_START,
			 &id), 0, "attach the connecting socket");
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_CONNECTED, 3000),
	   "CONNECTED");
	tcollect_reset(&c);
	afd = accept4(lfd, NULL, NULL, 0);
	aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 0, 0,
		       AEM_ENTRY_F_START, &aid);
	write_all(cfd, "x", 1);
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(cfd);	/* RST */
	ok(tcollect_until(aem, &c, has_kind, (void *)AEM_TCP_ERROR, 3000),
	   "ERROR after a reset");
	i = tfind(&c, AEM_TCP_ERROR, aid);
	ok(i >= 0 && c.recs[i].value == ECONNRESET &&
	   tfind(&c, AEM_TCP_DATA, aid) >= 0 &&
	   tfind(&c, AEM_TCP_DATA, aid) < i,
	   "ECONNRESET, after the byte that came first");
	aem_evctl(aem, aid, AEM_EVCTL_SHUTDOWN, 0);
	close(afd);
	close(lfd);
	tcollect_reset(&c);
	free(c.recs);
}

/* ---- detach and re-attach ---------------------------------------------- */

static void test_stop_start(struct aem *aem)
{
	struct tcollect c = { 0 };
	uint16_t port;
	int lfd = tcp_listener(&port, 4), cfd, afd, i;
	unsigned long long want = 6;
	char got[8] = { 0 };
	unsigned int at = 0;
	uint64_t id;

	cfd = tcp_client(port, 0);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 0, 0,
		       AEM_ENTRY_F_START, &id);
	write_all(cfd, "abc", 3);
	tcollect_until(aem, &c, nbytes, &(unsigned long long){ 3 }, 3000);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_STOP, 0), 0, "STOP pauses reading");
	write_all(cfd, "def", 3);
	sleep_ms(100);
	aem_wait(aem, 50);
	aem_drain(aem, tcollect_cb, &c, 0);
	ok(c.bytes == 3, "no records while paused (%llu bytes)", c.bytes);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0, "START resumes");
	ok(tcollect_until(aem, &c, nbytes, &want, 3000),
	   "the bytes sent meanwhile arrive");
	for (i = 0; i < (int)c.n; i++) {
		if (c.recs[i].kind == AEM_TCP_DATA && at + c.recs[i].len < 8) {
			memcpy(got + at, c.recs[i].data, c.recs[i].len);
			at += c.recs[i].len;
		}
	}
	ok(!strcmp(got, "abcdef"), "in order: %s", got);
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	close(afd);
	close(cfd);
	close(lfd);
	tcollect_reset(&c);
	free(c.recs);
}

/* ---- validation -------------------------------------------------------- */

static long attach_raw(struct aem *aem, uint32_t call, struct aem_tcp_args *a,
		       uint32_t len, uint32_t flags)
{
	return aem_entry(aem, tcp.service_id, tcp.first_call + call, a, len,
			 0, 0, flags, NULL);
}

static struct aem_tcp_args *targs(struct aem_tcp_args *a, int fd,
				  uint32_t chunk)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->chunk = chunk;
	return a;
}

static void test_validation(struct aem *aem)
{
	struct aem_tcp_args a;
	uint16_t port;
	int lfd = tcp_listener(&port, 4), cfd = tcp_client(port, 0);
	int afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	int p[2], ufd = socket(AF_INET, SOCK_DGRAM, 0);
	int fresh = socket(AF_INET, SOCK_STREAM, 0);

	if (pipe(p))
		tap_bail("pipe");
#define A(fd_, chunk_) targs(&a, (fd_), (chunk_))
	is_ret(attach_raw(aem, 0, A(-1, 0), sizeof(a), 0), -EBADF,
	       "fd -1: EBADF");
	is_ret(attach_raw(aem, 0, A(999, 0), sizeof(a), 0), -EBADF,
	       "closed fd: EBADF");
	is_ret(attach_raw(aem, 0, A(p[0], 0), sizeof(a), 0), -ENOTSOCK,
	       "a pipe: ENOTSOCK");
	is_ret(attach_raw(aem, 1, A(aem_fd(aem), 0), sizeof(a), 0), -ENOTSOCK,
	       "/dev/aem itself: ENOTSOCK");
	is_ret(attach_raw(aem, 1, A(ufd, 0), sizeof(a), 0), -EINVAL,
	       "UDP: EINVAL");
	is_ret(attach_raw(aem, 1, A(fresh, 0), sizeof(a), 0), -EINVAL,
	       "an unconnected TCP socket: EINVAL");
	is_ret(attach_raw(aem, 0, A(afd, 0), sizeof(a), 0), -EINVAL,
	       "LISTENER on a connection: EINVAL");
	is_ret(attach_raw(aem, 1, A(lfd, 0), sizeof(a), 0), -EINVAL,
	       "CONNECTION on a listener: EINVAL");
	is_ret(attach_raw(aem, 0, A(lfd, 100), sizeof(a), 0), -EINVAL,
	       "LISTENER with a chunk: EINVAL");
	is_ret(attach_raw(aem, 1, A(afd, 63), sizeof(a), 0), -EINVAL,
	       "chunk 63: EINVAL");
	is_ret(attach_raw(aem, 1, A(afd, AEM_TCP_CHUNK_MAX + 1), sizeof(a), 0),
	       -EINVAL, "chunk too large: EINVAL");
	A(afd, 0);
	a.flags = 2;
	is_ret(attach_raw(aem, 1, &a, sizeof(a), 0), -EINVAL, "flags: EINVAL");
	A(lfd, 0);
	a.flags = AEM_TCP_F_CONNECT;
	is_ret(attach_raw(aem, 0, &a, sizeof(a), 0), -EINVAL,
	       "CONNECT on a listener: EINVAL");
	A(afd, 0);
	a.reserved = 1;
	is_ret(attach_raw(aem, 1, &a, sizeof(a), 0), -EINVAL,
	       "reserved: EINVAL");
	is_ret(attach_raw(aem, 1, A(afd, 0), sizeof(a) - 4, 0), -EINVAL,
	       "short args: EINVAL");
	is_ret(attach_raw(aem, 2, A(afd, 0), sizeof(a), 0), -EINVAL,
	       "call 2: EINVAL");
	is_ret(attach_raw(aem, 1, A(afd, 0), sizeof(a), AEM_ENTRY_F_START), 0,
	       "attach once");
	is_ret(attach_raw(aem, 1, A(afd, 0), sizeof(a), AEM_ENTRY_F_START),
	       -EBUSY, "attach twice: EBUSY");
	is_ret(attach_raw(aem, 0, A(lfd, 0), sizeof(a), AEM_ENTRY_F_START), 0,
	       "listener once");
	is_ret(attach_raw(aem, 0, A(lfd, 0), sizeof(a), AEM_ENTRY_F_START),
	       -EBUSY, "listener twice: EBUSY");
#undef A
	close(p[0]);
	close(p[1]);
	close(ufd);
	close(fresh);
	close(afd);
	close(cfd);
	close(lfd);
}

int main(void)
{
	long tcp0 = module_refcnt("aem_tcp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used(), socks1;
	struct aem *aem;

	diag("t_tcp: the TCP service on loopback");
	signal(SIGPIPE, SIG_IGN);
	if (aem_open(&aem, NULL, 64))
		tap_bail("aem_open");
	is_ret(aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp), 0,
	       "lookup tcp 1.0.0");
	test_accept_and_data(aem);
	test_writable(aem);
	test_connect_and_reset(aem);
	test_stop_start(aem);
	test_validation(aem);
	aem_close(aem);
	test_large_transfer();
	test_accept_full_ring();
	ok(module_refcnt("aem_tcp") == tcp0 && module_refcnt("aem_core") == core0,
	   "module references back (%ld, %ld)", module_refcnt("aem_tcp"),
	   module_refcnt("aem_core"));
	socks1 = sockets_settle(socks0, 3000);
	ok(socks1 <= socks0, "every socket released (%ld -> %ld)", socks0,
	   socks1);
	return tap_done();
}
