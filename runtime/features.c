/*
 * From the capability profile to the features this container will use.
 * A feature is used only when its check says "yes"; every other case is a
 * degradation that is printed once, recorded in the state (diyc ps) and
 * refused under --strict.  A limit the host cannot enforce is an error.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "kmodapi.h"
#include "probe.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const ns_names[NS_COUNT] = {"mnt", "uts", "ipc", "pid", "net", "cgroup", "time"};

static const char *const ns_effect[NS_COUNT] = {
    [NS_UTS] = "no UTS namespace: the container shares the host name (diyc never changes it)",
    [NS_IPC] = "no IPC namespace: System V IPC and POSIX message queues are shared with the host",
    [NS_PID] = "no PID namespace: the container sees host processes; diyc tracks its processes by "
	       "cgroup and kills them all when the main process exits; kill(-1) is refused",
    [NS_NET] = "no network namespace: the container uses the host network",
    [NS_CGROUP] = "no cgroup namespace: the container sees host cgroup paths",
    [NS_TIME] = "no time namespace: clocks are shared with the host",
};

/* Whether a profile belongs to this boot of this kernel. */
static bool stale(const struct dc_profile *p, char *why, size_t len)
{
	char rel[128] = "", boot[64] = "";
	read_line("/proc/sys/kernel/osrelease", rel, sizeof(rel));
	read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	const char *pr = dc_profile_str(p, "kernel", "release");
	const char *pb = dc_profile_str(p, "kernel", "boot_id");
	const char *pg = dc_profile_str(p, NULL, "generator");
	/* another diyc measured other things, or named them otherwise */
	if (!pg || strcmp(pg, "diyc-probe " DIYC_VERSION)) {
		snprintf(why, len, "made by %s, this is diyc %s", pg ? pg : "an unknown probe",
			 DIYC_VERSION);
		return true;
	}
	if (!pr || strcmp(pr, rel)) {
		snprintf(why, len, "made for kernel %s, running %s", pr ? pr : "?", rel);
		return true;
	}
	if (!pb || strcmp(pb, boot)) {
		snprintf(why, len, "made before the last boot");
		return true;
	}
	return false;
}

struct dc_profile *features_profile(const char *path, bool probe_if_stale, char *why, size_t len)
{
	char reason[256] = "";
	struct dc_profile *p = dc_profile_load(path, reason, sizeof(reason));
	if (p && (!probe_if_stale || !stale(p, reason, sizeof(reason))))
		return p;
	if (!probe_if_stale) {
		snprintf(why, len, "%s", reason);
		return NULL;
	}
	dc_profile_free(p);
	info("probing the kernel: %s", reason);
	struct probe_ctx c = {.sysroot = "", .live = true, .data_root = G.root};
	probe_run(&c);
	p = c.prof;
	c.prof = NULL;
	probe_ctx_free(&c);
	if (!p) {
		snprintf(why, len, "the kernel probe failed");
		return NULL;
	}
	if (geteuid() == 0) {
		int r = dc_profile_write(p, path);
		if (r < 0)
			warn("cannot save the profile to %s: %s", path, strerror(-r));
	}
	return p;
}

static void degrade(struct features *f, const char *msg)
{
	if (f->ndegraded < (int)ARRAY_SIZE(f->degraded))
		snprintf(f->degraded[f->ndegraded++], sizeof(f->degraded[0]), "%s", msg);
}

