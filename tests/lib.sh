# TAP helpers for the shell integration tests. Source it; call ok/fail/skip; end with done_testing.
n=0
JGET=${JGET:-./tests/tools/jget} # the JSON field reader (tests/tools/jget.c)
failed=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'; return 0; }
skip() { n=$((n+1)); echo "ok $n - $1 # SKIP ${2:-}"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { local d=$1; shift; local out; if out=$("$@" 2>&1); then ok "$d"; else fail "$d" "$out"; fi; }
done_testing() { echo "1..$n"; [ "$failed" -eq 0 ]; }
# The one harness of every suite that runs containers:
#   harness [--net] [--outside] [--need TOOL]... [--no-root] WHAT "$0" "$@"
# 1. root (unless --no-root) and each TOOL, or the whole suite is one skip with the
#    reason;
# 2. the script re-runs itself inside private UTS, IPC, PID and mount namespaces (and
#    network with --net), so a bug can neither rename this machine nor signal its
#    processes.  DIYC_HARNESS says it is in one already (a QEMU guest is one: the
#    guest dies with the test, and its kernel may lack some namespaces).  --outside:
#    its network namespace is a "host" joined by a veth (192.0.2.1) to a second one
#    standing for the outside world (192.0.2.2, TEST-NET-1), named in DIYC_OUTSIDE;
#    this is made even inside a guest;
# 3. inside: T, a temp dir removed at exit after the at_exit hooks (last first);
#    DIYC_ROOT=$T/root holding the busybox image; DIYC DIYC_OCI PROBE NONS NSEXEC HOSTILE default
#    to the normal build.
harness() {
	local net= outside= root=1 t
	local -a need=()
	while :; do
		case $1 in
		--net) net=--net; shift ;;
		--outside) outside=1; shift ;;
		--no-root) root=; shift ;;
		--need) need+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	local what=$1
	shift
	if [ -n "$root" ] && [ "$(id -u)" != 0 ]; then
		skip "$what" "need root"
		done_testing
		exit
	fi
	for t in "${need[@]}"; do
		command -v "$t" >/dev/null && continue
		skip "$what" "need $t"
		done_testing
		exit
	done
	if [ -n "$outside" ] && [ -z "${DIYC_OUTSIDE:-}" ]; then
		_harness_outside "$@"
		exit
	fi
	if [ -z "${DIYC_HARNESS:-}" ] && [ -n "$root" ]; then
		exec env DIYC_HARNESS=1 unshare $net --uts --ipc --pid --mount --fork --mount-proc "$@"
	fi
	_harness_inside
}
_harness_outside() {
	local h=diyc-t$$-host o=diyc-t$$-out iso=()
	ip netns add $h && ip netns add $o || { echo "not ok - cannot create test namespaces"; exit 1; }
	trap "ip netns del $h 2>/dev/null; ip netns del $o 2>/dev/null" EXIT
	ip link add dtv$$a type veth peer name dtv$$b
	ip link set dtv$$a netns $h && ip link set dtv$$b netns $o
	ip -n $h addr add 192.0.2.1/24 dev dtv$$a && ip -n $h link set dtv$$a up && ip -n $h link set lo up
	ip -n $o addr add 192.0.2.2/24 dev dtv$$b && ip -n $o link set dtv$$b up && ip -n $o link set lo up
	[ -n "${DIYC_HARNESS:-}" ] || iso=(unshare --uts --ipc --pid --mount --fork --mount-proc)
	# nsenter, not `ip netns exec`: that one mounts a new /sys, without the cgroup
	# hierarchies below it, and the suite's containers would run with no cgroup
	DIYC_OUTSIDE=$o DIYC_HARNESS=1 nsenter --net=/run/netns/$h "${iso[@]}" "$@"
}
_harness_hooks=()
at_exit() { _harness_hooks+=("$1"); }
_harness_exit() {
	local i
	for ((i = ${#_harness_hooks[@]} - 1; i >= 0; i--)); do eval "${_harness_hooks[i]}"; done
	rm -rf "$T"
}
_harness_inside() {
	DIYC=${DIYC:-./diyc} PROBE=${PROBE:-./diyc-probe} NONS=${NONS:-./tests/tools/nons}
	NSEXEC=${NSEXEC:-./nsexec} HOSTILE=${HOSTILE:-./tests/tools/hostile}
	DIYC_OCI=${DIYC_OCI:-./diyc-oci}
	T=$(mktemp -d /tmp/diyc-test.XXXXXX)
	chmod 711 "$T" # a network's dnsmasq (not root) reads its hosts file below it
	trap _harness_exit EXIT
	export DIYC_ROOT=$T/root
	# the busybox image, or a copy of DIYC_IMAGE_SEED (a QEMU guest builds it once: its
	# ~270 applet links cost a process each, seconds a suite under TCG)
	if [ -n "${DIYC_IMAGE_SEED:-}" ] && [ -d "$DIYC_IMAGE_SEED" ]; then
		mkdir -p "$DIYC_ROOT/images" && cp -a "$DIYC_IMAGE_SEED" "$DIYC_ROOT/images/busybox"
	else
		runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
	fi
}
# present PATH...: each PATH that exists, one a line (ls -d's answer); cg_find NAME:
# each cgroup directory named NAME at any depth below /sys/fs/cgroup (find -name's,
# through bash's globstar); remains NAME: both for container NAME, its state, its
# directory and its cgroups.  Builtins only: suites ask after every container, and a
# process costs ~10 ms in a TCG guest.
present() {
	local f
	for f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done
	return 0
}
cg_find() {
	local c gs=-u ng=-u
	shopt -q globstar && gs=-s
	shopt -q nullglob && ng=-s
	shopt -s globstar nullglob
	for c in /sys/fs/cgroup/**/"$1"/; do echo "${c%/}"; done
	shopt "$gs" globstar
	shopt "$ng" nullglob
}
remains() {
	present /run/diyc/"$1" "$DIYC_ROOT/containers/$1"
	cg_find "diyc-$1"
}
# Processes by name, without pgrep (Debian's busybox has none; a missing tool in a
# negative check would pass silently): pids_by_comm NAME, pids_by_cmdline TEXT.
# Builtins only in the loop, so no helper process matches itself.
pids_by_comm() {
	local p c
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		[ "$c" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}
pids_by_cmdline() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$BASHPID" ] && continue
		cmdline_of "${p#/proc/}" || continue
		case $REPLY in *"$1"*) echo "${p#/proc/}" ;; esac
	done
	return 0
}
# cmdline_of PID: its command line in REPLY, each argument followed by a space (what
# `tr '\0' ' '` makes of it), without a process per call (a fork costs ~10 ms in a TCG
# guest, and the scans above read every process); false when PID is gone
cmdline_of() {
	local a
	mapfile -d '' -t a 2>/dev/null <"/proc/$1/cmdline" || return 1
	REPLY=
	[ ${#a[@]} -eq 0 ] || printf -v REPLY '%s ' "${a[@]}"
}
# ipt_save: the rules of both iptables backends (diyc uses the one that programs
# this kernel: nft or legacy), or of plain iptables-save where neither is named so
ipt_save() {
	local b any=
	for b in nft legacy; do
		command -v "iptables-$b-save" >/dev/null || continue
		any=1
		"iptables-$b-save" 2>/dev/null
	done
	[ -n "$any" ] || iptables-save 2>/dev/null
	return 0
}
# jget FILE 'EXPR': print(EXPR) in python3, with d the file's JSON.  A plain lookup
# of string keys (d["a"]["b"] or d['a']['b']), most calls, goes to tests/tools/jget
# (static: a few ms in a TCG guest, where python3 takes 0.15 s to start and jq 0.2 s),
# printed as python's print would (True, False, None); any other answer (a list, an
# object, a float) and any error (a missing key) fall back to python3, which says
# what python says.
jget() {
	if [ -x "$JGET" ] && _jget_path "$2" &&
		"$JGET" -p "$1" "$REPLY" 2>/dev/null; then
		return 0
	fi
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
# the keys of a plain lookup as tests/tools/jget's dotted path, in REPLY; 1 for
# anything else (a key with a dot in it, or only digits, which jget takes as an index)
_jget_path() {
	local e=${1#d} out=
	[ "$e" != "$1" ] && [ -n "$e" ] || return 1
	while [ -n "$e" ]; do
		if [[ $e =~ ^\[\"([A-Za-z0-9_-]+)\"\](.*)$ ]] || [[ $e =~ ^\[\'([A-Za-z0-9_-]+)\'\](.*)$ ]]; then
			out+=.${BASH_REMATCH[1]}
			e=${BASH_REMATCH[2]}
			[[ $out =~ \.[0-9]+$ ]] && return 1
		else
			return 1
		fi
	done
	REPLY=$out
}
# d ARGS...: run $DIYC, its stdout/stderr/status in $out $errout $rc (scratch file in $T)
# (builtins only past diyc itself: a process costs ~10 ms in a TCG guest, and suites
# call d hundreds of times)
d() { out=$("$DIYC" "$@" 2>"$T/err"); rc=$?; slurp "$T/err"; errout=$REPLY; }
# dv ARGS...: d, without the degraded-mode warnings of a kernel or harness that lacks
# something (the lines grep -v '^diyc: warning: degraded' would drop)
dv() {
	d "$@"
	drop_lines 'diyc: warning: degraded*' "$errout"
	errout=$REPLY
}
# drop_lines PATTERN TEXT: TEXT's lines that do not match the glob PATTERN, in REPLY,
# trailing newlines dropped (what $(grep -v) gives), with builtins only
drop_lines() {
	local l r=
	while IFS= read -r l; do
		[[ $l == $1 ]] || r+=$l$'\n'
	done <<<"$2"
	while [[ $r == *$'\n' ]]; do r=${r%$'\n'}; done
	REPLY=$r
}
# slurp FILE: its text in REPLY, trailing newlines dropped (what $(cat FILE) gives)
slurp() {
	REPLY=
	IFS= read -r -d '' REPLY <"$1"
	while [[ $REPLY == *$'\n' ]]; do REPLY=${REPLY%$'\n'}; done
	return 0
}
# same DESC GOT WANT: passes when GOT is WANT; a failure shows both
same() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
# refused DESC [RC]: the last d failed with RC (default 125) and said why in one line
refused() {
	local want=${2:-125}
	if [ "$rc" = "$want" ] && [ -n "$errout" ] && [[ $errout != *$'\n'* ]]; then
		ok "$1"
	else
		fail "$1" "rc=$rc (want $want, one line) err=$errout"
	fi
}
# expect DESC RC [PATTERN]: check the last d's exit code and that stdout matches PATTERN
expect() {
	local desc=$1 want=$2 pat=${3:-}
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || printf '%s\n' "$out" | grep -Eq -- "$pat"; }; then
		ok "$desc"
	else
		fail "$desc" "rc=$rc (want $want) out=$out err=$errout"
	fi
}
# probe_json FILE [NONS-OPTION...]: the live profile (or, with --pid/--uts/--net, a
# simulated kernel without them) written to FILE. Inside QEMU guests the probe is
# slow: there DIYC_PROFILE_CACHE names a directory that keeps each kind once.
probe_json() {
	local out=$1; shift
	local key="live${*// /}" c=${DIYC_PROFILE_CACHE:-}
	if [ -n "$c" ] && [ -s "$c/$key.json" ]; then
		cp "$c/$key.json" "$out"
		return
	fi
	if [ $# -gt 0 ]; then $NONS "$@" -- $PROBE -q -o "$out"; else $PROBE -q -o "$out"; fi
	[ -n "$c" ] && mkdir -p "$c" && cp "$out" "$c/$key.json"
	return 0
}
# is_static DESC BIN: passes when BIN is a static program (a dynamic ELF names its loader
# in .interp, right after its headers; readelf is not in the QEMU guests)
is_static() {
	if head -c 2048 "$2" | LC_ALL=C grep -aq 'ld-linux'; then
		fail "$1" "$2 names a program interpreter"
	else
		ok "$1"
	fi
}
# derive OUT 'jq filter' [JQ-OPTION...]: $T/OUT, a simulated kernel's profile made
# from the live one in $T/full.json (jq: a python3 start costs 0.4 s in a TCG guest)
derive() { jq "${@:3}" "$2" "$T/full.json" >"$T/$1"; }
# derive_set OUT PATH=JSON...: the same for plain assignments, through tests/tools/jget
# (a few ms in a TCG guest, jq 0.2 s)
derive_set() { "$JGET" -s "$T/full.json" "${@:2}" >"$T/$1"; }
# cg_parent NAME: sets CG_PARENT to a cgroup path below this process's own cgroup in
# every hierarchy (the deepest own path, when each other one is its ancestor), for the
# engines that take one path for all hierarchies (podman --cgroup-parent, ctr
# --cgroup); at exit everything below it is killed and removed, and the directories
# on the way that did not exist before.  Fails when no such path exists.
_cg_mounts() { grep -E ' - cgroup2? ' /proc/self/mountinfo | awk '{print $5}'; }
cg_parent() {
	local deepest=/ path m d
	while IFS=: read -r _ _ path; do
		if [ ${#path} -gt ${#deepest} ]; then deepest=$path; fi
	done </proc/self/cgroup
	while IFS=: read -r _ _ path; do
		[ "$path" = / ] || [ "${deepest#"$path"/}" != "$deepest" ] || [ "$path" = "$deepest" ] || return 1
	done </proc/self/cgroup
	CG_PARENT=${deepest%/}/$1
	_cg_made=()
	for m in $(_cg_mounts); do
		d=$m$CG_PARENT
		while [ "$d" != "$m" ] && [ ! -d "$d" ]; do _cg_made+=("$d"); d=${d%/*}; done
	done
	at_exit _cg_parent_clean
}
_cg_parent_clean() {
	local m d p i
	for m in $(_cg_mounts); do
		[ -d "$m$CG_PARENT" ] || continue
		for p in $(cat $(find "$m$CG_PARENT" -name cgroup.procs) 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.1
	for m in $(_cg_mounts); do
		[ -d "$m$CG_PARENT" ] && find "$m$CG_PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for ((i = 0; i < ${#_cg_made[@]}; i++)); do
		[ -d "${_cg_made[i]}" ] && rmdir "${_cg_made[i]}" 2>/dev/null
	done
	return 0
}
