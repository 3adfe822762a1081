/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything goes through CurlGlue over the unix socket. The /events stream is one long GET whose
 * body arrives in arbitrary chunks: DockerLineFramer turns it into lines. When the stream ends
 * (dockerd stopped, socket gone) we reconnect with exponential backoff; on every (re)connect the
 * stream starts *before* the listing, with `since` at the last event seen, so nothing falls in
 * between, and the consumer's job model absorbs the overlap (its transitions are idempotent).
 */

#include <stdio.h>
#include <string.h>

#include "source/docker.h"
#include "util/log.h"
#include "util/time-util.h"

#define API_OURS_MAJOR 1
#define API_OURS_MINOR 44      /* newest API whose fields we know (Docker 25) */
#define BACKOFF_MIN_USEC (500 * 1000ULL)
#define BACKOFF_MAX_USEC (30 * USEC_PER_SEC)
#define PENDING_MAX 256        /* inspects in flight with held events; beyond this events are dropped (counted) */
#define PENDING_EVENTS_MAX 16  /* a container has at most create/start/oom/kill/die/destroy in flight */
#define RESYNC_PARALLEL 8      /* inspects in flight during a listing: keeps dockerd's load flat */

typedef struct Pending {
        char id[CONTAINER_ID_LEN + 1];
        ContainerEvent events[PENDING_EVENTS_MAX];
        size_t n_events;
        bool resync;           /* part of a listing */
        Docker *docker;
        HttpRequest *req;
        struct Pending *next;
} Pending;

struct Docker {
        sd_event *event;
        CurlGlue *glue;
        char *socket_path;
        DockerCallbacks cb;
        void *userdata;

        char api[16];          /* "v1.41" */
        DockerVersion version;
        bool connected;
        HttpRequest *req_version, *req_events, *req_list;
        DockerLineFramer framer;
        sd_event_source *retry;
        uint64_t backoff_usec;

        Pending *pending;
        size_t n_pending;
        char **resync_ids;     /* the listing being inspected */
        size_t resync_next, resync_inflight;

        uint64_t last_event_ns, last_event_mono_usec;
        uint64_t n_events, n_malformed, n_dropped, n_reconnects;
        char last_error[256];
        uint64_t last_error_usec;
};

static void connect_now(Docker *d);

static void set_error(Docker *d, const char *fmt, ...) _printf_(2, 3);
static void set_error(Docker *d, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->last_error, sizeof d->last_error, fmt, ap);
        va_end(ap);
        d->last_error_usec = now_monotonic_usec();
}

static int url(Docker *d, char *buf, size_t len, const char *path) {
        int n = snprintf(buf, len, "http://localhost/%s%s", d->api, path);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}

int docker_new(sd_event *e, CurlGlue *g, const char *socket_path, Docker **ret) {
        Docker *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->socket_path = strdup(socket_path);
        if (!d->socket_path) {
                free(d);
                return -ENOMEM;
        }
        d->event = sd_event_ref(e);
        d->glue = g;
        d->backoff_usec = BACKOFF_MIN_USEC;
        *ret = d;
        return 0;
}

static void pending_free(Docker *d, Pending *p) {
        for (Pending **pp = &d->pending; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        break;
                }
        d->n_pending--;
        free(p);
}

Docker *docker_free(Docker *d) {
        if (!d)
                return NULL;
        http_request_cancel(d->req_version);
        http_request_cancel(d->req_events);
        http_request_cancel(d->req_list);
        while (d->pending) {
                http_request_cancel(d->pending->req);
                pending_free(d, d->pending);
        }
        docker_strv_free(d->resync_ids);
        sd_event_source_disable_unref(d->retry);
        sd_event_unref(d->event);
        free(d->socket_path);
        free(d);
        return NULL;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        connect_now(userdata);
        return 0;
}

static void schedule_reconnect(Docker *d) {
        uint64_t now;

        if (d->retry && sd_event_source_get_enabled(d->retry, NULL) > 0)
                return;
        sd_event_now(d->event, CLOCK_MONOTONIC, &now);
        if (d->retry) {
                sd_event_source_set_time(d->retry, now + d->backoff_usec);
                sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
        } else if (sd_event_add_time(d->event, &d->retry, CLOCK_MONOTONIC, now + d->backoff_usec, 0, on_retry, d) >= 0)
                sd_event_source_set_description(d->retry, "docker-reconnect");
        d->backoff_usec = MIN(d->backoff_usec * 2, BACKOFF_MAX_USEC);
}

