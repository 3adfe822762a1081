/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * libcurl's multi interface driven by sd-event (the pattern of systemd's curl-util.c): every HTTP
 * exchange of the agent, the Docker unix socket included, is a request on one CurlGlue. Nothing
 * blocks; completion and streamed data arrive as callbacks from the event loop.
 *
 * Ownership: the glue owns a started request until its on_done callback has returned, then frees it.
 * A caller that keeps the HttpRequest pointer (to cancel it) must forget it in on_done.
 */

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct CurlGlue CurlGlue;
typedef struct HttpRequest HttpRequest;

typedef struct HttpResult {
        CURLcode code;     /* transport result; CURLE_OK when an HTTP answer arrived */
        long status;       /* HTTP status, 0 when none */
        const char *body;  /* NUL-terminated (buffered mode only; "" when streaming) */
        size_t body_len;
        bool truncated;    /* the answer was larger than max_body: body is incomplete */
        const char *error; /* human-readable transport error, "" when none */
} HttpResult;

/* Streamed data. Return 0 to go on, negative to abort the transfer (on_done then sees an error). */
typedef int (*http_data_t)(HttpRequest *req, const char *data, size_t len, void *userdata);
typedef void (*http_done_t)(HttpRequest *req, const HttpResult *res, void *userdata);

typedef struct HttpRequestOptions {
        const char *method;          /* NULL: GET */
        const char *url;
        const char *unix_socket;     /* for Docker's API socket */
        const char *const *headers;  /* "Name: value", NULL-terminated */
        const char *body;            /* request body (copied) */
        size_t body_len;
        long timeout_ms;             /* whole transfer; 0: none (streams) */
        long connect_timeout_ms;     /* 0: 2000 */
        size_t max_body;             /* cap for a buffered answer; 0: 4 MiB */
        http_data_t on_data;         /* when set, the answer is streamed, not buffered */
        http_done_t on_done;
        void *userdata;
        const char *aws_sigv4;       /* CURLOPT_AWS_SIGV4 provider string, or NULL */
        const char *userpwd;         /* "key:secret" for SigV4 */
        bool gzip_accept;            /* let libcurl decode compressed answers */
} HttpRequestOptions;

int curl_glue_new(sd_event *e, CurlGlue **ret);
CurlGlue *curl_glue_free(CurlGlue *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(CurlGlue *, curl_glue_free);

/* Starts a request. *ret (optional) gets a borrowed pointer valid until on_done returns. */
int curl_glue_start(CurlGlue *g, const HttpRequestOptions *o, HttpRequest **ret);
/* Stops a request without calling on_done. NULL is fine. */
void http_request_cancel(HttpRequest *r);
unsigned curl_glue_active(CurlGlue *g);
