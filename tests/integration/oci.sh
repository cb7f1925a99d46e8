#!/usr/bin/env bash
# diyc-oci against the OCI runtime spec's lifecycle and config, written from the spec's
# text: every command's happy path and its errors (one line, exit 1, nothing made),
# state transitions, the console socket, the pid file, hooks and their order, each
# config field diyc-oci honours, the degraded modes of a kernel without PID/UTS
# namespaces, and runc as a reference on the same bundle where runc can run here.
# Root, TAP, in the harness's private UTS, IPC, PID and mount namespaces.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --need python3 --need jq "OCI runtime tests" "$0" "$@"
R=$T/oci
# (stdout to a file: a created container keeps the caller's stdio, as with runc)
o() {
	"$DIYC_OCI" --root "$R" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	slurp "$T/out" && out=$REPLY && slurp "$T/err" && errout=$REPLY # (no cat per call)
}
# bundle NAME: $T/b/NAME, the busybox rootfs and diyc-oci spec's config (no terminal,
# a writable root), that config made once and copied (fewer processes: each costs
# tens of ms in a TCG guest, and there are twenty bundles)
bundle() {
	local b=$T/b/$1
	[ -s "$T/b/.base/config.json" ] || { mkdir -p "$T/b/.base" && "$DIYC_OCI" spec --bundle "$T/b/.base" &&
		cfgset .base process.terminal=false root.readonly=false; } || return 1
	rm -rf "$b" && mkdir -p "$b" && cp -a "$DIYC_ROOT/images/busybox" "$b/rootfs" &&
		cp "$T/b/.base/config.json" "$b/config.json"
}
# cfg NAME 'jq filter' [ARG]: edit the bundle's config.json (ARG is $a in the filter;
# jq, not python3: a python3 start costs 0.15 s in a TCG guest, jq 0.2 s)
cfg() {
	local c=$T/b/$1/config.json
	jq --arg a "${3:-}" "$2" "$c" >"$c.new" && mv "$c.new" "$c"
}
# cfgset NAME PATH=JSON...: plain assignments, through tests/tools/jget (a few ms)
cfgset() {
	local c=$T/b/$1/config.json
	"$JGET" -s "$c" "${@:2}" >"$c.new" && mv "$c.new" "$c"
}
# args NAME 'shell script': the container's command is sh -c SCRIPT (the script as a
# JSON string: backslashes, quotes and control characters escaped, builtins only)
args() {
	local a=${2//\\/\\\\}
	a=${a//\"/\\\"}
	a=${a//$'\n'/\\n}
	a=${a//$'\t'/\\t}
	[[ $a != *[$'\001'-$'\037']* ]] || { cfg "$1" '.process.args = ["sh", "-c", $a]' "$2"; return; }
	cfgset "$1" "process.args=[\"sh\", \"-c\", \"$a\"]"
}
# st NAME '["key"]': that field of diyc-oci state NAME (through jget)
st() { "$DIYC_OCI" --root "$R" state "$1" >"$T/st.json" 2>/dev/null; jget "$T/st.json" "d$2" 2>&1; }
# one line on stderr and exit 1, runc's convention (after the degraded-mode warnings
# of a kernel that lacks something, which come first)
refused1() {
	errout=$(printf '%s\n' "$errout" | grep -v '^diyc-oci: warning: degraded: ')
	refused "$1" 1
}
gone() {
	local left
	left=$(present "$R/$1"; cg_find "diyc-$1")
	[ -z "$left" ] && ok "$2: nothing left" || fail "$2: nothing left" "$left"
}
at_exit 'for c in $(ls "$R" 2>/dev/null); do "$DIYC_OCI" --root "$R" delete --force "$c"; done'
# what the live kernel gives decides a few expectations (a QEMU guest may lack PID/UTS)
probe_json "$T/live.json"
pidns=$(jget "$T/live.json" 'd["namespaces"]["pid"]["status"]')
utsns=$(jget "$T/live.json" 'd["namespaces"]["uts"]["status"]')

# --- the static diyc-oci and its twin (lib/twin.h): a run that must probe the kernel
# first goes over to diyc-oci-dynamic; without that twin, one line, nothing made
twin=$(dirname "$DIYC_OCI")/diyc-oci-dynamic
if [ -x "$twin" ]; then
	is_static "diyc-oci beside a twin is static: no program interpreter" "$DIYC_OCI"
	bundle tw && args tw 'echo twin'
	DIYC_PROFILE=$T/otw.json o run -b "$T/b/tw" tw
	[ "$rc" = 0 ] && [ "$out" = twin ] && [ -s "$T/otw.json" ] &&
		ok "a run that must probe first goes over to the twin, which writes the profile" ||
		fail "run through the twin" "rc=$rc out=$out err=$errout"
	mkdir -p "$T/alone" && cp "$DIYC_OCI" "$T/alone/diyc-oci"
	DIYC_OCI=$T/alone/diyc-oci DIYC_PROFILE=$T/otw2.json o create -b "$T/b/tw" tw
	refused1 "a static diyc-oci without its twin, creating when it must probe: one line, 1"
	case $errout in *"$T/alone/diyc-oci-dynamic"*) ok "  ... naming the twin it looked for" ;; *) fail "twin not named" "$errout" ;; esac
	[ ! -e "$T/otw2.json" ] && ok "  ... and no profile written" || fail "a profile without a probe" "$(ls "$T")"
	gone tw "a run refused for want of the twin"
else
	skip "the static diyc-oci and its twin" "$DIYC_OCI is a dynamic build (ASan, LINK=shared): it has none"
fi

# --- spec, and run in the foreground: the status passes through
mkdir -p "$T/s"
"$DIYC_OCI" spec --bundle "$T/s" && jget "$T/s/config.json" 'd["ociVersion"]' >/dev/null
check "spec writes a config.json that parses" test -s "$T/s/config.json"
out=$("$DIYC_OCI" spec -b "$T/s" 2>&1); rc=$?
[ $rc = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && ok "spec refuses to overwrite config.json" ||
	fail "spec refuses to overwrite config.json" "rc=$rc $out"
bundle b1
args b1 'echo out; echo err >&2; exit 7'
o run --bundle "$T/b/b1" r1
expect "run: the command's exit status and output pass through" 7 '^out$'
gone r1 "run in the foreground"

# --- create: set up, process waiting; pid file before create returns
args b1 'touch /started; exec sleep 300'
o create --bundle "$T/b/b1" --pid-file "$T/r2.pid" r2
expect "create succeeds" 0
pid=$(cat "$T/r2.pid" 2>/dev/null)
same "create wrote the pid file (the state's pid)" "$pid" "$(st r2 '["pid"]')"
same "state after create: created" "$(st r2 '["status"]')" created
[ -d "/proc/$pid" ] && [ ! -e "$T/b/b1/rootfs/started" ] && ok "the created process waits (the command has not run)" ||
	fail "the created process waits (the command has not run)" "pid=$pid"
got=$("$DIYC_OCI" --root "$R" state r2 | python3 -c 'import json,sys,datetime
d=json.load(sys.stdin); datetime.datetime.fromisoformat(d["created"].replace("Z","+00:00"))
print(d["ociVersion"], d["id"], d["bundle"]==sys.argv[1], sorted(set(d) - {"annotations"}))' "$T/b/b1")
same "state JSON: the spec's fields (annotations when degraded), created in RFC 3339" "$got" \
	"1.0.2 r2 True ['bundle', 'created', 'id', 'ociVersion', 'owner', 'pid', 'status']"
o create --bundle "$T/b/b1" r2
refused1 "create of an existing id is refused"
o start r2
expect "start" 0
sleep 0.2
same "state after start: running" "$(st r2 '["status"]')" running
check "the command ran after start" test -e "$T/b/b1/rootfs/started"
o start r2
refused1 "start of a running container is refused"
o delete r2
refused1 "delete of a running container without --force is refused"
printf '%s\n' "$errout" | grep -q "is not stopped" && ok "delete refusal says 'is not stopped' (runc's words)" ||
	fail "delete refusal says 'is not stopped' (runc's words)" "$errout"
o ps --format json r2
expect "ps --format json lists the container's pid" 0 "$pid"
o list --format json
expect "list --format json names it" 0 '"id":"r2"'
o list -q
expect "list -q prints ids" 0 '^r2$'
o pause r2
same "pause: paused" "$rc $(st r2 '["status"]')" "0 paused"
o resume r2
same "resume: running" "$rc $(st r2 '["status"]')" "0 running"
if [ "$pidns" = yes ]; then
	o exec r2 sh -c 'echo in-$(cat /proc/1/comm); exit 5'
	expect "exec runs in the container (its pid 1 is the command) with its status" 5 '^in-sleep$'
else
	o exec r2 sh -c 'echo in-$(cat /proc/$PPID/comm 2>/dev/null || echo x); exit 5'
	expect "exec runs in the container (no PID namespace here) with its status" 5 '^in-'
fi
o exec --env X=42 --cwd /tmp r2 sh -c 'echo $X $(pwd)'
expect "exec --env --cwd" 0 '^42 /tmp$'
o exec r2 nonexistent-cmd
[ "$rc" = 127 ] && printf '%s\n' "$errout" | grep -q 'executable file not found' &&
	ok "exec of a missing command: 127, runc's words" || fail "exec of a missing command: 127, runc's words" "rc=$rc $errout"
printf '%s\n' '{"args": ["sh", "-c", "echo p > /tmp/p; sleep 1"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}' >"$T/proc.json"
o exec --process "$T/proc.json" --detach --pid-file "$T/e.pid" r2
epid=$(cat "$T/e.pid" 2>/dev/null)
[ "$rc" = 0 ] && [ -n "$epid" ] && ok "exec --process --detach --pid-file" || fail "exec --process --detach --pid-file" "rc=$rc $errout"
sleep 0.3
check "the detached exec ran" test -e "$T/b/b1/rootfs/tmp/p"
for sig in SIGWINCH WINCH 28; do # (ignored by default: the container lives on)
	o kill r2 $sig
	expect "kill accepts signal $sig" 0
done
o kill r2 NOSUCH
refused1 "kill with an unknown signal is refused"
o kill r2 KILL
sleep 0.3
same "killed: stopped, pid 0" "$(st r2 '["status"]') $(st r2 '["pid"]')" "stopped 0"
o kill r2 TERM
refused1 "kill of a stopped container: 'container not running'"
o delete r2
expect "delete of a stopped container" 0
o state r2
refused1 "state of a deleted container: 'does not exist'"
printf '%s\n' "$errout" | grep -q "does not exist" && ok "its message says 'does not exist'" || fail "its message says 'does not exist'" "$errout"
gone r2 "create/start/kill/delete"

# --- --preserve-fds: the caller's fds 3.. reach the command, the others do not
bundle b19
args b19 'echo kept >&3 && echo yes; echo lost >&4 2>/dev/null || echo closed'
"$DIYC_OCI" --root "$R" run --preserve-fds 1 --bundle "$T/b/b19" r19 3>"$T/fd3" 4>"$T/fd4" >"$T/out" 2>"$T/err" </dev/null
same "--preserve-fds 1: fd 3 is the caller's, fd 4 is closed" "$(tr '\n' ' ' <"$T/out") $(cat "$T/fd3") $(cat "$T/fd4")" "yes closed  kept "
o run --preserve-fds many --bundle "$T/b/b19" r19
refused1 "a bad --preserve-fds is refused"

# --- kill of a created container; delete --force of a running one; of nothing
o create --bundle "$T/b/b1" r3
o kill r3 KILL
sleep 0.3
same "a created container killed is stopped" "$(st r3 '["status"]')" stopped
o delete r3
o create --bundle "$T/b/b1" r4 && o start r4
o delete --force r4
expect "delete --force of a running container" 0
gone r4 "delete --force"
o delete --force nothing-here
expect "delete --force of an unknown id succeeds (nothing to do)" 0

# --- bad input: one line, exit 1, nothing made
o create --bundle "$T/b/b1" '../x'
refused1 "an id with '/' or '..' is refused"
o create --bundle "$T/nope" r5
refused1 "a missing bundle is refused"
mkdir -p "$T/b/bad" && echo '{"process":' >"$T/b/bad/config.json"
o create --bundle "$T/b/bad" r5
refused1 "a config.json that does not parse is refused"
bundle b5
cfg b5 '.mounts += [{"destination": "rel/path", "type": "tmpfs", "source": "tmpfs"}]'
o create --bundle "$T/b/b5" r5
refused1 "a relative mount destination is refused"
bundle b5
cfg b5 '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
o create --bundle "$T/b/b5" r5
refused1 "user namespaces: a clear refusal"
bundle b5
cfgset b5 'linux.cgroupsPath="system.slice:diyc:r5"'
o create --bundle "$T/b/b5" r5
refused1 "a systemd cgroupsPath is refused (no --systemd-cgroup)"
out=$("$DIYC_OCI" --root "$R" --systemd-cgroup list 2>&1); rc=$?
[ $rc = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && ok "--systemd-cgroup: one clear line" || fail "--systemd-cgroup: one clear line" "$out"
o frobnicate
refused1 "an unknown command is refused"
same "no state made by any refusal" "$(ls "$R" 2>/dev/null)" ""

# --- the log: json lines, the error last (callers read it)
"$DIYC_OCI" --root "$R" --log "$T/log.json" --log-format json start nothing-here 2>/dev/null
got=$(tail -n1 "$T/log.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["level"], "does not exist" in d["msg"], bool(d["time"]))')
same "--log-format json: the error is the last line, {level,msg,time}" "$got" "error True True"

# --- config fields
bundle b6
cfg b6 '.root.readonly = true | .hostname = "oci-host" | .process.env = ["PATH=/bin", "A=1"] | .process.cwd = "/etc"
| .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [20, 30], "umask": 63}
| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 256, "hard": 512}]
| .process.capabilities = ({} | .bounding = ["CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE"]
	| .effective = .bounding | .permitted = .bounding | .inheritable = .bounding | .ambient = .bounding)
| .mounts += [{"destination": "/data", "type": "bind", "source": $a, "options": ["rbind", "ro"]},
	{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "noexec"]}]
| .linux.sysctl = {"net.ipv4.ip_forward": "1"}' "$T/hostdata"
mkdir -p "$T/hostdata" && echo host-file >"$T/hostdata/f"
args b6 'hostname; echo $A; pwd; id; umask; ulimit -Sn; ulimit -Hn; grep -E "^(CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status
cat /data/f; touch /data/x 2>/dev/null && echo data-writable; touch /x 2>/dev/null && echo root-writable
grep " /scratch " /proc/mounts | grep -q noexec && echo scratch-noexec; cat /proc/sys/net/ipv4/ip_forward
cat /proc/kcore 2>/dev/null | wc -c; echo 1 > /proc/sys/kernel/hostname 2>/dev/null || echo procsys-ro'
o run --bundle "$T/b/b6" r6
got=$(printf '%s\n' "$out" | tr '\n' '|')
h=oci-host
[ "$utsns" = yes ] || h=$(hostname)
want="$h|1|/etc|uid=1000 gid=1000 groups=20,30|0077|256|512|CapEff:	0000000000000420|CapBnd:	0000000000000420|CapAmb:	0000000000000420|NoNewPrivs:	1|host-file|scratch-noexec|1|0|procsys-ro|"
same "hostname, env, cwd, user+groups, umask, rlimits, caps (ambient, no MKNOD), nnp, ro bind, ro root, tmpfs options, sysctl, masked and read-only paths" "$got" "$want"
gone r6 "config fields"

# --- namespaces joined by path
sleep 300 &
holder=$!
unshare --net sleep 300 &
nsholder=$!
sleep 0.2
bundle b7
cfg b7 '.linux.namespaces |= map(if .type == "network" then {"type": "network", "path": $a} else . end)' "/proc/$nsholder/ns/net"
args b7 'readlink /proc/self/ns/net'
o run --bundle "$T/b/b7" r7
same "a namespace given by path is joined" "$out" "$(readlink /proc/$nsholder/ns/net)"
kill $holder $nsholder 2>/dev/null
wait $holder $nsholder 2>/dev/null

# --- resources and update, in the container's own cgroup
bundle b8
cfgset b8 'linux.resources={"memory": {"limit": 67108864}, "pids": {"limit": 64}}'
args b8 'exec sleep 300'
o create --bundle "$T/b/b8" r8 && o start r8
cgm=$(for d in $($JGET "$R/r8/state.json" cgroups); do
	cat "$d/memory.limit_in_bytes" "$d/memory.max" 2>/dev/null; done | head -1)
same "linux.resources.memory.limit is the container's cgroup limit" "$cgm" 67108864
echo '{"memory":{"limit":33554432}}' | "$DIYC_OCI" --root "$R" update --resources - r8
cgm=$(for d in $($JGET "$R/r8/state.json" cgroups); do
	cat "$d/memory.limit_in_bytes" "$d/memory.max" 2>/dev/null; done | head -1)
same "update --resources - changes it" "$cgm" 33554432
o update --resources "$T/nope.json" r8
refused1 "update with an unreadable file is refused"
o delete --force r8
gone r8 "resources"

# --- seccomp: the config's filter is loaded (libseccomp)
bundle b9
cfgset b9 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
args b9 'mkdir /tmp/d 2>&1; echo rc=$?'
o run --bundle "$T/b/b9" r9
expect "seccomp: a denied call fails with the configured errno" 0 'rc=1'
printf '%s\n' "$out" | grep -q "not permitted" && ok "seccomp: EPERM as errnoRet 1" || fail "seccomp: EPERM as errnoRet 1" "$out"

# --- hooks, in order, each with the state on stdin
bundle b10
hook() { printf '{"path":"/bin/sh","args":["sh","-c","read -r s; case $s in *\\"id\\"*) echo %s >>%s;; *) echo %s-nostate >>%s;; esac"]}' "$1" "$T/hooks" "$1" "$T/hooks"; }
cfg b10 '.hooks = ([["prestart", "createRuntime", "createContainer", "poststart", "poststop"],
	($a | split("|") | map(fromjson))] | transpose | map({key: .[0], value: [.[1]]}) | from_entries)' \
	"$(hook prestart)|$(hook createRuntime)|$(hook createContainer)|$(hook poststart)|$(hook poststop)"
