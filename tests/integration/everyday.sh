#!/usr/bin/env bash
# The everyday commands and options of docker users (root, TAP): identity and
# privilege (--cap-add/--cap-drop, --group-add, --ulimit, --env-file, --security-opt,
# --privileged, --init), names (64 characters, generated, --name), ps -a/-q/--format
# json, inspect, rename, wait, logs -f/--tail, stats, top, cp (with the hostile
# symlinks), --restart, bash completion; each refusal one line and 125 with nothing
# made; top, stats and cp also on a simulated kernel without PID/UTS namespaces.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --need jq "everyday command tests" "$0" "$@"
probe_json "$T/full.json"
probe_json "$T/nopid.json" --pid --uts
P=(--profile "$T/full.json" --net none)
nothing_of() {
	local left
	left=$(remains "$2")
	[ -z "$left" ] && ok "$1: nothing left" || fail "$1: nothing left" "$left"
}
capeff() { printf '%s\n' "$out" | awk '/^CapEff/ {print $2}'; }

# ---- capabilities
dv run --rm "${P[@]}" e1 busybox grep CapEff /proc/self/status
default_caps=$(capeff)
same "the default set (docker's without MKNOD)" "$default_caps" 00000000a00425fb
dv run --rm "${P[@]}" --cap-add NET_ADMIN --cap-add cap_sys_time e1 busybox grep -E 'CapEff|CapBnd' /proc/self/status
same "--cap-add NET_ADMIN, cap_sys_time (any case, CAP_ optional)" "$(capeff)" 00000000a20435fb
dv run --rm "${P[@]}" --cap-drop ALL --cap-add NET_BIND_SERVICE e1 busybox grep -E 'CapEff|CapBnd' /proc/self/status
same "--cap-drop ALL --cap-add NET_BIND_SERVICE: that one alone" "$(capeff)" 0000000000000400
printf '%s\n' "$out" | grep -q 'CapBnd:.*0000000000000400' && ok "  ... in the bounding set too" || fail "bounding" "$out"
dv run -d "${P[@]}" --cap-drop NET_RAW --group-add 4242 e2 busybox sleep 60
d exec e2 sh -c 'grep CapEff /proc/self/status; id'
same "exec repeats the container's capabilities" "$(capeff)" 00000000a00405fb
printf '%s\n' "$out" | grep -q 'groups=4242' && ok "exec repeats --group-add" || fail "exec groups" "$out"
d rm -f e2
# ---- user, groups, limits, environment
dv run --rm "${P[@]}" -u 1000 --group-add 5 --group-add tty --group-add 4243 e1 busybox id
expect "--group-add names (image's /etc/group) and numbers" 0 'uid=1000 gid=0\(root\) groups=5\(tty\),5\(tty\),4243|groups=5\(tty\),4243|groups=.*5.*4243'
dv run --rm "${P[@]}" --ulimit nofile=256:512 --ulimit nproc=100 e1 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
same "--ulimit nofile=256:512, nproc=100" "$(echo $out)" "256 512 100"
hard=$(ulimit -Hn)
nr_open=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$nr_open" ]; then
	big=$((hard * 2 < nr_open ? hard * 2 : nr_open))
	d run --rm "${P[@]}" --ulimit nofile=$big e1 busybox sh -c 'ulimit -Hn'
	eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
	if (( (16#$eff >> 24) & 1 )); then # CAP_SYS_RESOURCE
		same "--ulimit above our hard limit with CAP_SYS_RESOURCE: raised" "$out" "$big"
	else
		[ "$out" = "$hard" ] && printf '%s\n' "$errout" | grep -q 'clamped' && ok "--ulimit above what this root may raise: clamped to $hard, with a warning" ||
			fail "--ulimit clamp" "out=$out err=$errout"
	fi
else
	skip "--ulimit above our own hard limit" "this shell's hard nofile limit ($hard) is already the kernel's most (fs.nr_open)"
fi
printf 'A=1\n# a comment\n\nB=two words\nFROMHOST\nUNSET_HERE_%s\n' $$ >"$T/env"
FROMHOST=host-value dv run --rm "${P[@]}" --env-file "$T/env" -e C=3 e1 busybox env
has() { printf '%s\n' "$out" | grep -qx -- "$1"; }
has A=1 && has 'B=two words' && has FROMHOST=host-value && has C=3 && ! printf '%s\n' "$out" | grep -q UNSET_HERE &&
	ok "--env-file: KEY=VAL, comments, a bare KEY from the caller's environment" || fail "--env-file" "$out"
dv run --rm "${P[@]}" --init --security-opt no-new-privileges e1 busybox grep NoNewPrivs /proc/self/status
expect "--init (diyc-init is always there) and --security-opt no-new-privileges" 0 'NoNewPrivs:.*1'

# ---- names
long=a234567890123456789012345678901234567890123456789012345678901234
dv run --rm "${P[@]}" "$long" busybox hostname
expect "a 64-character name (also the host name)" 0 "^($long|$(hostname))\$"
dv run -d "${P[@]}" busybox sleep 60
gen=$out
[[ $gen =~ ^busybox-[0-9a-f]{6}$ ]] && ok "diyc run IMAGE CMD: a generated name ($gen)" || fail "generated name" "$out $errout"
dv run -d "${P[@]}" --name named1 busybox sleep 60
expect "--name NAME IMAGE CMD" 0 '^named1$'
d ps
printf '%s\n' "$out" | grep -q "^$gen " && printf '%s\n' "$out" | grep -q '^named1 ' && ok "ps lists the running ones" || fail "ps" "$out"
d stop -t 0 named1
d ps
! printf '%s\n' "$out" | grep -q '^named1 ' && ok "ps leaves out a stopped one" || fail "ps stopped" "$out"
d ps -a
printf '%s\n' "$out" | grep -qE '^named1 +0 +exited' && ok "ps -a shows it" || fail "ps -a" "$out"
d ps -aq
[ "$(printf '%s\n' "$out" | grep -cxE "$gen|named1")" = 2 ] && ! printf '%s\n' "$out" | grep -q ' ' && ok "ps -aq: names only" || fail "ps -aq" "$out"
d ps -a --format json
python3 -c 'import json,sys; a={c["Name"]: c for c in json.loads(sys.argv[1])}; g=a[sys.argv[2]]; n=a["named1"]
assert g["State"]=="running" and g["Running"] and g["Pid"]>0 and g["Image"]=="busybox" and g["Command"]=="sleep 60"
assert n["State"]=="exited" and not n["Running"] and n["ExitCode"] in (137,143) and isinstance(n["Namespaces"],list)
import datetime; utc = datetime.timezone.utc  # Created: UTC, within the last ten minutes
c = datetime.datetime.strptime(g["Created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=utc)
assert 0 <= (datetime.datetime.now(utc) - c).total_seconds() < 600, g["Created"]' "$out" "$gen" 2>"$T/py" &&
	ok "ps --format json: Name, State, Running, Pid, ExitCode, Image, Command, Namespaces, Created" || fail "ps json" "$(cat "$T/py") $out"
d rename named1 named2
expect "rename a stopped container" 0
d ps -aq
printf '%s\n' "$out" | grep -qx named2 && ! printf '%s\n' "$out" | grep -qx named1 && [ -d "$DIYC_ROOT/containers/named2" ] && ok "  ... its state and directory renamed" || fail "rename" "$out"
d rename "$gen" other
refused "rename of a running container"
d rm named2 && d rm -f "$gen"

# ---- inspect, wait, logs
dv run -d "${P[@]}" -v "$T:/data:ro" --tmpfs /t --read-only --restart on-failure:2 i1 busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo late; exit 3'
d inspect i1
python3 -c 'import json,sys; c=json.loads(sys.argv[1])[0]
assert c["Name"]=="i1" and c["ReadOnly"] and c["Cgroups"] and c["NoNewPrivileges"]
m={x["Destination"]: x for x in c["Mounts"]}; assert m["/data"]["Type"]=="bind" and not m["/data"]["RW"] and m["/t"]["Type"]=="tmpfs"
assert "NetworkSettings" in c and "Degraded" in c and "RestartCount" in c' "$out" 2>"$T/py" &&
	ok "inspect: config, state, mounts, cgroups, network, degraded" || fail "inspect" "$(cat "$T/py") $out"
d logs --tail 2 i1
same "logs --tail 2" "$(echo $out)" "line4 line5"
d logs -t --tail 1 i1
expect "logs -t: each line behind its time (RFC 3339, UTC)" 0 '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z line5$'
d logs --tail 0 i1
same "logs --tail 0: nothing" "$out" ""
timeout 20 "$DIYC" logs -f i1 >"$T/follow" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q late "$T/follow" && ok "logs -f follows until the container stops for good" || fail "logs -f" "rc=$rc $(cat "$T/follow")"
d wait i1
same "wait prints the exit code" "$out" 3
d inspect i1
printf '%s\n' "$out" | jq -e '.[0] | .RestartCount == 2 and .ExitCode == 3 and .State == "exited"' >/dev/null 2>&1 &&
	ok "--restart on-failure:2: started twice more, then exited(3)" || fail "restart count" "$out"
[ "$(grep -c line1 "$T/follow")" = 3 ] && ok "  ... each run's output in the log" || fail "restart log" "$(cat "$T/follow")"
d rm i1
dv run -d "${P[@]}" --restart always r1 busybox sh -c 'sleep 0.2'
sleep 1.5
d inspect r1
printf '%s\n' "$out" | jq -e '.[0].RestartCount >= 2' >/dev/null 2>&1 && ok "--restart always starts it again" || fail "restart always" "$out"
d stop -t 1 r1
expect "diyc stop ends a --restart always container" 0
sleep 0.5
d ps
! printf '%s\n' "$out" | grep -q '^r1 ' && ok "  ... and it stays stopped" || fail "restarted after stop" "$out"
d rm r1
nothing_of "--restart" r1

# ---- stop of several at once, as docker's
dv run -d "${P[@]}" s1 busybox sleep 60 && dv run -d "${P[@]}" s2 busybox sleep 60
d stop -t 0 s1 s2
d ps -q
[ "$rc" = 0 ] && ! printf '%s\n' "$out" | grep -qxE 's1|s2' && ok "stop NAME NAME stops both" || fail "stop two" "$out"
d rm s1 s2

# ---- top, stats, cp: live profile and no PID namespace
for tag in full nopid; do
	Q=(--profile "$T/$tag.json" --net none)
	dv run -d "${Q[@]}" -m 64m c1 busybox sh -c 'mkdir -p /data/sub; echo inside >/data/sub/f; ln -s /etc /data/etc; ln -s /proc/1/root /data/hostroot; ln -s ../../../../../.. /data/up; sleep 300 & sleep 301 & wait'
	sleep 0.5
	d top c1
	[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q 'sleep 300' && printf '%s\n' "$out" | grep -q 'sleep 301' && ! printf '%s\n' "$out" | grep -q 'diyc run' &&
		ok "[$tag] top: the container's processes, only those" || fail "[$tag] top" "$out $errout"
	d stats --no-stream c1
	printf '%s\n' "$out" | grep -qE '^c1 +[0-9.]+% +[0-9.]+[kMG]?B / 67.1MB +[0-9.]+% .* 4$|^c1 +[0-9.]+% +[0-9.]+[kMG]?B / 67.1MB +[0-9.]+% .* [0-9]+$' &&
		ok "[$tag] stats --no-stream: CPU, memory against the limit, pids" || fail "[$tag] stats" "$out $errout"
	# (a table a second: read until the second; TCG guests are slow, so up to 6 s)
	timeout 6 "$DIYC" stats c1 2>&1 | {
		k=0 # (not awk: mawk waits for a full buffer before it reads a line)
		while IFS= read -r l; do
			printf '%s\n' "$l"
			case $l in NAME*) k=$((k + 1)) && [ $k = 2 ] && break ;; esac
		done
	} >"$T/stream"
	[ "$(grep -c '^NAME' "$T/stream")" -ge 2 ] && ok "[$tag] stats streams (a table a second)" || fail "[$tag] stats stream" "$(cat "$T/stream")"
	echo host-file >"$T/hf"
	d cp "$T/hf" c1:/data/
	d exec c1 cat /data/hf
	expect "[$tag] cp FILE NAME:DIR/ puts it into the directory" 0 '^host-file$'
	d cp c1:/data/sub "$T/out-$tag"
	same "[$tag] cp NAME:DIR HOSTDIR copies the tree out" "$(cat "$T/out-$tag/f" 2>&1)" inside
	d cp "$T/hf" c1:/data/hostroot/tmp/escape-$tag
	[ ! -e /tmp/escape-$tag ] && ok "[$tag] cp through a /proc/1/root symlink stays in the container" || { fail "[$tag] cp escaped"; rm -f /tmp/escape-$tag; }
	d cp "$T/hf" c1:/data/up/tmp/escape2-$tag
	[ ! -e /tmp/escape2-$tag ] && ok "[$tag] cp through ../../.. stays in the container" || { fail "[$tag] cp escaped (..)"; rm -f /tmp/escape2-$tag; }
	d exec c1 cat /tmp/escape2-$tag
	expect "[$tag]   ... it landed in the container's /tmp" 0 '^host-file$'
	d cp "$T/hf" c1:/data/etc/added-$tag
	[ ! -e /etc/added-$tag ] && ok "[$tag] cp through a symlinked directory (/data/etc -> /etc) writes the container's /etc" || { fail "[$tag] host /etc written"; rm -f /etc/added-$tag; }
	d cp c1:/data/hostroot/data/sub/f "$T/hn-$tag" # (no /data/sub/f on the host)
	same "[$tag] cp out through /proc/1/root reads the container's file" "$(cat "$T/hn-$tag" 2>&1)" inside
	d rm -f c1
	nothing_of "[$tag] top, stats, cp" c1
done

# ---- refusals: one line, 125, nothing made
while IFS='|' read -r desc args; do
	eval "set -- $args"
	dv run "${P[@]}" "$@" bad1 busybox true
	refused "refused: $desc"
	nothing_of "refused: $desc" bad1
done <<EOF
an unknown capability|--cap-add NOPE
--privileged|--privileged
no-new-privileges=false|--security-opt no-new-privileges=false
an unsupported --security-opt|--security-opt seccomp=unconfined
--cap-drop SETUID with -u|--cap-drop SETUID -u 1000
a bad --ulimit name|--ulimit bogus=1
a bad --ulimit value|--ulimit nofile=lots
soft above hard|--ulimit nofile=10:5
--ulimit twice|--ulimit nofile=10 --ulimit nofile=20
a missing --env-file|--env-file /nonexistent-$$
a bad --group-add|--group-add -x
--restart bogus|--restart sometimes
--restart with --rm|--restart always --rm
a 65-character name|--name a2345678901234567890123456789012345678901234567890123456789012345
a bad --name|--name ../x
EOF
printf 'GOOD=1\nBAD NAME=2\n' >"$T/badenv"
dv run "${P[@]}" --env-file "$T/badenv" bad1 busybox true
refused "refused: an --env-file line with a space in the name"
dv run "${P[@]}" -u 1000 --group-add nosuchgroup bad1 busybox true
[ "$rc" = 125 ] && printf '%s\n' "$errout" | grep -q 'nosuchgroup' && ok "refused: an unknown --group-add name (found in the image)" || fail "group-add unknown" "rc=$rc $errout"
d rm -f bad1 >/dev/null 2>&1
for args in "inspect" "inspect nosuch" "inspect ../x" "wait" "wait nosuch" "rename a" "rename nosuch b" "top" "top nosuch" \
	"stats nosuch" "stats --bogus" "cp a b" "cp nosuch:/x $T/y" "cp $T/hf nosuch:/x" "logs --tail x a" "logs --timestamps ../a" "logs -f" "ps --format table" "ps -x" "ps extra"; do
	# shellcheck disable=SC2086
	d $args
	refused "$args: one line, 125"
done
dv run -d "${P[@]}" c2 busybox sleep 60
d cp "$T/nonexistent" c2:/x
refused "cp of a missing host file"
d cp c2:/nonexistent "$T/x"
refused "cp of a missing container file"
d cp / c2:/x
refused "cp of the host's / itself"
d rm -f c2
d rm -f c2
nothing_of "cp refusals" c2

# ---- bash completion, read from diyc's own --help
if command -v bash >/dev/null; then
	dv run -d "${P[@]}" compl1 busybox sleep 60
	d volume create complvol
	comp() { # comp WORD...: what completing the last word offers
		bash -c '. runtime/completion/diyc.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _diyc; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
	}
	PATH=$(dirname "$(readlink -f "$DIYC")"):$PATH
	got=$(comp "$DIYC" vo); same "completion: commands" "$got" volume
	got=$(comp "$DIYC" run --cap-d); same "completion: run's options from its --help" "$got" --cap-drop
	got=$(comp "$DIYC" stop comp); same "completion: running container names" "$got" compl1
	got=$(comp "$DIYC" run -v compl); same "completion: volume names after -v" "$(printf '%s\n' "$got" | head -1)" complvol
	got=$(comp "$DIYC" run busy); same "completion: image names" "$got" busybox
	got=$(comp "$DIYC" volume rm compl); same "completion: volume rm NAME" "$got" complvol
	d rm -f compl1
	d volume rm complvol
else
	skip "bash completion" "no bash"
fi
done_testing
