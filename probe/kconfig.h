/* Kernel build configuration: /proc/config.gz or /boot/config-RELEASE, parsed. */
#ifndef DIYC_KCONFIG_H
#define DIYC_KCONFIG_H

#include <stddef.h>

struct kconfig_opt {
	char *name;  /* without the CONFIG_ prefix */
	char *value; /* "y", "m", "n" (from "is not set"), or the raw value */
};

struct kconfig {
	char *text; /* the file; names and values point into it */
	struct kconfig_opt *v;
	size_t n;
	char header_version[64]; /* "6.1.55" from "# Linux/x86 6.1.55 Kernel Configuration" */
	size_t bad_lines;
};

/*
 * Parse config text; kc takes ownership of the malloc'ed text (freed by
 * kconfig_free, also on failure). Returns 0, -ENOMEM, or -EINVAL when no
 * option was found.
 */
int kconfig_parse_owned(char *text, struct kconfig *kc);
/* The same for a caller's constant text (copied). */
int kconfig_parse(const char *text, struct kconfig *kc);
/* Read a plain or gzip-compressed config file (zlib reads both). Returns 0 or -errno. */
int kconfig_load(const char *path, struct kconfig *kc);
void kconfig_free(struct kconfig *kc);

/* Value of an option (name without CONFIG_), or NULL when absent. */
const char *kconfig_get(const struct kconfig *kc, const char *name);

#endif
