/*
 * The container's cgroups, always created (even without limits): they are how
 * diyc finds every process of a container, which on a kernel without a PID
 * namespace is the only way to kill what the container left running.
 *
 * Layout follows the host, read live from mountinfo and /proc/self/cgroup:
 *  - v2 (unified, or the bare v2 hierarchy of a hybrid host): OWN/diyc-NAME,
 *    used for tracking and for the controllers that live on v2;
 *  - v1: OWN/diyc-NAME in each controller's hierarchy that a limit needs,
 *    plus freezer (or pids) for tracking when there is no v2 hierarchy.
 * OWN is diyc's own cgroup in that hierarchy: nothing is created elsewhere.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "cglayout.h"
#include "proccgroup.h"
#include "util.h"

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

static int add_dir(struct cg_plan *p, const char *parent, const char *name, const char *what)
{
	if (p->n >= (int)ARRAY_SIZE(p->dirs))
		return -ENOSPC;
	if (fmt(p->dirs[p->n], sizeof(p->dirs[0]), "%s/" DC_CG_PREFIX "%s", parent, name) < 0)
		return -ENAMETOOLONG;
	snprintf(p->ctrls[p->n], sizeof(p->ctrls[0]), "%s", what);
	if (mkdir(p->dirs[p->n], 0755) < 0)
		return -errno;
	return p->n++;
}

static int write_file_in(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	if (fmt(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	return write_file(path, val);
}

static int write_in(const char *dir, const char *file, const char *val)
{
	int r = write_file_in(dir, file, val);
	if (r < 0)
		err("cannot write %s=%s in %s: %s", file, val, dir, strerror(-r));
	return r;
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

static int limits(const struct run_opts *o, const char *dir, const char *ctrl, bool v2)
{
	char v[64];
	if (!strcmp(ctrl, "memory") && o->has_memory) {
		snprintf(v, sizeof(v), "%" PRIu64, o->memory);
		if (write_in(dir, v2 ? "memory.max" : "memory.limit_in_bytes", v) < 0)
			return -1;
		/* swap limited to the same value: memory+swap (v1), no swap beyond it (v2) */
		if (v2 && has_file(dir, "memory.swap.max") &&
		    write_in(dir, "memory.swap.max", "0") < 0)
			return -1;
		if (!v2 && has_file(dir, "memory.memsw.limit_in_bytes") &&
		    write_in(dir, "memory.memsw.limit_in_bytes", v) < 0)
			return -1;
	}
	if (!strcmp(ctrl, "cpu") && o->has_cpus) {
		if (v2) {
			snprintf(v, sizeof(v), "%" PRIu64 " 100000", o->cpu_quota);
			if (write_in(dir, "cpu.max", v) < 0)
				return -1;
		} else {
			snprintf(v, sizeof(v), "%" PRIu64, o->cpu_quota);
			if (write_in(dir, "cpu.cfs_period_us", "100000") < 0 ||
			    write_in(dir, "cpu.cfs_quota_us", v) < 0)
				return -1;
		}
	}
	if (!strcmp(ctrl, "pids") && o->has_pids) {
		snprintf(v, sizeof(v), "%ld", o->pids);
		if (write_in(dir, "pids.max", v) < 0)
			return -1;
	}
	return 0;
}

int cg_setup(const char *name, const struct run_opts *o, const struct features *f,
	     struct cg_plan *p)
{
	struct mountinfo mi;
	struct cg_membership own;
	char buf[8192], parent[PATH_MAX], v2ctrls[512] = "";
	int r = -1;

	memset(p, 0, sizeof(*p));
	p->kill_idx = p->v1_freezer_idx = -1;
	if (!f->cg_tracking && !o->has_memory && !o->has_cpus && !o->has_pids)
		return 0; /* degraded: already warned */
	if (mountinfo_load("/proc/self/mountinfo", &mi) < 0 ||
	    read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0 ||
	    cg_membership_parse(buf, &own) < 0) {
		err("cannot read the cgroup layout (/proc/self/mountinfo, /proc/self/cgroup)");
		return -1;
	}
	const struct mnt_entry *v2 = cg_v2_mount(&mi);
	const struct cg_member *own2 = cg_membership_v2(&own);
	/* a profile of a legacy (v1-only) host: its cgroup2 mount, if any, is not used,
	 * as long as a v1 hierarchy can track the container */
	if (f->cg_legacy && (cg_v1_mount(&mi, "freezer") || cg_v1_mount(&mi, "pids")))
		v2 = NULL;
	char v2parent[PATH_MAX] = "";
	if (v2 && own2 && cg_own_dir(v2, own2->path, v2parent, sizeof(v2parent)) == 0) {
		snprintf(buf, sizeof(buf), "%s/cgroup.controllers", v2parent);
		read_line(buf, v2ctrls, sizeof(v2ctrls));
	} else {
		v2 = NULL;
	}

