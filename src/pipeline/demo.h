#pragma once
// The demo (docs/demo.md): tokenize the built-in corpus, train a 1-layer and a 2-layer model side
// by side, compare their in-context learning over training, analyse both, judge the pair against
// the demo's bar and write summary.json; on request, also analyse a pair an earlier demo trained.
#include <cstdint>
#include <functional>
#include <string>

#include "pipeline/analyze.h"

namespace cs::pipeline {

struct DemoOptions {
  std::string out = "demo";
  bool full = false;
  int threads = 2;
  uint64_t seed = 0;
  int64_t steps = 0;   // 0: the recipe's
  std::string corpus;  // empty: the recipe's
  bool bytes = false;
  // MLP blocks in both models (0: the recipe's attention-only pair), with this activation.
  int d_mlp = 0;
  std::string act_fn = "gelu";
  // A folder written by scripts/ship-demo.sh (e.g. models/demo) to analyse beside the pair trained
  // here; empty: none.
  std::string pretrained;
};

// How the demo runs `analyze` on each run folder (the command line prints each result as it comes).
using AnalyzeFn = std::function<Analyses(const std::string& run_dir, const AnalyzeOptions& options)>;

void run_demo(const DemoOptions& options, const AnalyzeFn& analyze);

}  // namespace cs::pipeline
