// Each intervention against a hand computation on a small random model.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/gemm.h"
#include "model/forward.h"
#include "model_fixtures.h"

namespace cs {
namespace {

constexpr int B = 2, Tn = 6;

struct Fixture {
  Config c;
  Params<double> params;
  std::vector<int32_t> windows;
  explicit Fixture(int L, Positions pos = Positions::standard)
      : c(test::tiny_config(L, pos, Normalization::none)),
        params(test::random_params<double>(c, 42)),
        windows(test::random_windows(B, Tn, c.d_vocab, 3)) {
    set_num_threads(1);
  }
  Activations<double> run(const Interventions<double>* iv = nullptr, bool logits = false) {
    Activations<double> a(c, B, Tn, logits);
    a.set_windows(windows.data());
    forward(params, a, iv);
    return a;
  }
};

// sum_h pattern_h (x W_V^h) W_O^h, written out with loops.
std::vector<double> heads_output(const Fixture& f, int layer, const LineVector<double>& pattern,
                                 const std::vector<double>& x) {
  const int D = f.c.d_model, H = f.c.n_heads, K = f.c.d_head;
  const double* W_V = f.params["blocks." + std::to_string(layer) + ".attn.W_V"];
  const double* W_O = f.params["blocks." + std::to_string(layer) + ".attn.W_O"];
  std::vector<double> out(B * Tn * D, 0.0);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < Tn; ++i)
        for (int j = 0; j <= i; ++j) {
          const double a = pattern[((b * H + h) * Tn + i) * Tn + j];
          for (int k = 0; k < K; ++k) {
            double v = 0;
            for (int d = 0; d < D; ++d) v += x[(b * Tn + j) * D + d] * W_V[(h * D + d) * K + k];
            for (int e = 0; e < D; ++e) out[(b * Tn + i) * D + e] += a * v * W_O[(h * K + k) * D + e];
          }
        }
  return out;
}

double mean_loss_of_stream(const Fixture& f, const std::vector<double>& x,
                           const std::vector<int32_t>& targets) {
  const int D = f.c.d_model, V = f.c.d_vocab;
  const double* W_U = f.params["unembed.W_U"];
  double total = 0;
  for (int r = 0; r < B * Tn; ++r) {
    std::vector<double> logit(V, 0.0);
    for (int v = 0; v < V; ++v)
      for (int d = 0; d < D; ++d) logit[v] += x[r * D + d] * W_U[d * V + v];
    double mx = logit[0], s = 0;
    for (double l : logit) mx = std::max(mx, l);
    for (double l : logit) s += std::exp(l - mx);
    total += mx + std::log(s) - logit[targets[r]];
  }
  return total / (B * Tn);
}

TEST(Interventions, ZeroAblationEqualsZeroingTheHeadsOutputWeights) {
  Fixture f(2);
  Interventions<double> iv;
  iv.ablate = {{1, 0, HeadAblation::Kind::zero}};
  const auto ablated = f.run(&iv);
  const auto& v = f.params.layout.view("blocks.1.attn.W_O");
  for (int64_t i = 0; i < v.numel / f.c.n_heads; ++i) f.params.data[v.offset + i] = 0;  // head 0
  const auto reference = f.run();
  EXPECT_NEAR(ablated.mean_loss(), reference.mean_loss(), 1e-12);
  const auto clean = Fixture(2).run();
  EXPECT_GT(std::abs(ablated.mean_loss() - clean.mean_loss()), 1e-4);
}

TEST(Interventions, MeanAblationReplacesResultByItsMean) {
  Fixture f(1);
  const auto clean = f.run();
  Interventions<double> iv;
  iv.ablate = {{0, 1, HeadAblation::Kind::mean}};
  const auto ablated = f.run(&iv);
  const int H = f.c.n_heads, K = f.c.d_head;
  for (int k = 0; k < K; ++k) {
    double mean = 0;
    for (int r = 0; r < B * Tn; ++r) mean += clean.z[0][r * H * K + 1 * K + k];
    mean /= B * Tn;
    for (int r = 0; r < B * Tn; ++r) {
      EXPECT_NEAR(ablated.z[0][r * H * K + 1 * K + k], mean, 1e-12);
      EXPECT_EQ(ablated.z[0][r * H * K + k], clean.z[0][r * H * K + k]);  // head 0 untouched
    }
  }
}

TEST(Interventions, FrozenPatternsAreUsedVerbatim) {
  Fixture f(2);
  const auto clean = f.run();
  Interventions<double> iv;
  iv.freeze_patterns = &clean;
  const auto same = f.run(&iv);
  EXPECT_NEAR(same.mean_loss(), clean.mean_loss(), 1e-12);
  // Patterns of one input frozen into a pass on another: the pass must use them unchanged.
  Fixture g(2);
  g.windows = test::random_windows(B, Tn, g.c.d_vocab, 99);
  const auto other = g.run(&iv);
  EXPECT_EQ(other.pattern[1], clean.pattern[1]);
  EXPECT_NE(g.run().pattern[1], clean.pattern[1]);
}

TEST(Interventions, PathOrderMatchesHandExpansion) {
  Fixture f(2);
  const auto clean = f.run();
  const auto& x0 = clean.resid[0];
  Interventions<double> iv;
  iv.freeze_patterns = &clean;

  iv.max_path_order = 0;  // direct path: logits = embedding W_U
  EXPECT_NEAR(f.run(&iv).mean_loss(), mean_loss_of_stream(f, x0, clean.targets), 1e-10);

  iv.max_path_order = 1;  // every head reads the embedding only
  std::vector<double> x1 = x0;
  for (int l = 0; l < 2; ++l) {
    const auto r = heads_output(f, l, clean.pattern[l], x0);
    for (size_t i = 0; i < x1.size(); ++i) x1[i] += r[i];
  }
  EXPECT_NEAR(f.run(&iv).mean_loss(), mean_loss_of_stream(f, x1, clean.targets), 1e-10);

  iv.max_path_order = 2;  // the full model
  EXPECT_NEAR(f.run(&iv).mean_loss(), clean.mean_loss(), 1e-12);
}

TEST(Interventions, ResidualOverrideReplacesTheStream) {
  Fixture f(2, Positions::shortformer);
  Fixture g(2, Positions::shortformer);
  g.windows = test::random_windows(B, Tn, g.c.d_vocab, 5);
  const auto other = g.run();
  // Feeding another input's embedding at layer 0 (same targets) is running that input.
  Interventions<double> iv;
  iv.resid_layer = 0;
  iv.resid_value = other.resid[0].data();
  auto swapped = f.run(&iv);
  EXPECT_EQ(swapped.pattern[1], other.pattern[1]);
  // Overriding the final stream fixes the logits to value W_U.
  iv.resid_layer = 2;
  EXPECT_NEAR(f.run(&iv).mean_loss(), mean_loss_of_stream(f, other.resid[0], f.run().targets), 1e-10);
}

TEST(Interventions, HeadResultSumsToTheAttentionOutput) {
  Fixture f(1);
  const auto a = f.run();
  const auto result = a.head_result(f.params, 0);
  ASSERT_EQ(result.shape, (std::vector<int64_t>{B, Tn, f.c.n_heads, f.c.d_model}));
  const int D = f.c.d_model, H = f.c.n_heads;
  for (int r = 0; r < B * Tn; ++r)
    for (int d = 0; d < D; ++d) {
      double s = a.resid[0][r * D + d];
      for (int h = 0; h < H; ++h) s += result.data[(r * H + h) * D + d];
      EXPECT_NEAR(s, a.resid[1][r * D + d], 1e-12);
    }
}

TEST(Interventions, BadInterventionsAreRefused) {
  Fixture f(2);
  Interventions<double> iv;
  iv.ablate = {{2, 0, HeadAblation::Kind::zero}};
  EXPECT_THROW(f.run(&iv), Error);
  iv.ablate = {{1, 5, HeadAblation::Kind::zero}};
  EXPECT_THROW(f.run(&iv), Error);
}

}  // namespace
}  // namespace cs
