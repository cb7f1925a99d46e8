#!/usr/bin/env bash
# Integration tests of `diyc run` and friends (root). TAP output.
# Runs itself inside a harness with private UTS, IPC, PID and mount namespaces, so a
# bug can neither rename this machine nor signal its processes. DIYC, PROBE and NONS
# name the binaries (the ASan pass points them at its build).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --need jq "runtime tests" "$0" "$@"
host=$(hostname)

# nothing of container NAME left: state, container dir, cgroups
gone() {
	local c=$1 left
	left=$(remains "$c")
	[ -z "$left" ] && ok "$2: nothing left" || fail "$2: nothing left" "$left"
}

# --- profiles: the live one, and simulated kernels
probe_json "$T/full.json"
probe_json "$T/nopid.json" --pid --uts
# simulated kernels derived from the live profile (derive, tests/lib.sh)
derive_set nomem.json 'cgroups.controllers.memory.status="no"'
derive_set noov.json 'overlay.mount.status="no"'
# a 4.4 kernel without CONFIG_DEVPTS_MULTIPLE_INSTANCES: one devpts, the host's
derive_set nodevpts.json 'hardening.devpts_newinstance.status="no"'
# What this kernel really has (in QEMU guests some namespaces are missing): the
# tests of full isolation expect the degraded behaviour where the kernel lacks it.
have_pid=$(jget "$T/full.json" 'd["namespaces"]["pid"]["status"]')
have_uts=$(jget "$T/full.json" 'd["namespaces"]["uts"]["status"]')
# the host name a container NAME sees
cname() { if [ "$have_uts" = yes ]; then echo "$1"; else echo "$host"; fi; }

# --- the profile facts diyc reads (lib/pfacts.c): the probe writes every one
d debug facts --profile "$T/full.json"
expect "the live profile has every fact diyc reads" 0 '^0 missing$'
d debug facts --profile tests/fixtures/profiles/linux-4.4.178-guest.profile.json
expect "an older profile: the facts it lacks are named" 1 'missing: .*cgroups\.homes'
d debug bogus
refused "diyc debug with a bad word: one line, 125"
d debug facts --profile "$T/no-such.json"
refused "diyc debug facts of a missing profile: one line, 125"
# cgroup homes the profile got wrong (a mount that is no cgroup any more): measured again
derive badhomes.json '.cgroups.homes[].mount = "/tmp"'
d -v run --rm -m 64m --profile "$T/badhomes.json" t1 busybox sh -c 'echo ran'
expect "cgroup homes out of date: diyc reads mountinfo instead" 0 '^ran$'
printf '%s\n' "$errout" | grep -q 'cgroup homes are out of date' && ok "  ... and says so under -v" || fail "no word of the stale homes" "$errout"
# a container recorded by diyc 0.2.0 (state without a version: namespaces by name)
mkdir -p /run/diyc/old1
printf '{"name":"old1","image":"busybox","status":"exited","exit_code":0,"namespaces":"mnt,uts,pid"}' >/run/diyc/old1/state.json
d ps -a
expect "a state file of the old format is read" 0 'old1 .*mnt,uts,pid'
d rm old1
expect "  ... and removed" 0
[ ! -e /run/diyc/old1 ] && ok "  ... completely" || fail "old1 left behind"

# --- the facts cache beside a profile (lib/factcache.c): used only while the profile
# is the one it was read from; an explicit --profile is read as it is, never cached
derive_set fc-no.json 'hardening.no_new_privs.status="no"'
derive_set fc-yes.json 'hardening.no_new_privs.status="yes"'
cp "$T/fc-no.json" "$T/fc.json"
DIYC_PROFILE=$T/fc.json d run --rm fc busybox true
case $errout in *"degraded: no no_new_privs"*) ok "a profile without no_new_privs: the run is degraded" ;;
*) fail "no_new_privs degradation" "rc=$rc $errout" ;; esac
[ -f "$T/fc.json.facts" ] && ok "its facts are cached beside it" || fail "no cache" "$(ls "$T")"
DIYC_PROFILE=$T/fc.json d run --rm fc busybox true
case $errout in *"degraded: no no_new_privs"*) ok "the second run reads the same facts (cached)" ;;
*) fail "cached facts" "rc=$rc $errout" ;; esac
cat "$T/fc-yes.json" >"$T/fc.json" # rewritten in place: same inode
DIYC_PROFILE=$T/fc.json d run --rm fc busybox true
case $errout in *"no no_new_privs"*) fail "a changed profile is read again" "$errout" ;;
*) [ $rc = 0 ] && ok "a profile changed in place is read again, not its old cache" || fail "run" "$rc $errout" ;; esac
cp "$T/fc-no.json" "$T/fc.new" && mv "$T/fc.new" "$T/fc.json" # replaced, as the probe does
DIYC_PROFILE=$T/fc.json d run --rm fc busybox true
case $errout in *"degraded: no no_new_privs"*) ok "a replaced profile is read again" ;;
*) fail "replaced profile" "rc=$rc $errout" ;; esac
d run --rm --profile "$T/fc-yes.json" fc busybox true
[ $rc = 0 ] && [ ! -e "$T/fc-yes.json.facts" ] && ok "--profile FILE: read as it is, no cache written" ||
	fail "--profile cache" "rc=$rc $(ls "$T")"
