/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Job events as JSON lines on stdout or appended to a file: for local use, debugging and tests. */

#include "sink/sink.h"

/* `output` is "stdout" or a file path. `samples`: include SAMPLE events. */
int sink_lines_new(const char *output, bool samples, Sink **ret);
