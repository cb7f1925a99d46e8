/* One resource limit: a bundle's process.rlimits entry (oci_spec.c) and diyc run's
 * --ulimit (run_priv.c), applied by the container process and clamped by features.c. */
#ifndef DIYC_RLIMIT_H
#define DIYC_RLIMIT_H

#include <stdint.h>

struct run_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* RLIMIT_NOFILE <-> its number ("RLIMIT_?" and -1 for an unknown one) */
const char *rlimit_name(int res);
int rlimit_number(const char *name);

#endif
