// SPDX-License-Identifier: GPL-2.0-only
/*
 * aem_timers_v1_2.c - the timers service built as version 1.2.0 under
 * another module name, so the tests can load two versions side by side.
 */
#include <uapi/linux/aem.h>

#define AEM_TIMERS_VERSION	AEM_VERSION(1, 2, 0)
#include "../../src/aem_timers.c"
