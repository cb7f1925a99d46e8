#!/usr/bin/env bash
# The test suite inside a make ci-qemu guest (run by qemu/guest-init from /ci).
#   tests/qemu/guest-suite.sh PROFILE
# 1. what the profile demands of this kernel (EXPECT in qemu/PROFILE.profile, and the
#    profile's own checks below);  2. the integration suites, as on the host;
# 3. nothing left behind.  One TAP stream, numbered here.
set -u
shopt -s extglob
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu/lanes.sh
if [ "${1:-}" = --lane ]; then # the side lane (tests/qemu/lanes.sh), started below
	shift
	lane_run "$@"
	exit
fi
prof=${1:?profile}
. "qemu/$prof.profile"
export DIYC_HARNESS=1 # the guest is the harness: it dies with the test
export DIYC_ROOT=/var/lib/diyc
export DIYC_PROFILE_CACHE=/tmp/diyc-profiles # each simulated profile probed once (tests/lib.sh)
T=$(mktemp -d)
# the profile qemu/guest-init measured for its PROBE-JSON line (by hand: measured here)
if [ -s "${CI_PROBE_JSON:-}" ]; then cp "$CI_PROBE_JSON" "$T/p.json"; else ./diyc-probe -n --json >"$T/p.json"; fi

# 1. the probe's verdicts the profile expects (one python3 for all: a start costs
# about 0.4 s in a TCG guest), "KEY VERDICT" lines
keys=()
for e in $EXPECT; do keys+=("${e%%=*}"); done
verdicts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    v = d
    try:
        for k in key.split("."):
            v = v[k]
        print(key, v["status"] if isinstance(v, dict) else v)
    except (KeyError, TypeError) as e:
        print(key, "not in the profile:", repr(e))' "$T/p.json" "${keys[@]}" 2>&1)
for e in $EXPECT; do
	key=${e%%=*} want=${e#*=} got="no verdict: $verdicts"
	while read -r k v; do [ "$k" = "$key" ] && got=$v; done <<<"$verdicts"
	same "probe: $key = $want" "$got" "$want"
done
# the verdicts, for docs/kernels.md (ci/kernels-table.py reads these lines)
python3 - "$T/p.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def walk(node, path):
    if isinstance(node, dict) and "status" in node:
        print(f"# feature {path} {node['status']}")
    elif isinstance(node, dict):
        for k, v in node.items():
            if k not in ("kernel", "probe", "summary", "timings_us"):
                walk(v, f"{path}.{k}" if path else k)
walk(d, "")
print(f"# feature kernel.release {d['kernel']['release']}")
print(f"# feature cgroups.mode {d['cgroups'].get('mode')}")
print(f"# feature network.iptables_backend {d['network'].get('iptables_backend') or '-'}")
PY
# the guest's clock: a jiffies clock (4 ms steps) is a broken guest, not a slow one:
# every busybox nslookup then waits 5 s (qemu/base.config)
read -r clk </sys/devices/system/clocksource/clocksource0/current_clocksource
case $clk in
*jiffies*) fail "the guest has a real clock (it has $clk: 4 ms steps)" ;;
*) ok "the guest has a real clock ($clk, $(nproc) vCPU)" ;;
esac
runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
export DIYC_IMAGE_SEED=$DIYC_ROOT/images/busybox # each suite's image, copied (tests/lib.sh)
host=$(hostname)
case $prof in
legacy-4.4.74)
	ev=$(jget "$T/p.json" 'd["namespaces"]["pid"]["evidence"]')
	case $ev in *EINVAL*) ok "pid namespace refused with EINVAL" ;; *) fail "pid EINVAL" "$ev" ;; esac
	out=$(./diyc run --rm c1 busybox sh -c 'sleep 300 & hostname' 2>"$T/err"); rc=$?
	[ $rc = 0 ] && [ "$out" = "$host" ] && ok "diyc run works degraded (host's name shown)" || fail "degraded run" "$rc $out $(cat "$T/err")"
	grep -q "degraded: no PID namespace" "$T/err" && ok "the degraded mode is announced" || fail "warning" "$(cat "$T/err")"
	sleep 0.2
	left=$(pids_by_comm sleep)
	read -r me </proc/$$/comm # the scan must at least find this shell
	[ -z "$left" ] && [ -n "$(pids_by_comm "$me")" ] && ok "no container process survives its container" ||
		fail "a container process survived (or /proc cannot be read)" "$left $(ps)"
	same "guest host name unchanged" "$(hostname)" "$host"
	./diyc run --rm --strict c1 busybox true 2>/dev/null && fail "--strict runs degraded" || ok "--strict refuses the degraded kernel"
	;;
