#include "report/plot_heads.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cs::report {

namespace {

std::string head_name(int l, int h) { return std::to_string(l) + "." + std::to_string(h); }

std::vector<double> as_x(const std::vector<int64_t>& tokens) {
  return std::vector<double>(tokens.begin(), tokens.end());
}

void add_phase_span(Axes& a, const analysis::IclResult* icl) {
  if (icl && icl->phase_change)
    a.spans.push_back({double(icl->phase_change->start_tokens), double(icl->phase_change->end_tokens),
                       "ICL phase change"});
}

// Light grey at 0 to red at 1: the eye finds the induction heads first.
Color heat(double v) {
  const double t = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0);
  return {0.78 + t * (0.84 - 0.78), 0.78 - t * (0.78 - 0.12), 0.80 - t * (0.80 - 0.10)};
}

Axes score_panel(const analysis::HeadsOverTraining& h, const std::vector<double>& values,
                 double threshold, const std::string& title, const std::string& y_label,
                 const analysis::IclResult* icl) {
  Axes a = over_tokens(title, y_label, LegendPlace::TopLeft, {threshold});
  a.y_range = std::make_pair(0.0, 1.0);
  const int64_t LH = int64_t(h.n_layers) * h.n_heads, S = int64_t(h.steps.size());
  size_t colour = 0;
  // Grey heads first so the coloured ones are drawn on top.
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t i = 0; i < LH; ++i) {
      const bool strong = values[size_t((S - 1) * LH + i)] >= threshold;
      if (strong != (pass == 1)) continue;
      Series s;
      s.x = as_x(h.tokens);
      for (int64_t t = 0; t < S; ++t) s.y.push_back(values[size_t(t * LH + i)]);
      if (strong) {
        s.label = head_name(int(i / h.n_heads), int(i % h.n_heads));
        s.color = palette(colour++);
        s.line_width = 2.2;
      } else {
        s.color = Color{0.75, 0.75, 0.75};
        s.line_width = 1.0;
      }
      a.series.push_back(std::move(s));
    }
  add_phase_span(a, icl);
  return a;
}

}  // namespace

Figure heads_over_training_figure(const analysis::HeadsOverTraining& h,
                                  const analysis::IclResult* icl, double induction_threshold,
                                  double previous_token_threshold) {
  Figure f;
  f.title = "Heads over training";
  f.panel_height = 300;
  if (icl) {
    Axes a = over_tokens("ICL score (late minus early token loss)", "nats", LegendPlace::None);
    Series s;
    s.x = as_x(icl->tokens);
    s.y = icl->icl_score;
    s.color = Color{0.1, 0.1, 0.1};
    a.series.push_back(std::move(s));
    add_phase_span(a, icl);
    f.panels.push_back(std::move(a));
  }
  f.panels.push_back(score_panel(h, h.prefix_matching, induction_threshold,
                                 "Prefix-matching score (induction) of every head", "score", icl));
  f.panels.push_back(score_panel(h, h.previous_token, previous_token_threshold,
                                 "Previous-token score of every head", "score", icl));
  return f;
}

// Models with MLPs: each MLP layer's ΔICL, zero-ablated (solid) and mean-ablated (dashed), in
// shades of grey so they stand apart from the heads' heat colours.
void add_mlp_series(const analysis::IclAblationSweep& sweep, const std::vector<int64_t>& tokens, Axes& a) {
  if (sweep.mlp_delta_icl.empty()) return;
  const int L = sweep.n_layers;
  const int64_t S = int64_t(tokens.size());
  for (int k = 0; k < 2; ++k)
    for (int l = 0; l < L; ++l) {
      Series s;
      s.x = as_x(tokens);
      for (int64_t t = 0; t < S; ++t) s.y.push_back(sweep.mlp_delta_icl[size_t((t * 2 + k) * L + l)]);
      const double shade = L > 1 ? 0.55 * double(l) / double(L - 1) : 0.0;
      s.color = Color{shade, shade, shade};
      s.dashed = k == 1;
      s.line_width = 2.0;
      s.label = "MLP " + std::to_string(l) + (k == 0 ? " (zero)" : " (mean)");
      a.series.push_back(std::move(s));
    }
}

Figure ablation_over_training_figure(const analysis::IclAblationSweep& sweep,
                                     const std::vector<int64_t>& tokens,
                                     const std::vector<double>& prefix_matching) {
  Figure f;
  f.title = std::string("ICL score change when each head ") + (sweep.mlp_delta_icl.empty() ? "" : "or MLP layer ") +
            "is ablated (" + analysis::to_string(sweep.kind) + ")";
  Axes a = over_tokens("Δ ICL score per head; colour: prefix-matching score at the last snapshot",
                       "Δ ICL (nats); > 0: the head carries in-context learning", LegendPlace::TopLeft);
  const int64_t LH = int64_t(sweep.n_layers) * sweep.n_heads, S = int64_t(tokens.size());
  // Legend entries for the heads that matter most at the end: the three largest |ΔICL|.
  std::vector<int64_t> order(static_cast<size_t>(LH));
  for (int64_t i = 0; i < LH; ++i) order[size_t(i)] = i;
  // A head the work budget left out has NaN: it comes last.
  auto size = [&](int64_t i) {
    const double d = std::abs(sweep.delta_icl[size_t((S - 1) * LH + i)]);
    return std::isnan(d) ? -1.0 : d;
  };
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return size(x) > size(y); });
  std::vector<bool> named(static_cast<size_t>(LH), false);
  for (size_t k = 0; k < order.size() && k < 3; ++k) named[size_t(order[k])] = true;
  // Low scores first so the red lines end up on top.
  std::vector<int64_t> draw(order.rbegin(), order.rend());
  if (!prefix_matching.empty())
    std::stable_sort(draw.begin(), draw.end(), [&](int64_t x, int64_t y) {
      return prefix_matching[size_t(x)] < prefix_matching[size_t(y)];
    });
  for (int64_t i : draw) {
    Series s;
    s.x = as_x(tokens);
    for (int64_t t = 0; t < S; ++t) s.y.push_back(sweep.delta_icl[size_t(t * LH + i)]);
    const std::string name = head_name(int(i / sweep.n_heads), int(i % sweep.n_heads));
    if (!prefix_matching.empty()) {
      s.color = heat(prefix_matching[size_t(i)]);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s (prefix %.2f)", name.c_str(), prefix_matching[size_t(i)]);
      if (named[size_t(i)]) s.label = buf;
    } else {
      s.color = palette(size_t(i));
      if (named[size_t(i)]) s.label = name;
    }
    s.line_width = named[size_t(i)] ? 2.2 : 1.3;
    a.series.push_back(std::move(s));
  }
  add_mlp_series(sweep, tokens, a);
  f.panels.push_back(std::move(a));
  return f;
}

Heatmap ablation_heatmap(const analysis::HeadAblationIcl& r, int64_t step) {
  Heatmap m;
  m.title = "Δ ICL score per head (" + analysis::to_string(r.kind) + " ablation), step " +
            std::to_string(step);
  m.x_label = "head";
  m.y_label = "layer";
  m.colorbar_label = "Δ ICL (nats)";
  m.rows = r.n_layers;
  m.cols = r.n_heads;
  for (double d : r.delta_icl()) m.values.push_back(float(d));
  for (int h = 0; h < r.n_heads; ++h) m.x.push_back(h);
  for (int l = 0; l < r.n_layers; ++l) m.y.push_back(l);
  m.width = 700;
  m.height = 200 + 60 * r.n_layers;
  return m;
}

}  // namespace cs::report
