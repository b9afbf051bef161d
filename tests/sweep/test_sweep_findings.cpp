// The sweep's findings come from the numbers: made-up results of a 1-, 2- and 3-layer grid give
// exactly the sentences their numbers call for, and other numbers other sentences.
#include <gtest/gtest.h>

#include <deque>

#include "sweep/sweep_findings.h"

namespace cs::sweep {
namespace {

struct Made {
  int layers;
  uint64_t seed;
  double final_icl;
  std::optional<std::pair<int64_t, int64_t>> window;  // phase change, tokens
  double drop = 0;
  std::vector<InductionHead> heads = {};
  std::optional<double> delta_icl = std::nullopt;
};

// Runs live in a deque so that the results' pointers to them stay valid.
struct Grid {
  std::deque<Run> runs;
  std::vector<RunResult> results;

  void add(const Made& m) {
    Run& run = runs.emplace_back();
    run.layers = m.layers;
    run.seed = m.seed;
    run.name = "l" + std::to_string(m.layers) + "-attn-s" + std::to_string(m.seed);
    RunResult r;
    r.run = &run;
    r.measured = true;
    r.threshold = 0.3;
    analysis::IclResult icl;
    icl.icl_score = {0.1, m.final_icl};
    icl.icl_stderr = {0.05, 0.07};
    icl.min_drop_nats = 0.15;
    if (m.window) {
      analysis::PhaseChange p;
      p.start_tokens = m.window->first;
      p.end_tokens = m.window->second;
      p.delta_nats = -m.drop;
      icl.phase_change = p;
    }
    r.curves.icl = icl;
    r.induction = m.heads;
    if (m.delta_icl) {
      analysis::JointAblation a;
      a.clean_icl = m.final_icl;
      a.ablated_icl = m.final_icl + *m.delta_icl;
      r.curves.induction_ablation = a;
    }
    results.push_back(r);
  }
};

InductionHead head(int layer, int h, int64_t after, int64_t by) { return {layer, h, 0.6, std::pair{after, by}}; }

TEST(SweepFindings, SentencesFollowTheNumbers) {
  Grid g;
  g.add({1, 0, -0.17, std::nullopt});
  g.add({1, 1, -0.09, std::nullopt});
  g.add({2,
         0,
         -0.64,
         std::pair{13'000'000, 18'000'000},
         0.37,
         {head(1, 4, 15'500'000, 16'900'000), head(1, 6, 16'900'000, 18'500'000)},
         0.60});
  g.add({2, 1, -0.38, std::pair{15'500'000, 24'000'000}, 0.29, {head(1, 1, 18'500'000, 20'100'000)}, 0.41});
  g.add({3,
         0,
         -0.70,
         std::pair{9'100'000, 15'000'000},
         0.33,
         {head(1, 2, 4'000'000, 5'000'000), head(2, 3, 12'000'000, 13'000'000)},
         0.52});
  sweep::Run unfinished;
  unfinished.name = "l3-attn-s1";
  RunResult left;
  left.run = &unfinished;
  left.note = "not finished, interrupted";
  g.results.push_back(left);

  const std::vector<std::string> f = sweep_findings(g.results);
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0],
            "The 2- and 3-layer models went through a phase change between 9.1M and 24M training tokens, the "
            "smoothed ICL score falling by 0.29–0.37 nats across the window; the 1-layer models did not.");
  EXPECT_EQ(f[1],
            "At the end of training the ICL score was −0.13 for the 1-layer models, −0.51 for the 2-layer models "
            "and −0.70 for the 3-layer models (nats, the mean over seeds; negative: later tokens are predicted "
            "better than early ones).");
  EXPECT_EQ(f[2],
            "Induction heads (prefix matching at least 0.3 at the last snapshot) sit in layer 1 of the 2-layer "
            "models (1.5 per run) and in layers 1 and 2 of the 3-layer models (2 per run); the 1-layer models "
            "have none.");
  // 2L seed 0: first crossing 15.5M–16.9M inside 13M–18M; seed 1: 18.5M–20.1M inside 15.5M–24M; 3L: 4M–5M,
  // before 9.1M–15M.
  EXPECT_EQ(f[3],
            "In 2 of 3 runs with both a phase change and induction heads, the first of them reached prefix "
            "matching 0.3 inside the phase-change window.");
  EXPECT_EQ(f[4],
            "Ablating a run's induction heads together (their results zeroed, patterns kept) raised its ICL score "
            "by 0.41–0.60 nats (3 runs).");
  EXPECT_EQ(f[5], "1 of 6 runs is not in these numbers: l3-attn-s1 (not finished, interrupted).");
}

TEST(SweepFindings, NoPhaseChangeAndSomeSeedsOnlyAreSaidSo) {
  Grid none;
  none.add({1, 0, 0.02, std::nullopt});
  none.add({2, 0, -0.01, std::nullopt});
  const auto f = sweep_findings(none.results);
  EXPECT_EQ(f[0],
            "No run went through a phase change by the rule of docs/icl.md (the smoothed ICL score falling by at "
            "least 0.15 nats across its steepest stretch).");
  EXPECT_EQ(f[2], "Induction heads (prefix matching at least 0.3 at the last snapshot) formed in no run.");
  EXPECT_EQ(f.size(), 3u);  // nothing formed, nothing ablated, nothing left out

  Grid some;
  some.add({2, 0, -0.4, std::pair{1'000'000, 2'000'000}, 0.2});
  some.add({2, 1, -0.1, std::nullopt});
  some.add({1, 0, -0.1, std::nullopt});
  EXPECT_EQ(sweep_findings(some.results)[0],
            "1 of the 2 runs of the 2-layer models went through a phase change, between 1M and 2M training tokens, the "
            "smoothed ICL score falling by 0.20 nats across the window. The 1-layer models did not.");
}

}  // namespace
}  // namespace cs::sweep
