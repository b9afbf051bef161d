#pragma once
// What the analyses take from a run folder besides the weights: the evaluator token pool, the ICL
// windows, and the run's snapshots as a loader that several threads may call at once.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/evaluators.h"
#include "analysis/icl.h"
#include "run/run_dir.h"

namespace cs::analysis {

// The pool of docs/evaluators.md from the training split's token counts and the run's tokenizer.
TokenPool evaluator_pool(const run::RunDir& run);

// The ICL windows that `icl` recorded in analysis/icl.json, else the defaults for n_ctx.
IclPositions icl_positions(const run::RunDir& run);

// The run's ICL curve (docs/icl.md) from its evaluation losses. options.search_from_step < 0: the
// run's learning-rate warm-up steps, as `icl` does by default.
IclResult run_icl(const run::RunDir& run, IclOptions options);

// Snapshots of a run in step order; load(i) may run on several threads at once and fills
// tokens[i] from the snapshot's metadata.
struct SnapshotSeries {
  const run::RunDir* run = nullptr;
  std::vector<int64_t> steps, tokens;
  // Every snapshot, or those of `steps` (each must exist).
  explicit SnapshotSeries(const run::RunDir& run, std::vector<int64_t> steps = {});
  int64_t size() const { return int64_t(steps.size()); }
  Params<float> load(int64_t i);
  std::function<Params<float>(int64_t)> loader() {
    return [this](int64_t i) { return load(i); };
  }
};

}  // namespace cs::analysis
