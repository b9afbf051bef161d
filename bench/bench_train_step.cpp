// Training-step throughput (forward + backward + AdamW) of the benchmark configurations, and the
// machine's sgemm rate on the same shapes for comparison. bench/run_benchmarks.sh runs it next to
// the PyTorch reference and writes docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <vector>

#include "core/gemm.h"
#include "core/rng.h"
#include "model/backward.h"
#include "train/adamw.h"
#include "train_configs.h"

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

// args: threads, precision (0 fp32, 1 bf16 matrix-product inputs, as `train --precision bf16`)
void BM_TrainStep(benchmark::State& state, cs::bench::TrainConfig tc) {
  cs::set_num_threads(int(state.range(0)));
  const auto precision = state.range(1) ? cs::MatmulPrecision::bf16 : cs::MatmulPrecision::fp32;
  cs::Params<float> params(tc.model);
  params.init(1);
  cs::Params<float> grads(tc.model);
  cs::AdamW<float> opt(params.layout, {});
  cs::Activations<float> acts(tc.model, tc.batch, tc.model.n_ctx);
  cs::Rng rng(2);
  std::vector<int32_t> windows(int64_t(tc.batch) * (tc.model.n_ctx + 1));
  for (auto& t : windows) t = int32_t(rng.below(tc.model.d_vocab));
  acts.set_windows(windows.data());
  for (auto _ : state) {
    const float loss = [&] {
      const cs::MatmulPrecisionScope scope(precision);
      return cs::forward_backward(params, acts, grads);
    }();
    opt.clip(grads);
    opt.step(params, grads, 1e-3);
    benchmark::DoNotOptimize(loss);
  }
  const double tokens = double(tc.batch) * tc.model.n_ctx;
  state.counters["tokens_per_second"] =
      benchmark::Counter(tokens * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GFLOPs"] = benchmark::Counter(
      cs::bench::train_step_flops(tc.model, tc.batch) * double(state.iterations()) * 1e-9,
      benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = peak_rss_mib();
}

// sgemm at the model's dominant shape (rows = batch x n_ctx tokens, d_model -> d_vocab).
void BM_Sgemm(benchmark::State& state) {
  cs::set_num_threads(int(state.range(3)));
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  for (auto _ : state) {
    cs::gemm<float>(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * M * N * K * double(state.iterations()) * 1e-9,
                                                benchmark::Counter::kIsRate);
}

int register_all() {
  for (const auto& tc : cs::bench::train_configs()) {
    benchmark::RegisterBenchmark(("train_step/" + tc.name).c_str(), BM_TrainStep, tc)
        ->Args({tc.threads, 0})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
    benchmark::RegisterBenchmark(("train_step_bf16/" + tc.name).c_str(), BM_TrainStep, tc)
        ->Args({tc.threads, 1})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
    benchmark::RegisterBenchmark(("sgemm/" + tc.name).c_str(), BM_Sgemm)
        ->Args({int64_t(tc.batch) * tc.model.n_ctx, tc.model.d_vocab, tc.model.d_model, tc.threads})
        ->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
