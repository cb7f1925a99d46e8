/*
 * The container's cgroups, always created (even without limits): they are how
 * diyc finds every process of a container, which on a kernel without a PID
 * namespace is the only way to kill what the container left running.
 *
 * Layout follows the host: where each hierarchy is mounted comes from the profile
 * (cgroups.homes, measured by the probe; one statfs each checks it still holds, else
 * mountinfo is read), our own place in each from /proc/self/cgroup, read live (it
 * belongs to this process, not to the host):
 *  - v2 (unified, or the bare v2 hierarchy of a hybrid host): OWN/diyc-NAME,
 *    used for tracking and for the controllers that live on v2;
 *  - v1: OWN/diyc-NAME in each controller's hierarchy that a limit needs,
 *    plus freezer (or pids) for tracking when there is no v2 hierarchy.
 * OWN is diyc's own cgroup in that hierarchy: nothing is created elsewhere.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/cglayout.h"
#include "lib/proccgroup.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int write_file_in(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	if (fmt(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	return write_file(path, val);
}

/* diyc-oci's linux.cgroupsPath for this setup (NULL: OWN/diyc-NAME) and the
 * controllers to enable on the way down a v2 tree */
static const char *oci_path;
static char v2_enable[64];

/* mkdir -p of path below base (which exists); on v2 each new parent delegates the
 * controllers the container's limits need */
static int mkdir_below(const char *base, const char *path, bool v2)
{
	char p[PATH_MAX];
	size_t bl = strlen(base);
	if (fmt(p, sizeof(p), "%s", path) < 0)
		return -ENAMETOOLONG;
	for (char *c = p + bl + 1; (c = strchr(c, '/')); c++) {
		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (v2 && v2_enable[0])
			write_file_in(p, "cgroup.subtree_control", v2_enable);
		*c = '/';
	}
	return mkdir(p, 0755) < 0 ? -errno : 0;
}

/*
 * The container's directory in one hierarchy: PARENT/diyc-NAME, or for diyc-oci its
 * cgroupsPath: an absolute one from the hierarchy's mount (as runc reads it), a
 * relative one below our own.  Only `..`-free paths are taken (oci_cmds.c checks).
 */
static int add_dir(struct cg_plan *p, const struct mnt_entry *m, const char *parent,
		   const char *name, const char *what)
{
	if (p->n >= (int)ARRAY_SIZE(p->dirs))
		return -ENOSPC;
	const char *base = parent;
	int r = !oci_path
		    ? fmt(p->dirs[p->n], sizeof(p->dirs[0]), "%s/" DC_CG_PREFIX "%s", parent, name)
		: oci_path[0] == '/'
		    ? fmt(p->dirs[p->n], sizeof(p->dirs[0]), "%s%s", base = m->mountpoint, oci_path)
		    : fmt(p->dirs[p->n], sizeof(p->dirs[0]), "%s/%s", parent, oci_path);
	if (r < 0)
		return -ENAMETOOLONG;
	snprintf(p->ctrls[p->n], sizeof(p->ctrls[0]), "%s", what);
	r = oci_path ? mkdir_below(base, p->dirs[p->n], !strcmp(what, "v2"))
		     : (mkdir(p->dirs[p->n], 0755) < 0 ? -errno : 0);
	if (r < 0)
		return r;
	return p->n++;
}

static int write_in(const char *dir, const char *file, const char *val, struct dc_err *e)
{
	int r = write_file_in(dir, file, val);
	if (r < 0)
		return dc_fail(e, -r, "cannot write %s=%s in %s", file, val, dir);
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];
	return fmt(path, sizeof(path), "%s/%s", dir, file) == 0 && path_exists(path);
}

/* Which hierarchy a controller lives in: a v1 mount, or v2, or nowhere. */
static const struct mnt_entry *home(const struct mountinfo *mi, const char *ctrl, bool *on_v2,
				    const char *v2_ctrls)
{
	const struct mnt_entry *m = cg_v1_mount(mi, ctrl);
	*on_v2 = !m && cg_list_has(v2_ctrls, ctrl);
	return m;
}

