#pragma once
// config.json of a run: the model (TransformerLens field names), the data and the training
// settings, complete enough to re-run; plus the run's random run_id.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"

namespace cs::run {

struct TrainSettings {
  int batch = 8;
  int64_t steps = 1000;
  double lr = 1e-3;
  int64_t warmup_steps = 100;
  std::string schedule = "constant";  // constant | cosine
  double min_lr_fraction = 0.1;       // cosine decays to lr * this
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.95, adam_eps = 1e-8;
  double grad_clip = 1.0;
  uint64_t seed = 0;
  int n_snapshots = 100;
  int n_eval = 256;
  std::string eval_windows = "random";  // where evaluation sequences start in their documents: random | start
  int threads = 2;
  std::string precision = "fp32";  // matrix-product inputs of the training steps: fp32 | bf16
};

struct RunConfig {
  std::string run_id;
  Config model;
  TrainSettings train;
  // The Hugging Face class an imported model came from (TransformerLens's original_architecture,
  // written inside "model"); empty for a trained run.
  std::string original_architecture;
  nlohmann::json data;  // corpus description, tokenizer, token counts (written by the trainer)
};

nlohmann::json to_json(const RunConfig& rc);
RunConfig run_config_from_json(const nlohmann::json& j);

std::string new_run_id();

// The steps that train about `tokens` tokens at batch x n_ctx tokens per step (at least one):
// what `train --tokens` sets --steps to.
int64_t steps_for_tokens(int64_t tokens, int batch, int n_ctx);

}  // namespace cs::run
