/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One document per connection, written non-blocking from the event loop: a slow or stuck client
 * costs one buffer and a timeout, never the loop. At most STATUS_CLIENTS_MAX at once.
 */

#include <grp.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "status.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/time-util.h"

#define STATUS_CLIENTS_MAX 8
#define STATUS_CLIENT_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define STATUS_DOC_MAX (16u << 20)

typedef struct StatusClient {
        struct StatusServer *server;
        int fd;
        char *buf;
        size_t len, off;
        sd_event_source *io, *timeout;
} StatusClient;

struct StatusServer {
        sd_event *event;
        int fd;
        char *path;
        sd_event_source *io;
        status_build_t build;
        void *userdata;
        unsigned n_clients;
};

static void client_free(StatusClient *c) {
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timeout);
        safe_close(c->fd);
        c->server->n_clients--;
        free(c->buf);
        free(c);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StatusClient *c = userdata;

        while (c->off < c->len) {
                ssize_t k = send(fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        break; /* client went away */
                }
                c->off += (size_t) k;
        }
        client_free(c);
        return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        client_free(userdata);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StatusServer *srv = userdata;
        StatusClient *c;
        json_object *doc;
        const char *txt;
        uint64_t now;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (srv->n_clients >= STATUS_CLIENTS_MAX) {
                safe_close(cfd);
                return 0;
        }
        c = calloc(1, sizeof *c);
        if (!c) {
                safe_close(cfd);
                return 0;
        }
        c->server = srv;
        c->fd = cfd;
        srv->n_clients++;

        doc = srv->build(srv->userdata);
        txt = doc ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "{}";
        c->len = MIN(strlen(txt), (size_t) STATUS_DOC_MAX);
        c->buf = malloc(c->len + 1);
        if (c->buf) {
                memcpy(c->buf, txt, c->len);
                c->buf[c->len++] = '\n';
        }
        json_object_put(doc);
        if (!c->buf) {
                client_free(c);
                return 0;
        }
        sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
        if (sd_event_add_io(srv->event, &c->io, cfd, EPOLLOUT, on_client_io, c) < 0 ||
            sd_event_add_time(srv->event, &c->timeout, CLOCK_MONOTONIC, now + STATUS_CLIENT_TIMEOUT_USEC, 0,
                              on_client_timeout, c) < 0) {
                client_free(c);
                return 0;
        }
        sd_event_source_set_description(c->io, "status-client");
        return 0;
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int status_server_new(sd_event *e, const char *path, status_build_t build, void *userdata, StatusServer **ret) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct group *gr;
        StatusServer *s;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        r = mkdir_parents(path);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path); /* a stale socket from a previous run */
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        /* root and the batchwatch group may read status; nobody else sees job ids. */
        gr = getgrnam("batchwatch");
        if (chown(path, 0, gr ? gr->gr_gid : 0) < 0 || chmod(path, 0660) < 0)
                return -errno;
        if (listen(fd, 16) < 0)
                return -errno;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->build = build;
        s->userdata = userdata;
        s->path = strdup(path);
        r = sd_event_add_io(e, &s->io, fd, EPOLLIN, on_accept, s);
        if (r < 0 || !s->path) {
                free(s->path);
                sd_event_unref(s->event);
                free(s);
                return r < 0 ? r : -ENOMEM;
        }
        sd_event_source_set_description(s->io, "status-listen");
        s->fd = TAKE_FD(fd);
        *ret = s;
        return 0;
}

StatusServer *status_server_free(StatusServer *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->io);
        safe_close(s->fd);
        if (s->path)
                (void) unlink(s->path);
        free(s->path);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

/* ---- client ---- */

static json_object *get(json_object *o, const char *path) {
        /* "a.b.c" */
        char key[64];
        const char *p = path;
        while (o && *p) {
                const char *dot = strchr(p, '.');
                size_t l = dot ? (size_t) (dot - p) : strlen(p);
                if (l >= sizeof key)
                        return NULL;
                memcpy(key, p, l);
                key[l] = 0;
                if (!json_object_object_get_ex(o, key, &o))
                        return NULL;
                p += l + (dot ? 1 : 0);
        }
        return o;
}

static const char *gs(json_object *o, const char *path) {
        json_object *v = get(o, path);
        return v ? json_object_get_string(v) : NULL;
}

static double gd(json_object *o, const char *path, double def) {
        json_object *v = get(o, path);
        return v ? json_object_get_double(v) : def;
}

