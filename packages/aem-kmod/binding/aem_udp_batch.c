// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * aem_udp_batch.c - batched UDP system calls for the userspace `mmsg`
 * transport of @aem/udp: recvmmsg(2) when the socket is readable, a whole
 * batch of datagrams per JavaScript call, and sendmmsg(2) for a tick's
 * sends, in the argument layout of the kernel service's AEM_UDP_OP_SEND
 * (struct aem_udp_send, then per datagram struct aem_udp_msg and its bytes
 * padded to 8), so one encoder serves both transports.
 *
 * Why: node:dgram enters JavaScript once per datagram (a callback scope, a
 * new ArrayBuffer, a peer object with an address string) and sends each
 * datagram with its own sendmsg(2) and callback.  Here one wake-up costs one
 * JavaScript call for up to @slots datagrams and one recvmmsg(2); the replies
 * of a tick leave in one sendmmsg(2).
 *
 * Receive area: @slots slots of @slot_size bytes; slot i holds the peer as
 * struct aem_udp_addr, then the payload; lengths[i] is 24 + payload bytes.
 * (The socket's drop count is /proc/net/udp's, read when asked: a count
 * carried on received datagrams would miss the drops after the last one.)
 * A datagram longer than its slot (only an
 * IPv6 jumbogram can be, with the 64 KiB slots @aem/udp uses) is not
 * delivered: onError(EMSGSIZE) reports it.
 *
 * Sending stops at the first datagram the send buffer cannot take (EAGAIN):
 * AEM_UDP_SEND_BLOCKED is set, the socket is watched for writability, and
 * onWritable() runs once there is room.  Any other error refuses that
 * datagram and the batch goes on, as the kernel service does.
 */
#define NAPI_VERSION 8
#include "aem_udp_batch.h"
#include "aem_sock.h"

#include <linux/aem.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Most slots of one receive area (recvmmsg's vlen), and receive calls per wake-up. */
#define BATCH_SLOTS_MAX		1024
#define BATCH_ROUNDS		8

struct udp_batch {
	int fd;				/* -1 once closed */
	uv_poll_t poll;
	bool poll_init;			/* uv_poll_init done, uv_close not yet */
	bool watch_write;		/* UV_WRITABLE is in the watched events */
	bool finalized;			/* the JS object is gone */
	napi_env env;
	napi_async_context async;
	napi_ref on_batch, on_writable, on_error;
	napi_ref area_ref, lengths_ref;
	uint8_t *area;
	int32_t *lengths;
	uint32_t slots;
	uint32_t slot_size;
	/* recvmmsg's vectors, one per slot */
	struct mmsghdr *rmsgs;
	struct iovec *riov;
	struct sockaddr_in6 *rnames;
	/* sendmmsg's vectors, one per datagram of a batch */
	struct mmsghdr *smsgs;
	struct iovec *siov;
	struct sockaddr_in6 *snames;
	int8_t *sbad;			/* a datagram refused before the call */
};

/* Calls @ref(argc args) in the batch's async context; a throw is uncaught. */
static void batch__call(struct udp_batch *b, napi_ref ref, size_t argc,
			const int32_t *args)
{
	napi_env env = b->env;
	napi_handle_scope scope;
	napi_value fn, recv, argv[2], result;
	size_t i;

	if (napi_open_handle_scope(env, &scope))
		return;
	if (napi_get_reference_value(env, ref, &fn) || !fn ||
	    napi_get_global(env, &recv))
		goto out;
	for (i = 0; i < argc; i++)
		if (napi_create_int32(env, args[i], &argv[i]))
			goto out;
	/*
	 * make_callback drains process.nextTick and the microtasks afterwards,
	 * as Node's own I/O callbacks do: the replies queued by the handlers
	 * of this batch leave before the loop polls again.
	 */
	if (napi_make_callback(env, b->async, recv, fn, argc, argv, &result) ==
	    napi_pending_exception) {
		napi_value error;

		if (!napi_get_and_clear_last_exception(env, &error))
			napi_fatal_exception(env, error);
	}
out:
	napi_close_handle_scope(env, scope);
}

