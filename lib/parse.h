/* Parsers for command-line values: sizes, CPU shares, counts, signals, durations. */
#ifndef DIYC_PARSE_H
#define DIYC_PARSE_H

#include <stdint.h>

/* "64m", "1g", "4096", "512k": bytes. Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *bytes);
/* "1.5" CPUs -> quota in microseconds per 100000 us period (1.5 -> 150000). */
int parse_cpus(const char *s, uint64_t *quota_us);
/* A positive decimal count within [min, max]. */
int parse_count(const char *s, long min, long max, long *out);
/* "TERM", "SIGTERM", "15": a signal number. */
int parse_signal(const char *s, int *sig);

#endif
