/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One table drives parsing, --set, and the documentation test, so a key cannot exist in one place
 * and not the others. Values are checked when set (type, range), so a bad file is rejected with the
 * line that is wrong rather than at first use.
 */

#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/time-util.h"

typedef enum KeyType { KEY_STRING, KEY_BOOL, KEY_DURATION, KEY_SIZE, KEY_UINT, KEY_LOG_LEVEL } KeyType;

struct ConfigKey {
        const char *section, *name;
        KeyType type;
        size_t offset;
        uint64_t min, max; /* for durations (usec), sizes and numbers; 0/0 = any */
};

#define K(sec, key, type, field, mn, mx) { sec, key, type, offsetof(Config, field), mn, mx }
static const ConfigKey keys[] = {
        K("agent", "log_level", KEY_LOG_LEVEL, log_level, 0, 0),
        K("agent", "state_dir", KEY_STRING, state_dir, 0, 0),
        K("agent", "status_socket", KEY_STRING, status_socket, 0, 0),
        K("agent", "finished_retention", KEY_DURATION, finished_retention_usec, 0, 7 * 86400 * USEC_PER_SEC),
        K("agent", "finished_max", KEY_UINT, finished_max, 0, 100000),
        K("docker", "socket", KEY_STRING, docker_socket, 0, 0),
        K("imds", "disabled", KEY_BOOL, imds_disabled, 0, 0),
        K("imds", "endpoint", KEY_STRING, imds_endpoint, 0, 0),
        K("imds", "region", KEY_STRING, region, 0, 0),
        K("ecs", "enabled", KEY_BOOL, ecs_enabled, 0, 0),
        K("ecs", "endpoint", KEY_STRING, ecs_endpoint, 0, 0),
        K("ecs", "poll_interval", KEY_DURATION, ecs_poll_interval_usec, USEC_PER_SEC, 3600 * USEC_PER_SEC),
        K("events", "output", KEY_STRING, events_output, 0, 0),
        K("sampling", "enabled", KEY_BOOL, sampling_enabled, 0, 0),
        K("sampling", "interval", KEY_DURATION, sample_interval_usec, USEC_PER_SEC, 3600 * USEC_PER_SEC),
        K("sampling", "fast_interval", KEY_DURATION, sample_fast_usec, 50 * 1000, 10 * USEC_PER_SEC),
        K("sampling", "fast_for", KEY_DURATION, sample_fast_for_usec, 0, 600 * USEC_PER_SEC),
        K("sampling", "cgroup_root", KEY_STRING, cgroup_root, 0, 0),
        K("sampling", "proc_root", KEY_STRING, proc_root, 0, 0),
        K("emf", "enabled", KEY_BOOL, emf_enabled, 0, 0),
        K("emf", "destination", KEY_STRING, emf_destination, 0, 0),
        K("emf", "namespace", KEY_STRING, emf_namespace, 0, 0),
        K("emf", "dimensions", KEY_STRING, emf_dimensions, 0, 0),
        K("emf", "agent_endpoint", KEY_STRING, emf_agent_endpoint, 0, 0),
        K("emf", "log_group", KEY_STRING, emf_log_group, 0, 0),
        K("emf", "log_stream", KEY_STRING, emf_log_stream, 0, 0),
        K("emf", "endpoint_url", KEY_STRING, emf_endpoint_url, 0, 0),
        K("emf", "publish_period", KEY_DURATION, emf_publish_period_usec, USEC_PER_SEC, 3600 * USEC_PER_SEC),
        K("emf", "spool_max", KEY_SIZE, emf_spool_max_bytes, 1 << 20, 16ULL << 30),
};
#undef K

static int set_string(Config *c, const char *section, const char *name, const char *value) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].section, section) && streq(keys[i].name, name) && keys[i].type == KEY_STRING)
                        return free_and_strdup((char **) ((char *) c + keys[i].offset), value);
        return -ENOENT;
}

void config_init(Config *c) {
        *c = (Config){
                .log_level = LOG_INFO,
                .finished_retention_usec = 3600 * USEC_PER_SEC,
                .finished_max = 500,
                .ecs_enabled = true,
                .ecs_poll_interval_usec = 10 * USEC_PER_SEC,
                .sampling_enabled = true,
                .sample_interval_usec = 10 * USEC_PER_SEC,
                .sample_fast_usec = 100 * 1000,
                .sample_fast_for_usec = 3 * USEC_PER_SEC,
                .emf_enabled = false,
                .emf_publish_period_usec = 60 * USEC_PER_SEC,
                .emf_spool_max_bytes = 64ULL << 20,
        };
        /* Allocation failures here leave NULL, which every consumer treats as "unset". */
        (void) set_string(c, "agent", "state_dir", "/var/lib/batchwatch");
        (void) set_string(c, "agent", "status_socket", "/run/batchwatch/status.sock");
        (void) set_string(c, "docker", "socket", "/var/run/docker.sock");
        (void) set_string(c, "imds", "endpoint", "http://169.254.169.254");
        (void) set_string(c, "ecs", "endpoint", "http://127.0.0.1:51678");
        (void) set_string(c, "events", "output", "stdout");
        (void) set_string(c, "sampling", "cgroup_root", "/sys/fs/cgroup");
        (void) set_string(c, "sampling", "proc_root", "/proc");
        (void) set_string(c, "emf", "destination", "agent");
        (void) set_string(c, "emf", "namespace", "BatchWatch");
        (void) set_string(c, "emf", "dimensions", "ComputeEnvironment,JobQueue;ComputeEnvironment");
        (void) set_string(c, "emf", "agent_endpoint", "tcp://127.0.0.1:25888");
        (void) set_string(c, "emf", "log_group", "/aws/batch/batchwatch");
}

