// Head evaluators (docs/evaluators.md) on hand-made patterns and on models whose scores can be
// worked out by hand; head kinds; evaluators over training.
#include "analysis/evaluators.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../model/model_fixtures.h"
#include "induction_model.h"
#include "analysis/head_kinds.h"
#include "core/error.h"
#include "core/gemm.h"
#include "model/forward.h"

namespace cs::analysis {
namespace {

// Pattern [B, H, T, T] with every row attending to itself.
std::vector<double> self_pattern(int B, int H, int T) {
  std::vector<double> p(size_t(B * H * T * T), 0.0);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < T; ++i) p[size_t(((b * H + h) * T + i) * T + i)] = 1.0;
  return p;
}

TEST(PrefixMatching, IdealInductionPatternScoresOne) {
  const int B = 2, H = 3, n = 5, R = 4, T = 1 + R * n;
  std::vector<double> p = self_pattern(B, H, T);
  for (int b = 0; b < B; ++b)
    for (int r = 1; r < R; ++r)
      for (int k = 0; k < n; ++k) {
        const int i = 1 + r * n + k;
        // head 0: evenly over the positions right after the earlier copies (the ideal head)
        // head 1: on the earlier copies themselves (a duplicate-token head): 0
        // head 2: only on the token after the first copy: 1 too, the score sums over copies
        double* row0 = p.data() + ((b * H + 0) * T + i) * T;
        double* row1 = p.data() + ((b * H + 1) * T + i) * T;
        double* row2 = p.data() + ((b * H + 2) * T + i) * T;
        row0[i] = row1[i] = row2[i] = 0;
        for (int rp = 0; rp < r; ++rp) {
          row0[1 + rp * n + k + 1] = 1.0 / r;
          row1[1 + rp * n + k] = 1.0 / r;
        }
        row2[1 + k + 1] = 1.0;
      }
  const std::vector<double> s = prefix_matching_scores(p.data(), B, H, T, n, R);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.0);
  EXPECT_DOUBLE_EQ(s[2], 1.0);
}

TEST(PrefixMatching, UniformAttentionScoresTheShareOfEarlierCopies) {
  const int B = 1, H = 1, n = 3, R = 3, T = 1 + R * n;
  std::vector<double> p(size_t(T * T), 0.0);
  for (int i = 0; i < T; ++i)
    for (int j = 0; j <= i; ++j) p[size_t(i * T + j)] = 1.0 / (i + 1);
  // Row i = 1 + r n + k has r earlier copies, each followed by a position <= i: r / (i + 1).
  // r = 1: i = 4, 5, 6 -> 1/5 + 1/6 + 1/7; r = 2: i = 7, 8, 9 -> 2/8 + 2/9 + 2/10.
  const double expected = (1.0 / 5 + 1.0 / 6 + 1.0 / 7 + 2.0 / 8 + 2.0 / 9 + 2.0 / 10) / 6;
  EXPECT_NEAR(prefix_matching_scores(p.data(), B, H, T, n, R)[0], expected, 1e-15);
  EXPECT_THROW(prefix_matching_scores(p.data(), B, H, T - 1, n, R), Error);
}

TEST(PreviousToken, HandMadePatterns) {
  const int B = 2, H = 2, T = 5;
  std::vector<double> p(size_t(B * H * T * T), 0.0);
  for (int b = 0; b < B; ++b) {
    double* h0 = p.data() + (b * H + 0) * T * T;
    double* h1 = p.data() + (b * H + 1) * T * T;
    h0[0] = h1[0] = 1;
    for (int i = 1; i < T; ++i) {
      h0[i * T + i - 1] = 1;                       // a perfect previous-token head
      h1[i * T + i - 1] = b == 0 ? 0.5 : 0.25;      // partly
      h1[i * T + i] = 1 - h1[i * T + i - 1];
    }
  }
  const std::vector<double> s = previous_token_scores(p.data(), B, H, T);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.375);
}

TEST(Positional, SamePatternEverywhereScoresOneAndDifferentPatternsLess) {
  const int B = 3, H = 2, T = 4;
  std::vector<double> p = self_pattern(B, H, T);
  // head 1 of sequence 1 attends to position 0 instead of itself on rows 1..3: each comparison
  // with sequence 0 and with sequence 2 moves all of a row's attention (distance 1).
  for (int i = 1; i < T; ++i) {
    double* row = p.data() + ((1 * H + 1) * T + i) * T;
    row[i] = 0;
    row[0] = 1;
  }
  std::vector<double> sums;
  int64_t count = 0;
  positional_distance_sums(p.data(), B, H, T, sums, count);
  EXPECT_EQ(count, 2 * (T - 1));
  EXPECT_DOUBLE_EQ(1.0 - sums[0] / double(count), 1.0);
  EXPECT_DOUBLE_EQ(1.0 - sums[1] / double(count), 0.0);
}

