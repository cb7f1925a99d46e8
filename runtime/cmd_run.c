/* `diyc run`: parse and validate every option before anything is created. */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "runtime/image.h"
#include "runtime/timing.h"
#include "lib/names.h"
#include "netsetup/netsetup.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs("Usage: diyc run [OPTIONS] [NAME] IMAGE [CMD [ARG...]]\n"
	      "Run CMD in a new container NAME made from IMAGE (default: the image's\n"
	      "Entrypoint and Cmd; /bin/sh for an image without them). Without NAME (or\n"
	      "--name) the container is named IMAGE-XXXXXX.\n"
	      "\n"
	      "  -m, --memory SIZE     memory limit (k, m, g suffixes); swap limited alike\n"
	      "      --cpus N.N        CPU limit in CPUs (0.5 = half a CPU)\n"
	      "      --pids-limit N    maximum number of processes\n"
	      "  -e, --env KEY=VAL     set an environment variable (repeatable)\n"
	      "  -w, --workdir DIR     working directory inside the container (default: the\n"
	      "                        image's WorkingDir, or /)\n"
	      "      --env-file FILE   KEY=VAL lines (a bare KEY: its value here; # comments)\n"
	      "  -u, --user U[:G]      run as user U (name or uid; names from the image's\n"
	      "                        /etc/passwd and /etc/group; default: the image's User)\n"
	      "      --group-add G     another group (name in the image, or number)\n"
	      "      --cap-add CAP, --cap-drop CAP  change the capability set (NET_ADMIN,\n"
	      "                        CAP_SYS_TIME, ALL); default: docker's without MKNOD\n"
	      "      --ulimit NAME=SOFT[:HARD]  a resource limit (nofile, nproc, core, ...)\n"
	      "      --security-opt no-new-privileges  (always set; no other is supported)\n"
	      "      --name NAME       the container's name (then IMAGE comes first)\n"
	      "      --restart P       no, on-failure[:N], always, unless-stopped: started\n"
	      "                        again by its supervisor; diyc stop ends it\n"
	      "      --init            accepted: diyc-init is always the first process\n"
	      "      --entrypoint CMD  replace the image's Entrypoint (and drop its Cmd)\n"
	      "      --hostname NAME   host name (default: the container name); needs a UTS\n"
	      "                        namespace\n"
	      "  -v, --volume SRC:DST[:OPTS]  bind host path SRC (absolute) or named volume\n"
	      "                        SRC (made when missing) on DST; OPTS: ro, rw, suid,\n"
	      "                        dev, exec, noexec (default rw,nosuid,nodev)\n"
	      "      --mount type=bind|volume|tmpfs,src=S,dst=D[,ro]  the same, long form\n"
	      "      --tmpfs DST[:OPTS]  a tmpfs on DST (size=64m, mode=1777, exec, ...)\n"
	      "      --read-only       the root file system read-only (/tmp, /run: tmpfs)\n"
	      "      --rm              remove the container when it exits\n"
	      "  -d, --detach          run in the background; output goes to `diyc logs NAME`\n"
	      "  -t, --tty             give the container a terminal\n"
	      "      --net, --network MODE  bridge: an address on diyc0 with NAT (default\n"
	      "                        once `diyc net setup` ran); NAME: a network of `diyc\n"
	      "                        network create`; none: a private network with only lo\n"
	      "                        (the default before); host: the host's network\n"
	      "      --ip ADDR         on a bridge: this address instead of the next free one\n"
	      "  -p, --publish [IP:]H[-H2]:C[-C2][/tcp|/udp]  publish container port(s) C on\n"
	      "                        host port(s) H (of address IP only; also on 127.0.0.1)\n"
	      "      --network-alias A another name of the container on its network's DNS\n"
	      "      --dns IP          the container's resolver (repeatable; replaces the\n"
	      "                        network's DNS)\n"
	      "      --dns-search D    a search domain of the container's resolver\n"
	      "      --add-host NAME:IP  a line of /etc/hosts (IP host-gateway: the gateway)\n"
	      "      --profile FILE    use this kernel profile (default " DC_DEFAULT_PROFILE ",\n"
	      "                        probed again when missing or stale)\n"
	      "      --strict          refuse to run when any feature would be degraded\n"
	      "      --verbose         say what diyc does\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "NAME: letters, digits, '_', '.', '-', starting with a letter or digit, at most 64.\n"
	      "--privileged is refused (see diyc(1)).\n"
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
    {"verbose", no_argument, NULL, 'V' + 256},
    {"net", required_argument, NULL, 'N'},
    {"ip", required_argument, NULL, 'I'},
    {"publish", required_argument, NULL, 'P' + 256},
    {"network", required_argument, NULL, 'N'},
    {"network-alias", required_argument, NULL, 'A' + 256},
    {"dns", required_argument, NULL, 'D' + 256},
    {"dns-search", required_argument, NULL, 'S' + 256},
    {"add-host", required_argument, NULL, 'H' + 256},
    {"user", required_argument, NULL, 'u'},
    {"entrypoint", required_argument, NULL, 'E' + 256},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, 'M' + 256},
    {"tmpfs", required_argument, NULL, 'T' + 256},
    {"read-only", no_argument, NULL, 'R' + 256},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"ulimit", required_argument, NULL, OPT_ULIMIT},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"group-add", required_argument, NULL, OPT_GROUP_ADD},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
    {"init", no_argument, NULL, OPT_INIT},
    {"name", required_argument, NULL, OPT_NAME},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* -p [IP:]HOST[-HOST2]:CONTAINER[-CONTAINER2][/tcp|/udp], normalised into o->ports */
