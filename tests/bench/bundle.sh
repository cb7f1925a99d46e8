#!/usr/bin/env bash
# The benchmarks' OCI bundle: bundle.sh DIR ROOTFS CGROUP
# `runc spec` over a copy of ROOTFS, running /bin/true without a terminal, the rlimits
# this root cannot raise removed, and a cgroup path relative to our own cgroup.
set -eu
mkdir -p "$1"
cp -a "$2" "$1/rootfs"
(cd "$1" && runc spec)
python3 - "$1/config.json" "$3" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["process"].pop("rlimits", None)
c["linux"]["cgroupsPath"] = sys.argv[2]   # relative: below our own cgroup
json.dump(c, open(p, "w"), indent=1)
PY
