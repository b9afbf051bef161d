#include "analysis/probes.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/work_budget.h"
#include "core/error.h"
#include "model/forward.h"

namespace cs::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Plain prose with no rare words: a model that copies what it saw predicts the second copy
// almost perfectly, one that does not sees nothing special.
const char* kParagraph =
    "The committee met on a grey Tuesday morning to decide where the new library would stand. "
    "Some members wanted the old mill by the river; others argued for the empty lot behind the "
    "station, where the buses stop.";

const char* kEnglish =
    "The cat is sleeping on the chair near the window. Tomorrow we will visit the old castle with "
    "our friends.";
const char* kFrench =
    " Le chat dort sur la chaise près de la fenêtre. Demain, nous visiterons le vieux château avec "
    "nos amis.";
// Same form, unrelated meaning: what the French costs when the English gives no help.
const char* kUnrelatedEnglish =
    "The weather was cold, and the roads were empty all night. Nobody expected the train to "
    "arrive so early.";

struct XorLine {
  const char* a;
  const char* b;
  bool label;
};
// "true" when the first word is a colour and the second a fruit, or a month and an animal:
// (colour?) XOR (animal?). Balanced, and every line after the fourth is scored.
const XorLine kXor[] = {
    {"red", "dog", false},      {"June", "pear", false},    {"blue", "apple", true},
    {"March", "horse", true},   {"green", "rabbit", false}, {"October", "banana", false},
    {"April", "lion", true},    {"yellow", "grape", true},  {"August", "cherry", false},
    {"purple", "mouse", false}, {"January", "goat", true},  {"brown", "lemon", true},
    {"June", "dog", true},      {"red", "pear", true},      {"March", "apple", false},
    {"blue", "horse", false},
};
constexpr int kXorExamples = 4;  // lines given as examples before scoring starts

Probe repeated_paragraph() {
  Probe p;
  p.name = "repeated_paragraph";
  p.description = "a paragraph, then the same paragraph again; scored: the second copy (induction)";
  p.prompt = {{kParagraph, false}, {"\n\n", false}, {kParagraph, true}};
  p.control = {{kParagraph, true}};
  p.control_description = "the first copy of the paragraph (no earlier copy to read)";
  return p;
}

Probe translation() {
  Probe p;
  p.name = "translation";
  p.description =
      "an English sentence, then its French translation; scored: the French (cross-lingual heads)";
  p.prompt = {{std::string("English: ") + kEnglish + "\nFrench:", false}, {kFrench, true}};
  p.control = {{std::string("English: ") + kUnrelatedEnglish + "\nFrench:", false}, {kFrench, true}};
  p.control_description = "the same French after an unrelated English sentence";
  return p;
}

Probe xor_task() {
  Probe p;
  p.name = "xor";
  p.description =
      "colour-or-month x animal-or-fruit -> true/false, true when exactly one of (colour, animal) "
      "holds, learned from the context; scored: the labels after the first four examples";
  for (size_t i = 0; i < std::size(kXor); ++i) {
    p.prompt.push_back({std::string(i ? "\n" : "") + kXor[i].a + " " + kXor[i].b + ":", false});
    p.prompt.push_back({kXor[i].label ? " true" : " false", int(i) >= kXorExamples});
  }
  p.choices = {" true", " false"};
  return p;
}

template <class T>
double mean_at(const std::vector<T>& loss, const std::vector<int64_t>& positions) {
  double s = 0;
  for (int64_t p : positions) s += double(loss[size_t(p - 1)]);
  return s / double(positions.size());
}

// Loss of the answer tokens of an encoded prompt (loss[i] predicts token i + 1).
template <class T>
Activations<T> run(const Params<T>& params, const EncodedProbe& e, bool logits) {
  Activations<T> acts(params.cfg, 1, int64_t(e.tokens.size()) - 1, logits);
  acts.set_windows(e.tokens.data());
  forward(params, acts);
  return acts;
}

