// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_isolation.c - two processes cannot see or control each other's
 * events.  Event ids are per context, so the other process's id names
 * nothing (or one of its own events) in this context.
 */
#include "libaem.h"
#include "tap.h"

#include <signal.h>
#include <sys/select.h>

#define MS	1000000ULL

struct child_result {
	int evctl_start, evctl_stop, evctl_prio, evctl_shutdown, flush;
	unsigned int records, foreign;
	uint64_t own_id;
};

struct tally {
	uint64_t user_data, event_id;
	unsigned int records, foreign;
};

static int tally_cb(const struct aem_record *rec, void *arg)
{
	struct tally *t = arg;

	t->records++;
	if (rec->user_data != t->user_data || rec->event_id != t->event_id)
		t->foreign++;
	return 0;
}

static void drain_for(struct aem *aem, struct tally *t, unsigned int ms)
{
	unsigned long long end = now_ns() + ms * MS;

	while (now_ns() < end) {
		aem_wait(aem, 10);
		aem_drain(aem, tally_cb, t, 0);
	}
}

static void child(int in, int out)
{
	struct child_result r = { 0 };
	struct aem_service_info si;
	struct tally t = { .user_data = 0xbbbb };
	struct aem *aem;
	uint64_t theirs;

	if (read(in, &theirs, sizeof(theirs)) != sizeof(theirs) ||
	    aem_open(&aem, NULL, 4) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		_exit(2);
	r.evctl_stop = aem_evctl(aem, theirs, AEM_EVCTL_STOP, 0);
	r.evctl_prio = aem_evctl(aem, theirs, AEM_EVCTL_PRIO, 1);
	r.evctl_start = aem_evctl(aem, theirs, AEM_EVCTL_START, 0);
	r.evctl_shutdown = aem_evctl(aem, theirs, AEM_EVCTL_SHUTDOWN, 0);
	r.flush = aem_drain(aem, tally_cb, &t, 0);

	if (aem_timer_create(aem, &si, 10 * MS, 10 * MS, 0xbbbb,
			     AEM_ENTRY_F_START, &r.own_id))
		_exit(3);
	t.event_id = r.own_id;
	drain_for(aem, &t, 200);
	/* Same number, own context: shuts down only the child's event. */
	aem_evctl(aem, r.own_id, AEM_EVCTL_SHUTDOWN, 0);
	r.records = t.records;
	r.foreign = t.foreign;
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(4);
	aem_close(aem);
	_exit(0);
}

int main(void)
{
	int to_child[2], from_child[2], st;
	struct tally t = { .user_data = 0xaaaa };
	struct aem_service_info si;
	struct child_result r;
	struct aem *aem;
	uint64_t id;
	pid_t pid;

	diag("t_isolation: contexts of two processes");
	if (pipe(to_child) || pipe(from_child))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		child(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);

	if (aem_open(&aem, NULL, 4) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("open/lookup failed");
	is_ret(aem_timer_create(aem, &si, 10 * MS, 10 * MS, 0xaaaa,
				AEM_ENTRY_F_START, &id), 0,
	       "parent starts a periodic timer");
	t.event_id = id;
	if (write(to_child[1], &id, sizeof(id)) != sizeof(id))
		tap_bail("write");

	/* Keep draining while the child works. */
	while (aem_wait(aem, 10) >= 0) {
		struct timeval tv = { 0, 0 };
		fd_set fds;

		aem_drain(aem, tally_cb, &t, 0);
		FD_ZERO(&fds);
		FD_SET(from_child[0], &fds);
		if (select(from_child[0] + 1, &fds, NULL, NULL, &tv) > 0)
			break;
	}
	if (read(from_child[0], &r, sizeof(r)) != sizeof(r))
		tap_bail("child failed");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited 0");

	ok(r.evctl_stop == -ENOENT && r.evctl_prio == -ENOENT &&
	   r.evctl_start == -ENOENT && r.evctl_shutdown == -ENOENT,
	   "child's STOP/PRIO/START/SHUTDOWN of the parent's event id: ENOENT");
	ok(r.flush == 0, "child's fresh ring shows none of the parent's records");
	ok(r.own_id == id, "child's own event got the same id number (%llu)",
	   (unsigned long long)r.own_id);
	ok(r.records > 0 && r.foreign == 0,
	   "child saw only its own records (%u, %u foreign)", r.records,
	   r.foreign);

	t.records = 0;
	drain_for(aem, &t, 100);
	ok(t.records > 0,
	   "parent's timer still runs after the child shut down its own "
	   "event with that id (%u records)", t.records);
	ok(t.foreign == 0, "parent saw only its own records");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "parent shuts its event down");
	aem_close(aem);
	return tap_done();
}
