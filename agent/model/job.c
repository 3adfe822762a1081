/* SPDX-License-Identifier: Apache-2.0 */
/* Names and destructors for the job model's plain data. */

#include <stdlib.h>
#include <string.h>

#include "model/container.h"
#include "model/job.h"
#include "util/macro.h"

static const char *const state_names[_JOB_STATE_MAX] = {
        [JOB_STARTING] = "STARTING",
        [JOB_RUNNING] = "RUNNING",
        [JOB_SUCCEEDED] = "SUCCEEDED",
        [JOB_FAILED] = "FAILED",
};

const char *job_state_to_string(JobState s) {
        return (unsigned) s < _JOB_STATE_MAX ? state_names[s] : "UNKNOWN";
}

static const char *const event_names[_JOB_EVENT_MAX] = {
        [JOB_EVENT_CREATED] = "created",
        [JOB_EVENT_STARTED] = "started",
        [JOB_EVENT_OOM] = "oom",
        [JOB_EVENT_ENDED] = "ended",
        [JOB_EVENT_SAMPLE] = "sample",
};

const char *job_event_type_to_string(JobEventType t) {
        return (unsigned) t < _JOB_EVENT_MAX ? event_names[t] : "unknown";
}

static const char *const action_names[_CONTAINER_ACTION_MAX] = {
        [CONTAINER_CREATE] = "create", [CONTAINER_START] = "start", [CONTAINER_DIE] = "die",
        [CONTAINER_OOM] = "oom",       [CONTAINER_KILL] = "kill",   [CONTAINER_DESTROY] = "destroy",
};

const char *container_action_to_string(ContainerAction a) {
        return (unsigned) a < _CONTAINER_ACTION_MAX ? action_names[a] : "unknown";
}

ContainerAction container_action_from_string(const char *s) {
        for (size_t i = 0; i < _CONTAINER_ACTION_MAX; i++)
                if (streq(s, action_names[i]))
                        return (ContainerAction) i;
        return _CONTAINER_ACTION_INVALID;
}

void job_tags_done(JobTags *t) {
        char **fields[] = {
                &t->job_id,         &t->job_attempt,    &t->job_queue,     &t->compute_environment,
                &t->array_index,    &t->array_size,     &t->node_index,    &t->num_nodes,
                &t->main_node_index, &t->ecs_cluster,   &t->task_arn,      &t->container_name,
                &t->task_family,    &t->task_version,
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                free(*fields[i]);
                *fields[i] = NULL;
        }
}

void job_free(Job *j) {
        if (!j)
                return;
        job_tags_done(&j->tags);
        free(j->name);
        free(j->image);
        free(j->end_reason);
        free(j);
}

void container_snapshot_done(ContainerSnapshot *s) {
        job_tags_done(&s->tags);
        free(s->name);
        free(s->image);
        memset(s, 0, sizeof *s);
}
