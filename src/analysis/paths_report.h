#pragma once
// Path expansion of one snapshot on the run's evaluation sequences, patterns frozen to the clean
// pass (docs/evaluators.md); to_json() is the schema of analysis/paths.json.
#include <nlohmann/json.hpp>

#include "analysis/path_expansion.h"
#include "analysis/work_budget.h"
#include "run/run_dir.h"

namespace cs::analysis {

struct PathsOptions {
  int64_t sequences = 16;      // evaluation sequences for the losses by order
  int64_t term_sequences = 8;  // of those, how many give the per-term importances
  bool virtual_heads = true;
  int batch = 8;
  double max_flops = kAnalysisFlops;  // beyond it: less work, said in PathsReport::limited
};

struct PathsReport {
  run::SnapshotInfo snapshot;
  PathExpansion expansion;
  double seconds = 0;
  std::string limited;  // what the work budget cut; empty when nothing
  nlohmann::ordered_json to_json() const;
};

PathsReport paths(const run::Snapshot& snapshot, const run::RunDir& run, const PathsOptions& options = {});

}  // namespace cs::analysis
