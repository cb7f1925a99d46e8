#!/usr/bin/env bash
# Crash injection (root, TAP): diyc killed with SIGKILL right after each step of a
# start, as `diyc debug steps` lists them (the supervisor's table in runtime/steps.c,
# the container process's in runtime/container.c; DIYC_FAILPOINT=STEP), and while a
# container runs; after each, `diyc gc` must leave zero state directories, container
# directories, cgroups, processes, leases, veths, port rules and mounts. Then each
# step is made to fail instead (STEP:error): the unwinding alone must leave nothing.
# A new step is tested here without touching this file. Runs in a harness with its own network,
# UTS, IPC, PID and mount namespaces: the bridge and rules live there.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --net --need jq "crash tests" "$0" "$@"
at_exit '"$DIYC" net clean >/dev/null 2>&1'
ip link set lo up 2>/dev/null
probe_json "$T/full.json"

# the steps of a start as diyc itself lists them: WHO NAME NEEDS WHAT
"$DIYC" debug steps >"$T/steps" 2>&1
steps=$(awk '{print $2}' "$T/steps")
nsteps=$(echo $steps | wc -w)
[ "$nsteps" -ge 10 ] && [ "$(DIYC_FAILPOINT=list "$DIYC" ps | tr '\n' ' ')" = "$(echo $steps) " ] &&
	ok "diyc debug steps lists $nsteps steps, the failpoints are the same names" ||
	fail "diyc debug steps" "$(cat "$T/steps")"
DIYC_FAILPOINT=nosuch "$DIYC" ps >/dev/null 2>&1
[ $? = 125 ] && ok "an unknown failpoint is an error" || fail "unknown failpoint accepted"

net=no
if [ "$(jget "$T/full.json" 'd["namespaces"]["net"]["status"]')" = yes ] &&
	command -v iptables-restore >/dev/null && "$DIYC" net setup --subnet 10.231.0.0/24 >/dev/null 2>"$T/err"; then
	net=yes
else
	echo "# no bridged network here: $(cat "$T/err" 2>/dev/null)"
fi

# sleep_pids: "process PID" for each container command of these tests still running
# (sleep 307, sleep 317); builtins in the loop (busybox ps in the guests has no -e)
sleep_pids() {
	local p
	for p in /proc/[0-9]*; do
		cmdline_of "${p#/proc/}" || continue
		case $REPLY in "sleep 307 "* | "sleep 317 "*) echo "process ${p#/proc/}" ;; esac
	done
	return 0
}
# leftovers NAME: everything of container NAME still there, one per line (builtins
# but for the rule and link listings: this runs twice for each of about 120 cases,
# and a process costs ~10 ms in a TCG guest)
leftovers() {
	local l a i v
	remains "$1"
	if [ -r "$DIYC_ROOT/net/leases" ]; then
		while IFS= read -r l || [ -n "$l" ]; do [[ $l == *" $1 "* ]] && echo "$l"; done <"$DIYC_ROOT/net/leases"
	fi
	while IFS= read -r l; do [[ $l =~ diyc:$1\"?\  ]] && echo "$l"; done < <(ipt_save)
	while IFS= read -r l; do
		[[ $l == *"$DIYC_ROOT"* ]] || continue
		read -r -a a <<<"$l"
		echo "mount ${a[4]}"
	done </proc/self/mountinfo
	sleep_pids
	for ((i = 0; i < 30; i++)); do # an exited container's veth goes with its namespace
		v=
		while IFS= read -r l; do
			[[ $l =~ ^[0-9]+:\ (dv[0-9a-f]{8}@[^:]*): ]] && v+=${v:+$'\n'}${BASH_REMATCH[1]}
		done < <(ip -o link 2>/dev/null)
		[ -z "$v" ] && return
		sleep 0.1
	done
	echo "veth $v"
}
# last_line FILE: its last line in REPLY (tail -n 1's, without a process)
last_line() {
	local l
	REPLY=
	while IFS= read -r l || [ -n "$l" ]; do REPLY=$l; done <"$1"
}
# after NAME DESC: gc, then nothing of NAME may be left
after() {
	local before=0 gc_rc left l
	while IFS= read -r l; do # (a veth may still be going by itself)
		[[ $l == veth* ]] || before=$((before + 1))
	done < <(leftovers "$1")
	d gc
	gc_rc=$rc
	left=$(leftovers "$1")
	if [ "$gc_rc" = 0 ] && [ -z "$left" ] && [ "$before" -gt 0 ]; then
		ok "$2: diyc gc removes all $before things left"
	else
		fail "$2: diyc gc leaves nothing" "gc rc=$gc_rc, $before left before; $errout
$left"
	fi
}

# step_net NEEDS: net_args for a step that does its work with NEEDS (the NEEDS column
# of diyc debug steps: bridge, ports, volumes or -); false when that needs a bridge and there
# is none here
step_net() {
	case $1 in
	bridge) net_args=(--net bridge) ;;
	ports) net_args=(--net bridge -p 18080:80) ;;
	volumes) net_args=(--net none -v crvol:/data) && return 0 ;;
	*) net_args=(--net none) && return 0 ;;
	esac
	[ $net = yes ]
}

