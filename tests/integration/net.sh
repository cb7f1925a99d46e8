#!/usr/bin/env bash
# Integration tests of bridged networking (root). TAP output.
# Never touches this machine's network: the script re-runs itself inside a network
# namespace it creates and treats as "the host" (bridge, veths and iptables rules
# live and die there), with a second namespace standing for the outside world,
# joined by a veth (192.0.2.1 host side, 192.0.2.2 outside: TEST-NET-1). It also
# gets private UTS, IPC, PID and mount namespaces. Traffic goes only to addresses
# inside these namespaces.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --outside --need ip --need iptables-restore --need jq "network tests" "$0" "$@"
PATH=$PATH:/usr/sbin
OUT=$DIYC_OUTSIDE
probe_json "$T/full.json"
# every diyc here reads (and, stale, rewrites) this profile, not the machine's (the
# harness enters the test's network namespace with nsenter, which keeps /sys and the
# cgroup hierarchies: the containers here are tracked as anywhere else)
export DIYC_PROFILE=$T/full.json
if [ "$(jget "$T/full.json" 'd["namespaces"]["net"]["status"]')" != yes ]; then
	skip "bridged networking" "this kernel has no usable network namespace"
	done_testing
	exit
fi
# d: tests/lib.sh's, without the lines that say what this kernel degrades (with
# builtins: a grep per call was 200 processes a run, seconds in a TCG guest)
d() {
	out=$("$DIYC" "$@" 2>"$T/err")
	rc=$?
	slurp "$T/err"
	drop_lines '*warning: degraded*' "$REPLY"
	errout=$REPLY
}
# the host name container NAME sees: its own, or the host's on a kernel without UTS ns
host=$(hostname)
uts=$(jget "$T/full.json" 'd["namespaces"]["uts"]["status"]')
cname() { if [ "$uts" = yes ]; then echo "$1"; else echo "$host"; fi; }
# rules and user chains (an empty table appears once iptables has touched it: ignored)
# fetch http://HOST:PORT/PATH: the body, retrying for up to 5 s while the server
# starts.  HTTP/1.0 through bash's /dev/tcp, each try limited to 5 s: no python3
# (its start costs about 0.4 s in a TCG guest, and this runs 16 times), and busybox's
# static wget crashes in glibc's resolver on some hosts.
fetch() {
	local i out hp=${1#http://}
	local host=${hp%%:*} rest=${hp#*:}
	for i in $(seq 50); do
		out=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
			printf "GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$0" >&3
			IFS= read -r l <&3
			case $l in "HTTP/1."?" 200 "*) ;; *) echo "${l%$'"'\\r'"'}" >&2; exit 1 ;; esac
			while IFS= read -r l <&3 && [ -n "${l%$'"'\\r'"'}" ]; do :; done
			while IFS= read -r l <&3; do printf "%s\n" "$l"; done; printf "%s" "$l"' \
			"$host" "${rest%%/*}" "${rest#*/}" 2>&1) && { printf '%s\n' "$out"; return 0; }
		sleep 0.1
	done
	echo "fetch failed: $out"
}
# tcp_open HOST PORT SECS: true when a TCP connection to HOST:PORT opens within SECS
# (bash's /dev/tcp: a refused one fails at once, a dropped SYN waits SECS)
tcp_open() { timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
rules() { ipt_save | grep -E '^(-A |:[^ ]+ - )' | sed 's/\[[0-9:]*\]//'; }
# leftover NAME: the lease or a port rule of a container, and the host end of its
# veth (alias diyc:NAME; the kernel removes an exited container's pair while it
# destroys the namespace, so that is waited for, up to 90 s: in the legacy TCG guest,
# without a PID namespace, lp's outlived 30 s, for a reason not found yet; a note
# says how long when it took over 3 s).
# Host ends that no lease owns are named on stderr, not failed here: the kernel may
# take longer for another container's namespace, and the suite's final leftover
# check (tests/leftovers.sh: links named or aliased diyc) fails on any that stays.
leftover() {
	grep -s " $1 " "$DIYC_ROOT/net/leases"
	ipt_save | grep -E "diyc:$1\"? "
	local i
	[ -n "${LEFTOVER_NO_VETH:-}" ] && return
	for i in $(seq 900); do
		ip -o link | grep -Eq "alias diyc:$1( |$)" || break
		sleep 0.1
	done
	[ "$i" -gt 30 ] && echo "# note: the veth of $1 took $((i / 10)) s to go" >&2
	ip -o link | grep -Eo "^[0-9]+: dv[0-9a-f]{8}@.*alias diyc:$1( |$)" | sed 's/@.*//; s/^/veth left: /'
	# what could still hold its namespace: a process of its cgroup
	local p l
	for p in /proc/[0-9]*; do # (builtins: a process per process is slow in the guests)
		mapfile -t l 2>/dev/null <"$p/cgroup" || continue
		case " ${l[*]} " in *"diyc-$1 "*) cmdline_of "${p#/proc/}"; echo "process of $1 left: ${p#/proc/} $REPLY" ;; esac
	done
	ip -o link | awk -F': ' '$2 ~ /^dv[0-9a-f]{8}@/ {sub(/@.*/, "", $2); print $2}' |
		grep -vxF -f <(awk '{print $4}' "$DIYC_ROOT/net/leases" 2>/dev/null; echo none) |
		sed 's/^/# note: a host veth end no lease owns (yet): /' >&2
}

