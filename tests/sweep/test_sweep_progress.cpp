// The sweep's ETA: running runs keep their slots, waiting runs fill the first slot to come free;
// runs not measured yet are expected to train as fast as measured runs of their kind.
#include <gtest/gtest.h>

#include <cmath>

#include "sweep/sweep_progress.h"

namespace cs::sweep {
namespace {

TEST(SweepEta, WaitingRunsTakeTheFirstSlotToComeFree) {
  // Slots free at 10 and 30 s; the 20 s run takes the first (then free at 30), the 5 s run the
  // first of two free at 30 (35).
  EXPECT_DOUBLE_EQ(sweep_eta({10, 30}, {20, 5}, 2), 35);
  EXPECT_DOUBLE_EQ(sweep_eta({}, {20, 5, 7}, 1), 32);
  EXPECT_DOUBLE_EQ(sweep_eta({}, {}, 3), 0);
  EXPECT_DOUBLE_EQ(sweep_eta({4}, {}, 2), 4);
  EXPECT_TRUE(std::isnan(sweep_eta({10}, {NAN}, 2)));
}

TEST(SweepEta, UnmeasuredRunsTrainAsFastAsMeasuredOnesOfTheirKind) {
  std::vector<sweep::Run> runs(4);
  runs[0].layers = 1, runs[1].layers = 2, runs[2].layers = 2, runs[3].layers = 3;
  const std::vector<double> rates = {300, 100, 0, 0};
  EXPECT_DOUBLE_EQ(expected_rate(runs, rates, runs[2]), 100);  // the other 2-layer run
  EXPECT_DOUBLE_EQ(expected_rate(runs, rates, runs[3]), 200);  // no 3-layer run measured: all of them
  runs[2].mlp = true;
  EXPECT_DOUBLE_EQ(expected_rate(runs, rates, runs[2]), 200);  // MLP runs are another kind
  EXPECT_TRUE(std::isnan(expected_rate(runs, {0, 0, 0, 0}, runs[0])));
}

}  // namespace
}  // namespace cs::sweep
