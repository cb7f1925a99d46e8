#!/usr/bin/env python3
"""make bench, last step: build/bench/*.json -> docs/bench.md and docs/bench.png
(gnuplot).  Every number in the page comes from this run; the prose around them
is fixed and says what the numbers mean."""
import glob, json, os, platform, re, subprocess, sys, time

B = "build/bench"

def load(name):
    p = f"{B}/{name}.json"
    return {x["command"]: x for x in json.load(open(p))["results"]} if os.path.exists(p) else {}

def ver(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not installed"

def ms(x):
    return f"{x * 1e3:.2f}"

run, net, probe, conc = load("run"), load("net"), load("probe"), load("conc")
oci, podman = load("oci"), load("podman")
images, imgrun = load("images"), load("imgrun")
dns, ports = load("dns"), load("ports")
rss_kb = int(open(f"{B}/rss.txt").read().split()[0]) if os.path.exists(f"{B}/rss.txt") else 0
crun_note = open(f"{B}/crun.txt").read().strip() if os.path.exists(f"{B}/crun.txt") else "not measured"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")

def table(rows, ref, ratio_label):
    out = [f"| command | median ms | min ms | max ms | {ratio_label} |", "|---|---:|---:|---:|---:|"]
    for name, x in rows.items():
        out.append(f"| {name} | {ms(x['median'])} | {ms(x['min'])} | {ms(x['max'])} | "
                   f"{ref / x['median']:.2f}× |")
    return "\n".join(out)

goals = []
def goal(text, ok, value):
    goals.append(f"| {text} | {value} | {'met' if ok else '**not met**'} |")

d = run.get("diyc run --rm", {}).get("median")
if d:
    r = d / run["runc run"]["median"]; goal("diyc ≤ 0.5× runc (start → exit)", r <= 0.5, f"{r:.2f}×")
    b = d / run["bwrap --unshare-all"]["median"]; goal("diyc ≤ 1.0× bwrap (start → exit)", b <= 1.0, f"{b:.2f}×")
    u = d / run["unshare -fmpiun (floor)"]["median"]; goal("diyc ≤ 1.6× the unshare floor", u <= 1.6, f"{u:.2f}×")
if conc:
    c = conc["diyc: 50 at once"]["median"] / conc["bwrap: 50 at once"]["median"]
    goal("50 at once ≤ 1.0× bwrap", c <= 1.0, f"{c:.2f}×")
if net:
    n = net["diyc run --rm --net bridge"]["median"] / net["diyc run --rm --net none"]["median"]
    goal("bridged (DNS registration on) ≤ 1.25× no network", n <= 1.25, f"{n:.2f}×")
if probe:
    p = probe["diyc-probe (full)"]["median"] * 1e3
    f = probe.get("diyc-probe --fresh", {}).get("median", 0) * 1e3
    goal("full probe ≤ 10 ms", p <= 10, f"{p:.1f} ms (every live test again, --fresh: {f:.1f} ms)")
if oci:
    o = oci["diyc-oci create+start+wait+delete"]["median"] / oci["runc create+start+wait+delete"]["median"]
    goal("diyc-oci ≤ 0.5× runc (create+start+wait+delete)", o <= 0.5, f"{o:.2f}×")
if imgrun:
    q = imgrun["diyc run --rm (10 layers)"]["median"] / imgrun["diyc run --rm (1 layer)"]["median"]
    goal("run on a 10-layer image ≤ 1.2× a 1-layer one", q <= 1.2, f"{q:.2f}×")
if rss_kb:
    goal("peak RSS of diyc ≤ 2 MB", rss_kb / 1024 <= 2, f"{rss_kb / 1024:.2f} MB")

# the step breakdown (tests/bench/steps.py): medians now, and before this work
# (tests/bench/steps-before.json: the same script on the commit named inside it)
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else 0
steps = json.load(open(f"{B}/steps.json")) if os.path.exists(f"{B}/steps.json") else {}
bfile = "tests/bench/steps-before.json"
before = json.load(open(bfile)) if os.path.exists(bfile) else {}
bsteps, bnote = before.get("steps", {}), before.get("note", "")
st_rows = ["| step | before µs | now µs |", "|---|---:|---:|"]
for name in list(bsteps) + [k for k in steps if k not in bsteps]:
    b = f"{med(bsteps[name])}" if name in bsteps else "–"
    a = f"{med(steps[name])}" if name in steps else "–"
    if name == "total":
        b, a = f"**{b}**", f"**{a}**"
    st_rows.append(f"| {name} | {b} | {a} |")

# the QEMU guests of the last make ci-qemu on this machine, when there was one
qrows = []
for info in sorted(glob.glob("build/ci-qemu/*/run.info")):
    prof = info.split("/")[2]
    m = re.search(r"seconds=([\d.]+)", open(info).read())
    lanes = {}  # the guest's two lanes (tests/qemu/lanes.sh), each suite's seconds
    tap = f"build/ci-qemu/{prof}/results.tap"
    if os.path.exists(tap):
        for line in open(tap):
            g = re.match(r"# guest-time suite=(\w+)\.sh seconds=(\d+) busy=\d+ idle=\d+(?: lane=(\w+))?", line)
            if g:
                lanes.setdefault(g.group(3) or "", []).append(f"{g.group(1)} {g.group(2)}")
    suites = "; ".join((f"{lane}: " if lane else "") + ", ".join(v) for lane, v in lanes.items())
    if m:
        qrows.append(f"| {prof} | {float(m.group(1)):.0f} | {suites or '–'} |")

qmatrix = open("build/ci-qemu/matrix.info").read().strip() if os.path.exists("build/ci-qemu/matrix.info") else ""
g = re.match(r"^matrix: (\d+) s wall, (\d+) guests at a time(?:, (\d+) vCPUs? each)?$", qmatrix)
if g:
    each = f", {g.group(3)} vCPU{'s' if g.group(3) != '1' else ''} each" if g.group(3) else ""
    qmatrix = (f"The whole matrix (kernels built or taken from the cache, then the guests {g.group(2)} "
               f"at a time{each}): **{g.group(1)} s**; goal ≤ 240 s.")

# strace -c -f: the top system calls by time
sc = []
if os.path.exists(f"{B}/strace.txt"):
    for line in open(f"{B}/strace.txt"):
        m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$", line)
        if m:
            sc.append((float(m.group(1)), float(m.group(2)), int(m.group(4)), m.group(6)))
sc_rows = ["| system call | % of time | seconds | calls |", "|---|---:|---:|---:|"]
for pct, secs, calls, name in sorted(sc, reverse=True)[:12]:
    sc_rows.append(f"| `{name}` | {pct:.1f} | {secs:.6f} | {calls} |")

# the chart: medians of every row, grouped
bars = []
for group, rows in (("start", run), ("net", net), ("probe", probe), ("oci", oci), ("podman", podman),
                    ("images", images), ("images", imgrun)):
    for name, x in rows.items():
        bars.append((name, x["median"] * 1e3))
with open(f"{B}/chart.dat", "w") as f:
    for i, (name, v) in enumerate(bars):
        f.write(f'{i} "{name}" {v:.3f}\n')
gp = f"""set terminal pngcairo size 900,{120 + 28 * len(bars)} font 'sans,10'
set output 'docs/bench.png'
set title 'make bench: median wall time, ms (lower is better)'
set style fill solid 0.8
set boxwidth 0.6
unset key
set yrange [-0.5:{len(bars) - 0.5}]
set ytics nomirror
set grid xtics
set xrange [0:*]
plot '{B}/chart.dat' using ($3*0.5):1:($3*0.5):(0.3):yticlabels(2) with boxxyerrorbars lc rgb '#4477aa', \\
     '' using ($3):1:(sprintf(' %.1f', $3)) with labels left
"""
subprocess.run(["gnuplot"], input=gp, text=True, check=True)

# when the newest measurement was taken (the page may be written again later, e.g.
# with a later make ci-qemu's guest table)
measured_at = max((os.path.getmtime(f) for f in glob.glob(f"{B}/*.json")), default=time.time())
page = f"""# Benchmarks

Generated by `make bench` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(measured_at))}); every
number below comes from that run. Each table is one `hyperfine -N` invocation
(warm-up 10, {next(iter(run.values()))['times'].__len__() if run else 0} runs), so the
commands compared in it shared the machine's noise. Goals are checked here, never by
timed tests.

![medians](bench.png)

## Machine

| | |
|---|---|
| kernel | {platform.release()} |
| CPU | {cpu}, {os.cpu_count()} CPUs |
| diyc | {ver(['./diyc', '--version'])} |
| runc | {ver(['runc', '--version'])} |
| crun | {crun_note} |
| bubblewrap | {ver(['bwrap', '--version'])} |
| podman, conmon | {ver(['podman', '--version'])}, {ver(['conmon', '--version'])} |
| hyperfine | {ver(['hyperfine', '--version'])} |

## Goals

| goal | measured | |
|---|---:|---|
{chr(10).join(goals)}

## 1. Start → exit of `/bin/true` in a busybox root, no network

`diyc run --rm` uses every namespace the kernel offers (mnt, uts, ipc, pid,
net, cgroup, time) and a cgroup; `runc run` a bundle from `runc spec` with the
same root (rlimits this machine cannot raise removed, cgroup relative to our
own); `bwrap --unshare-all` the same root read-only with `/proc` and `/dev`;
`unshare -fmpiun true` is the floor (namespaces and a fork, no root, no cgroup).

{table(run, d or 1, "diyc ÷ this")}

## 2. Bridged network

`--net bridge` (veth pair, address, route, lease, and the DNS registration: the
network's hosts file rewritten and its dnsmasq sent SIGHUP) against `--net none`,
inside a throwaway network namespace.

{table(net, net.get("diyc run --rm --net none", {"median": 1})["median"] if net else 1, "none ÷ this")}

Name resolution: 100 DNS queries for a container's alias, one after the other,
from inside another container's network namespace to the network's dnsmasq (the
first query, which fills dnsmasq's cache, not counted). Published port: a TCP
connect + HTTP GET + close to the container's busybox httpd, through 127.0.0.1
(`route_localnet`, DNAT in OUTPUT, masquerade) and through the host's other
address (DNAT only), 100 each.

{table({**dns, **ports}, 0.001, "1 ms ÷ this")}

## 3. The probe

The full probe (namespaces, cgroups, overlay, network and hardening tested
with real system calls in children) as users and `diyc run` run it: every file
read again, the live tests' answers of this boot reused while nothing they
depend on has changed (probe/answers.c; the bench keeps them in a file of its
own). Against it: the same probe running every live test again (`--fresh`),
in two streams and in one; the probe reading only files; and what config-only
checkers such as `lxc-checkconfig` do: read the kernel config and grep it.

{table(probe, probe["kernel config only (floor)"]["median"] if probe else 1, "floor ÷ this")}

## 4. 50 containers at once

Wall time until all 50 have exited (`tests/bench/conc.sh`), diyc with
`--net none`.

{table(conc, next(iter(conc.values()))["median"] if conc else 1, "diyc ÷ this")}

## 5. diyc-oci, the OCI runtime

One container's life as an engine drives a runtime — `create`, `start`, wait for
the exit as its subreaper, `delete` (`tests/bench/ocicycle.c`, the same helper for
both) — and each runtime's own foreground `run`, on the same bundle (`runc spec`,
`/bin/true`, rlimits this root cannot raise removed, a cgroup below our own):

{table(oci, oci.get("runc create+start+wait+delete", {"median": 1})["median"] if oci else 1, "runc cycle ÷ this")}

`podman run --rm` through diyc-oci (conmon, podman's storage and run root in a
temporary directory; runc and crun cannot run podman's default config on this host,
so there is no runc row):

{table(podman, next(iter(podman.values()))["median"] if podman else 1, "ratio")}

## 6. Images

Import of a 10-layer image (an OCI layout with gzip layers: the busybox tree and
nine small layers; `tests/bench/images.sh`) into an empty layer store — every blob
hashed, every layer unpacked and checked against its diff_id — against `umoci
unpack` of the same layout (which unpacks and flattens, without a store):

{table(images, images.get("umoci unpack (10 layers)", {"median": 1})["median"] if images else 1, "umoci ÷ this")}

`diyc run --rm /bin/true` on that 10-layer image (ten lower dirs, by their short
links) against the 1-layer one:

{table(imgrun, imgrun.get("diyc run --rm (1 layer)", {"median": 1})["median"] if imgrun else 1, "1 layer ÷ this")}

## 7. Memory

Peak RSS of `diyc run --rm` (GNU `time -v`, the largest of diyc's processes):
**{rss_kb / 1024:.2f} MB**.

## Where diyc's start-up time goes

Step by step: `tests/bench/steps.py` runs `diyc run --rm bench busybox /bin/true`
{len(steps.get("total", []))} times with `DIYC_TIMING` (runtime/timing.c), which notes the
time after each step of the start table (runtime/steps.c) and of the container
process's table (runtime/container.c); each row is the median time since the
mark before it, in µs. `main` is the exec of diyc and its dynamic loading (from
just before the caller's spawn), `exec` the command's exec through diyc-init,
`running` the supervisor's release of the container (overlapping its steps),
`exited` the command until diyc saw it exit, `exit` diyc's own end. Medians of
steps do not add up to the median total. The "before" column: {bnote}

{chr(10).join(st_rows)}

`strace -f -c -w` over one run (all of diyc's processes and the container's;
strace itself slows every call down, so only the proportions matter):

{chr(10).join(sc_rows)}

The full timeline is in `build/bench/strace-timeline.txt`. What the
breakdowns showed over time, and what was done about it:

* **The profile's JSON.** Parsing the 20 KB profile with json-c was 1.35 M of
  the supervisor's 2.84 M instructions (callgrind), and its largest heap. The
  facts diyc reads from it are now cached in binary beside it
  (`profile.json.facts`, lib/factcache.c), keyed by the profile's inode, size,
  times and owner and by the build, and read with one `read`; an explicit
  `--profile` is parsed as before.
* **Ambient capabilities.** libcap's `cap_reset_ambient` asked about each of
  the 41 capabilities before clearing them: one `prctl(PR_CAP_AMBIENT_CLEAR_ALL)`
  now.
* **Dynamic loading.** libarchive (for `image import`) pulled 14 libraries
  (libxml2, ICU, libstdc++ …) into every run: opened with `dlopen` only by
  `image import` now (runtime/archiveapi.c), −9 ms and −2.9 MB RSS. libkmod
  likewise, only when a module must be loaded.
* **Network teardown.** Deleting the veth synchronously waited for RCU grace
  periods (~10 ms): the pair is now left to the kernel's destruction of the
  container's network namespace; one `RTM_NEWLINK` creates the pair with
  `eth0` already in the container.
* **Protecting the binary.** A sealed memfd copy of all of diyc (crun's
  approach to CVE-2019-5736) measured +3.6 ms per run (a second dynamic
  start-up); diyc executes a 4 KB static diyc-init from a memfd instead.
* **The `--rm` layer on disk.** mkdir of upper/work/merged on the host's
  disk, overlayfs's sync of its upper file system when the container's mount
  namespace goes, and removing the tree after: a `--rm` container's layer is
  now a tmpfs in its own mount namespace.
* **Joining the cgroup.** Writing a pid to `cgroup.procs` takes the kernel's
  threadgroup rwsem for writing; the first such write after a pause waits
  for an RCU grace period. The container is now born in its v2 cgroup by
  `clone3(CLONE_INTO_CGROUP)`, which takes the lock only for reading. Kernels
  before 5.7, and v1 hierarchies, still write the pid.
* **The dynamic loader.** ld.so mapping libc and libmnl, relocating and
  looking up symbols, in the supervisor and again in the container's process
  until it execs: `diyc` is now a static PIE (in one hyperfine run, 10.3 →
  8.8 ms per `run --rm`; peak RSS 2.48 → 1.64 MB). libmnl, the last shared
  library besides libc (Debian ships no libmnl.a), gave way to netlink written
  out in lib/rtnl.c. A static glibc cannot safely `dlopen` libkmod, libarchive,
  libcrypto or libcurl, so `diyc image`, `net` and `network`, and a run that
  must probe the kernel or load a module first, go over to `diyc-dynamic`, the
  same program linked dynamically (lib/twin.h).
* **The probe's live tests.** Forks that unshare every namespace, mount an
  overlay, create cgroups and exec both iptables backends: about 40 of the
  probe's 45 ms on this 2-core VM (each iptables backend alone ~4 ms, a new
  network namespace ~0.5 ms, and page faults after each fork are dear here).
  The kernel answers them the same way all through a boot, so their answers
  are kept beside the profile (`PROFILE.answers`, root-only) and reused while
  a fingerprint of everything they depend on is unchanged: the boot, the
  probe binary, the caller's credentials, namespaces, cgroups and rlimits,
  the loaded modules, the namespace sysctls, the cgroup mounts, PATH and the
  data root. A caller under a seccomp filter, DIYC_FAULT or `--fresh`
  measures everything again; a run that saw an errno that can pass keeps
  nothing.

## QEMU guests

From the last `make ci-qemu` on this machine (build/ci-qemu; not run by
`make bench`): seconds from boot to result under TCG, and each suite's seconds
inside the guest (tests/qemu/guest-suite.sh), by lane: the two lanes run at once
(tests/qemu/lanes.sh), each its suites one after the other. Goal: each guest ≤ 60 s.

| profile | guest s | suites (s) |
|---|---:|---|
{chr(10).join(qrows) or "| (no make ci-qemu results here) | | |"}

{qmatrix}
"""
open("docs/bench.md", "w").write(page)
print("wrote docs/bench.md and docs/bench.png")
