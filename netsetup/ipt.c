/*
 * iptables, run as a program without a shell: rule changes go through one batched
 * `iptables-restore --noflush` (atomic per table, and the same tool whatever the
 * backend: legacy or nf_tables).  Used by `diyc net setup/clean` and for published
 * ports; never to create a container's veth (that is rtnetlink).
 */
#define _GNU_SOURCE
#include "netconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *tool(const char *env, const char *dflt)
{
	const char *t = getenv(env);
	return t && *t ? t : dflt;
}

/* fork+exec argv with in (or /dev/null) as stdin and err captured; exit status or -1 */
static int run(char *const argv[], const char *in, char *err, size_t errlen)
{
	int ip[2], ep[2];
	if (pipe2(ip, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(ip[0]);
		close(ip[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (dup2(ip[0], 0) < 0 || dup2(null, 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(ip[0]);
	close(ep[1]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	if (in) {
		size_t n = strlen(in), off = 0;
		while (off < n) {
			ssize_t w = write(ip[1], in + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	close(ip[1]);
	signal(SIGPIPE, old);
	size_t got = 0;
	ssize_t r;
	char sink[256];
	while ((r = read(ep[0], got + 1 < errlen ? err + got : sink,
			 got + 1 < errlen ? errlen - got - 1 : sizeof(sink))) > 0)
		if (got + 1 < errlen)
			got += (size_t)r;
	if (errlen)
		err[got] = '\0';
	close(ep[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ipt_restore(const char *rules, char *why, size_t len)
{
	char *argv[] = {(char *)tool("DIYC_IPTABLES_RESTORE", "iptables-restore"), "--noflush",
			"-w", NULL};
	char err[512] = "";
	int r = run(argv, rules, err, sizeof(err));
	if (r == 0)
		return 0;
	err[strcspn(err, "\n")] = '\0';
	snprintf(why, len, "iptables-restore failed (%d): %s", r, err[0] ? err : "no message");
	return -1;
}

int ipt_run(const char *const argv[])
{
	char *a[32];
	int n = 0;
	a[n++] = (char *)tool("DIYC_IPTABLES", "iptables");
	a[n++] = "-w";
	for (int i = 0; argv[i]; i++) {
		if (n >= 31)
			return -1;
		a[n++] = (char *)argv[i];
	}
	a[n] = NULL;
	char err[64];
	return run(a, NULL, err, sizeof(err));
}
