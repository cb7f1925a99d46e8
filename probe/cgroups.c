/*
 * cgroups: the layout (unified, hybrid, legacy, none), where each controller
 * lives (which v1 mount, or v2), whether it is enabled, and whether we can
 * really use it: create a child cgroup below our own cgroup, write a limit,
 * move a process in, remove it again.  Nothing is created at a hierarchy
 * root unless our own cgroup is that root.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "probe/cgprobe.h"
#include "lib/pfacts.h"
#include "lib/cglayout.h"
#include "lib/kfeat.h"
#include "lib/proccgroup.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define CGROUP1_MAGIC 0x27e0eb
#define TMPFS_MAGIC_ 0x01021994
#define SYSFS_MAGIC_ 0x62656572

/* The values the usability test writes into each limit file of lib/kfeat.c's
 * controllers (by dc_cg_ctrls index: memory, cpu, pids), on v1 and on v2 */
static const char *const test_values[][2] = {
    {"67108864", "67108864"},
    {"50000", "50000 100000"},
    {"64", "64"},
};

static const char *mode_from_statfs(void)
{
	struct statfs s;
	if (statfs("/sys/fs/cgroup", &s) < 0)
		return NULL;
	if ((unsigned long)s.f_type == CGROUP2_MAGIC)
		return "unified";
	if ((unsigned long)s.f_type == CGROUP1_MAGIC)
		return "legacy";
	if ((unsigned long)s.f_type == SYSFS_MAGIC_)
		return "none";
	if ((unsigned long)s.f_type == TMPFS_MAGIC_) {
		if ((statfs("/sys/fs/cgroup/unified", &s) == 0 &&
		     (unsigned long)s.f_type == CGROUP2_MAGIC) ||
		    (statfs("/sys/fs/cgroup/systemd", &s) == 0 &&
		     (unsigned long)s.f_type == CGROUP2_MAGIC))
			return "hybrid";
		return "legacy";
	}
	return NULL;
}

static const char *mode_from_mountinfo(struct cg_state *s, size_t *nv1)
{
	const struct probe_ctx *c = s->c;
	*nv1 = 0;
	for (size_t i = 0; i < c->mi.n; i++) {
		if (!strcmp(c->mi.v[i].fstype, "cgroup2") && !s->v2)
			s->v2 = &c->mi.v[i];
		else if (!strcmp(c->mi.v[i].fstype, "cgroup"))
			(*nv1)++;
	}
	if (s->v2 && *nv1)
		return "hybrid";
	if (s->v2)
		return "unified";
	if (*nv1)
		return "legacy";
	return "none";
}

