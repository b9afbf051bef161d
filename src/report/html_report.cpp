#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "analysis/ablation_report.h"
#include "analysis/circuits.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "core/format.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"
#include "report/html_page.h"
#include "report/plot_canvas.h"
#include "report/plot_circuits.h"
#include "report/plot_heads.h"
#include "report/plot_icl.h"

namespace cs::report {

namespace {

namespace fs = std::filesystem;
using html::esc;
using html::missing;
using html::note;
using html::num;
using html::page_open;
using html::picture;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string head_name(int layer, int head) { return format("%d.%d", layer, head); }

std::vector<double> numbers(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& x : j) v.push_back(x.is_null() ? kNaN : x.get<double>());
  return v;
}

analysis::Window window(const nlohmann::json& j) { return {j.at(0).get<int64_t>(), j.at(1).get<int64_t>()}; }

// analysis/icl.json back into the result that wrote it, for a run shipped without its
// per-sequence losses.
analysis::IclResult icl_from_json(const nlohmann::json& j) {
  analysis::IclResult r;
  r.steps = j.at("steps").get<std::vector<int64_t>>();
  r.tokens = j.at("tokens").get<std::vector<int64_t>>();
  r.icl_score = numbers(j.at("icl_score"));
  r.icl_stderr = numbers(j.at("icl_stderr"));
  r.early_loss = numbers(j.at("early_loss"));
  r.late_loss = numbers(j.at("late_loss"));
  r.icl_score_smoothed = numbers(j.at("icl_score_smoothed"));
  r.d_icl_d_logtokens = numbers(j.at("d_icl_d_logtokens"));
  r.d2_icl_d_logtokens2 = numbers(j.at("d2_icl_d_logtokens2"));
  const auto& p = j.at("parameters");
  r.positions.early_index = p.at("early_index");
  r.positions.late_index = p.at("late_index");
  r.positions.early_window = window(p.at("early_window"));
  r.positions.late_window = window(p.at("late_window"));
  r.positions.defaults_scaled = p.value("defaults_scaled_to_n_ctx", false);
  r.n_ctx = p.at("n_ctx");
  r.n_eval = p.at("n_eval");
  r.sigma_snapshots = p.at("sigma_snapshots");
  r.min_drop_nats = p.at("min_drop_nats");
  r.search_from_step = p.value("search_from_step", int64_t(0));
  const size_t n = r.steps.size();
  for (const auto* v : {&r.icl_score, &r.icl_stderr, &r.icl_score_smoothed, &r.d_icl_d_logtokens,
                        &r.d2_icl_d_logtokens2})
    CS_CHECK(v->size() == n && r.tokens.size() == n, "its arrays do not have one entry per snapshot");
  CS_CHECK(n > 0, "it has no snapshots");
  if (const auto& pc = j.at("phase_change"); !pc.is_null()) {
    analysis::PhaseChange c;
    c.start_snapshot = pc.at("start_snapshot");
    c.end_snapshot = pc.at("end_snapshot");
    c.start_step = pc.at("start_step");
    c.end_step = pc.at("end_step");
    c.start_tokens = pc.at("start_tokens");
    c.end_tokens = pc.at("end_tokens");
    c.steepest_tokens = pc.at("steepest_tokens");
    c.steepest_derivative = pc.at("steepest_derivative");
    c.delta_nats = pc.at("delta_nats");
    r.phase_change = c;
  }
  return r;
}

// ---- the page ------------------------------------------------------------------------------

struct Section {
  const char* id;
  const char* title;
};

const Section kSections[] = {
    {"findings", "Findings"},
    {anchor::loss, "Training loss"},
    {anchor::icl_heatmap, "Loss by token position over training"},
    {anchor::icl, "In-context learning score"},
    {anchor::heads, "Heads"},
    {anchor::heads_over_training, "Heads over training"},
    {anchor::eigenvalues, "OV and QK eigenvalues"},
    {anchor::induction_scatter, "Induction: OV copying against the induction QK score"},
    {anchor::composition, "Composition"},
    {anchor::paths, "Path expansion"},
    {anchor::ablation, "Ablations"},
    {anchor::skip_trigrams, "Skip-trigrams"},
    {anchor::probes, "Probes"},
};

std::string title_of(const std::string& id) {
  for (const Section& s : kSections)
    if (id == s.id) return s.title;
  return id;
}

std::string open_section(const char* id) {
  return format("<section id=\"%s\">\n<h2>%s</h2>\n", id, esc(title_of(id)).c_str());
}

std::string tokens_text(double t) { return format_si(t); }

// A horizontal bar for a value, scaled to `scale` (the column's largest magnitude).
std::string bar(double v, double scale, int width = 120) {
  if (!std::isfinite(v) || !(scale > 0)) return "";
  const int w = int(std::lround(std::min(1.0, std::abs(v) / scale) * width));
  return format("<span class=\"bar %s\" style=\"width:%dpx\"></span>", v >= 0 ? "pos" : "neg", w);
}

std::string token_cell(int64_t id, const data::Tokenizer* tok) {
  return "<code class=\"tok\">" + esc(analysis::token_string(id, tok)) + "</code>";
}

// The legend goes into the corner of the first panel that the data leave emptiest: where the
// curve runs depends on the run (an ICL score may rise or fall), and a legend over the data hides it.
void place_legend(Axes& a) {
  auto axis = [](double v, Scale s) { return s == Scale::Log ? std::log(v) : v; };
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : a.series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (detail::Frame::placeable(s.x[i], a.x_scale) && std::isfinite(s.y[i])) {
        x_lo = std::min(x_lo, axis(s.x[i], a.x_scale)), x_hi = std::max(x_hi, axis(s.x[i], a.x_scale));
        y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
      }
  if (!(x_hi > x_lo && y_hi > y_lo)) return;
  const LegendPlace corners[] = {LegendPlace::TopLeft, LegendPlace::TopRight, LegendPlace::BottomLeft,
                                 LegendPlace::BottomRight};
  int best = -1, best_count = 0;
  for (int c = 0; c < 4; ++c) {
    const bool left = c % 2 == 0, top = c < 2;
    int count = 0;
    for (const Series& s : a.series)
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!detail::Frame::placeable(s.x[i], a.x_scale) || !std::isfinite(s.y[i])) continue;
        const double fx = (axis(s.x[i], a.x_scale) - x_lo) / (x_hi - x_lo), fy = (s.y[i] - y_lo) / (y_hi - y_lo);
        count += (left ? fx < 0.4 : fx > 0.6) && (top ? fy > 0.65 : fy < 0.35);
      }
    if (best < 0 || count < best_count) best = c, best_count = count;
  }
  a.legend = corners[best];
}

