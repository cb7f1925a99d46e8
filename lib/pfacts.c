/* The profile facts (pfacts.h): one table of their paths, for writer and readers. */
#define _GNU_SOURCE
#include "lib/pfacts.h"
#include "lib/cglayout.h"
#include "lib/util.h"

#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

static const struct {
	const char *path, *key; /* key NULL: the object at path is a check */
} facts[F_COUNT] = {
    [F_GENERATOR] = {NULL, "generator"},
    [F_RELEASE] = {"kernel", "release"},
    [F_BOOT_ID] = {"kernel", "boot_id"},
    [F_OVERLAY] = {"overlay.mount", NULL},
    [F_CG_MODE] = {"cgroups", "mode"},
    [F_CG_TRACKING] = {"cgroups.tracking", NULL},
    [F_SECCOMP] = {"hardening.seccomp", NULL},
    [F_NNP] = {"hardening.no_new_privs", NULL},
    [F_DEVPTS] = {"hardening.devpts_newinstance", NULL},
    [F_VETH_FORM] = {"network.veth_on_bridge", "form"},
    [F_IPT_BACKEND] = {"network", "iptables_backend"},
    [F_IPT] = {"network", "iptables"},
    [F_IPT_RESTORE] = {"network", "iptables_restore"},
    [F_IPT_NFT] = {"network.iptables_nft", NULL},
    [F_IPT_LEGACY] = {"network.iptables_legacy", NULL},
    [F_OV_LOWERS] = {"overlay", "max_lowers"},
};

/* "v2", the controllers of lib/kfeat.c, "freezer": the names under cgroups.homes */
static const char *home_name(int i)
{
	return i == 0 ? "v2" : i <= DC_CG_NCTRLS ? dc_cg_ctrls[i - 1].name : "freezer";
}

const char *dc_fact_path(enum dc_fact f) { return facts[f].path; }
const char *dc_fact_key(enum dc_fact f) { return facts[f].key; }

void dc_fact_set_str(struct dc_profile *p, enum dc_fact f, const char *val)
{
	dc_profile_set_str(p, facts[f].path, facts[f].key, val);
}

json_object *dc_fact_add_check(struct dc_profile *p, enum dc_fact f, const struct dc_check *c)
{
	return dc_profile_add_check(p, facts[f].path, c);
}

const char *dc_fact_evidence(const struct dc_profile *p, enum dc_fact f)
{
	return dc_profile_str(p, facts[f].path, "evidence");
}

const char *dc_fact_str(const struct dc_profile *p, enum dc_fact f)
{
	return dc_profile_str(p, facts[f].path, facts[f].key);
}

static void copy(char *out, size_t len, const char *s) { snprintf(out, len, "%s", s ? s : ""); }

/* a check: its status, and its name in missing when absent */
static enum dc_status status_of(const struct dc_profile *p, const char *path, struct dc_facts *f,
				int *nmissing)
{
	if (!dc_profile_find(p, path)) {
		strappend(f->missing, sizeof(f->missing), ", ", "%s", path);
		(*nmissing)++;
	}
	return dc_profile_status(p, path);
}

/* a plain fact into out ("" when absent), and its name in missing when absent */
static void str_of(const struct dc_profile *p, enum dc_fact k, char *out, size_t len,
		   struct dc_facts *f, int *nmissing)
{
	const char *v = dc_fact_str(p, k);
	if (!v) {
		strappend(f->missing, sizeof(f->missing), ", ", "%s.%s", facts[k].path,
			  facts[k].key);
		(*nmissing)++;
	}
	copy(out, len, v);
}

static void read_homes(const struct dc_profile *p, struct dc_facts *f)
{
	char path[64];
	f->have_homes = dc_profile_find(p, "cgroups.homes") != NULL;
	for (int i = 0; i < DC_CG_HOMES; i++) {
		struct cg_home *h = &f->homes[i];
		copy(h->name, sizeof(h->name), home_name(i));
		snprintf(path, sizeof(path), "cgroups.homes.%s", h->name);
		copy(h->mount, sizeof(h->mount), dc_profile_str(p, path, "mount"));
		copy(h->root, sizeof(h->root), dc_profile_str(p, path, "root"));
		copy(h->super, sizeof(h->super), dc_profile_str(p, path, "super"));
	}
}

