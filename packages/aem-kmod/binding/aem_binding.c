// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * aem_binding.c - Node-API binding to /dev/aem (through libaem).
 *
 * One JS `Device` object is one AEM context: the device opened, its ring
 * mapped, its fd watched by a libuv poll handle.  Each wake-up drains at
 * most `batch` records into a Float64Array shared with JS and calls the
 * JS handler once with the count, so the per-record cost is a few stores,
 * not a JS call.  Record slots, AEM_BINDING_FIELDS doubles each:
 *
 *   [0] event id  [1] record type  [2] priority  [3] user data
 *   [4] payload word 0 (timers: expirations; tcp, udp: the record's kind)
 *   [5] payload word 1 (timers: CLOCK_MONOTONIC time in ns; tcp, udp:
 *       value, e.g. the new fd of ACCEPT, a datagram's receive time, an
 *       errno)
 *   [6] tcp, udp: offset of the record's bytes in the data area (`data`)
 *   [7] tcp, udp: their length (tcp DATA: the bytes; ACCEPT: struct
 *       aem_tcp_addr; udp DATAGRAM: struct aem_udp_addr, then the payload)
 *
 * The TCP and UDP records share one header (kind, flags, len, value) and
 * carry bytes; those are copied into one Uint8Array shared with JS (the
 * data area), valid like the slots until the handler returns; a drain
 * stops early when the data area could not take another record of the
 * largest size (AEM_RECORD_MAX).
 *
 * Doubles carry integers exactly up to 2^53: event ids are 32-bit, user
 * data should stay below 2^53, and nanosecond times lose sub-microsecond
 * precision only after about 104 days of uptime.
 *
 * No global state: everything lives in struct aem_device, owned by the
 * JS object through napi_wrap() and freed by its finalizer (or, when the
 * poll handle is still closing, by the libuv close callback).  Every
 * field is owned by the thread running the JS event loop: libuv calls the
 * poll callback on that same thread.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aem_sock.h"
#include "aem_udp_batch.h"
#include "libaem.h"
#include "timerfd_baseline.h"

#define AEM_BINDING_FIELDS	8
/* Bytes the data area keeps free for one more record's bytes. */
#define AEM_BINDING_DATA_MAX	AEM_RECORD_MAX
#define AEM_BINDING_MAX_BATCH	65536

/* Check every napi_status; on failure throw (if nothing is pending). */
#define NAPI_CALL(env, call)						\
	do {								\
		napi_status status_ = (call);				\
		if (status_ != napi_ok) {				\
			aem__throw_status((env), status_, #call);	\
			return NULL;					\
		}							\
	} while (0)

struct aem_device {
	struct aem *aem;		/* NULL once closed */
	uv_poll_t poll;			/* initialized iff poll_init */
	bool poll_init;
	bool polling;
	bool finalized;			/* the JS object is gone */
	napi_env env;
	napi_ref handler;		/* JS function(count), while polling */
	napi_ref records_ref;		/* the Float64Array */
	napi_async_context async;	/* for napi_make_callback */
	double *records;		/* its backing store */
	unsigned int batch;		/* slots in @records */
	unsigned int filled;		/* slots used in this drain */
	napi_ref data_ref;		/* the Uint8Array data area */
	uint8_t *data;			/* its backing store */
	size_t data_cap;		/* its size */
	size_t data_used;		/* bytes used in this drain */
	/* statistics */
	double wakeups, delivered;
};

static void aem__throw_status(napi_env env, napi_status status,
			      const char *what)
{
	const napi_extended_error_info *info = NULL;
	bool pending = false;

	napi_is_exception_pending(env, &pending);
	if (pending)
		return;
	napi_get_last_error_info(env, &info);
	napi_throw_error(env, "AEM_BINDING",
			 info && info->error_message ? info->error_message :
			 what);
	(void)status;
}

/*
 * The `code` strings the TypeScript errors use, chosen by what failed
 * (the same errno means different things for lookup, entry and evctl).
 */
enum aem_op { AEM_OP_OPEN, AEM_OP_LOOKUP, AEM_OP_ENTRY, AEM_OP_EVCTL,
	      AEM_OP_CONTROL, AEM_OP_OTHER };

static const char *aem__code(enum aem_op op, int err)
{
	switch (err) {
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
	case EOPNOTSUPP:	/* control: the service has no operations */
		return "AEM_INVALID_ARGUMENT";
	case ENOSPC:
		return op == AEM_OP_ENTRY ? "AEM_EVENT_LIMIT" : "AEM_QUEUE_FULL";
	case ENOENT:
		if (op == AEM_OP_LOOKUP)
			return "AEM_SERVICE_NOT_FOUND";
		if (op == AEM_OP_ENTRY)
			return "AEM_SERVICE_UNLOADED";
		if (op == AEM_OP_EVCTL || op == AEM_OP_CONTROL)
			return "AEM_EVENT_CLOSED";
		return "AEM_BACKEND_UNAVAILABLE";
	case EBADF:
		return "AEM_RUNTIME_CLOSED";
	default:
		return op == AEM_OP_OPEN ? "AEM_BACKEND_UNAVAILABLE" :
					   "AEM_SOURCE_FAILED";
	}
}

/* Throw an Error with .code and .errno for a negative errno. */
static void aem__throw_errno(napi_env env, enum aem_op op, int neg,
			     const char *what)
{
	napi_value error, msg, code, errnum;
	char text[256];

	snprintf(text, sizeof(text), "%s: %s", what, strerror(-neg));
	if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) ||
	    napi_create_string_utf8(env, aem__code(op, -neg),
				    NAPI_AUTO_LENGTH, &code) ||
	    napi_create_error(env, code, msg, &error) ||
	    napi_create_int32(env, -neg, &errnum) ||
	    napi_set_named_property(env, error, "errno", errnum)) {
		napi_throw_error(env, "AEM_BINDING", text);
		return;
	}
	napi_throw(env, error);
}

