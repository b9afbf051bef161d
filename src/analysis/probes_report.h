#pragma once
// The talk's probes (or a user's prompt) on one snapshot; to_json() is the schema of
// analysis/probes.json.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/probes.h"
#include "analysis/work_budget.h"
#include "run/run_dir.h"

namespace cs::analysis {

struct ProbesRequest {
  std::vector<std::string> names;  // built-in probes to run; none: every one that fits the model
  std::string context, answer;     // a custom probe, when answer is given
  double max_flops = kAnalysisFlops;  // forward-pass work of all probes together (work_budget.h)
};

struct ProbesReport {
  run::SnapshotInfo snapshot;
  std::string tokenizer;
  std::vector<ProbeResult> results;
  struct Skipped {
    std::string name, reason;
  };
  std::vector<Skipped> skipped;  // built-in probes that do not fit (too long for n_ctx, ...)
  nlohmann::ordered_json to_json() const;
};

// Named or custom probes must run (their errors are thrown); the built-in set skips what does not
// fit this model and says why.
ProbesReport probes(const run::Snapshot& snapshot, const data::Tokenizer& tokenizer, const ProbesRequest& request);

}  // namespace cs::analysis
