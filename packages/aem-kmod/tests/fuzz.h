/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * fuzz.h - what the fuzz tests share: a seeded random source (the seed is
 * printed, so a run can be replayed) and the tally of call results, where
 * any errno the test does not list as documented counts as unexpected.
 */
#ifndef AEM_FUZZ_H
#define AEM_FUZZ_H

#include "libaem.h"
#include "tap.h"

#include <stdint.h>

static uint64_t fuzz_rng;

static inline void fuzz_seed(uint64_t seed)
{
	fuzz_rng = seed | 1;
}

/* xorshift64* */
static inline uint64_t rnd(void)
{
	fuzz_rng ^= fuzz_rng >> 12;
	fuzz_rng ^= fuzz_rng << 25;
	fuzz_rng ^= fuzz_rng >> 27;
	return fuzz_rng * 2685821657736338717ULL;
}

/*
 * Results of the calls made: @allowed says whether an errno is documented
 * for them; the first ten others are printed.
 */
struct fuzz_tally {
	int (*allowed)(int err);
	unsigned long calls, successes, unexpected, counts[256];
};

static inline void fuzz_note(struct fuzz_tally *t, long ret, const char *what)
{
	t->calls++;
	if (ret >= 0) {
		t->successes++;
		return;
	}
	t->counts[-ret & 255]++;
	if (!t->allowed((int)-ret) && t->unexpected++ < 10)
		diag("unexpected %s from %s", strerror((int)-ret), what);
}

/*
 * A random evctl operation (0..5: the four and two unknown ones) on one of
 * the live events @ids (*@nids of them); one shut down leaves the list.
 */
static inline void fuzz_random_evctl(struct fuzz_tally *t, struct aem *aem,
				     uint64_t *ids, unsigned int *nids)
{
	unsigned int i;
	uint32_t op;
	long ret;

	if (!*nids)
		return;
	i = rnd() % *nids;
	op = rnd() % 6;
	ret = aem_evctl(aem, ids[i], op,
			op == AEM_EVCTL_PRIO ? rnd() % 300 : 0);
	fuzz_note(t, ret, "evctl");
	if (op == AEM_EVCTL_SHUTDOWN && !ret)
		ids[i] = ids[--*nids];
}

#endif /* AEM_FUZZ_H */
