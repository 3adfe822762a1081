/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events are encoded at once and buffered; flush() writes the buffer once per loop iteration. A
 * batch holding a job's end is fdatasync()ed before flush() returns, because the manager records
 * the end as reported right after: that ordering is what makes "reported once" hold across a crash
 * (a crash in between can only repeat a line, never lose one).
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "sink/encode-event.h"
#include "sink/sink-lines.h"
#include "util/macro.h"
#include "util/time-util.h"

#define LINES_BUFFER_MAX (4u << 20) /* past this (output blocked), new lines are dropped and counted */

typedef struct SinkLines {
        Sink sink;
        int fd;
        bool own_fd, samples, need_sync;
        char *path;
        char *buf;
        size_t len, cap;
        uint64_t written, dropped, errors;
        char last_error[128];
} SinkLines;

static int lines_event(Sink *s, const JobEvent *ev, const Instance *inst) {
        SinkLines *l = (SinkLines *) s;
        json_object *o;
        const char *txt;
        size_t n;

        if (ev->type == JOB_EVENT_SAMPLE && !l->samples)
                return 0;
        o = encode_event(ev, inst);
        if (!o)
                return -ENOMEM;
        txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        n = strlen(txt);
        if (l->len + n + 1 > LINES_BUFFER_MAX) {
                l->dropped++;
                json_object_put(o);
                return -ENOBUFS;
        }
        if (l->len + n + 1 > l->cap) {
                size_t cap = MAX(l->cap * 2, l->len + n + 1 + 4096);
                char *b = realloc(l->buf, cap);
                if (!b) {
                        json_object_put(o);
                        l->dropped++;
                        return -ENOMEM;
                }
                l->buf = b;
                l->cap = cap;
        }
        memcpy(l->buf + l->len, txt, n);
        l->buf[l->len + n] = '\n';
        l->len += n + 1;
        if (ev->type == JOB_EVENT_ENDED)
                l->need_sync = true;
        json_object_put(o);
        return 0;
}

static int lines_flush(Sink *s) {
        SinkLines *l = (SinkLines *) s;
        size_t off = 0;

        while (off < l->len) {
                ssize_t k = write(l->fd, l->buf + off, l->len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        l->errors++;
                        snprintf(l->last_error, sizeof l->last_error, "write: %s", strerror(errno));
                        break; /* keep the rest for the next flush */
                }
                off += (size_t) k;
        }
        memmove(l->buf, l->buf + off, l->len - off);
        l->len -= off;
        if (off > 0)
                l->written++;
        if (l->need_sync && l->len == 0 && l->own_fd) {
                if (fdatasync(l->fd) < 0) {
                        l->errors++;
                        snprintf(l->last_error, sizeof l->last_error, "fdatasync: %s", strerror(errno));
                        return -errno;
                }
        }
        if (l->len == 0)
                l->need_sync = false;
        return l->len == 0 ? 0 : -EAGAIN;
}

static void lines_status(Sink *s, json_object *o) {
        SinkLines *l = (SinkLines *) s;
        json_object_object_add(o, "output", json_object_new_string(l->path ? l->path : "stdout"));
        json_object_object_add(o, "flushes", json_object_new_int64((int64_t) l->written));
        json_object_object_add(o, "buffered_bytes", json_object_new_int64((int64_t) l->len));
        json_object_object_add(o, "dropped", json_object_new_int64((int64_t) l->dropped));
        json_object_object_add(o, "errors", json_object_new_int64((int64_t) l->errors));
        if (l->last_error[0])
                json_object_object_add(o, "last_error", json_object_new_string(l->last_error));
}

static void lines_free(Sink *s) {
        SinkLines *l = (SinkLines *) s;
        if (!l)
                return;
        (void) lines_flush(s);
        if (l->own_fd)
                safe_close(l->fd);
        free(l->path);
        free(l->buf);
        free(l);
}

static const SinkOps lines_ops = {
        .name = "lines",
        .event = lines_event,
        .flush = lines_flush,
        .status = lines_status,
        .free = lines_free,
};

int sink_lines_new(const char *output, bool samples, Sink **ret) {
        SinkLines *l = calloc(1, sizeof *l);

        if (!l)
                return -ENOMEM;
        l->sink.ops = &lines_ops;
        l->samples = samples;
        if (streq(output, "stdout"))
                l->fd = STDOUT_FILENO;
        else {
                l->fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                if (l->fd < 0) {
                        int r = -errno;
                        free(l);
                        return r;
                }
                l->own_fd = true;
                l->path = strdup(output);
        }
        *ret = &l->sink;
        return 0;
}
