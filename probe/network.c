/*
 * Network: veth and bridge creation through rtnetlink (and which request puts a
 * veth on a bridge), the iptables backends (probe/iptables.c) and
 * net.ipv4.ip_forward.  The
 * interfaces are created and the rules written inside one throw-away network
 * namespace that dies with the test process, so nothing can remain on the host.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/pfacts.h"
#include "lib/rtnl.h"
#include "lib/util.h"

#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct net_test {
	bool veth, bridge; /* which kinds to try */
};

/*
 * Results travel back in res->detail as "veth=OK bridge=OK onestep=OK master=OK ...".
 * onestep is the request diyc run makes (a veth created with IFLA_MASTER naming the
 * bridge, up); 4.4 answers it EOPNOTSUPP while create-then-enslave (master) works.
 */
static int link_tests(struct child_result *res, const struct net_test *t)
{
	struct rtnl *nl;
	int r;

	nl = rtnl_open();
	if (!nl)
		return child_fail(res, "rtnetlink socket", errno);
	res->detail[0] = '\0';
	int rv = -1, rb = -1;
	if (t->veth) {
		rv = rtnl_link_add(nl, "diyc-probe0", "veth", "diyc-probe1", 0, NULL, false);
		strappend(res->detail, sizeof(res->detail), " ", "veth=%s",
			  rv ? errno_name(rv) : "OK");
	}
	if (t->bridge) {
		rb = rtnl_link_add(nl, "diyc-probebr", "bridge", NULL, 0, NULL, false);
		strappend(res->detail, sizeof(res->detail), " ", "bridge=%s",
			  rb ? errno_name(rb) : "OK");
	}
	if (rv == 0 && rb == 0) {
		r = rtnl_link_add(nl, "diyc-probe2", "veth", "diyc-probe3", 0, "diyc-probebr",
				  true);
		strappend(res->detail, sizeof(res->detail), " ", "onestep=%s",
			  r ? errno_name(r) : "OK");
		r = rtnl_link_set_master(nl, "diyc-probe0", "diyc-probebr");
		strappend(res->detail, sizeof(res->detail), " ", "master=%s",
			  r ? errno_name(r) : "OK");
	}
	rtnl_close(nl);
	return 0;
}

/* What the area's one test process is given, and what it sends back. */
struct net_job {
	struct net_test links;
	const struct ipt_plan *ipt;
};
struct net_out {
	struct child_result links;
	struct ipt_result ipt;
};

/*
 * The test process: one private network namespace for every network test (a new
 * one costs milliseconds).  The iptables backends start first and program it while
 * the links are created; the iptables rules name no link, so neither disturbs the
 * other.
 */
static void child_net(void *out, void *arg)
{
	struct net_out *o = out;
	const struct net_job *j = arg;
	struct spawned s[IPT_NBACKENDS];

	if (unshare(CLONE_NEWNET) < 0) {
		int err = errno;
		char why[64];
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET)=%s", errno_name(err));
		o->links.err = child_fail(&o->links, "unshare(CLONE_NEWNET)", err);
		ipt_not_run(&o->ipt, why);
		return;
	}
	ipt_start(j->ipt, &o->ipt, s);
	o->links.err = link_tests(&o->links, &j->links);
	ipt_collect(&o->ipt, s);
}

/* "OK", an errno name, or NULL when the item was not tested. */
static const char *result(const char *detail, const char *key, char *out, size_t len)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "%s=", key);
	const char *s = strstr(detail, pat);
	if (!s || sscanf(s + strlen(pat), "%31s", out) != 1 || len < 32)
		return NULL;
	return out;
}

static void link_check(struct probe_ctx *c, const char *kind, const char *module,
		       const char *kopt_name, const char *detail, bool ran, const char *fail)
{
	struct dc_check k;
	char key[64], v[32];
	const char *st = module_state(c, module);

	dc_check_init(&k, c->live ? "netlink" : "config", NULL);
	kopt_evidence(c, &k, kopt_name);
	dc_check_evidence(&k, "module %s %s", module, st);
	k.enabled = DC_YES;
	const char *r = ran ? result(detail, kind, v, sizeof(v)) : NULL;
	if (r && !strcmp(r, "OK")) {
		k.status = k.usable = k.compiled = DC_YES;
		dc_check_evidence(&k, "RTM_NEWLINK kind %s ok in a private netns", kind);
	} else if (r) {
		k.status = k.usable = DC_NO;
		snprintf(k.err, sizeof(k.err), "%s", r);
		dc_check_evidence(&k, "RTM_NEWLINK kind %s=%s", kind, r);
		if (!strcmp(r, "EOPNOTSUPP"))
			dc_check_hint(&k, "the kernel has no %s device: CONFIG_%s=y or =m", kind,
				      kopt_name);
	} else if (!strcmp(st, "loadable")) {
		k.compiled = DC_YES;
		k.status = DC_PARTIAL;
		k.usable = DC_UNKNOWN;
		dc_check_hint(&k,
			      "module %s is not loaded: diyc loads it when needed, or run "
			      "diyc-probe --load-modules",
			      module);
	} else if (fail) {
		k.status = k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "%s", fail);
	} else {
		k.status = k.compiled == DC_NO ? DC_NO : DC_UNKNOWN;
	}
	snprintf(key, sizeof(key), "network.%s", kind);
	dc_profile_add_check(c->prof, key, &k);
}