static struct aem_device *aem__unwrap(napi_env env, napi_callback_info info,
				      size_t *argc, napi_value *argv,
				      bool need_open)
{
	struct aem_device *dev = NULL;
	napi_value self;

	if (napi_get_cb_info(env, info, argc, argv, &self, NULL) ||
	    napi_unwrap(env, self, (void **)&dev) || !dev) {
		napi_throw_error(env, "AEM_BINDING", "not a Device");
		return NULL;
	}
	if (need_open && !dev->aem) {
		napi_throw_error(env, "AEM_RUNTIME_CLOSED",
				 "the AEM device is closed");
		return NULL;
	}
	return dev;
}

/*
 * aem__unwrap_args - aem__unwrap() of an open device for a method that takes
 * @want arguments: throws AEM_INVALID_ARGUMENT with @usage (the method's
 * signature) when fewer are given.  N-API fills argv up to @want.
 */
static struct aem_device *aem__unwrap_args(napi_env env,
					   napi_callback_info info,
					   napi_value *argv, size_t want,
					   const char *usage)
{
	struct aem_device *dev;
	size_t argc = want;

	dev = aem__unwrap(env, info, &argc, argv, true);
	if (dev && argc < want) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT", usage);
		return NULL;
	}
	return dev;
}

static bool aem__get_u32(napi_env env, napi_value v, uint32_t *out,
			 const char *name)
{
	double d;

	if (napi_get_value_double(env, v, &d) || d < 0 || d > UINT32_MAX ||
	    d != (double)(uint32_t)d) {
		char text[128];

		snprintf(text, sizeof(text), "%s must be a 32-bit unsigned integer",
			 name);
		napi_throw_range_error(env, "AEM_INVALID_ARGUMENT", text);
		return false;
	}
	*out = (uint32_t)d;
	return true;
}

/* A non-negative integer given as a number (exact up to 2^53) or bigint. */
static bool aem__get_u64(napi_env env, napi_value v, uint64_t *out,
			 const char *name)
{
	napi_valuetype type;
	bool lossless;
	double d;

	if (napi_typeof(env, v, &type))
		return false;
	if (type == napi_bigint &&
	    !napi_get_value_bigint_uint64(env, v, out, &lossless) && lossless)
		return true;
	if (type == napi_number && !napi_get_value_double(env, v, &d) &&
	    d >= 0 && d <= 9007199254740992.0 && d == (double)(uint64_t)d) {
		*out = (uint64_t)d;
		return true;
	}
	{
		char text[128];

		snprintf(text, sizeof(text),
			 "%s must be a non-negative integer", name);
		napi_throw_range_error(env, "AEM_INVALID_ARGUMENT", text);
	}
	return false;
}

/*
 * The bytes of a Uint8Array (or, with @nullable, nothing for null and
 * undefined): the memory stays the array's, valid during this call.
 */
