#pragma once
// The head analysis of one snapshot: the evaluators (docs/evaluators.md), the OV/QK eigenvalue
// copying scores (docs/circuits.md) and every head's kinds; and the evaluators' two attention
// scores at every snapshot of a run. Results are plain structs; to_json() is the schema of
// analysis/heads.json and analysis/heads_over_training.json.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/circuits_report.h"
#include "analysis/eigen.h"
#include "analysis/evaluators.h"
#include "analysis/head_kinds.h"
#include "analysis/model_circuits.h"
#include "run/run_dir.h"

namespace cs::analysis {

struct HeadsOptions {
  int text_sequences = 32;           // evaluation sequences for the previous-token and positional scores
  int training_text_sequences = 8;   // the same, per snapshot, over training
  uint64_t seed = 0;                 // of the random evaluator sequences
  KindThresholds thresholds;
};

struct HeadsReport {
  run::SnapshotInfo snapshot;
  Config cfg;
  HeadEvaluation evaluation;
  std::vector<HeadSpectrum> spectra;  // layer-major
  KindThresholds thresholds;
  double seconds = 0;

  int n_layers() const { return evaluation.n_layers; }
  int n_heads() const { return evaluation.n_heads; }
  HeadScores scores(int layer, int head) const;
  std::vector<std::string> kinds(int layer, int head) const;
  // Measured previous-token scores, for the induction axes of composition.
  PrevTokenScores previous_token() const;
  nlohmann::ordered_json to_json() const;
};

// `circuits` must be built from `snapshot`'s weights.
HeadsReport heads(const run::Snapshot& snapshot, const run::RunDir& run, const ModelCircuits& circuits,
                  const HeadsOptions& options = {});

struct HeadsOverTrainingReport {
  HeadsOverTraining scores;  // [snapshot, layer, head]
  EvaluatorOptions options;
  int64_t n_tokens = 0, text_sequences = 0;
  KindThresholds thresholds;
  double seconds = 0;
  nlohmann::ordered_json to_json() const;
  // analysis/heads_over_training.json back into the report (a run shipped without its snapshots).
  static HeadsOverTrainingReport from_json(const nlohmann::json& j);
};

HeadsOverTrainingReport heads_over_training(const run::RunDir& run, const HeadsOptions& options = {});

}  // namespace cs::analysis