// A layer-by-head (or head-by-head) grid of numbers, each cell shaded by its value: exact where a
// heatmap's axes cannot name every head. Diverging grids are blue above zero and red below.
struct Grid {
  std::string corner;
  std::vector<std::string> rows, cols;
  std::vector<double> values;  // [rows, cols]
  bool diverging = false;
  const char* format = "%.2f";
  double scale = 0;  // the value of full colour; 0: the largest |value|
};

std::string grid_table(const Grid& g) {
  double scale = g.scale;
  if (!(scale > 0))
    for (double v : g.values)
      if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  std::string t = "<table class=\"grid\">\n<tr><th class=\"l\">" + esc(g.corner) + "</th>";
  for (const std::string& c : g.cols) t += "<th>" + esc(c) + "</th>";
  t += "</tr>\n";
  for (size_t r = 0; r < g.rows.size(); ++r) {
    t += "<tr><th class=\"l\">" + esc(g.rows[r]) + "</th>";
    for (size_t c = 0; c < g.cols.size(); ++c) {
      const double v = g.values[r * g.cols.size() + c];
      const double f = std::isfinite(v) && scale > 0 ? std::min(1.0, std::abs(v) / scale) : 0;
      // White to the colour of the sign, in proportion to |v|.
      const bool neg = g.diverging && v < 0;
      const double tr = neg ? 0.75 : 0.17, tg = neg ? 0.22 : 0.36, tb = neg ? 0.17 : 0.61;
      const int R = int(std::lround(255 * (1 + f * (tr - 1)))), G = int(std::lround(255 * (1 + f * (tg - 1)))),
                B = int(std::lround(255 * (1 + f * (tb - 1))));
      t += format("<td style=\"background:rgb(%d,%d,%d)%s\">%s</td>", R, G, B, f > 0.55 ? ";color:#fff" : "",
               num(v, g.format).c_str());
    }
    t += "</tr>\n";
  }
  return t + "</table>\n";
}

struct Page {
  const run::RunDir& run;
  const Analyses& a;
  const RunCurves& c;
  const data::Tokenizer* tok;
  std::string html;

  const analysis::IclResult* icl() const { return c.icl ? &*c.icl : nullptr; }
  std::optional<analysis::PhaseChange> phase() const { return c.icl ? c.icl->phase_change : std::nullopt; }
  analysis::KindThresholds thresholds() const { return a.heads ? a.heads->thresholds : analysis::KindThresholds{}; }

  void header(const std::vector<Finding>& found) {
    const run::RunConfig& rc = run.config();
    const Config& m = rc.model;
    html += "<header>\n<h1>" + esc(run.name()) + "</h1>\n";
    html += "<p class=\"sub\">" +
            esc(format("%d layer%s × %d heads, d_model %d, d_head %d, n_ctx %d, vocabulary %d, %s positions, "
                    "%s",
                    m.n_layers, m.n_layers == 1 ? "" : "s", m.n_heads, m.d_model, m.d_head, m.n_ctx, m.d_vocab,
                    to_string(m.positional_embedding_type).c_str(),
                    m.normalized() ? ("normalization " + to_string(m.normalization_type)).c_str() : "no normalization")) +
            "<br>" +
            esc(format("Analysed at step %lld (%s training tokens); the run holds %zu snapshot%s; run id %s.",
                    (long long)a.snapshot.step, tokens_text(double(a.snapshot.tokens)).c_str(),
                    run.snapshot_steps().size(), run.snapshot_steps().size() == 1 ? "" : "s", rc.run_id.c_str())) +
            "</p>\n<nav>";
    for (const Section& s : kSections) html += format("<a href=\"#%s\">%s</a> ", s.id, esc(s.title).c_str());
    html += "</nav>\n</header>\n";

    html += open_section("findings") + "<ul class=\"findings\">\n";
    for (const Finding& f : found)
      html += "<li>" + esc(f.text) + " <a href=\"#" + f.anchor + "\">↓&nbsp;" + esc(title_of(f.anchor)) + "</a></li>\n";
    html += "</ul>\n</section>\n";
  }

