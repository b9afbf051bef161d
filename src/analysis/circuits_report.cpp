#include "analysis/circuits_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "analysis/circuits.h"
#include "core/error.h"
#include "io/npy.h"

namespace cs::analysis {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// JSON has no NaN: a missing number is null.
nlohmann::ordered_json number(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

}  // namespace

CircuitsAnalysis analyze_circuits(const ModelCircuits& circuits, const std::vector<int64_t>& sources,
                                  const std::string& sources_note, const CircuitsOptions& o,
                                  const std::optional<PrevTokenScores>& prev) {
  const Params<float>& p = circuits.weights();
  const VocabGrams& g = circuits.grams();
  CircuitsAnalysis a;
  a.cfg = p.cfg;
  a.caveat = circuit_caveat(p.cfg);
  a.sources = sources;
  a.sources_note = sources_note;
  a.n_bigrams = o.n_bigrams;

  a.seconds_grams = circuits.seconds_grams;
  a.spectra = circuits.spectra();
  a.seconds_spectra = circuits.seconds_spectra;

  auto t0 = Clock::now();
  if (o.skip_trigrams) a.skip = skip_trigrams(p, sources, o.skip);
  a.seconds_skip = since(t0);

  t0 = Clock::now();
  if (p.cfg.n_layers < 2) {
    a.composition_skipped =
        "composition needs 2+ layers; this model has " + std::to_string(p.cfg.n_layers);
  } else if (!o.composition) {
    a.composition_skipped = "not requested";
  } else {
    a.pairs = composition_scores(p, g);
    a.baseline = random_baseline(p.cfg.d_model, p.cfg.d_head, o.baseline_samples, o.seed);
    if (prev) {
      a.prev = *prev;
    } else if (auto proxy = positional_previous_token(p)) {
      a.prev = {*proxy,
                "positional stand-in: attention to the previous position under the "
                "position-position QK part alone (no measured previous-token scores given)"};
    }
    if (a.prev.values.empty())
      a.axes_skipped =
          "no previous-token scores: rotary models have no weight-only stand-in; "
          "measure them with the head evaluators first";
    else
      a.axes = induction_axes(p, g, a.prev.values);
    // The axes' OV copying scores are the spectra's, computed once per snapshot.
    for (InductionAxis& ax : a.axes) ax.ov_copying_score = circuits.spectrum(ax.layer, ax.head).ov_copying_score;
  }
  a.seconds_composition = since(t0);
  return a;
}

namespace {

nlohmann::ordered_json model_json(const Config& c) {
  return {{"n_layers", c.n_layers},
          {"n_heads", c.n_heads},
          {"d_model", c.d_model},
          {"d_head", c.d_head},
          {"d_vocab", c.d_vocab},
          {"positional_embedding_type", to_string(c.positional_embedding_type)},
          {"normalization_type", to_string(c.normalization_type)}};
}

}  // namespace

nlohmann::ordered_json eigen_json(const std::vector<std::complex<double>>& ev) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& l : ev) j.push_back({l.real(), l.imag()});
  return j;
}

nlohmann::ordered_json qk_part_norms_json(const HeadSpectrum& s, const Config& c) {
  nlohmann::ordered_json norms;
  const auto names = qk_parts(c);
  for (size_t k = 0; k < names.size(); ++k) norms[to_string(names[k])] = s.qk_part_norms[k];
  return norms;
}

nlohmann::ordered_json skip_trigrams_json(const std::vector<SkipTrigram>& ranked,
                                          const data::Tokenizer* tok) {
  nlohmann::ordered_json tri = nlohmann::ordered_json::array();
  for (const SkipTrigram& t : ranked)
    tri.push_back({{"source", token_string(t.source, tok)},
                   {"destination", token_string(t.destination, tok)},
                   {"output", token_string(t.output, tok)},
                   {"ids", {t.source, t.destination, t.output}},
                   {"qk", t.qk},
                   {"ov", t.ov},
                   {"qk_z", t.qk_z},
                   {"ov_z", t.ov_z},
                   {"strength", t.strength}});
  return tri;
}

