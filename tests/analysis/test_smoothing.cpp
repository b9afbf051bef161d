#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/smoothing.h"
#include "core/error.h"

namespace cs::analysis {
namespace {

TEST(GaussianSmooth, SigmaZeroIsIdentityAndConstantsStayConstant) {
  const std::vector<double> y = {1, 5, -2, 7};
  EXPECT_EQ(gaussian_smooth(y, 0), y);
  const std::vector<double> flat(9, 3.25);
  for (double v : gaussian_smooth(flat, 2)) EXPECT_NEAR(v, 3.25, 1e-12);
}

TEST(GaussianSmooth, ImpulseSpreadsAsTheKernel) {
  // sigma 1, radius 4: among 11 points, those at 4..6 have their whole kernel exp(-k^2/2),
  // k = -4..4, inside the curve, so out[4] = 1 / sum_k exp(-k^2/2) and out[5] = exp(-1/2) / sum.
  std::vector<double> y(11, 0.0);
  y[4] = 1;
  double sum = 0;
  for (int k = -4; k <= 4; ++k) sum += std::exp(-0.5 * k * k);
  const std::vector<double> s = gaussian_smooth(y, 1);
  EXPECT_NEAR(s[4], 1 / sum, 1e-12);
  EXPECT_NEAR(s[5], std::exp(-0.5) / sum, 1e-12);
  EXPECT_NEAR(s[6], std::exp(-2.0) / sum, 1e-12);
}

TEST(GaussianSmooth, StraightLinesPassUnchangedEvenAtTheEnds) {
  std::vector<double> y;
  for (int i = 0; i < 12; ++i) y.push_back(2 - 0.3 * i);
  const std::vector<double> s = gaussian_smooth(y, 2);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(s[i], y[i], 1e-12) << "at " << i;
  EXPECT_THROW(gaussian_smooth(std::vector<double>{1, 2}, -1), Error);
}

TEST(GaussianSmooth, EndUsesAWeightedLineFit) {
  // Three points 0, 1, 2 with y = 0, 0, 3 and sigma 1; at x = 0 the weights are 1, e^-1/2, e^-2.
  // Weighted least squares of y = a + b x there: a = (s2 t0 - s1 t1) / (s0 s2 - s1^2).
  const double w1 = std::exp(-0.5), w2 = std::exp(-2.0);
  const double s0 = 1 + w1 + w2, s1 = w1 + 2 * w2, s2 = w1 + 4 * w2, t0 = 3 * w2, t1 = 6 * w2;
  const std::vector<double> s = gaussian_smooth(std::vector<double>{0, 0, 3}, 1);
  EXPECT_NEAR(s[0], (s2 * t0 - s1 * t1) / (s0 * s2 - s1 * s1), 1e-12);
}

TEST(Derivative, ExactForQuadraticsOnANonUniformAxis) {
  // y = 1 + 2x - 0.5x^2: dy/dx = 2 - x and d2y/dx2 = -1 exactly, also at the ends.
  const std::vector<double> x = {0.0, 0.3, 1.0, 1.1, 2.5, 4.0};
  std::vector<double> y;
  for (double v : x) y.push_back(1 + 2 * v - 0.5 * v * v);
  const std::vector<double> d1 = derivative(x, y), d2 = second_derivative(x, y);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(d1[i], 2 - x[i], 1e-12) << "at x = " << x[i];
    EXPECT_NEAR(d2[i], -1, 1e-12) << "at x = " << x[i];
  }
}

TEST(Derivative, TwoPointsGiveTheSlope) {
  const std::vector<double> d = derivative(std::vector<double>{1, 3}, std::vector<double>{2, 8});
  EXPECT_DOUBLE_EQ(d[0], 3);
  EXPECT_DOUBLE_EQ(d[1], 3);
}

TEST(Derivative, RejectsBadAxes) {
  const std::vector<double> y = {1, 2, 3};
  EXPECT_THROW(derivative(std::vector<double>{0, 1, 1}, y), Error);
  EXPECT_THROW(derivative(std::vector<double>{0}, std::vector<double>{1}), Error);
  EXPECT_THROW(second_derivative(std::vector<double>{0, 1}, std::vector<double>{1, 2}), Error);
  EXPECT_THROW(derivative(std::vector<double>{0, 1}, y), Error);
}

}  // namespace
}  // namespace cs::analysis