static int publish(const char *arg, struct run_opts *o)
{
	struct dc_err e = {0};
	char one[64];
	if (net_port_parse(arg, one, sizeof(one), &e) < 0)
		return bad("%s", e.msg);
	if (strlen(o->ports) + strlen(one) + 2 > sizeof(o->ports))
		return bad("too many -p options");
	strappend(o->ports, sizeof(o->ports), ",", "%s", one);
	if (net_ports_rules(o->ports) > DC_PORT_RULES_MAX)
		return bad("-p: more than %d ports mapped to other numbers", DC_PORT_RULES_MAX);
	return 0;
}

static int net_mode(const char *arg, struct run_opts *o)
{
	struct dc_err e = {0};
	o->network = NULL;
	if (!strcmp(arg, "none"))
		o->net = NET_NONE;
	else if (!strcmp(arg, "host"))
		o->net = NET_HOST;
	else if (!strcmp(arg, "bridge"))
		o->net = NET_BRIDGE;
	else if (net_name_check(arg, &e) == 0)
		o->net = NET_BRIDGE, o->network = arg;
	else
		return bad("invalid --net '%s' (bridge, none, host or a network's name)", arg);
	return 0;
}

/* a host name of DNS: labels of letters, digits and '-', dots between */
static bool dns_name(const char *s)
{
	size_t n = strlen(s);
	return n && n <= 253 && isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n &&
	       !strstr(s, "..");
}

