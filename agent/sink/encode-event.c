/* SPDX-License-Identifier: Apache-2.0 */
/* Fields are omitted rather than written as null when unknown, so consumers can test for presence. */

#include <math.h>

#include "sink/encode-event.h"
#include "util/macro.h"
#include "util/time-util.h"

static void add_str(json_object *o, const char *k, const char *v) {
        if (v && *v)
                json_object_object_add(o, k, json_object_new_string(v));
}

static void add_time(json_object *o, const char *k, uint64_t ns) {
        char buf[40];
        if (ns)
                json_object_object_add(o, k, json_object_new_string(format_rfc3339_ns(ns, buf, sizeof buf)));
}

static void add_secs(json_object *o, const char *k, uint64_t from, uint64_t to) {
        if (from && to && to >= from)
                json_object_object_add(o, k, json_object_new_double(round((double) (to - from) / 1e6) / 1e3));
}

static void add_double(json_object *o, const char *k, double v, double scale) {
        if (isfinite(v))
                json_object_object_add(o, k, json_object_new_double(round(v * scale) / scale));
}

double encode_cpu_avg_pct(const Job *j) {
        return j->usage.valid && j->request.vcpus > 0 ? 100.0 * j->usage.cpu_avg_vcpus / j->request.vcpus : -1;
}

double encode_cpu_peak_pct(const Job *j) {
        return j->usage.valid && j->request.vcpus > 0 ? 100.0 * j->usage.cpu_max_vcpus / j->request.vcpus : -1;
}

double encode_mem_peak_pct(const Job *j) {
        return j->usage.valid && j->request.memory_bytes > 0 ?
                       100.0 * (double) j->usage.mem_peak_bytes / (double) j->request.memory_bytes :
                       -1;
}

static json_object *encode_usage(const Job *j) {
        const JobUsage *u = &j->usage;
        json_object *o = json_object_new_object();
        double p;

        if (!o)
                return NULL;
        json_object_object_add(o, "samples", json_object_new_int((int) u->n_samples));
        add_double(o, "cpu_seconds", u->cpu_seconds, 1e6);
        add_double(o, "cpu_user_seconds", u->cpu_user_seconds, 1e6);
        add_double(o, "cpu_system_seconds", u->cpu_system_seconds, 1e6);
        add_double(o, "cpu_avg_vcpus", u->cpu_avg_vcpus, 1e4);
        add_double(o, "cpu_max_vcpus", u->cpu_max_vcpus, 1e4);
        if (!job_is_finished(j))
                add_double(o, "cpu_now_vcpus", u->cpu_now_vcpus, 1e4);
        json_object_object_add(o, "memory_peak_bytes", json_object_new_int64((int64_t) u->mem_peak_bytes));
        json_object_object_add(o, "memory_avg_bytes", json_object_new_int64((int64_t) llround(u->mem_avg_bytes)));
        if (!job_is_finished(j))
                json_object_object_add(o, "memory_now_bytes", json_object_new_int64((int64_t) u->mem_now_bytes));
        if (!u->mem_limit_unlimited && u->mem_limit_bytes)
                json_object_object_add(o, "memory_limit_bytes", json_object_new_int64((int64_t) u->mem_limit_bytes));
        json_object_object_add(o, "io_read_bytes", json_object_new_int64((int64_t) u->io_read_bytes));
        json_object_object_add(o, "io_write_bytes", json_object_new_int64((int64_t) u->io_write_bytes));
        add_double(o, "cpu_throttled_seconds", u->throttled_seconds, 1e6);
        json_object_object_add(o, "cpu_throttled_periods", json_object_new_int64((int64_t) u->nr_throttled));
        json_object_object_add(o, "oom_kills", json_object_new_int64((int64_t) u->oom_kills));
        json_object_object_add(o, "pids", json_object_new_int64((int64_t) u->pids));
        if ((p = encode_cpu_avg_pct(j)) >= 0)
                add_double(o, "cpu_avg_pct_of_request", p, 100);
        if ((p = encode_cpu_peak_pct(j)) >= 0)
                add_double(o, "cpu_peak_pct_of_request", p, 100);
        if ((p = encode_mem_peak_pct(j)) >= 0)
                add_double(o, "memory_peak_pct_of_request", p, 100);
        return o;
}

