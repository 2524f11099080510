// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * aem_sock.c - the socket calls of the kmod transports of @aem/tcp and
 * @aem/udp: make a listening, connecting or bound UDP socket, write,
 * writev, shut down, close, and read addresses.  Reading and accepting are
 * the kernel's (aem_tcp.ko, aem_udp.ko: the records), and so is sending
 * UDP (a batch per ioctl); these are the system calls around them.  All
 * fds are non-blocking and close-on-exec.
 *
 * Hot calls (write, writev) return the byte count or a negative errno
 * instead of throwing, so EAGAIN costs no exception; setup calls throw an
 * Error with `code` (the errno name, as node:net's errors) and `errno`.
 * Stateless: nothing here outlives a call.
 */
#define NAPI_VERSION 8
#include "aem_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Writes of one writev call (IOV_MAX is 1024 on Linux). */
#define AEM_SOCK_IOV	64

static const char *aem__errno_name(int err)
{
	switch (err) {
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOBUFS: return "ENOBUFS";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case EPIPE: return "EPIPE";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	default: return "EIO";
	}
}

void aem__sock_throw(napi_env env, int err, const char *what)
{
	napi_value error, msg, code, errnum;
	char text[256];

	snprintf(text, sizeof(text), "%s %s: %s", what, aem__errno_name(err),
		 strerror(err));
	if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) ||
	    napi_create_string_utf8(env, aem__errno_name(err),
				    NAPI_AUTO_LENGTH, &code) ||
	    napi_create_error(env, code, msg, &error) ||
	    napi_create_int32(env, -err, &errnum) ||
	    napi_set_named_property(env, error, "errno", errnum)) {
		napi_throw_error(env, "AEM_BINDING", text);
		return;
	}
	napi_throw(env, error);
}

static bool aem__int_arg(napi_env env, napi_value v, int32_t *out)
{
	if (napi_get_value_int32(env, v, out) != napi_ok) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "an integer argument was expected");
		return false;
	}
	return true;
}

/* host (numeric, or "" for any) and port -> sockaddr */
static bool aem__addr(napi_env env, napi_value vhost, int32_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	size_t n;

	if (napi_get_value_string_utf8(env, vhost, host, sizeof(host), &n) ||
	    port < 0 || port > 65535) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "a numeric host and a port were expected");
		return false;
	}
	memset(ss, 0, sizeof(*ss));
	if (!n || inet_pton(AF_INET, host,
			    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host,
		      &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return true;
	}
	napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
			      "the host must be a numeric IPv4 or IPv6 address");
	return false;
}

/* listen(host, port, backlog) -> fd (TCP_NODELAY, inherited by accepted ones) */
static napi_value aem__listen(napi_env env, napi_callback_info info)
{
	napi_value argv[3], result;
	size_t argc = 3;
	struct sockaddr_storage ss;
	int32_t port, backlog;
	socklen_t len;
	int fd, one = 1, err;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3 || !aem__int_arg(env, argv[1], &port) ||
	    !aem__int_arg(env, argv[2], &backlog) ||
	    !aem__addr(env, argv[0], port, &ss, &len))
		return NULL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		aem__sock_throw(env, errno, "socket");
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted connections inherit it. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog)) {
		err = errno;
		close(fd);
		aem__sock_throw(env, err, "listen");
		return NULL;
	}
	SOCK_CALL(env, napi_create_int32(env, fd, &result));
	return result;
}

/* connect(host, port) -> fd, connecting (non-blocking, TCP_NODELAY) */
static napi_value aem__connect(napi_env env, napi_callback_info info)
{
	napi_value argv[2], result;
	size_t argc = 2;
	struct sockaddr_storage ss;
	socklen_t len;
	int32_t port;
	int fd, one = 1, err;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || !aem__int_arg(env, argv[1], &port) ||
	    !aem__addr(env, argv[0], port, &ss, &len))
		return NULL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		aem__sock_throw(env, errno, "socket");
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		aem__sock_throw(env, err, "connect");
		return NULL;
	}
	SOCK_CALL(env, napi_create_int32(env, fd, &result));
	return result;
}

