#!/usr/bin/env bash
# Benchmark of bridged networking (make bench): `diyc run --rm --net bridge` (with
# its DNS registration: the hosts file rewritten, dnsmasq told) against `--net
# none`, side by side in one hyperfine run; then the latency of a name lookup from
# inside a container's network namespace to its network's dnsmasq (median of 100),
# and of a published port on 127.0.0.1 against the host's other address.  Everything happens inside a
# throwaway network namespace (bridge, veths and rules live and die there), so this
# machine's network is never touched.  Raw numbers: build/bench/net.json.
set -eu
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
if [ -z "${DIYC_BENCH_NS:-}" ]; then
	ns=diyc-bench$$
	ip netns add $ns
	trap 'ip netns del '$ns EXIT
	ip -n $ns link set lo up
	DIYC_BENCH_NS=$ns ip netns exec $ns "$0" "$@"
	exit
fi
mkdir -p build/bench
T=$(mktemp -d /tmp/diyc-bench.XXXXXX)
chmod 711 "$T" # the network's dnsmasq (not root) reads its hosts file below it
export DIYC_ROOT=$T/root
trap 'set +e; ./diyc stop -t 1 dnsb >/dev/null 2>&1; ./diyc rm dnsb >/dev/null 2>&1; ./diyc net clean >/dev/null; ./diyc gc >/dev/null 2>&1; rm -rf "$T"' EXIT
runtime/mkimage-busybox.sh "$DIYC_ROOT" >/dev/null
./diyc profile >/dev/null
./diyc net setup >/dev/null
hyperfine -N --warmup 10 --runs "$runs" --export-json build/bench/net.json \
	-n "diyc run --rm --net bridge" "./diyc run --rm --net bridge nb busybox /bin/true" \
	-n "diyc run --rm --net none" "./diyc run --rm --net none nb busybox /bin/true" >/dev/null
python3 - build/bench/net.json <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for n, x in r.items():
    print(f"{n:<28} {x['median']*1e3:8.2f}ms {x['min']*1e3:8.2f}ms {x['max']*1e3:8.2f}ms")
ratio = r["diyc run --rm --net bridge"]["median"] / r["diyc run --rm --net none"]["median"]
print(f"goal: bridge (DNS registration on) <= 1.25x none: {'met' if ratio <= 1.25 else 'NOT met'} ({ratio:.2f}x)")
PY
# name resolution inside a container: raw DNS queries from its network namespace
./diyc run -d --network-alias target -p 18080:8080 dnsb busybox httpd -f -p 8080 -h /etc >/dev/null
pid=$(python3 -c 'import json; print(json.load(open("/run/diyc/dnsb/state.json"))["pid"])')
# a host address other than 127.0.0.1 (a veth end: no dummy device on every kernel)
ip link add bench$$ type veth peer name benchp$$ && ip addr add 192.0.2.1/24 dev bench$$ &&
	ip link set bench$$ up && ip link set benchp$$ up
nsenter -t "$pid" -n python3 - build/bench/dns.json <<'PY'
import json, socket, statistics, struct, sys, time
def query(i):
    q = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x06target\x00" + struct.pack(">HH", 1, 1)
    s.sendto(q, ("10.203.0.1", 53))
    r = s.recv(512)
    assert struct.unpack(">H", r[:2])[0] == i and struct.unpack(">H", r[6:8])[0] >= 1, r
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
query(0)
t = []
for i in range(1, 101):
    t0 = time.perf_counter(); query(i); t.append(time.perf_counter() - t0)
med = statistics.median(t)
json.dump({"results": [{"command": "DNS lookup of a container's name (100)", "median": med,
                        "min": min(t), "max": max(t)}]}, open(sys.argv[1], "w"))
print(f"{'DNS lookup inside a container':<28} {med*1e3:8.3f}ms {min(t)*1e3:8.3f}ms {max(t)*1e3:8.3f}ms")
PY
# a published port on 127.0.0.1 (route_localnet + masquerade) against the host's address
python3 - build/bench/ports.json <<'PY'
import json, socket, statistics, sys, time
res = []
for name, addr in (("published port via 127.0.0.1", "127.0.0.1"), ("published port via 192.0.2.1", "192.0.2.1")):
    t = []
    for i in range(101):
        t0 = time.perf_counter()
        c = socket.create_connection((addr, 18080), timeout=2)
        c.sendall(b"GET /hostname HTTP/1.0\r\n\r\n")
        b = b"".join(iter(lambda: c.recv(4096), b"")); c.close()
        assert b"dnsb" in b, b
        t.append(time.perf_counter() - t0)
    t = t[1:]
    res.append({"command": name, "median": statistics.median(t), "min": min(t), "max": max(t)})
    print(f"{name:<28} {statistics.median(t)*1e3:8.3f}ms {min(t)*1e3:8.3f}ms {max(t)*1e3:8.3f}ms")
json.dump({"results": res}, open(sys.argv[1], "w"))
PY
./diyc stop -t 1 dnsb >/dev/null; ./diyc rm dnsb >/dev/null