args b10 'true'
o run --bundle "$T/b/b10" r10
same "hooks: prestart createRuntime createContainer poststart poststop, with the state" \
	"$(tr '\n' ' ' <"$T/hooks" 2>/dev/null)" "prestart createRuntime createContainer poststart poststop "
bundle b11
cfgset b11 'hooks={"createRuntime": [{"path": "/bin/false"}]}'
o create --bundle "$T/b/b11" r11
refused1 "a failing createRuntime hook fails create"
gone r11 "a failed hook"
cfgset b11 'hooks={"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
o create --bundle "$T/b/b11" r11
[ "$rc" = 1 ] && printf '%s\n' "$errout" | grep -q "timed out after 1 s" && ok "a hook past its timeout is killed and fails create" ||
	fail "a hook past its timeout is killed and fails create" "rc=$rc $errout"
gone r11 "a hook that timed out"

# --- the console socket (conmon's and containerd's protocol)
bundle b12
cfgset b12 'process.terminal=true'
args b12 'test -t 0 && echo is-a-tty; echo console-ok'
tests/tools/console-recv.py "$T/console.sock" "" 5 >"$T/console.out" 2>&1 &
crecv=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$T/console.sock" ] && break; sleep 0.1; done
o create --bundle "$T/b/b12" --console-socket "$T/console.sock" r12
expect "create with process.terminal and --console-socket" 0
o start r12
wait $crecv
grep -q is-a-tty "$T/console.out" && grep -q console-ok "$T/console.out" &&
	ok "the pty master arrived over the socket (SCM_RIGHTS); the command's stdio is the tty" ||
	fail "the pty master arrived over the socket" "$(cat "$T/console.out")"
