// A seconds-long smoke run of `circuitscope demo` on a small generated corpus: both runs, the ICL
// analysis and summary.json with the keys scripts read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/run_cli.h"
#include "../data/text_gen.h"
#include "../io/temp_dir.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace cs {
namespace {

TEST(DemoCli, SmokeRunWritesBothRunsAndTheSummary) {
  test::TempDir tmp;
  std::string text;
  for (int d = 0; d < 220; ++d) text += (d ? "\n\f\n" : "") + test::generated_text(7 + d, 1400);
  test::write_bytes(tmp / "corpus.txt", text);
  const auto r = test::run_cli("demo --out " + (tmp / "demo") + " --corpus " + (tmp / "corpus.txt") +
                               " --bytes --steps 4 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto summary = nlohmann::json::parse(io::read_file(tmp / "demo/summary.json"));
  ASSERT_EQ(summary.at("models").size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto& m = summary["models"][i];
    EXPECT_EQ(m.at("n_layers"), i + 1);
    EXPECT_TRUE(m.at("final_icl_score").is_number());
    EXPECT_GT(m.at("final_loss").get<double>(), 0.0);
    EXPECT_GT(m.at("tokens_per_second").get<double>(), 0.0);
    EXPECT_TRUE(m.contains("phase_change"));
    EXPECT_TRUE(std::filesystem::exists(m.at("run_dir").get<std::string>() + "/analysis/icl.json"));
    EXPECT_TRUE(std::filesystem::exists(m.at("run_dir").get<std::string>() + "/analysis/heads.json"));
    EXPECT_TRUE(std::filesystem::exists(m.at("run_dir").get<std::string>() + "/analysis/heads_over_training.json"));
    EXPECT_TRUE(m.at("induction_heads").is_array());
    EXPECT_TRUE(m.contains("induction_formed"));
    EXPECT_TRUE(m.at("induction_formed_in_phase_change").is_boolean());
  }
  EXPECT_GT(summary.at("wall_seconds").get<double>(), 0.0);
  // Four steps form no induction head, so the bar cannot be met.
  EXPECT_TRUE(summary["models"][1].at("induction_formed").is_null());
  EXPECT_FALSE(summary.at("bar_met").get<bool>());
  EXPECT_TRUE(std::filesystem::exists(tmp / "demo/icl_comparison.png"));
  EXPECT_TRUE(std::filesystem::exists(tmp / "demo/icl_loss_difference.png"));
  EXPECT_TRUE(summary.at("loaded").is_null());  // nothing loaded unless asked
  EXPECT_EQ(summary.at("seed"), 0);
  // The final loss is the last snapshot's evaluation loss, mean over positions (from the float16
  // per-sequence losses, so within their rounding of the float32 matrix).
  const auto per_token = io::read_npy(tmp / "demo/2l/eval/per_token_loss.npy");
  const std::vector<double> loss = per_token.to_double();
  const int64_t n_ctx = per_token.shape[1];
  double mean = 0;
  for (int64_t i = 0; i < n_ctx; ++i) mean += loss[size_t((per_token.shape[0] - 1) * n_ctx + i)];
  EXPECT_NEAR(summary["models"][1].at("final_loss").get<double>(), mean / double(n_ctx), 1e-4);

  // A pair an earlier demo trained, analysed beside the one trained here and labelled as loaded.
  const auto again = test::run_cli("demo --out " + (tmp / "again") + " --corpus " + (tmp / "corpus.txt") +
                                   " --bytes --steps 4 --threads 2 --pretrained " + (tmp / "demo"));
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("loaded, not trained here"), std::string::npos) << again.output;
  const auto loaded = nlohmann::json::parse(io::read_file(tmp / "again/summary.json")).at("loaded");
  ASSERT_TRUE(loaded.is_object());
  EXPECT_EQ(loaded["models"].size(), 2u);
  EXPECT_EQ(loaded["models"][1].at("final_icl_score"), summary["models"][1].at("final_icl_score"));

  // With two threads the models trained side by side, one thread each (the 2-layer run on both for
  // its last quarter); at this size they must be exactly what they are when trained one after the
  // other on one thread, so nothing leaks between the two (precision, threads, signals).
  // Its loaded pair is broken (a snapshot missing): said in one line, and what it trained is kept.
  std::filesystem::copy(tmp / "demo", tmp / "broken", std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(tmp / "broken/2l/snapshots");
  const auto seq = test::run_cli("demo --out " + (tmp / "seq") + " --corpus " + (tmp / "corpus.txt") +
                                 " --bytes --steps 4 --threads 1 --pretrained " + (tmp / "broken"));
  ASSERT_EQ(seq.code, 0) << seq.output;
  EXPECT_NE(seq.output.find("could not be analysed"), std::string::npos) << seq.output;
  const auto seq_summary = nlohmann::json::parse(io::read_file(tmp / "seq/summary.json"));
  EXPECT_TRUE(seq_summary.at("loaded").contains("error"));
  for (const std::string run : {"1l", "2l"})
    EXPECT_TRUE(io::read_file(tmp / ("seq/" + run + "/eval/per_sequence_loss.npy")) ==
                io::read_file(tmp / ("demo/" + run + "/eval/per_sequence_loss.npy")))
        << run;
}

TEST(DemoCli, BadPretrainedFolderIsOneClearErrorBeforeTraining) {
  test::TempDir tmp;
  const auto r = test::run_cli("demo --out " + (tmp / "demo") + " --pretrained " + (tmp / "nowhere"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--pretrained " + (tmp / "nowhere") + ": no summary.json there"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "demo/1l"));
}

TEST(DemoCli, UnknownActivationIsOneClearErrorBeforeAnything) {
  test::TempDir tmp;
  const auto r = test::run_cli("demo --out " + (tmp / "demo") + " --d-mlp 64 --act-fn gelu2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("unknown act_fn 'gelu2' (expected gelu, gelu_new or relu)"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "demo"));
}

}  // namespace
}  // namespace cs
