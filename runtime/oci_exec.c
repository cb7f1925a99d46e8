/*
 * diyc-oci exec: a new process in a running container, as runc does it.  The
 * process is the config's own (user, capabilities, rlimits, env, seccomp) with
 * what the flags or --process change.  Order, as `diyc exec` (cmd_exec.c):
 * the container's cgroups first (so it is tracked and killed with it), then every
 * namespace of the container's process that differs from ours, in kfeat's join
 * order, then a fork so the child lands in the PID namespace; the child joins the
 * mount namespace (this process keeps the host's paths for the pid file).  The
 * console socket is connected before the mount namespace hides it; the pty comes
 * from the container's own devpts.  With --detach the pid file names the child and
 * diyc-oci leaves: the caller (conmon) is the subreaper that reaps it.
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct exec_opts {
	const char *process, *pid_file, *console, *cwd, *user;
	char *env[64];
	int nenv;
	bool detach, tty;
	char **args;
};

static int parse(int argc, char **argv, struct exec_opts *x, int *idx)
{
	int i = 1;
	memset(x, 0, sizeof(*x));
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		const char **val = !strcmp(a, "process") || !strcmp(a, "p") ? &x->process
				   : !strcmp(a, "pid-file")		    ? &x->pid_file
				   : !strcmp(a, "console-socket")	    ? &x->console
				   : !strcmp(a, "cwd")			    ? &x->cwd
				   : !strcmp(a, "user") || !strcmp(a, "u")  ? &x->user
									    : NULL;
		if (val && i + 1 < argc)
			*val = argv[++i];
		else if ((!strcmp(a, "env") || !strcmp(a, "e")) && i + 1 < argc && x->nenv < 63)
			x->env[x->nenv++] = argv[++i];
		else if (!strcmp(a, "detach") || !strcmp(a, "d"))
			x->detach = true;
		else if (!strcmp(a, "tty") || !strcmp(a, "t"))
			x->tty = true;
		else if (!strcmp(a, "no-new-privs") || !strcmp(a, "preserve-fds"))
			i += !strcmp(a, "preserve-fds");
		else
			return oci_failf("unknown or incomplete option %s", argv[i]);
	}
	if (i >= argc)
		return oci_failf("%s", "exec needs a container id");
	*idx = i;
	x->args = argv + i + 1;
	if (!x->process && !x->args[0])
		return oci_failf("%s", "exec needs a command or --process");
	return 0;
}

/* the config's process, then --process or the flags on top */
static int build(const struct exec_opts *x, const struct oci_spec *s, struct oci_process *p,
		 void **pj, struct dc_err *e)
{
	if (x->process)
		return oci_process_load(x->process, p, pj, e);
	*p = s->proc;
	p->args = x->args;
	p->terminal = x->tty;
	if (x->cwd)
		p->cwd = (char *)x->cwd;
	if (x->user) {
		unsigned u = 0, g = 0;
		int n = sscanf(x->user, "%u:%u", &u, &g);
		if (n < 1)
			return dc_fail(e, 0, "--user takes UID[:GID], not %s", x->user);
		p->uid = u;
		p->gid = n == 2 ? g : 0;
	}
	int n = 0;
	while (s->proc.env && s->proc.env[n])
		n++;
	char **env = calloc((size_t)(n + x->nenv + 1), sizeof(char *));
	for (int i = 0; env && i < n; i++)
		env[i] = s->proc.env[i];
	for (int i = 0; env && i < x->nenv; i++)
		env[n + i] = x->env[i];
	p->env = env;
	return 0;
}

/* the container's cgroups, then its namespaces (ours skipped); the mount namespace
 * only opened: the child joins it, so that this process can still write the pid file
 * on the host's paths.  Returns the mount namespace's fd, -2 for ours, or -1. */
