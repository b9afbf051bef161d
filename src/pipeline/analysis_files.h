#pragma once
// Each analysis's files in a run folder: its JSON (the result's to_json()), its .npy arrays and its
// pictures, under the names of core/files.h. Returns nothing a caller needs: the names are fixed.
#include <vector>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/icl.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"
#include "run/run_dir.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::pipeline {

void save(const run::RunDir& run, const analysis::HeadsReport& heads);
// `icl`: the run's ICL curve for the picture's top panel, when it has one.
void save(const run::RunDir& run, const analysis::HeadsOverTrainingReport& heads,
          const analysis::IclResult* icl);
void save(const run::RunDir& run, const analysis::PathsReport& paths);
void save(const run::RunDir& run, const analysis::AblationReport& ablation);
void save(const run::RunDir& run, const analysis::ProbesReport& probes);

// circuits.json (unless `composition_only`), composition.json (unless `circuits_only`), the arrays
// and the pictures; stamped with the snapshot. Returns the files written.
struct CircuitsParts {
  bool circuits = true, composition = true;
};
std::vector<File> save(const run::RunDir& run, const analysis::CircuitsAnalysis& circuits,
                       const run::SnapshotInfo& snapshot, const data::Tokenizer* tokenizer,
                       CircuitsParts parts = {});

}  // namespace cs::pipeline
