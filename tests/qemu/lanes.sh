# The integration suites of a make ci-qemu guest in two lanes (sourced by
# tests/qemu/guest-suite.sh).  A guest's suites wait a lot: net.sh about 20 s on
# blocked connections that must time out, everyday.sh about 12 s on stats and logs -f,
# crash.sh 8 s.  Those waits are spent running the other lane, and each lane has a
# vCPU of its own (qemu/boot.sh: two by default).
#
# Why the lanes cannot disturb each other (the suites were written to run alone):
#  - the side lane runs the suites that set up bridged networks, net.sh and crash.sh,
#    the only ones that do (net.sh in its own network namespace already, crash.sh in
#    the guest's, where no suite of the main lane makes a link or a rule), and
#    volumes.sh where crash.sh does not run;
#  - it has its own mount namespace with a tmpfs on /run/diyc: `diyc ps -a`, `gc` and
#    the state a test looks for see that lane's containers only;
#  - it has its own cgroup (ci-lane) in every hierarchy, so its containers' cgroups
#    (OWN/diyc-NAME) cannot meet a main-lane container of the same name.  It sets no
#    limits on cgroup v2 (the main lane, in the root cgroup, runs the suites that do:
#    below the root a cgroup holding processes cannot delegate controllers);
#  - its probes are cached apart (DIYC_PROFILE_CACHE): a profile measured in ci-lane
#    names a different own cgroup.  Its live profile is measured first, at the lane's
#    start, as the main lane's is by its first suites;
#  - every suite's own cleanup checks stay as they are; what only the lane sees (its
#    mounts and /run/diyc) is checked in the lane before it ends, the rest (cgroups,
#    links, rules, processes) by guest-suite.sh after both lanes.
# Both lanes share the PID namespace, as the suites always did in a guest (legacy-4.4
# has no other): the process scans of the suites look for command lines only one
# suite uses (sleep 307/317 in crash.sh; sleep 300/301/309 in the main lane).

LANE_CG=ci-lane
# LANE_SIDE: the side lane's suites (guest-suite.sh sets it per profile, so that the
# lanes take about as long); the rest run in the main lane, in the order given.
# probe.sh stays in the main lane: the probe keeps its answers only for callers in
# the initial mount namespace (probe.sh tests that).
lane_side() { [[ " $LANE_SIDE " == *" $1 "* ]]; }

cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit}' /proc/stat; }
# the tests that took longest: the time from the previous test's line to this one
# (µs from $EPOCHREALTIME in bash arithmetic: no process per line)
slowest() {
	local now=${EPOCHREALTIME/./} d
	d=$(((now - last) / 100000))
	slow+=("$((d / 10)).$((d % 10)) s: $1")
	last=$now
}
# run_suite NAME LANE: the suite's TAP lines as it prints them, then its five slowest
# tests and its seconds (with how busy the guest's vCPU was meanwhile: /proc/stat
# counts in USER_HZ, 100 a second); a suite that exits non-zero without a failing
# test, or reports no test at all, gets a failing line of its own
run_suite() {
	local t=tests/integration/$1.sh t0=$SECONDS line b0 i0 b1 i1 results=0 failures=0
	local -a slow=()
	local last=${EPOCHREALTIME/./}
	read -r b0 i0 < <(cpu_ticks)
	echo "# --- $t"
	while IFS= read -r line; do
		case $line in
		"ok "*) results=$((results + 1)); slowest "$line" ;;
		"not ok "*) results=$((results + 1)) failures=$((failures + 1)); slowest "$line" ;;
		"suite-exit "*)
			[ "${line#suite-exit }" = 0 ] || [ $failures -gt 0 ] || echo "not ok 0 - $t exited ${line#suite-exit }"
			continue
			;;
		esac
		printf '%s\n' "$line"
	done < <(
		PROBE=./diyc-probe DIYC=./diyc DIYC_OCI=./diyc-oci NSEXEC=./nsexec NONS=./tests/tools/nons HOSTILE=./tests/tools/hostile \
			NET_CONCURRENT=16 "$t" 2>&1
		echo "suite-exit $?"
	)
	[ $results -gt 0 ] || echo "not ok 0 - $t reported no test"
	read -r b1 i1 < <(cpu_ticks)
	printf '%s\n' "${slow[@]}" | sort -rn | head -5 | sed "s|^|# guest-slow suite=${t##*/} |"
	echo "# guest-time suite=${t##*/} seconds=$((SECONDS - t0)) busy=$(((b1 - b0) / 100)) idle=$(((i1 - i0) / 100)) lane=$2"
}
# renumber: a lane's lines into this stream (ok/fail of tests/lib.sh count them)
renumber() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok +([0-9]) - }" ;;
		"not ok "*) fail "${line#not ok +([0-9]) - }" ;;
		1..*) ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
}

# lane_enter: this shell into MOUNT/ci-lane of every hierarchy (a new v1 cpuset
# starts with no CPU and no memory node: the root's are copied)
lane_enter() {
	local m f
	for m in $(_cg_mounts); do
		mkdir -p "$m/$LANE_CG" || return 1
		for f in cpuset.cpus cpuset.mems; do
			[ -f "$m/$f" ] && cat "$m/$f" >"$m/$LANE_CG/$f"
		done
		echo $BASHPID >"$m/$LANE_CG/cgroup.procs" || return 1
	done
}
# lane_remove: ci-lane of every hierarchy gone.  A process of the lane that is still
# exiting holds it for a moment (up to 2 s); one still there after that, or a
# cgroup left below it, fails, and is named.
lane_remove() {
	local m i bad= p
	for m in $(_cg_mounts); do
		for i in $(seq 20); do
			[ -d "$m/$LANE_CG" ] && ! rmdir "$m/$LANE_CG" 2>/dev/null || break
			sleep 0.1
		done
		[ ! -d "$m/$LANE_CG" ] && continue
		bad+=" $m/$LANE_CG:"
		for p in $(cat "$m/$LANE_CG/cgroup.procs"); do
			cmdline_of "$p" && bad+=" [$p $REPLY]"
		done
		bad+=" $(find "$m/$LANE_CG" -mindepth 1 -type d | tr '\n' ' ')"
	done
	[ -z "$bad" ] && ok "the side lane's cgroups removed" || fail "the side lane's cgroups removed" "left:$bad"
}
# lane_run SUITE...: the side lane itself (guest-suite.sh --lane, in a new mount
# namespace): TAP lines on stdout, numbered by the main shell afterwards
lane_run() {
	export DIYC_PROFILE_CACHE=$DIYC_PROFILE_CACHE-lane
	mkdir -p /run/diyc && mount -t tmpfs -o mode=755 lane /run/diyc &&
		lane_enter || { echo "not ok 0 - the side lane cannot be set up"; return 1; }
	local before after t
	before=$(tests/leftovers.sh | grep -E '^(mount|state):')
	# the live profile, cached for the lane's suites as probe.sh leaves it for the
	# main lane's: measured here (net.sh would measure it inside `ip netns exec`,
	# whose fresh /sys has no cgroup mount)
	PROBE=./diyc-probe probe_json /tmp/lane-live.json && rm -f /tmp/lane-live.json
	for t; do run_suite "$t" side; done
	after=$(tests/leftovers.sh | grep -E '^(mount|state):')
	[ "$before" = "$after" ] && echo "ok 0 - side lane: no mount and no state left in its mount namespace" ||
		echo "not ok 0 - side lane: mounts or state left: $(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | tr '\n' ' ')"
}
