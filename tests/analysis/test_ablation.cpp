// Ablations and ΔICL (docs/evaluators.md): the intervention path against ICL scores computed by
// hand from full forward passes, and the fast linear path against the intervention path.
#include "analysis/ablation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../model/model_fixtures.h"
#include "induction_model.h"
#include "analysis/row_loss.h"
#include "core/max_of.h"
#include "core/error.h"
#include "core/gemm.h"
#include "model/forward.h"

namespace cs::analysis {
namespace {

constexpr int N = 5, W = 21;  // evaluation sequences and their width (n_ctx + 1)

Config model_config(int L, Positions pos, Normalization norm = Normalization::none) {
  Config c = test::tiny_config(L, pos, norm);
  c.n_ctx = W - 1;
  c.d_vocab = 23;
  c.n_heads = 3;
  return c;
}

IclPositions positions() {
  IclOptions o;
  o.early_window = Window{2, 4};
  o.late_window = Window{12, 16};
  return resolve_positions(W - 1, o);
}

// ICL of a full pass: mean over sequences of (late-window mean - early-window mean).
double icl_by_hand(const Activations<double>& a, const IclPositions& p) {
  double s = 0;
  for (int b = 0; b < N; ++b) {
    double e = 0, l = 0;
    for (int64_t i = p.early_window.first; i <= p.early_window.last; ++i) e += a.loss[size_t(b * (W - 1) + i)];
    for (int64_t i = p.late_window.first; i <= p.late_window.last; ++i) l += a.loss[size_t(b * (W - 1) + i)];
    s += l / double(p.late_window.size()) - e / double(p.early_window.size());
  }
  return s / N;
}

TEST(RowLoss, MatchesLogSumExpInEveryVariant) {
  // 200 entries: three full 64-lane blocks and a tail.
  std::vector<float> a(200), b(200);
  for (int v = 0; v < 200; ++v) {
    a[size_t(v)] = float(std::sin(v * 0.37) * 6);
    b[size_t(v)] = float(std::cos(v * 0.11) * 2);
  }
  auto reference = [&](bool diff, int target) {
    double mx = -1e300, s = 0;
    for (int v = 0; v < 200; ++v) mx = std::max(mx, double(a[size_t(v)]) - (diff ? b[size_t(v)] : 0.0));
    for (int v = 0; v < 200; ++v) s += std::exp(double(a[size_t(v)]) - (diff ? b[size_t(v)] : 0.0) - mx);
    return mx + std::log(s) - (double(a[size_t(target)]) - (diff ? b[size_t(target)] : 0.0));
  };
  const float mx = max_of(a.data(), 200);
  EXPECT_NEAR(row_loss(a.data(), 200, 7), reference(false, 7), 1e-5);
  EXPECT_NEAR(row_loss_minus(a.data(), b.data(), 200, 199), reference(true, 199), 1e-5);
  EXPECT_NEAR(row_loss_near(a.data(), 200, 7, mx), reference(false, 7), 1e-5);
  EXPECT_NEAR(row_loss_minus_near(a.data(), b.data(), 200, 3, mx), reference(true, 3), 1e-5);
  // A shift far from the row's maximum falls back to two passes instead of losing the sum.
  EXPECT_NEAR(row_loss_near(a.data(), 200, 7, mx + 500.0f), reference(false, 7), 1e-5);
  EXPECT_NEAR(row_loss_near(a.data(), 200, 7, mx - 500.0f), reference(false, 7), 1e-5);
}

// Three layers, with and without LayerNorm: the passes that start after the ablated head's layer
// must equal full passes with the head zeroed, for a middle layer and the last one.
class InterventionPath : public ::testing::TestWithParam<Normalization> {};

TEST_P(InterventionPath, EqualsIclOfFullPasses) {
  set_num_threads(1);
  const Config c = model_config(3, Positions::shortformer, GetParam());
  const Params<double> p = test::random_params<double>(c, 3);
  const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 9);
  const IclPositions pos = positions();
  Activations<double> clean(c, N, W - 1);
  clean.set_windows(windows.data());
  forward(p, clean);
  for (AblationKind kind : {AblationKind::pattern_preserving, AblationKind::full}) {
    const HeadAblationIcl r = ablate_heads_icl(p, windows, N, W, pos, kind, 2);
    EXPECT_NEAR(r.clean_icl, icl_by_hand(clean, pos), 1e-12);
    for (int l = 0; l < 3; ++l)
      for (int h = 0; h < 3; ++h) {
        Interventions<double> iv;
        iv.ablate = {{l, h, HeadAblation::Kind::zero}};
        if (kind == AblationKind::pattern_preserving) iv.freeze_patterns = &clean;
        Activations<double> a(c, N, W - 1);
        a.set_windows(windows.data());
        forward(p, a, &iv);
        EXPECT_NEAR(r.delta_icl(l, h), icl_by_hand(a, pos) - icl_by_hand(clean, pos), 1e-12)
            << to_string(kind) << " " << l << "." << h;
      }
  }
}

// Models with MLPs, sequential and parallel blocks, with biases: every head and every MLP layer
// (zeroed, mean-replaced) against full passes with that intervention; the last block's variants
// take the window-rows path.
class MlpAblationPath : public ::testing::TestWithParam<std::tuple<Normalization, bool>> {};

TEST_P(MlpAblationPath, EqualsIclOfFullPasses) {
  set_num_threads(1);
  Config c = model_config(2, Positions::standard, std::get<0>(GetParam()));
  c.d_mlp = 10;
  c.parallel_attn_mlp = std::get<1>(GetParam());
  c.biases = true;
  const Params<double> p = test::random_params<double>(c, 4);
  const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 9);
  const IclPositions pos = positions();
  // The ablation's passes stop at the late window's end, and a mean is over a batch's rows: one
  // batch of every sequence, cut where the ablation cuts, is the same computation.
  const int64_t seq = pos.late_window.last + 1;
  std::vector<int32_t> cut;
  for (int b = 0; b < N; ++b) cut.insert(cut.end(), windows.begin() + b * W, windows.begin() + b * W + seq + 1);
  auto icl_of = [&](const Activations<double>& a) {
    double s = 0;
    for (int b = 0; b < N; ++b) {
      double e = 0, l = 0;
      for (int64_t i = pos.early_window.first; i <= pos.early_window.last; ++i) e += a.loss[size_t(b * seq + i)];
      for (int64_t i = pos.late_window.first; i <= pos.late_window.last; ++i) l += a.loss[size_t(b * seq + i)];
      s += l / double(pos.late_window.size()) - e / double(pos.early_window.size());
    }
    return s / N;
  };
  Activations<double> clean(c, N, seq);
  clean.set_windows(cut.data());
  forward(p, clean);
  auto ablated_icl = [&](const Interventions<double>& iv) {
    Activations<double> a(c, N, seq);
    a.set_windows(cut.data());
    forward(p, a, &iv);
    return icl_of(a) - icl_of(clean);
  };
  for (AblationKind kind : {AblationKind::pattern_preserving, AblationKind::full}) {
    const HeadAblationIcl r = ablate_heads_icl(p, windows, N, W, pos, kind, N);
    EXPECT_NEAR(r.clean_icl, icl_of(clean), 1e-12);
    Interventions<double> iv;
    if (kind == AblationKind::pattern_preserving) iv.freeze_patterns = &clean;
    for (int l = 0; l < 2; ++l) {
      for (int h = 0; h < c.n_heads; ++h) {
        iv.ablate = {{l, h, HeadAblation::Kind::zero}};
        EXPECT_NEAR(r.delta_icl(l, h), ablated_icl(iv), 1e-12) << to_string(kind) << " " << l << "." << h;
      }
      iv.ablate.clear();
      for (auto k : {HeadAblation::Kind::zero, HeadAblation::Kind::mean}) {
        iv.ablate_mlp = {{l, k}};
        EXPECT_NEAR(r.mlp_delta_icl(k)[size_t(l)], ablated_icl(iv), 1e-12) << "MLP " << l;
        EXPECT_GT(std::abs(r.mlp_delta_icl(k)[size_t(l)]), 1e-6) << "an MLP that changes nothing tests nothing";
      }
      iv.ablate_mlp.clear();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Blocks, MlpAblationPath,
                         ::testing::Combine(::testing::Values(Normalization::none, Normalization::LN),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Normalization::LN ? "LN" : "none") +
                                  (std::get<1>(info.param) ? "_parallel" : "_sequential");
                         });

INSTANTIATE_TEST_SUITE_P(Normalizations, InterventionPath,
                         ::testing::Values(Normalization::none, Normalization::LN),
                         [](const auto& info) { return to_string(info.param) == "null" ? std::string("none") : to_string(info.param); });

TEST(Ablation, AHeadMaskLeavesTheOtherHeadsNaNAndTheRestUnchanged) {
  set_num_threads(1);
  for (const bool mlp : {false, true}) {
    Config c = model_config(3, Positions::shortformer, Normalization::LN);
    if (mlp) c.d_mlp = 12;
    const Params<double> p = test::random_params<double>(c, 5);
    const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 4);
    for (AblationKind kind : {AblationKind::pattern_preserving, AblationKind::full}) {
      const HeadAblationIcl all = ablate_heads_icl(p, windows, N, W, positions(), kind, 2);
      std::vector<bool> mask(9, false);
      mask[1] = mask[4] = mask[8] = true;  // one head in each layer
      const HeadAblationIcl some = ablate_heads_icl(p, windows, N, W, positions(), kind, 2, mask);
      EXPECT_EQ(some.clean_icl, all.clean_icl);
      for (size_t i = 0; i < mask.size(); ++i) {
        if (mask[i]) EXPECT_NEAR(some.icl[i], all.icl[i], 1e-12) << "head " << i;
        else EXPECT_TRUE(std::isnan(some.icl[i]) && std::isnan(some.early[i])) << "head " << i;
      }
      EXPECT_EQ(some.mlp_zero_icl, all.mlp_zero_icl);
    }
  }
}