/* The peer of a received datagram as struct aem_udp_addr at @out. */
static void batch__peer(const struct sockaddr_in6 *name, struct aem_udp_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (name->sin6_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)name;

		out->family = AF_INET;
		out->port = ntohs(sin->sin_port);
		memcpy(out->addr, &sin->sin_addr, 4);
	} else if (name->sin6_family == AF_INET6) {
		out->family = AF_INET6;
		out->port = ntohs(name->sin6_port);
		out->scope_id = name->sin6_scope_id;
		memcpy(out->addr, &name->sin6_addr, 16);
	}
}

/* Reads what the socket holds, a batch per JavaScript call. */
static void batch__read(struct udp_batch *b)
{
	uint32_t i, slots = b->slots;
	int round, n, delivered, err;

	for (round = 0; round < BATCH_ROUNDS && b->fd >= 0; round++) {
		for (i = 0; i < slots; i++) {
			struct msghdr *m = &b->rmsgs[i].msg_hdr;

			m->msg_namelen = sizeof(b->rnames[i]);
			m->msg_flags = 0;
		}
		n = recvmmsg(b->fd, b->rmsgs, slots, MSG_DONTWAIT, NULL);
		if (n < 0) {
			err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
				return;
			batch__call(b, b->on_error, 1, &err);
			return;
		}
		delivered = 0;
		for (i = 0; i < (uint32_t)n; i++) {
			if (b->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				err = EMSGSIZE;
				batch__call(b, b->on_error, 1, &err);
				if (b->fd < 0)
					return;
				continue;
			}
			/* Slots stay in place: a skipped one moves the next down. */
			if ((uint32_t)delivered != i) {
				memmove(b->area + (size_t)delivered * b->slot_size + sizeof(struct aem_udp_addr),
					b->area + (size_t)i * b->slot_size + sizeof(struct aem_udp_addr),
					b->rmsgs[i].msg_len);
			}
			batch__peer(&b->rnames[i], (struct aem_udp_addr *)
				    (b->area + (size_t)delivered * b->slot_size));
			b->lengths[delivered] = (int32_t)(sizeof(struct aem_udp_addr) +
							  b->rmsgs[i].msg_len);
			delivered++;
		}
		if (delivered > 0)
			batch__call(b, b->on_batch, 1, &delivered);
		if ((uint32_t)n < slots)
			return;
	}
}

static void batch__on_poll(uv_poll_t *handle, int status, int events)
{
	struct udp_batch *b = handle->data;

	if (b->fd < 0)
		return;
	if (status < 0) {
		int err = -status;

		/*
		 * libuv stops a poll handle that reports an error (POLLERR): say
		 * so, then watch again and read, which takes the socket's pending
		 * error and goes on with its datagrams.
		 */
		batch__call(b, b->on_error, 1, &err);
		if (b->fd < 0)
			return;
		uv_poll_start(&b->poll, b->watch_write ? UV_READABLE | UV_WRITABLE :
			      UV_READABLE, batch__on_poll);
		batch__read(b);
		return;
	}
	if ((events & UV_WRITABLE) && b->watch_write) {
		b->watch_write = false;
		uv_poll_start(&b->poll, UV_READABLE, batch__on_poll);
		batch__call(b, b->on_writable, 0, NULL);
		if (b->fd < 0)
			return;
	}
	if (events & UV_READABLE)
		batch__read(b);
}

static void batch__free(struct udp_batch *b)
{
	free(b->rmsgs);
	free(b->riov);
	free(b->rnames);
	free(b->smsgs);
	free(b->siov);
	free(b->snames);
	free(b->sbad);
	free(b);
}

static void batch__on_closed(uv_handle_t *handle)
{
	struct udp_batch *b = handle->data;

	b->poll_init = false;
	if (b->finalized)
		batch__free(b);
}

/* Stops watching and drops the JS references; the fd is the caller's to close. */
static void batch__stop(napi_env env, struct udp_batch *b)
{
	napi_ref *refs[] = { &b->on_batch, &b->on_writable, &b->on_error,
			     &b->area_ref, &b->lengths_ref };
	size_t i;

	b->fd = -1;
	if (b->poll_init && !uv_is_closing((uv_handle_t *)&b->poll)) {
		/* uv_poll_stop removes the fd from epoll now: it may be closed next. */
		uv_poll_stop(&b->poll);
		uv_close((uv_handle_t *)&b->poll, batch__on_closed);
	}
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		if (*refs[i]) {
			napi_delete_reference(env, *refs[i]);
			*refs[i] = NULL;
		}
	}
	if (b->async) {
		napi_async_destroy(env, b->async);
		b->async = NULL;
	}
}