# a profile of another boot is probed again (the same staleness check whether the
# facts come from the JSON or from the cache), and only the new one is cached
derive_set st.json 'kernel.boot_id="00000000-0000-0000-0000-000000000000"'
DIYC_PROFILE=$T/st.json d -v run --rm fc busybox true
case $errout in *"probing the kernel: made before the last boot"*) [ $rc = 0 ] && ok "a profile of another boot is probed again" || fail "stale run" "rc=$rc" ;;
*) fail "stale profile not probed again" "rc=$rc $errout" ;; esac
same "  ... and rewritten with this boot's id" "$(jget "$T/st.json" 'd["kernel"]["boot_id"]')" "$(cat /proc/sys/kernel/random/boot_id)"
DIYC_PROFILE=$T/st.json d -v run --rm fc busybox true
case $errout in *"probing the kernel"*) fail "the new profile is probed again" "$errout" ;;
*) [ -f "$T/st.json.facts" ] && ok "  ... then used, and its facts cached" || fail "no cache of the new profile" "$(ls "$T")" ;; esac
gone fc "facts cache runs"

# --- the static diyc and its twin (lib/twin.h): what needs a shared library runs in
# diyc-dynamic, from the start of the command; without the twin, one line, nothing made
twin=$(dirname "$DIYC")/diyc-dynamic
if [ -x "$twin" ]; then
	is_static "diyc beside a twin is static: no program interpreter" "$DIYC"
	DIYC_PROFILE=$T/tw.json d -v run --rm tw busybox echo twin
	expect "a run that must probe first goes over to the twin" 0 '^twin$'
	case $errout in *"running /"*"/diyc-dynamic"$'\n'*"probing the kernel"*) ok "  ... says so under -v, before probing" ;;
	*) fail "no word of the twin" "$errout" ;; esac
	[ -s "$T/tw.json" ] && ok "  ... and the twin wrote the profile" || fail "no profile from the twin" "$(ls "$T")"
	mkdir "$T/alone" && cp "$DIYC" "$T/alone/diyc"
	DIYC=$T/alone/diyc DIYC_PROFILE=$T/tw2.json d run --rm tw busybox true
	refused "a static diyc without its twin, when it must probe: one line, 125"
	case $errout in *"$T/alone/diyc-dynamic"*) ok "  ... naming the twin it looked for" ;; *) fail "twin not named" "$errout" ;; esac
	[ ! -e "$T/tw2.json" ] && ok "  ... and no profile written" || fail "a profile without a probe" "$(ls "$T")"
	gone tw "a run refused for want of the twin"
	DIYC=$T/alone/diyc d image ls
	refused "image, a command that needs the twin, without it: one line, 125"
	DIYC=$T/alone/diyc DIYC_PROFILE=$T/tw.json d run --rm tw busybox echo alone
	expect "a run with a fresh profile (the twin's) needs no twin" 0 '^alone$'
	gone tw "the run without the twin"
else
	skip "the static diyc and its twin" "$DIYC is a dynamic build (ASan, LINK=shared): it has none"
fi

