#pragma once
// A two-layer attention-only model whose circuit is known by construction: head 0.0 is a
// previous-token head, head 1.0 an induction head (K-composition with 0.0), heads 0.1 and 1.1 are
// zero. The residual stream holds four blocks: the token E, the previous token E' (written by 0.0),
// the induction output O (written by 1.0, the only block W_U reads) and the position P (shortformer:
// only queries and keys see it). So the direct path and 0.0 give uniform logits, and every bit of
// in-context learning goes through 1.0.
#include <cmath>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/params.h"

namespace cs::test {

struct InductionModel {
  static constexpr int V = 40, T = 64;  // vocabulary (BOS = V - 1) and context
  Config cfg;
  Params<float> params;
  InductionModel() : cfg(make_config()), params(cfg) { build(); }

  static Config make_config() {
    Config c;
    c.n_layers = 2;
    c.n_heads = 2;
    c.d_model = 3 * V + T;
    c.d_head = T;
    c.n_ctx = T;
    c.d_vocab = V;
    c.positional_embedding_type = Positions::shortformer;
    return c;
  }

  // Evaluation sequences [n, T + 1]: BOS, 32 distinct random tokens, the same 32 again.
  static std::vector<int32_t> repeated_windows(int n, uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> w;
    for (int b = 0; b < n; ++b) {
      std::vector<int32_t> pool;
      for (int t = 0; t < V - 1; ++t) pool.push_back(t);
      for (int i = 0; i < T / 2; ++i) std::swap(pool[size_t(i)], pool[size_t(i) + rng.below(pool.size() - size_t(i))]);
      w.push_back(V - 1);
      for (int r = 0; r < 2; ++r) w.insert(w.end(), pool.begin(), pool.begin() + T / 2);
    }
    return w;
  }

 private:
  void build() {
    const int D = cfg.d_model, K = cfg.d_head;
    const int E = 0, Ep = V, O = 2 * V, P = 3 * V;
    const float c = 40.0f * std::sqrt(float(K));  // scores of 40 after the 1/sqrt(d_head) scale
    // W_Q, W_K, W_V are [H, D, K]; W_O is [H, K, D].
    auto in = [&](const std::string& name, int head, int d, int k) -> float& {
      return params[name][(int64_t(head) * D + d) * K + k];
    };
    auto out = [&](const std::string& name, int head, int k, int d) -> float& {
      return params[name][(int64_t(head) * K + k) * D + d];
    };
    for (int t = 0; t < V; ++t) params["embed.W_E"][t * D + E + t] = 1;
    for (int i = 0; i < T; ++i) params["pos_embed.W_pos"][i * D + P + i] = 1;
    for (int i = 0; i < T; ++i) in("blocks.0.attn.W_Q", 0, P + i, i) = c;  // query i ...
    for (int j = 0; j + 1 < T; ++j) in("blocks.0.attn.W_K", 0, P + j, j + 1) = 1;  // ... finds key i-1
    for (int t = 0; t < V; ++t) {
      in("blocks.0.attn.W_V", 0, E + t, t) = 1;  // 0.0 moves the token ...
      out("blocks.0.attn.W_O", 0, t, Ep + t) = 1;  // ... into E'
      in("blocks.1.attn.W_Q", 0, E + t, t) = c;  // 1.0: my token ...
      in("blocks.1.attn.W_K", 0, Ep + t, t) = 1;  // ... against each position's previous token
      in("blocks.1.attn.W_V", 0, E + t, t) = 1;  // copies the token found ...
      out("blocks.1.attn.W_O", 0, t, O + t) = 1;  // ... into O
      params["unembed.W_U"][(O + t) * V + t] = 10;
    }
  }
};

}  // namespace cs::test
