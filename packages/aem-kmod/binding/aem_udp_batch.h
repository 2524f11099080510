/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#ifndef AEM_UDP_BATCH_H
#define AEM_UDP_BATCH_H

#include <node_api.h>

/* Adds the UdpBatch class (recvmmsg/sendmmsg on a UDP socket) to @exports. */
napi_value aem__udp_batch_define(napi_env env, napi_value exports);

#endif /* AEM_UDP_BATCH_H */
