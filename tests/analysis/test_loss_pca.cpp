// The per-token loss trajectory's principal components against a trajectory built from two known
// directions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/loss_pca.h"
#include "core/error.h"

namespace cs::analysis {
namespace {

// Snapshot s: base + a_s u + b_s v with orthonormal u, v over 4 tokens; a spread far wider than b.
TEST(LossPca, RecoversTheCoordinatesOnTwoKnownDirections) {
  const std::vector<double> u = {0.5, 0.5, 0.5, 0.5}, v = {0.5, -0.5, 0.5, -0.5};
  const std::vector<double> a = {-3, -1, 1, 3}, b = {0.5, -0.5, -0.5, 0.5};
  std::vector<float> losses;
  for (int s = 0; s < 4; ++s)
    for (int i = 0; i < 4; ++i) losses.push_back(float(2.0 + a[s] * u[i] + b[s] * v[i]));
  const LossPca p = loss_pca(losses, 4, 4);
  ASSERT_EQ(p.projection.size(), 8u);
  const double total = 9 + 1 + 1 + 9 + 4 * 0.25;  // sum of squared centred coordinates
  EXPECT_NEAR(p.explained[0], 20 / total, 1e-6);
  EXPECT_NEAR(p.explained[1], 1 / total, 1e-6);
  for (int s = 0; s < 4; ++s) {
    EXPECT_NEAR(p.projection[size_t(s * 2)], a[s], 1e-5) << s;  // the last snapshot's sign is positive
    EXPECT_NEAR(p.projection[size_t(s * 2 + 1)], b[s], 1e-5) << s;
  }
}

TEST(LossPca, NeedsThreeSnapshotsOfTheRightSize) {
  EXPECT_THROW(loss_pca(std::vector<float>(8, 1.f), 2, 4), Error);
  EXPECT_THROW(loss_pca(std::vector<float>(11, 1.f), 3, 4), Error);
}

}  // namespace
}  // namespace cs::analysis