static int limits(const struct run_opts *o, const char *dir, const char *ctrl, bool v2,
		  struct dc_err *e)
{
	char v[64];
	if (!strcmp(ctrl, "memory") && o->has_memory) {
		snprintf(v, sizeof(v), "%" PRIu64, o->memory);
		if (write_in(dir, v2 ? "memory.max" : "memory.limit_in_bytes", v, e) < 0)
			return -1;
		/* swap limited to the same value: memory+swap (v1), no swap beyond it (v2) */
		if (v2 && has_file(dir, "memory.swap.max") &&
		    write_in(dir, "memory.swap.max", "0", e) < 0)
			return -1;
		if (!v2 && has_file(dir, "memory.memsw.limit_in_bytes") &&
		    write_in(dir, "memory.memsw.limit_in_bytes", v, e) < 0)
			return -1;
	}
	if (!strcmp(ctrl, "cpu") && o->has_cpus) {
		if (v2) {
			snprintf(v, sizeof(v), "%" PRIu64 " 100000", o->cpu_quota);
			if (write_in(dir, "cpu.max", v, e) < 0)
				return -1;
		} else {
			snprintf(v, sizeof(v), "%" PRIu64, o->cpu_quota);
			if (write_in(dir, "cpu.cfs_period_us", "100000", e) < 0 ||
			    write_in(dir, "cpu.cfs_quota_us", v, e) < 0)
				return -1;
		}
	}
	if (!strcmp(ctrl, "pids") && o->has_pids) {
		snprintf(v, sizeof(v), "%ld", o->pids);
		if (write_in(dir, "pids.max", v, e) < 0)
			return -1;
	}
	return 0;
}

/* What cg_setup reads once: the mounts, our own membership, the v2 parent. */
struct cg_layout {
	struct mountinfo mi;
	struct cg_membership own;
	const struct mnt_entry *v2; /* NULL: no usable v2 hierarchy */
	char v2parent[PATH_MAX], v2ctrls[512];
};

static int layout_load(const struct features *f, struct cg_layout *L, struct dc_err *e)
{
	char buf[8192];
	/* not a memset of the whole: own holds 135 KB of lines, which cg_membership_parse
	 * writes only as far as it counts (the memset was a third of diyc run's
	 * instructions and 33 stack pages); the parsers set mi and own themselves */
	L->mi = (struct mountinfo){0};
	L->own.n = L->own.bad_lines = 0;
	L->v2 = NULL;
	L->v2parent[0] = L->v2ctrls[0] = '\0';
	/* the homes the probe measured, each re-checked with a statfs; else measure */
	if (dc_facts_homes_mountinfo(&f->facts, &L->mi) < 0) {
		if (f->facts.have_homes)
			dc_info("the profile's cgroup homes are out of date: reading mountinfo");
		if (mountinfo_load("/proc/self/mountinfo", &L->mi) < 0)
			return dc_fail(e, 0,
				       "cannot read the cgroup layout (/proc/self/mountinfo)");
	}
	if (read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0 ||
	    cg_membership_parse(buf, &L->own) < 0) {
		mountinfo_free(&L->mi);
		return dc_fail(e, 0, "cannot read the cgroup layout (/proc/self/cgroup)");
	}
	L->v2 = cg_v2_mount(&L->mi);
	const struct cg_member *own2 = cg_membership_v2(&L->own);
	/* a profile of a legacy (v1-only) host: its cgroup2 mount, if any, is not used,
	 * as long as a v1 hierarchy can track the container */
	if (f->cg_legacy && (cg_v1_mount(&L->mi, "freezer") || cg_v1_mount(&L->mi, "pids")))
		L->v2 = NULL;
	if (L->v2 && own2 && cg_own_dir(L->v2, own2->path, L->v2parent, sizeof(L->v2parent)) == 0) {
		snprintf(buf, sizeof(buf), "%s/cgroup.controllers", L->v2parent);
		read_line(buf, L->v2ctrls, sizeof(L->v2ctrls));
	} else {
		L->v2 = NULL;
	}
	return 0;
}

