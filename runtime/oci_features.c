/*
 * What a bundle's config asks of the kernel, against what the profile says it
 * has: the reason diyc-oci exists.  runc and crun refuse a config that asks for a
 * PID namespace on a kernel without one, an rlimit above what this root may
 * raise, or a limit on a controller that is not mounted; diyc-oci gives the same
 * safe degraded mode as `diyc run` (the container's processes tracked and killed
 * through its cgroup, kill(-1) refused by seccomp where there is no PID
 * namespace, the host name left alone), names each degradation once in the log and
 * in the state's annotations, and refuses instead under --strict or the
 * annotation org.diyc.strict=true.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

static int namespaces(const struct oci_spec *s, struct features *f, struct dc_err *e)
{
	for (int i = 0; i < NS_COUNT; i++) {
		f->ns[i] = false;
		if (!s->ns[i].want || s->ns[i].path)
			continue; /* shared with the caller, or joined (oci_cmds.c) */
		if (i == NS_USER || s->uidmap)
			return dc_fail(e, 0,
				       "user namespaces (linux.uidMappings) are not supported by "
				       "diyc-oci yet");
		f->ns[i] = f->facts.ns[i] == DC_YES;
		if (!f->ns[i] && i == NS_MNT)
			return dc_fail(e, 0,
				       "this kernel gives no mount namespace: a container "
				       "cannot have its own root filesystem");
		if (!f->ns[i])
			features_degrade(f, "%s", dc_ns[i].without);
	}
	if (s->hostname && *s->hostname && !f->ns[NS_UTS])
		features_degrade(f, "hostname %s not set: no UTS namespace of its own",
				 s->hostname);
	return 0;
}

/* a limit on a controller the kernel does not offer: given up, and said */
static void controllers(struct run_opts *o, struct features *f)
{
	bool *asked[DC_CG_NCTRLS] = {&o->has_memory, &o->has_cpus, &o->has_pids};
	for (int i = 0; i < DC_CG_NCTRLS; i++) {
		int k = dc_cg_ctrl_index(dc_cg_ctrls[i].name);
		if (*asked[i] && f->facts.cg_ctrl[k] != DC_YES) {
			features_degrade(f,
					 "no usable %s cgroup controller: its limit is not applied",
					 dc_cg_ctrls[i].name);
			*asked[i] = false;
		}
	}
}

int oci_decide(const struct run_opts *co, struct features *f, struct dc_err *e)
{
	/* the run_opts of a diyc-oci create are its own (oci_cmds.c): the limits the
	 * kernel cannot enforce are dropped from them here, with a degradation each */
	struct run_opts *o = (struct run_opts *)co;
	struct oci_spec *s = o->oci;
	if (namespaces(s, f, e) < 0)
		return -1;
	controllers(o, f);
	features_clamp_rlimits(s->proc.rlimits, s->proc.nrlimits, f, "diyc-oci");
	if (s->has_shares || s->has_cpuset)
		features_degrade(f, "cpu shares and cpusets are not applied by diyc-oci");
	if (s->unsupported[0])
		features_degrade(f, "not applied: %s", s->unsupported);
	f->overlay = false; /* a bundle brings its root: no overlay */
	return 0;
}