static bool aem__get_bytes(napi_env env, napi_value v, bool nullable,
			   void **data, size_t *len, const char *name)
{
	napi_typedarray_type ta;
	napi_valuetype type;
	napi_value ab;
	bool is_ta = false;
	size_t off;
	char text[128];

	*data = NULL;
	*len = 0;
	if (napi_typeof(env, v, &type))
		return false;
	if (nullable && (type == napi_null || type == napi_undefined))
		return true;
	if (!napi_is_typedarray(env, v, &is_ta) && is_ta &&
	    !napi_get_typedarray_info(env, v, &ta, len, data, &ab, &off) &&
	    ta == napi_uint8_array)
		return true;
	snprintf(text, sizeof(text), "%s must be a Uint8Array%s", name,
		 nullable ? " or null" : "");
	napi_throw_type_error(env, "AEM_INVALID_ARGUMENT", text);
	return false;
}

/* ---- the poll callback: drain a batch, call JS once ------------------- */

static int aem__record(const struct aem_record *rec, void *arg)
{
	struct aem_device *dev = arg;
	double *slot = dev->records + dev->filled * AEM_BINDING_FIELDS;
	const uint64_t *payload = (const uint64_t *)rec->payload;
	uint32_t words = (rec->len - sizeof(*rec)) / sizeof(uint64_t);

	slot[0] = (double)rec->event_id;
	slot[1] = rec->type;
	slot[2] = rec->priority;
	slot[3] = (double)rec->user_data;
	slot[6] = 0;
	slot[7] = 0;
	dev->filled++;
	/* TCP and UDP records: one header layout, bytes after it. */
	if ((rec->type == AEM_REC_TCP || rec->type == AEM_REC_UDP) &&
	    rec->len >= sizeof(*rec) + sizeof(struct aem_tcp_record)) {
		const struct aem_tcp_record *tr = (const void *)rec->payload;
		uint32_t len = tr->len;

		slot[4] = tr->kind;
		slot[5] = (double)tr->value;
		if (len > rec->len - sizeof(*rec) - sizeof(*tr))
			len = 0;	/* cannot happen: the kernel sizes it */
		if (len) {
			memcpy(dev->data + dev->data_used, tr->data, len);
			slot[6] = (double)dev->data_used;
			slot[7] = len;
			dev->data_used += len;
		}
		/* Stop before a record could overflow the data area. */
		return dev->data_cap - dev->data_used < AEM_BINDING_DATA_MAX;
	}
	slot[4] = words > 0 ? (double)payload[0] : 0;
	slot[5] = words > 1 ? (double)payload[1] : 0;
	return 0;
}

static void aem__call_handler(struct aem_device *dev, unsigned int count)
{
	napi_env env = dev->env;
	napi_handle_scope scope;
	napi_value fn, recv, argv[1], result;

	if (napi_open_handle_scope(env, &scope))
		return;
	if (!napi_get_reference_value(env, dev->handler, &fn) && fn &&
	    !napi_get_global(env, &recv) &&
	    !napi_create_uint32(env, count, &argv[0])) {
		/*
		 * make_callback runs microtasks afterwards and reports a
		 * throwing handler as an uncaught exception, as libuv-driven
		 * callbacks in Node core do.
		 */
		if (napi_make_callback(env, dev->async, recv, fn, 1, argv,
				       &result) == napi_pending_exception) {
			napi_value error;

			if (!napi_get_and_clear_last_exception(env, &error))
				napi_fatal_exception(env, error);
		}
	}
	napi_close_handle_scope(env, scope);
}

static void aem__on_readable(uv_poll_t *handle, int status, int events)
{
	struct aem_device *dev = handle->data;
	int n;

	(void)events;
	if (status < 0 || !dev->aem || !dev->polling)
		return;
	dev->wakeups++;
	dev->filled = 0;
	dev->data_used = 0;
	n = aem_drain(dev->aem, aem__record, dev, dev->batch);
	if (n <= 0)
		return;
	dev->delivered += n;
	aem__call_handler(dev, (unsigned int)n);
}

/* ---- lifetime ---------------------------------------------------------- */

static void aem__on_poll_closed(uv_handle_t *handle)
{
	struct aem_device *dev = handle->data;

	dev->poll_init = false;
	if (dev->finalized)
		free(dev);
}

