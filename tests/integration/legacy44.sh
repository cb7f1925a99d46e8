#!/usr/bin/env bash
# diyc run under the profile a genuine Linux 4.4.178 gave (measured by hand under
# QEMU, tests/fixtures/profiles/linux-4.4.178-guest.profile.json; no 4.4 source is
# reachable, so CI cannot boot one).  The runtime must honour every "no" in it on
# whatever kernel this runs: no PID, UTS, user, cgroup or time namespace, v1
# cgroups only, overlay with no newer option; and leave nothing.  Root, TAP, in a
# harness with private UTS, IPC, PID and mount namespaces like runtime.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness "4.4 profile tests" "$0" "$@"
F=tests/fixtures/profiles/linux-4.4.178-guest.profile.json
P=(--profile "$F")
state() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "/run/diyc/$1/state.json" "$2" 2>&1; }
gone() {
	local left
	left=$(remains "$1")
	[ -z "$left" ] && ok "$2: nothing left" || fail "$2: nothing left" "$left"
}

# --- the fixture is what the 4.4 guest measured
got=$(jget "$F" '" ".join(d["namespaces"][n]["status"] for n in ("pid","uts","user","cgroup","time")) + " " + d["cgroups"]["mode"] + " " + d["kernel"]["release"]')
same "fixture: no pid/uts/user/cgroup/time namespace, legacy cgroups, 4.4.178" "$got" "no no no no no legacy 4.4.178"

# --- namespaces: the container shares exactly the ones the profile lacks
ns="pid uts cgroup time mnt ipc net"
mine=$(for x in $ns; do readlink /proc/self/ns/$x 2>/dev/null || echo "-"; done | tr '\n' ' ')
d run --rm "${P[@]}" l1 busybox sh -c "for n in $ns; do readlink /proc/self/ns/\$n 2>/dev/null || echo -; done | tr '\n' ' '"
expect "a container runs under the 4.4 profile" 0
set -- $mine
m=("$@")
set -- $out
c=("$@")
shared=() own=()
i=0
for x in $ns; do
	if [ "${m[$i]}" = "${c[$i]}" ]; then shared+=("$x"); else own+=("$x"); fi
	i=$((i + 1))
done
[ "${shared[*]}" = "pid uts cgroup time" ] && [ "${own[*]}" = "mnt ipc net" ] &&
	ok "it shares pid, uts, cgroup and time; has its own mnt, ipc and net" ||
	fail "namespaces" "shared: ${shared[*]}; own: ${own[*]}"
for w in "no PID namespace" "no UTS namespace" "no cgroup namespace" "no time namespace"; do
	case $errout in *"degraded: $w"*) ok "announced: $w" ;; *) fail "not announced: $w" "$errout" ;; esac
done
gone l1 "a 4.4-profile run"

# --- what a kernel without them refuses
host=$(hostname)
d run --rm "${P[@]}" --hostname box l1 busybox true
expect "--hostname is refused (no UTS namespace)" 125
same "the host name is unchanged" "$(hostname)" "$host"
d run --rm --strict "${P[@]}" l1 busybox true
expect "--strict refuses the degraded kernel" 125
d run --rm "${P[@]}" l1 busybox sh -c 'kill -9 -1; echo "still here $?"'
expect "kill -9 -1 from the container is refused (no PID namespace)" 0 '^still here 1$'

# --- processes are tracked by cgroup: a grandchild dies with the container
d run --rm "${P[@]}" l2 busybox sh -c 'sleep 301 & echo started'
sleep 0.2
left=$(pids_by_cmdline 'sleep 301')
[ "$rc" = 0 ] && [ -z "$left" ] && ok "a process the container left behind is killed with it" || fail "survivor" "rc=$rc $left"

# --- v1 cgroups only, as on the 4.4 host (where this host has v1 hierarchies)
if grep -qE ' - cgroup cgroup .*(freezer|pids)' /proc/self/mountinfo; then
	d run -d "${P[@]}" -m 64m l3 busybox sleep 30
	expect "run -d -m 64m under the 4.4 profile" 0
	cgs=$(state l3 cgroups)
	case $cgs in *unified* | *"'/sys/fs/cgroup/diyc-"*) fail "a cgroup2 directory was used" "$cgs" ;;
	*memory*) ok "only v1 hierarchies are used ($cgs)" ;;
	*) fail "no v1 memory cgroup" "$cgs" ;; esac
	lim=$(cat /sys/fs/cgroup/memory/diyc-l3/memory.limit_in_bytes /sys/fs/cgroup/memory/*/diyc-l3/memory.limit_in_bytes 2>/dev/null | head -1)
	lim=${lim:-$(find /sys/fs/cgroup/memory -name diyc-l3 -exec cat {}/memory.limit_in_bytes \; 2>/dev/null)}
	[ "$lim" = 67108864 ] && ok "the memory limit is in the v1 memory controller" || fail "v1 memory limit" "$lim"
	# state version 2 keeps them as a mask of lib/kfeat.h kinds: mnt 1 + ipc 4 + net 16
	same "state records namespaces mnt,ipc,net (mask 21)" "$(state l3 version) $(state l3 nsmask)" "2 21"
	got=$("$DIYC" ps | awk '$1 == "l3" {print $6}')
	same "diyc ps names them" "$got" "mnt,ipc,net"
	pid=$(state l3 pid)
	opts=$(awk '$5 == "/" {sub(/.* - /, ""); if ($1 == "overlay") print $3}' /proc/"$pid"/mountinfo)
	case $opts in
	*redirect_dir* | *index=* | *metacopy* | *xino* | *volatile* | *userxattr*) fail "an overlay option 4.4 lacks" "$opts" ;;
	*lowerdir=*) ok "overlay mounted without the options 4.4 lacks" ;;
	*) fail "no overlay root" "$opts" ;; esac
	d rm -f l3
	expect "rm -f" 0
	gone l3 "the v1 container"
else
	skip "v1 cgroups only" "this host has no v1 freezer or pids hierarchy: the profile's legacy mode cannot be followed"
fi
done_testing
