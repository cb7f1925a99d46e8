/* `diyc rm`: remove stopped containers (and, with -f, running ones). */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/cglayout.h"
#include "lib/names.h"
#include "lib/proccgroup.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int remove_dead(const struct state *st, struct dc_err *e)
{
	char dir[PATH_MAX];
	struct cg_plan cg;
	cg_plan_from_state(st, &cg);
	cg_kill_all(&cg);
	int r = cg_destroy(&cg);
	container_dir(st->name, dir, sizeof(dir));
	remove_tree(dir);
	int s = state_remove(st->name);
	if (r < 0)
		return dc_fail(e, -r, "cannot remove a cgroup of %s", st->name);
	return s < 0 ? dc_fail(e, -s, "cannot remove the state of %s", st->name) : 0;
}

int cmd_rm(int argc, char **argv)
{
	bool force = false;
	int i = 1, code = 0;
	struct dc_err e = {0};
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
		dc_error("usage: diyc rm [-f] NAME...");
		return EXIT_DIYC;
	}
	for (; i < argc; i++) {
		struct state st;
		bool running;
		if (name_check("container", argv[i], DC_NAME_MAX, &e) < 0) {
			dc_err_print(&e);
			code = EXIT_DIYC;
			continue;
		}
		if (state_load(argv[i], &st, &running) < 0) {
			dc_error("no container %s", argv[i]);
			code = EXIT_DIYC;
			continue;
		}
		if (running) {
			if (!force) {
				dc_error("container %s is running (diyc stop it, or diyc rm -f)",
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
				dc_error("container %s did not stop", argv[i]);
				code = EXIT_DIYC;
				continue;
			}
			if (state_load(argv[i], &st, &running) < 0)
				continue; /* it was --rm: already gone */
		}
		if (remove_dead(&st, &e) < 0) {
			dc_err_print(&e);
			code = EXIT_DIYC;
		}
	}
	return code;
}
