#pragma once
// `report`'s pipeline: every analysis of a run, its curves over training, then the page that
// report/html_report.h draws from them.
#include <functional>
#include <string>

#include "pipeline/analyze.h"
#include "run/run_dir.h"

namespace cs::pipeline {

// The page for analyses already made (as the demo has them), written atomically to `out`
// (default: the run's File::report_html). Returns the path written.
std::string write_report(const run::RunDir& run, const Analyses& analyses, const std::string& out = "");

struct ReportOptions {
  std::string snapshot = "last";
  std::string out;         // default: the run's File::report_html
  bool last_only = false;  // score heads and ablations at the snapshot only, not over training
};

// Checks the folder and the snapshot before any work, runs every analysis (over training when the
// run has two or more snapshots), writes the page and returns its path. `progress` hears one line
// per finished analysis.
std::string report(const std::string& run_dir, const ReportOptions& options,
                   const std::function<void(const std::string&)>& progress = {});

}  // namespace cs::pipeline