/* Stop watching, release JS references, close the context. */
static void aem__close(napi_env env, struct aem_device *dev)
{
	if (dev->poll_init && !uv_is_closing((uv_handle_t *)&dev->poll)) {
		uv_poll_stop(&dev->poll);
		uv_close((uv_handle_t *)&dev->poll, aem__on_poll_closed);
	}
	dev->polling = false;
	if (dev->handler) {
		napi_delete_reference(env, dev->handler);
		dev->handler = NULL;
	}
	if (dev->async) {
		napi_async_destroy(env, dev->async);
		dev->async = NULL;
	}
	if (dev->aem) {
		aem_close(dev->aem);
		dev->aem = NULL;
	}
}

static void aem__finalize(napi_env env, void *data, void *hint)
{
	struct aem_device *dev = data;

	(void)hint;
	aem__close(env, dev);
	if (dev->records_ref)
		napi_delete_reference(env, dev->records_ref);
	if (dev->data_ref)
		napi_delete_reference(env, dev->data_ref);
	dev->finalized = true;
	/* A closing poll handle still points here: its callback frees. */
	if (!dev->poll_init)
		free(dev);
}

/* new Device(path, ringPages, batch) */
static napi_value aem__construct(napi_env env, napi_callback_info info)
{
	napi_value argv[3], self, buffer, array, dbuffer, darray;
	size_t argc = 3, len, dcap;
	void *ddata;
	struct aem_device *dev;
	uint32_t pages, batch;
	char path[256];
	void *data;
	int ret;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
	if (argc < 3 || napi_get_value_string_utf8(env, argv[0], path,
						   sizeof(path), &len) ||
	    len >= sizeof(path) - 1) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "Device(path, ringPages, batch)");
		return NULL;
	}
	if (!aem__get_u32(env, argv[1], &pages, "ringPages") ||
	    !aem__get_u32(env, argv[2], &batch, "batch"))
		return NULL;
	if (!batch || batch > AEM_BINDING_MAX_BATCH) {
		napi_throw_range_error(env, "AEM_INVALID_ARGUMENT",
				       "batch must be 1..65536");
		return NULL;
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		napi_throw_error(env, "AEM_BINDING", "out of memory");
		return NULL;
	}
	dev->env = env;
	dev->batch = batch;
	ret = aem_open(&dev->aem, path, pages);
	if (ret) {
		free(dev);
		aem__throw_errno(env, AEM_OP_OPEN, ret, path);
		return NULL;
	}
	/* A drain never holds more bytes than the ring, plus one record. */
	dcap = (size_t)pages * aem_abi(dev->aem)->page_size +
	       2 * AEM_BINDING_DATA_MAX;
	if (napi_create_arraybuffer(env, (size_t)batch * AEM_BINDING_FIELDS *
				    sizeof(double), &data, &buffer) ||
	    napi_create_typedarray(env, napi_float64_array,
				   (size_t)batch * AEM_BINDING_FIELDS, buffer,
				   0, &array) ||
	    napi_create_reference(env, array, 1, &dev->records_ref) ||
	    napi_create_arraybuffer(env, dcap, &ddata, &dbuffer) ||
	    napi_create_typedarray(env, napi_uint8_array, dcap, dbuffer, 0,
				   &darray) ||
	    napi_create_reference(env, darray, 1, &dev->data_ref) ||
	    napi_wrap(env, self, dev, aem__finalize, NULL, NULL)) {
		aem_close(dev->aem);
		if (dev->records_ref)
			napi_delete_reference(env, dev->records_ref);
		if (dev->data_ref)
			napi_delete_reference(env, dev->data_ref);
		free(dev);
		aem__throw_status(env, napi_generic_failure, "Device");
		return NULL;
	}
	dev->records = data;
	dev->data = ddata;
	dev->data_cap = dcap;
	NAPI_CALL(env, napi_set_named_property(env, self, "records", array));
	NAPI_CALL(env, napi_set_named_property(env, self, "data", darray));
	return self;
}

/* ---- methods ----------------------------------------------------------- */

static napi_value aem__set_u32(napi_env env, napi_value obj, const char *k,
			       uint32_t v)
{
	napi_value value;

	NAPI_CALL(env, napi_create_uint32(env, v, &value));
	NAPI_CALL(env, napi_set_named_property(env, obj, k, value));
	return obj;
}

