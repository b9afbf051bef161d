// The `icl` subcommand end to end: a run folder made here (float16 per-sequence loss, snapshot
// list, training log), the binary run on it, and its files read back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "../common/run_cli.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace {

namespace fs = std::filesystem;

using cs::test::run_cli;

class TempFolder {
 public:
  TempFolder() : path_(fs::temp_directory_path() / ("cs-icl-cli-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  fs::path path() const { return path_; }

 private:
  fs::path path_;
};

// 30 snapshots (0 tokens, then 1000 * 1.4^k), 16 sequences of 64 positions. Loss falls with
// training everywhere; from snapshot 18 on, positions >= 30 are `drop` nats better (the ICL
// phase change), plus uniform noise of +-0.2. The training log has one point per step.
constexpr int kSnapshots = 30, kEval = 16, kCtx = 64;

std::vector<int64_t> snapshot_tokens() {
  std::vector<int64_t> t = {0};
  for (int k = 0; k + 1 < kSnapshots; ++k) t.push_back(int64_t(1000 * std::pow(1.4, k)));
  return t;
}

void make_run(const fs::path& dir, double drop, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-0.2f, 0.2f);
  std::vector<float> loss;
  for (int s = 0; s < kSnapshots; ++s)
    for (int e = 0; e < kEval; ++e)
      for (int i = 0; i < kCtx; ++i)
        loss.push_back(float(3 + 2 * std::exp(-s / 5.0) + (s >= 18 && i >= 30 ? -drop : 0)) +
                       noise(rng));
  cs::io::write_npy_f16((dir / "eval" / "per_sequence_loss.npy").string(), loss.data(),
                        {kSnapshots, kEval, kCtx});
  const std::vector<int64_t> tokens = snapshot_tokens();
  std::vector<int64_t> steps;
  for (int64_t t : tokens) steps.push_back(t / 100);
  cs::io::write_file_atomic((dir / "eval" / "snapshots.json").string(),
                            nlohmann::json{{"steps", steps}, {"tokens", tokens}}.dump());
  std::string log;
  for (int64_t step = 1; step <= steps.back(); ++step) {
    const double x = std::log(100.0 * double(step));
    log +=
        nlohmann::json{
            {"step", step}, {"tokens", 100 * step}, {"loss", 3 + 5 * std::exp(-0.5 * (x - 7))}}
            .dump() +
        "\n";
  }
  log += "{\"step\": 99999, \"tok";  // a line the trainer is still writing
  cs::io::write_file_atomic((dir / "metrics.jsonl").string(), log);
}

nlohmann::json read_json(const fs::path& p) {
  return nlohmann::json::parse(cs::io::read_file(p.string()));
}

TEST(IclCli, AnalysesTwoRunsAndComparesThem) {
  TempFolder tmp;
  make_run(tmp.path() / "2l", 0.5, 1);
  make_run(tmp.path() / "1l", 0.0, 2);
  const cs::test::CliResult r =
      run_cli("icl " + (tmp.path() / "2l").string() + " " + (tmp.path() / "1l").string());
  ASSERT_EQ(r.code, 0) << r.output;

  const nlohmann::json two = read_json(tmp.path() / "2l" / "analysis" / "icl.json");
  ASSERT_EQ(two["icl_score"].size(), size_t(kSnapshots));
  // n_ctx 64: early [3, 9] and late [59, 63]; after snapshot 18 the late window is 0.5 better.
  EXPECT_EQ(two["early_window"], nlohmann::json::array({3, 9}));
  EXPECT_EQ(two["late_window"], nlohmann::json::array({59, 63}));
  EXPECT_NEAR(two["icl_score"][0].get<double>(), 0, 0.05);
  EXPECT_NEAR(two["icl_score"][kSnapshots - 1].get<double>(), -0.5, 0.05);
  // Uniform +-0.2 noise: per-sequence difference of two means of 5 and 7 positions has variance
  // 0.0133 (1/5 + 1/7) = 0.00457; over 16 sequences the standard error is about 0.017.
  EXPECT_NEAR(two["icl_stderr"][5].get<double>(), 0.017, 0.008);
  ASSERT_TRUE(two["phase_change"].is_object()) << two.dump();
  const std::vector<int64_t> tokens = snapshot_tokens();
  EXPECT_LE(two["phase_change"]["start_tokens"].get<int64_t>(), tokens[18]);
  EXPECT_GE(two["phase_change"]["end_tokens"].get<int64_t>(), tokens[17]);
  EXPECT_LT(two["phase_change"]["delta_nats"].get<double>(), -0.15);
  EXPECT_EQ(two["parameters"]["sigma_snapshots"], 2.0);
  EXPECT_TRUE(two["loss_curve"].is_object());

  const nlohmann::json one = read_json(tmp.path() / "1l" / "analysis" / "icl.json");
  EXPECT_TRUE(one["phase_change"].is_null());

  const cs::io::NpyArray npy =
      cs::io::read_npy((tmp.path() / "2l" / "analysis" / "icl_score.npy").string());
  ASSERT_EQ(npy.shape, (std::vector<int64_t>{kSnapshots}));
  const std::vector<double> scores = npy.to_double();
  for (int s = 0; s < kSnapshots; ++s)
    EXPECT_DOUBLE_EQ(scores[size_t(s)], two["icl_score"][s].get<double>());

  for (const char* name : {"icl_heatmap", "icl_score", "icl_derivatives", "loss_curve"})
    for (const char* ext : {".svg", ".png"})
      EXPECT_TRUE(fs::exists(tmp.path() / "2l" / "analysis" / (std::string(name) + ext)))
          << name << ext;
  EXPECT_TRUE(fs::exists(tmp.path() / "icl_comparison.svg"));
  EXPECT_TRUE(fs::exists(tmp.path() / "icl_comparison.png"));
  EXPECT_NE(r.output.find("none"), std::string::npos) << r.output;  // the 1l row
  EXPECT_NE(r.output.find("phase change"), std::string::npos) << r.output;
}

TEST(IclCli, OptionsAreRecordedAndBadInputIsNamed) {
  TempFolder tmp;
  const fs::path run = tmp.path() / "run";
  make_run(run, 0.5, 3);
  cs::test::CliResult r = run_cli("icl " + run.string() +
                               " --early-window 0,4 --late-window 40,63 --sigma 1 --min-drop 0.6");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(run / "analysis" / "icl.json");
  EXPECT_EQ(j["early_window"], nlohmann::json::array({0, 4}));
  EXPECT_EQ(j["late_window"], nlohmann::json::array({40, 63}));
  EXPECT_EQ(j["parameters"]["sigma_snapshots"], 1.0);
  EXPECT_TRUE(j["phase_change"].is_null());  // a 0.5-nat drop is below a 0.6 threshold

  r = run_cli("icl " + run.string() + " --late-window 40");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--late-window expects FIRST,LAST"), std::string::npos) << r.output;
  r = run_cli("icl " + run.string() + " --late-window 40,70");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("late window [40, 70] lies outside"), std::string::npos) << r.output;

  fs::remove(run / "eval" / "snapshots.json");
  r = run_cli("icl " + run.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("snapshots.json"), std::string::npos) << r.output;
}

TEST(IclCli, RunsInDifferentFoldersNeedAComparisonFolder) {
  TempFolder tmp;
  make_run(tmp.path() / "a" / "run", 0.5, 4);
  make_run(tmp.path() / "b" / "run", 0.0, 5);
  const std::string runs =
      (tmp.path() / "a" / "run").string() + " " + (tmp.path() / "b" / "run").string();
  cs::test::CliResult r = run_cli("icl " + runs);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("give --out PLOTDIR"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp.path() / "a" / "run" / "analysis"));  // refused before any work

  r = run_cli("icl " + runs + " --out " + (tmp.path() / "cmp").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(tmp.path() / "cmp" / "icl_comparison.png"));
  // The table names every run by its path, which tells two folders called "run" apart.
  EXPECT_NE(r.output.find((tmp.path() / "b" / "run").string()), std::string::npos) << r.output;
}

}  // namespace
