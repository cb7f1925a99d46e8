/*
 * `diyc exec`: a new process inside a running container.  It joins the
 * container's cgroups first (so it is tracked and killed with it), then its
 * namespaces in lib/kfeat.c's join order (the mount namespace last: it also moves
 * our root into the container), forks so the child lands in the PID namespace, and
 * applies the same security settings as the container's main process, then its user
 * (-u or the image's User, resolved in the container's /etc/passwd: user.c) with the
 * image's Env, as docker exec does.  Signals and the exit status are handled as
 * `diyc run` does (supervise.c).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t exec_child;
bool dc_joined_pidns;

/*
 * LeakSanitizer (the ASan build of make check) stops the world at exit with a
 * tracer that cannot work once this process has joined another PID namespace: it
 * would spin forever.  This hook, read only by the sanitizer runtime, turns the leak
 * check off in exactly that case.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return dc_joined_pidns; }

static void forward(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

/* Open every namespace before joining any: /proc changes meaning on the way. */
static int open_namespaces(const struct state *st, int *fds, struct dc_err *e)
{
	char p[PATH_MAX];
	for (int i = 0; i < dc_ns_join_count; i++) {
		const struct ns_info *ns = &dc_ns[dc_ns_join_order[i]];
		fds[i] = -1;
		if (!(st->nsmask & (1u << ns->kind)))
			continue;
		fmt(p, sizeof(p), "/proc/%d/ns/%s", (int)st->pid, ns->name);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return dc_fail(e, errno, "cannot open %s", p);
	}
	return 0;
}

static int join(const struct state *st, const int *fds, struct dc_err *e)
{
	struct cg_plan cg; /* its cgroups first: tracked and killed with it from here */
	cg_plan_from_state(st, &cg);
	if (cg_attach(&cg, getpid(), false, e) < 0)
		return -1;
	for (int i = 0; i < dc_ns_join_count; i++) {
		const struct ns_info *ns = &dc_ns[dc_ns_join_order[i]];
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], (int)ns->flag) < 0)
			return dc_fail(e, errno, "cannot join the %s namespace", ns->name);
		close(fds[i]);
		if (ns->kind == NS_PID)
			dc_joined_pidns = true;
	}
	if (chdir("/") < 0)
		return dc_fail(e, errno, "cannot enter the container's root");
	return 0;
}

/* PATH, HOME (the user's), then the image's Env, which replaces an entry of the same
 * name; read in the host's mount namespace, before joining */
static char *exec_env[260];

static void make_env(const struct state *st)
{
	char *img[256];
	int n = 2, k = img_env(st->image, img, 256);
	exec_env[0] = "PATH=" DC_PATH;
	exec_env[1] = "HOME=/root";
	for (int i = 0; i < k; i++)
		n = env_put(exec_env, n, img[i]);
	exec_env[n] = NULL;
}

/* The forked child: the main process's security settings, its user, the command. */
static void exec_child_main(const struct state *st, int errfd, char **argv)
{
	static char home[PATH_MAX + 8] = "HOME=/root";
	struct features f = {.nnp = st->nnp, .seccomp = st->seccomp};
	struct dc_err e = {0};
	char **env = exec_env;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_fds_from(3, &errfd, 1);
	if (security_apply(&f, st->nsmask & (1u << NS_PID), st->caps, &e) < 0 ||
	    ((st->user[0] || st->group_add[0]) &&
	     user_apply(st->user[0] ? st->user : "0", st->group_add, home + 5, sizeof(home) - 5,
			&e) < 0)) {
		dc_err_print(&e);
		_exit(EXIT_DIYC);
	}
	env[1] = home; /* user_apply wrote the user's home after "HOME=" */
	signals_default();
	int init_fd = init_memfd();
	if (init_fd < 0)
		dc_warn("degraded: no sealed memfd for diyc-init (%s)", strerror(-init_fd));
	int r = exec_command(init_fd, errfd, argv, env);
	int err = errno;
	if (r == -2) {
		dc_error("cannot execute diyc-init: %s", strerror(err));
		_exit(EXIT_DIYC);
	}
	int code = exec_failure(argv[0], err, &e);
	dc_err_print(&e);
	_exit(code);
}

/* Fork the command, forward the signals run forwards, return its exit code. */
static int run_child(const struct state *st, char **argv)
{
	int errp[2];
	if (pipe2(errp, O_CLOEXEC) < 0) {
		dc_error("pipe: %s", strerror(errno));
		return EXIT_DIYC;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		dc_error("fork: %s", strerror(errno));
		return EXIT_DIYC;
	}
	if (pid == 0) {
		close(errp[0]);
		exec_child_main(st, errp[1], argv);
	}
	close(errp[1]);
	int err = 0;
	bool failed = read(errp[0], &err, sizeof(err)) == sizeof(err); /* diyc-init's errno */
	close(errp[0]);
	exec_child = pid;
	struct sigaction sa = {.sa_handler = forward};
	sigemptyset(&sa.sa_mask);
	for (int i = 0; dc_forwarded_signals[i]; i++)
		sigaction(dc_forwarded_signals[i], &sa, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_DIYC;
	if (!failed)
		return exit_status(status);
	struct dc_err e = {0};
	int code = exec_failure(argv[0], err, &e);
	dc_err_print(&e);
	return code;
}

int cmd_exec(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	int fds[NS_COUNT];
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts(
		    "Usage: diyc exec NAME CMD [ARG...]\nRun CMD in the running container NAME, in "
		    "its namespaces and cgroups,\nwith the same capabilities, no_new_privs and "
		    "seccomp settings.");
		return 0;
	}
	if (argc < 3) {
		dc_error("usage: diyc exec NAME CMD [ARG...]");
		return EXIT_DIYC;
	}
	prctl(PR_SET_DUMPABLE, 0); /* our child is visible in the container until its exec */
	if (state_running(argv[1], &st, &e) < 0 || (make_env(&st), false) ||
	    open_namespaces(&st, fds, &e) < 0 ||
	    (!state_pid_alive(&st) && dc_fail(&e, 0, "container %s is not running", argv[1])) ||
	    join(&st, fds, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	return run_child(&st, argv + 2);
}