static bool ip_any(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ARG appended to a list option's buffer, or one line saying there are too many */
static int add_to(char *buf, size_t size, const char *sep, const char *arg, const char *opt)
{
	if (strlen(buf) + strlen(arg) + 2 > size)
		return bad("too many %s options", opt);
	strappend(buf, size, sep, "%s", arg);
	return 0;
}

/* --network-alias, --dns, --dns-search, --add-host */
static int name_option(int c, const char *arg, struct run_opts *o)
{
	const char *colon = strchr(arg, ':');
	char host[256], line[300];
	switch (c) {
	case 'A' + 256:
		if (!dns_name(arg) || strlen(arg) > 63)
			return bad("invalid --network-alias '%s' (a host name)", arg);
		return add_to(o->aliases, sizeof(o->aliases), ",", arg, "--network-alias");
	case 'D' + 256:
		if (!ip_any(arg))
			return bad("invalid --dns '%s' (an IP address)", arg);
		return add_to(o->dns, sizeof(o->dns), ",", arg, "--dns");
	case 'S' + 256:
		if (strcmp(arg, ".") && !dns_name(arg))
			return bad("invalid --dns-search '%s' (a domain)", arg);
		return add_to(o->dns_search, sizeof(o->dns_search), " ", arg, "--dns-search");
	}
	/* --add-host NAME:IP (an IPv6 address keeps its colons: the first one splits) */
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		return bad("invalid --add-host '%s' (NAME:IP)", arg);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
	if (!dns_name(host) || (!ip_any(colon + 1) && strcmp(colon + 1, "host-gateway")))
		return bad("invalid --add-host '%s' (NAME:IP, IP an address or host-gateway)", arg);
	snprintf(line, sizeof(line), "%s\t%s\n", colon + 1, host);
	return add_to(o->add_hosts, sizeof(o->add_hosts), "", line, "--add-host");
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

/* -v, --mount, --tmpfs */
static int mount_option(int c, const char *arg, struct run_opts *o)
{
	struct dc_err e = {0};
	if (o->nmounts >= DC_MOUNTS_MAX)
		return bad("more than %d mounts", DC_MOUNTS_MAX);
	struct run_mount *m = &o->mounts[o->nmounts];
	int r = c == 'v'	 ? mount_parse_volume(arg, m, &e)
		: c == 'M' + 256 ? mount_parse_mount(arg, m, &e)
				 : mount_parse_tmpfs(arg, m, &e);
	if (r < 0)
		return bad("%s", e.msg);
	o->nmounts++;
	return 0;
}

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
		if (o->nenv >= DC_ENV_MAX)
			return bad("more than %d environment variables", DC_ENV_MAX);
		o->env[o->nenv++] = (char *)arg;
		return 0;
	case OPT_RESTART:
		return restart_parse(arg, o, &e) < 0 ? bad("%s", e.msg) : 0;
	case OPT_NAME:
		if (name_check("container", arg, DC_NAME_MAX, &e) < 0)
			return bad("%s", e.msg);
		o->name = arg;
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
	case 'A' + 256:
	case 'D' + 256:
	case 'S' + 256:
	case 'H' + 256:
		return name_option(c, arg, o);
	case 'u':
		if (!user_spec_valid(arg))
			return bad("invalid --user '%s' (USER[:GROUP], names or numbers)", arg);
		o->user = arg;
		return 0;
	case 'v':
	case 'M' + 256:
	case 'T' + 256:
		return mount_option(c, arg, o);
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
	case OPT_ULIMIT:
	case OPT_ENV_FILE:
	case OPT_GROUP_ADD:
	case OPT_SECURITY_OPT:
		return run_priv_option(c, arg, o, &e) < 0 ? bad("%s", e.msg) : 0;
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
	case 'R' + 256:
		o->read_only = true;
		return 0;
	case OPT_PRIVILEGED:
	case OPT_INIT: {
		struct dc_err e = {0};
		return run_priv_option(c, NULL, o, &e) < 0 ? bad("%s", e.msg) : 0;
	}
	case 'V' + 256:
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

/* a name for a container run without one: IMAGE-XXXXXX (6 random hex digits) */
static const char *generated_name(const char *image)
{
	static char name[DC_NAME_MAX + 1];
	unsigned rnd = 0;
	for (int i = 0; i < 8; i++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (unsigned)getpid() * 2654435761u + (unsigned)i;
		snprintf(name, sizeof(name), "%.40s-%06x", image, rnd & 0xffffff);
		struct state st;
		bool running;
		if (state_load(name, &st, &running) == -ENOENT)
			break;
	}
	return name;
}

/* a valid image name (checked before it touches a path) of an existing image */
static bool is_image(const char *s)
{
	struct dc_err e;
	return name_check("image", s, DC_IMAGE_MAX, &e) == 0 && image_exists(s);
}

/* NAME IMAGE [CMD...], --name NAME IMAGE [CMD...], or IMAGE [CMD...] (a generated
 * name) when the first word is an image and the second is not */
static int positionals(int argc, char **argv, struct run_opts *o)
{
	int n = argc - optind;
	bool named = o->name != NULL;
	if (n < 1 || (n < 2 && !named && !is_image(argv[optind])))
		return bad("run needs [NAME] IMAGE (see diyc run --help)");
	if (!named && n >= 2 && is_image(argv[optind + 1]))
		o->name = argv[optind++];
	else if (!named && is_image(argv[optind]))
		o->name = generated_name(argv[optind]);
	else if (!named)
		o->name = argv[optind++]; /* NAME IMAGE, the image unknown: said below */
	o->image = argv[optind];
	o->argv = argc - optind > 1 ? argv + optind + 1 : NULL;
	return 0;
}

/* Fill o from the command line: 0 to run, 1 after --help, -1 on bad input. */
static int parse(int argc, char **argv, struct run_opts *o)
{
	struct dc_err e = {0};
	int c, r;
	opterr = 0;
	optind = 1;
	/* "+": stop at NAME, so the command's own options are left alone */
	while ((c = getopt_long(argc, argv, "+:m:e:w:p:u:v:dth", opts, NULL)) != -1) {
		r = value_option(c, optarg, o);
		if (r == 1)
			r = switch_option(c, argv, o);
		if (r != 0)
			return r;
	}
	if (positionals(argc, argv, o) < 0)
		return -1;
	if (name_check("container", o->name, DC_NAME_MAX, &e) < 0 ||
	    name_check("image", o->image, DC_IMAGE_MAX, &e) < 0)
		return bad("%s", e.msg);
	if (mounts_check(o, &e) < 0)
		return bad("%s", e.msg);
	if (o->restart != RESTART_NO && o->rm)
		return bad("--restart and --rm conflict (a restarted container is kept)");
	if (!image_exists(o->image))
		return bad("no image '%s' (see diyc images; make image builds busybox)", o->image);
	if (img_config_apply(o, entrypoint, &e) < 0 || run_priv_check(o, &e) < 0)
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
	static struct run_rlimit ulimits[DC_ULIMITS_MAX];
	o.ulimits = ulimits;
	o.env = calloc((size_t)DC_ENV_MAX + 1, sizeof(char *));
	o.mounts = calloc(DC_MOUNTS_MAX, sizeof(struct run_mount));
	int r = o.env && o.mounts ? parse(argc, argv, &o) : -1;
	timing_mark("options");
	r = r == 0 ? run_container(&o) : r > 0 ? 0 : EXIT_DIYC;
	timing_report();
	free(o.env);
	free(o.mounts);
	return r;
}
