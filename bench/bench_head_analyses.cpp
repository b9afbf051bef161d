// The analyses that run the model (docs/evaluators.md) on TransformerLens's attn-only-2l shape
// (2 layers, 8 heads, d_model 512, d_head 64, vocabulary 48262) over 64 sequences of 512 tokens:
// the head evaluators (prefix matching, previous token, positional, copying, repeated-token loss)
// and path expansion (losses at order 0..2 with frozen patterns; per-term importances of the 16
// heads and 64 virtual heads on the first term_sequences of them). Budget: < 60 s together on 2
// threads.
#include <benchmark/benchmark.h>

#include <cmath>

#include <numeric>
#include <vector>

#include "analysis/evaluators.h"
#include "analysis/path_expansion.h"
#include "core/gemm.h"
#include "core/rng.h"
#include "train_configs.h"

namespace {

constexpr int64_t kSequences = 64, kLength = 512;

struct Inputs {
  cs::Params<float> params{cs::bench::config_named("tl")};
  std::vector<int32_t> text;  // [kSequences, kLength + 1]
  std::vector<int32_t> pool;
  Inputs() {
    params.init(1);
    cs::Rng rng(3);
    text.resize(size_t(kSequences * (kLength + 1)));
    for (auto& t : text) t = int32_t(rng.below(uint64_t(params.cfg.d_vocab)));
    pool.resize(5000);
    std::iota(pool.begin(), pool.end(), 100);
  }
};

void BM_Evaluators(benchmark::State& state) {
  cs::set_num_threads(2);
  const Inputs in;
  cs::analysis::EvaluatorOptions o;
  o.text_sequences = int(kSequences);
  o.max_text_flops = INFINITY;  // the whole text, as measured before there was a work budget
  for (auto _ : state) {
    const auto e = cs::analysis::evaluate_heads(in.params, in.pool, 0, in.text, kSequences,
                                                kLength + 1, o);
    benchmark::DoNotOptimize(e.prefix_matching.data());
  }
}

// arg: sequences for the per-term importances (0: losses by order only)
void BM_PathExpansion(benchmark::State& state) {
  cs::set_num_threads(2);
  const Inputs in;
  cs::analysis::PathExpansionOptions o;
  o.term_sequences = state.range(0);
  o.virtual_pairs = state.range(0) > 0;
  for (auto _ : state) {
    const auto pe = cs::analysis::path_expansion(in.params, in.text, kSequences, kLength, o);
    benchmark::DoNotOptimize(pe.loss_by_order.data());
  }
}

}  // namespace

BENCHMARK(BM_Evaluators)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_PathExpansion)->Arg(0)->Arg(8)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

BENCHMARK_MAIN();