# --- basics
d run --rm t1 busybox echo hello
expect "run --rm prints the command's output" 0 '^hello$'
gone t1 "run --rm"
d run --rm t1 busybox sh -c 'exit 3'
expect "exit status passes through" 3
# (pid 1 of a PID namespace cannot be killed from inside: kill it from here)
"$DIYC" run --rm t1 busybox sleep 30 2>/dev/null &
bg=$!
for i in $(seq 50); do grep -qs running /run/diyc/t1/state.json && break; sleep 0.1; done
"$DIYC" kill t1 KILL
wait $bg
rc=$?
expect "killed by SIGKILL: 137" 137
d run --rm t1 busybox /no/such/cmd
expect "command not found: 127" 127
case $errout in *"command not found"*) ok "not found: clear message" ;; *) fail "not found message" "$errout" ;; esac
d run --rm t1 busybox /etc/passwd
expect "not executable: 126" 126
d run --rm t1 busybox
expect "no command runs /bin/sh (stdin is empty here)" 0
gone t1 "after the failures"

# --- isolation with the full profile
d run --rm t2 busybox sh -c 'echo $$; hostname; cat /etc/hostname'
if [ "$have_pid" = yes ]; then
	expect "pid 1 and its own hostname" 0 '^1$'
else
	expect "no PID namespace here: the container still runs" 0
fi
printf '%s\n' "$out" | grep -qx "$(cname t2)" && ok "hostname is the container name (or the host's without UTS ns)" || fail "hostname" "$out"
d run --rm --hostname box t2 busybox hostname
if [ "$have_uts" = yes ]; then expect "--hostname" 0 '^box$'; else expect "--hostname without a UTS namespace is an error" 125; fi
same "host name unchanged" "$(hostname)" "$host"
d run --rm t2 busybox sh -c 'ls /dev | tr "\n" " "'
expect "/dev holds only diyc's nodes" 0 '^fd full null ptmx pts random shm stderr stdin stdout tty urandom zero $'
# --- -t where /dev/ptmx is not the ptmx of /dev/pts (4.4 with /dev/pts mounted
# newinstance keeps /dev/ptmx on the initial instance): here /dev/ptmx is unusable
if command -v script >/dev/null && command -v unshare >/dev/null; then
	out=$(script -qec "unshare --mount sh -c 'mount --bind /dev/null /dev/ptmx && $DIYC run --rm -t t2 busybox sh -c \"test -t 0 && test -t 1 && echo on-a-tty\"'" /dev/null </dev/null 2>&1)
	case $out in *on-a-tty*) ok "-t takes the pty of the instance on /dev/pts, not /dev/ptmx" ;; *) fail "-t with a foreign /dev/ptmx" "$out" ;; esac
else
	fail "-t with a foreign /dev/ptmx" "needs script(1) and unshare(1) (util-linux)"
fi

# --- a shared devpts (no private instances): never mounted, no ptys, -t refused
pts_before=$(grep ' /dev/pts ' /proc/self/mountinfo | cut -d' ' -f3-)
d run --rm --profile "$T/nodevpts.json" t2 busybox sh -c 'ls -A /dev/pts | wc -l; stat -f -c %T /dev/pts; ls /dev | tr "\n" " "'
expect "shared devpts: /dev/pts is an empty directory, not a devpts mount" 0 '^0$'
printf '%s\n' "$out" | grep -qx tmpfs && ! printf '%s\n' "$out" | grep -q ptmx && ok "and there is no /dev/ptmx" || fail "devpts mounted or ptmx present" "$out"
case $errout in *"degraded: no private devpts instance"*) ok "the degraded mode is announced" ;; *) fail "no devpts warning" "$errout" ;; esac
d run --rm -t --profile "$T/nodevpts.json" t2 busybox true
expect "shared devpts: -t is refused" 125
case $errout in *"-t needs a private devpts instance"*) ok "with the reason" ;; *) fail "-t refusal text" "$errout" ;; esac
d run --rm --strict --profile "$T/nodevpts.json" t2 busybox true
expect "shared devpts: --strict refuses" 125
same "the host's /dev/pts mount is unchanged" "$(grep ' /dev/pts ' /proc/self/mountinfo | cut -d' ' -f3-)" "$pts_before"
gone t2 "shared devpts runs"
d run --rm t2 busybox sh -c 'mknod /tmp/sda b 8 0 2>&1; echo rc=$?'
expect "mknod of a block device fails" 0 'rc=1'
d run --rm t2 busybox sh -c 'cat /proc/kcore | wc -c; echo x > /proc/sysrq-trigger; echo sysrq=$?; echo 1 > /proc/sys/kernel/panic; echo sys=$?; touch /sys/x; echo sysfs=$?; mount -t tmpfs t /mnt; echo mount=$?'
expect "masked /proc/kcore is empty" 0 '^0$'
printf '%s' "$out" | grep -q 'sysrq=1' && printf '%s' "$out" | grep -q 'sys=1' && printf '%s' "$out" | grep -q 'sysfs=1' && printf '%s' "$out" | grep -Eq 'mount=[1-9]' \
	&& ok "sysrq-trigger, /proc/sys, /sys and mount refused" || fail "read-only paths" "$out"
