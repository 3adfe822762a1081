/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The EC2 instance this agent runs on, from IMDSv2. Fields are NULL while unknown. */

#include <stdbool.h>
#include <stdlib.h>

typedef struct Instance {
        bool known;           /* identity fetched from instance metadata */
        char *instance_id;
        char *instance_type;
        char *ami_id;
        char *region;
        char *availability_zone;
        char *availability_zone_id;
        char *life_cycle;     /* "spot" or "on-demand" */
        char *private_ipv4;
        unsigned vcpus;       /* host capacity, from the kernel (sysconf), not from IMDS */
        unsigned long long memory_bytes;
} Instance;

void instance_done(Instance *i);
