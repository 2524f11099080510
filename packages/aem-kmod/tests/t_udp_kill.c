// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_udp_kill.c - teardown of the UDP service under load: a process killed
 * while 8 attached sockets are flooded (a slow consumer, its ring full and
 * datagrams waiting in the kernel), a process killed in the middle of
 * 1024-datagram send batches, the /dev/aem fd closed with live events
 * during a flood, the fd of an attached socket closed while datagrams
 * arrive, pause/resume toggles during a numbered burst (never reordered or
 * duplicated; received + counted drops = sent), and shutdown during a
 * flood.  After each, the modules' references and the sockets are back
 * where they were; the VM run checks dmesg and that rmmod succeeds.
 */
#include "udp_util.h"

#include <pthread.h>
#include <signal.h>

static struct aem_service_info udp;

enum { NSOCK = 8, NFLOOD = 2 };

/* Floods the ports with 1000-byte datagrams until told to stop. */
struct flooder {
	uint16_t ports[NSOCK];
	int nports;
	volatile int stop;
	unsigned long sent;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;
	uint8_t p[1000] = { 0 };
	uint16_t port;
	int fd = udp_socket("", 0, &port), i;

	while (!f->stop) {
		for (i = 0; i < f->nports; i++)
			if (udp_sendto(fd, "127.0.0.1", f->ports[i], p,
				       sizeof(p)) > 0)
				f->sent++;
	}
	close(fd);
	return NULL;
}

static void flood_start(struct flooder *f, pthread_t *th, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, flood, &f[i]);
}

static void flood_stop(struct flooder *f, pthread_t *th, int n)
{
	int i;

	for (i = 0; i < n; i++)
		f[i].stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

static struct aem *open_udp(unsigned int pages)
{
	struct aem *aem;

	if (aem_open(&aem, NULL, pages) ||
	    aem_lookup(aem, "udp", AEM_VERSION(1, 0, 0), 0, &udp))
		tap_bail("open");
	return aem;
}

/* ---- kill while receiving ------------------------------------------------ */

static void child_receiver(int out)
{
	struct aem *aem = open_udp(4);
	uint16_t ports[NSOCK];
	int i;

	for (i = 0; i < NSOCK; i++) {
		int fd = udp_socket("", 0, &ports[i]);

		if (aem_udp_attach(aem, &udp, fd, i, AEM_ENTRY_F_START, NULL))
			_exit(3);
	}
	if (write(out, ports, sizeof(ports)) != sizeof(ports))
		_exit(4);
	for (;;) {
		aem_wait(aem, 50);
		aem_drain(aem, NULL, NULL, 0);
		sleep_ms(5);	/* a slow consumer: the ring fills */
	}
}

static void test_kill_receiving(void)
{
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	struct flooder f[NFLOOD];
	pthread_t th[NFLOOD];
	uint16_t ports[NSOCK];
	int fds[2], st, i;
	pid_t pid;

	if (pipe(fds))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_receiver(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], ports, sizeof(ports)) != sizeof(ports))
		tap_bail("child");
	close(fds[0]);
	memset(f, 0, sizeof(f));
	for (i = 0; i < NFLOOD; i++) {
		memcpy(f[i].ports, ports, sizeof(ports));
		f[i].nports = NSOCK;
	}
	flood_start(f, th, NFLOOD);
	sleep_ms(700);
	ok(module_refcnt("aem_udp") - udp0 == NSOCK,
	   "mid-flood: the child holds %ld events",
	   module_refcnt("aem_udp") - udp0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st), "child killed");
	ok(refs_back("aem_udp", udp0, core0, 2000), "module references back (%ld, %ld)",
	   module_refcnt("aem_udp") - udp0, module_refcnt("aem_core") - core0);
	flood_stop(f, th, NFLOOD);
	diag("the flooders sent %lu datagrams", f[0].sent + f[1].sent);
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
}

/* ---- kill while sending -------------------------------------------------- */

static void child_sender(int out, uint16_t sink)
{
	struct aem *aem = open_udp(4);
	struct sockaddr_storage to;
	struct ubatch b;
	uint8_t p[1400] = { 0 };
	uint16_t port;
	int fd = udp_socket("", 0, &port), i;
	uint64_t id;
	char c = 1;

	if (aem_udp_attach(aem, &udp, fd, 0, AEM_ENTRY_F_START, &id))
		_exit(3);
	udp_addr("127.0.0.1", sink, &to);
	ubatch_init(&b, AEM_UDP_SEND_COUNT_MAX * aem_udp_msg_size(sizeof(p)) +
			64);
	for (i = 0; i < AEM_UDP_SEND_COUNT_MAX; i++)
		ubatch_add(&b, (void *)&to, p, sizeof(p));
	if (write(out, &c, 1) != 1)
		_exit(4);
	for (;;)
		ubatch_send(aem, id, &b);
}

static void test_kill_sending(void)
{
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	uint16_t sink;
	int sfd = udp_socket("", 0, &sink), fds[2], st;
	pid_t pid;
	char c;

	if (pipe(fds))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_sender(fds[1], sink);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		tap_bail("child");
	close(fds[0]);
	sleep_ms(500);
	ok(module_refcnt("aem_udp") - udp0 == 1,
	   "mid-send: the child holds its event");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st), "child killed in the middle of 1024-datagram batches");
	ok(refs_back("aem_udp", udp0, core0, 2000), "module references back");
	close(sfd);
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
}

