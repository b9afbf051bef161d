#pragma once
// `eval`: a run without an evaluation set (one made by `import`, docs/import.md) gets one from a
// corpus tokenized with the run's own tokenizer, and every snapshot's per-token loss on it, as
// training writes them: tokens/, eval/tokens.npy and the eval arrays, so `icl`, `heads`,
// `circuits`, `paths` and `ablate` read the run as a trained one.
#include <cstdint>
#include <functional>
#include <string>

#include "run/run_dir.h"

namespace cs {

struct EvalRunOptions {
  std::string corpus;         // a folder, a form-feed-separated file, builtin: or gettext:LANG
  int n_ctx = 0;              // 0: the model's n_ctx
  int n_eval = 256;
  double eval_fraction = 0.5;  // documents held out for the evaluation set; token counts come from the rest
  uint64_t seed = 1;
  int batch = 8;
};

// Refuses a run that already has tokens or evaluations. `progress` gets one line per snapshot.
void evaluate_run(const run::RunDir& run, const EvalRunOptions& o, const std::function<void(const std::string&)>& progress);

}  // namespace cs