/* v2 first: tracking, cgroup.kill, and whatever controllers live there */
static int setup_v2(const char *name, const struct run_opts *o, struct cg_layout *L,
		    struct cg_plan *p, struct dc_err *e)
{
	char buf[PATH_MAX + 32];
	for (int i = 0; i < DC_CG_NCTRLS; i++) {
		bool on_v2;
		home(&L->mi, dc_cg_ctrls[i].name, &on_v2, L->v2ctrls);
		if (!run_limit_asked(o, i) || !on_v2)
			continue;
		char op[32];
		snprintf(op, sizeof(op), "+%s", dc_cg_ctrls[i].name);
		strappend(v2_enable, sizeof(v2_enable), " ", "%s", op);
		snprintf(buf, sizeof(buf), "%s/cgroup.subtree_control", L->v2parent);
		int w = write_file(buf, op);
		if (w < 0)
			return dc_fail(e, 0, "cannot enable the %s controller below %s: %s%s",
				       dc_cg_ctrls[i].name, L->v2parent, strerror(-w),
				       w == -EBUSY ? " (diyc's cgroup holds processes: run diyc "
						     "from a cgroup with the controller delegated)"
						   : "");
	}
	int idx = add_dir(p, L->v2, L->v2parent, name, "v2");
	if (idx < 0)
		return dc_fail(e, -idx, "cannot create the cgroup " DC_CG_PREFIX "%s below %s",
			       name, L->v2parent);
	p->kill_idx = idx;
	p->v2_kill = has_file(p->dirs[idx], "cgroup.kill");
	p->v2_freeze = has_file(p->dirs[idx], "cgroup.freeze");
	for (int i = 0; i < DC_CG_NCTRLS; i++) {
		bool on_v2;
		home(&L->mi, dc_cg_ctrls[i].name, &on_v2, L->v2ctrls);
		if (run_limit_asked(o, i) && on_v2 &&
		    limits(o, p->dirs[idx], dc_cg_ctrls[i].name, true, e) < 0)
			return -1;
	}
	return 0;
}

/* one v1 hierarchy: the controller's directory below our own, its limits */
static int setup_v1_one(const char *name, const struct run_opts *o, struct cg_layout *L,
			const char *ctrl, bool limit, struct cg_plan *p, struct dc_err *e)
{
	char parent[PATH_MAX];
	bool on_v2;
	const struct mnt_entry *m = home(&L->mi, ctrl, &on_v2, L->v2ctrls);
	const struct cg_member *mine = cg_membership_v1(&L->own, ctrl);
	if (!mine || cg_own_dir(m, mine->path, parent, sizeof(parent)) < 0)
		return dc_fail(e, 0, "cannot find diyc's own %s cgroup", ctrl);
	int idx = add_dir(p, m, parent, name, ctrl);
	if (idx < 0)
		return dc_fail(e, -idx, "cannot create the cgroup " DC_CG_PREFIX "%s below %s",
			       name, parent);
	if (!strcmp(ctrl, "freezer"))
		p->v1_freezer_idx = idx;
	return limit ? limits(o, p->dirs[idx], ctrl, false, e) : 0;
}

