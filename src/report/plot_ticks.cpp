#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "report/plot.h"

namespace cs::report {

namespace {

std::string trimmed(double v, int significant) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string format_si(double v) {
  if (v == 0) return "0";
  if (std::abs(v) >= 1e15) {  // past the suffixes: 2e15, not 2000T
    const int e = int(std::floor(std::log10(std::abs(v))));
    return trimmed(v / std::pow(10.0, e), 3) + "e" + std::to_string(e);
  }
  static const struct {
    double unit;
    const char* suffix;
  } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& u : units)
    if (std::abs(v) >= u.unit) return trimmed(v / u.unit, 3) + u.suffix;
  return trimmed(v, 3);
}

Ticks linear_ticks(double lo, double hi, int target) {
  CS_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
           "tick range [" << lo << ", " << hi << "] must be finite and non-empty");
  CS_CHECK(target >= 1, "tick target must be at least 1, got " << target);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double nice = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  const double step = nice * magnitude;
  // Labels carry as many decimals as the step needs, or SI suffixes for large numbers.
  const int decimals = std::max(0, int(std::ceil(-std::log10(step) - 1e-9)));
  const bool si = std::max(std::abs(lo), std::abs(hi)) >= 1e4;
  Ticks t;
  const double eps = step * 1e-9;
  for (double k = std::ceil((lo - eps) / step);; k += 1) {
    double v = k * step;
    if (v > hi + eps) break;
    if (std::abs(v) < eps) v = 0;  // no "-0.0"
    t.values.push_back(v);
    t.labels.push_back(si ? format_si(v) : fixed(v, decimals));
  }
  return t;
}

Ticks log_ticks(double lo, double hi) {
  CS_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && lo < hi,
           "log tick range [" << lo << ", " << hi << "] must be positive and non-empty");
  const double eps = 1e-9;
  const int first = int(std::ceil(std::log10(lo) - eps));
  const int last = int(std::floor(std::log10(hi) + eps));
  // Wide ranges thin out to every second or third decade so labels never collide.
  const int decades = last - first + 1;
  const int every = decades > 16 ? 3 : decades > 8 ? 2 : 1;
  std::vector<double> mantissas = {1};
  if (decades < 2) mantissas = {1, 2, 5};
  Ticks t;
  for (int e = first - 1; e <= last; ++e) {
    if ((e - first) % every != 0) continue;
    for (double m : mantissas) {
      const double v = m * std::pow(10.0, e);
      if (v < lo * (1 - eps) || v > hi * (1 + eps)) continue;
      t.values.push_back(v);
      t.labels.push_back(format_si(v));
    }
  }
  // Less than a decade wide: evenly spaced ticks say more than one lonely power of ten.
  if (t.values.size() < 2) return linear_ticks(lo, hi, 4);
  return t;
}

}  // namespace cs::report
