#!/usr/bin/env bash
# `circuitscope analyze` on a GPT-2-small-shaped model (bench/make_gpt2_small.py: 12 layers,
# d_model 768, 12 heads, n_ctx 1024, 50,257 ids, random weights), imported and evaluated on a small
# corpus (the tutorial, howto and faq pages of Debian's python3.11-doc, 46 documents, 1.3 MB; 16
# evaluation windows of 1024 tokens), two threads. Prints a markdown table of each analysis's
# seconds and peak RSS (each analysis alone, `--skip` the others) and the whole `analyze` run
# (docs/benchmarks.md, "analyze on a GPT-2-small-shaped model").
# Usage: bench/run_analyze_benchmark.sh [WORK_DIR]   (default /tmp/circuitscope-analyze-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/circuitscope-analyze-bench}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target circuitscope > /dev/null
bin=$PWD/build/circuitscope
mkdir -p "$work"
[ -f "$work/gpt2-small/model.safetensors" ] || /usr/bin/python3 bench/make_gpt2_small.py --out "$work/gpt2-small"
if [ ! -d "$work/run/eval" ]; then
  rm -rf "$work/corpus" "$work/run"
  mkdir -p "$work/corpus"
  for d in tutorial howto faq; do cp -r "/usr/share/doc/python3.11/html/_sources/$d" "$work/corpus/"; done
  "$bin" import "$work/gpt2-small" --out "$work/run" > /dev/null
  "$bin" eval "$work/run" --corpus "$work/corpus" --n-eval 16 --threads 2 > /dev/null 2>&1
fi
export OMP_WAIT_POLICY=PASSIVE
names=(heads circuits paths ablate probes)
timed() {  # prints "seconds peak_rss_mib" of `analyze` with the given --skip list
  local log; log=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$log" "$bin" analyze "$work/run" --threads 2 "$@" > /dev/null
  awk '{printf "%.1f %.0f\n", $1, $2 / 1024}' "$log"
  rm -f "$log"
}
echo "| analysis | seconds | peak RSS MiB |"
echo "|---|---|---|"
for n in "${names[@]}"; do
  skip=$(printf '%s\n' "${names[@]}" | grep -vx "$n" | paste -sd,)
  read -r secs rss < <(timed --skip "$skip")
  echo "| $n alone | $secs | $rss |"
done
read -r secs rss < <(timed)
echo "| **analyze** (all five) | **$secs** | **$rss** |"
/usr/bin/python3 - "$work/run/analysis/analyze.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
print("\nin that run: " + ", ".join(f"{x['analysis']} {x['seconds']:.1f} s" for x in a["analyses"]))
PY
