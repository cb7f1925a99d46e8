# Kernel profile for make ci-qemu (sourced by ci/qemu-matrix.sh).
# Debian's cloud kernel with its modules in the initramfs, none loaded at boot:
# overlay, veth and bridge come as modules that diyc loads through libkmod.
DESCRIPTION="Debian linux-image-cloud-amd64, modules not loaded, cgroup v2"
KERNEL=debian-cloud
CGROUP=v2
# overlay is a module nobody loaded yet: "partial" until diyc run loads it
EXPECT="namespaces.pid=yes namespaces.uts=yes namespaces.time=yes cgroups.mode=unified overlay.mount=partial"
# its guest's seconds in the last make ci-qemu (two guests at a time): the longest boot first
GUEST_S=73
