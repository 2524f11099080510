// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libaem.c - see libaem.h.  The ring protocol and its ordering are
 * described in <linux/aem.h>; the consumer half lives in aem_drain().
 */
#include "libaem.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * struct aem - one context.  All fields are owned by the thread using the
 * handle; the kernel writes *prod and the data area concurrently.
 */
struct aem {
	int fd;
	struct aem_abi_info abi;
	struct aem_ring_setup ring;
	struct aem_ring_consumer *cons;	/* mapped read-write */
	void *prod_map;			/* producer page + data, read-only */
	size_t prod_map_len;
	const struct aem_ring_producer *prod;
	const uint8_t *data;
	uint64_t mask;
};

static int aem__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int aem_open(struct aem **out, const char *path, unsigned int ring_pages)
{
	struct aem *aem;
	long page;
	int ret;

	*out = NULL;
	aem = calloc(1, sizeof(*aem));
	if (!aem)
		return -ENOMEM;
	aem->fd = open(path ? path : "/dev/" AEM_DEVICE_NAME,
		       O_RDWR | O_CLOEXEC);
	if (aem->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = aem__ioctl(aem->fd, AEM_IOC_ABI_INFO, &aem->abi);
	if (ret < 0)
		goto out_close;
	page = sysconf(_SC_PAGESIZE);
	if (aem->abi.abi_version != AEM_ABI_VERSION ||
	    aem->abi.page_size != (uint32_t)page ||
	    aem->abi.record_header_size != sizeof(struct aem_record)) {
		ret = -EPROTO;
		goto out_close;
	}

	aem->ring.data_pages = ring_pages ? ring_pages : AEM_DEFAULT_RING_PAGES;
	ret = aem__ioctl(aem->fd, AEM_IOC_RING_SETUP, &aem->ring);
	if (ret < 0)
		goto out_close;

	aem->cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 aem->fd, aem->ring.consumer_offset);
	if (aem->cons == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	aem->prod_map_len = page + aem->ring.data_size;
	aem->prod_map = mmap(NULL, aem->prod_map_len, PROT_READ, MAP_SHARED,
			     aem->fd, aem->ring.producer_offset);
	if (aem->prod_map == MAP_FAILED) {
		ret = -errno;
		goto out_unmap_cons;
	}
	aem->prod = aem->prod_map;
	aem->data = (const uint8_t *)aem->prod_map +
		    (aem->ring.data_offset - aem->ring.producer_offset);
	aem->mask = aem->ring.data_size - 1;
	*out = aem;
	return 0;

out_unmap_cons:
	munmap(aem->cons, page);
out_close:
	close(aem->fd);
out_free:
	free(aem);
	return ret;
}

void aem_close(struct aem *aem)
{
	if (!aem)
		return;
	munmap(aem->prod_map, aem->prod_map_len);
	munmap(aem->cons, aem->abi.page_size);
	close(aem->fd);
	free(aem);
}

int aem_fd(const struct aem *aem)
{
	return aem->fd;
}

const struct aem_abi_info *aem_abi(const struct aem *aem)
{
	return &aem->abi;
}

int aem_lookup(struct aem *aem, const char *name, uint32_t version,
	       uint32_t flags, struct aem_service_info *out)
{
	struct aem_lookup lu;
	int ret;

	memset(&lu, 0, sizeof(lu));
	if (strlen(name) >= sizeof(lu.name))
		return -ENAMETOOLONG;
	strcpy(lu.name, name);
	lu.version = version;
	lu.flags = flags;
	ret = aem__ioctl(aem->fd, AEM_IOC_LOOKUP, &lu);
	if (ret < 0)
		return ret;
	out->service_id = lu.service_id;
	out->version = lu.version;
	out->first_call = lu.first_call;
	out->ncalls = lu.ncalls;
	return 0;
}

int aem_entry(struct aem *aem, uint32_t service_id, uint32_t call,
	      const void *args, uint32_t args_len, uint64_t user_data,
	      uint32_t priority, uint32_t flags, uint64_t *event_id)
{
	struct aem_entry en;
	int ret;

	memset(&en, 0, sizeof(en));
	en.service_id = service_id;
	en.call = call;
	en.args = (uintptr_t)args;
	en.args_len = args_len;
	en.flags = flags;
	en.user_data = user_data;
	en.priority = priority;
	ret = aem__ioctl(aem->fd, AEM_IOC_ENTRY, &en);
	if (ret < 0)
		return ret;
	if (event_id)
		*event_id = en.event_id;
	return 0;
}

int aem_evctl(struct aem *aem, uint64_t event_id, uint32_t op, uint32_t value)
{
	struct aem_evctl ec;

	memset(&ec, 0, sizeof(ec));
	ec.event_id = event_id;
	ec.op = op;
	ec.value = value;
	return aem__ioctl(aem->fd, AEM_IOC_EVCTL, &ec);
}

int aem_timer_create(struct aem *aem, const struct aem_service_info *timers,
		     uint64_t initial_ns, uint64_t interval_ns,
		     uint64_t user_data, uint32_t flags, uint64_t *event_id)
{
	struct aem_timer_args ta;

	memset(&ta, 0, sizeof(ta));
	ta.initial_ns = initial_ns;
	ta.interval_ns = interval_ns;
	return aem_entry(aem, timers->service_id,
			 timers->first_call + AEM_TIMER_CALL_CREATE, &ta,
			 sizeof(ta), user_data, 0, flags, event_id);
}

int aem_tcp_attach(struct aem *aem, const struct aem_service_info *tcp,
		   int fd, uint32_t call, uint32_t chunk, uint64_t user_data,
		   uint32_t flags, uint64_t *event_id)
{
	struct aem_tcp_args ta;

	memset(&ta, 0, sizeof(ta));
	ta.fd = fd;
	ta.chunk = chunk;
	return aem_entry(aem, tcp->service_id, tcp->first_call + call, &ta,
			 sizeof(ta), user_data, 0, flags, event_id);
}

int aem_udp_attach(struct aem *aem, const struct aem_service_info *udp,
		   int fd, uint64_t user_data, uint32_t flags,
		   uint64_t *event_id)
{
	struct aem_udp_args ua;

	memset(&ua, 0, sizeof(ua));
	ua.fd = fd;
	return aem_entry(aem, udp->service_id,
			 udp->first_call + AEM_UDP_CALL_SOCKET, &ua, sizeof(ua),
			 user_data, 0, flags, event_id);
}

int aem_control(struct aem *aem, uint64_t event_id, uint32_t op, void *arg,
		uint32_t arg_len)
{
	struct aem_control co;

	memset(&co, 0, sizeof(co));
	co.event_id = event_id;
	co.op = op;
	co.arg = (uintptr_t)arg;
	co.arg_len = arg_len;
	return aem__ioctl(aem->fd, AEM_IOC_CONTROL, &co);
}

size_t aem_udp_msg_size(uint32_t len)
{
	return sizeof(struct aem_udp_msg) + (((size_t)len + 7) & ~(size_t)7);
}

void *aem_udp_msg_put(void *at, const struct sockaddr *sa, const void *data,
		      uint32_t len)
{
	struct aem_udp_msg *m = at;
	uint8_t *p = (uint8_t *)(m + 1);
	size_t pad = aem_udp_msg_size(len) - sizeof(*m) - len;

	memset(m, 0, sizeof(*m));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		m->addr.family = AF_INET;
		m->addr.port = ntohs(sin->sin_port);
		memcpy(m->addr.addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		m->addr.family = AF_INET6;
		m->addr.port = ntohs(sin6->sin6_port);
		m->addr.scope_id = sin6->sin6_scope_id;
		memcpy(m->addr.addr, &sin6->sin6_addr, 16);
	} else {
		return NULL;
	}
	m->len = len;
	if (len)
		memcpy(p, data, len);
	memset(p + len, 0, pad);
	return p + len + pad;
}

int aem_udp_send(struct aem *aem, uint64_t event_id, void *batch,
		 uint32_t count, uint32_t len)
{
	struct aem_udp_send *hd = batch;

	memset(hd, 0, sizeof(*hd));
	hd->count = count;
	return aem_control(aem, event_id, AEM_UDP_OP_SEND, batch, len);
}

int aem_udp_sockaddr(const struct aem_udp_addr *addr,
		     struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (void *)out;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(addr->port);
		memcpy(&sin->sin_addr, addr->addr, 4);
		return sizeof(*sin);
	}
	if (addr->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(addr->port);
		sin6->sin6_scope_id = addr->scope_id;
		memcpy(&sin6->sin6_addr, addr->addr, 16);
		return sizeof(*sin6);
	}
	return -EAFNOSUPPORT;
}

