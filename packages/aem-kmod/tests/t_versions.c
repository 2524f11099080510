// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_versions.c - two versions of the timers service loaded at once: a
 * context keeps the version it bound while new contexts bind the newer
 * one; the old module cannot be removed while it has live events and can
 * be once they are gone.  Loads and removes modules: runs last.
 *
 * Needs aem_timers (1.0.0) loaded and $AEM_MODDIR/aem_timers_v1_2.ko.
 */
#include "libaem.h"
#include "tap.h"

#define MS	1000000ULL

static unsigned int count_records(struct aem *aem, unsigned int ms)
{
	unsigned long long end = now_ns() + ms * MS;
	int n, total = 0;

	while (now_ns() < end) {
		aem_wait(aem, 10);
		n = aem_drain(aem, NULL, NULL, 0);
		if (n > 0)
			total += n;
	}
	return total;
}

static int nop_cb(const struct aem_record *rec, void *arg)
{
	(void)rec;
	(void)arg;
	return 0;
}

int main(void)
{
	const char *dir = getenv("AEM_MODDIR") ? getenv("AEM_MODDIR") : "/aem";
	struct aem_service_info a1, b1, a2, exact;
	struct aem *a, *b;
	uint64_t ida, ida2, idb;
	char cmd[256];
	unsigned long long end;
	unsigned int n;

	diag("t_versions: timers 1.0.0 and 1.2.0 side by side");
	if (aem_open(&a, NULL, 4) || aem_open(&b, NULL, 4))
		tap_bail("open failed");

	is_ret(aem_lookup(a, "timers", AEM_VERSION(1, 0, 0), 0, &a1), 0,
	       "context A binds timers >= 1.0.0");
	ok(a1.version == AEM_VERSION(1, 0, 0), "A got 1.0.0");
	is_ret(aem_timer_create(a, &a1, 10 * MS, 10 * MS, 1, AEM_ENTRY_F_START,
				&ida), 0, "A starts a periodic timer on 1.0.0");

	snprintf(cmd, sizeof(cmd), "insmod %s/aem_timers_v1_2.ko", dir);
	is_ret(run(cmd), 0, "insmod aem_timers_v1_2.ko (timers 1.2.0)");

	is_ret(aem_lookup(b, "timers", AEM_VERSION(1, 0, 0), 0, &b1), 0,
	       "context B binds timers >= 1.0.0");
	ok(b1.version == AEM_VERSION(1, 2, 0) && b1.service_id != a1.service_id,
	   "B got the newest, 1.2.0, under another service id");
	is_ret(aem_lookup(b, "timers", AEM_VERSION(1, 0, 0), AEM_LOOKUP_EXACT,
			  &exact), 0, "an exact lookup still finds 1.0.0");
	ok(exact.service_id == a1.service_id, "with 1.0.0's id");
	is_ret(aem_lookup(b, "timers", AEM_VERSION(1, 1, 0), 0, &exact), 0,
	       "lookup >= 1.1.0 finds 1.2.0");
	is_ret(aem_timer_create(b, &b1, 10 * MS, 10 * MS, 2, AEM_ENTRY_F_START,
				&idb), 0, "B starts a periodic timer on 1.2.0");

	is_ret(aem_timer_create(a, &a1, 10 * MS, 10 * MS, 3, AEM_ENTRY_F_START,
				&ida2), 0,
	       "A keeps its binding: a second timer on 1.0.0");
	ok(module_refcnt("aem_timers") == 2 &&
	   module_refcnt("aem_timers_v1_2") == 1,
	   "1.0.0 holds A's two events, 1.2.0 B's one (%ld, %ld)",
	   module_refcnt("aem_timers"), module_refcnt("aem_timers_v1_2"));
	ok(count_records(a, 100) > 0 && count_records(b, 100) > 0,
	   "both versions deliver");

	ok(run("rmmod aem_timers 2>/dev/null") != 0,
	   "rmmod of 1.0.0 is refused while A has events on it");
	ok(module_refcnt("aem_timers") == 2, "and it stays loaded");

	aem_evctl(a, ida, AEM_EVCTL_SHUTDOWN, 0);
	aem_evctl(a, ida2, AEM_EVCTL_SHUTDOWN, 0);
	aem_drain(a, nop_cb, NULL, 0);
	ok(module_refcnt("aem_timers") == 0,
	   "A's shutdowns drop 1.0.0's references");
	is_ret(run("rmmod aem_timers"), 0, "rmmod of 1.0.0 now succeeds");

	is_ret(aem_timer_create(a, &a1, 10 * MS, 0, 4, 0, NULL), -ENOENT,
	       "A's entry on the unloaded version: ENOENT");
	is_ret(aem_lookup(a, "timers", AEM_VERSION(1, 0, 0), 0, &a2), 0,
	       "A looks up again");
	ok(a2.version == AEM_VERSION(1, 2, 0) && a2.service_id == b1.service_id,
	   "and binds 1.2.0");
	is_ret(aem_lookup(a, "timers", AEM_VERSION(1, 0, 0), AEM_LOOKUP_EXACT,
			  &exact), -ENOENT, "1.0.0 is gone");

	end = now_ns() + 200 * MS;
	n = 0;
	while (now_ns() < end) {
		int got;

		aem_wait(b, 10);
		got = aem_drain(b, nop_cb, NULL, 0);
		n += got > 0 ? got : 0;
	}
	ok(n > 0, "B's timer on 1.2.0 ran on throughout (%u records)", n);

	aem_close(a);
	aem_close(b);
	ok(module_refcnt("aem_timers_v1_2") == 0,
	   "closing the contexts drops 1.2.0's references");
	is_ret(run("rmmod aem_timers_v1_2"), 0, "rmmod aem_timers_v1_2");
	snprintf(cmd, sizeof(cmd), "insmod %s/aem_timers.ko", dir);
	is_ret(run(cmd), 0, "insmod aem_timers.ko again (as it was)");
	return tap_done();
}
