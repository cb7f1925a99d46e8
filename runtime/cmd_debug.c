/*
 * `diyc debug steps|image-steps|features|facts` (hidden from the usage text): the tables diyc is
 * built from, printed for the tests and the docs, so neither keeps a copy of its own.
 *   steps     a start's steps, supervisor then container process: WHO NAME NEEDS WHAT
 *             (tests/integration/crash.sh crashes diyc after each one)
 *   image-steps  the stages of an image import or pull: NAME WHAT
 *             (tests/integration/images.sh crashes diyc after each one)
 *   features  the namespaces and cgroup controllers of lib/kfeat.c
 *             (docs/architecture.md shows them; tests/integration/docs.sh compares)
 *   facts     the profile facts diyc reads that a profile lacks ([--profile FILE])
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"

#include <stdio.h>
#include <string.h>

static int steps(void)
{
	for (int i = 0; start_steps[i].name; i++)
		printf("supervisor %-9s %-6s %s\n", start_steps[i].name, start_steps[i].needs,
		       start_steps[i].what);
	for (int i = 0; container_steps[i].name; i++)
		printf("container  %-9s %-6s %s\n", container_steps[i].name, "-",
		       container_steps[i].what);

	return 0;
}

static int features(void)
{
	printf("| namespace | flag | CONFIG_ | since | nsexec |\n|---|---|---|---|---|\n");
	for (int i = 0; i < NS_COUNT; i++) {
		const struct ns_info *n = &dc_ns[i];
		char opt[4] = "";
		if (n->nsexec_opt)
			snprintf(opt, sizeof(opt), "-%c", n->nsexec_opt);
		printf("| %s | `%s` | %s | %s | %s |\n", n->name, n->flag_name,
		       n->kopt ? n->kopt : "(always)", n->since, opt);
	}
	printf("\n| controller | v1 file | v2 file | option | v2 since |\n|---|---|---|---|---|\n");
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		printf("| %s | `%s` | `%s` | `%s` | %s |\n", dc_cg_ctrls[i].name,
		       dc_cg_ctrls[i].v1_file, dc_cg_ctrls[i].v2_file, dc_cg_ctrls[i].flag,
		       dc_cg_ctrls[i].since);
	return 0;
}

static int facts(const char *path)
{
	struct dc_err e = {0};
	struct dc_facts f;
	struct dc_profile *p = dc_profile_load(path, &e);
	if (!p) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	int n = dc_facts_read(p, &f);
	dc_profile_free(p);
	printf("%d missing%s%s\n", n, n ? ": " : "", f.missing);
	return n ? 1 : 0;
}

/* an import's or a pull's stages (DIYC_FAILPOINT names too): NAME WHAT */
static int image_stages(void)
{
	for (int i = 0; image_steps[i].name; i++)
		printf("%-9s %s\n", image_steps[i].name, image_steps[i].what);
	return 0;
}

int cmd_debug(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "steps"))
		return steps();
	if (argc == 2 && !strcmp(argv[1], "image-steps"))
		return image_stages();
	if (argc == 2 && !strcmp(argv[1], "features"))
		return features();
	if (argc == 2 && !strcmp(argv[1], "facts"))
		return facts(dc_default_profile());
	if (argc == 4 && !strcmp(argv[1], "facts") && !strcmp(argv[2], "--profile"))
		return facts(argv[3]);
	dc_error("usage: diyc debug steps | image-steps | features | facts [--profile FILE]");
	return EXIT_DIYC;
}
