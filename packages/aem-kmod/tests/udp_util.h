/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * udp_util.h - loopback UDP sockets, send batches and record collection
 * for the UDP tests.
 */
#ifndef AEM_UDP_UTIL_H
#define AEM_UDP_UTIL_H

#include "libaem.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* One collected record (the payload copied out of the ring). */
struct urec {
	uint64_t event_id;
	uint64_t user_data;
	uint16_t kind;
	int64_t value;
	struct aem_udp_addr addr;	/* DATAGRAM */
	uint32_t len;			/* DATAGRAM: payload bytes */
	uint8_t *data;			/* DATAGRAM: malloc'd copy */
};

struct ucollect {
	struct urec *recs;
	unsigned int n, cap;
	unsigned long datagrams;	/* DATAGRAM records seen */
	long long drops;		/* last DROPS value, or -1 */
	unsigned int writable;		/* WRITABLE records seen */
	/* Optional sink for DATAGRAM: called instead of keeping a copy. */
	void (*on_datagram)(const struct aem_record *rec,
			    const struct aem_udp_addr *addr,
			    const uint8_t *p, uint32_t len, void *arg);
	void *arg;
};

static inline void ucollect_init(struct ucollect *c)
{
	memset(c, 0, sizeof(*c));
	c->drops = -1;
}

static inline int ucollect_cb(const struct aem_record *rec, void *arg)
{
	struct ucollect *c = arg;
	const struct aem_udp_record *ur = (const void *)rec->payload;
	const struct aem_udp_addr *addr = (const void *)ur->data;
	uint32_t n = 0;
	struct urec *r;

	if (rec->type != AEM_REC_UDP)
		return 0;
	if (ur->kind == AEM_UDP_DROPS)
		c->drops = ur->value;
	if (ur->kind == AEM_UDP_WRITABLE)
		c->writable++;
	if (ur->kind == AEM_UDP_DATAGRAM) {
		if (ur->len < sizeof(*addr))
			tap_bail("short DATAGRAM record");
		n = ur->len - sizeof(*addr);
		c->datagrams++;
		if (c->on_datagram) {
			c->on_datagram(rec, addr, ur->data + sizeof(*addr), n,
				       c->arg);
			return 0;
		}
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
		if (!c->recs)
			tap_bail("realloc");
	}
	r = &c->recs[c->n++];
	memset(r, 0, sizeof(*r));
	r->event_id = rec->event_id;
	r->user_data = rec->user_data;
	r->kind = ur->kind;
	r->value = ur->value;
	if (ur->kind == AEM_UDP_DATAGRAM) {
		memcpy(&r->addr, addr, sizeof(*addr));
		r->len = n;
		r->data = malloc(n ? n : 1);
		if (!r->data)
			tap_bail("malloc");
		memcpy(r->data, ur->data + sizeof(*addr), n);
	}
	return 0;
}

static inline void ucollect_reset(struct ucollect *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		free(c->recs[i].data);
	c->n = 0;
	c->datagrams = 0;
	c->writable = 0;
	c->drops = -1;
}

static inline void ucollect_free(struct ucollect *c)
{
	ucollect_reset(c);
	free(c->recs);
	c->recs = NULL;
	c->cap = 0;
}

/* Poll and drain until @done(c) or @ms pass; returns 1 when done. */
static inline int ucollect_until(struct aem *aem, struct ucollect *c,
				 int (*done)(struct ucollect *c, void *arg),
				 void *arg, unsigned int ms)
{
	unsigned long long end = now_ns() + ms * 1000000ULL;

	for (;;) {
		aem_drain(aem, ucollect_cb, c, 0);
		if (done(c, arg))
			return 1;
		if (now_ns() > end)
			return 0;
		aem_wait(aem, 20);
	}
}

static inline int udatagrams(struct ucollect *c, void *arg)
{
	return c->datagrams >= *(unsigned long *)arg;
}

