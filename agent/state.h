/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What must survive an agent restart so every job's end is reported exactly once: for each
 * container we track, which lifecycle events were already emitted; and when the state was saved,
 * so a container that ended while the agent was down (after that time) is reported on return,
 * while containers that ended long before are not reported again.
 *
 * state_encode/state_parse are pure; state_save writes atomically (temp file, fsync, rename).
 */

#include <stddef.h>
#include <stdint.h>

#include "model/job-table.h"

#define STATE_ENTRIES_MAX 100000

typedef struct StateEntry {
        char id[CONTAINER_ID_LEN + 1];
        unsigned emitted;
        uint64_t finished_ns;
} StateEntry;

typedef struct State {
        uint64_t saved_ns;    /* 0: no state (first run) */
        StateEntry *entries;  /* sorted by id */
        size_t n;
} State;

void state_done(State *s);
int state_encode(JobTable *t, uint64_t now_ns, char **ret, size_t *len);
int state_parse(const char *buf, size_t len, State *ret);
const StateEntry *state_lookup(const State *s, const char *id);

/* Missing file: *ret is empty, returns 0. Corrupt file: -EBADMSG (caller decides; it logs and starts empty). */
int state_load(const char *dir, State *ret);
int state_save(const char *dir, JobTable *t, uint64_t now_ns);
