// The loss difference between runs by token index: which training points compare, and the values.
#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "report/plot_icl.h"

namespace cs::report {
namespace {

analysis::IclResult icl_at(std::vector<int64_t> tokens, int64_t n_ctx) {
  analysis::IclResult r;
  r.tokens = std::move(tokens);
  r.n_ctx = n_ctx;
  return r;
}

TEST(LossDifference, ComparesTheTrainingPointsAllRunsShare) {
  const auto ref = icl_at({0, 10, 20}, 2), other = icl_at({0, 15, 20}, 2);
  const std::vector<float> ref_loss = {5, 5, 4, 4, 3, 3}, other_loss = {6, 7, 9, 9, 2.5f, 2};
  const LossDifference d = loss_difference({{"1l", &ref, ref_loss}, {"2l", &other, other_loss}});
  EXPECT_EQ(d.reference, "1l");
  EXPECT_EQ(d.names, std::vector<std::string>{"2l"});
  EXPECT_EQ(d.tokens, (std::vector<int64_t>{0, 20}));
  EXPECT_FALSE(d.final_only);
  EXPECT_EQ(d.values, (std::vector<double>{1, 2, -0.5, -1}));  // [run, point, position]
}

TEST(LossDifference, DifferentEndsCompareTheLastSnapshotsOnly) {
  const auto ref = icl_at({0, 10}, 1), other = icl_at({0, 30}, 1);
  const LossDifference d =
      loss_difference({{"a", &ref, std::vector<float>{5, 4}}, {"b", &other, std::vector<float>{5, 3.5f}}});
  EXPECT_TRUE(d.final_only);
  EXPECT_EQ(d.tokens, std::vector<int64_t>{10});
  EXPECT_EQ(d.values, std::vector<double>{-0.5});
}

TEST(LossDifference, RefusesOneRunOrAnotherContext) {
  const auto a = icl_at({0, 10}, 2), b = icl_at({0, 10}, 3);
  const std::vector<float> la(4, 1.f), lb(6, 1.f);
  EXPECT_THROW(loss_difference({{"a", &a, la}}), Error);
  EXPECT_THROW(loss_difference({{"a", &a, la}, {"b", &b, lb}}), Error);
}

}  // namespace
}  // namespace cs::report