/* Index of the first record of @kind (and @event_id unless 0), or -1. */
static inline int ufind(const struct ucollect *c, uint16_t kind,
			uint64_t event_id)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->recs[i].kind == kind &&
		    (!event_id || c->recs[i].event_id == event_id))
			return (int)i;
	return -1;
}

static inline int has_ukind(struct ucollect *c, void *arg)
{
	return ufind(c, (uint16_t)(uintptr_t)arg, 0) >= 0;
}

/*
 * A UDP socket bound to @host (a numeric address; "" for 127.0.0.1),
 * port chosen by the kernel; @rcvbuf sets SO_RCVBUF unless 0.  Bails out
 * on failure.
 */
static inline int udp_socket(const char *host, int rcvbuf, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, family = host && strchr(host, ':') ? AF_INET6 : AF_INET;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host && *host ? host : "127.0.0.1",
			      &sin->sin_addr) != 1)
			tap_bail("inet_pton");
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			tap_bail("inet_pton");
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tap_bail("socket");
	/* Root (the VM) may pass net.core.rmem_max; others get capped. */
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				 sizeof(rcvbuf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		tap_bail("SO_RCVBUF");
	if (bind(fd, (void *)&ss, len) || getsockname(fd, (void *)&ss, &len))
		tap_bail("bind");
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			      ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* The address @host:@port as a sockaddr; returns its length. */
static inline socklen_t udp_addr(const char *host, uint16_t port,
				 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &sin6->sin6_addr);
		return sizeof(*sin6);
	}
	{
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, host, &sin->sin_addr);
		return sizeof(*sin);
	}
}

/* sendto() @host:@port; the byte count or -errno. */
static inline long udp_sendto(int fd, const char *host, uint16_t port,
			      const void *p, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = udp_addr(host, port, &ss);
	ssize_t n = sendto(fd, p, len, 0, (void *)&ss, sl);

	return n < 0 ? -errno : n;
}

/* A send batch being built: aem_udp_send() takes buf, count and used. */
struct ubatch {
	uint8_t *buf;
	uint32_t cap, used, count;
};

static inline void ubatch_init(struct ubatch *b, uint32_t cap)
{
	b->buf = calloc(1, cap);
	if (!b->buf)
		tap_bail("calloc");
	b->cap = cap;
	b->used = sizeof(struct aem_udp_send);
	b->count = 0;
}

static inline void ubatch_reset(struct ubatch *b)
{
	b->used = sizeof(struct aem_udp_send);
	b->count = 0;
}

static inline void ubatch_add(struct ubatch *b, const struct sockaddr *sa,
			      const void *p, uint32_t len)
{
	if (b->used + aem_udp_msg_size(len) > b->cap)
		tap_bail("batch full");
	if (!aem_udp_msg_put(b->buf + b->used, sa, p, len))
		tap_bail("aem_udp_msg_put");
	b->used += aem_udp_msg_size(len);
	b->count++;
}

static inline const struct aem_udp_send *ubatch_head(const struct ubatch *b)
{
	return (const void *)b->buf;
}

static inline int ubatch_send(struct aem *aem, uint64_t id, struct ubatch *b)
{
	return aem_udp_send(aem, id, b->buf, b->count, b->used);
}

/*
 * Packets the stack dropped before any socket saw them (the per-CPU input
 * backlog of /proc/net/softnet_stat, second column), or 0 if unreadable:
 * with sk_drops, what a burst over loopback can lose.
 */
static inline unsigned long softnet_dropped(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned long total = 0, processed, dropped;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %lx", &processed, &dropped) == 2)
			total += dropped;
	fclose(f);
	return total;
}

/* A datagram numbered @seq: the number, then bytes derived from it. */
static inline void useq_fill(uint8_t *p, uint32_t len, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

static inline int useq_check(const uint8_t *p, uint32_t len, uint32_t *seq)
{
	uint32_t i, s;

	if (len < 4)
		return 0;
	memcpy(&s, p, 4);
	for (i = 4; i < len; i++)
		if (p[i] != (uint8_t)(s * 31 + i * 7))
			return 0;
	*seq = s;
	return 1;
}

#endif /* AEM_UDP_UTIL_H */
