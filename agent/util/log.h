/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Logging. Under systemd (JOURNAL_STREAM names our stderr) entries go to the journal with
 * structured fields (JOB_ID=, CONTAINER_ID=, CGROUP=); otherwise one line per entry on stderr.
 * Only the manager and event callbacks log; parsers and util/ return negative errno instead.
 * The *_errno variants set errno from the error so "%m" prints it, and return the (negative) error
 * so a caller can write `return log_error_errno(r, "...: %m");`.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s); /* "debug", "info", ... → LOG_*; -EINVAL */
const char *log_level_to_string(int level);
void log_open(void); /* decides journal or stderr */
void log_set_target_stderr(bool stderr_only);

/* Returns -abs(error) (or 0 when error is 0). `fields` is NULL or "KEY=value" pairs ending with NULL. */
int log_internal(int level, int error, const char *const *fields, const char *file, int line,
                 const char *func, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...)                                                     \
        ({                                                                                    \
                int _l_ = (level), _e_ = (error);                                             \
                (log_get_max_level() >= _l_) ?                                                \
                        log_internal(_l_, _e_, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__) : \
                        -abs(_e_);                                                            \
        })

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* Entries about one container or job carry its ids as journal fields. */
#define log_container_full_errno(level, error, container_id, job_id, ...)                          \
        ({                                                                                        \
                int _l_ = (level), _e_ = (error);                                                 \
                const char *_f_[] = { "CONTAINER_ID", (container_id), "JOB_ID", (job_id), NULL }; \
                (log_get_max_level() >= _l_) ?                                                    \
                        log_internal(_l_, _e_, _f_, __FILE__, __LINE__, __func__, __VA_ARGS__) :  \
                        -abs(_e_);                                                                \
        })

/* Rate limit for repeated warnings about one thing: at most `burst` per `interval_usec`. */
typedef struct RateLimit {
        unsigned long long interval_usec, begin;
        unsigned burst, num, suppressed;
} RateLimit;
bool ratelimit_below(RateLimit *rl, unsigned long long now_usec);
