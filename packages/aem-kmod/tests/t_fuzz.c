// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_fuzz.c - 100,000 random and malformed ioctl calls (plus mmap, poll and
 * writes to the consumer position) on several contexts with live timers:
 * every call must return success or one of the documented error codes,
 * and the kernel must log nothing (the VM run checks dmesg).
 *
 * Arguments are mutations of valid ones: random fields, reserved fields
 * set, bad sizes (the size is part of the ioctl number), unknown services
 * and events, huge counts, and pointers that are NULL, kernel addresses,
 * non-canonical, or straddle into an inaccessible page.  Pointers never
 * aim at memory of this process other than the scratch area, so a
 * successful call cannot corrupt the test itself.
 *
 *   t_fuzz [iterations] [seed]
 */
#include "libaem.h"
#include "fuzz.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define MS	1000000ULL
enum { NCTX = 4, MAX_IDS = 256 };

static uint64_t pick(const uint64_t *v, unsigned int n)
{
	return v[rnd() % n];
}

static const uint64_t interesting[] = {
	0, 1, 2, 7, 8, 255, 256, 257, 4096, 65535, 65536, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ULL, 1ULL << 40, 1ULL << 62,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, 100000, 1000000,
	10000000,
};
#define NINTERESTING (sizeof(interesting) / sizeof(interesting[0]))

static uint8_t *scratch;	/* 2 pages RW, then 1 page PROT_NONE */
static long page;

/* A pointer argument: usually to @valid, otherwise a bad one. */
static void *bad_or(void *valid, size_t len)
{
	switch (rnd() % 40) {
	case 0:
		return NULL;
	case 1:
		return (void *)0xffffffff81000000ULL;	/* kernel text */
	case 2:
		return (void *)(rnd() | (1ULL << 63));	/* kernel half */
	case 3:
		return (void *)0x0000800000000000ULL;	/* non-canonical */
	case 4:
		return scratch + 2 * page;		/* PROT_NONE */
	case 5:	/* straddles into the PROT_NONE page */
		return scratch + 2 * page - 1 - rnd() % (len ? len : 1);
	case 6:
		return (void *)(uintptr_t)(rnd() % 4096);
	default:
		return valid;
	}
}

/* Overwrite 1..3 random fields of @buf with interesting or random data. */
static void mutate(void *buf, size_t len)
{
	unsigned int i, n = 1 + rnd() % 3;

	for (i = 0; i < n; i++) {
		size_t off = (rnd() % (len / 4)) * 4;
		uint64_t v = rnd() % 2 ? pick(interesting, NINTERESTING) : rnd();
		size_t w = off + 8 <= len && rnd() % 2 ? 8 : 4;

		memcpy((uint8_t *)buf + off, &v, w);
	}
}

struct ctx {
	int fd;
	struct aem *aem;	/* ctx[0] only: drained by the test */
	uint64_t ids[MAX_IDS];
	unsigned int nids;
	uint32_t service_id, first_call;
};

static struct ctx ctxs[NCTX];
static unsigned long counts[256];	/* by errno */
static unsigned long unexpected, successes;

static int allowed(int err)
{
	switch (err) {
	case EINVAL: case ENOENT: case ENOTTY: case EFAULT: case EBUSY:
	case ENOSPC: case ENXIO: case EPERM: case EACCES: case ENOMEM:
		return 1;
	default:
		return 0;
	}
}

static void note(long ret, const char *what)
{
	if (ret >= 0) {
		successes++;
		return;
	}
	counts[errno & 0xff]++;
	if (!allowed(errno) && unexpected++ < 10)
		diag("  unexpected errno %d (%s) from %s", errno,
		     strerror(errno), what);
}

static void ctx_open(struct ctx *c, int with_lib)
{
	struct aem_service_info si;

	memset(c, 0, sizeof(*c));
	if (with_lib) {
		if (aem_open(&c->aem, NULL, 2))
			tap_bail("aem_open");
		c->fd = aem_fd(c->aem);
	} else {
		c->fd = open("/dev/aem", O_RDWR | O_CLOEXEC);
		if (c->fd < 0)
			tap_bail("open");
		if (rnd() % 2) {
			struct aem_ring_setup rs = { .data_pages = 1 };

			ioctl(c->fd, AEM_IOC_RING_SETUP, &rs);
		}
	}
	if (c->aem && !aem_lookup(c->aem, "timers", AEM_VERSION(1, 0, 0), 0,
				  &si)) {
		c->service_id = si.service_id;
		c->first_call = si.first_call;
	}
}

static void ctx_close(struct ctx *c)
{
	if (c->aem)
		aem_close(c->aem);
	else
		close(c->fd);
	c->fd = -1;
	c->aem = NULL;
}

static void remember(struct ctx *c, uint64_t id)
{
	if (c->nids == MAX_IDS) {
		/* Too many live events: shut the oldest down. */
		ioctl(c->fd, AEM_IOC_EVCTL, &(struct aem_evctl){
			.event_id = c->ids[0], .op = AEM_EVCTL_SHUTDOWN });
		memmove(c->ids, c->ids + 1, (MAX_IDS - 1) * sizeof(c->ids[0]));
		c->nids--;
	}
	c->ids[c->nids++] = id;
}

