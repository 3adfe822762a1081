/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * `batchwatch status`: the daemon serves one JSON document per connection on a unix socket; the
 * client prints it as text or passes the JSON through. The document is built by the manager
 * (status_build callback), so this file knows the transport and the text layout only.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-event.h>

typedef struct StatusServer StatusServer;
typedef json_object *(*status_build_t)(void *userdata);

/* Creates the socket (parent directory made if missing), mode 0660, group "batchwatch" if present. */
int status_server_new(sd_event *e, const char *path, status_build_t build, void *userdata, StatusServer **ret);
StatusServer *status_server_free(StatusServer *s);

/* The client. Returns the process exit status: 0, 3 when no daemon answers, 1 on other errors. */
int status_client(const char *path, bool json, FILE *out);
/* Text layout of a status document (pure; unit-tested). */
void status_render_text(json_object *doc, FILE *out);
