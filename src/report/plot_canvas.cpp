#include "report/plot_canvas.h"

#include <cairo-svg.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "io/atomic_file.h"

namespace cs::report {

namespace detail {

namespace {

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Cairo draws text as glyph outlines; a <title> keeps the picture findable and accessible.
void insert_svg_title(std::string& svg, const std::string& title) {
  if (title.empty()) return;
  const size_t open = svg.find("<svg");
  const size_t close = open == std::string::npos ? open : svg.find('>', open);
  CS_CHECK(close != std::string::npos, "cairo produced an SVG without an <svg> element");
  svg.insert(close + 1, "\n<title>" + xml_escape(title) + "</title>");
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void check_status(cairo_status_t status, const char* what) {
  CS_CHECK(status == CAIRO_STATUS_SUCCESS,
           "cairo failed while " << what << ": " << cairo_status_to_string(status));
}

}  // namespace

std::string render_surface(int width, int height, Format format, const std::string& title,
                           const std::function<void(cairo_t*)>& draw) {
  CS_CHECK(width > 0 && height > 0, "picture size " << width << "x" << height << " is empty");
  std::string bytes;
  SurfacePtr surface(format == Format::Svg
                         ? cairo_svg_surface_create_for_stream(append_bytes, &bytes, width, height)
                         : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height),
                     cairo_surface_destroy);
  check_status(cairo_surface_status(surface.get()), "creating a surface");
  {
    ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    draw(cr.get());
    check_status(cairo_status(cr.get()), "drawing");
  }
  if (format == Format::Png) {
    check_status(cairo_surface_write_to_png_stream(surface.get(), append_bytes, &bytes),
                 "encoding PNG");
  } else {
    cairo_surface_finish(surface.get());
    check_status(cairo_surface_status(surface.get()), "writing SVG");
    insert_svg_title(bytes, title);
  }
  return bytes;
}

double Frame::px(double x) const {
  const double t = x_scale == Scale::Log
                       ? (std::log(x) - std::log(x_lo)) / (std::log(x_hi) - std::log(x_lo))
                       : (x - x_lo) / (x_hi - x_lo);
  return left + t * width;
}

double Frame::py(double y) const {
  const double t = y_scale == Scale::Log
                       ? (std::log(y) - std::log(y_lo)) / (std::log(y_hi) - std::log(y_lo))
                       : (y - y_lo) / (y_hi - y_lo);
  return top + (1 - t) * height;
}

void set_font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

void text(cairo_t* cr, const std::string& s, double x, double y, Align align) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double w = text_width(cr, s);
  const double x0 = align == Align::Left ? x : align == Align::Center ? x - w / 2 : x - w;
  cairo_move_to(cr, x0, y + (fe.ascent - fe.descent) / 2);
  cairo_show_text(cr, s.c_str());
}

void set_color(cairo_t* cr, Color c, double alpha) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

Ticks ticks_for(double lo, double hi, Scale scale, int target) {
  return scale == Scale::Log ? log_ticks(lo, hi) : linear_ticks(lo, hi, target);
}

void draw_axes(cairo_t* cr, const Frame& f, const std::string& title, const std::string& x_label,
               const std::string& y_label, bool grid) {
  const Color ink{0.15, 0.15, 0.15};
  const Ticks xt = f.x_ticks ? *f.x_ticks : ticks_for(f.x_lo, f.x_hi, f.x_scale, std::max(2, int(f.width / 90)));
  const Ticks yt = f.y_ticks ? *f.y_ticks : ticks_for(f.y_lo, f.y_hi, f.y_scale, std::max(2, int(f.height / 60)));
  cairo_set_line_width(cr, 1);
  if (grid) {
    set_color(cr, {0.9, 0.9, 0.9});
    for (double v : xt.values) {
      cairo_move_to(cr, f.px(v), f.top);
      cairo_line_to(cr, f.px(v), f.top + f.height);
    }
    for (double v : yt.values) {
      cairo_move_to(cr, f.left, f.py(v));
      cairo_line_to(cr, f.left + f.width, f.py(v));
    }
    cairo_stroke(cr);
  }
  set_color(cr, ink);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_stroke(cr);
  set_font(cr, 11);
  for (size_t i = 0; i < xt.values.size(); ++i) {
    const double x = f.px(xt.values[i]);
    cairo_move_to(cr, x, f.top + f.height);
    cairo_line_to(cr, x, f.top + f.height + 5);
    cairo_stroke(cr);
    text(cr, xt.labels[i], x, f.top + f.height + 15, Align::Center);
  }
  for (size_t i = 0; i < yt.values.size(); ++i) {
    const double y = f.py(yt.values[i]);
    cairo_move_to(cr, f.left - 5, y);
    cairo_line_to(cr, f.left, y);
    cairo_stroke(cr);
    text(cr, yt.labels[i], f.left - 8, y, Align::Right);
  }
  set_font(cr, 12);
  text(cr, x_label, f.left + f.width / 2, f.top + f.height + 36, Align::Center);
  cairo_save(cr);
  cairo_translate(cr, f.left - f.y_label_gap, f.top + f.height / 2);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, y_label, 0, 0, Align::Center);
  cairo_restore(cr);
  set_font(cr, 14, true);
  text(cr, title, f.left + f.width / 2, f.top - 14, Align::Center);
}

}  // namespace detail

Format format_of(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".svg") return Format::Svg;
  if (ext == ".png") return Format::Png;
  fail("picture " + path + " must end in .svg or .png");
}

void save(const Figure& figure, const std::string& path) {
  io::write_file_atomic(path, render(figure, format_of(path)));
}

void save(const Axes& axes, const std::string& path) {
  Figure f;  // untitled: the panel's own title is drawn, and names the SVG
  f.panels = {axes};
  save(f, path);
}

void save(const Heatmap& heatmap, const std::string& path) {
  io::write_file_atomic(path, render(heatmap, format_of(path)));
}

void write_picture(const std::string& path, const std::string& bytes) { io::write_file_atomic(path, bytes); }

}  // namespace cs::report
