#pragma once
// The in-context-learning analysis of whole run folders (docs/icl.md): reads each run's
// eval/per_sequence_loss.npy, eval/snapshots.json and metrics.jsonl, writes analysis/icl.json,
// icl_score.npy and the pictures; with several runs, the comparison plot. Used by `icl`, `demo`
// and `sweep`.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "report/plot_icl.h"

namespace cs::pipeline {

struct IclRun {
  std::string dir, name;
  analysis::IclResult icl;
  report::LossLog loss;
  std::optional<analysis::LossCurveAnalysis> curve;
  std::vector<float> per_token;  // [n_snapshots, n_ctx], the mean over evaluation sequences
  std::string curve_note;        // why there is no training-loss curve
};

// The evaluation loss of the last snapshot, mean over sequences and positions, from the per-token
// loss matrix [n_snapshots, n_ctx]: one batch's training loss, what the trainer ends on, is too
// noisy to compare models by.
double final_eval_loss(std::span<const float> per_token, int64_t n_ctx);

// One run's ICL analysis with the run's ICL settings (analysis::icl_options): computes it from the
// evaluation losses and writes analysis/icl.json, icl_score.npy and the pictures. The heatmaps'
// tokens axis is logarithmic unless `linear_tokens`.
IclRun icl(const std::string& dir, bool linear_tokens = false);

// Where several runs' comparison goes: `out`, else the runs' common parent folder (an error when
// they have none).
std::string comparison_dir(const std::vector<std::string>& dirs, const std::string& out);

// The comparison of several runs into folder `out`: the ICL picture (its path is returned) and the
// loss difference by token index.
std::string compare_icl(const std::vector<IclRun>& runs, const std::string& out);

}  // namespace cs::pipeline
