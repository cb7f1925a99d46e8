#!/usr/bin/env bash
# Benchmark of images (make bench), side by side in hyperfine runs:
#   import of a 10-layer image (OCI layout, gzip layers: the busybox tree and nine
#   small layers) into an empty store, against `umoci unpack` of the same layout
#   diyc run --rm /bin/true on that 10-layer image against the 1-layer one (the
#   busybox tree alone): the cost of stacking nine more lower dirs
# Raw numbers in build/bench/images.json, imgrun.json. Everything lives in a
# temporary data root, removed at the end.
set -eu
cd "$(dirname "$0")/../.."
for t in hyperfine umoci python3; do
	command -v $t >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done
mkdir -p build/bench
T=$(mktemp -d /tmp/diyc-bench-img.XXXXXX)
cleanup() { ./diyc gc >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
export DIYC_ROOT=$T/root
runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
tar -C "$DIYC_ROOT/images/busybox" -cf "$T/base.tar" .
python3 tests/tools/imgtool.py stack "$T/base.tar" 10 "$T/l10"
python3 tests/tools/imgtool.py stack "$T/base.tar" 1 "$T/l1"
hyperfine -N --warmup 2 --runs "${IMG_RUNS:-20}" --export-json build/bench/images.json \
	--prepare "sh -c './diyc image rm i10 >/dev/null 2>&1; rm -rf $T/bundle; true'" \
	-n "diyc image import (10 layers)" "./diyc image import i10 $T/l10" \
	-n "umoci unpack (10 layers)" "umoci unpack --image $T/l10:stack $T/bundle" >/dev/null
./diyc image import i10 "$T/l10" >/dev/null
./diyc image import i1 "$T/l1" >/dev/null
./diyc profile >/dev/null
hyperfine -N --warmup 5 --runs "${RUNS:-100}" --export-json build/bench/imgrun.json \
	-n "diyc run --rm (10 layers)" "./diyc run --rm --net none b10 i10 /bin/true" \
	-n "diyc run --rm (1 layer)" "./diyc run --rm --net none b1 i1 /bin/true" >/dev/null
python3 - <<'PY'
import json
for f in ("images", "imgrun"):
    for x in json.load(open(f"build/bench/{f}.json"))["results"]:
        print(f"{x['command']:<36} {x['median']*1e3:8.2f}ms")
r = {x["command"]: x["median"] for x in json.load(open("build/bench/imgrun.json"))["results"]}
q = r["diyc run --rm (10 layers)"] / r["diyc run --rm (1 layer)"]
print(f"goal: run on 10 layers <= 1.2x 1 layer: {'met' if q <= 1.2 else 'NOT met'} ({q:.2f}x)")
PY
