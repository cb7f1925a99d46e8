#!/usr/bin/env bash
# Integration tests of diyc-probe on the running kernel (root). TAP output.
# PROBE and NONS name the binaries (the ASan pass points PROBE at its build).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
PROBE=${PROBE:-./diyc-probe}
NONS=${NONS:-./tests/tools/nons}
T=$(mktemp -d /tmp/diyc-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ "$(id -u)" != 0 ]; then
	skip "integration tests" "need root"
	done_testing; exit
fi
# the profile's fields are read with tests/tools/jget (jq for the rest: a python3
# start costs 0.15 s in a TCG guest, jq 0.2 s)
if ! command -v jq >/dev/null; then
	skip "integration tests" "need jq (make deps)"
	done_testing; exit
fi

# --- usage and errors: one line on stderr, exit 2, nothing written
check "--help exits 0 and shows usage" sh -c "$PROBE --help | grep -q '^Usage: diyc-probe'"
check "--version" sh -c "$PROBE --version | grep -q '^diyc-probe [0-9]'"
for bad in "--bogus" "-o" "extra-arg" "--sysroot /nonexistent" "--root relative/dir" "-o $T/x -n"; do
	$PROBE $bad >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] && [ ! -e "$T/x" ]; then
		ok "bad usage '$bad': exit 2 with one line"
	else
		fail "bad usage '$bad': exit 2 with one line" "rc=$rc err=$(cat "$T/err")"
	fi
done

# --- a full run
$PROBE -o "$T/p.json" >"$T/table" 2>"$T/err"; rc=$?
[ $rc = 0 ] && ok "probe exits 0 on this machine" || fail "probe exits 0 on this machine" "rc=$rc $(cat "$T/err")"
check "the table has every section" sh -c "for s in CONTEXT KCONFIG NAMESPACES CGROUPS OVERLAY NETWORK HARDENING SUMMARY; do grep -qx \"\$s\" $T/table || exit 1; done"
check "no colour when stdout is not a terminal" sh -c "! grep -q \$'\\033' $T/table"
check "profile file is valid JSON" jq -e 'type == "object"' "$T/p.json"
check "no temporary file left beside the profile" sh -c "[ \$(ls $T | grep -c tmp) = 0 ]"
same "--json matches the schema version" "$($PROBE -n --json | $JGET - schema_version 2>&1)" 1
same "kernel release and boot_id recorded" "$($JGET -j "$T/p.json" kernel.release kernel.boot_id 2>&1)" \
	"$(uname -r) $(cat /proc/sys/kernel/random/boot_id)"

# the answers' line of a profile: "STATE REUSED MEASURED", and "STATE: WHY"
st() { $JGET -j "$1" probe.answers.state probe.answers.reused probe.answers.measured 2>&1; }
state_why() {
	local l
	l=$($JGET "$1" probe.answers.state probe.answers.why 2>&1)
	echo "${l%%$'\n'*}: ${l#*$'\n'}"
}

# --- verdicts checked against independent observations
# filesystem magic in hex (coreutils and busybox stat agree on %t, not on %T names)
fs=$(stat -f -c %t /sys/fs/cgroup)
case $fs in
63677270) want=unified ;;
1021994) if [ "$(stat -f -c %t /sys/fs/cgroup/unified 2>/dev/null)" = 63677270 ]; then want=hybrid; else want=legacy; fi ;;
*) want=none ;;
esac
got=$(jget "$T/p.json" 'd["cgroups"]["mode"]')
same "cgroup mode $got matches statfs" "$got" "$want"
for ns in mnt uts ipc pid net user cgroup time; do
	st=$(jget "$T/p.json" "d['namespaces']['$ns']['status']")
	if [ -e /proc/self/ns/$ns ]; then exp=yes; else exp=no; fi
	same "namespace $ns: $st" "$st" "$exp"
done
if grep -qw overlay /proc/filesystems; then
	st=$(jget "$T/p.json" 'd["overlay"]["mount"]["status"]')
	[ "$st" = yes ] && ok "overlay usable" || fail "overlay usable" "$st"
else
	skip "overlay usable" "not in /proc/filesystems"
fi
bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
# the capabilities this kernel knows (cap_last_cap) that CapBnd lacks, by name
names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
	NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
	SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
	AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
	PERFMON BPF CHECKPOINT_RESTORE)
