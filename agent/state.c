/* SPDX-License-Identifier: Apache-2.0 */
/* The state file is JSON for the same reason /var/lib files of other agents are: a human debugging a
 * host can read it. It is small (one entry per tracked container) and rewritten whole. */

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "state.h"
#include "util/macro.h"

#define STATE_FILE "state.json"
#define STATE_FILE_MAX (32u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

void state_done(State *s) {
        free(s->entries);
        *s = (State){};
}

int state_encode(JobTable *t, uint64_t now_ns, char **ret, size_t *len) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *a = json_object_new_array();
        const char *s;

        if (!o || !a)
                return -ENOMEM;
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "saved_ns", json_object_new_int64((int64_t) now_ns));
        for (Job *j = job_table_first(t); j; j = j->list_next) {
                json_object *e = json_object_new_object();
                if (!e)
                        return -ENOMEM;
                json_object_object_add(e, "id", json_object_new_string(j->container_id));
                json_object_object_add(e, "emitted", json_object_new_int((int) j->emitted));
                json_object_object_add(e, "finished_ns", json_object_new_int64((int64_t) j->finished_ns));
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "containers", TAKE_PTR(a));
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        *ret = strdup(s);
        if (!*ret)
                return -ENOMEM;
        *len = strlen(*ret);
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const StateEntry *) a)->id, ((const StateEntry *) b)->id);
}

int state_parse(const char *buf, size_t len, State *ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *v, *a;
        State s = {};
        size_t n;

        if (len > STATE_FILE_MAX)
                return -E2BIG;
        o = json_tokener_parse(buf);
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "version", &v) || json_object_get_int(v) != 1)
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "saved_ns", &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        s.saved_ns = (uint64_t) json_object_get_int64(v);
        if (!json_object_object_get_ex(o, "containers", &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = MIN(json_object_array_length(a), (size_t) STATE_ENTRIES_MAX);
        s.entries = calloc(n ? n : 1, sizeof *s.entries);
        if (!s.entries)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i), *id, *em, *fin;
                if (!json_object_object_get_ex(e, "id", &id) || !json_object_object_get_ex(e, "emitted", &em) ||
                    !json_object_is_type(id, json_type_string) || json_object_get_string_len(id) != CONTAINER_ID_LEN)
                        continue;
                memcpy(s.entries[s.n].id, json_object_get_string(id), CONTAINER_ID_LEN + 1);
                s.entries[s.n].emitted = (unsigned) json_object_get_int(em);
                if (json_object_object_get_ex(e, "finished_ns", &fin))
                        s.entries[s.n].finished_ns = (uint64_t) json_object_get_int64(fin);
                s.n++;
        }
        qsort(s.entries, s.n, sizeof *s.entries, cmp_entry);
        *ret = s;
        return 0;
}

const StateEntry *state_lookup(const State *s, const char *id) {
        StateEntry key;
        if (!s->entries || strlen(id) != CONTAINER_ID_LEN)
                return NULL;
        memcpy(key.id, id, sizeof key.id);
        return bsearch(&key, s->entries, s->n, sizeof *s->entries, cmp_entry);
}

int state_load(const char *dir, State *ret) {
        _cleanup_close_ int dfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        *ret = (State){};
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        fd = openat(dfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size > STATE_FILE_MAX)
                return -E2BIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return state_parse(buf, n, ret);
}

int state_save(const char *dir, JobTable *t, uint64_t now_ns) {
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int dfd = -1, fd = -1;
        size_t len, off = 0;
        int r;

        r = state_encode(t, now_ns, &data, &len);
        if (r < 0)
                return r;
        (void) mkdir(dir, 0750);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        fd = openat(dfd, STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        while (off < len) {
                ssize_t k = write(fd, data + off, len - off);
                if (k < 0)
                        return -errno;
                off += (size_t) k;
        }
        if (fsync(fd) < 0)
                return -errno;
        if (renameat(dfd, STATE_FILE ".tmp", dfd, STATE_FILE) < 0)
                return -errno;
        (void) fsync(dfd);
        return 0;
}
