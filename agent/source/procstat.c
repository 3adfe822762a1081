/* SPDX-License-Identifier: Apache-2.0 */
/* Opened once and re-read with pread at offset 0, like the cgroup files. */

#include <fcntl.h>
#include <stdio.h>

#include "source/procstat.h"
#include "util/macro.h"

int procstat_parse(const char *buf, size_t len, uint64_t *busy, uint64_t *total) {
        const char *p = buf, *end = buf + len;
        uint64_t v[10] = {};
        size_t n = 0;

        if (len < 4 || buf[0] != 'c' || buf[1] != 'p' || buf[2] != 'u' || buf[3] != ' ')
                return -EBADMSG;
        p += 4;
        while (p < end && *p != '\n' && n < ELEMENTSOF(v)) {
                while (p < end && *p == ' ')
                        p++;
                if (p >= end || *p < '0' || *p > '9')
                        break;
                while (p < end && *p >= '0' && *p <= '9')
                        v[n] = v[n] * 10 + (uint64_t) (*p++ - '0');
                n++;
        }
        if (n < 4)
                return -EBADMSG;
        /* guest and guest_nice (8, 9) are already inside user and nice */
        *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        *busy = *total - v[3] - v[4];
        return 0;
}

int procstat_open(ProcStat *p, const char *proc_root) {
        char path[512];
        snprintf(path, sizeof path, "%s/stat", proc_root);
        *p = (ProcStat){ .utilisation = -1 };
        p->fd = open(path, O_RDONLY | O_CLOEXEC);
        return p->fd < 0 ? -errno : 0;
}

int procstat_read(ProcStat *p) {
        char buf[1024]; /* the first line is all we need */
        uint64_t busy, total;
        ssize_t k;
        int r;

        if (p->fd < 0)
                return -EBADF;
        k = pread(p->fd, buf, sizeof buf - 1, 0);
        if (k < 0)
                return -errno;
        r = procstat_parse(buf, (size_t) k, &busy, &total);
        if (r < 0)
                return r;
        if (p->prev_total && total > p->prev_total)
                p->utilisation = 100.0 * (double) (busy - p->prev_busy) / (double) (total - p->prev_total);
        p->prev_busy = busy;
        p->prev_total = total;
        return 0;
}

void procstat_close(ProcStat *p) {
        p->fd = safe_close(p->fd);
}
