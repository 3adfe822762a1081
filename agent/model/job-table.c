/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash table (chained, grows at load factor 1) plus an insertion-ordered list for iteration and
 * garbage collection. A few thousand entries at most: finished jobs are capped, so the table's
 * memory is bounded by running containers + finished_max whatever the job throughput.
 */

#include <stdlib.h>
#include <string.h>

#include "model/job-table.h"

#define BUCKETS_MIN 64

struct JobTable {
        Job **buckets;
        size_t n_buckets;
        size_t n_jobs, n_finished;
        Job *head, *tail;
        job_emit_t emit;
        void *emit_userdata;
        job_remove_t on_remove;
        void *remove_userdata;
        uint64_t retention_ns;
        unsigned finished_max;
};

static size_t hash_id(const char *s) {
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

int job_table_new(JobTable **ret) {
        JobTable *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->buckets = calloc(BUCKETS_MIN, sizeof *t->buckets);
        if (!t->buckets) {
                free(t);
                return -ENOMEM;
        }
        t->n_buckets = BUCKETS_MIN;
        t->retention_ns = 3600ULL * 1000000000ULL;
        t->finished_max = 500;
        *ret = t;
        return 0;
}

static void unlink_job(JobTable *t, Job *j) {
        Job **p = &t->buckets[hash_id(j->container_id) & (t->n_buckets - 1)];
        for (; *p; p = &(*p)->hash_next)
                if (*p == j) {
                        *p = j->hash_next;
                        break;
                }
        if (j->list_prev)
                j->list_prev->list_next = j->list_next;
        else
                t->head = j->list_next;
        if (j->list_next)
                j->list_next->list_prev = j->list_prev;
        else
                t->tail = j->list_prev;
        t->n_jobs--;
        if (job_is_finished(j))
                t->n_finished--;
}

static void remove_job(JobTable *t, Job *j) {
        unlink_job(t, j);
        if (t->on_remove)
                t->on_remove(j, t->remove_userdata);
        job_free(j);
}

JobTable *job_table_free(JobTable *t) {
        if (!t)
                return NULL;
        while (t->head)
                remove_job(t, t->head);
        free(t->buckets);
        free(t);
        return NULL;
}

void job_table_set_emit(JobTable *t, job_emit_t fn, void *userdata) {
        t->emit = fn;
        t->emit_userdata = userdata;
}

void job_table_set_remove_hook(JobTable *t, job_remove_t fn, void *userdata) {
        t->on_remove = fn;
        t->remove_userdata = userdata;
}

void job_table_set_retention(JobTable *t, uint64_t retention_ns, unsigned finished_max) {
        t->retention_ns = retention_ns;
        t->finished_max = finished_max;
}

Job *job_table_get(JobTable *t, const char *id) {
        for (Job *j = t->buckets[hash_id(id) & (t->n_buckets - 1)]; j; j = j->hash_next)
                if (streq(j->container_id, id))
                        return j;
        return NULL;
}

size_t job_table_size(JobTable *t) {
        return t->n_jobs;
}

size_t job_table_finished(JobTable *t) {
        return t->n_finished;
}

Job *job_table_first(JobTable *t) {
        return t->head;
}

static void grow(JobTable *t) {
        size_t n = t->n_buckets * 2;
        Job **b = calloc(n, sizeof *b);
        if (!b)
                return; /* longer chains, still correct */
        for (Job *j = t->head; j; j = j->list_next) {
                size_t i = hash_id(j->container_id) & (n - 1);
                j->hash_next = b[i];
                b[i] = j;
        }
        free(t->buckets);
        t->buckets = b;
        t->n_buckets = n;
}

static int dup_field(char **dst, const char *src) {
        if (!src || streq_ptr(*dst, src))
                return 0;
        return free_and_strdup(dst, src);
}

static int copy_tags(JobTags *d, const JobTags *s) {
        int r = 0;
        r |= dup_field(&d->job_id, s->job_id);
        r |= dup_field(&d->job_attempt, s->job_attempt);
        r |= dup_field(&d->job_queue, s->job_queue);
        r |= dup_field(&d->compute_environment, s->compute_environment);
        r |= dup_field(&d->array_index, s->array_index);
        r |= dup_field(&d->array_size, s->array_size);
        r |= dup_field(&d->node_index, s->node_index);
        r |= dup_field(&d->num_nodes, s->num_nodes);
        r |= dup_field(&d->main_node_index, s->main_node_index);
        r |= dup_field(&d->ecs_cluster, s->ecs_cluster);
        r |= dup_field(&d->task_arn, s->task_arn);
        r |= dup_field(&d->container_name, s->container_name);
        r |= dup_field(&d->task_family, s->task_family);
        r |= dup_field(&d->task_version, s->task_version);
        return r ? -ENOMEM : 0;
}

int job_table_learn(JobTable *t, const ContainerSnapshot *s, uint64_t now_ns, Job **ret) {
        Job *j;
        int r;

        if (strlen(s->id) != CONTAINER_ID_LEN)
                return -EINVAL;

        j = job_table_get(t, s->id);
        if (!j) {
                j = calloc(1, sizeof *j);
                if (!j)
                        return -ENOMEM;
                memcpy(j->container_id, s->id, sizeof j->container_id);
                j->state = JOB_STARTING;
                j->exit_code = -1;
                if (t->n_jobs >= t->n_buckets)
                        grow(t);
                size_t i = hash_id(j->container_id) & (t->n_buckets - 1);
                j->hash_next = t->buckets[i];
                t->buckets[i] = j;
                j->list_prev = t->tail;
                if (t->tail)
                        t->tail->list_next = j;
                else
                        t->head = j;
                t->tail = j;
                t->n_jobs++;
        }

        j->is_job = s->is_job;
        r = copy_tags(&j->tags, &s->tags);
        if (r >= 0)
                r = dup_field(&j->name, s->name);
        if (r >= 0)
                r = dup_field(&j->image, s->image);
        if (r < 0)
                return r;
        j->request = s->request;
        if (s->oom_killed)
                j->oom_killed = true;
        if (!j->created_ns)
                j->created_ns = s->created_ns;
        if (s->running && s->pid > 0)
                j->pid = s->pid;
        j->last_seen_ns = now_ns;
        if (ret)
                *ret = j;
        return 0;
}

static void emit(JobTable *t, Job *j, JobEventType type, uint64_t time_ns) {
        bool once = type != JOB_EVENT_SAMPLE;

        if (once && job_emitted(j, type))
                return;
        if (once)
                j->emitted |= 1u << type;
        /* Non-job containers are tracked (status, host view) but are not jobs: no job events. */
        if (!j->is_job || !t->emit)
                return;
        t->emit(&(JobEvent){ .type = type, .time_ns = time_ns, .job = j }, t->emit_userdata);
}

static void ensure_created(JobTable *t, Job *j, uint64_t fallback_ns) {
        if (!j->created_ns)
                j->created_ns = fallback_ns;
        emit(t, j, JOB_EVENT_CREATED, j->created_ns);
}

static void start(JobTable *t, Job *j, uint64_t time_ns) {
        if (j->state != JOB_STARTING)
                return; /* already running, or a restart after the end: the attempt is over */
        ensure_created(t, j, time_ns);
        j->state = JOB_RUNNING;
        j->started_ns = time_ns;
        emit(t, j, JOB_EVENT_STARTED, time_ns);
}

static const char *end_reason(const Job *j) {
        if (j->oom_killed)
                return "oom-killed";
        if (!j->exit_code_known)
                return "vanished";
        if (j->exit_code > 128 && j->kill_signal && j->exit_code - 128 == j->kill_signal)
                return "killed";
        if (j->exit_code > 128)
                return "signal";
        return "exit";
}

static void finish(JobTable *t, Job *j, uint64_t time_ns, bool code_known, int code) {
        if (job_is_finished(j))
                return;
        ensure_created(t, j, time_ns);
        if (code_known) {
                j->exit_code = code;
                j->exit_code_known = true;
        }
        j->finished_ns = time_ns;
        j->pid = 0;
        j->state = (code_known && code == 0 && !j->oom_killed) ? JOB_SUCCEEDED : JOB_FAILED;
        (void) free_and_strdup(&j->end_reason, end_reason(j));
        t->n_finished++;
        emit(t, j, JOB_EVENT_ENDED, time_ns);
}

int job_table_apply_event(JobTable *t, const ContainerEvent *ev, uint64_t now_ns) {
        Job *j = job_table_get(t, ev->id);

        if (!j)
                return -ENOENT;
        j->last_seen_ns = now_ns;

        switch (ev->action) {
        case CONTAINER_CREATE:
                if (!j->created_ns)
                        j->created_ns = ev->time_ns;
                ensure_created(t, j, ev->time_ns);
                break;
        case CONTAINER_START:
                start(t, j, ev->time_ns);
                break;
        case CONTAINER_OOM:
                j->oom_killed = true;
                emit(t, j, JOB_EVENT_OOM, ev->time_ns);
                break;
        case CONTAINER_KILL:
                if (!job_is_finished(j))
                        j->kill_signal = ev->signal;
                break;
        case CONTAINER_DIE:
                finish(t, j, ev->time_ns, ev->has_exit_code, ev->exit_code);
                break;
        case CONTAINER_DESTROY:
                j->destroyed = true;
                /* A created container removed before it ever ran: that attempt is over too. */
                finish(t, j, ev->time_ns, false, 0);
                break;
        default:
                return -EINVAL;
        }
        return 0;
}

int job_table_reconcile(JobTable *t, const ContainerSnapshot *s, uint64_t now_ns) {
        Job *j = job_table_get(t, s->id);

        if (!j)
                return -ENOENT;
        j->last_seen_ns = now_ns;
        if (s->oom_killed)
                j->oom_killed = true;

        if (s->running || s->exited) {
                if (s->started_ns)
                        start(t, j, s->started_ns);
                else if (s->running)
                        start(t, j, now_ns);
        }
        if (s->running && s->pid > 0 && !job_is_finished(j))
                j->pid = s->pid;
        if (s->exited)
                finish(t, j, s->finished_ns ? s->finished_ns : now_ns, true, s->exit_code);
        else if (!job_emitted(j, JOB_EVENT_CREATED))
                ensure_created(t, j, s->created_ns ? s->created_ns : now_ns);
        return 0;
}

int job_table_vanished(JobTable *t, Job *j, uint64_t now_ns) {
        j->destroyed = true;
        finish(t, j, now_ns, false, 0);
        return 0;
}

void job_table_mark_emitted(JobTable *t, Job *j, unsigned mask) {
        (void) t;
        j->emitted |= mask;
}

void job_table_emit_sample(JobTable *t, Job *j, uint64_t now_ns) {
        emit(t, j, JOB_EVENT_SAMPLE, now_ns);
}

static Job *oldest_finished(JobTable *t) {
        Job *best = NULL;
        for (Job *j = t->head; j; j = j->list_next)
                if (job_is_finished(j) && (!best || j->finished_ns < best->finished_ns))
                        best = j;
        return best;
}

void job_table_gc(JobTable *t, uint64_t now_ns) {
        for (Job *j = t->head, *next; j; j = next) {
                next = j->list_next;
                if (job_is_finished(j) && j->finished_ns + t->retention_ns <= now_ns)
                        remove_job(t, j);
        }
        while (t->n_finished > t->finished_max) {
                Job *j = oldest_finished(t);
                if (!j)
                        break;
                remove_job(t, j);
        }
}
