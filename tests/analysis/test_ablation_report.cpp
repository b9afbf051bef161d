// Ablating heads together on a run (ablate_heads) against the per-head sweep, on the fixed run of
// tests/data/golden.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "analysis/ablation_report.h"
#include "core/error.h"
#include "io/atomic_file.h"

namespace {

const std::string kRun = (std::filesystem::path(CS_TEST_DATA) / "golden" / "run").string();

TEST(JointAblation, OneHeadEqualsThePerHeadSweep) {
  const cs::run::RunDir run(kRun);
  const cs::run::Snapshot last = run.snapshot("last");
  const nlohmann::json sweep = nlohmann::json::parse(
      cs::io::read_file((std::filesystem::path(CS_TEST_DATA) / "golden" / "analysis" / "ablation_icl.json").string()));
  const auto& rows = sweep["last_snapshot"]["heads"];
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) {
    const int l = row["layer"], h = row["head"];
    const cs::analysis::JointAblation a = cs::analysis::ablate_heads(last.params, run, {{l, h}});
    EXPECT_NEAR(a.clean_icl, sweep["last_snapshot"]["clean_icl"].get<double>(), 1e-5);
    EXPECT_NEAR(a.delta_icl(), row["pattern-preserving"]["delta_icl"].get<double>(), 1e-5) << l << "." << h;
  }
}

TEST(JointAblation, AblatingEveryHeadLeavesTheDirectPath) {
  const cs::run::RunDir run(kRun);
  const cs::run::Snapshot last = run.snapshot("last");
  const cs::analysis::JointAblation all =
      cs::analysis::ablate_heads(last.params, run, {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, cs::analysis::AblationKind::full);
  // With every head's result zeroed, the model is its direct path: the loss no longer depends on
  // context, so it is not lower than the clean loss of a trained model, and the two kinds agree.
  const cs::analysis::JointAblation frozen = cs::analysis::ablate_heads(last.params, run, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  EXPECT_NEAR(all.ablated_loss, frozen.ablated_loss, 1e-6);
  EXPECT_NEAR(all.ablated_icl, frozen.ablated_icl, 1e-6);
  EXPECT_NE(all.ablated_loss, all.clean_loss);
  EXPECT_THROW(cs::analysis::ablate_heads(last.params, run, {{2, 0}}), cs::Error);
  EXPECT_THROW(cs::analysis::ablate_heads(last.params, run, {}), cs::Error);
}

}  // namespace
