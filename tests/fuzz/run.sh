#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for SECONDS, starting from its corpus; TAP out.
# Usage: tests/fuzz/run.sh SECONDS NAME...
set -u
cd "$(dirname "$0")/../.."
secs=$1; shift
n=0 failed=0 total=0
for t in "$@"; do
	n=$((n + 1))
	work=build/fuzz/corpus/$t
	mkdir -p "$work"
	log=build/fuzz/$t.log
	build/fuzz/fuzz/fuzz_$t -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="build/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || echo 0)
	total=$((total + ${runs:-0}))
	if [ $rc = 0 ]; then
		echo "ok $n - fuzz_$t: ${runs:-0} executions in ${secs}s, corpus $(ls "$work" | wc -l)"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$t: exit $rc, see $log"
		grep -E 'ERROR|SUMMARY|artifact' "$log" | head -5 | sed 's/^/#   /'
	fi
done
echo "1..$n"
echo "# $total executions in all"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
