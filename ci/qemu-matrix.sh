#!/usr/bin/env bash
# make ci-qemu: for each kernel profile (qemu/*.profile, or those named), get the
# kernel (build from a fragment, or Debian's cloud kernel), pack an initramfs, boot
# it under QEMU with the profile's cgroup layout, and collect the guest's TAP.
# Prints a summary table; exits non-zero when any profile failed.
#   ci/qemu-matrix.sh [PROFILE...]        (make ci-qemu KERNEL=PROFILE)
# Results: build/ci-qemu/PROFILE/{results.tap,console.log,run.info}.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/ci-qemu
if [ $# -gt 0 ]; then profiles=("$@"); else
	profiles=(); for f in qemu/*.profile; do p=${f#qemu/}; profiles+=("${p%.profile}"); done
fi
for p in "${profiles[@]}"; do
	[ -f "qemu/$p.profile" ] || { echo "ci-qemu: no kernel profile '$p' (see qemu/*.profile)" >&2; exit 2; }
done
# SUITES="net oci" (by hand): only those suites in each guest; names of
# tests/integration/*.sh, which go on the guest's kernel command line
for t in ${SUITES:-}; do
	[[ $t =~ ^[a-z0-9_-]+$ ]] && [ -f "tests/integration/$t.sh" ] ||
		{ echo "ci-qemu: SUITES: no suite '$t' (see tests/integration/*.sh)" >&2; exit 2; }
done
# SMP=N (by hand): vCPUs per guest; qemu/boot.sh has the default and says why
vcpus=$(qemu/boot.sh --vcpus) || exit 2
for b in diyc diyc-probe nsexec tests/tools/nons tests/tools/jget; do
	[ -x "$b" ] || { echo "ci-qemu: build first (make)" >&2; exit 2; }
done
mkdir -p "$B"
# Guests boot JOBS at a time (default: the host's CPUs), two vCPUs each (qemu/boot.sh)
# running their suites in two lanes: what one lane waits (sleeps, servers, timeouts:
# tests/qemu/guest-suite.sh prints how busy) the other computes, and the cores stay
# busy.  More guests than CPUs took as long for more CPU, one at a time longer
# (docs/qemu.md).  Each guest's time grows with its neighbour, and the profiles'
# TIMEOUTs allow for that.  The guests' files are packed once.
JOBS=${JOBS:-$(nproc)}
rm -f "$B"/initrd-*.cpio.gz
initrd_for() { # initrd_for NAME [MODROOT KVER]: packed once per matrix run
	local f=$B/initrd-$1.cpio.gz base=$B/initrd-built.cpio.gz
	[ -s "$base" ] || qemu/initramfs.sh "$base" >/dev/null || return 1
	# a Debian kernel's: the guest's files, then its modules (qemu/initramfs.sh)
	if [ ! -s "$f" ]; then
		qemu/initramfs.sh --modules "$f.mods" "$2" "$3" >/dev/null &&
			cat "$base" "$f.mods" >"$f" && rm -f "$f.mods" || { rm -f "$f" "$f.mods"; return 1; }
	fi
	echo "$f"
}
prepare() ( # prepare PROFILE: the kernel and initramfs, as "KERNEL INITRD" in $B/PROFILE.boot
	p=$1
	. "qemu/$p.profile"
	t0=$(date +%s)
	case $KERNEL in
	build)
		# a profile may name its own source tarball and patches (docs/qemu.md)
		kernel=$(KTAR=${KTAR:-} KPATCHES=${KPATCHES:-} qemu/build-kernel.sh "$FRAGMENT") || exit 3
		initrd=$(initrd_for built) || exit 3 ;;
	debian-cloud)
		read -r kernel modroot kver < <(qemu/debian-kernel.sh) || exit 3
		[ -n "${kver:-}" ] || exit 3
		initrd=$(initrd_for "$kver" "$modroot" "$kver") || exit 3 ;;
	*) echo "ci-qemu: $p: unknown KERNEL=$KERNEL" >&2; exit 3 ;;
	esac
	echo "$(( $(date +%s) - t0 ))" >"$B/$p.prep"
	echo "$kernel $initrd" >"$B/$p.boot"
)
guest() { # guest PROFILE: boot it (once more if it stalled); exit status in $B/PROFILE.rc
	local p=$1 kernel initrd r
	(
		. "qemu/$p.profile"
		read -r kernel initrd <"$B/$p.boot"
		echo "ci-qemu: booting $p ($DESCRIPTION)" >&2
		rm -f "$B/$p.retried" "$B/$p/console.stalled.log" "$B/$p/results.stalled.tap"
		# Now and then a TCG guest's kernel stops for good (qemu/boot.sh stops it within
		# a minute and says so in $B/$p/stalled).  That is the emulator, not a result:
		# boot that guest once more, keep the stalled console and say so in the table.
		# Any other failure, or a second stall, stands.
		for try in 1 2; do
			TIMEOUT=${TIMEOUT:-900} qemu/boot.sh "$kernel" "$initrd" "$B/$p" \
				"ci.cgroup=$CGROUP ci.profile=$p${SUITES:+ ci.suites=${SUITES// /,}}"
			r=$?
			[ $try = 1 ] && [ -s "$B/$p/stalled" ] || break
			echo "ci-qemu: $p stalled ($(cat "$B/$p/stalled")): booting it once more" >&2
			mv "$B/$p/console.log" "$B/$p/console.stalled.log"
			cp "$B/$p/results.tap" "$B/$p/results.stalled.tap"
			cp "$B/$p/stalled" "$B/$p.retried"
		done
		echo $r >"$B/$p.rc"
	)
}
m0=$(date +%s)
# every kernel first, then the guests, JOBS at a time.  A guest beside a build only
# slows both: the two Debian guests booted beside the kernel builds (tried on
# 2026-12-03) took 142-146 s instead of 80-97, the builds about 2 minutes longer, and
# the cold matrix 1253 s against about 1190 one after the other (docs/qemu.md)
for p in "${profiles[@]}"; do
	rm -f "$B/$p.rc" "$B/$p.boot" "$B/$p.prep"
	prepare "$p" || echo $? >"$B/$p.rc"
done
# the longest guests first (GUEST_S in a profile: its guest's seconds, measured two
# at a time), so that a long one does not start last while the others are done
order=()
while read -r _ p; do order+=("$p"); done < <(for p in "${profiles[@]}"; do
	echo "$(GUEST_S=0; . "qemu/$p.profile"; echo "$GUEST_S") $p"
done | sort -s -k1,1nr)
running=0
for p in "${order[@]}"; do
	[ -e "$B/$p.rc" ] && continue # its kernel or initramfs failed
	if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
	guest "$p" &
	running=$((running + 1))
done
wait
rows=() fails=0
for p in "${profiles[@]}"; do
	rc=$(cat "$B/$p.rc" 2>/dev/null || echo 125)
	r=$B/$p/results.tap
	pass=$(grep -cE '^ok ' "$r" 2>/dev/null); failn=$(grep -cE '^not ok ' "$r" 2>/dev/null)
	verdicts=$(python3 - "$r" <<'PY' 2>/dev/null
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("PROBE-JSON "):
        d = json.loads(line[11:])
        ns = d["namespaces"]
        ipt = d["network"].get("iptables_backend") or "-"
        print(f"pid={ns['pid']['status']} uts={ns['uts']['status']} cg={d['cgroups']['mode']} ov={d['overlay']['mount']['status']} ipt={ipt}")
        break
PY
)
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$B/$p/run.info" 2>/dev/null)
	prep=$(cat "$B/$p.prep" 2>/dev/null)
	[ $rc = 0 ] || fails=$((fails + 1))
	rows+=("$(printf '%-15s %-54s %5s %5s %8s %8s  %s' "$p" "${verdicts:-no probe output}" "${pass:-0}" "${failn:-0}" "${prep:--}" "${secs:--}" "$([ $rc = 0 ] && echo PASS || echo "FAIL($rc)")$([ -e "$B/$p.retried" ] && echo " (retried: its first boot stalled)")")")
	grep -E '^not ok ' "$r" 2>/dev/null | sed "s/^/  $p: /" >&2
done
echo
printf '%-15s %-54s %5s %5s %8s %8s  %s\n' profile "probe verdicts" pass fail "prep s" "guest s" result
printf '%s\n' "${rows[@]}"
# where each guest's time went (tests/qemu/guest-suite.sh's "# guest-time" lines)
echo
for p in "${profiles[@]}"; do
	sed -n 's/^# guest-time suite=\([a-z0-9]*\)\.sh seconds=\([0-9]*\) busy=\([0-9]*\) idle=\([0-9]*\).*/\1 \2s (busy \3, idle \4)/p' \
		"$B/$p/results.tap" 2>/dev/null | paste -sd, | sed "s/^/$p: /; s/,/, /g"
done
# (kept for docs/bench.md: tests/bench/report.py)
echo "matrix: $(( $(date +%s) - m0 )) s wall, $JOBS guests at a time, $vcpus vCPU$([ "$vcpus" = 1 ] || echo s) each" | tee "$B/matrix.info"
[ $fails = 0 ]
