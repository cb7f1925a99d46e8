#!/usr/bin/env python3
"""The features x kernels table of docs/kernels.md, from the last `make ci-qemu`
(the "# feature KEY STATUS" lines each guest prints into build/ci-qemu/PROFILE/
results.tap) and this host's own probe.  Usage: ci/kernels-table.py [HOSTNAME-LABEL]
Prints Markdown; paste it into docs/kernels.md."""
import glob, json, os, subprocess, sys

cols = {}
for tap in sorted(glob.glob("build/ci-qemu/*/results.tap")):
    prof = os.path.basename(os.path.dirname(tap))
    feats = {}
    for line in open(tap, errors="replace"):
        if line.startswith("# feature "):
            _, _, key, val = line.split(None, 3)
            feats[key] = val.strip()
    if feats:
        cols[prof] = feats

def walk(node, path):
    if isinstance(node, dict) and "status" in node:
        feats[path] = node["status"]
    elif isinstance(node, dict):
        for k, v in node.items():
            if k not in ("kernel", "probe", "summary", "timings_us"):
                walk(v, f"{path}.{k}" if path else k)
def profile_column(d):
    global feats
    feats = {}
    walk(d, "")
    feats["kernel.release"] = d["kernel"]["release"]
    feats["cgroups.mode"] = d["cgroups"].get("mode")
    feats["network.iptables_backend"] = d.get("network", {}).get("iptables_backend") or "–"
    return feats

live = json.loads(subprocess.run(["./diyc-probe", "-n", "--json"], capture_output=True,
                                 text=True, check=True).stdout)
cols[sys.argv[1] if len(sys.argv) > 1 else "this host"] = profile_column(live)
# measured by hand on a genuine 4.4.178 (../shared/notes/linux-4.4.md): not produced by CI
genuine = "tests/fixtures/profiles/linux-4.4.178-guest.profile.json"
cols["genuine 4.4.178 (by hand, not CI)"] = profile_column(json.load(open(genuine)))

keys = ["kernel.release", "cgroups.mode", "network.iptables_backend"]
for c in cols.values():
    for k in c:
        if k not in keys and not k.startswith(("cgroups.controllers.net_", "cgroups.controllers.perf")):
            keys.append(k)
mark = {"yes": "yes", "no": "**no**", "partial": "partial", "unknown": "?"}
names = list(cols)
print("| feature | " + " | ".join(names) + " |")
print("|---|" + "---|" * len(names))
for k in keys:
    row = [mark.get(cols[n].get(k, "–"), cols[n].get(k, "–")) for n in names]
    print(f"| `{k}` | " + " | ".join(row) + " |")