  void loss() {
    html += open_section(anchor::loss);
    if (c.loss_curve) {
      html += note("The logged training loss, binned on ln(tokens) and smoothed, with its curvature below: a loss "
                   "curve falling like a power law is convex on this axis, so a non-convex stretch is a bump. The "
                   "ICL phase-change window is shaded.");
      html += picture(loss_curve_figure(c.loss, *c.loss_curve, phase()), "training loss");
    } else {
      html += missing("No loss curve: " + c.loss_note + ".");
    }
    html += "</section>\n";
  }

  void icl_heatmap_section() {
    html += open_section(anchor::icl_heatmap);
    if (c.icl && !c.per_token_loss.empty()) {
      html += note("Mean loss over the evaluation sequences at every snapshot (rows) and token position (columns). "
                   "The second picture subtracts each snapshot's mean, so that how loss depends on position — the "
                   "in-context part — stands out.");
      html += picture(icl_heatmap(*c.icl, c.per_token_loss), "per-token loss over training");
      html += picture(icl_relative_heatmap(*c.icl, c.per_token_loss), "per-token loss relative to each snapshot");
    } else {
      html += missing("No per-token loss heatmap: " + c.per_token_note + ".");
    }
    html += "</section>\n";
  }

  void icl_section() {
    html += open_section(anchor::icl);
    if (!c.icl) {
      html += missing("No ICL curve: " + c.icl_note + ".");
      html += "</section>\n";
      return;
    }
    const analysis::IclResult& r = *c.icl;
    std::string text = format("ICL score = mean loss over positions %lld–%lld minus mean loss over %lld–%lld, per "
                           "evaluation sequence, averaged over %lld sequences (nats; negative: later tokens are "
                           "predicted better). Smoothed with σ = %.3g snapshots; ",
                           (long long)r.positions.late_window.first, (long long)r.positions.late_window.last,
                           (long long)r.positions.early_window.first, (long long)r.positions.early_window.last,
                           (long long)r.n_eval, r.sigma_snapshots);
    if (const auto& p = r.phase_change)
      text += format("phase change between %s and %s tokens (steps %lld–%lld), Δ %.3f nats, steepest derivative %.3f "
                  "nats per e-fold of tokens at %s tokens.",
                  tokens_text(double(p->start_tokens)).c_str(), tokens_text(double(p->end_tokens)).c_str(),
                  (long long)p->start_step, (long long)p->end_step, p->delta_nats, p->steepest_derivative,
                  tokens_text(double(p->steepest_tokens)).c_str());
    else
      text += format("no phase change (the rule asks for a fall of %.2f nats across the window of steepest descent).",
                  r.min_drop_nats);
    html += note(text);
    html += note("Curve " + c.icl_source + ".");
    Figure score = icl_score_figure(r);
    place_legend(score.panels[0]);
    html += picture(score, "ICL score over training");
    html += picture(icl_derivatives_figure(r), "derivatives of the ICL score");
    html += "</section>\n";
  }