	/* v2 first: tracking, cgroup.kill, and whatever controllers live there */
	static const char *const ctrls[] = {"memory", "cpu", "pids"};
	const bool want[] = {o->has_memory, o->has_cpus, o->has_pids};
	if (v2) {
		for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
			bool on_v2;
			home(&mi, ctrls[i], &on_v2, v2ctrls);
			if (!want[i] || !on_v2)
				continue;
			char op[32];
			snprintf(op, sizeof(op), "+%s", ctrls[i]);
			snprintf(buf, sizeof(buf), "%s/cgroup.subtree_control", v2parent);
			int w = write_file(buf, op);
			if (w < 0) {
				err("cannot enable the %s controller below %s: %s%s", ctrls[i],
				    v2parent, strerror(-w),
				    w == -EBUSY
					? " (diyc's cgroup holds processes: run diyc from a "
					  "cgroup with the controller delegated)"
					: "");
				goto fail;
			}
		}
		int idx = add_dir(p, v2parent, name, "v2");
		if (idx < 0) {
			err("cannot create the cgroup " DC_CG_PREFIX "%s below %s: %s", name,
			    v2parent, strerror(-idx));
			goto fail;
		}
		p->kill_idx = idx;
		p->v2_kill = has_file(p->dirs[idx], "cgroup.kill");
		p->v2_freeze = has_file(p->dirs[idx], "cgroup.freeze");
		for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
			bool on_v2;
			home(&mi, ctrls[i], &on_v2, v2ctrls);
			if (want[i] && on_v2 && limits(o, p->dirs[idx], ctrls[i], true) < 0)
				goto fail;
		}
	}
	/* v1: limits, and tracking through freezer or pids when there is no v2 */
	static const char *const v1ctrls[] = {"memory", "cpu", "pids", "freezer"};
	for (size_t i = 0; i < ARRAY_SIZE(v1ctrls); i++) {
		bool on_v2, need = i < 3 ? want[i] : false;
		const struct mnt_entry *m = home(&mi, v1ctrls[i], &on_v2, v2ctrls);
		if (!m)
			continue;
		if (!need && p->kill_idx < 0 && (!strcmp(v1ctrls[i], "freezer")))
			need = true;
		if (!need)
			continue;
		const struct cg_member *mine = cg_membership_v1(&own, v1ctrls[i]);
		if (!mine || cg_own_dir(m, mine->path, parent, sizeof(parent)) < 0) {
			err("cannot find diyc's own %s cgroup", v1ctrls[i]);
			goto fail;
		}
		int idx = add_dir(p, parent, name, v1ctrls[i]);
		if (idx < 0) {
			err("cannot create the cgroup " DC_CG_PREFIX "%s below %s: %s", name,
			    parent, strerror(-idx));
			goto fail;
		}
		if (!strcmp(v1ctrls[i], "freezer"))
			p->v1_freezer_idx = idx;
		if (i < 3 && limits(o, p->dirs[idx], v1ctrls[i], false) < 0)
			goto fail;
	}
	if (p->kill_idx < 0)
		p->kill_idx = p->v1_freezer_idx >= 0 ? p->v1_freezer_idx : (p->n ? 0 : -1);
	/* a pids-only v1 host: track through pids */
	if (p->kill_idx < 0 && f->cg_tracking) {
		const struct mnt_entry *m = cg_v1_mount(&mi, "pids");
		const struct cg_member *mine = cg_membership_v1(&own, "pids");
		if (m && mine && cg_own_dir(m, mine->path, parent, sizeof(parent)) == 0) {
			int idx = add_dir(p, parent, name, "pids");
			if (idx >= 0)
				p->kill_idx = idx;
		}
	}
	r = 0;
	mountinfo_free(&mi);
	return r;
fail:
	cg_destroy(p);
	memset(p, 0, sizeof(*p));
	p->kill_idx = p->v1_freezer_idx = -1;
	mountinfo_free(&mi);
	return -1;
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

int cg_attach(const struct cg_plan *p, pid_t pid, bool born_in_v2)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; i < p->n; i++) {
		if (born_in_v2 && !strcmp(p->ctrls[i], "v2"))
			continue;
		if (write_in(p->dirs[i], "cgroup.procs", v) < 0)
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

static int freeze(const struct cg_plan *p, bool on)
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
		bool frozen = freeze(p, true) == 0;
		n = procs(dir, pids, (int)ARRAY_SIZE(pids));
		for (int i = 0; i < n; i++)
			if (kill(pids[i], SIGKILL) == 0)
				total++;
		if (frozen)
			freeze(p, false);
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
