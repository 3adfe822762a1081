/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wiring only. Sources call back into the manager; the manager feeds the job table; the job table
 * emits events that the manager hands to every sink. Sinks are flushed and the state file saved
 * once per loop iteration (a post source), never per event. One periodic "cron" (Redis style)
 * does the slow chores: garbage collection, STATUS=, the host view.
 *
 * Sampling: each running job has a Sampler (cgroup reader + usage state). All jobs are sampled on
 * the main interval; young jobs also on a fast interval for their first seconds, so a job shorter
 * than one interval still gets CPU-seconds and peak memory before its cgroup disappears.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <systemd/sd-daemon.h>

#include "manager.h"
#include "model/job-table.h"
#include "model/usage.h"
#include "sink/encode-event.h"
#include "sink/sink-lines.h"
#include "source/cgroup.h"
#include "source/docker.h"
#include "source/ecs.h"
#include "source/imds.h"
#include "source/procstat.h"
#include "state.h"
#include "status.h"
#include "util/curl-glue.h"
#include "util/log.h"
#include "util/time-util.h"

#define CRON_USEC (1 * USEC_PER_SEC)
#define PULLS_MAX 32                                   /* recent image pulls remembered for matching */
#define PULL_MATCH_WINDOW_NS (600ULL * NSEC_PER_SEC)   /* a pull this long before a create still counts */

typedef struct Sampler {
        CgroupReader *reader;
        UsageState st;
        uint64_t started_usec;  /* monotonic, for the fast-sampling window */
        unsigned attempts;      /* reader creation attempts (pid may not be known yet) */
        bool gone;              /* cgroup vanished: no more samples */
} Sampler;

typedef struct ImagePull {
        char ref[DOCKER_IMAGE_REF_MAX];
        uint64_t time_ns;
} ImagePull;

struct Manager {
        sd_event *event;
        Config config;
        manager_load_config_t load_config;
        void *load_userdata;

        CurlGlue *glue;
        Docker *docker;
        Imds *imds;
        Ecs *ecs;
        CgroupHost *cgroups;
        ProcStat procstat;
        JobTable *jobs;
        Sink *sinks;
        StatusServer *status;
        Instance instance;
        HostView host;

        State restored;         /* the previous run's state, until the first listing is reconciled */
        bool restored_active;
        uint64_t horizon_ns;    /* every container end up to this time is accounted for */
        bool state_dirty, sinks_dirty, ready;

        sd_event_source *post, *cron, *sample_timer, *fast_timer, *watchdog;
        uint64_t start_usec, watchdog_usec, last_cron_gc, last_status_usec;
        ImagePull pulls[PULLS_MAX];
        unsigned pulls_next;

        char last_event[160];
        uint64_t events_emitted, state_errors, sampler_errors;
        RateLimit sample_rl;
};

/* ---- sinks and state ---- */

static void on_job_event(const JobEvent *ev, void *userdata) {
        Manager *m = userdata;
        const Job *j = ev->job;

        for (Sink *s = m->sinks; s; s = s->next) {
                int r = s->ops->event(s, ev, &m->instance);
                if (r < 0)
                        log_container_full_errno(LOG_DEBUG, r, j->container_id, j->tags.job_id,
                                                 "Sink %s refused the event: %m", s->ops->name);
        }
        m->sinks_dirty = true;
        if (ev->type == JOB_EVENT_SAMPLE)
                return;
        m->events_emitted++;
        m->state_dirty = true;
        snprintf(m->last_event, sizeof m->last_event, "%s %s", job_event_type_to_string(ev->type), strna(j->tags.job_id));
        if (ev->type == JOB_EVENT_ENDED)
                log_container_full_errno(LOG_INFO, 0, j->container_id, j->tags.job_id,
                                         "Job %s ended: %s, exit code %d%s", strna(j->tags.job_id),
                                         job_state_to_string(j->state), j->exit_code,
                                         j->oom_killed ? ", OOM-killed" : "");
        else
                log_container_full_errno(LOG_DEBUG, 0, j->container_id, j->tags.job_id, "Job %s %s",
                                         strna(j->tags.job_id), job_event_type_to_string(ev->type));
}

