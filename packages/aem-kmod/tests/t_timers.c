// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_timers.c - the timers service through libaem: one-shot and periodic
 * timers, start/stop/shutdown/priority, record contents, poll.
 * Timing bounds are one-sided where emulation makes them loose: a timer
 * must never fire early, and must fire eventually.
 */
#include "libaem.h"
#include "tap.h"

#define MS	1000000ULL

struct seen {
	unsigned int records;
	unsigned int bad;
	uint64_t expirations;
	uint64_t first_ns, last_ns;
	uint64_t event_id, user_data;
	unsigned int priority;
};

static int collect(const struct aem_record *rec, void *arg)
{
	const struct aem_timer_record *tr = (const void *)rec->payload;
	struct seen *s = arg;

	if (rec->type != AEM_REC_TIMER ||
	    rec->len != sizeof(*rec) + sizeof(*tr) ||
	    (s->records && rec->event_id != s->event_id) ||
	    tr->expirations == 0 || tr->time_ns < s->last_ns)
		s->bad++;
	if (!s->records)
		s->first_ns = tr->time_ns;
	s->records++;
	s->expirations += tr->expirations;
	s->last_ns = tr->time_ns;
	s->event_id = rec->event_id;
	s->user_data = rec->user_data;
	s->priority = rec->priority;
	return 0;
}

/* Drain until @want expirations were seen or @timeout_ms passed. */
static void drain_until(struct aem *aem, struct seen *s, uint64_t want,
			unsigned int timeout_ms)
{
	unsigned long long end = now_ns() + timeout_ms * MS;

	while (s->expirations < want && now_ns() < end) {
		aem_wait(aem, 10);
		aem_drain(aem, collect, s, 0);
	}
}

static void test_oneshot(struct aem *aem, const struct aem_service_info *si)
{
	struct aem_timer_args ta = { .initial_ns = 20 * MS };
	struct seen s = { 0 };
	unsigned long long t0, t1;
	uint64_t id;

	is_ret(aem_wait(aem, 0), 0, "poll: nothing to read at first");
	t0 = now_ns();
	is_ret(aem_entry(aem, si->service_id, si->first_call, &ta, sizeof(ta),
			 0xabc, 9, AEM_ENTRY_F_START, &id), 0,
	       "create and start a 20 ms one-shot timer");
	is_ret(aem_wait(aem, 5000), 1, "poll: readable once it expired");
	drain_until(aem, &s, 1, 5000);
	t1 = now_ns();
	ok(s.records == 1 && s.expirations == 1 && !s.bad,
	   "one record, one expiration (%u records, %llu)", s.records,
	   (unsigned long long)s.expirations);
	ok(s.event_id == id && s.user_data == 0xabc && s.priority == 9,
	   "record carries event id, user data and priority");
	ok(s.last_ns >= t0 + 20 * MS && s.last_ns <= t1,
	   "expiry time is not early and not in the future (+%.1f ms)",
	   (s.last_ns - t0) / 1e6);
	sleep_ms(100);
	is_ret(aem_drain(aem, collect, &s, 0), 0,
	       "a one-shot timer expires once");
	is_ret(aem_wait(aem, 0), 0, "poll: nothing to read after draining");

	memset(&s, 0, sizeof(s));
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0,
	       "START re-arms an expired one-shot timer");
	drain_until(aem, &s, 1, 5000);
	ok(s.records == 1 && s.expirations == 1,
	   "it expires once more (%u records)", s.records);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0, "shut it down");
}

