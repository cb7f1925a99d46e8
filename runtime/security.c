/*
 * The last steps before exec: capabilities cut to a fixed set, no_new_privs,
 * a seccomp guard where the kernel gives no PID namespace, and no inherited
 * file descriptor beyond 0, 1, 2.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Docker's default set without CAP_MKNOD: diyc has no device cgroup on every
 * kernel (cgroup v2 needs eBPF for it), so a container must not create device
 * nodes at all.  Everything else (SYS_ADMIN, SYS_PTRACE, SYS_BOOT, SYS_MODULE,
 * NET_ADMIN, DAC_READ_SEARCH ...) is gone from every set, bounding included.
 */
static const cap_value_t keep[] = {
    CAP_CHOWN,	    CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,  CAP_NET_RAW,
    CAP_SETGID,	    CAP_SETUID,	      CAP_SETFCAP,     CAP_SETPCAP, CAP_NET_BIND_SERVICE,
    CAP_SYS_CHROOT, CAP_KILL,	      CAP_AUDIT_WRITE,
};

uint64_t security_default_caps(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		m |= 1ULL << keep[i];
	return m;
}

/* every capability not in mask gone from every set, the bounding set included
 * (--cap-add/--cap-drop change mask: run_priv.c) */
static int drop_caps(uint64_t mask, struct dc_err *err)
{
	long last = CAP_LAST_CAP;
	cap_value_t kept[64];
	int n = 0;
	read_long("/proc/sys/kernel/cap_last_cap", &last);
	for (long c = 0; c <= last && c < 64; c++) {
		if (mask & (1ULL << c))
			kept[n++] = (cap_value_t)c;
		else if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL) {
			dc_fail(err, 0, "drop capability %ld from the bounding set: %s", c,
				strerror(errno));
			return -1;
		}
	}
	cap_t caps = cap_init(); /* all clear: inheritable stays empty */
	if (!caps || (n && cap_set_flag(caps, CAP_EFFECTIVE, n, kept, CAP_SET) < 0) ||
	    (n && cap_set_flag(caps, CAP_PERMITTED, n, kept, CAP_SET) < 0) ||
	    cap_set_proc(caps) < 0) {
		dc_fail(err, 0, "set capabilities: %s", strerror(errno));
		if (caps)
			cap_free(caps);
		return -1;
	}
	cap_free(caps);
	/* (the empty inheritable set already emptied the ambient one; cleared anyway, in
	 * one call: libcap's cap_reset_ambient asks about every capability first.
	 * EINVAL: a kernel before 4.3, which has no ambient set) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		dc_fail(err, 0, "clear ambient capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define X32_BIT 0
#endif

/*
 * Without a PID namespace the container shares the host's process table, so
 * kill(-1, ...) would reach every host process its uid may signal, and
 * kill(-PGID, ...) a host process group.  Refuse negative pids (the low 32
 * bits are what the kernel reads as pid_t).  Other architectures' syscall
 * tables (i386, x32) could bypass the check: they get ENOSYS.
 */
int security_kill_guard(struct dc_err *err)
{
	struct sock_filter prog[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000U, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {.len = ARRAY_SIZE(prog), .filter = prog};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) {
		dc_fail(err, 0, "install the seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool kept_fd(int fd, const int *kept, int nkept)
{
	for (int i = 0; i < nkept; i++)
		if (kept[i] == fd)
			return true;
	return false;
}

/* Close every descriptor from lowfd up except the nkept in kept[] (-1 entries: none). */
void close_fds_from(int lowfd, const int *kept, int nkept)
{
	/* close_range(2) (5.9) between the kept ones, in ascending order, when there;
	 * else walk /proc/self/fd */
	unsigned lo = (unsigned)lowfd;
	bool ok = true;
	for (int next = lowfd; ok;) {
		int k = -1; /* the lowest kept fd at or above next */
		for (int i = 0; i < nkept; i++)
			if (kept[i] >= next && (k < 0 || kept[i] < k))
				k = kept[i];
		if (k < 0)
			break;
		ok = (unsigned)k == lo || syscall(SYS_close_range, lo, (unsigned)k - 1, 0) == 0;
		lo = (unsigned)k + 1;
		next = k + 1;
	}
	if (ok && syscall(SYS_close_range, lo, ~0U, 0) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		for (int fd = lowfd; fd < 1024; fd++)
			if (!kept_fd(fd, kept, nkept))
				close(fd);
		return;
	}
	int self = dirfd(d);
	struct dirent *de;
	int fds[1024], n = 0;
	while ((de = readdir(d)) && n < 1024) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd >= lowfd && !kept_fd(fd, kept, nkept) && fd != self)
			fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int security_apply(const struct features *f, bool pidns, uint64_t caps, struct dc_err *err)
{
	if (f->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		dc_fail(err, 0, "set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* before the capabilities go: without no_new_privs a filter needs CAP_SYS_ADMIN */
	if (!pidns && f->seccomp && security_kill_guard(err) < 0)
		return -1;
	return drop_caps(caps & DC_CAPS_SET ? caps & ~DC_CAPS_SET : security_default_caps(), err);
}