/*
 * udpBind(host, port, reusePort, recvBufferSize, sendBufferSize) -> fd of a
 * bound UDP socket (an IPv6 host makes an AF_INET6 socket, dual-stack as
 * the system's default says); a buffer size of 0 keeps the default.
 */
static napi_value aem__udp_bind(napi_env env, napi_callback_info info)
{
	napi_value argv[5], result;
	size_t argc = 5;
	struct sockaddr_storage ss;
	int32_t port, rcvbuf, sndbuf;
	bool reuse;
	socklen_t len;
	int fd, one = 1, err;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 5 || !aem__int_arg(env, argv[1], &port) ||
	    !aem__int_arg(env, argv[3], &rcvbuf) ||
	    !aem__int_arg(env, argv[4], &sndbuf))
		return NULL;
	if (napi_get_value_bool(env, argv[2], &reuse) != napi_ok ||
	    rcvbuf < 0 || sndbuf < 0) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "udpBind(host, port, reusePort, recvBufferSize, sendBufferSize)");
		return NULL;
	}
	if (!aem__addr(env, argv[0], port, &ss, &len))
		return NULL;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		aem__sock_throw(env, errno, "socket");
		return NULL;
	}
	if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				 sizeof(one))) ||
	    (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				  sizeof(sndbuf))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		err = errno;
		close(fd);
		aem__sock_throw(env, err, "bind");
		return NULL;
	}
	SOCK_CALL(env, napi_create_int32(env, fd, &result));
	return result;
}

/* write(fd, Uint8Array) -> bytes written or -errno (the fd is non-blocking) */
static napi_value aem__write(napi_env env, napi_callback_info info)
{
	napi_value argv[2], result;
	size_t argc = 2, len;
	napi_typedarray_type type;
	napi_value ab;
	size_t off;
	int32_t fd;
	void *p;
	ssize_t n;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || !aem__int_arg(env, argv[0], &fd))
		return NULL;
	if (napi_get_typedarray_info(env, argv[1], &type, &len, &p, &ab,
				     &off) != napi_ok ||
	    type != napi_uint8_array) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "write(fd, Uint8Array)");
		return NULL;
	}
	/* write(2) (SIGPIPE is ignored by Node): what the issue calls send. */
	do {
		n = write(fd, p, len);
	} while (n < 0 && errno == EINTR);
	SOCK_CALL(env, napi_create_double(env, n < 0 ? -errno : (double)n,
					  &result));
	return result;
}

/* writev(fd, Uint8Array[]) -> bytes written or -errno (at most 64 pieces) */
static napi_value aem__writev(napi_env env, napi_callback_info info)
{
	struct iovec iov[AEM_SOCK_IOV];
	napi_value argv[2], result;
	size_t argc = 2;
	uint32_t count, i;
	int32_t fd;
	bool is_array;
	ssize_t n;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || !aem__int_arg(env, argv[0], &fd))
		return NULL;
	SOCK_CALL(env, napi_is_array(env, argv[1], &is_array));
	if (!is_array) {
		napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
				      "writev(fd, Uint8Array[])");
		return NULL;
	}
	SOCK_CALL(env, napi_get_array_length(env, argv[1], &count));
	if (count > AEM_SOCK_IOV)
		count = AEM_SOCK_IOV;
	for (i = 0; i < count; i++) {
		napi_typedarray_type type;
		napi_value item, ab;
		size_t len, off;
		void *p;

		SOCK_CALL(env, napi_get_element(env, argv[1], i, &item));
		if (napi_get_typedarray_info(env, item, &type, &len, &p, &ab,
					     &off) != napi_ok ||
		    type != napi_uint8_array) {
			napi_throw_type_error(env, "AEM_INVALID_ARGUMENT",
					      "writev(fd, Uint8Array[])");
			return NULL;
		}
		iov[i].iov_base = p;
		iov[i].iov_len = len;
	}
	do {
		n = writev(fd, iov, (int)count);
	} while (n < 0 && errno == EINTR);
	SOCK_CALL(env, napi_create_double(env, n < 0 ? -errno : (double)n,
					  &result));
	return result;
}