void config_done(Config *c) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].type == KEY_STRING) {
                        char **p = (char **) ((char *) c + keys[i].offset);
                        free(*p);
                        *p = NULL;
                }
}

int config_copy(const Config *src, Config *dst) {
        *dst = *src;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].type == KEY_STRING) {
                        char **p = (char **) ((char *) dst + keys[i].offset);
                        if (*p && !(*p = strdup(*p))) {
                                for (size_t k = i + 1; k < ELEMENTSOF(keys); k++)
                                        if (keys[k].type == KEY_STRING)
                                                *(char **) ((char *) dst + keys[k].offset) = NULL;
                                config_done(dst);
                                return -ENOMEM;
                        }
                }
        return 0;
}

static int errorf(char **error, const char *fmt, ...) _printf_(2, 3);
static int errorf(char **error, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (error) {
                free(*error);
                *error = s;
        } else
                free(s);
        return -EINVAL;
}

static const ConfigKey *find_key(const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].section, section) && streq(keys[i].name, name))
                        return &keys[i];
        return NULL;
}

/* Returns NULL on success, else a static reason. */
static const char *set_value(Config *c, const ConfigKey *k, const char *value) {
        void *p = (char *) c + k->offset;
        uint64_t v;
        int r;

        switch (k->type) {
        case KEY_STRING:
                if (!*value)
                        return "empty value";
                return free_and_strdup(p, value) < 0 ? "out of memory" : NULL;
        case KEY_BOOL:
                r = parse_bool(value);
                if (r < 0)
                        return "expected a boolean (yes/no, true/false, 1/0, on/off)";
                *(bool *) p = r;
                return NULL;
        case KEY_LOG_LEVEL:
                r = log_level_from_string(value);
                if (r < 0)
                        return "expected a log level (error, warning, notice, info, debug)";
                *(int *) p = r;
                return NULL;
        case KEY_DURATION:
                if (parse_duration_usec(value, &v) < 0)
                        return "expected a duration (e.g. 10s, 500ms, 5m, 1h)";
                break;
        case KEY_SIZE:
                if (parse_size_bytes(value, &v) < 0)
                        return "expected a size (e.g. 64MiB, 1G, 4096)";
                break;
        case KEY_UINT:
                if (parse_u64(value, &v) < 0)
                        return "expected a non-negative integer";
                break;
        }
        if ((k->min || k->max) && (v < k->min || v > k->max))
                return "value out of range";
        *(uint64_t *) p = v;
        return NULL;
}

static char *strip(char *s) {
        char *e;
        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

#define CONF_LINE_MAX 4096

int conf_parse(const char *text, size_t len, const char *path, Config *c, char **error) {
        char section[64] = "";
        unsigned line = 0;
        const char *p = text, *end = text + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p);
                char buf[CONF_LINE_MAX], *s, *eq, *key, *value;
                const ConfigKey *k;
                const char *why;

                line++;
                if (l >= sizeof buf)
                        return errorf(error, "%s:%u: line too long", path, line);
                if (memchr(p, 0, l))
                        return errorf(error, "%s:%u: NUL byte in line", path, line);
                memcpy(buf, p, l);
                buf[l] = 0;
                p += l + (nl ? 1 : 0);

                s = strip(buf);
                if (!*s || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        char *close = strchr(s, ']');
                        if (!close || close[1] != 0 || close - s - 1 <= 0 || (size_t) (close - s) >= sizeof section)
                                return errorf(error, "%s:%u: malformed section header", path, line);
                        *close = 0;
                        snprintf(section, sizeof section, "%s", strip(s + 1));
                        bool known = false;
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                                known = known || streq(keys[i].section, section);
                        if (!known)
                                return errorf(error, "%s:%u: unknown section [%s]", path, line, section);
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq)
                        return errorf(error, "%s:%u: expected \"key = value\"", path, line);
                *eq = 0;
                key = strip(s);
                value = strip(eq + 1);
                if (!section[0])
                        return errorf(error, "%s:%u: key \"%s\" outside of a [section]", path, line, key);
                k = find_key(section, key);
                if (!k)
                        return errorf(error, "%s:%u: unknown key \"%s\" in [%s]", path, line, key, section);
                why = set_value(c, k, value);
                if (why)
                        return errorf(error, "%s:%u: %s.%s: %s", path, line, section, key, why);
        }
        return 0;
}

