// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * b_timers.c - timer events per second delivered through the AEM ring,
 * against the natural peer in the same VM: one timerfd per timer in an
 * epoll set, one read() per expiry.  Both sides run the same timers (same
 * count, same period, same stagger) for the same time, with the load set
 * above what either can deliver, so the figures are capacities.  A
 * "event" is one handler invocation: one record, or one timerfd read
 * (both may carry several coalesced expirations).  Under emulation the
 * kernel's timer interrupts bound both sides, so the consumer's CPU time
 * per event is reported too (eventsPerCpuSec, cpuRatio).
 *
 *   b_timers [timers] [period_us] [seconds]
 *
 * Prints TAP (one line) for the harness and, last, BENCH kmod <json>.
 */
#include "libaem.h"
#include "tap.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>

struct result {
	double events_per_sec;
	double expirations_per_sec;
	double per_wakeup;
	double cpu_sec;
};

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct tally {
	uint64_t records, expirations;
};

static int count_cb(const struct aem_record *rec, void *arg)
{
	const struct aem_timer_record *tr = (const void *)rec->payload;
	struct tally *t = arg;

	t->records++;
	t->expirations += tr->expirations;
	return 0;
}

static int bench_aem(unsigned int n, uint64_t period_ns, double secs,
		     struct result *r)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct aem_service_info si;
	struct tally t = { 0 };
	unsigned long long t0, end;
	uint64_t wakeups = 0;
	struct aem *aem;
	unsigned int i;
	double c0;
	int ep;

	if (aem_open(&aem, NULL, 256) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		return -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, aem_fd(aem), &ev);
	for (i = 0; i < n; i++)
		if (aem_timer_create(aem, &si,
				     period_ns + period_ns * i / n, period_ns,
				     i, AEM_ENTRY_F_START, NULL))
			return -1;
	c0 = cpu_now();
	t0 = now_ns();
	end = t0 + secs * 1e9;
	while (now_ns() < end) {
		if (epoll_wait(ep, &out, 1, 100) <= 0)
			continue;
		wakeups++;
		aem_drain(aem, count_cb, &t, 0);
	}
	r->cpu_sec = cpu_now() - c0;
	secs = (now_ns() - t0) / 1e9;
	r->events_per_sec = t.records / secs;
	r->expirations_per_sec = t.expirations / secs;
	r->per_wakeup = wakeups ? (double)t.records / wakeups : 0;
	close(ep);
	aem_close(aem);
	return 0;
}

static int bench_timerfd(unsigned int n, uint64_t period_ns, double secs,
			 struct result *r)
{
	struct epoll_event *out = calloc(1024, sizeof(*out));
	int *fds = calloc(n, sizeof(*fds));
	uint64_t events = 0, expirations = 0, wakeups = 0;
	unsigned long long t0, end;
	unsigned int i;
	double c0;
	int ep, k;

	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < n; i++) {
		uint64_t first = period_ns + period_ns * i / n;
		struct itimerspec its = {
			.it_value = { first / 1000000000, first % 1000000000 },
			.it_interval = { period_ns / 1000000000,
					 period_ns % 1000000000 },
		};
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		fds[i] = timerfd_create(CLOCK_MONOTONIC,
					TFD_NONBLOCK | TFD_CLOEXEC);
		if (fds[i] < 0 || timerfd_settime(fds[i], 0, &its, NULL) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			return -1;
	}
	c0 = cpu_now();
	t0 = now_ns();
	end = t0 + secs * 1e9;
	while (now_ns() < end) {
		int got = epoll_wait(ep, out, 1024, 100);

		if (got <= 0)
			continue;
		wakeups++;
		for (k = 0; k < got; k++) {
			uint64_t x;

			if (read(fds[out[k].data.u32], &x, sizeof(x)) ==
			    sizeof(x)) {
				events++;
				expirations += x;
			}
		}
	}
	r->cpu_sec = cpu_now() - c0;
	secs = (now_ns() - t0) / 1e9;
	r->events_per_sec = events / secs;
	r->expirations_per_sec = expirations / secs;
	r->per_wakeup = wakeups ? (double)events / wakeups : 0;
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(ep);
	free(fds);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned int period_us = argc > 2 ? atoi(argv[2]) : 1000;
	double secs = argc > 3 ? atof(argv[3]) : 3;
	struct result a, b;
	int ret;

	struct rlimit nofile = { n + 64, n + 64 };

	diag("b_timers: %u timers every %u us for %.1f s, each side", n,
	     period_us, secs);
	/* One fd per timer for the baseline. */
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		diag("setrlimit(RLIMIT_NOFILE, %u): %s", n + 64,
		     strerror(errno));
	ret = bench_timerfd(n, period_us * 1000ULL, secs, &b);
	if (!ret)
		ret = bench_aem(n, period_us * 1000ULL, secs, &a);
	ok(!ret, "benchmark ran");
	if (ret)
		return tap_done();
	diag("aem:     %.0f events/s (%.0f expirations/s), %.1f records per wake-up, %.2f CPU s",
	     a.events_per_sec, a.expirations_per_sec, a.per_wakeup, a.cpu_sec);
	diag("timerfd: %.0f events/s (%.0f expirations/s), %.1f reads per wake-up, %.2f CPU s",
	     b.events_per_sec, b.expirations_per_sec, b.per_wakeup, b.cpu_sec);
	tap_done();
	printf("BENCH kmod-c {\"layer\":\"c\",\"timers\":%u,\"periodUs\":%u,"
	       "\"seconds\":%.1f,\"eventsPerSec\":%.0f,"
	       "\"baselineEventsPerSec\":%.0f,\"ratio\":%.2f,"
	       "\"recordsPerWakeup\":%.1f,\"baselineReadsPerWakeup\":%.1f,"
	       "\"expirationsPerSec\":%.0f,\"baselineExpirationsPerSec\":%.0f,"
	       "\"cpuSec\":%.2f,\"baselineCpuSec\":%.2f,"
	       "\"eventsPerCpuSec\":%.0f,\"baselineEventsPerCpuSec\":%.0f,"
	       "\"cpuRatio\":%.2f}\n",
	       n, period_us, secs, a.events_per_sec, b.events_per_sec,
	       b.events_per_sec ? a.events_per_sec / b.events_per_sec : 0,
	       a.per_wakeup, b.per_wakeup, a.expirations_per_sec,
	       b.expirations_per_sec, a.cpu_sec, b.cpu_sec,
	       a.events_per_sec * secs / a.cpu_sec,
	       b.events_per_sec * secs / b.cpu_sec,
	       (a.events_per_sec / a.cpu_sec) / (b.events_per_sec / b.cpu_sec));
	return 0;
}