/* shutdown(fd) (SHUT_WR) and close(fd) -> 0 or -errno */
static napi_value aem__fd_op(napi_env env, napi_callback_info info, bool cls)
{
	napi_value argv[1], result;
	size_t argc = 1;
	int32_t fd;
	int ret;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || !aem__int_arg(env, argv[0], &fd))
		return NULL;
	ret = cls ? close(fd) : shutdown(fd, SHUT_WR);
	SOCK_CALL(env, napi_create_int32(env, ret < 0 ? -errno : 0, &result));
	return result;
}

static napi_value aem__shutdown(napi_env env, napi_callback_info info)
{
	return aem__fd_op(env, info, false);
}

static napi_value aem__close(napi_env env, napi_callback_info info)
{
	return aem__fd_op(env, info, true);
}

static napi_value aem__addr_value(napi_env env, napi_value obj,
				  const char *kaddr, const char *kport,
				  const struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN] = "";
	napi_value v;
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		port = ntohs(sin6->sin6_port);
	}
	SOCK_CALL(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH,
					       &v));
	SOCK_CALL(env, napi_set_named_property(env, obj, kaddr, v));
	SOCK_CALL(env, napi_create_int32(env, port, &v));
	SOCK_CALL(env, napi_set_named_property(env, obj, kport, v));
	return obj;
}

/* addresses(fd) -> { localAddress, localPort, remoteAddress, remotePort, family } */
static napi_value aem__addresses(napi_env env, napi_callback_info info)
{
	struct sockaddr_storage local = { 0 }, remote = { 0 };
	socklen_t len = sizeof(local);
	napi_value argv[1], obj, v;
	size_t argc = 1;
	int32_t fd;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || !aem__int_arg(env, argv[0], &fd))
		return NULL;
	if (getsockname(fd, (struct sockaddr *)&local, &len)) {
		aem__sock_throw(env, errno, "getsockname");
		return NULL;
	}
	len = sizeof(remote);
	getpeername(fd, (struct sockaddr *)&remote, &len);
	SOCK_CALL(env, napi_create_object(env, &obj));
	if (!aem__addr_value(env, obj, "localAddress", "localPort", &local) ||
	    !aem__addr_value(env, obj, "remoteAddress", "remotePort", &remote))
		return NULL;
	SOCK_CALL(env, napi_create_string_utf8(env, local.ss_family == AF_INET6 ?
					       "IPv6" : "IPv4",
					       NAPI_AUTO_LENGTH, &v));
	SOCK_CALL(env, napi_set_named_property(env, obj, "family", v));
	return obj;
}

/* socketError(fd) -> SO_ERROR (a positive errno, or 0) */
static napi_value aem__socket_error(napi_env env, napi_callback_info info)
{
	napi_value argv[1], result;
	socklen_t len = sizeof(int);
	size_t argc = 1;
	int32_t fd;
	int err = 0;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || !aem__int_arg(env, argv[0], &fd))
		return NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	SOCK_CALL(env, napi_create_int32(env, err, &result));
	return result;
}

/* errnoName(errno) -> "ECONNRESET", ... */
static napi_value aem__errno_name_fn(napi_env env, napi_callback_info info)
{
	napi_value argv[1], result;
	size_t argc = 1;
	int32_t err;

	SOCK_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || !aem__int_arg(env, argv[0], &err))
		return NULL;
	SOCK_CALL(env, napi_create_string_utf8(env, aem__errno_name(abs(err)),
					       NAPI_AUTO_LENGTH, &result));
	return result;
}

napi_value aem__sock_define(napi_env env, napi_value exports)
{
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{ "sockListen", aem__listen },
		{ "sockConnect", aem__connect },
		{ "sockUdpBind", aem__udp_bind },
		{ "sockWrite", aem__write },
		{ "sockWritev", aem__writev },
		{ "sockShutdown", aem__shutdown },
		{ "sockClose", aem__close },
		{ "sockAddresses", aem__addresses },
		{ "sockError", aem__socket_error },
		{ "errnoName", aem__errno_name_fn },
	};
	napi_value fn;
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		SOCK_CALL(env, napi_create_function(env, fns[i].name,
						    NAPI_AUTO_LENGTH,
						    fns[i].fn, NULL, &fn));
		SOCK_CALL(env, napi_set_named_property(env, exports,
						       fns[i].name, fn));
	}
	return exports;
}
