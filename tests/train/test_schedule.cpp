#include <gtest/gtest.h>

#include "core/error.h"
#include "train/schedule.h"

namespace cs {
namespace {

TEST(Schedule, WarmupThenConstant) {
  EXPECT_DOUBLE_EQ(learning_rate(0, 100, 1e-3, 10, "constant", 0.1), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(9, 100, 1e-3, 10, "constant", 0.1), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(99, 100, 1e-3, 10, "constant", 0.1), 1e-3);
}

TEST(Schedule, CosineEndsAtMinFraction) {
  EXPECT_NEAR(learning_rate(10, 110, 1.0, 10, "cosine", 0.1), 1.0, 1e-12);
  EXPECT_NEAR(learning_rate(60, 110, 1.0, 10, "cosine", 0.1), 0.55, 1e-12);
  EXPECT_NEAR(learning_rate(110, 110, 1.0, 10, "cosine", 0.1), 0.1, 1e-12);
  EXPECT_THROW(learning_rate(50, 110, 1.0, 10, "linear", 0.1), Error);
}

TEST(Schedule, SnapshotsAreLogSpacedWithEnds) {
  const auto s = snapshot_steps(10000, 100);
  EXPECT_EQ(s.front(), 0);
  EXPECT_EQ(s.back(), 10000);
  EXPECT_GE(s.size(), 95u);
  EXPECT_LE(s.size(), 101u);
  // Log spacing: the second half of the run in steps holds only a few percent of the snapshots.
  int late = 0;
  for (auto x : s) late += x > 5000;
  EXPECT_LT(late, 12);
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  EXPECT_EQ(snapshot_steps(5, 100).size(), 6u);  // never more than steps + 1
}

}  // namespace
}  // namespace cs
