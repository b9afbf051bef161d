#pragma once
// Internal to the plot module: the surfaces behind report/plot.h and the drawing helpers that
// line plots and heatmaps share.
#include <cairo.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>

#include "report/plot.h"

namespace cs::report::detail {

// Runs `draw` on a width x height surface of the given format and returns the file's bytes.
// `title` becomes the SVG's <title>, since cairo writes text as glyph outlines.
std::string render_surface(int width, int height, Format format, const std::string& title,
                           const std::function<void(cairo_t*)>& draw);

// Maps data coordinates into a pixel rectangle; y grows upwards in data, downwards in pixels.
struct Frame {
  double left = 0, top = 0, width = 0, height = 0;
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  Scale x_scale = Scale::Linear, y_scale = Scale::Linear;
  // Ticks to draw instead of those the axis range gives (e.g. names of heatmap rows).
  std::optional<Ticks> x_ticks, y_ticks;
  double y_label_gap = 58;  // from the frame's left edge to the centre of the y label

  double px(double x) const;
  double py(double y) const;
  // Whether a value can be placed on the axis at all (finite, and > 0 on a log axis).
  static bool placeable(double v, Scale s) {
    return std::isfinite(v) && (s == Scale::Linear || v > 0);
  }
};

enum class Align { Left, Center, Right };

void set_font(cairo_t* cr, double size, bool bold = false);
// Draws text with its horizontal anchor at x and its vertical centre at y.
void text(cairo_t* cr, const std::string& s, double x, double y, Align align);
double text_width(cairo_t* cr, const std::string& s);
void set_color(cairo_t* cr, Color c, double alpha = 1);

// The frame's box, ticks with labels on both axes, axis labels and a title above.
void draw_axes(cairo_t* cr, const Frame& f, const std::string& title, const std::string& x_label,
               const std::string& y_label, bool grid);

Ticks ticks_for(double lo, double hi, Scale scale, int target);

}  // namespace cs::report::detail
