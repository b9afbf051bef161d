// `eval` gives an imported run tokens and an evaluation set from a corpus, with every snapshot's
// per-token loss on it, so the ICL curve and the analyses that need token counts run on it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "../io/temp_dir.h"
#include "hf_fixtures.h"
#include "model/activations.h"
#include "model/forward.h"
#include "run/run_dir.h"
#include "viewer/api.h"

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

// 80 documents of 60 random words, separated by form-feed lines.
std::string write_corpus(const cs::test::TempDir& tmp) {
  const char* words[] = {"the", "cat", "sat", "on", "mat", "dog", "ran", "home", "and", "then", "we", "went"};
  std::mt19937 rng(3);
  std::string text;
  for (int d = 0; d < 80; ++d) {
    if (d) text += "\n\f\n";
    for (int w = 0; w < 60; ++w) text += std::string(w ? " " : "") + words[rng() % 12];
  }
  cs::test::write_bytes(tmp / "corpus.txt", text);
  return tmp / "corpus.txt";
}

// The loss of predicting window[i + 1] from window[0..i], from the logits.
double loss_from_logits(const cs::Params<float>& p, const std::vector<int32_t>& window, int64_t i) {
  const int64_t T = int64_t(window.size()) - 1, V = p.cfg.d_vocab;
  cs::Activations<float> acts(p.cfg, 1, T, /*keep_logits=*/true);
  acts.set_tokens(window.data());
  cs::forward(p, acts);
  const float* row = acts.logits.data() + i * V;
  double m = row[0], sum = 0;
  for (int64_t v = 0; v < V; ++v) m = std::max(m, double(row[v]));
  for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - m);
  return m + std::log(sum) - row[window[size_t(i + 1)]];
}

TEST(ImportEval, GivesAnImportedRunEveryAnalysisInput) {
  cs::test::TempDir tmp;
  const std::string s = cs::test::hf_fixture("series/"), run_dir = tmp / "run";
  ASSERT_EQ(cs::test::run_import(s + "step0 " + s + "step512 " + s + "step1024 --steps 1,2,4 --out " + run_dir).code, 0);
  const std::string corpus = write_corpus(tmp);
  const auto r = cs::test::run_cli("eval " + run_dir + " --corpus " + corpus + " --n-ctx 16 --n-eval 16");
  ASSERT_EQ(r.code, 0) << r.output;

  const cs::run::RunDir run(run_dir);
  const cs::run::EvalLosses losses = run.eval_losses();
  EXPECT_EQ(losses.steps, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(losses.tokens, (std::vector<int64_t>{2097152, 2 * 2097152, 4 * 2097152}));
  ASSERT_EQ(losses.n_ctx, 16);
  ASSERT_EQ(losses.n_eval, 16);
  // Snapshot 2's loss at a few positions of sequence 5, as its logits give it (stored as float16).
  const cs::run::EvalTokens eval = run.eval_tokens();
  const std::vector<int32_t> window(eval.tokens.begin() + 5 * eval.width, eval.tokens.begin() + 6 * eval.width);
  const auto snap = run.snapshot(2);
  for (int64_t i : {0, 7, 15}) {
    const double expected = loss_from_logits(snap.params, window, i);
    EXPECT_NEAR(losses.per_sequence[size_t((1 * 16 + 5) * 16 + i)], expected, 2e-3 * std::max(1.0, expected)) << i;
  }
  for (const char* analysis : {"icl ", "heads --over-training ", "circuits ", "probes ", "report "}) {
    const auto a = cs::test::run_cli(analysis + run_dir);
    EXPECT_EQ(a.code, 0) << analysis << a.output;
  }
  EXPECT_TRUE(fs::exists(run_dir + "/analysis/report.html"));
  // The viewer on the imported checkpoints: any snapshot of the series, the logit split (one bar
  // per MLP layer) adding up to the model's own logit.
  cs::viewer::Api api({run_dir});
  const auto j = nlohmann::json::parse(
      api.forward(nlohmann::json{{"text", "the cat sat on the mat"}, {"snapshot", 2}, {"patterns", "none"}, {"positions", {3}}}.dump()));
  EXPECT_EQ(j.at("snapshot").at("step"), 2);
  const nlohmann::json& a = j.at("attribution")[0];
  ASSERT_EQ(a.at("mlps").size(), size_t(snap.params.cfg.n_layers));
  EXPECT_NEAR(a.at("sum").get<double>(), a.at("logit").get<double>(), 1e-3);
}

TEST(ImportEval, RefusesWindowsLongerThanTheModelAndLeavesNothing) {
  cs::test::TempDir tmp;
  const std::string run_dir = tmp / "run";
  ASSERT_EQ(cs::test::run_import(cs::test::hf_fixture("neox_bf16") + " --out " + run_dir).code, 0);
  const auto r = cs::test::run_cli("eval " + run_dir + " --corpus " + write_corpus(tmp) + " --n-ctx 64");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--n-ctx must lie between 2 and the model's n_ctx 32"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(run_dir + "/tokens"));
}

TEST(ImportEval, RefusesARunThatHasAnEvaluation) {
  cs::test::TempDir tmp;
  const std::string run_dir = tmp / "run", corpus = write_corpus(tmp);
  ASSERT_EQ(cs::test::run_import(cs::test::hf_fixture("neox_bf16") + " --out " + run_dir).code, 0);
  ASSERT_EQ(cs::test::run_cli("eval " + run_dir + " --corpus " + corpus + " --n-eval 16").code, 0);
  const auto again = cs::test::run_cli("eval " + run_dir + " --corpus " + corpus + " --n-eval 16");
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.output.find("already has tokens or evaluations"), std::string::npos) << again.output;
  EXPECT_EQ(cs::run::RunDir(run_dir).eval_losses().n_snapshots(), 1) << "the refused eval removed the first one's";
}

}  // namespace
