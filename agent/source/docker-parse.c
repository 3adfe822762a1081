/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json-c does the JSON; this file decides what we take from it. Unknown fields are ignored (the
 * API's schema is open); a wrong type on a field we need is -EBADMSG, on a field we merely like
 * it leaves that field unset.
 */

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "source/docker-parse.h"
#include "util/macro.h"
#include "util/time-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

/* Parses exactly `len` bytes as one JSON value; trailing garbage or truncation is -EBADMSG. */
static int parse_json(const char *buf, size_t len, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        json_object *o;

        if (len > INT32_MAX)
                return -E2BIG;
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, buf, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
                goto bad;
        /* Only whitespace may follow the value. */
        for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
                if (!strchr(" \t\r\n", buf[i]))
                        goto bad;
        *ret = o;
        return 0;
bad:
        json_object_put(o);
        return -EBADMSG;
}

static json_object *get(json_object *o, const char *key, json_type type) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = get(o, key, json_type_string);
        return v ? json_object_get_string(v) : NULL;
}

static int64_t get_int(json_object *o, const char *key) {
        json_object *v = get(o, key, json_type_int);
        return v ? json_object_get_int64(v) : 0;
}

static int parse_api_version(const char *s, unsigned *major, unsigned *minor) {
        unsigned a = 0, b = 0;
        const char *p = s;

        if (!s || !*s)
                return -EBADMSG;
        for (; *p >= '0' && *p <= '9'; p++)
                a = a * 10 + (unsigned) (*p - '0');
        if (*p++ != '.' || !(*p >= '0' && *p <= '9'))
                return -EBADMSG;
        for (; *p >= '0' && *p <= '9'; p++)
                b = b * 10 + (unsigned) (*p - '0');
        if (*p || a > 99 || b > 999)
                return -EBADMSG;
        *major = a;
        *minor = b;
        return 0;
}

int docker_parse_version(const char *buf, size_t len, DockerVersion *ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        DockerVersion v = {};
        const char *s;
        int r;

        r = parse_json(buf, len, &o);
        if (r < 0)
                return r;
        r = parse_api_version(get_str(o, "ApiVersion"), &v.api_major, &v.api_minor);
        if (r < 0)
                return r;
        /* Engines before 1.25 had no MinAPIVersion; assume they take what they offer. */
        if (parse_api_version(get_str(o, "MinAPIVersion"), &v.min_api_major, &v.min_api_minor) < 0) {
                v.min_api_major = v.api_major;
                v.min_api_minor = v.api_minor;
        }
        s = get_str(o, "Version");
        snprintf(v.engine, sizeof v.engine, "%s", s ? s : "unknown");
        *ret = v;
        return 0;
}

int docker_pick_api_version(const DockerVersion *v, unsigned our_major, unsigned our_minor, char *ret, size_t len) {
        unsigned maj = our_major, min = our_minor;

        if (v->api_major < maj || (v->api_major == maj && v->api_minor < min))
                maj = v->api_major, min = v->api_minor;
        if (maj < v->min_api_major || (maj == v->min_api_major && min < v->min_api_minor))
                return -EPROTONOSUPPORT;
        /* Below 1.24 the /events and inspect fields we read did not all exist. */
        if (maj < 1 || (maj == 1 && min < 24))
                return -EPROTONOSUPPORT;
        snprintf(ret, len, "v%u.%u", maj, min);
        return 0;
}

static bool is_container_id(const char *s) {
        if (!s || strlen(s) != CONTAINER_ID_LEN)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

static int parse_int_string(const char *s, int *ret) {
        long v = 0;
        bool neg = false;
        if (!s || !*s)
                return -EBADMSG;
        if (*s == '-')
                neg = true, s++;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || v > 100000000)
                        return -EBADMSG;
                v = v * 10 + (*s - '0');
        }
        *ret = (int) (neg ? -v : v);
        return 0;
}

