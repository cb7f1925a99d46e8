/*
 * diyc-oci: the OCI runtime command line (runc's) over diyc's own start.
 *
 *   oci_spec.c     config.json -> struct oci_spec (only what diyc honours; the rest
 *                  is named in a warning, never silently dropped)
 *   oci_rootfs.c   inside the container: the bundle's root, its mounts, /dev, masks
 *   oci_process.c  inside the container: user, rlimits, capabilities, seccomp, the
 *                  wait for `start` on the exec fifo
 *   oci_state.c    OCI state: status from the pid, the state JSON, list
 *   oci_cmds.c     create, start, run, kill, delete, pause, resume, ps, update
 *   oci_exec.c     exec
 *   oci_info.c     features (from the live profile), spec
 *   oci_main.c     global flags, logging (--log, --log-format json), dispatch
 *
 * A create walks the same step table as `diyc run` (steps.c) up to the cut: the
 * step "created" (OCI only) lets the container process build its root and wait on
 * the exec fifo; `start` opens the fifo.  No diyc process stays behind: the
 * caller (conmon, containerd-shim) is a subreaper and reaps the container itself.
 */
#ifndef DIYC_OCI_H
#define DIYC_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/kfeat.h"

#include "runtime/rlimit.h"

#define OCI_VERSION "1.0.2"
#define OCI_ID_MAX 64
#define OCI_DEFAULT_ROOT "/run/diyc-oci"

struct oci_mount {
	char *dest, *type, *source, *data; /* data: the options mount(2) does not know */
	unsigned long flags, clear;	   /* MS_* to set, and to clear on the remount */
	unsigned long propagation;	   /* MS_PRIVATE, MS_SLAVE, MS_SHARED (| MS_REC) */
	bool bind;
};

struct oci_ns {
	bool want;  /* the config lists it */
	char *path; /* join this one instead of making one */
};

struct oci_hook {
	char *path;
	char **args, **env; /* NULL-terminated; args[0] is argv[0] */
	int timeout;	    /* seconds, 0: none */
};

enum oci_hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};
extern const char *const oci_hook_names[HOOK_KINDS];

struct oci_process {
	char **args, **env;
	char *cwd;
	bool terminal, nnp;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	int umask;	  /* -1: unset */
	uint64_t caps[5]; /* bounding, effective, inheritable, permitted, ambient (bit c) */
	struct run_rlimit *rlimits;
	int nrlimits;
	bool has_oom;
	int oom_score_adj;
};

struct oci_spec {
	void *json;	   /* the parsed config (json_object), owns the strings */
	char bundle[4096]; /* absolute */
	char rootfs[4096]; /* absolute */
	bool readonly;
	char *hostname;
	struct oci_process proc;
	struct oci_mount *mounts;
	int nmounts;
	struct oci_ns ns[NS_COUNT];
	char *cgroups_path;
	bool has_memory, has_swap, has_pids, has_quota, has_shares, has_cpuset;
	int64_t memory, swap, pids, quota, shares;
	uint64_t period;
	char *cpus, *mems;
	char **masked, **readonly_paths;
	int nmasked, nreadonly;
	char **sysctl; /* "key=value" */
	int nsysctl;
	void *seccomp;		/* json_object of linux.seccomp, NULL: none */
	unsigned long rootprop; /* rootfsPropagation, 0: private */
	struct oci_hook *hooks[HOOK_KINDS];
	int nhooks[HOOK_KINDS];
	bool strict;		/* annotation org.diyc.strict=true */
	char annotations[4096]; /* JSON object text */
	char unsupported[512];	/* fields seen and not applied, for the log */
	bool uidmap;		/* user namespace mappings asked */
};

/* Parse BUNDLE/config.json. 0, or -1 with a one-line reason in e. */
int oci_spec_load(const char *bundle, struct oci_spec *s, struct dc_err *e);
/* A process.json (exec --process): only the process part. */
int oci_process_load(const char *path, struct oci_process *p, void **json, struct dc_err *e);
void oci_spec_free(struct oci_spec *s);
void oci_process_free(struct oci_process *p);
/* The member k of a json object, NULL when o is none or has no k. */
void *oci_json_get(const void *o, const char *k);
/* The length of a json array, 0 for anything else (json-c asserts on a non-array). */
size_t oci_json_len(const void *j);
/* The mount options diyc-oci knows, by index; NULL past the end. */
const char *oci_mount_option_name(int i);
/* "RLIMIT_NOFILE" for RLIMIT_NOFILE (the names config.json uses). */

/* Capability name ("CAP_SYS_ADMIN" or "SYS_ADMIN") -> number, or -1. */
int oci_cap_number(const char *name);

/* ---- global state of diyc-oci ---- */
struct oci_globals {
	const char *root; /* --root: state directory */
	bool debug, strict, json_log;
	int log_fd; /* --log, -1: stderr only */
};
extern struct oci_globals OG;

#endif
