#!/usr/bin/env bash
# Training speed of the engine next to the PyTorch reference on this machine, in one run, and the
# sgemm rate of the same shapes; writes docs/benchmarks.md. Usage: bench/run_benchmarks.sh [CONFIGS]
set -euo pipefail
cd "$(dirname "$0")/.."
configs="${1:-tiny,small,tl,demo,demo_mlp,demo_mlp_2t,tl_mlp}"
threads=2
# Paired rounds per configuration: ours, then PyTorch, then ours again... This machine's speed
# drifts by 5-15% over minutes, so two timings taken minutes apart carry that drift into their
# ratio; each round's pair is taken within seconds, and the table gives the median round. TL-size
# gets one round (a PyTorch step there takes over ten seconds).
rounds_of() { case "$1" in tl | tl_mlp) echo 1 ;; demo) echo 7 ;; demo_mlp*) echo 5 ;; *) echo 3 ;; esac; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BENCH=ON > /dev/null
cmake --build build -j2 --target bench_train_step > /dev/null
out=$(mktemp -d)
for c in ${configs//,/ }; do
  # One process per measurement, so peak memory belongs to that configuration alone.
  for r in $(seq "$(rounds_of "$c")"); do
    OMP_WAIT_POLICY=PASSIVE build/bench/bench_train_step --benchmark_filter="^train_step/$c/" \
      --benchmark_format=json > "$out/ours_${c}_$r.json"
    /usr/bin/python3 bench/torch_train_step.py --configs "$c" --threads "$threads" >> "$out/torch_$c.jsonl"
  done
  OMP_WAIT_POLICY=PASSIVE build/bench/bench_train_step --benchmark_filter="^(train_step_bf16|sgemm)/$c/" \
    --benchmark_format=json > "$out/extra_$c.json"
done
/usr/bin/python3 - "$out" "$configs" "$threads" <<'PY'
import json, os, re, statistics, sys, datetime
out, configs, threads = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")

def bench(path):
    return {b["name"].split("/")[0]: b for b in json.load(open(path))["benchmarks"]}

rows, rounds = [], []
for c in configs:
    # Round files are ours_<config>_<round>.json; one config's name may begin another's (demo_mlp).
    n = len([f for f in os.listdir(out) if re.fullmatch(rf"ours_{c}_\d+\.json", f)])
    ours = [bench(f"{out}/ours_{c}_{r}.json")["train_step"] for r in range(1, n + 1)]
    torch = [json.loads(l) for l in open(f"{out}/torch_{c}.jsonl") if l.strip().startswith("{")]
    extra = bench(f"{out}/extra_{c}.json")
    ratios = [o["tokens_per_second"] / t["tokens_per_second"] for o, t in zip(ours, torch)]
    med = statistics.median
    o_tps, t_tps = med([o["tokens_per_second"] for o in ours]), med([t["tokens_per_second"] for t in torch])
    rows.append(dict(c=c, n=n, ot=o_tps, pt=t_tps, ratio=med(ratios), lo=min(ratios), hi=max(ratios),
                     og=med([o["GFLOPs"] for o in ours]), sg=extra["sgemm"]["GFLOPs"],
                     orss=max(o["peak_rss_mib"] for o in ours),
                     prss=max(t.get("peak_rss_mib", float("nan")) for t in torch),
                     bt=extra["train_step_bf16"]["tokens_per_second"]))
    rounds.append((c, ours, torch, ratios))
lines = [
    "# Benchmarks", "",
    "Training step = forward + backward + gradient clipping + AdamW, float32, shortformer positions, no normalization",
    "(demo: standard positions and LayerNorm, the quick demo's 2-layer model).",
    "The bf16 columns are the same step with `train --precision bf16` (bf16 inputs to the large",
    "matrix products, float accumulation, float weights and optimizer).",
    "FLOPs are counted analytically (2 per multiply-add; GEMMs 3x forward; attention over the causal",
    "half, 2 products forward and 4 backward). PyTorch runs the same model",
    "(`bench/torch_train_step.py`, batched-GEMM attention, its tuned runtime settings) on the same",
    "machine in the same run. sgemm is oneDNN at the model's largest shape (tokens x d_model -> d_vocab).",
    "Ours and PyTorch are timed in alternating rounds, each for at least 3 s; a round's ratio",
    "compares two timings taken seconds apart, and the table gives the median over the rounds (range",
    "in brackets; tokens/s and GFLOP/s are medians too, bf16 and sgemm are one timing each).", "",
    f"- machine: {cpu}, {os.cpu_count()} cores, {threads} threads (demo: 1, as the demo trains it)",
    f"- date: {datetime.date.today().isoformat()}",
    "- command: `bench/run_benchmarks.sh`", "",
    "| config | rounds | ours tokens/s | PyTorch tokens/s | ratio [range] | ours GFLOP/s | sgemm GFLOP/s | % of sgemm | ours peak RSS MiB | PyTorch peak RSS MiB | ours bf16 tokens/s | bf16 speed-up |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]
for r in rows:
    lines.append(f"| {r['c']} | {r['n']} | {r['ot']:,.0f} | {r['pt']:,.0f} | {r['ratio']:.2f}x [{r['lo']:.2f}-{r['hi']:.2f}] "
                 f"| {r['og']:.1f} | {r['sg']:.1f} | {100*r['og']/r['sg']:.0f}% | {r['orss']:,.0f} | {r['prss']:,.0f} "
                 f"| {r['bt']:,.0f} | {r['bt']/r['ot']:.2f}x |")
lines += ["", "Configurations: tiny 2L d_model 64, 4x16 heads, n_ctx 256, vocab 2048, batch 16; small 2L",
          "d_model 128, 8x16, n_ctx 512, vocab 4096, batch 8; tl 2L d_model 512, 8x64, n_ctx 1024,",
          "vocab 48262, batch 4; demo 2L d_model 128, 8x16, n_ctx 256, vocab 1024, batch 4, standard",
          "positions, LN, one thread for ours, PyTorch and sgemm alike; demo_mlp the same with MLP blocks",
          "(d_mlp 512, exact GELU; demo_mlp_2t on two threads); tl_mlp 2L d_model 512, 8x64, d_mlp 2048,",
          "n_ctx 1024, vocab 48262, batch 4, standard positions, LN (TransformerLens's gelu-2l shape).", "",
          "Every round (tokens/s, ours / PyTorch = ratio):", ""]
for c, ours, torch, ratios in rounds:
    lines.append(f"- {c}: " + "; ".join(f"{o['tokens_per_second']:,.0f} / {t['tokens_per_second']:,.0f} = {q:.2f}x"
                                       for o, t, q in zip(ours, torch, ratios)))
lines.append("")
# What follows the table (the MLP and inference sections, the notes on reading these numbers, the
# analyses' section of bench/run_analysis_benchmarks.sh) is written by hand or by other scripts: keep it.
kept = ""
if os.path.exists("docs/benchmarks.md"):
    old = open("docs/benchmarks.md").read()
    cut = old.find("\n## ")
    if cut >= 0:
        kept = "\n" + old[cut + 1:]
open("docs/benchmarks.md", "w").write("\n".join(lines).rstrip("\n") + "\n" + kept)
print("\n".join(lines))
PY
rm -rf "$out"
