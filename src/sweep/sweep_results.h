#pragma once
// One run of a sweep, measured for `sweep report` by the library's own analyses, each result
// handed on in memory: the ICL curve and its phase change (docs/icl.md) and the training-loss
// curve from the run's evaluation losses and log; the head evaluators at the last snapshot and at
// every snapshot (prefix matching over training, docs/evaluators.md), which name the induction
// heads and when each formed; and those heads ablated together (their ΔICL).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/run_curves.h"
#include "sweep/plan.h"

namespace cs::sweep {

struct InductionHead {
  int layer = 0, head = 0;
  double prefix_matching = 0;  // at the last snapshot
  // The training tokens between which its prefix matching first reached the threshold.
  std::optional<std::pair<int64_t, int64_t>> crossed;
};

struct RunResult {
  const Run* run = nullptr;
  bool measured = false;  // finished and analysed; otherwise `note` says why not
  std::string note;
  double final_loss = 0;     // evaluation loss of the last snapshot, nats
  pipeline::RunCurves curves;  // ICL curve, loss curve, heads over training, induction heads ablated
  std::vector<InductionHead> induction;
  double threshold = 0;  // prefix matching that names an induction head

  const analysis::IclResult& icl() const { return *curves.icl; }
  std::optional<double> delta_icl() const;  // the induction heads ablated together
};

// Analyses a run when it has finished; a run that has not, or whose analysis fails, comes back
// unmeasured with the reason.
RunResult measure_run(const Sweep& sweep, const Run& run);

// The results section of sweep.json for one run.
nlohmann::ordered_json to_json(const RunResult& result);

}  // namespace cs::sweep
