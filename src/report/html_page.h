#pragma once
// What every circuitscope HTML page shares (the run report, the sweep page): one file that opens
// offline, with styles inline and every picture an SVG document inside the page; text escaped,
// numbers in table cells typeset the same way.
#include <exception>
#include <string>

#include "report/plot.h"

namespace cs::report::html {

std::string esc(const std::string& s);

// A number for a table cell: NaN (an undefined score) shows as a dash, a minus sign as "−".
std::string num(double v, const char* format = "%.3f");

// A paragraph saying what is missing and why, or a small note under a heading.
std::string missing(const std::string& text);
std::string note(const std::string& text);

// An SVG document shown as an image of the page.
std::string svg_image(const std::string& svg, const std::string& alt);

// A picture of the plot module drawn into the page; one that cannot be drawn says why instead.
template <class Picture>
std::string picture(const Picture& p, const std::string& alt) {
  try {
    return svg_image(render(p, Format::Svg), alt);
  } catch (const std::exception& e) {
    return missing("The picture could not be drawn: " + std::string(e.what()));
  }
}

// The page up to its <main> (title and style), and from the footer (text escaped) to the end.
std::string page_open(const std::string& title);
std::string page_close(const std::string& footer);

}  // namespace cs::report::html
