// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_tcp_kill.c - teardown of the TCP service under load: a process killed
 * mid-stream (and in an accept storm with its ring full), the fd of an
 * attached socket closed while data arrives, the /dev/aem fd closed with
 * live events during a burst, pause/resume during a burst, which must not
 * lose or reorder a byte, and shutdown (detach) during a burst.  After each, the modules' references
 * and the sockets are back where they were; the VM run checks dmesg and
 * that rmmod succeeds.
 */
#include "tcp_util.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>

static struct aem_service_info tcp;

/* A non-blocking sender: writes the test stream until told to stop. */
struct blaster {
	int fd;
	uint64_t seed, sent, limit;
	volatile int stop;
	int err;
};

static void *blast(void *arg)
{
	struct blaster *b = arg;
	uint8_t buf[16384];

	while (!b->stop && b->sent < b->limit) {
		size_t n = b->limit - b->sent < sizeof(buf) ?
			   b->limit - b->sent : sizeof(buf);
		ssize_t w;

		stream_fill(b->seed, b->sent, buf, n);
		w = send(b->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN) {
				struct pollfd p = { b->fd, POLLOUT, 0 };

				poll(&p, 1, 20);
				continue;
			}
			b->err = errno;
			break;
		}
		b->sent += w;
	}
	if (!b->stop)
		shutdown(b->fd, SHUT_WR);
	return NULL;
}

/* ---- kill mid-stream --------------------------------------------------- */

enum { NCONN = 16 };

static void child_server(int out, int ring_pages, int drain)
{
	struct aem *aem;
	uint16_t port;
	int lfd;

	if (aem_open(&aem, NULL, ring_pages) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		_exit(2);
	lfd = tcp_listener(&port, 128);
	if (aem_tcp_attach(aem, &tcp, lfd, AEM_TCP_CALL_LISTENER, 0, 0,
			   AEM_ENTRY_F_START, NULL))
		_exit(3);
	if (write(out, &port, sizeof(port)) != sizeof(port))
		_exit(4);
	for (;;) {
		struct tcollect c = { 0 };
		unsigned int i;

		aem_wait(aem, 50);
		if (!drain)
			continue;
		aem_drain(aem, tcollect_cb, &c, 0);
		for (i = 0; i < c.n; i++)
			if (c.recs[i].kind == AEM_TCP_ACCEPT)
				aem_tcp_attach(aem, &tcp, (int)c.recs[i].value,
					       AEM_TCP_CALL_CONNECTION, 0, 0,
					       AEM_ENTRY_F_START, NULL);
		tcollect_reset(&c);
		free(c.recs);
		sleep_ms(5);	/* a slow consumer: the rings fill */
	}
}

static void test_kill(int drain, int nconn)
{
	long tcp0 = module_refcnt("aem_tcp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	struct blaster b[NCONN];
	pthread_t th[NCONN];
	int fds[2], st, i, n, gone = 0;
	uint16_t port;
	pid_t pid;
	int cfd[64];

	if (pipe(fds))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_server(fds[1], drain ? 4 : 1, drain);
	}
	close(fds[1]);
	if (read(fds[0], &port, sizeof(port)) != sizeof(port))
		tap_bail("child");
	close(fds[0]);
	n = drain ? NCONN : nconn;
	for (i = 0; i < n; i++)
		cfd[i] = tcp_client(port, 0);
	if (drain) {
		for (i = 0; i < n; i++) {
			b[i] = (struct blaster){ .fd = cfd[i], .seed = i,
						 .limit = ~0ULL };
			pthread_create(&th[i], NULL, blast, &b[i]);
		}
	}
	sleep_ms(700);
	ok(module_refcnt("aem_tcp") > tcp0, "%s: the child holds %ld events",
	   drain ? "mid-stream" : "accept storm",
	   module_refcnt("aem_tcp") - tcp0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st), "child killed");
	ok(refs_back("aem_tcp", tcp0, core0, 2000), "module references back (%ld, %ld)",
	   module_refcnt("aem_tcp") - tcp0, module_refcnt("aem_core") - core0);
	if (drain) {
		for (i = 0; i < n; i++) {
			pthread_join(th[i], NULL);
			gone += b[i].err == EPIPE || b[i].err == ECONNRESET;
		}
		ok(gone == n, "every sender saw its connection go (%d of %d)",
		   gone, n);
	}
	for (i = 0; i < n; i++)
		close(cfd[i]);
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
}

static void discard(uint64_t id, const uint8_t *p, uint32_t len, void *arg)
{
	(void)id;
	(void)p;
	(void)len;
	(void)arg;
}

/* ---- close and teardown during data ------------------------------------ */

