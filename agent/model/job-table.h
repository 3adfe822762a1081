/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The job table: every container on the host, keyed by container id, and the job state machine.
 * Sources feed it snapshots (what a container is and where it stands) and lifecycle events; it
 * emits JobEvents through one callback. It is pure: no I/O, every function that depends on time
 * takes `now`, so unit tests drive it with scripted sequences.
 *
 * Exactly once: each lifecycle event (created, started, ended) is emitted at most once per job; the
 * `emitted` mask is what the state file persists so a restarted agent does not emit them again.
 * Transitions only move forward: a stale snapshot never takes a job back.
 */

#include <stddef.h>
#include <stdint.h>

#include "model/container.h"
#include "model/job.h"
#include "util/macro.h"

typedef struct JobTable JobTable;

typedef void (*job_emit_t)(const JobEvent *ev, void *userdata);
typedef void (*job_remove_t)(Job *j, void *userdata);

int job_table_new(JobTable **ret);
JobTable *job_table_free(JobTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(JobTable *, job_table_free);

void job_table_set_emit(JobTable *t, job_emit_t fn, void *userdata);
/* Called before a job is freed, so its owner can release per-job state (the cgroup sampler). */
void job_table_set_remove_hook(JobTable *t, job_remove_t fn, void *userdata);
/* Finished jobs are kept `retention_ns` after they end, and at most `finished_max` of them. */
void job_table_set_retention(JobTable *t, uint64_t retention_ns, unsigned finished_max);

Job *job_table_get(JobTable *t, const char *container_id);
size_t job_table_size(JobTable *t);
size_t job_table_finished(JobTable *t);
/* Iteration in insertion order: for (Job *j = job_table_first(t); j; j = j->list_next) */
Job *job_table_first(JobTable *t);

/* Creates the job when new, else refreshes identity (tags, request, image, OOM flag). No events. */
int job_table_learn(JobTable *t, const ContainerSnapshot *s, uint64_t now_ns, Job **ret);
/* Applies a lifecycle event to a known job: -ENOENT when the container is unknown. */
int job_table_apply_event(JobTable *t, const ContainerEvent *ev, uint64_t now_ns);
/* Moves a known job forward to where the snapshot says it stands, emitting what was missed. */
int job_table_reconcile(JobTable *t, const ContainerSnapshot *s, uint64_t now_ns);
/* A tracked container Docker no longer knows (removed while we were not watching). */
int job_table_vanished(JobTable *t, Job *j, uint64_t now_ns);
/* Marks lifecycle events as already emitted (restored from the state file). */
void job_table_mark_emitted(JobTable *t, Job *j, unsigned mask);

/* Emits a SAMPLE event for a running job (the cgroup sampler calls this after updating usage). */
void job_table_emit_sample(JobTable *t, Job *j, uint64_t now_ns);
/* Drops finished jobs past retention or beyond finished_max, oldest first. */
void job_table_gc(JobTable *t, uint64_t now_ns);
