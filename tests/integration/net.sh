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
harness --outside --need ip --need iptables-restore "network tests" "$0" "$@"
OUT=$DIYC_OUTSIDE
probe_json "$T/full.json"
# every diyc here reads (and, stale, rewrites) this profile, not the machine's:
# `ip netns exec` mounts a sysfs of its own, without /sys/fs/cgroup
export DIYC_PROFILE=$T/full.json
if [ "$(jget "$T/full.json" 'd["namespaces"]["net"]["status"]')" != yes ]; then
	skip "bridged networking" "this kernel has no usable network namespace"
	done_testing
	exit
fi
# the host name container NAME sees: its own, or the host's on a kernel without UTS ns
host=$(hostname)
cname() { if [ "$(jget "$T/full.json" 'd["namespaces"]["uts"]["status"]')" = yes ]; then echo "$1"; else echo "$host"; fi; }
# rules and user chains (an empty table appears once iptables has touched it: ignored)
# fetch URL: the body, retrying for up to 5 s while the server starts
fetch() { python3 -c '
import sys, time, urllib.request
for i in range(50):
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip()); break
    except OSError as e:
        err = e; time.sleep(0.1)
else:
    print("fetch failed:", err)' "$1" 2>&1; }
rules() { ipt_save | grep -E '^(-A |:[^ ]+ - )' | sed 's/\[[0-9:]*\]//'; }
# leftover NAME: the lease or a port rule of a container, and any host veth end
# that no lease owns (the kernel removes an exited container's pair while it
# destroys the namespace, so that is waited for, up to 3 s)
leftover() {
	grep -s " $1 " "$DIYC_ROOT/net/leases"
	ipt_save | grep -E "diyc:$1\"? "
	local i extra
	for i in $(seq 30); do
		extra=$(ip -o link | awk -F': ' '$2 ~ /^dv[0-9a-f]{8}@/ {sub(/@.*/, "", $2); print $2}' |
			grep -vxF -f <(awk '{print $4}' "$DIYC_ROOT/net/leases" 2>/dev/null; echo none))
		[ -z "$extra" ] && return
		sleep 0.1
	done
	echo "veth without a lease: $extra"
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
if ip netns exec "$OUT" python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], 8080), timeout=1)' "$ip1" 2>/dev/null; then
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
python3 - "$T" <<'PY'
import json, sys
p = json.load(open(sys.argv[1] + "/full.json"))
p["network"]["veth_on_bridge"]["form"] = "two-step"
json.dump(p, open(sys.argv[1] + "/twostep.json", "w"))
PY
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
d stop -t 1 n4; d rm n4
[ -z "$(leftover n4)" ] && ok "after stop: no veth, lease or port rule" || fail "n4 leftovers" "$(leftover n4)"
# --- kill -9 of diyc, then gc
d run -d -p 8082:8080 n6 busybox httpd -f -p 8080
sup=$(python3 -c 'import json; print(json.load(open("/run/diyc/n6/state.json"))["supervisor"])')
kill -9 "$sup"
sleep 0.5
[ -n "$(leftover n6)" ] && ok "a killed diyc leaves its network behind (for gc)" || fail "a killed diyc left no lease" "$(cat "$DIYC_ROOT/net/leases")"
d gc
expect "gc after kill -9" 0
[ -z "$(leftover n6)" ] && ok "after gc: no veth, lease or port rule" || fail "n6 leftovers" "$(leftover n6)"

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

# --- clean
d stop -t 1 n1; d rm n1
d net clean
expect "net clean" 0
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
	python3 - "$T" $b <<'PY'
import json, sys
t, b = sys.argv[1], sys.argv[2]
p = json.load(open(t + "/full.json"))
n = p["network"]
n["iptables_backend"] = b
n["iptables_restore"] = n["iptables_" + b]["restore"]
n["iptables"] = n["iptables_restore"][: -len("-restore")]
json.dump(p, open(f"{t}/ipt-{b}.json", "w"))
PY
	d net setup --profile "$T/ipt-$b.json"
	expect "net setup through iptables-$b (profile)" 0
	"iptables-$b-save" | grep -q '^-A DIYC-POSTROUTING' && ! { "iptables-$other-save" 2>/dev/null | grep -qi diyc; } &&
		ok "its rules are in iptables-$b only" || fail "rules of $b" "$(ipt_save)"
	d run -d -p 8083:8080 nb busybox httpd -f -p 8080 -h /etc
	got=$(fetch http://192.0.2.1:8083/hostname)
	[ "$got" = "$(cname nb)" ] && "iptables-$b-save" | grep -Eq 'diyc:nb"? ' && ok "a published port through iptables-$b" ||
		fail "published port through $b" "$got $(ipt_save | grep diyc:nb)"
	d stop -t 1 nb; d rm nb
	d net clean
	expect "net clean (iptables-$b)" 0
	left=$(ipt_save | grep -i diyc)
	[ -z "$left" ] && ok "clean removed every rule of iptables-$b" || fail "rules left in $b" "$left"
done

# --- no backend can program the kernel: refused before anything is made
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
p = json.load(open(t + "/full.json"))
n = p["network"]
n["iptables_backend"] = "none"
n["iptables_nft"]["evidence"] = "TABLE_ADD failed (No such file or directory): table nat"
n["iptables_legacy"]["evidence"] = "can't initialize iptables table `nat'"
json.dump(p, open(t + "/ipt-none.json", "w"))
PY
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
