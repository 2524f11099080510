// SPDX-License-Identifier: GPL-2.0-only
/*
 * aem_core.c - the Asynchronous Event Mechanism core: /dev/aem
 *
 * Each open file is a context (struct aem_ctx).  User space binds service
 * versions by name, registers events through their calls, and receives the
 * events' activations as records in a ring it maps.  The ABI, the ring
 * layout and its memory ordering are described in <uapi/linux/aem.h>; the
 * interface to service modules in <linux/aem_service.h>.
 *
 * Lifetimes
 *   - A context is reachable from its file and from its events (a service
 *     activates an event from timer or softirq context).  It carries a kref:
 *     one reference for the file, one per event.  ->release() runs when the
 *     last fd and the last mapping are gone (a mapping pins the file), and
 *     shuts down every event first, so the context is freed right after.
 *   - An event is owned by its context's xarray.  Other contexts reach it
 *     only through its service, whose stop() is synchronous, so shutdown
 *     is: stop (no more activations), unlink from the ready list under the
 *     ring lock (no more fill), destroy, free.
 *   - A service version is pinned by a reference on its owner module for
 *     every live event, so its module exits, and unregisters, only when no
 *     event of it is left.  A binding (lookup) pins nothing: the context
 *     keeps the service id, and entry with it fails with ENOENT once that
 *     version is gone.
 *
 *   - A service's control operation (AEM_IOC_CONTROL) runs under
 *     ctx->mutex like every ioctl, so its event cannot go meanwhile.
 *   - Deferred work (a service's prepare operation) runs under ctx->mutex
 *     in the context of the task that polls or flushes, so it never runs
 *     concurrently with the event's shutdown, which holds the mutex too.
 *
 * Locking order: ctx->mutex, then aem_services_mutex, then ctx->lock.
 * A service's prepare may take its own locks (a socket's) between
 * ctx->mutex and ctx->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aem_service.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#define AEM_MAX_BINDINGS	16
#define AEM_MAX_SERVICE_ID	0xffff

static unsigned int max_events = 16384;
module_param(max_events, uint, 0444);
MODULE_PARM_DESC(max_events, "Most live events per context (1..1048576)");

static unsigned int max_ring_pages = 1024;
module_param(max_ring_pages, uint, 0444);
MODULE_PARM_DESC(max_ring_pages,
		 "Largest ring data area per context, in pages (power of two)");

/* Leak accounting, checked when the module exits. */
static atomic_t aem_nr_ctx = ATOMIC_INIT(0);
static atomic_t aem_nr_events = ATOMIC_INIT(0);

static LIST_HEAD(aem_services);		/* by aem_services_mutex */
static DEFINE_IDR(aem_service_ids);	/* by aem_services_mutex */
static DEFINE_MUTEX(aem_services_mutex);

/**
 * struct aem_ctx - one open file of /dev/aem
 * @kref: one for the file, one per live event
 * @mutex: serializes the ioctls, mmap and release; guards @events,
 *	@nr_events, @next_id, @bindings, @nr_bindings and the ring setup
 * @lock: the producer side of the ring and @ready; taken from any context,
 *	hard interrupts included, so always with interrupts off
 * @wq: poll waiters, woken when records are published
 * @events: event id -> struct aem_event, owning
 * @next_id: cursor of the cyclic id allocator
 * @nr_events: live events, at most max_events
 * @bindings: service ids this context looked up
 * @nr_bindings: used entries of @bindings
 * @ring: vmalloc_user() area: consumer page, producer page, data; set once
 *	under @mutex, then constant until the context is freed
 * @ring_pages: pages in @ring
 * @cons: consumer page in @ring (user-writable: never trusted)
 * @prod: producer page in @ring (user read-only), written under @lock
 * @data: data area in @ring
 * @mask: data size - 1
 * @prod_pos: the kernel's own producer position, under @lock
 * @ready: events activated but not yet written to the ring, under @lock
 * @nr_ready: entries on @ready, under @lock
 * @deferred: events whose prepare operation waits for the consumer's next
 *	poll or flush, under @lock
 * @nr_deferred: entries on @deferred, under @lock (read without it as a
 *	hint)
 * @nr_records: records written so far, under @lock
 */
struct aem_ctx {
	struct kref kref;
	struct mutex mutex;		/* control: ioctls, mmap, release */
	spinlock_t lock;		/* producer: ring and ready list */
	wait_queue_head_t wq;
	struct xarray events;
	u32 next_id;
	unsigned int nr_events;
	u32 bindings[AEM_MAX_BINDINGS];
	unsigned int nr_bindings;
	void *ring;
	unsigned long ring_pages;
	struct aem_ring_consumer *cons;
	struct aem_ring_producer *prod;
	u8 *data;
	u64 mask;
	u64 prod_pos;
	struct list_head ready;
	unsigned int nr_ready;
	struct list_head deferred;
	unsigned int nr_deferred;
	u64 nr_records;
};