# --- before setup
d run --rm --net bridge n1 busybox true
expect "--net bridge before setup: a clear error" 125
case $errout in *"diyc net setup"*) ok "the error says what to run" ;; *) fail "setup hint" "$errout" ;; esac
d run --rm -p 8080:80 n1 busybox true
expect "-p without a bridge is refused" 125

# --- setup, twice, and the rule set
before=$(rules)
d net setup
expect "net setup" 0 'bridge diyc0 10.203.0.1/16'
first=$(rules)
d net setup
second=$(rules)
[ "$first" = "$second" ] && ok "setup twice gives the same rule set" || fail "setup not idempotent" "$(diff <(echo "$first") <(echo "$second"))"
# what is in place comes from one iptables-save of the backend (IPTABLES-save); an
# iptables without that sibling (DIYC_IPTABLES here) is asked jump by jump (-C, -S)
iptables_bin=$(jget "$T/full.json" 'd["network"]["iptables"]')
mkdir -p "$T/nosave" && ln -sf "$(readlink -f "${iptables_bin:-$(command -v iptables)}")" "$T/nosave/iptables"
DIYC_IPTABLES=$T/nosave/iptables d net setup
[ "$rc" = 0 ] && [ "$(rules)" = "$first" ] && ok "without iptables-save: asked rule by rule, the same rule set" ||
	fail "setup without iptables-save" "rc=$rc $errout $(diff <(echo "$first") <(rules))"
printf '%s\n' "$first" | grep -q -- '-A DIYC-POSTROUTING -s 10.203.0.0/16 ! -o diyc0 .*MASQUERADE' && ok "NAT rule in its own chain" || fail "nat rule" "$first"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] && ok "forwarding on (in the test namespace)" || fail "ip_forward"
backend=$(jget "$T/full.json" 'd["network"]["iptables_backend"]')
d net status
expect "net status names the iptables backend the probe chose ($backend)" 0 "iptables $backend\$"
if [ "$backend" = nft ] || [ "$backend" = legacy ]; then
	"iptables-$backend-save" 2>/dev/null | grep -q '^-A DIYC-POSTROUTING' && ok "the rules live in iptables-$backend" ||
		fail "rules not in iptables-$backend" "$(ipt_save)"
else
	fail "the probe chose a backend" "network.iptables_backend=$backend: $(jget "$T/full.json" 'd["network"]["iptables_nat"]')"
fi
d net setup --subnet 10.99.0.0/16
expect "setup with another subnet is refused while set up" 125
d net setup --subnet 10.99.0.1/16
expect "a subnet with host bits is refused" 125

# --- containers on the bridge
d run -d n1 busybox httpd -f -p 8080 -h /etc
expect "a bridged container starts (default mode after setup)" 0
ip1=$(awk '$2 == "n1" {print $1}' "$DIYC_ROOT/net/leases")
[ -n "$ip1" ] && ok "n1 leased $ip1" || fail "no lease for n1"
fetch "http://$ip1:8080/hostname" >/dev/null # until httpd listens
d run --rm n2 busybox sh -c "ping -c1 -W2 $ip1 >/dev/null && echo ping-ok; wget -qO- http://$ip1:8080/hostname"
expect "container to container: ping" 0 '^ping-ok$'
printf '%s\n' "$out" | grep -qx "$(cname n1)" && ok "container to container: TCP" || fail "tcp c2c" "$out $errout"
d run --rm n2 busybox cat /etc/hosts
expect "/etc/hosts names the container's address" 0 "^10\.203\.[0-9.]+\s+$(cname n2)\$"
# the outside world sees the host's address (NAT)
ip netns exec "$OUT" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 9000)); s.listen(1); s.settimeout(10)
c, a = s.accept(); c.sendall((a[0] + "\n").encode()); c.close()' >/dev/null 2>&1 &
srv=$!
for i in $(seq 50); do ip netns exec "$OUT" ss -ltn 2>/dev/null | grep -q ':9000 ' && break; sleep 0.1; done
d run --rm n3 busybox nc 192.0.2.2 9000
expect "container to outside through NAT: the outside sees 192.0.2.1" 0 '^192\.0\.2\.1$'
wait $srv 2>/dev/null

# unsolicited traffic from outside into the subnet is dropped, even with a route
ip -n "$OUT" route add 10.203.0.0/16 via 192.0.2.1 2>/dev/null
if ip netns exec "$OUT" bash -c "$(declare -f tcp_open); tcp_open $ip1 8080 1"; then
	fail "unsolicited traffic let in"
else
	ok "outside cannot reach a container's address directly"
fi
ip -n "$OUT" route del 10.203.0.0/16 2>/dev/null
ip -o link | grep -q "alias diyc:n1" && ok "the host end of n1's veth says whose it is" || fail "veth alias" "$(ip -o link | grep dv)"

