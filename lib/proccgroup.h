/* Parsers for /proc/PID/cgroup (membership) and /proc/cgroups (controllers). */
#ifndef DIYC_PROCCGROUP_H
#define DIYC_PROCCGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CG_MAX_LINES 32
#define CG_MAX_CTRLS 32

/* One line of /proc/PID/cgroup: "4:memory:/a/b", or "0::/a" for cgroup v2. */
struct cg_member {
	int hierarchy;
	char controllers[128]; /* "cpu,cpuacct", "name=systemd", "" for v2 */
	char path[PATH_MAX];
};

struct cg_membership {
	struct cg_member v[CG_MAX_LINES];
	size_t n;
	size_t bad_lines;
};

/* Parse the text of /proc/PID/cgroup. Returns 0, or -EINVAL when nothing parsed. */
int cg_membership_parse(const char *text, struct cg_membership *m);

/* The v1 line listing controller ctrl (exact member of the list), or NULL. */
const struct cg_member *cg_membership_v1(const struct cg_membership *m, const char *ctrl);
/* The "0::" line, or NULL. */
const struct cg_member *cg_membership_v2(const struct cg_membership *m);

/* One row of /proc/cgroups: "memory 4 9 1". */
struct cg_controller {
	char name[32];
	int hierarchy; /* 0 = not bound to a v1 hierarchy (free for v2, or unused) */
	int num_cgroups;
	bool enabled;
};

struct cg_controllers {
	struct cg_controller v[CG_MAX_CTRLS];
	size_t n;
	size_t bad_lines;
};

/* Parse /proc/cgroups. Returns 0, or -EINVAL when the header or every row is garbage. */
int cg_controllers_parse(const char *text, struct cg_controllers *c);
const struct cg_controller *cg_controllers_find(const struct cg_controllers *c, const char *name);

#endif