static void batch__finalize(napi_env env, void *data, void *hint)
{
	struct udp_batch *b = data;

	(void)hint;
	b->finalized = true;
	batch__stop(env, b);
	if (!b->poll_init)
		batch__free(b);
}

static struct udp_batch *batch__unwrap(napi_env env, napi_callback_info info,
				       size_t *argc, napi_value *argv)
{
	napi_value self;
	void *data = NULL;

	if (napi_get_cb_info(env, info, argc, argv, &self, NULL) ||
	    napi_unwrap(env, self, &data) || !data) {
		napi_throw_error(env, "AEM_BINDING", "not a UdpBatch");
		return NULL;
	}
	return data;
}

static bool batch__function(napi_env env, napi_value v, napi_ref *ref)
{
	napi_valuetype type;

	return !napi_typeof(env, v, &type) && type == napi_function &&
	       !napi_create_reference(env, v, 1, ref);
}

/*
 * The backing store of the typed array @v, of element type @type, and its
 * length; with @ref, a reference that keeps it alive.
 */
static void *batch__typed(napi_env env, napi_value v, napi_typedarray_type type,
			  size_t *length, napi_ref *ref)
{
	napi_typedarray_type t;
	napi_value ab;
	size_t offset;
	void *data;
	bool is;

	if (napi_is_typedarray(env, v, &is) || !is ||
	    napi_get_typedarray_info(env, v, &t, length, &data, &ab, &offset) ||
	    t != type || (ref && napi_create_reference(env, v, 1, ref)))
		return NULL;
	return data;
}

/*
 * new UdpBatch(fd, area: Uint8Array, lengths: Int32Array, slotSize,
 *              onBatch(count), onWritable(), onError(errno))
 * Watches the bound, non-blocking UDP socket @fd (it stays the caller's to
 * close, after close()).  lengths.length is the number of slots.
 */
