#pragma once
// A small plotting module on cairo: line plots (several series, error bands, shaded x spans,
// reference lines, legend, linear or log x) stacked in figures, and heatmaps with a colour bar.
// One drawing code serves both outputs; the file extension (.svg or .png) picks the surface.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cs::report {

struct Color {
  double r = 0, g = 0, b = 0;
};

// Distinguishable colours for series i = 0, 1, ... (cycles after ten).
Color palette(size_t i);

enum class Scale { Linear, Log };

struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
};

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them inside [lo, hi].
Ticks linear_ticks(double lo, double hi, int target = 6);
// Ticks at powers of ten inside [lo, hi] (lo > 0); when fewer than two fit, also at 2x and 5x.
Ticks log_ticks(double lo, double hi);
// 1500 -> "1.5k", 2e6 -> "2M", 3e9 -> "3B": token counts read at a glance.
std::string format_si(double v);

struct Series {
  std::string label;                     // empty: left out of the legend
  std::vector<double> x, y;              // a non-finite y (or x <= 0 on a log axis) breaks the line
  std::vector<double> band_lo, band_hi;  // optional shaded band (e.g. +-stderr), same length
  std::optional<Color> color;            // default: palette(index of the series)
  double line_width = 1.8;
  bool dashed = false;
  bool markers = false;
};

// A shaded vertical band from x0 to x1 across the whole plot (e.g. a phase-change window).
struct XSpan {
  double x0 = 0, x1 = 0;
  std::string label;  // empty: left out of the legend
  Color color{0.95, 0.6, 0.1};
};

enum class LegendPlace { TopRight, TopLeft, BottomRight, BottomLeft, None };

struct Axes {
  std::string title, x_label, y_label;
  Scale x_scale = Scale::Linear;
  std::vector<Series> series;
  std::vector<XSpan> spans;
  std::vector<double> h_lines;  // dashed grey reference lines, always inside the y range
  std::optional<std::pair<double, double>> x_range, y_range;  // default: fit the data
  LegendPlace legend = LegendPlace::TopRight;
};

// A panel over training tokens on a log axis with dashed reference lines: the frame of every
// over-training picture.
inline Axes over_tokens(std::string title, std::string y_label, LegendPlace legend,
                        std::vector<double> h_lines = {0.0}) {
  Axes a;
  a.title = std::move(title);
  a.x_label = "training tokens (log)";
  a.y_label = std::move(y_label);
  a.x_scale = Scale::Log;
  a.h_lines = std::move(h_lines);
  a.legend = legend;
  return a;
}

// Panels stacked top to bottom, sharing the width.
struct Figure {
  std::string title;  // above all panels; also the SVG <title>
  std::vector<Axes> panels;
  int width = 800;
  int panel_height = 420;
};

// values[r * cols + c] drawn at column centre x[c] and row centre y[r] (both increasing; cell
// edges halfway between centres, geometric halfway on a log axis). Row 0 is drawn at the bottom.
// On a log axis, rows or columns whose centre is <= 0 are left out.
struct Heatmap {
  std::string title, x_label, y_label, colorbar_label;
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
  std::vector<double> x, y;
  Scale x_scale = Scale::Linear, y_scale = Scale::Linear;
  std::optional<double> vmin, vmax;  // colour range; default: the finite values' min and max
  // A name per column or row (e.g. runs), written at its centre instead of numeric ticks.
  std::vector<std::string> x_names, y_names;
  int width = 900, height = 600;
};

enum class Format { Svg, Png };

// Format from the extension of `path` (.svg or .png, anything else is an error).
Format format_of(const std::string& path);

// The picture's bytes (for tests and for embedding).
std::string render(const Figure& figure, Format format);
std::string render(const Heatmap& heatmap, Format format);

// Written to a temporary file and renamed into place; parent folders are created.
void save(const Figure& figure, const std::string& path);
void save(const Axes& axes, const std::string& path);  // a one-panel figure titled by the axes
void save(const Heatmap& heatmap, const std::string& path);

void write_picture(const std::string& path, const std::string& bytes);

// BASE.svg and BASE.png, BASE a path without extension (a picture's name in core/files.h);
// returns the two paths. For every picture type that has a render().
template <class Picture>
std::vector<std::string> save_both(const Picture& picture, const std::string& base) {
  std::vector<std::string> paths = {base + ".svg", base + ".png"};
  for (const std::string& path : paths) write_picture(path, render(picture, format_of(path)));
  return paths;
}

}  // namespace cs::report
