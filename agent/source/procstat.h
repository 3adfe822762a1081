/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Whole-host CPU utilisation from /proc/stat's "cpu" line, between two readings. */

#include <stddef.h>
#include <stdint.h>

typedef struct ProcStat {
        int fd;
        uint64_t prev_busy, prev_total;
        double utilisation; /* percent, between the last two readings; <0 before the second */
} ProcStat;

/* Pure: "cpu  user nice system idle iowait irq softirq steal ..." → busy and total jiffies. */
int procstat_parse(const char *buf, size_t len, uint64_t *busy, uint64_t *total);
int procstat_open(ProcStat *p, const char *proc_root);
int procstat_read(ProcStat *p);
void procstat_close(ProcStat *p);
