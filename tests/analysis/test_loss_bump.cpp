#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/loss_bump.h"
#include "core/error.h"

namespace cs::analysis {
namespace {

// A loss logged every step of 1000 tokens, as a function of x = ln(tokens).
template <class F>
void make_curve(F loss_of_x, std::vector<int64_t>& tokens, std::vector<double>& loss) {
  for (int64_t step = 1; step <= 20000; ++step) {
    tokens.push_back(1000 * step);
    loss.push_back(loss_of_x(std::log(1000.0 * double(step))));
  }
}

PhaseChange window(double from, double to) {
  PhaseChange p;
  p.start_tokens = int64_t(from);
  p.end_tokens = int64_t(to);
  return p;
}

TEST(LossBump, StraightLineInLogTokensHasNoNonConvexPart) {
  std::vector<int64_t> tokens;
  std::vector<double> loss;
  make_curve([](double x) { return 12 - 0.5 * x; }, tokens, loss);
  const LossCurveAnalysis a = analyze_loss_curve(tokens, loss, window(1e5, 1e6));
  EXPECT_TRUE(a.non_convex_spans.empty());
  EXPECT_FALSE(a.bump);
  for (double d : a.d_loss_d_logtokens) EXPECT_NEAR(d, -0.5, 1e-9);
  for (double d : a.d2_loss_d_logtokens2) EXPECT_NEAR(d, 0, 1e-9);
}

TEST(LossBump, ExtraDropShowsAsABumpInsideThePhaseChangeWindow) {
  // On top of a convex curve, an extra 0.3-nat drop centred at ln(tokens) = 15 (3.3M tokens):
  // where the drop starts the curve bends down, i.e. is concave (d2 < 0) just before x = 15.
  std::vector<int64_t> tokens;
  std::vector<double> loss;
  const double centre = 15;
  make_curve(
      [&](double x) {
        return 3 + std::exp(-0.5 * (x - 7)) - 0.3 / (1 + std::exp(-(x - centre) / 0.3));
      },
      tokens, loss);
  const LossCurveAnalysis with =
      analyze_loss_curve(tokens, loss, window(std::exp(14), std::exp(15.5)));
  ASSERT_TRUE(with.bump);
  EXPECT_TRUE(with.bump->overlaps_phase_change);
  EXPECT_LT(with.bump->min_d2, 0);
  // Unsmoothed, the sum is concave from about x = 13.2 (where the drop's -0.3 s''(u) / 0.09
  // outweighs the base's 0.25 e^{-(x-7)/2}) up to x = 15.
  EXPECT_GT(with.bump->start_tokens, std::exp(13.0));
  EXPECT_LT(with.bump->end_tokens, std::exp(15.5));
  EXPECT_EQ(with.non_convex_spans.size(), 1u);

  // A window elsewhere: the span is still reported, but it is not this window's bump.
  const LossCurveAnalysis elsewhere = analyze_loss_curve(tokens, loss, window(1e4, 1e5));
  EXPECT_EQ(elsewhere.non_convex_spans.size(), 1u);
  EXPECT_FALSE(elsewhere.bump);
  EXPECT_FALSE(analyze_loss_curve(tokens, loss, std::nullopt).bump);
}

TEST(LossBump, BinsAreEvenInLogTokens) {
  // 20,000 steps from 1k to 20M tokens: 64 bins over ln(1000)..ln(2e7); the early bins hold one
  // step each and some are empty, so fewer than 64 remain, each centred on its points.
  std::vector<int64_t> tokens;
  std::vector<double> loss;
  make_curve([](double x) { return x; }, tokens, loss);
  const LossCurveAnalysis a = analyze_loss_curve(tokens, loss, std::nullopt);
  EXPECT_LT(a.tokens.size(), 64u);
  EXPECT_GT(a.tokens.size(), 40u);
  EXPECT_NEAR(a.tokens.front(), 1000, 1e-6);
  for (size_t i = 0; i < a.tokens.size(); ++i) EXPECT_NEAR(a.loss[i], std::log(a.tokens[i]), 1e-9);
}

TEST(LossBump, RejectsUnusableCurves) {
  const std::vector<int64_t> tokens = {0, 1000, 1000};
  const std::vector<double> loss = {8, 7, 6};
  EXPECT_THROW(analyze_loss_curve(tokens, loss, std::nullopt), Error);  // one token count
  EXPECT_THROW(analyze_loss_curve(std::vector<int64_t>{1, 2}, loss, std::nullopt), Error);
  EXPECT_THROW(analyze_loss_curve(std::vector<int64_t>{10, 100, 1000},
                                  std::vector<double>{1, NAN, 2}, std::nullopt),
               Error);
}

}  // namespace
}  // namespace cs::analysis
