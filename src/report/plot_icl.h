#pragma once
// The pictures of the ICL analysis (docs/icl.md), built on report/plot.h: the talk's per-token
// loss heatmap (training tokens x token index), loss by token index, the loss trajectory's
// principal components, the ICL score curve, its derivatives, the training-loss curve, and
// several runs on one plot.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "analysis/loss_pca.h"
#include "report/plot.h"
#include "run/run_dir.h"

namespace cs::report {

// The training log as logged, for the loss-curve picture.
using LossLog = run::LossLog;

// per_token_loss: [n_snapshots, n_ctx], the mean over sequences (analysis::mean_over_sequences).
// log_tokens: training tokens on a log axis (snapshots at 0 tokens left out) or linear.
Heatmap icl_heatmap(const analysis::IclResult& icl, std::span<const float> per_token_loss,
                    bool log_tokens = true);
// The same minus each snapshot's mean over positions: how loss depends on position, the in-context
// part, stands out from the overall fall of the loss during training.
Heatmap icl_relative_heatmap(const analysis::IclResult& icl, std::span<const float> per_token_loss,
                             bool log_tokens = true);
Figure icl_score_figure(const analysis::IclResult& icl);
Figure icl_derivatives_figure(const analysis::IclResult& icl);
Figure loss_curve_figure(const LossLog& log, const analysis::LossCurveAnalysis& curve,
                         const std::optional<analysis::PhaseChange>& phase_change);

struct NamedRun {
  std::string name;
  const analysis::IclResult* icl = nullptr;
  const analysis::LossCurveAnalysis* loss_curve = nullptr;  // optional
};
// ICL score of every run on one plot, and (when any run has a loss curve) their training losses.
Figure icl_comparison_figure(const std::vector<NamedRun>& runs);

// Mean loss against token index (log axis) at about six snapshots spread over training, and at the
// phase-change window's edges.
Figure loss_by_position_figure(const analysis::IclResult& icl, std::span<const float> per_token_loss);
// The trajectory of the per-token loss vectors on their first two principal components, the
// phase-change window highlighted.
Figure loss_pca_figure(const analysis::IclResult& icl, const analysis::LossPca& pca);

struct RunLosses {
  std::string name;
  const analysis::IclResult* icl = nullptr;
  std::span<const float> per_token;  // [n_snapshots, n_ctx]
};
// Every run's per-token loss minus the first run's, at the training points all runs share (the
// last snapshots only when their schedules differ).
struct LossDifference {
  std::string reference;
  std::vector<std::string> names;  // the other runs
  std::vector<int64_t> tokens;     // the training points compared
  bool final_only = false;
  int64_t n_ctx = 0;
  std::vector<double> values;  // [names, tokens, n_ctx]
};
LossDifference loss_difference(const std::vector<RunLosses>& runs);
// One panel per run: the difference by token index at up to five of the points.
Figure loss_difference_figure(const LossDifference& d);


}  // namespace cs::report