/*
 * network.veth_on_bridge: which request puts a new veth on a bridge here.  "one-step"
 * (IFLA_MASTER in the RTM_NEWLINK that creates it, what diyc run sends first) or
 * "two-step" (create, then set the master: 4.4 refuses the one-step form with
 * EOPNOTSUPP), in the fact "form".  The runtime reads it and skips a request bound
 * to fail.
 */
static void veth_on_bridge_check(struct probe_ctx *c, const char *detail, bool ran)
{
	struct dc_check k;
	char one[32], two[32];
	const char *r1 = ran ? result(detail, "onestep", one, sizeof(one)) : NULL;
	const char *r2 = ran ? result(detail, "master", two, sizeof(two)) : NULL;
	const char *form = NULL;

	dc_check_init(&k, "netlink", NULL);
	k.enabled = DC_YES;
	if (r1)
		dc_check_evidence(&k, "RTM_NEWLINK veth with IFLA_MASTER=%s", r1);
	if (r2)
		dc_check_evidence(&k, "create then IFLA_MASTER=%s", r2);
	if (r1 && !strcmp(r1, "OK"))
		form = "one-step";
	else if (r2 && !strcmp(r2, "OK"))
		form = "two-step";
	if (form) {
		k.status = k.usable = k.compiled = DC_YES;
	} else if (r1 || r2) {
		k.status = k.usable = DC_NO;
		snprintf(k.err, sizeof(k.err), "%s", r2 ? r2 : r1);
		dc_check_hint(&k, "the kernel cannot put a veth on a bridge: bridged containers "
				  "are not possible, use --net none or host");
	} else {
		k.status = k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "not tested (veth or bridge not testable)");
	}
	json_object *o = dc_fact_add_check(c->prof, F_VETH_FORM, &k);
	if (form)
		json_object_object_add(o, dc_fact_key(F_VETH_FORM), json_object_new_string(form));
}

/* What decides the test process's answer: the kinds tried, each iptables binary tried. */
static void job_key(const struct net_job *j, char *key, size_t len)
{
	snprintf(key, len, "network veth=%d bridge=%d", j->links.veth, j->links.bridge);
	for (int i = 0; i < IPT_NBACKENDS; i++) {
		const struct ipt_backend *b = &j->ipt->b[i];
		struct stat st = {0};
		if (b->test && stat(b->restore, &st) < 0)
			memset(&st, 0, sizeof(st));
		strappend(key, len, " ", "%s=%d:%s:%llx:%llx:%lld:%lld.%ld", b->name, b->test,
			  b->test ? b->restore : "", (unsigned long long)st.st_dev,
			  (unsigned long long)st.st_ino, (long long)st.st_size,
			  (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
}

void probe_network(struct probe_ctx *c)
{
	struct ipt_plan plan;
	struct net_job job = {.ipt = &plan};
	struct net_out o;
	struct dc_err e = {0};
	char fail[256] = "", v[32];
	bool ran = false, reported = false;
	long fwd;

	if (c->load_modules) {
		static const char *const mods[] = {"veth", "bridge"};
		for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
			if (!strcmp(module_state(c, mods[i]), "loadable"))
				module_load(c, mods[i]);
	}
	/* Test only what will not autoload a module behind the user's back. */
	job.links.veth = strcmp(module_state(c, "veth"), "loadable") != 0;
	job.links.bridge = strcmp(module_state(c, "bridge"), "loadable") != 0;
	/* iptables: each backend tried for real (probe/iptables.c) */
	ipt_plan(c, &plan);
	memset(&o, 0, sizeof(o));
	if (c->live) {
		char key[4 * PATH_MAX];
		job_key(&job, key, sizeof(key));
		reported = answered_child_buf(c, key, child_net, &job, &o, sizeof(o), 10, &e) == 0;
		if (!reported) {
			memset(&o, 0, sizeof(o)); /* a part may have arrived */
			snprintf(fail, sizeof(fail), "%s", e.msg);
		} else if (o.links.err)
			snprintf(fail, sizeof(fail), "%s=%s", o.links.step,
				 errno_name(o.links.err));
		else
			ran = true;
	}
	const char *detail = o.links.detail;
	link_check(c, "veth", "veth", "VETH", detail, ran, fail[0] ? fail : NULL);
	link_check(c, "bridge", "bridge", "BRIDGE", detail, ran, fail[0] ? fail : NULL);
	if (ran && result(detail, "master", v, sizeof(v)))
		dc_profile_set_str(c->prof, "network", "veth_enslaved_to_bridge", v);
	veth_on_bridge_check(c, detail, ran);
	ipt_report(c, &plan, &o.ipt, reported, e.msg);

	struct dc_check k;
	dc_check_init(&k, "procfs", NULL);
	if (read_long(sr(c, "/proc/sys/net/ipv4/ip_forward"), &fwd) == 0) {
		k.compiled = DC_YES;
		k.status = k.enabled = fwd ? DC_YES : DC_NO;
		dc_check_evidence(&k, "net.ipv4.ip_forward=%ld", fwd);
		if (!fwd)
			dc_check_hint(&k, "diyc net setup turns it on for bridged containers");
	} else {
		dc_check_evidence(&k, "/proc/sys/net/ipv4/ip_forward unreadable");
	}
	dc_profile_add_check(c->prof, "network.ip_forward", &k);
}
