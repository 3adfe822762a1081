/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
 * (CURLMOPT_TIMERFUNCTION); we map those onto sd-event io and time sources and call
 * curl_multi_socket_action() back. Finished transfers are collected after every action and their
 * on_done callbacks run outside libcurl's own callbacks, so they may start new requests.
 */

#include <stdlib.h>
#include <string.h>

#include "curl-glue.h"
#include "log.h"

#define BODY_MAX_DEFAULT (4u * 1024 * 1024)

struct CurlGlue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        HttpRequest *requests; /* doubly linked, for cleanup */
        unsigned n_active;
        /* libcurl forbids adding handles from inside its callbacks (CURLM_RECURSIVE_API_CALL), and a
         * streamed body's on_data runs inside one: requests started there wait here until the
         * current curl_multi_socket_action() returns. */
        bool in_action;
        HttpRequest *deferred;
};

struct HttpRequest {
        CurlGlue *glue;
        CURL *easy;
        struct curl_slist *headers;
        char *req_body;
        char *body;
        size_t body_len, body_cap, max_body;
        bool truncated, aborted;
        http_data_t on_data;
        http_done_t on_done;
        void *userdata;
        char errbuf[CURL_ERROR_SIZE];
        bool added;
        HttpRequest *prev, *next, *deferred_next;
};

static void request_free(HttpRequest *r) {
        if (!r)
                return;
        if (r->glue) {
                if (r->prev)
                        r->prev->next = r->next;
                else
                        r->glue->requests = r->next;
                if (r->next)
                        r->next->prev = r->prev;
                if (r->added)
                        curl_multi_remove_handle(r->glue->multi, r->easy);
                else
                        for (HttpRequest **p = &r->glue->deferred; *p; p = &(*p)->deferred_next)
                                if (*p == r) {
                                        *p = r->deferred_next;
                                        break;
                                }
                r->glue->n_active--;
        }
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
        free(r->req_body);
        free(r->body);
        free(r);
}

static void check_done(CurlGlue *g) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(g->multi, &left))) {
                HttpRequest *r = NULL;
                HttpResult res = {};

                if (msg->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r) != CURLE_OK || !r)
                        continue;

                res.code = msg->data.result;
                curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
                res.body = r->body ? r->body : "";
                res.body_len = r->body_len;
                res.truncated = r->truncated;
                res.error = r->errbuf[0] ? r->errbuf : (res.code != CURLE_OK ? curl_easy_strerror(res.code) : "");

                if (r->on_done)
                        r->on_done(r, &res, r->userdata);
                request_free(r);
        }
}

static void fail_request(HttpRequest *r, CURLcode code) {
        HttpResult res = { .code = code, .body = "", .error = curl_easy_strerror(code) };
        if (r->on_done)
                r->on_done(r, &res, r->userdata);
        request_free(r);
}

static void add_deferred(CurlGlue *g) {
        while (g->deferred) {
                HttpRequest *r = g->deferred;
                g->deferred = r->deferred_next;
                r->deferred_next = NULL;
                if (curl_multi_add_handle(g->multi, r->easy) != CURLM_OK) {
                        fail_request(r, CURLE_OUT_OF_MEMORY);
                        continue;
                }
                r->added = true;
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CurlGlue *g = userdata;
        int action = 0, running;

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        g->in_action = true;
        if (curl_multi_socket_action(g->multi, fd, action, &running) != CURLM_OK)
                log_debug("curl_multi_socket_action() failed, ignoring");
        g->in_action = false;
        add_deferred(g);
        check_done(g);
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        CurlGlue *g = userp;
        sd_event_source *s = socketp;
        uint32_t events = 0;
        int r;

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        sd_event_source_disable_unref(s);
                        curl_multi_assign(g->multi, fd, NULL);
                }
                return 0;
        }
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;

        if (s)
                return sd_event_source_set_io_events(s, events) < 0 ? -1 : 0;

        r = sd_event_add_io(g->event, &s, fd, events, on_io, g);
        if (r < 0)
                return -1;
        sd_event_source_set_description(s, "curl-io");
        if (curl_multi_assign(g->multi, fd, s) != CURLM_OK) {
                sd_event_source_disable_unref(s);
                return -1;
        }
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CurlGlue *g = userdata;
        int running;

        (void) s;
        (void) usec;
        g->in_action = true;
        if (curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                log_debug("curl_multi_socket_action(timeout) failed, ignoring");
        g->in_action = false;
        add_deferred(g);
        check_done(g);
        return 0;
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp) {
        CurlGlue *g = userp;
        uint64_t usec;
        int r;

        (void) multi;
        if (timeout_ms < 0)
                return g->timer ? (sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0 ? -1 : 0) : 0;

        r = sd_event_now(g->event, CLOCK_MONOTONIC, &usec);
        if (r < 0)
                return -1;
        usec += (uint64_t) timeout_ms * 1000 + 1;

        if (g->timer) {
                if (sd_event_source_set_time(g->timer, usec) < 0)
                        return -1;
                return sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
        }
        r = sd_event_add_time(g->event, &g->timer, CLOCK_MONOTONIC, usec, 0, on_timer, g);
        if (r < 0)
                return -1;
        sd_event_source_set_description(g->timer, "curl-timer");
        return 0;
}

