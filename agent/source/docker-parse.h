/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Pure parsers for Docker Engine API answers: /version, /containers/json, /containers/{id}/json
 * and /events lines; plus the line framer for the /events stream (chunks may split or join lines).
 *
 * Secrets: a container's Config.Env is read only for AWS_BATCH_* names; no other value is copied
 * out of the parsed document, and errors never quote the input.
 */

#include <stddef.h>
#include <stdint.h>

#include "model/container.h"

#define DOCKER_EVENT_LINE_MAX (64 * 1024) /* a container event with many labels stays far below */
#define DOCKER_IMAGE_REF_MAX 256

typedef struct DockerVersion {
        unsigned api_major, api_minor;         /* ApiVersion: the engine's newest */
        unsigned min_api_major, min_api_minor; /* MinAPIVersion */
        char engine[64];                       /* Version */
} DockerVersion;

typedef enum DockerEventKind {
        DOCKER_EVENT_CONTAINER,  /* one of the lifecycle actions we follow */
        DOCKER_EVENT_IMAGE_PULL,
        DOCKER_EVENT_IGNORED,    /* well-formed, of no interest (network connect, exec_*...) */
} DockerEventKind;

typedef struct DockerEvent {
        DockerEventKind kind;
        uint64_t time_ns;
        ContainerEvent container;            /* kind == DOCKER_EVENT_CONTAINER */
        char image_ref[DOCKER_IMAGE_REF_MAX]; /* kind == DOCKER_EVENT_IMAGE_PULL */
} DockerEvent;

int docker_parse_version(const char *buf, size_t len, DockerVersion *ret);
/* Chooses the API version to speak: min(engine newest, ours), refused below the engine's minimum. */
int docker_pick_api_version(const DockerVersion *v, unsigned our_major, unsigned our_minor, char *ret, size_t len);
int docker_parse_event(const char *line, size_t len, DockerEvent *ret);
int docker_parse_inspect(const char *buf, size_t len, ContainerSnapshot *ret);
/* Ids of /containers/json?all=1. *ret is a NULL-terminated array of strings. */
int docker_parse_list(const char *buf, size_t len, char ***ret, size_t *n);
void docker_strv_free(char **v);

/* /events framing: feed bytes, get complete lines. Lines over DOCKER_EVENT_LINE_MAX are dropped
 * whole (counted), and framing resumes at the next newline. */
typedef struct DockerLineFramer {
        char buf[DOCKER_EVENT_LINE_MAX];
        size_t len;
        bool discarding;
        uint64_t oversized;
} DockerLineFramer;

typedef int (*docker_line_t)(const char *line, size_t len, void *userdata);
int docker_framer_feed(DockerLineFramer *f, const char *data, size_t len, docker_line_t cb, void *userdata);
