// Every analysis on a model with MLP blocks, as a user runs them: analyze (heads, circuits, paths,
// ablations with the MLP layers, probes), report and the viewer's logit split with one bar per
// MLP layer, on a tiny run trained here.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../common/run_cli.h"
#include "../common/word_corpus.h"
#include "../io/temp_dir.h"
#include "model/forward.h"
#include "run/run_dir.h"
#include "viewer/api.h"

namespace cs {
namespace {

using nlohmann::json;

json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

class MlpRun : public ::testing::Test {
 protected:
  static inline test::TempDir* tmp = nullptr;
  static inline std::string run;

  static void SetUpTestSuite() {
    tmp = new test::TempDir;
    std::ofstream(*tmp / "corpus.txt") << test::word_corpus();
    run = *tmp / "mlp";
    const auto r = test::run_cli("train --corpus " + (*tmp / "corpus.txt") + " --bytes --out " + run +
                                 " --n-layers 2 --n-heads 2 --d-model 16 --d-head 8 --n-ctx 64 --batch 4"
                                 " --steps 30 --snapshots 5 --eval-count 16 --eval-fraction 0.25 --threads 1"
                                 " --d-mlp 32 --act-fn gelu --normalization LN --positions standard --biases");
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete tmp; }
};

TEST_F(MlpRun, AnalyzeWritesEveryAnalysisAndSaysWhatMlpsMean) {
  const auto r = test::run_cli("analyze " + run + " --over-training");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("MLP 1"), std::string::npos) << "the ablation and paths tables list the MLP layers";
  const json circuits = read_json(run + "/analysis/circuits.json");
  EXPECT_NE(circuits.dump().find("the MLPs are not on that path"), std::string::npos);
  const json paths = read_json(run + "/analysis/paths.json");
  ASSERT_EQ(paths.at("mlp_layers").size(), 2u);
  // With patterns and MLP outputs frozen the full order is the clean pass itself.
  EXPECT_NEAR(paths.at("loss_by_order").back().get<double>(), paths.at("clean_loss").get<double>(), 1e-9);
  for (const json& m : paths.at("mlp_layers")) EXPECT_TRUE(std::isfinite(m.at("all_terms_importance").get<double>()));
  const json ablation = read_json(run + "/analysis/ablation_icl.json");
  const json& mlp = ablation.at("mlp_delta_icl");
  ASSERT_EQ(mlp.size(), ablation.at("steps").size());
  ASSERT_EQ(mlp.back().at("zero").size(), 2u);
  EXPECT_NE(mlp.back().at("zero")[1].get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::exists(run + "/analysis/ablation_icl_mlp.npy"));
  EXPECT_TRUE(std::filesystem::exists(run + "/analysis/heads.json"));
  EXPECT_TRUE(std::filesystem::exists(run + "/analysis/probes.json"));
}

TEST_F(MlpRun, ReportOpensWithTheMlpAblations) {
  const auto r = test::run_cli("report " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream f(run + "/analysis/report.html");
  std::stringstream html;
  html << f.rdbuf();
  EXPECT_GT(html.str().size(), 10000u);
  EXPECT_NE(html.str().find("Ablating each MLP layer changes the ICL score by"), std::string::npos);
  EXPECT_NE(html.str().find("patterns and MLP outputs frozen"), std::string::npos);
}

TEST_F(MlpRun, ViewerSplitsTheLogitIntoHeadsAndMlps) {
  viewer::Api api({run});
  const json j = json::parse(api.forward(json{{"text", "hello world hello"}, {"patterns", "none"}, {"positions", {3, 12}}}.dump()));
  for (const json& a : j.at("attribution")) {
    ASSERT_EQ(a.at("mlps").size(), 2u);
    double s = a.at("direct").get<double>() + a.at("bias").get<double>();
    for (const auto& layer : a.at("heads"))
      for (const auto& h : layer) s += h.get<double>();
    for (const auto& m : a.at("mlps")) s += m.get<double>();
    EXPECT_NEAR(s, a.at("logit").get<double>(), 1e-4);
    EXPECT_NE(a.at("note").get<std::string>().find("MLP"), std::string::npos);
  }
  // The logit itself is the model's, b_U included.
  const run::RunDir dir(run);
  const run::Snapshot snap = dir.snapshot(dir.snapshot_steps().back());
  std::vector<int32_t> ids = {256};
  for (char ch : std::string("hello world hello")) ids.push_back(int32_t(static_cast<unsigned char>(ch)));
  Activations<float> acts(snap.params.cfg, 1, int64_t(ids.size()), true);
  acts.set_tokens(ids.data());
  forward(snap.params, acts);
  const json& a = j.at("attribution")[0];
  const int32_t token = a.at("token").at("id");
  EXPECT_NEAR(a.at("logit").get<double>(), acts.logits[size_t(3 * snap.params.cfg.d_vocab + token)], 1e-4);
}

TEST_F(MlpRun, AblateListsTheMlpLayers) {
  const auto r = test::run_cli("ablate " + run + " --snapshots last");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("MLP 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(mean)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cs