d run --rm t2 busybox sh -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb)" /proc/self/status | tr -s "\t\n" "  "'
expect "capabilities cut" 0 'CapInh: 0000000000000000 CapPrm: 00000000a00425fb CapEff: 00000000a00425fb CapBnd: 00000000a00425fb CapAmb: 0000000000000000'
# no_new_privs asked of the kernel (prctl): 4.4's /proc/PID/status has no NoNewPrivs line
if [ -x "${HOSTILE:-}" ]; then
	cp -a "$DIYC_ROOT/images/busybox" "$DIYC_ROOT/images/tools" && cp "$HOSTILE" "$DIYC_ROOT/images/tools/hostile"
	d run --rm t2 tools /hostile nnp
	expect "no_new_privs set (prctl)" 0 '^nnp=1$'
else
	fail "no_new_privs set (prctl)" "HOSTILE (tests/tools/hostile) is not built: make"
fi
out=$(SECRET=leak "$DIYC" run --rm -e A=1 -e PATH=/bin:/usr/bin t2 busybox env | sort | tr '\n' ' ')
same "clean environment plus -e" "$out" "A=1 HOME=/root HOSTNAME=$(cname t2) PATH=/bin:/usr/bin "
d run --rm -w /tmp t2 busybox pwd
expect "-w sets the working directory" 0 '^/tmp$'
d run --rm -w /nonexistent t2 busybox pwd
expect "a missing working directory fails" 125
gone t2 "isolation tests"

# --- network modes (bridged networking is not built yet)
have_net=$(jget "$T/full.json" 'd["namespaces"]["net"]["status"]')
probe_json "$T/nonet.json" --net
if [ "$have_net" = yes ]; then
	d run --rm --net none t2 busybox sh -c 'ls /sys/class/net; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok'
	expect "--net none: only lo, and it is up" 0 '^ping-ok$'
	# (kernels with tunnel drivers built in add their fallback devices, sit0 ...)
	[ "$(printf '%s\n' "$out" | head -n -1 | grep -vxE 'sit0|tunl0|gre0|gretap0|erspan0|ip_vti0|ip6tnl0|ip6gre0|ip6_vti0')" = lo ] && ok "--net none: no other interface" || fail "--net none interfaces" "$out"
fi
d run --rm --net host t2 busybox ls /sys/class/net
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | sort)" = "$(ls /sys/class/net | sort)" ] && ok "--net host: the host's interfaces" || fail "--net host" "$rc $out"
d run --rm --net bogus t2 busybox true
expect "--net with a bad mode is refused" 125
d run --rm --profile "$T/nonet.json" --net none t2 busybox true
expect "--net none without network namespaces: a clear error" 125
case $errout in *"--net host"*) ok "the error points to --net host" ;; *) fail "--net none error" "$errout" ;; esac
d run --rm --profile "$T/nonet.json" --net host t2 busybox true
expect "--net host works without network namespaces" 0
case $errout in *degraded*network*) fail "--net host warned as degraded" "$errout" ;; *) ok "--net host is a choice, not a degradation" ;; esac
gone t2 "network modes"

