#include "analysis/paths_report.h"

#include <chrono>

#include "core/error.h"

namespace cs::analysis {

PathsReport paths(const run::Snapshot& snapshot, const run::RunDir& run, const PathsOptions& options) {
  const run::EvalTokens eval = run.eval_tokens().head(options.sequences);
  CS_CHECK(eval.width - 1 <= snapshot.params.cfg.n_ctx,
           run.path(File::eval_tokens) << " rows hold " << eval.width << " tokens, more than n_ctx + 1");
  PathExpansionOptions o;
  o.batch = options.batch;
  o.term_sequences = options.term_sequences;
  o.virtual_pairs = options.virtual_heads;
  const auto t0 = std::chrono::steady_clock::now();
  PathsReport r;
  r.snapshot = snapshot.info;
  r.expansion = path_expansion(snapshot.params, eval.tokens, eval.n, eval.width - 1, o);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

nlohmann::ordered_json PathsReport::to_json() const {
  nlohmann::ordered_json j;
  j["snapshot_step"] = snapshot.step;
  j["snapshot_tokens"] = snapshot.tokens;
  const nlohmann::ordered_json body = expansion.to_json();
  for (const auto& [k, v] : body.items()) j[k] = v;
  j["seconds"] = seconds;
  return j;
}

}  // namespace cs::analysis