TEST(Ablation, PatternPreservingAndFullDifferWhereLaterPatternsRead) {
  // A layer-0 head feeds the layer-1 queries and keys: freezing patterns changes the answer.
  set_num_threads(1);
  const Config c = model_config(2, Positions::shortformer);
  const Params<double> p = test::random_params<double>(c, 3);
  const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 9);
  const HeadAblationIcl pp = ablate_heads_icl(p, windows, N, W, positions(), AblationKind::pattern_preserving);
  const HeadAblationIcl full = ablate_heads_icl(p, windows, N, W, positions(), AblationKind::full);
  EXPECT_GT(std::abs(pp.delta_icl(0, 0) - full.delta_icl(0, 0)), 1e-6);
  // The last layer's heads feed nothing but the logits: both kinds agree.
  EXPECT_NEAR(pp.delta_icl(1, 2), full.delta_icl(1, 2), 1e-12);
}

TEST(Ablation, LinearPathEqualsInterventionPath) {
  set_num_threads(1);
  // A vocabulary below the 85 projected rows makes layer 0 read q, k, v from token tables; 200
  // does not.
  for (int vocab : {23, 200})
  for (int L : {1, 2, 3})
    for (Positions pos : {Positions::standard, Positions::shortformer, Positions::rotary}) {
      Config c = model_config(L, pos);
      c.d_vocab = vocab;
      const Params<double> p = test::random_params<double>(c, 40 + L);
      const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 2);
      const HeadAblationIcl ref =
          ablate_heads_icl(p, windows, N, W, positions(), AblationKind::pattern_preserving, 2);
      const HeadAblationIcl fast = ablate_heads_icl_linear(p, windows, N, W, positions(), 2);
      EXPECT_NEAR(fast.clean_icl, ref.clean_icl, 1e-12);
      EXPECT_NEAR(fast.clean_early, ref.clean_early, 1e-12);
      for (size_t i = 0; i < ref.icl.size(); ++i) {
        EXPECT_NEAR(fast.icl[i], ref.icl[i], 1e-11)
            << "V=" << vocab << " L=" << L << " " << to_string(pos) << " head " << i;
        EXPECT_NEAR(fast.early[i], ref.early[i], 1e-11);
      }
    }
}