# --- cgroups and limits
d run --rm -m 16m t3 busybox sh -c 'x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived'
expect "memory limit: an allocation past it is OOM-killed" 137
d run --rm --pids-limit 10 t3 busybox sh -c 'for i in $(seq 20); do sleep 5 & done; echo all-started'
case "$out|$errout" in *all-started*) fail "pids limit contains a fork bomb" "$out" ;; *fork*) ok "pids limit contains a fork bomb" ;; *) fail "pids limit" "$out $errout" ;; esac
"$DIYC" run --rm --cpus 0.5 -m 32m t3 busybox sleep 3 2>/dev/null &
bg=$!
for i in $(seq 50); do [ -s /run/diyc/t3/state.json ] && grep -q running /run/diyc/t3/state.json && break; sleep 0.1; done
cpu=$(python3 -c "
import json; s=json.load(open('/run/diyc/t3/state.json'))
for d in s['cgroups']:
    for f in ('cpu.max','cpu.cfs_quota_us'):
        try: print(open(d+'/'+f).read().split()[0])
        except OSError: pass")
[ "$cpu" = 50000 ] && ok "--cpus 0.5 writes a 50% quota" || fail "cpu quota" "$cpu"
kill -TERM $bg; wait $bg
gone t3 "limits"
# born in its cgroup: clone3(CLONE_INTO_CGROUP) where the kernel has it; with clone3
# hidden (nons gives it ENOSYS, as before 5.3) clone(2) and a write of the pid. Either
# way the container's processes are in every cgroup diyc made for it.
in_cgroups() { # in_cgroups NAME: the main pid listed in each of its cgroups
	python3 - "$1" <<'PY'
import json, sys
s = json.load(open(f"/run/diyc/{sys.argv[1]}/state.json"))
dirs = s["cgroups"]
pids = [open(d + "/cgroup.procs").read().split() for d in dirs]
print("yes" if dirs and all(str(s["pid"]) in p for p in pids) else f"no {dirs} {pids} {s['pid']}")
PY
}
for how in clone3 fallback; do
	pre=()
	[ $how = fallback ] && pre=("$NONS" --user --)
	"${pre[@]}" "$DIYC" run --rm t3 busybox sleep 30 2>/dev/null &
	bg=$!
	for i in $(seq 50); do grep -qs running /run/diyc/t3/state.json && break; sleep 0.1; done
	r=$(in_cgroups t3)
	[ "$r" = yes ] && ok "[$how] the container is in its cgroups" || fail "[$how] in its cgroups" "$r"
	"$DIYC" stop -t 0 t3 >/dev/null 2>&1
	wait $bg
done
gone t3 "cgroup join"
if command -v strace >/dev/null; then
	strace -f -qq -e trace=clone3,clone,openat -o "$T/st" "$DIYC" run --rm t3 busybox true 2>/dev/null
	v2mnt=$(awk '$(NF-2) == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	if grep -q 'clone3(.*CLONE_INTO_CGROUP.*) = [0-9]' "$T/st"; then
		if ! grep 'diyc-t3/cgroup.procs' "$T/st" | grep 'O_WRONLY' | grep -q "\"$v2mnt/"; then
			ok "clone3(CLONE_INTO_CGROUP): born in its v2 cgroup, whose cgroup.procs nobody writes"
		else
			fail "clone3 without a write" "$(grep cgroup.procs "$T/st")"
		fi
	else
		skip "clone3(CLONE_INTO_CGROUP)" "not on this kernel: $(grep -m1 clone "$T/st")"
	fi
	gone t3 "strace run"
else
	skip "clone3(CLONE_INTO_CGROUP)" "no strace here"
fi
d run --rm -m 16m --profile "$T/nomem.json" t3 busybox true
expect "a limit the host cannot enforce is an error" 125
d run --rm -m abc t3 busybox true
expect "bad memory size refused" 125

# --- degraded: no PID and UTS namespace (simulated with the probe under nons)
d run --rm --profile "$T/nopid.json" t4 busybox sh -c 'hostname'
expect "no UTS namespace: host name shown, never changed" 0 "^$host\$"
case $errout in *"degraded: no PID namespace"*"kill(-1) is refused"*) ok "degraded modes are announced" ;; *) fail "warnings" "$errout" ;; esac
same "host name unchanged in degraded mode" "$(hostname)" "$host"
sleep 600 &
bystander=$!
d run --rm --profile "$T/nopid.json" t4 busybox sh -c 'sh -c "sleep 309 &"; kill -9 -1; echo kill=$?; ls /proc/1/root >/dev/null 2>&1; echo root=$?; cat /proc/1/environ >/dev/null 2>&1; echo environ=$?'
expect "kill -9 -1 refused inside" 0 'kill=1'
printf '%s' "$out" | grep -q 'root=1' && printf '%s' "$out" | grep -q 'environ=1' && ok "/proc/1/root and /proc/1/environ inaccessible" || fail "/proc/1 access" "$out"
kill -0 $bystander 2>/dev/null && ok "a host process survives kill -9 -1" || fail "bystander killed"
d run --rm --profile "$T/nopid.json" t4 busybox sh -c 'reboot -f; echo reboot=$?'
expect "reboot fails inside" 0 'reboot=1'
kill $bystander; wait $bystander 2>/dev/null
# (its sleep by its command line: in a QEMU guest the other lane's containers run
# beside this one, in the same PID namespace: tests/qemu/lanes.sh)
left=$(pids_by_cmdline 'sleep 309')
[ -z "$left" ] && ok "no process survives its container" || fail "survivor" "$left"
gone t4 "degraded mode"
d run --rm --strict --profile "$T/nopid.json" t4 busybox true
expect "--strict refuses to run degraded" 125
gone t4 "--strict"
# --- no cgroup hierarchy mounted where diyc runs (a fresh /sys, as `ip netns exec`
# makes), though the profile found one: with no PID namespace either, nothing could
# find what the container leaves behind (a daemon that forked away): refused
nocg() { out=$(unshare --mount sh -c 'umount -l /sys/fs/cgroup && exec "$@"' sh "$DIYC" "$@" 2>"$T/err"); rc=$?; slurp "$T/err"; errout=$REPLY; }
nocg run --rm --profile "$T/nopid.json" t4 busybox sh -c 'sleep 309 & echo started'
[ $rc = 125 ] && [ -z "$out" ] && [[ $errout == *"no cgroup hierarchy is mounted here"*"without a PID namespace"* ]] &&
	ok "no cgroup mounted and no PID namespace: refused, nothing started" || fail "no cgroup, no pid ns" "rc=$rc out=$out $errout"