static void flush_all(Manager *m) {
        int r;

        if (m->sinks_dirty) {
                for (Sink *s = m->sinks; s; s = s->next)
                        if (s->ops->flush && (r = s->ops->flush(s)) < 0 && r != -EAGAIN)
                                log_warning_errno(r, "Flushing sink %s failed, will retry: %m", s->ops->name);
                m->sinks_dirty = false;
        }
        /* Saved after the sinks took the events: a crash in between repeats an event, never loses one. */
        if (m->state_dirty) {
                r = state_save(m->config.state_dir, m->jobs, m->horizon_ns);
                if (r < 0) {
                        m->state_errors++;
                        log_warning_errno(r, "Cannot save state under %s, will retry: %m", m->config.state_dir);
                } else
                        m->state_dirty = false;
        }
}

static int on_post(sd_event_source *s, void *userdata) {
        flush_all(userdata);
        return 0;
}

/* ---- sampling ---- */

static void sampler_free(Sampler *s) {
        if (!s)
                return;
        cgroup_reader_free(s->reader);
        free(s);
}

static void on_job_remove(Job *j, void *userdata) {
        sampler_free(j->sampler);
        j->sampler = NULL;
}

/* Returns true when a sample was taken. */
static bool sample_job(Manager *m, Job *j, uint64_t now_ns) {
        Sampler *s = j->sampler;
        CgroupSample cs;
        int r;

        if (!m->cgroups || !j->is_job)
                return false;
        if (!s) {
                if (j->state != JOB_RUNNING || j->pid <= 0)
                        return false;
                s = calloc(1, sizeof *s);
                if (!s)
                        return false;
                usage_state_init(&s->st, j->started_ns / NSEC_PER_USEC);
                s->started_usec = now_monotonic_usec();
                j->sampler = s;
        }
        if (s->gone)
                return false;
        if (!s->reader) {
                if (j->pid <= 0 || s->attempts++ > 3) {
                        s->gone = true;
                        return false;
                }
                r = cgroup_reader_new(m->cgroups, j->pid, j->container_id, &s->reader);
                if (r < 0) {
                        if (r != -ENOENT && r != -ESRCH)
                                log_container_full_errno(LOG_WARNING, r, j->container_id, j->tags.job_id,
                                                         "Cannot open the container's cgroup, ignoring: %m");
                        if (r == -ENOENT || r == -ESRCH)
                                s->gone = true; /* the process is already gone */
                        m->sampler_errors++;
                        return false;
                }
        }
        r = cgroup_reader_sample(s->reader, &cs);
        if (r == -ENOENT) {
                s->gone = true; /* the container just exited: its last good sample stands */
                s->reader = cgroup_reader_free(s->reader);
                return false;
        }
        if (r < 0) {
                m->sampler_errors++;
                if (ratelimit_below(&m->sample_rl, now_monotonic_usec()))
                        log_container_full_errno(LOG_WARNING, r, j->container_id, j->tags.job_id,
                                                 "Sampling the cgroup failed, ignoring: %m");
                return false;
        }
        usage_update(&j->usage, &s->st, &cs, now_ns / NSEC_PER_USEC);
        return true;
}

static void finish_sampler(Manager *m, Job *j) {
        Sampler *s = j->sampler;
        if (!s)
                return;
        s->reader = cgroup_reader_free(s->reader);
        s->gone = true;
}

static void build_host_view(Manager *m, uint64_t now_ns) {
        HostView h = { .time_ns = now_ns };

        h.capacity_vcpus = m->instance.vcpus;
        h.capacity_memory_bytes = m->instance.memory_bytes;
        for (Job *j = job_table_first(m->jobs); j; j = j->list_next) {
                if (j->state != JOB_RUNNING)
                        continue;
                h.running_containers++;
                if (!j->is_job)
                        continue;
                h.running_jobs++;
                h.requested_vcpus += j->request.vcpus;
                h.requested_memory_bytes += j->request.memory_bytes;
                if (j->usage.valid) {
                        h.used_vcpus += j->usage.cpu_now_vcpus;
                        h.used_memory_bytes += j->usage.mem_now_bytes;
                }
        }
        if (procstat_read(&m->procstat) >= 0 && m->procstat.utilisation >= 0)
                h.host_cpu_utilisation = m->procstat.utilisation;
        m->host = h;
}

