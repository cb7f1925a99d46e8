/*
 * rtnetlink (by hand, lib/rtnl.c): the few link, address and route operations diyc needs
 * (the probe's veth/bridge test, the container's lo, and later veths and the
 * bridge).  Every call opens no process and returns 0 or a positive errno.
 */
#ifndef DIYC_RTNL_H
#define DIYC_RTNL_H

#include <stdbool.h>
#include <stdint.h>

struct rtnl;
struct nlmsghdr;

/* Send one request on any netlink socket and wait for its ack (sets the sequence). */
int nl_request(struct rtnl *nl, struct nlmsghdr *nlh);

/* A bound NETLINK_ROUTE socket in the caller's network namespace, or NULL (errno). */
struct rtnl *rtnl_open(void);
void rtnl_close(struct rtnl *nl);

/* New link NAME of KIND ("bridge", "veth"...); for a veth, PEER names the other end,
 * created in the network namespace of process PEER_NS_PID when that is > 0.  MASTER
 * (or NULL) enslaves NAME, UP brings it up: all in the one request. */
int rtnl_link_add(struct rtnl *nl, const char *name, const char *kind, const char *peer,
		  int peer_ns_pid, const char *master, bool up);
/* Set the alias of DEV (shown by `ip link`). */
int rtnl_link_alias(struct rtnl *nl, const char *dev, const char *alias);
int rtnl_link_del(struct rtnl *nl, const char *name);
int rtnl_link_up(struct rtnl *nl, const char *name);
int rtnl_link_set_master(struct rtnl *nl, const char *dev, const char *master);
/* IPv4 address ADDR/PREFIX on DEV (host byte order) */
int rtnl_addr_add(struct rtnl *nl, const char *dev, uint32_t addr, int prefix);
/* default IPv4 route via GW (host byte order) on DEV */
int rtnl_route_default(struct rtnl *nl, const char *dev, uint32_t gw);

#endif
