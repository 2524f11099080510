/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * tcp_util.h - loopback sockets and record collection for the TCP tests.
 */
#ifndef AEM_TCP_UTIL_H
#define AEM_TCP_UTIL_H

#include "libaem.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* One collected record (data copied out of the ring). */
struct trec {
	uint64_t event_id;
	uint64_t user_data;
	uint16_t kind;
	uint32_t len;
	int64_t value;
	struct aem_tcp_addr addr;	/* ACCEPT */
	uint8_t *data;			/* DATA: malloc'd copy */
};

struct tcollect {
	struct trec *recs;
	unsigned int n, cap;
	unsigned long long bytes;	/* DATA bytes seen */
	/* Optional sink for DATA: called instead of keeping a copy. */
	void (*on_data)(uint64_t event_id, const uint8_t *p, uint32_t len,
			void *arg);
	void *arg;
};

static inline int tcollect_cb(const struct aem_record *rec, void *arg)
{
	struct tcollect *c = arg;
	const struct aem_tcp_record *tr = (const void *)rec->payload;
	struct trec *r;

	if (rec->type != AEM_REC_TCP)
		return 0;
	if (tr->kind == AEM_TCP_DATA) {
		c->bytes += tr->len;
		if (c->on_data) {
			c->on_data(rec->event_id, tr->data, tr->len, c->arg);
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
	r->kind = tr->kind;
	r->len = tr->len;
	r->value = tr->value;
	if (tr->kind == AEM_TCP_ACCEPT && tr->len == sizeof(r->addr))
		memcpy(&r->addr, tr->data, sizeof(r->addr));
	if (tr->kind == AEM_TCP_DATA && tr->len) {
		r->data = malloc(tr->len);
		if (!r->data)
			tap_bail("malloc");
		memcpy(r->data, tr->data, tr->len);
	}
	return 0;
}

static inline void tcollect_reset(struct tcollect *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		free(c->recs[i].data);
	c->n = 0;
	c->bytes = 0;
}

/* Poll and drain until @done(c) or @ms pass; returns 1 when done. */
static inline int tcollect_until(struct aem *aem, struct tcollect *c,
				 int (*done)(struct tcollect *c, void *arg),
				 void *arg, unsigned int ms)
{
	unsigned long long end = now_ns() + ms * 1000000ULL;

	for (;;) {
		aem_drain(aem, tcollect_cb, c, 0);
		if (done(c, arg))
			return 1;
		if (now_ns() > end)
			return 0;
		aem_wait(aem, 20);
	}
}

/* Index of the first record of @kind (and @event_id unless 0), or -1. */
static inline int tfind(const struct tcollect *c, uint16_t kind,
			uint64_t event_id)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->recs[i].kind == kind &&
		    (!event_id || c->recs[i].event_id == event_id))
			return (int)i;
	return -1;
}

static inline int has_kind(struct tcollect *c, void *arg)
{
	return tfind(c, (uint16_t)(uintptr_t)arg, 0) >= 0;
}

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static inline int tcp_listener(uint16_t *port, int backlog)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		tap_bail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (void *)&sin, sizeof(sin)) || listen(fd, backlog) ||
	    getsockname(fd, (void *)&sin, &len))
		tap_bail("bind/listen");
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A blocking client connected to 127.0.0.1:@port (-errno on failure). */
static inline int tcp_client(uint16_t port, int nonblock)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
			(nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (void *)&sin, sizeof(sin)) &&
	    !(nonblock && errno == EINPROGRESS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static inline uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (void *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* Write all of @len bytes (blocking fd); 0 or -errno. */
static inline int write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= n;
	}
	return 0;
}

/* The byte at @pos of the test stream number @seed. */
static inline uint8_t stream_byte(uint64_t seed, uint64_t pos)
{
	uint64_t x = (pos / 8 + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (uint8_t)(x >> ((pos % 8) * 8));
}

static inline void stream_fill(uint64_t seed, uint64_t pos, uint8_t *p,
			       size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = stream_byte(seed, pos + i);
}

/* Open file descriptors of this process below 4096. */
static inline int count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

#endif /* AEM_TCP_UTIL_H */
