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
prof=${1:?profile}
. "qemu/$prof.profile"
export DIYC_HARNESS=1 # the guest is the harness: it dies with the test
export DIYC_ROOT=/var/lib/diyc
export DIYC_PROFILE_CACHE=/tmp/diyc-profiles # each simulated profile probed once (tests/lib.sh)
T=$(mktemp -d)
./diyc-probe -n --json >"$T/p.json"

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
# and loading these is the test harness's business (diyc loads veth and bridge)
if [ -d /lib/modules ]; then
	for m in nf_tables nft_compat nft_chain_nat nft_nat nft_masq nf_nat nf_conntrack \
		xt_conntrack xt_addrtype xt_MASQUERADE xt_comment xt_nat; do
		modprobe "$m" 2>/dev/null
	done
fi
before=$(tests/leftovers.sh)
suites="probe runtime net volumes everyday legacy44 oci"
# the hostile-image and crash-injection suites where the degraded mode must hold
[ "$prof" = legacy-4.4.74 ] && suites="$suites hostile crash"
# by hand, some of them only (make ci-qemu SUITES="net oci": ci.suites=net,oci)
if [ -n "${CI_SUITES:-}" ]; then
	suites=${CI_SUITES//,/ }
	for t in $suites; do
		[[ $t =~ ^[a-z0-9_-]+$ ]] && [ -f "tests/integration/$t.sh" ] || { fail "SUITES: no suite $t"; suites=; }
	done
fi
# where the guest's time goes: each suite's seconds and how busy the vCPUs were
# (ci/qemu-matrix.sh shows these lines; /proc/stat counts in USER_HZ, 100 a second)
cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit}' /proc/stat; }
read -r busy0 idle0 < <(cpu_ticks)
# the tests that took longest: the time from the previous test's line to this one
# (µs from $EPOCHREALTIME in bash arithmetic: no process per line)
slowest() {
	local now=${EPOCHREALTIME/./} d
	d=$(((now - last) / 100000))
	slow+=("$((d / 10)).$((d % 10)) s: $1")
	last=$now
}
for t in $suites; do
	t0=$(date +%s)
	read -r b0 i0 < <(cpu_ticks)
	t=tests/integration/$t.sh
	echo "# --- $t"
	slow=() last=${EPOCHREALTIME/./}
	while IFS= read -r line; do
		case $line in
		"ok "*) slowest "$line"; ok "${line#ok +([0-9]) - }" ;;
		"not ok "*) slowest "$line"; fail "${line#not ok +([0-9]) - }" ;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done < <(PROBE=./diyc-probe DIYC=./diyc DIYC_OCI=./diyc-oci NSEXEC=./nsexec NONS=./tests/tools/nons HOSTILE=./tests/tools/hostile \
		NET_CONCURRENT=16 "$t" 2>&1)
	read -r b1 i1 < <(cpu_ticks)
	printf '%s\n' "${slow[@]}" | sort -rn | head -5 | sed "s|^|# guest-slow suite=${t##*/} |"
	echo "# guest-time suite=${t##*/} seconds=$(($(date +%s) - t0)) busy=$(((b1 - b0) / 100)) idle=$(((i1 - i0) / 100))"
done
read -r busy1 idle1 < <(cpu_ticks)
echo "# guest-time all busy=$(((busy1 - busy0) / 100)) idle=$(((idle1 - idle0) / 100))"

# 3. nothing left: the host's leftover check (tests/leftovers.sh), before and after
after=$(tests/leftovers.sh)
[ "$before" = "$after" ] && ok "nothing left behind (mounts, cgroups, state, links, rules)" ||
	fail "leftovers" "$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
rm -rf "$T"
done_testing