// Fraction of scored choice segments where the right choice's first distinguishing token gets
// the higher logit.
template <class T>
double choice_accuracy(const Probe& probe, const EncodedProbe& e, const Activations<T>& acts,
                       const data::Tokenizer& tok) {
  if (probe.choices.size() != 2) return kNaN;
  const std::vector<int32_t> a = tok.encode(probe.choices[0]), b = tok.encode(probe.choices[1]);
  size_t d = 0;
  while (d < a.size() && d < b.size() && a[d] == b[d]) ++d;
  if (d == a.size() || d == b.size()) return kNaN;  // one choice is a prefix of the other
  const int64_t V = acts.cfg.d_vocab;
  int right = 0, total = 0;
  for (size_t s = 0; s < probe.prompt.size(); ++s) {
    const ProbeSegment& seg = probe.prompt[s];
    if (!seg.scored) continue;
    const bool is_a = seg.text == probe.choices[0];
    if (!is_a && seg.text != probe.choices[1]) continue;
    const int64_t q = e.segment_start[s] + int64_t(d);  // the distinguishing token's position
    const T* row = acts.logits.data() + (q - 1) * V;
    const bool says_a = row[a[d]] > row[b[d]];
    right += says_a == is_a;
    ++total;
  }
  return total ? double(right) / double(total) : kNaN;
}

// Every head when its passes (and the clean and control passes) fit max_flops; otherwise those
// that write most at the rows predicting the answer, as many as fit.
template <class T>
std::vector<bool> heads_to_ablate(const Params<T>& params, const Activations<T>& clean, const EncodedProbe& e,
                                  double max_flops, std::string& limited) {
  const Config& c = params.cfg;
  const int64_t n = int64_t(c.n_layers) * c.n_heads, positions = clean.Tn;
  const double pass = double(positions) * forward_flops_per_token(c, positions);
  if (double(n + 2) * pass <= max_flops) return std::vector<bool>(size_t(n), true);
  std::vector<int64_t> rows;
  for (int64_t p : e.answer_positions) rows.push_back(p - 1);
  const std::vector<bool> keep =
      heads_that_fit(head_writes(params, clean, rows), std::vector<double>(size_t(n), pass), max_flops - 2 * pass);
  limited = "work budget: ablated " + count_of(std::count(keep.begin(), keep.end(), true), n, "heads") +
            " (those writing most at the answer rows; the others null)";
  return keep;
}

}  // namespace

std::vector<Probe> builtin_probes() { return {repeated_paragraph(), translation(), xor_task()}; }

const Probe& builtin_probe(const std::string& name) {
  static const std::vector<Probe> probes = builtin_probes();
  std::string names;
  for (const Probe& p : probes) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  fail("no built-in probe named '" + name + "' (there are: " + names + ")");
}

Probe custom_probe(const std::string& context, const std::string& answer) {
  CS_CHECK(!answer.empty(), "a custom probe needs a non-empty answer");
  Probe p;
  p.name = "custom";
  p.description = "the given context, then the given answer; scored: the answer";
  if (!context.empty()) p.prompt.push_back({context, false});
  p.prompt.push_back({answer, true});
  p.control = {{answer, true}};
  p.control_description = "the answer alone, after BOS";
  return p;
}

EncodedProbe encode_probe(const std::vector<ProbeSegment>& segments, const data::Tokenizer& tok,
                          int n_ctx, int d_vocab, const std::string& name) {
  EncodedProbe e;
  e.tokens.push_back(tok.bos_id());
  for (const ProbeSegment& s : segments) {
    e.segment_start.push_back(int64_t(e.tokens.size()));
    for (int32_t id : tok.encode(s.text)) {
      CS_CHECK(tok.piece(id) != "<unk>",
               "probe '" << name << "': the tokenizer has no token for part of \"" << s.text << "\"");
      if (s.scored) e.answer_positions.push_back(int64_t(e.tokens.size()));
      e.tokens.push_back(id);
    }
  }
  for (int32_t id : e.tokens)
    CS_CHECK(id >= 0 && id < d_vocab, "probe '" << name << "': token " << id
                                                << " is not in the model's vocabulary [0, "
                                                << d_vocab << ")");
  CS_CHECK(!e.answer_positions.empty(), "probe '" << name << "' has no answer tokens");
  // The last token is only a target, so a prompt of n_ctx + 1 tokens still fits one pass.
  CS_CHECK(int64_t(e.tokens.size()) <= int64_t(n_ctx) + 1,
           "probe '" << name << "' is " << e.tokens.size() - 1 << " tokens long after BOS, more than n_ctx "
                     << n_ctx << " allows");
  return e;
}

