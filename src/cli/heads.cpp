// `circuitscope heads RUN`: the head evaluators of SPEC §5 on one snapshot and every head's kinds
// (previous-token, induction, copying, positional) -> RUN/analysis/heads.json. With
// --over-training, also each head's prefix-matching and previous-token score at every snapshot,
// drawn under the ICL score -> heads_over_training.json, .npy and pictures.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/circuits.h"
#include "analysis/eigen.h"
#include "analysis/evaluators.h"
#include "analysis/head_kinds.h"
#include "analysis/icl.h"
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

nlohmann::ordered_json number(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

// [S][L][H] nested lists from a flat array.
nlohmann::ordered_json grid3(const std::vector<double>& v, int64_t S, int L, int H) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int64_t s = 0; s < S; ++s) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (int l = 0; l < L; ++l) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (int h = 0; h < H; ++h) row.push_back(number(v[size_t((s * L + l) * H + h)]));
      layers.push_back(row);
    }
    out.push_back(layers);
  }
  return out;
}

// The ICL curve of the run, for the picture's top panel; none when the run's evaluation files are
// missing or too short for derivatives.
std::optional<analysis::IclResult> run_icl(const std::string& dir) {
  try {
    const io::NpyArray npy = io::read_npy((fs::path(dir) / "eval" / "per_sequence_loss.npy").string());
    const nlohmann::json s =
        nlohmann::json::parse(io::read_file((fs::path(dir) / "eval" / "snapshots.json").string()));
    const auto steps = s.at("steps").get<std::vector<int64_t>>();
    const auto tokens = s.at("tokens").get<std::vector<int64_t>>();
    if (npy.shape.size() != 3) return std::nullopt;
    analysis::IclOptions o;
    const analysis::IclPositions p = run_icl_positions(dir, npy.shape[2]);
    o.early_window = p.early_window;
    o.late_window = p.late_window;
    return analysis::compute_icl(npy.to_float(), npy.shape[0], npy.shape[1], npy.shape[2], steps,
                                 tokens, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "circuitscope heads: no ICL curve on the picture (%s)\n", e.what());
    return std::nullopt;
  }
}

void write_over_training(const HeadsArgs& args, const run::RunConfig& rc,
                         const std::vector<int32_t>& pool, int bos, const EvalTokens& eval,
                         const analysis::KindThresholds& thresholds) {
  SnapshotSeries series(args.run, rc);
  analysis::EvaluatorOptions o;
  o.seed = args.seed;
  o.text_sequences = args.training_text_sequences;
  const auto t0 = std::chrono::steady_clock::now();
  analysis::HeadsOverTraining h =
      analysis::heads_over_training(int64_t(series.steps.size()), series.loader(), pool, bos,
                                    eval.tokens, eval.n, eval.width, o);
  h.steps = series.steps;
  h.tokens = series.tokens;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t S = int64_t(h.steps.size());
  const int L = h.n_layers, H = h.n_heads;

  nlohmann::ordered_json j;
  j["steps"] = h.steps;
  j["tokens"] = h.tokens;
  j["n_layers"] = L;
  j["n_heads"] = H;
  j["prefix_matching"] = grid3(h.prefix_matching, S, L, H);
  j["previous_token"] = grid3(h.previous_token, S, L, H);
  j["layout"] = "[snapshot][layer][head]; the same arrays as heads_over_training_*.npy";
  j["parameters"] = {{"n_sequences", o.n_sequences},
                     {"n_tokens", analysis::repeated_token_windows(pool, bos, rc.model.n_ctx, o).n_tokens},
                     {"n_repeats", o.n_repeats},
                     {"seed", o.seed},
                     {"text_sequences", std::min<int64_t>(o.text_sequences, eval.n)},
                     {"thresholds", thresholds.to_json()}};
  j["seconds"] = secs;
  io::write_file_atomic(analysis_path(args.run, "heads_over_training.json"), j.dump(2) + "\n");
  io::write_npy(analysis_path(args.run, "heads_over_training_prefix_matching.npy"),
                h.prefix_matching.data(), {S, L, H});
  io::write_npy(analysis_path(args.run, "heads_over_training_previous_token.npy"),
                h.previous_token.data(), {S, L, H});
  const std::optional<analysis::IclResult> icl = run_icl(args.run);
  report::save_both(report::heads_over_training_figure(h, icl ? &*icl : nullptr,
                                                       thresholds.induction, thresholds.previous_token),
                    (fs::path(args.run) / "analysis").string(), "heads_over_training");
  std::printf("over training: %lld snapshots in %.1f s -> analysis/heads_over_training.{json,svg,png}\n",
              (long long)S, secs);
}

}  // namespace

