# TAP helpers for the shell integration tests. Source it; call ok/fail/skip; end with done_testing.
n=0
failed=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'; return 0; }
skip() { n=$((n+1)); echo "ok $n - $1 # SKIP ${2:-}"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { local d=$1; shift; local out; if out=$("$@" 2>&1); then ok "$d"; else fail "$d" "$out"; fi; }
done_testing() { echo "1..$n"; [ "$failed" -eq 0 ]; }
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
