/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batchwatch: a host agent for AWS Batch on EC2. main() parses the command line and hands over:
 * `run` to the Manager, `status` to the status client, `check` to the preflight checks.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "manager.h"
#include "status.h"
#include "util/curl-glue.h"
#include "util/log.h"

#define SETS_MAX 64

typedef struct Args {
        const char *config_path;
        bool config_explicit;
        const char *sets[SETS_MAX][2];
        size_t n_sets;
        bool json;
        const char *status_socket;
} Args;

static const char *env_get(const char *name) {
        return getenv(name);
}

/* defaults < file < environment < command line; then cross-checks. */
static int load_config(Config *ret, char **error, void *userdata) {
        const Args *a = userdata;
        Config c;
        struct stat st;
        int r;

        config_init(&c);
        if (a->config_explicit || stat(a->config_path, &st) == 0) {
                r = conf_load(a->config_path, &c, error);
                if (r < 0)
                        goto fail;
        }
        r = conf_apply_env(&c, env_get, error);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < a->n_sets; i++) {
                r = conf_set(&c, a->sets[i][0], a->sets[i][1], error);
                if (r < 0)
                        goto fail;
        }
        r = conf_validate(&c, error);
        if (r < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        config_done(&c);
        return r;
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: batchwatch COMMAND [OPTIONS]\n\n"
                "Host agent for AWS Batch on EC2: which job each container is, what it uses, why it ended.\n\n"
                "Commands:\n"
                "  run                 Run the agent in the foreground (for systemd Type=notify)\n"
                "  status [--json]     Show the running agent's view of this host\n"
                "  check [--json]      Preflight: configuration, Docker, IMDS, ECS, cgroups, sinks\n"
                "  version             Print the version\n\n"
                "Options:\n"
                "  -c, --config PATH         Configuration file (default " CONF_PATH_DEFAULT ")\n"
                "      --log-level LEVEL     error, warning, notice, info, debug\n"
                "      --set SECTION.KEY=V   Override one configuration key (repeatable)\n"
                "      --docker-socket PATH  Docker API socket\n"
                "      --events-output OUT   stdout, none, or a file for JSON-lines job events\n"
                "      --state-dir DIR       State directory (default /var/lib/batchwatch)\n"
                "      --status-socket PATH  Status socket (default /run/batchwatch/status.sock)\n"
                "      --json                JSON output (status, check)\n"
                "  -h, --help                This help\n");
}

static int add_set(Args *a, const char *key, const char *value) {
        if (a->n_sets >= SETS_MAX) {
                fprintf(stderr, "too many overrides\n");
                return -E2BIG;
        }
        a->sets[a->n_sets][0] = key;
        a->sets[a->n_sets][1] = value;
        a->n_sets++;
        return 0;
}

int check_main(const Config *c, bool json); /* check.c */

int main(int argc, char *argv[]) {
        enum { ARG_LOG_LEVEL = 0x100, ARG_SET, ARG_DOCKER, ARG_EVENTS, ARG_STATE, ARG_STATUS, ARG_JSON };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "set", required_argument, NULL, ARG_SET },
                { "docker-socket", required_argument, NULL, ARG_DOCKER },
                { "events-output", required_argument, NULL, ARG_EVENTS },
                { "state-dir", required_argument, NULL, ARG_STATE },
                { "status-socket", required_argument, NULL, ARG_STATUS },
                { "json", no_argument, NULL, ARG_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static char set_buf[SETS_MAX][512];
        Args a = { .config_path = CONF_PATH_DEFAULT };
        const char *cmd;
        int o, r;

        log_open();
        while ((o = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
                switch (o) {
                case 'c':
                        a.config_path = optarg;
                        a.config_explicit = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = add_set(&a, "agent.log_level", optarg);
                        break;
                case ARG_SET: {
                        char *eq;
                        if (a.n_sets >= SETS_MAX || strlen(optarg) >= sizeof set_buf[0] || !(eq = strchr(optarg, '='))) {
                                fprintf(stderr, "--set %s: expected SECTION.KEY=VALUE\n", optarg);
                                return 2;
                        }
                        strcpy(set_buf[a.n_sets], optarg);
                        eq = set_buf[a.n_sets] + (eq - optarg);
                        *eq = 0;
                        r = add_set(&a, set_buf[a.n_sets], eq + 1);
                        break;
                }
                case ARG_DOCKER:
                        r = add_set(&a, "docker.socket", optarg);
                        break;
                case ARG_EVENTS:
                        r = add_set(&a, "events.output", optarg);
                        break;
                case ARG_STATE:
                        r = add_set(&a, "agent.state_dir", optarg);
                        break;
                case ARG_STATUS:
                        a.status_socket = optarg;
                        r = add_set(&a, "agent.status_socket", optarg);
                        break;
                case ARG_JSON:
                        a.json = true;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                default:
                        help(stderr);
                        return 2;
                }
                if (o != 'c' && o != 'h' && o != ARG_JSON && r < 0)
                        return 2;
        }
        cmd = optind < argc ? argv[optind] : NULL;
        if (!cmd) {
                help(stderr);
                return 2;
        }

        if (streq(cmd, "version")) {
                printf("batchwatch %s\n", BATCHWATCH_VERSION);
                return 0;
        }
        if (streq(cmd, "status") || streq(cmd, "check")) {
                _cleanup_free_ char *error = NULL;
                Config c;

                for (int i = optind + 1; i < argc; i++)
                        if (streq(argv[i], "--json"))
                                a.json = true;
                r = load_config(&c, &error, &a);
                if (r < 0) {
                        if (streq(cmd, "status") && a.status_socket)
                                return status_client(a.status_socket, a.json, stdout);
                        fprintf(stderr, "batchwatch: %s\n", strna(error));
                        if (streq(cmd, "check"))
                                return 2;
                        /* status still works with a broken file: use the default socket */
                        return status_client("/run/batchwatch/status.sock", a.json, stdout);
                }
                if (streq(cmd, "status"))
                        r = status_client(c.status_socket, a.json, stdout);
                else
                        r = check_main(&c, a.json);
                config_done(&c);
                return r;
        }
        if (!streq(cmd, "run")) {
                fprintf(stderr, "batchwatch: unknown command \"%s\"\n", cmd);
                help(stderr);
                return 2;
        }

        {
                _cleanup_(manager_freep) Manager *m = NULL;
                _cleanup_free_ char *error = NULL;
                Config probe;

                /* Reject a bad configuration before anything starts: exit status 2 with file:line. */
                r = load_config(&probe, &error, &a);
                if (r < 0) {
                        fprintf(stderr, "batchwatch: %s\n", strna(error));
                        log_error("Invalid configuration: %s", strna(error));
                        return 2;
                }
                log_set_max_level(probe.log_level);
                config_done(&probe);

                curl_global_init(CURL_GLOBAL_DEFAULT);
                r = manager_new(load_config, &a, &m);
                if (r < 0) {
                        curl_global_cleanup();
                        return 1;
                }
                log_info("batchwatch %s running", BATCHWATCH_VERSION);
                r = manager_run(m);
                m = manager_free(m);
                curl_global_cleanup();
                return r < 0 ? 1 : 0;
        }
}
