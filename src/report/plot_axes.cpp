// Line plots: series with error bands, shaded x spans, reference lines and a legend.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "report/plot.h"
#include "report/plot_canvas.h"

namespace cs::report {

using detail::Align;
using detail::Frame;

Color palette(size_t i) {
  // Tableau 10: distinct for most colour-vision types and in greyscale print.
  static const Color colors[] = {
      {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
      {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
      {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};
  return colors[i % 10];
}

namespace {

constexpr double kLeft = 80, kRight = 24, kTop = 40, kBottom = 56, kFigureTitle = 30;

void check_series(const Series& s, size_t index) {
  CS_CHECK(s.x.size() == s.y.size(), "series " << index << " ('" << s.label << "') has "
                                               << s.x.size() << " x values but " << s.y.size()
                                               << " y values");
  CS_CHECK(
      s.band_lo.size() == s.band_hi.size() && (s.band_lo.empty() || s.band_lo.size() == s.x.size()),
      "series " << index << " ('" << s.label << "') has a band of " << s.band_lo.size() << "/"
                << s.band_hi.size() << " values for " << s.x.size() << " points");
}

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

std::pair<double, double> x_range_of(const Axes& a) {
  if (a.x_range) return *a.x_range;
  Range r;
  for (const Series& s : a.series)
    for (double x : s.x)
      if (Frame::placeable(x, a.x_scale)) r.add(x);
  if (a.x_scale == Scale::Log) {
    if (r.empty()) return {1, 10};
    if (r.lo == r.hi) return {r.lo / 2, r.hi * 2};
    const double pad = 0.02 * std::log(r.hi / r.lo);
    return {r.lo * std::exp(-pad), r.hi * std::exp(pad)};
  }
  if (r.empty()) return {0, 1};
  if (r.lo == r.hi) return {r.lo - 1, r.hi + 1};
  const double pad = 0.02 * (r.hi - r.lo);
  return {r.lo - pad, r.hi + pad};
}

std::pair<double, double> y_range_of(const Axes& a) {
  if (a.y_range) return *a.y_range;
  Range r;
  for (const Series& s : a.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!Frame::placeable(s.x[i], a.x_scale)) continue;
      r.add(s.y[i]);
      if (!s.band_lo.empty()) {
        r.add(s.band_lo[i]);
        r.add(s.band_hi[i]);
      }
    }
  }
  for (double h : a.h_lines) r.add(h);
  if (r.empty()) return {0, 1};
  if (r.lo == r.hi) {
    const double d = std::max(1e-3, 0.1 * std::abs(r.lo));
    return {r.lo - d, r.hi + d};
  }
  const double pad = 0.06 * (r.hi - r.lo);
  return {r.lo - pad, r.hi + pad};
}

// Runs of consecutive drawable points; a gap (NaN, or x <= 0 on a log axis) starts a new run.
template <class Visit>
void for_each_run(const Series& s, Scale x_scale, bool with_band, Visit visit) {
  std::vector<size_t> run;
  auto ok = [&](size_t i) {
    return Frame::placeable(s.x[i], x_scale) && std::isfinite(s.y[i]) &&
           (!with_band || (std::isfinite(s.band_lo[i]) && std::isfinite(s.band_hi[i])));
  };
  for (size_t i = 0; i <= s.x.size(); ++i) {
    if (i < s.x.size() && ok(i)) {
      run.push_back(i);
    } else if (!run.empty()) {
      visit(run);
      run.clear();
    }
  }
}

void draw_band(cairo_t* cr, const Frame& f, const Series& s, Color c, Scale x_scale) {
  if (s.band_lo.empty()) return;
  detail::set_color(cr, c, 0.2);
  for_each_run(s, x_scale, true, [&](const std::vector<size_t>& run) {
    for (size_t k = 0; k < run.size(); ++k)
      cairo_line_to(cr, f.px(s.x[run[k]]), f.py(s.band_hi[run[k]]));
    for (size_t k = run.size(); k-- > 0;)
      cairo_line_to(cr, f.px(s.x[run[k]]), f.py(s.band_lo[run[k]]));
    cairo_close_path(cr);
    cairo_fill(cr);
  });
}

void set_line_style(cairo_t* cr, const Series& s) {
  cairo_set_line_width(cr, s.line_width);
  const double dash[] = {6, 4};
  cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
}

void draw_line(cairo_t* cr, const Frame& f, const Series& s, Color c, Scale x_scale) {
  detail::set_color(cr, c);
  set_line_style(cr, s);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for_each_run(s, x_scale, false, [&](const std::vector<size_t>& run) {
    cairo_move_to(cr, f.px(s.x[run[0]]), f.py(s.y[run[0]]));
    for (size_t k = 1; k < run.size(); ++k) cairo_line_to(cr, f.px(s.x[run[k]]), f.py(s.y[run[k]]));
    if (run.size() == 1) cairo_arc(cr, f.px(s.x[run[0]]), f.py(s.y[run[0]]), 1.5, 0, 2 * M_PI);
    cairo_stroke(cr);
    if (!s.markers) return;
    for (size_t i : run) {
      cairo_arc(cr, f.px(s.x[i]), f.py(s.y[i]), 2.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
  });
  cairo_set_dash(cr, nullptr, 0, 0);
}

void draw_spans(cairo_t* cr, const Frame& f, const Axes& a) {
  for (const XSpan& span : a.spans) {
    double x0 = std::min(span.x0, span.x1), x1 = std::max(span.x0, span.x1);
    if (!std::isfinite(x0) || !std::isfinite(x1)) continue;
    x0 = std::clamp(x0, f.x_lo, f.x_hi);
    x1 = std::clamp(x1, f.x_lo, f.x_hi);
    const double p0 = f.px(x0),
                 p1 = std::max(f.px(x1), p0 + 2);  // a one-snapshot span stays visible
    detail::set_color(cr, span.color, 0.25);
    cairo_rectangle(cr, p0, f.top, p1 - p0, f.height);
    cairo_fill(cr);
  }
}

void draw_h_lines(cairo_t* cr, const Frame& f, const Axes& a) {
  detail::set_color(cr, {0.45, 0.45, 0.45});
  cairo_set_line_width(cr, 1);
  const double dash[] = {3, 3};
  cairo_set_dash(cr, dash, 2, 0);
  for (double h : a.h_lines) {
    if (!std::isfinite(h)) continue;
    cairo_move_to(cr, f.left, f.py(h));
    cairo_line_to(cr, f.left + f.width, f.py(h));
  }
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
}

void draw_legend(cairo_t* cr, const Frame& f, const Axes& a) {
  if (a.legend == LegendPlace::None) return;
  struct Entry {
    std::string label;
    Color color;
    const Series* series;  // null: a span's swatch
  };
  std::vector<Entry> entries;
  for (size_t i = 0; i < a.series.size(); ++i)
    if (!a.series[i].label.empty())
      entries.push_back({a.series[i].label, a.series[i].color.value_or(palette(i)), &a.series[i]});
  for (const XSpan& s : a.spans)
    if (!s.label.empty()) entries.push_back({s.label, s.color, nullptr});
  if (entries.empty()) return;
  detail::set_font(cr, 11);
  double w = 0;
  for (const Entry& e : entries) w = std::max(w, detail::text_width(cr, e.label));
  const double row = 17, box_w = w + 44, box_h = row * double(entries.size()) + 8, inset = 8;
  const bool right = a.legend == LegendPlace::TopRight || a.legend == LegendPlace::BottomRight;
  const bool top = a.legend == LegendPlace::TopRight || a.legend == LegendPlace::TopLeft;
  const double x = right ? f.left + f.width - inset - box_w : f.left + inset;
  const double y = top ? f.top + inset : f.top + f.height - inset - box_h;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, x, y, box_w, box_h);
  cairo_fill_preserve(cr);
  detail::set_color(cr, {0.7, 0.7, 0.7});
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (size_t k = 0; k < entries.size(); ++k) {
    const double cy = y + 4 + row * (double(k) + 0.5);
    const Entry& e = entries[k];
    if (e.series) {
      detail::set_color(cr, e.color);
      set_line_style(cr, *e.series);
      cairo_move_to(cr, x + 8, cy);
      cairo_line_to(cr, x + 32, cy);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    } else {
      detail::set_color(cr, e.color, 0.35);
      cairo_rectangle(cr, x + 8, cy - 6, 24, 12);
      cairo_fill(cr);
    }
    detail::set_color(cr, {0.1, 0.1, 0.1});
    detail::text(cr, e.label, x + 38, cy, Align::Left);
  }
}

void draw_panel(cairo_t* cr, const Axes& a, double left, double top, double width, double height) {
  for (size_t i = 0; i < a.series.size(); ++i) check_series(a.series[i], i);
  Frame f;
  f.left = left + kLeft;
  f.top = top + kTop;
  f.width = width - kLeft - kRight;
  f.height = height - kTop - kBottom;
  f.x_scale = a.x_scale;
  std::tie(f.x_lo, f.x_hi) = x_range_of(a);
  std::tie(f.y_lo, f.y_hi) = y_range_of(a);
  CS_CHECK(f.x_lo < f.x_hi && f.y_lo < f.y_hi && (a.x_scale == Scale::Linear || f.x_lo > 0),
           "plot '" << a.title << "' has an empty or invalid axis range");
  draw_spans(cr, f, a);
  detail::draw_axes(cr, f, a.title, a.x_label, a.y_label, true);
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_clip(cr);
  for (size_t i = 0; i < a.series.size(); ++i)
    draw_band(cr, f, a.series[i], a.series[i].color.value_or(palette(i)), a.x_scale);
  draw_h_lines(cr, f, a);
  for (size_t i = 0; i < a.series.size(); ++i)
    draw_line(cr, f, a.series[i], a.series[i].color.value_or(palette(i)), a.x_scale);
  cairo_restore(cr);
  draw_legend(cr, f, a);
}

}  // namespace

std::string render(const Figure& figure, Format format) {
  CS_CHECK(!figure.panels.empty(), "figure '" << figure.title << "' has no panels");
  CS_CHECK(figure.width >= 200 && figure.panel_height >= 150,
           "figure '" << figure.title << "' is too small: " << figure.width << "x"
                      << figure.panel_height << " per panel (at least 200x150)");
  const double head = figure.title.empty() ? 0 : kFigureTitle;
  const int height = int(head) + figure.panel_height * int(figure.panels.size());
  const std::string svg_title = figure.title.empty() ? figure.panels[0].title : figure.title;
  return detail::render_surface(figure.width, height, format, svg_title, [&](cairo_t* cr) {
    if (!figure.title.empty()) {
      detail::set_color(cr, {0.1, 0.1, 0.1});
      detail::set_font(cr, 16, true);
      detail::text(cr, figure.title, figure.width / 2.0, 20, Align::Center);
    }
    for (size_t p = 0; p < figure.panels.size(); ++p)
      draw_panel(cr, figure.panels[p], 0, head + double(p) * figure.panel_height, figure.width,
                 figure.panel_height);
  });
}

}  // namespace cs::report