debian-stock)
	[ ! -e /sys/module/overlay ] && ok "overlay not loaded at boot" || fail "overlay loaded at boot"
	out=$(./diyc run --rm c1 busybox sh -c 'echo $$' 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = 1 ] && ok "diyc run works (pid 1)" || fail "run" "$rc $out"
	[ -e /sys/module/overlay ] && ok "diyc loaded the overlay module through libkmod" || fail "overlay not loaded"
	./diyc run -d c2 busybox sleep 30 >/dev/null
	ns=$(./diyc ps | awk '$1 == "c2" {print $6}')
	same "all namespaces used ($ns)" "$ns" "mnt,uts,ipc,pid,net,cgroup,time"
	./diyc rm -f c2 >/dev/null
	;;
esac

# 2. the integration suites, renumbered into this stream
# netfilter for the networking suite: the guest switched module autoloading off,
# and loading these is the test harness's business (diyc loads veth and bridge for its
# containers; the harness's own link to the outside world, tests/lib.sh, is a veth
# too, made when net.sh starts: in the side lane that is before any container ran)
if [ -d /lib/modules ]; then
	for m in veth nf_tables nft_compat nft_chain_nat nft_nat nft_masq nf_nat nf_conntrack \
		xt_conntrack xt_addrtype xt_MASQUERADE xt_comment xt_nat; do
		modprobe "$m" 2>/dev/null
	done
fi
before=$(tests/leftovers.sh)
suites="probe runtime net volumes everyday legacy44 oci"
# the hostile-image and crash-injection suites where the degraded mode must hold;
# the suites of the side lane (tests/qemu/lanes.sh): about half the guest's seconds
LANE_SIDE="volumes net"
[ "$prof" = legacy-4.4.74 ] && suites="$suites hostile crash" LANE_SIDE="net crash"
# by hand, some of them only (make ci-qemu SUITES="net oci": ci.suites=net,oci)
if [ -n "${CI_SUITES:-}" ]; then
	suites=${CI_SUITES//,/ }
	for t in $suites; do
		[[ $t =~ ^[a-z0-9_-]+$ ]] && [ -f "tests/integration/$t.sh" ] || { fail "SUITES: no suite $t"; suites=; }
	done
fi
# two lanes at once (tests/qemu/lanes.sh): the side one in its own mount namespace,
# started first, while no container of the main lane has a mount to copy into it
main=() side=()
for t in $suites; do
	if lane_side "$t"; then side+=("$t"); else main+=("$t"); fi
done
read -r busy0 idle0 < <(cpu_ticks)
if [ ${#side[@]} -gt 0 ]; then
	unshare --mount --propagation private -- "$0" --lane "${side[@]}" >"$T/side.tap" 2>&1 &
	side_pid=$!
fi
renumber < <(for t in "${main[@]}"; do run_suite "$t" main; done)
if [ ${#side[@]} -gt 0 ]; then
	wait $side_pid || fail "the side lane exited $?"
	renumber <"$T/side.tap"
	lane_remove
fi
read -r busy1 idle1 < <(cpu_ticks)
echo "# guest-time all busy=$(((busy1 - busy0) / 100)) idle=$(((idle1 - idle0) / 100))"

# 3. nothing left: the host's leftover check (tests/leftovers.sh), before and after
after=$(tests/leftovers.sh)
[ "$before" = "$after" ] && ok "nothing left behind (mounts, cgroups, state, links, rules)" ||
	fail "leftovers" "$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
rm -rf "$T"
done_testing