# --- a kernel that refuses IFLA_MASTER in the request creating the veth (4.4), injected
out=$(DIYC_FAULT=veth_onestep "$DIYC" -v run --rm n9 busybox sh -c 'ping -c1 -W2 10.203.0.1 >/dev/null && echo gw-ok' 2>"$T/err"); rc=$?; errout=$(cat "$T/err")
expect "veth refused on the bridge at creation (4.4): created, then enslaved; the gateway answers" 0 '^gw-ok$'
case $errout in *"create, then enslave"*) ok "and -v says which form it took" ;; *) fail "no word of the fallback" "$errout" ;; esac
derive_set twostep.json 'network.veth_on_bridge.form="two-step"'
out=$(DIYC_FAULT=veth_onestep "$DIYC" -v run --rm --profile "$T/twostep.json" n9 busybox sh -c 'ping -c1 -W2 10.203.0.1 >/dev/null && echo gw-ok' 2>"$T/err"); rc=$?; errout=$(cat "$T/err")
expect "a profile saying two-step: the veth is enslaved after creation" 0 '^gw-ok$'
case $errout in *"refused a veth"*) fail "the one-step request was still tried" "$errout" ;; *) ok "and the request bound to fail is not made" ;; esac
DIYC_FAULT=nonsense "$DIYC" run --rm n9 busybox true 2>/dev/null
[ $? = 125 ] && ok "an unknown DIYC_FAULT is an error" || fail "unknown DIYC_FAULT accepted"
[ -z "$(leftover n9)" ] && ok "the two-step runs leave no veth, lease or rule" || fail "n9 leftovers" "$(leftover n9)"

# --- an uninitialised random pool (4.4 under QEMU for minutes): getrandom must not block
out=$("$NONS" --entropy-starved -- "$DIYC" run --rm n10 busybox sh -c 'ip -4 -o addr show eth0' 2>"$T/err"); rc=$?; errout=$(cat "$T/err")
expect "getrandom starved (a blocking call would kill): a bridged run still starts" 0 'inet 10\.203\.'

# --- published ports
d run -d -p 8081:8080 n4 busybox httpd -f -p 8080 -h /etc
expect "run -d -p 8081:8080" 0
sleep 0.3
got=$(fetch http://192.0.2.1:8081/hostname)
same "published port reachable from the host" "$got" "$(cname n4)"
got=$(ip netns exec "$OUT" bash -c "$(declare -f fetch); fetch http://192.0.2.1:8081/hostname")
same "published port reachable from outside" "$got" "$(cname n4)"
d run --rm n2 busybox wget -qO- http://192.0.2.1:8081/hostname
expect "published port reachable from another container" 0 "^$(cname n4)\$"
d run -d -p 8081:80 n5 busybox true
expect "the same host port twice is refused" 125
d run --rm -p 99999:80 n5 busybox true
expect "a bad -p is refused" 125

# --- --ip
d run --rm --ip 10.203.200.7 n5 busybox sh -c 'ip -4 -o addr show eth0'
expect "--ip gives that address" 0 '10\.203\.200\.7/16'
d run --rm --ip "$ip1" n5 busybox true
expect "--ip of a taken address is refused" 125
d run --rm --ip 10.99.0.5 n5 busybox true
expect "--ip outside the subnet is refused" 125
[ -z "$(leftover n5)" ] && ok "refused runs leave no veth, lease or rule" || fail "n5 leftovers" "$(leftover n5)"

# --- stop: everything of the container goes
d stop -t 0 n4; d rm n4
[ -z "$(leftover n4)" ] && ok "after stop: no veth, lease or port rule" || fail "n4 leftovers" "$(leftover n4)"
# --- --restart on the bridge: a new veth pair each time, the same address and port
d run -d --restart on-failure:2 -p 8083:8080 nr busybox sh -c 'ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"; httpd -p 8080 -h /etc; sleep 0.5; exit 1'
expect "run -d --restart on-failure:2 on the bridge" 0
d wait nr
d logs nr
[ "$(printf '%s\n' "$out" | grep -c inet)" = 3 ] && [ "$(printf '%s\n' "$out" | sort -u | wc -l)" = 1 ] &&
	ok "restarted twice on the bridge, with the same address each time" || fail "bridged restart" "$out"
d rm nr
if [ "$(jget "$T/full.json" 'd["namespaces"]["pid"]["status"]')" = yes ]; then
	[ -z "$(leftover nr)" ] && ok "after a restarted container: no veth, lease or port rule" || fail "nr leftovers" "$(leftover nr)"
else # the legacy guest: as lp's below, its veth outlived 90 s (cause not found)
	[ -z "$(LEFTOVER_NO_VETH=1 leftover nr)" ] && ok "after a restarted container: no lease or port rule" || fail "nr leftovers" "$(LEFTOVER_NO_VETH=1 leftover nr)"
	skip "nr's veth gone after its last run" "known on a kernel without PID namespaces: it outlives 90 s (cause not found)"
fi
# --- kill -9 of diyc, then gc
d run -d -p 8082:8080 n6 busybox httpd -f -p 8080
sup=$($JGET /run/diyc/n6/state.json supervisor)
kill -9 "$sup"
sleep 0.5
[ -n "$(leftover n6)" ] && ok "a killed diyc leaves its network behind (for gc)" || fail "a killed diyc left no lease" "$(cat "$DIYC_ROOT/net/leases")"
d gc
expect "gc after kill -9" 0
[ -z "$(leftover n6)" ] && ok "after gc: no veth, lease or port rule" || fail "n6 leftovers" "$(leftover n6)"
grep -qw n6 "$DIYC_ROOT/net/dns/bridge.hosts" && fail "gc left n6 in the DNS hosts file" || ok "and gc took its name out of DNS"

# --- 50 containers at once (NET_CONCURRENT: fewer in the QEMU guests, where TCG
# makes each start ~3x slower)
N=${NET_CONCURRENT:-50}
for i in $(seq $N); do
	# each stays up a while, so all 50 hold their addresses at the same time
	"$DIYC" run --rm "m$i" busybox sh -c 'ip -4 -o addr show eth0; sleep 3' >"$T/m$i.out" 2>&1 &
done
wait
okc=$(grep -l 'inet 10\.203\.' "$T"/m*.out | wc -l)
uniq=$(grep -ho 'inet 10\.203\.[0-9.]*' "$T"/m*.out | sort -u | wc -l)
[ "$okc" = "$N" ] && ok "$N concurrent containers all started" || fail "concurrent starts" "$okc of $N: $(grep -L 'inet 10' "$T"/m*.out | head -3 | xargs cat)"
[ "$uniq" = "$okc" ] && ok "and got $uniq unique addresses" || fail "duplicate addresses" "$uniq unique of $okc"
left=$(grep ' m[0-9]' "$DIYC_ROOT/net/leases"; leftover m1)
[ -z "$left" ] && ok "nothing left of the $N" || fail "leftovers of the $N" "$left"

# --- no network namespace: bridge is an error, host works
probe_json "$T/nonet.json" --net
d run --rm --profile "$T/nonet.json" --net bridge n7 busybox true
expect "--net bridge without network namespaces: a clear error" 125
d run --rm --profile "$T/nonet.json" --net host n7 busybox true
expect "--net host works without network namespaces" 0

# --- the bridge vanished (as after a reboot): unbridged with a warning, or a clear error
ip link del diyc0
d run --rm n8 busybox true
expect "bridge gone: the default run still works" 0
case $errout in *"bridge diyc0 is gone"*) ok "and says the bridge is gone" ;; *) fail "no warning" "$errout" ;; esac
d run --rm --net bridge n8 busybox true
expect "bridge gone: --net bridge is a clear error" 125
d net setup
expect "setup again restores it" 0

