#include "report/plot_icl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"

namespace cs::report {

namespace {

const Color kWindow{0.95, 0.6, 0.1};
const Color kBump{0.6, 0.3, 0.8};

std::vector<double> as_double(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

void shade_phase_change(Axes& a, const std::optional<analysis::PhaseChange>& p,
                        const std::string& label = "phase change") {
  if (p) a.spans.push_back({double(p->start_tokens), double(p->end_tokens), label, kWindow});
}

std::string window_text(const analysis::Window& w) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%lld, %lld]", (long long)w.first, (long long)w.last);
  return buf;
}

// Robust colour range: a few extreme cells (the first position, the untrained model) would
// otherwise squeeze everything else into one colour.
std::pair<double, double> percentile_range(std::span<const float> v, double lo_q, double hi_q) {
  std::vector<float> finite;
  for (float x : v)
    if (std::isfinite(x)) finite.push_back(x);
  if (finite.empty()) return {0, 1};
  std::sort(finite.begin(), finite.end());
  auto at = [&](double q) { return double(finite[size_t(q * double(finite.size() - 1) + 0.5)]); };
  return {at(lo_q), at(hi_q)};
}

// About `limit` points evenly spread over ln(tokens), so a long training log keeps the SVG small
// while its first steps, few but far apart on the log axis, all stay.
LossLog thinned(const LossLog& log, size_t limit) {
  if (log.tokens.size() <= limit) return log;
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t t : log.tokens)
    if (t > 0) lo = std::min(lo, std::log(double(t))), hi = std::max(hi, std::log(double(t)));
  const double gap = (hi - lo) / double(limit);
  LossLog out;
  double last = -INFINITY;
  for (size_t i = 0; i < log.tokens.size(); ++i) {
    if (log.tokens[i] <= 0) continue;
    const double x = std::log(double(log.tokens[i]));
    if (x - last < gap) continue;
    out.tokens.push_back(log.tokens[i]);
    out.loss.push_back(log.loss[i]);
    last = x;
  }
  return out;
}

// The loss at a quarter of the way along the log-token axis: above it lies the untrained model's
// fast early fall, which would squeeze the rest of the curve (where the bump is) flat.
double loss_at_first_quarter(const analysis::LossCurveAnalysis& c) {
  const double x =
      std::log(c.tokens.front()) + 0.25 * (std::log(c.tokens.back()) - std::log(c.tokens.front()));
  for (size_t i = 0; i < c.tokens.size(); ++i)
    if (std::log(c.tokens[i]) >= x) return c.loss_smoothed[i];
  return c.loss_smoothed.back();
}

}  // namespace

Heatmap icl_heatmap(const analysis::IclResult& icl, std::span<const float> per_token_loss,
                    bool log_tokens) {
  const int64_t rows = int64_t(icl.tokens.size());
  CS_CHECK(int64_t(per_token_loss.size()) == rows * icl.n_ctx,
           "per-token loss holds " << per_token_loss.size() << " values, expected " << rows
                                   << " snapshots x " << icl.n_ctx << " positions");
  Heatmap h;
  h.title = "Per-token loss over training";
  h.x_label = "token index";
  h.y_label = log_tokens ? "training tokens (log)" : "training tokens";
  h.colorbar_label = "loss (nats)";
  h.rows = rows;
  h.cols = icl.n_ctx;
  h.values.assign(per_token_loss.begin(), per_token_loss.end());
  for (int64_t i = 0; i < icl.n_ctx; ++i) h.x.push_back(double(i));
  h.y = as_double(icl.tokens);
  h.y_scale = log_tokens ? Scale::Log : Scale::Linear;
  // Colour by the snapshots actually drawn: on a log axis the untrained model is not among them.
  const size_t first_row = log_tokens && !icl.tokens.empty() && icl.tokens[0] == 0 ? 1 : 0;
  std::tie(h.vmin, h.vmax) = percentile_range(
      per_token_loss.subspan(std::min(per_token_loss.size(), first_row * size_t(icl.n_ctx))), 0.01,
      0.99);
  return h;
}

