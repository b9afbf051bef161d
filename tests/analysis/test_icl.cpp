#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/icl.h"
#include "core/error.h"
#include "io/atomic_file.h"

namespace cs::analysis {
namespace {

// A run whose per-sequence loss is 3 nats everywhere except at positions >= late_from, where it
// is 3 + score[s] + noise[e]: the ICL score of snapshot s is then exactly score[s] (the noise
// averages to zero over sequences) and every per-sequence difference is score[s] + noise[e].
struct SyntheticRun {
  int64_t n_snapshots = 0, n_eval = 0, n_ctx = 0;
  std::vector<float> loss;
  std::vector<int64_t> steps, tokens;
};

SyntheticRun make_run(const std::vector<double>& score, const std::vector<double>& noise,
                      int64_t n_ctx, int64_t late_from, const std::vector<int64_t>& tokens) {
  SyntheticRun r;
  r.n_snapshots = int64_t(score.size());
  r.n_eval = int64_t(noise.size());
  r.n_ctx = n_ctx;
  r.tokens = tokens;
  for (int64_t s = 0; s < r.n_snapshots; ++s) {
    r.steps.push_back(10 * s);
    for (int64_t e = 0; e < r.n_eval; ++e)
      for (int64_t i = 0; i < n_ctx; ++i)
        r.loss.push_back(float(i >= late_from ? 3 + score[size_t(s)] + noise[size_t(e)] : 3.0));
  }
  return r;
}

IclResult compute(const SyntheticRun& r, const IclOptions& o = {}) {
  return compute_icl(r.loss, r.n_snapshots, r.n_eval, r.n_ctx, r.steps, r.tokens, o);
}

// Snapshot 0 at 0 tokens, then 1000 * 2^k tokens: evenly spaced in ln(tokens), step ln 2.
std::vector<int64_t> doubling_tokens(int n) {
  std::vector<int64_t> t = {0};
  for (int k = 0; k + 1 < n; ++k) t.push_back(int64_t(1000) << k);
  return t;
}

TEST(IclPositions, FullContextUsesSpecDefaults) {
  for (int64_t n_ctx : {511, 512, 1024}) {
    const IclPositions p = resolve_positions(n_ctx, {});
    EXPECT_EQ(p.early_index, 48);
    EXPECT_EQ(p.late_index, 498);
    EXPECT_EQ(p.early_window, (Window{36, 60}));
    EXPECT_EQ(p.late_window, (Window{486, 510}));
    EXPECT_FALSE(p.defaults_scaled);
  }
}

TEST(IclPositions, ShortContextMovesTo10And97Percent) {
  // n_ctx 100: indices floor(10) and floor(97), half-width round(5) = 5, late window clipped at 99.
  IclPositions p = resolve_positions(100, {});
  EXPECT_TRUE(p.defaults_scaled);
  EXPECT_EQ(p.early_index, 10);
  EXPECT_EQ(p.late_index, 97);
  EXPECT_EQ(p.early_window, (Window{5, 15}));
  EXPECT_EQ(p.late_window, (Window{92, 99}));
  // n_ctx 256: floor(25.6) = 25, floor(248.32) = 248, half-width round(12.8) = 13.
  p = resolve_positions(256, {});
  EXPECT_EQ(p.early_window, (Window{12, 38}));
  EXPECT_EQ(p.late_window, (Window{235, 255}));
  // n_ctx 20: indices 2 and 19, half-width max(1, round(1)) = 1.
  p = resolve_positions(20, {});
  EXPECT_EQ(p.early_window, (Window{1, 3}));
  EXPECT_EQ(p.late_window, (Window{18, 19}));
}

TEST(IclPositions, OptionsOverrideDefaults) {
  IclOptions o;
  o.early_window = Window{10, 20};
  o.late_index = 400;
  const IclPositions p = resolve_positions(512, o);
  EXPECT_EQ(p.early_index, 15);                  // midpoint of the given window
  EXPECT_EQ(p.late_window, (Window{388, 412}));  // default half-width 12 around the index
}

TEST(IclPositions, RejectsInconsistentWindows) {
  IclOptions o;
  o.late_window = Window{500, 520};
  EXPECT_THROW(resolve_positions(512, o), Error);  // beyond n_ctx
  o.late_window = Window{300, 299};
  EXPECT_THROW(resolve_positions(512, o), Error);  // empty
  o.late_window = Window{50, 70};
  EXPECT_THROW(resolve_positions(512, o), Error);  // overlaps the early window
  o = {};
  o.early_index = 10;
  o.early_window = Window{20, 30};
  EXPECT_THROW(resolve_positions(512, o), Error);  // index outside its window
  EXPECT_THROW(resolve_positions(2, {}), Error);   // too short for two windows
}

TEST(Icl, StderrMatchesHandComputation) {
  // Three sequences of four positions, early [0, 1], late [2, 3]:
  //   seq 0: 1 3 | 2 2 -> 2 - 2   =  0
  //   seq 1: 2 2 | 1 1 -> 1 - 2   = -1
  //   seq 2: 4 2 | 1 0 -> 0.5 - 3 = -2.5
  // mean = -3.5/3; sample variance = ((7/6)^2 + (1/6)^2 + (4/3)^2) / 2 = 19/12;
  // stderr = sqrt(19/12 / 3) = sqrt(19/36).
  const std::vector<float> one = {1, 3, 2, 2, 2, 2, 1, 1, 4, 2, 1, 0};
  std::vector<float> loss;
  for (int s = 0; s < 3; ++s) loss.insert(loss.end(), one.begin(), one.end());
  IclOptions o;
  o.early_window = Window{0, 1};
  o.late_window = Window{2, 3};
  const std::vector<int64_t> steps = {1, 2, 3}, tokens = {10, 20, 40};
  const IclResult r = compute_icl(loss, 3, 3, 4, steps, tokens, o);
  for (int s = 0; s < 3; ++s) {
    EXPECT_NEAR(r.icl_score[s], -3.5 / 3, 1e-12);
    EXPECT_NEAR(r.icl_stderr[s], std::sqrt(19.0 / 36), 1e-12);
    EXPECT_NEAR(r.early_loss[s], 7.0 / 3, 1e-12);  // (2 + 2 + 3) / 3
    EXPECT_NEAR(r.late_loss[s], 3.5 / 3, 1e-12);   // (2 + 1 + 0.5) / 3
  }
  EXPECT_FALSE(r.phase_change);  // a constant score never falls
}

TEST(Icl, StepDropIsFoundWhereItHappens) {
  // 31 snapshots: the first at 0 tokens, then doubling. The score drops from 0 to -0.4 nats
  // between snapshots 15 and 16 (ln-token indices 14 and 15).
  std::vector<double> score(31, 0.0);
  for (int s = 16; s < 31; ++s) score[s] = -0.4;
  const SyntheticRun run = make_run(score, {0.1, -0.1, 0.1, -0.1}, 512, 300, doubling_tokens(31));
  const IclResult r = compute(run);

  EXPECT_NEAR(r.icl_score[0], 0, 1e-6);
  EXPECT_NEAR(r.icl_score[30], -0.4, 1e-6);
  // Differences are score +- 0.1: sample sd = sqrt(4 * 0.01 / 3), stderr = that / 2.
  EXPECT_NEAR(r.icl_stderr[30], std::sqrt(0.04 / 3) / 2, 1e-6);
  EXPECT_TRUE(std::isnan(r.d_icl_d_logtokens[0]));  // no place on a log axis

  // Independently: sigma 2, kernel cut at radius 8; the smoothed score at snapshot s is -0.4
  // times the kernel weight on snapshots >= 16 (the windows here never reach an end).
  auto fraction_after = [](int s) {
    double after = 0, all = 0;
    for (int d = -8; d <= 8; ++d) {
      const double w = std::exp(-d * d / 8.0);
      all += w;
      if (s + d >= 16) after += w;
    }
    return after / all;
  };
  // The derivative of that smoothed step is a bell centred between snapshots 15 and 16; at most
  // half its minimum on snapshots 14..17 (checked by hand from the same weights).
  ASSERT_TRUE(r.phase_change);
  const PhaseChange& p = *r.phase_change;
  EXPECT_EQ(p.start_snapshot, 14);
  EXPECT_EQ(p.end_snapshot, 17);
  EXPECT_EQ(p.start_tokens, int64_t(1000) << 13);
  EXPECT_EQ(p.end_tokens, int64_t(1000) << 16);
  EXPECT_EQ(p.start_step, 140);
  EXPECT_EQ(p.end_step, 170);
  EXPECT_TRUE(p.steepest_tokens == (int64_t(1000) << 14) ||
              p.steepest_tokens == (int64_t(1000) << 15));
  EXPECT_NEAR(p.delta_nats, -0.4 * (fraction_after(17) - fraction_after(14)), 1e-6);
  EXPECT_NEAR(p.delta_nats, -0.2206, 1e-3);
  EXPECT_LT(p.steepest_derivative, 0);
}

TEST(Icl, FlatOrSmallOrRisingCurvesHaveNoPhaseChange) {
  const std::vector<int64_t> tokens = doubling_tokens(20);
  const SyntheticRun flat = make_run(std::vector<double>(20, -0.05), {0.0, 0.0}, 64, 40, tokens);
  EXPECT_FALSE(compute(flat).phase_change);

  std::vector<double> small(20, 0.0), rising(20, -0.4);
  for (int s = 10; s < 20; ++s) small[s] = -0.1, rising[s] = 0;
  EXPECT_FALSE(compute(make_run(small, {0.0}, 64, 40, tokens)).phase_change);
  EXPECT_FALSE(compute(make_run(rising, {0.0}, 64, 40, tokens)).phase_change);

  // The same small drop counts once the threshold is lowered below it.
  IclOptions o;
  o.min_drop_nats = 0.05;
  EXPECT_TRUE(compute(make_run(small, {0.0}, 64, 40, tokens), o).phase_change);
}

TEST(Icl, TheWarmUpTransientIsNotSearched) {
  // A drop between snapshots 4 and 5 (steps 40 and 50) and nothing after it.
  std::vector<double> score(20, -0.4);
  for (int s = 0; s < 5; ++s) score[s] = 0;
  const SyntheticRun run = make_run(score, {0.0}, 64, 40, doubling_tokens(20));
  ASSERT_TRUE(compute(run).phase_change);
  IclOptions o;
  o.search_from_step = 60;  // warm-up ends after the drop
  const IclResult r = compute(run, o);
  EXPECT_FALSE(r.phase_change);
  EXPECT_EQ(r.to_json()["parameters"]["search_from_step"], 60);
  o.search_from_step = 30;  // the window may not reach back before the search start
  const IclResult r2 = compute(run, o);
  ASSERT_TRUE(r2.phase_change);
  EXPECT_GE(r2.phase_change->start_step, 30);
}

TEST(Icl, DerivativesAreTakenOverLogTokens) {
  // Unsmoothed score = 0.5 - 0.1 ln(tokens) + 0.02 ln(tokens)^2 on uneven token counts:
  // d/dln = -0.1 + 0.04 ln(tokens), d2/dln2 = 0.04, exactly (a parabola is fitted exactly).
  const std::vector<int64_t> tokens = {100, 300, 1000, 5000, 6000, 100000};
  std::vector<double> score;
  for (int64_t t : tokens) {
    const double x = std::log(double(t));
    score.push_back(0.5 - 0.1 * x + 0.02 * x * x);
  }
  IclOptions o;
  o.sigma_snapshots = 0;
  const IclResult r = compute(make_run(score, {0.0}, 64, 40, tokens), o);
  for (size_t s = 0; s < tokens.size(); ++s) {
    const double x = std::log(double(tokens[s]));
    EXPECT_NEAR(r.icl_score_smoothed[s], score[s], 1e-5);
    EXPECT_NEAR(r.d_icl_d_logtokens[s], -0.1 + 0.04 * x, 1e-4);
    EXPECT_NEAR(r.d2_icl_d_logtokens2[s], 0.04, 1e-3);
  }
}

TEST(Icl, JsonHasTheDesignKeysAndNullsForUndefinedValues) {
  const SyntheticRun run =
      make_run(std::vector<double>(4, -0.2), {0.0}, 64, 40, doubling_tokens(4));
  const nlohmann::json j = compute(run).to_json();
  for (const char* key :
       {"steps", "tokens", "icl_score", "icl_stderr", "early_window", "late_window", "phase_change",
        "early_loss", "late_loss", "icl_score_smoothed", "d_icl_d_logtokens", "d2_icl_d_logtokens2",
        "parameters"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["phase_change"].is_null());
  EXPECT_TRUE(j["icl_stderr"][0].is_null());         // one sequence: no standard error
  EXPECT_TRUE(j["d_icl_d_logtokens"][0].is_null());  // 0 tokens
  EXPECT_EQ(j["icl_score"].size(), 4u);
  // n_ctx 64: floor(6.4) = 6 +- round(3.2) = 3; floor(62.08) = 62 +- 3, clipped at 63.
  EXPECT_EQ(j["early_window"], nlohmann::json::array({3, 9}));
  EXPECT_EQ(j["late_window"], nlohmann::json::array({59, 63}));
  EXPECT_EQ(j["parameters"]["sigma_snapshots"], 2.0);
  EXPECT_EQ(j["parameters"]["min_drop_nats"], 0.15);
  EXPECT_NEAR(j["final_icl_score"].get<double>(), -0.2, 1e-6);
}

TEST(Icl, RejectsBadInput) {
  const SyntheticRun run = make_run(std::vector<double>(4, 0.0), {0.0}, 64, 40, doubling_tokens(4));
  std::vector<int64_t> bad_tokens = {0, 1000, 1000, 4000};
  EXPECT_THROW(compute_icl(run.loss, 4, 1, 64, run.steps, bad_tokens), Error);
  EXPECT_THROW(compute_icl(run.loss, 4, 2, 64, run.steps, run.tokens), Error);  // wrong size
  // Only two snapshots with tokens > 0: no second derivative.
  const SyntheticRun short_run =
      make_run(std::vector<double>(3, 0.0), {0.0}, 64, 40, doubling_tokens(3));
  EXPECT_THROW(compute(short_run), Error);
  SyntheticRun nan_run = run;
  nan_run.loss[5] = NAN;
  EXPECT_THROW(compute(nan_run), Error);
}

TEST(Icl, MeanOverSequences) {
  // Two snapshots, two sequences of two positions.
  const std::vector<float> loss = {1, 2, 3, 4, 5, 6, 7, 9};
  const std::vector<float> m = mean_over_sequences(loss, 2, 2, 2);
  EXPECT_EQ(m, (std::vector<float>{2, 3, 6, 7.5}));
}

}  // namespace
}  // namespace cs::analysis

namespace cs::analysis {
namespace {

// fuzz_icl_json's finding: a float where icl.json holds an integer is a one-line error, not a cast.
TEST(FuzzRegressions, IclJsonFloatsInIntegerFields) {
  const std::string path = std::string(CS_TEST_DATA) + "/fuzz-regressions/icl_json/float-in-an-integer-field.json";
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path));
  try {
    IclResult::from_json(j);
    FAIL() << "read a token count of 7.8e36";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokens must be an integer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(icl_settings_from_json(nlohmann::json::parse(R"({"early_index": 1e300})")), Error);
}

}  // namespace
}  // namespace cs::analysis
