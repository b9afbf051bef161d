#pragma once
// What the head analyses (heads, ablate, paths, probes) read from a run folder: a snapshot checked
// against the run, the evaluation sequences, the evaluator token pool and the ICL windows.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/evaluators.h"
#include "analysis/icl.h"
#include "data/tokenizer.h"
#include "model/params.h"
#include "run/run_config.h"
#include "run/snapshot.h"

namespace cs::cli {

struct RunSnapshot {
  Params<float> params;
  run::SnapshotInfo info;
};

// "last" or a step; a snapshot written by another run is an error.
RunSnapshot load_run_snapshot(const std::string& run_dir, const run::RunConfig& rc,
                              const std::string& which);

// eval/tokens.npy: [n, width] int32, width = n_ctx + 1.
struct EvalTokens {
  std::vector<int32_t> tokens;
  int64_t n = 0, width = 0;
  // The first `rows` sequences (all when rows exceeds n).
  EvalTokens head(int64_t rows) const;
};
EvalTokens read_eval_tokens(const std::string& run_dir);

// tokens/token_counts.npy: how often each token occurs in the training split.
std::vector<int64_t> run_token_counts(const std::string& run_dir, int64_t d_vocab);

// SPEC §5's pool from tokens/token_counts.npy and the run's tokenizer kind.
analysis::TokenPool evaluator_pool(const std::string& run_dir, const data::Tokenizer& tok);

// The ICL windows of analysis/icl.json when `icl` wrote one, else SPEC §2's defaults.
analysis::IclPositions run_icl_positions(const std::string& run_dir, int64_t n_ctx);

// Every snapshot of the run, in step order. load(i) may run on several threads at once; it
// fills tokens[i] from the snapshot's metadata.
struct SnapshotSeries {
  std::string run_dir;
  run::RunConfig rc;
  std::vector<int64_t> steps, tokens;
  SnapshotSeries(const std::string& run_dir, const run::RunConfig& rc);
  Params<float> load(int64_t i);
  std::function<Params<float>(int64_t)> loader() {
    return [this](int64_t i) { return load(i); };
  }
};

std::string analysis_path(const std::string& run_dir, const std::string& name);

// The thread count a command uses when none is given: every core.
int default_threads();

}  // namespace cs::cli