int curl_glue_new(sd_event *e, CurlGlue **ret) {
        CurlGlue *g;

        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(e);
        g->multi = curl_multi_init();
        if (!g->multi) {
                curl_glue_free(g);
                return -ENOMEM;
        }
        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_timer_change) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK) {
                curl_glue_free(g);
                return -EINVAL;
        }
        *ret = g;
        return 0;
}

CurlGlue *curl_glue_free(CurlGlue *g) {
        if (!g)
                return NULL;
        while (g->requests)
                request_free(g->requests);
        /* Removing handles above may have called on_socket(REMOVE) already; the rest goes here. */
        if (g->multi)
                curl_multi_cleanup(g->multi);
        sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        HttpRequest *r = userdata;
        size_t n = size * nmemb;

        if (r->on_data) {
                if (r->on_data(r, ptr, n, r->userdata) < 0) {
                        r->aborted = true;
                        return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
                }
                return n;
        }

        /* Buffered answers are capped: an endpoint that sends too much gets a truncated, flagged body. */
        if (r->body_len + n > r->max_body) {
                r->truncated = true;
                n = r->max_body - r->body_len;
        }
        if (r->body_len + n + 1 > r->body_cap) {
                size_t cap = MAX(r->body_cap * 2, r->body_len + n + 1);
                char *b = realloc(r->body, MIN(cap, r->max_body + 1));
                if (!b)
                        return 0;
                r->body = b;
                r->body_cap = MIN(cap, r->max_body + 1);
        }
        memcpy(r->body + r->body_len, ptr, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return size * nmemb;
}

int curl_glue_start(CurlGlue *g, const HttpRequestOptions *o, HttpRequest **ret) {
        HttpRequest *r;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->easy = curl_easy_init();
        if (!r->easy) {
                free(r);
                return -ENOMEM;
        }
        r->on_data = o->on_data;
        r->on_done = o->on_done;
        r->userdata = o->userdata;
        r->max_body = o->max_body ? o->max_body : BODY_MAX_DEFAULT;

        for (size_t i = 0; o->headers && o->headers[i]; i++) {
                struct curl_slist *l = curl_slist_append(r->headers, o->headers[i]);
                if (!l)
                        goto fail;
                r->headers = l;
        }
        /* libcurl adds "Expect: 100-continue" for larger bodies; the endpoints we talk to answer
         * anyway, so the extra round trip is pure latency. */
        if (o->body) {
                struct curl_slist *l = curl_slist_append(r->headers, "Expect:");
                if (!l)
                        goto fail;
                r->headers = l;
        }

        curl_easy_setopt(r->easy, CURLOPT_URL, o->url);
        curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
        curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
        curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        /* http_proxy and friends from the environment may be meant for AWS APIs, never for the
         * host-local endpoints (Docker, IMDS, the ECS agent, local collectors). */
        curl_easy_setopt(r->easy, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1,169.254.169.254,fd00:ec2::254");
        curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms ? o->connect_timeout_ms : 2000L);
        if (o->timeout_ms > 0)
                curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
        if (o->unix_socket)
                curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
        if (r->headers)
                curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
        if (o->body) {
                r->req_body = malloc(o->body_len + 1);
                if (!r->req_body)
                        goto fail;
                memcpy(r->req_body, o->body, o->body_len);
                r->req_body[o->body_len] = 0;
                curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->req_body);
                curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) o->body_len);
        }
        if (o->method)
                curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, o->method);
        if (o->aws_sigv4)
                curl_easy_setopt(r->easy, CURLOPT_AWS_SIGV4, o->aws_sigv4);
        if (o->userpwd)
                curl_easy_setopt(r->easy, CURLOPT_USERPWD, o->userpwd);
        if (o->gzip_accept)
                curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");

        if (g->in_action) {
                HttpRequest **p = &g->deferred;
                while (*p)
                        p = &(*p)->deferred_next;
                *p = r;
        } else if (curl_multi_add_handle(g->multi, r->easy) != CURLM_OK)
                goto fail;
        else
                r->added = true;
        r->glue = g;
        r->next = g->requests;
        if (g->requests)
                g->requests->prev = r;
        g->requests = r;
        g->n_active++;
        if (ret)
                *ret = r;
        return 0;
fail:
        request_free(r);
        return -ENOMEM;
}

void http_request_cancel(HttpRequest *r) {
        request_free(r);
}

unsigned curl_glue_active(CurlGlue *g) {
        return g->n_active;
}