static char *fmt_bytes(double b, char *buf, size_t len) {
        static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        size_t i = 0;
        while (b >= 1024 && i < ELEMENTSOF(u) - 1)
                b /= 1024, i++;
        snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", b, u[i]);
        return buf;
}

static char *fmt_age(double sec, char *buf, size_t len) {
        if (sec < 0)
                snprintf(buf, len, "-");
        else if (sec < 120)
                snprintf(buf, len, "%.0fs", sec);
        else if (sec < 7200)
                snprintf(buf, len, "%.0fm", sec / 60);
        else if (sec < 172800)
                snprintf(buf, len, "%.1fh", sec / 3600);
        else
                snprintf(buf, len, "%.1fd", sec / 86400);
        return buf;
}

static void render_source(FILE *out, const char *name, json_object *s) {
        char a[32];
        json_object *v;
        bool up;

        if (!s) {
                fprintf(out, "  %-8s disabled\n", name);
                return;
        }
        if (json_object_object_get_ex(s, "enabled", &v) && !json_object_get_boolean(v)) {
                fprintf(out, "  %-8s disabled\n", name);
                return;
        }
        up = json_object_get_boolean(get(s, "connected")) || json_object_get_boolean(get(s, "reachable"));
        fprintf(out, "  %-8s %-13s", name, up ? "connected" : "NOT CONNECTED");
        if (gs(s, "api_version"))
                fprintf(out, " API %s, engine %s,", gs(s, "api_version"), strna(gs(s, "engine_version")));
        if (gs(s, "endpoint"))
                fprintf(out, " %s,", gs(s, "endpoint"));
        if (gs(s, "version"))
                fprintf(out, " %s,", gs(s, "version"));
        if (get(s, "last_event_age_sec"))
                fprintf(out, " last event %s ago", fmt_age(gd(s, "last_event_age_sec", -1), a, sizeof a));
        else if (get(s, "last_success_age_sec"))
                fprintf(out, " last success %s ago", fmt_age(gd(s, "last_success_age_sec", -1), a, sizeof a));
        if (gs(s, "last_error"))
                fprintf(out, "; last error: %s (%s ago)", gs(s, "last_error"),
                        fmt_age(gd(s, "last_error_age_sec", -1), a, sizeof a));
        fputc('\n', out);
}