static void test_periodic(struct aem *aem, const struct aem_service_info *si)
{
	struct aem_timer_args ta = { .initial_ns = 10 * MS,
				     .interval_ns = 10 * MS };
	struct seen s = { 0 };
	unsigned long long t0, t1, max;
	uint64_t id;

	t0 = now_ns();
	is_ret(aem_entry(aem, si->service_id, si->first_call, &ta, sizeof(ta),
			 7, 0, AEM_ENTRY_F_START, &id), 0,
	       "create and start a 10 ms periodic timer");
	drain_until(aem, &s, ~0ULL, 300);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_STOP, 0), 0, "STOP it");
	t1 = now_ns();
	aem_drain(aem, collect, &s, 0);
	max = (t1 - t0) / (10 * MS);
	ok(!s.bad, "records are well-formed, times never go back");
	ok(s.expirations <= max,
	   "never more expirations than periods elapsed (%llu <= %llu)",
	   (unsigned long long)s.expirations, max);
	ok(s.expirations >= max / 3,
	   "expirations keep up with the period (%llu of %llu in %u records)",
	   (unsigned long long)s.expirations, max, s.records);
	ok(s.first_ns >= t0 + 10 * MS, "the first expiry is not early");

	sleep_ms(60);
	memset(&s, 0, sizeof(s));
	aem_drain(aem, collect, &s, 0);
	ok(s.records == 0, "no record after STOP (%u)", s.records);

	is_ret(aem_evctl(aem, id, AEM_EVCTL_PRIO, 200), 0, "PRIO 200");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0, "START again");
	drain_until(aem, &s, 3, 5000);
	ok(s.expirations >= 3 && s.priority == 200 && s.user_data == 7,
	   "it runs again and its records carry priority 200");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0, "SHUTDOWN");
	aem_drain(aem, collect, &s, 0);
	sleep_ms(60);
	memset(&s, 0, sizeof(s));
	aem_drain(aem, collect, &s, 0);
	ok(s.records == 0, "no record after SHUTDOWN (%u)", s.records);
	is_ret(aem_evctl(aem, id, AEM_EVCTL_STOP, 0), -ENOENT,
	       "the event is gone");
}

static void test_stopped(struct aem *aem, const struct aem_service_info *si)
{
	struct seen s = { 0 };
	uint64_t id;

	is_ret(aem_timer_create(aem, si, 1 * MS, 1 * MS, 0, 0, &id), 0,
	       "create a 1 ms periodic timer without START");
	sleep_ms(50);
	aem_drain(aem, collect, &s, 0);
	ok(s.records == 0, "a timer not started never fires");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0, "shut it down");
}

enum { MANY = 1000 };

struct many {
	uint64_t ids[MANY];
	unsigned char hit[MANY];
	unsigned int got, bad;
};

static int many_cb(const struct aem_record *rec, void *arg)
{
	struct many *m = arg;

	if (rec->user_data >= MANY || m->hit[rec->user_data] ||
	    rec->event_id != m->ids[rec->user_data])
		m->bad++;
	else
		m->hit[rec->user_data] = 1;
	m->got++;
	return 0;
}

static void test_many(struct aem *aem, const struct aem_service_info *si)
{
	static struct many m;
	unsigned long long end;
	unsigned int i;

	for (i = 0; i < MANY; i++)
		if (aem_timer_create(aem, si, (1 + i % 50) * MS, 0, i,
				     AEM_ENTRY_F_START, &m.ids[i]))
			break;
	ok(i == MANY, "create %d one-shot timers of 1..50 ms", MANY);

	end = now_ns() + 10000 * MS;
	while (m.got < MANY && now_ns() < end) {
		aem_wait(aem, 10);
		aem_drain(aem, many_cb, &m, 0);
	}
	sleep_ms(20);
	aem_drain(aem, many_cb, &m, 0);
	ok(m.got == MANY && !m.bad,
	   "each fires exactly once (%u records, %u bad)", m.got, m.bad);
	for (i = 0; i < MANY; i++)
		aem_evctl(aem, m.ids[i], AEM_EVCTL_SHUTDOWN, 0);
}

int main(void)
{
	struct aem_service_info si;
	struct aem *aem;

	diag("t_timers: one-shot and periodic timers");
	if (aem_open(&aem, NULL, 16) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("open/lookup failed");
	test_oneshot(aem, &si);
	test_periodic(aem, &si);
	test_stopped(aem, &si);
	test_many(aem, &si);
	ok(aem_dropped(aem) == 0 && !(aem_ring_flags(aem) & AEM_RING_F_OVERFLOW),
	   "nothing was dropped");
	aem_close(aem);
	return tap_done();
}
