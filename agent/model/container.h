/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What the job model learns about a container from its sources, as plain data: a snapshot (from
 * Docker's inspect) and a lifecycle event (from Docker's /events). The Docker parser fills these;
 * the job table consumes them. Kept here so the model depends on no source.
 */

#include <stdbool.h>
#include <stdint.h>

#include "model/job.h"

typedef struct ContainerSnapshot {
        char id[CONTAINER_ID_LEN + 1];
        char *name;
        char *image;
        bool is_job;
        JobTags tags;
        JobRequest request;
        bool running;           /* State.Running (or restarting/paused: still alive) */
        bool exited;            /* State.Status exited or dead */
        bool oom_killed;
        int exit_code;
        int pid;
        uint64_t created_ns, started_ns, finished_ns; /* realtime ns, 0 = unset */
} ContainerSnapshot;

typedef enum ContainerAction {
        CONTAINER_CREATE,
        CONTAINER_START,
        CONTAINER_DIE,
        CONTAINER_OOM,
        CONTAINER_KILL,
        CONTAINER_DESTROY,
        _CONTAINER_ACTION_MAX,
        _CONTAINER_ACTION_INVALID = -1,
} ContainerAction;

typedef struct ContainerEvent {
        ContainerAction action;
        char id[CONTAINER_ID_LEN + 1];
        uint64_t time_ns;
        int exit_code;          /* die */
        bool has_exit_code;
        int signal;             /* kill */
} ContainerEvent;

void container_snapshot_done(ContainerSnapshot *s);
const char *container_action_to_string(ContainerAction a);
ContainerAction container_action_from_string(const char *s);
