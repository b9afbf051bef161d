#pragma once
// What the analyses take from a run folder besides the weights: the evaluator token pool, the ICL
// settings, and the run's snapshots as a loader that several threads may call at once.
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

// The run's ICL settings: the windows, smoothing and phase-change search that `icl`'s flags recorded
// in File::icl_settings, else the defaults (search_from_step -1: the learning-rate warm-up). Every
// ICL score of a run, its curve and its ablations alike, takes its settings from here.
IclOptions icl_options(const run::RunDir& run);
// Those settings' windows resolved for the length of the run's evaluation sequences.
IclPositions icl_positions(const run::RunDir& run);
// Records `options` as the run's ICL settings.
void set_icl_options(const run::RunDir& run, const IclOptions& options);

// The run's ICL curve (docs/icl.md) from its evaluation losses. options.search_from_step < 0: the
// run's learning-rate warm-up steps.
IclResult run_icl(const run::RunDir& run, IclOptions options);
// The same with the run's own settings.
inline IclResult run_icl(const run::RunDir& run) { return run_icl(run, icl_options(run)); }

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