#define CONF_FILE_MAX (1 << 20)

int conf_load(const char *path, Config *c, char **error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                errorf(error, "%s: cannot open: %s", path, strerror(e));
                return -e;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return errorf(error, "%s: not a regular file", path);
        if (st.st_size > CONF_FILE_MAX)
                return errorf(error, "%s: larger than %d bytes", path, CONF_FILE_MAX);
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0)
                        return errorf(error, "%s: read error: %s", path, strerror(errno));
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        return conf_parse(buf, n, path, c, error);
}

int conf_set(Config *c, const char *dotted, const char *value, char **error) {
        char section[64];
        const char *dot = strchr(dotted, '.');
        const ConfigKey *k;
        const char *why;

        if (!dot || (size_t) (dot - dotted) >= sizeof section)
                return errorf(error, "--set %s: expected section.key=value", dotted);
        memcpy(section, dotted, (size_t) (dot - dotted));
        section[dot - dotted] = 0;
        k = find_key(section, dot + 1);
        if (!k)
                return errorf(error, "--set: unknown key \"%s\"", dotted);
        why = set_value(c, k, value);
        if (why)
                return errorf(error, "--set %s: %s", dotted, why);
        return 0;
}

int conf_apply_env(Config *c, const char *(*get)(const char *name), char **error) {
        const char *v;
        int r;

        v = get("DOCKER_HOST");
        if (v && *v) {
                const char *path = startswith(v, "unix://");
                if (!path || !*path)
                        return errorf(error, "DOCKER_HOST=%s: only unix:// sockets are supported", v);
                if (strlen(path) > 107) /* sun_path */
                        return errorf(error, "DOCKER_HOST: socket path longer than 107 bytes");
                r = set_string(c, "docker", "socket", path);
                if (r < 0)
                        return r;
        }
        v = get("AWS_EC2_METADATA_DISABLED");
        if (v && *v) {
                r = parse_bool(v);
                if (r < 0)
                        return errorf(error, "AWS_EC2_METADATA_DISABLED=%s: expected true or false", v);
                c->imds_disabled = r;
        }
        v = get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        if (v && *v && (r = set_string(c, "imds", "endpoint", v)) < 0)
                return r;
        v = get("AWS_REGION");
        if (!v || !*v)
                v = get("AWS_DEFAULT_REGION");
        if (v && *v && (r = set_string(c, "imds", "region", v)) < 0)
                return r;
        v = get("AWS_EMF_AGENT_ENDPOINT");
        if (v && *v && (r = set_string(c, "emf", "agent_endpoint", v)) < 0)
                return r;
        v = get("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
        if (!v || !*v)
                v = get("AWS_ENDPOINT_URL");
        if (v && *v && (r = set_string(c, "emf", "endpoint_url", v)) < 0)
                return r;
        v = get("BATCHWATCH_LOG_LEVEL");
        if (v && *v) {
                r = log_level_from_string(v);
                if (r < 0)
                        return errorf(error, "BATCHWATCH_LOG_LEVEL=%s: unknown level", v);
                c->log_level = r;
        }
        return 0;
}

int conf_validate(const Config *c, char **error) {
        if (!c->docker_socket || c->docker_socket[0] != '/')
                return errorf(error, "docker.socket must be an absolute path");
        if (!c->state_dir || c->state_dir[0] != '/')
                return errorf(error, "agent.state_dir must be an absolute path");
        if (!c->status_socket || c->status_socket[0] != '/' || strlen(c->status_socket) > 107)
                return errorf(error, "agent.status_socket must be an absolute path of at most 107 bytes");
        if (c->imds_endpoint && !startswith(c->imds_endpoint, "http://") && !startswith(c->imds_endpoint, "https://"))
                return errorf(error, "imds.endpoint must be an http:// or https:// URL");
        if (c->ecs_endpoint && !startswith(c->ecs_endpoint, "http://") && !startswith(c->ecs_endpoint, "https://"))
                return errorf(error, "ecs.endpoint must be an http:// or https:// URL");
        if (c->sample_fast_usec > c->sample_interval_usec)
                return errorf(error, "sampling.fast_interval must not exceed sampling.interval");
        return 0;
}

const char *conf_key_name(size_t i, char *buf, size_t len) {
        if (i >= ELEMENTSOF(keys))
                return NULL;
        snprintf(buf, len, "%s.%s", keys[i].section, keys[i].name);
        return buf;
}