void status_render_text(json_object *doc, FILE *out) {
        json_object *sources = get(doc, "sources"), *sinks = get(doc, "sinks"), *jobs = get(doc, "jobs"), *h;
        char a[32], b[32], c[32];

        fprintf(out, "batchwatch %s, pid %s, up %s\n", strna(gs(doc, "version")), strna(gs(doc, "pid")),
                fmt_age(gd(doc, "uptime_sec", -1), a, sizeof a));
        if (json_object_get_boolean(get(doc, "instance.known")))
                fprintf(out, "instance: %s (%s, %s, %s, %s)\n", strna(gs(doc, "instance.instance_id")),
                        strna(gs(doc, "instance.instance_type")), strna(gs(doc, "instance.availability_zone")),
                        strna(gs(doc, "instance.life_cycle")), strna(gs(doc, "instance.ami_id")));
        else
                fprintf(out, "instance: unknown (instance metadata %s)\n",
                        get(doc, "sources.imds") ? "not reachable yet" : "disabled");
        if (get(doc, "cgroup"))
                fprintf(out, "cgroup: %s, layout %s\n", strna(gs(doc, "cgroup.version")), strna(gs(doc, "cgroup.layout")));

        fprintf(out, "sources:\n");
        render_source(out, "docker", get(sources, "docker"));
        render_source(out, "imds", get(sources, "imds"));
        render_source(out, "ecs", get(sources, "ecs"));
        if (get(sources, "cgroup"))
                render_source(out, "cgroup", get(sources, "cgroup"));

        fprintf(out, "sinks:\n");
        json_object_object_foreach(sinks, name, s) {
                fprintf(out, "  %-8s", name);
                json_object_object_foreach(s, k, v) {
                        if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
                                continue;
                        fprintf(out, " %s=%s", k, json_object_get_string(v));
                }
                fputc('\n', out);
        }

        h = get(doc, "host");
        if (h) {
                fprintf(out, "host: %d running jobs (%d containers); requested %.2f of %.0f vCPUs (%.0f%%), %s of %s; "
                             "used %.2f vCPUs, %s; host CPU %.0f%%\n",
                        (int) gd(h, "running_jobs", 0), (int) gd(h, "running_containers", 0), gd(h, "requested_vcpus", 0),
                        gd(h, "capacity_vcpus", 0), gd(h, "requested_vcpus_pct_of_capacity", 0),
                        fmt_bytes(gd(h, "requested_memory_bytes", 0), a, sizeof a),
                        fmt_bytes(gd(h, "capacity_memory_bytes", 0), b, sizeof b), gd(h, "used_vcpus", 0),
                        fmt_bytes(gd(h, "used_memory_bytes", 0), c, sizeof c), gd(h, "host_cpu_utilisation_pct", 0));
        }

        fprintf(out, "\n%-38s %-16s %-16s %-9s %6s %4s %14s %24s\n", "JOB ID", "QUEUE", "COMPUTE ENV", "STATE", "AGE",
                "EXIT", "CPU (% req)", "MEM now/peak/limit");
        for (size_t i = 0; jobs && i < json_object_array_length(jobs); i++) {
                json_object *j = json_object_array_get_idx(jobs, i);
                char cpu[48] = "-", mem[128] = "-", exitc[16] = "-", id[160];
                double pct = gd(j, "usage.cpu_peak_pct_of_request", -1);

                if (!json_object_get_boolean(get(j, "is_job")))
                        continue;
                if (get(j, "exit_code"))
                        snprintf(exitc, sizeof exitc, "%d", (int) gd(j, "exit_code", 0));
                if (get(j, "usage")) {
                        bool running = get(j, "usage.cpu_now_vcpus") != NULL;
                        double now = running ? gd(j, "usage.cpu_now_vcpus", 0) : gd(j, "usage.cpu_avg_vcpus", 0);
                        double req = gd(j, "request.vcpus", 0);
                        pct = req > 0 ? 100 * now / req : -1;
                        if (pct >= 0)
                                snprintf(cpu, sizeof cpu, "%.2f (%.0f%%)", now, pct);
                        else
                                snprintf(cpu, sizeof cpu, "%.2f", now);
                        snprintf(mem, sizeof mem, "%s/%s/%s",
                                 running ? fmt_bytes(gd(j, "usage.memory_now_bytes", 0), a, sizeof a) : "-",
                                 fmt_bytes(gd(j, "usage.memory_peak_bytes", 0), b, sizeof b),
                                 get(j, "usage.memory_limit_bytes") ? fmt_bytes(gd(j, "usage.memory_limit_bytes", 0), c, sizeof c) : "none");
                }
                snprintf(id, sizeof id, "%s%s", strna(gs(j, "job_id")), gs(j, "oom_killed") && json_object_get_boolean(get(j, "oom_killed")) ? "!" : "");
                fprintf(out, "%-38s %-16.16s %-16.16s %-9s %6s %4s %14s %24s\n", id, strna(gs(j, "job_queue")),
                        strna(gs(j, "compute_environment")), strna(gs(j, "state")),
                        fmt_age(gd(j, "age_sec", -1), a, sizeof a), exitc, cpu, mem);
        }
        if (get(doc, "non_job_containers"))
                fprintf(out, "(%d non-job containers not shown; \"!\" marks an OOM kill)\n", (int) gd(doc, "non_job_containers", 0));
}

int status_client(const char *path, bool json, FILE *out) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = 0, cap = 0;
        json_object *doc;

        if (strlen(path) >= sizeof sa.sun_path) {
                fprintf(stderr, "status socket path too long: %s\n", path);
                return 1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (errno == ENOENT || errno == ECONNREFUSED) {
                        fprintf(stderr, "batchwatch is not running (no daemon answers at %s)\n", path);
                        return 3;
                }
                fprintf(stderr, "cannot connect to %s: %s\n", path, strerror(errno));
                return errno == EACCES ? 4 : 1;
        }
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;
                if (poll(&p, 1, 5000) <= 0) {
                        fprintf(stderr, "batchwatch did not answer within 5 s at %s\n", path);
                        return 1;
                }
                if (len + 65536 > cap) {
                        char *nb;
                        cap = cap ? cap * 2 : 131072;
                        if (cap > STATUS_DOC_MAX + 65536 || !(nb = realloc(buf, cap)))
                                return 1;
                        buf = nb;
                }
                k = read(fd, buf + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        if (!buf)
                return 1;
        buf[len] = 0;
        doc = json_tokener_parse(buf);
        if (!doc) {
                fprintf(stderr, "malformed answer from the daemon\n");
                return 1;
        }
        if (json)
                fprintf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                status_render_text(doc, out);
        json_object_put(doc);
        return 0;
}