  void heads_section() {
    html += open_section(anchor::heads);
    if (!a.heads) {
      html += missing("The heads were not analysed at this snapshot.");
      html += "</section>\n";
      return;
    }
    const analysis::HeadsReport& r = *a.heads;
    const analysis::HeadEvaluation& e = r.evaluation;
    const analysis::KindThresholds t = r.thresholds;
    html += note(format("Evaluators of docs/evaluators.md at step %lld. Prefix matching and the repeated-token loss "
                     "on %d sequences of %d random tokens repeated %d times; previous-token and positional scores "
                     "on %lld evaluation sequences. Repeated-token loss %.2f nats (first copy %.2f, uniform guess "
                     "%.2f). Shaded: at or above a kind's threshold (induction %.2g, previous token %.2g, OV "
                     "copying %.2g, positional %.2g).",
                     (long long)r.snapshot.step, e.options.n_sequences, e.options.n_tokens, e.options.n_repeats,
                     (long long)e.text_sequences_used, e.repeated_token_loss, e.first_copy_loss, e.ln_d_vocab,
                     t.induction, t.previous_token, t.ov_copying, t.positional));
    html += "<table>\n<tr><th class=\"l\">head</th><th>prefix matching</th><th>previous token</th>"
            "<th>positional</th><th>copying r</th><th>OV copying (eigen)</th><th>QK copying (eigen)</th>"
            "<th class=\"l\">kinds</th></tr>\n";
    auto cell = [](double v, bool hit, const char* format = "%.3f") {
      return std::string(hit ? "<td class=\"hit\">" : "<td>") + num(v, format) + "</td>";
    };
    for (int l = 0; l < r.n_layers(); ++l)
      for (int h = 0; h < r.n_heads(); ++h) {
        const analysis::HeadScores s = r.scores(l, h);
        const analysis::HeadSpectrum& sp = r.spectra[size_t(l * r.n_heads() + h)];
        std::string kinds;
        for (const std::string& k : r.kinds(l, h)) kinds += (kinds.empty() ? "" : ", ") + k;
        html += "<tr><td class=\"l\">" + head_name(l, h) + "</td>" +
                cell(s.prefix_matching, s.prefix_matching >= t.induction) +
                cell(s.previous_token, s.previous_token >= t.previous_token) +
                cell(s.positional, s.positional >= t.positional) + cell(s.copying_r, false) +
                cell(sp.ov_copying_score, sp.ov_copying_score >= t.ov_copying, "%+.3f") +
                cell(sp.qk_copying_score, false, "%+.3f") + "<td class=\"l\">" + esc(kinds) + "</td></tr>\n";
      }
    html += "</table>\n</section>\n";
  }

  void heads_over_training_section() {
    html += open_section(anchor::heads_over_training);
    if (c.heads_over_training) {
      const analysis::KindThresholds t = thresholds();
      html += note("Every head's prefix-matching and previous-token score at every snapshot, under the ICL score, "
                   "on one log-token axis; heads above the threshold at the last snapshot are coloured. Scores " +
                   c.heads_over_training_source + ".");
      html += picture(heads_over_training_figure(*c.heads_over_training, icl(), t.induction, t.previous_token),
                      "heads over training");
    } else {
      html += missing("No heads over training: " + c.heads_over_training_note + ".");
    }
    html += "</section>\n";
  }

  void eigenvalues_section() {
    html += open_section(anchor::eigenvalues);
    const std::vector<analysis::HeadSpectrum>* spectra =
        a.circuits ? &a.circuits->spectra : a.heads ? &a.heads->spectra : nullptr;
    if (!spectra || spectra->empty()) {
      html += missing("No eigenvalues: the circuit analysis did not run.");
      html += "</section>\n";
      return;
    }
    html += note("Each panel holds one head's eigenvalues: angle = arg λ, radius on a log scale (outer ring the "
                 "head's largest |λ|, rings 10× and 100× smaller). Green on the positive real axis: copying. The "
                 "score under each title is Σλ / Σ|λ|.");
    if (a.circuits && !a.circuits->caveat.empty()) html += note(a.circuits->caveat);
    // One row per layer; with few heads the panels grow so that the grid's title still fits.
    const int n_heads = run.config().model.n_heads;
    auto grid = [&](bool ov) {
      RadialGrid g = eigenvalue_grid(*spectra, ov);
      g.columns = std::max(1, std::min(n_heads, 8));
      g.cell = std::max(g.cell, std::min(280, 720 / g.columns));
      return g;
    };
    html += "<h3>OV circuits (W_E W_OV W_U)</h3>\n" + picture(grid(true), "OV eigenvalues");
    html += "<h3>QK circuits (W_E W_QK W_Eᵀ)</h3>\n" + picture(grid(false), "QK eigenvalues");
    html += "<h3>OV copying scores over heads</h3>\n" + picture(copying_histogram(*spectra), "copying histogram");
    html += "</section>\n";
  }

  void induction_scatter_section() {
    html += open_section(anchor::induction_scatter);
    if (a.circuits && !a.circuits->axes.empty()) {
      html += note("Each later-layer head: its OV copying score (x) against the score of its K-composition "
                   "induction QK circuit, the earlier heads weighted by their previous-token scores (y). Induction "
                   "heads sit top right. Previous-token scores: " + a.circuits->prev.source + ".");
      std::vector<analysis::InductionAxis> axes = a.circuits->axes;
      std::sort(axes.begin(), axes.end(), [](const auto& x, const auto& y) { return x.score > y.score; });
      html += "<div class=\"row\">\n<div>" + picture(induction_scatter(a.circuits->axes), "induction scatter") +
              "</div>\n<div><table>\n<tr><th class=\"l\">head</th><th>OV copying</th><th>induction QK</th>"
              "<th>tr(W)</th></tr>\n";
      for (const analysis::InductionAxis& ax : axes)
        html += "<tr><td class=\"l\">" + head_name(ax.layer, ax.head) + "</td><td>" + num(ax.ov_copying_score, "%+.3f") +
                "</td><td>" + num(ax.score, "%+.3f") + "</td><td>" + num(ax.trace, "%.3g") + "</td></tr>\n";
      html += "</table></div>\n</div>\n";
    } else if (!a.circuits) {
      html += missing("No induction scatter: the circuit analysis did not run.");
    } else {
      const std::string why = !a.circuits->composition_skipped.empty() ? a.circuits->composition_skipped
                                                                       : a.circuits->axes_skipped;
      html += missing("No induction scatter: " + why + ".");
    }
    html += "</section>\n";
  }

