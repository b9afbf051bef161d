// The front ends give the same numbers for the same snapshot, because they call the same pipeline
// entries: the `heads`, `circuits`, `icl` and `ablate` commands, the files `report` writes (through
// `analyze`), and the viewer's API, on the fixed golden run; and saved results read back as written.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../common/run_cli.h"
#include "../io/temp_dir.h"
#include "core/files.h"
#include "analysis/heads_report.h"
#include "analysis/icl.h"
#include "analysis/run_inputs.h"
#include "io/atomic_file.h"
#include "run/run_dir.h"
#include "viewer/api.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json read(const fs::path& run, cs::File f) {
  return json::parse(cs::io::read_file((run / cs::file_name(f)).string()));
}

void cli(const std::string& args) {
  const cs::test::CliResult r = cs::test::run_cli(args);
  ASSERT_EQ(r.code, 0) << args << "\n" << r.output;
}

void expect_close(const json& a, const json& b, const std::string& what) {
  ASSERT_TRUE(a.is_number() && b.is_number()) << what << ": " << a << " vs " << b;
  EXPECT_NEAR(a.get<double>(), b.get<double>(), 1e-12) << what;
}

// Every head's evaluator and eigenvalue scores, and every induction axis: heads.json and
// composition.json as the commands wrote them against the same files written by `report`.
void expect_same_heads(const json& cli_heads, const json& report_heads) {
  ASSERT_EQ(cli_heads["heads"].size(), report_heads["heads"].size());
  for (size_t i = 0; i < cli_heads["heads"].size(); ++i)
    for (const char* k : {"prefix_matching", "previous_token", "positional", "copying_r", "ov_copying_score"})
      expect_close(cli_heads["heads"][i][k], report_heads["heads"][i][k], std::string("heads.json ") + k);
}

class FrontEnds : public ::testing::Test {
 protected:
  cs::test::TempDir tmp;
  fs::path run;
  json cli_heads, cli_composition, cli_icl, cli_ablation;

  void SetUp() override {
    run = tmp / "run";
    fs::copy(fs::path(CS_TEST_DATA) / "golden" / "run", run, fs::copy_options::recursive);
    const std::string r = run.string();
    cli("icl " + r + " --early-window 20,60");  // a window of the run's own, not the default
    cli("heads " + r + " --threads 1");
    cli("circuits " + r + " --threads 1");
    cli("ablate " + r + " --snapshots last --threads 1");
    cli_heads = read(run, cs::File::heads);
    cli_composition = read(run, cs::File::composition);
    cli_icl = read(run, cs::File::icl);
    cli_ablation = read(run, cs::File::ablation_icl);
  }
};

TEST_F(FrontEnds, CommandsReportAndViewerAgree) {
  // The commands' numbers, before `report` rewrites the files.
  cli("report " + run.string() + " --last-only --threads 1");
  expect_same_heads(cli_heads, read(run, cs::File::heads));
  // The previous-token scores behind the induction axes were measured in both.
  EXPECT_NE(cli_composition["induction_qk"]["prev_token_source"].get<std::string>().find("measured"), std::string::npos);
  const json composition = read(run, cs::File::composition);
  EXPECT_EQ(cli_composition["induction_qk"]["prev_token_source"], composition["induction_qk"]["prev_token_source"]);
  const json& axes = cli_composition["induction_qk"]["heads"];
  ASSERT_FALSE(axes.empty());
  for (size_t i = 0; i < axes.size(); ++i)
    expect_close(axes[i]["score"], composition["induction_qk"]["heads"][i]["score"], "induction axis");
  // ablate's windows are the ones `icl` was given.
  const json ablation = read(run, cs::File::ablation_icl);
  EXPECT_EQ(ablation["early_window"], json::array({20, 60}));
  EXPECT_EQ(cli_ablation["early_window"], ablation["early_window"]);
  expect_close(cli_ablation["last_snapshot"]["clean_icl"], ablation["last_snapshot"]["clean_icl"], "clean ICL");
  EXPECT_EQ(cli_ablation["delta_icl"].size(), 1u);
  for (size_t l = 0; l < cli_ablation["delta_icl"][0].size(); ++l)
    for (size_t h = 0; h < cli_ablation["delta_icl"][0][l].size(); ++h)
      expect_close(cli_ablation["delta_icl"][0][l][h], ablation["delta_icl"][0][l][h], "ΔICL");

  cs::viewer::Api api({run.string()});
  const json heads = api.heads({{"run", "0"}});
  for (size_t i = 0; i < heads["heads"].size(); ++i) {
    const json& scores = heads["heads"][i]["scores"];
    for (const char* k : {"prefix_matching", "previous_token", "positional", "copying_r", "ov_copying_score"})
      expect_close(scores[k], cli_heads["heads"][i][k], std::string("viewer ") + k);
  }
  for (const json& axis : axes) {
    const json head = api.head({{"run", "0"}, {"layer", axis["layer"].dump()}, {"head", axis["head"].dump()}});
    expect_close(head["induction_qk"]["score"], axis["score"], "viewer induction axis");
  }
  const json icl = api.icl({{"run", "0"}});
  EXPECT_EQ(icl["icl"]["early_window"], cli_icl["early_window"]);
  EXPECT_EQ(icl["icl"]["early_window"], json::array({20, 60}));
  ASSERT_EQ(icl["icl"]["icl_score"].size(), cli_icl["icl_score"].size());
  for (size_t i = 0; i < cli_icl["icl_score"].size(); ++i)
    expect_close(icl["icl"]["icl_score"][i], cli_icl["icl_score"][i], "viewer ICL score");
}

// A run's ICL settings stay until `icl` is given new ones.
TEST_F(FrontEnds, IclSettingsStayWithTheRun) {
  cli("icl " + run.string());
  EXPECT_EQ(read(run, cs::File::icl)["early_window"], json::array({20, 60}));
  EXPECT_EQ(read(run, cs::File::icl_settings)["early_window"], json::array({20, 60}));
}

}  // namespace

namespace {

// The readers give back what was written: a run analysed earlier is shown as it was saved.
TEST(SavedResults, ReadBackAsWritten) {
  const fs::path golden = fs::path(CS_TEST_DATA) / "golden";
  const cs::run::RunDir run((golden / "run").string());
  const nlohmann::ordered_json icl = cs::analysis::run_icl(run).to_json();
  EXPECT_EQ(cs::analysis::IclResult::from_json(json::parse(icl.dump())).to_json(), icl);
  json hot = json::parse(cs::io::read_file((golden / "analysis" / "heads_over_training.json").string()));
  json again = json::parse(cs::analysis::HeadsOverTrainingReport::from_json(hot).to_json().dump());
  hot.erase("seconds");
  again.erase("seconds");
  EXPECT_EQ(again, hot);
}

}  // namespace
