#include "pipeline/analyses.h"

#include "analysis/circuit_sources.h"
#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::pipeline {

std::unique_ptr<data::Tokenizer> tokenizer_or_null(const run::RunDir& run, std::string* note) {
  try {
    return run.tokenizer();
  } catch (const Error& e) {
    if (note) *note = e.what();
    return nullptr;
  }
}

analysis::HeadsReport heads(const run::RunDir& run, const run::Snapshot& snapshot, const analysis::HeadsOptions& options,
                            const analysis::ModelCircuits* circuits) {
  if (circuits) return analysis::heads(snapshot, run, *circuits, options);
  return analysis::heads(snapshot, run, analysis::ModelCircuits(snapshot.params), options);
}

std::optional<analysis::PrevTokenScores> previous_token_scores(const run::RunDir& run, const run::Snapshot& snapshot,
                                                               const analysis::ModelCircuits& circuits,
                                                               const analysis::HeadsReport* heads) {
  if (heads) return heads->previous_token();
  if (snapshot.params.cfg.n_layers < 2 || !run.has(File::eval_tokens)) return std::nullopt;
  try {
    return analysis::heads(snapshot, run, circuits).previous_token();
  } catch (const Error&) {
    return std::nullopt;  // no token counts or tokenizer: the weight-only stand-in, named as such
  }
}

namespace {

// The named sources must resolve; the default ones may be missing from a weights-only folder.
analysis::CircuitSources sources_for(const run::RunDir& run, const data::Tokenizer* tok, const CircuitsRequest& r,
                                     analysis::CircuitsOptions& o) {
  if (!o.skip_trigrams) return {};
  if (!r.sources.empty()) return analysis::circuit_sources(run, tok, r.sources, r.n_sources);
  try {
    return analysis::circuit_sources(run, tok, {}, r.n_sources);
  } catch (const Error& e) {
    o.skip_trigrams = false;
    return {{}, std::string("skip-trigrams unavailable: ") + e.what()};
  }
}

}  // namespace

CircuitsRun circuits(const run::RunDir& run, const run::Snapshot& snapshot, const CircuitsRequest& request,
                     const analysis::ModelCircuits* shared) {
  CircuitsRun out;
  out.tokenizer = tokenizer_or_null(run, &out.tokenizer_note);
  std::optional<analysis::ModelCircuits> own;
  const analysis::ModelCircuits& circuits = shared ? *shared : own.emplace(snapshot.params);
  analysis::CircuitsOptions o = request.options;
  o.composition = o.composition && snapshot.params.cfg.n_layers >= 2;
  const analysis::CircuitSources sources = sources_for(run, out.tokenizer.get(), request, o);
  const std::optional<analysis::PrevTokenScores> prev =
      o.composition ? previous_token_scores(run, snapshot, circuits, request.heads) : std::nullopt;
  out.analysis = analysis::analyze_circuits(circuits, sources.ids, sources.note, o, prev);
  return out;
}

analysis::PathsReport paths(const run::RunDir& run, const run::Snapshot& snapshot,
                            const analysis::PathsOptions& options) {
  return analysis::paths(snapshot, run, options);
}

analysis::AblationReport ablate(const run::RunDir& run, const analysis::AblationOptions& options,
                                const analysis::HeadsReport* heads) {
  analysis::AblationReport r = analysis::ablate(run, options);
  const int64_t last = r.steps.back();
  try {
    r.prefix_matching_last = heads && heads->snapshot.step == last
                                 ? heads->evaluation.prefix_matching
                                 : analysis::prefix_matching(run.snapshot(last).params, run);
  } catch (const Error&) {
    r.prefix_matching_last.clear();  // the picture's heads are then not coloured
  }
  return r;
}

analysis::JointAblation ablate_heads(const run::RunDir& run, const run::Snapshot& snapshot,
                                     const std::vector<std::pair<int, int>>& heads, analysis::AblationKind kind) {
  return analysis::ablate_heads(snapshot.params, run, heads, kind);
}

analysis::ProbesReport probes(const run::RunDir& run, const run::Snapshot& snapshot,
                              const analysis::ProbesRequest& request) {
  return analysis::probes(snapshot, *run.tokenizer(), request);
}

}  // namespace cs::pipeline
