// `circuitscope ablate RUN`: which heads carry in-context learning (SPEC §6). For every snapshot
// (or the last), each head's ΔICL: the ICL score with the head ablated minus without,
// pattern-preserving by default. Writes RUN/analysis/ablation_icl.json, ablation_icl.npy
// [snapshot, layer, head] and a picture (ΔICL over training, heads coloured by prefix matching).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/evaluators.h"
#include "cli/analyses.h"
#include "cli/commands.h"
#include "cli/run_inputs.h"
#include "core/error.h"
#include "core/gemm.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "report/plot_heads.h"
#include "report/plot_icl.h"

namespace cs::cli {

namespace {

namespace fs = std::filesystem;

nlohmann::ordered_json window_json(const analysis::Window& w) { return {w.first, w.last}; }

// Each head's prefix-matching score at the last snapshot, to colour the picture; empty when the
// run has no token counts to draw the evaluator's tokens from.
std::vector<double> last_prefix_matching(const std::string& run, const Params<float>& params,
                                         const EvalTokens& eval) {
  try {
    const auto tok = data::load_tokenizer(run);
    analysis::EvaluatorOptions o;
    o.text_sequences = 1;
    const analysis::RepeatedTokens rep =
        analysis::repeated_token_windows(evaluator_pool(run, *tok).tokens, tok->bos_id(), params.cfg.n_ctx, o);
    std::vector<double> pm, pt;
    const EvalTokens one = eval.head(1);
    analysis::evaluate_attention_scores(params, rep, one.tokens, 1, one.width, 1, pm, pt);
    return pm;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "circuitscope ablate: heads not coloured by prefix matching (%s)\n", e.what());
    return {};
  }
}

nlohmann::ordered_json head_rows(const analysis::HeadAblationIcl& pp,
                                 const analysis::HeadAblationIcl* full) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int l = 0; l < pp.n_layers; ++l)
    for (int h = 0; h < pp.n_heads; ++h) {
      const size_t i = size_t(l * pp.n_heads + h);
      auto kind = [&](const analysis::HeadAblationIcl& r) {
        return nlohmann::ordered_json{{"delta_icl", r.icl[i] - r.clean_icl},
                                      {"delta_early_loss", r.early[i] - r.clean_early},
                                      {"delta_late_loss", r.late[i] - r.clean_late}};
      };
      nlohmann::ordered_json row{{"layer", l}, {"head", h}};
      row[analysis::to_string(pp.kind)] = kind(pp);
      if (full) row[analysis::to_string(full->kind)] = kind(*full);
      rows.push_back(row);
    }
  return rows;
}

}  // namespace

