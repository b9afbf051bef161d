#include "analysis/ablation_report.h"

#include <chrono>

#include "analysis/ablation_budget.h"
#include "analysis/circuits.h"
#include "analysis/evaluators.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "data/tokenizer.h"
#include "model/forward.h"

namespace cs::analysis {

namespace {

nlohmann::ordered_json window_json(const Window& w) { return {w.first, w.last}; }

nlohmann::ordered_json head_rows(const HeadAblationIcl& pp, const HeadAblationIcl* full) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int l = 0; l < pp.n_layers; ++l)
    for (int h = 0; h < pp.n_heads; ++h) {
      const size_t i = size_t(l * pp.n_heads + h);
      auto kind = [&](const HeadAblationIcl& r) {
        return nlohmann::ordered_json{{"delta_icl", r.icl[i] - r.clean_icl},
                                      {"delta_early_loss", r.early[i] - r.clean_early},
                                      {"delta_late_loss", r.late[i] - r.clean_late}};
      };
      nlohmann::ordered_json row{{"layer", l}, {"head", h}};
      row[to_string(pp.kind)] = kind(pp);
      if (full) row[to_string(full->kind)] = kind(*full);
      rows.push_back(row);
    }
  return rows;
}

// Sums over sequences of the early- and late-window mean losses and of the mean loss.
struct WindowSums {
  double early = 0, late = 0, all = 0;
  void add(const std::vector<float>& loss, int64_t n_seq, int64_t n_ctx, const IclPositions& p) {
    auto mean = [&](const float* row, int64_t first, int64_t last) {
      double s = 0;
      for (int64_t t = first; t <= last; ++t) s += row[t];
      return s / double(last - first + 1);
    };
    for (int64_t i = 0; i < n_seq; ++i) {
      const float* row = loss.data() + i * n_ctx;
      early += mean(row, p.early_window.first, p.early_window.last);
      late += mean(row, p.late_window.first, p.late_window.last);
      all += mean(row, 0, n_ctx - 1);
    }
  }
};

// Evaluation rows hold a window and its next token: at most n_ctx + 1 tokens.
void check_eval_width(const run::RunDir& run, const run::EvalTokens& eval, const Config& cfg) {
  CS_CHECK(eval.width >= 2 && eval.width <= int64_t(cfg.n_ctx) + 1,
           run.path(File::eval_tokens) << " rows hold " << eval.width << " tokens, more than n_ctx + 1 = "
                                       << cfg.n_ctx + 1 << " (or fewer than 2)");
}

}  // namespace

JointAblation ablate_heads(const Params<float>& params, const run::RunDir& run,
                           const std::vector<std::pair<int, int>>& heads, AblationKind kind, int batch) {
  const Config& cfg = params.cfg;
  CS_CHECK(!heads.empty(), "no heads to ablate");
  CS_CHECK(batch >= 1, "ablation batch must be at least 1, got " << batch);
  Interventions<float> iv;
  for (const auto& [l, h] : heads) {
    check_head(cfg, l, h);
    iv.ablate.push_back({l, h, HeadAblation::Kind::zero});
  }
  const run::EvalTokens eval = run.eval_tokens();
  check_eval_width(run, eval, cfg);
  const IclPositions pos = icl_positions(run);
  WindowSums clean_sums, ablated_sums;
  for (int64_t b0 = 0; b0 < eval.n; b0 += batch) {
    const int64_t nb = std::min<int64_t>(batch, eval.n - b0);
    const int32_t* windows = eval.tokens.data() + b0 * eval.width;
    // Evaluation windows may be shorter than the context (an imported model evaluated with eval --n-ctx).
    Activations<float> clean(cfg, nb, eval.width - 1), ablated(cfg, nb, eval.width - 1);
    clean.set_windows(windows);
    forward(params, clean);
    ablated.set_windows(windows);
    // Pattern-preserving: every head keeps the pattern of the clean pass; only values change.
    iv.freeze_patterns = kind == AblationKind::pattern_preserving ? &clean : nullptr;
    forward(params, ablated, &iv);
    clean_sums.add(clean.loss, nb, cfg.n_ctx, pos);
    ablated_sums.add(ablated.loss, nb, cfg.n_ctx, pos);
  }
  JointAblation r;
  r.heads = heads;
  r.kind = kind;
  r.n_eval = eval.n;
  const double n = double(eval.n);
  r.clean_icl = (clean_sums.late - clean_sums.early) / n;
  r.ablated_icl = (ablated_sums.late - ablated_sums.early) / n;
  r.clean_loss = clean_sums.all / n;
  r.ablated_loss = ablated_sums.all / n;
  return r;
}

nlohmann::ordered_json JointAblation::to_json() const {
  nlohmann::ordered_json hs = nlohmann::ordered_json::array();
  for (const auto& [l, h] : heads) hs.push_back({l, h});
  return {{"heads", hs},
          {"kind", to_string(kind)},
          {"n_eval", n_eval},
          {"clean_icl", clean_icl},
          {"ablated_icl", ablated_icl},
          {"delta_icl", delta_icl()},
          {"clean_loss", clean_loss},
          {"ablated_loss", ablated_loss}};
}

