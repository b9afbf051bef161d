// Heatmaps: a value grid painted as an image (one pixel per output pixel, so the file size does
// not grow with the grid), with axes and a colour bar.
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "report/plot.h"
#include "report/plot_canvas.h"

namespace cs::report {

using detail::Align;
using detail::Frame;

namespace {

// Viridis: perceptually uniform and readable in greyscale and by most colour-blind readers.
Color viridis(double t) {
  static const Color stops[] = {{0.267, 0.004, 0.329}, {0.282, 0.157, 0.471}, {0.243, 0.286, 0.537},
                                {0.192, 0.408, 0.557}, {0.149, 0.510, 0.557}, {0.122, 0.620, 0.537},
                                {0.208, 0.718, 0.475}, {0.431, 0.808, 0.345}, {0.710, 0.871, 0.169},
                                {0.992, 0.906, 0.145}};
  t = std::clamp(t, 0.0, 1.0) * 9;
  const int i = std::min(8, int(t));
  const double f = t - i;
  const Color a = stops[i], b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

double to_axis(double v, Scale s) { return s == Scale::Log ? std::log(v) : v; }
double from_axis(double v, Scale s) { return s == Scale::Log ? std::exp(v) : v; }

// The kept cells of one axis: their indices and edges, in axis units (ln for a log axis).
struct Cells {
  std::vector<int64_t> index;
  std::vector<double> edges;  // index.size() + 1, increasing
};

Cells cells_of(const std::vector<double>& centres, Scale scale, const char* axis) {
  Cells c;
  std::vector<double> t;
  for (size_t i = 0; i < centres.size(); ++i) {
    if (!Frame::placeable(centres[i], scale)) continue;
    CS_CHECK(
        t.empty() || to_axis(centres[i], scale) > t.back(),
        "heatmap " << axis << " centres must increase, but entry " << i << " is " << centres[i]);
    c.index.push_back(int64_t(i));
    t.push_back(to_axis(centres[i], scale));
  }
  CS_CHECK(!t.empty(), "heatmap has no " << axis << " centre that fits its axis");
  const size_t n = t.size();
  c.edges.resize(n + 1);
  if (n == 1) {
    c.edges = {t[0] - 0.5, t[0] + 0.5};
    return c;
  }
  for (size_t i = 1; i < n; ++i) c.edges[i] = (t[i - 1] + t[i]) / 2;
  c.edges[0] = t[0] - (t[1] - t[0]) / 2;
  c.edges[n] = t[n - 1] + (t[n - 1] - t[n - 2]) / 2;
  return c;
}

// Which kept cell an axis value falls in (edges are increasing).
size_t cell_at(const Cells& c, double v) {
  const auto it = std::upper_bound(c.edges.begin() + 1, c.edges.end() - 1, v);
  return size_t(it - (c.edges.begin() + 1));
}

std::pair<double, double> value_range(const Heatmap& h) {
  double lo = INFINITY, hi = -INFINITY;
  for (float v : h.values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
  }
  if (h.vmin) lo = *h.vmin;
  if (h.vmax) hi = *h.vmax;
  if (!(lo <= hi)) return {0, 1};
  if (lo == hi) return {lo - 0.5, hi + 0.5};
  return {lo, hi};
}

void put_pixel(unsigned char* p, Color c) {
  // CAIRO_FORMAT_RGB24 is a native-endian 32-bit word: 0x00RRGGBB.
  *reinterpret_cast<uint32_t*>(p) = (uint32_t(c.r * 255 + 0.5) << 16) |
                                    (uint32_t(c.g * 255 + 0.5) << 8) | uint32_t(c.b * 255 + 0.5);
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

void paint_cells(cairo_t* cr, const Frame& f, const Heatmap& h, const Cells& xc, const Cells& yc,
                 double lo, double hi) {
  const int w = std::max(1, int(std::lround(f.width))),
            ht = std::max(1, int(std::lround(f.height)));
  SurfacePtr img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, ht), cairo_surface_destroy);
  cairo_surface_flush(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  std::vector<size_t> col_of(static_cast<size_t>(w));
  for (int px = 0; px < w; ++px)
    col_of[size_t(px)] =
        cell_at(xc, xc.edges.front() + (px + 0.5) / w * (xc.edges.back() - xc.edges.front()));
  for (int py = 0; py < ht; ++py) {
    const double v = yc.edges.back() - (py + 0.5) / ht * (yc.edges.back() - yc.edges.front());
    const int64_t r = yc.index[cell_at(yc, v)];
    for (int px = 0; px < w; ++px) {
      const float value = h.values[size_t(r * h.cols + xc.index[col_of[size_t(px)]])];
      const Color c =
          std::isfinite(value) ? viridis((value - lo) / (hi - lo)) : Color{0.8, 0.8, 0.8};
      put_pixel(data + py * stride + px * 4, c);
    }
  }
  cairo_surface_mark_dirty(img.get());
  cairo_set_source_surface(cr, img.get(), f.left, f.top);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
}

void draw_colorbar(cairo_t* cr, const Frame& plot, const std::string& label, double lo, double hi) {
  Frame bar;
  bar.left = plot.left + plot.width + 18;
  bar.top = plot.top;
  bar.width = 16;
  bar.height = plot.height;
  bar.y_lo = lo;
  bar.y_hi = hi;
  const int steps = std::max(2, int(bar.height));
  for (int i = 0; i < steps; ++i) {
    detail::set_color(cr, viridis(1 - (i + 0.5) / steps));
    cairo_rectangle(cr, bar.left, bar.top + bar.height * i / steps, bar.width,
                    bar.height / steps + 0.6);
    cairo_fill(cr);
  }
  detail::set_color(cr, {0.15, 0.15, 0.15});
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, bar.left, bar.top, bar.width, bar.height);
  cairo_stroke(cr);
  detail::set_font(cr, 11);
  const Ticks t = linear_ticks(lo, hi, 6);
  for (size_t i = 0; i < t.values.size(); ++i) {
    const double y = bar.py(t.values[i]);
    cairo_move_to(cr, bar.left + bar.width, y);
    cairo_line_to(cr, bar.left + bar.width + 4, y);
    cairo_stroke(cr);
    detail::text(cr, t.labels[i], bar.left + bar.width + 7, y, Align::Left);
  }
  detail::set_font(cr, 12);
  cairo_save(cr);
  cairo_translate(cr, bar.left + bar.width + 62, bar.top + bar.height / 2);
  cairo_rotate(cr, -M_PI / 2);
  detail::text(cr, label, 0, 0, Align::Center);
  cairo_restore(cr);
}

}  // namespace

std::string render(const Heatmap& h, Format format) {
  CS_CHECK(h.rows > 0 && h.cols > 0,
           "heatmap '" << h.title << "' is empty (" << h.rows << "x" << h.cols << ")");
  CS_CHECK(int64_t(h.values.size()) == h.rows * h.cols,
           "heatmap '" << h.title << "' has " << h.values.size() << " values for " << h.rows << "x"
                       << h.cols);
  CS_CHECK(int64_t(h.x.size()) == h.cols && int64_t(h.y.size()) == h.rows,
           "heatmap '" << h.title << "' has " << h.x.size() << " column and " << h.y.size()
                       << " row centres for " << h.rows << "x" << h.cols);
  CS_CHECK(h.width >= 300 && h.height >= 200,
           "heatmap '" << h.title << "' is too small: " << h.width << "x" << h.height);
  CS_CHECK((h.x_names.empty() || int64_t(h.x_names.size()) == h.cols) &&
               (h.y_names.empty() || int64_t(h.y_names.size()) == h.rows),
           "heatmap '" << h.title << "' names " << h.x_names.size() << " columns and " << h.y_names.size()
                       << " rows of " << h.cols << " and " << h.rows);
  const Cells xc = cells_of(h.x, h.x_scale, "column"), yc = cells_of(h.y, h.y_scale, "row");
  const auto [lo, hi] = value_range(h);
  Frame f;
  f.left = 80;
  if (!h.x_names.empty()) f.x_ticks = Ticks{h.x, h.x_names};
  if (!h.y_names.empty()) {
    // Room for the longest name at the tick labels' size (about 6.5 pixels a character).
    size_t longest = 0;
    for (const std::string& n : h.y_names) longest = std::max(longest, n.size());
    f.y_label_gap = std::max(f.y_label_gap, 24 + 6.5 * double(longest));
    f.left = std::max(f.left, f.y_label_gap + 22);
    f.y_ticks = Ticks{h.y, h.y_names};
  }
  f.top = 40;
  f.width = h.width - f.left - 120;  // room for the colour bar and its label
  f.height = h.height - f.top - 56;
  f.x_scale = h.x_scale;
  f.y_scale = h.y_scale;
  f.x_lo = from_axis(xc.edges.front(), h.x_scale);
  f.x_hi = from_axis(xc.edges.back(), h.x_scale);
  f.y_lo = from_axis(yc.edges.front(), h.y_scale);
  f.y_hi = from_axis(yc.edges.back(), h.y_scale);
  return detail::render_surface(h.width, h.height, format, h.title, [&](cairo_t* cr) {
    paint_cells(cr, f, h, xc, yc, lo, hi);
    detail::draw_axes(cr, f, h.title, h.x_label, h.y_label, false);
    draw_colorbar(cr, f, h.colorbar_label, lo, hi);
  });
}

}  // namespace cs::report