# --- published ports on 127.0.0.1, on one host address, ranges, UDP; diyc port
d run -d -p 8085:8080 -p 127.0.0.1:8086-8087:9000-9001 -p 192.0.2.1:8088:8080 -p 8090-8091:8090-8091 -p 8089:8089/udp \
	lp busybox sh -c 'for p in 8080 9000 9001 8090 8091; do httpd -p $p -h /etc; done; sleep 600'
expect "run -d with five kinds of -p" 0
fetch http://192.0.2.1:8085/hostname >/dev/null
same "a published port answers on 127.0.0.1 (route_localnet + masquerade)" "$(fetch http://127.0.0.1:8085/hostname)" "$(cname lp)"
same "and on the host's address" "$(fetch http://192.0.2.1:8085/hostname)" "$(cname lp)"
same "127.0.0.1:8086-8087:9000-9001: the first port of the range" "$(fetch http://127.0.0.1:8086/hostname)" "$(cname lp)"
same "and the last" "$(fetch http://127.0.0.1:8087/hostname)" "$(cname lp)"
refused_conn() { tcp_open "$1" "$2" 1 && echo open || echo closed; }
same "a port bound to 127.0.0.1 is not published on the host's other addresses" "$(refused_conn 192.0.2.1 8086)" closed
got=$(ip netns exec "$OUT" bash -c "$(declare -f tcp_open refused_conn); refused_conn 192.0.2.1 8086")
same "nor reachable from outside" "$got" closed
same "192.0.2.1:8088:8080 answers on that address" "$(fetch http://192.0.2.1:8088/hostname)" "$(cname lp)"
same "and not on 127.0.0.1" "$(refused_conn 127.0.0.1 8088)" closed
same "8090-8091:8090-8091 (same numbers): the second port" "$(fetch http://127.0.0.1:8091/hostname)" "$(cname lp)"
nrules=$(ipt_save | grep -c -- '--dport 8090:8091 .*diyc:lp')
same "a range with the same numbers is one DNAT rule" "$nrules" 1
# UDP: nothing in busybox listens on UDP; the datagram's arrival in the container's
# namespace shows in its UDP counters (NoPorts: it arrived at a closed port)
udp_noports() { "$DIYC" exec lp cat /proc/net/snmp | awk '/^Udp: [0-9]/ {print $3}'; }
before_udp=$(udp_noports)
for i in 1 2 3; do printf x >/dev/udp/127.0.0.1/8089; done
sleep 0.3
after_udp=$(udp_noports)
[ -n "$before_udp" ] && [ "$((after_udp - before_udp))" -ge 3 ] && ok "UDP to 127.0.0.1:8089/udp reaches the container" || fail "udp" "NoPorts $before_udp -> $after_udp"
d port lp
want="8080/tcp -> 0.0.0.0:8085
9000/tcp -> 127.0.0.1:8086
9001/tcp -> 127.0.0.1:8087
8080/tcp -> 192.0.2.1:8088
8090/tcp -> 0.0.0.0:8090
8091/tcp -> 0.0.0.0:8091
8089/udp -> 0.0.0.0:8089"
same "diyc port lists every published port" "$out" "$want"
d port n1
expect "diyc port of a container without ports: nothing" 0 '^$'
d port nosuch
refused "diyc port of no container" 125
d run --rm -p 8086:80 px busybox true
refused "a host port held on 127.0.0.1 is refused for every address"
d run --rm -p 8000-8001:80 px busybox true
refused "-p with ranges of different lengths"
d run --rm -p 10.9.9.9:8000:80 px busybox true
refused "-p on an address this host does not have"
d run --rm -p 80 px busybox true
refused "-p without a host port (no random port)"
d run --rm -p 1000-1200:2000-2200 px busybox true
refused "-p shifting more than 100 ports"
d run --rm -p 8000:80/sctp px busybox true
refused "-p with an unknown protocol"
d run --rm -p 8000:0 px busybox true
refused "-p with port 0"
[ -z "$(leftover px)" ] && ok "refused -p runs leave no veth, lease or rule" || fail "px leftovers" "$(leftover px)"