TEST(Ablation, LinearPathInFloatAgreesAndTheSweepUsesIt) {
  set_num_threads(2);
  const Config c = model_config(2, Positions::shortformer);
  std::vector<Params<float>> snaps;
  for (uint64_t s : {1u, 2u, 3u}) snaps.push_back(test::random_params<float>(c, s, 0.3));
  const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 4);
  const IclAblationSweep sweep = icl_ablation_sweep(
      3, [&](int64_t i) { return snaps[size_t(i)]; }, windows, N, W, positions(),
      AblationKind::pattern_preserving, 2);
  EXPECT_EQ(sweep.method, "linear");
  ASSERT_EQ(sweep.delta_icl.size(), 3u * 2 * 3);
  for (int s = 0; s < 3; ++s) {
    const HeadAblationIcl ref =
        ablate_heads_icl(snaps[size_t(s)], windows, N, W, positions(), AblationKind::pattern_preserving);
    EXPECT_NEAR(sweep.clean_icl[size_t(s)], ref.clean_icl, 1e-5);
    for (int i = 0; i < 6; ++i)
      EXPECT_NEAR(sweep.delta_icl[size_t(s * 6 + i)], ref.icl[size_t(i)] - ref.clean_icl, 1e-5);
  }
  set_num_threads(1);
}

