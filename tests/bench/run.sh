#!/usr/bin/env bash
# Benchmark of `diyc run` (make bench): start -> exit of /bin/true in the busybox
# rootfs, no network, side by side in one hyperfine run so machine noise cancels:
#   diyc run --rm          all usable namespaces (mnt uts ipc pid net cgroup time) + cgroup
#   runc run               bundle from `runc spec`: same rootfs, rlimits dropped (this
#                          root cannot raise them), cgroup relative to our own
#   bwrap --unshare-all    same rootfs read-only, proc, dev
#   crun run               the same bundle, when crun can run on this host at all (on a
#                          hybrid cgroup host it may refuse: build/bench/crun.txt says why)
#   unshare -fmpiun true   the floor: namespaces and a fork, no rootfs, no cgroup
# Then 50 containers started at once (wall time, diyc vs bwrap), diyc's peak RSS
# (GNU time -v) and where its time goes (step by step: tests/bench/steps.py; system
# calls: strace -c -f). Prints medians and ratios; raw numbers in
# build/bench/{run,conc,steps}.json, rss.txt, strace.txt. Everything it creates lives in a temporary directory and
# below this process's own cgroup, and is removed at the end.
set -eu
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
for t in hyperfine runc bwrap /usr/bin/time strace; do
	command -v $t >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
mkdir -p build/bench
T=$(mktemp -d /tmp/diyc-bench.XXXXXX)
cleanup() {
	runc --root "$T/runc" delete -f diyc-bench >/dev/null 2>&1 || true
	./diyc gc >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
export DIYC_ROOT=$T/root
runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
./diyc profile >/dev/null # a fresh profile, so no run below probes

# the runc bundle: `runc spec`, then /bin/true, no terminal, no rlimits, a relative cgroup
tests/bench/bundle.sh "$T/bundle" "$DIYC_ROOT/images/busybox" diyc-bench-runc

rootfs=$DIYC_ROOT/images/busybox
crun=()
if command -v crun >/dev/null; then
	if out=$(crun --root "$T/crun" run -b "$T/bundle" diyc-bench-crun 2>&1); then
		crun=(-n "crun run" "crun --root $T/crun run -b $T/bundle diyc-bench-crun")
		echo "crun $(crun --version | head -1): runs here" >build/bench/crun.txt
	else
		echo "crun $(crun --version | head -1): cannot run here: $(echo "$out" | tail -1)" >build/bench/crun.txt
	fi
	crun --root "$T/crun" delete -f diyc-bench-crun >/dev/null 2>&1 || true
else
	echo "crun: not installed" >build/bench/crun.txt
fi
hyperfine -N --warmup 10 --runs "$runs" --export-json build/bench/run.json \
	-n "diyc run --rm" "./diyc run --rm bench busybox /bin/true" \
	-n "runc run" "runc --root $T/runc run -b $T/bundle diyc-bench" \
	"${crun[@]}" \
	-n "bwrap --unshare-all" "bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev /bin/true" \
	-n "unshare -fmpiun (floor)" "unshare -fmpiun true" >/dev/null

# 50 at once: wall time until all have exited
hyperfine -N --warmup 1 --runs "${CONC_RUNS:-10}" --export-json build/bench/conc.json \
	-n "diyc: 50 at once" "tests/bench/conc.sh 50 ./diyc run --rm --net none c@ busybox /bin/true" \
	-n "bwrap: 50 at once" "tests/bench/conc.sh 50 bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev /bin/true" >/dev/null

rss=$(/usr/bin/time -v ./diyc run --rm bench busybox /bin/true 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')
echo "$rss" >build/bench/rss.txt
# where the time goes, step by step (DIYC_TIMING, runtime/timing.c)
tests/bench/steps.py build/bench/steps.json "${STEP_RUNS:-50}"
# where the time goes: system calls of diyc and its children (strace slows it down)
strace -f -c -w -o build/bench/strace.txt ./diyc run --rm bench busybox /bin/true
strace -f -tt -o build/bench/strace-timeline.txt ./diyc run --rm bench busybox /bin/true
python3 - build/bench/run.json "$rss" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
names = list(r)
d = r["diyc run --rm"]["median"]
print(f"{'command':<26} {'median':>9} {'min':>9} {'max':>9} {'diyc/this':>10}")
for n in names:
    x = r[n]
    print(f"{n:<26} {x['median']*1e3:8.2f}ms {x['min']*1e3:8.2f}ms {x['max']*1e3:8.2f}ms "
          f"{d/x['median']:9.2f}x")
runc = d / r["runc run"]["median"]
bwrap = d / r["bwrap --unshare-all"]["median"]
rss = int(sys.argv[2]) / 1024
floor = d / r["unshare -fmpiun (floor)"]["median"]
print(f"goal: diyc <= 0.5x runc: {'met' if runc <= 0.5 else 'NOT met'} ({runc:.2f}x)")
print(f"goal: diyc <= 1.0x bwrap: {'met' if bwrap <= 1.0 else 'NOT met'} ({bwrap:.2f}x)")
print(f"goal: diyc <= 1.6x the unshare floor: {'met' if floor <= 1.6 else 'NOT met'} ({floor:.2f}x)")
print(f"goal: peak RSS <= 2 MB: {'met' if rss <= 2 else 'NOT met'} ({rss:.2f} MB, GNU time -v)")
c = {x["command"]: x for x in json.load(open("build/bench/conc.json"))["results"]}
for n, x in c.items():
    print(f"{n:<26} {x['median']*1e3:8.1f}ms wall")
PY
cat build/bench/crun.txt