# --- route_localnet's trap (CVE-2020-8558): a peer on the bridge must not reach the
# host's loopback services through the gateway. A namespace stands for a container
# with CAP_NET_ADMIN: a route to 127.0.0.1 via the gateway.
python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7070)); s.listen(8); time.sleep(20)' &
lsrv=$!
rogue=diyc-rogue$$
ip netns add $rogue && ip link add rg$$h type veth peer name rgc netns $rogue
ip link set rg$$h master diyc0 up
ip -n $rogue addr add 10.203.255.250/16 dev rgc && ip -n $rogue link set rgc up
ip netns exec $rogue sh -c 'echo 1 >/proc/sys/net/ipv4/conf/rgc/route_localnet; echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet'
ip -n $rogue route add 127.0.0.1/32 via 10.203.0.1 dev rgc
reach() { ip netns exec $rogue bash -c "$(declare -f tcp_open); tcp_open 127.0.0.1 7070 2" && echo reached || echo blocked; }
same "a peer on the bridge cannot reach the host's 127.0.0.1 (DIYC-INPUT)" "$(reach)" blocked
"${iptables_bin:-iptables}" -w -F DIYC-INPUT
same "(without that rule it would: the test's route works)" "$(reach)" reached
d net setup
same "net setup puts the rule back" "$(reach)" blocked
ip netns del $rogue; kill $lsrv 2>/dev/null; wait $lsrv 2>/dev/null
d stop -t 0 lp; d rm lp
if [ "$(jget "$T/full.json" 'd["namespaces"]["pid"]["status"]')" = yes ]; then
	[ -z "$(leftover lp)" ] && ok "after stop: none of lp's port rules left, nor its veth" || fail "lp leftovers" "$(leftover lp)"
else
	# seen only in the legacy guest (6.1 without PID/UTS namespaces): lp's veth stays
	# over 90 s after the stop, no process found in its cgroup; the suite's final
	# leftover check sees it gone. Not understood yet: its rules and lease are checked,
	# the veth is named as a skip.
	[ -z "$(LEFTOVER_NO_VETH=1 leftover lp)" ] && ok "after stop: none of lp's port rules left, nor its lease" || fail "lp leftovers" "$(LEFTOVER_NO_VETH=1 leftover lp)"
	skip "lp's veth gone after the stop" "known on a kernel without PID namespaces: it outlives 90 s (cause not found)"
fi

# --- names that resolve: the network's dnsmasq
if ! command -v dnsmasq >/dev/null && [ ! -x /usr/sbin/dnsmasq ]; then
	fail "dnsmasq is installed (make deps: dnsmasq-base)" "the DNS tests need it"
else
dnspid=$(pids_by_cmdline "$DIYC_ROOT/net/dns/bridge.pid")
[ -n "$dnspid" ] && ok "net setup started a dnsmasq for the default network" || fail "no dnsmasq" "$(ps -ef | grep dnsmasq)"
d run -d --network-alias www --network-alias web.example web busybox httpd -f -p 8080 -h /etc
expect "run -d with two --network-alias" 0
webip=$(awk '$2 == "web" {print $1}' "$DIYC_ROOT/net/leases")
# answers TEXT: the addresses busybox nslookup printed, one line per query (- for none);
# the queries of one container are separated by "--" lines (fewer container starts:
# each costs seconds in the QEMU guests)
answers() { printf '%s\n' "$1" | awk '/^--$/ {print (a ? a : "-"); a = ""; next} /^Address/ && !/#53|:53$/ {a = $NF} END {print (a ? a : "-")}'; }
lookup() { answers "$("$DIYC" run --rm "$@" 2>&1 | grep -v 'warning: degraded')" | tail -1; }
d run --rm q1 busybox sh -c 'nslookup web; echo --; nslookup www; echo --; nslookup web.example; echo --
	wget -qO- http://www:8080/hostname; cat /etc/resolv.conf'
