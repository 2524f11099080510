// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_ring.c - the ring: a full ring coalesces timer expiries instead of
 * losing them, the backlog is flushed by AEM_IOC_FLUSH and by poll(), a
 * lying consumer position hurts only its own context, and a context lives
 * until its last fd and mapping are gone.
 */
#include "libaem.h"
#include "tap.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define MS	1000000ULL

enum { NT = 150 };		/* > the 102 records one 4 KiB page holds */
#define PERIOD	(20 * MS)

struct coalesce {
	uint64_t ids[NT];
	unsigned long long start_before[NT], start_after[NT];
	unsigned long long stop_before[NT], stop_after[NT];
	uint64_t sum[NT];
	unsigned int records, coalesced, bad;
};

static int coalesce_cb(const struct aem_record *rec, void *arg)
{
	const struct aem_timer_record *tr = (const void *)rec->payload;
	struct coalesce *c = arg;

	if (rec->type != AEM_REC_TIMER || rec->user_data >= NT ||
	    rec->event_id != c->ids[rec->user_data]) {
		c->bad++;
		return 0;
	}
	c->records++;
	c->sum[rec->user_data] += tr->expirations;
	if (tr->expirations > 1)
		c->coalesced++;
	return 0;
}

/* Map the consumer page a second time, to lie about the position. */
static struct aem_ring_consumer *map_consumer(struct aem *aem)
{
	void *p = mmap(NULL, aem_abi(aem)->page_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, aem_fd(aem), 0);

	return p == MAP_FAILED ? NULL : p;
}

static void test_coalesce(const struct aem_service_info *want)
{
	static struct coalesce c;
	struct aem_timer_args ta = { .initial_ns = 1 * MS };
	const struct aem_ring_producer *prod;
	struct aem_service_info si;
	struct aem_ring_consumer *cons;
	uint64_t before, pos, id;
	unsigned int i, early = 0, lost = 0, made = 0;
	uint64_t total = 0;
	struct aem *aem;
	int flushed;

	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "timers", want->version, AEM_LOOKUP_EXACT, &si))
		tap_bail("open/lookup failed");
	for (i = 0; i < NT; i++) {
		c.start_before[i] = now_ns();
		if (!aem_timer_create(aem, &si, PERIOD, PERIOD, i,
				      AEM_ENTRY_F_START, &c.ids[i]))
			made++;
		c.start_after[i] = now_ns();
	}
	ok(made == NT, "start %d periodic 20 ms timers on a one-page ring",
	   NT);
	sleep_ms(300);
	ok(aem_ring_flags(aem) & AEM_RING_F_BACKLOG,
	   "unread ring fills up: AEM_RING_F_BACKLOG is set");
	ok(aem_ring_pending_bytes(aem) > 4096 - 80,
	   "the ring is full (%llu bytes unread)",
	   (unsigned long long)aem_ring_pending_bytes(aem));
	ok(aem_dropped(aem) == 0 &&
	   !(aem_ring_flags(aem) & AEM_RING_F_OVERFLOW),
	   "nothing is dropped while full");

	/* poll() alone flushes the backlog once there is room. */
	cons = map_consumer(aem);
	ok(cons != NULL, "map the consumer page a second time");
	if (!cons)
		return;
	sleep_ms(100);

	for (i = 0; i < NT; i++) {
		c.stop_before[i] = now_ns();
		aem_evctl(aem, c.ids[i], AEM_EVCTL_STOP, 0);
		c.stop_after[i] = now_ns();
	}
	/* Drain (and flush) until both the ring and the backlog are empty. */
	do {
		aem_drain(aem, coalesce_cb, &c, 0);
		flushed = ioctl(aem_fd(aem), AEM_IOC_FLUSH, NULL);
	} while (flushed > 0);
	aem_drain(aem, coalesce_cb, &c, 0);
	ok(!(aem_ring_flags(aem) & AEM_RING_F_BACKLOG),
	   "after draining, the backlog is empty");
	ok(!c.bad, "every record names a timer of this context");
	ok(c.coalesced > 0, "%u records carried coalesced expirations",
	   c.coalesced);

	/*
	 * Every expiry is counted: between start and stop, a timer expires
	 * floor(elapsed / period) times, give or take the moments the
	 * ioctls took; one late expiry cancelled by STOP is tolerated.
	 */
	for (i = 0; i < NT; i++) {
		unsigned long long hi = (c.stop_after[i] - c.start_before[i]) /
					PERIOD;
		unsigned long long lo = (c.stop_before[i] - c.start_after[i]) /
					PERIOD;

		total += c.sum[i];
		if (c.sum[i] > hi)
			early++;
		if (c.sum[i] + 1 < lo)
			lost++;
		if (c.sum[i] > hi || c.sum[i] + 1 < lo)
			diag("  timer %u: %llu expirations, expected %llu..%llu",
			     i, (unsigned long long)c.sum[i], lo, hi);
	}
	ok(!early, "no timer reports more expiries than elapsed periods");
	ok(!lost, "no expiry is lost to the full ring (%llu in %u records)",
	   (unsigned long long)total, c.records);
	ok(aem_dropped(aem) == 0, "dropped counter stays 0");

	/* Full ring again, then consume by hand and rely on poll(). */
	for (i = 0; i < NT; i++)
		aem_evctl(aem, c.ids[i], AEM_EVCTL_START, 0);
	sleep_ms(200);
	for (i = 0; i < NT; i++)
		aem_evctl(aem, c.ids[i], AEM_EVCTL_STOP, 0);
	ok(aem_ring_flags(aem) & AEM_RING_F_BACKLOG, "the ring is full again");
	prod = mmap(NULL, aem_abi(aem)->page_size, PROT_READ, MAP_SHARED,
		    aem_fd(aem), aem_abi(aem)->page_size);
	before = prod->producer_pos;
	__atomic_store_n(&cons->consumer_pos, before, __ATOMIC_RELEASE);
	is_ret(aem_wait(aem, 0), 1, "poll() after consuming by hand");
	ok(prod->producer_pos > before, "poll() moved the backlog into the ring");
	munmap((void *)prod, aem_abi(aem)->page_size);

	/* A consumer position ahead of the producer: the ring counts as full. */
	do {
		aem_drain(aem, coalesce_cb, &c, 0);
	} while (ioctl(aem_fd(aem), AEM_IOC_FLUSH, NULL) > 0);
	pos = cons->consumer_pos;
	cons->consumer_pos = pos + 1000000;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 999, 0, AEM_ENTRY_F_START, &id), 0,
	       "one-shot timer with a lying consumer position");
	sleep_ms(50);
	ok(aem_ring_flags(aem) & AEM_RING_F_BACKLOG,
	   "the kernel did not write past a lying consumer position");
	cons->consumer_pos = ~0ULL;
	is_ret(ioctl(aem_fd(aem), AEM_IOC_FLUSH, NULL), 0,
	       "FLUSH with consumer_pos 2^64-1 writes nothing");
	cons->consumer_pos = pos;
	is_ret(ioctl(aem_fd(aem), AEM_IOC_FLUSH, NULL), 1,
	       "with the position restored, FLUSH writes the record");
	aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0);
	munmap(cons, aem_abi(aem)->page_size);
	aem_close(aem);
}

