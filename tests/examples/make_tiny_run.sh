#!/usr/bin/env bash
# Trains the tiny run the example and install tests read: 2 layers x 2 heads on bytes, 20 steps,
# about a second. Usage: make_tiny_run.sh CIRCUITSCOPE_BINARY OUT_DIR
set -euo pipefail
binary=$1 out=$2
rm -rf "$out" && mkdir -p "$out"
# 120 documents of short random words, some said twice, separated by form-feed lines.
awk 'BEGIN {
  srand(5)
  for (d = 0; d < 120; ++d) {
    if (d) printf "\n\f\n"
    doc = ""
    while (length(doc) < 150) {
      w = ""; n = 2 + int(rand() * 5)
      for (k = 0; k < n; ++k) w = w sprintf("%c", 97 + int(rand() * 20))
      doc = doc w " "; if (rand() < 0.33) doc = doc w " "
    }
    printf "%s", doc
  }
}' > "$out/corpus.txt"
"$binary" train --corpus "$out/corpus.txt" --bytes --out "$out/run" --n-layers 2 --n-heads 2 \
  --d-model 16 --d-head 8 --n-ctx 64 --batch 4 --steps 20 --snapshots 5 --eval-count 16 \
  --eval-fraction 0.25 --threads 1 > "$out/train.log" 2>&1 || { cat "$out/train.log"; exit 1; }
