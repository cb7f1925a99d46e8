/*
 * `diyc exec`: a new process inside a running container.  It joins the
 * container's cgroups first (so it is tracked and killed with it), then its
 * namespaces (the mount namespace last: it also moves our root into the
 * container), forks so the child lands in the PID namespace, and applies the
 * same security settings as the container's main process.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "mountinfo.h"
#include "names.h"
#include "util.h"

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
static bool joined_pidns;

/*
 * LeakSanitizer (the ASan build of make check) stops the world at exit with a
 * tracer that cannot work once this process has joined another PID namespace: it
 * would spin forever.  This hook, read only by the sanitizer runtime, turns the leak
 * check off in exactly that case.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return joined_pidns; }

static void forward(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

static bool has_ns(const char *list, const char *ns) { return option_has(list, ns); }

int cmd_exec(int argc, char **argv)
{
	char why[300], p[PATH_MAX];
	struct state st;
	bool running;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts(
		    "Usage: diyc exec NAME CMD [ARG...]\nRun CMD in the running container NAME, in "
		    "its namespaces and cgroups,\nwith the same capabilities, no_new_privs and "
		    "seccomp settings.");
		return 0;
	}
	if (argc < 3) {
		err("usage: diyc exec NAME CMD [ARG...]");
		return EXIT_DIYC;
	}
	if (name_check("container", argv[1], DC_NAME_MAX, why, sizeof(why)) < 0) {
		err("%s", why);
		return EXIT_DIYC;
	}
	if (state_load(argv[1], &st, &running) < 0 || !running || !state_pid_alive(&st)) {
		err("container %s is not running", argv[1]);
		return EXIT_DIYC;
	}
	prctl(PR_SET_DUMPABLE, 0); /* our child is visible in the container until its exec */
	/* open every namespace before joining any: /proc changes meaning on the way */
	static const struct {
		const char *ns;
		int flag;
	} order[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},  {"net", CLONE_NEWNET},
		     {"pid", CLONE_NEWPID}, {"cgroup", 0x02000000}, {"mnt", CLONE_NEWNS}};
	int fds[6];
	for (size_t i = 0; i < 6; i++) {
		fds[i] = -1;
		if (!has_ns(st.namespaces, order[i].ns))
			continue;
		fmt(p, sizeof(p), "/proc/%d/ns/%s", (int)st.pid, order[i].ns);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			err("cannot open %s: %s", p, strerror(errno));
			return EXIT_DIYC;
		}
	}
	if (state_pid_alive(&st) == false) {
		err("container %s is not running", argv[1]);
		return EXIT_DIYC;
	}
	char pid_s[32];
	snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
	for (int i = 0; i < st.ncgroups; i++) {
		fmt(p, sizeof(p), "%s/cgroup.procs", st.cgroups[i]);
		int r = write_file(p, pid_s);
		if (r < 0) {
			err("cannot join the cgroup %s: %s", st.cgroups[i], strerror(-r));
			return EXIT_DIYC;
		}
	}
	for (size_t i = 0; i < 6; i++)
		if (fds[i] >= 0) {
			if (setns(fds[i], order[i].flag) < 0) {
				err("cannot join the %s namespace: %s", order[i].ns,
				    strerror(errno));
				return EXIT_DIYC;
			}
			close(fds[i]);
			if (order[i].flag == CLONE_NEWPID)
				joined_pidns = true;
		}
	if (chdir("/") < 0) {
		err("cannot enter the container's root");
		return EXIT_DIYC;
	}
	int errp[2];
	if (pipe2(errp, O_CLOEXEC) < 0) {
		err("pipe: %s", strerror(errno));
		return EXIT_DIYC;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		err("fork: %s", strerror(errno));
		return EXIT_DIYC;
	}
	if (pid == 0) {
		struct features f = {.nnp = st.nnp, .seccomp = st.seccomp};
		static char *env[] = {
		    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		    "HOME=/root", NULL};
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_fds_from(3, errp[1], -1);
		if (security_apply(&f, has_ns(st.namespaces, "pid"), why, sizeof(why)) < 0) {
			err("%s", why);
			_exit(EXIT_DIYC);
		}
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(errp[0]);
		int init_fd = init_memfd();
		if (init_fd < 0)
			warn("degraded: no sealed memfd for diyc-init (%s)", strerror(-init_fd));
		int r = exec_command(init_fd, errp[1], argv + 2, env);
		int e = errno;
		if (r == -2) {
			err("cannot execute diyc-init: %s", strerror(e));
			_exit(EXIT_DIYC);
		}
		_exit(exec_failure(argv[2], e));
	}
	close(errp[1]);
	int e = 0;
	bool failed = read(errp[0], &e, sizeof(e)) == sizeof(e); /* diyc-init's errno */
	close(errp[0]);
	exec_child = pid;
	struct sigaction sa = {.sa_handler = forward};
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_DIYC;
	if (failed)
		return exec_failure(argv[2], e);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_DIYC;
}
