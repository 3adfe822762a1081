/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * JSON for job events (the JSON-lines sink) and for jobs in `batchwatch status --json`. Pure:
 * builds json-c objects, no I/O. The shape is documented in README.md ("Job events").
 */

#include <json-c/json.h>

#include "model/host.h"
#include "model/instance.h"
#include "model/job.h"

json_object *encode_job(const Job *j);
json_object *encode_instance(const Instance *i);
json_object *encode_host_view(const HostView *h);
json_object *encode_event(const JobEvent *ev, const Instance *inst);
/* Efficiency against the request, in percent; negative when there is no request to compare with. */
double encode_cpu_avg_pct(const Job *j);
double encode_cpu_peak_pct(const Job *j);
double encode_mem_peak_pct(const Job *j);
