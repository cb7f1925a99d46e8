#!/usr/bin/env bash
# podman 4 + conmon driving diyc-oci, as a docker/podman user would, on a host where
# runc and crun cannot run podman's default config.  Everything podman keeps is
# confined to the test: --root/--runroot/--tmpdir in $T, cgroupfs with a cgroup
# parent below our own cgroup, the file events backend, its CNI network config in
# $T, inside the network namespace of the harness.  Root, TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --net --need podman --need conmon --need python3 "podman with diyc-oci" "$0" "$@"
cg_parent "diyc-podman-$$" || { skip "podman with diyc-oci" "no cgroup path below ours in every hierarchy"; done_testing; exit; }
OCI=$(realpath "$DIYC_OCI")
mkdir -p "$T/p/net" "$T/p/cni"
# a root podman gives the runtime no --root, so diyc-oci keeps its state in its
# default /run/diyc-oci (--runtime-flag root= would not reach the `podman container
# cleanup` that conmon runs at exit); the directory goes at exit if this test made it
O=/run/diyc-oci
[ -d $O ] || at_exit "rmdir $O 2>/dev/null"
P=(podman --root "$T/p/root" --runroot "$T/p/run" --tmpdir "$T/p/tmp" --runtime "$OCI"
	--cgroup-manager cgroupfs --events-backend file --storage-driver vfs
	--network-config-dir "$T/p/net")
RUN=(run --cgroup-parent "$CG_PARENT")
pm() { out=$("${P[@]}" "$@" 2>"$T/err" </dev/null); rc=$?; errout=$(cat "$T/err"); }
at_exit '"${P[@]}" rm -af -t 0 >/dev/null 2>&1; "${P[@]}" network rm -f dtest >/dev/null 2>&1'
ip link set lo up
# CNI keeps its cache in /var/lib/cni, a path podman does not let one move: a tmpfs over
# /var/lib in this test's own mount namespace keeps it there (podman's storage is in $T)
mount -t tmpfs -o mode=755 diyc-podman-varlib /var/lib || { fail "a private /var/lib for CNI"; done_testing; exit; }

tar -C "$DIYC_ROOT/images/busybox" -cf "$T/busybox.tar" .
pm import "$T/busybox.tar" localhost/busybox:test
expect "podman import of the busybox image" 0
IMG=localhost/busybox:test

# --- run --rm: output and exit status, through conmon
pm "${RUN[@]}" --rm --network none $IMG sh -c 'echo hello; cat /proc/1/comm; exit 4'
expect "podman run --rm: output, and the exit status (4)" 4 '^hello$'
printf '%s\n' "$out" | grep -qx sh && ok "the command is the container's pid 1" || fail "the command is the container's pid 1" "$out"
pm "${RUN[@]}" --rm --network none $IMG no-such-command
[ "$rc" = 127 ] && ok "a missing command: podman exits 127" || fail "a missing command: podman exits 127" "rc=$rc $errout"
pm "${RUN[@]}" --rm --network none $IMG sh -c 'ulimit -n'
expect "podman's RLIMIT_NOFILE above our hard limit is clamped, not fatal" 0 '^[0-9]+$'

# --- run -d, logs, exec, stop, rm
pm "${RUN[@]}" -d --name web --network none $IMG sh -c 'echo started; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'
expect "podman run -d" 0
sleep 0.5
pm logs web
expect "podman logs" 0 '^started$'
pm exec web sh -c 'echo exec-$(hostname)'
expect "podman exec" 0 '^exec-'
pm exec web sh -c 'exit 6'
expect "podman exec: its exit status" 6
pm ps --format '{{.Names}} {{.Status}}'
expect "podman ps shows it up" 0 '^web Up'
id=$("${P[@]}" inspect web --format '{{.Id}}' 2>/dev/null)
check "diyc-oci keeps its state (podman gives no --root)" test -f "$O/$id/state.json"
pm stop -t 5 web
expect "podman stop" 0
pm logs web
expect "the container saw SIGTERM (podman kill through diyc-oci kill)" 0 '^bye$'
pm inspect web --format '{{.State.ExitCode}}'
expect "its exit code is recorded" 0 '^0$'
pm rm web
expect "podman rm" 0

# --- a terminal: conmon's console socket
out=$(timeout 30 "${P[@]}" "${RUN[@]}" --rm -t --network none $IMG sh -c 'test -t 1 && echo on-a-tty' 2>&1 </dev/null)
printf '%s\n' "$out" | grep -q on-a-tty && ok "podman run -t: the pty came over the console socket" ||
	fail "podman run -t: the pty came over the console socket" "$out"

# --- limits
pm "${RUN[@]}" --rm --network none --memory 64m --pids-limit 32 $IMG sh -c \
	'for f in $(find /sys/fs/cgroup -name memory.limit_in_bytes -o -name memory.max -o -name pids.max); do cat $f; done | sort -n | tr "\n" " "'
expect "--memory and --pids-limit reach the container's cgroup" 0 '^32 67108864 $'

# --- podman's own network (CNI), with a published port
cat >"$T/p/net/dtest.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "dtest", "plugins": [
 {"type": "bridge", "bridge": "dtest0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
  "ipam": {"type": "host-local", "dataDir": "$T/p/cni", "routes": [{"dst": "0.0.0.0/0"}],
           "ranges": [[{"subnet": "10.99.0.0/24", "gateway": "10.99.0.1"}]]}},
 {"type": "portmap", "capabilities": {"portMappings": true}},
 {"type": "firewall"}]}
EOF
mkdir -p "$T/www" && echo served-by-diyc-oci >"$T/www/index.html"
pm "${RUN[@]}" -d --name net1 --network dtest -p 18080:8080 -v "$T/www:/www:ro" $IMG httpd -f -p 8080 -h /www
expect "podman run -d -p on a CNI network" 0
got=
for _ in $(seq 30); do got=$(wget -qO- -T 2 http://10.99.0.1:18080/ 2>/dev/null) && break; sleep 0.2; done
same "the published port answers (DNAT to the container)" "$got" served-by-diyc-oci
pm rm -f -t 0 net1
expect "podman rm -f" 0

# --- nothing left: diyc-oci state, cgroups below the parent
pm ps -a -q
same "podman has no container left" "$out" ""
left=$(ls "$O" 2>/dev/null; find /sys/fs/cgroup -path "*$CG_PARENT/*" -name 'libpod-*' 2>/dev/null)
same "no container state or cgroup left" "$left" ""
done_testing