static int on_sample_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now_ns = now_realtime_ns();

        for (Job *j = job_table_first(m->jobs); j; j = j->list_next)
                if (j->state == JOB_RUNNING && sample_job(m, j, now_ns))
                        job_table_emit_sample(m->jobs, j, now_ns);
        build_host_view(m, now_ns);
        for (Sink *s = m->sinks; s; s = s->next)
                if (s->ops->host)
                        (void) s->ops->host(s, &m->host, &m->instance);
        m->sinks_dirty = true;
        sd_event_source_set_time(src, usec + m->config.sample_interval_usec);
        return 0;
}

static int on_fast_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now_ns = now_realtime_ns(), now_mono = now_monotonic_usec();
        bool any = false;

        for (Job *j = job_table_first(m->jobs); j; j = j->list_next) {
                Sampler *s = j->sampler;
                if (j->state != JOB_RUNNING || (s && (s->gone || now_mono - s->started_usec > m->config.sample_fast_for_usec)))
                        continue;
                (void) sample_job(m, j, now_ns);
                any = true;
        }
        if (any)
                sd_event_source_set_time(src, usec + m->config.sample_fast_usec);
        else
                sd_event_source_set_enabled(src, SD_EVENT_OFF);
        return 0;
}

static void arm_fast_sampling(Manager *m) {
        uint64_t now;
        if (!m->fast_timer || sd_event_source_get_enabled(m->fast_timer, NULL) > 0)
                return;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        sd_event_source_set_time(m->fast_timer, now + m->config.sample_fast_usec);
        sd_event_source_set_enabled(m->fast_timer, SD_EVENT_ON);
}

/* ---- sources ---- */

static void restore_job(Manager *m, Job *j, const ContainerSnapshot *s) {
        const StateEntry *e = m->restored_active ? state_lookup(&m->restored, j->container_id) : NULL;

        if (e) {
                job_table_mark_emitted(m->jobs, j, e->emitted);
                return;
        }
        /* Not tracked before: an end at or before the horizon was accounted for (or predates us). */
        if (s->exited && s->finished_ns && s->finished_ns <= m->restored.saved_ns)
                job_table_mark_emitted(m->jobs, j, (1u << JOB_EVENT_CREATED) | (1u << JOB_EVENT_STARTED) |
                                                           (1u << JOB_EVENT_OOM) | (1u << JOB_EVENT_ENDED));
}

/* Docker reports a pull only when it is done. Its start is bounded by when the ECS agent first
 * listed the job's task (it pulls for a task it already knows), to the ECS poll interval. */
static void match_image_pull(Manager *m, Job *j) {
        if (m->ecs && !j->pull_started_ns) {
                const EcsTaskInfo *t = ecs_lookup_container(m->ecs, j->container_id);
                if (t && t->first_seen_ns && j->pull_finished_ns && t->first_seen_ns <= j->pull_finished_ns)
                        j->pull_started_ns = t->first_seen_ns;
        }
        if (!j->image || j->pull_finished_ns)
                return;
        for (unsigned i = 0; i < PULLS_MAX; i++) {
                ImagePull *p = &m->pulls[i];
                if (!p->time_ns || !streq(p->ref, j->image))
                        continue;
                if (j->created_ns && p->time_ns <= j->created_ns && j->created_ns - p->time_ns <= PULL_MATCH_WINDOW_NS)
                        j->pull_finished_ns = p->time_ns;
        }
}

static void on_ecs_change(Ecs *e, void *userdata) {
        Manager *m = userdata;
        for (Job *j = job_table_first(m->jobs); j; j = j->list_next)
                if (j->pull_finished_ns && !j->pull_started_ns)
                        match_image_pull(m, j);
}