got=$(answers "$out" | head -3)
same "another container resolves web by name, by its alias www and by web.example" "$(echo $got)" "$webip $webip $webip"
printf '%s\n' "$out" | grep -qx "$(cname web)" && ok "wget http://www:8080/ from another container" || fail "wget by alias" "$out"
printf '%s\n' "$out" | grep -qx 'nameserver 10\.203\.0\.1' && ok "the container's resolver is the gateway's dnsmasq" || fail "resolv.conf" "$out"
d stop -t 0 web; d rm web
got=$("$DIYC" run --rm q1 busybox nslookup web 2>&1)
case $got in *"can't find web"*) ok "a stopped container's name no longer resolves" ;; *) fail "name left in DNS" "$got" ;; esac
grep -q web "$DIYC_ROOT/net/dns/bridge.hosts" && fail "hosts file keeps web" || ok "and its line left the hosts file"

# upstream: the host's resolv.conf names systemd-resolved's stub, which containers
# cannot reach; dnsmasq forwards to resolved's upstream list instead (here an
# upstream DNS server in the "outside" namespace that knows outside.test)
ip netns exec "$OUT" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --listen-address=192.0.2.2 \
	--bind-interfaces --address=/outside.test/192.0.2.99 --pid-file="$T/up.pid" --user=root
printf 'nameserver 127.0.0.53\noptions edns0\nsearch corp.test\n' >"$T/etc-resolv.conf"
printf 'nameserver 192.0.2.2\nsearch corp.test\n' >"$T/resolved.conf"
export DIYC_RESOLV_CONF=$T/etc-resolv.conf DIYC_RESOLVED_CONF=$T/resolved.conf
d net setup
d network inspect bridge
case $out in *"\"upstream\": \"$T/resolved.conf\""*) ok "with 127.0.0.53 in resolv.conf, dnsmasq's upstream is resolved's list" ;; *) fail "upstream" "$out" ;; esac
d run --rm q2 busybox sh -c 'cat /etc/resolv.conf; nslookup outside.test'
same "a container resolves an outside name through its network's dnsmasq" "$(answers "$out")" 192.0.2.99
printf '%s\n' "$out" | grep -qx 'search corp\.test' && ok "its resolv.conf keeps the host's search line" || fail "search line" "$out"
d run --rm --dns 192.0.2.2 --dns-search a.test --dns-search b.test q2 busybox sh -c 'cat /etc/resolv.conf; echo --; nslookup outside.test'
same "--dns and --dns-search replace the resolver and search list" "$(printf '%s\n' "$out" | sed '/^--$/q' | grep -v -e '^options' -e '^--$')" "nameserver 192.0.2.2
search a.test b.test"
same "--dns 192.0.2.2: the container asks that server directly" "$(answers "$out" | tail -1)" 192.0.2.99
d run --rm --add-host db.local:10.1.2.3 --add-host gw:host-gateway --add-host v6:fd00::1 q2 busybox cat /etc/hosts
printf '%s\n' "$out" | grep -qx $'10.1.2.3\tdb.local' && printf '%s\n' "$out" | grep -qx $'10.203.0.1\tgw' &&
	printf '%s\n' "$out" | grep -qx $'fd00::1\tv6' && ok "--add-host lines in /etc/hosts (host-gateway is the gateway)" || fail "add-host" "$out"
d run --rm --net none --dns 192.0.2.2 q2 busybox cat /etc/resolv.conf
expect "--dns is written even without a network (as docker)" 0 '^nameserver 192\.0\.2\.2$'
unset DIYC_RESOLV_CONF DIYC_RESOLVED_CONF

# a dead dnsmasq is started again by the next container, with a warning
kill -9 "$(pids_by_cmdline "$DIYC_ROOT/net/dns/bridge.pid")"
sleep 0.2
d net status
expect "net status reports a dead dnsmasq" 0 'dns DEAD'
d run --rm --network-alias again q3 busybox sh -c 'nslookup again >/dev/null && echo resolved'
case $errout in *"was not running: started again"*) ok "the next start says it started dnsmasq again" ;; *) fail "no warning" "$errout" ;; esac
expect "and names resolve again" 0 '^resolved$'
d run -d --network-alias again2 q3 busybox sleep 30
same "a dnsmasq restarted by a container's start takes SIGHUP (names of later starts)" "$(lookup q4 busybox nslookup again2)" "$(awk '$2 == "q3" {print $1}' "$DIYC_ROOT/net/leases")"
d stop -t 0 q3; d rm q3

for bad in "--dns nonsense" "--dns-search bad..name" "--add-host nocolon" "--add-host x:notanip" "--network-alias bad_alias!" "--net no-such-net" "--net bad/name"; do
	d run --rm $bad qb busybox true
	refused "refused: $bad"
done
[ -z "$(leftover qb)" ] && ok "refused name options leave nothing" || fail "qb leftovers" "$(leftover qb)"
ip netns exec "$OUT" kill "$(cat "$T/up.pid")" 2>/dev/null
fi

