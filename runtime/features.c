/*
 * From the capability profile to the features this container will use.
 * A feature is used only when its check says "yes"; every other case is a
 * degradation that is printed once, recorded in the state (diyc ps) and
 * refused under --strict.  A limit the host cannot enforce is an error.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "lib/kmodapi.h"
#include "lib/twin.h"
#include "probe/probe.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

/* Whether a profile made by generator gen for kernel rel in boot boot ("" when the
 * profile does not say) belongs to this boot of this kernel. */
static bool stale(const char *gen, const char *rel, const char *boot, struct dc_err *e)
{
	char now_rel[128] = "", now_boot[64] = "";
	read_line("/proc/sys/kernel/osrelease", now_rel, sizeof(now_rel));
	read_line("/proc/sys/kernel/random/boot_id", now_boot, sizeof(now_boot));
	/* another diyc measured other things, or named them otherwise */
	if (strcmp(gen, "diyc-probe " DIYC_VERSION)) {
		dc_fail(e, 0, "made by %s, this is diyc %s", gen[0] ? gen : "an unknown probe",
			DIYC_VERSION);
		return true;
	}
	if (!rel[0] || strcmp(rel, now_rel)) {
		dc_fail(e, 0, "made for kernel %s, running %s", rel[0] ? rel : "?", now_rel);
		return true;
	}
	if (!boot[0] || strcmp(boot, now_boot)) {
		dc_fail(e, 0, "made before the last boot");
		return true;
	}
	return false;
}

static bool stale_profile(const struct dc_profile *p, struct dc_err *e)
{
	return stale(dc_fact_str(p, F_GENERATOR) ?: "", dc_fact_str(p, F_RELEASE) ?: "",
		     dc_fact_str(p, F_BOOT_ID) ?: "", e);
}

struct dc_profile *features_profile(const char *path, bool probe_if_stale, struct dc_err *e)
{
	struct dc_profile *p = dc_profile_load(path, e);
	if (p && (!probe_if_stale || !stale_profile(p, e)))
		return p;
	if (!probe_if_stale)
		return NULL;
	dc_profile_free(p);
	/* (e, why the profile will not do, is only overwritten when this fails) */
	if (dc_twin_reexec("the kernel probe (libkmod)", e) < 0)
		return NULL;
	dc_info("probing the kernel: %s", e->msg);
	struct probe_ctx c = {.sysroot = "", .live = true, .data_root = G.root};
	probe_run(&c);
	p = c.prof;
	c.prof = NULL;
	probe_ctx_free(&c);
	if (!p) {
		dc_fail(e, 0, "the kernel probe failed");
		return NULL;
	}
	if (geteuid() == 0) {
		int r = dc_profile_write(p, path);
		if (r < 0)
			dc_warn("cannot save the profile to %s: %s", path, strerror(-r));
	}
	return p;
}

static void degrade(struct features *f, const char *msg) { features_degrade(f, "%s", msg); }

void features_degrade(struct features *f, const char *fmt_, ...)
{
	va_list ap;
	if (f->ndegraded >= (int)ARRAY_SIZE(f->degraded))
		return;
	va_start(ap, fmt_);
	vsnprintf(f->degraded[f->ndegraded++], sizeof(f->degraded[0]), fmt_, ap);
	va_end(ap);
}

/* The namespaces: each missing one a degradation; none for mounts is a refusal. */
static int decide_namespaces(const struct run_opts *o, struct features *f, struct dc_err *e)
{
	for (int i = 0; i < NS_COUNT; i++) {
		if (i == NS_USER)
			continue; /* diyc run makes none (yet) */
		f->ns[i] = f->facts.ns[i] == DC_YES;
		if (i == NS_NET && o->net != NET_AUTO)
			continue; /* an explicit --net is a choice, not a degradation */
		if (!f->ns[i] && i != NS_MNT)
			degrade(f, dc_ns[i].without);
	}
	if (o->net == NET_NONE && !f->ns[NS_NET])
		return dc_fail(e, 0,
			       "--net none needs a network namespace, which this kernel does "
			       "not offer (use --net host)");
	if (o->net == NET_HOST)
		f->ns[NS_NET] = false;
	if (!f->ns[NS_MNT])
		return dc_fail(e, 0,
			       "this kernel gives diyc no mount namespace (%s): a container "
			       "cannot have its own root filesystem",
			       f->facts.ev_mnt[0] ? f->facts.ev_mnt : "no evidence");
	return 0;
}

/* overlayfs: required; a module not loaded yet (partial) is loaded now (libkmod). */
static int decide_overlay(struct features *f, struct dc_err *e)
{
	enum dc_status ov = f->facts.overlay;
	f->overlay = ov == DC_YES || ov == DC_PARTIAL;
	if (ov == DC_PARTIAL && !path_exists("/sys/module/overlay")) {
		int r = kmod_load_once("overlay");
		if (r < 0)
			return dc_fail(e, -r, "overlayfs is a module that could not be loaded");
		dc_info("loaded the overlay module");
	}
	if (!f->overlay)
		return dc_fail(e, 0,
			       "overlayfs is not usable here (%s); diyc needs it for the "
			       "container's root filesystem and does not copy images instead",
			       f->facts.ev_overlay[0] ? f->facts.ev_overlay : "no evidence");
	return 0;
}