static void lost(Docker *d, int error) {
        bool was = d->connected;

        d->connected = false;
        http_request_cancel(d->req_list);
        d->req_list = NULL;
        if (was) {
                d->n_reconnects++;
                if (d->cb.disconnected)
                        d->cb.disconnected(d, error, d->userdata);
        }
        schedule_reconnect(d);
}

static void deliver(Docker *d, const ContainerSnapshot *s, const ContainerEvent *ev, size_t n) {
        if (d->cb.container)
                d->cb.container(d, s, ev, n, d->userdata);
}

static Pending *pending_find(Docker *d, const char *id) {
        for (Pending *p = d->pending; p; p = p->next)
                if (streq(p->id, id))
                        return p;
        return NULL;
}

static void resync_pump(Docker *d);

static void on_inspect_done(HttpRequest *req, const HttpResult *res, void *userdata) {
        Pending *p = userdata;
        Docker *d = p->docker;
        ContainerSnapshot s = {};
        bool have = false;
        int r;

        p->req = NULL;
        if (res->code == CURLE_OK && res->status == 200) {
                r = docker_parse_inspect(res->body, res->body_len, &s);
                if (r < 0) {
                        d->n_malformed++;
                        set_error(d, "malformed inspect answer for %.12s", p->id);
                        log_container_full_errno(LOG_WARNING, r, p->id, NULL,
                                                 "Malformed inspect answer from Docker, ignoring: %m");
                } else
                        have = true;
        } else if (res->code == CURLE_OK && res->status == 404)
                log_container_full_errno(LOG_DEBUG, 0, p->id, NULL, "Container vanished before inspect");
        else {
                set_error(d, "inspect %.12s: %s (HTTP %ld)", p->id, res->error, res->status);
                log_container_full_errno(LOG_WARNING, 0, p->id, NULL, "Inspect failed: %s (HTTP %ld)",
                                         res->error, res->status);
        }

        deliver(d, have ? &s : NULL, p->events, p->n_events);
        container_snapshot_done(&s);
        if (p->resync)
                d->resync_inflight--;
        pending_free(d, p);
        resync_pump(d);
}

static int start_inspect(Docker *d, const char *id, bool resync, Pending **ret) {
        char u[256];
        Pending *p;
        int r;

        if (strlen(id) != CONTAINER_ID_LEN)
                return -EINVAL;
        if (d->n_pending >= PENDING_MAX)
                return -ENOBUFS;
        r = url(d, u, sizeof u, "/containers/");
        if (r < 0 || strlen(u) + strlen(id) + 6 >= sizeof u)
                return -ENAMETOOLONG;
        strcat(strcat(u, id), "/json");

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        memcpy(p->id, id, sizeof p->id);
        p->docker = d;
        p->resync = resync;
        r = curl_glue_start(d->glue,
                            &(HttpRequestOptions){ .url = u, .unix_socket = d->socket_path, .timeout_ms = 10000,
                                                   .on_done = on_inspect_done, .userdata = p },
                            &p->req);
        if (r < 0) {
                free(p);
                return r;
        }
        p->next = d->pending;
        d->pending = p;
        d->n_pending++;
        if (ret)
                *ret = p;
        return 0;
}

int docker_inspect(Docker *d, const char *id) {
        if (pending_find(d, id))
                return 0;
        return start_inspect(d, id, false, NULL);
}

static void handle_container_event(Docker *d, const ContainerEvent *ev) {
        Pending *p = pending_find(d, ev->id);
        int r;

        if (p) {
                if (p->n_events >= PENDING_EVENTS_MAX) {
                        d->n_dropped++;
                        return;
                }
                p->events[p->n_events++] = *ev;
                return;
        }
        if (ev->action == CONTAINER_CREATE || ev->action == CONTAINER_START || ev->action == CONTAINER_DIE) {
                /* create: we need the env to know whether it is a job at all; start: the host pid,
                 * which leads to the cgroup; die: State.OOMKilled and the final exit code are only
                 * in inspect, and the end must carry them. */
                r = start_inspect(d, ev->id, false, &p);
                if (r >= 0) {
                        p->events[p->n_events++] = *ev;
                        return;
                }
                d->n_dropped++;
                log_container_full_errno(LOG_WARNING, r, ev->id, NULL, "Cannot inspect container, delivering event alone: %m");
        }
        deliver(d, NULL, ev, 1);
}

