/* diyc-probe: shared state of one probe run and the checks it runs. */
#ifndef DIYC_PROBE_H
#define DIYC_PROBE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/spawn.h"

#include "probe/kconfig.h"
#include "lib/mountinfo.h"
#include "probe/procparse.h"
#include "lib/profile.h"

struct kmod_ctx;

struct probe_ctx {
	const char *sysroot; /* "" for the running system; fixture tree in tests */
	bool live;	     /* run syscall tests against the running kernel */
	bool load_modules;   /* --load-modules: load overlay, veth, bridge via libkmod */
	bool serial;	     /* --serial: no worker process (timing, debugging) */
	bool fresh;	     /* --fresh: reuse no answer of an earlier run (answers.c) */
	struct answers *ans; /* the live tests' answers of this boot (answers.c) */
	const char *data_root;
	struct dc_profile *prof;

	char release[128];
	int kmajor, kminor;
	bool have_version;

	struct kconfig kc;
	bool have_kc;
	struct kmod_ctx *kmod;

	struct proc_status status;
	bool have_status;
	struct mountinfo mi;
	bool have_mi;
	uid_t euid;
};

/* Path of a host file as seen through --sysroot. Returns one of a few rotating buffers. */
const char *sr(struct probe_ctx *c, const char *path);
ssize_t sr_read(struct probe_ctx *c, const char *path, char *buf, size_t size);
bool sr_exists(struct probe_ctx *c, const char *path);

/* Whether the running kernel is older than X.Y (false when the version is unknown). */
bool kernel_before(struct probe_ctx *c, const char *xy);
/*
 * The hint for a feature the kernel lacks: when the kernel predates SINCE, which
 * version brings it (no configuration option can); otherwise the CONFIG_ option to
 * turn on (KOPT without "CONFIG_", may be NULL).  Written into buf; returns buf.
 */
const char *missing_hint(struct probe_ctx *c, const char *what, const char *kopt, const char *since,
			 char *buf, size_t len);

/* A kernel config option, as a string "y"/"m"/"n"/value, or NULL (absent / no config). */
const char *kopt(struct probe_ctx *c, const char *name);
/* The config option that builds a module ("overlay" -> "OVERLAY_FS"), or NULL. */
const char *kopt_for_module(const char *module);
/* Add "CONFIG_X=v" (or "not set"/"absent") to a check's evidence and fold it into compiled. */
void kopt_evidence(struct probe_ctx *c, struct dc_check *k, const char *name);

/* A test run in a forked child; see child.c. */
struct child_result {
	int err;       /* 0, or the errno of the step that failed */
	char step[64]; /* the failing (or last) step, "unshare(CLONE_NEWPID)" */
	char detail[200];
};
typedef int (*child_fn)(struct child_result *res, void *arg);
/* Returns 0 when the child reported, -1 when it died or hung (res->detail says how). */
int run_child(child_fn fn, void *arg, struct child_result *res, unsigned timeout_s);
/*
 * The general form: fn fills out (len bytes) in the child, which sends it back.
 * Returns 0, or -1 with why set when the child died, hung or sent too little.
 */
typedef void (*child_buf_fn)(void *out, void *arg);
int run_child_buf(child_buf_fn fn, void *arg, void *out, size_t len, unsigned timeout_s,
		  struct dc_err *e);
/* Helpers for child functions: record the step and return its errno. */
int child_fail(struct child_result *res, const char *step, int err);

/* The areas, in the order they run. */
void probe_context(struct probe_ctx *c);
void probe_kconfig(struct probe_ctx *c);
void probe_namespaces(struct probe_ctx *c);
void probe_cgroups(struct probe_ctx *c);
void probe_overlay(struct probe_ctx *c);
void probe_network(struct probe_ctx *c);
/*
 * Part of the network area: which iptables backend programs this kernel
 * (probe/iptables.c).  The parent plans (finds the binaries, decides what to try),
 * the network area's test process runs the plan inside its throw-away network
 * namespace (start, then collect, so the link tests run meanwhile), and the parent
 * writes the verdicts.
 */
enum { IPT_NFT, IPT_LEGACY, IPT_NBACKENDS };
struct ipt_backend {
	const char *name;   /* profile key suffix, and the -nft / -legacy of the binaries */
	const char *module; /* its kernel side: not tested while only loadable */
	char ipt[PATH_MAX], restore[PATH_MAX];
	bool found, test;
};
struct ipt_plan {
	struct ipt_backend b[IPT_NBACKENDS];
	char plain[PATH_MAX]; /* the system's `iptables` */
	const char *dflt;     /* what it is: "nft", "legacy" or NULL */
	bool any;	      /* some backend is to be tried */
};
/* Sent back by the test process. */
struct ipt_result {
	int rc[IPT_NBACKENDS]; /* exit status, -1 died, -2 not started */
	char err[IPT_NBACKENDS][300];
};
void ipt_plan(struct probe_ctx *c, struct ipt_plan *p);
/* In the test process, inside its network namespace: start every backend to try. */
void ipt_start(const struct ipt_plan *p, struct ipt_result *r, struct spawned *s);
/* ...and wait for them. */
void ipt_collect(struct ipt_result *r, struct spawned *s);
/* When the test process could not make its namespace: each backend fails with WHY. */
void ipt_not_run(struct ipt_result *r, const char *why);
void ipt_report(struct probe_ctx *c, const struct ipt_plan *p, const struct ipt_result *r, bool ran,
		const char *why);
void probe_hardening(struct probe_ctx *c);
/* Fills "summary"; returns the exit code (0 all required usable, 1 something missing). */
int probe_summary(struct probe_ctx *c);

/* Module state through libkmod: "builtin", "live", "loadable", "missing", "unknown". */
const char *module_state(struct probe_ctx *c, const char *name);
/* Load a module with libkmod (only with --load-modules). Returns 0 or -errno. */
int module_load(struct probe_ctx *c, const char *name);
void modules_init(struct probe_ctx *c);
void modules_fini(struct probe_ctx *c);

/* Run every area; the profile ends up in c->prof. Returns the exit code of probe_summary. */
int probe_run(struct probe_ctx *c);
void probe_ctx_free(struct probe_ctx *c);

/* Print the profile as a table (colour when asked). */
void print_table(const struct dc_profile *p, bool colour);

#endif