read -r last </proc/sys/kernel/cap_last_cap
want=
for ((i = 0; i <= last; i++)); do
	(((16#$bnd >> i) & 1)) || want+=${want:+ }CAP_${names[i]}
done
got=$($JGET "$T/p.json" context.capabilities.bounding_missing 2>&1)
same "bounding set gaps match CapBnd ($got)" "$got" "$want"

# --- simulated kernels: the seccomp helper answers EINVAL like a kernel without the namespace
$NONS --pid --uts -- $PROBE -n --json >"$T/nons.json" 2>"$T/err"; rc=$?
[ $rc = 0 ] && ok "probe without pid/uts namespaces still exits 0 (degraded)" || fail "nons exit" "rc=$rc $(cat "$T/err")"
for ns in pid uts; do
	got=$($JGET -j "$T/nons.json" "namespaces.$ns.status" "namespaces.$ns.errno" 2>&1)
	same "simulated missing $ns namespace: no, EINVAL" "$got" "no EINVAL"
done
got=$($JGET "$T/nons.json" namespaces.pid.hint 2>&1)
[[ $got == *seccomp* ]] && ok "hint names the seccomp filter" || fail "hint names the seccomp filter" "$got"
got=$(jget "$T/nons.json" 'd["namespaces"]["net"]["status"]')
[ "$got" = yes ] && ok "other namespaces unaffected by the simulation" || fail "net under nons" "$got"
got=$(jq -r '[.summary.degraded[].feature] | join(" ")' "$T/nons.json" 2>&1)
case "$got" in *namespaces.pid*namespaces.uts*) ok "summary lists pid and uts as degraded" ;; *) fail "summary degraded" "$got" ;; esac
$NONS --net -- $PROBE -n --json >"$T/nonet.json" 2>/dev/null
got=$($JGET -j "$T/nonet.json" namespaces.net.status network.veth.status 2>&1)
# unknown (could not test), or partial (a module nobody loaded): never "no"
case $got in "no unknown" | "no partial") ok "without net namespaces veth is not called missing ($got)" ;; *) fail "nons --net" "$got" ;; esac
$NONS --mnt -- $PROBE -n --json >"$T/nomnt.json" 2>/dev/null; rc=$?
got=$($JGET "$T/nomnt.json" summary.missing_required 2>&1)
ov=$(jget "$T/nomnt.json" 'd["overlay"]["mount"]["status"]')
[ $rc = 1 ] && [ "$got" = "namespaces.mnt" ] && case $ov in unknown | partial) true ;; *) false ;; esac && ok "without mount namespaces: exit 1, namespaces.mnt named, overlay untestable" || fail "nons --mnt" "rc=$rc missing=$got overlay=$ov"

# --- not root: required privileges missing, exit 1, nothing written to /run/diyc
if setpriv --version 2>&1 | grep -q util-linux; then
	before=$(stat -c %Y /run/diyc/profile.json 2>/dev/null || echo none)
	setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all $PROBE --json >"$T/user.json" 2>/dev/null; rc=$?
	got=$(jget "$T/user.json" 'd["context"]["privileges"]["status"]')
	after=$(stat -c %Y /run/diyc/profile.json 2>/dev/null || echo none)
	[ $rc = 1 ] && [ "$got" = no ] && [ "$before" = "$after" ] && ok "unprivileged: exit 1, privileges no, no file written" || fail "unprivileged run" "rc=$rc priv=$got"
else
	skip "unprivileged run" "no util-linux setpriv"
fi

# --- fixtures through the command line
$PROBE --sysroot tests/fixtures/legacy-4.4.74 --json >"$T/legacy.json" 2>"$T/err"; rc=$?
got=$(jget "$T/legacy.json" 'd["namespaces"]["pid"]["status"] + " " + d["cgroups"]["mode"] + " " + str(d["probe"]["live"])')
[ "$got" = "no legacy False" ] && ok "--sysroot legacy-4.4.74: pid no, cgroups legacy, not live" || fail "--sysroot" "rc=$rc $got"
[ ! -e tests/fixtures/legacy-4.4.74/run ] && ok "--sysroot writes nothing without -o" || fail "--sysroot wrote"
# a namespace younger than the kernel: the hint names the version, not a CONFIG_ option
for ns in cgroup:4.6 time:5.6; do
	h=$(jget "$T/legacy.json" "d['namespaces']['${ns%:*}']['hint']")
	case $h in *"Linux ${ns#*:}"*CONFIG_* | *CONFIG_*"Linux ${ns#*:}"*) fail "${ns%:*} namespace hint on 4.4" "$h" ;;
	*"came with Linux ${ns#*:}"*) ok "${ns%:*} namespace on 4.4: the hint says Linux ${ns#*:} brings it" ;;
	*) fail "${ns%:*} namespace hint on 4.4" "$h" ;; esac