int aem_drain(struct aem *aem, aem_record_cb cb, void *arg, unsigned int max)
{
	uint64_t cons = aem->cons->consumer_pos;	/* only we write it */
	unsigned int count = 0;
	int stop = 0;

	for (;;) {
		/* Pairs with the kernel's release store of producer_pos. */
		uint64_t prod = __atomic_load_n(&aem->prod->producer_pos,
						__ATOMIC_ACQUIRE);

		if (prod - cons > aem->ring.data_size)
			return -EPROTO;	/* consumer_pos was overwritten */

		while (cons != prod && !stop && (!max || count < max)) {
			const struct aem_record *rec =
				(const void *)(aem->data + (cons & aem->mask));
			uint32_t len = rec->len;

			if (len < 8 || len % AEM_RECORD_ALIGN ||
			    len > prod - cons)
				return -EPROTO;	/* the kernel broke the ABI */
			if (rec->type != AEM_REC_PAD) {
				count++;
				stop = cb ? cb(rec, arg) : 0;
			}
			cons += len;
		}
		/* Hands the space back after our reads of it. */
		__atomic_store_n(&aem->cons->consumer_pos, cons,
				 __ATOMIC_RELEASE);
		if (stop || (max && count >= max))
			break;
		/*
		 * Events that found the ring full wait in the kernel; with
		 * room made, ask for them and go round once more.
		 */
		if (!(__atomic_load_n(&aem->prod->flags, __ATOMIC_ACQUIRE) &
		      AEM_RING_F_BACKLOG))
			break;
		if (aem__ioctl(aem->fd, AEM_IOC_FLUSH, NULL) <= 0)
			break;
	}
	return count;
}

int aem_wait(struct aem *aem, int timeout_ms)
{
	struct pollfd pfd = { .fd = aem->fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	return ret > 0 && (pfd.revents & POLLIN) ? 1 : 0;
}

uint64_t aem_dropped(const struct aem *aem)
{
	return __atomic_load_n(&aem->prod->dropped, __ATOMIC_RELAXED);
}

uint32_t aem_ring_flags(const struct aem *aem)
{
	return __atomic_load_n(&aem->prod->flags, __ATOMIC_RELAXED);
}

uint64_t aem_ring_pending_bytes(const struct aem *aem)
{
	return __atomic_load_n(&aem->prod->producer_pos, __ATOMIC_ACQUIRE) -
	       aem->cons->consumer_pos;
}
