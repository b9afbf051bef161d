// Composition scores against a direct dense evaluation (Framework's erratum was a bug in a
// low-rank shortcut for exactly these), the K-composition term's eigenvalues against the dense
// d_vocab x d_vocab term, and the combined induction axis.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/composition.h"
#include "circuit_fixtures.h"
#include "core/error.h"

namespace cs::analysis {
namespace {

using test::raw;
using test::raw_head;

struct DenseHead {
  Mat OV, QK;
};

DenseHead dense_head(const Params<double>& p, int l, int h) {
  return {raw_head(p, l, "W_V", h) * raw_head(p, l, "W_O", h),
          raw_head(p, l, "W_Q", h) * raw_head(p, l, "W_K", h).transpose()};
}

double dense_score(const Mat& left, const Mat& right) {
  return (left * right).norm() / (left.norm() * right.norm());
}

TEST(Composition, ScoresEqualADirectDenseEvaluation) {
  const Params<double> p = test::random_model(test::circuit_config(3), 1);
  const auto pairs = composition_scores(p, vocab_grams(p));
  ASSERT_EQ(pairs.size(), 3u);  // (0,1), (0,2), (1,2)
  int differ = 0;
  for (const CompositionPair& pr : pairs) {
    ASSERT_LT(pr.l1, pr.l2);
    for (int h1 = 0; h1 < 3; ++h1)
      for (int h2 = 0; h2 < 3; ++h2) {
        const DenseHead a = dense_head(p, pr.l1, h1), b = dense_head(p, pr.l2, h2);
        EXPECT_NEAR(pr.q[h1][h2], dense_score(a.OV, b.QK), 1e-12);
        EXPECT_NEAR(pr.k[h1][h2], dense_score(a.OV, b.QK.transpose()), 1e-12);
        EXPECT_NEAR(pr.v[h1][h2], dense_score(a.OV, b.OV), 1e-12);
        differ += std::abs(pr.q[h1][h2] - pr.k[h1][h2]) > 1e-3;
      }
  }
  EXPECT_GT(differ, 20);  // Q and K really are different quantities
  // The FactoredMatrix route and the per-head route agree.
  const HeadWeights h1 = head_weights(p, 0, 2), h2 = head_weights(p, 2, 1);
  EXPECT_NEAR(composition_score(W_OV(h1), W_QK(h2).transpose()),
              composition_score(h1, h2, CompositionKind::K), 1e-12);
  EXPECT_NEAR(composition_score(W_OV(h1), W_OV(h2)), composition_score(h1, h2, CompositionKind::V),
              1e-12);
}

TEST(Composition, OneLayerModelIsAnError) {
  const Params<double> p = test::random_model(test::circuit_config(1), 2);
  try {
    composition_scores(p, vocab_grams(p));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "composition needs 2+ layers; this model has 1");
  }
}

TEST(Composition, RandomBaselineIsAboutOneOverSqrtDModel) {
  // Full-rank Gaussian d x d matrices: ||A B||_F^2 / (||A||^2 ||B||^2) concentrates at 1/d.
  const CompositionBaseline full = random_baseline(64, 64, 40, 3);
  EXPECT_NEAR(full.mean, 1 / std::sqrt(64.0), 0.01);
  EXPECT_GT(full.std, 0);
  // Same seed, same numbers; another seed, close but not equal.
  const CompositionBaseline again = random_baseline(64, 64, 40, 3);
  EXPECT_EQ(full.mean, again.mean);
  EXPECT_NE(random_baseline(64, 64, 40, 4).mean, full.mean);
  // Rank-d_head products land at the same place (about 1/sqrt(d_model), docs/circuits.md), only
  // with more spread.
  const CompositionBaseline low = random_baseline(64, 8, 40, 3);
  EXPECT_NEAR(low.mean, 1 / std::sqrt(64.0), 0.015);
  EXPECT_GT(low.std, full.std);
}

TEST(Composition, KCompositionTermEigenvaluesEqualTheDenseTerm) {
  const Params<double> p = test::random_model(test::circuit_config(2), 5);
  const VocabGrams g = vocab_grams(p);
  const Mat E = raw(p, "embed.W_E");
  for (int h1 = 0; h1 < 3; ++h1)
    for (int h2 = 0; h2 < 3; ++h2) {
      const HeadWeights a = head_weights(p, 0, h1), b = head_weights(p, 1, h2);
      const Mat dense = E * raw_head(p, 1, "W_Q", h2) *
                        (E * dense_head(p, 0, h1).OV * raw_head(p, 1, "W_K", h2)).transpose();
      EXPECT_LT((k_composition_term(E, a, b).dense() - dense).cwiseAbs().maxCoeff(), 1e-10);
      const auto small = sorted_eigenvalues(k_composition_core(a, b, g));
      EXPECT_TRUE(test::same_spectrum(small, test::dense_eigenvalues(dense, 4), 1e-7));
    }
  const auto pairs = composition_scores(p, g);
  const HeadWeights a = head_weights(p, 0, 1), b = head_weights(p, 1, 2);
  EXPECT_NEAR(pairs[0].k_term_score[1][2],
              copying_score(sorted_eigenvalues(k_composition_core(a, b, g))), 1e-12);
}

TEST(Composition, InductionAxisIsThePrevTokenWeightedSumOfTerms) {
  const Params<double> p = test::random_model(test::circuit_config(2), 6);
  const VocabGrams g = vocab_grams(p);
  const Mat E = raw(p, "embed.W_E");
  const std::vector<double> prev = {0.9, 0.05, 0.3, /* layer 1, unused: */ 7, 7, 7};
  const auto axes = induction_axes(p, g, prev);
  ASSERT_EQ(axes.size(), 3u);
  for (const InductionAxis& ax : axes) {
    EXPECT_EQ(ax.layer, 1);
    Mat W = Mat::Zero(30, 30);
    for (int h1 = 0; h1 < 3; ++h1)
      W += prev[size_t(h1)] *
           k_composition_term(E, head_weights(p, 0, h1), head_weights(p, 1, ax.head)).dense();
    EXPECT_NEAR(ax.trace, W.trace(), 1e-9 * std::max(1.0, std::abs(W.trace())));
    EXPECT_TRUE(test::same_spectrum(ax.eigenvalues, test::dense_eigenvalues(W, 4), 1e-7));
    double abs_sum = 0;
    for (const auto& l : test::dense_eigenvalues(W, 4)) abs_sum += std::abs(l);
    EXPECT_NEAR(ax.score, W.trace() / abs_sum, 1e-9);
  }
  EXPECT_THROW(induction_axes(p, g, {1, 2}), Error);
}

TEST(Composition, PositionalPreviousTokenIsTheCausalSoftmaxOfPositionScores) {
  const Params<double> p = test::random_model(test::circuit_config(2), 7);
  const auto prev = positional_previous_token(p);
  ASSERT_TRUE(prev.has_value());
  ASSERT_EQ(prev->size(), 6u);
  const Mat P = raw(p, "pos_embed.W_pos");
  const DenseHead d = dense_head(p, 1, 2);
  const Mat S = P * d.QK * P.transpose() / 2.0;  // sqrt(d_head) = 2
  double want = 0;
  for (int i = 1; i < 10; ++i) {
    double z = 0;
    for (int j = 0; j <= i; ++j) z += std::exp(S(i, j));
    want += std::exp(S(i, i - 1)) / z / 9;
  }
  EXPECT_NEAR((*prev)[5], want, 1e-12);
  EXPECT_FALSE(
      positional_previous_token(test::random_model(test::circuit_config(2, Positions::rotary), 1)));
}

}  // namespace
}  // namespace cs::analysis