static napi_value aem__abi(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, true);
	const struct aem_abi_info *abi;
	napi_value obj;

	if (!dev)
		return NULL;
	abi = aem_abi(dev->aem);
	NAPI_CALL(env, napi_create_object(env, &obj));
	if (!aem__set_u32(env, obj, "abiVersion", abi->abi_version) ||
	    !aem__set_u32(env, obj, "pageSize", abi->page_size) ||
	    !aem__set_u32(env, obj, "maxRingPages", abi->max_ring_pages) ||
	    !aem__set_u32(env, obj, "maxEvents", abi->max_events) ||
	    !aem__set_u32(env, obj, "maxBindings", abi->max_bindings) ||
	    !aem__set_u32(env, obj, "recordHeaderSize",
			  abi->record_header_size) ||
	    !aem__set_u32(env, obj, "fields", AEM_BINDING_FIELDS))
		return NULL;
	return obj;
}

/* lookup(name, version, flags) -> { serviceId, version, firstCall, ncalls } */
static napi_value aem__lookup(napi_env env, napi_callback_info info)
{
	napi_value argv[3], obj;
	size_t argc = 3, len;
	struct aem_service_info si;
	struct aem_device *dev;
	uint32_t version, flags;
	char name[AEM_NAME_MAX + 1];
	int ret;

	dev = aem__unwrap(env, info, &argc, argv, true);
	if (!dev)
		return NULL;
	if (argc < 3 || napi_get_value_string_utf8(env, argv[0], name,
						   sizeof(name), &len) ||
	    len >= AEM_NAME_MAX) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "lookup(name, version, flags)");
		return NULL;
	}
	if (!aem__get_u32(env, argv[1], &version, "version") ||
	    !aem__get_u32(env, argv[2], &flags, "flags"))
		return NULL;
	ret = aem_lookup(dev->aem, name, version, flags, &si);
	if (ret) {
		aem__throw_errno(env, AEM_OP_LOOKUP, ret, name);
		return NULL;
	}
	NAPI_CALL(env, napi_create_object(env, &obj));
	if (!aem__set_u32(env, obj, "serviceId", si.service_id) ||
	    !aem__set_u32(env, obj, "version", si.version) ||
	    !aem__set_u32(env, obj, "firstCall", si.first_call) ||
	    !aem__set_u32(env, obj, "ncalls", si.ncalls))
		return NULL;
	return obj;
}

/* entry(serviceId, call, args: Uint8Array|null, userData, priority, flags) */
static napi_value aem__entry(napi_env env, napi_callback_info info)
{
	uint32_t service_id, call, priority, flags;
	napi_value argv[6], result;
	struct aem_device *dev;
	size_t len = 0;
	uint64_t user_data, id;
	void *args = NULL;
	int ret;

	dev = aem__unwrap_args(env, info, argv, 6,
			       "entry(serviceId, call, args, userData, priority, flags)");
	if (!dev)
		return NULL;
	if (!aem__get_u32(env, argv[0], &service_id, "serviceId") ||
	    !aem__get_u32(env, argv[1], &call, "call") ||
	    !aem__get_u64(env, argv[3], &user_data, "userData") ||
	    !aem__get_u32(env, argv[4], &priority, "priority") ||
	    !aem__get_u32(env, argv[5], &flags, "flags"))
		return NULL;
	if (!aem__get_bytes(env, argv[2], true, &args, &len, "args"))
		return NULL;
	if (len > UINT32_MAX) {
		napi_throw_range_error(env, "AEM_INVALID_ARGUMENT",
				       "args too long");
		return NULL;
	}
	ret = aem_entry(dev->aem, service_id, call, args, (uint32_t)len,
			user_data, priority, flags, &id);
	if (ret) {
		aem__throw_errno(env, AEM_OP_ENTRY, ret, "entry");
		return NULL;
	}
	NAPI_CALL(env, napi_create_double(env, (double)id, &result));
	return result;
}

