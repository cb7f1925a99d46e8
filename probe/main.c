/* diyc-probe: measure what the running kernel offers and write the capability profile. */
#define _GNU_SOURCE
#include "probe.h"
#include "util.h"
#include "version.h"

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
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "Exit status: 0 everything diyc run needs is usable; 1 something required is\n"
	    "missing (named in the summary); 2 the probe itself failed or bad usage.\n"
	    "See diyc-probe(8) and docs/profile.md.\n",
	    f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"output", required_argument, NULL, 'o'},
	    {"no-write", no_argument, NULL, 'n'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"root", required_argument, NULL, 'R'},
	    {"load-modules", no_argument, NULL, 'L'},
	    {"sysroot", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"serial", no_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct probe_ctx c = {.sysroot = "", .live = true};
	const char *output = NULL;
	bool json = false, no_write = false, quiet = false;
	int o;

	c.data_root =
	    getenv("DIYC_ROOT") && *getenv("DIYC_ROOT") ? getenv("DIYC_ROOT") : "/var/lib/diyc";
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":jo:nqhV", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			no_write = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'R':
			c.data_root = optarg;
			break;
		case 'L':
			c.load_modules = true;
			break;
		case 's':
			c.serial = true;
			break;
		case 'S':
			c.sysroot = optarg;
			c.live = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("diyc-probe %s\n", DIYC_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "diyc-probe: option %s needs an argument (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "diyc-probe: unknown option %s (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "diyc-probe: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (c.data_root[0] != '/') {
		fprintf(stderr, "diyc-probe: --root must be an absolute path: '%s'\n", c.data_root);
		return 2;
	}
	if (!c.live) {
		struct stat st;
		if (stat(c.sysroot, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "diyc-probe: --sysroot %s: not a directory\n", c.sysroot);
			return 2;
		}
	}
	if (output && no_write) {
		fprintf(stderr, "diyc-probe: --output and --no-write contradict each other\n");
		return 2;
	}

	int code = probe_run(&c);
	if (!c.prof) {
		fprintf(stderr, "diyc-probe: out of memory\n");
		return 2;
	}
	if (!quiet) {
		if (json)
			puts(dc_profile_json(c.prof));
		else
			print_table(c.prof, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	}
	if (!output && !no_write && c.live && geteuid() == 0)
		output = dc_default_profile();
	if (output && !no_write) {
		int r = dc_profile_write(c.prof, output);
		if (r < 0) {
			fprintf(stderr, "diyc-probe: cannot write %s: %s\n", output, strerror(-r));
			code = 2;
		} else if (!quiet && !json) {
			printf("\nprofile written to %s\n", output);
		}
	}
	if (!quiet && !json && code == 1)
		fprintf(stderr,
			"diyc-probe: something diyc run requires is missing (see SUMMARY)\n");
	probe_ctx_free(&c);
	return code;
}
