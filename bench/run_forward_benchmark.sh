#!/usr/bin/env bash
# Inference speed of a GPT-2-small-shaped model (bench/bench_forward.cpp) next to PyTorch's forward
# of the same model (bench/torch_forward.py) on this machine, batch 1 and 8, two threads; prints
# a markdown table (docs/benchmarks.md, "Inference"). One round each: a PyTorch forward of 8,192
# tokens takes over a minute here. Usage: bench/run_forward_benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BENCH=ON > /dev/null
cmake --build build -j2 --target bench_forward > /dev/null
ours=$(OMP_WAIT_POLICY=PASSIVE build/bench/bench_forward --benchmark_format=json)
# PyTorch with the runtime settings of bench/torch_train_step.py (its TUNED_ENV, explained there).
theirs=$(for b in 1 8; do
  OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=$((128 << 20)) \
    MALLOC_TRIM_THRESHOLD_=$((1 << 36)) MALLOC_TOP_PAD_=$((1 << 30)) /usr/bin/python3 bench/torch_forward.py --batch "$b"
done)
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = {int(b["name"].split("/")[2]): b for b in json.loads(sys.argv[1])["benchmarks"]}
theirs = {t["batch"]: t for t in map(json.loads, sys.argv[2].splitlines())}
print("| batch | ours tokens/s | PyTorch tokens/s | ratio | ours peak RSS MiB | weights + activations MiB | "
      "peak / (weights + activations) | PyTorch peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|")
for b in sorted(ours):
    o, t = ours[b], theirs[b]
    held = o["weights_mib"] + o["activations_mib"]
    print(f"| {b} | {o['tokens_per_second']:,.0f} | {t['tokens_per_second']:,.0f} | "
          f"{o['tokens_per_second'] / t['tokens_per_second']:.1f}x | {o['peak_rss_mib']:,.0f} | {held:,.0f} | "
          f"{o['peak_rss_mib'] / held:.2f} | {t['peak_rss_mib']:,.0f} |")
PY
