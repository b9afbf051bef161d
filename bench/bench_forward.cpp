// Inference throughput of a GPT-2-small-shaped model (12 layers, d_model 768, 12 heads, n_ctx
// 1024, vocabulary 50,257, gelu_new MLPs of 3,072, LN, learned positions, biases; random
// weights): the forward pass with per-token loss, as evaluation and the analyses of an imported
// model run it. bench/run_forward_benchmark.sh runs it next to PyTorch (bench/torch_forward.py).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <vector>

#include "core/gemm.h"
#include "core/rng.h"
#include "model/forward.h"

namespace {

cs::Config gpt2_small() {
  cs::Config c;
  c.n_layers = 12;
  c.d_model = 768;
  c.n_heads = 12;
  c.d_head = 64;
  c.n_ctx = 1024;
  c.d_vocab = 50257;
  c.d_mlp = 3072;
  c.act_fn = cs::ActFn::gelu_new;
  c.positional_embedding_type = cs::Positions::standard;
  c.normalization_type = cs::Normalization::LN;
  c.biases = true;
  return c;
}

// args: batch, threads
void BM_Forward(benchmark::State& state) {
  const int64_t batch = state.range(0);
  cs::set_num_threads(int(state.range(1)));
  const cs::Config c = gpt2_small();
  cs::Params<float> params(c);
  params.init(1);
  // Inference keeps one layer at a time, as evaluation does.
  cs::Activations<float> acts(c, batch, c.n_ctx, false, cs::Keep::current_layer);
  cs::Rng rng(2);
  std::vector<int32_t> windows(batch * (c.n_ctx + 1));
  for (auto& t : windows) t = int32_t(rng.below(c.d_vocab));
  acts.set_windows(windows.data());
  for (auto _ : state) {
    cs::forward(params, acts);
    benchmark::DoNotOptimize(acts.loss.data());
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  state.counters["tokens_per_second"] =
      benchmark::Counter(double(batch * c.n_ctx) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = double(u.ru_maxrss) / 1024.0;
  state.counters["weights_mib"] = double(params.data.size()) * 4.0 / 1048576.0;
  state.counters["activations_mib"] = double(acts.bytes()) / 1048576.0;
}

}  // namespace

BENCHMARK(BM_Forward)->Name("forward/gpt2_small")->Args({1, 2})->Args({8, 2})->Unit(benchmark::kMillisecond)
    ->UseRealTime()->MinTime(3.0);
BENCHMARK_MAIN();
