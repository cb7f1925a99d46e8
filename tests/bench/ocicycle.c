/*
 * One container's life as an engine drives an OCI runtime (make bench, oci.sh):
 *   ocicycle RUNTIME ROOT BUNDLE ID
 * create, start, wait for the container's exit as its subreaper (conmon and
 * containerd-shim are subreapers), delete.  The same helper times runc and diyc-oci,
 * so its own small cost weighs the same on both sides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int runtime(char **base, const char *cmd, const char *extra1, const char *extra2)
{
	char *argv[] = {base[0],	"--root",	base[1], (char *)cmd,
			(char *)extra1, (char *)extra2, base[3], NULL};
	if (!extra1) {
		argv[4] = base[3];
		argv[5] = NULL;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "ocicycle: %s %s failed\n", base[0], cmd);
		exit(1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ocicycle RUNTIME ROOT BUNDLE ID\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	runtime(argv + 1, "create", "--bundle", argv[3]);
	runtime(argv + 1, "start", NULL, NULL);
	while (wait(NULL) > 0 || errno == EINTR) /* the container's init, reparented to us */
		;
	runtime(argv + 1, "delete", NULL, NULL);
	return 0;
}
