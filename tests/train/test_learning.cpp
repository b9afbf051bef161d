// The engine learns what it should: a 0-layer model reaches a bigram source's entropy, and a
// 2-layer model learns to copy a repeated random span (attention really moves information).
#include <gtest/gtest.h>

#include <cmath>

#include "core/gemm.h"
#include "core/rng.h"
#include "model/backward.h"
#include "model/forward.h"
#include "train/adamw.h"

namespace cs {
namespace {

TEST(Learning, ZeroLayerModelReachesBigramEntropy) {
  set_num_threads(1);  // tiny shapes: one thread is fastest and unaffected by load
  const int V = 16, B = 16, Tn = 32;
  // A random sparse transition matrix: each token has 3 successors with fixed probabilities.
  Rng rng(11);
  std::vector<std::vector<std::pair<int, double>>> next(V);
  const double probs[3] = {0.6, 0.3, 0.1};
  double entropy = 0;
  for (int a = 0; a < V; ++a) {
    for (int k = 0; k < 3; ++k) next[a].push_back({int(rng.below(V)), probs[k]});
  }
  for (double p : probs) entropy -= p * std::log(p);  // per token; same for every state
  // Successors of a token may coincide; recompute the exact conditional entropy.
  entropy = 0;
  std::vector<double> stationary(V, 1.0 / V);
  for (int it = 0; it < 500; ++it) {
    std::vector<double> s(V, 0.0);
    for (int a = 0; a < V; ++a)
      for (auto [b, p] : next[a]) s[b] += stationary[a] * p;
    stationary = s;
  }
  for (int a = 0; a < V; ++a) {
    std::vector<double> row(V, 0.0);
    for (auto [b, p] : next[a]) row[b] += p;
    for (double p : row)
      if (p > 0) entropy -= stationary[a] * p * std::log(p);
  }
  auto sample = [&](std::vector<int32_t>& w) {
    for (int b = 0; b < B; ++b) {
      int t = int(rng.below(V));
      for (int i = 0; i <= Tn; ++i) {
        w[b * (Tn + 1) + i] = t;
        double u = rng.uniform(), acc = 0;
        for (auto [nb, p] : next[t]) {
          acc += p;
          if (u < acc) { t = nb; break; }
        }
      }
    }
  };
  Config c;
  c.n_layers = 0;
  c.d_model = 32;
  c.n_ctx = Tn;
  c.d_vocab = V;
  c.positional_embedding_type = Positions::standard;
  Params<float> params(c), grads(c);
  params.init(1);
  AdamW<float> opt(params.layout, {0.9, 0.99, 1e-8, 0.0, 1.0});
  Activations<float> acts(c, B, Tn);
  std::vector<int32_t> w(B * (Tn + 1));
  for (int step = 0; step < 1500; ++step) {
    sample(w);
    acts.set_windows(w.data());
    forward_backward(params, acts, grads);
    opt.clip(grads);
    opt.step(params, grads, step < 1000 ? 1e-2 : 1e-3);
  }
  double loss = 0;
  for (int k = 0; k < 20; ++k) {
    sample(w);
    acts.set_windows(w.data());
    forward(params, acts);
    loss += acts.mean_loss() / 20;
  }
  // The first token of each window has no predecessor information beyond itself, which a bigram
  // model does not need: the floor is the conditional entropy.
  EXPECT_NEAR(loss, entropy, 0.02) << "bigram entropy " << entropy;
}

TEST(Learning, TwoLayerModelCopiesARepeatedSpan) {
  set_num_threads(1);  // tiny shapes: one thread is fastest and unaffected by load
  const int V = 32, B = 16, half = 16, Tn = 2 * half;
  Config c;
  c.n_layers = 2;
  c.n_heads = 2;
  c.d_model = 32;
  c.d_head = 16;
  c.n_ctx = Tn;
  c.d_vocab = V;
  c.positional_embedding_type = Positions::shortformer;
  Params<float> params(c), grads(c);
  params.init(3);
  AdamW<float> opt(params.layout, {0.9, 0.98, 1e-8, 0.0, 1.0});
  Activations<float> acts(c, B, Tn);
  Rng rng(5);
  std::vector<int32_t> w(B * (Tn + 1));
  auto sample = [&] {
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < half; ++i) w[b * (Tn + 1) + i] = int32_t(rng.below(V));
      for (int i = half; i <= Tn; ++i) w[b * (Tn + 1) + i] = w[b * (Tn + 1) + i - half];
    }
  };
  for (int step = 0; step < 2500; ++step) {
    sample();
    acts.set_windows(w.data());
    forward_backward(params, acts, grads);
    opt.clip(grads);
    opt.step(params, grads, 3e-3);
  }
  sample();
  acts.set_windows(w.data());
  forward(params, acts);
  // Loss on predicting tokens of the repeat (targets at positions half .. Tn-1 are copies).
  double repeat = 0, first = 0;
  for (int b = 0; b < B; ++b) {
    for (int i = half; i < Tn; ++i) repeat += acts.loss[b * Tn + i] / (B * half);
    for (int i = 0; i < half - 1; ++i) first += acts.loss[b * Tn + i] / (B * (half - 1));
  }
  EXPECT_LT(repeat, 0.3);
  EXPECT_GT(first, std::log(double(V)) - 0.3);  // random tokens stay unpredictable
}

}  // namespace
}  // namespace cs