static void test_mapping_outlives_fd(const struct aem_service_info *want)
{
	struct aem_ring_setup rs = { .data_pages = 1 };
	struct aem_timer_args ta = { .initial_ns = 10 * MS,
				     .interval_ns = 10 * MS };
	struct aem_lookup lu = { .version = want->version,
				 .flags = AEM_LOOKUP_EXACT };
	struct aem_entry en = { 0 };
	const struct aem_ring_producer *prod;
	long page = sysconf(_SC_PAGESIZE);
	long timers0 = module_refcnt("aem_timers");
	long core0 = module_refcnt("aem_core");
	uint64_t pos;
	int fd;

	fd = open("/dev/aem", O_RDWR);
	strcpy(lu.name, "timers");
	if (fd < 0 || ioctl(fd, AEM_IOC_RING_SETUP, &rs) ||
	    ioctl(fd, AEM_IOC_LOOKUP, &lu))
		tap_bail("raw open/setup/lookup failed");
	prod = mmap(NULL, page + rs.data_size, PROT_READ, MAP_SHARED, fd,
		    rs.producer_offset);
	en.service_id = lu.service_id;
	en.call = lu.first_call;
	en.args = (uintptr_t)&ta;
	en.args_len = sizeof(ta);
	en.flags = AEM_ENTRY_F_START;
	ok(prod != MAP_FAILED && !ioctl(fd, AEM_IOC_ENTRY, &en),
	   "map the ring and start a periodic timer");
	close(fd);
	pos = prod->producer_pos;
	sleep_ms(100);
	ok(prod->producer_pos > pos,
	   "after close(), the mapping keeps the context and its events");
	ok(module_refcnt("aem_timers") == timers0 + 1 &&
	   module_refcnt("aem_core") == core0 + 1,
	   "module references are still held");
	munmap((void *)prod, page + rs.data_size);
	ok(module_refcnt("aem_timers") == timers0 &&
	   module_refcnt("aem_core") == core0,
	   "munmap of the last mapping releases them (%ld, %ld)",
	   module_refcnt("aem_timers"), module_refcnt("aem_core"));
}

int main(void)
{
	struct aem_service_info si;
	struct aem *aem;

	diag("t_ring: full ring, backlog, lying consumer, context lifetime");
	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("open/lookup failed");
	aem_close(aem);
	test_coalesce(&si);
	test_mapping_outlives_fd(&si);
	return tap_done();
}
