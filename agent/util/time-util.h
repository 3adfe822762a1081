/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Clocks and timestamp parsing. Agent-internal times are realtime ns (uint64) unless named _usec. */

#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL
#define USEC_PER_SEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

uint64_t now_realtime_ns(void);
uint64_t now_monotonic_usec(void);

/* RFC 3339 with optional fraction, "Z" or ±hh:mm: "2026-01-01T00:00:00.123456789Z".
 * Docker's zero time "0001-01-01T00:00:00Z" gives 0. -EBADMSG on anything else. */
int parse_rfc3339_ns(const char *s, uint64_t *ret);
/* Formats realtime ns as "2026-01-01T00:00:00.123456789Z" into buf (>= 31 bytes). */
char *format_rfc3339_ns(uint64_t ns, char *buf, size_t len);
/* "10s", "500ms", "1h", "2m", "1d", plain seconds: duration in usec. */
int parse_duration_usec(const char *s, uint64_t *ret);
/* "64MiB", "1G", "4096": bytes. */
int parse_size_bytes(const char *s, uint64_t *ret);
int parse_u64(const char *s, uint64_t *ret);
int parse_bool(const char *s); /* 1, 0, or -EINVAL */
