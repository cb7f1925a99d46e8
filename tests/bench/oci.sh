#!/usr/bin/env bash
# Benchmark of diyc-oci (make bench), in one hyperfine run against runc on the same
# bundle (`runc spec`, /bin/true in the busybox rootfs, rlimits this root cannot raise
# removed, a cgroup relative to our own):
#   create+start+wait+delete  as an engine drives a runtime (tests/bench/ocicycle.c,
#                             the same helper for both, a subreaper as conmon is)
#   run                       the runtime's own foreground run (create, start, wait, delete)
# Then `podman run --rm` through diyc-oci (podman's storage, run root and cgroups in a
# temporary directory and below our own cgroup; runc and crun cannot run podman's
# default config here). Raw numbers in build/bench/oci.json, podman.json.
set -eu
cd "$(dirname "$0")/../.."
for t in hyperfine runc python3 cc; do
	command -v $t >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done
mkdir -p build/bench
T=$(mktemp -d /tmp/diyc-bench-oci.XXXXXX)
. tests/lib.sh
_harness_hooks=()
cleanup() {
	runc --root "$T/runc" delete -f b1 >/dev/null 2>&1 || true
	./diyc-oci --root "$T/oci" delete -f b1 >/dev/null 2>&1 || true
	_harness_exit
}
trap cleanup EXIT
# a root podman gives the runtime no --root: diyc-oci's default /run/diyc-oci, removed
# at exit when this run made it (as tests/integration/podman.sh does)
[ -d /run/diyc-oci ] || at_exit "rmdir /run/diyc-oci 2>/dev/null"
runtime/mkimage-busybox.sh "$T/root" >/dev/null
tests/bench/bundle.sh "$T/bundle" "$T/root/images/busybox" diyc-bench-oci
OCI=$(realpath ./diyc-oci)
cc -O2 -Wall -Werror -o "$T/ocicycle" tests/bench/ocicycle.c
hyperfine -N --warmup 5 --runs "${RUNS:-50}" --export-json build/bench/oci.json \
	-n "diyc-oci create+start+wait+delete" "$T/ocicycle $OCI $T/oci $T/bundle b1" \
	-n "runc create+start+wait+delete" "$T/ocicycle runc $T/runc $T/bundle b1" \
	-n "diyc-oci run" "$OCI --root $T/oci run --bundle $T/bundle b1" \
	-n "runc run" "runc --root $T/runc run --bundle $T/bundle b1" >/dev/null

rm -f build/bench/podman.json
if command -v podman >/dev/null && command -v conmon >/dev/null && cg_parent "diyc-bench-podman-$$"; then
	P="podman --root $T/p/root --runroot $T/p/run --tmpdir $T/p/tmp --runtime $OCI --cgroup-manager cgroupfs --events-backend file --storage-driver vfs"
	tar -C "$T/root/images/busybox" -c . | $P import - localhost/busybox:bench >/dev/null 2>&1
	hyperfine -N --warmup 2 --runs "${PODMAN_RUNS:-10}" --export-json build/bench/podman.json \
		-n "podman run --rm (diyc-oci)" "$P run --rm --network none --cgroup-parent $CG_PARENT localhost/busybox:bench /bin/true" >/dev/null
	$P rm -af >/dev/null 2>&1 || true
	$P rmi -af >/dev/null 2>&1 || true
fi
python3 - <<'PY'
import json, os
r = {x["command"]: x for x in json.load(open("build/bench/oci.json"))["results"]}
for n, x in r.items():
    print(f"{n:<36} {x['median']*1e3:8.2f}ms")
c = r["diyc-oci create+start+wait+delete"]["median"] / r["runc create+start+wait+delete"]["median"]
print(f"goal: diyc-oci <= 0.5x runc (create+start+wait+delete): {'met' if c <= 0.5 else 'NOT met'} ({c:.2f}x)")
if os.path.exists("build/bench/podman.json"):
    for x in json.load(open("build/bench/podman.json"))["results"]:
        print(f"{x['command']:<36} {x['median']*1e3:8.2f}ms")
PY
