#!/usr/bin/env bash
# Copies a reported sweep's comparison into models/sweep (or DEST): sweep.json (the grid, what
# `sweep run` recorded, the results), sweep.html, the three pictures with their .json and .npy,
# and per run its configuration (the token folder named relative to the run, as in a sweep
# folder) and head analyses. Not the snapshots, evaluation losses or token folders, which are
# large: the shipped folder holds results to read, not runs to analyse again.
# Usage: scripts/ship-sweep.sh SWEEP_DIR [DEST]
set -euo pipefail
src=${1:?usage: scripts/ship-sweep.sh SWEEP_DIR [DEST]}
dest=${2:-"$(cd "$(dirname "$0")/.." && pwd)/models/sweep"}
[ -f "$src/sweep.html" ] || { echo "ship-sweep: $src/sweep.html missing (run \`circuitscope sweep report $src\`)" >&2; exit 1; }
tmp="$dest.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$src"/sweep.json "$src"/sweep.html "$src"/sweep_*.svg "$src"/sweep_*.png "$src"/sweep_*.json "$src"/sweep_*.npy "$tmp/"
runs=$(python3 -c 'import json,sys; print(" ".join(r["name"] for r in json.load(open(sys.argv[1]))["runs"]))' "$src/sweep.json")
for r in $runs; do
  mkdir -p "$tmp/$r/analysis"
  python3 - "$src/$r/config.json" "$tmp/$r/config.json" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
c["data"]["corpus"] = os.path.join("..", os.path.basename(c["data"]["corpus"]))
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
  for f in analyze.json heads.json heads_over_training.json heads_over_training_prefix_matching.npy \
           heads_over_training_previous_token.npy; do
    [ -f "$src/$r/analysis/$f" ] && cp "$src/$r/analysis/$f" "$tmp/$r/analysis/"
  done
done
rm -rf "$dest"
mv "$tmp" "$dest"
du -sh "$dest"
