/*
 * OCI hooks: each one a program run with the container's state JSON on its
 * stdin, its own args and env, and an optional timeout after which it is killed.
 * Where they run: prestart, createRuntime and createContainer at the end of
 * create (all three in the runtime's namespaces, once the container is set up;
 * runc runs createContainer inside the container's mount namespace before
 * pivot_root, a difference docs/oci.md names), poststart by start after the
 * command was released, poststop by delete.  A failing hook fails the command,
 * except poststop, whose failure is only logged (the spec's rule).
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_hook(const struct oci_hook *h, const char *state, struct dc_err *e)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return dc_fail(e, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return dc_fail(e, errno, "fork");
	}
	if (pid == 0) {
		static char *none[] = {NULL};
		dup2(in[0], 0);
		signals_default();
		char *const *argv =
		    h->args && h->args[0] ? h->args : (char *const[]){h->path, NULL};
		execve(h->path, argv, h->env ? h->env : none);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	size_t n = strlen(state);
	if (write(in[1], state, n) != (ssize_t)n) { /* a hook need not read it */
	}
	close(in[1]);
	int status = 0;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, &status, h->timeout > 0 ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return dc_fail(e, errno, "wait for hook %s", h->path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (h->timeout > 0 && now.tv_sec - t0.tv_sec >= h->timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return dc_fail(e, 0, "hook %s timed out after %d s", h->path, h->timeout);
		}
		struct timespec ms = {0, 5000000};
		nanosleep(&ms, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return dc_fail(e, 0, "hook %s failed (status %d)", h->path,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

int oci_hooks(const struct oci_spec *s, const struct state *st, enum oci_hook_kind kind,
	      struct dc_err *e)
{
	if (!s->nhooks[kind])
		return 0;
	char *state = oci_state_json(st, false);
	int r = 0;
	for (int i = 0; state && i < s->nhooks[kind] && !r; i++)
		if ((r = run_hook(&s->hooks[kind][i], state, e)) < 0)
			dc_context(e, "%s hook", oci_hook_names[kind]);
	free(state);
	return r;
}
