#include "report/html_page.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/format.h"

namespace cs::report::html {

namespace {

std::string base64(std::string_view bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (two ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += two ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Cairo sizes its SVG in points; the page shows each picture at the pixel size it was laid out
// for, so that text in every picture comes out the same size.
std::string nominal_width(const std::string& svg) {
  const size_t root = svg.find("<svg");
  const size_t at = svg.find("width=\"", root);
  if (root == std::string::npos || at == std::string::npos) return "";
  const double w = std::atof(svg.c_str() + at + 7);
  return w > 0 ? format(" width=\"%d\"", int(std::lround(w))) : "";
}

const char* kStyle = R"(
:root { color-scheme: light; }
body { margin: 0; background: #f3f3f1; color: #1d1d1f;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 36px 60px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0 2px; }
h2 { font-size: 20px; margin: 34px 0 6px; padding-top: 10px; border-top: 1px solid #ddd; }
h3 { font-size: 16px; margin: 18px 0 4px; }
.sub { color: #555; margin: 0 0 10px; }
nav { font-size: 13px; margin: 10px 0 0; }
nav a { margin-right: 12px; white-space: nowrap; }
a { color: #1f5fa8; text-decoration: none; }
a:hover { text-decoration: underline; }
ul.findings { padding-left: 20px; }
ul.findings li { margin: 7px 0; }
ul.findings a { font-size: 13px; white-space: nowrap; }
img.pic { display: block; max-width: 100%; height: auto; margin: 10px 0; }
.row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.row > * { flex: 1 1 0; min-width: 300px; }
.row img.pic { width: 100%; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e6e6e6; text-align: right; vertical-align: top; }
th { background: #f6f6f4; font-weight: 600; }
.l { text-align: left; }
td.hit { background: #fde4c8; font-weight: 600; }
.missing { color: #6b3d00; background: #fff5e1; border-left: 4px solid #f0a030; padding: 8px 12px; margin: 8px 0; }
.note { color: #555; font-size: 13px; margin: 4px 0; }
code.tok { background: #eef1f5; padding: 0 3px; border-radius: 3px; white-space: pre; font-size: 12px; }
.bar { display: inline-block; height: 10px; vertical-align: middle; }
.bar.pos { background: #3b75af; }
.bar.neg { background: #c8553d; }
table.grid td { text-align: center; padding: 2px 6px; border: 1px solid #fff; }
table.grid th { padding: 2px 6px; }
td.heads { white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 8px 18px; }
.cards table { width: 100%; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
)";

}  // namespace

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* format) {
  if (!std::isfinite(v)) return "–";
  std::string s = cs::format(format, v);
  if (s[0] == '-') s.replace(0, 1, "−");
  return s;
}

std::string missing(const std::string& text) { return "<p class=\"missing\">" + esc(text) + "</p>\n"; }
std::string note(const std::string& text) { return "<p class=\"note\">" + esc(text) + "</p>\n"; }

// Each picture is a document of its own (a data: URI): cairo's glyph and clip ids repeat from
// one SVG to the next and would clash inside one page.
std::string svg_image(const std::string& svg, const std::string& alt) {
  return "<img class=\"pic\" alt=\"" + esc(alt) + "\"" + nominal_width(svg) + " src=\"data:image/svg+xml;base64," +
         base64(svg) + "\">\n";
}

std::string page_open(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         esc(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
}

std::string page_close(const std::string& footer) {
  return "<footer>" + esc(footer) + "</footer>\n</main>\n</body>\n</html>\n";
}

}  // namespace cs::report::html