/**
 * struct aem_event - one registration
 * @id: key in ctx->events, returned to user space
 * @ctx: the owning context (holds a reference on it)
 * @svc: the service version (its owner module is pinned by this event)
 * @priv: the service's state
 * @user_data: copied into every record
 * @priority: copied into every record; written under ctx->mutex, read
 *	under ctx->lock
 * @ready: on ctx->ready while activated and not yet written, under ctx->lock
 * @deferred: on ctx->deferred while its prepare waits, under ctx->lock
 */
struct aem_event {
	u64 id;
	struct aem_ctx *ctx;
	struct aem_service *svc;
	void *priv;
	u64 user_data;
	u8 priority;
	struct list_head ready;
	struct list_head deferred;
};

/**
 * aem_event_priv() - the service's private state of an event
 * @ev: the event
 *
 * Return: what the service stored with aem_event_set_priv().
 */
void *aem_event_priv(const struct aem_event *ev)
{
	return ev->priv;
}
EXPORT_SYMBOL_GPL(aem_event_priv);

/**
 * aem_event_set_priv() - store the service's private state of an event
 * @ev: the event, inside the service's create operation
 * @priv: the state; the service frees it in its destroy operation
 */
void aem_event_set_priv(struct aem_event *ev, void *priv)
{
	ev->priv = priv;
}
EXPORT_SYMBOL_GPL(aem_event_set_priv);

static void aem_ctx_free(struct kref *kref)
{
	struct aem_ctx *ctx = container_of(kref, struct aem_ctx, kref);

	WARN_ON(ctx->nr_events || !list_empty(&ctx->ready) ||
		!list_empty(&ctx->deferred));
	xa_destroy(&ctx->events);
	vfree(ctx->ring);
	kfree(ctx);
	atomic_dec(&aem_nr_ctx);
}

static void aem_ctx_put(struct aem_ctx *ctx)
{
	kref_put(&ctx->kref, aem_ctx_free);
}

/* ---- ring producer ----------------------------------------------------- */

/*
 * Free bytes in the ring.  consumer_pos is written by user space: a value
 * outside [prod_pos - size, prod_pos] would make the subtraction lie, so
 * such a ring counts as full.  The acquire pairs with the consumer's
 * release store (see the timeline in <uapi/linux/aem.h>).
 */
static u64 aem_ring_free(struct aem_ctx *ctx)
{
	u64 cons, used;

	/* Pairs with the consumer's release: its reads are done. */
	cons = smp_load_acquire(&ctx->cons->consumer_pos);
	used = ctx->prod_pos - cons;

	if (used > ctx->mask + 1)
		return 0;
	return ctx->mask + 1 - used;
}

/* Events waiting in the kernel: AEM_RING_F_BACKLOG tells the consumer. */
static void aem_ring_backlog_locked(struct aem_ctx *ctx)
{
	struct aem_ring_producer *prod = ctx->prod;

	lockdep_assert_held(&ctx->lock);
	prod->backlog = ctx->nr_ready + ctx->nr_deferred;
	if (prod->backlog)
		prod->flags |= AEM_RING_F_BACKLOG;
	else
		prod->flags &= ~AEM_RING_F_BACKLOG;
}

/*
 * Room for a record of @need bytes at the producer position, padding to
 * the end of the data area first when it would straddle it.  Returns the
 * record or NULL when the ring has no room (nothing written then).
 */
static struct aem_record *aem_ring_reserve_locked(struct aem_ctx *ctx,
						  u32 need)
{
	u64 size = ctx->mask + 1;
	u64 off = ctx->prod_pos & ctx->mask;
	u64 tail = size - off;
	u64 avail = aem_ring_free(ctx);
	struct aem_record *rec;

	if (tail < need) {
		/*
		 * The record would straddle the end: pad to it.  The pad goes
		 * in even when the record does not fit after it, since it would
		 * be written before the record anyway: otherwise a record
		 * larger than half the ring could wait forever for a tail
		 * plus a record's worth of room.
		 */
		if (avail < tail)
			return NULL;
		rec = (struct aem_record *)(ctx->data + off);
		rec->len = tail;
		rec->type = AEM_REC_PAD;
		ctx->prod_pos += tail;
		avail -= tail;
		off = 0;
	}
	if (avail < need)
		return NULL;
	return (struct aem_record *)(ctx->data + off);
}

static void aem_record_header(struct aem_record *rec, struct aem_event *ev,
			      u32 n)
{
	rec->len = ALIGN(sizeof(*rec) + n, AEM_RECORD_ALIGN);
	rec->type = ev->svc->record_type;
	rec->priority = READ_ONCE(ev->priority);
	rec->flags = 0;
	rec->event_id = ev->id;
	rec->user_data = ev->user_data;
}

/*
 * Write the records of ready events while they fit.  Called with ctx->lock
 * held.  Returns the number of records written.
 */