done
h=$(jget "$T/legacy.json" "d['namespaces']['pid']['hint']")
case $h in *CONFIG_PID_NS=y*) ok "pid namespace on 4.4 (compiled out): the hint names CONFIG_PID_NS" ;; *) fail "pid hint" "$h" ;; esac

# --- iptables: each backend tried for real in a private network namespace
b=$(jget "$T/p.json" 'd["network"]["iptables_backend"]')
u=$(jget "$T/p.json" 'd["network"]["iptables_usable"]')
case $b:$u in nft:nft | nft:both | legacy:legacy | legacy:both | none:none) ok "iptables backend '$b' chosen among usable '$u'" ;;
*) fail "iptables backend choice" "backend=$b usable=$u" ;; esac
for x in nft legacy; do
	st=$(jget "$T/p.json" "d['network']['iptables_$x']['status']")
	ev=$(jget "$T/p.json" "d['network']['iptables_$x']['evidence']")
	# an independent observation: the same backend in a throw-away namespace
	if [ "$st" = unknown ]; then skip "iptables-$x verdict" "$ev"; continue; fi
	if command -v "iptables-$x" >/dev/null && unshare --net "iptables-$x" -w -t nat -N DIYC-T 2>/dev/null; then want=yes; else want=no; fi
	[ "$st" = "$want" ] && ok "iptables-$x: $st, as iptables-$x itself says ($ev)" || fail "iptables-$x verdict" "probe $st, tool $want: $ev"
done
# found through $PATH, not four fixed directories
if command -v iptables-nft-restore >/dev/null; then
	mkdir -p "$T/bin"
	for t in iptables iptables-nft iptables-nft-restore iptables-legacy iptables-legacy-restore; do
		command -v $t >/dev/null && ln -sf "$(command -v $t)" "$T/bin/$t"
	done
	DIYC_PROBE_ANSWERS=$T/answers PATH=$T/bin:$PATH $PROBE -n --json >"$T/path.json" 2>/dev/null
	got=$(jget "$T/path.json" 'd["network"]["iptables_nft"].get("restore")')
	same "iptables found through \$PATH first" "$got" "$T/bin/iptables-nft-restore"
else
	skip "iptables found through \$PATH" "no iptables-nft-restore here"
fi
# a test's own key: another iptables binary behind the same PATH is tried again, alone
# (the answers of the $PATH run above; ${m}: how many tests it measured)
if [ -L "$T/bin/iptables-nft-restore" ]; then
	m=$($JGET "$T/path.json" probe.answers.measured 2>&1)
	# the link removed first: a cp through it would truncate the real binary (busybox's
	# cp has no --remove-destination, and the guests' cp is busybox)
	src=$(readlink -f "$T/bin/iptables-nft-restore")
	rm -f "$T/bin/iptables-nft-restore" && cp "$src" "$T/bin/iptables-nft-restore"
	DIYC_PROBE_ANSWERS=$T/answers PATH=$T/bin:$PATH $PROBE -n --json >"$T/a9.json" 2>/dev/null
	got=$(st "$T/a9.json")
	same "a replaced iptables binary: only the network test runs again" "$got" "partly reused $((m - 1)) 1"
	got=$(jget "$T/a9.json" 'd["network"]["iptables_nft"]["status"]')
	same "... and its verdict is the measured one" "$got" "$(jget "$T/p.json" 'd["network"]["iptables_nft"]["status"]')"
else
	skip "a replaced iptables binary: only the network test runs again" "no iptables-nft-restore here"
fi