  void composition_section() {
    html += open_section(anchor::composition);
    if (!a.circuits || a.circuits->pairs.empty()) {
      html += missing(!a.circuits ? "No composition: the circuit analysis did not run."
                                  : "No composition: " + a.circuits->composition_skipped + ".");
      html += "</section>\n";
      return;
    }
    const analysis::CircuitsAnalysis& ca = *a.circuits;
    html += note(format("How much each head of a later layer reads (through its queries, keys or values) what a head of "
                     "an earlier layer writes: ‖L R‖ / (‖L‖ ‖R‖). Rows: the earlier head; columns: the later head. "
                     "Random matrices of these shapes score %.3f ± %.3f (%d samples); the colour scale is shared "
                     "by the three pictures of a pair, from 0.",
                     ca.baseline.mean, ca.baseline.std, ca.baseline.samples));
    for (const analysis::CompositionPair& p : ca.pairs) {
      html += format("<h3>Layer %d → layer %d</h3>\n<div class=\"row\">\n", p.l1, p.l2);
      double hi = 0;
      for (const auto* m : {&p.q, &p.k, &p.v})
        for (const auto& row : *m)
          for (double v : row) hi = std::max(hi, v);
      for (const char* kind : {"Q", "K", "V"}) {
        const auto& m = kind[0] == 'Q' ? p.q : kind[0] == 'K' ? p.k : p.v;
        Heatmap h;
        h.title = format("%s-composition", kind);
        h.x_label = format("layer %d head (reads)", p.l2);
        h.y_label = format("layer %d head (writes)", p.l1);
        h.colorbar_label = format("score (baseline %.2f)", ca.baseline.mean);
        h.rows = int64_t(m.size());
        h.cols = m.empty() ? 0 : int64_t(m[0].size());
        for (const auto& row : m)
          for (double v : row) h.values.push_back(float(v));
        for (int64_t i = 0; i < h.cols; ++i) h.x.push_back(double(i));
        for (int64_t i = 0; i < h.rows; ++i) h.y.push_back(double(i));
        h.vmin = 0;
        h.vmax = hi > 0 ? hi : 1;
        h.width = 440;
        h.height = 400;
        // Under each picture its numbers, rows and columns named by head.
        Grid g;
        g.corner = kind;
        g.scale = hi;
        for (int64_t i = 0; i < h.rows; ++i) g.rows.push_back(head_name(p.l1, int(i)));
        for (int64_t i = 0; i < h.cols; ++i) g.cols.push_back(head_name(p.l2, int(i)));
        for (const auto& row : m)
          for (double v : row) g.values.push_back(v);
        html += "<div>" + picture(h, h.title) + grid_table(g) + "</div>\n";
      }
      html += "</div>\n";
    }
    html += "</section>\n";
  }

  void paths_section() {
    html += open_section(anchor::paths);
    if (!a.paths) {
      html += missing("No path expansion: the paths analysis did not run.");
      html += "</section>\n";
      return;
    }
    const analysis::PathExpansion& pe = a.paths->expansion;
    html += note(format("Attention patterns frozen to a clean pass, the logits expand into the direct path, one term per "
                     "head and virtual heads (chains of heads). Loss on %lld sequences of %lld tokens; per-term "
                     "importances on the first %lld.",
                     (long long)pe.n_sequences, (long long)pe.seq, (long long)pe.term_sequences));
    html += "<table>\n<tr><th class=\"l\">path order</th><th class=\"l\">terms</th><th>loss (nats)</th>"
            "<th>these terms are worth</th></tr>\n";
    for (size_t k = 0; k < pe.loss_by_order.size(); ++k) {
      const char* what = k == 0 ? "direct path W_E W_U" : k == 1 ? "+ single heads" : k == 2 ? "+ virtual heads (pairs)"
                                                                                            : "+ longer chains";
      html += format("<tr><td class=\"l\">%zu</td><td class=\"l\">%s</td><td>%.4f</td><td>%s</td></tr>\n", k, what,
                  pe.loss_by_order[k], k == 0 ? "" : num(pe.loss_by_order[k - 1] - pe.loss_by_order[k], "%.4f").c_str());
    }
    html += "</table>\n";
    double scale = 0;
    for (double v : pe.head_term) scale = std::max(scale, std::abs(v));
    for (double v : pe.head_all_terms) scale = std::max(scale, std::abs(v));
    html += "<h3>Term importance per head (Δ loss when removed, nats)</h3>\n<table>\n<tr><th class=\"l\">head</th>"
            "<th>own term</th><th class=\"l\"></th><th>all terms through it</th><th class=\"l\"></th></tr>\n";
    for (int l = 0; l < pe.n_layers; ++l)
      for (int h = 0; h < pe.n_heads; ++h) {
        const double own = pe.head_term[size_t(l * pe.n_heads + h)], all = pe.head_all_terms[size_t(l * pe.n_heads + h)];
        html += "<tr><td class=\"l\">" + head_name(l, h) + "</td><td>" + num(own, "%+.4f") + "</td><td class=\"l\">" +
                bar(own, scale) + "</td><td>" + num(all, "%+.4f") + "</td><td class=\"l\">" + bar(all, scale) +
                "</td></tr>\n";
      }
    html += "</table>\n";
    if (!pe.virtual_heads.empty()) {
      const double vscale = std::abs(pe.virtual_heads.front().importance);
      html += "<h3>Strongest virtual heads (Δ loss at order 2 when removed)</h3>\n<table>\n"
              "<tr><th class=\"l\">virtual head</th><th>importance</th><th class=\"l\"></th></tr>\n";
      for (size_t i = 0; i < pe.virtual_heads.size() && i < 10; ++i) {
        const auto& v = pe.virtual_heads[i];
        html += "<tr><td class=\"l\">" + head_name(v.layer1, v.head1) + " → " + head_name(v.layer2, v.head2) +
                "</td><td>" + num(v.importance, "%+.4f") + "</td><td class=\"l\">" + bar(v.importance, vscale) +
                "</td></tr>\n";
      }
      html += "</table>\n";
    } else if (!pe.virtual_heads_note.empty()) {
      html += note("Virtual heads: " + pe.virtual_heads_note + ".");
    } else if (pe.n_layers < 2) {
      html += note("A one-layer model has no virtual heads.");
    }
    html += "</section>\n";
  }