TEST(Copying, RatioOnAHandMadeCase) {
  // One sequence of 3 tokens; the head's pattern and the raises it gives each sample token.
  const double pattern[9] = {1, 0, 0, 0.5, 0.5, 0, 0, 0, 1};
  const double gains[9] = {2, 0, 0, 1, 3, 0, 0, 0, 4};
  // numerator 1*2 + (0.5*1 + 0.5*3) + 1*4 = 8, denominator 2 + 4 + 4 = 10
  const CopyingSums s = copying_sums(pattern, 9, gains, 1, 3);
  EXPECT_DOUBLE_EQ(s.numerator, 8.0);
  EXPECT_DOUBLE_EQ(s.denominator, 10.0);
  EXPECT_DOUBLE_EQ(s.ratio(), 0.8);
  const double none[9] = {};
  EXPECT_TRUE(std::isnan(copying_sums(pattern, 9, none, 1, 3).ratio()));
}

TEST(TokenPool, RanksFromTheHundredthToTheMedian) {
  std::vector<int64_t> counts(400, 0);
  for (int t = 0; t < 300; ++t) counts[size_t(t)] = 1000 - t;  // token t has rank t
  counts[5] = 5000;  // BOS, the most common, never in the pool
  const std::vector<int32_t> pool = token_pool(counts, 5, false).tokens;
  // 299 tokens seen besides BOS: median rank 149, so ranks 99..148 = 50 tokens.
  ASSERT_EQ(pool.size(), 50u);
  EXPECT_EQ(pool.front(), 100);  // rank 99 once BOS (id 5) is gone
  EXPECT_EQ(pool.back(), 149);
  const std::vector<int32_t> bytes = token_pool(counts, 5, true).tokens;
  EXPECT_EQ(bytes.size(), 299u - 10u);
  // The ten most common besides BOS are 0..4 and 6..10.
  EXPECT_EQ(std::set<int32_t>(bytes.begin(), bytes.end()).count(11), 1u);
  EXPECT_EQ(std::set<int32_t>(bytes.begin(), bytes.end()).count(10), 0u);
  // Few symbols: the frequency-rank pool would be too small, so every token seen but BOS is used.
  std::vector<int64_t> few(40, 0);
  for (int t = 0; t < 30; ++t) few[size_t(t)] = 100 - t;
  const TokenPool fallback = token_pool(few, 39, true);
  EXPECT_EQ(fallback.tokens.size(), 30u);
  EXPECT_NE(fallback.rule.find("every token seen"), std::string::npos);
}

TEST(RepeatedTokens, LayoutIsBosThenCopiesOfDistinctTokens) {
  std::vector<int32_t> pool;
  for (int t = 0; t < 40; ++t) pool.push_back(t);
  EvaluatorOptions o;
  const RepeatedTokens r = repeated_token_windows(pool, 99, 512, o);
  ASSERT_EQ(r.n_tokens, 25);
  ASSERT_EQ(r.seq(), 101);
  ASSERT_EQ(r.windows.size(), size_t(10 * 102));
  for (int b = 0; b < 10; ++b) {
    const int32_t* row = r.windows.data() + b * 102;
    EXPECT_EQ(row[0], 99);
    EXPECT_EQ(std::set<int32_t>(row + 1, row + 26).size(), 25u);
    for (int i = 26; i < 102; ++i) EXPECT_EQ(row[i], row[1 + (i - 1) % 25]);
  }
  // A short context shrinks the sequence: (64 - 1) / 4 = 15 tokens.
  EXPECT_EQ(repeated_token_windows(pool, 99, 64, o).n_tokens, 15);
  // Seeded: the same seed gives the same sequences, another seed others.
  EXPECT_EQ(repeated_token_windows(pool, 99, 512, o).windows, r.windows);
  o.seed = 1;
  EXPECT_NE(repeated_token_windows(pool, 99, 512, o).windows, r.windows);
  // A small pool shortens the sequences; fewer than 2 tokens is an error.
  pool.resize(20);
  EXPECT_EQ(repeated_token_windows(pool, 99, 512, o).n_tokens, 20);
  pool.resize(1);
  EXPECT_THROW(repeated_token_windows(pool, 99, 512, o), Error);
}