sleep 0.2
o delete --force r12
o create --bundle "$T/b/b12" r13
refused1 "a terminal without --console-socket is refused by create"
# exec --tty: its own pty, from the container's devpts, over the socket
bundle b18
args b18 'exec sleep 300'
o create --bundle "$T/b/b18" r18 && o start r18
rm -f "$T/console.sock"
tests/tools/console-recv.py "$T/console.sock" "" 5 >"$T/console.out" 2>&1 &
crecv=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$T/console.sock" ] && break; sleep 0.1; done
o exec --tty --console-socket "$T/console.sock" r18 sh -c 'test -t 0 && echo exec-tty'
wait $crecv
[ "$rc" = 0 ] && grep -q exec-tty "$T/console.out" && ok "exec --tty --console-socket" ||
	fail "exec --tty --console-socket" "rc=$rc $errout $(cat "$T/console.out")"
o exec --tty --detach r18 true
refused1 "exec --tty --detach without a console socket is refused"
o delete --force r18
gone r18 "exec with a terminal"

# --- features: from the live profile
want=$(jget "$T/live.json" '" ".join(sorted({"mnt":"mount","net":"network"}.get(n,n) for n,v in d["namespaces"].items() if v["status"]=="yes" and n!="user"))')
got=$(DIYC_PROFILE=$T/live.json "$DIYC_OCI" features | jq -r '.linux.namespaces | sort | join(" ")')
same "features: the namespaces this kernel has (the live profile)" "$got" "$want"

