/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Sinks consume job events. The manager calls event() for every event (cheap: encode and queue),
 * flush() once per loop iteration or on the sink's own timer, and status() to describe the sink's
 * health in `batchwatch status`. Implementations: sink-lines.c (JSON lines), later EMF, X-Ray, OTLP.
 */

#include <json-c/json.h>

#include "model/instance.h"
#include "model/host.h"
#include "model/job.h"

typedef struct Sink Sink;

typedef struct SinkOps {
        const char *name;
        int (*event)(Sink *s, const JobEvent *ev, const Instance *inst);
        int (*flush)(Sink *s);
        /* Adds this sink's counters to `o` (sent, failed, retried, spooled, dropped, last error...). */
        void (*status)(Sink *s, json_object *o);
        /* Optional: the host view, every sampling interval. */
        int (*host)(Sink *s, const HostView *h, const Instance *inst);
        void (*free)(Sink *s);
} SinkOps;

struct Sink {
        const SinkOps *ops;
        Sink *next;
};