// One head that copies exactly: W_E = W_U = W_V = W_O = I, W_Q = W_K = 0 (uniform attention),
// W_pos = 0, d_model = d_vocab. Its result at q is the mean one-hot of tokens 0..q.
Params<double> identity_copier(int V) {
  Config c;
  c.n_layers = 1;
  c.n_heads = 1;
  c.d_model = V;
  c.d_head = V;
  c.n_ctx = 16;
  c.d_vocab = V;
  c.positional_embedding_type = Positions::shortformer;
  Params<double> p(c);
  for (const char* name : {"embed.W_E", "unembed.W_U", "blocks.0.attn.W_V", "blocks.0.attn.W_O"}) {
    double* w = p[name];
    for (int i = 0; i < V; ++i) w[i * V + i] = 1;
  }
  return p;
}

TEST(EvaluateHeads, CopyingRatioOfAnExactCopierMatchesTheFormula) {
  set_num_threads(1);
  const int V = 13, bos = 12;
  const Params<double> p = identity_copier(V);
  std::vector<int32_t> pool;
  for (int t = 0; t < 12; ++t) pool.push_back(t);
  EvaluatorOptions o;
  o.n_sequences = 3;
  o.n_tokens = 4;
  o.text_sequences = 2;
  std::vector<int32_t> text = test::random_windows(2, 9, V - 1, 7);  // 2 rows of 10 tokens
  const HeadEvaluation e = evaluate_heads(p, pool, bos, text, 2, 10, o);
  // Uniform attention: A[q, j] = 1/(q+1); logits = mean one-hot, mean logit 1/V, so the raise of
  // an attended token is 1/(q+1) - 1/V and every other raise is 0.
  // r = sum_q (1/(q+1) - 1/V) / sum_q (q+1)(1/(q+1) - 1/V), the same for every sequence.
  double num = 0, den = 0;
  for (int q = 0; q < 4; ++q) {
    num += 1.0 / (q + 1) - 1.0 / V;
    den += 1.0 - (q + 1.0) / V;
  }
  EXPECT_NEAR(e.copying_r[0], num / den, 1e-12);
  EXPECT_NEAR(e.copying_scaled[0], 4 * num / den - 1, 1e-12);
  // Uniform attention: previous-token score = mean over i >= 1 of 1/(i+1) over 9 positions.
  double prev = 0;
  for (int i = 1; i < 10; ++i) prev += 1.0 / (i + 1);
  EXPECT_NEAR(e.previous_token[0], prev / 9, 1e-12);
  // The same pattern whatever the tokens: positional.
  EXPECT_NEAR(e.positional[0], 1.0, 1e-12);
  EXPECT_EQ(e.text_sequences_used, 2);
}

TEST(EvaluateHeads, RepeatedTokenLossOfTheCopierByHand) {
  set_num_threads(1);
  const int V = 13, bos = 12;
  const Params<double> p = identity_copier(V);
  std::vector<int32_t> pool;
  for (int t = 0; t < 12; ++t) pool.push_back(t);
  EvaluatorOptions o;
  o.n_sequences = 2;
  o.n_tokens = 3;
  o.n_repeats = 3;
  o.text_sequences = 1;
  const std::vector<int32_t> text = test::random_windows(1, 9, V - 1, 3);
  const HeadEvaluation e = evaluate_heads(p, pool, bos, text, 1, 10, o);
  const RepeatedTokens r = repeated_token_windows(pool, bos, 16, o);
  // logits at q: one-hot(t_q) + mean one-hot(t_0..t_q); loss of t_{q+1}.
  double first = 0, later = 0;
  for (int b = 0; b < 2; ++b) {
    const int32_t* w = r.windows.data() + b * (r.seq() + 1);
    for (int q = 0; q < r.seq() - 1; ++q) {
      std::vector<double> logit(V, 0.0);
      logit[size_t(w[q])] += 1;
      for (int j = 0; j <= q; ++j) logit[size_t(w[j])] += 1.0 / (q + 1);
      double z = 0;
      for (double l : logit) z += std::exp(l);
      const double loss = std::log(z) - logit[size_t(w[q + 1])];
      (q < 3 ? first : later) += loss;
    }
  }
  EXPECT_NEAR(e.first_copy_loss, first / 6, 1e-12);
  EXPECT_NEAR(e.repeated_token_loss, later / 12, 1e-12);
  EXPECT_NEAR(e.ln_d_vocab, std::log(13.0), 1e-15);
}

