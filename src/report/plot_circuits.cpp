#include "report/plot_circuits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "io/atomic_file.h"
#include "report/plot_canvas.h"

namespace cs::report {

using detail::Align;
using detail::Frame;

namespace {

constexpr double kDecades = 3;  // radial plots span |lambda| from max/1000 to max
const Color kInk{0.15, 0.15, 0.15}, kGrey{0.6, 0.6, 0.6};
const Color kCopy{0.173, 0.627, 0.173}, kAnti{0.839, 0.153, 0.157}, kOther{0.122, 0.467, 0.706};

void draw_radial_panel(cairo_t* cr, const RadialPanel& p, double x0, double y0, double size) {
  const double cx = x0 + size / 2, cy = y0 + size / 2 + 12, R = size / 2 - 22;
  cairo_set_line_width(cr, 1);
  detail::set_color(cr, kGrey);
  for (int ring = 1; ring <= int(kDecades); ++ring) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, cx, cy, R * ring / kDecades, 0, 2 * M_PI);
  }
  cairo_move_to(cr, cx - R, cy);
  cairo_line_to(cr, cx + R, cy);
  cairo_move_to(cr, cx, cy - R);
  cairo_line_to(cr, cx, cy + R);
  cairo_stroke(cr);
  double mx = 0;
  for (const auto& l : p.eigenvalues) mx = std::max(mx, std::abs(l));
  for (const auto& l : p.eigenvalues) {
    const double a = std::abs(l);
    if (!(mx > 0) || !std::isfinite(a)) continue;
    const double r =
        std::clamp(std::log10(a / (mx * std::pow(10.0, -kDecades))) / kDecades, 0.0, 1.0);
    const double t = std::arg(l);
    const double tol = 1e-6 * mx;
    detail::set_color(cr, std::abs(l.imag()) > tol ? kOther : l.real() >= 0 ? kCopy : kAnti, 0.8);
    cairo_arc(cr, cx + R * r * std::cos(t), cy - R * r * std::sin(t), 3, 0, 2 * M_PI);
    cairo_fill(cr);
  }
  detail::set_color(cr, kInk);
  detail::set_font(cr, 12, true);
  detail::text(cr, p.title, x0 + 6, y0 + 10, Align::Left);
  detail::set_font(cr, 10);
  detail::text(cr, p.subtitle, x0 + size - 6, y0 + 10, Align::Right);
}


Frame frame_for(int width, int height, std::pair<double, double> xr, std::pair<double, double> yr) {
  Frame f;
  f.left = 80;
  f.top = 44;
  f.width = width - 80 - 24;
  f.height = height - 44 - 58;
  std::tie(f.x_lo, f.x_hi) = xr;
  std::tie(f.y_lo, f.y_hi) = yr;
  return f;
}

std::pair<double, double> padded(const std::vector<double>& v, bool include_zero) {
  double lo = include_zero ? 0 : INFINITY, hi = include_zero ? 0 : -INFINITY;
  for (double x : v)
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  if (!(lo <= hi)) return {-1, 1};
  if (lo == hi) return {lo - 1, hi + 1};
  const double pad = 0.08 * (hi - lo);
  return {lo - pad, hi + pad};
}

}  // namespace

std::vector<int> histogram_counts(const Histogram& h) {
  CS_CHECK(h.bins >= 1 && h.hi > h.lo, "histogram '" << h.title << "' needs bins >= 1 and hi > lo");
  std::vector<int> counts(static_cast<size_t>(h.bins), 0);
  for (double v : h.values) {
    if (!std::isfinite(v)) continue;
    const int b = int(std::floor((v - h.lo) / (h.hi - h.lo) * h.bins));
    ++counts[size_t(std::clamp(b, 0, h.bins - 1))];
  }
  return counts;
}

std::string render(const RadialGrid& g, Format format) {
  CS_CHECK(!g.panels.empty() && g.columns >= 1 && g.cell >= 80,
           "radial plot '" << g.title << "' needs panels, columns >= 1 and cells of 80+ pixels");
  const int cols = std::min<int>(g.columns, int(g.panels.size()));
  const int rows = int((g.panels.size() + size_t(cols) - 1) / size_t(cols));
  const double head = 54;
  const int width = cols * g.cell, height = int(head) + rows * g.cell;
  return detail::render_surface(width, height, format, g.title, [&](cairo_t* cr) {
    detail::set_color(cr, kInk);
    detail::set_font(cr, 15, true);
    detail::text(cr, g.title, width / 2.0, 16, Align::Center);
    detail::set_font(cr, 10);
    detail::text(cr,
                 "angle = arg λ; rings at |λ| = max, max/10, max/100 (log radius); green: "
                 "positive real, red: negative real, blue: complex",
                 width / 2.0, 36, Align::Center);
    for (size_t i = 0; i < g.panels.size(); ++i)
      draw_radial_panel(cr, g.panels[i], double(int(i) % cols) * g.cell,
                        head + double(int(i) / cols) * g.cell, g.cell);
  });
}