# --- named networks: each its own bridge, subnet and dnsmasq; isolated from each other
d network create front
expect "network create front (first free 10.204.N.0/24)" 0 '^front: bridge diyc-front 10\.204\.0\.0/24'
d network create back --subnet 10.205.0.0/24
expect "network create back --subnet 10.205.0.0/24" 0 'diyc-back 10\.205\.0\.0/24'
d network create vault --internal
expect "network create vault --internal" 0 'internal'
d network create a-network-name-longer-than-ten
expect "a long name gets a hashed bridge name" 0 'bridge diyc-[0-9a-f]{8} '
d network ls
expect "network ls lists the default network" 0 '^bridge +diyc0 +10\.203\.0\.0/16 +no '
printf '%s\n' "$out" | grep -Eq '^vault +diyc-vault +10\.204\.1\.0/24 +yes +0 +running$' && ok "and an internal one with its DNS running" || fail "ls" "$out"
d network rm a-network-name-longer-than-ten
expect "network rm" 0
d run -d --net front fweb busybox httpd -f -p 8080 -h /etc
d run -d --net back bweb busybox httpd -f -p 8080 -h /etc
d run -d --net vault vweb busybox httpd -f -p 8080 -h /etc
fip=$(awk '$2 == "fweb" {print $1}' "$DIYC_ROOT/net/leases"); bip=$(awk '$2 == "bweb" {print $1}' "$DIYC_ROOT/net/leases")
case $fip in 10.204.0.*) ok "a container on front gets an address of front ($fip)" ;; *) fail "front address" "$fip" ;; esac
fetch "http://$fip:8080/hostname" >/dev/null
d run --rm --net front f2 busybox wget -qO- http://fweb:8080/hostname
expect "on front, fweb is reached by name" 0 "^$(cname fweb)\$"
# reach_from NET IP [CMD]: open or closed, port 8080 of IP seen from a container on NET
# (a dropped SYN: nc -w 1 gives up after a second), then CMD's output
reach_from() {
	"$DIYC" run --rm --net "$1" rx busybox sh -c "nc -w 1 $2 8080 </dev/null >/dev/null 2>&1 && echo open || echo closed; ${3:-}" 2>&1 | grep -v 'warning: degraded'
}
same "bridge -> front by address: blocked" "$(reach_from bridge "$fip" | head -1)" closed
same "(the same probe from front itself: open)" "$(reach_from front "$fip" | head -1)" open
same "front -> back by address: blocked" "$(reach_from front "$bip" | head -1)" closed
got=$(reach_from back "$fip" "nslookup fweb")
same "back -> front by address: blocked" "$(printf '%s\n' "$got" | head -1)" closed
case $got in *"can't find fweb"*) ok "back does not resolve front's names" ;; *) fail "cross-network name" "$got" ;; esac
# an outside server that tells each client its address, for front and for vault
ip netns exec "$OUT" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 9001)); s.listen(4); s.settimeout(15)
for i in range(2):
    c, a = s.accept(); c.sendall((a[0] + "\n").encode()); c.close()' >/dev/null 2>&1 &
srv=$!
for i in $(seq 50); do ip netns exec "$OUT" ss -ltn 2>/dev/null | grep -q ':9001 ' && break; sleep 0.1; done
d run --rm --net front f3 busybox nc 192.0.2.2 9001
expect "front reaches outside through NAT" 0 '^192\.0\.2\.1$'
d run --rm --net vault v2 busybox sh -c 'ip route; wget -qO- http://vweb:8080/hostname; nc -w 2 192.0.2.2 9001 </dev/null || echo no-way-out; nslookup outside.test'
printf '%s\n' "$out" | grep -q '^default' && fail "internal network has a default route" "$out" || ok "vault (internal): no default route"
printf '%s\n' "$out" | grep -qx "$(cname vweb)" && ok "vault: its containers reach each other by name" || fail "vault names" "$out $errout"
printf '%s\n' "$out" | grep -qx no-way-out && ! printf '%s\n' "$out" | grep -q '^192\.0\.2\.' && ok "vault: no way out (the outside server is listening)" || fail "vault out" "$out"
kill $srv 2>/dev/null; wait $srv 2>/dev/null
case $out in *192.0.2.99*) fail "an internal network forwards DNS out" "$out" ;; *"can't find outside.test"*) ok "vault: names outside do not resolve (no upstream)" ;; *) fail "vault lookup" "$out" ;; esac
d run --rm --net vault -p 8095:80 v3 busybox true
refused "-p on an internal network"
d network inspect front
python3 -c '
import json, sys
n = json.loads(sys.argv[1])[0]
assert n["name"] == "front" and n["bridge"] == "diyc-front" and n["subnet"] == "10.204.0.0/24", n
assert n["gateway"] == "10.204.0.1" and n["internal"] is False and n["dns"]["state"] == "running", n
assert list(n["containers"]) == ["fweb"] and n["containers"]["fweb"]["address"] == sys.argv[2], n
' "$out" "$fip" && ok "network inspect: JSON with subnet, DNS, containers" || fail "inspect" "$out"
d network rm front
refused "network rm of a network in use"
for bad in "create bridge" "create front" "create bad.name" "create -x" "create x1 --subnet 10.203.7.0/24" "create x2 --subnet 10.205.0.0/28" \
	"create x3 --subnet 300.1.0.0/16" "create x4 --subnet 10.206.0.1/24" "rm nosuch" "rm bridge" "inspect nosuch" "frobnicate"; do
	d network $bad
	refused "network $bad: refused"
done
ls "$DIYC_ROOT/net/networks" | grep -q '^x' && fail "a refused create left a config" || ok "refused creates leave no configuration"
ip -o link | grep -q 'diyc-x' && fail "a refused create left a bridge" || ok "and no bridge"
for c in fweb bweb vweb; do d stop -t 0 $c; d rm $c; done
d network rm front back
expect "network rm of two networks" 0
ip link show diyc-front >/dev/null 2>&1 && fail "bridge diyc-front left" || ok "their bridges are gone"
[ -z "$(pids_by_cmdline "$DIYC_ROOT/net/dns/front.pid")" ] && ok "and their dnsmasq" || fail "dnsmasq of front left"
d network create front2 --subnet 10.204.0.0/24
expect "a removed network's subnet is free again" 0

