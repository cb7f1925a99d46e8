#!/usr/bin/env bash
# containerd 1.6 and its runc v2 shim driving diyc-oci, with ctr as the client: ctr's
# --runc-binary is the shim's runtime option BinaryName, the one a Kubernetes node's
# config.toml sets for a runtime class (docs/oci.md).  The
# daemon is the test's own: root, state, socket and config in $T, no CRI plugin, no
# system service; it is stopped at the end and nothing of it may remain.  Root, TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --net --need containerd --need ctr --need containerd-shim-runc-v2 "containerd with diyc-oci" "$0" "$@"
cg_parent "diyc-ctr-$$" || { skip "containerd with diyc-oci" "no cgroup path below ours in every hierarchy"; done_testing; exit; }
OCI=$(realpath "$DIYC_OCI")
C=$T/ctrd
mkdir -p "$C/root" "$C/state" "$C/opt"
cp -a "$DIYC_ROOT/images/busybox" "$T/rootfs"
cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$C/sock"
[ttrpc]
  address = "$C/sock.ttrpc"
[debug]
  address = "$C/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF
ip link set lo up
# the runc shim keeps its sockets and its runtime's --root below /run/containerd,
# whatever the daemon's state says: a tmpfs over /run in this test's own mount
# namespace keeps them there
mount -t tmpfs -o mode=755 diyc-ctr-run /run || { fail "a private /run for the shim"; done_testing; exit; }
containerd --config "$C/config.toml" >"$C/log" 2>&1 &
daemon=$!
stop_daemon() {
	local p
	kill "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
	for p in $(pids_by_comm containerd-shim-runc-v2); do kill -9 "$p"; done
	return 0
}
at_exit stop_daemon
for _ in $(seq 100); do [ -S "$C/sock" ] && break; sleep 0.1; done
ctr() { command ctr --address "$C/sock" "$@"; }
cr() { out=$(ctr "$@" 2>"$T/err" </dev/null); rc=$?; errout=$(cat "$T/err"); }
check "containerd started with a private root, state and socket" test -S "$C/sock"
RUN=(run --rootfs --runc-binary "$OCI")

# --- ctr run in the foreground: output and status, through the shim
cr "${RUN[@]}" --cgroup "$CG_PARENT/c1" --rm "$T/rootfs" c1 sh -c 'echo hello-ctr; cat /proc/1/comm; exit 3'
expect "ctr run --runc-binary diyc-oci: output and exit status" 3 '^hello-ctr$'
printf '%s\n' "$out" | grep -qx sh && ok "the command is pid 1 of its own PID namespace" || fail "the command is pid 1" "$out"

# --- containerd's default seccomp profile (ctr --seccomp) loads, and filters
probe_cmd='grep -E "^Seccomp:" /proc/self/status; unshare -U true 2>/dev/null && echo unshare-allowed || echo unshare-denied'
cr "${RUN[@]}" --cgroup "$CG_PARENT/c4" --rm "$T/rootfs" c4 sh -c "$probe_cmd"
without=$out
cr "${RUN[@]}" --seccomp --cgroup "$CG_PARENT/c4" --rm "$T/rootfs" c4 sh -c "$probe_cmd"
expect "ctr run --seccomp: containerd's default profile is loaded (seccomp mode 2)" 0 '^Seccomp:[[:space:]]+2'
if printf '%s\n' "$without" | grep -qx unshare-allowed; then
	printf '%s\n' "$out" | grep -qx unshare-denied && ok "it denies unshare(CLONE_NEWUSER), which runs without it" ||
		fail "containerd's profile denies unshare" "$out"
else
	skip "containerd's profile denies unshare" "unshare -U fails here even without a filter: $without"
fi

# --- detached: exec, kill, delete
cr "${RUN[@]}" --cgroup "$CG_PARENT/c2" -d "$T/rootfs" c2 sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
expect "ctr run -d" 0
cr task ls
expect "ctr task ls: RUNNING" 0 'c2 +[0-9]+ +RUNNING'
cr task exec --exec-id e1 c2 sh -c 'echo exec-ok; exit 4'
expect "ctr task exec: output and status" 4 '^exec-ok$'
cr task ps c2
expect "ctr task ps" 0 '[0-9]+'
cr task pause c2
cr task ls
expect "ctr task pause (freezer)" 0 'c2 +[0-9]+ +PAUSED'
cr task resume c2
cr task kill -s TERM c2
expect "ctr task kill" 0
for _ in $(seq 50); do ctr task ls 2>/dev/null | grep -q 'c2 .*STOPPED' && break; sleep 0.1; done
cr task ls
expect "the task stopped on SIGTERM" 0 'c2 +[0-9]+ +STOPPED'
cr task delete c2
expect "ctr task delete" 0
cr container delete c2
expect "ctr container delete" 0

cr containers ls -q
same "no container left in containerd" "$out" ""
stop_daemon
left=$(pids_by_comm containerd; pids_by_comm containerd-shim-runc-v2; find "$C/state" -name 'state.json' 2>/dev/null;
	find /sys/fs/cgroup -path "*$CG_PARENT/*" -type d 2>/dev/null)
same "the daemon and its shims are gone, no state or cgroup left" "$left" ""
done_testing
