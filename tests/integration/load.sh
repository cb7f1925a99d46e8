#!/usr/bin/env bash
# Concurrency and load (root, TAP): 50 containers at once, one name started twice at
# the same moment, LOAD_RUNS (default 1000) sequential `run --rm` with nothing
# growing, and a recycled pid that `diyc kill` must not hit. (50 concurrent bridged
# containers are in net.sh.) Runs in a harness with private namespaces like runtime.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness "load tests" "$0" "$@"
RUNS=${LOAD_RUNS:-1000}
CONC=${LOAD_CONCURRENT:-50}
# what could accumulate: state, container dirs, cgroups, mounts, our fds, shared memory
snapshot() {
	echo "state $(ls /run/diyc | grep -vc '^profile')"
	echo "dirs $(ls "$DIYC_ROOT/containers" 2>/dev/null | wc -l)"
	echo "cgroups $(find /sys/fs/cgroup -name 'diyc-*' 2>/dev/null | wc -l)"
	echo "mounts $(wc -l </proc/self/mountinfo)"
	echo "fds $(ls /proc/$$/fd | wc -l)"
	echo "processes $(ps -eo comm= | grep -cE '^(diyc|sh|sleep|true|busybox)$')"
}

# --- many at once
base=$(snapshot)
for i in $(seq "$CONC"); do
	"$DIYC" run --rm --net none "c$i" busybox sh -c 'echo $(hostname)' >"$T/out.$i" 2>"$T/err.$i" &
done
wait
okc=0 names=""
for i in $(seq "$CONC"); do
	[ "$(cat "$T/out.$i")" = "c$i" ] || [ "$(cat "$T/out.$i")" = "$(hostname)" ] && okc=$((okc + 1))
done
[ "$okc" = "$CONC" ] && ok "$CONC containers started at once: all ran" || fail "$CONC at once" "$okc ran; $(cat "$T"/err.* | sort | uniq -c | head)"
[ "$(snapshot)" = "$base" ] && ok "$CONC at once: nothing left" || fail "$CONC at once: leftovers" "$(diff <(echo "$base") <(snapshot))"

# --- the same name twice at the same moment: exactly one wins, the loser leaves nothing
wins=0 losses=0
for round in 1 2 3 4 5; do
	"$DIYC" run --rm --net none same busybox sleep 1 >"$T/a" 2>"$T/ae" & a=$!
	"$DIYC" run --rm --net none same busybox sleep 1 >"$T/b" 2>"$T/be" & b=$!
	wait $a; ra=$?; wait $b; rb=$?
	for r in $ra $rb; do [ "$r" = 0 ] && wins=$((wins + 1)); [ "$r" = 125 ] && losses=$((losses + 1)); done
done
[ "$wins" = 5 ] && [ "$losses" = 5 ] && ok "one name twice at once (5 rounds): one wins, one gets 125" || fail "name race" "wins=$wins losses=$losses $(cat "$T/ae" "$T/be")"
grep -hq "already" "$T/ae" "$T/be" && ok "the loser says the name is taken" || fail "name race message" "$(cat "$T/ae" "$T/be")"
[ "$(snapshot)" = "$base" ] && ok "name race: nothing left" || fail "name race: leftovers" "$(diff <(echo "$base") <(snapshot))"

# --- sequential runs: nothing grows
shm0=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
fails=0
for i in $(seq "$RUNS"); do
	"$DIYC" run --rm --net none seq busybox /bin/true 2>>"$T/seqerr" || fails=$((fails + 1))
done
shm1=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)
[ "$fails" = 0 ] && ok "$RUNS sequential run --rm: all exit 0" || fail "$RUNS sequential" "$fails failed: $(sort "$T/seqerr" | uniq -c | head -3)"
[ "$(snapshot)" = "$base" ] && ok "$RUNS sequential: no growth in state, dirs, cgroups, mounts, fds, processes" || fail "$RUNS sequential: growth" "$(diff <(echo "$base") <(snapshot))"
# each run makes a 4 KB memfd; a leak of them would show as shared memory growth
[ $((shm1 - shm0)) -lt $((RUNS * 4 / 2)) ] && ok "$RUNS sequential: shared memory grew $((shm1 - shm0)) kB (no memfd kept)" || fail "shared memory grew" "$((shm1 - shm0)) kB"

# --- a recycled pid: the recorded pid now belongs to someone else
"$DIYC" run -d --net none stale busybox sleep 100 >/dev/null 2>&1
sleep 0.3
sleep 300 &
victim=$!
python3 - "$victim" <<'PY'
import json, sys
p = "/run/diyc/stale/state.json"
s = json.load(open(p)); s["pid"] = int(sys.argv[1]); json.dump(s, open(p, "w"))
PY
d kill stale KILL
expect "diyc kill refuses a pid whose start time differs" 125
d stop -t 1 stale
kill -0 $victim 2>/dev/null && ok "the unrelated process was not signalled (kill, stop)" || fail "victim killed"
"$DIYC" rm -f stale >/dev/null 2>&1
kill -0 $victim 2>/dev/null && ok "nor by rm -f" || fail "victim killed by rm -f"
kill $victim; wait $victim 2>/dev/null
for i in $(seq 30); do [ "$(snapshot)" = "$base" ] && break; sleep 0.1; done
[ "$(snapshot)" = "$base" ] && ok "stale pid: nothing left" || fail "stale pid: leftovers" "$(diff <(echo "$base") <(snapshot))"
done_testing
