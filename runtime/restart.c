/*
 * --restart no|on-failure[:N]|always|unless-stopped, kept by the container's own
 * supervisor (diyc has no daemon): when the command exits and the policy says so,
 * what belongs to that process goes (what is left in its cgroup is killed, its
 * veth's host end deleted) and the steps from "clone" to "running" of steps.c's table
 * run again — the same state, cgroups, lease, published ports and writable layer.
 * Between two starts the state says "restarting" and the supervisor waits a
 * back-off (100 ms, doubled after each quick exit, at most 10 s; back to 100 ms after
 * a run of 10 s or more, as docker's).
 *
 * What ends it: `diyc stop` and `diyc rm -f` leave a "stop" file in the state
 * directory before they signal (stop_requested), and a signal to the supervisor
 * during the back-off (what `diyc stop` sends then).  unless-stopped is always: with
 * no daemon there is no restart of the host to tell them apart.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/start.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int restart_parse(const char *arg, struct run_opts *o, struct dc_err *e)
{
	long n = 0;
	if (!strcmp(arg, "no"))
		o->restart = RESTART_NO;
	else if (!strcmp(arg, "always") || !strcmp(arg, "unless-stopped"))
		o->restart = RESTART_ALWAYS;
	else if (!strcmp(arg, "on-failure"))
		o->restart = RESTART_ON_FAILURE, o->restart_max = 0;
	else if (!strncmp(arg, "on-failure:", 11) && parse_count(arg + 11, 1, 1000000, &n) == 0)
		o->restart = RESTART_ON_FAILURE, o->restart_max = (int)n;
	else
		return dc_fail(e, 0,
			       "invalid --restart '%s' (no, on-failure[:N], always, "
			       "unless-stopped)",
			       arg);
	return 0;
}

/* the marker `diyc stop` and `rm -f` leave: /run/diyc/NAME/stop */
static void stop_path(const char *name, char *out, size_t len)
{
	fmt(out, len, "%s/%s/stop", G.state_dir, name);
}

void restart_forbid(const char *name)
{
	char p[PATH_MAX];
	stop_path(name, p, sizeof(p));
	write_file_atomic(p, "stop\n", 0600, false);
}

static bool stop_requested(const char *name)
{
	char p[PATH_MAX];
	stop_path(name, p, sizeof(p));
	return path_exists(p);
}

double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* wait ms for nothing but a signal to the supervisor: false when one came (stop) */
static bool backoff(struct start *s, long ms)
{
	struct pollfd p = {s->sfd, POLLIN, 0};
	double end = now_s() + (double)ms / 1000;
	for (double left = (double)ms; left > 0; left = (end - now_s()) * 1000) {
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(s->sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD &&
		    si.ssi_signo != SIGWINCH)
			return false;
		while (waitpid(-1, NULL, WNOHANG) > 0) /* an orphan: reaped */
			;
	}
	return true;
}

/* the process part undone: what its cgroup holds killed and reaped, the veth's end */
static void clear_process(struct start *s)
{
	cg_kill_all(&s->cg);
	for (int i = 0; i < 200 && waitpid(-1, NULL, WNOHANG) >= 0; i++) {
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	net_detach(&s->net);
}

/* steps "clone" to "running" again (not "portrule": the rules point at the same
 * address); on failure what they made is undone and the code is 125 */
static int start_again(struct start *s, struct dc_err *e)
{
	int first = -1, i;
	for (i = 0; start_steps[i].name; i++)
		if (!strcmp(start_steps[i].name, "clone"))
			first = i;
	for (i = first; first >= 0 && start_steps[i].name; i++) {
		const struct step *st = &start_steps[i];
		if (!strcmp(st->needs, "oci") || !strcmp(st->name, "portrule"))
			continue;
		if (st->run(s, e) < 0)
			break;
	}
	if (first >= 0 && !start_steps[i].name)
		return 0;
	for (int k = i - 1; k >= first && first >= 0; k--) /* (a failed step undid its own) */
		if (start_steps[k].undo)
			start_steps[k].undo(s);
	return -1;
}

/* after the command exited with s->code: restart while the policy wants it */
void restart_loop(struct start *s)
{
	const struct run_opts *o = s->o;
	long delay = 100;
	int restarts = 0;
	struct dc_err e = {0};
	while (o->restart != RESTART_NO && !stop_requested(o->name) &&
	       (o->restart == RESTART_ALWAYS || s->code != 0) &&
	       (!o->restart_max || restarts < o->restart_max)) {
		delay = now_s() - s->run_started >= 10 ? 100 : delay;
		clear_process(s);
		snprintf(s->st.status, sizeof(s->st.status), "restarting");
		s->st.exit_code = s->code;
		s->st.pid = 0;
		state_save(&s->st);
		if (!backoff(s, delay) || stop_requested(o->name))
			break;
		delay = delay * 2 > 10000 ? 10000 : delay * 2;
		restarts++;
		s->st.restarts = restarts;
		if (start_again(s, &e) < 0) {
			dc_err_print(&e);
			s->code = EXIT_DIYC;
			break;
		}
		s->code = exit_status(
		    wait_main(s->pid, s->sfd, s->master, s->log.r >= 0 ? &s->log : NULL));
	}
}
