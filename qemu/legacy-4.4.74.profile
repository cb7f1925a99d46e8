# Kernel profile for make ci-qemu (sourced by ci/qemu-matrix.sh).
# The 4.4.74 VM of the original diyC fork: no PID/UTS namespace, cgroup v1 only.
DESCRIPTION="6.1 built like the 4.4.74 VM: no PID/UTS/user/time ns, cgroup v1"
KERNEL=build
FRAGMENT=legacy-4.4.74.config
CGROUP=v1
# what the probe must report inside (profile key=status; see docs/profile.md)
# the longest guest (the hostile and crash suites run here too): its own time limit
TIMEOUT=1200
EXPECT="namespaces.pid=no namespaces.uts=no namespaces.mnt=yes namespaces.net=yes namespaces.ipc=yes cgroups.mode=legacy overlay.mount=yes"
# its guest's seconds in the last make ci-qemu (two guests at a time): the longest boot first
GUEST_S=102
