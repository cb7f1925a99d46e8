/*
 * rtnetlink by hand: the socket, the message and attribute layout of
 * <linux/netlink.h>, and the ack.  diyc needs a handful of requests and no dumps,
 * so a library (libmnl, used until 0.2) is not worth its shared object: it was the
 * last one besides libc, and a static diyc starts without a dynamic loader at all
 * (docs/bench.md).  Every request is built in a caller's zeroed buffer of
 * RTNL_BUF bytes; an attribute that would not fit makes the request fail with
 * EMSGSIZE instead of writing past it.
 */
#define _GNU_SOURCE
#include "lib/rtnl.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RTNL_BUF 4096

struct rtnl {
	int fd;
	uint32_t port; /* the kernel's address for this socket: acks come back to it */
	bool overflow; /* the request being built did not fit its buffer */
};

static unsigned seq_no;

struct rtnl *rtnl_open(void)
{
	struct rtnl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t len = sizeof(sa);
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &len) < 0) {
		int e = errno;
		rtnl_close(nl);
		errno = e;
		return NULL;
	}
	nl->port = sa.nl_pid;
	return nl;
}

void rtnl_close(struct rtnl *nl)
{
	if (!nl)
		return;
	if (nl->fd >= 0)
		close(nl->fd);
	free(nl);
}

/* The answer to request SEQ in one datagram: 0 or the errno the kernel answered,
 * -1 when the datagram holds no answer to it. */
static int find_ack(const char *buf, size_t n, uint32_t seq, uint32_t port)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != seq || h->nlmsg_pid != port)
			continue;
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (h->nlmsg_type != NLMSG_ERROR)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return EBADMSG;
		const struct nlmsgerr *err = NLMSG_DATA(h);
		return -err->error;
	}
	return -1;
}

/* Send one request and wait for its ack: 0 or the errno the kernel answered. */
int nl_request(struct rtnl *nl, struct nlmsghdr *nlh)
{
	char buf[8192];
	if (nl->overflow)
		return EMSGSIZE;
	nlh->nlmsg_seq = ++seq_no;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl->fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return errno;
	for (;;) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		int r = find_ack(buf, (size_t)n, nlh->nlmsg_seq, nl->port);
		if (r >= 0)
			return r;
	}
}

/* A request in BUF (zeroed by the caller) of TYPE and FLAGS, with room for the
 * family header of LEN bytes that follows it (NLMSG_DATA), which always fits. */
static struct nlmsghdr *put_header(struct rtnl *nl, char *buf, int type, unsigned flags, size_t len)
{
	nl->overflow = false;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	nlh->nlmsg_len = (uint32_t)NLMSG_LENGTH(NLMSG_ALIGN(len));
	return nlh;
}

/* LEN bytes at the end of the request (zeroed, aligned), or NULL and the overflow
 * flag set when they would not fit. */
static void *put_room(struct rtnl *nl, struct nlmsghdr *nlh, size_t len)
{
	size_t at = NLMSG_ALIGN(nlh->nlmsg_len);
	if (nl->overflow || len > RTNL_BUF || at + NLMSG_ALIGN(len) > RTNL_BUF) {
		nl->overflow = true;
		return NULL;
	}
	nlh->nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
	return (char *)nlh + at;
}

static void attr_put(struct rtnl *nl, struct nlmsghdr *nlh, int type, const void *data, size_t len)
{
	struct nlattr *a = put_room(nl, nlh, NLA_HDRLEN + len);
	if (!a)
		return;
	a->nla_type = (uint16_t)type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
}

static void attr_str(struct rtnl *nl, struct nlmsghdr *nlh, int type, const char *s)
{
	attr_put(nl, nlh, type, s, strlen(s) + 1);
}

static void attr_u32(struct rtnl *nl, struct nlmsghdr *nlh, int type, uint32_t v)
{
	attr_put(nl, nlh, type, &v, sizeof(v));
}

/* A nested attribute: its length is set by nest_end once its content is in. */
static struct nlattr *nest_start(struct rtnl *nl, struct nlmsghdr *nlh, int type)
{
	struct nlattr *a = put_room(nl, nlh, NLA_HDRLEN);
	if (a)
		a->nla_type = (uint16_t)(type | NLA_F_NESTED);
	return a;
}

static void nest_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	if (a)
		a->nla_len = (uint16_t)((char *)nlh + nlh->nlmsg_len - (char *)a);
}

static struct nlmsghdr *link_msg(struct rtnl *nl, char *buf, int type, unsigned flags, int index)
{
	struct ifinfomsg ifm = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	struct nlmsghdr *nlh = put_header(nl, buf, type, flags, sizeof(ifm));
	memcpy(NLMSG_DATA(nlh), &ifm, sizeof(ifm));
	return nlh;
}

