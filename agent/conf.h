/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Configuration: defaults < file < environment < command line. The file is INI-like:
 * `[section]` headers, `key = value` lines, `#` comments. conf_parse() is pure (text in, Config out,
 * "file:line: reason" on error); conf_load() reads the file. Every key is documented in
 * conf/batchwatch.conf, and a unit test checks that file against the key table below.
 *
 * Checklist for a new key: the table in conf.c, conf/batchwatch.conf, the consumer.
 */

#include <stdbool.h>
#include <stdint.h>

#define CONF_PATH_DEFAULT "/etc/batchwatch/batchwatch.conf"

typedef struct Config {
        int log_level;
        char *state_dir;
        char *status_socket;
        uint64_t finished_retention_usec;
        uint64_t finished_max;

        char *docker_socket;

        bool imds_disabled;
        char *imds_endpoint;
        char *region;

        bool ecs_enabled;
        char *ecs_endpoint;
        uint64_t ecs_poll_interval_usec;

        char *events_output;    /* "stdout", "none", or a file path */

        bool sampling_enabled;
        uint64_t sample_interval_usec;
        uint64_t sample_fast_usec;   /* young containers are sampled this often... */
        uint64_t sample_fast_for_usec; /* ...for this long after start, so sub-second jobs get figures */
        char *cgroup_root;
        char *proc_root;

        bool emf_enabled;
        char *emf_destination;  /* "agent", "cloudwatch-logs", "stdout", or a file path */
        char *emf_namespace;
        char *emf_dimensions;   /* "ComputeEnvironment,JobQueue;ComputeEnvironment" */
        char *emf_agent_endpoint;
        char *emf_log_group;
        char *emf_log_stream;
        char *emf_endpoint_url;
        uint64_t emf_publish_period_usec;
        uint64_t emf_spool_max_bytes;
} Config;

typedef struct ConfigKey ConfigKey;

void config_init(Config *c);   /* defaults */
void config_done(Config *c);
int config_copy(const Config *src, Config *dst);

/* Parses a whole file's text into c (on top of what c holds). On error returns -EINVAL and sets
 * *error to "path:line: reason" (caller frees). */
int conf_parse(const char *text, size_t len, const char *path, Config *c, char **error);
int conf_load(const char *path, Config *c, char **error);
/* Sets one key, "section.key" = value, as from the command line (--set) or a flag. */
int conf_set(Config *c, const char *dotted, const char *value, char **error);
/* Standard environment names (DOCKER_HOST, AWS_EC2_METADATA_*, AWS_REGION, ...), via `get`. */
int conf_apply_env(Config *c, const char *(*get)(const char *name), char **error);
/* Cross-key checks after everything is applied. */
int conf_validate(const Config *c, char **error);

/* For the documentation test: iterate "section.key" names. NULL past the end. */
const char *conf_key_name(size_t i, char *buf, size_t len);
