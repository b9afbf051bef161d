// The weight-only circuit analyses (docs/circuits.md: vocabulary Gram matrices, eigenvalues of
// every head, skip-trigrams for the 200 default sources with their top-k tables, composition scores
// with the random baseline, induction QK axes) on TransformerLens's attn-only-2l shape: 2 layers,
// 8 heads, d_model 512, d_head 64, vocabulary 48262, random weights. Budget: < 2 s on 2 threads.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "analysis/circuits_report.h"
#include "core/gemm.h"
#include "train_configs.h"

namespace {

void BM_WeightOnlyCircuits(benchmark::State& state) {
  cs::set_num_threads(int(state.range(0)));
  cs::Params<float> params(cs::bench::config_named("tl"));
  params.init(1);
  std::vector<int64_t> sources(200);
  std::iota(sources.begin(), sources.end(), int64_t(1000));
  cs::analysis::CircuitsOptions options;
  double grams = 0, spectra = 0, skip = 0, composition = 0;
  for (auto _ : state) {
    const auto a = cs::analysis::analyze_circuits(cs::analysis::ModelCircuits(params), sources, "bench", options);
    benchmark::DoNotOptimize(a.spectra.data());
    grams += a.seconds_grams;
    spectra += a.seconds_spectra;
    skip += a.seconds_skip;
    composition += a.seconds_composition;
  }
  const double n = double(state.iterations());
  state.counters["grams_s"] = grams / n;
  state.counters["eigen_s"] = spectra / n;
  state.counters["skip_trigrams_s"] = skip / n;
  state.counters["composition_s"] = composition / n;
}

}  // namespace

BENCHMARK(BM_WeightOnlyCircuits)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

BENCHMARK_MAIN();
