#pragma once
// Every per-snapshot analysis of a run in one pass over one loaded snapshot, each result computed
// once and handed to the next in memory: heads (whose measured previous-token scores place the
// induction axes of composition, and whose prefix matching colours the ablation picture),
// circuits and composition (from one ModelCircuits), path expansion, ablations, probes. Each
// result is written into the run's analysis folder as it is made.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"
#include "run/run_dir.h"

namespace cs::pipeline {

// The analyses in the order they run.
const std::vector<std::string>& analysis_names();  // heads, circuits, paths, ablate, probes

struct AnalyzeOptions {
  std::string snapshot = "last";
  bool over_training = false;     // also heads over training and the ablation sweep over every snapshot
  std::vector<std::string> skip;  // names from analysis_names()
  analysis::HeadsOptions heads;
  analysis::PathsOptions paths;
  int64_t n_sources = 200;        // skip-trigram sources: the most frequent training tokens
};

struct Analyses {
  run::SnapshotInfo snapshot;
  std::optional<analysis::HeadsReport> heads;
  std::optional<analysis::HeadsOverTrainingReport> heads_over_training;
  std::optional<analysis::CircuitsAnalysis> circuits;
  std::optional<analysis::PathsReport> paths;
  std::optional<analysis::AblationReport> ablation;
  std::optional<analysis::ProbesReport> probes;
  std::vector<std::pair<std::string, double>> seconds;  // per analysis, in order
  // analysis/analyze.json: what ran, on which snapshot, how long each took.
  nlohmann::ordered_json to_json(bool over_training) const;
};

// `done(name, analyses)` is called after each analysis, to print it as it comes.
Analyses analyze(const run::RunDir& run, const AnalyzeOptions& options,
                 const std::function<void(const std::string&, const Analyses&)>& done = {});

}  // namespace cs::pipeline