static void on_container(Docker *d, const ContainerSnapshot *s, const ContainerEvent *ev, size_t n, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_realtime_ns();
        Job *j = NULL;
        int r;

        if (s) {
                bool existed = job_table_get(m->jobs, s->id) != NULL;
                r = job_table_learn(m->jobs, s, now, &j);
                if (r < 0) {
                        log_container_full_errno(LOG_WARNING, r, s->id, NULL, "Cannot track container, ignoring: %m");
                        return;
                }
                if (!existed) {
                        restore_job(m, j, s);
                        match_image_pull(m, j);
                }
        }
        for (size_t i = 0; i < n; i++) {
                if (ev[i].time_ns > m->horizon_ns && docker_is_connected(d))
                        m->horizon_ns = ev[i].time_ns;
                j = job_table_get(m->jobs, ev[i].id);
                /* The final reading must come before the end is emitted: it carries the figures. */
                if (j && ev[i].action == CONTAINER_DIE && j->state == JOB_RUNNING) {
                        (void) sample_job(m, j, now);
                        finish_sampler(m, j);
                }
                r = job_table_apply_event(m->jobs, &ev[i], now);
                if (r == -ENOENT && !s && ev[i].action != CONTAINER_DESTROY)
                        (void) docker_inspect(d, ev[i].id); /* learn it, then reconcile */
        }
        if (s) {
                j = job_table_get(m->jobs, s->id);
                if (j && s->exited && j->state == JOB_RUNNING)
                        finish_sampler(m, j);
                (void) job_table_reconcile(m->jobs, s, now);
        }
        if (j && j->is_job && j->state == JOB_RUNNING && !j->sampler && m->cgroups) {
                (void) sample_job(m, j, now); /* the start sample */
                arm_fast_sampling(m);
        }
        if (j && job_is_finished(j))
                finish_sampler(m, j);
}

static void on_resynced(Docker *d, char *const *ids, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_realtime_ns();
        size_t n = 0;

        for (Job *j = job_table_first(m->jobs); j; j = j->list_next) {
                bool found = false;
                if (job_is_finished(j))
                        continue;
                for (size_t i = 0; ids[i] && !found; i++)
                        found = streq(ids[i], j->container_id);
                if (!found) {
                        log_container_full_errno(LOG_NOTICE, 0, j->container_id, j->tags.job_id,
                                                 "Container vanished while we were not watching");
                        finish_sampler(m, j);
                        job_table_vanished(m->jobs, j, now);
                }
        }
        for (size_t i = 0; ids[i]; i++)
                n++;
        if (m->restored_active) {
                state_done(&m->restored);
                m->restored_active = false;
        }
        log_info("Reconciled %zu containers with Docker; tracking %zu (%zu finished)", n, job_table_size(m->jobs),
                 job_table_finished(m->jobs));
        m->state_dirty = true;
}

static void notify_status(Manager *m) {
        size_t running = 0;
        for (Job *j = job_table_first(m->jobs); j; j = j->list_next)
                running += j->is_job && j->state == JOB_RUNNING;
        sd_notifyf(false, "STATUS=%zu jobs running, Docker %s%s%s", running,
                   docker_is_connected(m->docker) ? "connected" : "disconnected",
                   m->last_event[0] ? ", last event: " : "", m->last_event);
}

static void on_connected(Docker *d, const DockerVersion *v, void *userdata) {
        Manager *m = userdata;
        if (!m->ready) {
                m->ready = true;
                sd_notify(false, "READY=1");
        }
        notify_status(m);
}

static void on_disconnected(Docker *d, int error, void *userdata) {
        notify_status(userdata);
}

static void on_image_pull(Docker *d, const char *ref, uint64_t time_ns, void *userdata) {
        Manager *m = userdata;
        ImagePull *p = &m->pulls[m->pulls_next++ % PULLS_MAX];
        snprintf(p->ref, sizeof p->ref, "%s", ref);
        p->time_ns = time_ns;
}

static void on_identity(Imds *i, const Instance *inst, void *userdata) {
        Manager *m = userdata;
        unsigned vcpus = m->instance.vcpus;
        unsigned long long mem = m->instance.memory_bytes;

        instance_done(&m->instance);
        m->instance = (Instance){
                .known = inst->known,
                .instance_id = inst->instance_id ? strdup(inst->instance_id) : NULL,
                .instance_type = inst->instance_type ? strdup(inst->instance_type) : NULL,
                .ami_id = inst->ami_id ? strdup(inst->ami_id) : NULL,
                .region = inst->region ? strdup(inst->region) : NULL,
                .availability_zone = inst->availability_zone ? strdup(inst->availability_zone) : NULL,
                .availability_zone_id = inst->availability_zone_id ? strdup(inst->availability_zone_id) : NULL,
                .life_cycle = inst->life_cycle ? strdup(inst->life_cycle) : NULL,
                .private_ipv4 = inst->private_ipv4 ? strdup(inst->private_ipv4) : NULL,
                .vcpus = vcpus,
                .memory_bytes = mem,
        };
        log_info("Instance %s (%s, %s, %s)", strna(m->instance.instance_id), strna(m->instance.instance_type),
                 strna(m->instance.availability_zone), strna(m->instance.life_cycle));
}