int dc_facts_read(const struct dc_profile *p, struct dc_facts *f)
{
	char path[64];
	int n = 0;
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < NS_COUNT; i++) {
		snprintf(path, sizeof(path), DC_FACT_NS, dc_ns[i].name);
		f->ns[i] = status_of(p, path, f, &n);
	}
	for (int i = 0; i < DC_CG_NCTRLS; i++) {
		snprintf(path, sizeof(path), DC_FACT_CG_CTRL, dc_cg_ctrls[i].name);
		f->cg_ctrl[i] = status_of(p, path, f, &n);
	}
	f->overlay = status_of(p, facts[F_OVERLAY].path, f, &n);
	f->cg_tracking = status_of(p, facts[F_CG_TRACKING].path, f, &n);
	f->seccomp = status_of(p, facts[F_SECCOMP].path, f, &n);
	f->nnp = status_of(p, facts[F_NNP].path, f, &n);
	f->devpts = status_of(p, facts[F_DEVPTS].path, f, &n);
	str_of(p, F_CG_MODE, f->cg_mode, sizeof(f->cg_mode), f, &n);
	str_of(p, F_VETH_FORM, f->veth_form, sizeof(f->veth_form), f, &n);
	const char *ml = dc_fact_str(p, F_OV_LOWERS);
	f->ov_max_lowers = ml && atoi(ml) >= 1 ? atoi(ml) : 500;
	read_homes(p, f);
	copy(f->generator, sizeof(f->generator), dc_fact_str(p, F_GENERATOR));
	copy(f->release, sizeof(f->release), dc_fact_str(p, F_RELEASE));
	copy(f->boot_id, sizeof(f->boot_id), dc_fact_str(p, F_BOOT_ID));
	snprintf(path, sizeof(path), DC_FACT_NS, "mnt");
	copy(f->ev_mnt, sizeof(f->ev_mnt), dc_profile_str(p, path, "evidence"));
	copy(f->ev_overlay, sizeof(f->ev_overlay), dc_fact_evidence(p, F_OVERLAY));
	if (!f->have_homes) {
		strappend(f->missing, sizeof(f->missing), ", ", "cgroups.homes");
		n++;
	}
	return n;
}

void dc_facts_write_homes(struct dc_profile *p, const struct mountinfo *mi)
{
	char path[64];
	dc_profile_obj(p, "cgroups.homes");
	for (int i = 0; i < DC_CG_HOMES; i++) {
		const struct mnt_entry *m =
		    i == 0 ? cg_v2_mount(mi) : cg_v1_mount(mi, home_name(i));
		if (!m)
			continue;
		snprintf(path, sizeof(path), "cgroups.homes.%s", home_name(i));
		dc_profile_set_str(p, path, "mount", m->mountpoint);
		dc_profile_set_str(p, path, "root", m->root);
		if (i > 0) { /* the controllers of the mount, without rw and friends */
			char super[128] = "", copy_[256];
			snprintf(copy_, sizeof(copy_), "%s", m->super);
			for (char *s, *t = strtok_r(copy_, ",", &s); t; t = strtok_r(NULL, ",", &s))
				if (strcmp(t, "rw") && strcmp(t, "ro") && !strchr(t, '='))
					strappend(super, sizeof(super), ",", "%s", t);
			dc_profile_set_str(p, path, "super", super);
		}
	}
}

int dc_facts_homes_mountinfo(const struct dc_facts *f, struct mountinfo *mi)
{
	char text[4096] = "";
	if (!f->have_homes)
		return -1;
	for (int i = 0; i < DC_CG_HOMES; i++) {
		const struct cg_home *h = &f->homes[i];
		struct statfs s;
		if (!h->mount[0])
			continue;
		/* still there, still that kind of hierarchy; a space would need escaping */
		unsigned long want = i == 0 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
		if (statfs(h->mount, &s) < 0 || (unsigned long)s.f_type != want ||
		    strpbrk(h->mount, " \t\n\\") || strpbrk(h->root, " \t\n\\"))
			return -1;
		strappend(text, sizeof(text), "", "%d 1 0:0 %s %s rw - %s %s rw%s%s\n", i + 2,
			  h->root[0] ? h->root : "/", h->mount, i == 0 ? "cgroup2" : "cgroup",
			  i == 0 ? "cgroup2" : "cgroup", h->super[0] ? "," : "", h->super);
	}
	return mountinfo_parse(text, mi) < 0 ? -1 : 0;
}
