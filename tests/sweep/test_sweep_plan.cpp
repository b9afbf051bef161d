// The grid of `sweep plan`: names, every run's train flags (the demo's quick recipe unless given),
// comma lists as axes, MLP runs, token folders, and refusal of what train does not take.
#include <gtest/gtest.h>

#include "core/error.h"
#include "sweep/plan.h"

namespace cs::sweep {
namespace {

// Train's flags as the command line defines them, with the MLP flags a build may have.
std::vector<TrainFlag> known(bool with_mlp) {
  std::vector<TrainFlag> k;
  for (const char* f : {"--corpus",        "--n-layers",  "--n-heads",
                        "--d-model",       "--d-head",    "--n-ctx",
                        "--d-vocab",       "--positions", "--normalization",
                        "--batch",         "--lr",        "--warmup",
                        "--steps",         "--tokens",    "--seed",
                        "--threads",       "--snapshots", "--eval-count",
                        "--eval-fraction", "--out",       "--state-every-steps"})
    k.push_back({f, true});
  for (const char* f : {"--bytes", "--resume", "--force", "--skip-nonfinite"}) k.push_back({f, false});
  if (with_mlp) k.insert(k.end(), {{"--d-mlp", true}, {"--act-fn", true}, {"--biases", false}});
  return k;
}

PlanRequest request(std::vector<int> layers, std::vector<bool> mlp, std::vector<uint64_t> seeds,
                    std::vector<std::string> args = {}) {
  PlanRequest q;
  q.out = "sweep";
  q.layers = std::move(layers);
  q.mlp = std::move(mlp);
  q.seeds = std::move(seeds);
  q.train_args = std::move(args);
  return q;
}

std::vector<std::string> names(const Sweep& s) {
  std::vector<std::string> n;
  for (const Run& r : s.runs) n.push_back(r.name);
  return n;
}

std::string error_of(const PlanRequest& q, bool with_mlp = false) {
  try {
    make_plan(q, known(with_mlp));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SweepPlan, DefaultsAreTheDemosQuickRecipe) {
  const Sweep s = make_plan(request({1, 2}, {false}, {0}), known(false));
  EXPECT_EQ(names(s), (std::vector<std::string>{"l1-attn-s0", "l2-attn-s0"}));
  const sweep::Run& r = s.runs[1];
  EXPECT_EQ(r.train, (std::vector<std::string>{"--corpus",
                                               "tokens-v1024",
                                               "--out",
                                               "l2-attn-s0",
                                               "--n-layers",
                                               "2",
                                               "--seed",
                                               "0",
                                               "--d-model",
                                               "128",
                                               "--n-heads",
                                               "8",
                                               "--d-head",
                                               "16",
                                               "--n-ctx",
                                               "256",
                                               "--positions",
                                               "standard",
                                               "--normalization",
                                               "LN",
                                               "--batch",
                                               "4",
                                               "--lr",
                                               "0.003",
                                               "--warmup",
                                               "100",
                                               "--steps",
                                               "23438",
                                               "--snapshots",
                                               "100",
                                               "--eval-count",
                                               "128"}));
  EXPECT_EQ(r.steps, 23438);
  EXPECT_EQ(r.tokens_per_step, 4 * 256);
  EXPECT_FALSE(r.mlp);
  ASSERT_EQ(s.tokens.size(), 1u);
  EXPECT_EQ(s.tokens[0].folder, "tokens-v1024");
  EXPECT_EQ(s.tokens[0].prepare.corpus, (std::vector<std::string>{"builtin:", "python-source:"}));
  EXPECT_EQ(s.tokens[0].prepare.d_vocab, 1024);
  EXPECT_EQ(s.tokens[0].prepare.seed, 0u);
}

TEST(SweepPlan, ACommaListIsAnAxisOfTheGridAndOfTheNames) {
  const Sweep s =
      make_plan(request({2}, {false}, {0, 1}, {"--lr", "1e-3,3e-3", "--batch=8", "--skip-nonfinite"}), known(false));
  EXPECT_EQ(names(s), (std::vector<std::string>{"l2-attn-s0-lr1e-3", "l2-attn-s1-lr1e-3", "l2-attn-s0-lr3e-3",
                                                "l2-attn-s1-lr3e-3"}));
  EXPECT_EQ(flag_value(s.runs[2].train, "--lr"), "3e-3");
  EXPECT_EQ(flag_value(s.runs[2].train, "--batch"), "8");
  EXPECT_EQ(s.runs[2].tokens_per_step, 8 * 256);
  EXPECT_EQ(s.runs[2].train.back(), "--skip-nonfinite");
  EXPECT_EQ(s.runs[3].axes, (std::vector<std::pair<std::string, std::string>>{{"--lr", "3e-3"}}));
  EXPECT_EQ(s.grid["axes"]["--lr"], (std::vector<std::string>{"1e-3", "3e-3"}));
}

TEST(SweepPlan, MlpRunsGetBlocksOfFourTimesTheWidth) {
  const Sweep s =
      make_plan(request({1}, {false, true}, {0}, {"--d-model", "64", "--act-fn", "gelu,relu"}), known(true));
  // The run without MLP blocks is made once: the activation is not its to vary.
  EXPECT_EQ(names(s), (std::vector<std::string>{"l1-attn-s0", "l1-mlp-s0-actfngelu", "l1-mlp-s0-actfnrelu"}));
  EXPECT_EQ(flag_value(s.runs[0].train, "--d-mlp"), "");
  EXPECT_EQ(flag_value(s.runs[0].train, "--act-fn"), "");
  EXPECT_EQ(flag_value(s.runs[1].train, "--d-mlp"), "256");
  EXPECT_EQ(flag_value(s.runs[1].train, "--act-fn"), "gelu");
  EXPECT_EQ(flag_value(s.runs[2].train, "--act-fn"), "relu");
  EXPECT_TRUE(s.runs[1].mlp);
  // Without an --act-fn the blocks use gelu.
  const Sweep plain = make_plan(request({2}, {true}, {0}), known(true));
  EXPECT_EQ(flag_value(plain.runs[0].train, "--d-mlp"), "512");
  EXPECT_EQ(flag_value(plain.runs[0].train, "--act-fn"), "gelu");
  EXPECT_NE(error_of(request({1}, {true}, {0})).find("--mlp yes needs train's --d-mlp"), std::string::npos);
}

TEST(SweepPlan, TokensSetTheStepsAndTheVocabularyTheTokenFolder) {
  const Sweep s = make_plan(request({1}, {false}, {4},
                                    {"--tokens", "1000000", "--batch", "8", "--n-ctx", "128", "--d-vocab", "512,2048",
                                     "--corpus", "a.txt", "--corpus", "builtin:", "--eval-fraction", "0.2"}),
                            known(false));
  EXPECT_EQ(names(s), (std::vector<std::string>{"l1-attn-s4-dvocab512", "l1-attn-s4-dvocab2048"}));
  EXPECT_EQ(s.runs[0].steps, 1000000 / (8 * 128));
  EXPECT_EQ(flag_value(s.runs[0].train, "--steps"), "");
  EXPECT_EQ(flag_value(s.runs[0].train, "--tokens"), "1000000");
  EXPECT_EQ(flag_value(s.runs[0].train, "--d-vocab"), "");  // the token folder holds the vocabulary
  EXPECT_EQ(flag_value(s.runs[1].train, "--corpus"), "tokens-v2048");
  ASSERT_EQ(s.tokens.size(), 2u);
  EXPECT_EQ(s.tokens[0].prepare.d_vocab, 512);
  EXPECT_EQ(s.tokens[1].folder, "tokens-v2048");
  EXPECT_EQ(s.tokens[1].prepare.corpus, (std::vector<std::string>{"a.txt", "builtin:"}));
  EXPECT_DOUBLE_EQ(s.tokens[1].prepare.eval_fraction, 0.2);
  EXPECT_EQ(s.tokens[1].prepare.seed, 4u);
  const Sweep bytes = make_plan(request({1}, {false}, {0}, {"--bytes"}), known(false));
  EXPECT_EQ(bytes.tokens[0].folder, "tokens-bytes");
  EXPECT_TRUE(bytes.tokens[0].prepare.bytes);
}

TEST(SweepPlan, RefusesWhatTrainDoesNotTakeWithOneLine) {
  const auto q = [](std::vector<std::string> args) { return request({1}, {false}, {0}, std::move(args)); };
  EXPECT_EQ(error_of(q({"--no-such", "1"})),
            "sweep plan: unknown flag --no-such (`circuitscope train --help` lists train's flags)");
  EXPECT_EQ(error_of(q({"--n-layers", "2"})),
            "sweep plan: --n-layers is set by the sweep: give the depths with --layers");
  EXPECT_EQ(error_of(q({"--seed", "2"})), "sweep plan: --seed is set by the sweep: give the seeds with --seeds");
  EXPECT_EQ(error_of(q({"--lr"})), "sweep plan: --lr needs a value");
  EXPECT_EQ(error_of(q({"--lr", "1e-3", "--lr", "2e-3"})),
            "sweep plan: --lr given twice (a comma list gives several values)");
  EXPECT_EQ(error_of(q({"--bytes=1"})), "sweep plan: --bytes takes no value");
  EXPECT_EQ(error_of(q({"--steps", "ten"})), "sweep plan: --steps 'ten' is not a positive whole number");
  EXPECT_EQ(error_of(q({"--lr", "1e-3,,2e-3"})), "sweep plan: --lr '1e-3,,2e-3': an empty value in the list");
  EXPECT_EQ(error_of(q({"--eval-fraction", "0.1,0.2"})),
            "sweep plan: --eval-fraction takes one value (it shapes the tokens every run shares)");
  EXPECT_EQ(error_of(q({"lr", "1"})), "sweep plan: 'lr' is not a flag (train flags start with --)");
  EXPECT_EQ(error_of(request({1}, {false}, {0, 0})),
            "sweep plan: two runs would share the folder l1-attn-s0; give each value of a list once");
}

}  // namespace
}  // namespace cs::sweep
