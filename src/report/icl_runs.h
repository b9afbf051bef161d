#pragma once
// The in-context-learning analysis of whole run folders (docs/icl.md): reads each run's
// eval/per_sequence_loss.npy, eval/snapshots.json and metrics.jsonl, writes analysis/icl.json,
// icl_score.npy and the pictures; with several runs, the comparison plot. Used by `icl` and `demo`.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "report/plot_icl.h"

namespace cs::report {

struct IclArgs {
  std::vector<std::string> dirs;
  std::string out;
  std::string early_window, late_window;
  double sigma = 2.0;
  double min_drop = 0.15;
  int64_t search_from_step = -1;  // -1: each run's warm-up steps from its config.json (0 without one)
  bool linear_tokens = false;
};

struct RunResult {
  std::string dir, name;
  analysis::IclResult icl;
  report::LossLog loss;
  std::optional<analysis::LossCurveAnalysis> curve;
  std::vector<float> per_token;  // [n_snapshots, n_ctx], the mean over evaluation sequences
};

// The evaluation loss of the last snapshot, mean over sequences and positions, from the per-token
// loss matrix [n_snapshots, n_ctx]: one batch's training loss, what the trainer ends on, is too
// noisy to compare models by.
double final_eval_loss(std::span<const float> per_token, int64_t n_ctx);

// Analyses every run, prints a table on stdout and returns the results.
std::vector<RunResult> run_icl(const IclArgs& args);

}  // namespace cs::report
