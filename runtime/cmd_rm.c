/* `diyc rm` and `diyc gc`: remove containers, and whatever a crashed diyc left. */
#define _GNU_SOURCE
#include "diyc.h"
#include "cglayout.h"
#include "names.h"
#include "proccgroup.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void kill_container(const struct state *st);

/* Remove a container that has no supervisor any more: processes, cgroups, dirs, state. */
static int remove_dead(const struct state *st)
{
	char dir[PATH_MAX];
	struct cg_plan cg;
	cg_plan_from_state(st, &cg);
	cg_kill_all(&cg);
	int r = cg_destroy(&cg);
	if (r < 0)
		err("cannot remove a cgroup of %s: %s", st->name, strerror(-r));
	container_dir(st->name, dir, sizeof(dir));
	remove_tree(dir);
	int s = state_remove(st->name);
	return r < 0 ? r : s;
}

int cmd_rm(int argc, char **argv)
{
	bool force = false;
	int i = 1, code = 0;
	char why[200];
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts(
		    "Usage: diyc rm [-f] NAME...\nRemove stopped containers (their upper layer and "
		    "state). -f kills a\nrunning one first.");
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "-f")) {
		force = true;
		i = 2;
	}
	if (i >= argc) {
		err("usage: diyc rm [-f] NAME...");
		return EXIT_DIYC;
	}
	for (; i < argc; i++) {
		struct state st;
		bool running;
		if (name_check("container", argv[i], DC_NAME_MAX, why, sizeof(why)) < 0) {
			err("%s", why);
			code = EXIT_DIYC;
			continue;
		}
		if (state_load(argv[i], &st, &running) < 0) {
			err("no container %s", argv[i]);
			code = EXIT_DIYC;
			continue;
		}
		if (running) {
			if (!force) {
				err("container %s is running (diyc stop it, or diyc rm -f)",
				    argv[i]);
				code = EXIT_DIYC;
				continue;
			}
			kill_container(&st);
			/* the supervisor cleans up after its container: wait for it */
			for (int t = 0; t < 500 && running; t++) {
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
				if (state_load(argv[i], &st, &running) < 0)
					break;
			}
			if (running) {
				err("container %s did not stop", argv[i]);
				code = EXIT_DIYC;
				continue;
			}
			if (state_load(argv[i], &st, &running) < 0)
				continue; /* it was --rm: already gone */
		}
		if (remove_dead(&st) < 0)
			code = EXIT_DIYC;
	}
	return code;
}

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
		puts(
		    "Usage: diyc gc\nRemove what a crashed diyc left: processes and cgroups of "
		    "containers whose\nsupervisor is gone, their state and directories, and "
		    "container directories\nwithout state. Stopped containers are kept (diyc rm).");
		return 0;
	}
	if (argc > 1) {
		err("gc takes no arguments");
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
			if (remove_dead(&st) < 0)
				code = EXIT_DIYC;
		}
		free(names[i]);
	}
	free(names);
	gc_cgroups();
	net_gc(supervised);
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
	return code;
}
