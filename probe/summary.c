/*
 * The verdict: what diyc run cannot do without (exit 1 when one is "no"), and
 * what it will degrade, each with the effect a user will see.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"

#include <string.h>

static const char *const required[] = {"context.privileges", "namespaces.mnt", "overlay.mount"};

static const struct {
	const char *path, *effect;
} degradable[] = {
    {"namespaces.pid", "no PID namespace: processes tracked by cgroup and all killed when the "
		       "main process exits; host processes hidden by reduced capabilities"},
    {"namespaces.uts", "no UTS namespace: the container shares the host name, which diyc never "
		       "changes"},
    {"namespaces.ipc", "no IPC namespace: System V IPC and POSIX queues shared with the host"},
    {"namespaces.net", "no network namespace: only --net host"},
    {"namespaces.cgroup", "no cgroup namespace: the container sees host cgroup paths"},
    {"namespaces.time", "no time namespace: clocks shared with the host"},
    {"cgroups.tracking", "no cgroup tracking: stray processes of a container cannot be found"},
    {"cgroups.controllers.memory", "no memory controller: --memory refused"},
    {"cgroups.controllers.cpu", "no cpu controller: --cpus refused"},
    {"cgroups.controllers.pids", "no pids controller: --pids-limit refused"},
    {"network.veth", "no veth: --net bridge unavailable"},
    {"network.bridge", "no bridge: --net bridge unavailable"},
    {"network.veth_on_bridge", "no veth on a bridge: --net bridge unavailable"},
    {"network.iptables_nat", "no NAT: bridged containers cannot reach outside, -p refused"},
    {"hardening.seccomp", "no seccomp: the runtime's syscall filter is not applied"},
    {"hardening.no_new_privs", "no no_new_privs: setuid binaries in an image keep their power"},
    {"hardening.devpts_newinstance", "one devpts for everyone: containers get no ptys, -t refused"},
};

int probe_summary(struct probe_ctx *c)
{
	json_object *missing = json_object_new_array();
	json_object *degraded = json_object_new_array();
	json_object *unknown = json_object_new_array();
	int code = 0;

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		enum dc_status s = dc_profile_status(c->prof, required[i]);
		if (s == DC_NO) {
			json_object_array_add(missing, json_object_new_string(required[i]));
			code = 1;
		} else if (s == DC_UNKNOWN) {
			json_object_array_add(unknown, json_object_new_string(required[i]));
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(degradable); i++) {
		enum dc_status s = dc_profile_status(c->prof, degradable[i].path);
		if (s == DC_NO) {
			json_object *d = json_object_new_object();
			json_object_object_add(d, "feature",
					       json_object_new_string(degradable[i].path));
			json_object_object_add(d, "effect",
					       json_object_new_string(degradable[i].effect));
			json_object_array_add(degraded, d);
		} else if (s == DC_UNKNOWN) {
			json_object_array_add(unknown, json_object_new_string(degradable[i].path));
		}
	}
	json_object *o = dc_profile_obj(c->prof, "summary");
	json_object_object_add(o, "ready", json_object_new_boolean(code == 0));
	json_object_object_add(o, "missing_required", missing);
	json_object_object_add(o, "degraded", degraded);
	json_object_object_add(o, "unknown", unknown);
	return code;
}
