#!/usr/bin/env bash
# Makes the fixed run behind the analyze golden test: a tiny 2-layer byte-level model trained on
# generated text (tests/data/golden/run), and the analyses of it (tests/data/golden/analysis),
# with `icl` and `analyze --over-training --threads 1`. The golden files are kept as made; rerun
# only when an analysis changes on purpose, and say why in the commit.
# Usage: tests/data/golden/make.sh BUILD_DIR
set -euo pipefail
bin="$(cd "${1:?usage: make.sh BUILD_DIR}" && pwd)/circuitscope"
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/corpus.txt" <<'PY'
import random, sys
rng = random.Random(5)
docs = []
for d in range(120):
    doc = ""
    while len(doc) < 700:
        word = "".join(chr(97 + rng.randrange(20)) for _ in range(2 + rng.randrange(5)))
        doc += word + (" " if rng.randrange(3) else " " + word + " ")
    docs.append(doc)
open(sys.argv[1], "w").write("\n\f\n".join(docs))
PY
"$bin" train --corpus "$work/corpus.txt" --bytes --out "$work/run" --n-layers 2 --n-heads 2 \
  --d-model 16 --d-head 8 --n-ctx 448 --batch 4 --steps 40 --snapshots 4 --eval-count 16 \
  --eval-fraction 0.25 --seed 3 --threads 1
rm -f "$work/run/snapshots/last.state"
"$bin" icl "$work/run" >/dev/null
find "$work/run/analysis" -type f ! -name icl.json -delete  # the ICL result a shipped run carries
rm -rf "$here/run" "$here/analysis"
cp -r "$work/run" "$here/run"
"$bin" analyze "$work/run" --over-training --threads 1
mkdir -p "$here/analysis"
cp "$work/run/analysis/"*.json "$work/run/analysis/"*.npy "$here/analysis/"
rm -f "$here/analysis/analyze.json"