/* ---- status ---- */

static json_object *build_status(void *userdata) {
        Manager *m = userdata;
        json_object *o = json_object_new_object(), *sources, *sinks, *jobs, *x;
        uint64_t now_ns = now_realtime_ns();
        char pid[16];
        int non_job = 0;

        if (!o)
                return NULL;
        snprintf(pid, sizeof pid, "%d", (int) getpid());
        json_object_object_add(o, "version", json_object_new_string(BATCHWATCH_VERSION));
        json_object_object_add(o, "pid", json_object_new_string(pid));
        json_object_object_add(o, "uptime_sec", json_object_new_double((double) (now_monotonic_usec() - m->start_usec) / 1e6));
        json_object_object_add(o, "instance", encode_instance(&m->instance));
        if (m->cgroups) {
                x = json_object_new_object();
                json_object_object_add(x, "version", json_object_new_string(cgroup_host_version_string(m->cgroups)));
                const char *layout = "unknown (no running job)";
                for (Job *j = job_table_first(m->jobs); j; j = j->list_next)
                        if (j->sampler && ((Sampler *) j->sampler)->reader) {
                                layout = cgroup_reader_layout_string(((Sampler *) j->sampler)->reader);
                                break;
                        }
                json_object_object_add(x, "layout", json_object_new_string(layout));
                json_object_object_add(x, "sampler_errors", json_object_new_int64((int64_t) m->sampler_errors));
                json_object_object_add(o, "cgroup", x);
        }

        sources = json_object_new_object();
        x = json_object_new_object();
        docker_status(m->docker, x);
        json_object_object_add(sources, "docker", x);
        if (m->imds) {
                x = json_object_new_object();
                imds_status(m->imds, x);
                json_object_object_add(sources, "imds", x);
        }
        if (m->ecs) {
                x = json_object_new_object();
                ecs_status(m->ecs, x);
                json_object_object_add(sources, "ecs", x);
        }
        json_object_object_add(o, "sources", sources);

        sinks = json_object_new_object();
        for (Sink *s = m->sinks; s; s = s->next) {
                x = json_object_new_object();
                s->ops->status(s, x);
                json_object_object_add(sinks, s->ops->name, x);
        }
        json_object_object_add(o, "sinks", sinks);
        json_object_object_add(o, "host", encode_host_view(&m->host));

        jobs = json_object_new_array();
        for (Job *j = job_table_first(m->jobs); j; j = j->list_next) {
                if (!j->is_job) {
                        non_job += j->state == JOB_RUNNING || j->state == JOB_STARTING;
                        continue;
                }
                x = encode_job(j);
                uint64_t since = j->finished_ns ? j->finished_ns : (j->started_ns ? j->started_ns : j->created_ns);
                if (since && since <= now_ns)
                        json_object_object_add(x, "age_sec", json_object_new_double((double) (now_ns - since) / 1e9));
                json_object_array_add(jobs, x);
        }
        json_object_object_add(o, "jobs", jobs);
        json_object_object_add(o, "non_job_containers", json_object_new_int(non_job));
        x = json_object_new_object();
        json_object_object_add(x, "events_emitted", json_object_new_int64((int64_t) m->events_emitted));
        json_object_object_add(x, "state_save_errors", json_object_new_int64((int64_t) m->state_errors));
        json_object_object_add(x, "jobs_tracked", json_object_new_int64((int64_t) job_table_size(m->jobs)));
        json_object_object_add(x, "finished_tracked", json_object_new_int64((int64_t) job_table_finished(m->jobs)));
        json_object_object_add(o, "counters", x);
        return o;
}

/* ---- cron, signals, watchdog ---- */

static int on_cron(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_monotonic_usec();

        if (now - m->last_cron_gc >= 10 * USEC_PER_SEC) {
                size_t before = job_table_size(m->jobs);
                job_table_gc(m->jobs, now_realtime_ns());
                if (job_table_size(m->jobs) != before)
                        m->state_dirty = true;
                m->last_cron_gc = now;
        }
        if (now - m->last_status_usec >= 5 * USEC_PER_SEC) {
                notify_status(m);
                m->last_status_usec = now;
        }
        /* While connected and quiet, everything up to now is accounted for. */
        if (docker_is_connected(m->docker) && !m->restored_active)
                m->horizon_ns = MAX(m->horizon_ns, now_realtime_ns() - 2 * NSEC_PER_SEC);
        sd_event_source_set_time(src, usec + CRON_USEC);
        return 0;
}

