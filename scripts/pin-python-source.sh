#!/usr/bin/env bash
# Writes src/data/python_source_manifest.inc: the .py files of the "python-source:" corpus
# (docs/corpus.md) as Debian 12 installs them under /usr/lib/python3.11 — relative path, size and
# 64-bit FNV-1a checksum, in the order below. The corpus reads exactly these files, so it is
# the same on every machine, and says so when a machine's files differ. Rerun only on purpose.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/src/data/python_source_manifest.inc"
python3 - "$out" <<'PY'
import os, sys
root = "/usr/lib/python3.11"
skip = ("test/", "idlelib/idle_test/", "lib2to3/tests/", "site-packages/", "dist-packages/")
rels = []
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if x != "__pycache__"]
    for f in files:
        r = os.path.relpath(os.path.join(d, f), root)
        if f.endswith(".py") and not r.startswith(skip):
            rels.append(r)
# Byte order of the path with links resolved, as the corpus was first read (sitecustomize.py, a link
# to /etc/python3.11, comes first): the order fixes the document split, so it must not move.
rels.sort(key=lambda r: os.path.relpath(os.path.realpath(os.path.join(root, r)), root).encode())
def fnv1a(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
lines = []
for r in rels:
    b = open(os.path.join(root, r), "rb").read()
    if b:  # the corpus reader drops empty documents
        lines.append(f"{r} {len(b)} {fnv1a(b):016x}")
with open(sys.argv[1], "w") as f:
    f.write("// Written by scripts/pin-python-source.sh: path size fnv1a64, one file per line.\n")
    f.write('R"MANIFEST(' + "\n".join(lines) + '\n)MANIFEST"\n')
print(f"{len(lines)} files -> {sys.argv[1]}")
PY
