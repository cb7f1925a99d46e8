/*
 * The profile facts diyc's commands act on, typed.  A profile is a JSON tree that
 * the probe writes and the runtime and netsetup read; a path spelt differently on
 * the two sides would silently read as "unknown".  So the facts read are named
 * once, here: the probe writes them through dc_fact_* (or, for the namespace and
 * controller checks, with the DC_FACT_NS / DC_FACT_CG_CTRL patterns), and the
 * readers get a struct dc_facts from dc_facts_read(), which also names any fact the
 * profile lacks (`diyc debug facts` prints them; the probe suite requires none).
 *
 * The cgroup homes (where each hierarchy diyc uses is mounted, and the mount's root)
 * are measured once by the probe, so that `diyc run` does not parse mountinfo; it
 * re-checks them with one statfs each (cgroup.c) and measures only when they are
 * missing or wrong.
 */
#ifndef DIYC_PFACTS_H
#define DIYC_PFACTS_H

#include <stdbool.h>

#include "lib/kfeat.h"
#include "lib/mountinfo.h"
#include "lib/profile.h"

#define DC_FACT_NS "namespaces.%s"		 /* a check per lib/kfeat.c namespace */
#define DC_FACT_CG_CTRL "cgroups.controllers.%s" /* a check per controller */

enum dc_fact {
	F_GENERATOR,   /* "diyc-probe VERSION" */
	F_RELEASE,     /* kernel.release */
	F_BOOT_ID,     /* kernel.boot_id */
	F_OVERLAY,     /* check overlay.mount */
	F_CG_MODE,     /* cgroups.mode: unified, hybrid, legacy */
	F_CG_TRACKING, /* check cgroups.tracking */
	F_SECCOMP,     /* check hardening.seccomp */
	F_NNP,	       /* check hardening.no_new_privs */
	F_DEVPTS,      /* check hardening.devpts_newinstance */
	F_VETH_FORM,   /* network.veth_on_bridge.form: one-step, two-step */
	F_IPT_BACKEND, /* network.iptables_backend: nft, legacy, none */
	F_IPT,	       /* network.iptables: its binary */
	F_IPT_RESTORE, /* network.iptables_restore */
	F_IPT_NFT,     /* check network.iptables_nft */
	F_IPT_LEGACY,  /* check network.iptables_legacy */
	F_OV_LOWERS,   /* overlay.max_lowers: lower dirs one mount took (optional: 500) */
	F_COUNT
};

/* Where a fact lives: the object path and, for a plain fact, its key (NULL: a check). */
const char *dc_fact_path(enum dc_fact f);
const char *dc_fact_key(enum dc_fact f);
/* Writers (the probe). */
void dc_fact_set_str(struct dc_profile *p, enum dc_fact f, const char *val);
json_object *dc_fact_add_check(struct dc_profile *p, enum dc_fact f, const struct dc_check *c);
/* Readers (statuses come typed from dc_facts_read): a check's evidence, a plain fact
 * (NULL when absent). */
const char *dc_fact_evidence(const struct dc_profile *p, enum dc_fact f);
const char *dc_fact_str(const struct dc_profile *p, enum dc_fact f);

/* The hierarchies diyc puts containers in: v2, then the v1 ones of lib/kfeat.c's
 * controllers, then the v1 freezer. */
#define DC_CG_HOMES (1 + DC_CG_NCTRLS + 1)
struct cg_home {
	char name[16];	 /* "v2", "memory", "cpu", "pids", "freezer" */
	char mount[256]; /* mount point, "" when not mounted */
	char root[256];	 /* the mount's root within the hierarchy */
	char super[128]; /* v1: the controllers mounted together, "cpu,cpuacct" */
};

struct dc_facts {
	enum dc_status ns[NS_COUNT];
	enum dc_status cg_ctrl[DC_CG_NCTRLS]; /* by dc_cg_ctrls index */
	enum dc_status overlay, cg_tracking, seccomp, nnp, devpts;
	int ov_max_lowers; /* overlay.max_lowers, 500 (the kernel's OVL_MAX_STACK) if absent */
	char cg_mode[16], veth_form[16];
	struct cg_home homes[DC_CG_HOMES];
	bool have_homes;
	char missing[512]; /* the facts the profile lacks, "a.b, c.d" */
	/* who made the profile, for which kernel and boot (a stale profile is probed
	 * again), and the evidence the refusals quote */
	char generator[48], release[128], boot_id[48];
	char ev_mnt[256], ev_overlay[256];
};

/* Fill f from p. Returns how many facts p lacks (named in f->missing). */
int dc_facts_read(const struct dc_profile *p, struct dc_facts *f);

/* The probe's half of the homes: cgroups.homes from a mountinfo. */
void dc_facts_write_homes(struct dc_profile *p, const struct mountinfo *mi);
/* The runtime's: the homes as a mountinfo (so the cgroup code reads one shape).
 * 0, or -1 when there are none or one is no longer a cgroup mount (then measure). */
int dc_facts_homes_mountinfo(const struct dc_facts *f, struct mountinfo *mi);

/* ---- factcache.c: the facts of a profile, kept beside it in binary ----
 * PATH.facts holds the struct dc_facts read from PATH, keyed by PATH's identity
 * (device, inode, size, times, owner) and by this build.  0 and f filled when the
 * cache matches PATH as it is now; -1 otherwise (then read the JSON). */
int dc_facts_cache_load(const char *path, struct dc_facts *f);
/* The profile's identity before it is parsed, for dc_facts_cache_save. */
struct dc_facts_key {
	unsigned long long dev, ino, size, uid;
	long long mtime_s, mtime_ns, ctime_s, ctime_ns;
	char build[64];
};
int dc_facts_cache_key(const char *path, struct dc_facts_key *k);
/* Write PATH.facts when PATH still has identity k (it was not replaced while it was
 * parsed); quietly nothing when it cannot. */
void dc_facts_cache_save(const char *path, const struct dc_facts_key *k, const struct dc_facts *f);

#endif