static void test_close_during_data(void)
{
	long tcp0 = module_refcnt("aem_tcp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	struct tcollect c = { .on_data = discard };
	struct blaster b[2];
	pthread_t th[2];
	struct aem *aem;
	uint16_t port;
	int lfd, afd[2], i;
	uint64_t id;

	if (aem_open(&aem, NULL, 4) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		tap_bail("open");
	lfd = tcp_listener(&port, 4);
	for (i = 0; i < 2; i++) {
		b[i] = (struct blaster){ .fd = tcp_client(port, 0),
					 .limit = ~0ULL };
		afd[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		aem_tcp_attach(aem, &tcp, afd[i], AEM_TCP_CALL_CONNECTION, 0,
			       i, AEM_ENTRY_F_START, i ? NULL : &id);
		pthread_create(&th[i], NULL, blast, &b[i]);
	}
	sleep_ms(100);
	aem_drain(aem, tcollect_cb, &c, 0);
	close(afd[0]);	/* the event keeps the socket */
	c.bytes = 0;
	tcollect_until(aem, &c, has_kind, (void *)0xffff, 300);
	ok(c.bytes > 0, "fd closed while attached: data still arrives (%llu)",
	   c.bytes);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shutdown releases the socket");
	b[0].stop = 0;
	pthread_join(th[0], NULL);
	ok(b[0].err == EPIPE || b[0].err == ECONNRESET,
	   "its peer sees the connection go (%s)", strerror(b[0].err));
	/* Context teardown with a live event during a burst, ring full. */
	sleep_ms(100);
	aem_close(aem);
	close(afd[1]);
	pthread_join(th[1], NULL);
	ok(b[1].err == EPIPE || b[1].err == ECONNRESET,
	   "context teardown mid-burst, then close(): the peer sees it (%s)",
	   strerror(b[1].err));
	ok(refs_back("aem_tcp", tcp0, core0, 2000), "module references back");
	close(b[0].fd);
	close(b[1].fd);
	close(lfd);
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
	tcollect_reset(&c);
	free(c.recs);
}

/* ---- pause, resume and shutdown during a burst ------------------------- */

struct checker {
	uint64_t seed, pos;
	int bad;
};

static void check_data(uint64_t id, const uint8_t *p, uint32_t len, void *arg)
{
	struct checker *k = arg;
	uint32_t i;

	(void)id;
	for (i = 0; i < len && !k->bad; i++)
		k->bad = p[i] != stream_byte(k->seed, k->pos + i);
	k->pos += len;
}

static void test_detach_during_burst(void)
{
	const uint64_t total = 4ULL << 20;
	long tcp0 = module_refcnt("aem_tcp"), core0 = module_refcnt("aem_core");
	struct checker k = { .seed = 99 };
	struct tcollect c = { .on_data = check_data, .arg = &k };
	struct blaster b = { .seed = 99, .limit = total }, b2;
	unsigned long long end;
	unsigned int toggles = 0;
	pthread_t th, th2;
	struct aem *aem;
	uint16_t port;
	int lfd, afd, afd2, attached = 1;
	uint64_t id, id2;

	if (aem_open(&aem, NULL, 8) ||
	    aem_lookup(aem, "tcp", AEM_VERSION(1, 0, 0), 0, &tcp))
		tap_bail("open");
	lfd = tcp_listener(&port, 4);
	b.fd = tcp_client(port, 0);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	aem_tcp_attach(aem, &tcp, afd, AEM_TCP_CALL_CONNECTION, 512, 0,
		       AEM_ENTRY_F_START, &id);
	pthread_create(&th, NULL, blast, &b);
	end = now_ns() + 60000000000ULL;
	while (c.bytes < total && now_ns() < end) {
		aem_evctl(aem, id, attached ? AEM_EVCTL_STOP : AEM_EVCTL_START,
			  0);
		attached = !attached;
		toggles++;
		aem_drain(aem, tcollect_cb, &c, 0);
		aem_wait(aem, 1);
	}
	if (!attached)
		aem_evctl(aem, id, AEM_EVCTL_START, 0);
	ok(c.bytes == total && !k.bad,
	   "%u pause/resume toggles during a 4 MiB burst: %llu bytes, %s",
	   toggles, c.bytes, k.bad ? "MISORDERED" : "in order");
	pthread_join(th, NULL);

	/* Shutdown during a burst. */
	b2 = (struct blaster){ .fd = tcp_client(port, 0), .limit = ~0ULL };
	afd2 = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	aem_tcp_attach(aem, &tcp, afd2, AEM_TCP_CALL_CONNECTION, 0, 0,
		       AEM_ENTRY_F_START, &id2);
	pthread_create(&th2, NULL, blast, &b2);
	sleep_ms(50);
	aem_drain(aem, NULL, NULL, 0);
	is_ret(aem_evctl(aem, id2, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shutdown during a burst");
	close(afd2);
	pthread_join(th2, NULL);
	ok(b2.err == EPIPE || b2.err == ECONNRESET, "the peer sees it (%s)",
	   strerror(b2.err));
	aem_close(aem);
	ok(refs_back("aem_tcp", tcp0, core0, 2000), "module references back");
	close(afd);
	close(b.fd);
	close(b2.fd);
	close(lfd);
	free(c.recs);
}

int main(void)
{
	diag("t_tcp_kill: teardown of the TCP service under load");
	signal(SIGPIPE, SIG_IGN);
	timed("kill mid-stream", test_kill(1, NCONN));
	timed("kill in an accept storm", test_kill(0, 50));
	timed("close during data", test_close_during_data());
	timed("detach during a burst", test_detach_during_burst());
	return tap_done();
}