static int on_watchdog(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        sd_notify(false, "WATCHDOG=1");
        sd_event_source_set_time(src, usec + m->watchdog_usec / 2);
        return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received %s, flushing and exiting", si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        sd_notify(false, "STOPPING=1");
        m->sinks_dirty = true;
        m->state_dirty = true;
        flush_all(m);
        return sd_event_exit(m->event, 0);
}

static void apply_runtime_config(Manager *m) {
        log_set_max_level(m->config.log_level);
        job_table_set_retention(m->jobs, m->config.finished_retention_usec * NSEC_PER_USEC,
                                (unsigned) m->config.finished_max);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *error = NULL;
        Config c;
        int r;

        sd_notify(false, "RELOADING=1");
        r = m->load_config(&c, &error, m->load_userdata);
        if (r < 0) {
                log_error("Reload failed, keeping the running configuration: %s", strna(error));
                sd_notify(false, "READY=1");
                return 0;
        }
        if (!streq_ptr(c.docker_socket, m->config.docker_socket) || !streq_ptr(c.status_socket, m->config.status_socket) ||
            !streq_ptr(c.state_dir, m->config.state_dir) || !streq_ptr(c.events_output, m->config.events_output) ||
            c.imds_disabled != m->config.imds_disabled || c.emf_enabled != m->config.emf_enabled)
                log_warning("Reload: socket, state, output and sink settings take effect at the next restart");
        m->config.log_level = c.log_level;
        m->config.finished_retention_usec = c.finished_retention_usec;
        m->config.finished_max = c.finished_max;
        m->config.sample_interval_usec = c.sample_interval_usec;
        m->config.sample_fast_usec = c.sample_fast_usec;
        m->config.sample_fast_for_usec = c.sample_fast_for_usec;
        config_done(&c);
        apply_runtime_config(m);
        log_info("Configuration reloaded");
        sd_notify(false, "READY=1");
        return 0;
}

/* ---- life cycle ---- */

static int add_sinks(Manager *m) {
        Sink *s;
        int r;

        if (m->config.events_output && !streq(m->config.events_output, "none")) {
                r = sink_lines_new(m->config.events_output, true, &s);
                if (r < 0)
                        return log_error_errno(r, "Cannot open events output %s: %m", m->config.events_output);
                s->next = m->sinks;
                m->sinks = s;
        }
        return 0;
}

