// The work budget of the analyses that run the model many times (analysis/work_budget.h): the
// forward-pass cost estimate, which heads fit, and what the ablation plan gives up on a model of
// GPT-2 small's size but not on a small one.
#include "analysis/work_budget.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/ablation_budget.h"

namespace cs::analysis {
namespace {

// A pre-LN model with MLPs of 4 d_model and learned positions, n_ctx 1024.
Config model(int layers, int heads, int d_head, int d_vocab) {
  Config c;
  c.n_layers = layers;
  c.n_heads = heads;
  c.d_head = d_head;
  c.d_model = heads * d_head;
  c.d_mlp = 4 * c.d_model;
  c.n_ctx = 1024;
  c.d_vocab = d_vocab;
  c.normalization_type = Normalization::LN;
  c.positional_embedding_type = Positions::standard;
  return c;
}

Config gpt2_small() { return model(12, 12, 64, 50257); }

TEST(WorkBudget, ForwardFlopsCountWeightsAttentionAndUnembedding) {
  const Config c = gpt2_small();
  // Per layer: Q, K, V, O (4 * 768 * 768) and the MLP (2 * 768 * 3072) multiply-adds, plus half of
  // the 2 * 768 * 1024 of scores and mixing; the unembedding 768 * 50257; two operations each.
  const double layer = 4.0 * 768 * 768 + 2.0 * 768 * 3072 + 768.0 * 1024;
  EXPECT_DOUBLE_EQ(forward_flops_per_token(c, 1024, false), 2 * 12 * layer);
  EXPECT_DOUBLE_EQ(forward_flops_per_token(c, 1024), 2 * 12 * layer + 2.0 * 768 * 50257);
  EXPECT_NEAR(forward_flops_per_token(c, 1024) / 1e6, 265.9, 0.1);
}

TEST(WorkBudget, HeadsThatFitGoByScoreAndCost) {
  const double nan = std::nan("");
  // Best first: 2 (0.9), 3 (0.5), 0 (0.1), then the NaN one; head 3 costs too much for what is left.
  const std::vector<bool> keep = heads_that_fit({0.1, nan, 0.9, 0.5}, {1, 1, 1, 5}, 2.5);
  EXPECT_EQ(keep, (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(heads_that_fit({0.1, nan}, {1, 1}, 10), (std::vector<bool>{true, true}));
  EXPECT_EQ(count_of(3, 16, "evaluation sequences"), "3 of 16 evaluation sequences");
}

IclPositions default_positions(int n_ctx) { return resolve_positions(n_ctx, IclOptions{}); }

TEST(WorkBudget, AblationPlanCutsOnlyLargeModels) {
  const Config small = model(2, 8, 16, 4096);
  const AblationPlan ok = plan_ablation(small, default_positions(1024), 128, 1, kAnalysisFlops);
  EXPECT_EQ(ok.n_eval, 128);
  EXPECT_TRUE(ok.other_kind);
  EXPECT_FALSE(ok.rank_heads);
  EXPECT_EQ(ok.limited, "");

  const Config big = gpt2_small();
  const AblationPlan cut = plan_ablation(big, default_positions(1024), 16, 1, kAnalysisFlops);
  EXPECT_EQ(cut.n_eval, 1);
  EXPECT_FALSE(cut.other_kind);
  EXPECT_TRUE(cut.rank_heads);
  EXPECT_EQ(cut.limited, "the other ablation kind left out; 1 of 16 evaluation sequences");
  std::string limited = cut.limited;
  std::vector<double> score(144, 0.0);
  score[3] = 1.0;  // the best head comes first
  const std::vector<bool> heads = heads_within(big, default_positions(1024), score, 1, kAnalysisFlops, limited);
  const int64_t kept = std::count(heads.begin(), heads.end(), true);
  EXPECT_TRUE(heads[3]);
  EXPECT_GT(kept, 12);  // the last layer's 12 heads cost no pass
  EXPECT_LT(kept, 144);
  EXPECT_NE(limited.find("ablated " + std::to_string(kept) + " of 144 heads"), std::string::npos) << limited;
}

}  // namespace
}  // namespace cs::analysis
