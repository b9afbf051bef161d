#include "analysis/paths_report.h"

#include <algorithm>
#include <chrono>

#include "analysis/work_budget.h"
#include "core/error.h"
#include "model/forward.h"

namespace cs::analysis {

namespace {

// Path expansion's work on one window of `len` positions: a clean pass and one per path order
// for every sequence, and for the term sequences two passes per head (each zeroed at order 1 and
// at full order) and, with MLPs, three per layer. Models with additive terms need about three.
struct PathsWork {
  double pass;
  int64_t order_passes, term_passes;
  PathsWork(const Config& c, int64_t len, int64_t heads)
      : pass(double(len) * forward_flops_per_token(c, len)), order_passes(c.n_layers + 1),
        term_passes(linear(c) ? 3 : 2 * heads + (c.attn_only() ? 0 : 1 + 2 * int64_t(c.n_layers))) {}
  static bool linear(const Config& c) { return !c.normalized() && c.attn_only() && !c.biases; }
  double cost(int64_t n, int64_t t) const { return pass * double(n * order_passes + t * term_passes); }
};

// The first `len` positions (and the next token) of each evaluation row.
run::EvalTokens first_positions(const run::EvalTokens& e, int64_t len) {
  run::EvalTokens out{{}, e.n, len + 1};
  for (int64_t b = 0; b < e.n; ++b)
    out.tokens.insert(out.tokens.end(), e.tokens.begin() + b * e.width, e.tokens.begin() + b * e.width + len + 1);
  return out;
}

// Within the budget: one sequence (for the losses by order and the terms), then the first half of
// the positions and again down to 64, then the heads that write most over the first sequence.
std::string fit_budget(const Params<float>& params, run::EvalTokens& eval, PathsOptions& o,
                       std::vector<bool>& heads) {
  const Config& c = params.cfg;
  const int64_t n0 = eval.n, len0 = eval.width - 1, n_heads = int64_t(c.n_layers) * c.n_heads;
  int64_t n = n0, t = o.term_sequences < 0 ? n0 : std::min(o.term_sequences, n0), len = len0;
  if (PathsWork(c, len, n_heads).cost(n, t) <= o.max_flops) return "";
  n = t = 1;
  while (PathsWork(c, len, n_heads).cost(n, t) > o.max_flops && len > 64) len = std::max<int64_t>(64, len / 2);
  eval = first_positions(eval.head(1), len);
  o.term_sequences = 1;
  std::string note = "work budget: " + count_of(1, n0, "evaluation sequences") + ", " +
                     count_of(len, len0, "positions");
  const PathsWork w(c, len, 0);
  if (w.cost(1, 1) + 2 * w.pass * double(n_heads) > o.max_flops && !PathsWork::linear(c)) {
    Activations<float> clean(c, 1, len);
    clean.set_windows(eval.tokens.data());
    forward(params, clean);
    std::vector<int64_t> rows(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) rows[size_t(i)] = i;
    heads = heads_that_fit(head_writes(params, clean, rows), std::vector<double>(size_t(n_heads), 2 * w.pass),
                           o.max_flops - w.cost(1, 1));
    note += "; importances of " + count_of(std::count(heads.begin(), heads.end(), true), n_heads, "heads") +
            " (those writing most over the sequence; the others null)";
  }
  return note;
}

}  // namespace

PathsReport paths(const run::Snapshot& snapshot, const run::RunDir& run, const PathsOptions& options) {
  run::EvalTokens eval = run.eval_tokens().head(options.sequences);
  CS_CHECK(eval.width - 1 <= snapshot.params.cfg.n_ctx,
           run.path(File::eval_tokens) << " rows hold " << eval.width << " tokens, more than n_ctx + 1");
  const auto t0 = std::chrono::steady_clock::now();
  PathsOptions fitted = options;
  PathExpansionOptions o;
  PathsReport r;
  r.limited = fit_budget(snapshot.params, eval, fitted, o.heads);
  o.batch = fitted.batch;
  o.term_sequences = fitted.term_sequences;
  o.virtual_pairs = fitted.virtual_heads;
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
  if (!limited.empty()) j["limited"] = limited;
  j["seconds"] = seconds;
  return j;
}

}  // namespace cs::analysis
