#pragma once
// One entry per analysis of one snapshot, taking the run folder and the loaded snapshot and
// returning the typed result: the CLI, `analyze`, the demo, the report, the viewer and the Python
// module all call these, so each front end gets the same numbers. Saving is separate
// (pipeline/analysis_files.h): the viewer and Python compute without writing into the run.
//
// The choices a front end must not make on its own live here: whether the run's tokenizer is
// there (tokens are shown as #id without it), and whether the induction axes of composition use
// measured previous-token scores (the run has its evaluation text) or the weight-only stand-in.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/model_circuits.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"
#include "run/run_dir.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::pipeline {

// The run's tokenizer, or null when the run has none (a weights-only folder); `note` then says why.
std::unique_ptr<data::Tokenizer> tokenizer_or_null(const run::RunDir& run, std::string* note = nullptr);

// The head evaluators, eigenvalue copying scores and kinds. `circuits`, when given, must be built
// from `snapshot` (analyze shares one); else it is built here.
analysis::HeadsReport heads(const run::RunDir& run, const run::Snapshot& snapshot,
                            const analysis::HeadsOptions& options = {},
                            const analysis::ModelCircuits* circuits = nullptr);

// Previous-token scores for the induction axes: `heads`' when given, else measured now when the
// run has its evaluation text and tokenizer; nullopt otherwise (analyze_circuits then uses the
// weight-only stand-in and names it).
std::optional<analysis::PrevTokenScores> previous_token_scores(const run::RunDir& run, const run::Snapshot& snapshot,
                                                               const analysis::ModelCircuits& circuits,
                                                               const analysis::HeadsReport* heads = nullptr);

struct CircuitsRequest {
  analysis::CircuitsOptions options;  // composition is turned off for a 1-layer model
  std::vector<std::string> sources;   // skip-trigram sources as typed; empty: the most frequent tokens
  int64_t n_sources = 200;
  const analysis::HeadsReport* heads = nullptr;  // measured previous-token scores, when at hand
};

struct CircuitsRun {
  analysis::CircuitsAnalysis analysis;
  std::unique_ptr<data::Tokenizer> tokenizer;  // null: tokens shown as #id
  std::string tokenizer_note;                  // why there is none
};

// Eigenvalues, copying scores, skip-trigrams, bigrams and composition. Without the run's token
// counts or tokenizer (and no sources named) the skip-trigrams are left out with a note.
CircuitsRun circuits(const run::RunDir& run, const run::Snapshot& snapshot, const CircuitsRequest& request = {},
                     const analysis::ModelCircuits* circuits = nullptr);

analysis::PathsReport paths(const run::RunDir& run, const run::Snapshot& snapshot,
                            const analysis::PathsOptions& options = {});

// ΔICL per head at options.steps (every snapshot when empty), with the run's ICL settings. The
// picture's prefix-matching colours come from `heads` when it scored the last ablated snapshot,
// else are measured; left empty when the run cannot give them.
analysis::AblationReport ablate(const run::RunDir& run, const analysis::AblationOptions& options = {},
                                const analysis::HeadsReport* heads = nullptr);

// Heads ablated together on `snapshot`, with the run's ICL settings.
analysis::JointAblation ablate_heads(const run::RunDir& run, const run::Snapshot& snapshot,
                                     const std::vector<std::pair<int, int>>& heads,
                                     analysis::AblationKind kind = analysis::AblationKind::pattern_preserving);

analysis::ProbesReport probes(const run::RunDir& run, const run::Snapshot& snapshot,
                              const analysis::ProbesRequest& request = {});

}  // namespace cs::pipeline
