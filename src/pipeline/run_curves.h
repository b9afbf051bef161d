#pragma once
// A run's curves over training, loaded the one way every front end loads them: computed from the
// run folder when its inputs are there, else read back from the result file a run was shipped
// with (each result's from_json), else left out with a note that says why.
#include <optional>
#include <string>
#include <vector>

#include "analysis/ablation_report.h"
#include "analysis/heads_report.h"
#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "pipeline/analyze.h"
#include "run/run_dir.h"

namespace cs::pipeline {

// The run's ICL curve with the run's ICL settings.
struct LoadedIcl {
  std::optional<analysis::IclResult> icl;
  std::string source, note;           // where it came from; why there is none
  std::vector<float> per_token_loss;  // [n_snapshots, n_ctx] mean over sequences; empty when read back
};
LoadedIcl load_icl(const run::RunDir& run);

// Head scores over training: `in_memory` when the caller has them, else the run's saved result,
// else (with `compute`) measured at every snapshot now.
struct LoadedHeadsOverTraining {
  std::optional<analysis::HeadsOverTrainingReport> report;
  std::string source, note;
};
LoadedHeadsOverTraining load_heads_over_training(const run::RunDir& run,
                                                 const analysis::HeadsOverTrainingReport* in_memory, bool compute);

// What the report page needs beyond one snapshot's analyses.
struct RunCurves {
  std::optional<analysis::IclResult> icl;
  std::string icl_source, icl_note;
  std::vector<float> per_token_loss;  // [n_snapshots, n_ctx], the mean over evaluation sequences
  std::string per_token_note;
  run::LossLog loss;
  std::optional<analysis::LossCurveAnalysis> loss_curve;
  std::string loss_note;
  std::optional<analysis::HeadsOverTraining> heads_over_training;
  std::string heads_over_training_source, heads_over_training_note;
  // The snapshot's induction heads ablated together (none when it has no induction head).
  std::optional<analysis::JointAblation> induction_ablation;
  std::string induction_ablation_note;
};

RunCurves run_curves(const run::RunDir& run, const Analyses& analyses);

}  // namespace cs::pipeline
