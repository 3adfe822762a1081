/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The Docker Engine source: negotiates the API version, follows /events, lists and inspects
 * containers, and reconnects with backoff when dockerd restarts, resuming the stream with `since`
 * and re-listing to reconcile what the event history lost.
 *
 * Ordering guarantee to the consumer: for create and die events the container is inspected first
 * and its events are delivered together with that snapshot; events that arrive while an inspect
 * is in flight for the same container are held back and delivered after it, in order.
 */

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "model/container.h"
#include "source/docker-parse.h"
#include "util/curl-glue.h"

typedef struct Docker Docker;

typedef struct DockerCallbacks {
        void (*connected)(Docker *d, const DockerVersion *v, void *userdata);
        void (*disconnected)(Docker *d, int error, void *userdata);
        /* snapshot is NULL when the container was already gone; events may be empty. */
        void (*container)(Docker *d, const ContainerSnapshot *snapshot, const ContainerEvent *events,
                          size_t n_events, void *userdata);
        void (*image_pull)(Docker *d, const char *ref, uint64_t time_ns, void *userdata);
        /* After a (re)listing: every container id Docker knows now, NULL-terminated. */
        void (*resynced)(Docker *d, char *const *ids, void *userdata);
} DockerCallbacks;

int docker_new(sd_event *e, CurlGlue *g, const char *socket_path, Docker **ret);
Docker *docker_free(Docker *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Docker *, docker_free);

int docker_start(Docker *d, const DockerCallbacks *cb, void *userdata);
/* Inspects one container and delivers the snapshot through the container callback. */
int docker_inspect(Docker *d, const char *id);
bool docker_is_connected(Docker *d);
uint64_t docker_last_event_ns(Docker *d);
void docker_status(Docker *d, json_object *o);
