#include "train/eval_run.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "data/corpus.h"
#include "data/eval_set.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "model/activations.h"
#include "train/evaluate.h"

namespace cs {

namespace fs = std::filesystem;

void evaluate_run(const run::RunDir& run, const EvalRunOptions& o, const std::function<void(const std::string&)>& progress) {
  const run::RunConfig& rc = run.config();
  const int T = o.n_ctx > 0 ? o.n_ctx : rc.model.n_ctx;
  CS_CHECK(T >= 2 && T <= rc.model.n_ctx, "--n-ctx must lie between 2 and the model's n_ctx " << rc.model.n_ctx << ", got " << T);
  CS_CHECK(o.n_eval >= 16, "--n-eval must be at least 16, got " << o.n_eval);
  CS_CHECK(o.eval_fraction > 0 && o.eval_fraction < 1, "--eval-fraction must lie in (0, 1), got " << o.eval_fraction);
  CS_CHECK(!run.has(File::tokens_dir) && !run.has(File::eval_snapshots),
           run.root() << " already has tokens or evaluations; evaluate a fresh import");
  const std::vector<int64_t> steps = run.snapshot_steps();
  CS_CHECK(!steps.empty(), run.root() << " has no snapshots");
  const std::string tokens_dir = run.path(File::tokens_dir);
  try {
    const auto tokenizer = run.tokenizer();
    data::tokenize_corpus(data::read_corpus(o.corpus), *tokenizer, tokens_dir, o.eval_fraction, o.seed, o.corpus);
    const data::EvalSet eval = data::build_eval_set(run.tokens(), T, o.n_eval, o.seed);
    run::RunWriter writer(run);
    writer.write_eval_tokens(eval.tokens, eval.n_used(), int64_t(T) + 1);
    // Losses only: the pass keeps one layer at a time (a big imported model fits where its cache would not).
    Activations<float> acts(rc.model, std::min(o.batch, eval.n_used()), T, false, Keep::current_layer);
    for (int64_t step : steps) {
      const run::Snapshot snap = run.snapshot(step);
      writer.append_eval(step, snap.info.tokens, per_sequence_loss(snap.params, eval.tokens, eval.n_used(), acts));
      progress("step " + std::to_string(step) + ": " + std::to_string(eval.n_used()) + " sequences of " + std::to_string(T));
    }
  } catch (...) {
    // Half an evaluation would read as a complete one with fewer snapshots.
    fs::remove_all(tokens_dir);
    fs::remove_all(run.path(File::eval_dir));
    throw;
  }
}

}  // namespace cs
