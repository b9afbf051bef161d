#include "report/findings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <optional>

#include "analysis/evaluators.h"
#include "core/format.h"
#include "report/plot.h"
#include "report/sentences.h"

namespace cs::report {

namespace {

std::string name(int layer, int head) { return format("%d.%d", layer, head); }

struct HeadValue {
  int layer = 0, head = 0;
  double value = std::numeric_limits<double>::quiet_NaN();
};

// The head with the largest finite value of `score(layer, head)`.
template <class F>
HeadValue highest(int n_layers, int n_heads, F score) {
  HeadValue best;
  for (int l = 0; l < n_layers; ++l)
    for (int h = 0; h < n_heads; ++h) {
      const double v = score(l, h);
      if (std::isfinite(v) && !(v <= best.value)) best = {l, h, v};
    }
  return best;
}

bool has_kind(const analysis::HeadsReport& r, int l, int h, const std::string& kind) {
  const auto k = r.kinds(l, h);
  return std::find(k.begin(), k.end(), kind) != k.end();
}

std::vector<std::pair<int, int>> heads_of_kind(const analysis::HeadsReport& r, const std::string& kind) {
  std::vector<std::pair<int, int>> out;
  for (int l = 0; l < r.n_layers(); ++l)
    for (int h = 0; h < r.n_heads(); ++h)
      if (has_kind(r, l, h, kind)) out.emplace_back(l, h);
  return out;
}

// Composition score of one kind from head (l1, h1) into (l2, h2); NaN when not computed.
double composition(const analysis::CircuitsAnalysis& c, analysis::CompositionKind kind, int l1, int h1, int l2,
                   int h2) {
  for (const analysis::CompositionPair& p : c.pairs) {
    if (p.l1 != l1 || p.l2 != l2) continue;
    const auto& m = kind == analysis::CompositionKind::Q ? p.q : kind == analysis::CompositionKind::K ? p.k : p.v;
    return m[size_t(h1)][size_t(h2)];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void icl_findings(const FindingInputs& in, std::vector<Finding>& out) {
  if (!in.icl) {
    out.push_back({"No ICL curve" + (in.icl_note.empty() ? std::string(".") : ": " + in.icl_note + "."),
                   anchor::icl});
    return;
  }
  const analysis::IclResult& r = *in.icl;
  const analysis::Window e = r.positions.early_window, l = r.positions.late_window;
  if (!r.icl_score.empty()) {
    const double score = r.icl_score.back(), err = r.icl_stderr.back();
    out.push_back({format("The final ICL score is %s%s nats: the loss at token positions %lld–%lld minus the loss at "
                       "%lld–%lld (negative: later tokens are predicted better).",
                       score_text(score).c_str(), std::isfinite(err) ? format(" ± %.2f", err).c_str() : "",
                       (long long)l.first, (long long)l.last, (long long)e.first, (long long)e.last),
                   anchor::icl});
  }
  if (const auto& p = r.phase_change) {
    out.push_back({format("Phase change: the smoothed ICL score fell by %.3f nats between %s and %s training tokens "
                       "(steps %lld–%lld), fastest at %s tokens.",
                       -p->delta_nats, tokens_text(double(p->start_tokens)).c_str(),
                       tokens_text(double(p->end_tokens)).c_str(), (long long)p->start_step, (long long)p->end_step,
                       tokens_text(double(p->steepest_tokens)).c_str()),
                   anchor::icl});
  } else {
    out.push_back({format("No phase change: the smoothed ICL score never fell by %.2f nats within the rule's window.",
                       r.min_drop_nats),
                   anchor::icl});
  }
}

void bump_finding(const FindingInputs& in, std::vector<Finding>& out) {
  if (!in.icl || !in.icl->phase_change || !in.loss_curve) return;
  if (const auto& b = in.loss_curve->bump)
    out.push_back({format("The training loss bends with it: it is non-convex in ln(tokens) between %s and %s tokens, "
                       "overlapping the phase-change window (the bump).",
                       tokens_text(b->start_tokens).c_str(), tokens_text(b->end_tokens).c_str()),
                   anchor::loss});
  else
    out.push_back({"The training loss shows no non-convex stretch overlapping the phase-change window (no bump).",
                   anchor::loss});
}

// The K-composition clause of the induction sentence: with which previous-token head their keys
// compose, against the random baseline.
std::string k_composition_clause(const FindingInputs& in, const std::vector<std::pair<int, int>>& induction) {
  const analysis::CircuitsAnalysis* c = in.circuits;
  if (!c || c->pairs.empty()) return "";
  const auto previous = heads_of_kind(*in.heads, "previous-token");
  std::vector<std::pair<int, int>> sources;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [l2, h2] : induction) {
    double best = -INFINITY;
    for (const auto& [l1, h1] : previous) {
      if (l1 >= l2) continue;
      const double k = composition(*c, analysis::CompositionKind::K, l1, h1, l2, h2);
      if (!std::isfinite(k)) continue;
      best = std::max(best, k);
      if (std::find(sources.begin(), sources.end(), std::pair(l1, h1)) == sources.end()) sources.emplace_back(l1, h1);
    }
    if (std::isfinite(best)) lo = std::min(lo, best), hi = std::max(hi, best);
  }
  if (sources.empty())
    return format("; no earlier head is a previous-token head (threshold %.1f) for their keys to compose with",
               in.heads->thresholds.previous_token);
  return format(", keys K-composed with the previous-token %s %s (%s against a %.2f random baseline)",
             plural(sources.size(), "head", "heads").c_str(), head_list(sources).c_str(),
             range_text(lo, hi, "%.2f").c_str(), c->baseline.mean);
}

void formation_finding(const FindingInputs& in, size_t n_induction, std::vector<Finding>& out) {
  const char* they = n_induction == 1 ? "It" : "They";
  const analysis::HeadsOverTraining* over = in.heads_over_training;
  if (!over || over->steps.size() < 2) {
    out.push_back({format("When %s formed is not known: the heads were not scored over training.",
                       n_induction == 1 ? "it" : "they"),
                   anchor::heads_over_training});
    return;
  }
  const double threshold = in.heads->thresholds.induction;
  const auto f = analysis::first_induction_head(*over, threshold);
  if (!f) {
    out.push_back({format("Over training no head after layer 0 reached prefix matching %.1f on the scored snapshots.",
                       threshold),
                   anchor::heads_over_training});
    return;
  }
  const auto [after_tokens, by_tokens] = over->tokens_before_and_at(f->snapshot);
  const double after = double(after_tokens), by = double(by_tokens);
  std::string when = f->snapshot == 0
                         ? format("%s were there from the first scored snapshot (%s tokens)", they,
                               tokens_text(by).c_str())
                         : format("%s formed between %s and %s training tokens", they, tokens_text(after).c_str(),
                               tokens_text(by).c_str());
  when += format(" (head %s first reached prefix matching %.1f)", name(f->layer, f->head).c_str(), threshold);
  const auto& p = in.icl ? in.icl->phase_change : std::nullopt;
  if (!p) {
    when += in.icl ? "; the ICL curve has no phase change to compare with" : "";
  } else {
    const bool inside = by >= double(p->start_tokens) && after <= double(p->end_tokens);
    when += format(", %s the phase-change window (%s–%s)", inside ? "inside" : "outside",
                tokens_text(double(p->start_tokens)).c_str(), tokens_text(double(p->end_tokens)).c_str());
  }
  out.push_back({when + ".", anchor::heads_over_training});
}

void joint_ablation_finding(const FindingInputs& in, std::vector<Finding>& out) {
  const analysis::JointAblation* a = in.induction_ablation;
  if (!a) return;
  const std::string how = "Ablating them together (" + analysis::to_string(a->kind) + ")";
  const double d = a->delta_icl();
  if (d > 0)
    out.push_back({format("%s raises the ICL score from %s to %s nats: they carry %s nats of the in-context "
                       "learning.",
                       how.c_str(), score_text(a->clean_icl).c_str(), score_text(a->ablated_icl).c_str(),
                       nats_text(d).c_str()),
                   anchor::ablation});
  else
    out.push_back({format("%s does not raise the ICL score (%s to %s nats): the in-context learning does not run "
                       "through them.",
                       how.c_str(), score_text(a->clean_icl).c_str(), score_text(a->ablated_icl).c_str()),
                   anchor::ablation});
}

void head_findings(const FindingInputs& in, std::vector<Finding>& out) {
  if (!in.heads) {
    out.push_back({"The heads were not analysed: no head kinds, prefix matching or previous-token scores.",
                   anchor::heads});
    return;
  }
  const analysis::HeadsReport& r = *in.heads;
  const analysis::HeadEvaluation& e = r.evaluation;
  const auto induction = induction_heads(r);
  if (induction.empty()) {
    const HeadValue best = highest(r.n_layers(), r.n_heads(), [&](int l, int h) { return e.at(e.prefix_matching, l, h); });
    out.push_back({format("No head reaches the induction threshold %.1f of prefix matching: the highest is %.2f "
                       "(head %s).",
                       r.thresholds.induction, best.value, name(best.layer, best.head).c_str()),
                   anchor::heads});
  } else {
    std::vector<std::string> pm;
    double ov_lo = INFINITY, ov_hi = -INFINITY;
    bool all_copying = true;
    for (const auto& [l, h] : induction) {
      pm.push_back(format("%.2f", e.at(e.prefix_matching, l, h)));
      const double ov = r.spectra[size_t(l * r.n_heads() + h)].ov_copying_score;
      ov_lo = std::min(ov_lo, ov), ov_hi = std::max(ov_hi, ov);
      all_copying = all_copying && ov >= r.thresholds.ov_copying;
    }
    const std::string ov = range_text(ov_lo, ov_hi, "%+.2f");
    std::string text = format("%s %s %s: prefix matching %s, %s (%s)",
                           induction.size() == 1 ? "Head" : "Heads", head_list(induction).c_str(),
                           induction.size() == 1 ? "is an induction head" : "are induction heads",
                           joined(pm, "/").c_str(),
                           all_copying ? plural(induction.size(), "a copying OV circuit", "copying OV circuits").c_str()
                                       : "OV eigenvalue copying scores",
                           ov.c_str());
    text += k_composition_clause(in, induction) + ".";
    out.push_back({text, anchor::heads});
    formation_finding(in, induction.size(), out);
    joint_ablation_finding(in, out);
  }

  const auto previous = heads_of_kind(r, "previous-token");
  if (previous.empty()) {
    const HeadValue best = highest(r.n_layers(), r.n_heads(), [&](int l, int h) { return e.at(e.previous_token, l, h); });
    out.push_back({format("No head attends mainly to the previous token: the highest previous-token score is %.2f "
                       "(head %s), below the threshold %.1f.",
                       best.value, name(best.layer, best.head).c_str(), r.thresholds.previous_token),
                   anchor::heads});
  } else {
    std::vector<std::string> share;
    for (const auto& [l, h] : previous) share.push_back(format("%.2f", e.at(e.previous_token, l, h)));
    out.push_back({format("%s %s %s: %s of %s attention goes to the previous token.",
                       previous.size() == 1 ? "Head" : "Heads", head_list(previous).c_str(),
                       previous.size() == 1 ? "is a previous-token head" : "are previous-token heads",
                       joined(share, "/").c_str(), previous.size() == 1 ? "its" : "their"),
                   anchor::heads});
  }
}

void copying_finding(const FindingInputs& in, std::vector<Finding>& out) {
  const std::vector<analysis::HeadSpectrum>* spectra =
      in.circuits ? &in.circuits->spectra : in.heads ? &in.heads->spectra : nullptr;
  if (!spectra || spectra->empty()) return;
  const double threshold = in.heads ? in.heads->thresholds.ov_copying : analysis::KindThresholds{}.ov_copying;
  std::vector<std::pair<int, int>> copying;
  double lo = INFINITY, hi = -INFINITY;
  const analysis::HeadSpectrum* best = &spectra->front();
  for (const analysis::HeadSpectrum& s : *spectra) {
    if (s.ov_copying_score > best->ov_copying_score) best = &s;
    if (s.ov_copying_score < threshold) continue;
    copying.emplace_back(s.layer, s.head);
    lo = std::min(lo, s.ov_copying_score), hi = std::max(hi, s.ov_copying_score);
  }
  if (copying.empty())
    out.push_back({format("No head's OV circuit copies: the highest OV eigenvalue copying score is %s (head %s), below "
                       "%.1f.",
                       score_text(best->ov_copying_score).c_str(), name(best->layer, best->head).c_str(), threshold),
                   anchor::eigenvalues});
  else
    out.push_back({format("%zu of %zu heads have copying OV circuits (eigenvalue copying score %s, at least %.1f): %s.",
                       copying.size(), spectra->size(), range_text(lo, hi, "%+.2f").c_str(), threshold,
                       head_list(copying).c_str()),
                   anchor::eigenvalues});
}

void composition_finding(const FindingInputs& in, std::vector<Finding>& out) {
  const analysis::CircuitsAnalysis* c = in.circuits;
  if (!c) {
    out.push_back({"Composition was not computed: the circuit analysis is missing.", anchor::composition});
    return;
  }
  if (c->pairs.empty()) {
    const bool one_layer = c->cfg.n_layers < 2;
    out.push_back({one_layer ? format("No composition: the model has %d layer.", c->cfg.n_layers)
                             : "Composition was not computed: " + c->composition_skipped + ".",
                   anchor::composition});
    return;
  }
  std::vector<std::string> parts;
  for (auto kind : {analysis::CompositionKind::K, analysis::CompositionKind::Q, analysis::CompositionKind::V}) {
    double best = -INFINITY;
    std::string where;
    for (const analysis::CompositionPair& p : c->pairs) {
      const auto& m = kind == analysis::CompositionKind::Q ? p.q : kind == analysis::CompositionKind::K ? p.k : p.v;
      for (size_t h1 = 0; h1 < m.size(); ++h1)
        for (size_t h2 = 0; h2 < m[h1].size(); ++h2)
          if (m[h1][h2] > best) {
            best = m[h1][h2];
            where = name(p.l1, int(h1)) + " → " + name(p.l2, int(h2));
          }
    }
    const char* label = kind == analysis::CompositionKind::K ? "K" : kind == analysis::CompositionKind::Q ? "Q" : "V";
    parts.push_back(format("%s %s at %.2f (%.1f× baseline)", label, where.c_str(), best,
                        c->baseline.mean > 0 ? best / c->baseline.mean : NAN));
  }
  out.push_back({format("Strongest composition: %s; the random baseline is %.3f ± %.3f.", joined(parts, ", ").c_str(),
                     c->baseline.mean, c->baseline.std),
                 anchor::composition});
}

void ablation_finding(const FindingInputs& in, std::vector<Finding>& out) {
  const analysis::AblationReport* a = in.ablation;
  if (!a || a->sweep.snapshots.empty()) {
    out.push_back({"The heads were not ablated: no ΔICL per head.", anchor::ablation});
    return;
  }
  size_t i = a->sweep.snapshots.size() - 1;
  for (size_t k = 0; k < a->steps.size(); ++k)
    if (a->steps[k] == in.ablation_step) i = k;
  const analysis::HeadAblationIcl& r = a->sweep.snapshots[i];
  const HeadValue up = highest(r.n_layers, r.n_heads, [&](int l, int h) { return r.delta_icl(l, h); });
  const HeadValue down = highest(r.n_layers, r.n_heads, [&](int l, int h) { return -r.delta_icl(l, h); });
  if (!std::isfinite(up.value)) return;
  std::string text = format("Ablating one head at a time (%s, step %lld), head %s raises the ICL score most (%s nats)",
                         analysis::to_string(r.kind).c_str(), (long long)a->steps[i], name(up.layer, up.head).c_str(),
                         signed_text(up.value).c_str());
  if (down.value > 0)
    text += format(" and head %s lowers it most (%s nats)", name(down.layer, down.head).c_str(),
                signed_text(-down.value).c_str());
  out.push_back({text + ".", anchor::ablation});
  if (r.mlp_zero_icl.empty()) return;
  const std::vector<double> zero = r.mlp_delta_icl(HeadAblation::Kind::zero), mean = r.mlp_delta_icl(HeadAblation::Kind::mean);
  text = "Ablating each MLP layer changes the ICL score by";
  for (size_t l = 0; l < zero.size(); ++l)
    text += format("%s %s nats (MLP %zu zeroed) and %s (replaced by its mean)", l ? ";" : "", signed_text(zero[l]).c_str(), l,
                   signed_text(mean[l]).c_str());
  out.push_back({text + ".", anchor::ablation});
}

std::string order_terms(size_t k) {
  if (k == 1) return "the heads' own terms";
  if (k == 2) return "the virtual heads (pairs)";
  return format("chains of %zu heads", k);
}

void paths_finding(const FindingInputs& in, std::vector<Finding>& out) {
  if (!in.paths) {
    out.push_back({"Path expansion was not computed.", anchor::paths});
    return;
  }
  const analysis::PathExpansion& pe = in.paths->expansion;
  if (pe.loss_by_order.size() < 2) return;
  const bool mlps = !pe.mlp_term.empty();
  std::string text = format(mlps ? "Path expansion (patterns and MLP outputs frozen): the direct path with the MLP "
                                   "outputs gives a loss of %.2f nats"
                                 : "Path expansion (patterns frozen): the direct path alone gives a loss of %.2f nats",
                            pe.loss_by_order[0]);
  for (size_t k = 1; k < pe.loss_by_order.size(); ++k)
    text += format("%s %s %s %s nats%s", k == 1 ? ";" : ",", order_terms(k).c_str(), k == 1 ? "take" : "another",
                nats_text(pe.loss_by_order[k - 1] - pe.loss_by_order[k]).c_str(), k == 1 ? " off it" : "");
  text += format(", down to the full model's %.2f", pe.loss_by_order.back());
  const HeadValue best =
      highest(pe.n_layers, pe.n_heads, [&](int l, int h) { return pe.head_term[size_t(l * pe.n_heads + h)]; });
  if (std::isfinite(best.value))
    text += format("; the head whose own term matters most is %s (%s nats)", name(best.layer, best.head).c_str(),
                nats_text(best.value).c_str());
  for (size_t l = 0; l < pe.mlp_all_terms.size(); ++l)
    text += format("%s MLP %zu's frozen output is worth %s nats with every head that reads it", l ? "," : ";", l,
                   nats_text(pe.mlp_all_terms[l]).c_str());
  out.push_back({text + ".", anchor::paths});
}

void probe_findings(const FindingInputs& in, std::vector<Finding>& out) {
  if (!in.probes) {
    out.push_back({"The probes were not run.", anchor::probes});
    return;
  }
  for (const analysis::ProbeResult& p : in.probes->results) {
    std::string text = format("Probe %s: answer loss %.2f nats per token", p.name.c_str(), p.answer_loss);
    if (std::isfinite(p.control_loss))
      text += format(" against %.2f for its control, so the context is worth %s nats", p.control_loss,
                  signed_text(p.control_loss - p.answer_loss).c_str());
    if (std::isfinite(p.accuracy)) text += format("; accuracy %.0f%%", 100 * p.accuracy);
    const HeadValue top = highest(p.n_layers, p.n_heads,
                                  [&](int l, int h) { return p.head_delta_loss[size_t(l * p.n_heads + h)]; });
    if (std::isfinite(top.value) && top.value > 0)
      text += format("; ablating head %s raises the answer loss most (%s nats)", name(top.layer, top.head).c_str(),
                  signed_text(top.value).c_str());
    out.push_back({text + ".", anchor::probes});
  }
  for (const auto& s : in.probes->skipped)
    out.push_back({"Probe " + s.name + " skipped: " + s.reason + ".", anchor::probes});
}

}  // namespace

std::string head_list(const std::vector<std::pair<int, int>>& heads) {
  std::vector<std::string> names;
  for (const auto& [layer, head] : heads) names.push_back(name(layer, head));
  return listed(names);
}

std::vector<std::pair<int, int>> induction_heads(const analysis::HeadsReport& heads) {
  return heads_of_kind(heads, "induction");
}

std::vector<Finding> findings(const FindingInputs& in) {
  std::vector<Finding> out;
  icl_findings(in, out);
  bump_finding(in, out);
  head_findings(in, out);
  copying_finding(in, out);
  composition_finding(in, out);
  ablation_finding(in, out);
  paths_finding(in, out);
  probe_findings(in, out);
  for (Finding& f : out) f.text = typeset_minus(std::move(f.text));
  return out;
}

}  // namespace cs::report
