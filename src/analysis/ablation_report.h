#pragma once
// Which heads carry in-context learning (docs/evaluators.md, "Ablations"): each head's ΔICL at
// every chosen snapshot of a run, and for a single snapshot also the other ablation kind. to_json()
// is the schema of analysis/ablation_icl.json.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/icl.h"
#include "analysis/work_budget.h"
#include "run/run_dir.h"

namespace cs::analysis {

struct AblationOptions {
  AblationKind kind = AblationKind::pattern_preserving;
  std::vector<int64_t> steps;  // snapshots to ablate at; empty: every snapshot
  int batch = 8;
  int64_t max_sequences = 0;   // the first N evaluation sequences; 0: all
  double max_flops = kAnalysisFlops;  // beyond it: less work, said in `limited` (ablation_budget.h)
};

struct AblationReport {
  AblationKind kind = AblationKind::pattern_preserving;
  std::vector<int64_t> steps, tokens;
  int64_t n_eval = 0;
  IclPositions positions;
  IclAblationSweep sweep;
  // With one snapshot: the other ablation kind, which costs little more.
  std::optional<HeadAblationIcl> other;
  // Prefix matching of every head at the last snapshot (colours the picture); may be empty.
  std::vector<double> prefix_matching_last;
  std::string limited;  // what the work budget cut; empty when nothing
  double seconds = 0;

  int64_t n_snapshots() const { return int64_t(steps.size()); }
  nlohmann::ordered_json to_json() const;
};

AblationReport ablate(const run::RunDir& run, const AblationOptions& options);

// The ICL score with a set of heads ablated together (their results zeroed), against the clean
// model, on the run's evaluation sequences and ICL windows.
struct JointAblation {
  std::vector<std::pair<int, int>> heads;  // (layer, head)
  AblationKind kind = AblationKind::pattern_preserving;
  int64_t n_eval = 0;
  double clean_icl = 0, ablated_icl = 0;    // nats
  double clean_loss = 0, ablated_loss = 0;  // mean per-token loss
  double delta_icl() const { return ablated_icl - clean_icl; }
  nlohmann::ordered_json to_json() const;
};

JointAblation ablate_heads(const Params<float>& params, const run::RunDir& run,
                           const std::vector<std::pair<int, int>>& heads,
                           AblationKind kind = AblationKind::pattern_preserving, int batch = 8);

// Every head's prefix-matching score (the evaluators' repeated random tokens) on `params`.
std::vector<double> prefix_matching(const Params<float>& params, const run::RunDir& run);

}  // namespace cs::analysis