int manager_new(manager_load_config_t load, void *userdata, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *error = NULL;
        struct sysinfo si;
        uint64_t now;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->load_config = load;
        m->load_userdata = userdata;
        m->procstat.fd = -1;
        m->sample_rl = (RateLimit){ .interval_usec = 60 * USEC_PER_SEC, .burst = 10 };
        r = load(&m->config, &error, userdata);
        if (r < 0)
                return log_error_errno(r, "%s", strna(error));
        m->start_usec = now_monotonic_usec();

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        r = curl_glue_new(m->event, &m->glue);
        if (r < 0)
                return log_error_errno(r, "Cannot set up libcurl: %m");
        r = job_table_new(&m->jobs);
        if (r < 0)
                return r;
        job_table_set_emit(m->jobs, on_job_event, m);
        job_table_set_remove_hook(m->jobs, on_job_remove, m);
        apply_runtime_config(m);

        m->instance.vcpus = (unsigned) sysconf(_SC_NPROCESSORS_ONLN);
        if (sysinfo(&si) == 0)
                m->instance.memory_bytes = (unsigned long long) si.totalram * si.mem_unit;

        r = state_load(m->config.state_dir, &m->restored);
        if (r < 0)
                log_warning_errno(r, "State under %s is unreadable, starting without it: %m", m->config.state_dir);
        m->restored_active = true;
        /* First run: containers that ended before this moment are history, not news. */
        if (!m->restored.saved_ns)
                m->restored.saved_ns = now_realtime_ns();
        m->horizon_ns = m->restored.saved_ns;

        r = add_sinks(m);
        if (r < 0)
                return r;

        if (m->config.sampling_enabled) {
                r = cgroup_host_new(m->config.cgroup_root, m->config.proc_root, &m->cgroups);
                if (r < 0)
                        log_warning_errno(r, "No usable cgroup hierarchy under %s, sampling disabled: %m",
                                          m->config.cgroup_root);
                else
                        log_info("cgroup %s under %s", cgroup_host_version_string(m->cgroups), m->config.cgroup_root);
        }
        (void) procstat_open(&m->procstat, m->config.proc_root);
        build_host_view(m, now_realtime_ns());

        r = docker_new(m->event, m->glue, m->config.docker_socket, &m->docker);
        if (r < 0)
                return r;
        r = docker_start(m->docker,
                         &(DockerCallbacks){ .connected = on_connected, .disconnected = on_disconnected,
                                             .container = on_container, .image_pull = on_image_pull,
                                             .resynced = on_resynced },
                         m);
        if (r < 0)
                return r;

        if (!m->config.imds_disabled) {
                r = imds_new(m->event, m->glue, m->config.imds_endpoint, &m->imds);
                if (r >= 0)
                        r = imds_start(m->imds, on_identity, m);
                if (r < 0)
                        log_warning_errno(r, "Instance metadata unavailable, running without identity: %m");
        }

        if (m->config.ecs_enabled) {
                r = ecs_new(m->event, m->glue, m->config.ecs_endpoint, &m->ecs);
                if (r >= 0) {
                        ecs_set_poll_interval(m->ecs, m->config.ecs_poll_interval_usec);
                        r = ecs_start(m->ecs, on_ecs_change, m);
                }
                if (r < 0)
                        log_warning_errno(r, "ECS agent introspection unavailable, ignoring: %m");
        }

        r = status_server_new(m->event, m->config.status_socket, build_status, m, &m->status);
        if (r < 0)
                return log_error_errno(r, "Cannot serve status on %s: %m", m->config.status_socket);

        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGPIPE);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m)) < 0)
                return log_error_errno(r, "Cannot set up signal handling: %m");

        r = sd_event_add_post(m->event, &m->post, on_post, m);
        if (r < 0)
                return r;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(m->event, &m->cron, CLOCK_MONOTONIC, now + CRON_USEC, 0, on_cron, m);
        if (r < 0)
                return r;
        sd_event_source_set_enabled(m->cron, SD_EVENT_ON);
        sd_event_source_set_description(m->cron, "cron");
        if (m->cgroups) {
                r = sd_event_add_time(m->event, &m->sample_timer, CLOCK_MONOTONIC, now + m->config.sample_interval_usec,
                                      0, on_sample_timer, m);
                if (r < 0)
                        return r;
                sd_event_source_set_enabled(m->sample_timer, SD_EVENT_ON);
                sd_event_source_set_description(m->sample_timer, "sample");
                r = sd_event_add_time(m->event, &m->fast_timer, CLOCK_MONOTONIC, now, 0, on_fast_timer, m);
                if (r < 0)
                        return r;
                sd_event_source_set_enabled(m->fast_timer, SD_EVENT_OFF);
                sd_event_source_set_description(m->fast_timer, "sample-fast");
        }
        if (sd_watchdog_enabled(false, &m->watchdog_usec) > 0) {
                r = sd_event_add_time(m->event, &m->watchdog, CLOCK_MONOTONIC, now + m->watchdog_usec / 2, 0,
                                      on_watchdog, m);
                if (r < 0)
                        return r;
                sd_event_source_set_enabled(m->watchdog, SD_EVENT_ON);
        }

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        status_server_free(m->status);
        docker_free(m->docker);
        imds_free(m->imds);
        ecs_free(m->ecs);
        job_table_free(m->jobs);
        while (m->sinks) {
                Sink *s = m->sinks;
                m->sinks = s->next;
                s->ops->free(s);
        }
        cgroup_host_free(m->cgroups);
        procstat_close(&m->procstat);
        curl_glue_free(m->glue);
        sd_event_source_disable_unref(m->post);
        sd_event_source_disable_unref(m->cron);
        sd_event_source_disable_unref(m->sample_timer);
        sd_event_source_disable_unref(m->fast_timer);
        sd_event_source_disable_unref(m->watchdog);
        sd_event_unref(m->event);
        if (m->restored_active)
                state_done(&m->restored);
        instance_done(&m->instance);
        config_done(&m->config);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
