#!/usr/bin/env bash
# What diyc or its tests could leave behind. Prints one line per leftover; exit 1 if any.
# Used by the suite before and after it runs: the two lists must be equal.
set -u
{
	grep -iE 'diyc' /proc/self/mountinfo | awk '{print "mount: " $5}'
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -iname '*diyc*' 2>/dev/null | sed 's/^/cgroup: /'
	# an engine run without a cgroup parent below ours lands at a hierarchy's root
	# (podman's default libpod_parent, its conmon cgroup; buildah's)
	find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d \( -name 'libpod_parent' -o -name 'buildah*' \) \
		2>/dev/null | sed 's/^/cgroup: /'
	ls -d /run/diyc/*/ /run/diyc-oci /run/diyc-oci/*/ 2>/dev/null | sed 's/^/state: /'
	# the engines the OCI tests drive (podman, conmon, containerd and its shim) and what
	# they keep outside a test's own directories
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		case $c in conmon | containerd | containerd-shim* | podman) echo "process: $c" ;; esac
		# a network's dnsmasq (its pid file lives in DATA_ROOT/net/dns)
		[ "$c" = dnsmasq ] && tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q '/net/dns/' && echo "process: dnsmasq of a diyc network"
	done
	ls -d /run/libpod /run/containers /run/containerd /var/lib/cni /var/lib/containerd 2>/dev/null |
		sed 's/^/engine state: /'
	ls -d /var/lib/.diyc-probe* /var/lib/diyc/.diyc-probe* /tmp/.diyc-probe* 2>/dev/null | sed 's/^/tmpdir: /'
	ip -o link show 2>/dev/null | awk -F': ' '/diyc/ {print "link: " $2}'
	ls /run/netns 2>/dev/null | grep -i diyc | sed 's/^/netns: /'
	# both iptables backends: diyc uses whichever programs this kernel
	for s in iptables-nft-save iptables-legacy-save; do
		command -v $s >/dev/null && $s 2>/dev/null | grep -i diyc | sed "s/^/rule($s): /"
	done
	command -v iptables-nft-save >/dev/null || command -v iptables-legacy-save >/dev/null ||
		(iptables-save 2>/dev/null || true) | grep -i diyc | sed 's/^/rule: /'
} | sort
