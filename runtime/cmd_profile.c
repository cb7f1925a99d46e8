/* `diyc profile`: the kernel profile in use, and what `diyc run` will degrade. */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "probe/probe.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_profile(int argc, char **argv)
{
	const char *path = dc_default_profile();
	bool explicit = false;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc profile [--profile FILE]\nShow the kernel profile diyc run uses "
		     "(probing the kernel again when\nthe default profile is missing or stale) and "
		     "what it will degrade.");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--profile")) {
		path = argv[2];
		explicit = true;
	} else if (argc != 1) {
		dc_error("usage: diyc profile [--profile FILE]");
		return EXIT_DIYC;
	}
	struct dc_err e = {0};
	struct dc_profile *p = features_profile(path, !explicit, &e);
	if (!p) {
		dc_error("cannot use the kernel profile %s: %s", path, e.msg);
		return EXIT_DIYC;
	}
	printf("profile: %s\n", path);
	print_table(p, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	dc_profile_free(p);
	return 0;
}
