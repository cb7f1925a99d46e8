/* `diyc run`: parse and validate every option before anything is created. */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/names.h"
#include "netsetup/netsetup.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("Usage: diyc run [OPTIONS] NAME IMAGE [CMD [ARG...]]\n"
	      "Run CMD in a new container NAME made from IMAGE (default: the image's\n"
	      "Entrypoint and Cmd; /bin/sh for an image without them).\n"
	      "\n"
	      "  -m, --memory SIZE     memory limit (k, m, g suffixes); swap limited alike\n"
	      "      --cpus N.N        CPU limit in CPUs (0.5 = half a CPU)\n"
	      "      --pids-limit N    maximum number of processes\n"
	      "  -e, --env KEY=VAL     set an environment variable (repeatable)\n"
	      "  -w, --workdir DIR     working directory inside the container (default: the\n"
	      "                        image's WorkingDir, or /)\n"
	      "  -u, --user U[:G]      run as user U (name or uid; names from the image's\n"
	      "                        /etc/passwd and /etc/group; default: the image's User)\n"
	      "      --entrypoint CMD  replace the image's Entrypoint (and drop its Cmd)\n"
	      "      --hostname NAME   host name (default: the container name); needs a UTS\n"
	      "                        namespace\n"
	      "      --rm              remove the container when it exits\n"
	      "  -d, --detach          run in the background; output goes to `diyc logs NAME`\n"
	      "  -t, --tty             give the container a terminal\n"
	      "      --net MODE        bridge: an address on diyc0 with NAT (default once\n"
	      "                        `diyc net setup` ran); none: a private network with\n"
	      "                        only lo (the default before); host: the host's network\n"
	      "      --ip ADDR         with bridge: this address instead of the next free one\n"
	      "  -p, --publish H:C[/tcp|/udp]  publish container port C on host port H\n"
	      "      --profile FILE    use this kernel profile (default " DC_DEFAULT_PROFILE ",\n"
	      "                        probed again when missing or stale)\n"
	      "      --strict          refuse to run when any feature would be degraded\n"
	      "  -v, --verbose         say what diyc does\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "NAME: letters, digits, '_', '.', '-', starting with a letter or digit, at most 12.\n"
	      "Exit status: the command's; 128+N if killed by signal N; 125 diyc failed;\n"
	      "126 command not executable; 127 command not found.\n",
	      f);
}