static void fuzz_lookup(struct ctx *c, unsigned long cmd)
{
	struct aem_lookup *lu = (void *)scratch;
	static const char * const names[] = { "timers", "timers\n", "", "tcp",
				       "TIMERS", "timers-x", "a" };
	long ret;

	memset(lu, 0, sizeof(*lu));
	strcpy(lu->name, names[rnd() % 7]);
	lu->version = rnd() % 2 ? AEM_VERSION(1, rnd() % 3, 0) : rnd();
	lu->flags = rnd() % 4 ? 0 : rnd() % 4;
	if (rnd() % 2)
		mutate(lu, sizeof(*lu));
	ret = ioctl(c->fd, cmd, bad_or(lu, sizeof(*lu)));
	note(ret, "LOOKUP");
	if (!ret && lu->service_id && !c->service_id) {
		c->service_id = lu->service_id;
		c->first_call = lu->first_call;
	}
}

static void fuzz_entry(struct ctx *c, unsigned long cmd)
{
	struct aem_entry *en = (void *)scratch;
	struct aem_timer_args *ta = (void *)(scratch + 512);
	long ret;

	memset(ta, 0, sizeof(*ta));
	ta->initial_ns = (1 + rnd() % 50) * MS;
	ta->interval_ns = rnd() % 2 ? 0 : (10 + rnd() % 100) * MS;
	if (rnd() % 4 == 0)
		mutate(ta, sizeof(*ta));
	/* Keep the machine responsive: no storm of sub-ms periodic timers. */
	if (ta->interval_ns && ta->interval_ns < MS)
		ta->interval_ns = MS;

	memset(en, 0, sizeof(*en));
	en->service_id = rnd() % 8 ? c->service_id : rnd() % 5;
	en->call = rnd() % 8 ? c->first_call : (uint32_t)rnd();
	en->args = (uintptr_t)bad_or(ta, sizeof(*ta));
	en->args_len = rnd() % 8 ? sizeof(*ta) : pick(interesting, NINTERESTING);
	en->flags = rnd() % 8 ? AEM_ENTRY_F_START : rnd();
	en->user_data = rnd();
	en->priority = rnd() % 8 ? rnd() % 256 : rnd();
	if (rnd() % 3 == 0)
		mutate(en, sizeof(*en));
	ret = ioctl(c->fd, cmd, bad_or(en, sizeof(*en)));
	note(ret, "ENTRY");
	if (!ret && en->event_id)
		remember(c, en->event_id);
}

static void fuzz_evctl(struct ctx *c, unsigned long cmd)
{
	struct aem_evctl *ec = (void *)scratch;
	long ret;

	memset(ec, 0, sizeof(*ec));
	if (c->nids && rnd() % 4)
		ec->event_id = c->ids[rnd() % c->nids];
	else
		ec->event_id = rnd() % 2 ? rnd() % 64 : rnd();
	ec->op = 1 + rnd() % 4;
	if (ec->op == AEM_EVCTL_PRIO)
		ec->value = rnd() % 300;
	if (rnd() % 6 == 0)
		mutate(ec, sizeof(*ec));
	ret = ioctl(c->fd, cmd, bad_or(ec, sizeof(*ec)));
	note(ret, "EVCTL");
	if (!ret && ec->op == AEM_EVCTL_SHUTDOWN) {
		unsigned int i;

		for (i = 0; i < c->nids; i++) {
			if (c->ids[i] == ec->event_id) {
				c->ids[i] = c->ids[--c->nids];
				break;
			}
		}
	}
}

static void fuzz_ring_setup(struct ctx *c, unsigned long cmd)
{
	struct aem_ring_setup *rs = (void *)scratch;

	memset(rs, 0, sizeof(*rs));
	rs->data_pages = rnd() % 2 ? 1u << (rnd() % 12) : (uint32_t)rnd();
	if (rnd() % 3 == 0)
		mutate(rs, sizeof(*rs));
	note(ioctl(c->fd, cmd, bad_or(rs, sizeof(*rs))), "RING_SETUP");
}

static void fuzz_mmap(struct ctx *c)
{
	size_t len = (1 + rnd() % 8) * page;
	off_t off = rnd() % 4 ? (off_t)(rnd() % 8) * page : (off_t)(rnd() >> 20);
	int prot = rnd() % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(NULL, len, prot, MAP_SHARED, c->fd, off);

	if (p == MAP_FAILED) {
		note(-1, "mmap");
		return;
	}
	successes++;
	/* Lie about the position, except to libaem's own context. */
	if (prot & PROT_WRITE && off == 0 && !c->aem)
		((struct aem_ring_consumer *)p)->consumer_pos = rnd() % 2 ?
			rnd() : 0;
	munmap(p, len);
}

