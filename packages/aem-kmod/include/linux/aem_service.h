/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * aem_service.h - the in-kernel interface between aem_core and the service
 * modules (aem_timers, ...).
 *
 * A service module fills a struct aem_service, registers it from its init
 * function and unregisters it from its exit function.  aem_core holds a
 * reference on svc->owner for every live event of the service, so the
 * module cannot be removed while one of its events exists, and exit (and
 * with it aem_service_unregister()) runs only when none is left.
 *
 * Calling context of the operations:
 *   create, start, stop, destroy: process context, the event's context
 *	mutex held, may sleep; never concurrently for one event.
 *   fill: the context's ring spinlock held with interrupts off; must not
 *	sleep.
 *   prepare: process context of a task polling or flushing the context
 *	(the consumer: its fd table is current->files), the context mutex
 *	held, may sleep; never concurrently with the others for one event.
 *   control: process context of the task calling AEM_IOC_CONTROL, the
 *	context mutex held, may sleep and fault on user memory; never
 *	concurrently with the others for one event.
 * aem_event_activate() and aem_event_defer() may be called from any
 * context, hard interrupt included, until stop() has returned.
 * aem_event_emit() and aem_event_emit_copy() are for prepare.
 */
#ifndef _LINUX_AEM_SERVICE_H
#define _LINUX_AEM_SERVICE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/aem.h>

struct module;
struct aem_event;

struct kvec;

/* Largest payload @fill writes: header and payload fill at most a page. */
#define AEM_PAYLOAD_MAX		4072

/* Largest payload prepare writes with aem_event_emit*() (AEM_RECORD_MAX). */
#define AEM_EMIT_MAX		(AEM_RECORD_MAX - 24)

/**
 * struct aem_service_ops - what a service implements
 * @create: validate @args (@len bytes, a kernel copy) for call @call
 *	(0-based) and set up the event's private state with
 *	aem_event_set_priv(); return 0 or a negative errno
 * @start: arm the event; return 0 or a negative errno
 * @stop: disarm the event; when it returns, no aem_event_activate() on
 *	this event is running or will run until the next @start
 * @destroy: free the private state; the event is stopped and unlinked
 * @fill: write the payload of a record for an activated event into
 *	@payload (@room bytes, at least max_payload) and return its size;
 *	0 when there is nothing to report (the activation was already
 *	reported), a negative errno to drop it (counted in the ring)
 * @detach: optional: the synchronous stop of a shutdown, for services
 *	whose @stop keeps part of the event live (the TCP service's @stop
 *	pauses reading but keeps reporting WRITABLE): when it returns, no
 *	aem_event_activate() or aem_event_defer() on this event is running
 *	or will run.  Without it, shutdown calls @stop
 * @prepare: optional: the event's deferred work (aem_event_defer()), run
 *	in the consumer's context; it writes records with aem_event_emit().
 *	Return 0 when done until the next aem_event_defer(), -EAGAIN to be
 *	run again at the consumer's next poll or flush (the ring was full, a
 *	budget ran out, or the caller is not the task it needs)
 * @control: optional: the service's own operation @op on the event
 *	(AEM_IOC_CONTROL), its argument @arg in user memory, @len bytes
 *	(at most AEM_CONTROL_ARG_MAX, not yet read or checked: the service
 *	validates everything it reads).  Return a non-negative result or a
 *	negative errno (-EINVAL for an unknown @op).  Without it the ioctl
 *	fails with EOPNOTSUPP
 */
struct aem_service_ops {
	int (*create)(struct aem_event *ev, u32 call, const void *args,
		      u32 len);
	int (*start)(struct aem_event *ev);
	void (*stop)(struct aem_event *ev);
	void (*destroy)(struct aem_event *ev);
	int (*fill)(struct aem_event *ev, void *payload, u32 room);
	void (*detach)(struct aem_event *ev);
	int (*prepare)(struct aem_event *ev);
	long (*control)(struct aem_event *ev, u32 op, void __user *arg,
			u32 len);
};

/**
 * struct aem_service - a registered service version
 * @name: [a-z0-9_-], shorter than AEM_NAME_MAX
 * @version: AEM_VERSION(major, minor, patch); name and version are unique
 * @ncalls: number of calls, 1..AEM_CALLS_PER_SERVICE
 * @record_type: AEM_REC_* of the records this service writes
 * @max_payload: largest payload @ops->fill writes, at most AEM_PAYLOAD_MAX
 * @ops: the operations
 * @owner: THIS_MODULE
 * @id: set by aem_core: the service id user space binds
 * @node: private to aem_core
 */
struct aem_service {
	const char *name;
	u32 version;
	u32 ncalls;
	u16 record_type;
	u32 max_payload;
	const struct aem_service_ops *ops;
	struct module *owner;
	u32 id;
	struct list_head node;
};

int aem_service_register(struct aem_service *svc);
void aem_service_unregister(struct aem_service *svc);
void aem_event_activate(struct aem_event *ev);
void aem_event_defer(struct aem_event *ev);
int aem_event_emit(struct aem_event *ev, const struct kvec *vec,
		   unsigned int nvec);
int aem_event_emit_copy(struct aem_event *ev, u32 len,
			int (*copy)(void *to, u32 len, void *arg), void *arg);
void *aem_event_priv(const struct aem_event *ev);
void aem_event_set_priv(struct aem_event *ev, void *priv);

#endif /* _LINUX_AEM_SERVICE_H */