static unsigned int aem_ring_flush_locked(struct aem_ctx *ctx)
{
	struct aem_ring_producer *prod = ctx->prod;
	unsigned int written = 0;
	u64 start = ctx->prod_pos;

	lockdep_assert_held(&ctx->lock);

	while (!list_empty(&ctx->ready)) {
		struct aem_event *ev = list_first_entry(&ctx->ready,
							struct aem_event,
							ready);
		struct aem_service *svc = ev->svc;
		u32 need = ALIGN(sizeof(struct aem_record) + svc->max_payload,
				 AEM_RECORD_ALIGN);
		struct aem_record *rec;
		int n;

		rec = aem_ring_reserve_locked(ctx, need);
		if (!rec)
			break;

		list_del_init(&ev->ready);
		ctx->nr_ready--;

		n = svc->ops->fill(ev, rec->payload, need - sizeof(*rec));
		if (n < 0 || n > need - sizeof(*rec)) {
			prod->dropped++;
			prod->flags |= AEM_RING_F_OVERFLOW;
			continue;
		}
		if (!n)
			continue;
		aem_record_header(rec, ev, n);
		ctx->prod_pos += rec->len;
		written++;
	}
	ctx->nr_records += written;
	aem_ring_backlog_locked(ctx);

	if (ctx->prod_pos != start) {
		/* Publish the records (and any pad) before the position. */
		smp_store_release(&prod->producer_pos, ctx->prod_pos);
	}
	return written;
}

/**
 * aem_event_activate() - report an activation of an event
 * @ev: the event; its service coalesces activations into the state its
 *	fill operation reads
 *
 * Queues @ev (at most once) for a record and writes the records that fit
 * into the ring.  An event that does not fit stays queued until user space
 * makes room and flushes; activations meanwhile coalesce in the service.
 * Callable from any context, hard interrupts included.
 */
