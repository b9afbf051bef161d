#!/usr/bin/env bash
# Copies what the quick demo needs of a `circuitscope demo --full` output folder into
# models/demo-full: per model the run's configuration, tokenizer, last snapshot, evaluation
# sequences, token statistics and its ICL and heads-over-training results (not the other
# snapshots or the per-sequence losses, which are large). Usage: scripts/ship-full-demo.sh DEMO_DIR
set -euo pipefail
src=${1:?usage: scripts/ship-full-demo.sh DEMO_DIR}
dest="$(cd "$(dirname "$0")/.." && pwd)/models/demo-full"
[ -f "$src/summary.json" ] || { echo "ship-full-demo: $src/summary.json missing (not a finished demo folder)" >&2; exit 1; }
tmp="$dest.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
for m in 1l 2l; do
  mkdir -p "$tmp/$m/snapshots" "$tmp/$m/eval" "$tmp/$m/tokens" "$tmp/$m/analysis"
  cp "$src/$m/config.json" "$src/$m/tokenizer.model" "$src/$m/metrics.jsonl" "$tmp/$m/"
  last=$(ls "$src/$m/snapshots" | grep -E '^[0-9]+\.safetensors$' | sort | tail -1)
  cp "$src/$m/snapshots/$last" "$tmp/$m/snapshots/"
  cp "$src/$m/eval/tokens.npy" "$src/$m/eval/snapshots.json" "$tmp/$m/eval/"
  cp "$src/$m/tokens/token_counts.npy" "$tmp/$m/tokens/"
  for f in icl.json icl_score.npy heads_over_training.json heads_over_training_prefix_matching.npy \
           heads_over_training_previous_token.npy icl_score.png heads_over_training.png; do
    [ -f "$src/$m/analysis/$f" ] && cp "$src/$m/analysis/$f" "$tmp/$m/analysis/"
  done
done
cp "$src/summary.json" "$src/icl_comparison.png" "$tmp/"
rm -rf "$dest"
mv "$tmp" "$dest"
du -sh "$dest"