namespace {

// skip: the head's skip-trigrams, or null when they were not computed.
nlohmann::ordered_json head_json(const HeadSpectrum& s, const HeadSkipTrigrams* skip,
                                 const Config& c, const data::Tokenizer* tok) {
  nlohmann::ordered_json h;
  h["layer"] = s.layer;
  h["head"] = s.head;
  h["ov_copying_score"] = s.ov_copying_score;
  h["qk_copying_score"] = s.qk_copying_score;
  h["ov_eigenvalues"] = eigen_json(s.ov_eigenvalues);
  h["qk_eigenvalues"] = eigen_json(s.qk_eigenvalues);
  h["ov_norm"] = number(s.ov_norm);
  h["qk_part_norms"] = qk_part_norms_json(s, c);
  h["skip_trigrams"] =
      skip ? skip_trigrams_json(skip->ranked, tok) : nlohmann::ordered_json::array();
  return h;
}

// Direct path: the strongest bigrams over all sources, by z-score within the source's row.
nlohmann::ordered_json top_bigrams_json(const CircuitsAnalysis& a, const data::Tokenizer* tok) {
  struct Bigram {
    int64_t a, b;
    double logit, z;
  };
  std::vector<Bigram> bigrams;
  const int64_t S = int64_t(a.sources.size());
  for (int64_t s = 0; s < S && s < int64_t(a.skip.bigrams.size()); ++s) {
    const Moments& m = a.skip.bigram_moments[size_t(s)];
    for (const Entry& e : a.skip.bigrams[size_t(s)])
      bigrams.push_back(
          {a.sources[size_t(s)], e.index, e.value, m.std > 0 ? (e.value - m.mean) / m.std : 0.0});
  }
  std::stable_sort(bigrams.begin(), bigrams.end(),
                   [](const Bigram& x, const Bigram& y) { return x.z > y.z; });
  nlohmann::ordered_json bj = nlohmann::ordered_json::array();
  for (size_t i = 0; i < bigrams.size() && i < size_t(std::max<int64_t>(0, a.n_bigrams)); ++i)
    bj.push_back({{"source", token_string(bigrams[i].a, tok)},
                  {"next", token_string(bigrams[i].b, tok)},
                  {"ids", {bigrams[i].a, bigrams[i].b}},
                  {"logit", bigrams[i].logit},
                  {"z", bigrams[i].z}});
  return bj;
}

nlohmann::ordered_json circuits_definitions() {
  return {
      {"copying_score", "Re sum(l) / sum(|l|) over the d_head eigenvalues l (docs/circuits.md)"},
      {"ov_eigenvalues",
       "of W_O (W_U W_E) W_V: the non-zero eigenvalues of W_E W_OV W_U; "
       "[re, im], largest |l| first"},
      {"qk_eigenvalues", "of W_K^T (W_E^T W_E) W_Q: the non-zero eigenvalues of W_E W_QK W_E^T"},
      {"qk_part_norms",
       "Frobenius norm of each part of the attention score: token_token = "
       "W_E W_QK W_E^T, token_position = W_E W_QK W_pos^T (destination token, "
       "source position), position_token, position_position"},
      {"skip_trigrams",
       "'source ... destination -> output': destination among the top QK[:, source], output "
       "among the top OV[source, :]; strength = qk_z * ov_z, each entry z-scored over the "
       "vocabulary (its row or column), both positive; strongest first"}};
}

}  // namespace

nlohmann::ordered_json circuits_json(const CircuitsAnalysis& a, const data::Tokenizer* tok) {
  const Config& c = a.cfg;
  nlohmann::ordered_json j;
  j["model"] = model_json(c);
  j["caveat"] =
      a.caveat.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(a.caveat);
  j["qk_circuit"] = qk_label(c);
  nlohmann::ordered_json parts = nlohmann::ordered_json::array();
  for (QKPart part : qk_parts(c)) parts.push_back(to_string(part));
  j["qk_parts"] = parts;
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  for (size_t i = 0; i < a.spectra.size(); ++i)
    heads.push_back(head_json(a.spectra[i], i < a.skip.heads.size() ? &a.skip.heads[i] : nullptr,
                              c, tok));
  j["heads"] = heads;
  j["direct_path"] = {{"what",
                       "W_E W_U: for each source token its top next tokens; the "
                       "strongest by z-score over all sources"},
                      {"top_bigrams", top_bigrams_json(a, tok)}};
  nlohmann::ordered_json src = nlohmann::ordered_json::array();
  for (int64_t id : a.sources) src.push_back({{"id", id}, {"token", token_string(id, tok)}});
  j["skip_trigram_sources"] = {{"how", a.sources_note}, {"tokens", src}};
  j["definitions"] = circuits_definitions();
  return j;
}