template <class T>
ProbeResult run_probe(const Params<T>& params, const data::Tokenizer& tok, const Probe& probe,
                      double max_flops) {
  const Config& c = params.cfg;
  const EncodedProbe e = encode_probe(probe.prompt, tok, c.n_ctx, c.d_vocab, probe.name);
  ProbeResult r;
  r.name = probe.name;
  r.description = probe.description;
  r.control_description = probe.control_description;
  r.n_tokens = int64_t(e.tokens.size());
  r.n_answer_tokens = int64_t(e.answer_positions.size());
  r.n_layers = c.n_layers;
  r.n_heads = c.n_heads;
  for (int64_t p : e.answer_positions) r.answer_pieces.push_back(tok.piece(e.tokens[size_t(p)]));

  const Activations<T> clean = run(params, e, !probe.choices.empty());
  r.answer_loss = mean_at(clean.loss, e.answer_positions);
  r.accuracy = probe.choices.empty() ? kNaN : choice_accuracy(probe, e, clean, tok);
  r.control_loss = kNaN;
  if (!probe.control.empty()) {
    const EncodedProbe ce = encode_probe(probe.control, tok, c.n_ctx, c.d_vocab, probe.name + " (control)");
    r.control_loss = mean_at(run(params, ce, false).loss, ce.answer_positions);
  }
  const std::vector<bool> heads = heads_to_ablate(params, clean, e, max_flops, r.limited);
  Interventions<T> iv;
  iv.freeze_patterns = &clean;
  Activations<T> var(c, 1, int64_t(e.tokens.size()) - 1);
  var.set_windows(e.tokens.data());
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < c.n_heads; ++h) {
      if (!heads[size_t(l * c.n_heads + h)]) {
        r.head_delta_loss.push_back(kNaN);
        continue;
      }
      iv.ablate = {{l, h, HeadAblation::Kind::zero}};
      forward(params, var, &iv);
      r.head_delta_loss.push_back(mean_at(var.loss, e.answer_positions) - r.answer_loss);
    }
  return r;
}

std::vector<size_t> ProbeResult::heads_by_importance() const {
  std::vector<size_t> order;  // the heads ablated: one the work budget left out has a NaN delta
  for (size_t i = 0; i < head_delta_loss.size(); ++i)
    if (!std::isnan(head_delta_loss[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return head_delta_loss[a] > head_delta_loss[b]; });
  return order;
}

nlohmann::ordered_json ProbeResult::to_json() const {
  auto num = [](double x) {
    return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json j;
  j["name"] = name;
  j["description"] = description;
  j["n_tokens"] = n_tokens;
  j["n_answer_tokens"] = n_answer_tokens;
  j["answer_loss"] = num(answer_loss);
  j["control_loss"] = num(control_loss);
  if (!control_description.empty()) j["control"] = control_description;
  j["context_gain_nats"] = num(control_loss - answer_loss);
  j["accuracy"] = num(accuracy);
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  for (size_t i : heads_by_importance())
    heads.push_back({{"layer", int(i) / n_heads},
                     {"head", int(i) % n_heads},
                     {"delta_answer_loss", head_delta_loss[i]}});
  j["heads_by_importance"] = heads;
  nlohmann::ordered_json grid = nlohmann::ordered_json::array();
  for (int l = 0; l < n_layers; ++l) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (int h = 0; h < n_heads; ++h) row.push_back(num(head_delta_loss[size_t(l * n_heads + h)]));
    grid.push_back(row);
  }
  j["head_delta_loss"] = grid;
  j["answer_tokens"] = answer_pieces;
  if (!limited.empty()) j["limited"] = limited;
  return j;
}

template ProbeResult run_probe<float>(const Params<float>&, const data::Tokenizer&, const Probe&, double);
template ProbeResult run_probe<double>(const Params<double>&, const data::Tokenizer&, const Probe&, double);

}  // namespace cs::analysis
