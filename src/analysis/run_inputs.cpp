#include "analysis/run_inputs.h"

#include <algorithm>

#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

TokenPool evaluator_pool(const run::RunDir& run) {
  const auto tok = run.tokenizer();
  return token_pool(run.token_counts(), tok->bos_id(), tok->kind() == "bytes");
}

IclPositions icl_positions(const run::RunDir& run) {
  IclOptions o;
  try {
    if (const auto j = run.read_json(File::icl); j && j->is_object()) {
      auto window = [&](const char* key) -> std::optional<Window> {
        if (!j->contains(key) || !(*j)[key].is_array() || (*j)[key].size() != 2) return {};
        return Window{(*j)[key][0].get<int64_t>(), (*j)[key][1].get<int64_t>()};
      };
      o.early_window = window("early_window");
      o.late_window = window("late_window");
    }
  } catch (const std::exception&) {
    // An unreadable icl.json falls back to the default windows, as if `icl` had not run.
  }
  return resolve_positions(run.config().model.n_ctx, o);
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
