/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* timerfd_baseline.h - the benchmark's timerfd peer (timerfd_baseline.c). */
#ifndef AEM_TIMERFD_BASELINE_H
#define AEM_TIMERFD_BASELINE_H

#include <node_api.h>

/* The TimerfdBaseline class, or NULL with an exception pending. */
napi_value aem__baseline_define(napi_env env);

#endif /* AEM_TIMERFD_BASELINE_H */