void run_ablate(const AblateArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunConfig rc = run::read_run_config(args.run);
  const Config& cfg = rc.model;
  EvalTokens eval = read_eval_tokens(args.run);
  if (args.max_sequences > 0) eval = eval.head(args.max_sequences);
  CS_CHECK(eval.width == int64_t(cfg.n_ctx) + 1, "eval/tokens.npy rows hold " << eval.width
                                                                              << " tokens, not n_ctx + 1 = "
                                                                              << cfg.n_ctx + 1);
  const analysis::IclPositions pos = run_icl_positions(args.run, cfg.n_ctx);
  const analysis::AblationKind kind =
      args.full ? analysis::AblationKind::full : analysis::AblationKind::pattern_preserving;

  SnapshotSeries series(args.run, rc);
  const bool one = args.snapshots != "all";
  if (one) {
    const std::string& s = args.snapshots;
    int64_t step = series.steps.back();
    if (s != "last") {
      CS_CHECK(!s.empty() && s.find_first_not_of("0123456789") == std::string::npos,
               "--snapshots must be all, last or a snapshot's step, got '" << s << "'");
      step = std::stoll(s);
      CS_CHECK(std::find(series.steps.begin(), series.steps.end(), step) != series.steps.end(),
               args.run << " has no snapshot at step " << step);
    }
    series.steps = {step};
    series.tokens = {0};
  }
  const int64_t S = int64_t(series.steps.size());
  const auto t0 = std::chrono::steady_clock::now();
  const analysis::IclAblationSweep sweep = analysis::icl_ablation_sweep(
      S, series.loader(), eval.tokens, eval.n, eval.width, pos, kind, args.batch);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const Params<float> last = series.load(S - 1);
  // For one snapshot the other kind costs little more and answers "full or pattern-preserving?".
  std::optional<analysis::HeadAblationIcl> other;
  if (one)
    other = analysis::ablate_heads_icl(last, eval.tokens, eval.n, eval.width, pos,
                                       args.full ? analysis::AblationKind::pattern_preserving
                                                 : analysis::AblationKind::full,
                                       args.batch);
  const std::vector<double> pm = last_prefix_matching(args.run, last, eval);

  const int L = sweep.n_layers, H = sweep.n_heads;
  nlohmann::ordered_json j;
  j["kind"] = analysis::to_string(kind);
  j["patterns"] = kind == analysis::AblationKind::pattern_preserving
                      ? "frozen to each snapshot's clean pass (pattern-preserving ablation, SPEC §6): "
                        "only value paths change"
                      : "recomputed after the ablation (full ablation)";
  j["method"] = sweep.method;
  j["steps"] = series.steps;
  j["tokens"] = series.tokens;
  j["n_eval"] = eval.n;
  j["early_window"] = window_json(pos.early_window);
  j["late_window"] = window_json(pos.late_window);
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
  if (!pm.empty()) j["prefix_matching_last"] = pm;
  j["last_snapshot"] = {{"step", series.steps.back()},
                        {"clean_icl", sweep.snapshots.back().clean_icl},
                        {"heads", head_rows(sweep.snapshots.back(), other ? &*other : nullptr)}};
  j["definitions"] = {
      {"delta_icl", "ICL score with the head's result zeroed minus the ICL score without (nats); "
                    "positive: the head helps the model use its context"},
      {"icl_score", "mean over sequences of (mean loss over late_window - mean loss over early_window)"},
  };
  j["seconds"] = secs;
  const std::string dir = (fs::path(args.run) / "analysis").string();
  io::write_file_atomic(analysis_path(args.run, "ablation_icl.json"), j.dump(2) + "\n");
  io::write_npy(analysis_path(args.run, "ablation_icl.npy"), sweep.delta_icl.data(), {S, L, H});
  if (S >= 2)
    report::save_both(report::ablation_over_training_figure(sweep, series.tokens, pm), dir,
                      "ablation_icl");
  else
    report::save_both(report::ablation_heatmap(sweep.snapshots.back(), series.steps.back()), dir,
                      "ablation_icl");

  std::printf("%s ablation of %d heads at %lld snapshot(s), %lld sequences: %.1f s (%s path)\n",
              analysis::to_string(kind).c_str(), L * H, (long long)S, (long long)eval.n, secs,
              sweep.method.c_str());
  const analysis::HeadAblationIcl& r = sweep.snapshots.back();
  std::printf("last snapshot (step %lld): ICL score %.3f nats\nhead   ΔICL\n",
              (long long)series.steps.back(), r.clean_icl);
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) std::printf("%d.%-3d  %+.3f\n", l, h, r.delta_icl(l, h));
  std::printf("-> %s/ablation_icl.{json,npy,svg,png}\n", dir.c_str());
}

void register_ablate(CLI::App& app) {
  auto args = std::make_shared<AblateArgs>();
  auto* cmd = app.add_subcommand(
      "ablate",
      "Attribution of in-context learning to heads (SPEC §6): for every snapshot, each head's ICL "
      "score with the head ablated minus without. Pattern-preserving ablation by default. Writes "
      "RUN/analysis/ablation_icl.json, ablation_icl.npy [snapshot, layer, head] and pictures.");
  cmd->add_option("run", args->run, "run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_flag("--full", args->full, "full ablation: patterns recomputed after the ablation");
  cmd->add_option("--snapshots", args->snapshots,
                  "all | last | STEP (one snapshot also reports the other ablation kind per head)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "sequences per pass")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-sequences", args->max_sequences,
                  "use only the first N evaluation sequences (0: all)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads (default: every core)");
  cmd->callback([args] { run_ablate(*args); });
}

}  // namespace cs::cli
