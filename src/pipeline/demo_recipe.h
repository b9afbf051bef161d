#pragma once
// The configurations the demo trains (docs/history.md records the sweeps that chose them). `sweep
// plan` starts from the quick one too, so that a sweep's defaults are the demo's models.
#include <cstdint>
#include <string>
#include <vector>

namespace cs::pipeline {

struct DemoRecipe {
  const char* name;
  int d_vocab;  // BPE vocabulary (--bytes overrides it)
  int d_model, n_heads, d_head, n_ctx, batch;
  double lr;
  int64_t warmup;
  int64_t steps;
  const char* positions;
  const char* normalization;
  int snapshots, n_eval;
  std::vector<std::string> corpora;  // corpus names (docs/corpus.md)
};

// The quick recipe (the default), or with `full` the longer one.
const DemoRecipe& demo_recipe(bool full);

}  // namespace cs::pipeline