int rtnl_link_add(struct rtnl *nl, const char *name, const char *kind, const char *peer,
		  int peer_ns_pid, const char *master, bool up)
{
	char buf[RTNL_BUF] = {0};
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (up) {
		struct ifinfomsg *ifm = NLMSG_DATA(nlh);
		ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	}
	attr_str(nl, nlh, IFLA_IFNAME, name);
	if (master) {
		unsigned m = if_nametoindex(master);
		if (!m)
			return ENODEV;
		attr_u32(nl, nlh, IFLA_MASTER, m);
	}
	struct nlattr *li = nest_start(nl, nlh, IFLA_LINKINFO);
	attr_str(nl, nlh, IFLA_INFO_KIND, kind);
	if (peer) {
		struct nlattr *data = nest_start(nl, nlh, IFLA_INFO_DATA);
		struct nlattr *p = nest_start(nl, nlh, VETH_INFO_PEER);
		/* the peer's attributes follow an ifinfomsg header of its own: zeros,
		 * AF_UNSPEC and no index */
		put_room(nl, nlh, sizeof(struct ifinfomsg));
		attr_str(nl, nlh, IFLA_IFNAME, peer);
		if (peer_ns_pid > 0)
			attr_u32(nl, nlh, IFLA_NET_NS_PID, (uint32_t)peer_ns_pid);
		nest_end(nlh, p);
		nest_end(nlh, data);
	}
	nest_end(nlh, li);
	return nl_request(nl, nlh);
}

int rtnl_link_alias(struct rtnl *nl, const char *dev, const char *alias)
{
	char buf[RTNL_BUF] = {0};
	int idx = (int)if_nametoindex(dev);
	if (!idx)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, idx);
	attr_str(nl, nlh, IFLA_IFALIAS, alias);
	return nl_request(nl, nlh);
}

int rtnl_link_del(struct rtnl *nl, const char *name)
{
	char buf[RTNL_BUF] = {0};
	int idx = (int)if_nametoindex(name);
	if (!idx)
		return ENODEV;
	return nl_request(nl, link_msg(nl, buf, RTM_DELLINK, 0, idx));
}

int rtnl_link_up(struct rtnl *nl, const char *name)
{
	char buf[RTNL_BUF] = {0};
	int idx = (int)if_nametoindex(name);
	if (!idx)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, idx);
	struct ifinfomsg *ifm = NLMSG_DATA(nlh);
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return nl_request(nl, nlh);
}

int rtnl_link_set_master(struct rtnl *nl, const char *dev, const char *master)
{
	char buf[RTNL_BUF] = {0};
	int idx = (int)if_nametoindex(dev);
	unsigned m = if_nametoindex(master);
	if (!idx || !m)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, idx);
	attr_u32(nl, nlh, IFLA_MASTER, m);
	return nl_request(nl, nlh);
}

/* A request creating something new (type RTM_NEW*) on device dev: its header in buf,
 * the device's index in *idx; NULL when there is no such device. */
static struct nlmsghdr *new_on_dev(struct rtnl *nl, char *buf, int type, const char *dev,
				   size_t len, unsigned *idx)
{
	*idx = if_nametoindex(dev);
	if (!*idx)
		return NULL;
	return put_header(nl, buf, type, NLM_F_CREATE | NLM_F_EXCL, len);
}

int rtnl_addr_add(struct rtnl *nl, const char *dev, uint32_t addr, int prefix)
{
	char buf[RTNL_BUF] = {0};
	unsigned idx;
	struct nlmsghdr *nlh =
	    new_on_dev(nl, buf, RTM_NEWADDR, dev, sizeof(struct ifaddrmsg), &idx);
	if (!nlh)
		return ENODEV;
	struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = idx;
	attr_u32(nl, nlh, IFA_LOCAL, htonl(addr));
	attr_u32(nl, nlh, IFA_ADDRESS, htonl(addr));
	return nl_request(nl, nlh);
}

int rtnl_route_default(struct rtnl *nl, const char *dev, uint32_t gw)
{
	char buf[RTNL_BUF] = {0};
	unsigned idx;
	struct nlmsghdr *nlh = new_on_dev(nl, buf, RTM_NEWROUTE, dev, sizeof(struct rtmsg), &idx);
	if (!nlh)
		return ENODEV;
	struct rtmsg *rtm = NLMSG_DATA(nlh);
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	attr_u32(nl, nlh, RTA_GATEWAY, htonl(gw));
	attr_u32(nl, nlh, RTA_OIF, idx);
	return nl_request(nl, nlh);
}
