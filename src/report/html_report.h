#pragma once
// One run on one page (`circuitscope report`): the run's findings in sentences, then every
// picture and table of its analyses — loss curve, loss by position over training, ICL score and
// derivatives, head scores and heads over training, OV/QK eigenvalues, the induction scatter,
// composition, path expansion, ablations, skip-trigrams and probes. The page is one HTML file
// that opens offline: pictures are inline SVG documents (data: URIs), styles are inline, nothing
// is fetched. A section whose analysis is missing says so and why.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "report/analyze.h"
#include "report/findings.h"
#include "run/run_dir.h"

namespace cs::report {

// What the page needs beyond one snapshot's analyses: the run's curves over training. Each part
// is computed from the run folder when its inputs are there, else read from the analysis file a
// run was shipped with, else left out with a note that says why.
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

// The findings of the page, from the snapshot's analyses and the run's curves.
std::vector<Finding> report_findings(const Analyses& analyses, const RunCurves& curves);

// The page itself.
std::string html_report(const run::RunDir& run, const Analyses& analyses, const RunCurves& curves);

// The page for analyses already made (as the demo has them), written atomically to `out`
// (default: the run's File::report_html). Returns the path written.
std::string write_report(const run::RunDir& run, const Analyses& analyses, const std::string& out = "");

struct ReportOptions {
  std::string snapshot = "last";
  std::string out;         // default: the run's File::report_html
  bool last_only = false;  // score heads and ablations at the snapshot only, not over training
};

// The `report` command: checks the folder and the snapshot before any work, runs every analysis
// (report::analyze, over training when the run has two or more snapshots), writes the page and
// returns its path. `progress` hears one line per finished analysis.
std::string report(const std::string& run_dir, const ReportOptions& options,
                   const std::function<void(const std::string&)>& progress = {});

}  // namespace cs::report
