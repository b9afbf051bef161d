#pragma once
// What the analysis commands print: one table per analysis, shared by each command and `analyze`.
#include <string>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"
#include "pipeline/analyze.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::cli {

// The thread count a command uses when none is given: every core.
int default_threads();

void print(const analysis::HeadsReport& heads);
void print(const analysis::HeadsOverTrainingReport& heads);
void print(const analysis::CircuitsAnalysis& circuits, const run::SnapshotInfo& snapshot);
// One head's copying scores and strongest skip-trigrams.
void print_head(const analysis::CircuitsAnalysis& circuits, int layer, int head, const data::Tokenizer* tokenizer,
                int64_t rows);
void print(const analysis::PathsReport& paths);
void print(const analysis::AblationReport& ablation);
void print(const analysis::ProbesReport& probes);

// `analyze`: every analysis of one snapshot, each printed as it finishes.
pipeline::Analyses analyze_and_print(const std::string& run_dir, const pipeline::AnalyzeOptions& options);

}  // namespace cs::cli