void aem_event_activate(struct aem_event *ev)
{
	struct aem_ctx *ctx = ev->ctx;
	unsigned long flags;
	unsigned int written = 0;

	spin_lock_irqsave(&ctx->lock, flags);
	if (list_empty(&ev->ready)) {
		list_add_tail(&ev->ready, &ctx->ready);
		ctx->nr_ready++;
		written = aem_ring_flush_locked(ctx);
	}
	spin_unlock_irqrestore(&ctx->lock, flags);

	if (written)
		wake_up_poll(&ctx->wq, EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_GPL(aem_event_activate);

/**
 * aem_event_defer() - ask for an event's prepare operation
 * @ev: the event; its service has a prepare operation
 *
 * Queues @ev (at most once) to have its service's prepare run in the
 * context of the consumer's next poll() or AEM_IOC_FLUSH, and wakes the
 * consumer.  Callable from any context, hard interrupts included.
 */
void aem_event_defer(struct aem_event *ev)
{
	struct aem_ctx *ctx = ev->ctx;
	unsigned long flags;
	bool wake = false;

	spin_lock_irqsave(&ctx->lock, flags);
	if (list_empty(&ev->deferred)) {
		list_add_tail(&ev->deferred, &ctx->deferred);
		ctx->nr_deferred++;
		aem_ring_backlog_locked(ctx);
		wake = true;
	}
	spin_unlock_irqrestore(&ctx->lock, flags);

	/* poll() runs the prepare operations: have the consumer poll. */
	if (wake)
		wake_up_poll(&ctx->wq, EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_GPL(aem_event_defer);

/* The payload of aem_event_emit(): pieces, copied one after the other. */
struct aem_emit_vec {
	const struct kvec *vec;
	unsigned int nvec;
};

static int aem_emit_vec_copy(void *to, u32 len, void *arg)
{
	const struct aem_emit_vec *v = arg;
	unsigned int i;

	for (i = 0; i < v->nvec; i++) {
		memcpy(to, v->vec[i].iov_base, v->vec[i].iov_len);
		to += v->vec[i].iov_len;
	}
	return 0;
}

/**
 * aem_event_emit() - write one record of an event now
 * @ev: the event
 * @vec: the payload, in pieces
 * @nvec: number of pieces
 *
 * aem_event_emit_copy() with a payload that is the concatenation of @vec.
 *
 * Return: see aem_event_emit_copy().
 */
int aem_event_emit(struct aem_event *ev, const struct kvec *vec,
		   unsigned int nvec)
{
	struct aem_emit_vec v = { .vec = vec, .nvec = nvec };
	unsigned int i;
	size_t len = 0;

	for (i = 0; i < nvec; i++)
		len += vec[i].iov_len;
	if (len > AEM_EMIT_MAX)
		return -EMSGSIZE;
	return aem_event_emit_copy(ev, len, aem_emit_vec_copy, &v);
}
EXPORT_SYMBOL_GPL(aem_event_emit);

/**
 * aem_event_emit_copy() - write one record of an event now, its payload
 *	copied by the service
 * @ev: the event
 * @len: payload bytes, at most AEM_EMIT_MAX
 * @copy: writes exactly @len bytes at @to and returns 0, or returns a
 *	negative errno to write nothing; it runs under the ring's spinlock
 *	with interrupts off, so it must neither sleep nor touch user memory
 *	(copying from an skb is fine)
 * @arg: passed to @copy
 *
 * Writes the records of events waiting for room first (so their order is
 * kept), then a record of @ev, if it fits: the payload goes straight into
 * the ring, with no staging copy.  For a service's prepare operation: the
 * caller (poll or flush) tells the consumer, so nobody is woken.
 *
 * Return: 0 when the record is in the ring, -ENOSPC when the ring has no
 * room for it now (nothing written), -EMSGSIZE when it can never fit (larger
 * than AEM_RECORD_MAX or than this context's ring), or @copy's error.
 */
int aem_event_emit_copy(struct aem_event *ev, u32 len,
			int (*copy)(void *to, u32 len, void *arg), void *arg)
{
	struct aem_ctx *ctx = ev->ctx;
	u32 need = ALIGN(sizeof(struct aem_record) + (u64)len,
			 AEM_RECORD_ALIGN);
	struct aem_record *rec;
	unsigned long flags;
	int ret;

	if (len > AEM_EMIT_MAX || need > ctx->mask + 1)
		return -EMSGSIZE;

	spin_lock_irqsave(&ctx->lock, flags);
	aem_ring_flush_locked(ctx);
	rec = aem_ring_reserve_locked(ctx, need);
	ret = rec ? copy(rec->payload, len, arg) : -ENOSPC;
	if (!ret) {
		aem_record_header(rec, ev, len);
		ctx->prod_pos += rec->len;
		ctx->nr_records++;
	}
	/* Publish the record (or a pad) before the position (see aem.h). */
	smp_store_release(&ctx->prod->producer_pos, ctx->prod_pos);
	spin_unlock_irqrestore(&ctx->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(aem_event_emit_copy);

/*
 * Run the prepare operations of deferred events, each at most once per
 * call (one that asks again goes back for the next poll or flush).  Called
 * with ctx->mutex held, which keeps every event alive: shutdown needs it.
 */
static void aem_ctx_run_deferred(struct aem_ctx *ctx)
{
	unsigned int n;

	lockdep_assert_held(&ctx->mutex);
	for (n = READ_ONCE(ctx->nr_deferred); n; n--) {
		struct aem_event *ev;
		int ret;

		spin_lock_irq(&ctx->lock);
		ev = list_first_entry_or_null(&ctx->deferred, struct aem_event,
					      deferred);
		if (ev) {
			list_del_init(&ev->deferred);
			ctx->nr_deferred--;
			aem_ring_backlog_locked(ctx);
		}
		spin_unlock_irq(&ctx->lock);
		if (!ev)
			break;

		ret = ev->svc->ops->prepare ? ev->svc->ops->prepare(ev) : 0;
		if (ret == -EAGAIN) {
			spin_lock_irq(&ctx->lock);
			if (list_empty(&ev->deferred)) {
				list_add_tail(&ev->deferred, &ctx->deferred);
				ctx->nr_deferred++;
				aem_ring_backlog_locked(ctx);
			}
			spin_unlock_irq(&ctx->lock);
		}
		cond_resched();
	}
}

/* AEM_IOC_FLUSH: records of waiting events first, then deferred work. */
static long aem_ring_flush(struct aem_ctx *ctx)
{
	u64 before;

	spin_lock_irq(&ctx->lock);
	before = ctx->nr_records;
	aem_ring_flush_locked(ctx);
	spin_unlock_irq(&ctx->lock);

	if (READ_ONCE(ctx->nr_deferred))
		aem_ctx_run_deferred(ctx);

	return min_t(u64, READ_ONCE(ctx->nr_records) - before, INT_MAX);
}

/* ---- services ---------------------------------------------------------- */

static bool aem_name_valid(const char *name, size_t max)
{
	size_t i;

	for (i = 0; i < max && name[i]; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return i > 0 && i < max;
}

/**
 * aem_service_register() - make a service version available to user space
 * @svc: the service, filled in by its module (see struct aem_service);
 *	it must stay valid until aem_service_unregister()
 *
 * Several versions of one service may be registered at once; a context
 * binds one with AEM_IOC_LOOKUP and keeps it.
 *
 * Return: 0, -EINVAL for an incomplete or invalid @svc, -EEXIST when this
 * name and version is already registered, -ENOSPC when no id is left.
 */
int aem_service_register(struct aem_service *svc)
{
	const struct aem_service_ops *ops = svc->ops;
	struct aem_service *other;
	int id;

	if (!svc->name || !aem_name_valid(svc->name, AEM_NAME_MAX) ||
	    svc->version > AEM_VERSION(255, 255, 255) ||
	    !svc->ncalls || svc->ncalls > AEM_CALLS_PER_SERVICE ||
	    svc->record_type == AEM_REC_PAD ||
	    svc->max_payload > AEM_PAYLOAD_MAX || !svc->owner || !ops ||
	    !ops->create || !ops->start || !ops->stop || !ops->destroy ||
	    !ops->fill)
		return -EINVAL;

	mutex_lock(&aem_services_mutex);
	list_for_each_entry(other, &aem_services, node) {
		if (!strcmp(other->name, svc->name) &&
		    other->version == svc->version) {
			mutex_unlock(&aem_services_mutex);
			return -EEXIST;
		}
	}
	id = idr_alloc(&aem_service_ids, svc, 1, AEM_MAX_SERVICE_ID + 1,
		       GFP_KERNEL);
	if (id < 0) {
		mutex_unlock(&aem_services_mutex);
		return id == -ENOSPC ? -ENOSPC : id;
	}
	svc->id = id;
	list_add_tail(&svc->node, &aem_services);
	mutex_unlock(&aem_services_mutex);

	pr_info("service %s %u.%u.%u registered as id %u\n", svc->name,
		AEM_VERSION_MAJOR(svc->version),
		AEM_VERSION_MINOR(svc->version),
		AEM_VERSION_PATCH(svc->version), svc->id);
	return 0;
}
EXPORT_SYMBOL_GPL(aem_service_register);

/**
 * aem_service_unregister() - withdraw a service version
 * @svc: a registered service
 *
 * Called from the owner module's exit, which runs only when no event of
 * the service is left (each event pins the module).  Contexts that bound
 * this version get ENOENT from its id afterwards.
 */
void aem_service_unregister(struct aem_service *svc)
{
	mutex_lock(&aem_services_mutex);
	idr_remove(&aem_service_ids, svc->id);
	list_del(&svc->node);
	mutex_unlock(&aem_services_mutex);
	pr_info("service %s id %u unregistered\n", svc->name, svc->id);
}
EXPORT_SYMBOL_GPL(aem_service_unregister);

/* ---- events ------------------------------------------------------------ */

/* Called with ctx->mutex held; @ev is already out of ctx->events. */
static void aem_event_shutdown(struct aem_ctx *ctx, struct aem_event *ev)
{
	struct aem_service *svc = ev->svc;

	if (svc->ops->detach)
		svc->ops->detach(ev);
	else
		svc->ops->stop(ev);

	spin_lock_irq(&ctx->lock);
	if (!list_empty(&ev->ready)) {
		list_del_init(&ev->ready);
		ctx->nr_ready--;
	}
	if (!list_empty(&ev->deferred)) {
		list_del_init(&ev->deferred);
		ctx->nr_deferred--;
	}
	aem_ring_backlog_locked(ctx);
	spin_unlock_irq(&ctx->lock);

	svc->ops->destroy(ev);
	ctx->nr_events--;
	kfree(ev);
	atomic_dec(&aem_nr_events);
	/* Last use of svc: the module may go once this reference is gone. */
	module_put(svc->owner);
	aem_ctx_put(ctx);
}

static bool aem_ctx_bound(struct aem_ctx *ctx, u32 service_id)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_bindings; i++)
		if (ctx->bindings[i] == service_id)
			return true;
	return false;
}

/* ---- ioctls ------------------------------------------------------------ */

static long aem_ioc_abi_info(void __user *uarg)
{
	struct aem_abi_info info = {
		.abi_version = AEM_ABI_VERSION,
		.page_size = PAGE_SIZE,
		.max_ring_pages = max_ring_pages,
		.max_events = max_events,
		.max_bindings = AEM_MAX_BINDINGS,
		.record_header_size = sizeof(struct aem_record),
	};

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long aem_ioc_ring_setup(struct aem_ctx *ctx, void __user *uarg)
{
	struct aem_ring_setup rs;
	unsigned long pages;
	void *ring;

	if (copy_from_user(&rs, uarg, sizeof(rs)))
		return -EFAULT;
	if (rs.flags || rs.data_size || rs.consumer_offset ||
	    rs.producer_offset || rs.data_offset || rs.reserved[0] ||
	    rs.reserved[1])
		return -EINVAL;
	if (!rs.data_pages || !is_power_of_2(rs.data_pages) ||
	    rs.data_pages > max_ring_pages)
		return -EINVAL;
	if (ctx->ring)
		return -EBUSY;

	pages = 2 + rs.data_pages;
	ring = vmalloc_user(pages << PAGE_SHIFT);
	if (!ring)
		return -ENOMEM;

	rs.data_size = (u64)rs.data_pages << PAGE_SHIFT;
	rs.consumer_offset = 0;
	rs.producer_offset = PAGE_SIZE;
	rs.data_offset = 2 * PAGE_SIZE;
	if (copy_to_user(uarg, &rs, sizeof(rs))) {
		vfree(ring);
		return -EFAULT;
	}

	/*
	 * No event exists before the ring (entry requires it), so no
	 * producer runs yet.  poll() reads ctx->ring without the mutex:
	 * publish it last, so a non-NULL ring implies the rest.
	 */
	ctx->ring_pages = pages;
	ctx->cons = ring;
	ctx->prod = ring + PAGE_SIZE;
	ctx->data = ring + 2 * PAGE_SIZE;
	ctx->mask = rs.data_size - 1;
	ctx->prod->data_size = rs.data_size;
	/* Pairs with the acquire in aem_poll(). */
	smp_store_release(&ctx->ring, ring);
	return 0;
}

static long aem_ioc_lookup(struct aem_ctx *ctx, void __user *uarg)
{
	struct aem_service *svc, *best = NULL;
	struct aem_lookup lu;
	size_t len;

	if (copy_from_user(&lu, uarg, sizeof(lu)))
		return -EFAULT;
	if ((lu.flags & ~AEM_LOOKUP_EXACT) || lu.service_id ||
	    lu.first_call || lu.ncalls || lu.reserved0 || lu.reserved[0] ||
	    lu.reserved[1] || lu.version > AEM_VERSION(255, 255, 255))
		return -EINVAL;
	if (!aem_name_valid(lu.name, sizeof(lu.name)))
		return -EINVAL;
	/* Bytes after the NUL are reserved too. */
	len = strnlen(lu.name, sizeof(lu.name));
	if (memchr_inv(lu.name + len, 0, sizeof(lu.name) - len))
		return -EINVAL;

	mutex_lock(&aem_services_mutex);
	list_for_each_entry(svc, &aem_services, node) {
		if (strcmp(svc->name, lu.name))
			continue;
		if (lu.flags & AEM_LOOKUP_EXACT) {
			if (svc->version != lu.version)
				continue;
		} else if (AEM_VERSION_MAJOR(svc->version) !=
			   AEM_VERSION_MAJOR(lu.version) ||
			   svc->version < lu.version) {
			continue;
		}
		if (!best || svc->version > best->version)
			best = svc;
	}
	if (!best) {
		mutex_unlock(&aem_services_mutex);
		return -ENOENT;
	}
	lu.service_id = best->id;
	lu.version = best->version;
	lu.first_call = best->id * AEM_CALLS_PER_SERVICE;
	lu.ncalls = best->ncalls;
	mutex_unlock(&aem_services_mutex);

	if (!aem_ctx_bound(ctx, lu.service_id)) {
		if (ctx->nr_bindings == AEM_MAX_BINDINGS)
			return -ENOSPC;
		ctx->bindings[ctx->nr_bindings++] = lu.service_id;
	}
	return copy_to_user(uarg, &lu, sizeof(lu)) ? -EFAULT : 0;
}

/* Find a bound service by id and pin its module; NULL if it is gone. */
static struct aem_service *aem_service_get(u32 id)
{
	struct aem_service *svc;

	mutex_lock(&aem_services_mutex);
	svc = idr_find(&aem_service_ids, id);
	if (svc && !try_module_get(svc->owner))
		svc = NULL;
	mutex_unlock(&aem_services_mutex);
	return svc;
}

static long aem_ioc_entry(struct aem_ctx *ctx, void __user *uarg)
{
	struct aem_service *svc;
	struct aem_event *ev;
	struct aem_entry en;
	void *args = NULL;
	u32 id, call;
	int ret;

	if (copy_from_user(&en, uarg, sizeof(en)))
		return -EFAULT;
	if ((en.flags & ~AEM_ENTRY_F_START) || en.reserved0 || en.event_id ||
	    en.reserved[0] || en.reserved[1] || en.priority > AEM_PRIO_MAX ||
	    en.args_len > AEM_ARGS_MAX || (en.args_len && !en.args))
		return -EINVAL;
	if (!ctx->ring)
		return -ENXIO;
	if (!aem_ctx_bound(ctx, en.service_id))
		return -ENOENT;
	if (ctx->nr_events >= max_events)
		return -ENOSPC;

	svc = aem_service_get(en.service_id);
	if (!svc)
		return -ENOENT;
	ret = -EINVAL;
	if (en.call / AEM_CALLS_PER_SERVICE != svc->id ||
	    en.call % AEM_CALLS_PER_SERVICE >= svc->ncalls)
		goto out_put_module;
	call = en.call % AEM_CALLS_PER_SERVICE;

	if (en.args_len) {
		args = memdup_user(u64_to_user_ptr(en.args), en.args_len);
		if (IS_ERR(args)) {
			ret = PTR_ERR(args);
			goto out_put_module;
		}
	}

	ret = -ENOMEM;
	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		goto out_free_args;
	ev->ctx = ctx;
	ev->svc = svc;
	ev->user_data = en.user_data;
	ev->priority = en.priority;
	INIT_LIST_HEAD(&ev->ready);
	INIT_LIST_HEAD(&ev->deferred);

	ret = svc->ops->create(ev, call, args, en.args_len);
	if (ret)
		goto out_free_event;

	ret = xa_alloc_cyclic(&ctx->events, &id, ev, xa_limit_32b,
			      &ctx->next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto out_destroy;
	ev->id = id;
	kref_get(&ctx->kref);
	ctx->nr_events++;
	atomic_inc(&aem_nr_events);
	kfree(args);
	args = NULL;

	if (en.flags & AEM_ENTRY_F_START) {
		ret = svc->ops->start(ev);
		if (ret)
			goto out_shutdown;
	}

	en.event_id = ev->id;
	if (copy_to_user(uarg, &en, sizeof(en))) {
		ret = -EFAULT;
		goto out_shutdown;
	}
	return 0;

out_shutdown:
	xa_erase(&ctx->events, ev->id);
	aem_event_shutdown(ctx, ev);	/* drops the module reference */
	return ret;
out_destroy:
	svc->ops->destroy(ev);
out_free_event:
	kfree(ev);
out_free_args:
	kfree(args);
out_put_module:
	module_put(svc->owner);
	return ret;
}

static long aem_ioc_evctl(struct aem_ctx *ctx, void __user *uarg)
{
	struct aem_event *ev;
	struct aem_evctl ec;

	if (copy_from_user(&ec, uarg, sizeof(ec)))
		return -EFAULT;
	if (ec.reserved[0] || ec.reserved[1])
		return -EINVAL;
	if (ec.op == AEM_EVCTL_PRIO ? ec.value > AEM_PRIO_MAX : ec.value)
		return -EINVAL;
	if (ec.op < AEM_EVCTL_START || ec.op > AEM_EVCTL_PRIO)
		return -EINVAL;
	if (!ec.event_id || ec.event_id > U32_MAX)
		return -ENOENT;

	ev = xa_load(&ctx->events, ec.event_id);
	if (!ev)
		return -ENOENT;

	switch (ec.op) {
	case AEM_EVCTL_START:
		return ev->svc->ops->start(ev);
	case AEM_EVCTL_STOP:
		ev->svc->ops->stop(ev);
		return 0;
	case AEM_EVCTL_SHUTDOWN:
		xa_erase(&ctx->events, ec.event_id);
		aem_event_shutdown(ctx, ev);
		return 0;
	default:	/* AEM_EVCTL_PRIO */
		WRITE_ONCE(ev->priority, ec.value);
		return 0;
	}
}

/*
 * A service's own operation on one of its events.  The argument stays in
 * user memory: the service reads and checks what it needs (a send batch
 * may be megabytes), so the core checks only its own struct and the range.
 */
static long aem_ioc_control(struct aem_ctx *ctx, void __user *uarg)
{
	struct aem_control co;
	struct aem_event *ev;
	void __user *arg;

	if (copy_from_user(&co, uarg, sizeof(co)))
		return -EFAULT;
	if (co.flags || co.reserved0 || co.reserved[0] || co.reserved[1] ||
	    co.arg_len > AEM_CONTROL_ARG_MAX || (co.arg_len && !co.arg))
		return -EINVAL;
	arg = u64_to_user_ptr(co.arg);
	if (!access_ok(arg, co.arg_len))
		return -EFAULT;
	if (!ctx->ring)
		return -ENXIO;
	if (!co.event_id || co.event_id > U32_MAX)
		return -ENOENT;
	ev = xa_load(&ctx->events, co.event_id);
	if (!ev)
		return -ENOENT;
	if (!ev->svc->ops->control)
		return -EOPNOTSUPP;
	/* ctx->mutex is held: the event cannot be shut down meanwhile. */
	return ev->svc->ops->control(ev, co.op, arg, co.arg_len);
}

static long aem_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct aem_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	if (cmd == AEM_IOC_ABI_INFO)
		return aem_ioc_abi_info(uarg);

	mutex_lock(&ctx->mutex);
	switch (cmd) {
	case AEM_IOC_RING_SETUP:
		ret = aem_ioc_ring_setup(ctx, uarg);
		break;
	case AEM_IOC_LOOKUP:
		ret = aem_ioc_lookup(ctx, uarg);
		break;
	case AEM_IOC_ENTRY:
		ret = aem_ioc_entry(ctx, uarg);
		break;
	case AEM_IOC_EVCTL:
		ret = aem_ioc_evctl(ctx, uarg);
		break;
	case AEM_IOC_FLUSH:
		ret = ctx->ring ? aem_ring_flush(ctx) : -ENXIO;
		break;
	case AEM_IOC_CONTROL:
		ret = aem_ioc_control(ctx, uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&ctx->mutex);
	return ret;
}

/* ---- file operations --------------------------------------------------- */

static __poll_t aem_poll(struct file *file, struct poll_table_struct *wait)
{
	struct aem_ctx *ctx = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ctx->wq, wait);

	/* Set once under the mutex, never cleared; see aem_ioc_ring_setup(). */
	if (!smp_load_acquire(&ctx->ring))
		return 0;

	/*
	 * Room may have appeared since the backlog formed; flushing here lets
	 * a consumer rely on poll() alone.  No wake-up: the caller is told.
	 * Deferred work runs here too, in the poller's context (epoll_wait()
	 * calls this from the waiting task); a poller never holds ctx->mutex.
	 */
	spin_lock_irq(&ctx->lock);
	if (ctx->nr_ready)
		aem_ring_flush_locked(ctx);
	spin_unlock_irq(&ctx->lock);

	if (READ_ONCE(ctx->nr_deferred)) {
		mutex_lock(&ctx->mutex);
		aem_ctx_run_deferred(ctx);
		mutex_unlock(&ctx->mutex);
	}

	spin_lock_irq(&ctx->lock);
	if (READ_ONCE(ctx->cons->consumer_pos) != ctx->prod_pos)
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&ctx->lock);
	return mask;
}

static int aem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct aem_ctx *ctx = file->private_data;
	unsigned long pgoff = vma->vm_pgoff;
	unsigned long npages = vma_pages(vma);
	int ret;

	mutex_lock(&ctx->mutex);
	ret = -ENXIO;
	if (!ctx->ring)
		goto out_unlock;
	ret = -EINVAL;
	if (pgoff >= ctx->ring_pages || npages > ctx->ring_pages - pgoff)
		goto out_unlock;
	if (pgoff == 0) {
		/* The consumer page alone may be writable. */
		if (npages != 1)
			goto out_unlock;
	} else {
		ret = -EPERM;
		if (vma->vm_flags & VM_WRITE)
			goto out_unlock;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	vma->vm_flags |= VM_DONTDUMP;
	ret = remap_vmalloc_range(vma, ctx->ring, pgoff);
out_unlock:
	mutex_unlock(&ctx->mutex);
	return ret;
}

static int aem_open(struct inode *inode, struct file *file)
{
	struct aem_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	kref_init(&ctx->kref);
	mutex_init(&ctx->mutex);
	spin_lock_init(&ctx->lock);
	init_waitqueue_head(&ctx->wq);
	xa_init_flags(&ctx->events, XA_FLAGS_ALLOC1);
	INIT_LIST_HEAD(&ctx->ready);
	INIT_LIST_HEAD(&ctx->deferred);
	atomic_inc(&aem_nr_ctx);
	file->private_data = ctx;
	return stream_open(inode, file);
}

/*
 * Runs when the last fd and the last mapping are gone, process death
 * included.  Tears down every event; the events' context references go
 * with them, so the file's reference is the last one.
 */
static int aem_release(struct inode *inode, struct file *file)
{
	struct aem_ctx *ctx = file->private_data;
	struct aem_event *ev;
	unsigned long id;

	mutex_lock(&ctx->mutex);
	xa_for_each(&ctx->events, id, ev) {
		xa_erase(&ctx->events, id);
		aem_event_shutdown(ctx, ev);
		cond_resched();
	}
	mutex_unlock(&ctx->mutex);
	aem_ctx_put(ctx);
	return 0;
}

static const struct file_operations aem_fops = {
	.owner = THIS_MODULE,
	.open = aem_open,
	.release = aem_release,
	.unlocked_ioctl = aem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = aem_mmap,
	.poll = aem_poll,
	.llseek = no_llseek,
};

static struct miscdevice aem_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = AEM_DEVICE_NAME,
	.fops = &aem_fops,
	.mode = 0660,		/* grant access with a udev rule */
};

static int __init aem_core_init(void)
{
	/* The ring header pages and record layout are ABI. */
	BUILD_BUG_ON(sizeof(struct aem_record) != 24);
	BUILD_BUG_ON(sizeof(struct aem_record) % AEM_RECORD_ALIGN);
	BUILD_BUG_ON(sizeof(struct aem_ring_producer) > PAGE_SIZE);
	BUILD_BUG_ON(sizeof(struct aem_abi_info) != 48);
	BUILD_BUG_ON(sizeof(struct aem_ring_setup) != 56);
	BUILD_BUG_ON(sizeof(struct aem_lookup) != 72);
	BUILD_BUG_ON(sizeof(struct aem_entry) != 64);
	BUILD_BUG_ON(sizeof(struct aem_evctl) != 32);
	BUILD_BUG_ON(sizeof(struct aem_control) != 48);
	BUILD_BUG_ON(AEM_EMIT_MAX != AEM_RECORD_MAX - sizeof(struct aem_record));
	BUILD_BUG_ON(AEM_RECORD_MAX % AEM_RECORD_ALIGN);
	/* The largest record fits the smallest ring. */
	BUILD_BUG_ON(sizeof(struct aem_record) + AEM_PAYLOAD_MAX > PAGE_SIZE);

	if (!max_events || max_events > (1U << 20) || !max_ring_pages ||
	    !is_power_of_2(max_ring_pages) || max_ring_pages > (1U << 18)) {
		pr_err("invalid max_events or max_ring_pages\n");
		return -EINVAL;
	}
	return misc_register(&aem_miscdev);
}

static void __exit aem_core_exit(void)
{
	misc_deregister(&aem_miscdev);
	/* Nothing can hold these here: a leak is a bug. */
	WARN(atomic_read(&aem_nr_ctx) || atomic_read(&aem_nr_events),
	     "aem_core: leaked %d contexts, %d events\n",
	     atomic_read(&aem_nr_ctx), atomic_read(&aem_nr_events));
	WARN_ON(!list_empty(&aem_services));
	idr_destroy(&aem_service_ids);
}

module_init(aem_core_init);
module_exit(aem_core_exit);

MODULE_DESCRIPTION("AEM core: /dev/aem, the event ring and the service registry");
MODULE_AUTHOR("AEM for TypeScript contributors");
MODULE_LICENSE("GPL");