TEST(Ablation, NormalizedModelsFallBackToInterventions) {
  set_num_threads(1);
  const Config c = model_config(2, Positions::shortformer, Normalization::LNPre);
  const Params<float> p = test::random_params<float>(c, 5);
  const std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 4);
  EXPECT_FALSE(linear_path_applies(c, AblationKind::pattern_preserving));
  EXPECT_THROW(ablate_heads_icl_linear(p, windows, N, W, positions()), Error);
  const IclAblationSweep sweep = icl_ablation_sweep(
      1, [&](int64_t) { return p; }, windows, N, W, positions(), AblationKind::pattern_preserving);
  EXPECT_EQ(sweep.method, "interventions");
  const HeadAblationIcl ref = ablate_heads_icl(p, windows, N, W, positions(), AblationKind::pattern_preserving);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(sweep.delta_icl[size_t(i)], ref.icl[size_t(i)] - ref.clean_icl, 1e-6);
  EXPECT_EQ(linear_path_applies(model_config(2, Positions::standard), AblationKind::full), false);
}

TEST(Ablation, RemovingTheHandBuiltInductionHeadRemovesInContextLearning) {
  set_num_threads(1);
  const test::InductionModel m;
  const int n = 8, width = test::InductionModel::T + 1;
  const std::vector<int32_t> windows = test::InductionModel::repeated_windows(n, 2);
  IclOptions o;
  o.early_window = Window{3, 12};   // the first copy: nothing to copy from
  o.late_window = Window{40, 60};   // the second copy: the induction head predicts it
  const IclPositions pos = resolve_positions(width - 1, o);
  const HeadAblationIcl pp = ablate_heads_icl(m.params, windows, n, width, pos, AblationKind::pattern_preserving);
  EXPECT_LT(pp.clean_icl, -2.5);
  EXPECT_LT(pp.clean_late, 0.01);
  // Without 1.0 nothing reaches W_U: every loss is ln V and the ICL score is 0.
  EXPECT_NEAR(pp.delta_icl(1, 0), -pp.clean_icl, 1e-5);
  EXPECT_NEAR(pp.late[2], std::log(double(test::InductionModel::V)), 1e-5);
  // 0.0 only steers 1.0's pattern (K-composition): frozen patterns make it look useless ...
  EXPECT_NEAR(pp.delta_icl(0, 0), 0.0, 1e-5);
  EXPECT_NEAR(pp.delta_icl(0, 1), 0.0, 1e-5);
  EXPECT_NEAR(pp.delta_icl(1, 1), 0.0, 1e-5);
  // ... and full ablation shows that without it the induction head is blind.
  const HeadAblationIcl full = ablate_heads_icl(m.params, windows, n, width, pos, AblationKind::full);
  EXPECT_GT(full.delta_icl(0, 0), 0.8 * -full.clean_icl);
  const HeadAblationIcl fast = ablate_heads_icl_linear(m.params, windows, n, width, pos);
  for (size_t i = 0; i < pp.icl.size(); ++i) EXPECT_NEAR(fast.icl[i], pp.icl[i], 1e-4);
}

TEST(Ablation, BadInputIsOneClearError) {
  set_num_threads(1);
  const Config c = model_config(2, Positions::shortformer);
  const Params<double> p = test::random_params<double>(c, 3);
  std::vector<int32_t> windows = test::random_windows(N, W - 1, c.d_vocab, 9);
  const HeadAblationIcl r = ablate_heads_icl(p, windows, N, W, positions(), AblationKind::full);
  EXPECT_THROW(r.delta_icl(2, 0), Error);  // layer out of range
  EXPECT_THROW(r.delta_icl(0, 3), Error);  // head out of range
  IclOptions o;
  o.early_window = Window{2, 4};
  o.late_window = Window{12, 19};  // position 19 predicts token 20: the last one, fine
  EXPECT_NO_THROW(ablate_heads_icl(p, windows, N, W, resolve_positions(W - 1, o), AblationKind::full));
  EXPECT_THROW(ablate_heads_icl(p, windows, N, W - 1, positions(), AblationKind::full), Error);
  windows[7] = 23;
  try {
    ablate_heads_icl_linear(p, windows, N, W, positions());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in the model's vocabulary"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cs::analysis
