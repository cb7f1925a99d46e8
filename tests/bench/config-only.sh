#!/bin/sh
# The floor of config-only checkers (lxc-checkconfig): read the kernel config, grep it.
{ zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)"; } |
	grep -cE '^CONFIG_(PID|UTS|IPC|NET|USER|CGROUP)_NS=y|^CONFIG_OVERLAY_FS=|^CONFIG_VETH=|^CONFIG_BRIDGE=|^CONFIG_SECCOMP='
