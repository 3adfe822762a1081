/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The bin-packing picture of the host: what running jobs requested against capacity, and what they use. */

#include <stdint.h>

typedef struct HostView {
        uint64_t time_ns;           /* realtime ns of the sample */
        unsigned running_jobs;
        unsigned running_containers; /* jobs and non-job containers */
        double capacity_vcpus;
        uint64_t capacity_memory_bytes;
        double requested_vcpus;     /* sum over running jobs */
        uint64_t requested_memory_bytes;
        double used_vcpus;          /* sum of running jobs' CPU now */
        uint64_t used_memory_bytes;
        double host_cpu_utilisation; /* 0..100, whole host, from /proc/stat */
} HostView;
