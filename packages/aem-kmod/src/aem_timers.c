// SPDX-License-Identifier: GPL-2.0-only
/*
 * aem_timers.c - the AEM timers service: one-shot and periodic hrtimers
 *
 * One call, AEM_TIMER_CALL_CREATE, makes a stopped timer event; START arms
 * it from now, STOP disarms it.  Every expiry adds to the timer's pending
 * count and activates the event; the record written for it carries the
 * count and the time of the last expiry, and resets the count.  When the
 * ring is full the event waits in the core's backlog and further expiries
 * only add to the count, so they coalesce instead of being lost.  A
 * periodic timer that overran several periods reports them all in one
 * record (hrtimer_forward_now()'s overrun count).
 *
 * The same source builds other versions of the service (see
 * tests/kmod/aem_timers_v1_2.c) by defining AEM_TIMERS_VERSION first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aem_service.h>
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>

#ifndef AEM_TIMERS_VERSION
#define AEM_TIMERS_VERSION	AEM_VERSION(1, 0, 0)
#endif

/* The longest initial delay or interval: about 30 days. */
#define AEM_TIMER_MAX_NS	(30ULL * 24 * 3600 * NSEC_PER_SEC)

static unsigned long min_interval_ns = 100 * NSEC_PER_USEC;
module_param(min_interval_ns, ulong, 0444);
MODULE_PARM_DESC(min_interval_ns,
		 "Shortest period of a periodic timer, in ns (default 100 us)");

/**
 * struct aem_timer - the private state of one timer event
 * @timer: the hrtimer; armed by start, cancelled synchronously by stop
 * @ev: the event this timer activates
 * @initial: delay of the first expiry after start
 * @interval: period, 0 for one-shot
 * @pending: expiries not yet reported; added by the callback, taken by
 *	fill (which runs under the ring lock, so at most one taker)
 * @last_ns: CLOCK_MONOTONIC time of the latest expiry, set before
 *	@pending is increased
 */
struct aem_timer {
	struct hrtimer timer;
	struct aem_event *ev;
	ktime_t initial;
	ktime_t interval;
	atomic64_t pending;
	atomic64_t last_ns;
};

static enum hrtimer_restart aem_timer_fire(struct hrtimer *timer)
{
	struct aem_timer *t = container_of(timer, struct aem_timer, timer);
	u64 expired = 1;

	if (t->interval)
		expired = hrtimer_forward_now(timer, t->interval);
	atomic64_set(&t->last_ns, ktime_get_ns());
	atomic64_add(expired, &t->pending);
	aem_event_activate(t->ev);
	return t->interval ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

static int aem_timer_create(struct aem_event *ev, u32 call, const void *args,
			    u32 len)
{
	const struct aem_timer_args *ta = args;
	struct aem_timer *t;

	if (call != AEM_TIMER_CALL_CREATE || len != sizeof(*ta))
		return -EINVAL;
	if (ta->flags || ta->reserved)
		return -EINVAL;
	if (!ta->initial_ns || ta->initial_ns > AEM_TIMER_MAX_NS)
		return -EINVAL;
	if (ta->interval_ns && (ta->interval_ns < min_interval_ns ||
				ta->interval_ns > AEM_TIMER_MAX_NS))
		return -EINVAL;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	hrtimer_init(&t->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	t->timer.function = aem_timer_fire;
	t->ev = ev;
	t->initial = ns_to_ktime(ta->initial_ns);
	t->interval = ns_to_ktime(ta->interval_ns);
	aem_event_set_priv(ev, t);
	return 0;
}

static int aem_timer_start(struct aem_event *ev)
{
	struct aem_timer *t = aem_event_priv(ev);

	hrtimer_start(&t->timer, t->initial, HRTIMER_MODE_REL);
	return 0;
}

static void aem_timer_stop(struct aem_event *ev)
{
	struct aem_timer *t = aem_event_priv(ev);

	/* Waits for a running callback: no activation after this returns. */
	hrtimer_cancel(&t->timer);
}

static void aem_timer_destroy(struct aem_event *ev)
{
	kfree(aem_event_priv(ev));
}

static int aem_timer_fill(struct aem_event *ev, void *payload, u32 room)
{
	struct aem_timer *t = aem_event_priv(ev);
	struct aem_timer_record *rec = payload;
	u64 expired = atomic64_xchg(&t->pending, 0);

	if (!expired)
		return 0;
	rec->expirations = expired;
	rec->time_ns = atomic64_read(&t->last_ns);
	return sizeof(*rec);
}

static const struct aem_service_ops aem_timer_ops = {
	.create = aem_timer_create,
	.start = aem_timer_start,
	.stop = aem_timer_stop,
	.destroy = aem_timer_destroy,
	.fill = aem_timer_fill,
};

static struct aem_service aem_timers_service = {
	.name = AEM_TIMERS_NAME,
	.version = AEM_TIMERS_VERSION,
	.ncalls = 1,
	.record_type = AEM_REC_TIMER,
	.max_payload = sizeof(struct aem_timer_record),
	.ops = &aem_timer_ops,
	.owner = THIS_MODULE,
};

static int __init aem_timers_init(void)
{
	BUILD_BUG_ON(sizeof(struct aem_timer_args) != 24);
	BUILD_BUG_ON(sizeof(struct aem_timer_record) != 16);
	BUILD_BUG_ON(sizeof(struct aem_timer_args) > AEM_ARGS_MAX);

	if (min_interval_ns < 1000)
		return -EINVAL;
	return aem_service_register(&aem_timers_service);
}

static void __exit aem_timers_exit(void)
{
	aem_service_unregister(&aem_timers_service);
}

module_init(aem_timers_init);
module_exit(aem_timers_exit);

MODULE_DESCRIPTION("AEM timers service: one-shot and periodic hrtimers");
MODULE_AUTHOR("AEM for TypeScript contributors");
MODULE_LICENSE("GPL");
