/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * tap.h - a tiny TAP 13 producer for the C tests.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines, "#"
 * diagnostics, and the plan "1..N" last; it exits 1 if any test failed.
 */
#ifndef AEM_TAP_H
#define AEM_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int tap_n, tap_failed;

static inline void tap_vline(int pass, const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	if (!pass)
		tap_failed++;
}

__attribute__((format(printf, 2, 3)))
static inline int ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Compare a libaem/ioctl result with the expected one, naming both. */
#define is_ret(got, want, ...)						\
	({								\
		long g_ = (got), w_ = (want);				\
		if (g_ != w_)						\
			diag("  got %ld (%s), want %ld (%s)", g_,	\
			     g_ < 0 ? strerror((int)-g_) : "-", w_,	\
			     w_ < 0 ? strerror((int)-w_) : "-");	\
		ok(g_ == w_, __VA_ARGS__);				\
	})

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		diag("%d of %d failed", tap_failed, tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

static inline void tap_bail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(2);
}

static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* /sys/module/<name>/refcnt, or -1 when the module is not loaded. */
static inline long module_refcnt(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Wait up to @ms for module @name's and aem_core's refcounts to be back. */
static inline int refs_back(const char *name, long mod0, long core0,
			    unsigned int ms)
{
	while (ms && (module_refcnt(name) != mod0 ||
		      module_refcnt("aem_core") != core0)) {
		sleep_ms(10);
		ms -= ms > 10 ? 10 : ms;
	}
	return module_refcnt(name) == mod0 &&
	       module_refcnt("aem_core") == core0;
}

/* "sockets: used N" of /proc/net/sockstat, or -1. */
static inline long sockets_used(void)
{
	FILE *f = fopen("/proc/net/sockstat", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "sockets: used %ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Wait up to @ms for sockets_used() to drop to @want or below. */
static inline long sockets_settle(long want, unsigned int ms)
{
	long v = sockets_used();

	while (v > want && ms) {
		sleep_ms(10);
		ms = ms > 10 ? ms - 10 : 0;
		v = sockets_used();
	}
	return v;
}

/* Runs one case and says how long it took: the VM's time limits are set from these. */
#define timed(name, call)						\
	do {								\
		unsigned long long t0_ = now_ns();			\
		call;							\
		diag("%s took %.1f s", name, (now_ns() - t0_) / 1e9);	\
	} while (0)

/* Run a shell command; returns its exit status (or -1). */
static inline int run(const char *cmd)
{
	int st = system(cmd);

	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

#endif /* AEM_TAP_H */
