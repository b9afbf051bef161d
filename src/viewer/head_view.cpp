#include "viewer/head_view.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "analysis/circuits.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/model_circuits.h"
#include "core/error.h"
#include "pipeline/analyses.h"

namespace cs::viewer {

namespace {

using ojson = nlohmann::ordered_json;

ojson number(double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); }

// The evaluators need the run's evaluation text and token counts; a run shipped without them
// still has its circuits, with the weight-only previous-token stand-in.
std::optional<analysis::HeadsReport> evaluate_heads(const run::Snapshot& snap, const run::RunDir& run,
                                                    const analysis::ModelCircuits& circuits, const HeadViewOptions& o,
                                                    std::string& note) {
  try {
    analysis::HeadsOptions ho;  // the `heads` command's evaluator settings, so the panel shows its numbers
    ho.thresholds = o.thresholds;
    return pipeline::heads(run, snap, ho, &circuits);
  } catch (const Error& e) {
    note = std::string("head evaluators unavailable: ") + e.what();
    return std::nullopt;
  }
}

ojson common_json(int64_t step, const analysis::HeadsReport* heads, const std::string& heads_note,
                  const analysis::CircuitsAnalysis& ca) {
  ojson j;
  j["snapshot_step"] = step;
  if (heads) j["thresholds"] = heads->thresholds.to_json();
  if (!heads_note.empty()) j["heads_note"] = heads_note;
  j["skip_trigram_sources"] = ca.sources_note;
  j["qk_circuit"] = analysis::qk_label(ca.cfg);
  j["caveat"] = ca.caveat.empty() ? ojson(nullptr) : ojson(ca.caveat);
  if (!ca.composition_skipped.empty())
    j["composition_note"] = ca.composition_skipped;
  else
    j["composition_baseline"] = {{"mean", ca.baseline.mean}, {"std", ca.baseline.std},
                                 {"samples", ca.baseline.samples}};
  return j;
}

ojson scores_json(const analysis::HeadsReport* heads, const analysis::HeadSpectrum& spectrum, int l, int h) {
  ojson scores;
  if (heads) {
    const analysis::HeadScores s = heads->scores(l, h);
    const analysis::HeadEvaluation& e = heads->evaluation;
    scores["prefix_matching"] = number(s.prefix_matching);
    scores["previous_token"] = number(s.previous_token);
    scores["positional"] = number(s.positional);
    scores["copying_r"] = number(s.copying_r);
    scores["copying_scaled"] = number(e.at(e.copying_scaled, l, h));
  }
  scores["ov_copying_score"] = number(spectrum.ov_copying_score);
  scores["qk_copying_score"] = number(spectrum.qk_copying_score);
  return scores;
}

// Which later heads read head (l, h)'s output (into), and which earlier heads it reads (from), by
// Q-, K- and V-composition score.
ojson head_composition(const std::vector<analysis::CompositionPair>& pairs, int l, int h, int n_heads) {
  auto entry = [](const analysis::CompositionPair& pr, int layer, int head, int h1, int h2) {
    return ojson{{"layer", layer}, {"head", head}, {"q", pr.q[size_t(h1)][size_t(h2)]},
                 {"k", pr.k[size_t(h1)][size_t(h2)]}, {"v", pr.v[size_t(h1)][size_t(h2)]}};
  };
  ojson into = ojson::array(), from = ojson::array();
  for (const analysis::CompositionPair& pr : pairs) {
    if (pr.l1 == l)
      for (int h2 = 0; h2 < n_heads; ++h2) into.push_back(entry(pr, pr.l2, h2, h, h2));
    if (pr.l2 == l)
      for (int h1 = 0; h1 < n_heads; ++h1) from.push_back(entry(pr, pr.l1, h1, h1, h));
  }
  return {{"into", into}, {"from", from}};
}

// Head (l, h)'s panel; `heads` is null where the evaluators could not run.
ojson head_json(int l, int h, const analysis::HeadsReport* heads, const analysis::CircuitsAnalysis& ca,
                const data::Tokenizer* tok) {
  const int n_heads = ca.cfg.n_heads;
  const size_t i = size_t(l * n_heads + h);
  const analysis::HeadSpectrum& s = ca.spectra[i];
  ojson j;
  j["layer"] = l;
  j["head"] = h;
  j["name"] = std::to_string(l) + "." + std::to_string(h);
  j["kinds"] = heads ? ojson(heads->kinds(l, h)) : ojson::array();
  j["scores"] = scores_json(heads, s, l, h);
  j["eigenvalues"] = {{"ov", analysis::eigen_json(s.ov_eigenvalues)}, {"qk", analysis::eigen_json(s.qk_eigenvalues)}};
  j["ov_norm"] = number(s.ov_norm);
  j["qk_part_norms"] = analysis::qk_part_norms_json(s, ca.cfg);
  j["skip_trigrams"] =
      i < ca.skip.heads.size() ? analysis::skip_trigrams_json(ca.skip.heads[i].ranked, tok) : ojson::array();
  j["composition"] = head_composition(ca.pairs, l, h, n_heads);
  for (const analysis::InductionAxis& ax : ca.axes)
    if (ax.layer == l && ax.head == h) j["induction_qk"] = {{"score", number(ax.score)}, {"trace", number(ax.trace)}};
  return j;
}

}  // namespace

HeadsView::HeadsView(std::shared_ptr<const run::Snapshot> snap, const run::RunDir& run,
                     const data::Tokenizer& tok, const HeadViewOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Config& c = snap->params.cfg;
  n_layers_ = c.n_layers;
  n_heads_ = c.n_heads;
  if (n_layers_ == 0) return;
  // ModelCircuits may keep a reference to the weights: `snap` outlives it here.
  const analysis::ModelCircuits circuits(snap->params);
  std::string heads_note;
  const std::optional<analysis::HeadsReport> heads = evaluate_heads(*snap, run, circuits, o, heads_note);
  const analysis::HeadsReport* evaluated = heads ? &*heads : nullptr;
  pipeline::CircuitsRequest request;
  request.options.skip.per_head = o.skip_trigrams;
  request.n_sources = o.n_sources;
  request.heads = evaluated;
  const analysis::CircuitsAnalysis ca = pipeline::circuits(run, *snap, request, &circuits).analysis;
  common_ = common_json(snap->info.step, evaluated, heads_note, ca);
  for (int l = 0; l < n_layers_; ++l)
    for (int h = 0; h < n_heads_; ++h) heads_.push_back(head_json(l, h, evaluated, ca, &tok));
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::ordered_json HeadsView::summary() const {
  nlohmann::ordered_json j = common_;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const nlohmann::ordered_json& h : heads_)
    rows.push_back({{"layer", h["layer"]}, {"head", h["head"]}, {"name", h["name"]},
                    {"kinds", h["kinds"]}, {"scores", h["scores"]}});
  j["heads"] = rows;
  j["seconds"] = seconds;
  return j;
}

}  // namespace cs::viewer
