// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_kill.c - a process killed with 10,000 armed timers (its ring full and
 * a backlog waiting) leaves nothing behind: the module references its
 * events held are all dropped by the time waitpid() returns.  The unload
 * step of the VM run then checks that rmmod succeeds.
 */
#include "libaem.h"
#include "tap.h"

#include <signal.h>

#define MS	1000000ULL
enum { NTIMERS = 10000 };

static void child(int out, int periodic)
{
	struct aem_service_info si;
	struct aem *aem;
	unsigned int i;
	char c = 1;

	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		_exit(2);
	for (i = 0; i < NTIMERS; i++) {
		/* Spread over 1 s, then once a second: ~10k expiries/s. */
		uint64_t first = (1 + i % 1000) * MS;

		if (aem_timer_create(aem, &si, first,
				     periodic ? 1000 * MS : 0, i,
				     AEM_ENTRY_F_START, NULL))
			_exit(3);
	}
	if (write(out, &c, 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

static void run_once(int periodic)
{
	const char *kind = periodic ? "periodic" : "one-shot";
	long timers0 = module_refcnt("aem_timers");
	long core0 = module_refcnt("aem_core");
	unsigned long long t0;
	int fds[2], st;
	long timers1;
	char c;
	pid_t pid;

	if (pipe(fds))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], periodic);
	}
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "child armed %d %s timers", NTIMERS,
	   kind);
	close(fds[0]);
	timers1 = module_refcnt("aem_timers");
	ok(timers1 == timers0 + NTIMERS && module_refcnt("aem_core") == core0 + 1,
	   "aem_timers refcnt %ld -> %ld, aem_core %ld -> %ld", timers0,
	   timers1, core0, module_refcnt("aem_core"));

	sleep_ms(500);	/* let the ring fill and a backlog form */
	t0 = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child killed");
	diag("teardown took %.1f ms", (now_ns() - t0) / 1e6);
	ok(module_refcnt("aem_timers") == timers0 &&
	   module_refcnt("aem_core") == core0,
	   "refcounts are back when waitpid() returns (%ld, %ld)",
	   module_refcnt("aem_timers"), module_refcnt("aem_core"));
}

int main(void)
{
	diag("t_kill: teardown of a killed process");
	run_once(1);
	run_once(0);
	return tap_done();
}