  void ablation_section() {
    html += open_section(anchor::ablation);
    if (!a.ablation || a.ablation->sweep.snapshots.empty()) {
      html += missing("No ablations: the ablate analysis did not run.");
    } else {
      const analysis::AblationReport& r = *a.ablation;
      html += note("ΔICL of a head: the ICL score with the head's result zeroed minus the score without (" +
                   analysis::to_string(r.kind) + " ablation, " + std::to_string(r.n_eval) +
                   " evaluation sequences). Positive: the head helps the model use its context.");
      if (r.n_snapshots() >= 2)
        html += picture(ablation_over_training_figure(r.sweep, r.tokens, r.prefix_matching_last), "ablation over training");
      else
        html += missing("No ablation over training: the heads were ablated at one snapshot only" +
                        std::string(run.snapshot_steps().size() < 2 ? " (the run holds one snapshot)." : "."));
      size_t at = r.sweep.snapshots.size() - 1;
      for (size_t k = 0; k < r.steps.size(); ++k)
        if (r.steps[k] == a.snapshot.step) at = k;
      // ΔICL changes sign from head to head: a diverging grid with its numbers reads better than a
      // sequential colour scale.
      auto delta_grid = [&](const analysis::HeadAblationIcl& d) {
        Grid g;
        g.corner = "layer \\ head";
        g.diverging = true;
        g.format = "%+.3f";
        for (int l = 0; l < d.n_layers; ++l) g.rows.push_back(std::to_string(l));
        for (int h = 0; h < d.n_heads; ++h) g.cols.push_back(std::to_string(h));
        g.values = d.delta_icl();
        return format("<div><h3>ΔICL per head: %s, step %lld</h3>\n", analysis::to_string(d.kind).c_str(),
                   (long long)r.steps[at]) +
               grid_table(g) + "</div>\n";
      };
      html += "<div class=\"row\">\n" + delta_grid(r.sweep.snapshots[at]);
      if (r.other) html += delta_grid(*r.other);
      html += "</div>\n";
    }
    if (!c.induction_ablation_note.empty())
      html += missing("The induction heads could not be ablated together: " + c.induction_ablation_note + ".");
    if (const auto& j = c.induction_ablation) {
      html += "<h3>The induction heads together</h3>\n";
      std::string heads;
      for (const auto& [l, h] : j->heads) heads += (heads.empty() ? "" : ", ") + head_name(l, h);
      html += format("<table>\n<tr><th class=\"l\">ablated (%s)</th><th>ICL score</th><th>mean loss</th></tr>\n"
                  "<tr><td class=\"l\">none</td><td>%s</td><td>%.4f</td></tr>\n"
                  "<tr><td class=\"l\">%s</td><td>%s</td><td>%.4f</td></tr>\n</table>\n",
                  analysis::to_string(j->kind).c_str(), num(j->clean_icl, "%+.4f").c_str(), j->clean_loss,
                  esc(heads).c_str(), num(j->ablated_icl, "%+.4f").c_str(), j->ablated_loss);
    }
    html += "</section>\n";
  }