Heatmap icl_relative_heatmap(const analysis::IclResult& icl, std::span<const float> per_token_loss,
                             bool log_tokens) {
  Heatmap h = icl_heatmap(icl, per_token_loss, log_tokens);
  h.title = "Per-token loss minus each snapshot's mean over positions";
  h.colorbar_label = "loss − snapshot mean (nats)";
  for (int64_t r = 0; r < h.rows; ++r) {
    double mean = 0;
    for (int64_t i = 0; i < h.cols; ++i) mean += h.values[size_t(r * h.cols + i)];
    mean /= double(h.cols);
    for (int64_t i = 0; i < h.cols; ++i) h.values[size_t(r * h.cols + i)] -= float(mean);
  }
  const size_t first_row = log_tokens && !icl.tokens.empty() && icl.tokens[0] == 0 ? 1 : 0;
  std::tie(h.vmin, h.vmax) = percentile_range(std::span<const float>(h.values).subspan(std::min(
                                                  h.values.size(), first_row * size_t(h.cols))),
                                              0.01, 0.99);
  return h;
}

Figure icl_score_figure(const analysis::IclResult& icl) {
  Axes a;
  a.title = "In-context learning score";
  a.x_label = "training tokens (log)";
  a.y_label = "loss at late " + window_text(icl.positions.late_window) + " − early " +
              window_text(icl.positions.early_window) + " (nats)";
  a.x_scale = Scale::Log;
  a.legend = LegendPlace::BottomLeft;
  a.h_lines = {0};
  Series score;
  score.label = "ICL score ± stderr";
  score.x = as_double(icl.tokens);
  score.y = icl.icl_score;
  score.markers = true;
  for (size_t s = 0; s < icl.icl_score.size(); ++s) {
    const double e = std::isfinite(icl.icl_stderr[s]) ? icl.icl_stderr[s] : 0;
    score.band_lo.push_back(icl.icl_score[s] - e);
    score.band_hi.push_back(icl.icl_score[s] + e);
  }
  Series smooth;
  smooth.label = "smoothed (σ = " + format_si(icl.sigma_snapshots) + " snapshots)";
  smooth.x = score.x;
  smooth.y = icl.icl_score_smoothed;
  smooth.dashed = true;
  a.series = {score, smooth};
  shade_phase_change(a, icl.phase_change);
  Figure f;
  f.panels = {a};
  return f;
}

Figure icl_derivatives_figure(const analysis::IclResult& icl) {
  Figure f;
  f.title = "ICL score: derivatives over log training tokens";
  Axes d1 = over_tokens("first derivative", "d score / d ln(tokens)", LegendPlace::BottomRight);
  Series s1;
  s1.x = as_double(icl.tokens);
  s1.y = icl.d_icl_d_logtokens;
  s1.markers = true;
  d1.series = {s1};
  shade_phase_change(d1, icl.phase_change);
  Axes d2 = d1;
  d2.title = "second derivative";
  d2.y_label = "d² score / d ln(tokens)²";
  d2.series[0].y = icl.d2_icl_d_logtokens2;
  d2.series[0].color = palette(1);
  f.panels = {d1, d2};
  return f;
}

