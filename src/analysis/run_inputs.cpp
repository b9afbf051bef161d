#include "analysis/run_inputs.h"

#include <algorithm>

#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

TokenPool evaluator_pool(const run::RunDir& run) {
  const auto tok = run.tokenizer();
  return token_pool(run.token_counts(), tok->bos_id(), tok->kind() == "bytes");
}

IclOptions icl_options(const run::RunDir& run) {
  IclOptions o;
  o.search_from_step = -1;
  if (!run.has(File::icl_settings)) return o;
  try {
    return icl_settings_from_json(*run.read_json(File::icl_settings));
  } catch (const std::exception& e) {
    fail(run.path(File::icl_settings) + ": " + e.what());
  }
}

namespace {

// The positions an ICL score can average: those of the evaluation sequences, which may be shorter
// than the model's context (an imported model evaluated with eval --n-ctx); a folder of
// evaluation losses alone has no config.json.
int64_t evaluated_positions(const run::RunDir& run) {
  if (run.has(File::eval_tokens)) return run.eval_tokens().width - 1;
  return run.is_run() ? run.config().model.n_ctx : run.eval_losses().n_ctx;
}

}  // namespace

IclPositions icl_positions(const run::RunDir& run) { return resolve_positions(evaluated_positions(run), icl_options(run)); }

void set_icl_options(const run::RunDir& run, const IclOptions& options) {
  resolve_positions(evaluated_positions(run), options);  // refuse windows the run cannot have
  run.write_json(File::icl_settings, icl_settings_json(options));
}

IclResult run_icl(const run::RunDir& run, IclOptions options) {
  const run::EvalLosses e = run.eval_losses();
  CS_CHECK(e.n_snapshots() > 0, run.root() << " has no evaluated snapshots (" << file_name(File::eval_snapshots) << ")");
  if (options.search_from_step < 0) options.search_from_step = run.is_run() ? run.config().train.warmup_steps : 0;
  return compute_icl(e.per_sequence, e.n_snapshots(), e.n_eval, e.n_ctx, e.steps, e.tokens, options);
}

SnapshotSeries::SnapshotSeries(const run::RunDir& r, std::vector<int64_t> chosen)
    : run(&r), steps(r.snapshot_steps()) {
  CS_CHECK(!steps.empty(), r.root() << " holds no snapshots");
  if (!chosen.empty()) {
    for (int64_t s : chosen)
      CS_CHECK(std::binary_search(steps.begin(), steps.end(), s), r.root() << " has no snapshot at step " << s);
    steps = std::move(chosen);
  }
  tokens.assign(steps.size(), 0);
}

Params<float> SnapshotSeries::load(int64_t i) {
  run::Snapshot s = run->snapshot(steps[size_t(i)]);
  tokens[size_t(i)] = s.info.tokens;  // one writer per index
  return std::move(s.params);
}

}  // namespace cs::analysis