/* timerCreate(serviceId, firstCall, initialNs, intervalNs, userData, flags) */
static napi_value aem__timer_create(napi_env env, napi_callback_info info)
{
	uint64_t initial, interval, user_data, id;
	uint32_t service_id, first_call, flags;
	struct aem_service_info si = { 0 };
	napi_value argv[6], result;
	struct aem_device *dev;
	int ret;

	dev = aem__unwrap_args(env, info, argv, 6,
			       "timerCreate(serviceId, firstCall, initialNs, intervalNs, userData, flags)");
	if (!dev)
		return NULL;
	if (!aem__get_u32(env, argv[0], &service_id, "serviceId") ||
	    !aem__get_u32(env, argv[1], &first_call, "firstCall") ||
	    !aem__get_u64(env, argv[2], &initial, "initialNs") ||
	    !aem__get_u64(env, argv[3], &interval, "intervalNs") ||
	    !aem__get_u64(env, argv[4], &user_data, "userData") ||
	    !aem__get_u32(env, argv[5], &flags, "flags"))
		return NULL;
	si.service_id = service_id;
	si.first_call = first_call;
	ret = aem_timer_create(dev->aem, &si, initial, interval, user_data,
			       flags, &id);
	if (ret) {
		aem__throw_errno(env, AEM_OP_ENTRY, ret, "timer");
		return NULL;
	}
	NAPI_CALL(env, napi_create_double(env, (double)id, &result));
	return result;
}

/* evctl(eventId, op, value) */
static napi_value aem__evctl(napi_env env, napi_callback_info info)
{
	uint32_t op, value;
	struct aem_device *dev;
	napi_value argv[3];
	uint64_t id;
	int ret;

	dev = aem__unwrap_args(env, info, argv, 3,
			       "evctl(eventId, op, value)");
	if (!dev)
		return NULL;
	if (!aem__get_u64(env, argv[0], &id, "eventId") ||
	    !aem__get_u32(env, argv[1], &op, "op") ||
	    !aem__get_u32(env, argv[2], &value, "value"))
		return NULL;
	ret = aem_evctl(dev->aem, id, op, value);
	if (ret) {
		aem__throw_errno(env, AEM_OP_EVCTL, ret, "evctl");
		return NULL;
	}
	return NULL;
}

/*
 * control(eventId, op, arg: Uint8Array) -> the service's result (a number
 * >= 0).  The kernel reads the argument in place and may write results
 * back into it (AEM_IOC_CONTROL).
 */
static napi_value aem__control(napi_env env, napi_callback_info info)
{
	napi_value argv[3], result;
	struct aem_device *dev;
	size_t len = 0;
	void *arg = NULL;
	uint64_t id;
	uint32_t op;
	int ret;

	dev = aem__unwrap_args(env, info, argv, 3,
			       "control(eventId, op, arg)");
	if (!dev)
		return NULL;
	if (!aem__get_u64(env, argv[0], &id, "eventId") ||
	    !aem__get_u32(env, argv[1], &op, "op"))
		return NULL;
	if (!aem__get_bytes(env, argv[2], false, &arg, &len, "arg"))
		return NULL;
	if (len > AEM_CONTROL_ARG_MAX) {
		napi_throw_range_error(env, "AEM_INVALID_ARGUMENT",
				       "arg is larger than AEM_CONTROL_ARG_MAX");
		return NULL;
	}
	ret = aem_control(dev->aem, id, op, arg, (uint32_t)len);
	if (ret < 0) {
		aem__throw_errno(env, AEM_OP_CONTROL, ret, "control");
		return NULL;
	}
	NAPI_CALL(env, napi_create_int32(env, ret, &result));
	return result;
}

/* start(handler): watch the fd; handler(count) per wake-up. */
static napi_value aem__start(napi_env env, napi_callback_info info)
{
	struct aem_device *dev;
	napi_value argv[1], name;
	napi_valuetype type;
	size_t argc = 1;
	uv_loop_t *loop;
	int ret;

	dev = aem__unwrap(env, info, &argc, argv, true);
	if (!dev)
		return NULL;
	NAPI_CALL(env, napi_typeof(env, argv[0], &type));
	if (argc < 1 || type != napi_function) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "start(handler) needs a function");
		return NULL;
	}
	if (dev->polling) {
		napi_throw_error(env, "AEM_INVALID_ARGUMENT",
				 "already started");
		return NULL;
	}
	NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
	if (!dev->poll_init) {
		ret = uv_poll_init(loop, &dev->poll, aem_fd(dev->aem));
		if (ret) {
			aem__throw_errno(env, AEM_OP_OTHER, ret, "uv_poll_init");
			return NULL;
		}
		dev->poll.data = dev;
		dev->poll_init = true;
	}
	NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &dev->handler));
	NAPI_CALL(env, napi_create_string_utf8(env, "aem:kmod", NAPI_AUTO_LENGTH,
					       &name));
	NAPI_CALL(env, napi_async_init(env, NULL, name, &dev->async));
	ret = uv_poll_start(&dev->poll, UV_READABLE, aem__on_readable);
	if (ret) {
		aem__throw_errno(env, AEM_OP_OTHER, ret, "uv_poll_start");
		return NULL;
	}
	dev->polling = true;
	return NULL;
}