TEST(EvaluateHeads, ScoresEqualTheScoringFunctionsOnTheModelsOwnPatterns) {
  set_num_threads(1);
  Config c = test::tiny_config(2, Positions::shortformer, Normalization::none);
  c.n_ctx = 16;
  c.d_vocab = 30;
  const Params<double> p = test::random_params<double>(c, 11);
  std::vector<int32_t> pool;
  for (int t = 1; t < 30; ++t) pool.push_back(t);
  EvaluatorOptions o;
  o.n_sequences = 3;
  o.n_tokens = 5;
  o.text_sequences = 3;
  o.text_batch = 2;  // two passes: the batches must add up like one
  const std::vector<int32_t> text = test::random_windows(4, 16, 30, 5);  // [4, 17]
  const HeadEvaluation e = evaluate_heads(p, pool, 0, text, 4, 17, o);
  ASSERT_EQ(e.prefix_matching.size(), 4u);
  EXPECT_EQ(e.options.n_tokens, 3);  // (16 - 1) / 4

  const RepeatedTokens r = repeated_token_windows(pool, 0, 16, o);
  Activations<double> a(c, 3, r.seq());
  a.set_windows(r.windows.data());
  forward(p, a);
  Activations<double> t(c, 3, 16);
  std::vector<int32_t> inputs;
  for (int b = 0; b < 3; ++b) inputs.insert(inputs.end(), text.begin() + b * 17, text.begin() + b * 17 + 16);
  t.set_tokens(inputs.data());
  forward(p, t);
  for (int l = 0; l < 2; ++l) {
    const auto pm = prefix_matching_scores(a.pattern[size_t(l)].data(), 3, 2, r.seq(), 3, 4);
    const auto pt = previous_token_scores(t.pattern[size_t(l)].data(), 3, 2, 16);
    for (int h = 0; h < 2; ++h) {
      EXPECT_NEAR(e.at(e.prefix_matching, l, h), pm[size_t(h)], 1e-12);
      EXPECT_NEAR(e.at(e.previous_token, l, h), pt[size_t(h)], 1e-12);
      EXPECT_GE(e.at(e.positional, l, h), 0.0);
      EXPECT_LE(e.at(e.positional, l, h), 1.0);
    }
  }

  // Over training: the same two numbers per head for every snapshot.
  std::vector<Params<float>> snaps;
  for (uint64_t seed : {11u, 12u}) snaps.push_back(test::random_params<float>(c, seed));
  EvaluatorOptions ot = o;
  ot.text_sequences = 3;
  const HeadsOverTraining ht = heads_over_training(
      2, [&](int64_t i) { return snaps[size_t(i)]; }, pool, 0, text, 4, 17, ot);
  ASSERT_EQ(ht.prefix_matching.size(), 8u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(ht.prefix_matching[size_t(i)], e.prefix_matching[size_t(i)], 1e-5);
    EXPECT_NEAR(ht.previous_token[size_t(i)], e.previous_token[size_t(i)], 1e-5);
  }
  const HeadEvaluation e2 = evaluate_heads(snaps[1], pool, 0, text, 4, 17, o);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(ht.prefix_matching[size_t(4 + i)], e2.prefix_matching[size_t(i)], 1e-12);
}

