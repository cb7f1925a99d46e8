/* Parsers for /proc/filesystems, /proc/cmdline and /proc/PID/status. */
#ifndef DIYC_PROCPARSE_H
#define DIYC_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1 if fstype is listed in /proc/filesystems text, 0 if not. */
int filesystems_has(const char *text, const char *fstype);

/*
 * Find "key=value" (or a bare "key") on a kernel command line, honouring
 * double quotes and stopping at "--" (what follows belongs to init).
 * Returns 1 and copies the value (empty for a bare key) when found, else 0.
 * The last occurrence wins, as in the kernel.
 */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t len);

/* Fields of /proc/PID/status that the probe uses. */
struct proc_status {
	bool have_caps;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	bool have_amb;
	int no_new_privs;    /* -1 when absent */
	int seccomp;	     /* -1 when absent (kernel without CONFIG_SECCOMP) */
	int seccomp_filters; /* -1 when absent */
	long uid_eff;	     /* -1 when absent */
};

/* Returns 0, or -EINVAL when the capability lines are missing or garbage. */
int status_parse(const char *text, struct proc_status *st);

#endif