int features_decide(const struct run_opts *o, struct features *f)
{
	char why[300];
	const char *path = o->profile ? o->profile : dc_default_profile();
	memset(f, 0, sizeof(*f));
	snprintf(f->profile_path, sizeof(f->profile_path), "%s", path);
	/* An explicit --profile is used as it is (tests force degraded modes with it). */
	struct dc_profile *p = features_profile(path, !o->profile, why, sizeof(why));
	if (!p) {
		err("cannot use the kernel profile %s: %s", path, why);
		return -1;
	}
	char key[64];
	for (int i = 0; i < NS_COUNT; i++) {
		snprintf(key, sizeof(key), "namespaces.%s", ns_names[i]);
		f->ns[i] = dc_profile_status(p, key) == DC_YES;
		if (i == NS_NET && o->net != NET_AUTO)
			continue; /* an explicit --net is a choice, not a degradation */
		if (!f->ns[i] && i != NS_MNT)
			degrade(f, ns_effect[i]);
	}
	if (o->net == NET_NONE && !f->ns[NS_NET]) {
		err("--net none needs a network namespace, which this kernel does not offer (use "
		    "--net host)");
		dc_profile_free(p);
		return -1;
	}
	if (o->net == NET_HOST)
		f->ns[NS_NET] = false;
	if (!f->ns[NS_MNT]) {
		err("this kernel gives diyc no mount namespace (%s): a container cannot have its "
		    "own "
		    "root filesystem",
		    dc_profile_str(p, "namespaces.mnt", "evidence") ?: "no evidence");
		dc_profile_free(p);
		return -1;
	}
	enum dc_status ov = dc_profile_status(p, "overlay.mount");
	f->overlay = ov == DC_YES || ov == DC_PARTIAL;
	if (ov == DC_PARTIAL && !path_exists("/sys/module/overlay")) {
		/* partial: overlay is a module not loaded yet; load it (libkmod) now */
		int e = kmod_load_once("overlay");
		if (e < 0) {
			err("overlayfs is a module that could not be loaded: %s", strerror(-e));
			dc_profile_free(p);
			return -1;
		}
		info("loaded the overlay module");
	}
	if (!f->overlay) {
		err("overlayfs is not usable here (%s); diyc needs it for the container's root "
		    "filesystem and does not copy images instead",
		    dc_profile_str(p, "overlay.mount", "evidence") ?: "no evidence");
		dc_profile_free(p);
		return -1;
	}
	f->cg_tracking = dc_profile_status(p, "cgroups.tracking") == DC_YES;
	const char *mode = dc_profile_str(p, "cgroups", "mode");
	f->cg_legacy = mode && !strcmp(mode, "legacy");
	f->cg_ctrl_memory = dc_profile_status(p, "cgroups.controllers.memory") == DC_YES;
	f->cg_ctrl_cpu = dc_profile_status(p, "cgroups.controllers.cpu") == DC_YES;
	f->cg_ctrl_pids = dc_profile_status(p, "cgroups.controllers.pids") == DC_YES;
	f->seccomp = dc_profile_status(p, "hardening.seccomp") == DC_YES;
	f->nnp = dc_profile_status(p, "hardening.no_new_privs") == DC_YES;
	f->devpts = dc_profile_status(p, "hardening.devpts_newinstance") == DC_YES;
	const char *vm = dc_profile_str(p, "network.veth_on_bridge", "form");
	f->veth_two_step = vm && !strcmp(vm, "two-step");
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
	dc_profile_free(p);

	/* A requested limit the host cannot enforce is an error, never a silent no-op. */
	const struct {
		bool asked, have;
		const char *opt, *ctrl;
	} lim[] = {{o->has_memory, f->cg_ctrl_memory, "--memory", "memory"},
		   {o->has_cpus, f->cg_ctrl_cpu, "--cpus", "cpu"},
		   {o->has_pids, f->cg_ctrl_pids, "--pids-limit", "pids"}};
	for (size_t i = 0; i < ARRAY_SIZE(lim); i++)
		if (lim[i].asked && !lim[i].have) {
			err("%s cannot be enforced: the %s cgroup controller is not usable here "
			    "(see diyc profile)",
			    lim[i].opt, lim[i].ctrl);
			return -1;
		}
	if (o->tty && !f->devpts) {
		err("-t needs a private devpts instance, which this kernel does not offer "
		    "(CONFIG_DEVPTS_MULTIPLE_INSTANCES=y before 4.7); its only instance is the "
		    "host's");
		return -1;
	}
	if (o->hostname && !f->ns[NS_UTS]) {
		err("--hostname needs a UTS namespace, which this kernel does not offer");
		return -1;
	}
	if (o->strict && f->ndegraded) {
		err("--strict: refusing to run degraded: %s%s", f->degraded[0],
		    f->ndegraded > 1 ? " (and more: see diyc profile)" : "");
		return -1;
	}
	for (int i = 0; i < f->ndegraded; i++)
		warn("degraded: %s", f->degraded[i]);
	return 0;
}
