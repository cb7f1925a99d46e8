/*
 * diyc-oci: global flags and dispatch.  The flags are runc's, which is what
 * conmon (podman) and containerd-shim-runc-v2 pass: --root, --log, --log-format
 * text|json (a json line {"level","msg","time"} per message; the callers read the
 * last error line), --debug, --systemd-cgroup (refused: diyc manages cgroups
 * itself), --version.  Go's flag parser accepts one dash as well as two, so
 * this does too.  Added: --strict (refuse any degraded mode, as diyc run --strict).
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/twin.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
    {"create", oci_cmd_create, "create a container from a bundle (its process waits for start)"},
    {"start", oci_cmd_start, "start the process of a created container"},
    {"run", oci_cmd_run, "create and start (in the foreground, or --detach)"},
    {"state", oci_cmd_state, "the state of a container (runtime-spec JSON)"},
    {"kill", oci_cmd_kill, "send a signal to the container's process (--all: every one)"},
    {"delete", oci_cmd_delete, "remove a stopped container (--force: any)"},
    {"exec", oci_cmd_exec, "run a new process in a running container"},
    {"ps", oci_cmd_ps, "the processes of a container"},
    {"list", oci_cmd_list, "list containers"},
    {"pause", oci_cmd_pause, "freeze a container's processes"},
    {"resume", oci_cmd_resume, "thaw a paused container"},
    {"update", oci_cmd_update, "change a container's limits (--resources FILE|-)"},
    {"features", oci_cmd_features, "what this kernel lets diyc-oci honour (JSON)"},
    {"spec", oci_cmd_spec, "write a default config.json"},
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

static void log_sink(const char *level, const char *msg)
{
	char t[40];
	struct timespec ts;
	struct tm tm;
	if (OG.log_fd < 0 || (!OG.debug && !strcmp(level, "info")))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (OG.json_log) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
		json_str(f, msg);
		fprintf(f, ",\"time\":\"%s.%09ldZ\"}\n", t, ts.tv_nsec);
	} else {
		fprintf(f, "time=\"%s.%09ldZ\" level=%s msg=", t, ts.tv_nsec, level);
		json_str(f, msg);
		fputc('\n', f);
	}
	fclose(f);
	if (write(OG.log_fd, buf, len) < 0) { /* nowhere left to say it */
	}
	free(buf);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: diyc-oci [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
		   "An OCI runtime (runc's command line) that adapts to the kernel it runs on.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  --root DIR          state directory (default " OCI_DEFAULT_ROOT ")\n"
		   "  --log FILE          also write messages to FILE\n"
		   "  --log-format F      text or json\n"
		   "  --debug             log informational messages too\n"
		   "  --strict            refuse to run degraded (also: annotation "
		   "org.diyc.strict=true)\n"
		   "  --systemd-cgroup    refused: diyc-oci manages cgroups itself\n"
		   "  --version           the version\n"
		   "See diyc-oci(8) and docs/oci.md.\n");
}

/* one global flag at argv[*i] (one or two dashes); 0, 1 to exit 0, or -1 */
static int global(int argc, char **argv, int *i)
{
	const char *a = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const char *val = eq ? eq + 1 : *i + 1 < argc ? argv[*i + 1] : NULL;
#define IS(s) (n == strlen(s) && !strncmp(a, s, n))
	if (IS("help") || IS("h"))
		return usage(stdout), 1;
	if (IS("version") || IS("v"))
		return printf("diyc-oci version %s\nspec: %s\n", DIYC_VERSION, OCI_VERSION), 1;
	if (IS("debug"))
		return OG.debug = true, dc_verbose = 1, 0;
	if (IS("strict"))
		return OG.strict = true, 0;
	if (IS("systemd-cgroup"))
		return dc_error("--systemd-cgroup: diyc-oci manages cgroups itself and this host "
				"has no systemd to delegate to; drop the flag"),
		       -1;
	if (IS("rootless") || IS("criu"))
		return *i += !eq, 0; /* accepted and ignored, as runc on a root host */
	if (!IS("root") && !IS("log") && !IS("log-format"))
		return dc_error("unknown global option %s (see diyc-oci --help)", argv[*i]), -1;
	if (!val)
		return dc_error("%s needs a value", argv[*i]), -1;
	*i += !eq;
	if (IS("root"))
		OG.root = val;
	else if (IS("log-format") && strcmp(val, "text") && strcmp(val, "json"))
		return dc_error("--log-format must be text or json, not %s", val), -1;
	else if (IS("log-format"))
		OG.json_log = !strcmp(val, "json");
	else if ((OG.log_fd = open(val, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return dc_error("cannot open the log %s: %s", val, strerror(errno)), -1;
	return 0;
#undef IS
}

int main(int argc, char **argv)
{
	int i = 1;
	dc_prog = "diyc-oci";
	dc_log_sink = log_sink;
	dc_twin_init(argv);
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		int r = global(argc, argv, &i);
		if (r)
			return r > 0 ? 0 : 1;
	}
	if (OG.root[0] != '/' || strpbrk(OG.root, "\n")) {
		dc_error("--root must be an absolute path: %s", OG.root);
		return 1;
	}
	G.state_dir = OG.root;
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	failpoint_init();
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);
	dc_error("unknown command '%s' (see diyc-oci --help)", argv[i]);
	return 1;
}
