/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#ifndef AEM_SOCK_H
#define AEM_SOCK_H

#include <node_api.h>

/* Adds the socket helpers of the kmod TCP transport to @exports. */
napi_value aem__sock_define(napi_env env, napi_value exports);

#endif /* AEM_SOCK_H */
