#pragma once
// The benchmark configurations of docs/benchmarks.md and their analytic FLOP counts.
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace cs::bench {

struct TrainConfig {
  std::string name;
  Config model;
  int batch;
};

inline std::vector<TrainConfig> train_configs() {
  auto make = [](int D, int H, int K, int T, int V) {
    Config c;
    c.n_layers = 2;
    c.d_model = D;
    c.n_heads = H;
    c.d_head = K;
    c.n_ctx = T;
    c.d_vocab = V;
    c.positional_embedding_type = Positions::shortformer;
    return c;
  };
  return {{"tiny", make(64, 4, 16, 256, 2048), 16},
          {"small", make(128, 8, 16, 512, 4096), 8},
          {"tl", make(512, 8, 64, 1024, 48262), 4}};
}

// FLOPs of one training step (2 per multiply-add). GEMMs cost 3x their forward (forward, input
// gradient, weight gradient); attention counts only the causal half, forward 2 products
// (scores, pattern v) and backward 4 (dpattern, dv, dq, dk).
inline double train_step_flops(const Config& c, int batch) {
  const double D = c.d_model, HK = double(c.n_heads) * c.d_head, V = c.d_vocab, T = c.n_ctx;
  const double tokens = double(batch) * T;
  const double gemm_fwd = tokens * (c.n_layers * (2 * D * 3 * HK + 2 * HK * D) + 2 * D * V);
  const double causal_pairs = T * (T + 1) / 2;
  const double attn_fwd = batch * c.n_layers * c.n_heads * causal_pairs * c.d_head * 2 * 2;
  return 3 * gemm_fwd + 3 * attn_fwd;
}

}  // namespace cs::bench