static int enter(const struct state *st, struct dc_err *e)
{
	char p[PATH_MAX + 32];
	struct cg_plan cg;
	cg_plan_from_state(st, &cg);
	if (cg_attach(&cg, getpid(), false, e) < 0)
		return -1;
	int fds[NS_COUNT], mnt = -2;
	for (int i = 0; i < dc_ns_join_count; i++) {
		const struct ns_info *ns = &dc_ns[dc_ns_join_order[i]];
		struct stat a, b;
		char mine[64];
		fmt(p, sizeof(p), "/proc/%d/ns/%s", (int)st->pid, ns->name);
		snprintf(mine, sizeof(mine), "/proc/self/ns/%s", ns->name);
		fds[i] = -1;
		if (stat(p, &a) == 0 && stat(mine, &b) == 0 && a.st_ino != b.st_ino &&
		    (fds[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			return dc_fail(e, errno, "open %s", p);
	}
	for (int i = 0; i < dc_ns_join_count; i++) {
		if (fds[i] < 0)
			continue;
		if (dc_ns_join_order[i] == NS_MNT) {
			mnt = fds[i];
			continue;
		}
		int r = setns(fds[i], (int)dc_ns[dc_ns_join_order[i]].flag);
		close(fds[i]);
		if (r < 0)
			return dc_fail(e, errno, "join the %s namespace",
				       dc_ns[dc_ns_join_order[i]].name);
		if (dc_ns_join_order[i] == NS_PID)
			dc_joined_pidns = true;
	}
	return mnt;
}

static void child(const struct oci_process *p, const struct oci_spec *s, const struct state *st,
		  int sock, int mnt, int sync, int errfd)
{
	struct dc_err e = {0};
	char ch;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(sync, &ch, 1) != 1)
		_exit(EXIT_DIYC);
	if (mnt >= 0 && setns(mnt, CLONE_NEWNS) < 0)
		container_fail(errfd, EXIT_DIYC, "cannot join the container's mount namespace");
	int master = -1, slave = -1;
	if (setsid() < 0 || chdir(p->cwd ? p->cwd : "/") < 0)
		container_fail(errfd, EXIT_DIYC, "cannot enter the working directory");
	if (p->terminal) {
		if (open_pty(&master, &slave) < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 ||
		    dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
			container_fail(errfd, EXIT_DIYC,
				       "cannot allocate a terminal in the container");
		if (sock >= 0 && oci_console_pass(sock, master, &e) < 0)
			container_fail(errfd, EXIT_DIYC, e.msg);
	}
	int init_fd = init_memfd();
	bool pidns = st->nsmask & (1u << NS_PID);
	int code = oci_lookup(p->args, p->env, &e);
	if (code)
		container_fail(errfd, code, e.msg);
	if (oci_process_apply(p, s->seccomp, st->seccomp, pidns, &e) < 0)
		container_fail(errfd, EXIT_DIYC, e.msg);
	prctl(PR_SET_PDEATHSIG, 0);
	signals_default();
	exec_command(init_fd, errfd, p->args, p->env);
	code = exec_failure(p->args[0], errno, &e);
	container_fail(errfd, code, e.msg);
}

static int wait_child(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return exit_status(status);
}

static int run(const struct exec_opts *x, const struct oci_process *p, const struct oci_spec *s,
	       const struct state *st, struct dc_err *e)
{
	int sock = -1, syncp[2], errp[2];
	if (p->terminal && x->console && (sock = oci_console_connect(x->console, e)) < 0)
		return -1;
	int mnt = enter(st, e);
	if (mnt == -1 || pipe2(syncp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return e->msg[0] ? -1 : dc_fail(e, errno, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return dc_fail(e, errno, "fork");
	if (pid == 0) {
		close(syncp[1]);
		close(errp[0]);
		child(p, s, st, sock, mnt, syncp[0], errp[1]);
	}
	if (mnt >= 0)
		close(mnt);
	if (sock >= 0)
		close(sock);
	close(syncp[0]);
	close(errp[1]);
	int code = container_release(pid, syncp[1], errp[0], p->args[0], e);
	if (code) {
		waitpid(pid, NULL, 0);
		return -code;
	}
	if (x->pid_file && oci_pid_file(x->pid_file, pid, e) < 0)
		return -1;
	return x->detach ? 0 : wait_child(pid);
}

/* what build() made: a --process file's own allocations, or the merged env */
static void release(const struct exec_opts *x, struct oci_process *p, void *pj)
{
	if (x->process) {
		oci_process_free(p);
		json_object_put(pj);
	} else {
		free(p->env);
	}
}

int oci_cmd_exec(int argc, char **argv)
{
	struct exec_opts x;
	struct state st;
	struct dc_err e = {0};
	static struct oci_spec s;
	struct oci_process p = {0};
	void *pj = NULL;
	int i = 0, r = parse(argc, argv, &x, &i);
	if (r)
		return r;
	if (oci_load(argv[i], &st, &e) < 0)
		return oci_fail(&e);
	if (strcmp(oci_status(&st), "running") && strcmp(oci_status(&st), "created"))
		r = dc_fail(&e, 0, "cannot exec in a stopped container");
	else if (oci_spec_load(st.bundle, &s, &e) < 0 || build(&x, &s, &p, &pj, &e) < 0)
		r = -1;
	else if (p.terminal && !x.console && x.detach)
		r = dc_fail(&e, 0,
			    "cannot allocate tty if diyc-oci will detach without setting "
			    "console socket");
	if (r == 0) {
		prctl(PR_SET_DUMPABLE, 0);
		r = run(&x, &p, &s, &st, &e);
	}
	release(&x, &p, pj);
	if (r < 0) {
		oci_fail(&e);
		return r == -1 ? 1 : -r;
	}
	return r;
}
