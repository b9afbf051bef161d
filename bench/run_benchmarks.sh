#!/usr/bin/env bash
# Training speed of the engine next to the PyTorch reference on this machine, in one run, and the
# sgemm rate of the same shapes; writes docs/benchmarks.md. Usage: bench/run_benchmarks.sh [CONFIGS]
set -euo pipefail
cd "$(dirname "$0")/.."
configs="${1:-tiny,small,tl,demo}"
threads=2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BENCH=ON > /dev/null
cmake --build build -j2 --target bench_train_step > /dev/null
out=$(mktemp -d)
for c in ${configs//,/ }; do
  # One process per configuration, so peak memory belongs to it alone.
  OMP_WAIT_POLICY=PASSIVE build/bench/bench_train_step --benchmark_filter="/$c/" \
    --benchmark_format=json > "$out/ours_$c.json"
  /usr/bin/python3 bench/torch_train_step.py --configs "$c" --threads "$threads" > "$out/torch_$c.jsonl"
done
/usr/bin/python3 - "$out" "$configs" "$threads" <<'PY'
import json, os, platform, subprocess, sys, datetime
out, configs, threads = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rows = []
for c in configs:
    ours = {b["name"].split("/")[0]: b for b in json.load(open(f"{out}/ours_{c}.json"))["benchmarks"]}
    torch = [json.loads(l) for l in open(f"{out}/torch_{c}.jsonl") if l.strip().startswith("{")][-1]
    step, gemm, bf16 = ours["train_step"], ours["sgemm"], ours["train_step_bf16"]
    rows.append((c, step["tokens_per_second"], torch["tokens_per_second"], step["GFLOPs"],
                 gemm["GFLOPs"], step["peak_rss_mib"], torch.get("peak_rss_mib", float("nan")),
                 bf16["tokens_per_second"]))
lines = [
    "# Benchmarks", "",
    "Training step = forward + backward + AdamW, float32, shortformer positions, no normalization",
    "(demo: standard positions and LayerNorm, the quick demo's 2-layer model).",
    "The bf16 columns are the same step with `train --precision bf16` (bf16 inputs to the large",
    "matrix products, float accumulation, float weights and optimizer).",
    "FLOPs are counted analytically (2 per multiply-add; GEMMs 3x forward; attention over the causal",
    "half, 2 products forward and 4 backward). PyTorch runs the same model",
    "(`bench/torch_train_step.py`, batched einsum attention, its tuned runtime settings) on the same",
    "machine in the same run. sgemm is oneDNN at the model's largest shape (tokens x d_model -> d_vocab).", "",
    f"- machine: {cpu}, {os.cpu_count()} cores, {threads} threads (demo: 1, as the demo trains it)",
    f"- date: {datetime.date.today().isoformat()}",
    "- command: `bench/run_benchmarks.sh`", "",
    "| config | ours tokens/s | PyTorch tokens/s | ratio | ours GFLOP/s | sgemm GFLOP/s | % of sgemm | ours peak RSS MiB | PyTorch peak RSS MiB | ours bf16 tokens/s | bf16 speed-up |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]
for c, ot, pt, og, sg, orss, prss, bt in rows:
    lines.append(f"| {c} | {ot:,.0f} | {pt:,.0f} | {ot/pt:.2f}x | {og:.1f} | {sg:.1f} | {100*og/sg:.0f}% | {orss:,.0f} | {prss:,.0f} | {bt:,.0f} | {bt/ot:.2f}x |")
lines += ["", "Configurations: tiny 2L d_model 64, 4x16 heads, n_ctx 256, vocab 2048, batch 16; small 2L",
          "d_model 128, 8x16, n_ctx 512, vocab 4096, batch 8; tl 2L d_model 512, 8x64, n_ctx 1024,",
          "vocab 48262, batch 4; demo 2L d_model 128, 8x16, n_ctx 256, vocab 1024, batch 4, standard",
          "positions, LN, one thread for ours, PyTorch and sgemm alike.", ""]
extra = "docs/benchmarks_notes.md"
if os.path.exists(extra):
    lines += [open(extra).read()]
# The analyses' section belongs to bench/run_analysis_benchmarks.sh: keep it.
kept = ""
if os.path.exists("docs/benchmarks.md"):
    old = open("docs/benchmarks.md").read()
    cut = old.find("\n## Analyses")
    if cut >= 0:
        kept = "\n" + old[cut + 1:]
open("docs/benchmarks.md", "w").write("\n".join(lines).rstrip("\n") + "\n" + kept)
print("\n".join(lines))
PY
rm -rf "$out"