# --- a kernel without PID and UTS namespaces (simulated profile): degraded, or refused
probe_json "$T/nopid.json" --pid --uts
bundle b14
args b14 'sleep 300 & hostname; echo $$'
DIYC_PROFILE=$T/nopid.json "$DIYC_OCI" --root "$R" create --bundle "$T/b/b14" r14 >"$T/r14.out" 2>"$T/err" </dev/null
rc=$?
DIYC_PROFILE=$T/nopid.json "$DIYC_OCI" --root "$R" start r14 >/dev/null 2>&1
grep -q "degraded: no PID namespace" "$T/err" && [ $rc = 0 ] && ok "no PID namespace: runs degraded, says so" ||
	fail "no PID namespace: runs degraded, says so" "rc=$rc $(cat "$T/err")"
deg=$(st r14 '["annotations"].get("org.diyc.degraded","")')
case $deg in *"PID namespace"*"UTS namespace"*) ok "state annotation org.diyc.degraded names them" ;; *) fail "state annotation org.diyc.degraded names them" "$deg" ;; esac
sleep 0.3
p14=$(sed -n 2p "$T/r14.out")
same "the host name is left alone, the command is not pid 1 (no PID namespace)" \
	"$(head -n1 "$T/r14.out") $([ -n "$p14" ] && [ "$p14" != 1 ] && echo host-pid)" "$(hostname) host-pid"
