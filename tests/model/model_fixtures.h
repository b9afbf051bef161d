#pragma once
// Small random models and token batches shared by the model tests.
#include <vector>

#include "core/rng.h"
#include "model/params.h"

namespace cs::test {

inline Config tiny_config(int n_layers, Positions pos, Normalization norm) {
  Config c;
  c.n_layers = n_layers;
  c.n_heads = 2;
  c.d_model = 8;
  c.d_head = 4;
  c.n_ctx = 7;
  c.d_vocab = 11;
  c.positional_embedding_type = pos;
  c.normalization_type = norm;
  return c;
}

// Weights larger than the training initialisation so attention patterns are far from uniform
// and every gradient term matters.
template <class T>
Params<T> random_params(const Config& c, uint64_t seed, double scale = 0.5) {
  Params<T> p(c);
  Rng rng(seed);
  for (const auto& v : p.layout.views()) {
    const bool ln_w = v.name.ends_with(".w"), ln_b = v.name.ends_with(".b");
    for (int64_t i = 0; i < v.numel; ++i)
      p.data[v.offset + i] = T(ln_w ? 1 + 0.2 * rng.normal() : ln_b ? 0.1 * rng.normal()
                                                                    : scale * rng.normal());
  }
  return p;
}

inline std::vector<int32_t> random_windows(int B, int Tn, int V, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> w(B * (Tn + 1));
  for (auto& t : w) t = int32_t(rng.below(V));
  return w;
}

}  // namespace cs::test
