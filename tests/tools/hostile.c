/*
 * hostile: what a malicious container process tries, one attack per
 * sub-command, built static so any image can carry it (tests/integration/
 * hostile.sh).  Each prints one line "NAME: blocked (errno text)" or
 * "NAME: SUCCEEDED ..." and exits 0 when blocked, 1 when the attack worked.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int verdict(const char *what, int r)
{
	if (r < 0) {
		printf("%s: blocked (%s)\n", what, strerror(errno));
		return 0;
	}
	printf("%s: SUCCEEDED\n", what);
	return 1;
}

/* Write a marker into an executable opened for writing: the test then checks that
 * neither the image nor the host's diyc changed (4.4's overlayfs lets the open
 * succeed and copies the file up into the container's own layer). */
static void scribble(int fd)
{
	if (write(fd, "#hostile", 8) != 8)
		printf("exe-write: the write failed (%s)\n", strerror(errno));
}

/* every other process's executable, opened for writing directly and by reopening */
static int exe_write(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int seen = 0, opened = 0;
	char p[64], q[64];
	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		seen++;
		snprintf(p, sizeof(p), "/proc/%d/exe", pid);
		int fd = open(p, O_WRONLY);
		if (fd >= 0) {
			printf("exe-write: opened %s for writing\n", p);
			opened++;
			scribble(fd);
			close(fd);
		}
		fd = open(p, O_PATH);
		if (fd >= 0) {
			snprintf(q, sizeof(q), "/proc/self/fd/%d", fd);
			int w = open(q, O_WRONLY);
			if (w >= 0) {
				printf("exe-write: reopened %s for writing\n", p);
				opened++;
				scribble(w);
				close(w);
			}
			close(fd);
		}
	}
	if (d)
		closedir(d);
	printf("exe-write: %s (%d other processes tried)\n", opened ? "SUCCEEDED" : "blocked",
	       seen);
	return opened > 0;
}

static int tiocsti(void)
{
	const char *s = "echo INJECTED\n";
	int r = 0;
	for (; *s && r == 0; s++)
		r = ioctl(0, TIOCSTI, s);
	return verdict("tiocsti", r);
}

static int write_file(const char *what, const char *path, const char *data)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return verdict(what, -1);
	int r = (int)write(fd, data, strlen(data));
	close(fd);
	return verdict(what, r);
}

static int ids(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	printf("uid=%d euid=%d", (int)getuid(), (int)geteuid());
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			printf(" %s", line);
	if (f)
		fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "exe-write"))
		return exe_write();
	if (!strcmp(c, "tiocsti"))
		return tiocsti();
	if (!strcmp(c, "mknod"))
		return verdict("mknod", mknod("/blockdev", S_IFBLK | 0600, makedev(8, 0)));
	if (!strcmp(c, "mount"))
		return verdict("mount", mount("none", "/mnt", "tmpfs", 0, NULL));
	if (!strcmp(c, "remount"))
		return verdict("remount",
			       mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL));
	if (!strcmp(c, "sysctl"))
		return write_file("sysctl", "/proc/sys/kernel/domainname", "pwned\n");
	if (!strcmp(c, "sysrq"))
		return write_file("sysrq", "/proc/sysrq-trigger", "h");
	if (!strcmp(c, "module"))
		return verdict("module", (int)syscall(SYS_init_module, "", 0UL, ""));
	if (!strcmp(c, "reboot"))
		return verdict("reboot",
			       (int)syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
					    LINUX_REBOOT_CMD_CAD_OFF, NULL));
	if (!strcmp(c, "ids"))
		return ids();
	/* no_new_privs through prctl: /proc/PID/status has no NoNewPrivs line before 4.10 */
	if (!strcmp(c, "nnp"))
		return printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)) < 0;
	/* drop to uid 1000, then execute argv[2] (a setuid-root copy of us) */
	if (!strcmp(c, "as-user") && argc > 2) {
		if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
			return verdict("as-user", -1) + 2;
		execv(argv[2], argv + 2);
		return verdict("exec", -1) + 2;
	}
	fprintf(stderr, "usage: hostile exe-write|tiocsti|mknod|mount|remount|sysctl|sysrq|"
			"module|reboot|ids|nnp|as-user SETUIDPROG ARG...\n");
	return 2;
}