crash() { # crash PROFILE-TAG PROFILE
	local tag=$1 prof=$2 st net_args
	local who needs what
	while read -r who st needs what <&3; do
		[ "$needs" = oci ] && continue # diyc-oci's own (oci_crash below)
		step_net "$needs" || { skip "$tag crash after $who step '$st'" "no bridged network"; continue; }
		# the main process leaves a grandchild behind (found by cgroup in the no-pid case)
		DIYC_FAILPOINT=$st "$DIYC" run --rm --profile "$prof" "${net_args[@]}" -m 64m cr busybox \
			sh -c 'sleep 317 & exec sleep 307' >/dev/null 2>"$T/err" &
		local pid=$! i
		if [ "$st" = running ]; then # (no longer than diyc lives: its death takes the command)
			for i in $(seq 50); do
				[ -n "$(pids_by_cmdline 'sleep 307')" ] || ! kill -0 $pid 2>/dev/null && break
				sleep 0.1
			done
		fi
		{ wait $pid; } 2>/dev/null # (bash would report "Killed")
		rc=$?
		[ "$rc" = 137 ] || { fail "$tag crash after $who step '$st'" "diyc exited $rc, not killed: $(cat "$T/err")"; continue; }
		after cr "$tag crash after $who step '$st'"
		"$DIYC" volume rm crvol >/dev/null 2>&1 # a volume is kept after a crash (user data)
	done 3<"$T/steps"
	# kill -9 of the supervisor while the container runs (networked when possible)
	net_args=(--net none)
	[ $net = yes ] && net_args=(--net bridge -p 18081:80)
	"$DIYC" run -d --profile "$prof" "${net_args[@]}" cr busybox sh -c 'sleep 317 & exec sleep 307' >/dev/null 2>&1
	sleep 0.5
	local sup
	sup=$($JGET /run/diyc/cr/state.json supervisor 2>/dev/null)
	[ -n "$sup" ] && kill -9 "$sup"
	sleep 0.3
	after cr "$tag kill -9 of a running container's supervisor"
}
# unwind PROFILE-TAG PROFILE: each step made to fail after its work (STEP:error): diyc
# must exit 125 naming it last (after any degraded-mode warnings), and its unwinding
# alone must leave nothing (no diyc gc)
unwind() {
	local tag=$1 prof=$2 who st needs what left net_args
	while read -r who st needs what <&3; do
		[ "$needs" = oci ] && continue
		step_net "$needs" || { skip "$tag error after $who step '$st'" "no bridged network"; continue; }
		DIYC_FAILPOINT=$st:error "$DIYC" run --rm --profile "$prof" "${net_args[@]}" -m 64m cr busybox \
			sh -c 'sleep 317 & exec sleep 307' >/dev/null 2>"$T/err"
		rc=$?
		left=$(leftovers cr; present "$DIYC_ROOT/volumes/crvol")
		last_line "$T/err"
		if [ "$rc" = 125 ] && [ "$REPLY" = "diyc: injected failure after $st" ] && [ -z "$left" ]; then
			ok "$tag error after $who step '$st': 125, and the unwinding leaves nothing"
		else
			fail "$tag error after $who step '$st'" "rc=$rc err=$(cat "$T/err")
$left"
			"$DIYC" gc >/dev/null 2>&1
		fi
	done 3<"$T/steps"
}
# ---- diyc-oci create walks the same table (every step but diyc run's "running"):
# killed after each, `diyc-oci delete --force` must leave nothing; failing after each,
# create's own unwinding must
R=$T/oci
mkdir -p "$T/ob" && cp -a "$DIYC_ROOT/images/busybox" "$T/ob/rootfs" && "$DIYC_OCI" spec --bundle "$T/ob"
python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p))
c["process"]["terminal"]=False; c["root"]["readonly"]=False
c["process"]["args"]=["sh","-c","sleep 317 & exec sleep 307"]
c["linux"]["resources"]={"memory":{"limit":67108864}}
json.dump(c,open(p,"w"))' "$T/ob/config.json"
oci_leftovers() {
	present "$R/cr"
	cg_find diyc-cr
	sleep_pids
}
oci_crash() { # oci_crash PROFILE-TAG PROFILE
	local tag=$1 prof=$2 who st needs what left
	while read -r who st needs what <&3; do
		[ "$needs" = cli ] && continue
		{ DIYC_PROFILE=$prof DIYC_FAILPOINT=$st "$DIYC_OCI" --root "$R" create --bundle "$T/ob" cr \
			>/dev/null 2>"$T/err" </dev/null; } 2>/dev/null # (bash would report "Killed")
		rc=$?
		"$DIYC_OCI" --root "$R" delete --force cr >/dev/null 2>>"$T/err"
		sleep 0.1
		left=$(oci_leftovers)
		[ "$rc" = 137 ] && [ -z "$left" ] && ok "$tag diyc-oci killed after $who step '$st': delete --force leaves nothing" ||
			fail "$tag diyc-oci killed after $who step '$st'" "rc=$rc $(cat "$T/err")
$left"
		DIYC_PROFILE=$prof DIYC_FAILPOINT=$st:error "$DIYC_OCI" --root "$R" create --bundle "$T/ob" cr \
			>/dev/null 2>"$T/err" </dev/null
		rc=$?
		sleep 0.1
		left=$(oci_leftovers)
		last_line "$T/err"
		if [ "$rc" = 1 ] && [ "$REPLY" = "diyc-oci: injected failure after $st" ] && [ -z "$left" ]; then
			ok "$tag diyc-oci failing after $who step '$st': exit 1, its unwinding leaves nothing"
		else
			fail "$tag diyc-oci failing after $who step '$st'" "rc=$rc err=$(cat "$T/err")
$left"
			"$DIYC_OCI" --root "$R" delete --force cr >/dev/null 2>&1
		fi
	done 3<"$T/steps"
}

crash "[live]" "$T/full.json"
unwind "[live]" "$T/full.json"
oci_crash "[live]" "$T/full.json"
if [ "$(jget "$T/full.json" 'd["namespaces"]["pid"]["status"]')" = yes ]; then
	probe_json "$T/nopid.json" --pid --uts
	crash "[no pid/uts]" "$T/nopid.json"
	unwind "[no pid/uts]" "$T/nopid.json"
	oci_crash "[no pid/uts]" "$T/nopid.json"
fi
done_testing
