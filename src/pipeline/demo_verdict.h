#pragma once
// The demo's verdict on a (1-layer, 2-layer) pair, from their ICL curves and analyses: the demo's
// bar of docs/demo.md (the 2-layer model's final ICL score at least 0.2 nats below the 1-layer
// model's, a phase change for the 2-layer model only, and a later-layer head crossing the induction
// threshold inside that window), as JSON for summary.json and as lines for the terminal.
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/icl.h"
#include "pipeline/analyze.h"
#include "run/run_dir.h"

namespace cs::pipeline {

// What the verdict needs of one model's ICL analysis. phase_change: null or
// {start_tokens, end_tokens, delta_nats}.
struct ModelIcl {
  double final_score = 0, final_stderr = 0;
  nlohmann::json phase_change;
};
ModelIcl model_icl(const analysis::IclResult& icl);
// The run's ICL curve as pipeline::load_icl gives it: computed, else read back from its icl.json.
ModelIcl model_icl(const run::RunDir& run);

// One model's part of summary.json. When the analyses did not score the heads over training (a
// shipped run has only its last snapshot), the run's heads_over_training.json is read instead.
nlohmann::json model_json(const run::RunDir& run, const Analyses& analyses, const ModelIcl& icl);

// The bar for models [1-layer, 2-layer] as given by model_json.
nlohmann::json verdict(const nlohmann::json& models);
void print_verdict(const nlohmann::json& models, const nlohmann::json& verdict);

}  // namespace cs::pipeline
