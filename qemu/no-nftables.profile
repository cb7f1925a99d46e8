# Kernel profile for make ci-qemu (sourced by ci/qemu-matrix.sh).
# 6.1 without nf_tables: only iptables-legacy can program its netfilter.
DESCRIPTION="6.1 without nf_tables (xtables only), cgroup v2"
KERNEL=build
FRAGMENT=no-nftables.config
CGROUP=v2
# what the probe must report inside (profile key=status; see docs/profile.md)
EXPECT="network.iptables_nft=no network.iptables_legacy=yes network.iptables_backend=legacy network.iptables_nat=yes cgroups.mode=unified"
# its guest's seconds in the last make ci-qemu (two guests at a time): the longest boot first
GUEST_S=79
