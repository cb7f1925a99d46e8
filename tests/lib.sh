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
