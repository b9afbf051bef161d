// The pictures of the per-token loss matrix L[s, i] beyond the heatmap (docs/icl.md): loss against
// token index at points of training, the loss difference between runs by token index, and the
// trajectory of L[s, :] on its two principal components.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "report/plot_icl.h"

namespace cs::report {

namespace {

const Color kWindow{0.95, 0.6, 0.1};

// At most `limit` snapshot indices, spread evenly over ln(tokens) among those with tokens > 0, the
// last always included, and the phase-change window's edges added when there is one.
std::vector<size_t> spread_snapshots(const std::vector<int64_t>& tokens, size_t limit,
                                     const std::optional<analysis::PhaseChange>& window) {
  std::set<size_t> picked;
  size_t first = 0;
  while (first < tokens.size() && tokens[first] <= 0) ++first;
  if (first == tokens.size()) return {};
  const double lo = std::log(double(tokens[first])), hi = std::log(double(tokens.back()));
  for (size_t k = 0; k < limit; ++k) {
    const double target = limit > 1 ? lo + (hi - lo) * double(k) / double(limit - 1) : hi;
    size_t best = first;
    for (size_t s = first; s < tokens.size(); ++s)
      if (std::abs(std::log(double(tokens[s])) - target) < std::abs(std::log(double(tokens[best])) - target)) best = s;
    picked.insert(best);
  }
  if (window) picked.insert({size_t(window->start_snapshot), size_t(window->end_snapshot)});
  return {picked.begin(), picked.end()};
}

// One row of a [.., n_ctx] matrix as a line over token index, index i drawn at i + 1 (the papers'
// "n-th token", and a place on a log axis). A few hundred evaluation sequences leave each single
// position noisy by about 0.1 nats, so positions are averaged in bins evenly spaced on the log
// axis: every position on its own up to about 10, then wider bins. The arrays keep every position.
template <class T>
void set_binned_row(Series& l, const T* row, int64_t n_ctx) {
  const int kBins = 40;
  int64_t start = 0;
  for (int b = 1; b <= kBins && start < n_ctx; ++b) {
    const int64_t end = std::max<int64_t>(start + 1, std::llround(std::pow(double(n_ctx), double(b) / kBins)));
    double sum = 0, x = 0;
    for (int64_t i = start; i < std::min(end, n_ctx); ++i) sum += double(row[i]), x += std::log(double(i + 1));
    const int64_t n = std::min(end, n_ctx) - start;
    l.x.push_back(std::exp(x / double(n)));
    l.y.push_back(sum / double(n));
    start = end;
  }
}

void shade_icl_windows(Axes& a, const analysis::IclPositions& p) {
  a.spans.push_back({double(p.early_window.first + 1), double(p.early_window.last + 1), "ICL windows",
                     {0.75, 0.75, 0.75}});
  a.spans.push_back({double(p.late_window.first + 1), double(p.late_window.last + 1), "", {0.75, 0.75, 0.75}});
}

// From light (early in training) to dark (late), so the order reads without the legend.
Color ramp(size_t k, size_t n) {
  const double t = n > 1 ? 1 - double(k) / double(n - 1) : 0.0;
  return {0.15 + 0.7 * t, 0.3 + 0.5 * t, 0.6 + 0.35 * t};
}

std::string tokens_label(int64_t tokens, bool in_window) {
  return format_si(double(tokens)) + " tokens" + (in_window ? " (phase change)" : "");
}

}  // namespace

Figure loss_by_position_figure(const analysis::IclResult& icl, std::span<const float> per_token_loss) {
  CS_CHECK(int64_t(per_token_loss.size()) == int64_t(icl.tokens.size()) * icl.n_ctx,
           "per-token loss is not [n_snapshots, n_ctx]");
  Axes a;
  a.title = "Loss by token index at points of training";
  a.x_label = "token index (1-based, log; positions averaged in log-spaced bins)";
  a.y_label = "mean loss (nats)";
  a.x_scale = Scale::Log;
  a.legend = LegendPlace::TopRight;
  shade_icl_windows(a, icl.positions);
  const auto picked = spread_snapshots(icl.tokens, 6, icl.phase_change);
  for (size_t k = 0; k < picked.size(); ++k) {
    const size_t s = picked[k];
    const bool edge = icl.phase_change && (int64_t(s) == icl.phase_change->start_snapshot ||
                                           int64_t(s) == icl.phase_change->end_snapshot);
    Series l;
    l.label = tokens_label(icl.tokens[s], edge);
    set_binned_row(l, per_token_loss.data() + int64_t(s) * icl.n_ctx, icl.n_ctx);
    l.color = ramp(k, picked.size());
    l.dashed = edge;
    a.series.push_back(l);
  }
  Figure f;  // untitled: the panel's title is drawn and names the SVG
  f.panels = {a};
  return f;
}

Figure loss_pca_figure(const analysis::IclResult& icl, const analysis::LossPca& pca) {
  CS_CHECK(pca.n_snapshots == int64_t(icl.tokens.size()), "the PCA and the ICL result have different snapshots");
  Axes a;
  char title[160];
  std::snprintf(title, sizeof title, "Per-token losses over training: PC1 (%.1f%% of the variance) and PC2 (%.1f%%)",
                100 * pca.explained.at(0), 100 * (pca.explained.size() > 1 ? pca.explained[1] : 0.0));
  a.title = title;
  a.x_label = "PC1";
  a.y_label = "PC2";
  a.legend = LegendPlace::BottomRight;
  Series path;
  path.label = "snapshots, first to last";
  path.color = Color{0.35, 0.45, 0.7};
  path.markers = true;
  Series inside;
  inside.label = "inside the phase change";
  inside.color = kWindow;
  inside.markers = true;
  inside.line_width = 3;
  for (int64_t s = 0; s < pca.n_snapshots; ++s) {
    const double x = pca.projection[size_t(s * 2)], y = pca.projection[size_t(s * 2 + 1)];
    path.x.push_back(x);
    path.y.push_back(y);
    if (icl.phase_change && s >= icl.phase_change->start_snapshot && s <= icl.phase_change->end_snapshot) {
      inside.x.push_back(x);
      inside.y.push_back(y);
    }
  }
  Series ends;
  ends.label = "first and last snapshot";
  ends.color = Color{0, 0, 0};
  ends.markers = true;
  ends.line_width = 0;
  ends.x = {path.x.front(), path.x.back()};
  ends.y = {path.y.front(), path.y.back()};
  a.series = {path};
  if (!inside.x.empty()) a.series.push_back(inside);
  a.series.push_back(ends);
  Figure f;
  f.panels = {a};
  return f;
}

LossDifference loss_difference(const std::vector<RunLosses>& runs) {
  CS_CHECK(runs.size() >= 2, "a loss difference needs two runs or more");
  const RunLosses& ref = runs[0];
  LossDifference d;
  d.reference = ref.name;
  d.n_ctx = ref.icl->n_ctx;
  // Training points every run has (the demo's runs share one snapshot schedule).
  std::vector<int64_t> common(ref.icl->tokens.begin(), ref.icl->tokens.end());
  for (const RunLosses& r : runs) {
    CS_CHECK(r.icl->n_ctx == d.n_ctx, "run '" << r.name << "' has n_ctx " << r.icl->n_ctx << ", '" << ref.name
                                              << "' has " << d.n_ctx << ": loss by position does not compare");
    std::vector<int64_t> both;
    std::set_intersection(common.begin(), common.end(), r.icl->tokens.begin(), r.icl->tokens.end(),
                          std::back_inserter(both));
    common = both;
  }
  const auto row_of = [](const RunLosses& r, int64_t tokens) {
    return size_t(std::lower_bound(r.icl->tokens.begin(), r.icl->tokens.end(), tokens) - r.icl->tokens.begin());
  };
  // The final snapshots always compare, whatever the schedules.
  if (common.empty() || common.back() != ref.icl->tokens.back()) d.final_only = true;
  const std::vector<int64_t> points = d.final_only ? std::vector<int64_t>{-1} : common;
  for (size_t k = 1; k < runs.size(); ++k) {
    d.names.push_back(runs[k].name);
    for (int64_t t : points) {
      const size_t rs = t < 0 ? runs[k].icl->tokens.size() - 1 : row_of(runs[k], t);
      const size_t r0 = t < 0 ? ref.icl->tokens.size() - 1 : row_of(ref, t);
      for (int64_t i = 0; i < d.n_ctx; ++i)
        d.values.push_back(double(runs[k].per_token[rs * size_t(d.n_ctx) + size_t(i)]) -
                           double(ref.per_token[r0 * size_t(d.n_ctx) + size_t(i)]));
    }
  }
  d.tokens = d.final_only ? std::vector<int64_t>{ref.icl->tokens.back()} : common;
  return d;
}

Figure loss_difference_figure(const LossDifference& d) {
  Figure f;
  f.title = "Loss by token index, each run minus " + d.reference;
  const size_t n_points = d.tokens.size();
  const auto picked = spread_snapshots(d.tokens, 5, std::nullopt);
  for (size_t k = 0; k < d.names.size(); ++k) {
    Axes a;
    a.title = d.names[k] + " − " + d.reference + (d.final_only ? " (last snapshots)" : "");
    a.x_label = "token index (1-based, log; positions averaged in log-spaced bins)";
    a.y_label = "loss difference (nats)";
    a.x_scale = Scale::Log;
    a.legend = LegendPlace::BottomLeft;
    a.h_lines = {0};
    for (size_t j = 0; j < picked.size(); ++j) {
      const size_t p = picked[j];
      Series l;
      l.label = d.final_only ? "last snapshots" : tokens_label(d.tokens[p], false);
      set_binned_row(l, d.values.data() + int64_t(k * n_points + p) * d.n_ctx, d.n_ctx);
      l.color = ramp(j, picked.size());
      a.series.push_back(l);
    }
    f.panels.push_back(a);
  }
  return f;
}

}  // namespace cs::report
