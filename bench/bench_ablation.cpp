// The ΔICL ablation sweep (docs/evaluators.md, `circuitscope ablate`): every head of every
// snapshot, pattern-preserving, on the quick demo's two-layer model (2 layers x 8 heads, d_model
// 128, d_head 16, n_ctx 256, vocabulary 2048, LN) with 128 evaluation sequences, random weights
// (the cost does not depend on them). Budget: 100 snapshots x 16 heads in < 2 minutes on 2
// threads. Snapshots are held in memory: reading 100 snapshots of 4 MB is not what is measured.
#include <benchmark/benchmark.h>

#include <vector>

#include "analysis/ablation.h"
#include "core/gemm.h"
#include "core/rng.h"
#include "train_configs.h"

namespace {

// args: snapshots, threads, 1 = linear path (0 = one intervention pass per head)
void BM_AblationSweep(benchmark::State& state) {
  const int64_t n_snap = state.range(0), n_eval = cs::bench::kDemoEvalSequences;
  cs::set_num_threads(int(state.range(1)));
  const cs::Config c = cs::bench::demo_2l();
  std::vector<cs::Params<float>> snaps;
  for (int64_t s = 0; s < 4; ++s) {  // four distinct weight sets, reused
    snaps.emplace_back(c);
    snaps.back().init(uint64_t(s + 1));
  }
  std::vector<int32_t> windows(size_t(n_eval * (c.n_ctx + 1)));
  cs::Rng rng(7);
  for (auto& t : windows) t = int32_t(rng.below(uint64_t(c.d_vocab)));
  const cs::analysis::IclPositions pos = cs::analysis::resolve_positions(c.n_ctx, {});
  const auto kind = cs::analysis::AblationKind::pattern_preserving;
  for (auto _ : state) {
    if (state.range(2)) {
      const auto sweep = cs::analysis::icl_ablation_sweep(
          n_snap, [&](int64_t i) { return snaps[size_t(i % 4)]; }, windows, n_eval, c.n_ctx + 1,
          pos, kind);
      benchmark::DoNotOptimize(sweep.delta_icl.data());
    } else {
      for (int64_t i = 0; i < n_snap; ++i) {
        const auto r = cs::analysis::ablate_heads_icl(snaps[size_t(i % 4)], windows, n_eval,
                                                      c.n_ctx + 1, pos, kind);
        benchmark::DoNotOptimize(r.icl.data());
      }
    }
  }
  state.counters["s_per_snapshot"] =
      benchmark::Counter(double(n_snap) * double(state.iterations()),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

// The budget case, then a few snapshots of each path for a per-snapshot rate.
BENCHMARK(BM_AblationSweep)->Args({cs::bench::kDemoSnapshots, 2, 1})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_AblationSweep)->Args({4, 2, 1})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_AblationSweep)->Args({2, 2, 0})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

BENCHMARK_MAIN();
