// The talk's probes: prompt encoding with exact answer spans, their losses against a direct
// forward pass, and one clear error for prompts that cannot run.
#include "analysis/probes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "../model/model_fixtures.h"
#include "analysis/work_budget.h"
#include "core/error.h"
#include "core/gemm.h"
#include "model/forward.h"

namespace cs::analysis {
namespace {

Config byte_model(int n_ctx) {
  Config c = test::tiny_config(2, Positions::shortformer, Normalization::none);
  c.n_ctx = n_ctx;
  c.d_vocab = 257;
  return c;
}

TEST(Probes, EncodingMarksTheAnswerTokens) {
  const auto tok = data::make_byte_tokenizer();
  const EncodedProbe e = encode_probe({{"ab", false}, {"cd", true}, {"e", false}}, *tok, 16, 257, "t");
  EXPECT_EQ(e.tokens, (std::vector<int32_t>{256, 'a', 'b', 'c', 'd', 'e'}));
  EXPECT_EQ(e.answer_positions, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(e.segment_start, (std::vector<int64_t>{1, 3, 5}));
}

TEST(Probes, BuiltinsExistAndUnknownNamesAreListed) {
  const std::vector<Probe> all = builtin_probes();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(builtin_probe("xor").choices.size(), 2u);
  try {
    builtin_probe("sorting");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("repeated_paragraph, translation, xor"), std::string::npos);
  }
  // The paragraph's second copy repeats the first token for token.
  const auto tok = data::make_byte_tokenizer();
  const EncodedProbe e = encode_probe(builtin_probe("repeated_paragraph").prompt, *tok, 1024, 257, "p");
  const int64_t n = int64_t(e.answer_positions.size());
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(e.tokens[size_t(1 + i)], e.tokens[size_t(e.answer_positions[size_t(i)])]);
}

// A custom probe on a random 2-layer byte-level model, in double.
class CustomProbe : public ::testing::Test {
 protected:
  void SetUp() override { set_num_threads(1); }
  const std::unique_ptr<data::Tokenizer> tok = data::make_byte_tokenizer();
  const Config c = byte_model(64);
  const Params<double> p = test::random_params<double>(c, 8, 0.3);
  const Probe probe = custom_probe("one two ", "one two");
};

TEST_F(CustomProbe, LossesAndHeadAblationsMatchDirectPasses) {
  const ProbeResult r = run_probe(p, *tok, probe);
  const EncodedProbe e = encode_probe(probe.prompt, *tok, c.n_ctx, c.d_vocab, "custom");
  Activations<double> a(c, 1, int64_t(e.tokens.size()) - 1);
  a.set_windows(e.tokens.data());
  forward(p, a);
  double loss = 0;
  for (int64_t q : e.answer_positions) loss += a.loss[size_t(q - 1)];
  loss /= double(e.answer_positions.size());
  EXPECT_NEAR(r.answer_loss, loss, 1e-12);
  EXPECT_EQ(r.n_answer_tokens, 7);
  EXPECT_EQ(r.answer_pieces.front(), "o");
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      Interventions<double> iv;
      iv.freeze_patterns = &a;
      iv.ablate = {{l, h, HeadAblation::Kind::zero}};
      Activations<double> v(c, 1, int64_t(e.tokens.size()) - 1);
      v.set_windows(e.tokens.data());
      forward(p, v, &iv);
      double lv = 0;
      for (int64_t q : e.answer_positions) lv += v.loss[size_t(q - 1)];
      EXPECT_NEAR(r.head_delta_loss[size_t(l * 2 + h)], lv / 7 - loss, 1e-12);
    }
  EXPECT_TRUE(std::isfinite(r.control_loss));
  EXPECT_TRUE(std::isnan(r.accuracy));
  EXPECT_EQ(r.to_json()["heads_by_importance"].size(), 4u);
}

TEST_F(CustomProbe, ABudgetAblatesTheHeadsThatWriteMostAndSaysSo) {
  const ProbeResult all = run_probe(p, *tok, probe);
  EXPECT_EQ(all.limited, "");
  // The clean and control passes and one head's.
  const int64_t positions = all.n_tokens - 1;
  const ProbeResult one = run_probe(p, *tok, probe, 3 * double(positions) * forward_flops_per_token(c, positions));
  int ablated = 0;
  for (size_t i = 0; i < all.head_delta_loss.size(); ++i) {
    if (std::isnan(one.head_delta_loss[i])) continue;
    ++ablated;
    EXPECT_NEAR(one.head_delta_loss[i], all.head_delta_loss[i], 1e-12);
  }
  EXPECT_EQ(ablated, 1);
  EXPECT_EQ(one.limited, "work budget: ablated 1 of 4 heads (those writing most at the answer rows; the others null)");
  EXPECT_EQ(one.to_json()["heads_by_importance"].size(), 1u);
  EXPECT_TRUE(one.to_json()["head_delta_loss"][0][0].is_null() || one.to_json()["head_delta_loss"][0][1].is_null());
}

TEST(Probes, XorAccuracyIsAFractionOfTwelveLines) {
  set_num_threads(1);
  const auto tok = data::make_byte_tokenizer();
  const Config c = byte_model(512);
  const ProbeResult r = run_probe(test::random_params<float>(c, 2, 0.3), *tok, builtin_probe("xor"));
  EXPECT_GE(r.accuracy, 0.0);
  EXPECT_LE(r.accuracy, 1.0);
  EXPECT_NEAR(r.accuracy * 12, std::round(r.accuracy * 12), 1e-9);
  EXPECT_TRUE(std::isnan(r.control_loss));
}

TEST(Probes, BadInputIsOneClearError) {
  const auto tok = data::make_byte_tokenizer();
  const Config c = byte_model(64);
  const Params<float> p = test::random_params<float>(c, 2);
  try {
    run_probe(p, *tok, builtin_probe("repeated_paragraph"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than n_ctx 64"), std::string::npos) << e.what();
  }
  Config small = c;
  small.d_vocab = 100;  // bytes from 100 up are not in this model's vocabulary
  try {
    run_probe(test::random_params<float>(small, 2), *tok, custom_probe("", "xyz"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in the model's vocabulary"), std::string::npos) << e.what();
  }
  EXPECT_THROW(custom_probe("context", ""), Error);
}

}  // namespace
}  // namespace cs::analysis