# --- clean: every network diyc made (a jump put in twice by hand goes too: each one
# iptables-save shows is deleted)
d stop -t 0 n1; d rm n1
"${iptables_bin:-iptables}" -w -A FORWARD -m comment --comment diyc -j DIYC-FORWARD
d net clean
expect "net clean" 0
ip -o link | grep -q ': diyc' && fail "a diyc bridge left" "$(ip -o link | grep ': diyc')" || ok "no diyc bridge left (default and named)"
[ -z "$(pids_by_cmdline "$DIYC_ROOT/net/dns/")" ] && ok "no dnsmasq left" || fail "dnsmasq left" "$(pids_by_cmdline "$DIYC_ROOT/net/dns/")"
left=$(ls "$DIYC_ROOT/net/dns" "$DIYC_ROOT/net/networks" 2>/dev/null | grep -v ':$' | grep .)
[ -z "$left" ] && ok "no network file left" || fail "files left" "$left"
after=$(rules)
[ "$after" = "$before" ] && ok "clean leaves the rule set as before setup" || fail "rules after clean" "$(diff <(echo "$before") <(echo "$after"))"
ip link show diyc0 >/dev/null 2>&1 && fail "bridge left" || ok "bridge removed"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] && ok "forwarding restored" || fail "ip_forward not restored"

# --- each iptables backend the probe found able to program this kernel, chosen by profile
for b in nft legacy; do
	other=$([ $b = nft ] && echo legacy || echo nft)
	st=$(jget "$T/full.json" "d['network']['iptables_$b']['status']")
	if [ "$st" != yes ]; then
		skip "net setup, -p and clean through iptables-$b" "the probe: $(jget "$T/full.json" "d['network']['iptables_$b']['evidence']")"
		continue
	fi
	derive "ipt-$b.json" '.network |= (.iptables_backend = $b | .iptables_restore = .["iptables_" + $b].restore
		| .iptables = (.iptables_restore | rtrimstr("-restore")))' --arg b "$b"
	d net setup --profile "$T/ipt-$b.json"
	expect "net setup through iptables-$b (profile)" 0
	"iptables-$b-save" | grep -q '^-A DIYC-POSTROUTING' && ! { "iptables-$other-save" 2>/dev/null | grep -qi diyc; } &&
		ok "its rules are in iptables-$b only" || fail "rules of $b" "$(ipt_save)"
	d run -d -p 8083:8080 nb busybox httpd -f -p 8080 -h /etc
	got=$(fetch http://192.0.2.1:8083/hostname)
	[ "$got" = "$(cname nb)" ] && "iptables-$b-save" | grep -Eq 'diyc:nb"? ' && ok "a published port through iptables-$b" ||
		fail "published port through $b" "$got $(ipt_save | grep diyc:nb)"
	d stop -t 0 nb; d rm nb
	d net clean
	expect "net clean (iptables-$b)" 0
	left=$(ipt_save | grep -i diyc)
	[ -z "$left" ] && ok "clean removed every rule of iptables-$b" || fail "rules left in $b" "$left"
done

# --- no backend can program the kernel: refused before anything is made
derive ipt-none.json '.network |= (.iptables_backend = "none"
	| .iptables_nft.evidence = "TABLE_ADD failed (No such file or directory): table nat"
	| .iptables_legacy.evidence = "can'"'"'t initialize iptables table `nat'"'"'")'
d net setup --profile "$T/ipt-none.json"
expect "no usable iptables backend: net setup refused" 125
case $errout in *"TABLE_ADD failed"*"can't initialize"*) ok "the refusal keeps what each backend said" ;; *) fail "refusal text" "$errout" ;; esac
ip link show diyc0 >/dev/null 2>&1 && fail "a bridge was made" || ok "no bridge made"

# --- iptables-restore fails: the line that says what failed is kept, nothing half-made
printf '#!/bin/sh\ncat >/dev/null\necho "iptables-restore v1.8.9 (nf_tables): " >&2\necho "line 4: RULE_INSERT failed (Invalid argument): rule in chain FORWARD" >&2\nexit 4\n' >"$T/fake-restore"
chmod 755 "$T/fake-restore"
out=$(DIYC_IPTABLES_RESTORE=$T/fake-restore "$DIYC" net setup 2>"$T/err"); rc=$?; errout=$(cat "$T/err")
expect "a failing iptables-restore fails net setup" 125
case $errout in *"(nf_tables): line 4: RULE_INSERT failed (Invalid argument): rule in chain FORWARD"*) ok "the error keeps the line that says what failed" ;; *) fail "error text" "$errout" ;; esac
ip link show diyc0 >/dev/null 2>&1 && fail "the bridge was left" || ok "the failed setup removed its bridge"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] && ok "and restored forwarding" || fail "ip_forward left on"
[ -e "$DIYC_ROOT/net/config" ] && fail "a config was written" || ok "and wrote no configuration"
done_testing