static int rmdir_retry(const char *dir)
{
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

/*
 * One idle process serves every test: it is moved into each test cgroup in
 * turn and back out again, then killed at the end of the cgroup probe.
 */
static pid_t mover = -1;

static pid_t mover_get(void)
{
	if (mover > 0)
		return mover;
	mover = fork();
	if (mover == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return mover;
}

static void mover_stop(void)
{
	if (mover > 0) {
		kill(mover, SIGKILL);
		while (waitpid(mover, NULL, 0) < 0 && errno == EINTR)
			;
	}
	mover = -1;
}

/* Move the mover into dir and confirm. Returns 0 or -errno, step in *step. */
static int move_process(const char *dir, const char **step)
{
	char path[PATH_MAX], pid_s[32], buf[4096];
	pid_t pid = mover_get();
	int r;

	if (pid < 0)
		return *step = "fork", -errno;
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	fmt(path, sizeof(path), "%s/cgroup.procs", dir);
	r = write_file(path, pid_s);
	*step = "write cgroup.procs";
	if (r == 0) {
		*step = "read cgroup.procs";
		r = read_file(path, buf, sizeof(buf)) < 0 ? -EIO : 0;
		if (r == 0 && !strstr(buf, pid_s))
			r = -ESRCH;
	}
	return r;
}

/* Take the mover out of a test cgroup: back into the parent, or kill it. */
static void move_out(const char *parent)
{
	char path[PATH_MAX], pid_s[32];
	if (mover <= 0)
		return;
	snprintf(pid_s, sizeof(pid_s), "%d", (int)mover);
	fmt(path, sizeof(path), "%s/cgroup.procs", parent);
	if (write_file(path, pid_s) < 0)
		mover_stop();
}

/* v2: make ctrl available to children of parent. Returns 1 if we enabled it (revert later). */
static int v2_enable(const char *parent, const char *ctrl, struct dc_check *k)
{
	char path[PATH_MAX], buf[512], op[64];
	fmt(path, sizeof(path), "%s/cgroup.subtree_control", parent);
	if (read_line(path, buf, sizeof(buf)) == 0 && cg_list_has(buf, ctrl))
		return 0; /* already delegated to children */
	snprintf(op, sizeof(op), "+%s", ctrl);
	int r = write_file(path, op);
	if (r < 0) {
		dc_check_evidence(k, "write +%s to %s=%s", ctrl, path, errno_name(r));
		if (r == -EBUSY)
			dc_check_hint(
			    k, "diyc's own cgroup holds processes, so v2 forbids enabling "
			       "controllers below it (no internal processes rule): start diyc "
			       "from a leaf cgroup with the controller delegated");
		return r;
	}
	return 1;
}

static void v2_disable(const char *parent, const char *ctrl)
{
	char path[PATH_MAX], op[64];
	fmt(path, sizeof(path), "%s/cgroup.subtree_control", parent);
	snprintf(op, sizeof(op), "-%s", ctrl);
	write_file(path, op);
}

/* The test limit of ctrl written in dir and read back (none for the bare hierarchy). */
static int write_limit(const char *dir, const char *ctrl, bool v2, const char **step,
		       struct dc_check *k)
{
	char path[PATH_MAX], buf[128];
	int r;
	int i = dc_cg_ctrl_index(ctrl);
	if (i < 0)
		return 0;
	_Static_assert(ARRAY_SIZE(test_values) == DC_CG_NCTRLS, "one per controller");
	const char *file = v2 ? dc_cg_ctrls[i].v2_file : dc_cg_ctrls[i].v1_file;
	const char *val = test_values[i][v2];
	fmt(path, sizeof(path), "%s/%s", dir, file);
	*step = file;
	if ((r = write_file(path, val)) < 0 || (r = read_line(path, buf, sizeof(buf))) < 0)
		return r;
	if (strcmp(buf, val))
		return -EIO;
	dc_check_evidence(k, "%s=%s written", file, val);
	return 0;
}

/*
 * What one usability test found: the check's verdict and what the test cgroup
 * showed.  Kept as it is among the boot's answers (probe/answers.c).
 */
struct cg_answer {
	enum dc_status usable;
	char evidence[sizeof(((struct dc_check *)0)->evidence)];
	char err[sizeof(((struct dc_check *)0)->err)];
	char hint[sizeof(((struct dc_check *)0)->hint)];
	signed char kill_file, freeze_file, swap_file; /* -1: not looked at */
	bool tracked;				       /* the test process went in */
};

/* features visible only in a non-root cgroup, recorded for cg_features */
static void test_cgroup_files(const char *dir, const char *ctrl, bool v2, struct cg_answer *a)
{
	char path[PATH_MAX];
	if (v2 && !ctrl) {
		fmt(path, sizeof(path), "%s/cgroup.kill", dir);
		a->kill_file = path_exists(path);
		fmt(path, sizeof(path), "%s/cgroup.freeze", dir);
		a->freeze_file = path_exists(path);
	}
	if (ctrl && !strcmp(ctrl, "memory")) {
		fmt(path, sizeof(path), "%s/%s", dir,
		    v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
		a->swap_file = path_exists(path);
	}
}

/* The test itself: a cgroup below PARENT, a limit, a process moved in and out. */
static void usable_live(const char *ctrl, bool v2, const char *parent, struct dc_check *k,
			struct cg_answer *a)
{
	char dir[PATH_MAX];
	const char *step = "mkdir";
	int enabled_here = 0, r;

	if (v2 && ctrl) {
		enabled_here = v2_enable(parent, ctrl, k);
		if (enabled_here < 0) {
			k->usable = DC_NO;
			dc_check_errno(k, enabled_here);
			return;
		}
	}
	if (fmt(dir, sizeof(dir), "%s/diyc-probe-%d", parent, (int)getpid()) < 0) {
		k->usable = DC_UNKNOWN;
		return;
	}
	if (mkdir(dir, 0755) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = write_limit(dir, ctrl, v2, &step, k)) < 0)
		goto fail_rm;
	if ((r = move_process(dir, &step)) < 0) {
		move_out(parent);
		goto fail_rm;
	}
	move_out(parent);
	k->usable = DC_YES;
	dc_check_evidence(k, "created %s, moved a process in, removed it", dir);
	a->tracked = true;
	test_cgroup_files(dir, ctrl, v2, a);
	r = rmdir_retry(dir);
	if (r < 0)
		dc_check_evidence(k, "rmdir %s=%s", dir, errno_name(r));
	goto out;
fail_rm:
	rmdir_retry(dir);
fail:
	k->usable = DC_NO;
	dc_check_errno(k, r);
	dc_check_evidence(k, "%s in %s=%s", step, parent, errno_name(r));
	if (r == -EACCES || r == -EPERM || r == -EROFS)
		dc_check_hint(k, "cannot write below %s: run as root, or delegate this cgroup",
			      parent);
out:
	if (enabled_here == 1)
		v2_disable(parent, ctrl);
}

/* What decides the answer besides the boot's fingerprint: the cgroup, its delegation
 * files, and what the files said before the test (the mount, /proc/cgroups). */
static void answer_key(const char *ctrl, bool v2, const char *parent, const struct dc_check *k,
		       char *key, size_t len)
{
	static const char *const files[] = {"cgroup.controllers", "cgroup.subtree_control",
					    "cgroup.type"};
	char path[PATH_MAX], buf[512];
	snprintf(key, len, "cgroup %s v2=%d %s | %s", ctrl ? ctrl : "-", v2, parent, k->evidence);
	for (size_t i = 0; v2 && i < ARRAY_SIZE(files); i++) {
		fmt(path, sizeof(path), "%s/%s", parent, files[i]);
		strappend(key, len, " | ", "%s=%s", files[i],
			  read_line(path, buf, sizeof(buf)) == 0 ? buf : "-");
	}
}

/*
 * The decisive test of one controller (ctrl NULL: the bare v2 hierarchy, for
 * tracking and cgroup.kill), or this boot's answer to it.  Features found in the
 * test cgroup are recorded for cg_features.
 */
void cg_usable_test(struct cg_state *s, const char *ctrl, bool v2, const char *parent,
		    struct dc_check *k)
{
	struct cg_answer a;
	char key[PATH_MAX + 2048];
	answer_key(ctrl, v2, parent, k, key, sizeof(key));
	if (answers_get(s->c, key, &a, sizeof(a))) {
		k->usable = a.usable;
		memcpy(k->evidence, a.evidence, sizeof(k->evidence));
		memcpy(k->err, a.err, sizeof(k->err));
		memcpy(k->hint, a.hint, sizeof(k->hint));
	} else {
		memset(&a, 0, sizeof(a));
		a.kill_file = a.freeze_file = a.swap_file = -1;
		usable_live(ctrl, v2, parent, k, &a);
		a.usable = k->usable;
		memcpy(a.evidence, k->evidence, sizeof(a.evidence));
		memcpy(a.err, k->err, sizeof(a.err));
		memcpy(a.hint, k->hint, sizeof(a.hint));
		answers_put(s->c, key, &a, sizeof(a));
	}
	k->evidence[sizeof(k->evidence) - 1] = k->err[sizeof(k->err) - 1] =
	    k->hint[sizeof(k->hint) - 1] = '\0';
	if (a.kill_file >= 0)
		dc_profile_set_bool(s->c->prof, "cgroups.v2", "kill_file", a.kill_file);
	if (a.freeze_file >= 0)
		dc_profile_set_bool(s->c->prof, "cgroups.v2", "freeze_file", a.freeze_file);
	if (a.swap_file >= 0)
		dc_profile_set_bool(s->c->prof, "cgroups", "swap_accounting", a.swap_file);
	if (a.tracked && !s->tracking) {
		s->tracking = true;
		snprintf(s->tracking_where, sizeof(s->tracking_where), "%s%s%s", v2 ? "v2" : "v1",
			 ctrl ? ":" : "", ctrl ? ctrl : "");
	}
}

static bool disabled_on_cmdline(struct probe_ctx *c, const char *ctrl, char *why, size_t len)
{
	char text[4096], v[256];
	if (sr_read(c, "/proc/cmdline", text, sizeof(text)) < 0)
		return false;
	if (cmdline_get(text, "cgroup_disable", v, sizeof(v)) && option_has(v, ctrl)) {
		snprintf(why, len, "cmdline cgroup_disable=%s", v);
		return true;
	}
	return false;
}

static void controller(struct cg_state *s, const char *ctrl, bool test)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	char key[96], dir[PATH_MAX], why[300];
	const struct cg_controller *row =
	    s->have_table ? cg_controllers_find(&s->table, ctrl) : NULL;
	const struct mnt_entry *m1 = cg_v1_mount(&s->c->mi, ctrl);
	bool on_v2 = s->v2 && s->have_v2_controllers && cg_list_has(s->v2_controllers, ctrl);
	const char *home = m1 ? "v1" : on_v2 ? "v2" : "none";
	const struct cg_member *own = NULL;

	dc_check_init(&k, c->live && test ? "syscall" : "procfs", NULL);
	snprintf(key, sizeof(key), DC_FACT_CG_CTRL, ctrl);
	k.compiled = (row || on_v2 || m1) ? DC_YES : (s->have_table ? DC_NO : DC_UNKNOWN);
	k.enabled = row ? (row->enabled ? DC_YES : DC_NO) : (on_v2 || m1 ? DC_YES : k.compiled);
	if (row)
		dc_check_evidence(&k, "/proc/cgroups: hierarchy=%d enabled=%d", row->hierarchy,
				  row->enabled);
	if (disabled_on_cmdline(c, ctrl, why, sizeof(why))) {
		k.enabled = DC_NO;
		dc_check_evidence(&k, "%s", why);
		dc_check_hint(&k, "remove it from the kernel command line");
	}
	if (m1)
		dc_check_evidence(&k, "v1 mount %s", m1->mountpoint);
	else if (on_v2)
		dc_check_evidence(&k, "listed in %s/cgroup.controllers", s->v2->mountpoint);
	else if (k.compiled == DC_YES && k.enabled == DC_YES) {
		k.enabled = DC_NO;
		dc_check_evidence(&k, "not mounted on any v1 hierarchy and not available on v2");
		dc_check_hint(&k, "mount it: mount -t cgroup -o %s cgroup /sys/fs/cgroup/%s", ctrl,
			      ctrl);
	}

	if (m1 && s->have_own)
		own = cg_membership_v1(&s->own, ctrl);
	else if (on_v2 && s->have_own)
		own = cg_membership_v2(&s->own);

	if (!c->live || !test || k.enabled != DC_YES) {
		k.usable = k.enabled == DC_YES ? DC_UNKNOWN : DC_NO;
		k.status =
		    k.enabled == DC_YES ? (k.compiled == DC_YES ? DC_YES : DC_UNKNOWN) : DC_NO;
		if (c->live && test && k.enabled != DC_YES)
			k.status = DC_NO;
		else if (!c->live)
			k.status = k.enabled == DC_NO ? DC_NO : DC_UNKNOWN;
	} else if (!own || cg_own_dir(m1 ? m1 : s->v2, own->path, dir, sizeof(dir)) < 0) {
		k.usable = k.status = DC_UNKNOWN;
		dc_check_evidence(&k,
				  "own cgroup in this hierarchy not found in /proc/self/cgroup");
	} else {
		cg_usable_test(s, ctrl, !m1, dir, &k);
		k.status = k.usable;
	}
	json_object *o = dc_profile_add_check(c->prof, key, &k);
	json_object_object_add(o, "home", json_object_new_string(home));
	json_object_object_add(o, "mount",
			       m1      ? json_object_new_string(m1->mountpoint)
			       : on_v2 ? json_object_new_string(s->v2->mountpoint)
				       : NULL);
	json_object_object_add(o, "own_path", own ? json_object_new_string(own->path) : NULL);
}

void probe_cgroups(struct probe_ctx *c)
{
	struct cg_state s = {.c = c};
	char buf[8192], path[PATH_MAX];
	size_t nv1 = 0;

	const char *m_mi = c->have_mi ? mode_from_mountinfo(&s, &nv1) : NULL;
	const char *m_fs = c->live ? mode_from_statfs() : NULL;
	const char *mode = m_fs ? m_fs : m_mi ? m_mi : "unknown";
	dc_fact_set_str(c->prof, F_CG_MODE, mode);
	dc_profile_set_str(c->prof, "cgroups", "mode_statfs", m_fs);
	dc_profile_set_str(c->prof, "cgroups", "mode_mountinfo", m_mi);
	dc_profile_set_int(c->prof, "cgroups", "v1_hierarchies", (long long)nv1);
	if (m_fs && m_mi && strcmp(m_fs, m_mi))
		dc_profile_set_str(c->prof, "cgroups", "note",
				   "filesystem magic and mountinfo disagree: cgroups are mounted "
				   "outside /sys/fs/cgroup");

	if (sr_read(c, "/proc/self/cgroup", buf, sizeof(buf)) >= 0)
		s.have_own = cg_membership_parse(buf, &s.own) == 0;
	if (sr_read(c, "/proc/cgroups", buf, sizeof(buf)) >= 0)
		s.have_table = cg_controllers_parse(buf, &s.table) == 0;
	dc_profile_set_bool(c->prof, "cgroups", "proc_cgroups_readable", s.have_table);
	if (s.v2) {
		dc_profile_set_str(c->prof, "cgroups.v2", "mount", s.v2->mountpoint);
		fmt(path, sizeof(path), "%s/cgroup.controllers", s.v2->mountpoint);
		s.have_v2_controllers =
		    read_line(sr(c, path), s.v2_controllers, sizeof(s.v2_controllers)) == 0;
		dc_profile_set_str(c->prof, "cgroups.v2", "controllers",
				   s.have_v2_controllers ? s.v2_controllers : NULL);
		const struct cg_member *own = s.have_own ? cg_membership_v2(&s.own) : NULL;
		dc_profile_set_str(c->prof, "cgroups.v2", "own_path", own ? own->path : NULL);
	}

	/* every controller the kernel or the v2 root names; the three limits are tested */
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		controller(&s, dc_cg_ctrls[i].name, true);
	for (size_t i = 0; s.have_table && i < s.table.n; i++)
		if (dc_cg_ctrl_index(s.table.v[i].name) < 0)
			controller(&s, s.table.v[i].name, false);
	if (s.have_v2_controllers) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", s.v2_controllers);
		for (char *save, *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save))
			if (!dc_profile_find(c->prof, "cgroups.controllers") ||
			    !json_object_object_get_ex(
				dc_profile_find(c->prof, "cgroups.controllers"), t, NULL))
				controller(&s, t, false);
	}
	cg_features(&s);
	if (c->have_mi)
		dc_facts_write_homes(c->prof, &c->mi);
	mover_stop();
}