# --- this boot's answers (probe/answers.c): kept, reused, measured again when an input changes
A=$T/answers
# the same profile: only timings, dates and the pid in the test cgroups' names may differ
strip() { jq -S 'del(.probe, .created)' "$1" | sed -E 's/diyc-probe-[0-9]+/diyc-probe-PID/g' | md5sum; }
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >"$T/a1.json" 2>/dev/null
m=$($JGET "$T/a1.json" probe.answers.measured 2>&1)
same "answers measured and kept, root only (0600)" "$(st "$T/a1.json") $(stat -c '%a %u' "$A" 2>&1)" "measured 0 $m 600 0"
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >"$T/a2.json" 2>/dev/null
same "the next probe reuses every answer ($m)" "$(st "$T/a2.json")" "reused $m 0"
same "reused answers give the profile measured ones gave" "$(strip "$T/a2.json")" "$(strip "$T/a1.json")"
check "the table says the answers were reused and how to measure again" sh -c "DIYC_PROBE_ANSWERS=$A $PROBE -n | grep -q '^live tests: reused, .*--fresh'"
DIYC_PROBE_ANSWERS=$A $PROBE -n --json --fresh >"$T/a3.json" 2>/dev/null
same "--fresh measures every test again" "$(st "$T/a3.json")" "measured 0 $m"
same "what --fresh measured agrees with the reused answers" "$(strip "$T/a3.json")" "$(strip "$T/a2.json")"
DIYC_PROBE_ANSWERS=$A $PROBE -n --json --serial >"$T/a4.json" 2>/dev/null
same "--fresh kept its answers, --serial reuses them" "$(st "$T/a4.json")" "reused $m 0"
# another caller: a UTS namespace of its own (the host's name is never touched)
if unshare --uts true 2>/dev/null; then
	DIYC_PROBE_ANSWERS=$A unshare --uts $PROBE -n --json >"$T/a5.json" 2>/dev/null
	same "a caller in another namespace measures again" "$(st "$T/a5.json")" "measured 0 $m"
else
	skip "a caller in another namespace measures again" "unshare --uts fails here"
fi
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >/dev/null 2>&1 # this caller's answers again
# a damaged, foreign or planted file is ignored (measured again, exit 0) and replaced
printf 'x' | dd of="$A" bs=1 seek=200 conv=notrunc status=none
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >"$T/a6.json" 2>/dev/null; rc=$?
same "a damaged answers file: measured again, exit 0" "$rc $(st "$T/a6.json")" "0 measured 0 $m"
chmod 644 "$A"
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >"$T/a7.json" 2>/dev/null
same "a file others can read is not trusted, and is replaced (0600)" "$(st "$T/a7.json") $(stat -c %a "$A")" "measured 0 $m 600"
rm -f "$A"; echo planted >"$T/target"; chmod 600 "$T/target"; ln -s "$T/target" "$A"
DIYC_PROBE_ANSWERS=$A $PROBE -n --json >"$T/a8.json" 2>/dev/null
same "a symlink is not followed: replaced, its target untouched" "$(st "$T/a8.json") $([ -L "$A" ] && echo link || echo file) $(cat "$T/target")" "measured 0 $m file planted"
for off in "DIYC_FAULT=veth_onestep:DIYC_FAULT is set" "DIYC_PROBE_ANSWERS=off:DIYC_PROBE_ANSWERS=off" \
	"DIYC_PROBE_ANSWERS=rel/path:DIYC_PROBE_ANSWERS is neither off nor an absolute path"; do
	# (decided before --sysroot is: a fixture keeps the test cheap in the TCG guests)
	env DIYC_PROBE_ANSWERS=$A "${off%%:*}" $PROBE -n --json --sysroot tests/fixtures/legacy-4.4.74 >"$T/off.json" 2>/dev/null
	same "${off%%:*}: nothing reused" "$(state_why "$T/off.json")" "off: ${off#*:}"
done
got=$($JGET "$T/nonet.json" probe.answers.why 2>&1)
same "under a seccomp filter (nons): no answers" "$got" "a seccomp filter is in force: its rules cannot be compared"
got=$(state_why "$T/legacy.json")
same "--sysroot: no answers" "$got" "off: --sysroot: nothing is measured"
if [ -s "$T/user.json" ]; then
	same "not root: no answers" "$($JGET "$T/user.json" probe.answers.why 2>&1)" "not root"
else
	skip "not root: no answers" "no unprivileged run above"
fi

# --- modules: only with --load-modules, and harmless where there are none
check "--load-modules runs" $PROBE -n -q --load-modules

done_testing
