/* diyc-probe: measure what the running kernel offers and write the capability profile. */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs(
	    "Usage: diyc-probe [OPTIONS]\n"
	    "Measure what the running kernel offers a container runtime and write the\n"
	    "capability profile that `diyc run` adapts to.\n"
	    "\n"
	    "  -j, --json           print the profile as JSON instead of the table\n"
	    "  -o, --output FILE    write the profile to FILE (default as root: " DC_DEFAULT_PROFILE
	    ")\n"
	    "  -n, --no-write       do not write the profile file\n"
	    "  -q, --quiet          print nothing; the exit code tells\n"
	    "      --root DIR       data root whose filesystem the overlay test uses\n"
	    "                       (default $DIYC_ROOT or /var/lib/diyc)\n"
	    "      --load-modules   load overlay, veth and bridge with libkmod when they are\n"
	    "                       loadable modules (otherwise nothing is loaded)\n"
	    "      --sysroot DIR    read /proc, /sys, /boot from DIR and run no syscall tests\n"
	    "                       (for fixtures; writes a file only with -o)\n"
	    "      --serial         probe one area after another in one process (timing)\n"
	    "      --fresh          run every live test again, even when this boot's answers\n"
	    "                       are kept (PROFILE.answers) and nothing they depend on changed\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "Exit status: 0 everything diyc run needs is usable; 1 something required is\n"
	    "missing (named in the summary); 2 the probe itself failed or bad usage.\n"
	    "See diyc-probe(8) and docs/profile.md.\n",
	    f);
}

struct cli {
	const char *output;
	bool json, no_write, quiet;
};

static const struct option opts[] = {
    {"json", no_argument, NULL, 'j'},	       {"output", required_argument, NULL, 'o'},
    {"no-write", no_argument, NULL, 'n'},      {"quiet", no_argument, NULL, 'q'},
    {"root", required_argument, NULL, 'R'},    {"load-modules", no_argument, NULL, 'L'},
    {"sysroot", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},       {"serial", no_argument, NULL, 's'},
    {"fresh", no_argument, NULL, 'F'},	       {NULL, 0, NULL, 0},
};

/* One option: 0, 1 when the program is done (--help, --version), 2 on bad usage. */
static int option(int o, char **argv, struct probe_ctx *c, struct cli *cl)
{
	switch (o) {
	case 'j':
		cl->json = true;
		return 0;
	case 'o':
		cl->output = optarg;
		return 0;
	case 'n':
		cl->no_write = true;
		return 0;
	case 'q':
		cl->quiet = true;
		return 0;
	case 'R':
		c->data_root = optarg;
		return 0;
	case 'L':
		c->load_modules = true;
		return 0;
	case 's':
		c->serial = true;
		return 0;
	case 'F':
		c->fresh = true;
		return 0;
	case 'S':
		c->sysroot = optarg;
		c->live = false;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("diyc-probe %s\n", DIYC_VERSION);
		return 1;
	case ':':
		fprintf(stderr, "diyc-probe: option %s needs an argument (see --help)\n",
			argv[optind - 1]);
		return 2;
	}
	fprintf(stderr, "diyc-probe: unknown option %s (see --help)\n", argv[optind - 1]);
	return 2;
}

/* The options together: 0, or 2 with one line on stderr. */
static int validate(int argc, char **argv, const struct probe_ctx *c, const struct cli *cl)
{
	const char *why = NULL, *what = "";
	struct stat st;
	if (optind < argc)
		why = "unexpected argument '%s' (see --help)", what = argv[optind];
	else if (c->data_root[0] != '/')
		why = "--root must be an absolute path: '%s'", what = c->data_root;
	else if (!c->live && (stat(c->sysroot, &st) < 0 || !S_ISDIR(st.st_mode)))
		why = "--sysroot %s: not a directory", what = c->sysroot;
	else if (cl->output && cl->no_write)
		why = "--output and --no-write contradict each other%s";
	if (!why)
		return 0;
	fprintf(stderr, "diyc-probe: ");
	fprintf(stderr, why, what);
	fputc('\n', stderr);
	return 2;
}

/* Show the profile and write it; the exit code. */
static int emit(struct probe_ctx *c, struct cli *cl, int code)
{
	if (!cl->quiet) {
		if (cl->json)
			puts(dc_profile_json(c->prof));
		else
			print_table(c->prof, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	}
	if (!cl->output && !cl->no_write && c->live && geteuid() == 0)
		cl->output = dc_default_profile();
	if (cl->output && !cl->no_write) {
		int r = dc_profile_write(c->prof, cl->output);
		if (r < 0) {
			fprintf(stderr, "diyc-probe: cannot write %s: %s\n", cl->output,
				strerror(-r));
			code = 2;
		} else if (!cl->quiet && !cl->json) {
			printf("\nprofile written to %s\n", cl->output);
		}
	}
	if (!cl->quiet && !cl->json && code == 1)
		fprintf(stderr,
			"diyc-probe: something diyc run requires is missing (see SUMMARY)\n");
	return code;
}

int main(int argc, char **argv)
{
	struct probe_ctx c = {.sysroot = "", .live = true};
	struct cli cl = {0};
	int o, r;
	c.data_root =
	    getenv("DIYC_ROOT") && *getenv("DIYC_ROOT") ? getenv("DIYC_ROOT") : "/var/lib/diyc";
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":jo:nqhV", opts, NULL)) != -1)
		if ((r = option(o, argv, &c, &cl)))
			return r == 1 ? 0 : r;
	if (validate(argc, argv, &c, &cl))
		return 2;
	int code = probe_run(&c);
	if (!c.prof) {
		fprintf(stderr, "diyc-probe: out of memory\n");
		return 2;
	}
	code = emit(&c, &cl, code);
	probe_ctx_free(&c);
	return code;
}
