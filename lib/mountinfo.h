/* Parser for /proc/PID/mountinfo (proc(5)). */
#ifndef DIYC_MOUNTINFO_H
#define DIYC_MOUNTINFO_H

#include <stddef.h>

struct mnt_entry {
	int id, parent;
	unsigned major, minor;
	char *root;	  /* root of the mount within its filesystem */
	char *mountpoint; /* unescaped (\040 -> space) */
	char *options;	  /* per-mount options */
	char *fstype;
	char *source;
	char *super; /* super-block options, e.g. "rw,memory" for cgroup v1 */
};

struct mountinfo {
	struct mnt_entry *v;
	size_t n;
	size_t bad_lines; /* lines that did not parse, skipped */
};

/* Parse a whole mountinfo text. Returns 0 or -ENOMEM; bad lines are counted, not fatal. */
int mountinfo_parse(const char *text, struct mountinfo *mi);
/* Read and parse a file. Returns 0 or -errno. */
int mountinfo_load(const char *path, struct mountinfo *mi);
void mountinfo_free(struct mountinfo *mi);

/* Parse one line in place (the line is modified). Returns 0 or -EINVAL. */
int mountinfo_parse_line(char *line, struct mnt_entry *e);

/* The last (topmost) entry mounted exactly at path, or NULL. */
const struct mnt_entry *mountinfo_at(const struct mountinfo *mi, const char *path);

/* Whether a comma-separated option list contains opt exactly. */
int option_has(const char *list, const char *opt);

#endif
