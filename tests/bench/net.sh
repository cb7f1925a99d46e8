#!/usr/bin/env bash
# Benchmark of bridged networking (make bench): `diyc run --rm --net bridge` against
# `--net none`, side by side in one hyperfine run.  Everything happens inside a
# throwaway network namespace (bridge, veths and rules live and die there), so this
# machine's network is never touched.  Raw numbers: build/bench/net.json.
set -eu
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
if [ -z "${DIYC_BENCH_NS:-}" ]; then
	ns=diyc-bench$$
	ip netns add $ns
	trap 'ip netns del '$ns EXIT
	ip -n $ns link set lo up
	DIYC_BENCH_NS=$ns ip netns exec $ns "$0" "$@"
	exit
fi
mkdir -p build/bench
T=$(mktemp -d /tmp/diyc-bench.XXXXXX)
export DIYC_ROOT=$T/root
trap './diyc net clean >/dev/null 2>&1; ./diyc gc >/dev/null 2>&1; rm -rf "$T"' EXIT
runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
./diyc profile >/dev/null
./diyc net setup >/dev/null
hyperfine -N --warmup 10 --runs "$runs" --export-json build/bench/net.json \
	-n "diyc run --rm --net bridge" "./diyc run --rm --net bridge nb busybox /bin/true" \
	-n "diyc run --rm --net none" "./diyc run --rm --net none nb busybox /bin/true" >/dev/null
python3 - build/bench/net.json <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for n, x in r.items():
    print(f"{n:<28} {x['median']*1e3:8.2f}ms {x['min']*1e3:8.2f}ms {x['max']*1e3:8.2f}ms")
ratio = r["diyc run --rm --net bridge"]["median"] / r["diyc run --rm --net none"]["median"]
print(f"goal: bridge <= 1.5x none: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f}x)")
PY
