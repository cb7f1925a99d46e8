/*
 * Inside the probe: the cgroup probe's shared state, between cgroups.c (layout,
 * controllers, the usability test) and cgfeatures.c (the hierarchy-wide features).
 */
#ifndef DIYC_CGPROBE_H
#define DIYC_CGPROBE_H

#include "lib/proccgroup.h"
#include "probe/probe.h"

struct cg_state {
	struct probe_ctx *c;
	struct cg_membership own;
	bool have_own;
	struct cg_controllers table;
	bool have_table;
	const struct mnt_entry *v2;
	char v2_controllers[512];
	bool have_v2_controllers;
	bool tracking; /* some hierarchy took a test process */
	char tracking_where[64];
};

/* The decisive test of one controller (ctrl NULL: the bare v2 hierarchy). */
void cg_usable_test(struct cg_state *s, const char *ctrl, bool v2, const char *parent,
		    struct dc_check *k);
/* The v2 hierarchy, cgroup.kill, the freezer, swap accounting, tracking. */
void cg_features(struct cg_state *s);

#endif