/*
 * A second thread polls and flushes random contexts while the main thread
 * changes them (and closes them: a stale fd just fails with EBADF).  Only
 * the kernel's health is judged, so its results are not counted.
 */
static int stop_racer;	/* __atomic: set by main, read by the racer */

static void *racer(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;

	while (!__atomic_load_n(&stop_racer, __ATOMIC_RELAXED)) {
		int fd;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		fd = ctxs[r % NCTX].fd;
		if (r & 0x100) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			poll(&pfd, 1, 0);
		} else {
			ioctl(fd, AEM_IOC_FLUSH, NULL);
		}
	}
	return NULL;
}

/* One ioctl with a random command: mostly AEM's, sometimes malformed. */
static void fuzz_one(struct ctx *c)
{
	static const unsigned long cmds[] = {
		AEM_IOC_ABI_INFO, AEM_IOC_RING_SETUP, AEM_IOC_LOOKUP,
		AEM_IOC_ENTRY, AEM_IOC_EVCTL, AEM_IOC_FLUSH,
	};
	unsigned int r = rnd() % 100;
	unsigned long cmd;

	if (r < 3) {
		/* An AEM number with a wrong size or direction. */
		cmd = _IOC(rnd() % 4, AEM_IOC_MAGIC, rnd() % 8, rnd() % 512);
		mutate(scratch, 512);
		note(ioctl(c->fd, cmd, bad_or(scratch, 512)), "bad-size");
		return;
	}
	if (r < 5) {
		cmd = (uint32_t)rnd();
		note(ioctl(c->fd, cmd, bad_or(scratch, 512)), "random cmd");
		return;
	}
	if (r < 7) {
		fuzz_mmap(c);
		return;
	}
	if (r < 9) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		note(poll(&pfd, 1, 0), "poll");
		return;
	}
	cmd = cmds[rnd() % 6];
	switch (cmd) {
	case AEM_IOC_RING_SETUP:
		fuzz_ring_setup(c, cmd);
		break;
	case AEM_IOC_LOOKUP:
		fuzz_lookup(c, cmd);
		break;
	case AEM_IOC_ENTRY:
		fuzz_entry(c, cmd);
		fuzz_entry(c, cmd);
		break;
	case AEM_IOC_EVCTL:
		fuzz_evctl(c, cmd);
		break;
	default:
		note(ioctl(c->fd, cmd, bad_or(scratch, 64)), "ABI_INFO/FLUSH");
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) :
			     (unsigned long)now_ns();
	unsigned long long t0 = now_ns();
	struct aem_service_info si;
	struct aem *aem;
	unsigned long i, reopened = 0;
	pthread_t thread;
	unsigned int e;
	uint64_t id;
	int ret;

	diag("t_fuzz: %lu calls, seed %lu (t_fuzz %lu %lu replays them)",
	     iterations, seed, iterations, seed);
	fuzz_seed(seed);
	page = sysconf(_SC_PAGESIZE);
	scratch = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || mprotect(scratch + 2 * page, page,
					      PROT_NONE))
		tap_bail("scratch");

	for (e = 0; e < NCTX; e++)
		ctx_open(&ctxs[e], e == 0 || rnd() % 2);

	if (pthread_create(&thread, NULL, racer, (void *)(uintptr_t)seed))
		tap_bail("pthread_create");
	for (i = 0; i < iterations; i++) {
		struct ctx *c = &ctxs[rnd() % NCTX];

		fuzz_one(c);
		if (i % 64 == 0 && ctxs[0].aem)
			aem_drain(ctxs[0].aem, NULL, NULL, 0);
		if (rnd() % 5000 == 0) {
			/* Close a context with live events, open a new one. */
			e = rnd() % NCTX;
			ctx_close(&ctxs[e]);
			ctx_open(&ctxs[e], e == 0 || rnd() % 2);
			reopened++;
		}
	}
	__atomic_store_n(&stop_racer, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	diag("%lu successful calls, %lu contexts closed with live events, "
	     "%.1f s", successes, reopened, (now_ns() - t0) / 1e9);
	for (e = 0; e < 256; e++)
		if (counts[e])
			diag("  errno %u (%s): %lu", e, strerror(e), counts[e]);
	ok(unexpected == 0,
	   "%lu calls: only success or documented error codes (%lu others)",
	   iterations, unexpected);
	ok(successes > iterations / 20, "a fair share of calls succeeded");
	for (e = 0; e < NCTX; e++)
		ctx_close(&ctxs[e]);

	/* The kernel still works. */
	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("open/lookup after fuzzing");
	ret = aem_timer_create(aem, &si, 5 * MS, 0, 42, AEM_ENTRY_F_START, &id);
	is_ret(ret, 0, "a timer after the fuzz");
	ok(aem_wait(aem, 5000) == 1 && aem_drain(aem, NULL, NULL, 0) == 1,
	   "and it fires");
	aem_close(aem);
	ok(module_refcnt("aem_timers") == 0,
	   "all fuzzed contexts are torn down (aem_timers refcnt %ld)",
	   module_refcnt("aem_timers"));
	return tap_done();
}