/* v1: limits, and tracking through freezer (or pids) when there is no v2 */
static int setup_v1(const char *name, const struct run_opts *o, const struct features *f,
		    struct cg_layout *L, struct cg_plan *p, struct dc_err *e)
{
	bool on_v2;
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		if (run_limit_asked(o, i) &&
		    home(&L->mi, dc_cg_ctrls[i].name, &on_v2, L->v2ctrls) &&
		    setup_v1_one(name, o, L, dc_cg_ctrls[i].name, true, p, e) < 0)
			return -1;
	if (p->kill_idx < 0 && home(&L->mi, "freezer", &on_v2, L->v2ctrls) &&
	    setup_v1_one(name, o, L, "freezer", false, p, e) < 0)
		return -1;
	if (p->kill_idx < 0)
		p->kill_idx = p->v1_freezer_idx >= 0 ? p->v1_freezer_idx : (p->n ? 0 : -1);
	/* a pids-only v1 host: track through pids */
	if (p->kill_idx < 0 && f->cg_tracking && cg_v1_mount(&L->mi, "pids") &&
	    setup_v1_one(name, o, L, "pids", false, p, NULL) == 0)
		p->kill_idx = p->n - 1;
	return 0;
}

/*
 * The profile says cgroups track processes, yet no hierarchy is mounted in this mount
 * namespace (one with a fresh /sys, as `ip netns exec` makes, or /sys/fs/cgroup
 * unmounted).  With a PID namespace the container's processes still die with its
 * init: run, and say so.  Without one, a process it leaves behind (a daemon that
 * forked away) could be found by nothing: refuse, as --strict refuses any degradation.
 */
static int untracked(const struct run_opts *o, const struct features *f, struct dc_err *e)
{
	if (!f->ns[NS_PID])
		return dc_fail(e, 0,
			       "no cgroup hierarchy is mounted here (the profile found one), and "
			       "without a PID namespace the processes a container leaves behind "
			       "could not be found: run diyc where /sys/fs/cgroup is mounted");
	if (o->strict)
		return dc_fail(e, 0,
			       "--strict: refusing to run degraded: no cgroup hierarchy is "
			       "mounted here (the profile found one)");
	dc_warn("degraded: no cgroup hierarchy is mounted here (the profile found one): "
		"processes are tracked by the PID namespace only");
	return 0;
}

int cg_setup(const char *name, const struct run_opts *o, const struct features *f,
	     struct cg_plan *p, struct dc_err *e)
{
	static struct cg_layout L; /* large; one setup per process */
	memset(p, 0, sizeof(*p));
	p->kill_idx = p->v1_freezer_idx = -1;
	oci_path = o->cgroup_path;
	v2_enable[0] = '\0';
	bool asked = false;
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		asked |= run_limit_asked(o, i);
	if (!f->cg_tracking && !asked)
		return 0; /* degraded: already warned */
	if (layout_load(f, &L, e) < 0)
		return -1;
	int r = L.v2 ? setup_v2(name, o, &L, p, e) : 0;
	if (r == 0)
		r = setup_v1(name, o, f, &L, p, e);
	mountinfo_free(&L.mi);
	if (r == 0 && p->kill_idx < 0 && f->cg_tracking)
		r = untracked(o, f, e);
	if (r < 0) {
		cg_destroy(p);
		memset(p, 0, sizeof(*p));
		p->kill_idx = p->v1_freezer_idx = -1;
	}
	return r;
}

/*
 * Moving a task between cgroups takes the kernel's threadgroup rwsem for
 * writing, and the first such write in a while waits for an RCU grace period
 * (5-11 ms for a lone write on the development VM, more when it is busy).  A child
 * born in its v2 cgroup by clone3(CLONE_INTO_CGROUP) takes it only for reading,
 * so only the v1 directories (limits on a hybrid or v1 host) are written here.
 */
int cg_open_v2(const struct cg_plan *p)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->ctrls[i], "v2"))
			return open(p->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return -1;
}

int cg_attach(const struct cg_plan *p, pid_t pid, bool born_in_v2, struct dc_err *e)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; i < p->n; i++) {
		if (born_in_v2 && !strcmp(p->ctrls[i], "v2"))
			continue;
		if (write_in(p->dirs[i], "cgroup.procs", v, e) < 0)
			return -1;
	}
	return 0;
}