left=$(pids_by_cmdline "sleep 300" | wc -l)
o delete --force r14
sleep 0.2
[ "$left" -ge 1 ] && [ -z "$(pids_by_cmdline 'sleep 300')" ] && ok "delete kills what it left behind (through its cgroup)" ||
	fail "delete kills what it left behind" "before=$left after=$(pids_by_cmdline 'sleep 300')"
DIYC_PROFILE=$T/nopid.json "$DIYC_OCI" --root "$R" --strict create --bundle "$T/b/b14" r15 >/dev/null 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q strict "$T/err" && ok "--strict refuses it" || fail "--strict refuses it" "rc=$rc $(cat "$T/err")"
cfgset b14 'annotations={"org.diyc.strict": "true"}'
DIYC_PROFILE=$T/nopid.json "$DIYC_OCI" --root "$R" create --bundle "$T/b/b14" r15 >/dev/null 2>"$T/err"
rc=$?
[ $rc = 1 ] && ok "so does the annotation org.diyc.strict=true" || fail "so does the annotation org.diyc.strict=true" "rc=$rc"
gone r15 "strict refusals"

# --- runc, the reference, on the same bundle (where it runs here)
if command -v runc >/dev/null; then
	bundle b16
	args b16 'echo $(id -u) $(hostname); exit 3'
	ref=$(runc --root "$T/runc" run --bundle "$T/b/b16" ref16 2>&1); rrc=$?
	runc --root "$T/runc" delete --force ref16 >/dev/null 2>&1
	if [ $rrc = 3 ]; then
		o run --bundle "$T/b/b16" r16
		same "the same bundle: diyc-oci's output and status are runc's" "$rc $out" "$rrc $ref"
		runc --root "$T/runc" create --bundle "$T/b/b16" ref17 >/dev/null 2>&1
		o create --bundle "$T/b/b16" r17
		rk=$(runc --root "$T/runc" state ref17 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], sorted(set(d)-{"rootfs"}))')
		dk=$("$DIYC_OCI" --root "$R" state r17 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], sorted(d))')
		same "state after create: runc's status and fields" "$dk" "$rk"
		runc --root "$T/runc" delete --force ref17 >/dev/null 2>&1
		o delete --force r17
	else
		skip "runc as the reference" "runc cannot run this bundle here ($rrc: $(printf '%s' "$ref" | tail -n1))"
	fi
else
	skip "runc as the reference" "need runc"
fi
same "no container left in the state directory" "$(ls "$R" 2>/dev/null)" ""
done_testing
