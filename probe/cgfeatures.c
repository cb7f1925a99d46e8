/*
 * The cgroup features that belong to a hierarchy rather than a controller: whether
 * the bare v2 hierarchy takes a process (it can track and kill a container even in
 * hybrid mode), cgroup.kill, the freezer, swap accounting, and the verdict diyc run
 * relies on: tracking, some hierarchy that took a test process.
 */
#define _GNU_SOURCE
#include "probe/cgprobe.h"
#include "lib/cglayout.h"
#include "lib/pfacts.h"
#include "lib/util.h"

#include <limits.h>
#include <string.h>

static void feature_v2(struct cg_state *s)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	const struct cg_member *own = s->have_own ? cg_membership_v2(&s->own) : NULL;
	char dir[PATH_MAX];
	dc_check_init(&k, c->live ? "syscall" : "procfs", "4.5");
	k.compiled = k.enabled = DC_YES;
	dc_check_evidence(&k, "cgroup2 at %s", s->v2->mountpoint);
	if (!c->live) {
		k.status = k.usable = DC_UNKNOWN;
	} else if (!own || cg_own_dir(s->v2, own->path, dir, sizeof(dir)) < 0) {
		k.status = k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "no 0:: line in /proc/self/cgroup");
	} else {
		cg_usable_test(s, NULL, true, dir, &k);
		k.status = k.usable;
	}
	dc_profile_add_check(c->prof, "cgroups.v2.hierarchy", &k);
}

/* cgroup.kill (5.14) */
static void feature_kill(struct cg_state *s)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	json_object *kf = NULL, *v2o = dc_profile_find(c->prof, "cgroups.v2");
	dc_check_init(&k, "procfs", "5.14");
	if (v2o && json_object_object_get_ex(v2o, "kill_file", &kf) &&
	    json_object_get_boolean(kf)) {
		k.status = k.compiled = k.enabled = k.usable = DC_YES;
		dc_check_evidence(&k, "cgroup.kill present in a test cgroup");
	} else if (!s->v2) {
		k.status = k.compiled = DC_NO;
		dc_check_evidence(&k, "no cgroup2 hierarchy");
		dc_check_hint(&k,
			      "diyc kills a container's processes with the freezer and SIGKILL");
	} else if (c->live && kf) {
		k.status = k.compiled = DC_NO;
		dc_check_evidence(&k, "cgroup.kill absent in a test cgroup");
		dc_check_hint(&k, "needs Linux 5.14; diyc falls back to freezer + SIGKILL");
	} else if (kernel_before(c, "5.14")) {
		k.status = k.compiled = DC_NO;
		dc_check_evidence(&k, "kernel %s", c->release);
	}
	dc_profile_add_check(c->prof, "cgroups.features.kill", &k);
}

/* freezer: v1 controller or v2 cgroup.freeze (5.2) */
static void feature_freezer(struct cg_state *s)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	json_object *ff = NULL, *v2o = dc_profile_find(c->prof, "cgroups.v2");
	const struct mnt_entry *fz = cg_v1_mount(&c->mi, "freezer");
	dc_check_init(&k, "procfs", "2.6.28");
	if (fz) {
		k.status = k.compiled = k.enabled = DC_YES;
		dc_check_evidence(&k, "v1 freezer at %s", fz->mountpoint);
	} else if (v2o && json_object_object_get_ex(v2o, "freeze_file", &ff) &&
		   json_object_get_boolean(ff)) {
		k.status = k.compiled = k.enabled = DC_YES;
		dc_check_evidence(&k, "cgroup.freeze present in a v2 test cgroup");
	} else if (s->have_table && !cg_controllers_find(&s->table, "freezer") && !s->v2) {
		k.status = k.compiled = DC_NO;
		dc_check_hint(&k, "CONFIG_CGROUP_FREEZER=y");
	}
	dc_profile_add_check(c->prof, "cgroups.features.freezer", &k);
}

/* swap accounting, seen in the memory test cgroup */
static void feature_swap(struct cg_state *s)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	json_object *sw = NULL, *cg = dc_profile_find(c->prof, "cgroups");
	dc_check_init(&k, "procfs", NULL);
	if (cg && json_object_object_get_ex(cg, "swap_accounting", &sw)) {
		bool on = json_object_get_boolean(sw);
		k.status = k.enabled = on ? DC_YES : DC_NO;
		dc_check_evidence(&k, "swap limit file %s in a memory test cgroup",
				  on ? "present" : "absent");
		if (!on)
			dc_check_hint(&k, "boot with swapaccount=1 (CONFIG_MEMCG_SWAP on < 6.1); "
					  "without it a memory limit does not cover swap");
	}
	dc_profile_add_check(c->prof, "cgroups.features.swap_accounting", &k);
}

/* tracking: what diyc run relies on to find every process of a container */
static void feature_tracking(struct cg_state *s)
{
	struct probe_ctx *c = s->c;
	struct dc_check k;
	dc_check_init(&k, c->live ? "syscall" : "procfs", NULL);
	if (s->tracking) {
		k.status = k.usable = k.compiled = k.enabled = DC_YES;
		dc_check_evidence(&k, "a test process was moved into a cgroup on %s",
				  s->tracking_where);
	} else if (c->live) {
		k.status = k.usable = DC_NO;
		dc_check_evidence(&k, "no hierarchy accepted a test process");
		dc_check_hint(&k, "mount cgroup2 (or v1 pids/freezer) so diyc can track and kill "
				  "every process of a container");
	}
	dc_fact_add_check(c->prof, F_CG_TRACKING, &k);
}

void cg_features(struct cg_state *s)
{
	/* The bare v2 hierarchy: even in hybrid mode it can track and kill a container. */
	if (s->v2)
		feature_v2(s);
	feature_kill(s);
	feature_freezer(s);
	feature_swap(s);
	feature_tracking(s);
}
