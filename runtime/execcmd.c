/*
 * The last step of every process diyc starts inside a container: resolve the
 * command on the container's PATH and execute it through diyc-init, a tiny
 * static program (runtime/init/diyc-init.c) that diyc carries as bytes and
 * puts into a sealed memfd.  Why not execve() the command directly: during
 * that execve the kernel resolves the command, and a `#!/proc/self/exe` line,
 * while /proc/self/exe is still diyc; the image's command would then run the
 * host's diyc binary inside the container, where it can be opened for
 * writing once diyc exits (runc's CVE-2019-5736).  Through diyc-init,
 * /proc/self/exe at that moment is an anonymous copy nobody can write
 * (F_SEAL_WRITE), and it is gone when the container is.
 *
 * The processes that run diyc code inside the container before that are not
 * dumpable (supervise.c, cmd_exec.c), so no container process can open their
 * /proc/PID/exe either.  A memfd copy of all of diyc (crun's and older runc's
 * answer) would cost a second dynamic start-up of diyc on every run (3.6 ms
 * here, docs/bench.md); diyc-init costs one static exec of 4 KB.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const char diyc_init_blob[], diyc_init_blob_end[];

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int init_memfd(void)
{
	int fd = (int)syscall(SYS_memfd_create, "diyc-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	size_t n = (size_t)(diyc_init_blob_end - diyc_init_blob);
	if (write(fd, diyc_init_blob, n) != (ssize_t)n || fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
		int e = errno ? -errno : -EIO;
		close(fd);
		return e;
	}
	return fd;
}

/* execvp's search, done before exec: the first executable regular file on PATH. */
static int resolve(const char *cmd, char **envp, char *out, size_t len)
{
	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/'))
		return fmt(out, len, "%s", cmd) < 0 ? -ENAMETOOLONG : 0;
	const char *path = DC_PATH;
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	int found = -ENOENT;
	for (const char *p = path;; p++) {
		size_t dl = strcspn(p, ":");
		struct stat st;
		if (fmt(out, len, "%.*s/%s", (int)dl, dl ? p : ".", cmd) == 0 &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			found = -EACCES; /* remembered, as execvp does, while searching on */
		}
		p += dl;
		if (!*p)
			break;
	}
	return found;
}

int exec_command(int init_fd, int errfd, char *const argv[], char **envp)
{
	char path[PATH_MAX], fdnum[16];
	int e = resolve(argv[0], envp, path, sizeof(path));
	if (e < 0) {
		errno = -e;
		return -1;
	}
	if (init_fd < 0) {
		execve(path, argv, envp); /* no memfd here: degraded, and said so at start */
		return -1;
	}
	size_t n = 0;
	while (argv[n])
		n++;
	char **v = calloc(n + 4, sizeof(char *)); /* diyc-init ERRFD PATH ARGV... NULL */
	if (!v)
		return -2;
	snprintf(fdnum, sizeof(fdnum), "%d", errfd);
	v[0] = "diyc-init";
	v[1] = fdnum;
	v[2] = path;
	memcpy(v + 3, argv, (n + 1) * sizeof(char *));
	/* diyc-init reports a failed exec on errfd itself: keep it open across this exec */
	if (fcntl(errfd, F_SETFD, 0) < 0) {
		free(v);
		return -2;
	}
	syscall(SYS_execveat, init_fd, "", v, envp, AT_EMPTY_PATH);
	e = errno;
	fcntl(errfd, F_SETFD, FD_CLOEXEC);
	free(v);
	errno = e;
	return -2;
}

int env_put(char **env, int n, char *kv)
{
	size_t k = strcspn(kv, "=") + 1;
	int j = 0;
	while (j < n && strncmp(env[j], kv, k))
		j++;
	env[j] = kv;
	return j == n ? n + 1 : n;
}
