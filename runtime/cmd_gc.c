/*
 * `diyc gc`: remove what a crashed diyc left.  Containers whose supervisor is gone
 * (their processes, cgroups, directories and state: remove_dead of cmd_rm.c), cgroups
 * named diyc-* below our own that no live container owns, the network of dead
 * containers (netsetup's net_gc), container directories without state, and in the
 * image store (img_store.c) unpacked layers no image names, abandoned imports and
 * interrupted pulls.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/cglayout.h"
#include "lib/mountinfo.h"
#include "lib/proccgroup.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cgroups named diyc-* below our own cgroups whose container has no supervisor. */
static int gc_cgroups(void)
{
	struct mountinfo mi;
	struct cg_membership own;
	char buf[8192], dir[PATH_MAX], sub[PATH_MAX];
	int removed = 0;
	if (mountinfo_load("/proc/self/mountinfo", &mi) < 0)
		return 0;
	if (read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0 ||
	    cg_membership_parse(buf, &own) < 0) {
		mountinfo_free(&mi);
		return 0;
	}
	for (size_t i = 0; i < mi.n; i++) {
		const struct mnt_entry *m = &mi.v[i];
		const struct cg_member *mine = NULL;
		if (!strcmp(m->fstype, "cgroup2"))
			mine = cg_membership_v2(&own);
		else if (!strcmp(m->fstype, "cgroup"))
			for (size_t j = 0; j < own.n && !mine; j++) {
				/* the hierarchy whose super options list this line's first
				 * controller */
				char first[128];
				snprintf(first, sizeof(first), "%s", own.v[j].controllers);
				first[strcspn(first, ",")] = '\0';
				if (own.v[j].hierarchy && first[0] && option_has(m->super, first))
					mine = &own.v[j];
			}
		if (!mine || cg_own_dir(m, mine->path, dir, sizeof(dir)) < 0)
			continue;
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			const char *name = de->d_name + strlen(DC_CG_PREFIX);
			if (de->d_type != DT_DIR ||
			    strncmp(de->d_name, DC_CG_PREFIX, strlen(DC_CG_PREFIX)))
				continue;
			struct state st;
			bool running = false;
			if (state_load(name, &st, &running) == 0 && running)
				continue;
			fmt(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			struct cg_plan cg = {.n = 1, .kill_idx = 0, .v1_freezer_idx = -1};
			snprintf(cg.dirs[0], sizeof(cg.dirs[0]), "%s", sub);
			cg.v2_kill = !strcmp(m->fstype, "cgroup2");
			cg_kill_all(&cg);
			if (cg_destroy(&cg) == 0) {
				printf("removed cgroup %s\n", sub);
				removed++;
			}
		}
		closedir(d);
	}
	mountinfo_free(&mi);
	return removed;
}

/* layers no image names, scratch dirs of imports and pulls whose diyc died */
static int gc_images(void)
{
	struct dc_err e = {0};
	char p[PATH_MAX];
	int layers, tmps;
	fmt(p, sizeof(p), "%s/layers", G.root);
	if (!path_exists(p))
		return 0;
	int lock = store_lock(&e);
	if (lock < 0) {
		dc_err_print(&e);
		return -1;
	}
	store_prune(&layers, &tmps, true);
	close(lock);
	if (layers)
		printf("removed %d unused layers\n", layers);
	if (tmps)
		printf("removed %d interrupted imports or pulls\n", tmps);
	return 0;
}

/* a container whose supervisor still runs (its network is in use) */
static bool supervised(const char *name)
{
	struct state st;
	bool running = false;
	return state_load(name, &st, &running) == 0 && running;
}

int cmd_gc(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc gc\nRemove what a crashed diyc left: processes and cgroups of "
		     "containers whose\nsupervisor is gone, their state and directories, and "
		     "container directories\nwithout state, layers no image uses, interrupted "
		     "imports "
		     "and pulls.\nStopped containers are kept (diyc rm).");
		return 0;
	}
	if (argc > 1) {
		dc_error("gc takes no arguments");
		return EXIT_DIYC;
	}
	char **names;
	int n = state_list(&names), code = 0;
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if (state_load(names[i], &st, &running) == 0 && !running &&
		    (strcmp(st.status, "exited") || st.rm)) {
			printf("removed container %s (%s)\n", names[i], st.status);
			struct dc_err e = {0};
			if (remove_dead(&st, &e) < 0) {
				dc_err_print(&e);
				code = EXIT_DIYC;
			}
		}
		free(names[i]);
	}
	free(names);
	gc_cgroups();
	net_gc(G.root, supervised);
	/* container directories without state */
	char p[PATH_MAX], sp[PATH_MAX];
	fmt(p, sizeof(p), "%s/containers", G.root);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			fmt(sp, sizeof(sp), "%s/%s", G.state_dir, de->d_name);
			if (path_exists(sp))
				continue;
			fmt(sp, sizeof(sp), "%s/%s", p, de->d_name);
			if (remove_tree(sp) == 0)
				printf("removed directory %s\n", sp);
		}
		closedir(d);
	}
	return gc_images() < 0 ? EXIT_DIYC : code;
}