json_object *encode_job(const Job *j) {
        json_object *o = json_object_new_object(), *req, *ecs;

        if (!o)
                return NULL;
        add_str(o, "job_id", j->tags.job_id);
        add_str(o, "attempt", j->tags.job_attempt);
        add_str(o, "job_queue", j->tags.job_queue);
        add_str(o, "compute_environment", j->tags.compute_environment);
        add_str(o, "array_index", j->tags.array_index);
        add_str(o, "array_size", j->tags.array_size);
        add_str(o, "node_index", j->tags.node_index);
        add_str(o, "num_nodes", j->tags.num_nodes);
        add_str(o, "main_node_index", j->tags.main_node_index);
        json_object_object_add(o, "is_job", json_object_new_boolean(j->is_job));
        json_object_object_add(o, "state", json_object_new_string(job_state_to_string(j->state)));
        if (j->exit_code_known)
                json_object_object_add(o, "exit_code", json_object_new_int(j->exit_code));
        json_object_object_add(o, "oom_killed", json_object_new_boolean(j->oom_killed));
        add_str(o, "end_reason", j->end_reason);
        add_str(o, "container_id", j->container_id);
        add_str(o, "container_name", j->name);
        add_str(o, "image", j->image);
        add_time(o, "created", j->created_ns);
        add_time(o, "started", j->started_ns);
        add_time(o, "finished", j->finished_ns);
        add_secs(o, "start_seconds", j->created_ns, j->started_ns);
        add_secs(o, "run_seconds", j->started_ns, j->finished_ns);
        add_secs(o, "image_pull_seconds", j->pull_started_ns, j->pull_finished_ns);
        add_str(o, "trace_id", j->trace_id);

        req = json_object_new_object();
        if (req) {
                if (j->request.vcpus > 0)
                        add_double(req, "vcpus", j->request.vcpus, 1e4);
                if (j->request.memory_bytes)
                        json_object_object_add(req, "memory_bytes", json_object_new_int64((int64_t) j->request.memory_bytes));
                if (j->request.memory_reservation)
                        json_object_object_add(req, "memory_reservation_bytes",
                                               json_object_new_int64((int64_t) j->request.memory_reservation));
                if (j->request.gpus)
                        json_object_object_add(req, "gpus", json_object_new_int(j->request.gpus));
                json_object_object_add(o, "request", req);
        }
        ecs = json_object_new_object();
        if (ecs) {
                add_str(ecs, "cluster", j->tags.ecs_cluster);
                add_str(ecs, "task_arn", j->tags.task_arn);
                add_str(ecs, "container_name", j->tags.container_name);
                add_str(ecs, "task_definition_family", j->tags.task_family);
                add_str(ecs, "task_definition_version", j->tags.task_version);
                json_object_object_add(o, "ecs", ecs);
        }
        if (j->usage.valid)
                json_object_object_add(o, "usage", encode_usage(j));
        return o;
}

json_object *encode_instance(const Instance *i) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "known", json_object_new_boolean(i->known));
        add_str(o, "instance_id", i->instance_id);
        add_str(o, "instance_type", i->instance_type);
        add_str(o, "ami_id", i->ami_id);
        add_str(o, "region", i->region);
        add_str(o, "availability_zone", i->availability_zone);
        add_str(o, "availability_zone_id", i->availability_zone_id);
        add_str(o, "life_cycle", i->life_cycle);
        add_str(o, "private_ipv4", i->private_ipv4);
        return o;
}

json_object *encode_host_view(const HostView *h) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "running_jobs", json_object_new_int((int) h->running_jobs));
        json_object_object_add(o, "running_containers", json_object_new_int((int) h->running_containers));
        add_double(o, "capacity_vcpus", h->capacity_vcpus, 100);
        json_object_object_add(o, "capacity_memory_bytes", json_object_new_int64((int64_t) h->capacity_memory_bytes));
        add_double(o, "requested_vcpus", h->requested_vcpus, 1e4);
        json_object_object_add(o, "requested_memory_bytes", json_object_new_int64((int64_t) h->requested_memory_bytes));
        add_double(o, "used_vcpus", h->used_vcpus, 1e4);
        json_object_object_add(o, "used_memory_bytes", json_object_new_int64((int64_t) h->used_memory_bytes));
        add_double(o, "host_cpu_utilisation_pct", h->host_cpu_utilisation, 100);
        if (h->capacity_vcpus > 0)
                add_double(o, "requested_vcpus_pct_of_capacity", 100 * h->requested_vcpus / h->capacity_vcpus, 100);
        if (h->capacity_memory_bytes)
                add_double(o, "requested_memory_pct_of_capacity",
                           100 * (double) h->requested_memory_bytes / (double) h->capacity_memory_bytes, 100);
        return o;
}

json_object *encode_event(const JobEvent *ev, const Instance *inst) {
        json_object *o = json_object_new_object();
        char buf[40];

        if (!o)
                return NULL;
        json_object_object_add(o, "event", json_object_new_string(job_event_type_to_string(ev->type)));
        json_object_object_add(o, "time", json_object_new_string(format_rfc3339_ns(ev->time_ns, buf, sizeof buf)));
        json_object_object_add(o, "time_ns", json_object_new_int64((int64_t) ev->time_ns));
        json_object_object_add(o, "job", encode_job(ev->job));
        if (inst)
                json_object_object_add(o, "instance", encode_instance(inst));
        return o;
}