static int on_event_line(const char *line, size_t len, void *userdata) {
        Docker *d = userdata;
        DockerEvent ev;
        int r;

        r = docker_parse_event(line, len, &ev);
        if (r < 0) {
                d->n_malformed++;
                set_error(d, "malformed event line (%zu bytes)", len);
                log_warning_errno(r, "Malformed event from Docker (%zu bytes), skipping: %m", len);
                return 0; /* one bad line loses nothing else */
        }
        d->n_events++;
        /* Resume point: events at the same timeNano may repeat after a reconnect; the job model
         * ignores repeats, so `since` may be inclusive. */
        if (ev.time_ns > d->last_event_ns)
                d->last_event_ns = ev.time_ns;
        d->last_event_mono_usec = now_monotonic_usec();

        if (ev.kind == DOCKER_EVENT_CONTAINER)
                handle_container_event(d, &ev.container);
        else if (ev.kind == DOCKER_EVENT_IMAGE_PULL && d->cb.image_pull)
                d->cb.image_pull(d, ev.image_ref, ev.time_ns, d->userdata);
        return 0;
}

static int on_events_data(HttpRequest *req, const char *data, size_t len, void *userdata) {
        Docker *d = userdata;
        return docker_framer_feed(&d->framer, data, len, on_event_line, d);
}

static void on_events_done(HttpRequest *req, const HttpResult *res, void *userdata) {
        Docker *d = userdata;

        d->req_events = NULL;
        set_error(d, "event stream ended: %s", res->code == CURLE_OK ? "closed by dockerd" : res->error);
        log_warning("Docker event stream ended (%s), reconnecting",
                    res->code == CURLE_OK ? "closed by dockerd" : res->error);
        lost(d, -ECONNRESET);
}

static void resync_pump(Docker *d) {
        while (d->resync_ids && d->resync_ids[d->resync_next] && d->resync_inflight < RESYNC_PARALLEL) {
                const char *id = d->resync_ids[d->resync_next++];
                if (pending_find(d, id))
                        continue; /* an event already asked for it */
                if (start_inspect(d, id, true, NULL) < 0) {
                        d->n_dropped++;
                        continue;
                }
                d->resync_inflight++;
        }
        if (d->resync_ids && !d->resync_ids[d->resync_next] && d->resync_inflight == 0) {
                char **ids = TAKE_PTR(d->resync_ids);
                if (d->cb.resynced)
                        d->cb.resynced(d, ids, d->userdata);
                docker_strv_free(ids);
        }
}

static void on_list_done(HttpRequest *req, const HttpResult *res, void *userdata) {
        Docker *d = userdata;
        char **ids = NULL;
        size_t n = 0;
        int r;

        d->req_list = NULL;
        if (res->code != CURLE_OK || res->status != 200) {
                set_error(d, "container list: %s (HTTP %ld)", res->error, res->status);
                log_warning("Listing containers failed: %s (HTTP %ld)", res->error, res->status);
                return; /* the stream is up; the next reconnect lists again */
        }
        r = docker_parse_list(res->body, res->body_len, &ids, &n);
        if (r < 0) {
                d->n_malformed++;
                set_error(d, "malformed container list");
                log_warning_errno(r, "Malformed container list from Docker, ignoring: %m");
                return;
        }
        docker_strv_free(d->resync_ids);
        d->resync_ids = ids;
        d->resync_next = 0;
        log_debug("Docker lists %zu containers", n);
        resync_pump(d);
}

static void start_stream_and_list(Docker *d) {
        /* {"type":["container","image"],"event":["create","start","die","oom","kill","destroy","pull"]} */
        static const char filters[] =
                "%7B%22type%22%3A%5B%22container%22%2C%22image%22%5D%2C%22event%22%3A%5B%22create%22%2C"
                "%22start%22%2C%22die%22%2C%22oom%22%2C%22kill%22%2C%22destroy%22%2C%22pull%22%5D%7D";
        char path[512], u[640];
        uint64_t since = d->last_event_ns ? d->last_event_ns : now_realtime_ns();
        int r;

        snprintf(path, sizeof path, "/events?since=%llu.%09llu&filters=%s",
                 (unsigned long long) (since / NSEC_PER_SEC), (unsigned long long) (since % NSEC_PER_SEC), filters);
        if (url(d, u, sizeof u, path) < 0)
                return;
        memset(&d->framer, 0, offsetof(DockerLineFramer, oversized));
        r = curl_glue_start(d->glue,
                            &(HttpRequestOptions){ .url = u, .unix_socket = d->socket_path, .on_data = on_events_data,
                                                   .on_done = on_events_done, .userdata = d },
                            &d->req_events);
        if (r < 0) {
                log_error_errno(r, "Cannot start the Docker event stream: %m");
                lost(d, r);
                return;
        }
        if (url(d, u, sizeof u, "/containers/json?all=1") < 0)
                return;
        r = curl_glue_start(d->glue,
                            &(HttpRequestOptions){ .url = u, .unix_socket = d->socket_path, .timeout_ms = 30000,
                                                   .max_body = 64u << 20, .on_done = on_list_done, .userdata = d },
                            &d->req_list);
        if (r < 0)
                log_warning_errno(r, "Cannot list containers, ignoring: %m");
}

