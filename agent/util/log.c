/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log sink selection follows systemd's rule: JOURNAL_STREAM="dev:ino" matching our stderr means the
 * service manager connected stderr to the journal, so native journal entries (with fields) are
 * better than plain lines. Anything else gets "<level> message" lines on stderr.
 */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool use_journal = false;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",  [LOG_ERR] = "error",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i]))
                        return (int) i;
        if (streq(s, "err"))
                return LOG_ERR;
        if (streq(s, "warn"))
                return LOG_WARNING;
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(level_names))
                return "unknown";
        return level_names[level];
}

void log_set_target_stderr(bool stderr_only) {
        use_journal = !stderr_only && use_journal;
}

void log_open(void) {
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        use_journal = false;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return;
        if (fstat(STDERR_FILENO, &st) < 0)
                return;
        use_journal = (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

int log_internal(int level, int error, const char *const *fields, const char *file, int line,
                 const char *func, const char *format, ...) {
        char msg[2048];
        va_list ap;

        if (error != 0)
                errno = abs(error);
        va_start(ap, format);
        vsnprintf(msg, sizeof msg, format, ap);
        va_end(ap);

        if (use_journal) {
                struct iovec iov[16];
                char buf[12][256];
                size_t n = 0, b = 0;

                snprintf(buf[b], sizeof buf[b], "PRIORITY=%d", level);
                iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                snprintf(buf[b], sizeof buf[b], "CODE_FILE=%s", file);
                iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                snprintf(buf[b], sizeof buf[b], "CODE_LINE=%d", line);
                iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                snprintf(buf[b], sizeof buf[b], "CODE_FUNC=%s", func);
                iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                if (error != 0) {
                        snprintf(buf[b], sizeof buf[b], "ERRNO=%d", abs(error));
                        iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                }
                for (size_t i = 0; fields && fields[i] && b < ELEMENTSOF(buf); i += 2) {
                        if (!fields[i + 1] || !fields[i + 1][0])
                                continue;
                        snprintf(buf[b], sizeof buf[b], "%s=%s", fields[i], fields[i + 1]);
                        iov[n++] = (struct iovec){ buf[b], strlen(buf[b]) }, b++;
                }
                char m[2100];
                snprintf(m, sizeof m, "MESSAGE=%s", msg);
                iov[n++] = (struct iovec){ m, strlen(m) };
                if (sd_journal_sendv(iov, (int) n) >= 0)
                        return -abs(error);
        }

        fprintf(stderr, "batchwatch[%s]: ", log_level_to_string(level));
        for (size_t i = 0; fields && fields[i]; i += 2)
                if (fields[i + 1] && fields[i + 1][0])
                        fprintf(stderr, "%s=%.12s ", fields[i], fields[i + 1]);
        fprintf(stderr, "%s\n", msg);
        return -abs(error);
}

bool ratelimit_below(RateLimit *rl, unsigned long long now) {
        if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
                rl->begin = now;
                rl->num = 0;
        }
        if (rl->num < rl->burst) {
                rl->num++;
                return true;
        }
        rl->suppressed++;
        return false;
}