  void skip_trigrams_section() {
    html += open_section(anchor::skip_trigrams);
    if (!a.circuits || a.circuits->skip.heads.empty()) {
      html += missing("No skip-trigrams: the circuit analysis did not run.");
      html += "</section>\n";
      return;
    }
    const analysis::CircuitsAnalysis& ca = *a.circuits;
    html += note("Per head, the strongest skip-trigrams “source … destination → output”: the destination "
                 "attends to the source (QK) and attending raises the output (OV). Strength: the product of the "
                 "two circuit entries, each z-scored over the vocabulary. Sources: " + ca.sources_note + ".");
    html += "<div class=\"cards\">\n";
    for (const analysis::HeadSkipTrigrams& h : ca.skip.heads) {
      html += "<div><h3>head " + head_name(h.layer, h.head) + "</h3>\n<table>\n<tr><th class=\"l\">source</th>"
              "<th class=\"l\">… destination</th><th class=\"l\">→ output</th><th>strength</th></tr>\n";
      for (size_t i = 0; i < h.ranked.size() && i < 6; ++i) {
        const analysis::SkipTrigram& t = h.ranked[i];
        html += "<tr><td class=\"l\">" + token_cell(t.source, tok) + "</td><td class=\"l\">" +
                token_cell(t.destination, tok) + "</td><td class=\"l\">" + token_cell(t.output, tok) + "</td><td>" +
                num(t.strength, "%.1f") + "</td></tr>\n";
      }
      if (h.ranked.empty()) html += "<tr><td class=\"l\" colspan=\"4\">none ranked</td></tr>\n";
      html += "</table></div>\n";
    }
    html += "</div>\n</section>\n";
  }

  void probes_section() {
    html += open_section(anchor::probes);
    if (!a.probes) {
      html += missing("No probes: the probes analysis did not run.");
      html += "</section>\n";
      return;
    }
    const analysis::ProbesReport& r = *a.probes;
    if (r.results.empty()) html += missing("No probe fits this model.");
    if (!r.results.empty()) {
      html += note("Loss on the scored answer tokens, against a control with less help from the context; the heads "
                   "whose pattern-preserving ablation raises the answer loss most.");
      html += "<table>\n<tr><th class=\"l\">probe</th><th class=\"l\">what</th><th>answer tokens</th>"
              "<th>answer loss</th><th>control loss</th><th>context gain</th><th>accuracy</th>"
              "<th class=\"l\">top heads (Δ answer loss)</th></tr>\n";
      for (const analysis::ProbeResult& p : r.results) {
        std::vector<std::pair<double, int>> order;
        for (size_t i = 0; i < p.head_delta_loss.size(); ++i)  // NaN: not ablated (work budget)
          if (!std::isnan(p.head_delta_loss[i])) order.emplace_back(p.head_delta_loss[i], int(i));
        std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
        std::string top;
        for (size_t i = 0; i < order.size() && i < 3; ++i)
          top += (i ? "<br>" : "") + head_name(order[i].second / p.n_heads, order[i].second % p.n_heads) + " " +
                 num(order[i].first, "%+.3f");
        html += "<tr><td class=\"l\">" + esc(p.name) + "</td><td class=\"l\">" + esc(p.description) + "</td><td>" +
                std::to_string(p.n_answer_tokens) + "</td><td>" + num(p.answer_loss) + "</td><td>" +
                num(p.control_loss) + "</td><td>" + num(p.control_loss - p.answer_loss, "%+.3f") + "</td><td>" +
                (std::isfinite(p.accuracy) ? format("%.0f%%", 100 * p.accuracy) : "–") + "</td><td class=\"l heads\">" + top +
                "</td></tr>\n";
      }
      html += "</table>\n";
    }
    for (const auto& s : r.skipped) html += note("Skipped " + s.name + ": " + s.reason + ".");
    html += "</section>\n";
  }
};

}  // namespace

