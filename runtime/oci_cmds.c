/*
 * diyc-oci's lifecycle commands, with runc's flags and runc's error wording where
 * callers parse it ("does not exist", "not running", "is not stopped").  create
 * walks the start table of steps.c (the same as `diyc run`) up to "created";
 * start opens exec.fifo; delete removes what create made (cgroups, state) and
 * runs the poststop hooks.  Every failure is one line and exit status 1.
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
	int preserve_fds;
	bool detach;
};

static int parse_create(int argc, char **argv, struct create_opts *c, bool run)
{
	static const struct option lo[] = {{"bundle", required_argument, 0, 'b'},
					   {"pid-file", required_argument, 0, 'p'},
					   {"console-socket", required_argument, 0, 'c'},
					   {"preserve-fds", required_argument, 0, 'f'},
					   {"no-pivot", no_argument, 0, 'n'},
					   {"no-new-keyring", no_argument, 0, 'k'},
					   {"detach", no_argument, 0, 'd'},
					   {"keep", no_argument, 0, 'K'},
					   {0, 0, 0, 0}};
	int ch;
	long n;
	memset(c, 0, sizeof(*c));
	c->bundle = ".";
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long_only(argc, argv, "+b:d", lo, NULL)) != -1) {
		if (ch == 'b')
			c->bundle = optarg;
		else if (ch == 'p')
			c->pid_file = optarg;
		else if (ch == 'c')
			c->console_socket = optarg;
		else if (ch == 'f') {
			if (parse_count(optarg, 0, 1000, &n) < 0)
				return oci_failf("bad --preserve-fds %s", optarg);
			c->preserve_fds = (int)n;
		} else if (ch == 'd' && run)
			c->detach = true;
		else if (ch == 'n' || ch == 'k' || ch == 'K')
			continue; /* pivot_root always; no keyring is made (docs/oci.md) */
		else
			return oci_failf("unknown option %s", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return oci_failf("%s needs exactly one container id", argv[0]);
	c->id = argv[optind];
	return 0;
}

/* "a/b/c" or "/a/b/c" without "..": a path below a cgroup hierarchy */
static int cgroup_path_check(const char *p, struct dc_err *e)
{
	if (strchr(p, ':'))
		return dc_fail(e, 0,
			       "cgroupsPath %s is in systemd's slice:prefix:name form; diyc-oci "
			       "manages cgroups itself (no --systemd-cgroup)",
			       p);
	if (strstr(p, "..") || strpbrk(p, "\n,") || !p[strspn(p, "/")])
		return dc_fail(e, 0, "invalid cgroupsPath %s", p);
	return 0;
}

/* join the namespaces the config names by path, before the clone: ours, then the
 * container's (create exits afterwards, so its own namespaces do not matter) */
static int join_paths(const struct oci_spec *s, struct dc_err *e)
{
	for (int i = 0; i < NS_COUNT; i++) {
		if (!s->ns[i].path)
			continue;
		int fd = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, (int)dc_ns[i].flag) < 0) {
			int err = errno;
			if (fd >= 0)
				close(fd);
			return dc_fail(e, err, "join the %s namespace %s", dc_ns[i].name,
				       s->ns[i].path);
		}
		close(fd);
	}
	return 0;
}

static void limits_from_spec(struct run_opts *o, const struct oci_spec *s)
{
	o->has_memory = s->has_memory && s->memory > 0;
	o->memory = o->has_memory ? (uint64_t)s->memory : 0;
	o->has_cpus = s->has_quota && s->quota > 0 && s->period > 0;
	o->cpu_quota = o->has_cpus ? (uint64_t)s->quota * 100000 / s->period : 0;
	o->has_pids = s->has_pids && s->pids > 0;
	o->pids = o->has_pids ? (long)s->pids : 0;
}

static int do_create(struct create_opts *c, bool wait)
{
	static struct oci_spec s;
	struct run_opts o = {0};
	struct dc_err e = {0};
	struct state old;
	if (oci_id_check(c->id, &e) < 0 || oci_spec_load(c->bundle, &s, &e) < 0)
		return oci_fail(&e);
	if (oci_load(c->id, &old, &e) == 0) {
		dc_fail(&e, 0, "container with id %s already exists", c->id);
		return oci_fail(&e);
	}
	e = (struct dc_err){0}; /* (oci_load's "does not exist" is the good case here) */
	if (s.proc.terminal && !c->console_socket && !wait) {
		dc_fail(&e, 0,
			"cannot allocate tty if diyc-oci will detach without setting console "
			"socket");
		return oci_fail(&e);
	}
	if (s.cgroups_path && cgroup_path_check(s.cgroups_path, &e) < 0)
		return oci_fail(&e);
	if (mkdir_p(OG.root, 0711) < 0) { /* the shim's /run/containerd/runc/NS: runc makes it */
		dc_fail(&e, errno, "cannot create the state directory %s", OG.root);
		return oci_fail(&e);
	}
	o.name = c->id;
	o.image = "oci";
	o.argv = s.proc.args;
	o.tty = s.proc.terminal;
	o.strict = OG.strict || s.strict;
	o.oci = &s;
	o.net = NET_NONE;
	o.console_socket = c->console_socket;
	o.pid_file = c->pid_file;
	o.cgroup_path = s.cgroups_path;
	o.preserve_fds = c->preserve_fds;
	o.oci_wait = wait;
	o.rm = true;
	limits_from_spec(&o, &s);
	if (join_paths(&s, &e) < 0)
		return oci_fail(&e);
	int code = run_container(&o);
	if (wait) { /* run in the foreground: deleted already; the container's status */
		static struct state st;
		snprintf(st.name, sizeof(st.name), "%s", c->id);
		snprintf(st.bundle, sizeof(st.bundle), "%s", s.bundle);
		if (oci_hooks(&s, &st, HOOK_POSTSTOP, &e) < 0)
			dc_warn("%s", e.msg);
		return code;
	}
	return code ? 1 : 0;
}