/* Pids listed in a cgroup; returns the count, or -1 when unreadable. */
static int procs(const char *dir, pid_t *out, int max)
{
	char path[PATH_MAX], buf[65536];
	if (fmt(path, sizeof(path), "%s/cgroup.procs", dir) < 0 ||
	    read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	int n = 0;
	for (char *s = buf; *s && n < max;) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		out[n++] = (pid_t)v;
		s = end;
		while (*s == '\n')
			s++;
	}
	return n;
}

int cg_procs(const struct cg_plan *p, pid_t *out, int max)
{
	return p->kill_idx < 0 ? -1 : procs(p->dirs[p->kill_idx], out, max);
}

int cg_freeze(const struct cg_plan *p, bool on)
{
	if (p->kill_idx >= 0 && !strcmp(p->ctrls[p->kill_idx], "v2") && p->v2_freeze)
		return write_file_in(p->dirs[p->kill_idx], "cgroup.freeze", on ? "1" : "0");
	if (p->v1_freezer_idx >= 0) {
		const char *d = p->dirs[p->v1_freezer_idx];
		int r = write_file_in(d, "freezer.state", on ? "FROZEN" : "THAWED");
		if (r < 0 || !on)
			return r;
		/* freezing is asynchronous in v1: wait until the whole group is frozen */
		char path[PATH_MAX], st[32];
		fmt(path, sizeof(path), "%s/freezer.state", d);
		for (int i = 0; i < 200; i++) {
			if (read_line(path, st, sizeof(st)) == 0 && !strcmp(st, "FROZEN"))
				return 0;
			sleep_ms(1);
		}
		return -ETIMEDOUT;
	}
	return -ENOTSUP;
}

int cg_kill_all(const struct cg_plan *p)
{
	pid_t pids[4096];
	int total = 0;
	if (p->kill_idx < 0)
		return 0;
	const char *dir = p->dirs[p->kill_idx];
	int n = procs(dir, pids, (int)ARRAY_SIZE(pids));
	if (n == 0)
		return 0; /* the usual end of a container: nothing left, nothing to freeze */
	if (p->v2_kill && n > 0 && write_file_in(dir, "cgroup.kill", "1") == 0)
		return n;
	/* Freeze first so nothing can fork while we kill, then SIGKILL each, then thaw. */
	for (int round = 0; round < 100; round++) {
		bool frozen = cg_freeze(p, true) == 0;
		n = procs(dir, pids, (int)ARRAY_SIZE(pids));
		for (int i = 0; i < n; i++)
			if (kill(pids[i], SIGKILL) == 0)
				total++;
		if (frozen)
			cg_freeze(p, false);
		if (n <= 0)
			break;
		sleep_ms(1);
	}
	return total;
}

int cg_destroy(const struct cg_plan *p)
{
	int first = 0;
	for (int i = p->n - 1; i >= 0; i--) {
		int r = -EBUSY;
		for (int t = 0; t < 500 && r == -EBUSY; t++) {
			r = rmdir(p->dirs[i]) == 0 || errno == ENOENT ? 0 : -errno;
			if (r == -EBUSY)
				sleep_ms(2);
		}
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

void cg_plan_from_state(const struct state *st, struct cg_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->kill_idx = p->v1_freezer_idx = -1;
	for (int i = 0; i < st->ncgroups && i < (int)ARRAY_SIZE(p->dirs); i++) {
		snprintf(p->dirs[i], sizeof(p->dirs[0]), "%s", st->cgroups[i]);
		if (!strcmp(st->cgroups[i], st->kill_dir))
			p->kill_idx = i;
		if (has_file(p->dirs[i], "freezer.state"))
			p->v1_freezer_idx = i;
		if (has_file(p->dirs[i], "cgroup.kill"))
			p->v2_kill = true;
		if (has_file(p->dirs[i], "cgroup.freeze")) {
			p->v2_freeze = true;
			snprintf(p->ctrls[i], sizeof(p->ctrls[0]), "v2");
		}
		p->n++;
	}
}