std::string render(const Histogram& h, Format format) {
  const std::vector<int> counts = histogram_counts(h);
  const int top = std::max(1, *std::max_element(counts.begin(), counts.end()));
  // At least 0..5 on the count axis, so small counts get whole-number ticks.
  Frame f = frame_for(h.width, h.height, {h.lo, h.hi}, {0, std::max(5.5, top * 1.1)});
  return detail::render_surface(h.width, h.height, format, h.title, [&](cairo_t* cr) {
    detail::draw_axes(cr, f, h.title, h.x_label, h.y_label, true);
    const double w = (h.hi - h.lo) / h.bins;
    for (int b = 0; b < h.bins; ++b) {
      if (counts[size_t(b)] == 0) continue;
      const double x0 = f.px(h.lo + b * w), x1 = f.px(h.lo + (b + 1) * w);
      const double y0 = f.py(0), y1 = f.py(counts[size_t(b)]);
      detail::set_color(cr, palette(0), 0.8);
      cairo_rectangle(cr, x0 + 1, y1, x1 - x0 - 2, y0 - y1);
      cairo_fill(cr);
    }
  });
}

std::string render(const ScatterPlot& s, Format format) {
  CS_CHECK(s.x.size() == s.y.size(), "scatter '" << s.title << "' has " << s.x.size()
                                                 << " x values but " << s.y.size() << " y values");
  CS_CHECK(s.labels.empty() || s.labels.size() == s.x.size(),
           "scatter '" << s.title << "' has " << s.labels.size() << " labels for " << s.x.size()
                       << " points");
  Frame f = frame_for(s.width, s.height, s.x_range.value_or(padded(s.x, s.zero_lines)),
                      s.y_range.value_or(padded(s.y, s.zero_lines)));
  return detail::render_surface(s.width, s.height, format, s.title, [&](cairo_t* cr) {
    detail::draw_axes(cr, f, s.title, s.x_label, s.y_label, true);
    cairo_save(cr);
    cairo_rectangle(cr, f.left, f.top, f.width, f.height);
    cairo_clip(cr);
    if (s.zero_lines) {
      detail::set_color(cr, {0.45, 0.45, 0.45});
      const double dash[] = {4, 3};
      cairo_set_dash(cr, dash, 2, 0);
      cairo_move_to(cr, f.px(0), f.top);
      cairo_line_to(cr, f.px(0), f.top + f.height);
      cairo_move_to(cr, f.left, f.py(0));
      cairo_line_to(cr, f.left + f.width, f.py(0));
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
    detail::set_font(cr, 10);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double px = f.px(s.x[i]), py = f.py(s.y[i]);
      detail::set_color(cr, palette(0), 0.85);
      cairo_arc(cr, px, py, 4, 0, 2 * M_PI);
      cairo_fill(cr);
      if (!s.labels.empty()) {
        detail::set_color(cr, kInk);
        detail::text(cr, s.labels[i], px + 6, py - 6, Align::Left);
      }
    }
    cairo_restore(cr);
  });
}

RadialGrid eigenvalue_grid(const std::vector<analysis::HeadSpectrum>& spectra, bool ov) {
  RadialGrid g;
  g.title = ov ? "OV circuit eigenvalues per head (W_E W_OV W_U)"
               : "QK circuit eigenvalues per head (W_E W_QK W_E^T)";
  int heads = 0;
  for (const auto& s : spectra) heads = std::max(heads, s.head + 1);
  g.columns = std::max(1, heads);
  for (const auto& s : spectra) {
    char sub[48];
    std::snprintf(sub, sizeof sub, "score %+.2f", ov ? s.ov_copying_score : s.qk_copying_score);
    g.panels.push_back({std::to_string(s.layer) + "." + std::to_string(s.head), sub,
                        ov ? s.ov_eigenvalues : s.qk_eigenvalues});
  }
  return g;
}

Histogram copying_histogram(const std::vector<analysis::HeadSpectrum>& spectra) {
  Histogram h;
  h.title = "OV eigenvalue copying score over heads";
  h.x_label = "sum(λ) / sum(|λ|)   (-1 anti-copying … +1 copying)";
  for (const auto& s : spectra) h.values.push_back(s.ov_copying_score);
  return h;
}

ScatterPlot induction_scatter(const std::vector<analysis::InductionAxis>& axes) {
  ScatterPlot s;
  s.title = "Later-layer heads: copying (OV) against induction (K-composition QK)";
  s.x_label = "OV copying score";
  s.y_label = "induction QK score sum(λ)/sum(|λ|)";
  s.x_range = std::pair{-1.05, 1.05};
  s.y_range = std::pair{-1.05, 1.05};
  for (const auto& a : axes) {
    s.x.push_back(a.ov_copying_score);
    s.y.push_back(a.score);
    s.labels.push_back(std::to_string(a.layer) + "." + std::to_string(a.head));
  }
  return s;
}

std::vector<File> save_circuit_pictures(const analysis::CircuitsAnalysis& a, const run::RunDir& run) {
  std::vector<File> written;
  if (a.spectra.empty()) return written;  // a 0-layer model has no heads to draw
  auto add = [&](const auto& picture, File f) {
    save_both(picture, run.path(f));
    written.push_back(f);
  };
  add(eigenvalue_grid(a.spectra, true), File::ov_eigenvalues_picture);
  add(eigenvalue_grid(a.spectra, false), File::qk_eigenvalues_picture);
  add(copying_histogram(a.spectra), File::copying_scores_picture);
  if (!a.axes.empty()) add(induction_scatter(a.axes), File::induction_scatter_picture);
  return written;
}

}  // namespace cs::report
