#!/usr/bin/env bash
# Benchmark of diyc-probe (make bench): a full probe as users and diyc run it (the
# live tests' answers of this boot reused, probe/answers.c), the same probe running
# every live test again (--fresh), the probe reading only /proc, /sys and the
# kernel config (every syscall test skipped), and the floor of what config-only
# checkers (lxc-checkconfig) do: read the kernel config and grep it; side by side
# in one hyperfine run so machine noise cancels out.  The answers live in a file of
# the bench's own (DIYC_PROBE_ANSWERS), never the machine's.
# Prints medians and ratios; writes the raw numbers to build/bench/probe.json.
set -eu
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
mkdir -p build/bench
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (make deps)" >&2; exit 1; }
export DIYC_PROBE_ANSWERS=$PWD/build/bench/probe.answers
rm -f "$DIYC_PROBE_ANSWERS"
hyperfine -N --warmup 10 --runs "$runs" --export-json build/bench/probe.json \
	-n "diyc-probe (full)" "./diyc-probe -q -n" \
	-n "diyc-probe --fresh" "./diyc-probe -q -n --fresh" \
	-n "diyc-probe --fresh --serial" "./diyc-probe -q -n --fresh --serial" \
	-n "files only" "./diyc-probe -q -n --sysroot /" \
	-n "kernel config only (floor)" "tests/bench/config-only.sh" >/dev/null
rm -f "$DIYC_PROBE_ANSWERS"
python3 - build/bench/probe.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
floor = r[-1]["median"]
print(f"{'command':<28} {'median':>9} {'min':>9} {'max':>9} {'vs floor':>9}")
for x in r:
    print(f"{x['command']:<28} {x['median']*1e3:8.1f}ms {x['min']*1e3:8.1f}ms "
          f"{x['max']*1e3:8.1f}ms {x['median']/floor:8.2f}x")
full = r[0]["median"] * 1e3
fresh = r[1]["median"] * 1e3
print(f"goal: full probe median <= 10 ms: {'met' if full <= 10 else 'NOT met'} ({full:.1f} ms; "
      f"every live test run again: {fresh:.1f} ms)")
PY
