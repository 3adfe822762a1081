/* SPDX-License-Identifier: Apache-2.0 */
/* Time and number parsing with exact, cursor-walking rules; no sscanf, no locale. */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "time-util.h"

uint64_t now_realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

uint64_t now_monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static bool digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static bool expect(const char **p, char c) {
        if (**p != c)
                return false;
        (*p)++;
        return true;
}

int parse_rfc3339_ns(const char *s, uint64_t *ret) {
        const char *p = s;
        int Y, M, D, h, m, sec;
        uint64_t frac = 0;
        int64_t offset = 0;
        struct tm tm = {};
        time_t t;

        if (!s)
                return -EINVAL;
        if (!digits(&p, 4, &Y) || !expect(&p, '-') || !digits(&p, 2, &M) || !expect(&p, '-') ||
            !digits(&p, 2, &D) || !(expect(&p, 'T') || expect(&p, 't') || expect(&p, ' ')) ||
            !digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &m) || !expect(&p, ':') ||
            !digits(&p, 2, &sec))
                return -EBADMSG;
        if (*p == '.') {
                int n = 0;
                p++;
                while (isdigit((unsigned char) *p)) {
                        if (n < 9)
                                frac = frac * 10 + (uint64_t) (*p - '0');
                        n++, p++;
                }
                if (n == 0)
                        return -EBADMSG;
                for (; n < 9; n++)
                        frac *= 10;
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int oh, om, sign = *p == '-' ? -1 : 1;
                p++;
                if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om))
                        return -EBADMSG;
                offset = sign * (oh * 3600 + om * 60);
        } else
                return -EBADMSG;
        if (*p != 0)
                return -EBADMSG;
        if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
                return -EBADMSG;
        if (Y < 1970) { /* Docker's zero time, or anything before the epoch: "unset" */
                *ret = 0;
                return 0;
        }
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EBADMSG;
        t -= offset;
        if (t < 0) {
                *ret = 0;
                return 0;
        }
        *ret = (uint64_t) t * NSEC_PER_SEC + frac;
        return 0;
}

char *format_rfc3339_ns(uint64_t ns, char *buf, size_t len) {
        time_t t = (time_t) (ns / NSEC_PER_SEC);
        struct tm tm;
        char base[32];

        gmtime_r(&t, &tm);
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%s.%09lluZ", base, (unsigned long long) (ns % NSEC_PER_SEC));
        return buf;
}

int parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*s - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *ret = v;
        return 0;
}

/* number followed by an optional unit from the table; the table's factor scales the number */
typedef struct Unit {
        const char *suffix;
        uint64_t factor;
} Unit;

static int parse_with_units(const char *s, const Unit *units, size_t n_units, uint64_t *ret) {
        char num[32];
        size_t i = 0;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        while (*s == ' ')
                s++;
        while (isdigit((unsigned char) s[i]) && i < sizeof num - 1) {
                num[i] = s[i];
                i++;
        }
        num[i] = 0;
        if (i == 0)
                return -EINVAL;
        r = parse_u64(num, &v);
        if (r < 0)
                return r;
        s += i;
        while (*s == ' ')
                s++;
        for (size_t k = 0; k < n_units; k++)
                if (strcasecmp(s, units[k].suffix) == 0) {
                        if (units[k].factor && v > UINT64_MAX / units[k].factor)
                                return -ERANGE;
                        *ret = v * units[k].factor;
                        return 0;
                }
        return -EINVAL;
}

int parse_duration_usec(const char *s, uint64_t *ret) {
        static const Unit units[] = {
                { "", USEC_PER_SEC },       { "s", USEC_PER_SEC },        { "sec", USEC_PER_SEC },
                { "ms", 1000 },             { "us", 1 },                  { "m", 60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC }, { "d", 86400 * USEC_PER_SEC },
        };
        return parse_with_units(s, units, ELEMENTSOF(units), ret);
}

int parse_size_bytes(const char *s, uint64_t *ret) {
        static const Unit units[] = {
                { "", 1 },          { "B", 1 },           { "K", 1ULL << 10 }, { "KiB", 1ULL << 10 },
                { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
        };
        return parse_with_units(s, units, ELEMENTSOF(units), ret);
}

int parse_bool(const char *s) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}