int docker_parse_event(const char *line, size_t len, DockerEvent *ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *actor, *attrs;
        DockerEvent ev = { .kind = DOCKER_EVENT_IGNORED };
        const char *type, *action, *id;
        int64_t tn;
        int r;

        r = parse_json(line, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        type = get_str(o, "Type");
        action = get_str(o, "Action");
        actor = get(o, "Actor", json_type_object);
        if (!type || !action || !actor)
                return -EBADMSG;
        tn = get_int(o, "timeNano");
        if (tn <= 0)
                tn = get_int(o, "time") * (int64_t) NSEC_PER_SEC;
        if (tn <= 0)
                return -EBADMSG;
        ev.time_ns = (uint64_t) tn;
        id = get_str(actor, "ID");
        attrs = get(actor, "Attributes", json_type_object);

        if (streq(type, "image") && streq(action, "pull")) {
                if (!id || strlen(id) >= sizeof ev.image_ref)
                        return -EBADMSG;
                ev.kind = DOCKER_EVENT_IMAGE_PULL;
                snprintf(ev.image_ref, sizeof ev.image_ref, "%s", id);
        } else if (streq(type, "container")) {
                ContainerAction a = container_action_from_string(action);
                if (a < 0) {
                        *ret = ev; /* exec_*, attach, health_status: ... */
                        return 0;
                }
                if (!is_container_id(id))
                        return -EBADMSG;
                ev.kind = DOCKER_EVENT_CONTAINER;
                ev.container.action = a;
                ev.container.time_ns = ev.time_ns;
                memcpy(ev.container.id, id, CONTAINER_ID_LEN + 1);
                if (a == CONTAINER_DIE && parse_int_string(get_str(attrs, "exitCode"), &ev.container.exit_code) >= 0)
                        ev.container.has_exit_code = true;
                if (a == CONTAINER_KILL)
                        (void) parse_int_string(get_str(attrs, "signal"), &ev.container.signal);
        }
        *ret = ev;
        return 0;
}

/* Only these environment names are ever read; every other value stays inside json-c's buffer. */
static char **env_field(JobTags *t, const char *name) {
        static const struct {
                const char *name;
                size_t offset;
        } map[] = {
                { "AWS_BATCH_JOB_ID", offsetof(JobTags, job_id) },
                { "AWS_BATCH_JOB_ATTEMPT", offsetof(JobTags, job_attempt) },
                { "AWS_BATCH_JQ_NAME", offsetof(JobTags, job_queue) },
                { "AWS_BATCH_CE_NAME", offsetof(JobTags, compute_environment) },
                { "AWS_BATCH_JOB_ARRAY_INDEX", offsetof(JobTags, array_index) },
                { "AWS_BATCH_JOB_ARRAY_SIZE", offsetof(JobTags, array_size) },
                { "AWS_BATCH_JOB_NODE_INDEX", offsetof(JobTags, node_index) },
                { "AWS_BATCH_JOB_NUM_NODES", offsetof(JobTags, num_nodes) },
                { "AWS_BATCH_JOB_MAIN_NODE_INDEX", offsetof(JobTags, main_node_index) },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(name, map[i].name))
                        return (char **) ((char *) t + map[i].offset);
        return NULL;
}

#define TAG_VALUE_MAX 1024 /* Batch ids and names are far shorter; longer values are refused */

static int parse_env(json_object *env, JobTags *t) {
        size_t n = env ? json_object_array_length(env) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(env, i);
                const char *s, *eq;
                char name[64], **field;

                if (!json_object_is_type(e, json_type_string))
                        continue;
                s = json_object_get_string(e);
                if (!startswith(s, "AWS_BATCH_"))
                        continue;
                eq = strchr(s, '=');
                if (!eq || (size_t) (eq - s) >= sizeof name)
                        continue;
                memcpy(name, s, (size_t) (eq - s));
                name[eq - s] = 0;
                field = env_field(t, name);
                if (!field || strlen(eq + 1) > TAG_VALUE_MAX)
                        continue;
                if (free_and_strdup(field, eq + 1) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_labels(json_object *labels, JobTags *t) {
        static const struct {
                const char *label;
                size_t offset;
        } map[] = {
                { "com.amazonaws.ecs.cluster", offsetof(JobTags, ecs_cluster) },
                { "com.amazonaws.ecs.task-arn", offsetof(JobTags, task_arn) },
                { "com.amazonaws.ecs.container-name", offsetof(JobTags, container_name) },
                { "com.amazonaws.ecs.task-definition-family", offsetof(JobTags, task_family) },
                { "com.amazonaws.ecs.task-definition-version", offsetof(JobTags, task_version) },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                const char *v = get_str(labels, map[i].label);
                if (!v || strlen(v) > TAG_VALUE_MAX)
                        continue;
                if (free_and_strdup((char **) ((char *) t + map[i].offset), v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void parse_request(json_object *hc, JobRequest *req) {
        json_object *dr = get(hc, "DeviceRequests", json_type_array);

        req->nano_cpus = get_int(hc, "NanoCpus");
        req->cpu_shares = get_int(hc, "CpuShares");
        req->cpu_quota = get_int(hc, "CpuQuota");
        req->cpu_period = get_int(hc, "CpuPeriod");
        req->memory_bytes = (uint64_t) MAX(get_int(hc, "Memory"), 0);
        req->memory_reservation = (uint64_t) MAX(get_int(hc, "MemoryReservation"), 0);

        /* Batch sets vCPUs as CpuShares (vcpus * 1024) on ECS; --cpus gives NanoCpus; quota is the
         * hard form. The most specific one wins. */
        if (req->nano_cpus > 0)
                req->vcpus = (double) req->nano_cpus / 1e9;
        else if (req->cpu_quota > 0)
                req->vcpus = (double) req->cpu_quota / (double) (req->cpu_period > 0 ? req->cpu_period : 100000);
        else if (req->cpu_shares > 2) /* 2 is the kernel's minimum weight, and Docker's "unset" is 0 */
                req->vcpus = (double) req->cpu_shares / 1024.0;

        for (size_t i = 0; dr && i < json_object_array_length(dr); i++) {
                json_object *d = json_object_array_get_idx(dr, i), *caps, *ids;
                bool gpu = false;

                caps = get(d, "Capabilities", json_type_array);
                for (size_t k = 0; caps && k < json_object_array_length(caps); k++) {
                        json_object *set = json_object_array_get_idx(caps, k);
                        for (size_t m = 0; json_object_is_type(set, json_type_array) && m < json_object_array_length(set); m++) {
                                json_object *c = json_object_array_get_idx(set, m);
                                if (json_object_is_type(c, json_type_string) && streq(json_object_get_string(c), "gpu"))
                                        gpu = true;
                        }
                }
                if (!gpu)
                        continue;
                ids = get(d, "DeviceIDs", json_type_array);
                if (ids && json_object_array_length(ids) > 0)
                        req->gpus += (int) json_object_array_length(ids);
                else if (get_int(d, "Count") < 0)
                        req->gpus = -1;
                else
                        req->gpus += (int) get_int(d, "Count");
                if (req->gpus < 0)
                        break;
        }
}

static uint64_t get_time(json_object *o, const char *key) {
        uint64_t t = 0;
        const char *s = get_str(o, key);
        if (s && parse_rfc3339_ns(s, &t) < 0)
                t = 0;
        return t;
}

int docker_parse_inspect(const char *buf, size_t len, ContainerSnapshot *ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(container_snapshot_done) ContainerSnapshot s = {};
        json_object *config, *state, *hc;
        const char *id, *name, *status;
        int r;

        r = parse_json(buf, len, &o);
        if (r < 0)
                return r;
        id = get_str(o, "Id");
        config = get(o, "Config", json_type_object);
        state = get(o, "State", json_type_object);
        hc = get(o, "HostConfig", json_type_object);
        if (!is_container_id(id) || !config || !state)
                return -EBADMSG;
        memcpy(s.id, id, sizeof s.id);

        name = get_str(o, "Name");
        if (name && free_and_strdup(&s.name, name[0] == '/' ? name + 1 : name) < 0)
                return -ENOMEM;
        if (free_and_strdup(&s.image, get_str(config, "Image")) < 0)
                return -ENOMEM;
        r = parse_env(get(config, "Env", json_type_array), &s.tags);
        if (r < 0)
                return r;
        r = parse_labels(get(config, "Labels", json_type_object), &s.tags);
        if (r < 0)
                return r;
        s.is_job = s.tags.job_id != NULL;
        if (hc)
                parse_request(hc, &s.request);

        status = get_str(state, "Status");
        s.running = json_object_get_boolean(get(state, "Running", json_type_boolean));
        s.exited = status && (streq(status, "exited") || streq(status, "dead"));
        s.oom_killed = json_object_get_boolean(get(state, "OOMKilled", json_type_boolean));
        s.exit_code = (int) get_int(state, "ExitCode");
        s.pid = (int) get_int(state, "Pid");
        s.created_ns = get_time(o, "Created");
        s.started_ns = get_time(state, "StartedAt");
        s.finished_ns = get_time(state, "FinishedAt");
        /* "exited" with a zero StartedAt means it never ran: it was created, then failed to start. */
        if (s.exited && !s.started_ns)
                s.started_ns = 0;

        *ret = s;
        memset(&s, 0, sizeof s);
        return 0;
}

void docker_strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, docker_strv_free);

#define LIST_MAX 65536 /* far above what a host can run; bounds memory on a hostile answer */

int docker_parse_list(const char *buf, size_t len, char ***ret, size_t *n) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_strv_freep) char **v = NULL;
        size_t k = 0, count;
        int r;

        r = parse_json(buf, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_array))
                return -EBADMSG;
        count = json_object_array_length(o);
        if (count > LIST_MAX)
                return -E2BIG;
        v = calloc(count + 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++) {
                const char *id = get_str(json_object_array_get_idx(o, i), "Id");
                if (!is_container_id(id))
                        continue; /* one bad entry loses nothing else */
                v[k] = strdup(id);
                if (!v[k])
                        return -ENOMEM;
                k++;
        }
        *n = k;
        *ret = TAKE_PTR(v);
        return 0;
}

int docker_framer_feed(DockerLineFramer *f, const char *data, size_t len, docker_line_t cb, void *userdata) {
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t) (nl - data) : len;
                int r;

                if (f->discarding) {
                        if (nl)
                                f->discarding = false;
                } else if (f->len + take > sizeof f->buf) {
                        f->oversized++;
                        f->len = 0;
                        f->discarding = !nl;
                } else {
                        memcpy(f->buf + f->len, data, take);
                        f->len += take;
                        if (nl) {
                                size_t l = f->len;
                                f->len = 0;
                                if (l > 0) {
                                        r = cb(f->buf, l, userdata);
                                        if (r < 0)
                                                return r;
                                }
                        }
                }
                if (!nl)
                        break;
                len -= take + 1;
                data = nl + 1;
        }
        return 0;
}