static napi_value batch__construct(napi_env env, napi_callback_info info)
{
	napi_value argv[7], self, name;
	size_t argc = 7, area_len = 0, lengths_len = 0;
	struct udp_batch *b;
	int32_t fd, slot_size;
	uint32_t i, slots;
	uv_loop_t *loop;
	int ret;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
	if (argc < 7 || napi_get_value_int32(env, argv[0], &fd) || fd < 0 ||
	    napi_get_value_int32(env, argv[3], &slot_size) ||
	    slot_size <= (int32_t)sizeof(struct aem_udp_addr)) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "UdpBatch(fd, area, lengths, slotSize, onBatch, onWritable, onError)");
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		napi_throw_error(env, "AEM_BINDING", "out of memory");
		return NULL;
	}
	b->env = env;
	b->fd = -1;
	b->slot_size = (uint32_t)slot_size;
	b->area = batch__typed(env, argv[1], napi_uint8_array, &area_len, &b->area_ref);
	b->lengths = batch__typed(env, argv[2], napi_int32_array, &lengths_len,
				  &b->lengths_ref);
	slots = (uint32_t)lengths_len;
	if (!b->area || !b->lengths || slots == 0 || slots > BATCH_SLOTS_MAX ||
	    area_len < (size_t)slots * b->slot_size ||
	    !batch__function(env, argv[4], &b->on_batch) ||
	    !batch__function(env, argv[5], &b->on_writable) ||
	    !batch__function(env, argv[6], &b->on_error)) {
		batch__stop(env, b);
		batch__free(b);
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "UdpBatch needs a Uint8Array of slots × slotSize bytes, an Int32Array of slots (1 to 1024) and three functions");
		return NULL;
	}
	b->slots = slots;
	b->rmsgs = calloc(slots, sizeof(*b->rmsgs));
	b->riov = calloc(slots, sizeof(*b->riov));
	b->rnames = calloc(slots, sizeof(*b->rnames));
	b->smsgs = calloc(AEM_UDP_SEND_COUNT_MAX, sizeof(*b->smsgs));
	b->siov = calloc(AEM_UDP_SEND_COUNT_MAX, sizeof(*b->siov));
	b->snames = calloc(AEM_UDP_SEND_COUNT_MAX, sizeof(*b->snames));
	b->sbad = calloc(AEM_UDP_SEND_COUNT_MAX, sizeof(*b->sbad));
	if (!b->rmsgs || !b->riov || !b->rnames || !b->smsgs ||
	    !b->siov || !b->snames || !b->sbad) {
		batch__stop(env, b);
		batch__free(b);
		napi_throw_error(env, "AEM_BINDING", "out of memory");
		return NULL;
	}
	for (i = 0; i < slots; i++) {
		struct msghdr *m = &b->rmsgs[i].msg_hdr;

		b->riov[i].iov_base = b->area + (size_t)i * b->slot_size +
				      sizeof(struct aem_udp_addr);
		b->riov[i].iov_len = b->slot_size - sizeof(struct aem_udp_addr);
		m->msg_name = &b->rnames[i];
		m->msg_iov = &b->riov[i];
		m->msg_iovlen = 1;
	}
	for (i = 0; i < AEM_UDP_SEND_COUNT_MAX; i++) {
		b->smsgs[i].msg_hdr.msg_name = &b->snames[i];
		b->smsgs[i].msg_hdr.msg_iov = &b->siov[i];
		b->smsgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (napi_get_uv_event_loop(env, &loop) ||
	    napi_create_string_utf8(env, "aem:udp", NAPI_AUTO_LENGTH, &name) ||
	    napi_async_init(env, NULL, name, &b->async)) {
		batch__stop(env, b);
		batch__free(b);
		napi_throw_error(env, "AEM_BINDING", "no event loop");
		return NULL;
	}
	ret = uv_poll_init(loop, &b->poll, fd);
	if (ret) {
		batch__stop(env, b);
		batch__free(b);
		aem__sock_throw(env, -ret, "uv_poll_init");
		return NULL;
	}
	b->poll.data = b;
	b->poll_init = true;
	b->fd = fd;
	ret = uv_poll_start(&b->poll, UV_READABLE, batch__on_poll);
	if (ret || napi_wrap(env, self, b, batch__finalize, NULL, NULL)) {
		batch__stop(env, b);
		/* freed by batch__on_closed once libuv lets the handle go */
		b->finalized = true;
		aem__sock_throw(env, ret ? -ret : EIO, "uv_poll_start");
		return NULL;
	}
	return self;
}

/* A struct aem_udp_addr as a sockaddr; false for a family or bytes the kernel would refuse. */
static bool batch__name(const struct aem_udp_addr *a, struct sockaddr_in6 *out,
			socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (void *)out;
		size_t k;

		for (k = 4; k < sizeof(a->addr); k++)
			if (a->addr[k])
				return false;
		if (a->scope_id)
			return false;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		*len = sizeof(*sin);
		return true;
	}
	if (a->family == AF_INET6) {
		out->sin6_family = AF_INET6;
		out->sin6_port = htons(a->port);
		out->sin6_scope_id = a->scope_id;
		memcpy(&out->sin6_addr, a->addr, 16);
		*len = sizeof(*out);
		return true;
	}
	return false;
}

static void batch__refuse(struct aem_udp_send *head, uint32_t index, int err)
{
	if (head->errors == 0) {
		head->first_error = err;
		head->first_failed = index;
	}
	head->errors++;
}

/*
 * send(arg: Uint8Array) -> done: the datagrams of one AEM_UDP_OP_SEND
 * argument, its out fields written as the kernel service writes them.
 */
