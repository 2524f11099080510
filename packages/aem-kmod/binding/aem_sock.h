/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#ifndef AEM_SOCK_H
#define AEM_SOCK_H

#include <node_api.h>

/* Returns NULL from the calling napi_callback, with an Error, when @call fails. */
#define SOCK_CALL(env, call)						\
	do {								\
		if ((call) != napi_ok) {				\
			napi_throw_error((env), "AEM_BINDING", #call);	\
			return NULL;					\
		}							\
	} while (0)

/*
 * Throws an Error for @err: message "<what> <ENAME>: <strerror>", `code` the
 * errno's name (as node:net's errors), `errno` the negative errno.
 */
void aem__sock_throw(napi_env env, int err, const char *what);

/* Adds the socket helpers of the kmod TCP transport to @exports. */
napi_value aem__sock_define(napi_env env, napi_value exports);

#endif /* AEM_SOCK_H */