RunCurves run_curves(const run::RunDir& run, const Analyses& a) {
  RunCurves c;
  const std::string losses = file_name(File::per_sequence_loss);
  if (run.has(File::per_sequence_loss) && run.has(File::eval_snapshots)) {
    try {
      analysis::IclOptions o;
      const analysis::IclPositions p = analysis::icl_positions(run);
      o.early_window = p.early_window;
      o.late_window = p.late_window;
      o.search_from_step = -1;  // the run's warm-up, as `icl` does
      c.icl = analysis::run_icl(run, o);
      c.icl_source = "computed from " + losses;
      c.per_token_loss = run.eval_losses().per_token();
    } catch (const std::exception& e) {
      c.icl_note = e.what();
    }
  }
  if (!c.icl) {
    if (const auto j = run.read_json(File::icl)) {
      try {
        c.icl = icl_from_json(*j);
        c.icl_source = "read from " + file_name(File::icl) + " (the run has no " + losses + " to recompute it from)";
      } catch (const std::exception& e) {
        c.icl_note = file_name(File::icl) + " could not be read (" + e.what() + ")";
      }
    } else if (c.icl_note.empty()) {
      c.icl_note = "the run has neither " + losses + " nor " + file_name(File::icl);
    }
  }
  if (c.per_token_loss.empty())
    c.per_token_note = c.icl && !run.has(File::per_sequence_loss)
                           ? "it needs " + losses + ", which this run was shipped without"
                           : "no ICL curve (" + c.icl_note + ")";

  c.loss = run.metrics();
  if (c.loss.tokens.empty()) {
    c.loss_note = "no training loss in " + file_name(File::metrics);
  } else {
    try {
      c.loss_curve = analysis::analyze_loss_curve(c.loss.tokens, c.loss.loss,
                                                  c.icl ? c.icl->phase_change : std::nullopt);
    } catch (const std::exception& e) {
      c.loss_note = e.what();
    }
  }

  if (a.heads_over_training) {
    c.heads_over_training = a.heads_over_training->scores;
    c.heads_over_training_source = "measured at every snapshot";
  } else if (const auto j = run.read_json(File::heads_over_training)) {
    try {
      c.heads_over_training = analysis::heads_over_training_from_json(*j);
      c.heads_over_training_source = "read from " + file_name(File::heads_over_training);
    } catch (const std::exception& e) {
      c.heads_over_training_note = file_name(File::heads_over_training) + " could not be read (" + e.what() + ")";
    }
  } else {
    c.heads_over_training_note = run.snapshot_steps().size() < 2
                                     ? "the run holds one snapshot and no " + file_name(File::heads_over_training)
                                     : "the heads were scored at one snapshot only";
  }
  if (c.heads_over_training && c.heads_over_training->steps.size() < 2) {
    c.heads_over_training.reset();
    c.heads_over_training_note = "the heads were scored at one snapshot only";
  }

  if (a.heads) {
    const auto heads = induction_heads(*a.heads);
    try {
      if (!heads.empty()) c.induction_ablation = analysis::ablate_heads(run.snapshot(a.snapshot.step).params, run, heads);
    } catch (const std::exception& e) {
      c.induction_ablation_note = e.what();  // the rest of the page is still worth writing
    }
  }
  return c;
}

std::vector<Finding> report_findings(const Analyses& a, const RunCurves& c) {
  FindingInputs in;
  in.icl = c.icl ? &*c.icl : nullptr;
  in.icl_note = c.icl_note;
  in.loss_curve = c.loss_curve ? &*c.loss_curve : nullptr;
  in.heads = a.heads ? &*a.heads : nullptr;
  in.heads_over_training = c.heads_over_training ? &*c.heads_over_training : nullptr;
  in.circuits = a.circuits ? &*a.circuits : nullptr;
  in.paths = a.paths ? &*a.paths : nullptr;
  in.ablation = a.ablation ? &*a.ablation : nullptr;
  in.ablation_step = a.snapshot.step;
  in.induction_ablation = c.induction_ablation ? &*c.induction_ablation : nullptr;
  in.probes = a.probes ? &*a.probes : nullptr;
  return findings(in);
}

std::string html_report(const run::RunDir& run, const Analyses& a, const RunCurves& c) {
  std::unique_ptr<data::Tokenizer> tok;
  try {
    tok = run.tokenizer();
  } catch (const std::exception&) {
    // Tokens are then shown by id.
  }
  Page page{run, a, c, tok.get(), {}};
  page.html = page_open(run.name() + " — circuitscope report");
  page.header(report_findings(a, c));
  page.loss();
  page.icl_heatmap_section();
  page.icl_section();
  page.heads_section();
  page.heads_over_training_section();
  page.eigenvalues_section();
  page.induction_scatter_section();
  page.composition_section();
  page.paths_section();
  page.ablation_section();
  page.skip_trigrams_section();
  page.probes_section();
  page.html += html::page_close("circuitscope report of " + run.root() + ". The numbers behind every picture are in its " +
                                file_name(File::analysis_dir) + "/ folder; definitions in docs/icl.md, docs/circuits.md "
                                "and docs/evaluators.md.");
  return page.html;
}

std::string write_report(const run::RunDir& run, const Analyses& analyses, const std::string& out) {
  const std::string path = out.empty() ? run.path(File::report_html) : out;
  const RunCurves curves = run_curves(run, analyses);
  io::write_file_atomic(path, html_report(run, analyses, curves));
  return path;
}

std::string report(const std::string& run_dir, const ReportOptions& o,
                   const std::function<void(const std::string&)>& progress) {
  CS_CHECK(fs::is_directory(run_dir), run_dir << " is not a folder");
  const run::RunDir run(run_dir);
  CS_CHECK(run.is_run(), run_dir << " is not a run folder (it has no " << file_name(File::config) << ")");
  AnalyzeOptions ao;
  ao.snapshot = std::to_string(run.resolve_step(o.snapshot));
  ao.over_training = !o.last_only && run.snapshot_steps().size() >= 2;
  const Analyses a = analyze(run, ao, [&](const std::string& name, const Analyses& so_far) {
    if (progress) progress(format("%s done in %.1f s", name.c_str(), so_far.seconds.back().second));
  });
  return write_report(run, a, o.out);
}

}  // namespace cs::report