std::vector<double> prefix_matching(const Params<float>& params, const run::RunDir& run) {
  const auto tok = run.tokenizer();
  EvaluatorOptions o;
  o.text_sequences = 1;
  const RepeatedTokens rep = repeated_token_windows(evaluator_pool(run).tokens, tok->bos_id(), params.cfg.n_ctx, o);
  const run::EvalTokens one = run.eval_tokens().head(1);
  std::vector<double> pm, pt;
  evaluate_attention_scores(params, rep, one.tokens, 1, one.width, 1, pm, pt);
  return pm;
}

AblationReport ablate(const run::RunDir& run, const AblationOptions& o) {
  const Config& cfg = run.config().model;
  run::EvalTokens eval = run.eval_tokens();
  if (o.max_sequences > 0) eval = eval.head(o.max_sequences);
  check_eval_width(run, eval, cfg);
  AblationReport r;
  r.kind = o.kind;
  r.positions = icl_positions(run);
  SnapshotSeries series(run, o.steps);
  const auto t0 = std::chrono::steady_clock::now();
  // The linear path costs about one clean pass: only the reference path is planned.
  AblationPlan plan;
  plan.n_eval = eval.n;
  if (!linear_path_applies(cfg, o.kind)) plan = plan_ablation(cfg, r.positions, eval.n, series.size(), o.max_flops);
  eval = eval.head(plan.n_eval);
  r.n_eval = eval.n;
  std::vector<bool> heads;
  if (plan.rank_heads)
    heads = heads_within(cfg, r.positions, prefix_matching(series.load(series.size() - 1), run), series.size(),
                         o.max_flops, plan.limited);
  if (!plan.limited.empty()) r.limited = "work budget: " + plan.limited;
  r.sweep = icl_ablation_sweep(series.size(), series.loader(), eval.tokens, eval.n, eval.width, r.positions,
                               o.kind, o.batch, heads);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.steps = series.steps;
  r.tokens = series.tokens;
  if (series.size() == 1 && plan.other_kind) {
    const Params<float> last = series.load(0);
    const AblationKind other =
        o.kind == AblationKind::full ? AblationKind::pattern_preserving : AblationKind::full;
    r.other = ablate_heads_icl(last, eval.tokens, eval.n, eval.width, r.positions, other, o.batch, heads);
  }
  return r;
}

nlohmann::ordered_json AblationReport::to_json() const {
  const int64_t S = n_snapshots();
  const int L = sweep.n_layers, H = sweep.n_heads;
  nlohmann::ordered_json j;
  j["kind"] = to_string(kind);
  j["patterns"] = kind == AblationKind::pattern_preserving
                      ? "frozen to each snapshot's clean pass (pattern-preserving ablation, docs/evaluators.md): "
                        "only value paths change"
                      : "recomputed after the ablation (full ablation)";
  j["method"] = sweep.method;
  j["steps"] = steps;
  j["tokens"] = tokens;
  j["n_eval"] = n_eval;
  j["early_window"] = window_json(positions.early_window);
  j["late_window"] = window_json(positions.late_window);
  j["clean_icl"] = sweep.clean_icl;
  nlohmann::ordered_json grid = nlohmann::ordered_json::array();
  for (int64_t s = 0; s < S; ++s) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (int l = 0; l < L; ++l) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (int h = 0; h < H; ++h) row.push_back(sweep.delta_icl[size_t((s * L + l) * H + h)]);
      layers.push_back(row);
    }
    grid.push_back(layers);
  }
  j["delta_icl"] = grid;
  j["layout"] = "delta_icl[snapshot][layer][head], nats; the same array as ablation_icl.npy";
  if (!sweep.mlp_delta_icl.empty()) {
    nlohmann::ordered_json mlp = nlohmann::ordered_json::array();
    for (int64_t s = 0; s < S; ++s) {
      auto at = [&](int k) {
        const auto first = sweep.mlp_delta_icl.begin() + (s * 2 + k) * L;
        return std::vector<double>(first, first + L);
      };
      mlp.push_back({{"zero", at(0)}, {"mean", at(1)}});
    }
    j["mlp_delta_icl"] = mlp;
    j["mlp_layout"] = "mlp_delta_icl[snapshot].zero|mean[layer], nats; ablation_icl_mlp.npy is "
                      "[snapshot, zero|mean, layer]";
  }
  if (!prefix_matching_last.empty()) j["prefix_matching_last"] = prefix_matching_last;
  if (!limited.empty()) j["limited"] = limited;
  j["last_snapshot"] = {{"step", steps.back()},
                        {"clean_icl", sweep.snapshots.back().clean_icl},
                        {"heads", head_rows(sweep.snapshots.back(), other ? &*other : nullptr)}};
  j["definitions"] = {
      {"delta_icl", "ICL score with the head's result zeroed minus the ICL score without (nats); "
                    "positive: the head helps the model use its context"},
      {"icl_score", "mean over sequences of (mean loss over late_window - mean loss over early_window)"},
  };
  if (!sweep.mlp_delta_icl.empty())
    j["definitions"]["mlp_delta_icl"] =
        "ICL score with the layer's MLP output (hook_mlp_out) zeroed, or replaced by its mean over the "
        "batch's positions, minus the ICL score without; patterns as for the heads, every later layer "
        "(MLPs included) recomputed";
  j["seconds"] = seconds;
  return j;
}

}  // namespace cs::analysis
