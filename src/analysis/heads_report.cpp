#include "analysis/heads_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "analysis/run_inputs.h"
#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// JSON has no NaN: a missing number is null.
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

}  // namespace

HeadScores HeadsReport::scores(int l, int h) const {
  const HeadEvaluation& e = evaluation;
  HeadScores sc;
  sc.prefix_matching = e.at(e.prefix_matching, l, h);
  sc.previous_token = e.at(e.previous_token, l, h);
  sc.positional = e.at(e.positional, l, h);
  sc.copying_r = e.at(e.copying_r, l, h);
  sc.ov_copying_score = spectra[size_t(l * n_heads() + h)].ov_copying_score;
  return sc;
}

std::vector<std::string> HeadsReport::kinds(int l, int h) const { return head_kinds(scores(l, h), thresholds); }

PrevTokenScores HeadsReport::previous_token() const {
  return {evaluation.previous_token, "analysis/heads.json previous_token (measured)"};
}

nlohmann::ordered_json HeadsReport::to_json() const {
  const HeadEvaluation& e = evaluation;
  nlohmann::ordered_json j;
  j["snapshot_step"] = snapshot.step;
  j["snapshot_tokens"] = snapshot.tokens;
  j["thresholds"] = thresholds.to_json();
  j["evaluators"] = e.parameters_json();
  j["ov_qk_copying_scores"] = "sum(lambda) / sum(|lambda|) of the OV and token QK circuits (docs/circuits.md); " +
                              circuit_caveat(cfg);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int l = 0; l < n_layers(); ++l)
    for (int h = 0; h < n_heads(); ++h) {
      const HeadSpectrum& s = spectra[size_t(l * n_heads() + h)];
      const HeadScores sc = scores(l, h);
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
      hj["kinds"] = kinds(l, h);
      rows.push_back(hj);
    }
  j["heads"] = rows;
  j["seconds"] = seconds;
  return j;
}

HeadsReport heads(const run::Snapshot& snapshot, const run::RunDir& run, const ModelCircuits& circuits,
                  const HeadsOptions& options) {
  const auto tok = run.tokenizer();
  const TokenPool pool = evaluator_pool(run);
  const run::EvalTokens eval = run.eval_tokens();
  EvaluatorOptions o;
  o.seed = options.seed;
  o.text_sequences = options.text_sequences;
  const auto t0 = Clock::now();
  HeadsReport r;
  r.snapshot = snapshot.info;
  r.cfg = snapshot.params.cfg;
  r.evaluation = evaluate_heads(snapshot.params, pool.tokens, tok->bos_id(), eval.tokens, eval.n, eval.width, o);
  r.evaluation.pool_rule = pool.rule;
  r.spectra = circuits.spectra();
  r.thresholds = options.thresholds;
  r.seconds = since(t0) + circuits.seconds_grams + circuits.seconds_spectra;
  return r;
}

nlohmann::ordered_json HeadsOverTrainingReport::to_json() const {
  const HeadsOverTraining& h = scores;
  const int64_t S = int64_t(h.steps.size());
  nlohmann::ordered_json j;
  j["steps"] = h.steps;
  j["tokens"] = h.tokens;
  j["n_layers"] = h.n_layers;
  j["n_heads"] = h.n_heads;
  j["prefix_matching"] = grid3(h.prefix_matching, S, h.n_layers, h.n_heads);
  j["previous_token"] = grid3(h.previous_token, S, h.n_layers, h.n_heads);
  j["layout"] = "[snapshot][layer][head]; the same arrays as heads_over_training_*.npy";
  j["parameters"] = {{"n_sequences", options.n_sequences},
                     {"n_tokens", n_tokens},
                     {"n_repeats", options.n_repeats},
                     {"seed", options.seed},
                     {"text_sequences", text_sequences},
                     {"thresholds", thresholds.to_json()}};
  j["seconds"] = seconds;
  return j;
}

HeadsOverTrainingReport heads_over_training(const run::RunDir& run, const HeadsOptions& options) {
  SnapshotSeries series(run);
  const auto tok = run.tokenizer();
  const TokenPool pool = evaluator_pool(run);
  const run::EvalTokens eval = run.eval_tokens();
  HeadsOverTrainingReport r;
  r.options.seed = options.seed;
  r.options.text_sequences = options.training_text_sequences;
  r.thresholds = options.thresholds;
  const auto t0 = Clock::now();
  r.scores = heads_over_training(series.size(), series.loader(), pool.tokens, tok->bos_id(), eval.tokens,
                                 eval.n, eval.width, r.options);
  r.scores.steps = series.steps;
  r.scores.tokens = series.tokens;
  r.seconds = since(t0);
  r.n_tokens = repeated_token_windows(pool.tokens, tok->bos_id(), run.config().model.n_ctx, r.options).n_tokens;
  r.text_sequences = std::min<int64_t>(r.options.text_sequences, eval.n);
  return r;
}

HeadsOverTrainingReport HeadsOverTrainingReport::from_json(const nlohmann::json& j) {
  HeadsOverTrainingReport r;
  HeadsOverTraining& h = r.scores;
  h.n_layers = j.at("n_layers");
  h.n_heads = j.at("n_heads");
  h.steps = j.at("steps").get<std::vector<int64_t>>();
  h.tokens = j.at("tokens").get<std::vector<int64_t>>();
  for (const char* key : {"prefix_matching", "previous_token"})
    for (const auto& snapshot : j.at(key))
      for (const auto& layer : snapshot)
        for (const auto& score : layer)
          (std::string(key) == "prefix_matching" ? h.prefix_matching : h.previous_token)
              .push_back(score.is_null() ? NAN : score.get<double>());
  const size_t n = h.steps.size() * size_t(h.n_layers * h.n_heads);
  CS_CHECK(h.tokens.size() == h.steps.size() && h.prefix_matching.size() == n && h.previous_token.size() == n,
           "its arrays do not have one entry per snapshot, layer and head");
  const auto& p = j.at("parameters");
  r.options.n_sequences = p.at("n_sequences");
  r.options.n_repeats = p.at("n_repeats");
  r.options.seed = p.at("seed");
  r.options.text_sequences = p.at("text_sequences");
  r.n_tokens = p.at("n_tokens");
  r.text_sequences = p.at("text_sequences");
  r.thresholds = KindThresholds::from_json(p.at("thresholds"));
  r.seconds = j.value("seconds", 0.0);
  return r;
}

}  // namespace cs::analysis