void run_heads(const HeadsArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunConfig rc = run::read_run_config(args.run);
  const RunSnapshot snap = load_run_snapshot(args.run, rc, args.snapshot);
  const auto tok = data::load_tokenizer(args.run);
  const analysis::TokenPool token_pool = evaluator_pool(args.run, *tok);
  const std::vector<int32_t>& pool = token_pool.tokens;
  const EvalTokens eval = read_eval_tokens(args.run);

  analysis::EvaluatorOptions o;
  o.seed = args.seed;
  o.text_sequences = args.text_sequences;
  const auto t0 = std::chrono::steady_clock::now();
  analysis::HeadEvaluation e =
      analysis::evaluate_heads(snap.params, pool, tok->bos_id(), eval.tokens, eval.n, eval.width, o);
  e.pool_rule = token_pool.rule;
  // The eigenvalue copying scores come from the weights alone (SPEC §3), on LayerNorm-folded
  // weights for normalized models.
  const Params<float> folded = analysis::fold_layer_norm(snap.params);
  const std::vector<analysis::HeadSpectrum> spectra =
      analysis::all_head_spectra(folded, analysis::vocab_grams(folded, false));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const analysis::KindThresholds thresholds;
  const int L = e.n_layers, H = e.n_heads;
  nlohmann::ordered_json j;
  j["snapshot_step"] = snap.info.step;
  j["snapshot_tokens"] = snap.info.tokens;
  j["thresholds"] = thresholds.to_json();
  j["evaluators"] = e.parameters_json();
  j["ov_qk_copying_scores"] = "sum(lambda) / sum(|lambda|) of the OV and token QK circuits (SPEC §3); " +
                              analysis::circuit_caveat(rc.model);
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  std::printf("snapshot step %lld: repeated-token loss %.3f nats (first copy %.3f, ln d_vocab %.3f)\n",
              (long long)snap.info.step, e.repeated_token_loss, e.first_copy_loss, e.ln_d_vocab);
  std::printf("head   prefix  prev   posit  copy_r  OV     QK     kinds\n");
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      const analysis::HeadSpectrum& s = spectra[size_t(l * H + h)];
      analysis::HeadScores sc;
      sc.prefix_matching = e.at(e.prefix_matching, l, h);
      sc.previous_token = e.at(e.previous_token, l, h);
      sc.positional = e.at(e.positional, l, h);
      sc.copying_r = e.at(e.copying_r, l, h);
      sc.ov_copying_score = s.ov_copying_score;
      const std::vector<std::string> kinds = analysis::head_kinds(sc, thresholds);
      nlohmann::ordered_json hj;
      hj["layer"] = l;
      hj["head"] = h;
      hj["ov_copying_score"] = number(s.ov_copying_score);
      hj["qk_copying_score"] = number(s.qk_copying_score);
      hj["prefix_matching"] = number(sc.prefix_matching);
      hj["previous_token"] = number(sc.previous_token);
      hj["positional"] = number(sc.positional);
      hj["copying_r"] = number(sc.copying_r);
      hj["copying_scaled"] = number(e.at(e.copying_scaled, l, h));
      hj["kinds"] = kinds;
      heads.push_back(hj);
      std::string names;
      for (const std::string& k : kinds) names += (names.empty() ? "" : ", ") + k;
      std::printf("%d.%-3d  %.3f   %.3f  %.3f  %6.3f  %+.2f  %+.2f  %s\n", l, h, sc.prefix_matching,
                  sc.previous_token, sc.positional, sc.copying_r, s.ov_copying_score,
                  s.qk_copying_score, names.c_str());
    }
  j["heads"] = heads;
  j["seconds"] = secs;
  io::write_file_atomic(analysis_path(args.run, "heads.json"), j.dump(2) + "\n");
  std::printf("-> %s (%.1f s)\n", analysis_path(args.run, "heads.json").c_str(), secs);
  if (args.over_training) write_over_training(args, rc, pool, tok->bos_id(), eval, thresholds);
}

void register_heads(CLI::App& app) {
  auto args = std::make_shared<HeadsArgs>();
  auto* cmd = app.add_subcommand(
      "heads",
      "Head evaluators (SPEC §5) of one snapshot: prefix-matching (induction), previous-token, "
      "positional and empirical copying scores, the repeated-token loss, the OV/QK eigenvalue "
      "copying scores, and every head's kinds. Writes RUN/analysis/heads.json; with "
      "--over-training also heads_over_training.{json,svg,png} and .npy arrays [snapshot, layer, "
      "head].");
  cmd->add_option("run", args->run, "run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--snapshot", args->snapshot, "STEP or last")->capture_default_str();
  cmd->add_flag("--over-training", args->over_training,
                "also score every snapshot's heads (prefix matching, previous token)");
  cmd->add_option("--text-sequences", args->text_sequences,
                  "evaluation sequences for the previous-token and positional scores")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--training-text-sequences", args->training_text_sequences,
                  "evaluation sequences per snapshot for the previous-token score over training")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "seed of the random evaluator sequences")->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads (default: every core)");
  cmd->callback([args] { run_heads(*args); });
}

}  // namespace cs::cli
