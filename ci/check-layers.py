#!/usr/bin/env python3
"""make check-layers: the shape of the source tree, checked (part of make check).

1. Layers point down only:  lib/  <-  probe/, netsetup/  <-  runtime/.
   An #include names its layer ("lib/util.h"); lib includes nothing above it,
   probe and netsetup never include runtime (nor each other), and runtime reaches
   netsetup only through netsetup/netsetup.h.  With -Werror and no implicit
   declarations, a call cannot cross a layer its includes do not, so checking the
   includes checks the calls.
2. Size: no source file over 500 lines, no function over 80 lines, except the ones
   listed in LONG with the reason they stay whole.
3. One kernel vocabulary: no bare CLONE_NEWCGROUP value (1 << 25) anywhere
   (glibc's <sched.h> has the name), and no table of namespace names outside
   lib/kfeat.c.
Prints one line per violation; exit 1 if any.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ["lib", "probe", "netsetup", "runtime"]
# what each layer may include (by top directory)
ALLOWED = {
    "lib": {"lib"},
    "probe": {"lib", "probe"},
    "netsetup": {"lib", "netsetup"},
    "runtime": {"lib", "probe", "netsetup", "runtime"},
}
# runtime's one door into netsetup
NETSETUP_PUBLIC = "netsetup/netsetup.h"
MAX_FILE, MAX_FUNC = 500, 80
# functions allowed over MAX_FUNC lines, with why they stay whole
LONG = {
}


def sources():
    for layer in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, layer)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield layer, os.path.relpath(os.path.join(dirpath, f), ROOT)


def check_includes(layer, path, text, bad):
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        inc = m.group(1)
        top = inc.split("/")[0] if "/" in inc else None
        if top is None:
            if path.startswith("runtime/init/"):
                continue  # the freestanding diyc-init: its own files only
            bad.append(f"{path}:{n}: #include \"{inc}\" does not name its layer")
        elif top in LAYERS and top not in ALLOWED[layer]:
            bad.append(f"{path}:{n}: {layer}/ includes {inc}: layers point down only")
        elif layer == "runtime" and top == "netsetup" and inc != NETSETUP_PUBLIC:
            bad.append(f"{path}:{n}: runtime reaches netsetup only through {NETSETUP_PUBLIC}")


def functions(text):
    """(name, first line, length) of each top-level function body."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"^[A-Za-z_].*\(", lines[j]):
                j -= 1
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", lines[j])
            k = i + 1
            while k < len(lines) and lines[k] != "}":
                k += 1
            yield (m.group(1) if m else "?"), j + 1, k - j + 1
            i = k
        i += 1


def main():
    bad = []
    for layer, path in sources():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        check_includes(layer, path, text, bad)
        nlines = text.count("\n")
        if nlines > MAX_FILE:
            bad.append(f"{path}: {nlines} lines (at most {MAX_FILE})")
        if path.endswith(".c"):
            for name, first, length in functions(text):
                if length > MAX_FUNC and f"{path}:{name}" not in LONG:
                    bad.append(f"{path}:{first}: {name}() is {length} lines (at most {MAX_FUNC})")
        if re.search(r"0[xX]0*2000000\b", text):
            bad.append(f"{path}: a bare CLONE_NEWCGROUP value (use lib/kfeat.h)")
        if path != "lib/kfeat.c" and re.search(r'"mnt",\s*"uts"|"uts",\s*"ipc"', text):
            bad.append(f"{path}: a list of namespace names (lib/kfeat.c holds the one list)")
    for b in bad:
        print(b)
    print(f"check-layers: {'ok' if not bad else str(len(bad)) + ' problem(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