TEST(EvaluateHeads, FindTheHandBuiltPreviousTokenAndInductionHeads) {
  set_num_threads(1);
  const test::InductionModel m;
  const int V = test::InductionModel::V;
  std::vector<int32_t> pool;
  for (int t = 0; t < V - 1; ++t) pool.push_back(t);
  const std::vector<int32_t> text = test::InductionModel::repeated_windows(4, 1);
  const HeadEvaluation e = evaluate_heads(m.params, pool, V - 1, text, 4, 65);
  EXPECT_EQ(e.options.n_tokens, 15);  // (64 - 1) / 4 copies
  EXPECT_GT(e.at(e.prefix_matching, 1, 0), 0.999);
  EXPECT_GT(e.at(e.previous_token, 0, 0), 0.999);
  EXPECT_NEAR(e.at(e.positional, 0, 0), 1.0, 1e-6);
  for (auto [l, h] : {std::pair{0, 0}, {0, 1}, {1, 1}}) EXPECT_LT(e.at(e.prefix_matching, l, h), 0.15);
  // The induction head predicts every repeated token but one: the first token of copy 2 follows
  // the first copy's last token, whose successor has not been seen yet (1 of 45 tokens).
  EXPECT_LT(e.repeated_token_loss, 0.1);
  EXPECT_GT(e.first_copy_loss, 2.0);
  std::vector<std::vector<std::string>> kinds;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      HeadScores s;
      s.prefix_matching = e.at(e.prefix_matching, l, h);
      s.previous_token = e.at(e.previous_token, l, h);
      s.positional = e.at(e.positional, l, h);
      s.copying_r = e.at(e.copying_r, l, h);
      kinds.push_back(head_kinds(s));
    }
  EXPECT_EQ(kinds[0], std::vector<std::string>{"previous-token"});
  EXPECT_EQ(kinds[2].front(), "induction");
  // Zero heads attend evenly by position and raise nothing: positional, never copying.
  EXPECT_EQ(kinds[1], std::vector<std::string>{"positional"});
  EXPECT_TRUE(std::isnan(e.at(e.copying_r, 1, 1)));
}

TEST(EvaluateHeads, BadInputIsOneClearError) {
  const Config c = test::tiny_config(1, Positions::standard, Normalization::none);
  const Params<double> p = test::random_params<double>(c, 1);
  std::vector<int32_t> pool = {0, 1, 2, 3, 4, 5, 6, 7, 8, 50};
  const std::vector<int32_t> text = test::random_windows(1, 6, 11, 1);
  EvaluatorOptions o;
  o.n_sequences = 1;
  o.n_tokens = 2;
  try {
    evaluate_heads(p, pool, 10, text, 1, 7, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token 50 is not in the model's vocabulary"), std::string::npos)
        << e.what();
  }
  pool.pop_back();
  EXPECT_THROW(evaluate_heads(p, pool, 11, text, 1, 7, o), Error);  // BOS outside the vocabulary
  EXPECT_THROW(evaluate_heads(p, pool, 10, text, 1, 5, o), Error);  // text of the wrong size
}

TEST(FirstInductionHead, FirstSnapshotWhereALaterLayerHeadCrossesTheThreshold) {
  HeadsOverTraining h;
  h.n_layers = 2;
  h.n_heads = 2;
  // [snapshot][layer][head]: layer 0's head 1 crosses first but cannot be an induction head.
  h.prefix_matching = {0.0, 0.0, 0.0, 0.1,   //
                       0.0, 0.5, 0.2, 0.29,  //
                       0.0, 0.9, 0.31, 0.4,  //
                       0.0, 0.9, 0.6, 0.7};
  const auto f = first_induction_head(h, 0.3);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->snapshot, 2);
  EXPECT_EQ(f->layer, 1);
  EXPECT_EQ(f->head, 0);
  EXPECT_DOUBLE_EQ(f->prefix_matching, 0.31);
  EXPECT_FALSE(first_induction_head(h, 0.8).has_value());
  h.n_layers = 1;
  h.n_heads = 4;
  EXPECT_FALSE(first_induction_head(h, 0.3).has_value());  // one layer: nothing to compose with
  h.n_heads = 3;
  EXPECT_THROW(first_induction_head(h, 0.3), Error);
}

TEST(HeadKinds, ThresholdsNameTheHeads) {
  KindThresholds t;
  HeadScores s;
  s.previous_token = 0.9;
  s.positional = 0.95;
  EXPECT_EQ(head_kinds(s, t), std::vector<std::string>{"previous-token"});
  s = {};
  s.prefix_matching = 0.6;
  s.copying_r = 0.3;
  EXPECT_EQ(head_kinds(s, t), (std::vector<std::string>{"induction", "copying"}));
  s.ov_copying_score = 0.2;  // the eigenvalue score, when known, decides copying
  EXPECT_EQ(head_kinds(s, t), std::vector<std::string>{"induction"});
  s = {};
  s.positional = 0.95;
  EXPECT_EQ(head_kinds(s, t), std::vector<std::string>{"positional"});
  s.positional = std::nan("");
  s.copying_r = std::nan("");
  EXPECT_TRUE(head_kinds(s, t).empty());
  EXPECT_EQ(t.to_json()["induction"], 0.3);
}

}  // namespace
}  // namespace cs::analysis