[ -z "$(pids_by_cmdline 'sleep 309')" ] && ok "  ... no process of it left" || fail "a process of the refused run" "$(pids_by_cmdline 'sleep 309')"
gone t4 "no cgroup, no PID namespace"
nocg run --rm t4 busybox sh -c 'sleep 309 & echo started'
if [ "$have_pid" = yes ]; then
	[ $rc = 0 ] && [ "$out" = started ] && [[ $errout == *"degraded: no cgroup hierarchy is mounted here"* ]] &&
		ok "no cgroup mounted, a PID namespace: runs, degraded, and says so" || fail "no cgroup, pid ns" "rc=$rc out=$out $errout"
	nocg run --rm --strict t4 busybox true
	expect "  ... refused with --strict" 125
else
	expect "no cgroup mounted, and this kernel has no PID namespace: refused" 125
fi
[ -z "$(pids_by_cmdline 'sleep 309')" ] && ok "  ... no process of it left" || fail "a process left" "$(pids_by_cmdline 'sleep 309')"
gone t4 "no cgroup mounted"
d run --rm --profile "$T/noov.json" t4 busybox true
expect "no overlayfs: a clear refusal" 125

# --- bad input: one line, exit 125, nothing created
for args in "run" "run onlyname" "run .. busybox true" "run a/b busybox true" "run -x busybox true" \
	"run a2345678901234567890123456789012345678901234567890123456789012345 busybox true" "run a;b busybox true" "run t5 nosuchimage true" \
	"run --cpus x t5 busybox true" "run --pids-limit 0 t5 busybox true" "run -m 1k t5 busybox true" \
	"run --bogus t5 busybox true" "run -e novalue t5 busybox true" "run -w rel t5 busybox true" \
	"bogus" "kill t5" "stop t5" "exec t5 true" "rm t5" "logs t5" "kill t5 NOSIG" "stop -t x t5" \
	"net bogus" "net setup --subnet" "net setup --subnet 10.1.2.3/40" "debug" "debug steps x"; do
	d $args
	refused "bad input '$args': 125, one line"
done
[ -z "$(ls "$DIYC_ROOT/containers" 2>/dev/null)" ] && ok "bad input created no container directory" || fail "leftover dirs" "$(ls "$DIYC_ROOT/containers")"

