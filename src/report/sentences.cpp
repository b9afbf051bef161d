#include "report/sentences.h"

#include <cctype>
#include <cmath>

#include "core/format.h"
#include "report/plot.h"

namespace cs::report {

namespace {

int nats_decimals(double v) { return std::abs(v) >= 0.095 ? 2 : std::abs(v) >= 0.0095 ? 3 : 4; }

}  // namespace

std::string tokens_text(double t) { return format_si(t); }

std::string range_text(double lo, double hi, const char* format) {
  const std::string a = cs::format(format, lo), b = cs::format(format, hi);
  return a == b ? a : a + (format[1] == '+' ? " to " : "–") + b;
}

std::string nats_text(double v) { return format("%.*f", nats_decimals(v), v); }
std::string signed_text(double v) { return format("%+.*f", nats_decimals(v), v); }
std::string score_text(double v) { return format("%+.2f", v); }

std::string typeset_minus(std::string s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    const bool starts = i == 0 || s[i - 1] == ' ' || s[i - 1] == '(' || s[i - 1] == '/';
    if (s[i] == '-' && starts && (std::isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.')) s.replace(i, 1, "−");
  }
  return s;
}

std::string joined(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

std::string listed(const std::vector<std::string>& parts) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return s;
}

std::string plural(size_t n, const char* one, const char* many) { return n == 1 ? one : many; }

}  // namespace cs::report
