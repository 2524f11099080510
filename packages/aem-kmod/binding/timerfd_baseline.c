// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * timerfd_baseline.c - the benchmark's peer: one timerfd per timer, each
 * watched by its own libuv poll handle, one read() per wake-up of a timer
 * and one JS call per read.  This is what a Node program gets without
 * AEM when it wants kernel timers it can count expirations of.
 *
 *   new TimerfdBaseline(count, periodNs, handler(index, expirations))
 *   .close()
 *
 * All fields are owned by the JS thread (libuv runs the callbacks there).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "timerfd_baseline.h"

struct aem_baseline;

struct aem_baseline_timer {
	uv_poll_t poll;
	int fd;
	uint32_t index;
	struct aem_baseline *owner;
};

struct aem_baseline {
	napi_env env;
	napi_ref handler;
	napi_async_context async;
	struct aem_baseline_timer *timers;
	uint32_t count;
	uint32_t open_handles;	/* polls not yet closed by libuv */
	bool closed;
	bool finalized;
};

static void aem__baseline_maybe_free(struct aem_baseline *b)
{
	if (b->finalized && !b->open_handles) {
		free(b->timers);
		free(b);
	}
}

static void aem__baseline_on_closed(uv_handle_t *handle)
{
	struct aem_baseline_timer *t = handle->data;
	struct aem_baseline *b = t->owner;

	close(t->fd);
	b->open_handles--;
	aem__baseline_maybe_free(b);
}

static void aem__baseline_close(napi_env env, struct aem_baseline *b)
{
	uint32_t i;

	if (b->closed)
		return;
	b->closed = true;
	for (i = 0; i < b->count; i++) {
		if (b->timers[i].fd < 0)
			continue;
		uv_poll_stop(&b->timers[i].poll);
		uv_close((uv_handle_t *)&b->timers[i].poll,
			 aem__baseline_on_closed);
	}
	if (b->handler)
		napi_delete_reference(env, b->handler);
	b->handler = NULL;
	if (b->async)
		napi_async_destroy(env, b->async);
	b->async = NULL;
}

static void aem__baseline_on_readable(uv_poll_t *handle, int status,
				      int events)
{
	struct aem_baseline_timer *t = handle->data;
	struct aem_baseline *b = t->owner;
	napi_value fn, recv, argv[2], result;
	napi_handle_scope scope;
	uint64_t expirations;
	napi_env env = b->env;

	(void)events;
	if (status < 0 || b->closed)
		return;
	if (read(t->fd, &expirations, sizeof(expirations)) !=
	    sizeof(expirations))
		return;
	if (napi_open_handle_scope(env, &scope))
		return;
	if (!napi_get_reference_value(env, b->handler, &fn) && fn &&
	    !napi_get_global(env, &recv) &&
	    !napi_create_uint32(env, t->index, &argv[0]) &&
	    !napi_create_double(env, (double)expirations, &argv[1]) &&
	    napi_make_callback(env, b->async, recv, fn, 2, argv, &result) ==
	    napi_pending_exception) {
		napi_value error;

		if (!napi_get_and_clear_last_exception(env, &error))
			napi_fatal_exception(env, error);
	}
	napi_close_handle_scope(env, scope);
}

static void aem__baseline_finalize(napi_env env, void *data, void *hint)
{
	struct aem_baseline *b = data;

	(void)hint;
	aem__baseline_close(env, b);
	b->finalized = true;
	aem__baseline_maybe_free(b);
}

static napi_value aem__baseline_construct(napi_env env,
					  napi_callback_info info)
{
	napi_value argv[3], self, name;
	struct aem_baseline *b;
	size_t argc = 3;
	uv_loop_t *loop;
	uint32_t count, i;
	double period;
	int64_t ns;

	if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) ||
	    argc < 3 || napi_get_value_uint32(env, argv[0], &count) ||
	    napi_get_value_double(env, argv[1], &period) || !count ||
	    count > 1000000 || period < 1000 || period > 1e12) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "TimerfdBaseline(count, periodNs, handler)");
		return NULL;
	}
	if (napi_get_uv_event_loop(env, &loop))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b)
		b->timers = calloc(count, sizeof(*b->timers));
	if (!b || !b->timers) {
		free(b);
		napi_throw_error(env, "AEM_BINDING", "out of memory");
		return NULL;
	}
	b->env = env;
	b->count = count;
	ns = (int64_t)period;
	for (i = 0; i < count; i++) {
		/* The same stagger as the AEM side of the benchmark. */
		int64_t first = ns + ns * i / count;
		struct itimerspec its = {
			.it_value = { first / 1000000000, first % 1000000000 },
			.it_interval = { ns / 1000000000, ns % 1000000000 },
		};
		struct aem_baseline_timer *t = &b->timers[i];

		t->owner = b;
		t->index = i;
		t->fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
		if (t->fd < 0)
			break;
		if (uv_poll_init(loop, &t->poll, t->fd)) {
			close(t->fd);
			t->fd = -1;
			break;
		}
		t->poll.data = t;
		b->open_handles++;
		timerfd_settime(t->fd, 0, &its, NULL);
		uv_poll_start(&t->poll, UV_READABLE, aem__baseline_on_readable);
	}
	for (; i < count; i++)
		b->timers[i].fd = -1;
	if (napi_create_reference(env, argv[2], 1, &b->handler) ||
	    napi_create_string_utf8(env, "aem:timerfd", NAPI_AUTO_LENGTH,
				    &name) ||
	    napi_async_init(env, NULL, name, &b->async) ||
	    napi_wrap(env, self, b, aem__baseline_finalize, NULL, NULL)) {
		aem__baseline_close(env, b);
		b->finalized = true;
		aem__baseline_maybe_free(b);
		napi_throw_error(env, "AEM_BINDING", "TimerfdBaseline setup");
		return NULL;
	}
	if (b->open_handles != count) {
		aem__baseline_close(env, b);
		napi_throw_error(env, "AEM_SOURCE_FAILED",
				 "timerfd_create failed (raise RLIMIT_NOFILE)");
		return NULL;
	}
	return self;
}

static napi_value aem__baseline_close_method(napi_env env,
					     napi_callback_info info)
{
	struct aem_baseline *b = NULL;
	napi_value self;

	if (!napi_get_cb_info(env, info, NULL, NULL, &self, NULL) &&
	    !napi_unwrap(env, self, (void **)&b) && b)
		aem__baseline_close(env, b);
	return NULL;
}

napi_value aem__baseline_define(napi_env env)
{
	static const napi_property_descriptor methods[] = {
		{ "close", NULL, aem__baseline_close_method, NULL, NULL, NULL,
		  napi_default, NULL },
	};
	napi_value cls;

	if (napi_define_class(env, "TimerfdBaseline", NAPI_AUTO_LENGTH,
			      aem__baseline_construct, NULL, 1, methods, &cls))
		return NULL;
	return cls;
}
