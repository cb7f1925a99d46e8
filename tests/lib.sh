# TAP helpers for the shell integration tests. Source it; call ok/fail/skip; end with done_testing.
n=0
failed=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'; return 0; }
skip() { n=$((n+1)); echo "ok $n - $1 # SKIP ${2:-}"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { local d=$1; shift; local out; if out=$("$@" 2>&1); then ok "$d"; else fail "$d" "$out"; fi; }
done_testing() { echo "1..$n"; [ "$failed" -eq 0 ]; }
# harness WHAT SCRIPT ARGS...: root or skip (the whole suite, with the reason), then
# re-run SCRIPT inside private UTS, IPC, PID and mount namespaces, so that a bug can
# neither rename this machine nor signal its processes (DIYC_HARNESS: already in
# one, e.g. a QEMU guest). Call it as: harness "runtime tests" "$0" "$@"
harness() {
	local what=$1
	shift
	if [ "$(id -u)" != 0 ]; then
		skip "$what" "need root"
		done_testing
		exit
	fi
	[ -n "${DIYC_HARNESS:-}" ] ||
		exec env DIYC_HARNESS=1 unshare --uts --ipc --pid --mount --fork --mount-proc "$@"
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
	local p c
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$BASHPID" ] && continue
		c=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case $c in *"$1"*) echo "${p#/proc/}" ;; esac
	done
	return 0
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
# jq-like lookup with python3: jget FILE 'd["a"]["b"]'
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# d ARGS...: run $DIYC, its stdout/stderr/status in $out $errout $rc (scratch file in $T)
d() { out=$("$DIYC" "$@" 2>"$T/err"); rc=$?; errout=$(cat "$T/err"); }
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
