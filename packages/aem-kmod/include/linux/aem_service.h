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
 * aem_event_activate() may be called from any context, hard interrupt
 * included, until stop() has returned.
 */
#ifndef _LINUX_AEM_SERVICE_H
#define _LINUX_AEM_SERVICE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/aem.h>

struct module;
struct aem_event;

/* Largest payload a service may declare; keeps any record below a page. */
#define AEM_PAYLOAD_MAX		1024

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
 */
struct aem_service_ops {
	int (*create)(struct aem_event *ev, u32 call, const void *args,
		      u32 len);
	int (*start)(struct aem_event *ev);
	void (*stop)(struct aem_event *ev);
	void (*destroy)(struct aem_event *ev);
	int (*fill)(struct aem_event *ev, void *payload, u32 room);
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
void *aem_event_priv(const struct aem_event *ev);
void aem_event_set_priv(struct aem_event *ev, void *priv);

#endif /* _LINUX_AEM_SERVICE_H */