/* one clear line on stderr; -1 for the caller */
static int bad(const char *f, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	fprintf(stderr, "diyc: ");
	vfprintf(stderr, f, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

static const struct option opts[] = {
    {"memory", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, 'C'},
    {"pids-limit", required_argument, NULL, 'P'},
    {"env", required_argument, NULL, 'e'},
    {"workdir", required_argument, NULL, 'w'},
    {"hostname", required_argument, NULL, 'H'},
    {"rm", no_argument, NULL, 'r'},
    {"detach", no_argument, NULL, 'd'},
    {"tty", no_argument, NULL, 't'},
    {"profile", required_argument, NULL, 'F'},
    {"strict", no_argument, NULL, 's'},
    {"verbose", no_argument, NULL, 'v'},
    {"net", required_argument, NULL, 'N'},
    {"ip", required_argument, NULL, 'I'},
    {"publish", required_argument, NULL, 'P' + 256},
    {"user", required_argument, NULL, 'u'},
    {"entrypoint", required_argument, NULL, 'E' + 256},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* -p HOSTPORT:CONTAINERPORT[/tcp|/udp], normalised into o->ports */
static int publish(const char *arg, struct run_opts *o)
{
	unsigned hp, cp;
	char proto[8] = "tcp", extra, one[32];
	int k = sscanf(arg, "%u:%u/%7[a-z]%c", &hp, &cp, proto, &extra);
	if (k < 2 || k > 3 || !hp || hp > 65535 || !cp || cp > 65535 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    strspn(arg, "0123456789:/tcpud") != strlen(arg))
		return bad("invalid -p '%s' (HOSTPORT:CONTAINERPORT[/tcp|/udp])", arg);
	snprintf(one, sizeof(one), "%u:%u/%s", hp, cp, proto);
	if (strlen(o->ports) + strlen(one) + 2 > sizeof(o->ports))
		return bad("too many -p options%s", "");
	strappend(o->ports, sizeof(o->ports), ",", "%s", one);
	return 0;
}

static int net_mode(const char *arg, struct run_opts *o)
{
	if (!strcmp(arg, "none"))
		o->net = NET_NONE;
	else if (!strcmp(arg, "host"))
		o->net = NET_HOST;
	else if (!strcmp(arg, "bridge"))
		o->net = NET_BRIDGE;
	else
		return bad("invalid --net '%s' (bridge, none or host)", arg);
	return 0;
}

/* The limits: -m, --cpus, --pids-limit. */
static int limit_option(int c, const char *arg, struct run_opts *o)
{
	if (c == 'm') {
		if (parse_size(arg, &o->memory) < 0)
			return bad("invalid memory size '%s' (examples: 64m, 1g)", arg);
		if (o->memory < (4u << 20))
			return bad("memory limit '%s' is below the 4m minimum", arg);
		o->has_memory = true;
	} else if (c == 'C') {
		if (parse_cpus(arg, &o->cpu_quota) < 0)
			return bad("invalid CPU count '%s' (examples: 0.5, 2)", arg);
		o->has_cpus = true;
	} else {
		if (parse_count(arg, 1, 4194304, &o->pids) < 0)
			return bad("invalid pids limit '%s' (a number >= 1)", arg);
		o->has_pids = true;
	}
	return 0;
}

static const char *entrypoint; /* --entrypoint */

/* An option with a value: 0, -1 (message printed), or 1 when c is not one. */
static int value_option(int c, const char *arg, struct run_opts *o)
{
	struct dc_err e = {0};
	switch (c) {
	case 'm':
	case 'C':
	case 'P':
		return limit_option(c, arg, o);
	case 'e':
		if (!strchr(arg, '=') || arg[0] == '=')
			return bad("invalid environment variable '%s' (use KEY=VAL)", arg);
		o->env[o->nenv++] = (char *)arg;
		return 0;
	case 'w':
		if (arg[0] != '/')
			return bad("working directory '%s' must be absolute", arg);
		o->workdir = arg;
		return 0;
	case 'H':
		if (name_check("host", arg, 63, &e) < 0)
			return bad("%s", e.msg);
		o->hostname = arg;
		return 0;
	case 'N':
		return net_mode(arg, o);
	case 'I':
		return ip4_parse(arg, &o->ip) ? 0 : bad("invalid --ip '%s' (an IPv4 address)", arg);
	case 'p':
	case 'P' + 256:
		return publish(arg, o);
	case 'F':
		o->profile = arg;
		return 0;
	case 'u':
		if (!user_spec_valid(arg))
			return bad("invalid --user '%s' (USER[:GROUP], names or numbers)", arg);
		o->user = arg;
		return 0;
	case 'E' + 256:
		if (!arg[0] || strlen(arg) >= PATH_MAX)
			return bad("invalid --entrypoint '%s'", arg);
		entrypoint = arg;
		return 0;
	}
	return 1;
}

/* A switch: 0, 1 after --help, -1 for an unknown option or a missing value. */
static int switch_option(int c, char **argv, struct run_opts *o)
{
	switch (c) {
	case 'r':
		o->rm = true;
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	case 's':
		o->strict = true;
		return 0;
	case 'v':
		dc_verbose++;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case ':':
		return bad("option %s needs an argument (see diyc run --help)", argv[optind - 1]);
	}
	return bad("unknown option %s (see diyc run --help)", argv[optind - 1]);
}

/* Fill o from the command line: 0 to run, 1 after --help, -1 on bad input. */
static int parse(int argc, char **argv, struct run_opts *o)
{
	struct dc_err e = {0};
	int c, r;
	opterr = 0;
	optind = 1;
	/* "+": stop at NAME, so the command's own options are left alone */
	while ((c = getopt_long(argc, argv, "+:m:e:w:p:u:dtvh", opts, NULL)) != -1) {
		r = value_option(c, optarg, o);
		if (r == 1)
			r = switch_option(c, argv, o);
		if (r != 0)
			return r;
	}
	if (argc - optind < 2)
		return bad("run needs NAME and IMAGE (see diyc run --help)");
	o->name = argv[optind];
	o->image = argv[optind + 1];
	o->argv = argc - optind > 2 ? argv + optind + 2 : NULL;
	if (name_check("container", o->name, DC_NAME_MAX, &e) < 0 ||
	    name_check("image", o->image, DC_IMAGE_MAX, &e) < 0)
		return bad("%s", e.msg);
	if (!image_exists(o->image))
		return bad("no image '%s' (see diyc images; make image builds busybox)", o->image);
	if (img_config_apply(o, entrypoint, &e) < 0)
		return bad("%s", e.msg);
	return 0;
}

bool run_limit_asked(const struct run_opts *o, int ctrl)
{
	const char *n = ctrl >= 0 && ctrl < DC_CG_NCTRLS ? dc_cg_ctrls[ctrl].name : "";
	return (!strcmp(n, "memory") && o->has_memory) || (!strcmp(n, "cpu") && o->has_cpus) ||
	       (!strcmp(n, "pids") && o->has_pids);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	o.env = calloc((size_t)argc, sizeof(char *));
	if (!o.env)
		return EXIT_DIYC;
	int r = parse(argc, argv, &o);
	r = r == 0 ? run_container(&o) : r > 0 ? 0 : EXIT_DIYC;
	free(o.env);
	return r;
}