/* ---- close and teardown during a flood ------------------------------------ */

static void test_close_during_flood(void)
{
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	long socks0 = sockets_used();
	struct flooder f[1];
	struct ucollect c;
	pthread_t th[1];
	struct aem *aem = open_udp(4);
	int fd[2], i;
	uint64_t id[2];
	unsigned long before, want;

	ucollect_init(&c);
	memset(f, 0, sizeof(f));
	for (i = 0; i < 2; i++) {
		fd[i] = udp_socket("", 0, &f[0].ports[i]);
		if (aem_udp_attach(aem, &udp, fd[i], i, AEM_ENTRY_F_START,
				   &id[i]))
			tap_bail("attach");
	}
	f[0].nports = 2;
	flood_start(f, th, 1);
	sleep_ms(100);
	aem_drain(aem, ucollect_cb, &c, 0);
	close(fd[0]);	/* the event keeps the socket */
	before = c.datagrams;
	want = before + 10;
	i = ucollect_until(aem, &c, udatagrams, &want, 3000);
	ok(i, "fd closed while attached: datagrams still arrive (%lu)",
	   c.datagrams - before);
	is_ret(aem_evctl(aem, id[0], AEM_EVCTL_SHUTDOWN, 0), 0,
	       "shutdown during the flood releases the socket");
	/* Context teardown with a live event mid-flood, ring full. */
	sleep_ms(100);
	aem_close(aem);
	flood_stop(f, th, 1);
	close(fd[1]);
	ok(refs_back("aem_udp", udp0, core0, 2000), "context closed mid-flood: references back");
	ok(sockets_settle(socks0, 3000) <= socks0,
	   "every socket released (%ld -> %ld)", socks0, sockets_used());
	ucollect_free(&c);
}

/* ---- pause and resume during a numbered burst ---------------------------- */

struct burst {
	uint16_t port;
	uint32_t total;
	volatile uint32_t sent;
};

static void *send_burst(void *arg)
{
	struct burst *b = arg;
	uint8_t p[200];
	uint16_t port;
	int fd = udp_socket("", 0, &port);

	for (b->sent = 0; b->sent < b->total;) {
		useq_fill(p, sizeof(p), b->sent);
		if (udp_sendto(fd, "127.0.0.1", b->port, p, sizeof(p)) > 0)
			b->sent++;
		if (b->sent % 256 == 0)
			sched_yield();
	}
	close(fd);
	return NULL;
}

struct order {
	long long last;
	unsigned long dup_or_back;
};

static void check_order(const struct aem_record *rec,
			const struct aem_udp_addr *addr, const uint8_t *p,
			uint32_t len, void *arg)
{
	struct order *o = arg;
	uint32_t seq;

	(void)rec;
	(void)addr;
	if (!useq_check(p, len, &seq) || (long long)seq <= o->last)
		o->dup_or_back++;
	else
		o->last = seq;
}

static void test_pause_resume_burst(void)
{
	long udp0 = module_refcnt("aem_udp"), core0 = module_refcnt("aem_core");
	struct burst b = { .total = 20000 };
	struct order o = { .last = -1 };
	struct aem *aem = open_udp(8);
	struct ucollect c;
	unsigned long long end;
	unsigned int toggles = 0;
	pthread_t th;
	int fd = udp_socket("", 1 << 20, &b.port), paused = 0;
	unsigned long lost0 = softnet_dropped(), lost;
	uint64_t id;

	ucollect_init(&c);
	c.on_datagram = check_order;
	c.arg = &o;
	if (aem_udp_attach(aem, &udp, fd, 0, AEM_ENTRY_F_START, &id))
		tap_bail("attach");
	pthread_create(&th, NULL, send_burst, &b);
	end = now_ns() + 60000000000ULL;
	while (now_ns() < end &&
	       (b.sent < b.total ||
		c.datagrams + (c.drops > 0 ? c.drops : 0) +
		softnet_dropped() - lost0 < b.total)) {
		if (b.sent < b.total || paused) {
			aem_evctl(aem, id, paused ? AEM_EVCTL_START :
						    AEM_EVCTL_STOP, 0);
			paused = !paused;
			toggles++;
		}
		aem_drain(aem, ucollect_cb, &c, 0);
		aem_wait(aem, 1);
	}
	pthread_join(th, NULL);
	lost = softnet_dropped() - lost0;
	ok(o.dup_or_back == 0,
	   "%u pause/resume toggles during a burst of %u: never reordered or duplicated",
	   toggles, b.total);
	ok(c.datagrams + (c.drops > 0 ? c.drops : 0) + lost == b.total,
	   "received %lu + socket drops %lld + input backlog drops %lu = sent %u",
	   c.datagrams, c.drops > 0 ? c.drops : 0, lost, b.total);
	aem_close(aem);
	close(fd);
	ok(refs_back("aem_udp", udp0, core0, 2000), "module references back");
	ucollect_free(&c);
}

int main(void)
{
	diag("t_udp_kill: teardown of the UDP service under load");
	signal(SIGPIPE, SIG_IGN);
	timed("kill while receiving", test_kill_receiving());
	timed("kill while sending", test_kill_sending());
	timed("close during a flood", test_close_during_flood());
	timed("pause/resume during a burst", test_pause_resume_burst());
	return tap_done();
}