# --- names, detach, logs, ps, exec, stop, rm
d run -d t6 busybox sh -c 'echo started; exec sleep 100'
expect "run -d prints the name" 0 '^t6$'
sleep 0.3
d ps
expect "ps lists the running container" 0 '^t6 +[0-9]+ +running +busybox'
d run t6 busybox true
expect "a second container with a running name is refused" 125
d logs t6
expect "logs shows the output" 0 '^started$'
d exec t6 cat /etc/hostname
expect "exec runs inside the container" 0 "^$(cname t6)\$"
d exec t6 sh -c 'ps -o comm | grep -c sleep; grep CapEff /proc/self/status'
expect "exec sees the container's processes with the same capabilities" 0 'CapEff:.*00000000a00425fb'
d exec t6 /nope
expect "exec of a missing command: 127" 127
d stop -t 1 t6
expect "stop" 0
d ps -a
expect "a stopped container is listed as exited" 0 '^t6 +0 +exited\(1(37|43)\)'
d run t6 busybox true
expect "the name stays taken until rm" 125
d rm t6
expect "rm" 0
gone t6 "rm"

# --- crashes: the supervisor killed with SIGKILL, then diyc gc
"$DIYC" run -d t7 busybox sleep 100 >/dev/null 2>&1
sleep 0.3
sup=$($JGET /run/diyc/t7/state.json supervisor)
kill -9 "$sup"
sleep 0.3
d ps -a
expect "a crashed supervisor shows as crashed" 0 '^t7 .*crashed'
d gc
expect "gc removes it" 0 'removed container t7'
gone t7 "kill -9 + gc"

# --- images (the QEMU guests carry no libarchive: the import tests skip there;
# hostile tarballs are in hostile.sh)
tar -C "$DIYC_ROOT/images/busybox" -cf "$T/bb.tar" .
d image import bb2 "$T/bb.tar"
case $errout in
*"cannot load libarchive"*)
	skip "image import and its safety checks" "libarchive is not installed here" ;;
*)
	expect "image import" 0 '^bb2$'
	d run --rm t8 bb2 echo imported
	expect "run from an imported image" 0 '^imported$'
	d images
	expect "images lists it" 0 '^bb2 '
	head -c 20000 "$T/bb.tar" >"$T/cut.tar"
	d image import cut "$T/cut.tar"
	expect "a truncated tarball is refused" 125
	[ ! -e "$DIYC_ROOT/images/cut" ] && [ -z "$(ls -a "$DIYC_ROOT/images" | grep import)" ] && ok "no half image left" || fail "half image" "$(ls -a "$DIYC_ROOT/images")"
	d image rm bb2
	expect "image rm" 0
	d image rm busybox2
	expect "image rm of a missing image" 125
	;;
esac

# --- signals reach the container
"$DIYC" run --rm t9 busybox sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$T/sig.out" 2>&1 &
bg=$!
for i in $(seq 50); do grep -q ready "$T/sig.out" && break; sleep 0.1; done
kill -TERM $bg
wait $bg
rc=$?
[ $rc = 7 ] && grep -q got-term "$T/sig.out" && ok "SIGTERM to diyc reaches the container" || fail "signal forwarding" "rc=$rc $(cat "$T/sig.out")"
gone t9 "signals"

# --- nsexec, the demo tool
NSEXEC=${NSEXEC:-./nsexec}
if [ "$have_pid$have_uts" = yesyes ]; then
	out=$($NSEXEC -p -u box sh -c 'echo $$ $(hostname)' 2>&1); rc=$?
	same "nsexec -p -u: pid 1 and its own host name" "$rc $out" "0 1 box"
else
	skip "nsexec -p -u" "this kernel has no PID or UTS namespace"
fi
out=$($NONS --pid --uts -- $NSEXEC -n -p -u box true 2>&1); rc=$?
if [ "$rc" = 125 ] && printf '%s\n' "$out" | grep -q 'no PID namespace.*without -p' &&
	printf '%s\n' "$out" | grep -q 'no UTS namespace.*without -u'; then
	ok "nsexec names the namespaces this kernel lacks"
else
	fail "nsexec on a kernel without pid/uts" "$rc $out"
fi
out=$($NSEXEC -n 2>&1); rc=$?
[ $rc = 125 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && ok "nsexec without a command: one line, 125" || fail "nsexec without a command" "$rc $out"
same "host name unchanged after nsexec" "$(hostname)" "$host"

# --- profile
d profile --profile "$T/nopid.json"
expect "diyc profile shows the degraded features" 0 'namespaces.pid'

done_testing
