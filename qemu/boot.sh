#!/usr/bin/env bash
# Boot one kernel + initramfs under QEMU and turn what the guest wrote into a verdict.
#   qemu/boot.sh KERNEL INITRD OUTDIR "KERNEL ARGS"
# The guest writes to a second UART backed by OUTDIR/results.tap (kernel messages go
# to OUTDIR/console.log), ending with "CI-QEMU-RESULT rc=N", and stops QEMU with
# isa-debug-exit.  Exit status: N from the sentinel; 124 when the guest hung past
# TIMEOUT (default 480 s) or stalled (watch_guest, OUTDIR/stalled says how); 125 when
# it died without a verdict (panic, boot failure) or wrote a truncated TAP stream.  The last console lines are shown on failure.
# ACCEL=tcg (default), kvm, or auto: KVM only if its guest says CI-QEMU-BEGIN within
# 15 s (on some hosts /dev/kvm exists but guests hang silently), else TCG.
# Two vCPUs (SMP=N for another number): a guest runs its suites in two lanes
# (tests/qemu/lanes.sh).  Measured on this 2-core machine: the no-nftables guest alone
# took 121.6 s with one vCPU and the suites one after the other, 100.3 s with one vCPU
# and two lanes, 72.3 s with two; the whole matrix (two guests at a time) 301 s
# against 313-344 s.  With the suites one after the other a second vCPU only idled.
set -u
vcpus=${SMP:-2}
[[ $vcpus =~ ^[1-9][0-9]?$ ]] || { echo "boot: SMP=${SMP}: not a number of vCPUs (1-99)" >&2; exit 2; }
STALL_S=${STALL_S:-60} # a guest without a heartbeat this long has stalled (watch_guest)
[[ $STALL_S =~ ^[1-9][0-9]{0,3}$ ]] || { echo "boot: STALL_S=$STALL_S: not a number of seconds (1-9999)" >&2; exit 2; }
# qemu/boot.sh --vcpus: that number only (ci/qemu-matrix.sh asks before it builds anything)
[ "${1:-}" = --vcpus ] && { echo "$vcpus"; exit 0; }
kernel=$1 initrd=$2 out=$3 append=$4
TIMEOUT=${TIMEOUT:-480}
# norandmaps (no address-space randomisation in the guest): QEMU 7.2's TCG finds code
# it already translated by its virtual address, so with a new random address at every
# exec each start of a dynamic or PIE program (bash, ip, iptables, diyc) translated
# its code again: `ip link` 42 -> 13 ms, `bash -c :` 55 -> 13 ms, the matrix 320 ->
# 205 s (docs/qemu.md).  No diyc check reads or needs the guest's randomisation; the
# host suites (make check) keep it.  Not tsc=reliable: it skips the clocksource
# watchdog and changed no time (docs/qemu.md).  loglevel=5 (warnings and the default level): a soft lockup on the
# console comes with the stuck vCPU's backtrace.
KARGS="norandmaps"
mkdir -p "$out"
boot() { # boot ACCEL: run QEMU in the background, pid in $qpid
	rm -f "$out/stalled"
	: >"$out/results.tap"
	: >"$out/console.log"
	: >"$out/heartbeat"
	local a="-accel tcg,thread=multi"
	[ "$1" = kvm ] && a="-accel kvm -cpu host"
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -machine q35 $a -smp "$vcpus" -m 1024 \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=5 $KARGS ci.timeout=$((TIMEOUT - 30)) $append" \
		-serial "file:$out/console.log" \
		-chardev "file,id=res,path=$out/results.tap" -device isa-serial,chardev=res \
		-chardev "file,id=hb,path=$out/heartbeat" -device isa-serial,chardev=hb \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 &
	qpid=$!
	watch_guest &
	wpid=$!
}
# Under TCG a guest kernel sometimes stops for good (2026-12-01 once; 2026-12-03 in
# three of about 35 boots, all of the cgroup-v1 guest): one vCPU stuck in the kernel
# ("soft lockup"), or both spinning without a word.  Either way it would sit there until
# TIMEOUT (900 s).  The guest (qemu/guest-init) writes a heartbeat to a third UART
# every 10 s from the start of its tests; when that file stops growing for STALL_S,
# or the console reports a soft lockup, the guest is stopped and "$out/stalled" says
# why (ci/qemu-matrix.sh boots such a guest once more).  A test that merely hangs
# does not stop the heartbeat: the guest's own timeout (ci.timeout) reports it.
watch_guest() {
	local seen now
	while sleep 5; do
		kill -0 $qpid 2>/dev/null || return
		now=$(date +%s)
		if grep -q "BUG: soft lockup" "$out/console.log"; then
			echo "a vCPU stuck in the guest kernel (soft lockup, see console.log)" >"$out/stalled"
		elif [ -s "$out/heartbeat" ]; then
			seen=$(stat -c %Y "$out/heartbeat")
			[ $((now - seen)) -lt "$STALL_S" ] && continue
			echo "no heartbeat from the guest for $STALL_S s: its kernel stopped" >"$out/stalled"
		else continue; fi
		kill $qpid 2>/dev/null
		return
	done
}
accel=${ACCEL:-tcg}
start=$(date +%s.%N)
if [ "$accel" = auto ]; then
	accel=tcg
	if [ -w /dev/kvm ]; then
		boot kvm
		for i in $(seq 150); do
			grep -q CI-QEMU-BEGIN "$out/results.tap" && { accel=kvm; break; }
			kill -0 $qpid 2>/dev/null || break
			sleep 0.1
		done
		if [ $accel = tcg ]; then
			kill $qpid $wpid 2>/dev/null
			wait $qpid $wpid 2>/dev/null
			echo "boot: KVM guest gave no sign of life in 15 s: using TCG" >&2
			start=$(date +%s.%N)
			boot tcg
		fi
	else
		boot tcg
	fi
else
	boot "$accel"
fi
wait $qpid
qrc=$?
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
secs=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')
tr -d '\r' <"$out/results.tap" >"$out/results.clean" && mv "$out/results.clean" "$out/results.tap"
echo "accel=$accel seconds=$secs qemu_status=$qrc" >"$out/run.info"
verdict=$(sed -n 's/^CI-QEMU-RESULT rc=\([0-9]*\).*/\1/p' "$out/results.tap" | tail -1)
rc=
if [ -n "$verdict" ]; then
	rc=$verdict
	# the TAP stream must be whole: a plan, and as many test lines as it announces
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out/results.tap" | tail -1)
	tests=$(grep -cE '^(not )?ok ' "$out/results.tap")
	if [ -z "$plan" ] || [ "$plan" != "$tests" ]; then
		echo "boot: truncated TAP (plan ${plan:-none}, $tests test lines)" >&2
		[ "$rc" = 0 ] && rc=125
	fi
elif [ -s "$out/stalled" ]; then
	echo "boot: the guest stalled: $(cat "$out/stalled")" >&2
	rc=124
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "boot: the guest did not finish within $TIMEOUT s" >&2
	rc=124
else
	echo "boot: the guest died without a verdict (QEMU status $qrc)" >&2
	rc=125
fi
if [ "$rc" != 0 ]; then
	echo "--- last console lines ($out/console.log):" >&2
	tail -15 "$out/console.log" >&2
	echo "--- last result lines ($out/results.tap):" >&2
	tail -5 "$out/results.tap" >&2
fi
exit "$rc"