static napi_value batch__send(napi_env env, napi_callback_info info)
{
	napi_value argv[1], result;
	size_t argc = 1, length = 0, at;
	struct udp_batch *b;
	struct aem_udp_send *head;
	uint8_t *arg;
	uint32_t count, i;

	b = batch__unwrap(env, info, &argc, argv);
	if (!b)
		return NULL;
	if (argc < 1)
		goto bad;
	arg = batch__typed(env, argv[0], napi_uint8_array, &length, NULL);
	if (!arg || length < sizeof(*head))
		goto bad;
	head = (struct aem_udp_send *)arg;
	count = head->count;
	if (count == 0 || count > AEM_UDP_SEND_COUNT_MAX || head->flags)
		goto bad;
	if (b->fd < 0) {
		aem__sock_throw(env, EBADF, "send on a closed socket");
		return NULL;
	}
	/* Lay the messages out first: a malformed argument sends nothing. */
	at = sizeof(*head);
	for (i = 0; i < count; i++) {
		const struct aem_udp_msg *msg = (const void *)(arg + at);
		struct msghdr *m = &b->smsgs[i].msg_hdr;

		if (length - at < sizeof(*msg) ||
		    length - at - sizeof(*msg) < (((size_t)msg->len + 7) & ~(size_t)7))
			goto bad;
		b->sbad[i] = !batch__name(&msg->addr, &b->snames[i], &m->msg_namelen);
		b->siov[i].iov_base = (void *)(arg + at + sizeof(*msg));
		b->siov[i].iov_len = msg->len;
		if (msg->len > AEM_UDP_DATAGRAM_MAX)
			b->sbad[i] = 2;
		at += sizeof(*msg) + (((size_t)msg->len + 7) & ~(size_t)7);
	}
	if (at != length)
		goto bad;
	head->done = head->sent = head->errors = 0;
	head->first_error = 0;
	head->status = 0;
	head->first_failed = 0;
	i = 0;
	while (i < count) {
		uint32_t run = i;
		int n;

		if (b->sbad[i]) {
			batch__refuse(head, i, b->sbad[i] == 2 ? EMSGSIZE : EINVAL);
			i++;
			continue;
		}
		while (run < count && !b->sbad[run])
			run++;
		n = sendmmsg(b->fd, &b->smsgs[i], run - i, MSG_DONTWAIT);
		if (n > 0) {
			head->sent += (uint32_t)n;
			i += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			head->status |= AEM_UDP_SEND_BLOCKED;
			if (!b->watch_write) {
				b->watch_write = true;
				uv_poll_start(&b->poll, UV_READABLE | UV_WRITABLE,
					      batch__on_poll);
			}
			break;
		}
		/* The first datagram of the run failed: refuse it, go on. */
		batch__refuse(head, i, n < 0 ? errno : EIO);
		i++;
	}
	head->done = i;
	SOCK_CALL(env, napi_create_uint32(env, i, &result));
	return result;
bad:
	napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
			      "send(arg) needs an AEM_UDP_OP_SEND argument: struct aem_udp_send, then 1 to 1024 messages");
	return NULL;
}

/* close(): stop watching (the fd is the caller's to close next). Idempotent. */
static napi_value batch__close(napi_env env, napi_callback_info info)
{
	struct udp_batch *b = batch__unwrap(env, info, NULL, NULL);

	if (b)
		batch__stop(env, b);
	return NULL;
}

/* ref() / unref(): whether the watch holds the event loop open (it does at first). */
static napi_value batch__ref(napi_env env, napi_callback_info info)
{
	struct udp_batch *b = batch__unwrap(env, info, NULL, NULL);

	if (b && b->fd >= 0)
		uv_ref((uv_handle_t *)&b->poll);
	return NULL;
}

static napi_value batch__unref(napi_env env, napi_callback_info info)
{
	struct udp_batch *b = batch__unwrap(env, info, NULL, NULL);

	if (b && b->fd >= 0)
		uv_unref((uv_handle_t *)&b->poll);
	return NULL;
}

napi_value aem__udp_batch_define(napi_env env, napi_value exports)
{
	static const napi_property_descriptor methods[] = {
		{ "send", NULL, batch__send, NULL, NULL, NULL, napi_default, NULL },
		{ "close", NULL, batch__close, NULL, NULL, NULL, napi_default, NULL },
		{ "ref", NULL, batch__ref, NULL, NULL, NULL, napi_default, NULL },
		{ "unref", NULL, batch__unref, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_value cls, v;

	SOCK_CALL(env, napi_define_class(env, "UdpBatch", NAPI_AUTO_LENGTH,
					  batch__construct, NULL,
					  sizeof(methods) / sizeof(methods[0]),
					  methods, &cls));
	SOCK_CALL(env, napi_set_named_property(env, exports, "UdpBatch", cls));
	SOCK_CALL(env, napi_create_uint32(env, BATCH_SLOTS_MAX, &v));
	SOCK_CALL(env, napi_set_named_property(env, exports, "UDP_BATCH_SLOTS_MAX", v));
	return exports;
}