static void on_version_done(HttpRequest *req, const HttpResult *res, void *userdata) {
        Docker *d = userdata;
        DockerVersion v;
        int r;

        d->req_version = NULL;
        if (res->code != CURLE_OK || res->status != 200) {
                if (!d->last_error_usec || d->backoff_usec == BACKOFF_MIN_USEC)
                        log_warning("Docker is not reachable at %s: %s (HTTP %ld), retrying",
                                    d->socket_path, res->error, res->status);
                set_error(d, "%s (HTTP %ld)", res->error, res->status);
                lost(d, -ECONNREFUSED);
                return;
        }
        r = docker_parse_version(res->body, res->body_len, &v);
        if (r >= 0)
                r = docker_pick_api_version(&v, API_OURS_MAJOR, API_OURS_MINOR, d->api, sizeof d->api);
        if (r < 0) {
                set_error(d, "unusable /version answer");
                log_error_errno(r, "Docker's /version answer is unusable, retrying: %m");
                lost(d, r);
                return;
        }
        d->version = v;
        d->connected = true;
        d->backoff_usec = BACKOFF_MIN_USEC;
        log_info("Connected to Docker %s, API %s (engine offers %u.%u, minimum %u.%u)", v.engine, d->api,
                 v.api_major, v.api_minor, v.min_api_major, v.min_api_minor);
        start_stream_and_list(d);
        if (d->cb.connected)
                d->cb.connected(d, &v, d->userdata);
}

static void connect_now(Docker *d) {
        int r;

        if (d->req_version || d->req_events)
                return;
        /* Unversioned on purpose: /version is how we learn which versions the engine speaks. */
        r = curl_glue_start(d->glue,
                            &(HttpRequestOptions){ .url = "http://localhost/version", .unix_socket = d->socket_path,
                                                   .timeout_ms = 5000, .on_done = on_version_done, .userdata = d },
                            &d->req_version);
        if (r < 0)
                lost(d, r);
}

int docker_start(Docker *d, const DockerCallbacks *cb, void *userdata) {
        d->cb = *cb;
        d->userdata = userdata;
        connect_now(d);
        return 0;
}

bool docker_is_connected(Docker *d) {
        return d->connected;
}

uint64_t docker_last_event_ns(Docker *d) {
        return d->last_event_ns;
}

void docker_status(Docker *d, json_object *o) {
        uint64_t now = now_monotonic_usec();

        json_object_object_add(o, "connected", json_object_new_boolean(d->connected));
        json_object_object_add(o, "socket", json_object_new_string(d->socket_path));
        if (d->connected) {
                json_object_object_add(o, "engine_version", json_object_new_string(d->version.engine));
                json_object_object_add(o, "api_version", json_object_new_string(d->api + 1));
        }
        json_object_object_add(o, "events", json_object_new_int64((int64_t) d->n_events));
        json_object_object_add(o, "malformed", json_object_new_int64((int64_t) d->n_malformed));
        json_object_object_add(o, "dropped", json_object_new_int64((int64_t) (d->n_dropped + d->framer.oversized)));
        json_object_object_add(o, "reconnects", json_object_new_int64((int64_t) d->n_reconnects));
        if (d->last_event_mono_usec)
                json_object_object_add(o, "last_event_age_sec",
                                       json_object_new_double((double) (now - d->last_event_mono_usec) / 1e6));
        if (d->last_error[0]) {
                json_object_object_add(o, "last_error", json_object_new_string(d->last_error));
                json_object_object_add(o, "last_error_age_sec",
                                       json_object_new_double((double) (now - d->last_error_usec) / 1e6));
        }
}
