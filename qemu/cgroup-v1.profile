# Kernel profile for make ci-qemu (sourced by ci/qemu-matrix.sh).
# The same Debian cloud kernel booted as a legacy host: cgroup v1 hierarchies only.
DESCRIPTION="Debian linux-image-cloud-amd64, cgroup v1 hierarchies only"
KERNEL=debian-cloud
CGROUP=v1
# overlay is a module nobody loaded yet: "partial" until diyc run loads it
EXPECT="namespaces.pid=yes namespaces.uts=yes cgroups.mode=legacy overlay.mount=partial"
# its guest's seconds in the last make ci-qemu (two guests at a time): the longest boot first
GUEST_S=88