int oci_cmd_create(int argc, char **argv)
{
	struct create_opts c;
	return parse_create(argc, argv, &c, false) ?: do_create(&c, false);
}

int oci_cmd_run(int argc, char **argv)
{
	struct create_opts c;
	int r = parse_create(argc, argv, &c, true);
	if (r)
		return r;
	if (!c.detach)
		return do_create(&c, true);
	if ((r = do_create(&c, false)))
		return r;
	struct dc_err e = {0};
	return oci_start(c.id, &e) < 0 ? oci_fail(&e) : 0;
}

/* one container id, no options (start, pause, resume, state) */
static const char *one_id(int argc, char **argv, struct state *st, struct dc_err *e)
{
	if (argc != 2 || argv[1][0] == '-') {
		dc_fail(e, 0, "%s needs exactly one container id", argv[0]);
		return NULL;
	}
	return oci_load(argv[1], st, e) < 0 ? NULL : argv[1];
}

int oci_start(const char *id, struct dc_err *e)
{
	struct state st;
	static struct oci_spec s;
	char fifo[PATH_MAX], b;
	if (oci_load(id, &st, e) < 0)
		return -1;
	const char *status = oci_status(&st);
	if (strcmp(status, "created"))
		return dc_fail(e, 0, "cannot start a container that is %s", status);
	fmt(fifo, sizeof(fifo), "%s/%s/exec.fifo", G.state_dir, id);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return dc_fail(e, errno, "open %s", fifo);
	unlink(fifo);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = -1;
	for (int i = 0; i < 1000 && n <= 0; i++) { /* the process opens its end at once */
		if (poll(&p, 1, 10) > 0)
			n = read(fd, &b, 1);
		if (n <= 0 && !state_pid_alive(&st))
			break;
	}
	close(fd);
	if (n != 1)
		return dc_fail(e, 0, "container %s did not start (its process is gone)", id);
	snprintf(st.status, sizeof(st.status), "running");
	state_save(&st);
	if (oci_spec_load(st.bundle, &s, e) == 0 && oci_hooks(&s, &st, HOOK_POSTSTART, e) < 0)
		dc_warn("%s", e->msg); /* the container runs: the spec says warn */
	oci_spec_free(&s);
	e->msg[0] = '\0';
	return 0;
}

int oci_cmd_start(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	if (!one_id(argc, argv, &st, &e) || oci_start(argv[1], &e) < 0)
		return oci_fail(&e);
	return 0;
}

int oci_cmd_state(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	if (!one_id(argc, argv, &st, &e))
		return oci_fail(&e);
	char *j = oci_state_json(&st, true);
	puts(j ? j : "{}");
	free(j);
	return 0;
}

static int pause_resume(int argc, char **argv, bool on)
{
	struct state st;
	struct dc_err e = {0};
	struct cg_plan p;
	if (!one_id(argc, argv, &st, &e))
		return oci_fail(&e);
	const char *status = oci_status(&st);
	if (strcmp(status, on ? "running" : "paused")) {
		dc_fail(&e, 0, "container %s is %s, not %s", argv[1], status,
			on ? "running" : "paused");
		return oci_fail(&e);
	}
	cg_plan_from_state(&st, &p);
	int r = cg_freeze(&p, on);
	if (r < 0) {
		dc_fail(&e, -r, "cannot %s container %s (no freezer cgroup?)", argv[0], argv[1]);
		return oci_fail(&e);
	}
	return 0;
}

int oci_cmd_pause(int argc, char **argv) { return pause_resume(argc, argv, true); }
int oci_cmd_resume(int argc, char **argv) { return pause_resume(argc, argv, false); }

int oci_cmd_kill(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	bool all = false;
	int i = 1, sig = SIGTERM;
	for (; i < argc && argv[i][0] == '-'; i++)
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a") || !strcmp(argv[i], "-all"))
			all = true;
		else
			return oci_failf("unknown option %s", argv[i]);
	if (i >= argc || argc - i > 2)
		return oci_failf("usage: %s", "diyc-oci kill [--all] ID [SIGNAL]");
	if (i + 1 < argc && parse_signal(argv[i + 1], &sig) < 0)
		return oci_failf("invalid signal %s", argv[i + 1]);
	if (oci_load(argv[i], &st, &e) < 0)
		return oci_fail(&e);
	if (!strcmp(oci_status(&st), "stopped")) {
		dc_fail(&e, 0, "container not running");
		return oci_fail(&e);
	}
	if (all) { /* every process of its cgroup (the only list without a PID namespace) */
		struct cg_plan p;
		static pid_t pids[4096];
		cg_plan_from_state(&st, &p);
		if (sig == SIGKILL && p.kill_idx >= 0)
			cg_kill_all(&p);
		for (int k = 0, n = cg_procs(&p, pids, 4096); k < n; k++)
			kill(pids[k], sig);
	}
	if (kill(st.pid, sig) < 0 && !(all && errno == ESRCH)) { /* (--all KILL got it first) */
		dc_fail(&e, errno, "kill %d", (int)st.pid);
		return oci_fail(&e);
	}
	return 0;
}
