/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A job is one container as seen on this host: a Batch job attempt when the container carries
 * AWS_BATCH_JOB_ID, or a non-job container (ECS agent, pause containers, anything else) otherwise.
 * The job table (job-table.h) owns Jobs; sinks get const pointers through JobEvents.
 *
 * Checklist: a new field here also goes into encode-event.c (JSON lines and status), state.c when it
 * must survive an agent restart, and the EMF / trace encoders when they publish it.
 */

#include <stdbool.h>
#include <stdint.h>

#define CONTAINER_ID_LEN 64 /* Docker: 64 lowercase hex digits */

typedef enum JobState {
        JOB_STARTING,  /* container created, not started */
        JOB_RUNNING,
        JOB_SUCCEEDED, /* exited 0, no OOM kill */
        JOB_FAILED,    /* non-zero exit, OOM kill, or vanished */
        _JOB_STATE_MAX,
} JobState;

/* AWS_BATCH_* environment and the ECS agent's labels: the only parts of a job's config we keep. */
typedef struct JobTags {
        char *job_id;
        char *job_attempt;
        char *job_queue;
        char *compute_environment;
        char *array_index;
        char *array_size;
        char *node_index;
        char *num_nodes;
        char *main_node_index;
        char *ecs_cluster;
        char *task_arn;
        char *container_name;
        char *task_family;
        char *task_version;
} JobTags;

/* What the container asked for, from HostConfig. */
typedef struct JobRequest {
        double vcpus;           /* from NanoCpus, else CpuQuota/CpuPeriod, else CpuShares/1024; 0 = none */
        int64_t nano_cpus;
        int64_t cpu_shares;
        int64_t cpu_quota;
        int64_t cpu_period;
        uint64_t memory_bytes;  /* hard limit; 0 = none */
        uint64_t memory_reservation;
        int gpus;               /* DeviceRequests GPU count; -1 = all */
} JobRequest;

/* Per-job resource figures; filled by the cgroup sampler when it is present. */
typedef struct JobUsage {
        bool valid;
        unsigned n_samples;
        double cpu_seconds;         /* user + system over the job's life */
        double cpu_user_seconds, cpu_system_seconds;
        double cpu_avg_vcpus, cpu_max_vcpus, cpu_now_vcpus;
        uint64_t mem_now_bytes, mem_peak_bytes, mem_limit_bytes;
        bool mem_limit_unlimited;
        double mem_avg_bytes;
        uint64_t io_read_bytes, io_write_bytes;
        double throttled_seconds;
        uint64_t nr_throttled;
        uint64_t oom_kills;
        uint64_t pids;
} JobUsage;

typedef struct Job {
        char container_id[CONTAINER_ID_LEN + 1];
        char *name;             /* container name, no leading '/' */
        char *image;            /* Config.Image as requested */
        bool is_job;            /* carries AWS_BATCH_JOB_ID */
        JobTags tags;
        JobRequest request;

        JobState state;
        uint64_t created_ns;    /* realtime ns (Docker's timeNano or inspect timestamps); 0 = unknown */
        uint64_t started_ns;
        uint64_t finished_ns;
        uint64_t pull_started_ns, pull_finished_ns; /* image pull seen on this host; 0 = not seen */
        int exit_code;
        bool exit_code_known;
        bool oom_killed;
        int kill_signal;        /* last signal sent by `docker kill`/stop, 0 = none */
        char *end_reason;       /* "exit", "oom-killed", "signal", "vanished", "spot-interruption" */
        int pid;                /* host pid of the init process while running */

        bool destroyed;         /* container removed from Docker */
        uint64_t last_seen_ns;  /* last event or inspect about it */

        JobUsage usage;
        char trace_id[36];      /* "1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx" once traces exist, else "" */

        unsigned emitted;       /* bit (1 << JobEventType) per lifecycle event already emitted */
        void *sampler;          /* opaque per-container sampler state, owned by the manager */

        struct Job *hash_next, *list_prev, *list_next; /* job-table internal */
} Job;

typedef enum JobEventType {
        JOB_EVENT_CREATED,
        JOB_EVENT_STARTED,
        JOB_EVENT_OOM,      /* OOM kill seen (before the end) */
        JOB_EVENT_ENDED,    /* exactly once per job */
        JOB_EVENT_SAMPLE,   /* running figures, every sampling interval */
        _JOB_EVENT_MAX,
} JobEventType;

typedef struct JobEvent {
        JobEventType type;
        uint64_t time_ns;   /* realtime ns of the transition */
        const Job *job;
} JobEvent;

static inline bool job_is_finished(const Job *j) {
        return j->state == JOB_SUCCEEDED || j->state == JOB_FAILED;
}
static inline bool job_emitted(const Job *j, JobEventType t) {
        return j->emitted & (1u << t);
}

const char *job_state_to_string(JobState s);
const char *job_event_type_to_string(JobEventType t);
void job_tags_done(JobTags *t);
void job_free(Job *j);