Figure loss_curve_figure(const LossLog& log, const analysis::LossCurveAnalysis& curve,
                         const std::optional<analysis::PhaseChange>& phase_change) {
  Figure f;
  f.title = "Training loss";
  Axes loss = over_tokens("training loss vs tokens", "loss (nats)", LegendPlace::TopRight, {});
  const LossLog thin = thinned(log, 4000);
  Series raw;
  raw.label = "logged";
  raw.x = as_double(thin.tokens);
  raw.y = thin.loss;
  raw.color = Color{0.7, 0.7, 0.7};
  raw.line_width = 0.8;
  Series smooth;
  smooth.label = "binned and smoothed";
  smooth.x = curve.tokens;
  smooth.y = curve.loss_smoothed;
  smooth.color = palette(0);
  loss.series = {raw, smooth};
  // Zoom on the smoothed curve: the first logged steps sit far above everything else.
  double lo = INFINITY, hi = -INFINITY;
  for (double v : curve.loss_smoothed) lo = std::min(lo, v), hi = std::max(hi, v);
  if (hi > lo) loss.y_range = {{lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo)}};
  shade_phase_change(loss, phase_change, "ICL phase change");
  if (curve.bump)
    loss.spans.push_back(
        {curve.bump->start_tokens, curve.bump->end_tokens, "bump (non-convex)", kBump});

  Axes d2 = over_tokens("curvature: negative = non-convex", "d² loss / d ln(tokens)²",
                        LegendPlace::TopRight);
  Series s;
  s.x = curve.tokens;
  s.y = curve.d2_loss_d_logtokens2;
  s.color = palette(0);
  d2.series = {s};
  shade_phase_change(d2, phase_change, "ICL phase change");
  // One token axis for both panels, so the bump lines up with the curvature below it.
  double t_lo = curve.tokens.front(), t_hi = curve.tokens.back();
  for (int64_t t : thin.tokens)
    if (t > 0) t_lo = std::min(t_lo, double(t)), t_hi = std::max(t_hi, double(t));
  if (t_hi > t_lo) {
    const double pad = 0.02 * std::log(t_hi / t_lo);
    loss.x_range = d2.x_range = {{t_lo * std::exp(-pad), t_hi * std::exp(pad)}};
  }
  for (const analysis::NonConvexSpan& span : curve.non_convex_spans)
    d2.spans.push_back({span.start_tokens, span.end_tokens, "", kBump});
  f.panels = {loss, d2};
  return f;
}

Figure icl_comparison_figure(const std::vector<NamedRun>& runs) {
  CS_CHECK(!runs.empty(), "a comparison needs at least one run");
  Figure f;
  f.title = "In-context learning across runs";
  Axes icl = over_tokens("ICL score (shaded: each run's phase change)", "ICL score (nats)",
                         LegendPlace::BottomLeft);
  Axes loss = over_tokens("training loss (binned and smoothed; the early fall runs off the top)",
                          "loss (nats)", LegendPlace::TopRight, {});
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < runs.size(); ++i) {
    const NamedRun& r = runs[i];
    CS_CHECK(r.icl, "run '" << r.name << "' has no ICL result to compare");
    Series s;
    s.label = r.name;
    s.color = palette(i);
    s.x = as_double(r.icl->tokens);
    s.y = r.icl->icl_score;
    s.markers = true;
    for (size_t k = 0; k < s.y.size(); ++k) {
      const double e = std::isfinite(r.icl->icl_stderr[k]) ? r.icl->icl_stderr[k] : 0;
      s.band_lo.push_back(s.y[k] - e);
      s.band_hi.push_back(s.y[k] + e);
    }
    icl.series.push_back(s);
    if (r.icl->phase_change)
      icl.spans.push_back({double(r.icl->phase_change->start_tokens),
                           double(r.icl->phase_change->end_tokens), "", palette(i)});
    if (r.loss_curve) {
      Series l;
      l.label = r.name;
      l.color = palette(i);
      l.x = r.loss_curve->tokens;
      l.y = r.loss_curve->loss_smoothed;
      loss.series.push_back(l);
      for (double v : r.loss_curve->loss_smoothed) lo = std::min(lo, v);
      hi = std::max(hi, loss_at_first_quarter(*r.loss_curve));
    }
  }
  f.panels = {icl};
  if (!loss.series.empty()) {
    if (hi > lo) loss.y_range = {{lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)}};
    f.panels.push_back(loss);
  }
  return f;
}

}  // namespace cs::report