/* stop(): stop watching (records stay in the ring). */
static napi_value aem__stop(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, false);

	if (!dev)
		return NULL;
	if (dev->polling)
		uv_poll_stop(&dev->poll);
	dev->polling = false;
	if (dev->handler) {
		napi_delete_reference(env, dev->handler);
		dev->handler = NULL;
	}
	if (dev->async) {
		napi_async_destroy(env, dev->async);
		dev->async = NULL;
	}
	return NULL;
}

/* ref() / unref(): whether the watch holds the event loop open. */
static napi_value aem__ref(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, false);

	if (dev && dev->poll_init)
		uv_ref((uv_handle_t *)&dev->poll);
	return NULL;
}

static napi_value aem__unref(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, false);

	if (dev && dev->poll_init)
		uv_unref((uv_handle_t *)&dev->poll);
	return NULL;
}

/* stats() -> { wakeups, records, dropped, ringFlags } */
static napi_value aem__stats(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, true);
	napi_value obj, v;

	if (!dev)
		return NULL;
	NAPI_CALL(env, napi_create_object(env, &obj));
	NAPI_CALL(env, napi_create_double(env, dev->wakeups, &v));
	NAPI_CALL(env, napi_set_named_property(env, obj, "wakeups", v));
	NAPI_CALL(env, napi_create_double(env, dev->delivered, &v));
	NAPI_CALL(env, napi_set_named_property(env, obj, "records", v));
	NAPI_CALL(env, napi_create_double(env, (double)aem_dropped(dev->aem),
					  &v));
	NAPI_CALL(env, napi_set_named_property(env, obj, "dropped", v));
	NAPI_CALL(env, napi_create_uint32(env, aem_ring_flags(dev->aem), &v));
	NAPI_CALL(env, napi_set_named_property(env, obj, "ringFlags", v));
	return obj;
}

/* close(): idempotent. */
static napi_value aem__close_method(napi_env env, napi_callback_info info)
{
	struct aem_device *dev = aem__unwrap(env, info, NULL, NULL, false);

	if (dev)
		aem__close(env, dev);
	return NULL;
}

static napi_value aem__init(napi_env env, napi_value exports)
{
	static const napi_property_descriptor methods[] = {
		{ "abi", NULL, aem__abi, NULL, NULL, NULL, napi_default, NULL },
		{ "lookup", NULL, aem__lookup, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "entry", NULL, aem__entry, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "timerCreate", NULL, aem__timer_create, NULL, NULL, NULL,
		  napi_default, NULL },
		{ "evctl", NULL, aem__evctl, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "control", NULL, aem__control, NULL, NULL, NULL,
		  napi_default, NULL },
		{ "start", NULL, aem__start, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "stop", NULL, aem__stop, NULL, NULL, NULL, napi_default, NULL },
		{ "ref", NULL, aem__ref, NULL, NULL, NULL, napi_default, NULL },
		{ "unref", NULL, aem__unref, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "stats", NULL, aem__stats, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "close", NULL, aem__close_method, NULL, NULL, NULL,
		  napi_default, NULL },
	};
	napi_value cls, v;

	NAPI_CALL(env, napi_define_class(env, "Device", NAPI_AUTO_LENGTH,
					 aem__construct, NULL,
					 sizeof(methods) / sizeof(methods[0]),
					 methods, &cls));
	NAPI_CALL(env, napi_set_named_property(env, exports, "Device", cls));
	cls = aem__baseline_define(env);
	if (!cls)
		return NULL;
	NAPI_CALL(env, napi_set_named_property(env, exports, "TimerfdBaseline",
					       cls));
	NAPI_CALL(env, napi_create_uint32(env, AEM_ABI_VERSION, &v));
	NAPI_CALL(env, napi_set_named_property(env, exports, "ABI_VERSION", v));
	NAPI_CALL(env, napi_create_uint32(env, AEM_BINDING_FIELDS, &v));
	NAPI_CALL(env, napi_set_named_property(env, exports, "FIELDS", v));
	if (!aem__sock_define(env, exports))
		return NULL;
	if (!aem__udp_batch_define(env, exports))
		return NULL;
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, aem__init)
