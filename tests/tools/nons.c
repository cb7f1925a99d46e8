/*
 * nons: run a command as if the kernel lacked some namespaces.
 *
 *   nons [--pid] [--uts] [--ipc] [--net] [--user] [--cgroup] [--time] [--mnt]
 *        [--entropy-starved] -- CMD [ARG...]
 *
 * A seccomp filter makes unshare(2) and clone(2) fail with EINVAL, exactly
 * what a kernel built without CONFIG_<X>_NS answers, whenever the flags name
 * one of the chosen namespaces.  clone3(2) gets ENOSYS because a filter cannot
 * read its flags from memory; libc then falls back to clone(2).  Used by the
 * probe's and the runtime's tests to simulate e.g. the 4.4.74 VM without PID
 * and UTS namespaces on a full kernel.
 *
 * --entropy-starved simulates a freshly booted machine whose random pool is not
 * initialised (4.4 under QEMU, for minutes): getrandom(GRND_NONBLOCK) fails with
 * EAGAIN, and a getrandom() that would block kills the process with SIGSYS
 * instead of hanging it forever, so a test sees the mistake at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "lib/kfeat.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "nons: add this architecture's AUDIT_ARCH value"
#endif

static void usage(FILE *f)
{
	fprintf(f, "Usage: nons [--mnt] [--uts] [--ipc] [--pid] [--net] [--user] [--cgroup] "
		   "[--time] [--entropy-starved] -- CMD [ARG...]\n"
		   "Run CMD with unshare/clone of the chosen namespaces failing with EINVAL;\n"
		   "--entropy-starved: getrandom(GRND_NONBLOCK) fails with EAGAIN and a\n"
		   "blocking getrandom() kills the process (SIGSYS).\n");
}

int main(int argc, char **argv)
{
	unsigned mask = 0;
	bool starved = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--entropy-starved")) {
			starved = true;
			continue;
		}
		/* --NAME for each namespace of lib/kfeat.c */
		const struct ns_info *ns =
		    strncmp(argv[i], "--", 2) ? NULL : dc_ns_by_name(argv[i] + 2);
		if (!ns) {
			fprintf(stderr, "nons: unknown option '%s'\n", argv[i]);
			return 125;
		}
		mask |= (unsigned)ns->flag;
	}
	if (i >= argc || (!mask && !starved)) {
		fprintf(stderr, "nons: need at least one option and a command after --\n");
		return 125;
	}

	/* getrandom: without GRND_NONBLOCK it would block forever: kill instead */
	struct sock_filter entropy[] = {
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getrandom, 0, 4),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, GRND_NONBLOCK, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_filter head[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	};
	struct sock_filter ns[] = {
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
	    /* low 32 bits of the first argument hold every CLONE_NEW* flag */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
	};
	struct sock_filter prog[32];
	unsigned short len = 0;
#define ADD(part)                                                                                  \
	do {                                                                                       \
		memcpy(prog + len, part, sizeof(part));                                            \
		len += sizeof(part) / sizeof(part[0]);                                             \
	} while (0)
	ADD(head);
	if (starved)
		ADD(entropy);
	if (mask)
		ADD(ns);
	prog[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fp = {.len = len, .filter = prog};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) {
		fprintf(stderr, "nons: cannot install the seccomp filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "nons: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
