/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * libaem - the user-space C library for /dev/aem
 *
 * A handle is one context: aem_open() opens the device, checks the ABI
 * version, sets up the ring and maps it.  Every function returns 0 (or a
 * count) on success and a negative errno on failure; none sets errno for
 * the caller to read.  A handle is not thread-safe: use one per thread or
 * lock around it.  The kernel keeps one ring per handle, so one consumer.
 */
#ifndef LIBAEM_H
#define LIBAEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/aem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aem;

/* What AEM_IOC_LOOKUP bound. */
struct aem_service_info {
	uint32_t service_id;
	uint32_t version;
	uint32_t first_call;
	uint32_t ncalls;
};

/*
 * Called for each record by aem_drain(); the record is valid only during
 * the call.  Return 0 to go on, anything else to stop the drain after this
 * record (it is consumed).
 */
typedef int (*aem_record_cb)(const struct aem_record *rec, void *arg);

/* Default data area: 64 pages (256 KiB with 4 KiB pages). */
#define AEM_DEFAULT_RING_PAGES	64

int aem_open(struct aem **out, const char *path, unsigned int ring_pages);
void aem_close(struct aem *aem);
int aem_fd(const struct aem *aem);
const struct aem_abi_info *aem_abi(const struct aem *aem);

int aem_lookup(struct aem *aem, const char *name, uint32_t version,
	       uint32_t flags, struct aem_service_info *out);
int aem_entry(struct aem *aem, uint32_t service_id, uint32_t call,
	      const void *args, uint32_t args_len, uint64_t user_data,
	      uint32_t priority, uint32_t flags, uint64_t *event_id);
int aem_evctl(struct aem *aem, uint64_t event_id, uint32_t op,
	      uint32_t value);

/* Timers convenience: create (and with AEM_ENTRY_F_START, arm) a timer. */
int aem_timer_create(struct aem *aem, const struct aem_service_info *timers,
		     uint64_t initial_ns, uint64_t interval_ns,
		     uint64_t user_data, uint32_t flags, uint64_t *event_id);

/*
 * TCP convenience: attach an event to socket @fd with call
 * AEM_TCP_CALL_LISTENER or AEM_TCP_CALL_CONNECTION (@chunk: most data bytes
 * per record, 0 for the largest).  See <linux/aem.h> for the records.
 */
int aem_tcp_attach(struct aem *aem, const struct aem_service_info *tcp,
		   int fd, uint32_t call, uint32_t chunk, uint64_t user_data,
		   uint32_t flags, uint64_t *event_id);

/*
 * UDP convenience: attach an event to the bound UDP socket @fd (call
 * AEM_UDP_CALL_SOCKET).  See <linux/aem.h> for the records.
 */
int aem_udp_attach(struct aem *aem, const struct aem_service_info *udp,
		   int fd, uint64_t user_data, uint32_t flags,
		   uint64_t *event_id);

/*
 * A service's own operation @op on @event_id (AEM_IOC_CONTROL), its
 * argument @arg of @arg_len bytes.  Returns the service's result (>= 0) or
 * a negative errno.
 */
int aem_control(struct aem *aem, uint64_t event_id, uint32_t op, void *arg,
		uint32_t arg_len);

/*
 * Building an AEM_UDP_OP_SEND batch: a struct aem_udp_send, then one
 * message per datagram.  aem_udp_msg_size() is the bytes a datagram of
 * @len takes; aem_udp_msg_put() writes one at @at (the destination from
 * @sa, a sockaddr_in or sockaddr_in6) and returns the byte after it, or
 * NULL for another address family.  aem_udp_send() zeroes the head's out
 * fields, sets its count to @count, sends, and returns the number of
 * datagrams handled (sent or refused; fewer than @count when the socket's
 * send buffer filled: AEM_UDP_SEND_BLOCKED) or a negative errno; the head
 * then holds sent, errors and the first error.
 */
size_t aem_udp_msg_size(uint32_t len);
void *aem_udp_msg_put(void *at, const struct sockaddr *sa, const void *data,
		      uint32_t len);
int aem_udp_send(struct aem *aem, uint64_t event_id, void *batch,
		 uint32_t count, uint32_t len);

/* The peer of a record as a sockaddr_in or sockaddr_in6; returns its size. */
int aem_udp_sockaddr(const struct aem_udp_addr *addr,
		     struct sockaddr_storage *out);

/*
 * Consume up to @max records (0: no limit), calling @cb (if not NULL) for
 * each; flushes the kernel's backlog when the ring had been full.  Returns
 * the number of records consumed (padding excluded) or a negative errno.
 */
int aem_drain(struct aem *aem, aem_record_cb cb, void *arg, unsigned int max);

/* poll() for records; returns 1 when readable, 0 on timeout, -errno. */
int aem_wait(struct aem *aem, int timeout_ms);

/* Producer-page counters. */
uint64_t aem_dropped(const struct aem *aem);
uint32_t aem_ring_flags(const struct aem *aem);
uint64_t aem_ring_pending_bytes(const struct aem *aem);

#ifdef __cplusplus
}
#endif

#endif /* LIBAEM_H */
