/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The Manager owns the event loop and every source, the job table and every sink, and wires them:
 * sources → job table → sinks. It is the only module that knows all three.
 */

#include "conf.h"
#include "util/macro.h"

typedef struct Manager Manager;

/* Loads the effective configuration (defaults < file < environment < flags); used at start and on SIGHUP. */
typedef int (*manager_load_config_t)(Config *ret, char **error, void *userdata);

int manager_new(manager_load_config_t load, void *userdata, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_run(Manager *m);
