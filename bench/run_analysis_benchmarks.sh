#!/usr/bin/env bash
# Speed of the analyses (docs/circuits.md, docs/evaluators.md) against their budgets, on 2
# threads: weight-only circuits on the attn-only-2l shape, evaluators and path expansion on 64
# sequences of 512 tokens of it, the ablation sweep over the demo's 2-layer model. Writes the
# "## Analyses" section of docs/benchmarks.md (the sections before and after it are left as they are).
# Usage: bench/run_analysis_benchmarks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BENCH=ON > /dev/null
cmake --build build -j2 --target bench_circuits bench_head_analyses bench_ablation > /dev/null
out=$(mktemp -d)
for b in bench_circuits bench_head_analyses bench_ablation; do
  OMP_WAIT_POLICY=PASSIVE build/bench/$b --benchmark_format=json > "$out/$b.json"
done
/usr/bin/python3 - "$out" <<'PY'
import json, os, sys, datetime
out = sys.argv[1]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
def runs(name):
    return {b["name"]: b for b in json.load(open(f"{out}/{name}.json"))["benchmarks"]}
def seconds(b):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    return b["real_time"] * scale
circ = runs("bench_circuits")
heads = runs("bench_head_analyses")
abl = runs("bench_ablation")
w2 = next(b for n, b in circ.items() if n.startswith("BM_WeightOnlyCircuits/2/"))
w1 = next(b for n, b in circ.items() if n.startswith("BM_WeightOnlyCircuits/1/"))
ev = next(b for n, b in heads.items() if n.startswith("BM_Evaluators"))
pe0 = next(b for n, b in heads.items() if n.startswith("BM_PathExpansion/0/"))
pe8 = next(b for n, b in heads.items() if n.startswith("BM_PathExpansion/8/"))
sweep = next(b for n, b in abl.items() if n.startswith("BM_AblationSweep/100/"))
linear = next(b for n, b in abl.items() if n.startswith("BM_AblationSweep/4/"))
inter = next(b for n, b in abl.items() if n.startswith("BM_AblationSweep/2/"))
def verdict(x, budget):
    return "met" if x < budget else "**not met**"
ev_pe = seconds(ev) + seconds(pe8)
lines = [
    "## Analyses", "",
    f"- machine: {cpu}, {os.cpu_count()} cores, 2 threads unless said",
    f"- date: {datetime.date.today().isoformat()}",
    "- command: `bench/run_analysis_benchmarks.sh` (bench_circuits, bench_head_analyses, bench_ablation)", "",
    "| analysis | shape | time | budget | |",
    "|---|---|---|---|---|",
    f"| weight-only circuits: Gram matrices, eigenvalues of every head, skip-trigrams for 200 sources, composition with baseline, induction QK | attn-only-2l: 2L, 8 heads, d_model 512, vocab 48262 | {seconds(w2):.2f} s (1 thread: {seconds(w1):.2f} s) | < 2 s | {verdict(seconds(w2), 2)} |",
    f"| head evaluators (prefix matching, previous token, positional, copying, repeated-token loss) | attn-only-2l, 64 × 512 text tokens | {seconds(ev):.1f} s | | |",
    f"| path expansion: losses at order 0–2, frozen patterns | attn-only-2l, 64 × 512 | {seconds(pe0):.1f} s | | |",
    f"| path expansion with per-term importances of 16 heads and 64 virtual heads on 8 of the sequences | attn-only-2l, 64 × 512 | {seconds(pe8):.1f} s | | |",
    f"| evaluators + path expansion (the two rows above) | | {ev_pe:.1f} s | < 60 s | {verdict(ev_pe, 60)} |",
    f"| evaluators + path expansion losses by order, without per-term importances | | {seconds(ev) + seconds(pe0):.1f} s | < 60 s | {verdict(seconds(ev) + seconds(pe0), 60)} |",
    f"| ΔICL ablation sweep, pattern-preserving (LayerNorm model: passes from the ablated layer on, last two layers at the window rows only) | quick demo 2L (d_model 128, 8 × 16, n_ctx 256, vocab 2048, LN), 100 snapshots × 16 heads, 128 sequences | {seconds(sweep):.1f} s | < 120 s | {verdict(seconds(sweep), 120)} |",
    f"| the same, per snapshot: in the sweep (two snapshots at a time, one thread each) / one snapshot on two threads | | {seconds(linear)/4:.2f} s / {seconds(inter)/2:.2f} s | | |",
    "",
    "Weights are random (the cost does not depend on them); snapshots of the sweep are held in memory.",
    "",
]
path = "docs/benchmarks.md"
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
# Only this section is replaced; later sections (other benchmarks' notes) are kept.
cut = text.find("\n## Analyses")
rest = ""
if cut >= 0:
    after = text.find("\n## ", cut + 1)
    rest = text[after:] if after >= 0 else ""
    text = text[:cut + 1]
open(path, "w").write(text.rstrip("\n") + "\n\n" + "\n".join(lines).rstrip("\n") + "\n" + rest)
print("\n".join(lines))
PY
rm -rf "$out"
