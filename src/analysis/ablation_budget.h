#pragma once
// How much of the per-head ablation fits an analysis's work budget (work_budget.h). Every head on
// every evaluation sequence when it fits, and then (with one snapshot) the other ablation kind as
// well; otherwise only the chosen kind, on fewer sequences (one at least), then only the heads
// with the highest prefix-matching score (the induction-head candidates, which the ICL score is
// about) that fit.
// Only the passes of the reference path are counted: the linear path costs about one clean pass.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "model/config.h"

namespace cs::analysis {

struct AblationPlan {
  int64_t n_eval = 0;       // evaluation sequences to use
  bool other_kind = true;   // with one snapshot: also the other ablation kind
  bool rank_heads = false;  // true: not every head fits; pick them with heads_within
  std::string limited;      // what was cut ("; "-separated), empty when nothing
};

AblationPlan plan_ablation(const Config& cfg, const IclPositions& positions, int64_t n_eval,
                           int64_t n_snapshots, double max_flops);

// With one sequence per snapshot: the heads, best `score` first, whose passes fit max_flops
// (heads of the last layer cost no pass of their own); adds what it kept to `limited`.
std::vector<bool> heads_within(const Config& cfg, const IclPositions& positions,
                               const std::vector<double>& score, int64_t n_snapshots,
                               double max_flops, std::string& limited);

}  // namespace cs::analysis