/* cgroups and hardening: used when yes, each missing one a degradation */
static void decide_rest(struct features *f)
{
	const struct dc_facts *k = &f->facts;
	f->cg_tracking = k->cg_tracking == DC_YES;
	f->cg_legacy = !strcmp(k->cg_mode, "legacy");
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		f->cg_ctrl[i] = k->cg_ctrl[i] == DC_YES;
	f->seccomp = k->seccomp == DC_YES;
	f->nnp = k->nnp == DC_YES;
	f->devpts = k->devpts == DC_YES;
	f->veth_two_step = !strcmp(k->veth_form, "two-step");
	if (!f->cg_tracking)
		degrade(f, f->ns[NS_PID] ? "no usable cgroup: processes are not tracked and limits "
					   "are unavailable"
					 : "no usable cgroup and no PID namespace: processes a "
					   "container leaves behind cannot be found");
	if (!f->seccomp)
		degrade(f, "no seccomp filter support: system calls are not filtered");
	if (!f->nnp)
		degrade(f, "no no_new_privs: setuid binaries in the image keep their power");
	if (!f->devpts)
		degrade(f, "no private devpts instance: the container gets no ptys (an empty "
			   "/dev/pts, so the host's stay out of sight; -t is refused)");
}

/* What the options ask of the kernel: refused when it cannot be given. */
static int check_options(const struct run_opts *o, const struct features *f, struct dc_err *e)
{
	/* a requested limit the host cannot enforce is an error, never a silent no-op */
	for (int i = 0; i < DC_CG_NCTRLS; i++)
		if (run_limit_asked(o, i) && !f->cg_ctrl[i])
			return dc_fail(e, 0,
				       "%s cannot be enforced: the %s cgroup controller is not "
				       "usable here (see diyc profile)",
				       dc_cg_ctrls[i].flag, dc_cg_ctrls[i].name);
	if (o->tty && !f->devpts)
		return dc_fail(e, 0,
			       "%s needs a private devpts instance, which this kernel does not "
			       "offer (CONFIG_DEVPTS_MULTIPLE_INSTANCES=y before 4.7); its only "
			       "instance is the host's",
			       o->oci ? "process.terminal" : "-t");
	if (o->hostname && !f->ns[NS_UTS] && !o->oci)
		return dc_fail(e, 0,
			       "--hostname needs a UTS namespace, which this kernel does not "
			       "offer");
	if (o->strict && f->ndegraded)
		return dc_fail(e, 0, "--strict: refusing to run degraded: %s%s", f->degraded[0],
			       f->ndegraded > 1 ? " (and more: see diyc profile)" : "");
	return 0;
}

static bool may_raise_limits(void)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (c)
		cap_get_flag(c, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

/* A hard limit above our own, without CAP_SYS_RESOURCE (a root whose bounding set
 * lacks it: a hybrid-cgroup CI host, a container): clamped, and said (podman asks
 * RLIMIT_NOFILE 1048576 by default; --ulimit may ask more than we have). */
void features_clamp_rlimits(struct run_rlimit *r, int n, struct features *f, const char *who)
{
	if (may_raise_limits())
		return;
	for (int i = 0; i < n; i++) {
		struct rlimit cur;
		if (getrlimit(r[i].resource, &cur) < 0 || cur.rlim_max == RLIM_INFINITY ||
		    r[i].hard <= cur.rlim_max)
			continue;
		features_degrade(
		    f, "%s hard limit %llu clamped to %llu: %s lacks CAP_SYS_RESOURCE to raise it",
		    rlimit_name(r[i].resource), (unsigned long long)r[i].hard,
		    (unsigned long long)cur.rlim_max, who);
		r[i].hard = cur.rlim_max;
		if (r[i].soft > r[i].hard)
			r[i].soft = r[i].hard;
	}
}

/*
 * The facts of the profile at path: from its cache (lib/factcache.c) when it matches
 * the profile and the profile is this boot's, else from the JSON (probing again when
 * it is stale, unless the profile was named explicitly), then cached.  An explicit
 * --profile (tests forcing degraded modes) is read as it is and never cached.
 */
static int facts_of(const char *path, bool explicit_, struct dc_facts *k, struct dc_err *e)
{
	struct dc_err ignore = {0};
	if (!explicit_ && dc_facts_cache_load(path, k) == 0 &&
	    !stale(k->generator, k->release, k->boot_id, &ignore))
		return 0;
	struct dc_facts_key key;
	bool keyed = !explicit_ && geteuid() == 0 && dc_facts_cache_key(path, &key) == 0;
	struct dc_profile *p = features_profile(path, !explicit_, e);
	if (!p)
		return dc_context(e, "cannot use the kernel profile %s", path);
	dc_facts_read(p, k);
	dc_profile_free(p);
	if (keyed)
		dc_facts_cache_save(path, &key, k);
	return 0;
}

int features_decide(const struct run_opts *o, struct features *f, struct dc_err *e)
{
	const char *path = o->profile ? o->profile : dc_default_profile();
	memset(f, 0, sizeof(*f));
	snprintf(f->profile_path, sizeof(f->profile_path), "%s", path);
	if (facts_of(path, o->profile != NULL, &f->facts, e) < 0)
		return -1;
	if (f->facts.missing[0])
		dc_info("the profile lacks %s (treated as unknown)", f->facts.missing);
	int r = o->oci ? oci_decide(o, f, e)
		       : (decide_namespaces(o, f, e) < 0 || decide_overlay(f, e) < 0 ? -1 : 0);
	if (r < 0)
		return -1;
	decide_rest(f);
	if (!o->oci)
		features_clamp_rlimits(o->ulimits, o->nulimits, f, "diyc");
	if (check_options(o, f, e) < 0)
		return -1;
	for (int i = 0; i < f->ndegraded; i++)
		dc_warn("degraded: %s", f->degraded[i]);
	return 0;
}
