#!/usr/bin/env bash
# Copies what re-derives a demo's results from a `circuitscope demo` output folder into
# models/demo (or DEST): per model the run's configuration, tokenizer, training log, evaluation
# sequences, the per-token loss matrix eval/per_token_loss.npy ([snapshot, position], what every
# over-training picture of the ICL analysis is drawn from), token statistics, the ICL and
# heads-over-training results and pictures, the last snapshot and, for a model with a
# phase-change window, the snapshots at its two ends. Not the other snapshots or the per-sequence
# losses, which are large. Usage: scripts/ship-demo.sh DEMO_DIR [DEST]
set -euo pipefail
src=${1:?usage: scripts/ship-demo.sh DEMO_DIR [DEST]}
dest=${2:-"$(cd "$(dirname "$0")/.." && pwd)/models/demo"}
[ -f "$src/summary.json" ] || { echo "ship-demo: $src/summary.json missing (not a finished demo folder)" >&2; exit 1; }
tmp="$dest.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
for m in 1l 2l; do
  mkdir -p "$tmp/$m/snapshots" "$tmp/$m/eval" "$tmp/$m/tokens" "$tmp/$m/analysis"
  cp "$src/$m/config.json" "$src/$m/tokenizer.model" "$src/$m/metrics.jsonl" "$tmp/$m/"
  cp "$src/$m/eval/tokens.npy" "$src/$m/eval/snapshots.json" "$src/$m/eval/per_token_loss.npy" "$tmp/$m/eval/"
  cp "$src/$m/tokens/token_counts.npy" "$tmp/$m/tokens/"
  steps=$(python3 - "$src/$m/analysis/icl.json" <<'PY'
import json, sys
icl = json.load(open(sys.argv[1]))
steps = [icl["steps"][-1]]
if icl["phase_change"]:
    steps += [icl["phase_change"]["start_step"], icl["phase_change"]["end_step"]]
print(" ".join(str(s) for s in sorted(set(steps))))
PY
)
  for s in $steps; do cp "$src/$m/snapshots/$(printf '%09d' "$s").safetensors" "$tmp/$m/snapshots/"; done
  for f in icl.json icl_score.npy loss_pca.npy heads_over_training.json heads_over_training_prefix_matching.npy \
           heads_over_training_previous_token.npy icl_score.png icl_heatmap.png loss_by_position.png \
           loss_pca.png loss_curve.png heads_over_training.png; do
    [ -f "$src/$m/analysis/$f" ] && cp "$src/$m/analysis/$f" "$tmp/$m/analysis/"
  done
done
cp "$src/summary.json" "$src/icl_comparison.png" "$src/icl_loss_difference.png" "$src/icl_loss_difference.npy" \
   "$src/icl_loss_difference.json" "$tmp/"
rm -rf "$dest"
mv "$tmp" "$dest"
du -sh "$dest"