nlohmann::ordered_json composition_json(const CircuitsAnalysis& a) {
  if (!a.composition_skipped.empty()) {
    nlohmann::ordered_json j;
    j["pairs"] = nlohmann::ordered_json::array();
    j["baseline"] = nullptr;
    j["skipped"] = a.composition_skipped;
    return j;
  }
  nlohmann::ordered_json j =
      composition_json(a.pairs, a.baseline, a.axes, a.prev.values, a.prev.source);
  if (!a.axes_skipped.empty()) j["induction_qk"]["skipped"] = a.axes_skipped;
  return j;
}

std::vector<File> write_circuit_arrays(const CircuitsAnalysis& a, const run::RunDir& run) {
  const Config& c = a.cfg;
  const int64_t L = c.n_layers, H = c.n_heads, K = c.d_head, S = int64_t(a.sources.size());
  std::vector<File> names;
  auto put = [&](File name, const auto* data, const std::vector<int64_t>& shape) {
    io::write_npy(run.path(name), data, shape);
    names.push_back(name);
  };
  for (bool ov : {true, false}) {
    std::vector<double> ev;
    for (const HeadSpectrum& s : a.spectra)
      for (const auto& l : ov ? s.ov_eigenvalues : s.qk_eigenvalues) {
        ev.push_back(l.real());
        ev.push_back(l.imag());
      }
    put(ov ? File::ov_eigenvalues : File::qk_eigenvalues, ev.data(), {L, H, K, 2});
  }
  std::vector<double> scores;
  for (const HeadSpectrum& s : a.spectra) {
    scores.push_back(s.ov_copying_score);
    scores.push_back(s.qk_copying_score);
  }
  put(File::copying_scores, scores.data(), {L, H, 2});

  const int64_t k = a.skip.heads.empty() || a.skip.heads[0].sources.empty()
                        ? 0
                        : int64_t(a.skip.heads[0].sources[0].destinations.size());
  put(File::skip_sources, a.sources.data(), {S});
  // Rows shorter than k (a vocabulary smaller than k) are padded with id -1 and NaN.
  for (bool dest : {true, false}) {
    std::vector<int64_t> ids;
    std::vector<double> values;
    for (const HeadSkipTrigrams& hs : a.skip.heads)
      for (const SourceCircuit& sc : hs.sources) {
        const std::vector<Entry>& e = dest ? sc.destinations : sc.outputs;
        for (int64_t i = 0; i < k; ++i) {
          ids.push_back(i < int64_t(e.size()) ? e[size_t(i)].index : -1);
          values.push_back(i < int64_t(e.size()) ? e[size_t(i)].value : NAN);
        }
      }
    put(dest ? File::skip_destinations : File::skip_outputs, ids.data(), {L, H, S, k});
    put(dest ? File::skip_destination_values : File::skip_output_values, values.data(), {L, H, S, k});
  }
  if (!a.pairs.empty()) {
    for (char kind : {'q', 'k', 'v'}) {
      std::vector<double> m;
      for (const CompositionPair& pr : a.pairs)
        for (const auto& row : kind == 'q' ? pr.q : kind == 'k' ? pr.k : pr.v)
          m.insert(m.end(), row.begin(), row.end());
      put(kind == 'q' ? File::composition_q : kind == 'k' ? File::composition_k : File::composition_v, m.data(),
          {int64_t(a.pairs.size()), H, H});
    }
  }
  if (!a.axes.empty()) {
    std::vector<double> pts;
    for (const InductionAxis& ax : a.axes)
      pts.insert(pts.end(), {double(ax.layer), double(ax.head), ax.ov_copying_score, ax.score});
    put(File::induction_scatter, pts.data(), {int64_t(a.axes.size()), 4});
  }
  return names;
}

}  // namespace cs::analysis
