#!/usr/bin/env python3
"""Where one `diyc run --rm bench busybox /bin/true` spends its time, step by step
(make bench).  Runs it N times with DIYC_TIMING set to the CLOCK_MONOTONIC time
just before the start (runtime/timing.c), so that the marks cover the exec and
loader ("main") too, and the time after diyc's last mark until its exit is seen
here ("exit").  Writes {step: [microseconds, ...]} in the order of the steps.
  tests/bench/steps.py OUT.json [N] [DIYC]
"""
import json
import os
import subprocess
import sys
import time

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50
diyc = sys.argv[3] if len(sys.argv) > 3 else "./diyc"
steps = {}
for i in range(n + 5):  # the first five warm the caches and are not kept
    t0 = time.monotonic_ns()
    env = dict(os.environ, DIYC_TIMING=str(t0))
    r = subprocess.run([diyc, "run", "--rm", "bench", "busybox", "/bin/true"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = (time.monotonic_ns() - t0) // 1000
    if r.returncode != 0:
        sys.exit(f"steps: diyc run failed ({r.returncode}): {r.stderr.strip()}")
    marks = []
    for line in r.stderr.splitlines():
        if line.startswith("diyc-timing "):
            name, us = line[12:].rsplit(" ", 1)
            marks.append((name, int(us)))
    if i < 5:
        continue
    marks.append(("exit", total - sum(us for _, us in marks)))
    marks.append(("total", total))
    for name, us in marks:
        steps.setdefault(name, []).append(us)
json.dump(steps, open(out, "w"))
